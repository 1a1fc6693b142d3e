import * as E from 'fp-ts/lib/Either.js';
import type { Backend, Kernel, Params, Residual } from '../backend/backend';
import { MissingKernelError } from '../backend/backend';
import { type TypedModel, type TypedNode, type TypedPrim, keyOf } from '../term/check';
import { SpecError } from '../term/error';
import { sizeOf } from '../tensor/shape';
import { type Plan, type Schedule, pathKey, scheduleProblem, segmentRange } from './plan';

/**
 * What a program keeps between forward and backward: per node (by path key), a flat named record of
 * backend tensors. A node run in lens form keeps only its inputs, under `in0`, `in1`, ... at key
 * `path@`; a checkpointed schedule segment of a `seq` keeps its inputs at `path@first-last`.
 */
export interface ProgramResidual<T> {
  readonly nodes: ReadonlyMap<string, Residual<T>>;
  /** The parameters the forward pass used (held by reference, not counted as residual). */
  readonly params: Params<T>;
}

/** What a meter counts: stored residual entries, forward wires, backward (gradient) wires. */
export type MemoryKind = 'residual' | 'activation' | 'gradient';

/**
 * The memory accounting of a running program (and, in `src/plan`, of its prediction).
 *
 * Accounting rules — the same for the measurement here and the prediction in `src/plan/memory.ts`:
 * - Counted: every residual *entry* the program holds (a primitive's residual tensors, the inputs a lens
 *   node or a checkpointed segment keeps), every forward *wire* (activation) and every backward wire
 *   (gradient) alive between boxes. Not counted: parameters and parameter gradients (fixed by the model,
 *   not by the plan), and temporaries inside a kernel call.
 * - Counting is per entry and per wire, by shape: a tensor on two wires (after `copy`), or held by two
 *   residual entries (a `linear` keeping its input that the previous box also kept), is counted twice.
 *   So the numbers depend only on shapes and the plan, never on how a backend aliases memory.
 * - A primitive's call: its outputs (and, if it stores, its residual) are added, then its inputs dropped —
 *   so the peak includes inputs and outputs of the box being run. Backward likewise: input gradients added,
 *   then output gradients and the residual entry dropped. A `null` gradient is not a tensor; when a `seq`
 *   or `par` turns it into zeros for the next box, the zeros are counted.
 * - The model's inputs are live when forward starts and its outputs are handed back (dropped) when it ends;
 *   the residual stays live until backward consumes it; output gradients are live when backward starts and
 *   input gradients are handed back when it ends. A full forward + backward returns `live` to zero.
 */
export class MemoryMeter {
  /** Bytes currently held, by kind. */
  readonly live: Record<MemoryKind, number> = { residual: 0, activation: 0, gradient: 0 };
  /** Highest total of `live` seen. */
  peak = 0;
  /** `live` at the moment of the peak. */
  peakLive: Record<MemoryKind, number> = { residual: 0, activation: 0, gradient: 0 };
  /** Forward flops run (first sweep and recomputation), backward flops run; from each primitive's `cost`. */
  readonly flops = { forward: 0, backward: 0 };
  /** How many times each primitive (by path key) ran forward. */
  readonly forwardCalls = new Map<string, number>();
  /** Largest number of checkpoint entries (lens inputs, schedule segments) held at once. */
  maxCheckpoints = 0;
  checkpoints = 0;
  constructor(readonly bytesPerElem: number) {}
  get total(): number {
    return this.live.residual + this.live.activation + this.live.gradient;
  }
  alloc(kind: MemoryKind, elems: number): void {
    this.live[kind] += elems * this.bytesPerElem;
    const t = this.total;
    if (t > this.peak) {
      this.peak = t;
      this.peakLive = { ...this.live };
    }
  }
  free(kind: MemoryKind, elems: number): void {
    this.live[kind] -= elems * this.bytesPerElem;
  }
}

/** Bytes per element of a backend's dtype. */
export const bytesPerElem = (dtype: 'float32' | 'float64'): number => (dtype === 'float64' ? 8 : 4);

