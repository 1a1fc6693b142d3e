import { type Kernel, type SomeKernel, defineKernel } from '../../src/backend/backend';
import type { PrimitiveDef } from '../../src/term/primitive';
import { type HostTensor, alloc, dtypeOf } from '../../src/tensor/tensor';
import { sizeOf, type Shape } from '../../src/tensor/shape';

/** The JS backend's tensors are host tensors. */
export type JsTensor = HostTensor;

/** A JS kernel of a primitive whose attributes decode to `A`. */
export type JsKernel<A = unknown> = Kernel<JsTensor, A>;

/** A JS kernel of some primitive (the element type of kernel lists). */
export type SomeJsKernel = SomeKernel<JsTensor>;

/**
 * A JS kernel for `def`: `defineKernel` with the tensor type fixed, so that the callbacks' parameters
 * are inferred (attributes typed by `def`'s codec, tensors as `JsTensor`).
 *
 * @example
 * export const relu = jsKernel(reluDef, { forward: (_n, _p, [x]) => …, backward: … });
 * const be = jsBackend('float32', [...jsKernels, myKernel]);
 */
export const jsKernel = <A>(def: PrimitiveDef<A>, k: Omit<JsKernel<A>, 'prim'>): JsKernel<A> => defineKernel(def, k);

/** A fresh tensor of the same precision as `like`. */
export const like = (like: JsTensor, shape: Shape): JsTensor => ({ shape: [...shape], data: alloc(dtypeOf(like.data), sizeOf(shape)) });
