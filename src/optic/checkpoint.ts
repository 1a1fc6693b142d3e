/**
 * Checkpoint schedules: multi-level recomputation of a chain of optics, as a combinator.
 *
 * A schedule of a chain with stages `0..k-1` is a nested list whose leaves, read in order, are
 * exactly `0, 1, …, k-1`:
 *
 * - a number `i`: stage `i` runs *taped*: it keeps its residual;
 * - a list: a *segment* of consecutive stages run in lens form: the forward pass keeps only the
 *   segment's input (a checkpoint); the backward pass re-runs the segment under its own nested
 *   schedule, then runs its backward.
 *
 * `[0, 1, …, k-1]` is plain flat composition (`seqOptics`), `[[0, …, k-1]]` is `recompute` of the
 * whole chain, and Revolve's binomial schedules sit in between. Every schedule gives the same
 * outputs and backward results (its laws are in `laws/optic.ts`); schedules differ only in what is
 * kept and what is recomputed. The lens form used for segments is a parameter (default
 * {@link recompute}), so that an instrumented lens form (a memory meter, say) can be plugged in.
 *
 * @module
 */
import type { AnyOptic, Optic } from './optic';
import { recompute, seqOptics } from './optic';
import type { TwoCell } from './twocell';

/** One item of a checkpoint schedule: a stage index, or a nested segment. */
export type ScheduleItem = number | readonly ScheduleItem[];
/** A checkpoint schedule (see the module doc). */
export type Schedule = readonly ScheduleItem[];

/** A lens form: keep the input, recompute the rest in the backward pass (e.g. {@link recompute}). */
export type LensForm = <M, A, B, DB, DA>(o: Optic<M, A, B, DB, DA>) => Optic<A, A, B, DB, DA>;

/** The leaves of a schedule in order (the stages it covers). */
export const scheduleLeaves = (s: Schedule): number[] => {
  const out: number[] = [];
  const stack: Schedule[] = [s];
  const idx: number[] = [0];
  // Iterative, so that a deeply nested (hostile) schedule cannot overflow the stack.
  while (stack.length) {
    const top = stack[stack.length - 1]!;
    const i = idx[idx.length - 1]!;
    if (i >= top.length) {
      stack.pop();
      idx.pop();
      continue;
    }
    idx[idx.length - 1] = i + 1;
    const it = top[i]!;
    if (typeof it === 'number') out.push(it);
    else {
      stack.push(it);
      idx.push(0);
    }
  }
  return out;
};

/** First and last stage of a (non-empty) schedule segment. */
export const segmentRange = (s: Schedule): [number, number] => {
  const leaves = scheduleLeaves(s);
  return [leaves[0]!, leaves[leaves.length - 1]!];
};

/** Most levels segments of a schedule may nest (Revolve with one slot on `l` steps nests `l − 1` deep). */
export const MAX_SCHEDULE_DEPTH = 256;

/**
 * Why a schedule is not valid for a chain of `k` stages, or `null`: it must be a nested array of
 * integers whose leaves are `0..k-1` in order, with no empty segment.
 */
export const scheduleProblem = (s: unknown, k: number): string | null => {
  if (!Array.isArray(s)) return `a schedule is a nested list of stage indices, got ${typeof s}`;
  const stack: [unknown, number][] = [[s, 0]];
  while (stack.length) {
    const [x, depth] = stack.pop()!;
    if (typeof x === 'number') {
      if (!Number.isInteger(x)) return `schedule items are stage indices (integers), got ${x}`;
      continue;
    }
    if (!Array.isArray(x)) return `schedule items are stage indices or nested lists, got ${x === null ? 'null' : typeof x}`;
    if (x.length === 0) return 'a schedule segment is empty';
    // Running a schedule recurses once per level (on the stack of every interpretation).
    if (depth > MAX_SCHEDULE_DEPTH) return `segments nest more than ${MAX_SCHEDULE_DEPTH} levels deep (each level recomputes its steps once more)`;
    for (const y of x) stack.push([y, depth + 1]);
  }
  const leaves = scheduleLeaves(s as Schedule);
  if (leaves.length !== k || leaves.some((v, i) => v !== i)) {
    const shown = leaves.length > 12 ? `[${leaves.slice(0, 12).join(',')},…] (${leaves.length} leaves)` : JSON.stringify(leaves);
    return `schedule leaves must be 0..${k - 1} in order, got ${shown}`;
  }
  return null;
};

/** A compact printed form: `[0 1 [2 3 [4]] 5]`. */
export const showSchedule = (s: Schedule): string => `[${s.map((i) => (typeof i === 'number' ? String(i) : showSchedule(i))).join(' ')}]`;

/** The same optic, not marked as a chain, so that `seqOptics` keeps it as one stage. */
const opaque = (o: AnyOptic): AnyOptic => ({ fwd: o.fwd, bwd: o.bwd, ...(o.get ? { get: o.get } : {}) });

/**
 * A chain of optics under a checkpoint schedule. The residual has one entry per top-level item of
 * the schedule: a taped stage's residual, or a segment's input (what `lensForm` keeps). Assumes
 * `scheduleProblem(schedule, stages.length) === null`.
 *
 * @example
 * ```ts
 * const c = checkpointed([sin, sin, sin, sin], [[0, 1], 2, [3]]);
 * c.fwd(1)[0]; // [1, cos(sin(sin 1)), sin(sin(sin 1))]: two checkpoints and one taped stage
 * ```
 */
export const checkpointed = (stages: ReadonlyArray<AnyOptic>, schedule: Schedule, lensForm: LensForm = recompute): AnyOptic => {
  const build = (items: Schedule): AnyOptic =>
    seqOptics(...items.map((it) => (typeof it === 'number' ? opaque(stages[it]!) : lensForm(build(it)))));
  return build(schedule);
};

/**
 * The 2-cell between two checkpointed chains with the same schedule, from 2-cells between their
 * stages: a taped stage's residual goes through its stage's cell; a segment keeps its input on both
 * sides, so `r` is the identity there (valid because each stage's source and target compute the
 * same outputs and backward results).
 *
 * @example
 * ```ts
 * const c = checkpointCells([fromLensForm(sin), identityCell(sin)], [0, [1]]);
 * c.r([1, 0.5]); // [cos 1, 0.5]
 * ```
 */
export const checkpointCells = (
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  cells: ReadonlyArray<TwoCell<any, any, any, any, any, any>>,
  schedule: Schedule,
  lensForm: LensForm = recompute,
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
): TwoCell<unknown[], unknown[], any, any, any, any> => {
  const mapItems = (items: Schedule, ms: readonly unknown[]): unknown[] =>
    items.map((it, i) => (typeof it === 'number' ? cells[it]!.r(ms[i]) : ms[i]));
  return {
    source: checkpointed(
      cells.map((c) => c.source),
      schedule,
      lensForm,
    ),
    target: checkpointed(
      cells.map((c) => c.target),
      schedule,
      lensForm,
    ),
    r: (ms) => mapItems(schedule, ms),
  };
};
