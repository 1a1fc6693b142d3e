/**
 * Lowering: the functor from checked terms (under a resolved plan) to core optics.
 *
 * | term                 | optic (src/optic)                                              |
 * |----------------------|----------------------------------------------------------------|
 * | primitive            | `kernelOptic` of its kernel, reparametrised by a lens focusing its parameters |
 * | `seq(a, b, …)`       | `paraSeqs` (flat sequential composition, shared parameters)    |
 * | `seq` with schedule  | `checkpointed` over the threaded children                      |
 * | `par(a, b, …)`       | `paraPars` (parallel composition on lists of wires)            |
 * | node in lens form    | the lens form (`recompute`)                                    |
 *
 * Nothing is sequenced or recomputed here: this module maps constructors to combinators and looks
 * kernels up. Every node also turns a missing output cotangent (`null`: nothing downstream used the
 * wire) into zeros before its backward pass.
 *
 * @module
 */
import * as E from 'fp-ts/lib/Either.js';
import type { Backend, Params, Residual } from '../backend/backend';
import { MissingKernelError } from '../backend/backend';
import { type LensForm, checkpointed, segmentRange } from '../optic/checkpoint';
import { lens } from '../optic/lens';
import { type Optic, fromLens } from '../optic/optic';
import type { Para } from '../optic/para';
import { reparam } from '../optic/para';
import { paraPars, paraSeqs, threaded, unthreaded } from '../optic/shared';
import { type PlannedModel, type PlannedNode, applyPlan } from '../plan/apply';
import type { Plan } from '../plan/plan';
import { type TypedModel, type TypedPrim, keyOf } from '../term/check';
import { SpecError } from '../term/error';
import type { Shape } from '../tensor/shape';
import { shapeEq, sizeOf } from '../tensor/shape';
import { type Grads, flattenGrads, gradLeaf, gradsMonoid } from './grads';
import { type Instrument, type NodeOptic, plainInstrument } from './instrument';
import { type KernelResidual, kernelOptic } from './kernel-optic';

/**
 * What a program keeps between forward and backward: the residual of the optic it is (`value`,
 * shaped like the term: one entry per stage of a `seq`, per part of a `par`), the parameters it ran
 * with (by reference; not counted as residual) and a reader that names the kept tensors.
 */
export interface ProgramResidual<T> {
  readonly value: unknown;
  readonly params: Params<T>;
  /**
   * The kept tensors by name: `path:name` for a primitive's residual, `path@:in0…` for the inputs a
   * lens-form node keeps, `path@a-b:in0…` for a checkpointed segment of a `seq`.
   */
  readonly entries: () => Array<[string, T]>;
}

/**
 * An executable optic: a checked term on one backend under one plan. It *is* a core parametrised
 * optic (`Para`): `fwd([params, inputs])` returns `[residual, outputs]`; `bwd(residual, dOutputs)`
 * returns `[dParams, dInputs]` (every parameter gets a gradient; `dInputs[i]` is `null` for an input
 * that carries none; a `null` in `dOutputs` is an output nothing flows into, taken as zeros, so one
 * program's `dInputs` can feed another's backward). `forward` / `backward` are the same passes with
 * named results.
 */
export interface Program<T> extends Para<ProgramResidual<T>, Params<T>, readonly T[], T[], readonly (T | null)[], Record<string, T>, (T | null)[]> {
  readonly backend: string;
  readonly model: TypedModel;
  readonly plan: Plan;
  /** The plan resolved against the model (what every interpretation reads). */
  readonly planned: PlannedModel;
  forward(params: Params<T>, inputs: readonly T[]): { outputs: T[]; residual: ProgramResidual<T> };
  /** A residual of this program from its optic residual (`value`), e.g. one a 2-cell's `r` produced. */
  residual(value: unknown, params: Params<T>): ProgramResidual<T>;
  /** The optic of every node of the term under this plan (what the lowering functor sent it to). */
  readonly nodeOptic: (key: string) => NodeOptic<T> | undefined;
  /** Never mutates `residual`: a residual can be used for several backward passes. */
  backward(residual: ProgramResidual<T>, dOutputs: readonly (T | null)[]): { dInputs: (T | null)[]; dParams: Record<string, T> };
}

/** A lowered node: its optic and the reader that names what its residual keeps. */
export interface Lowered<T> {
  readonly optic: NodeOptic<T>;
  readonly names: (m: unknown, out: Array<[string, T]>) => void;
}

const inputNames =
  <T>(key: string) =>
  (m: unknown, out: Array<[string, T]>): void => {
    const [, xs] = m as [Params<T>, readonly T[]];
    xs.forEach((x, i) => out.push([`${key}:in${i}`, x]));
  };

/**
 * The lens focusing one primitive's parameters in the model's flat parameter record: `get` picks its
 * entries by local name, `put` files the local gradients back under their full paths.
 */
