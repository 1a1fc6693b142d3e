import fc from 'fast-check';
import * as E from 'fp-ts/lib/Either.js';
import { type Csr, nnzOf, packCsr, toDense, validateCsr } from '../src/sparse/csr';
import { erdosRenyi } from '../src/sparse/generate';
import { type Dataflow, type SpgemmCounters, dataflows, emptyCounters, spgemm, transpose } from '../src/sparse/spgemm';
import { csrShape } from '../src/tensor/shape';
import { rng, randn } from '../src/tensor/rng';
import type { HostTensor } from '../src/tensor/tensor';
import { copy, par, prim, seq } from '../src/term/term';
import type { ConformanceCase } from './conformance';

/** A seeded random sparse matrix packed at the full bound rows·cols (so every sample fits its wire type). */
const sparseSample = (rows: number, cols: number, density: number, seed: number, label: string): HostTensor =>
  packCsr(erdosRenyi(rows, cols, density, rng(seed).fork(label).int(2 ** 31)), rows * cols, 'float64');

const full = (rows: number, cols: number) => csrShape(rows, cols, rows * cols);

/**
 * Conformance cases for the sparse primitives: every spgemm variant (three dataflows, each keeping or
 * recomputing C's pattern), spmm, sddmm, and a two-hop graph layer (Â and Â² from one copied wire).
 */
export const sparseCases: readonly ConformanceCase[] = [
  ...['rowwise-hash', 'inner', 'outer'].flatMap((d) =>
    [d, `${d}:keep`].map(
      (variant): ConformanceCase => ({
        name: `spgemm ${variant}`,
        term: prim('spgemm', {}, { variant }),
        inputs: [full(6, 5), full(5, 7)],
        sample: (s) => [sparseSample(6, 5, 0.35, s, 'a'), sparseSample(5, 7, 0.35, s, 'b')],
      }),
    ),
  ),
  {
    name: 'spmm',
    term: prim('spmm'),
    inputs: [full(6, 5), [5, 3]],
    sample: (s) => [sparseSample(6, 5, 0.4, s, 'a'), randn([5, 3], rng(s).fork('x'))],
  },
  {
    name: 'sddmm',
    term: prim('sddmm'),
    inputs: [full(6, 5), [6, 3], [5, 3]],
    sample: (s) => [sparseSample(6, 5, 0.4, s, 's'), randn([6, 3], rng(s).fork('x')), randn([5, 3], rng(s).fork('y'))],
  },
  {
    name: 'two-hop (Â, Â² by spgemm, spmm)',
    // [Â, X] ↦ [Â·X, Â²·X]: copy Â three ways, square two copies, multiply both by copies of X.
    term: seq(
      par(copy(3), copy(2)),
      prim('permute', { perm: [0, 3, 1, 2, 4] }),
      par(prim('spmm'), prim('spgemm', { nnz: 36 }), prim('id', { n: 1 })),
      par(prim('id', { n: 1 }), prim('spmm')),
    ),
    inputs: [full(6, 6), [6, 2]],
    sample: (s) => [sparseSample(6, 6, 0.3, s, 'adj'), randn([6, 2], rng(s).fork('x'))],
  },
];

// ---------------------------------------------------------------------------------------------
// Dense reference and dataflow laws

/** Dense float64 product of two CSR matrices, summed in k order. */
export const denseProduct = (a: Csr, b: Csr): Float64Array => {
  const da = toDense(a), db = toDense(b);
  const out = new Float64Array(a.rows * b.cols);
  for (let i = 0; i < a.rows; i++)
    for (let k = 0; k < a.cols; k++) {
      const x = da[i * a.cols + k]!;
      if (x !== 0) for (let j = 0; j < b.cols; j++) out[i * b.cols + j] += x * db[k * b.cols + j]!;
    }
  return out;
};

/** Bit-for-bit equality of two CSR matrices (pattern and values; NaN equal to NaN). */
export const csrIdentical = (x: Csr, y: Csr): boolean =>
  x.rows === y.rows &&
  x.cols === y.cols &&
  x.rowPtr.length === y.rowPtr.length &&
  x.rowPtr.every((v, i) => v === y.rowPtr[i]) &&
  x.colIdx.length === y.colIdx.length &&
  x.colIdx.every((v, i) => v === y.colIdx[i]) &&
  x.values.length === y.values.length &&
  x.values.every((v, i) => Object.is(v, y.values[i]));

/**
 * Law: every dataflow gives the same C bit for bit (canonical form: rows sorted by column), and C
 * equals the dense product within `tol` (relative to the largest |c|), with the structural pattern
 * (every (i, j) with some stored a_ik and b_kj).
 */
