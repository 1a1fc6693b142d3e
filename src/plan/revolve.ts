import type { Schedule, ScheduleItem } from './plan';

/**
 * Binomial checkpointing (Griewank–Walther "Revolve") on a chain of `l` identical steps with `s`
 * checkpoint slots. Conventions (docs/REFERENCE-VALUES): `s` counts the slot holding the chain's input;
 * the count is of *untaped* forward step evaluations, including the first sweep, not counting the one
 * taped evaluation of each step that precedes its backward. So a run does `l + F*(l, s)` step forwards.
 */

/** `C(n, k)` as a float, `Infinity` past 2^53 (callers only compare it with chain lengths). */
export const binom = (n: number, k: number): number => {
  if (k < 0 || n < 0 || k > n) return 0;
  k = Math.min(k, n - k);
  let r = 1;
  for (let i = 1; i <= k; i++) {
    r = (r * (n - k + i)) / i;
    if (r > 2 ** 53) return Infinity;
  }
  return Math.round(r);
};

/** `β(s, t) = C(s + t, s)`: the longest chain `s` slots reverse with at most `t` evaluations of a step. */
export const beta = (s: number, t: number): number => (t < 0 ? 0 : binom(s + t, s));

/** The least `t` with `β(s, t) ≥ l` (the repetition number). */
export const repetitions = (l: number, s: number): number => {
  if (s < 1) throw new RangeError(`repetitions: need s ≥ 1 slot, got ${s}`);
  let t = 0;
  while (beta(s, t) < l) t++;
  return t;
};

/** Revolve's closed form `F*(l, s) = t·l − β(s + 1, t − 1)`; `Infinity` when `s = 0` and `l > 1`. */
export const revolveCost = (l: number, s: number): number => {
  if (!Number.isInteger(l) || l < 1) throw new RangeError(`revolveCost: chain length must be a positive integer, got ${l}`);
  if (l === 1) return 0;
  if (s < 1) return Infinity;
  const t = repetitions(l, s);
  return t * l - beta(s + 1, t - 1);
};

/**
 * The dynamic programme `T(l, s) = min_{1≤j<l} [j + T(l−j, s−1) + T(j, s)]`, `T(1, s) = 0`,
 * `T(l, 0) = ∞` for `l > 1` (so `T(l, 1) = l(l−1)/2`), as a table `T[s][l]` for `l ≤ L`, `s ≤ S`.
 */
export const revolveTable = (L: number, S: number): number[][] => {
  const T: number[][] = [];
  for (let s = 0; s <= S; s++) {
    const row = new Array<number>(L + 1).fill(Infinity);
    row[1] = 0;
    if (s > 0)
      for (let l = 2; l <= L; l++) {
        let best = Infinity;
        for (let j = 1; j < l; j++) {
          const c = j + T[s - 1]![l - j]! + row[j]!;
          if (c < best) best = c;
        }
        row[l] = best;
      }
    T.push(row);
  }
  return T;
};

/**
 * An optimal first split for `l > 1` steps and `s ≥ 1` slots: advance `j` steps and checkpoint there.
 * `F*(·, s)` is piecewise linear and continuous in `l` with slope `t` on `β(s, t−1) ≤ l ≤ β(s, t)`. With
 * `β(s, t−2) ≤ j ≤ β(s, t−1)` (the left part, `s` slots, slope `t−1`, plus one advance per step) and
 * `β(s−1, t−1) ≤ l−j ≤ β(s−1, t)` (the right part, `s−1` slots, slope `t`), the two costs add up to
 * `t·l − β(s+1, t−2) − β(s, t−1) = F*(l, s)` by Pascal's rule; such a `j` exists because
 * `β(s, t−1) + β(s−1, t) = β(s, t) ≥ l > β(s, t−1) = β(s, t−2) + β(s−1, t−1)`.
 * (Checked against `revolveTable` for every l ≤ 200, s ≤ 10 in test/planner.test.ts.)
 */
