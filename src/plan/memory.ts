import type { TypedModel, TypedNode, TypedPrim } from '../term/check';
import { sizeOf } from '../tensor/shape';
import { type Plan, type Schedule, pathKey } from './plan';
import type { MemoryKind } from '../lower/meter';
import { type PlannedModel, type PlannedNode, nodesByKey, planProblem, plannedPrims, withVariant } from './apply';

/**
 * What one forward + backward under a plan costs, predicted from shapes and each primitive's `cost`
 * without running anything. Follows exactly the accounting rules of `MemoryMeter` (src/lower/program.ts),
 * so a run with a meter must report the same `peakBytes`, `flops` and `forwardCalls`.
 */
export interface Prediction {
  readonly peakBytes: number;
  /** Bytes by kind at the moment of the peak. */
  readonly peakLive: Readonly<Record<MemoryKind, number>>;
  /** Forward flops run in total (first sweep plus recomputation). */
  readonly fwdFlops: number;
  /** Forward flops of recomputation only (`fwdFlops` minus one forward of every primitive). */
  readonly recomputeFlops: number;
  readonly bwdFlops: number;
  /** `fwdFlops + bwdFlops`. */
  readonly flops: number;
  /** Bytes held between forward and backward (the residual handed to the caller). */
  readonly residualBytes: number;
  /** Largest number of checkpoint entries held at once. */
  readonly maxCheckpoints: number;
  /** Forward runs per primitive path. */
  readonly forwardCalls: ReadonlyMap<string, number>;
}

type W = number | null;

/** Plan keys of nodes: a node's path never changes, so its key is joined once, for every simulation. */
const nodeKeys = new WeakMap<TypedNode, string>();
const keyOfNode = (node: TypedNode): string => {
  let k = nodeKeys.get(node);
  if (k === undefined) nodeKeys.set(node, (k = pathKey(node.path)));
  return k;
};

/**
 * Sweep summaries shared by simulations of one model under plans with the same residual variants (a
 * keep-nothing forward does not depend on schedules or lens forms): the planner passes one per
 * variant choice, so each of its candidates costs one pass over the chain, not one per node.
 */
export interface SweepCache {
  readonly sweeps: Map<TypedNode, Sweep>;
  readonly ranges: Map<TypedNode, RangeSweeps>;
  readonly prims: Map<TypedNode, PrimFacts>;
}

/** What a simulation needs of a primitive under its variant, worked out once. */
interface PrimFacts {
  /** Dense index of the node among the primitives this cache has seen (for per-run arrays). */
  readonly idx: number;
  readonly key: string;
  readonly outs: number[];
  readonly outSum: number;
  readonly prim: TypedPrim;
  /** Input gradient sizes (null: no gradient), the same every time the node's backward runs. */
  readonly dIns: readonly W[];
}

/** An empty {@link SweepCache}: for simulations of one model, one residual-variant choice and one element size. */
export const sweepCache = (): SweepCache => ({ sweeps: new Map(), ranges: new Map(), prims: new Map() });

