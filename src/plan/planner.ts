import * as E from 'fp-ts/lib/Either.js';
import type { TypedModel, TypedNode } from '../term/check';
import { type Plan, type Schedule, type ScheduleItem, pathKey, showPlan } from './plan';
import { applyPlanOrThrow, plannedAt, plannedPrims } from './apply';
import { type SweepCache, simulate, sweepCache } from './memory';
import { revolveDepth, revolveSchedule } from './revolve';
import { MAX_SCHEDULE_DEPTH } from '../optic/checkpoint';

/** One plan with its predicted peak memory and flops (from `simulate`). */
export interface PlanPoint {
  readonly plan: Plan;
  readonly peakBytes: number;
  /** Forward (with recomputation) plus backward flops. */
  readonly flops: number;
  readonly recomputeFlops: number;
  /** Checkpoint slots the plan's schedule uses, if it has one. */
  readonly slots?: number;
  /** A short description: `store all`, `revolve s=3`, plus the variant choice. */
  readonly label: string;
}

export interface PlannerOptions {
  /** Bytes per element (4 for float32, the default; 8 for float64). */
  readonly bytesPerElem?: number;
  /** Path of the `seq` to checkpoint; default the root if it is a `seq`, else the first `seq` with ≥ 2 children. */
  readonly chain?: string;
  /** Largest chain handled by the exact heterogeneous dynamic programme (default 64). */
  readonly exactLimit?: number;
}

/** How the chain was planned: `uniform` and `exact` are optimal in recomputation per slot count. */
export type ChainMethod = 'uniform' | 'exact' | 'by-count';

/** The `seq` the planner checkpoints. */
export const findChain = (model: TypedModel, path?: string): (TypedNode & { kind: 'seq' }) | undefined => {
  const all: TypedNode[] = [model.root];
  for (let i = 0; i < all.length; i++) {
    const n = all[i]!;
    if (n.kind === 'seq' && (path === undefined ? n.children.length >= 2 : pathKey(n.path) === path)) return n as TypedNode & { kind: 'seq' };
    if (n.kind !== 'prim') all.push(...n.children);
  }
  return undefined;
};

/** Forward flops of each child of a `seq` under a plan's variants (the plan resolved once). */
const childFwdFlops = (model: TypedModel, chain: TypedNode, plan: Plan): number[] => {
  const c = plannedAt(applyPlanOrThrow(model, plan), pathKey(chain.path))!;
  return c.kind === 'prim' ? [] : c.children.map((ch) => plannedPrims(ch).reduce((s, p) => s + p.node.cost.fwdFlops, 0));
};

/**
 * Revolve generalised to steps of different forward cost `w`: with `W(a, j) = Σ w[a..j)`,
 * `T(a, b, s) = min_{a<j<b} [W(a, j) + T(j, b, s−1) + T(a, j, s)]`, `T(a, a+1, s) = 0`, `T(·, ·, 0) = ∞` for
 * more than one step. Exact (least recomputed flops with at most `s` checkpoints) in O(k³·s).
 */
export const weightedRevolve = (w: readonly number[], s: number): { cost: number; schedule: Schedule } => {
  const k = w.length;
  const pre = [0];
  for (const x of w) pre.push(pre[pre.length - 1]! + x);
  // T[s][a][b] and the best split, filled for s = 0..S.
  const T: Float64Array[][] = [];
  const J: Int32Array[][] = [];
  for (let q = 0; q <= s; q++) {
    const Tq: Float64Array[] = [];
    const Jq: Int32Array[] = [];
    for (let a = 0; a < k; a++) {
      Tq.push(new Float64Array(k + 1).fill(Infinity));
      Jq.push(new Int32Array(k + 1));
      Tq[a]![a + 1] = 0;
    }
    T.push(Tq);
    J.push(Jq);
    if (q === 0) continue;
    for (let len = 2; len <= k; len++)
      for (let a = 0; a + len <= k; a++) {
        const b = a + len;
        let best = Infinity;
        let bj = a + 1;
        for (let j = a + 1; j < b; j++) {
          const c = pre[j]! - pre[a]! + T[q - 1]![j]![b]! + Tq[a]![j]!;
          if (c < best) {
            best = c;
            bj = j;
          }
        }
        Tq[a]![b] = best;
        Jq[a]![b] = bj;
      }
  }
  const build = (a: number, b: number, q: number): ScheduleItem[] => {
    const out: ScheduleItem[] = [];
    while (b - a > 1) {
      const j = J[q]![a]![b]!;
      out.push(build(a, j, q));
      a = j;
      q -= 1;
    }
    out.push(a);
    return out;
  };
  const cost = T[s]![0]![k]!;
  if (!Number.isFinite(cost)) throw new RangeError(`weightedRevolve: ${k} steps cannot be reversed with ${s} slot(s)`);
  return { cost, schedule: build(0, k, s) };
};

