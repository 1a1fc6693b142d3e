/**
 * Emitters: one per primitive, the ONNX counterpart of a kernel. An emitter's forward appends the
 * primitive's forward pass to a graph and returns its outputs and its residual (the same names and
 * shapes as the JS kernel keeps); its backward appends the backward pass, reading that residual.
 *
 * {@link onnxBackend} wraps a table of emitters as a `Backend<Sym>`: lowering a term to it (the same
 * functor as for any backend) *traces* the program into whichever graph is current, so sequencing,
 * lens-form recomputation and checkpoint segments come from the optic core, not from this module.
 *
 * @module
 */
import type { Backend, Kernel, Params, Residual } from '../backend/backend';
import { kernelTable, twoCellKey } from '../backend/backend';
import type { TypedPrim } from '../term/check';
import type { PrimitiveDef } from '../term/primitive';
import { type GraphBuilder, OnnxEmitError, type Sym } from './graph';

/** A variant 2-cell's map `r` as graph emission: the `to` variant's residual from the `from` one's. */
export type EmitVariantMap<A> = (g: GraphBuilder, node: TypedPrim<A>, params: Params<Sym>, m: Residual<Sym>) => Residual<Sym>;

/** One primitive's forward and backward as ONNX graph emission. */
export interface Emitter<A = unknown> {
  readonly prim: string;
  forward(g: GraphBuilder, node: TypedPrim<A>, params: Params<Sym>, inputs: readonly Sym[]): { outputs: Sym[]; residual: Residual<Sym> };
  backward(
    g: GraphBuilder,
    node: TypedPrim<A>,
    params: Params<Sym>,
    residual: Residual<Sym>,
    dOutputs: readonly Sym[],
  ): { dInputs: (Sym | null)[]; dParams: Record<string, Sym> };
  /** Maps of the primitive's declared variant 2-cells, keyed `'from⇒to'` (see `twoCellKey`). */
  readonly twoCells?: Readonly<Record<string, EmitVariantMap<A>>>;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type SomeEmitter = Emitter<any>;

/**
 * An emitter for a primitive, with attributes typed by its codec.
 *
 * @example
 * const relu = defineEmitter(reluDef, { forward: (g, _n, _p, [x]) => …, backward: … });
 */
export const defineEmitter = <A>(def: PrimitiveDef<A>, e: Omit<Emitter<A>, 'prim'>): Emitter<A> => ({ prim: def.name, ...e });

/** The symbolic backend: tensors are graph values, kernels append nodes to the current graph. */
export interface OnnxBackend extends Backend<Sym> {
  /** Run `f` with `g` as the graph every kernel emits into. */
  readonly within: <R>(g: GraphBuilder, f: () => R) => R;
}

/**
 * A `Backend<Sym>` from a list of emitters. Its name is `onnx`; a primitive without an emitter is a
 * `MissingKernelError` when a term is lowered to it.
 */
export const onnxBackend = (emitters: readonly SomeEmitter[]): OnnxBackend => {
  const table = kernelTable(emitters, 'onnx');
  let current: GraphBuilder | undefined;
  const cur = (): GraphBuilder => {
    if (!current) throw new OnnxEmitError('', 'internal: no graph is being emitted (use within)');
    return current;
  };
  const scoped = <R>(node: TypedPrim, f: (g: GraphBuilder) => R): R => {
    const g = cur();
    const saved = g.scope;
    g.scope = node.path.join('.');
    try {
      return f(g);
    } finally {
      g.scope = saved;
    }
  };
  const kernels = new Map<string, Kernel<Sym>>();
  for (const [name, e] of table) {
    const twoCells = e.twoCells
      ? Object.fromEntries(Object.entries(e.twoCells).map(([k, r]) => [k, { r: (n: TypedPrim, p: Params<Sym>, m: Residual<Sym>) => scoped(n, (g) => r(g, n, p, m)) }]))
      : undefined;
    kernels.set(name, {
      prim: name,
      forward: (n, p, xs) => scoped(n, (g) => e.forward(g, n, p, xs)),
      backward: (n, p, r, dys) => scoped(n, (g) => e.backward(g, n, p, r, dys)),
      ...(twoCells ? { twoCells } : {}),
    });
  }
  return {
    name: 'onnx',
    dtype: 'float32',
    upload: () => {
      throw new Error('onnx: the symbolic backend holds graph values, not data; run the exported graphs instead');
    },
    download: () => {
      throw new Error('onnx: the symbolic backend holds graph values, not data; run the exported graphs instead');
    },
    shapeOf: (t) => t.shape,
    zeros: (shape) => cur().zeros(shape),
    add: (a, b) => cur().add(a, b),
    release: () => undefined,
    kernel: (prim) => kernels.get(prim),
    kernelNames: () => [...kernels.keys()].sort(),
    within: (g, f) => {
      const saved = current;
      current = g;
      try {
        return f();
      } finally {
        current = saved;
      }
    },
  };
};

export { twoCellKey };
