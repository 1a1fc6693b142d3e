import type { TypedPrim } from '../term/check';
import type { DType, HostTensor } from '../tensor/tensor';
import type { Shape } from '../tensor/shape';

/** A primitive's residual: a flat, named record of backend tensors. */
export type Residual<T> = Readonly<Record<string, T>>;

/** Parameters or their gradients: a flat map from path (`blocks.3.attn.wq`) or local name to tensor. */
export type Params<T> = Readonly<Record<string, T>>;

/**
 * One primitive's forward and backward on one backend. `node` carries the decoded attributes, the
 * residual variant and the checked shapes; `params` are keyed by the primitive's local names.
 * Kernels never mutate their arguments.
 */
export interface Kernel<T> {
  forward(node: TypedPrim, params: Params<T>, inputs: readonly T[]): { outputs: T[]; residual: Residual<T> };
  /** `dInputs[i]` is `null` for an input that carries no gradient (ids, labels). */
  backward(
    node: TypedPrim,
    params: Params<T>,
    residual: Residual<T>,
    dOutputs: readonly T[],
  ): { dInputs: (T | null)[]; dParams: Record<string, T> };
}

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
  kernel(prim: string): Kernel<T> | undefined;
  kernelNames(): string[];
}

/** Raised when lowering meets a primitive the chosen backend has no kernel for. */
export class MissingKernelError extends Error {
  override readonly name = 'MissingKernelError';
  constructor(readonly backend: string, readonly primitive: string, readonly path: readonly string[]) {
    super(`backend '${backend}' has no kernel for primitive '${primitive}' (at ${path.length ? path.join('.') : '<root>'})`);
  }
}