class Sim {
  readonly live: Record<MemoryKind, number> = { residual: 0, activation: 0, gradient: 0 };
  peak = 0;
  peakLive: Record<MemoryKind, number> = { residual: 0, activation: 0, gradient: 0 };
  fwd = 0;
  bwd = 0;
  ckpt = 0;
  maxCkpt = 0;
  /** Forward runs per primitive, by its index (`PrimFacts.idx`): no map entry per call. */
  readonly calls: number[] = [];
  /** Residual elements a primitive's forward left for its backward, by index (absent: undefined). */
  readonly held: (number | undefined)[] = [];
  /** Live checkpoints (inputs kept for a recomputation), by key. */
  readonly store = new Map<string, number>();
  /** The plan resolved against the model, by node. */
  readonly planned: Resolution;
  /** Per-primitive facts under the plan, worked out once (path key, output sizes, cost). */
  readonly prims: Map<TypedNode, PrimFacts>;
  readonly items = new Map<TypedNode, Item[]>();
  readonly sweeps: Map<TypedNode, Sweep>;
  /** How many times each node ran a keep-nothing forward (expanded into `calls` at the end). */
  readonly sweepCount = new Map<TypedNode, number>();
  /** Per `seq`: its children's sweeps as prefix sums, for a segment's sweep in O(1) (see `sweepRange`). */
  readonly ranges: Map<TypedNode, RangeSweeps>;
  /** Per `seq`: how many segment sweeps covered each child, as a difference array (expanded in `allCalls`). */
  readonly covers = new Map<TypedNode, Float64Array>();
  /** A keep-nothing forward of `node`, applied from its summary (exactly what running it would do). */
  sweep(node: TypedNode): number[] {
    const sw = this.summary(node);
    const t = this.live.residual + this.live.activation + this.live.gradient;
    if (t + sw.peakAbove > this.peak) {
      this.peak = t + sw.peakAbove;
      this.peakLive = { ...this.live, activation: this.live.activation + sw.peakAbove };
    }
    this.live.activation += sw.delta;
    this.fwd += sw.flops;
    this.sweepCount.set(node, (this.sweepCount.get(node) ?? 0) + 1);
    return sw.outs;
  }
  /**
   * Keep-nothing forwards of children `a..b` of a `seq`, one after another: exactly what running
   * `sweep` on each would do to the meter, in O(1) from prefix sums of the children's sweeps (so a
   * schedule's recomputation costs nothing per recomputed step to predict).
   */
  sweepRange(node: TypedNode & { readonly children: readonly TypedNode[] }, a: number, b: number): number[] {
    let r = this.ranges.get(node);
    if (!r) this.ranges.set(node, (r = rangeSweeps(node.children.map((c) => this.summary(c)))));
    const t = this.live.residual + this.live.activation + this.live.gradient;
    const i = r.argmax(a, b);
    const above = r.before[i]! - r.before[a]! + r.peakAbove[i]!;
    if (t + above > this.peak) {
      this.peak = t + above;
      this.peakLive = { ...this.live, activation: this.live.activation + above };
    }
    this.live.activation += r.before[b + 1]! - r.before[a]!;
    this.fwd += r.flops[b + 1]! - r.flops[a]!;
    let cover = this.covers.get(node);
    if (!cover) this.covers.set(node, (cover = new Float64Array(node.children.length + 1)));
    cover[a]! += 1;
    cover[b + 1]! -= 1;
    return r.outs[b]!;
  }
  /** A node's sweep summary, worked out once. */
  summary(node: TypedNode): Sweep {
    let sw = this.sweeps.get(node);
    if (!sw && node.kind === 'prim') {
      // A primitive's keep-nothing forward, directly: its outputs appear, then its inputs go.
      const { key, outSum, prim } = this.info(node);
      const ins = sum(sizes(node.inputs));
      sw = { peakAbove: outSum * this.bpe, delta: (outSum - ins) * this.bpe, flops: prim.cost.fwdFlops, calls: () => new Map([[key, 1]]), outs: this.info(node).outs };
      this.sweeps.set(node, sw);
    }
    if (!sw) {
      const sub = new Sim(this.bpe, this.planned, { sweeps: this.sweeps, ranges: this.ranges, prims: this.prims });
      const ins = sizes(node.inputs);
      sub.alloc('activation', sum(ins));
      const outs = fwdInner(sub, node, ins, false);
      const start = sum(ins) * this.bpe;
      // The calls are expanded only if someone asks for them (the planner does not).
      let calls: ReadonlyMap<string, number> | undefined;
      sw = { peakAbove: sub.peak - start, delta: sub.live.activation - start, flops: sub.fwd, calls: () => (calls ??= sub.allCalls()), outs };
      this.sweeps.set(node, sw);
    }
    return sw;
  }
  /** Forward calls per primitive, with the summarised sweeps expanded. */
  allCalls(): Map<string, number> {
    const out = new Map<string, number>();
    for (const f of this.prims.values()) {
      const n = this.calls[f.idx];
      if (n) out.set(f.key, (out.get(f.key) ?? 0) + n);
    }
    const add = (node: TypedNode, n: number) => {
      for (const [k, c] of this.summary(node).calls()) out.set(k, (out.get(k) ?? 0) + n * c);
    };
    for (const [node, n] of this.sweepCount) add(node, n);
    for (const [node, cover] of this.covers) {
      const kids = (node as TypedNode & { readonly children: readonly TypedNode[] }).children;
      let n = 0;
      for (let i = 0; i < kids.length; i++) if ((n += cover[i]!) > 0) add(kids[i]!, n);
    }
    return out;
  }
  keyOf(node: TypedNode): string {
    return keyOfNode(node);
  }
  info(node: TypedPrim): PrimFacts {
    let i = this.prims.get(node);
    if (!i) {
      const prim = this.planned.prim(node);
      const outs = sizes(prim.outputs);
      const nondiff = new Set(prim.def.nondiff?.(prim.attrs) ?? []);
      const dIns: W[] = prim.inputs.map((sh, k) => (nondiff.has(k) || prim.outputs.length === 0 ? null : sizeOf(sh)));
      i = { idx: this.prims.size, key: keyOfNode(node), outs, outSum: sum(outs), prim, dIns };
      this.prims.set(node, i);
    }
    return i;
  }
  constructor(
    readonly bpe: number,
    planned: Resolution,
    cache: SweepCache = sweepCache(),
  ) {
    this.planned = planned;
    this.sweeps = cache.sweeps;
    this.ranges = cache.ranges;
    this.prims = cache.prims;
  }
  alloc(k: MemoryKind, e: number): void {
    this.live[k] += e * this.bpe;
    const t = this.live.residual + this.live.activation + this.live.gradient;
    if (t > this.peak) {
      this.peak = t;
      this.peakLive = { ...this.live };
    }
  }
  free(k: MemoryKind, e: number): void {
    this.live[k] -= e * this.bpe;
  }
  keep(key: string, ws: readonly number[]): void {
    const e = sum(ws);
    this.store.set(key, e);
    this.alloc('residual', e);
    this.ckpt++;
    this.maxCkpt = Math.max(this.maxCkpt, this.ckpt);
  }
  take(key: string): void {
    const e = this.store.get(key);
    if (e === undefined) throw new Error(`simulate: no checkpoint '${key}'`);
    this.store.delete(key);
    this.free('residual', e);
    this.ckpt--;
    this.alloc('activation', e);
  }
}

