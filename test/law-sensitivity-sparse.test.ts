import { afterEach, describe, expect, it, vi } from 'vitest';
import * as E from 'fp-ts/lib/Either.js';
import type { Csr } from '../src/sparse/csr';

/**
 * Law sensitivity for the sparse laws (laws/sparse.ts): `spgemmLaw` and `validationLaw` are fed a
 * wrong spgemm or a wrong validator (through module mocks that are the real ones until a test
 * switches them) and must fail, naming what is wrong; the helpers give hand-worked values.
 */
const wrong = vi.hoisted(() => ({
  spgemm: undefined as undefined | ((c: Csr, dataflow: string) => Csr),
  validate: undefined as undefined | ((a: Csr, where: string | undefined) => E.Either<string, Csr> | undefined),
}));

vi.mock('../src/sparse/spgemm', async (importOriginal) => {
  const m = await importOriginal<typeof import('../src/sparse/spgemm')>();
  return {
    ...m,
    spgemm: (a: Csr, b: Csr, dataflow: 'inner' | 'outer' | 'rowwise-hash' = 'rowwise-hash', counters?: Parameters<typeof m.spgemm>[3]) => {
      const c = m.spgemm(a, b, dataflow, counters);
      return wrong.spgemm ? wrong.spgemm(c, dataflow) : c;
    },
  };
});
vi.mock('../src/sparse/csr', async (importOriginal) => {
  const m = await importOriginal<typeof import('../src/sparse/csr')>();
  return { ...m, validateCsr: (a: Csr, where?: string) => wrong.validate?.(a, where) ?? m.validateCsr(a, where) };
});

const { closedFormCounters, corruptions, csrIdentical, denseProduct, spgemmLaw, validationLaw } = await import('../laws/sparse');
const { csr, validateCsr } = await import('../src/sparse/csr');

afterEach(() => {
  wrong.spgemm = undefined;
  wrong.validate = undefined;
});

const make = (rows: number, cols: number, rowPtr: number[], colIdx: number[], values: number[]): Csr => {
  const r = csr(rows, cols, rowPtr, colIdx, values);
  if (E.isLeft(r)) throw new Error(r.left);
  return r.right;
};
/** A = [[1, 0, 2], [0, 0, 3]], B = [[1, −1], [0, 4], [2, 0]]: AB = [[5, −1], [6, 0]] (6 = 3·2). */
const A = make(2, 3, [0, 2, 3], [0, 2, 2], [1, 2, 3]);
const B = make(3, 2, [0, 2, 3, 4], [0, 1, 1, 0], [1, -1, 4, 2]);
const withValue = (c: Csr, p: number, v: number): Csr => {
  const values = Float64Array.from(c.values);
  values[p] = v;
  return { ...c, values };
};

describe('helpers', () => {
  it('denseProduct: by hand', () => {
    expect([...denseProduct(A, B)]).toEqual([5, -1, 6, 0]);
    // A row with no entries and a column of B never reached.
    const a = make(2, 2, [0, 0, 1], [1], [2]);
    const b = make(2, 3, [0, 1, 2], [2, 0], [7, 5]);
    expect([...denseProduct(a, b)]).toEqual([0, 0, 0, 10, 0, 0]);
  });
  it('csrIdentical: every part compared, values with Object.is', () => {
    const c = make(2, 2, [0, 1, 2], [0, 1], [1, 2]);
    expect(csrIdentical(c, make(2, 2, [0, 1, 2], [0, 1], [1, 2]))).toBe(true);
    expect(csrIdentical(c, { ...c, rows: 3 })).toBe(false);
    expect(csrIdentical(c, { ...c, cols: 3 })).toBe(false);
    expect(csrIdentical(c, make(2, 2, [0, 0, 2], [0, 1], [1, 2]))).toBe(false);
    expect(csrIdentical(c, { ...c, rowPtr: Int32Array.from([0, 1, 2, 2]) })).toBe(false);
    expect(csrIdentical(c, make(2, 2, [0, 1, 2], [1, 1], [1, 2]))).toBe(false);
    expect(csrIdentical(c, { ...c, colIdx: Int32Array.from([0, 1, 1]) })).toBe(false);
    expect(csrIdentical(c, withValue(c, 1, 2 + 2 ** -51))).toBe(false);
    expect(csrIdentical(c, { ...c, values: Float64Array.from([1, 2, 3]) })).toBe(false);
    expect(csrIdentical(withValue(c, 0, 0), withValue(c, 0, -0))).toBe(false);
    expect(csrIdentical(withValue(c, 0, NaN), withValue(c, 0, NaN))).toBe(true);
  });
  it('closedFormCounters: inner needs a family', () => {
    expect(() => closedFormCounters(A, B, 'inner', 8)).toThrow(/^closedFormCounters: inner needs a family \(dense or diagonal\)$/);
  });
});

