import type { TypedPrim } from '../term/check';
import type { PrimitiveDef } from '../term/primitive';
import type { DType, HostTensor } from '../tensor/tensor';
import type { Shape } from '../tensor/shape';

/** A primitive's residual: a flat, named record of backend tensors. */
export type Residual<T> = Readonly<Record<string, T>>;

/** Parameters or their gradients: a flat map from path (`blocks.3.attn.wq`) or local name to tensor. */
export type Params<T> = Readonly<Record<string, T>>;

/**
 * The map `r` of a variant 2-cell on one backend: from the residual the `from` variant keeps to the
 * one the `to` variant keeps, for the node `node` (whose `variant` is `from`). (T1) and (T2) must hold
 * bit for bit: the `to` variant's forward keeps exactly `r(m)`, and its backward on `r(m)` equals
 * the `from` variant's backward on `m`.
 */
export interface VariantMap<T, A = unknown> {
  r(node: TypedPrim<A>, params: Params<T>, m: Residual<T>): Residual<T>;
}

/** Key of a variant 2-cell in {@link Kernel.twoCells}: `'from⇒to'`. */
export const twoCellKey = (from: string, to: string): string => `${from}⇒${to}`;

/**
 * One primitive's forward and backward on one backend: an optic whose residual is a flat record.
 * `node` carries the decoded attributes (typed by the primitive's codec, `A`), the residual variant
 * and the checked shapes; `params` are keyed by the primitive's local names. Kernels never mutate
 * their arguments.
 */
export interface Kernel<T, A = unknown> {
  /** The primitive this kernel implements (its `PrimitiveDef.name`). */
  readonly prim: string;
  forward(node: TypedPrim<A>, params: Params<T>, inputs: readonly T[]): { outputs: T[]; residual: Residual<T> };
  /** `dInputs[i]` is `null` for an input that carries no gradient (ids, labels). */
  backward(
    node: TypedPrim<A>,
    params: Params<T>,
    residual: Residual<T>,
    dOutputs: readonly T[],
  ): { dInputs: (T | null)[]; dParams: Record<string, T> };
  /**
   * The maps of the primitive's declared variant 2-cells (`PrimitiveDef.twoCells`), keyed by
   * {@link twoCellKey}. A test requires one for every declared 2-cell on every backend.
   */
  readonly twoCells?: Readonly<Record<string, VariantMap<T, A>>>;
}

/**
 * A kernel of some primitive (an existential: TypeScript has none, so the attribute type is `any`
 * here and only here). Lists of kernels have this element type; lowering calls a kernel only with
 * nodes of its own primitive.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type SomeKernel<T> = Kernel<T, any>;

/**
 * A kernel for a primitive, with its attributes typed by the primitive's codec.
 *
 * @example
 * const relu = defineKernel(reluDef, { forward: (n, _p, [x]) => …, backward: … });
 */
export const defineKernel = <T, A>(def: PrimitiveDef<A>, k: Omit<Kernel<T, A>, 'prim'>): Kernel<T, A> => ({ prim: def.name, ...k });

/**
 * A table of kernels by primitive name, from one list (a backend's `kernels.ts`); two kernels for
 * one primitive is an error.
 */
export const kernelTable = <K extends { readonly prim: string }>(list: readonly K[], backend: string): ReadonlyMap<string, K> => {
  const m = new Map<string, K>();
  for (const k of list) {
    if (m.has(k.prim)) throw new Error(`${backend}: two kernels for primitive '${k.prim}'`);
    m.set(k.prim, k);
  }
  return m;
};

/**
 * A backend: where tensors live and a registry of kernels by primitive name. Reading values back
 * into JavaScript is an explicit `download`.
 */
export interface Backend<T> {
  readonly name: string;
  readonly dtype: DType;
  upload(t: HostTensor): T;
  download(t: T): HostTensor;
  shapeOf(t: T): Shape;
  zeros(shape: Shape): T;
  /** Elementwise sum, used to accumulate gradients at a fan-out. */
  add(a: T, b: T): T;
  /** Give back a tensor's memory (a no-op where the garbage collector owns it). */
  release(t: T): void;
  /**
   * Run `f` and give back every tensor allocated while it ran (an arena), for backends that own
   * their memory. Absent where the garbage collector owns memory. Results must be downloaded inside.
   */
  scope?<R>(f: () => R): R;
  kernel(prim: string): SomeKernel<T> | undefined;
  kernelNames(): string[];
}

/** Raised when lowering meets a primitive the chosen backend has no kernel for. */
export class MissingKernelError extends Error {
  override readonly name = 'MissingKernelError';
  constructor(readonly backend: string, readonly primitive: string, readonly path: readonly string[]) {
    super(`backend '${backend}' has no kernel for primitive '${primitive}' (at ${path.length ? path.join('.') : '<root>'})`);
  }
}
