/**
 * A tensor shape: row-major dimensions. `[]` is a scalar.
 *
 * A sparse (CSR) wire's type is also a `Shape`, tagged so that every interpretation that counts
 * elements or prints shapes handles it without a second wire type: `[CSR_TAG, m, n, nnz]` is an
 * `m × n` CSR matrix holding at most `nnz` nonzeros. Build and read it with {@link csrShape} and
 * {@link csrDims}; `sizeOf` gives its storage (row pointers, column indices and values at the bound).
 */
export type Shape = readonly number[];

/** First entry of a CSR wire type (no dense dimension is negative). */
export const CSR_TAG = -1;

/** Dimensions and nonzero bound of a CSR wire type. */
export interface CsrDims {
  readonly rows: number;
  readonly cols: number;
  /** Upper bound on the number of stored nonzeros. */
  readonly nnz: number;
}

/** The wire type of an `rows × cols` CSR matrix with at most `nnz` nonzeros. */
export const csrShape = (rows: number, cols: number, nnz: number): Shape => [CSR_TAG, rows, cols, nnz];

/** True for a CSR wire type. */
export const isCsrShape = (s: Shape): boolean => s.length === 4 && s[0] === CSR_TAG;

/** The dimensions of a CSR wire type, or undefined for a dense shape. */
export const csrDims = (s: Shape): CsrDims | undefined =>
  isCsrShape(s) ? { rows: s[1]!, cols: s[2]!, nnz: s[3]! } : undefined;

/**
 * Number of elements of a shape; for a CSR wire type, the elements of its packed storage at the
 * bound: `rows + 1` row pointers, `nnz` column indices and `nnz` values.
 */
export const sizeOf = (shape: Shape): number => {
  const c = csrDims(shape);
  if (c) return c.rows + 1 + 2 * c.nnz;
  return shape.reduce((a, b) => a * b, 1);
};

export const shapeEq = (a: Shape, b: Shape): boolean =>
  a.length === b.length && a.every((d, i) => d === b[i]);

export const showShape = (s: Shape): string => {
  const c = csrDims(s);
  return c ? `csr[${c.rows},${c.cols};nnz≤${c.nnz}]` : `[${s.join(',')}]`;
};

/**
 * True when every dimension is a positive integer, or for a CSR wire type with positive integer
 * dimensions and an integer bound `0 ≤ nnz ≤ rows·cols`.
 */
export const isValidShape = (s: Shape): boolean => {
  if (!Array.isArray(s)) return false;
  const c = csrDims(s);
  if (c)
    return [c.rows, c.cols].every((d) => Number.isInteger(d) && d > 0) && Number.isInteger(c.nnz) && c.nnz >= 0 && c.nnz <= c.rows * c.cols;
  return s.every((d) => Number.isInteger(d) && d > 0);
};

/** Most elements of one tensor a backend allocates: the longest typed array JavaScript makes. */
export const MAX_TENSOR_ELEMENTS = 2 ** 32;

/** A tensor shape a backend refuses: the same message from every backend. */
export class ShapeError extends RangeError {
  override readonly name = 'ShapeError';
}

const showDimsOf = (s: unknown): string =>
  Array.isArray(s) && s.length <= 16 && s.every((d) => typeof d === 'number' && Number.isFinite(d))
    ? `[${s.join(',')}]`
    : Array.isArray(s)
      ? `an array of ${s.length} dimension(s) with non-numbers in it`
      : `not an array (${s === null ? 'null' : typeof s})`;

/**
 * Throw a {@link ShapeError} unless `shape` is an array of integers ≥ 0 of at most 2^53 − 1 with at
 * most {@link MAX_TENSOR_ELEMENTS} elements in all. Every backend checks shapes with this, so an
 * invalid shape is refused with the same message wherever it is used.
 */
export const assertShape = (shape: unknown, what: string): void => {
  if (!Array.isArray(shape)) throw new ShapeError(`${what}: ${showDimsOf(shape)} is not a tensor shape (an array of dimensions)`);
  const c = csrDims(shape);
  if (c) {
    // A CSR wire type: positive rows and columns, a nonzero bound in [0, rows·cols], storage within the limit.
    const ok = [c.rows, c.cols].every((d) => Number.isSafeInteger(d) && d > 0) && Number.isSafeInteger(c.nnz) && c.nnz >= 0 && c.nnz <= c.rows * c.cols;
    if (!ok) throw new ShapeError(`${what}: ${showShape(shape)} is not a CSR wire type: rows and columns must be positive integers and 0 ≤ nnz ≤ rows·cols`);
    if (sizeOf(shape) > MAX_TENSOR_ELEMENTS) throw new ShapeError(`${what}: ${showShape(shape)} stores ${sizeOf(shape)} elements, more than the ${MAX_TENSOR_ELEMENTS} a tensor may hold`);
    return;
  }
  let n = 1;
  for (const d of shape)
    if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0)
      throw new ShapeError(`${what}: ${showDimsOf(shape)} is not a tensor shape: dimensions must be integers ≥ 0`);
    else n *= d;
  if (n > MAX_TENSOR_ELEMENTS) throw new ShapeError(`${what}: ${showDimsOf(shape)} has ${n} elements, more than the ${MAX_TENSOR_ELEMENTS} a tensor may hold`);
};