/** An executable optic: a checked term on one backend under one plan. */
export interface Program<T> {
  readonly backend: string;
  readonly model: TypedModel;
  readonly plan: Plan;
  /** Run forward; with a `meter`, account every residual entry and wire (see `MemoryMeter`). */
  forward(params: Params<T>, inputs: readonly T[], meter?: MemoryMeter): { outputs: T[]; residual: ProgramResidual<T> };
  /** Run backward; never mutates `residual` (it works on its own copy of the entry map). */
  backward(
    residual: ProgramResidual<T>,
    dOutputs: readonly T[],
    meter?: MemoryMeter,
  ): { dInputs: (T | null)[]; dParams: Record<string, T> };
}

type Store<T> = Map<string, Residual<T>>;

/** Per-run context: parameters, gradients being collected, the meter (or null) and element counting. */
interface Ctx<T> {
  readonly params: Params<T>;
  readonly dParams: Record<string, T>;
  readonly meter: MemoryMeter | null;
  readonly elems: (t: T) => number;
}

const wires = <T>(ctx: Ctx<T>, ts: readonly (T | null)[]): number => ts.reduce((s, t) => s + (t === null ? 0 : ctx.elems(t)), 0);
const entryElems = <T>(ctx: Ctx<T>, r: Residual<T>): number => Object.values(r).reduce((s, t) => s + ctx.elems(t), 0);

/**
 * A compiled node. `fwd` with a store keeps what the plan says; with `null` it keeps nothing (a
 * sweep inside a lens segment). `bwd` consumes (deletes) the entries it uses from the store.
 */
interface Compiled<T> {
  readonly node: TypedNode;
  fwd(ctx: Ctx<T>, inputs: readonly T[], store: Store<T> | null): T[];
  bwd(ctx: Ctx<T>, store: Store<T>, dOutputs: readonly T[]): (T | null)[];
}

const ins = (n: number): string[] => Array.from({ length: n }, (_, i) => `in${i}`);

/** Flatten a program residual to `path:name → tensor`, the form that is counted and inspected. */
export const flatResidual = <T>(r: ProgramResidual<T>): Record<string, T> => {
  const out: Record<string, T> = {};
  for (const [k, rec] of r.nodes) for (const [name, t] of Object.entries(rec)) out[`${k}:${name}`] = t;
  return out;
};

/** Elements held in a residual (each stored tensor counted once per entry). */
export const residualElems = <T>(backend: Backend<T>, r: ProgramResidual<T>): number =>
  Object.values(flatResidual(r)).reduce((s, t) => s + sizeOf(backend.shapeOf(t)), 0);

const withVariant = (node: TypedPrim, variant: string | undefined): E.Either<SpecError, TypedPrim> => {
  if (variant === undefined || variant === node.variant) return E.right(node);
  if (!node.def.variants.includes(variant))
    return E.left(new SpecError(node.path, `plan asks for variant '${variant}'; expected one of ${node.def.variants.join(', ')}`, node.def.name));
  return E.right({ ...node, variant, cost: node.def.cost(node.attrs, node.inputs, variant) });
};

/** Keep `inputs` as a checkpoint entry (lens node or schedule segment). */
const keep = <T>(ctx: Ctx<T>, store: Store<T>, key: string, inputs: readonly T[]): void => {
  const kept: Record<string, T> = {};
  inputs.forEach((x, i) => (kept[`in${i}`] = x));
  store.set(key, kept);
  const m = ctx.meter;
  if (m) {
    m.alloc('residual', wires(ctx, inputs));
    m.checkpoints++;
    m.maxCheckpoints = Math.max(m.maxCheckpoints, m.checkpoints);
  }
};

