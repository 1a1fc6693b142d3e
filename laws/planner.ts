import type { Backend } from '../src/backend/backend';
import type { Plan } from '../src/lower/plan';
import { type MemoryMeter, lowerOrThrow, measureRun } from '../src/lower/program';
import type { TypedModel, TypedNode } from '../src/spec/check';
import type { HostTensor } from '../src/tensor/tensor';
import { type Prediction, simulate } from '../src/plan/memory';
import { pathKey } from '../src/lower/plan';

/** Predicted against measured memory and flops of one forward + backward under a plan. */
export interface PeakReport {
  readonly ok: boolean;
  readonly predicted: Prediction;
  readonly measured: MemoryMeter;
  /** What disagreed, for the test message. */
  readonly detail: string;
}

const upload = <T>(be: Backend<T>, ps: Record<string, HostTensor>): Record<string, T> =>
  Object.fromEntries(Object.entries(ps).map(([k, v]) => [k, be.upload(v)]));

/**
 * Law: the predicted peak equals the measured peak — `simulate` (shapes and `cost` only) and a run with
 * a `MemoryMeter` (real tensors) agree exactly on peak bytes, the split at the peak, flops forward and
 * backward, forward calls per primitive and checkpoints held; and the run ends with nothing live.
 */
export const peakMatches = <T>(
  model: TypedModel,
  be: Backend<T>,
  plan: Plan,
  params: Record<string, HostTensor>,
  inputs: readonly HostTensor[],
  dOutputs: readonly HostTensor[],
): PeakReport => {
  const prog = lowerOrThrow(model, be, plan);
  const { meter } = measureRun(prog, be, upload(be, params), inputs.map((x) => be.upload(x)), dOutputs.map((x) => be.upload(x)));
  const predicted = simulate(model, plan, meter.bytesPerElem);
  const problems: string[] = [];
  const eq = (what: string, a: unknown, b: unknown) => {
    if (JSON.stringify(a) !== JSON.stringify(b)) problems.push(`${what}: predicted ${JSON.stringify(a)}, measured ${JSON.stringify(b)}`);
  };
  eq('peak bytes', predicted.peakBytes, meter.peak);
  eq('bytes at peak', predicted.peakLive, meter.peakLive);
  eq('forward flops', predicted.fwdFlops, meter.flops.forward);
  eq('backward flops', predicted.bwdFlops, meter.flops.backward);
  eq('checkpoints', predicted.maxCheckpoints, meter.maxCheckpoints);
  const sorted = (m: ReadonlyMap<string, number>) => [...m].sort(([a], [b]) => (a < b ? -1 : 1));
  eq('forward calls', sorted(predicted.forwardCalls), sorted(meter.forwardCalls));
  eq('live after the run', { residual: 0, activation: 0, gradient: 0 }, meter.live);
  return { ok: problems.length === 0, predicted, measured: meter, detail: problems.join('; ') };
};

/**
 * A spread of plans for any model, for the memory and invariance laws: store all, recompute all,
 * every residual variant of every primitive, lens form for each composite child of the root, and for
 * every `seq` with at least two children two checkpoint schedules.
 */
export const samplePlans = (model: TypedModel): Plan[] => {
  const plans: Plan[] = [{}, { remat: [''] }];
  const prims: { key: string; variants: readonly string[] }[] = [];
  const seqs: { key: string; k: number }[] = [];
  const walk = (n: TypedNode): void => {
    if (n.kind === 'prim') prims.push({ key: pathKey(n.path), variants: n.def.variants });
    else {
      if (n.kind === 'seq' && n.children.length >= 2) seqs.push({ key: pathKey(n.path), k: n.children.length });
      n.children.forEach(walk);
    }
  };
  walk(model.root);
  const maxV = Math.max(...prims.map((p) => p.variants.length));
  for (let v = 1; v < maxV; v++)
    plans.push({ variants: Object.fromEntries(prims.filter((p) => p.variants.length > v).map((p) => [p.key, p.variants[v]!])) });
  if (model.root.kind !== 'prim')
    for (const c of model.root.children) if (c.kind !== 'prim') plans.push({ remat: [pathKey(c.path)] });
  for (const { key, k } of seqs) {
    const all = Array.from({ length: k }, (_, i) => i);
    plans.push({ schedules: { [key]: [all.slice(0, k - 1), k - 1] } });
    plans.push({ schedules: { [key]: [[0], all.slice(1)] } });
  }
  return plans;
};