const focusParams = <T>(node: TypedPrim) => {
  const locals = Object.keys(node.params);
  const full = locals.map((l) => keyOf(node.path, l));
  // Most nodes (activations, structural boxes) have no parameters: nothing to pick, no gradient.
  if (locals.length === 0) return lens((_params: Params<T>): Params<T> => NO_PARAMS, (): Grads<T> => null);
  return lens(
    (params: Params<T>): Params<T> => {
      const p: Record<string, T> = {};
      for (let i = 0; i < locals.length; i++) {
        const t = params[full[i]!];
        if (t === undefined) throw new SpecError(node.path, `missing parameter '${full[i]}'`, node.def.name);
        p[locals[i]!] = t;
      }
      return p;
    },
    (_params: Params<T>, local: Readonly<Record<string, T>>): Grads<T> => {
      const g: Record<string, T> = {};
      for (let i = 0; i < locals.length; i++) {
        const d = local[locals[i]!];
        if (d !== undefined) g[full[i]!] = d;
      }
      return gradLeaf(g);
    },
  );
};
const NO_PARAMS: Params<never> = Object.freeze({});

/** Turn missing output cotangents into zeros (of the node's output shapes) before the backward pass. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const densify = <T>(o: Para<any, Params<T>, readonly T[], T[], readonly T[], Grads<T>, (T | null)[]>, shapes: readonly Shape[], zeros: (s: Shape) => T): NodeOptic<T> => ({
  fwd: o.fwd,
  get: o.get,
  bwd: (m, dys) => {
    for (let j = 0; j < dys.length; j++) if (dys[j] === null) return o.bwd(m, dys.map((d, i) => d ?? zeros(shapes[i]!)));
    return o.bwd(m, dys as readonly T[]);
  },
});

/** The functor on one planned node (children first, iteratively, so very long chains are fine). */
const lowerTree = <T>(root: PlannedNode, backend: Backend<T>, inst: Instrument<T>): E.Either<Error, Map<PlannedNode, Lowered<T>>> => {
  const done = new Map<PlannedNode, Lowered<T>>();
  const stack: { n: PlannedNode; open: boolean }[] = [{ n: root, open: false }];
  const Mg = gradsMonoid<T>();
  while (stack.length) {
    const top = stack[stack.length - 1]!;
    const n = top.n;
    if (n.kind !== 'prim' && !top.open) {
      top.open = true;
      for (let i = n.children.length - 1; i >= 0; i--) stack.push({ n: n.children[i]!, open: false });
      continue;
    }
    stack.pop();
    let inner: Lowered<T>;
    if (n.kind === 'prim') {
      const prim = n.node;
      const kernel = backend.kernel(prim.def.name);
      if (!kernel) return E.left(new MissingKernelError(backend.name, prim.def.name, prim.path));
      // Its primitive's kernel, reparametrised by the lens focusing its parameters; nodes hand it dense
      // cotangents (see `densify`).
      const o = densify(reparam(kernelOptic(kernel, prim), fromLens(focusParams<T>(prim))), prim.outputs, inst.zeros);
      const key = n.key;
      inner = {
        optic: inst.leaf(prim, o),
        names: (m, out) => {
          const [, { kept }] = m as [unknown, KernelResidual<T>];
          for (const [name, t] of Object.entries(kept as Residual<T>)) out.push([`${key}:${name}`, t]);
        },
      };
    } else {
      const kids = n.children.map((c) => done.get(c)!);
      if (n.kind === 'par') {
        inner = {
          optic: paraPars(Mg)(kids.map((k, i) => ({ para: k.optic, inputs: n.children[i]!.node.inputs.length, outputs: n.children[i]!.node.outputs.length }))),
          names: (m, out) => (m as unknown[]).forEach((mi, i) => kids[i]!.names(mi, out)),
        };
      } else if (!n.schedule) {
        inner = {
          optic: paraSeqs(Mg)(...kids.map((k) => k.optic)),
          names: (m, out) => (m as unknown[]).forEach((mi, i) => kids[i]!.names(mi, out)),
        };
      } else {
        const schedule = n.schedule;
        const key = n.key;
        // A segment is the lens form of the parametrised optic it closes (parameters in, outputs out),
        // put back into the threaded chain.
        const segment = (<R, A, B, DB, DA>(o: Optic<R, [Params<T>, A], [Params<T>, B], [Grads<T>, DB], [Grads<T>, DA]>) =>
          threaded(Mg)(inst.lensForm(unthreaded(Mg)(o)))) as unknown as LensForm;
        const chain = checkpointed(
          kids.map((k) => threaded(Mg)(k.optic)),
          schedule,
          segment,
        );
        inner = {
          optic: unthreaded(Mg)(chain),
          names: (m, out) =>
            schedule.forEach((it, i) => {
              const mi = (m as unknown[])[i];
              if (typeof it === 'number') kids[it]!.names(mi, out);
              else {
                const [a, b] = segmentRange(it);
                inputNames<T>(`${key}@${a}-${b}`)(mi, out);
              }
            }),
        };
      }
    }
    const shaped: Lowered<T> = n.lens ? { optic: inst.lensForm(inner.optic), names: inputNames<T>(`${n.key}@`) } : inner;
    done.set(n, { optic: densify(shaped.optic, n.node.outputs, inst.zeros), names: shaped.names });
  }
  return E.right(done);
};