/** Move a checkpoint entry back onto wires (it leaves the store: dropped, then put on wires). */
const take = <T>(ctx: Ctx<T>, store: Store<T>, key: string, n: number): T[] => {
  const kept = store.get(key);
  if (!kept) throw new Error(`internal: the residual has no checkpoint '${key}' (was backward run twice on one store?)`);
  store.delete(key);
  const xs = ins(n).map((k) => kept[k]!);
  const m = ctx.meter;
  if (m) {
    m.free('residual', wires(ctx, xs));
    m.checkpoints--;
    m.alloc('activation', wires(ctx, xs));
  }
  return xs;
};

const compile = <T>(backend: Backend<T>, node: TypedNode, plan: Plan, remat: Set<string>): E.Either<Error, Compiled<T>> => {
  const key = pathKey(node.path);
  const inner = compileInner(backend, node, plan, remat);
  if (E.isLeft(inner) || !remat.has(key)) return inner;
  const c = inner.right;
  // Lens form: keep the inputs; in backward re-run the forward (keeping what the plan says inside).
  const rkey = `${key}@`;
  return E.right({
    node,
    fwd(ctx, inputs, store) {
      if (store) keep(ctx, store, rkey, inputs);
      return c.fwd(ctx, inputs, null);
    },
    bwd(ctx, store, dOutputs) {
      const xs = take(ctx, store, rkey, node.inputs.length);
      const outs = c.fwd(ctx, xs, store);
      ctx.meter?.free('activation', wires(ctx, outs));
      return c.bwd(ctx, store, dOutputs);
    },
  });
};

/** A schedule with its segments' checkpoint keys worked out once. */
type Item = { readonly leaf: number } | { readonly key: string; readonly first: number; readonly items: readonly Item[] };
const compileSchedule = (key: string, s: Schedule): Item[] =>
  s.map((it) => {
    if (typeof it === 'number') return { leaf: it };
    const [a, b] = segmentRange(it);
    return { key: `${key}@${a}-${b}`, first: a, items: compileSchedule(key, it) };
  });

