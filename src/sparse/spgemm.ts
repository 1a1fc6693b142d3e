import { type DType, alloc, dtypeOf } from '../tensor/tensor';
import { type Csr, nnzOf } from './csr';

/** The three SpGEMM dataflows compared in SMASH (Shivdikar). */
export type Dataflow = 'inner' | 'outer' | 'rowwise-hash';
export const dataflows: readonly Dataflow[] = ['inner', 'outer', 'rowwise-hash'];

/**
 * What a dataflow did, counted in the kernel as it ran. Bytes of A and B count the index (4 bytes)
 * and value (4 or 8) loads of stored entries, also when read from a transposed copy; row pointers
 * are not counted. Intermediates are everything allocated besides the inputs and the output C.
 */
export interface SpgemmCounters {
  /** Multiplications a_ik·b_kj performed (the partial products). */
  products: number;
  /** Partial products written to an intermediate structure before being summed (outer: all of them). */
  storedPartials: number;
  /** Peak bytes of intermediates alive at once. */
  peakIntermediateBytes: number;
  bytesReadA: number;
  bytesReadB: number;
}

/** Live/peak bookkeeping of intermediate bytes. */
class Live {
  live = 0;
  peak = 0;
  alloc(b: number) {
    this.live += b;
    if (this.live > this.peak) this.peak = this.live;
  }
  free(b: number) {
    this.live -= b;
  }
}

const valueBytes = (d: DType): number => (d === 'float64' ? 8 : 4);

/** Transpose (CSR of Aᵀ, i.e. A in CSC), keeping row order within each column. */
export const transpose = (a: Csr): Csr => {
  const nnz = nnzOf(a);
  const rowPtr = new Int32Array(a.cols + 1);
  for (let p = 0; p < nnz; p++) rowPtr[a.colIdx[p]! + 1]!++;
  for (let j = 0; j < a.cols; j++) rowPtr[j + 1]! += rowPtr[j]!;
  const next = rowPtr.slice(0, a.cols);
  const colIdx = new Int32Array(nnz);
  const values = alloc(dtypeOf(a.values), nnz);
  for (let i = 0; i < a.rows; i++)
    for (let p = a.rowPtr[i]!; p < a.rowPtr[i + 1]!; p++) {
      const q = next[a.colIdx[p]!]!++;
      colIdx[q] = i;
      values[q] = a.values[p]!;
    }
  return { rows: a.cols, cols: a.rows, rowPtr, colIdx, values };
};

const csrBytes = (a: Csr, vb: number) => (a.rows + 1) * 4 + nnzOf(a) * (4 + vb);

/** Assemble C from per-row column lists and float64 sums, rounding once to `dtype`. */
const assemble = (rows: number, cols: number, rowPtr: Int32Array, colIdx: Int32Array, sums: Float64Array, dtype: DType): Csr => {
  const values = alloc(dtype, sums.length);
  values.set(sums);
  return { rows, cols, rowPtr, colIdx, values };
};

const checkDims = (a: Csr, b: Csr) => {
  if (a.cols !== b.rows) throw new RangeError(`spgemm: A is ${a.rows} × ${a.cols} but B is ${b.rows} × ${b.cols}`);
};

/**
 * Inner-product dataflow: for every output position (i, j), intersect row i of A with column j of B
 * (B transposed once). No partial product is stored, but every row of A is fetched once per column
 * of B and vice versa. Visits all rows·cols positions: use on small or dense-ish outputs.
 */
export const spgemmInner = (a: Csr, b: Csr, counters?: SpgemmCounters): Csr => {
  checkDims(a, b);
  const dtype = dtypeOf(a.values);
  const vb = valueBytes(dtype);
  const live = new Live();
  const bt = transpose(b);
  let readA = 0;
  let readB = nnzOf(b) * (4 + vb);
  live.alloc(csrBytes(bt, vb));
  const rowPtr = new Int32Array(a.rows + 1);
  const cols: number[] = [];
  const sums: number[] = [];
  let products = 0;
  for (let i = 0; i < a.rows; i++) {
    const a0 = a.rowPtr[i]!, a1 = a.rowPtr[i + 1]!;
    for (let j = 0; j < b.cols; j++) {
      const b0 = bt.rowPtr[j]!, b1 = bt.rowPtr[j + 1]!;
      if (a0 === a1 || b0 === b1) continue;
      let pa = a0, pb = b0, s = 0, hit = false;
      while (pa < a1 && pb < b1) {
        const ka = a.colIdx[pa]!, kb = bt.colIdx[pb]!;
        if (ka === kb) {
          s += a.values[pa]! * bt.values[pb]!;
          hit = true;
          products++;
          readA += vb;
          readB += vb;
          pa++;
          pb++;
        } else if (ka < kb) pa++;
        else pb++;
      }
      // Index loads: every position the merge stepped over, plus the one it stopped at.
      readA += 4 * (Math.min(pa + 1, a1) - a0);
      readB += 4 * (Math.min(pb + 1, b1) - b0);
      if (hit) (cols.push(j), sums.push(s));
    }
    rowPtr[i + 1] = cols.length;
  }
  live.free(csrBytes(bt, vb));
  if (counters)
    Object.assign(counters, { products, storedPartials: 0, peakIntermediateBytes: live.peak, bytesReadA: readA, bytesReadB: readB });
  return assemble(a.rows, b.cols, rowPtr, Int32Array.from(cols), Float64Array.from(sums), dtype);
};

