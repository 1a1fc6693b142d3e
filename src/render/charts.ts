/**
 * The two plots the command line and the playground draw: a training loss curve, and the planner's
 * frontier of flops against predicted peak memory with the chosen plan marked.
 */
import type { PlanPoint } from '../plan/planner';
import { type Series, linePlot } from './plot';

export interface LossPlotOptions {
  /** Legend label of the curve. */
  readonly label: string;
  readonly title: string;
  /** Step number of the first loss (default 1). */
  readonly firstStep?: number;
  /** What the loss is (default `softmax cross-entropy`). */
  readonly lossName?: string;
  readonly width?: number;
  readonly height?: number;
}

/** Loss per step, on a logarithmic axis when every loss is positive. */
export const lossPlot = (losses: readonly number[], o: LossPlotOptions): string =>
  linePlot([{ label: o.label, points: losses.map((l, i) => [(o.firstStep ?? 1) + i, l] as const) }], {
    title: o.title,
    xLabel: 'step',
    yLabel: `loss (${o.lossName ?? 'softmax cross-entropy'})`,
    logY: losses.length > 0 && losses.every((l) => l > 0),
    ...(o.width !== undefined ? { width: o.width } : {}),
    ...(o.height !== undefined ? { height: o.height } : {}),
  });

export interface FrontierPlotOptions {
  readonly title: string;
  /** The spec's own plan, drawn in green. */
  readonly own?: { readonly peakBytes: number; readonly flops: number };
  /** The chosen plan, drawn in red, with its legend label (e.g. `chosen within 64 KiB`). */
  readonly chosen?: { readonly point: PlanPoint; readonly label: string };
  readonly width?: number;
  readonly height?: number;
}

/** The frontier: predicted peak memory (MiB) against flops (forward + recompute + backward). */
export const frontierPlot = (frontier: readonly PlanPoint[], o: FrontierPlotOptions): string => {
  const mib = (b: number) => b / 2 ** 20;
  const series: Series[] = [
    { label: 'frontier', points: frontier.map((p) => [mib(p.peakBytes), p.flops] as const), markers: true },
    ...(o.own ? [{ label: "the spec's plan", points: [[mib(o.own.peakBytes), o.own.flops] as const], markers: true, color: '#2ca02c' }] : []),
    ...(o.chosen ? [{ label: o.chosen.label, points: [[mib(o.chosen.point.peakBytes), o.chosen.point.flops] as const], markers: true, color: '#d62728' }] : []),
  ];
  return linePlot(series, {
    title: o.title,
    xLabel: 'predicted peak (MiB)',
    yLabel: 'flops (forward + recompute + backward)',
    ...(o.width !== undefined ? { width: o.width } : {}),
    ...(o.height !== undefined ? { height: o.height } : {}),
  });
};