const compileInner = <T>(backend: Backend<T>, node: TypedNode, plan: Plan, remat: Set<string>): E.Either<Error, Compiled<T>> => {
  const key = pathKey(node.path);
  if (node.kind === 'prim') {
    const v = withVariant(node, plan.variants?.[key]);
    if (E.isLeft(v)) return v;
    const prim = v.right;
    const kernel: Kernel<T> | undefined = backend.kernel(prim.def.name);
    if (!kernel) return E.left(new MissingKernelError(backend.name, prim.def.name, prim.path));
    const locals = Object.keys(prim.params);
    const localParams = (params: Params<T>): Params<T> => {
      const p: Record<string, T> = {};
      for (const l of locals) {
        const k = keyOf(prim.path, l);
        const t = params[k];
        if (t === undefined) throw new SpecError(prim.path, `missing parameter '${k}'`, prim.def.name);
        p[l] = t;
      }
      return p;
    };
    return E.right({
      node: prim,
      fwd(ctx, inputs, store) {
        const { outputs, residual } = kernel.forward(prim, localParams(ctx.params), inputs);
        const m = ctx.meter;
        if (m) {
          m.flops.forward += prim.cost.fwdFlops;
          m.forwardCalls.set(key, (m.forwardCalls.get(key) ?? 0) + 1);
          m.alloc('activation', wires(ctx, outputs));
        }
        if (store) {
          store.set(key, residual);
          m?.alloc('residual', entryElems(ctx, residual));
        }
        m?.free('activation', wires(ctx, inputs));
        return outputs;
      },
      bwd(ctx, store, dOutputs) {
        const r = store.get(key);
        if (!r) throw new Error(`internal: the residual has no entry for '${key}' (was backward run twice on one store?)`);
        const { dInputs, dParams: dp } = kernel.backward(prim, localParams(ctx.params), r, dOutputs);
        for (const [l, g] of Object.entries(dp)) ctx.dParams[keyOf(prim.path, l)] = g;
        store.delete(key);
        const m = ctx.meter;
        if (m) {
          m.flops.backward += prim.cost.bwdFlops;
          m.alloc('gradient', wires(ctx, dInputs));
          m.free('gradient', wires(ctx, dOutputs));
          m.free('residual', entryElems(ctx, r));
        }
        return dInputs;
      },
    });
  }
  const children: Compiled<T>[] = [];
  for (const ch of node.children) {
    const c = compile(backend, ch, plan, remat);
    if (E.isLeft(c)) return c;
    children.push(c.right);
  }
  const zerosFor = (ctx: Ctx<T>, gs: readonly (T | null)[], shapes: readonly (readonly number[])[]): T[] =>
    gs.map((g, j) => {
      if (g !== null) return g;
      ctx.meter?.alloc('gradient', sizeOf(shapes[j]!));
      return backend.zeros(shapes[j]!);
    });
  if (node.kind === 'seq') {
    const sched = plan.schedules?.[key];
    const items: Item[] = sched ? compileSchedule(key, sched) : node.children.map((_, i) => ({ leaf: i }));
    const runFwd = (ctx: Ctx<T>, its: readonly Item[], inputs: readonly T[], store: Store<T> | null): T[] => {
      let w: readonly T[] = inputs;
      for (const it of its) {
        if ('leaf' in it) w = children[it.leaf]!.fwd(ctx, w, store);
        else {
          if (store) keep(ctx, store, it.key, w);
          w = runFwd(ctx, it.items, w, null);
        }
      }
      return [...w];
    };
    const runBwd = (ctx: Ctx<T>, its: readonly Item[], store: Store<T>, dOutputs: readonly (T | null)[]): (T | null)[] => {
      let g: readonly (T | null)[] = dOutputs;
      for (let i = its.length - 1; i >= 0; i--) {
        const it = its[i]!;
        if ('leaf' in it) {
          const c = children[it.leaf]!;
          g = c.bwd(ctx, store, zerosFor(ctx, g, c.node.outputs));
        } else {
          const xs = take(ctx, store, it.key, children[it.first]!.node.inputs.length);
          const outs = runFwd(ctx, it.items, xs, store);
          ctx.meter?.free('activation', wires(ctx, outs));
          g = runBwd(ctx, it.items, store, g);
        }
      }
      return [...g];
    };
    return E.right({
      node,
      fwd: (ctx, inputs, store) => runFwd(ctx, items, inputs, store),
      bwd: (ctx, store, dOutputs) => runBwd(ctx, items, store, dOutputs),
    });
  }
  return E.right({
    node,
    fwd(ctx, inputs, store) {
      const outs: T[] = [];
      let o = 0;
      for (const c of children) {
        outs.push(...c.fwd(ctx, inputs.slice(o, o + c.node.inputs.length), store));
        o += c.node.inputs.length;
      }
      return outs;
    },
    bwd(ctx, store, dOutputs) {
      const dIns: (T | null)[] = [];
      let o = 0;
      for (const c of children) {
        const slice = dOutputs.slice(o, o + c.node.outputs.length);
        o += c.node.outputs.length;
        dIns.push(...c.bwd(ctx, store, zerosFor(ctx, slice, c.node.outputs)));
      }
      return dIns;
    },
  });
};

/** The node at a plan key, or undefined. */
export const findNode = (node: TypedNode, key: string): TypedNode | undefined => {
  const k = pathKey(node.path);
  if (k === key) return node;
  if (node.kind === 'prim' || (k !== '' && !key.startsWith(`${k}.`))) return undefined;
  for (const c of node.children) {
    const f = findNode(c, key);
    if (f) return f;
  }
  return undefined;
};