const sum = (ws: readonly W[]): number => ws.reduce<number>((s, w) => s + (w ?? 0), 0);
const sizes = (shapes: readonly (readonly number[])[]): number[] => shapes.map(sizeOf);

type Item = { readonly leaf: number } | { readonly key: string; readonly first: number; readonly last: number; readonly items: readonly Item[] };

/** First and last child of a (non-empty) segment, along its first and last items: O(depth), not O(size). */
const rangeOf = (s: Schedule): [number, number] => {
  let a: Schedule | number = s;
  while (typeof a !== 'number') a = a[0]!;
  let b: Schedule | number = s;
  while (typeof b !== 'number') b = b[b.length - 1]!;
  return [a, b];
};

// Recursion as deep as the schedule nests (plans are checked to nest at most MAX_SCHEDULE_DEPTH).
const items = (key: string, s: Schedule): Item[] =>
  s.map((it) => {
    if (typeof it === 'number') return { leaf: it };
    const [a, b] = rangeOf(it);
    return { key: `${key}@${a}-${b}`, first: a, last: b, items: items(key, it) };
  });

/**
 * The sweeps of a `seq`'s children as prefix sums: `before[i]` is the activation change of sweeping
 * children `0..i-1`, `flops[i]` their flops; `argmax(a, b)` is the first `i` in `a..b` with the largest
 * `before[i] + peakAbove[i]` (where the meter peaks while sweeping `a..b`), from a sparse table.
 */
