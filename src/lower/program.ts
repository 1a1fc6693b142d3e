import * as E from 'fp-ts/lib/Either.js';
import type { Backend, Kernel, Params, Residual } from '../backend/backend';
import { MissingKernelError } from '../backend/backend';
import { type TypedModel, type TypedNode, type TypedPrim, keyOf } from '../spec/check';
import { SpecError } from '../spec/error';
import { sizeOf } from '../tensor/shape';
import { type Plan, pathKey } from './plan';

/**
 * What a program keeps between forward and backward: per node (by path key), a flat named record of
 * backend tensors. A node run in lens form keeps only its inputs, under `in0`, `in1`, ...
 */
export interface ProgramResidual<T> {
  readonly nodes: ReadonlyMap<string, Residual<T>>;
  /** The parameters the forward pass used (held by reference, not counted as residual). */
  readonly params: Params<T>;
}

/** An executable optic: a checked term on one backend under one plan. */
export interface Program<T> {
  readonly backend: string;
  readonly model: TypedModel;
  readonly plan: Plan;
  forward(params: Params<T>, inputs: readonly T[]): { outputs: T[]; residual: ProgramResidual<T> };
  backward(residual: ProgramResidual<T>, dOutputs: readonly T[]): { dInputs: (T | null)[]; dParams: Record<string, T> };
}

type Store<T> = Map<string, Residual<T>>;