/** Why a plan does not fit a model (unknown node, variant on a composite, bad schedule), or null. */
export const planProblem = (model: TypedModel, plan: Plan): SpecError | null => {
  const remat = new Set(plan.remat ?? []);
  const toPath = (k: string) => (k === '' ? [] : k.split('.'));
  for (const k of [...remat, ...Object.keys(plan.variants ?? {}), ...Object.keys(plan.schedules ?? {})]) {
    const n = findNode(model.root, k);
    if (!n) return new SpecError(toPath(k), `plan refers to a node that does not exist`);
    if (plan.variants?.[k] !== undefined && n.kind !== 'prim' && !remat.has(k))
      return new SpecError(n.path, `plan gives a variant to a composite node; variants belong to primitives`);
  }
  for (const [k, s] of Object.entries(plan.schedules ?? {})) {
    const n = findNode(model.root, k)!;
    if (n.kind !== 'seq') return new SpecError(n.path, `plan gives a checkpoint schedule to a ${n.kind === 'prim' ? 'primitive' : 'par'}; schedules belong to seq nodes`);
    const p = scheduleProblem(s, n.children.length);
    if (p) return new SpecError(n.path, `bad checkpoint schedule: ${p}`);
  }
  return null;
};

/**
 * Lower a checked term to an executable program on a backend under a plan. Fails (never throws)
 * with a `SpecError` for a plan naming an unknown node, variant or a bad schedule, or a `MissingKernelError`.
 *
 * @example
 * const prog = lower(checkOrThrow(seq(prim('linear', {out: 2})), [[4, 3]]), jsBackend(), storeAll);
 */
export const lower = <T>(model: TypedModel, backend: Backend<T>, plan: Plan = {}): E.Either<Error, Program<T>> => {
  const remat = new Set(plan.remat ?? []);
  const problem = planProblem(model, plan);
  if (problem) return E.left(problem);
  const c = compile(backend, model.root, plan, remat);
  if (E.isLeft(c)) return c;
  const root = c.right;
  const elems = (t: T): number => sizeOf(backend.shapeOf(t));
  const checkInputs = (what: string, ts: readonly T[], shapes: readonly (readonly number[])[]) => {
    if (ts.length !== shapes.length) throw new SpecError([], `${what}: expected ${shapes.length} tensor(s), got ${ts.length}`);
    ts.forEach((t, i) => {
      const s = backend.shapeOf(t);
      if (s.length !== shapes[i]!.length || s.some((d, j) => d !== shapes[i]![j]))
        throw new SpecError([], `${what} ${i}: expected shape [${shapes[i]!.join(',')}], got [${s.join(',')}]`);
    });
  };
  return E.right({
    backend: backend.name,
    model,
    plan,
    forward(params, inputs, meter) {
      checkInputs('input', inputs, model.root.inputs);
      for (const [k, info] of model.params) {
        const t = params[k];
        if (t === undefined) throw new SpecError(info.node.path, `missing parameter '${k}'`, info.node.def.name);
        checkInputs(`parameter '${k}'`, [t], [info.shape]);
      }
      const ctx: Ctx<T> = { params, dParams: {}, meter: meter ?? null, elems };
      const store: Store<T> = new Map();
      meter?.alloc('activation', wires(ctx, inputs));
      const outputs = root.fwd(ctx, inputs, store);
      meter?.free('activation', wires(ctx, outputs));
      return { outputs, residual: { nodes: store, params } };
    },
    backward(residual, dOutputs, meter) {
      checkInputs('output gradient', dOutputs, model.root.outputs);
      const ctx: Ctx<T> = { params: residual.params, dParams: {}, meter: meter ?? null, elems };
      meter?.alloc('gradient', wires(ctx, dOutputs));
      const dInputs = root.bwd(ctx, new Map(residual.nodes), dOutputs);
      meter?.free('gradient', wires(ctx, dInputs));
      const dParams = ctx.dParams;
      for (const [k, info] of model.params) if (!dParams[k]) dParams[k] = backend.zeros(info.shape);
      return { dInputs, dParams };
    },
  });
};

/** `lower`, throwing its error — for scripts and examples. */
export const lowerOrThrow = <T>(model: TypedModel, backend: Backend<T>, plan: Plan = {}): Program<T> => {
  const r = lower(model, backend, plan);
  if (E.isLeft(r)) throw r.left;
  return r.right;
};

/**
 * Run forward then backward with a fresh `MemoryMeter` (outputs handed back in between) and return
 * the meter: the measured peak bytes, flops and forward calls of one training step under the program's plan.
 */