export interface RangeSweeps {
  readonly before: Float64Array;
  readonly flops: Float64Array;
  readonly peakAbove: Float64Array;
  readonly outs: readonly number[][];
  argmax(a: number, b: number): number;
}

const rangeSweeps = (sw: readonly Sweep[]): RangeSweeps => {
  const k = sw.length;
  const before = new Float64Array(k + 1);
  const flops = new Float64Array(k + 1);
  const peakAbove = Float64Array.from(sw, (s) => s.peakAbove);
  for (let i = 0; i < k; i++) {
    before[i + 1] = before[i]! + sw[i]!.delta;
    flops[i + 1] = flops[i]! + sw[i]!.flops;
  }
  const v = (i: number) => before[i]! + peakAbove[i]!;
  // table[j][i]: the first argmax of v over i .. i + 2^j − 1
  const table: Int32Array[] = [Int32Array.from({ length: k }, (_, i) => i)];
  for (let j = 1; 1 << j <= k; j++) {
    const prev = table[j - 1]!;
    const half = 1 << (j - 1);
    const row = new Int32Array(k - (1 << j) + 1);
    for (let i = 0; i < row.length; i++) {
      const x = prev[i]!;
      const y = prev[i + half]!;
      row[i] = v(y) > v(x) ? y : x;
    }
    table.push(row);
  }
  return {
    before,
    flops,
    peakAbove,
    outs: sw.map((s) => s.outs),
    argmax: (a, b) => {
      const j = 31 - Math.clz32(b - a + 1);
      const x = table[j]![a]!;
      const y = table[j]![b - (1 << j) + 1]!;
      return v(y) > v(x) ? y : x;
    },
  };
};

/** What a forward that keeps nothing does to the meter, relative to its start: worked out once per node. */
export interface Sweep {
  readonly peakAbove: number;
  readonly delta: number;
  readonly flops: number;
  /** Forward runs per primitive path of one sweep (worked out when first asked). */
  readonly calls: () => ReadonlyMap<string, number>;
  readonly outs: number[];
}

const remat = (sim: Sim, node: TypedNode): boolean => sim.planned.lens(node);

/** Forward of a node: mirrors `compile(...).fwd` of src/lower/program.ts; returns output wire sizes. */
const fwd = (sim: Sim, node: TypedNode, ins: readonly number[], store: boolean): number[] => {
  if (!store) return sim.sweep(node);
  const key = sim.keyOf(node);
  if (remat(sim, node)) {
    if (store) sim.keep(`${key}@`, ins);
    return fwdInner(sim, node, ins, false);
  }
  return fwdInner(sim, node, ins, store);
};

const fwdInner = (sim: Sim, node: TypedNode, ins: readonly number[], store: boolean): number[] => {
  if (node.kind === 'prim') {
    const { idx, outs, outSum, prim: p } = sim.info(node);
    sim.fwd += p.cost.fwdFlops;
    sim.calls[idx] = (sim.calls[idx] ?? 0) + 1;
    sim.alloc('activation', outSum);
    if (store) {
      sim.held[idx] = p.cost.residualElems;
      sim.alloc('residual', p.cost.residualElems);
    }
    sim.free('activation', sum(ins));
    return outs;
  }
  if (node.kind === 'seq') {
    const run = (its: readonly Item[], w: readonly number[], st: boolean): number[] => {
      for (const it of its) {
        if ('leaf' in it) w = fwd(sim, node.children[it.leaf]!, w, st);
        else {
          if (st) sim.keep(it.key, w);
          w = sim.sweepRange(node, it.first, it.last);
        }
      }
      return [...w];
    };
    return run(seqItems(sim, node), ins, store);
  }
  const outs: number[] = [];
  let o = 0;
  for (const c of node.children) {
    outs.push(...fwd(sim, c, ins.slice(o, o + c.inputs.length), store));
    o += c.inputs.length;
  }
  return outs;
};

