import { type Backend, kernelTable } from '../../src/backend/backend';
import { type DType, alloc, dtypeOf } from '../../src/tensor/tensor';
import { assertShape, showShape, sizeOf, type Shape } from '../../src/tensor/shape';
import type { JsTensor, SomeJsKernel } from './kernel';
import { jsKernels } from './kernels';

/**
 * The plain-TypeScript backend over `Float32Array` (default) or `Float64Array` (for gradient
 * checks in double precision), with the kernels of `kernels` (default: every JS kernel; pass
 * `[...jsKernels, myKernel]` to add one). Two kernels for one primitive is an error.
 *
 * @example
 * const be = jsBackend('float64');
 */
export const jsBackend = (dtype: DType = 'float32', kernels: readonly SomeJsKernel[] = jsKernels): Backend<JsTensor> => {
  const table = kernelTable(kernels, 'jsBackend');
  const names = [...table.keys()].sort();
  return {
    name: dtype === 'float32' ? 'js' : 'js-f64',
    dtype,
    upload: (t) => {
      assertShape(t?.shape, 'upload');
      if (!ArrayBuffer.isView(t.data)) throw new TypeError(`upload: expected a host tensor's data as a Float32Array or Float64Array, got ${typeof t.data}`);
      if (t.data.length !== sizeOf(t.shape)) throw new RangeError(`upload: shape ${showShape(t.shape)} does not match ${t.data.length} elements`);
      const data = alloc(dtype, t.data.length);
      data.set(t.data);
      return { shape: [...t.shape], data };
    },
    download: (t) => ({ shape: [...t.shape], data: t.data.slice() }),
    shapeOf: (t) => t.shape,
    zeros: (shape: Shape) => {
      assertShape(shape, 'zeros');
      return { shape: [...shape], data: alloc(dtype, sizeOf(shape)) };
    },
    add: (a, b) => {
      const out = alloc(dtypeOf(a.data), a.data.length);
      for (let i = 0; i < out.length; i++) out[i] = a.data[i]! + b.data[i]!;
      return { shape: a.shape, data: out };
    },
    release: () => undefined,
    kernel: (prim) => table.get(prim),
    kernelNames: () => [...names],
  };
};