export const measureRun = <T>(
  program: Program<T>,
  backend: Backend<T>,
  params: Params<T>,
  inputs: readonly T[],
  dOutputs: readonly T[],
): { meter: MemoryMeter; outputs: T[]; dInputs: (T | null)[]; dParams: Record<string, T> } => {
  const meter = new MemoryMeter(bytesPerElem(backend.dtype));
  const { outputs, residual } = program.forward(params, inputs, meter);
  const { dInputs, dParams } = program.backward(residual, dOutputs, meter);
  return { meter, outputs, dInputs, dParams };
};

/**
 * The 2-cell between two plans of one model: from a plan that recomputes more (`source`) to one that
 * stores more (`target`). Its map `r` turns a source residual into the target residual by running
 * the forward pass of each segment that the source keeps in lens form and the target does not.
 * (T1) and (T2) of DESIGN.md hold: see `laws/plan.ts`. Both plans must choose the same variants and
 * the same checkpoint schedules, and recompute the same nodes inside a schedule; `planDecomposition`
 * writes a plan as a chain of such 2-cells out of its all-recompute form.
 */
export interface PlanTwoCell<T> {
  readonly source: Program<T>;
  readonly target: Program<T>;
  r(m: ProgramResidual<T>): ProgramResidual<T>;
}

export const planTwoCell = <T>(model: TypedModel, backend: Backend<T>, source: Plan, target: Plan): E.Either<Error, PlanTwoCell<T>> => {
  const sRemat = new Set(source.remat ?? []);
  const tRemat = new Set(target.remat ?? []);
  for (const k of tRemat)
    if (!sRemat.has(k)) return E.left(new SpecError(k ? k.split('.') : [], `target plan recomputes '${k}' but the source stores it: no 2-cell in this direction`));
  const same = JSON.stringify(source.variants ?? {}) === JSON.stringify(target.variants ?? {});
  if (!same) return E.left(new Error('planTwoCell: plans must choose the same variants (variant 2-cells belong to primitives)'));
  if (JSON.stringify(source.schedules ?? {}) !== JSON.stringify(target.schedules ?? {}))
    return E.left(new Error('planTwoCell: plans must choose the same checkpoint schedules'));
  // Inside a checkpoint-scheduled seq the residual is laid out by the schedule, so `r` can only carry
  // it over unchanged: the two plans must recompute the same nodes there.
  for (const seqKey of Object.keys(source.schedules ?? {})) {
    const seqNode = findNode(model.root, seqKey);
    for (const k of sRemat)
      if (!tRemat.has(k) && k !== seqKey && seqNode && findNode(seqNode, k))
        return E.left(
          new SpecError(k ? k.split('.') : [], `lies inside the checkpoint-scheduled seq '${seqKey}': a plan 2-cell cannot change what is recomputed inside a schedule`),
        );
  }
  const sp = lower(model, backend, source);
  if (E.isLeft(sp)) return sp;
  const tp = lower(model, backend, target);
  if (E.isLeft(tp)) return tp;
  const targetRemat = tRemat;
  const r = (m: ProgramResidual<T>): ProgramResidual<T> => {
    const out = new Map<string, Residual<T>>();
    const walk = (node: TypedNode): void => {
      const key = pathKey(node.path);
      const rkey = `${key}@`;
      if (sRemat.has(key) && !targetRemat.has(key)) {
        const kept = m.nodes.get(rkey)!;
        // Re-run this segment under the target plan, from its stored inputs, into the new residual.
        const inside = (k: string): boolean => findNode(node, k) !== undefined;
        const pick = <V>(rec: Readonly<Record<string, V>> | undefined) => Object.fromEntries(Object.entries(rec ?? {}).filter(([k]) => inside(k)));
        const seg = lowerOrThrow({ root: node, params: model.params }, backend, {
          remat: [...targetRemat].filter(inside),
          variants: pick(target.variants),
          schedules: pick(target.schedules),
        });
        const { residual } = seg.forward(m.params, ins(node.inputs.length).map((k) => kept[k]!));
        for (const [k, v] of residual.nodes) out.set(k, v);
        return;
      }
      if (sRemat.has(key)) {
        out.set(rkey, m.nodes.get(rkey)!);
        return;
      }
      if (node.kind === 'prim') {
        out.set(key, m.nodes.get(key)!);
        return;
      }
      // Checkpoint entries of a scheduled seq, and everything inside it, carry over unchanged.
      if (source.schedules?.[key]) {
        for (const [k, v] of m.nodes) if (k.startsWith(`${key}@`) || (key === '' ? true : k.startsWith(`${key}.`))) if (!out.has(k)) out.set(k, v);
        return;
      }
      node.children.forEach(walk);
    };
    walk(model.root);
    return { nodes: out, params: m.params };
  };
  return E.right({ source: sp.right, target: tp.right, r });
};