const seqItems = (sim: Sim, node: TypedNode & { readonly children: readonly TypedNode[] }): Item[] => {
  let its = sim.items.get(node);
  if (!its) {
    const key = sim.keyOf(node);
    const s = sim.planned.schedule(node);
    its = s ? items(key, s) : node.children.map((_, i) => ({ leaf: i }));
    sim.items.set(node, its);
  }
  return its;
};

const zeros = (sim: Sim, gs: readonly W[], shapes: readonly (readonly number[])[]): number[] =>
  gs.map((g, j) => {
    if (g !== null) return g;
    const e = sizeOf(shapes[j]!);
    sim.alloc('gradient', e);
    return e;
  });

/** Backward of a node: mirrors `compile(...).bwd`; returns input gradient sizes (null: no gradient). */
const bwd = (sim: Sim, node: TypedNode, dOuts: readonly W[]): readonly W[] => {
  const key = sim.keyOf(node);
  if (remat(sim, node)) {
    sim.take(`${key}@`);
    const outs = fwdInner(sim, node, sizes(node.inputs), true);
    sim.free('activation', sum(outs));
  }
  if (node.kind === 'prim') {
    const { idx, prim: p, dIns } = sim.info(node);
    const r = sim.held[idx];
    if (r === undefined) throw new Error(`simulate: no residual for '${key}'`);
    sim.held[idx] = undefined;
    sim.bwd += p.cost.bwdFlops;
    sim.alloc('gradient', sum(dIns));
    sim.free('gradient', sum(dOuts));
    sim.free('residual', r);
    return dIns;
  }
  if (node.kind === 'seq') {
    const runFwd = (its: readonly Item[], w: readonly number[]): number[] => {
      for (const it of its) {
        if ('leaf' in it) w = fwd(sim, node.children[it.leaf]!, w, true);
        else {
          sim.keep(it.key, w);
          w = sim.sweepRange(node, it.first, it.last);
        }
      }
      return [...w];
    };
    const run = (its: readonly Item[], g: readonly W[]): W[] => {
      for (let i = its.length - 1; i >= 0; i--) {
        const it = its[i]!;
        if ('leaf' in it) {
          const c = node.children[it.leaf]!;
          g = bwd(sim, c, zeros(sim, g, c.outputs));
        } else {
          sim.take(it.key);
          const outs = runFwd(it.items, sizes(node.children[it.first]!.inputs));
          sim.free('activation', sum(outs));
          g = run(it.items, g);
        }
      }
      return [...g];
    };
    return run(seqItems(sim, node), dOuts);
  }
  const dIns: W[] = [];
  let o = 0;
  for (const c of node.children) {
    const slice = dOuts.slice(o, o + c.outputs.length);
    o += c.outputs.length;
    dIns.push(...bwd(sim, c, zeros(sim, slice, c.outputs)));
  }
  return dIns;
};

/**
 * Predict one forward + backward under `plan`: peak bytes of live residual entries and wires, flops
 * (with recomputation) and checkpoints, following the accounting rules of `MemoryMeter`.
 *
 * @example
 * simulate(model, { schedules: { '': [[0, 1], 2, 3] } }, 4).peakBytes
 */