/** Slot counts tried on a chain of `k` steps: all up to 16, then about ×1.25 apart, then `k − 1`. */
const slotCandidates = (k: number, exact: boolean): number[] => {
  const out: number[] = [];
  if (exact) for (let s = 1; s < k; s++) out.push(s);
  else {
    for (let s = 1; s < Math.min(k, 17); s++) out.push(s);
    for (let s = 20; s < k - 1; s = Math.ceil(s * 1.25)) out.push(s);
    if (k - 1 > 16) out.push(k - 1);
  }
  return out;
};

/** Variant choice sets: the defaults, and for every primitive with several variants the one keeping least. */
const variantChoices = (model: TypedModel): { label: string; variants: Record<string, string> }[] => {
  const lean: Record<string, string> = {};
  const walk = (n: TypedNode): void => {
    if (n.kind !== 'prim') return n.children.forEach(walk);
    if (n.def.variants.length < 2) return;
    const costs = n.def.variants.map((v) => ({ v, c: n.def.cost(n.attrs, n.inputs, v) }));
    costs.sort((x, y) => x.c.residualElems - y.c.residualElems || x.c.bwdFlops - y.c.bwdFlops);
    if (costs[0]!.v !== n.variant) lean[pathKey(n.path)] = costs[0]!.v;
  };
  walk(model.root);
  const out = [{ label: '', variants: {} as Record<string, string> }];
  if (Object.keys(lean).length) out.push({ label: 'lean variants', variants: lean });
  // Per primitive with three or more variants (the memory states of the delta rule and the PMI
  // memory: all, chunk starts, none), each variant on every node of that primitive, the others left
  // as they are: the intermediate choices are points of their own, not only the two extremes.
  const byPrim = new Map<string, { variants: readonly string[]; paths: string[]; current: string[] }>();
  const collect = (n: TypedNode): void => {
    if (n.kind !== 'prim') return n.children.forEach(collect);
    if (n.def.variants.length < 3) return;
    const e = byPrim.get(n.def.name) ?? { variants: n.def.variants, paths: [], current: [] };
    e.paths.push(pathKey(n.path));
    e.current.push(n.variant);
    byPrim.set(n.def.name, e);
  };
  collect(model.root);
  const seen = new Set(out.map((o) => JSON.stringify(o.variants)));
  for (const [name, { variants, paths, current }] of byPrim)
    for (const v of variants) {
      // The term's own choice is the default set already.
      if (current.every((c) => c === v)) continue;
      const vs = Object.fromEntries(paths.map((p) => [p, v]));
      const key = JSON.stringify(vs);
      if (seen.has(key)) continue;
      seen.add(key);
      out.push({ label: `${name} ${v}`, variants: vs });
    }
  return out;
};

/**
 * Every candidate plan with its predicted peak and flops: for each variant choice set, store-all, the
 * whole model in lens form, and for slot counts `s` the least-recomputation checkpoint schedule of the
 * chain (see `planFrontier` for which chains are handled exactly).
 */