interface Compiled<T> {
  readonly node: TypedNode;
  fwd(params: Params<T>, inputs: readonly T[], store: Store<T>): T[];
  bwd(params: Params<T>, store: Store<T>, dOutputs: readonly T[], dParams: Record<string, T>): (T | null)[];
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

const compile = <T>(backend: Backend<T>, node: TypedNode, plan: Plan, remat: Set<string>): E.Either<Error, Compiled<T>> => {
  const key = pathKey(node.path);
  const inner = compileInner(backend, node, plan, remat);
  if (E.isLeft(inner) || !remat.has(key)) return inner;
  const c = inner.right;
  // Lens form: keep the inputs, and in backward re-run the forward into a scratch store.
  const rkey = `${key}@`;
  return E.right({
    node,
    fwd(params, inputs, store) {
      const scratch: Store<T> = new Map();
      const outs = c.fwd(params, inputs, scratch);
      const kept: Record<string, T> = {};
      ins(inputs.length).forEach((k, i) => (kept[k] = inputs[i]!));
      store.set(rkey, kept);
      return outs;
    },
    bwd(params, store, dOutputs, dParams) {
      const kept = store.get(rkey)!;
      const scratch: Store<T> = new Map();
      c.fwd(params, ins(node.inputs.length).map((k) => kept[k]!), scratch);
      return c.bwd(params, scratch, dOutputs, dParams);
    },
  });
};

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
      fwd(params, inputs, store) {
        const { outputs, residual } = kernel.forward(prim, localParams(params), inputs);
        store.set(key, residual);
        return outputs;
      },
      bwd(params, store, dOutputs, dParams) {
        const { dInputs, dParams: dp } = kernel.backward(prim, localParams(params), store.get(key)!, dOutputs);
        for (const [l, g] of Object.entries(dp)) dParams[keyOf(prim.path, l)] = g;
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
  const zerosFor = (g: T | null, shape: readonly number[]): T => g ?? backend.zeros(shape);
  if (node.kind === 'seq') {
    return E.right({
      node,
      fwd(params, inputs, store) {
        let wires: readonly T[] = inputs;
        for (const c of children) wires = c.fwd(params, wires, store);
        return [...wires];
      },
      bwd(params, store, dOutputs, dParams) {
        let grads: (T | null)[] = [...dOutputs];
        for (let i = children.length - 1; i >= 0; i--) {
          const c = children[i]!;
          grads = c.bwd(params, store, grads.map((g, j) => zerosFor(g, c.node.outputs[j]!)), dParams);
        }
        return grads;
      },
    });
  }
  return E.right({
    node,
    fwd(params, inputs, store) {
      const outs: T[] = [];
      let o = 0;
      for (const c of children) {
        outs.push(...c.fwd(params, inputs.slice(o, o + c.node.inputs.length), store));
        o += c.node.inputs.length;
      }
      return outs;
    },
    bwd(params, store, dOutputs, dParams) {
      const dIns: (T | null)[] = [];
      let o = 0;
      for (const c of children) {
        const slice = dOutputs.slice(o, o + c.node.outputs.length);
        o += c.node.outputs.length;
        dIns.push(...c.bwd(params, store, slice.map((g, j) => zerosFor(g, c.node.outputs[j]!)), dParams));
      }
      return dIns;
    },
  });
};

const findNode = (node: TypedNode, key: string): TypedNode | undefined => {
  if (pathKey(node.path) === key) return node;
  if (node.kind === 'prim') return undefined;
  for (const c of node.children) {
    const f = findNode(c, key);
    if (f) return f;
  }
  return undefined;
};

/**
 * Lower a checked term to an executable program on a backend under a plan. Fails (never throws)
 * with a `SpecError` for a plan naming an unknown node or variant, or a `MissingKernelError`.
 *
 * @example
 * const prog = lower(checkOrThrow(seq(prim('linear', {out: 2})), [[4, 3]]), jsBackend(), storeAll);
 */
export const lower = <T>(model: TypedModel, backend: Backend<T>, plan: Plan = {}): E.Either<Error, Program<T>> => {
  const remat = new Set(plan.remat ?? []);
  for (const k of [...remat, ...Object.keys(plan.variants ?? {})]) {
    const n = findNode(model.root, k);
    if (!n) return E.left(new SpecError(k === '' ? [] : k.split('.'), `plan refers to a node that does not exist`));
    if (plan.variants?.[k] !== undefined && n.kind !== 'prim' && !remat.has(k))
      return E.left(new SpecError(n.path, `plan gives a variant to a composite node; variants belong to primitives`));
  }
  const c = compile(backend, model.root, plan, remat);
  if (E.isLeft(c)) return c;
  const root = c.right;
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
    forward(params, inputs) {
      checkInputs('input', inputs, model.root.inputs);
      for (const [k, info] of model.params) {
        const t = params[k];
        if (t === undefined) throw new SpecError(info.node.path, `missing parameter '${k}'`, info.node.def.name);
        checkInputs(`parameter '${k}'`, [t], [info.shape]);
      }
      const store: Store<T> = new Map();
      const outputs = root.fwd(params, inputs, store);
      return { outputs, residual: { nodes: store, params } };
    },
    backward(residual, dOutputs) {
      checkInputs('output gradient', dOutputs, model.root.outputs);
      const dParams: Record<string, T> = {};
      const dInputs = root.bwd(residual.params, residual.nodes as Store<T>, dOutputs, dParams);
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
 * The 2-cell between two plans of one model: from a plan that recomputes more (`source`) to one that
 * stores more (`target`). Its map `r` turns a source residual into the target residual by running
 * the forward pass of each segment that the source keeps in lens form and the target does not.
 * (T1) and (T2) of DESIGN.md hold: see `laws/plan.ts`.
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
        const variants = Object.fromEntries(Object.entries(target.variants ?? {}).filter(([k]) => inside(k)));
        const seg = lowerOrThrow({ root: node, params: model.params }, backend, { remat: [...targetRemat].filter(inside), variants });
        const { residual } = seg.forward(m.params, ins(node.inputs.length).map((k) => kept[k]!));
        for (const [k, v] of residual.nodes) out.set(k, v);
        return;
      }
      if (sRemat.has(key)) {
        out.set(rkey, m.nodes.get(rkey)!);
        return;
      }
      if (node.kind === 'prim') out.set(key, m.nodes.get(key)!);
      else node.children.forEach(walk);
    };
    walk(model.root);
    return { nodes: out, params: m.params };
  };
  return E.right({ source: sp.right, target: tp.right, r });
};
