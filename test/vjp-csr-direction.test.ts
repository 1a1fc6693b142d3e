import { describe, expect, it } from 'vitest';
import { vjpMatchesFiniteDifferences } from '../laws/index';
import { uploadAll } from '../src/backend/transfer';
import { packCsr } from '../src/sparse/csr';
import { erdosRenyi } from '../src/sparse/generate';
import { checkOrThrow, csrShape, initParams, jsBackend, lowerOrThrow, prim, randn, rng, type Backend } from '../src/index';
import { shifted, tampered } from './tampered';

/**
 * The finite-difference law moves a CSR input along its values only: its pattern (row pointers and
 * column indices) is discrete. These cases pack A at its exact nonzero count, so no slot of the wire
 * is padding: a direction that touched a column index would make an invalid wire, and one that
 * skipped a value slot would hide an error in that value's gradient.
 */
const f64 = jsBackend('float64');
const rows = 3;
const cols = 4;
const model = checkOrThrow(prim('spmm'), [csrShape(rows, cols, rows * cols), [cols, 2]]);
const inputs = (seed: number) => [
  packCsr(erdosRenyi(rows, cols, 1, seed), rows * cols, 'float64'),
  randn([cols, 2], rng(seed).fork('x')),
];
const law = (be: Backend<unknown>, seed: number) => vjpMatchesFiniteDifferences(lowerOrThrow(model, be), be, {}, inputs(seed), seed);

describe('vjpMatchesFiniteDifferences on a CSR input with no padding', () => {
  it('holds for the spmm kernel (every column index slot is a real one)', () => {
    for (const seed of [1, 2]) {
      const rep = law(f64 as Backend<unknown>, seed);
      expect(rep.ok, rep.detail).toBe(true);
    }
  });
  it.each([0, rows * cols - 1])('rejects a gradient of A wrong only in stored value %i', (k) => {
    // The value slots follow rows + 1 row pointers and nnz column indices.
    const at = rows + 1 + rows * cols + k;
    const bad = tampered(f64, 'spmm', { dInput: (t, i) => (i === 0 ? shifted(at, 1e-3)(t) : t) });
    const rep = law(bad as Backend<unknown>, 1);
    expect(rep.ok, rep.detail).toBe(false);
    expect(rep.detail).toMatch(/^input 0: /);
  });
});

describe('vjpMatchesFiniteDifferences with nothing to differentiate', () => {
  it('reports it, and holds: an embedding lookup seen with its table fixed (ids carry no gradient)', () => {
    const emb = checkOrThrow(prim('embedding', { vocab: 5, dim: 3 }), [[4]]);
    const table = initParams(emb, 1, 'float64');
    const p = lowerOrThrow(emb, f64);
    const dev = uploadAll(f64, table);
    // The law draws directions for the parameters it is given; given none, only the ids remain.
    const fixed = { ...p, forward: (_ps: unknown, xs: Parameters<typeof p.forward>[1]) => p.forward(dev, xs) } as typeof p;
    const ids = { shape: [4], data: Float64Array.from([0, 4, 2, 4]) };
    expect(vjpMatchesFiniteDifferences(fixed, f64, {}, [ids], 1)).toEqual({ ok: true, lhs: 0, rhs: 0, detail: 'nothing to differentiate' });
  });
});
