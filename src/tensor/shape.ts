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