export const spgemmLaw = (a: Csr, b: Csr, tol = 1e-12): { ok: boolean; detail: string } => {
  const cs = dataflows.map((d) => spgemm(a, b, d));
  for (let d = 1; d < cs.length; d++)
    if (!csrIdentical(cs[0]!, cs[d]!)) return { ok: false, detail: `${dataflows[d]} differs from ${dataflows[0]}` };
  const c = cs[0]!;
  if (E.isLeft(validateCsr(c, 'C'))) return { ok: false, detail: 'C is not valid CSR' };
  const ref = denseProduct(a, b);
  const dc = toDense(c);
  const scale = ref.reduce((m, x) => Math.max(m, Math.abs(x)), 1);
  for (let p = 0; p < ref.length; p++)
    if (Math.abs(dc[p]! - ref[p]!) > tol * scale) return { ok: false, detail: `C[${p}] = ${dc[p]} but dense gives ${ref[p]}` };
  // Structural pattern: count (i, j) reachable through some k.
  const da = toDense({ ...a, values: Float64Array.from(a.values, () => 1) });
  const db = toDense({ ...b, values: Float64Array.from(b.values, () => 1) });
  let structural = 0;
  for (let i = 0; i < a.rows; i++)
    for (let j = 0; j < b.cols; j++) {
      let hit = false;
      for (let k = 0; k < a.cols && !hit; k++) hit = da[i * a.cols + k] !== 0 && db[k * b.cols + j] !== 0;
      if (hit) structural++;
    }
  return structural === nnzOf(c) ? { ok: true, detail: '' } : { ok: false, detail: `C stores ${nnzOf(c)} entries, the structural product has ${structural}` };
};

/**
 * Closed-form counters of each dataflow, from the inputs' row and column counts alone, for value
 * size `vb`. Inner's index loads depend on where each merge stops, so its closed form holds on the
 * two families where that is known: a `dense` pattern (every merge reads both lists whole) and the
 * `diagonal` (every merge reads one entry of each).
 */
export const closedFormCounters = (a: Csr, b: Csr, dataflow: Dataflow, vb: number, family?: 'dense' | 'diagonal'): SpgemmCounters => {
  const at = transpose(a);
  const colA = (k: number) => at.rowPtr[k + 1]! - at.rowPtr[k]!;
  const rowB = (k: number) => b.rowPtr[k + 1]! - b.rowPtr[k]!;
  let products = 0;
  for (let k = 0; k < a.cols; k++) products += colA(k) * rowB(k);
  const nA = nnzOf(a), nB = nnzOf(b);
  if (dataflow === 'outer') {
    let readB = 0;
    for (let k = 0; k < a.cols; k++) if (colA(k) > 0) readB += rowB(k) * (4 + vb);
    // Aᵀ, then all partials (row, column, value) with two int32 sort arrays.
    const peak = (a.cols + 1) * 4 + nA * (4 + vb) + products * (8 + vb) + 2 * products * 4;
    return { products, storedPartials: products, peakIntermediateBytes: peak, bytesReadA: nA * (4 + vb), bytesReadB: readB };
  }
  if (dataflow === 'rowwise-hash') {
    // Symbolic: A's indices twice (sizing, then counting), B's indices once per product; numeric:
    // entries of rows with a nonempty product, and every product's B entry.
    let readA = 8 * nA;
    let peak = 0;
    let numeric = 0;
    const size = (n: number) => { let s = 2; while (s < 2 * n) s *= 2; return s; };
    const c = spgemm(a, b, 'inner');
    for (let i = 0; i < a.rows; i++) {
      let upper = 0;
      for (let p = a.rowPtr[i]!; p < a.rowPtr[i + 1]!; p++) upper += rowB(a.colIdx[p]!);
      peak = Math.max(peak, size(upper) * 4);
      const count = c.rowPtr[i + 1]! - c.rowPtr[i]!;
      if (count > 0) {
        readA += (a.rowPtr[i + 1]! - a.rowPtr[i]!) * (4 + vb);
        numeric = Math.max(numeric, size(count) * (4 + vb));
      }
    }
    // The row counts stay alive through the numeric phase, one row's table at a time.
    peak = Math.max(peak, (a.rows + 1) * 4 + numeric);
    return { products, storedPartials: 0, peakIntermediateBytes: peak, bytesReadA: readA, bytesReadB: products * (8 + vb) };
  }
  if (!family) throw new RangeError('closedFormCounters: inner needs a family (dense or diagonal)');
  const m = a.rows, n = b.cols, k = a.cols;
  const peak = (n + 1) * 4 + nB * (4 + vb);
  const loads = family === 'dense' ? m * n * k : m * n;
  return { products, storedPartials: 0, peakIntermediateBytes: peak, bytesReadA: 4 * loads + products * vb, bytesReadB: nB * (4 + vb) + 4 * loads + products * vb };
};

