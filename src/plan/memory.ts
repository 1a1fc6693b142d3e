import type { TypedModel, TypedNode, TypedPrim } from '../term/check';
import { sizeOf } from '../tensor/shape';
import { type Plan, type Schedule, pathKey, segmentRange } from './plan';
import type { MemoryKind } from '../lower/meter';
import { type PlannedModel, type PlannedNode, applyPlanOrThrow, plannedPrims } from './apply';

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

class Sim {
  readonly live: Record<MemoryKind, number> = { residual: 0, activation: 0, gradient: 0 };
  peak = 0;
  peakLive: Record<MemoryKind, number> = { residual: 0, activation: 0, gradient: 0 };
  fwd = 0;
  bwd = 0;
  ckpt = 0;
  maxCkpt = 0;
  readonly calls = new Map<string, number>();
  readonly store = new Map<string, number>();
  /** The plan resolved against the model, by node. */
  readonly planned: ReadonlyMap<TypedNode, PlannedNode>;
  /** Per-primitive facts under the plan, worked out once (path key, output sizes, cost). */
  readonly prims = new Map<TypedNode, { key: string; outs: number[]; outSum: number; prim: TypedPrim; nondiff: ReadonlySet<number> }>();
  readonly keys = new Map<TypedNode, string>();
  readonly items = new Map<TypedNode, Item[]>();
  readonly sweeps = new Map<TypedNode, Sweep>();
  /** How many times each node ran a keep-nothing forward (expanded into `calls` at the end). */
  readonly sweepCount = new Map<TypedNode, number>();
  /** A keep-nothing forward of `node`, applied from its summary (exactly what running it would do). */
  sweep(node: TypedNode): number[] {
    let sw = this.sweeps.get(node);
    if (!sw) {
      const sub = new Sim(this.bpe, this.planned);
      const ins = sizes(node.inputs);
      sub.alloc('activation', sum(ins));
      const outs = fwdInner(sub, node, ins, false);
      const start = sum(ins) * this.bpe;
      sw = { peakAbove: sub.peak - start, delta: sub.live.activation - start, flops: sub.fwd, calls: sub.allCalls(), outs };
      this.sweeps.set(node, sw);
    }
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
  /** Forward calls per primitive, with the summarised sweeps expanded. */
  allCalls(): Map<string, number> {
    const out = new Map(this.calls);
    for (const [node, n] of this.sweepCount) for (const [k, c] of this.sweeps.get(node)!.calls) out.set(k, (out.get(k) ?? 0) + n * c);
    return out;
  }
  keyOf(node: TypedNode): string {
    let k = this.keys.get(node);
    if (k === undefined) this.keys.set(node, (k = pathKey(node.path)));
    return k;
  }
  info(node: TypedPrim) {
    let i = this.prims.get(node);
    if (!i) {
      const prim = (this.planned.get(node) as PlannedNode & { kind: 'prim' }).node;
      const outs = sizes(prim.outputs);
      i = { key: pathKey(node.path), outs, outSum: sum(outs), prim, nondiff: new Set(prim.def.nondiff?.(prim.attrs) ?? []) };
      this.prims.set(node, i);
    }
    return i;
  }
  constructor(
    readonly bpe: number,
    planned: ReadonlyMap<TypedNode, PlannedNode>,
  ) {
    this.planned = planned;
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
const items = (key: string, s: Schedule): Item[] =>
  s.map((it) => {
    if (typeof it === 'number') return { leaf: it };
    const [a, b] = segmentRange(it);
    return { key: `${key}@${a}-${b}`, first: a, last: b, items: items(key, it) };
  });

/** What a forward that keeps nothing does to the meter, relative to its start: worked out once per node. */
interface Sweep {
  readonly peakAbove: number;
  readonly delta: number;
  readonly flops: number;
  readonly calls: ReadonlyMap<string, number>;
  readonly outs: number[];
}

const remat = (sim: Sim, node: TypedNode): boolean => sim.planned.get(node)!.lens;

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
    const { key, outs, outSum, prim: p } = sim.info(node);
    sim.fwd += p.cost.fwdFlops;
    sim.calls.set(key, (sim.calls.get(key) ?? 0) + 1);
    sim.alloc('activation', outSum);
    if (store) {
      sim.store.set(key, p.cost.residualElems);
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
          for (let i = it.first; i <= it.last; i++) w = fwd(sim, node.children[i]!, w, false);
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
    const s = (sim.planned.get(node) as PlannedNode & { kind: 'seq' }).schedule;
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
const bwd = (sim: Sim, node: TypedNode, dOuts: readonly W[]): W[] => {
  const key = sim.keyOf(node);
  if (remat(sim, node)) {
    sim.take(`${key}@`);
    const outs = fwdInner(sim, node, sizes(node.inputs), true);
    sim.free('activation', sum(outs));
  }
  if (node.kind === 'prim') {
    const { prim: p, nondiff } = sim.info(node);
    const dIns: W[] = p.inputs.map((s, i) => (nondiff.has(i) || p.outputs.length === 0 ? null : sizeOf(s)));
    const r = sim.store.get(key);
    if (r === undefined) throw new Error(`simulate: no residual for '${key}'`);
    sim.store.delete(key);
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
          for (let j = it.first; j <= it.last; j++) w = fwd(sim, node.children[j]!, w, false);
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
export const simulate = (model: TypedModel | PlannedModel, plan: Plan, bytesPerElem: number): Prediction => {
  const pm = 'model' in model ? model : applyPlanOrThrow(model, plan);
  // The planned tree mirrors the term; pair them up (a planned primitive is a copy with its variant).
  const byNode = new Map<TypedNode, PlannedNode>();
  const all: [TypedNode, PlannedNode][] = [[pm.model.root, pm.root]];
  while (all.length) {
    const [t, n] = all.pop()!;
    byNode.set(t, n);
    if (t.kind !== 'prim' && n.kind !== 'prim') t.children.forEach((c, i) => all.push([c, n.children[i]!]));
  }
  const sim = new Sim(bytesPerElem, byNode);
  const root = pm.model.root;
  const ins = sizes(root.inputs);
  sim.alloc('activation', sum(ins));
  const outs = fwd(sim, root, ins, true);
  sim.free('activation', sum(outs));
  const residualBytes = sim.live.residual;
  sim.alloc('gradient', sum(outs));
  const dIns = bwd(sim, root, outs);
  sim.free('gradient', sum(dIns));
  const once = onceFwdFlops(pm);
  return {
    peakBytes: sim.peak,
    peakLive: sim.peakLive,
    fwdFlops: sim.fwd,
    recomputeFlops: sim.fwd - once,
    bwdFlops: sim.bwd,
    flops: sim.fwd + sim.bwd,
    residualBytes,
    maxCheckpoints: sim.maxCkpt,
    forwardCalls: sim.allCalls(),
  };
};

/** Forward flops of running every primitive once under the plan's variants. */
const onceFwdFlops = (pm: PlannedModel): number => plannedPrims(pm).reduce((s, p) => s + p.node.cost.fwdFlops, 0);