/**
 * Outer-product dataflow: for every k, column k of A (A transposed once) times row k of B, each read
 * once; every partial product (i, j, a_ik·b_kj) is stored, then they are sorted by (i, j) (stably,
 * so in k order) and merged.
 */
export const spgemmOuter = (a: Csr, b: Csr, counters?: SpgemmCounters): Csr => {
  checkDims(a, b);
  const dtype = dtypeOf(a.values);
  const vb = valueBytes(dtype);
  const live = new Live();
  const at = transpose(a);
  let readA = nnzOf(a) * (4 + vb);
  let readB = 0;
  live.alloc(csrBytes(at, vb));
  let total = 0;
  for (let k = 0; k < a.cols; k++) total += (at.rowPtr[k + 1]! - at.rowPtr[k]!) * (b.rowPtr[k + 1]! - b.rowPtr[k]!);
  // Partial products: row, column and value of each (the partial-product matrices, concatenated).
  const pi = new Int32Array(total), pj = new Int32Array(total), pv = new Float64Array(total);
  live.alloc(total * (8 + vb));
  let n = 0;
  for (let k = 0; k < a.cols; k++) {
    const a0 = at.rowPtr[k]!, a1 = at.rowPtr[k + 1]!, b0 = b.rowPtr[k]!, b1 = b.rowPtr[k + 1]!;
    if (a0 === a1) continue;
    readB += (b1 - b0) * (4 + vb);
    for (let p = a0; p < a1; p++) {
      const i = at.colIdx[p]!, x = at.values[p]!;
      for (let q = b0; q < b1; q++) (pi[n] = i), (pj[n] = b.colIdx[q]!), (pv[n] = x * b.values[q]!), n++;
    }
  }
  // Merge: counting sort by row then by column keeps k order within each (i, j).
  const order = new Int32Array(total);
  live.alloc(total * 4);
  const byCol = new Int32Array(b.cols + 1);
  for (let q = 0; q < total; q++) byCol[pj[q]! + 1]!++;
  for (let j = 0; j < b.cols; j++) byCol[j + 1]! += byCol[j]!;
  const tmp = new Int32Array(total);
  live.alloc(total * 4);
  for (let q = 0; q < total; q++) tmp[byCol[pj[q]!]!++] = q;
  const byRow = new Int32Array(a.rows + 1);
  for (let q = 0; q < total; q++) byRow[pi[q]! + 1]!++;
  for (let i = 0; i < a.rows; i++) byRow[i + 1]! += byRow[i]!;
  for (let t = 0; t < total; t++) {
    const q = tmp[t]!;
    order[byRow[pi[q]!]!++] = q;
  }
  const rowPtr = new Int32Array(a.rows + 1);
  const cols: number[] = [];
  const sums: number[] = [];
  for (let t = 0; t < total; ) {
    const q0 = order[t]!;
    const i = pi[q0]!, j = pj[q0]!;
    let s = 0;
    while (t < total && pi[order[t]!] === i && pj[order[t]!] === j) s += pv[order[t++]!]!;
    cols.push(j);
    sums.push(s);
    rowPtr[i + 1] = cols.length;
  }
  for (let i = 0; i < a.rows; i++) if (rowPtr[i + 1]! < rowPtr[i]!) rowPtr[i + 1] = rowPtr[i]!;
  live.free(live.live);
  if (counters)
    Object.assign(counters, { products: total, storedPartials: total, peakIntermediateBytes: live.peak, bytesReadA: readA, bytesReadB: readB });
  return assemble(a.rows, b.cols, rowPtr, Int32Array.from(cols), Float64Array.from(sums), dtype);
};

