import type { Schedule } from '../optic/checkpoint';
import { showSchedule } from '../optic/checkpoint';

export { type Schedule, type ScheduleItem, scheduleLeaves, segmentRange, scheduleProblem, showSchedule } from '../optic/checkpoint';

/**
 * A plan: the store-versus-recompute choices of one run, as data (plain JSON).
 *
 * - `variants` picks a primitive's residual variant by node path (a 2-cell inside the primitive).
 * - `remat` lists nodes run in lens form: they keep only their inputs and recompute everything
 *   inside during the backward pass (a 2-cell across composition, a checkpointed segment).
 * - `schedules` gives a flat n-ary `seq` (by path) a nested checkpoint schedule (see
 *   `src/optic/checkpoint.ts`): multi-level recomputation in the style of Revolve, without changing
 *   the term.
 *
 * The empty plan keeps every residual (optic composition).
 */
export interface Plan {
  readonly variants?: Readonly<Record<string, string>>;
  readonly remat?: readonly string[];
  readonly schedules?: Readonly<Record<string, Schedule>>;
}

/** Keep every residual: plain optic composition. */
export const storeAll: Plan = {};

/** Run the whole term in lens form: keep only its inputs, recompute everything in backward. */
export const recomputeAll: Plan = { remat: [''] };

/** Node path as a plan key: `blocks.3.attn`; the root is `''`. */
export const pathKey = (path: readonly string[]): string => path.join('.');

/** A plan printed one choice per line (for logs and reports). */
export const showPlan = (p: Plan): string => {
  const lines: string[] = [];
  for (const [k, v] of Object.entries(p.variants ?? {})) lines.push(`variant  ${k || '<root>'} = ${v}`);
  for (const k of p.remat ?? []) lines.push(`lens     ${k || '<root>'}`);
  for (const [k, s] of Object.entries(p.schedules ?? {})) lines.push(`schedule ${k || '<root>'} ${showSchedule(s)}`);
  return lines.length ? lines.join('\n') : 'store all';
};