export const planCandidates = (model: TypedModel, opts: PlannerOptions = {}): { points: PlanPoint[]; method: ChainMethod | null } => {
  const bpe = opts.bytesPerElem ?? 4;
  const chain = findChain(model, opts.chain);
  if (opts.chain !== undefined && !chain) throw new Error(`planner: no seq at '${opts.chain}' to checkpoint`);
  const points: PlanPoint[] = [];
  let method: ChainMethod | null = null;
  const point = (plan: Plan, label: string, slots?: number, sweeps?: SweepCache): PlanPoint => {
    const p = simulate(model, plan, bpe, sweeps);
    return { plan, peakBytes: p.peakBytes, flops: p.flops, recomputeFlops: p.recomputeFlops, label, ...(slots !== undefined ? { slots } : {}) };
  };
  for (const { label, variants } of variantChoices(model)) {
    const vs = Object.keys(variants).length ? { variants } : {};
    const tag = (s: string) => (label ? `${s}, ${label}` : s);
    // Every candidate of this variant choice sweeps the same nodes the same way: share the summaries.
    const sweeps: SweepCache = sweepCache();
    points.push(point(vs, tag('store all'), undefined, sweeps));
    points.push(point({ ...vs, remat: [''] }, tag('recompute all'), undefined, sweeps));
    if (!chain) continue;
    const key = pathKey(chain.path);
    const w = childFwdFlops(model, chain, vs);
    const k = w.length;
    const uniform = w.every((x) => x === w[0]);
    const exact = !uniform && k <= (opts.exactLimit ?? 64);
    method = uniform ? 'uniform' : exact ? 'exact' : 'by-count';
    for (const s of slotCandidates(k, exact)) {
      // Few slots on a long chain nest segments deeper than a plan may (and recompute each step
      // hundreds of times): not a candidate.
      if (!exact && revolveDepth(k, s, MAX_SCHEDULE_DEPTH) > MAX_SCHEDULE_DEPTH) continue;
      const schedule = exact ? weightedRevolve(w, s).schedule : revolveSchedule(k, s);
      points.push(point({ ...vs, schedules: { [key]: schedule } }, tag(`revolve s=${s}`), s, sweeps));
    }
  }
  return { points, method };
};

/** The Pareto-minimal points (no other point has both less-or-equal peak and flops, one strictly), by peak. */
export const paretoFrontier = (points: readonly PlanPoint[]): PlanPoint[] => {
  const sorted = [...points].sort((a, b) => a.peakBytes - b.peakBytes || a.flops - b.flops);
  const out: PlanPoint[] = [];
  for (const p of sorted) if (!out.length || p.flops < out[out.length - 1]!.flops) out.push(p);
  return out;
};

/**
 * The Pareto frontier of peak memory against flops.
 *
 * What is exact: on the chosen chain (the root `seq` by default), for every slot count `s`, the schedule
 * minimises recomputed forward flops among all nested checkpoint schedules holding at most `s` checkpoints —
 * Revolve's binomial schedule when the steps cost the same (`uniform`, any length, closed form), the
 * weighted dynamic programme otherwise (`exact`, up to `exactLimit` steps). Longer chains of unequal steps
 * use the binomial schedule by step count (`by-count`: valid, not guaranteed optimal). Every candidate's peak
 * and flops come from `simulate`, so they are exact for the plan; the frontier is exact over the candidate
 * family (schedules of that one chain, each step taped whole, variants all-default or all-leanest), not over
 * every conceivable plan of a general series–parallel term. Slot counts whose Revolve schedule would nest
 * segments deeper than `MAX_SCHEDULE_DEPTH` (one or two slots on chains of thousands of steps, each step
 * recomputed hundreds of times) are not candidates: no plan may nest that deep.
 */
export const planFrontier = (model: TypedModel, opts: PlannerOptions = {}): { frontier: PlanPoint[]; method: ChainMethod | null } => {
  const { points, method } = planCandidates(model, opts);
  return { frontier: paretoFrontier(points), method };
};

/** The least-flops frontier point within a budget (ties: least memory), or undefined if none fits. */
export const chooseWithin = (frontier: readonly PlanPoint[], budgetBytes: number): PlanPoint | undefined => {
  let best: PlanPoint | undefined;
  for (const p of frontier)
    if (p.peakBytes <= budgetBytes && (!best || p.flops < best.flops || (p.flops === best.flops && p.peakBytes < best.peakBytes))) best = p;
  return best;
};

/**
 * Plan a model for a memory budget: the frontier and the least-flops plan whose predicted peak fits.
 * Fails with a message naming the smallest peak reachable when nothing fits.
 *
 * @example
 * const r = planForBudget(model, 64 * 2 ** 20); // E.right({ chosen, frontier, method })
 */
export const planForBudget = (
  model: TypedModel,
  budgetBytes: number,
  opts: PlannerOptions = {},
): E.Either<Error, { chosen: PlanPoint; frontier: PlanPoint[]; method: ChainMethod | null }> => {
  const { frontier, method } = planFrontier(model, opts);
  const chosen = chooseWithin(frontier, budgetBytes);
  if (!chosen)
    return E.left(new RangeError(`planner: no plan fits in ${budgetBytes} bytes; the least peak reachable is ${frontier[0]!.peakBytes} bytes (${frontier[0]!.label})`));
  return E.right({ chosen, frontier, method });
};

/** A frontier point as one line of a table. */
export const showPoint = (p: PlanPoint): string => `${p.label}: peak ${p.peakBytes} B, ${p.flops} flops\n${showPlan(p.plan)}`;
