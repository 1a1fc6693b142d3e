import * as E from 'fp-ts/lib/Either.js';
import { type DType, type FArray, type HostTensor, alloc } from '../tensor/tensor';
import { csrDims, csrShape, showShape } from '../tensor/shape';

/**
 * A compressed-sparse-row matrix in JavaScript memory: row `i` holds the entries
 * `rowPtr[i] ≤ p < rowPtr[i+1]`, at columns `colIdx[p]` (strictly increasing within a row) with
 * values `values[p]`.
 */
export interface Csr {
  readonly rows: number;
  readonly cols: number;
  readonly rowPtr: Int32Array;
  readonly colIdx: Int32Array;
  readonly values: FArray;
}

/** Number of stored nonzeros. */
export const nnzOf = (a: Csr): number => a.rowPtr[a.rows]!;

const intIn = (x: number, lo: number, hi: number): boolean => Number.isInteger(x) && x >= lo && x <= hi;

/**
 * Check the CSR invariants, naming the first violation: positive integer dimensions, `rows + 1`
 * row pointers starting at 0, monotone, ending at the number of stored entries; column indices
 * integers in `[0, cols)`, strictly increasing within each row (sorted and unique); finite values.
 * `where` prefixes the message (a file, JSON path or term path).
 */
export const validateCsr = (a: Csr, where = 'csr'): E.Either<string, Csr> => {
  const bad = (m: string) => E.left(`${where}: ${m}`);
  if (!intIn(a.rows, 1, 2 ** 31 - 1) || !intIn(a.cols, 1, 2 ** 31 - 1))
    return bad(`dimensions must be positive integers, got ${a.rows} × ${a.cols}`);
  if (a.rowPtr.length !== a.rows + 1) return bad(`expected ${a.rows + 1} row pointers (rows + 1), got ${a.rowPtr.length}`);
  if (a.rowPtr[0] !== 0) return bad(`row pointers must start at 0, got rowPtr[0] = ${a.rowPtr[0]}`);
  for (let i = 0; i < a.rows; i++)
    if (a.rowPtr[i + 1]! < a.rowPtr[i]!)
      return bad(`row pointers must be non-decreasing, but rowPtr[${i + 1}] = ${a.rowPtr[i + 1]} < rowPtr[${i}] = ${a.rowPtr[i]}`);
  const nnz = a.rowPtr[a.rows]!;
  if (a.colIdx.length !== nnz) return bad(`rowPtr[${a.rows}] = ${nnz} entries, but ${a.colIdx.length} column indices`);
  if (a.values.length !== nnz) return bad(`rowPtr[${a.rows}] = ${nnz} entries, but ${a.values.length} values`);
  for (let i = 0; i < a.rows; i++)
    for (let p = a.rowPtr[i]!; p < a.rowPtr[i + 1]!; p++) {
      const j = a.colIdx[p]!;
      if (j < 0 || j >= a.cols) return bad(`row ${i}, entry ${p}: column index ${j} is out of range [0, ${a.cols})`);
      if (p > a.rowPtr[i]! && j <= a.colIdx[p - 1]!)
        return bad(
          `row ${i}, entry ${p}: column indices must be sorted and unique within a row, got ${a.colIdx[p - 1]} then ${j}`,
        );
      if (!Number.isFinite(a.values[p]!)) return bad(`row ${i}, entry ${p}: value ${a.values[p]} is not finite`);
    }
  return E.right(a);
};

/** {@link validateCsr}, throwing a `RangeError` with its message. */
export const csrOrThrow = (a: Csr, where?: string): Csr => {
  const r = validateCsr(a, where);
  if (E.isLeft(r)) throw new RangeError(r.left);
  return r.right;
};

/**
 * A validated CSR matrix from plain arrays.
 *
 * @example
 * const a = csr(2, 3, [0, 1, 3], [2, 0, 1], [5, 6, 7]); // [[0,0,5],[6,7,0]]
 */
export const csr = (
  rows: number,
  cols: number,
  rowPtr: ArrayLike<number>,
  colIdx: ArrayLike<number>,
  values: ArrayLike<number>,
  dtype: DType = 'float64',
): E.Either<string, Csr> => {
  for (const [name, xs] of [['rowPtr', rowPtr], ['colIdx', colIdx]] as const)
    for (let p = 0; p < xs.length; p++)
      if (!Number.isInteger(xs[p]!) || Math.abs(xs[p]!) > 2 ** 31 - 1) return E.left(`csr: ${name}[${p}] = ${xs[p]} is not a 32-bit integer`);
  const v = alloc(dtype, values.length);
  v.set(values);
  return validateCsr({ rows, cols, rowPtr: Int32Array.from(rowPtr), colIdx: Int32Array.from(colIdx), values: v });
};