describe('spgemmLaw rejects a wrong spgemm', () => {
  it('accepts the real one', () => expect(spgemmLaw(A, B)).toEqual({ ok: true, detail: '' }));
  it('one dataflow differing in one value by one ulp: named', () => {
    for (const d of ['outer', 'rowwise-hash']) {
      wrong.spgemm = (c, dataflow) => (dataflow === d ? withValue(c, 0, c.values[0]! * (1 + 2 ** -52)) : c);
      expect(spgemmLaw(A, B)).toEqual({ ok: false, detail: `${d} differs from inner` });
    }
  });
  it('every dataflow wrong the same way: against the dense product, to tol relative to max |c|', () => {
    // C's values in order: 5, −1, 6; the third off by 6e-9 (relative to max |c| = 6: 1e-9).
    wrong.spgemm = (c) => withValue(c, 2, 6 + 6e-9);
    expect(spgemmLaw(A, B)).toEqual({ ok: false, detail: `C[2] = ${6 + 6e-9} but dense gives 6` });
    expect(spgemmLaw(A, B, 2e-9).ok).toBe(true);
    expect(spgemmLaw(A, B, 0.5e-9).ok).toBe(false);
  });
  it('the tolerance is relative to max |c| and at least absolute', () => {
    // AB = [[1e-3]]: an error of 5e-13 is within 1e-12 · max(1, 1e-3) but not 1e-12 · 1e-3.
    const a = make(1, 1, [0, 1], [0], [1e-3]);
    const b = make(1, 1, [0, 1], [0], [1]);
    wrong.spgemm = (c) => withValue(c, 0, 1e-3 + 5e-13);
    expect(spgemmLaw(a, b).ok).toBe(true);
    wrong.spgemm = (c) => withValue(c, 0, 1e-3 + 2e-12);
    expect(spgemmLaw(a, b).ok).toBe(false);
  });
  it('an invalid C is named', () => {
    wrong.spgemm = (c) => ({ ...c, colIdx: Int32Array.from([1, 0, 0]) });
    expect(spgemmLaw(A, B)).toEqual({ ok: false, detail: 'C is not valid CSR' });
  });
  it('a C without its structural zero (a cancellation), or with an extra stored zero, is named', () => {
    // [1 1]·[1; −1] = [0]: one structural entry whose value is 0.
    const a = make(1, 2, [0, 2], [0, 1], [1, 1]);
    const b = make(2, 1, [0, 1, 2], [0, 0], [1, -1]);
    expect(spgemmLaw(a, b)).toEqual({ ok: true, detail: '' });
    wrong.spgemm = (c) => ({ ...c, rowPtr: Int32Array.from([0, 0]), colIdx: new Int32Array(0), values: new Float64Array(0) });
    expect(spgemmLaw(a, b)).toEqual({ ok: false, detail: 'C stores 0 entries, the structural product has 1' });
    // A · B has no entry at (1, 1); storing a zero there is valid CSR with the same dense values.
    wrong.spgemm = (c) => ({ ...c, rowPtr: Int32Array.from([0, 2, 4]), colIdx: Int32Array.from([0, 1, 0, 1]), values: Float64Array.from([5, -1, 6, 0]) });
    expect(spgemmLaw(A, B)).toEqual({ ok: false, detail: 'C stores 4 entries, the structural product has 3' });
  });
});

describe('validationLaw rejects a wrong validator', () => {
  const a = make(3, 4, [0, 2, 2, 4], [0, 3, 1, 2], [1, 2, 3, 4]);
  it('accepts the real one', () => expect(validationLaw(a)).toEqual({ ok: true, detail: '' }));
  it('a validator that rejects a valid matrix', () => {
    wrong.validate = (_m, where) => (where === undefined ? E.left('csr: no') : undefined);
    expect(validationLaw(a)).toEqual({ ok: false, detail: 'valid matrix rejected: csr: no' });
  });
  it('a validator that accepts a corruption: the first one it accepts is named', () => {
    wrong.validate = (m) => (m.rowPtr[0] === 1 ? E.right(m) : undefined);
    expect(validationLaw(a)).toEqual({ ok: false, detail: 'first row pointer: accepted' });
    wrong.validate = (m) => (Number.isNaN(m.values[0]) ? E.right(m) : undefined);
    expect(validationLaw(a)).toEqual({ ok: false, detail: 'non-finite value: accepted' });
  });
  it('a message without the expected words, or without the place first', () => {
    wrong.validate = (m, where) => (m.values.length > m.rowPtr[m.rows]! ? E.left(`${where}: something is wrong`) : undefined);
    expect(validationLaw(a)).toEqual({ ok: false, detail: "values length: unclear message 'A: something is wrong'" });
    wrong.validate = (m) => (m.values.length > m.rowPtr[m.rows]! ? E.left('csr: too many values') : undefined);
    expect(validationLaw(a)).toEqual({ ok: false, detail: "values length: unclear message 'csr: too many values'" });
  });
});