/**
 * Shapes of `ts` against `shapes`. With `nullable`, a `null` passes: an output cotangent that nothing
 * flows into (as between the parts of a split `seq`, where a wire of labels carries none).
 */
const checkShapes = <T>(backend: Backend<T>, what: string, ts: readonly (T | null)[], shapes: readonly Shape[], nullable = false): void => {
  if (ts.length !== shapes.length) throw new SpecError([], `${what}: expected ${shapes.length} tensor(s), got ${ts.length}`);
  ts.forEach((t, i) => {
    const want = shapes[i]!;
    if (t === null && nullable) return;
    if (t === null || t === undefined) throw new SpecError([], `${what} ${i}: expected a tensor of shape [${want.join(',')}], got ${t}`);
    const s = backend.shapeOf(t);
    if (!shapeEq(s, want))
      throw new SpecError([], `${what} ${i}: expected shape [${want.join(',')}], got [${s.join(',')}]`);
  });
};

/**
 * Lower a model whose plan is already resolved, with an instrument (see `Instrument`). Most callers
 * want {@link lower}.
 */
export const lowerPlanned = <T>(planned: PlannedModel, backend: Backend<T>, inst: Instrument<T> = plainInstrument((s) => backend.zeros(s))): E.Either<Error, Program<T>> => {
  const lowered = lowerTree(planned.root, backend, inst);
  if (E.isLeft(lowered)) return lowered;
  const byKey = new Map<string, NodeOptic<T>>();
  for (const [n, l] of lowered.right) byKey.set(n.key, l.optic);
  const { optic, names } = lowered.right.get(planned.root)!;
  const residualOf = (value: unknown, params: Params<T>): ProgramResidual<T> => ({
    value,
    params,
    entries: () => {
      const out: Array<[string, T]> = [];
      names(value, out);
      return out;
    },
  });
  const { model } = planned;
  const add = (a: T, b: T) => backend.add(a, b);
  const fwd = ([params, inputs]: readonly [Params<T>, readonly T[]]): [ProgramResidual<T>, T[]] => {
    checkShapes(backend, 'input', inputs, model.root.inputs);
    for (const [k, info] of model.params) {
      const t = params[k];
      if (t === undefined) throw new SpecError(info.node.path, `missing parameter '${k}'`, info.node.def.name);
      checkShapes(backend, `parameter '${k}'`, [t], [info.shape]);
    }
    const [value, outputs] = optic.fwd([params, inputs]);
    return [residualOf(value, params), outputs];
  };
  const bwd = (residual: ProgramResidual<T>, dOutputs: readonly (T | null)[]): [Record<string, T>, (T | null)[]] => {
    checkShapes(backend, 'output gradient', dOutputs, model.root.outputs, true);
    const [g, dInputs] = optic.bwd(residual.value, dOutputs);
    const dParams = flattenGrads(g, add);
    for (const [k, info] of model.params) if (!dParams[k]) dParams[k] = backend.zeros(info.shape);
    return [dParams, dInputs];
  };
  return E.right({
    backend: backend.name,
    model,
    plan: planned.plan,
    planned,
    fwd,
    bwd,
    get: ([params, inputs]) => fwd([params, inputs])[1],
    residual: residualOf,
    nodeOptic: (key) => byKey.get(key),
    forward: (params, inputs) => {
      const [residual, outputs] = fwd([params, inputs]);
      return { outputs, residual };
    },
    backward: (residual, dOutputs) => {
      const [dParams, dInputs] = bwd(residual, dOutputs);
      return { dInputs, dParams };
    },
  });
};

/**
 * Lower a checked term to an executable program on a backend under a plan. Fails (never throws) with
 * a `SpecError` for a plan that does not fit the model, or a `MissingKernelError`.
 *
 * @example
 * const prog = lower(checkOrThrow(seq(prim('linear', { out: 2 })), [[4, 3]]), jsBackend(), storeAll);
 */
export const lower = <T>(model: TypedModel, backend: Backend<T>, plan: Plan = {}): E.Either<Error, Program<T>> => {
  const planned = applyPlan(model, plan);
  if (E.isLeft(planned)) return planned;
  return lowerPlanned(planned.right, backend);
};

/** `lower`, throwing its error: for scripts and examples. */
export const lowerOrThrow = <T>(model: TypedModel, backend: Backend<T>, plan: Plan = {}): Program<T> => {
  const r = lower(model, backend, plan);
  if (E.isLeft(r)) throw r.left;
  return r.right;
};

/** Flatten a program residual to `name → tensor`, the form that is counted and inspected. */
export const flatResidual = <T>(r: ProgramResidual<T>): Record<string, T> => Object.fromEntries(r.entries());

/** Elements held in a residual (each kept tensor counted once per entry). */
export const residualElems = <T>(backend: Backend<T>, r: ProgramResidual<T>): number =>
  r.entries().reduce((s, [, t]) => s + sizeOf(backend.shapeOf(t)), 0);

/** Bytes per element of a backend's dtype. */
export const bytesPerElem = (dtype: 'float32' | 'float64'): number => (dtype === 'float64' ? 8 : 4);