export const revolveSplit = (l: number, s: number): number => {
  if (l < 2 || s < 1) throw new RangeError(`revolveSplit: need l ≥ 2 and s ≥ 1, got l=${l}, s=${s}`);
  if (s === 1) return l - 1;
  const t = repetitions(l, s);
  return Math.min(l - 1, Math.max(1, beta(s, t - 2), l - beta(s - 1, t)));
};

/**
 * Revolve's schedule for steps `from..from+l−1` with `s` slots, as a checkpoint `Schedule` for a `seq`
 * (see `Plan.schedules`): `rev(a, b, s) = [rev(a, j, s) as a segment, ...rev(j, b, s − 1)]`, a single
 * step taped. Running it does exactly `F*(l, s)` untaped step forwards and holds at most `s` checkpoints.
 * Built without recursion: with one slot the segments nest `l` deep.
 */
export const revolveSchedule = (l: number, s: number, from = 0): Schedule => {
  const root: ScheduleItem[] = [];
  const work: { l: number; s: number; from: number; out: ScheduleItem[] }[] = [{ l, s, from, out: root }];
  while (work.length) {
    const w = work.pop()!;
    let a = w.from;
    let len = w.l;
    let slots = w.s;
    // The right spine is flattened: its segments sit side by side in one list.
    while (len > 1) {
      if (slots < 1) throw new RangeError(`revolveSchedule: ${len} steps left and no slot to checkpoint them`);
      const j = revolveSplit(len, slots);
      const seg: ScheduleItem[] = [];
      w.out.push(seg);
      work.push({ l: j, s: slots, from: a, out: seg });
      a += j;
      len -= j;
      slots -= 1;
    }
    w.out.push(a);
  }
  return root;
};

/**
 * How deeply Revolve's schedule for `l` steps and `s` slots nests its segments, or `limit + 1` if
 * deeper than `limit` (found without building it, and without walking past the limit): one slot
 * nests `l − 1` deep, more slots far less.
 */
export const revolveDepth = (l: number, s: number, limit = Infinity): number => {
  let deepest = 0;
  const work: { l: number; s: number; depth: number }[] = [{ l, s, depth: 0 }];
  while (work.length) {
    const w = work.pop()!;
    let len = w.l;
    let slots = w.s;
    while (len > 1 && slots >= 1) {
      const j = revolveSplit(len, slots);
      if (j > 1) {
        if (w.depth + 1 > limit) return limit + 1;
        deepest = Math.max(deepest, w.depth + 1);
        work.push({ l: j, s: slots, depth: w.depth + 1 });
      } else deepest = Math.max(deepest, w.depth + 1);
      len -= j;
      slots -= 1;
    }
  }
  return deepest;
};

/** Untaped step forwards of a schedule (every step in a segment runs once untaped per enclosing sweep). */
export const scheduleRecomputations = (s: Schedule): number =>
  s.reduce<number>((acc, it) => (typeof it === 'number' ? acc : acc + leafCount(it) + scheduleRecomputations(it)), 0);

const leafCount = (s: Schedule): number => s.reduce<number>((a, it) => a + (typeof it === 'number' ? 1 : leafCount(it)), 0);

/**
 * Most checkpoints a schedule holds at once: a segment's checkpoint stays while the items after it are
 * reversed, and is handed to its own re-run (which checkpoints its first segment again).
 */
export const scheduleSlots = (s: Schedule): number => {
  // While reversing item i, the checkpoints of all segment items before it are held.
  let held = 0;
  let most = 0;
  for (const it of s) {
    if (typeof it === 'number') most = Math.max(most, held);
    else {
      // Reversing this segment: its own checkpoint is taken back and its re-run holds scheduleSlots(it).
      most = Math.max(most, held + 1, held + scheduleSlots(it));
      held++;
    }
  }
  return most;
};
