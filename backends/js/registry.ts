import type { Backend, SomeKernel } from '../../src/backend/backend';
import { type DType, type HostTensor, alloc, dtypeOf } from '../../src/tensor/tensor';
import { showShape, sizeOf, type Shape } from '../../src/tensor/shape';

/** The JS backend's tensors are host tensors. */
export type JsTensor = HostTensor;
export type JsKernel = SomeKernel<JsTensor>;

const kernels = new Map<string, JsKernel>();

/** Register the JS kernel of a primitive (component modules call this when they load). */
export const registerJsKernel = (prim: string, k: Omit<JsKernel, 'prim'>): void => {
  if (kernels.has(prim)) throw new Error(`registerJsKernel: '${prim}' already has a JS kernel`);
  kernels.set(prim, { prim, ...k });
};

/**
 * The plain-TypeScript backend over `Float32Array` (default) or `Float64Array` (for gradient
 * checks in double precision).
 *
 * @example
 * const be = jsBackend('float64');
 */
export const jsBackend = (dtype: DType = 'float32'): Backend<JsTensor> => ({
  name: dtype === 'float32' ? 'js' : 'js-f64',
  dtype,
  upload: (t) => {
    if (t.data.length !== sizeOf(t.shape)) throw new RangeError(`upload: shape ${showShape(t.shape)} does not match ${t.data.length} elements`);
    const data = alloc(dtype, t.data.length);
    data.set(t.data);
    return { shape: [...t.shape], data };
  },
  download: (t) => ({ shape: [...t.shape], data: t.data.slice() }),
  shapeOf: (t) => t.shape,
  zeros: (shape: Shape) => ({ shape: [...shape], data: alloc(dtype, sizeOf(shape)) }),
  add: (a, b) => {
    const out = alloc(dtypeOf(a.data), a.data.length);
    for (let i = 0; i < out.length; i++) out[i] = a.data[i]! + b.data[i]!;
    return { shape: a.shape, data: out };
  },
  release: () => undefined,
  kernel: (prim) => kernels.get(prim),
  kernelNames: () => [...kernels.keys()].sort(),
});

/** A fresh tensor of the same precision as `like`. */
export const like = (like: JsTensor, shape: Shape): JsTensor => ({ shape: [...shape], data: alloc(dtypeOf(like.data), sizeOf(shape)) });