/**
 * A plan as a composite of 2-cells out of its all-recompute form, one store-versus-recompute decision
 * per step. The all-recompute form keeps only the model's inputs: the root runs in lens form, and so
 * (without changing what is kept) do every ancestor of the plan's lens-form nodes and each child of
 * those ancestors. Each step then stores one more segment — removes one node from the lens-form set,
 * outermost first — until the plan itself is reached. `composite` is the direct 2-cell; its `r`
 * equals the vertical composite of the steps' maps (a law in `laws/plan.ts`).
 *
 * @example
 * const d = planDecomposition(model, jsBackend(), { remat: ['b1'] });
 * // d.right.plans: {'' b0 b1 b2 3} ⇒ {b0 b1 b2 3} ⇒ {b1 b2 3} ⇒ {b1 3} ⇒ {b1}
 */
export const planDecomposition = <T>(
  model: TypedModel,
  backend: Backend<T>,
  plan: Plan,
): E.Either<Error, { readonly plans: readonly Plan[]; readonly steps: readonly PlanTwoCell<T>[]; readonly composite: PlanTwoCell<T> }> => {
  const target = [...new Set(plan.remat ?? [])];
  for (const k of target) if (!findNode(model.root, k)) return E.left(new SpecError(k ? k.split('.') : [], 'plan refers to a node that does not exist'));
  const depth = (k: string): number => (k === '' ? 0 : k.split('.').length);
  const ancestors = new Set<string>(['']);
  for (const k of target) {
    const parts = k === '' ? [] : k.split('.');
    for (let i = 0; i < parts.length; i++) ancestors.add(parts.slice(0, i).join('.'));
  }
  const start = new Set<string>([...target, ...ancestors]);
  for (const a of ancestors) {
    const n = findNode(model.root, a);
    if (n && n.kind !== 'prim') for (const c of n.children) start.add(pathKey(c.path));
  }
  // Outermost first, so each removed node's segment is re-run from inputs its parent already stores.
  const removable = [...start].filter((k) => !target.includes(k)).sort((a, b) => depth(a) - depth(b) || a.localeCompare(b));
  const withRemat = (remat: readonly string[]): Plan => ({
    ...(plan.variants ? { variants: plan.variants } : {}),
    ...(plan.schedules ? { schedules: plan.schedules } : {}),
    remat,
  });
  let current = [...start].sort((a, b) => depth(a) - depth(b) || a.localeCompare(b));
  const plans: Plan[] = [withRemat(current)];
  for (const k of removable) {
    current = current.filter((x) => x !== k);
    plans.push(withRemat(current));
  }
  const steps: PlanTwoCell<T>[] = [];
  for (let i = 1; i < plans.length; i++) {
    const c = planTwoCell(model, backend, plans[i - 1]!, plans[i]!);
    if (E.isLeft(c)) return c;
    steps.push(c.right);
  }
  const composite = planTwoCell(model, backend, plans[0]!, plans[plans.length - 1]!);
  if (E.isLeft(composite)) return composite;
  return E.right({ plans, steps, composite: composite.right });
};