/** Counters a run of `dataflow` reports. */
export const measuredCounters = (a: Csr, b: Csr, dataflow: Dataflow): SpgemmCounters => {
  const c = emptyCounters();
  spgemm(a, b, dataflow, c);
  return c;
};

// ---------------------------------------------------------------------------------------------
// CSR corruption generator

/** One way to break a valid CSR matrix, and the words the error must contain. */
export interface Corruption {
  readonly kind: string;
  readonly expect: RegExp;
  readonly apply: (a: Csr) => Csr | null;
}

const clone = (a: Csr): Csr => ({ ...a, rowPtr: a.rowPtr.slice(), colIdx: a.colIdx.slice(), values: a.values.slice() });
const firstRowWith = (a: Csr, n: number): number => {
  for (let i = 0; i < a.rows; i++) if (a.rowPtr[i + 1]! - a.rowPtr[i]! >= n) return i;
  return -1;
};

/** Corruptions of each CSR invariant; `apply` gives null where the matrix has no room for it. */
export const corruptions: readonly Corruption[] = [
  { kind: 'first row pointer', expect: /start at 0/, apply: (a) => { const c = clone(a); c.rowPtr[0] = 1; return c; } },
  {
    kind: 'decreasing row pointers',
    expect: /non-decreasing|start at 0/,
    apply: (a) => {
      if (a.rows < 2) return null;
      const c = clone(a);
      const i = 1 + Math.floor(a.rows / 2) - 1;
      c.rowPtr[i] = c.rowPtr[i + 1]! + 1;
      return c;
    },
  },
  { kind: 'row pointer count', expect: /row pointers/, apply: (a) => ({ ...clone(a), rowPtr: a.rowPtr.slice(0, a.rows) }) },
  { kind: 'last row pointer', expect: /entries, but/, apply: (a) => { const c = clone(a); c.rowPtr[a.rows] = c.rowPtr[a.rows]! + 1; return c; } },
  { kind: 'values length', expect: /values/, apply: (a) => ({ ...clone(a), values: Float64Array.from([...a.values, 1]) }) },
  { kind: 'column too large', expect: /out of range/, apply: (a) => { if (!nnzOf(a)) return null; const c = clone(a); c.colIdx[nnzOf(a) - 1] = a.cols; return c; } },
  { kind: 'negative column', expect: /out of range/, apply: (a) => { if (!nnzOf(a)) return null; const c = clone(a); c.colIdx[0] = -1; return c; } },
  {
    kind: 'duplicate column',
    expect: /sorted and unique/,
    apply: (a) => { const i = firstRowWith(a, 2); if (i < 0) return null; const c = clone(a); const p = a.rowPtr[i]!; c.colIdx[p + 1] = c.colIdx[p]!; return c; },
  },
  {
    kind: 'unsorted columns',
    expect: /sorted and unique/,
    apply: (a) => { const i = firstRowWith(a, 2); if (i < 0) return null; const c = clone(a); const p = a.rowPtr[i]!; [c.colIdx[p], c.colIdx[p + 1]] = [c.colIdx[p + 1]!, c.colIdx[p]!]; return c; },
  },
  { kind: 'non-finite value', expect: /not finite/, apply: (a) => { if (!nnzOf(a)) return null; const c = clone(a); c.values[0] = NaN; return c; } },
];

/** Arbitrary valid CSR matrices (seeded Erdős–Rényi patterns, up to 8 × 8). */
export const arbCsr: fc.Arbitrary<Csr> = fc
  .record({ rows: fc.integer({ min: 1, max: 8 }), cols: fc.integer({ min: 1, max: 8 }), density: fc.double({ min: 0.05, max: 1, noNaN: true }), seed: fc.nat() })
  .map(({ rows, cols, density, seed }) => erdosRenyi(rows, cols, density, seed));

/** Law: a valid matrix passes validation, and every applicable corruption of it fails with its message. */
export const validationLaw = (a: Csr): { ok: boolean; detail: string } => {
  if (E.isLeft(validateCsr(a))) return { ok: false, detail: `valid matrix rejected: ${(validateCsr(a) as E.Left<string>).left}` };
  for (const c of corruptions) {
    const bad = c.apply(a);
    if (!bad) continue;
    const r = validateCsr(bad, 'A');
    if (E.isRight(r)) return { ok: false, detail: `${c.kind}: accepted` };
    if (!c.expect.test(r.left) || !r.left.startsWith('A: ')) return { ok: false, detail: `${c.kind}: unclear message '${r.left}'` };
  }
  return { ok: true, detail: '' };
};
