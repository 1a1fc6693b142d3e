import { Shape, sizeOf, showShape } from './shape';

/** The element arrays a host tensor may hold. */
export type FArray = Float32Array | Float64Array;
export type DType = 'float32' | 'float64';

/**
 * A tensor that lives in JavaScript memory: a row-major typed array with its shape.
 * Backends may keep tensors elsewhere (WebAssembly memory); `Backend.toHost` brings them here.
 *
 * @example
 * const t = tensor([2, 2], [1, 2, 3, 4]);
 */
export interface HostTensor {
  readonly shape: Shape;
  readonly data: FArray;
}

export const dtypeOf = (a: FArray): DType => (a instanceof Float64Array ? 'float64' : 'float32');

export const alloc = (dtype: DType, n: number): FArray =>
  dtype === 'float64' ? new Float64Array(n) : new Float32Array(n);

/** Build a host tensor, checking that the data fits the shape. */
export const tensor = (shape: Shape, data: ArrayLike<number>, dtype: DType = 'float32'): HostTensor => {
  const n = sizeOf(shape);
  if (data.length !== n) {
    throw new RangeError(`tensor: shape ${showShape(shape)} needs ${n} elements, got ${data.length}`);
  }
  const arr = alloc(dtype, n);
  arr.set(data);
  return { shape: [...shape], data: arr };
};

export const zeros = (shape: Shape, dtype: DType = 'float32'): HostTensor => ({
  shape: [...shape],
  data: alloc(dtype, sizeOf(shape)),
});

/** Copy into the requested precision (always a fresh array). */
export const cast = (t: HostTensor, dtype: DType): HostTensor => {
  const data = alloc(dtype, t.data.length);
  data.set(t.data);
  return { shape: [...t.shape], data };
};

export const scalarOf = (t: HostTensor): number => {
  if (t.data.length !== 1) throw new RangeError(`scalarOf: expected one element, got shape ${showShape(t.shape)}`);
  return t.data[0]!;
};