const EMPTY = -1;
/** Power of two ≥ 2·count (load factor ≤ 1/2), at least 2. */
const tableSize = (count: number): number => {
  let s = 2;
  while (s < 2 * count) s *= 2;
  return s;
};
const slot = (j: number, mask: number): number => Math.imul(j, 0x9e3779b1) >>> 0 & mask;

/**
 * Symbolic phase of the row-wise hash dataflow: the number of distinct columns of each row of
 * A·B, counted with a hash set sized from the row's product count. Returns C's row pointers.
 */
export const spgemmSymbolic = (a: Csr, b: Csr, counters?: SpgemmCounters, live = new Live()): Int32Array => {
  checkDims(a, b);
  const rowPtr = new Int32Array(a.rows + 1);
  let readA = 0, readB = 0;
  // One scratchpad reused by every row (cleared after use); each row uses a table sized to it.
  let keys = new Int32Array(0);
  for (let i = 0; i < a.rows; i++) {
    let upper = 0;
    for (let p = a.rowPtr[i]!; p < a.rowPtr[i + 1]!; p++) {
      const k = a.colIdx[p]!;
      upper += b.rowPtr[k + 1]! - b.rowPtr[k]!;
    }
    readA += 4 * (a.rowPtr[i + 1]! - a.rowPtr[i]!);
    const size = tableSize(upper), mask = size - 1;
    if (keys.length < size) keys = new Int32Array(size).fill(EMPTY);
    live.alloc(size * 4);
    let count = 0;
    for (let p = a.rowPtr[i]!; p < a.rowPtr[i + 1]!; p++) {
      const k = a.colIdx[p]!;
      readA += 4;
      for (let q = b.rowPtr[k]!; q < b.rowPtr[k + 1]!; q++) {
        const j = b.colIdx[q]!;
        readB += 4;
        let h = slot(j, mask);
        while (keys[h] !== EMPTY && keys[h] !== j) h = (h + 1) & mask;
        if (keys[h] === EMPTY) (keys[h] = j), count++;
      }
    }
    keys.fill(EMPTY, 0, size);
    live.free(size * 4);
    rowPtr[i + 1] = rowPtr[i]! + count;
  }
  if (counters) {
    counters.bytesReadA += readA;
    counters.bytesReadB += readB;
  }
  return rowPtr;
};

/**
 * Row-wise (Gustavson) dataflow with a hash scratchpad, as in SMASH: a symbolic phase sizes each
 * row's table, then a numeric phase merges every partial product into its row's table as it is
 * produced (no partial-product matrix), and the row is read out sorted by column.
 */
export const spgemmHash = (a: Csr, b: Csr, counters?: SpgemmCounters): Csr => {
  checkDims(a, b);
  const dtype = dtypeOf(a.values);
  const vb = valueBytes(dtype);
  const live = new Live();
  const c: SpgemmCounters = { products: 0, storedPartials: 0, peakIntermediateBytes: 0, bytesReadA: 0, bytesReadB: 0 };
  const rowPtr = spgemmSymbolic(a, b, c, live);
  live.alloc((a.rows + 1) * 4);
  const nnz = rowPtr[a.rows]!;
  const colIdx = new Int32Array(nnz);
  const sums = new Float64Array(nnz);
  let keys = new Int32Array(0);
  let vals = new Float64Array(0);
  for (let i = 0; i < a.rows; i++) {
    const count = rowPtr[i + 1]! - rowPtr[i]!;
    if (count === 0) continue; // no partial products: the numeric phase skips the row
    const size = tableSize(count), mask = size - 1;
    if (keys.length < size) (keys = new Int32Array(size).fill(EMPTY)), (vals = new Float64Array(size));
    live.alloc(size * (4 + vb));
    for (let p = a.rowPtr[i]!; p < a.rowPtr[i + 1]!; p++) {
      const k = a.colIdx[p]!, x = a.values[p]!;
      c.bytesReadA += 4 + vb;
      for (let q = b.rowPtr[k]!; q < b.rowPtr[k + 1]!; q++) {
        const j = b.colIdx[q]!;
        c.bytesReadB += 4 + vb;
        c.products++;
        let h = slot(j, mask);
        while (keys[h] !== EMPTY && keys[h] !== j) h = (h + 1) & mask;
        keys[h] = j;
        vals[h] = vals[h]! + x * b.values[q]!;
      }
    }
    // Read the row out in column order (canonical form).
    let o = rowPtr[i]!;
    for (let h = 0; h < size; h++) if (keys[h] !== EMPTY) colIdx[o++] = keys[h]!;
    const row = colIdx.subarray(rowPtr[i]!, rowPtr[i + 1]!);
    row.sort();
    for (let t = 0; t < count; t++) {
      const j = row[t]!;
      let h = slot(j, mask);
      while (keys[h] !== j) h = (h + 1) & mask;
      sums[rowPtr[i]! + t] = vals[h]!;
    }
    keys.fill(EMPTY, 0, size);
    vals.fill(0, 0, size);
    live.free(size * (4 + vb));
  }
  live.free((a.rows + 1) * 4);
  if (counters) Object.assign(counters, { ...c, storedPartials: 0, peakIntermediateBytes: live.peak });
  return assemble(a.rows, b.cols, rowPtr, colIdx, sums, dtype);
};

