import type { Kernel } from '../../src/backend/backend';
import type { PrimitiveDef } from '../../src/term/primitive';
import type { WasmRuntime, WasmTensor } from './runtime';

/**
 * A WebAssembly kernel of a primitive whose attributes decode to `A`, as a value: `make` builds the
 * kernel on one runtime (kernels call that runtime's exports and may cache tables in its memory).
 * A backend makes each kernel at most once per runtime.
 */
export interface WasmKernel<A = unknown> {
  /** The primitive this kernel implements (its `PrimitiveDef.name`). */
  readonly prim: string;
  make(rt: WasmRuntime): Kernel<WasmTensor, A>;
}

/**
 * A WebAssembly kernel of some primitive (an existential, as `SomeKernel`): the element type of
 * kernel lists.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type SomeWasmKernel = WasmKernel<any>;

/**
 * A WebAssembly kernel for `def`, its attributes typed by `def`'s codec, made per runtime by `make`.
 *
 * @example
 * export const relu = wasmKernel(reluDef, (rt) => ({ forward: …, backward: … }));
 * const be = await initWasm(undefined, [...wasmKernels, myKernel]);
 */
export const wasmKernel = <A>(def: PrimitiveDef<A>, make: (rt: WasmRuntime) => Omit<Kernel<WasmTensor, A>, 'prim'>): WasmKernel<A> => ({
  prim: def.name,
  make: (rt) => ({ prim: def.name, ...make(rt) }),
});
