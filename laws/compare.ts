import type { HostTensor } from '../src/tensor/tensor';

/** Largest |a − b| / (atol + rtol·|b|) over two tensors of one shape; ≤ 1 means "close". */
export const closeness = (a: HostTensor, b: HostTensor, rtol: number, atol: number): number => {
  if (a.data.length !== b.data.length) return Infinity;
  let worst = 0;
  for (let i = 0; i < a.data.length; i++) {
    const x = a.data[i]!;
    const y = b.data[i]!;
    if (Number.isNaN(x) !== Number.isNaN(y)) return Infinity;
    const e = Math.abs(x - y) / (atol + rtol * Math.abs(y));
    if (e > worst || Number.isNaN(e)) worst = Number.isNaN(e) ? Infinity : e;
  }
  return worst;
};

/** Bit-for-bit equality of two tensors (same shape, same values, NaN equal to NaN). */
export const identical = (a: HostTensor, b: HostTensor): boolean =>
  a.shape.length === b.shape.length &&
  a.shape.every((d, i) => d === b.shape[i]) &&
  a.data.length === b.data.length &&
  a.data.every((x, i) => Object.is(x, b.data[i]));

export const dot = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
};