describe('corruptions, each by hand', () => {
  // [[1, 2, 0, 0], [0, 0, 0, 0], [0, 3, 4, 0]] with rows 0 and 2 of two entries.
  const a = make(3, 4, [0, 2, 2, 4], [0, 1, 1, 2], [1, 2, 3, 4]);
  const by = (kind: string) => corruptions.find((c) => c.kind === kind)!;
  const parts = (c: Csr | null) => c && { rows: c.rows, cols: c.cols, rowPtr: [...c.rowPtr], colIdx: [...c.colIdx], values: [...c.values] };
  it('each corruption of a 3 × 4 matrix, and the original untouched', () => {
    expect(parts(by('first row pointer').apply(a))).toEqual({ rows: 3, cols: 4, rowPtr: [1, 2, 2, 4], colIdx: [0, 1, 1, 2], values: [1, 2, 3, 4] });
    // i = 1 + ⌊3/2⌋ − 1 = 1: rowPtr[1] = rowPtr[2] + 1.
    expect(parts(by('decreasing row pointers').apply(a))!.rowPtr).toEqual([0, 3, 2, 4]);
    expect(parts(by('row pointer count').apply(a))!.rowPtr).toEqual([0, 2, 2]);
    expect(parts(by('last row pointer').apply(a))!.rowPtr).toEqual([0, 2, 2, 5]);
    expect(parts(by('values length').apply(a))!.values).toEqual([1, 2, 3, 4, 1]);
    expect(parts(by('column too large').apply(a))!.colIdx).toEqual([0, 1, 1, 4]);
    expect(parts(by('negative column').apply(a))!.colIdx).toEqual([-1, 1, 1, 2]);
    expect(parts(by('duplicate column').apply(a))!.colIdx).toEqual([0, 0, 1, 2]);
    expect(parts(by('unsorted columns').apply(a))!.colIdx).toEqual([1, 0, 1, 2]);
    expect(parts(by('non-finite value').apply(a))!.values).toEqual([NaN, 2, 3, 4]);
    expect(parts(a)).toEqual({ rows: 3, cols: 4, rowPtr: [0, 2, 2, 4], colIdx: [0, 1, 1, 2], values: [1, 2, 3, 4] });
  });
  it('the first row with two entries is found past an empty and a single row; the middle pointer of four rows', () => {
    const b = make(4, 3, [0, 0, 1, 3, 3], [2, 0, 2], [1, 2, 3]);
    expect(parts(by('duplicate column').apply(b))!.colIdx).toEqual([2, 0, 0]);
    expect(parts(by('unsorted columns').apply(b))!.colIdx).toEqual([2, 2, 0]);
    // i = 1 + 2 − 1 = 2: rowPtr[2] = rowPtr[3] + 1.
    expect(parts(by('decreasing row pointers').apply(b))!.rowPtr).toEqual([0, 0, 4, 3, 3]);
    // Every corruption is caught with its words.
    for (const c of corruptions) {
      const r = validateCsr(c.apply(b)!, 'B');
      expect(E.isLeft(r) && r.left, c.kind).toMatch(c.expect);
    }
  });
  it('no room: null for a matrix with no entries, one row, or no row of two', () => {
    const empty = make(1, 3, [0, 0], [], []);
    for (const kind of ['decreasing row pointers', 'column too large', 'negative column', 'duplicate column', 'unsorted columns', 'non-finite value']) expect(by(kind).apply(empty), kind).toBeNull();
    for (const kind of ['first row pointer', 'row pointer count', 'last row pointer', 'values length']) expect(by(kind).apply(empty), kind).not.toBeNull();
    const single = make(2, 2, [0, 1, 2], [0, 1], [1, 2]);
    expect(by('duplicate column').apply(single)).toBeNull();
    expect(by('unsorted columns').apply(single)).toBeNull();
    expect(by('decreasing row pointers').apply(single)).not.toBeNull();
  });
});
