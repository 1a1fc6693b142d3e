/**
 * A plan: the store-versus-recompute choices of one run, as data (plain JSON).
 *
 * - `variants` picks a primitive's residual variant by node path (a 2-cell inside the primitive).
 * - `remat` lists nodes run in lens form: they keep only their inputs and recompute everything
 *   inside during the backward pass (a 2-cell across composition, a checkpointed segment).
 * - `schedules` gives a flat n-ary `seq` (by path) a nested checkpoint schedule: multi-level
 *   recomputation in the style of Revolve, without changing the term.
 *
 * The empty plan keeps every residual (optic composition).
 */
export interface Plan {
  readonly variants?: Readonly<Record<string, string>>;
  readonly remat?: readonly string[];
  readonly schedules?: Readonly<Record<string, Schedule>>;
}

/**
 * One item of a checkpoint schedule of a `seq` with children `0..k-1`:
 *
 * - a number `i`: child `i` runs *taped* — its forward stores its residual (under the rest of the plan);
 * - an array: a *segment* of consecutive children run in lens form — the forward pass stores only the
 *   segment's input (a checkpoint) and keeps nothing inside; the backward pass takes the checkpoint and
 *   re-runs the segment under its own (nested) schedule, then runs the segment's backward.
 *
 * Read in order, the leaves of a schedule are exactly `0, 1, …, k-1`. `[0, 1, …, k-1]` is the
 * store-all schedule (the default); `[[0, …, k-1]]` keeps only the input, like `remat` of the `seq`;
 * Revolve's binomial schedule with `s` slots on `l` steps is `rev(0, l, s)` with
 * `rev(a, b, s) = b − a = 1 ? [a] : [rev(a, j, s), ...rev(j, b, s − 1)]` for the best split `j`.
 */
export type ScheduleItem = number | readonly ScheduleItem[];
export type Schedule = readonly ScheduleItem[];

/** Keep every residual: plain optic composition. */
export const storeAll: Plan = {};

/** Run the whole term in lens form: keep only its inputs, recompute everything in backward. */
export const recomputeAll: Plan = { remat: [''] };

/** Node path as a plan key: `blocks.3.attn`; the root is `''`. */
export const pathKey = (path: readonly string[]): string => path.join('.');

/** The leaves of a schedule in order (the children it covers). */
export const scheduleLeaves = (s: Schedule): number[] => {
  const out: number[] = [];
  const go = (x: Schedule): void => {
    for (const i of x) if (typeof i === 'number') out.push(i);
    else go(i);
  };
  go(s);
  return out;
};

/** First and last child of a (non-empty) schedule segment, found along its first and last items. */
export const segmentRange = (s: Schedule): [number, number] => {
  let a: Schedule | number = s;
  while (typeof a !== 'number') a = a[0]!;
  let b: Schedule | number = s;
  while (typeof b !== 'number') b = b[b.length - 1]!;
  return [a, b];
};

/**
 * Why a schedule is not valid for a `seq` of `k` children, or `null`: its leaves must be
 * `0..k-1` in order and no segment may be empty.
 */
export const scheduleProblem = (s: Schedule, k: number): string | null => {
  const empty = (x: Schedule): boolean => x.length === 0 || x.some((i) => typeof i !== 'number' && empty(i));
  if (empty(s)) return 'a schedule segment is empty';
  const leaves = scheduleLeaves(s);
  if (leaves.length !== k || leaves.some((v, i) => v !== i))
    return `schedule leaves must be 0..${k - 1} in order, got ${JSON.stringify(leaves)}`;
  return null;
};

/** A compact printed form: `[0 1 [2 3 [4]] 5]`. */
export const showSchedule = (s: Schedule): string => `[${s.map((i) => (typeof i === 'number' ? String(i) : showSchedule(i))).join(' ')}]`;

/** A plan printed one choice per line (for logs and reports). */
export const showPlan = (p: Plan): string => {
  const lines: string[] = [];
  for (const [k, v] of Object.entries(p.variants ?? {})) lines.push(`variant  ${k || '<root>'} = ${v}`);
  for (const k of p.remat ?? []) lines.push(`lens     ${k || '<root>'}`);
  for (const [k, s] of Object.entries(p.schedules ?? {})) lines.push(`schedule ${k || '<root>'} ${showSchedule(s)}`);
  return lines.length ? lines.join('\n') : 'store all';
};