/**
 * C's pattern alone (the symbolic phase, then each row's column set read out of a hash set and
 * sorted): what the `:keep` variants of `spgemm` store and the others recompute.
 */
export const spgemmPattern = (a: Csr, b: Csr): { rowPtr: Int32Array; colIdx: Int32Array } => {
  const rowPtr = spgemmSymbolic(a, b);
  const colIdx = new Int32Array(rowPtr[a.rows]!);
  for (let i = 0; i < a.rows; i++) {
    const count = rowPtr[i + 1]! - rowPtr[i]!;
    if (count === 0) continue;
    const size = tableSize(count), mask = size - 1;
    const keys = new Int32Array(size).fill(EMPTY);
    for (let p = a.rowPtr[i]!; p < a.rowPtr[i + 1]!; p++) {
      const k = a.colIdx[p]!;
      for (let q = b.rowPtr[k]!; q < b.rowPtr[k + 1]!; q++) {
        const j = b.colIdx[q]!;
        let h = slot(j, mask);
        while (keys[h] !== EMPTY && keys[h] !== j) h = (h + 1) & mask;
        keys[h] = j;
      }
    }
    let o = rowPtr[i]!;
    for (let h = 0; h < size; h++) if (keys[h] !== EMPTY) colIdx[o++] = keys[h]!;
    colIdx.subarray(rowPtr[i]!, rowPtr[i + 1]!).sort();
  }
  return { rowPtr, colIdx };
};

/** A zeroed counter record. */
export const emptyCounters = (): SpgemmCounters => ({ products: 0, storedPartials: 0, peakIntermediateBytes: 0, bytesReadA: 0, bytesReadB: 0 });

/** C = A·B by the named dataflow; `counters`, if given, is filled in. */
export const spgemm = (a: Csr, b: Csr, dataflow: Dataflow = 'rowwise-hash', counters?: SpgemmCounters): Csr =>
  dataflow === 'inner' ? spgemmInner(a, b, counters) : dataflow === 'outer' ? spgemmOuter(a, b, counters) : spgemmHash(a, b, counters);

/**
 * The VJP of C = A·B over the values, the patterns fixed: given C's pattern and the cotangent dC on
 * it, dA = (dC·Bᵀ) sampled at A's pattern and dB = Aᵀ·dC sampled at B's pattern (float64).
 */
export const spgemmVjp = (a: Csr, b: Csr, cPattern: { rowPtr: Int32Array; colIdx: Int32Array }, dC: ArrayLike<number>): { dA: Float64Array; dB: Float64Array } => {
  const dA = new Float64Array(nnzOf(a));
  const dB = new Float64Array(nnzOf(b));
  const w = new Float64Array(b.cols);
  for (let i = 0; i < a.rows; i++) {
    for (let p = cPattern.rowPtr[i]!; p < cPattern.rowPtr[i + 1]!; p++) w[cPattern.colIdx[p]!] = dC[p]!;
    for (let p = a.rowPtr[i]!; p < a.rowPtr[i + 1]!; p++) {
      const k = a.colIdx[p]!, x = a.values[p]!;
      let s = 0;
      for (let q = b.rowPtr[k]!; q < b.rowPtr[k + 1]!; q++) {
        const g = w[b.colIdx[q]!]!;
        s += b.values[q]! * g;
        dB[q] = dB[q]! + x * g;
      }
      dA[p] = s;
    }
    for (let p = cPattern.rowPtr[i]!; p < cPattern.rowPtr[i + 1]!; p++) w[cPattern.colIdx[p]!] = 0;
  }
  return { dA, dB };
};