/** The dense row-major matrix of a CSR matrix (float64). */
export const toDense = (a: Csr): Float64Array => {
  const out = new Float64Array(a.rows * a.cols);
  for (let i = 0; i < a.rows; i++) for (let p = a.rowPtr[i]!; p < a.rowPtr[i + 1]!; p++) out[i * a.cols + a.colIdx[p]!] = a.values[p]!;
  return out;
};

/** The CSR matrix of a dense row-major one, keeping the entries where `keep` holds (default: nonzero). */
export const fromDense = (rows: number, cols: number, d: ArrayLike<number>, keep: (x: number, i: number, j: number) => boolean = (x) => x !== 0): Csr => {
  const rowPtr = new Int32Array(rows + 1);
  const ci: number[] = [];
  const vs: number[] = [];
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) if (keep(d[i * cols + j]!, i, j)) (ci.push(j), vs.push(d[i * cols + j]!));
    rowPtr[i + 1] = ci.length;
  }
  return { rows, cols, rowPtr, colIdx: Int32Array.from(ci), values: Float64Array.from(vs) };
};

/** The same pattern with other values. */
export const withValues = (a: Csr, values: FArray): Csr => ({ ...a, values });

// ---------------------------------------------------------------------------------------------
// Packed form: how a CSR matrix travels on a wire

/**
 * Pack a CSR matrix into one host tensor of the wire type `csrShape(rows, cols, bound)`: row
 * pointers, then `bound` column-index slots, then `bound` value slots; slots past the stored
 * entries are zero. Indices are exact in float32 up to 2²⁴.
 */
export const packCsr = (a: Csr, bound: number = nnzOf(a), dtype: DType = 'float32'): HostTensor => {
  const nnz = nnzOf(a);
  if (nnz > bound) throw new RangeError(`packCsr: ${nnz} stored entries exceed the bound ${bound}`);
  const data = alloc(dtype, a.rows + 1 + 2 * bound);
  data.set(a.rowPtr, 0);
  data.set(a.colIdx, a.rows + 1);
  data.set(a.values, a.rows + 1 + bound);
  return { shape: csrShape(a.rows, a.cols, bound), data };
};

/**
 * A packed cotangent of a CSR wire: the value slots hold `values` (on the primal's pattern), every
 * pattern slot is zero (the pattern is discrete: it carries no gradient), so cotangents add slot-wise.
 */
export const packCotangent = (shape: readonly number[], values: ArrayLike<number>, dtype: DType): HostTensor => {
  const d = csrDims(shape);
  if (!d) throw new RangeError(`packCotangent: ${showShape(shape)} is not a CSR wire type`);
  const data = alloc(dtype, d.rows + 1 + 2 * d.nnz);
  data.set(values, d.rows + 1 + d.nnz);
  return { shape: [...shape], data };
};

/** The stored values of a packed cotangent whose primal has `nnz` entries. */
export const cotangentValues = (t: HostTensor, nnz: number): FArray => {
  const d = csrDims(t.shape)!;
  return t.data.subarray(d.rows + 1 + d.nnz, d.rows + 1 + d.nnz + nnz);
};

/** Unpack and validate a packed CSR tensor; `where` names the wire in messages. */
export const unpackCsr = (t: HostTensor, where = 'csr'): E.Either<string, Csr> => {
  const d = csrDims(t.shape);
  if (!d) return E.left(`${where}: expected a CSR wire, got a dense tensor ${showShape(t.shape)}`);
  const need = d.rows + 1 + 2 * d.nnz;
  if (t.data.length !== need) return E.left(`${where}: a ${showShape(t.shape)} wire packs ${need} numbers, got ${t.data.length}`);
  const nnz = t.data[d.rows]!;
  if (!Number.isInteger(nnz) || nnz < 0 || nnz > d.nnz)
    return E.left(`${where}: rowPtr[${d.rows}] = ${nnz} stored entries, expected an integer in [0, ${d.nnz}] (the wire's bound)`);
  for (let p = 0; p <= d.rows; p++)
    if (!Number.isInteger(t.data[p]!)) return E.left(`${where}: rowPtr[${p}] = ${t.data[p]} is not an integer`);
  for (let p = 0; p < nnz; p++)
    if (!Number.isInteger(t.data[d.rows + 1 + p]!)) return E.left(`${where}: colIdx[${p}] = ${t.data[d.rows + 1 + p]} is not an integer`);
  const a: Csr = {
    rows: d.rows,
    cols: d.cols,
    rowPtr: Int32Array.from(t.data.subarray(0, d.rows + 1)),
    colIdx: Int32Array.from(t.data.subarray(d.rows + 1, d.rows + 1 + nnz)),
    values: t.data.slice(d.rows + 1 + d.nnz, d.rows + 1 + d.nnz + nnz),
  };
  return validateCsr(a, where);
};