export const simulate = (model: TypedModel | PlannedModel, plan: Plan, bytesPerElem: number, cache?: SweepCache): Prediction => {
  const res = 'model' in model ? fromPlanned(model) : resolve(model, plan);
  const root = 'model' in model ? model.model.root : model.root;
  const sim = new Sim(bytesPerElem, res, cache);
  const ins = sizes(root.inputs);
  sim.alloc('activation', sum(ins));
  const outs = fwd(sim, root, ins, true);
  sim.free('activation', sum(outs));
  const residualBytes = sim.live.residual;
  sim.alloc('gradient', sum(outs));
  const dIns = bwd(sim, root, outs);
  sim.free('gradient', sum(dIns));
  const once = res.onceFwdFlops(root);
  let calls: ReadonlyMap<string, number> | undefined;
  return {
    peakBytes: sim.peak,
    peakLive: sim.peakLive,
    fwdFlops: sim.fwd,
    recomputeFlops: sim.fwd - once,
    bwdFlops: sim.bwd,
    flops: sim.fwd + sim.bwd,
    residualBytes,
    maxCheckpoints: sim.maxCkpt,
    // Expanded on first use: the planner, which simulates many plans, never asks.
    get forwardCalls() {
      return (calls ??= sim.allCalls());
    },
  };
};

/** How a simulation sees the plan: per node, lens form, schedule and the primitive under its variant. */
interface Resolution {
  lens(node: TypedNode): boolean;
  schedule(node: TypedNode): Schedule | undefined;
  prim(node: TypedPrim): TypedPrim;
  /** Forward flops of running every primitive once, under the plan's variants. */
  onceFwdFlops(root: TypedNode): number;
}

/** A resolution read off a planned model (the planned tree mirrors the term; pair them up). */
const fromPlanned = (pm: PlannedModel): Resolution => {
  const byNode = new Map<TypedNode, PlannedNode>();
  const all: [TypedNode, PlannedNode][] = [[pm.model.root, pm.root]];
  while (all.length) {
    const [t, n] = all.pop()!;
    byNode.set(t, n);
    if (t.kind !== 'prim' && n.kind !== 'prim') t.children.forEach((c, i) => all.push([c, n.children[i]!]));
  }
  return {
    lens: (node) => byNode.get(node)!.lens,
    schedule: (node) => (byNode.get(node) as PlannedNode & { kind: 'seq' }).schedule,
    prim: (node) => (byNode.get(node) as PlannedNode & { kind: 'prim' }).node,
    onceFwdFlops: () => plannedPrims(pm).reduce((s, p) => s + p.node.cost.fwdFlops, 0),
  };
};

/** Nodes by key, once per model (the planner simulates one model under many plans). */
const modelNodes = new WeakMap<TypedModel, ReadonlyMap<string, TypedNode>>();

const own = <V>(rec: Readonly<Record<string, V>> | undefined, k: string): V | undefined =>
  rec !== undefined && Object.prototype.hasOwnProperty.call(rec, k) ? rec[k] : undefined;

/**
 * A plan checked against a model (as `applyPlan` checks it: a `SpecError` for a bad plan) and read
 * lazily, node by node, as the simulation reaches them: no planned copy of a long chain per plan.
 */
const resolve = (model: TypedModel, plan: Plan): Resolution => {
  let nodes = modelNodes.get(model);
  if (!nodes) modelNodes.set(model, (nodes = nodesByKey(model)));
  const problem = planProblem(model, plan, nodes);
  if (problem) throw problem;
  const remat = new Set(plan.remat ?? []);
  const prims = new Map<TypedPrim, TypedPrim>();
  const prim = (node: TypedPrim): TypedPrim => {
    let p = prims.get(node);
    if (!p) {
      const v = own(plan.variants, keyOfNode(node));
      prims.set(node, (p = v === undefined ? node : withVariant(node, v)));
    }
    return p;
  };
  return {
    lens: (node) => remat.size > 0 && remat.has(keyOfNode(node)),
    schedule: (node) => (node.kind === 'seq' ? own(plan.schedules, keyOfNode(node)) : undefined),
    prim,
    onceFwdFlops: (root) => {
      let f = 0;
      const stack: TypedNode[] = [root];
      while (stack.length) {
        const n = stack.pop()!;
        if (n.kind === 'prim') f += prim(n).cost.fwdFlops;
        else for (const c of n.children) stack.push(c);
      }
      return f;
    },
  };
};
