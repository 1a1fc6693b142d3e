import { describe, expect, it } from 'vitest';
import { matmul, matmulNT, matmulTN } from '../backends/js/kernels/linalg';

/**
 * The blocked matrix products against plain triple loops written here, on every (m, k, n) from 1 to 6
 * (4×4 and 2×4 blocks, their edges, and shapes below one block), written and accumulated. Entries are
 * small distinct integers, so every sum is exact in float64 and any misplaced term shows.
 */
const fill = (len: number, seed: number): Float64Array => Float64Array.from({ length: len }, (_, i) => ((i * 7 + seed * 3) % 11) - 5);

/** a[i, p] in row-major [rows × cols], read through a transpose flag. */
const at = (a: Float64Array, cols: number, i: number, p: number, t: boolean, rows: number): number => (t ? a[p * rows + i]! : a[i * cols + p]!);

const reference = (a: Float64Array, b: Float64Array, m: number, k: number, n: number, ta: boolean, tb: boolean): Float64Array => {
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += at(a, k, i, p, ta, m) * (tb ? b[j * k + p]! : b[p * n + j]!);
      out[i * n + j] = s;
    }
  return out;
};

describe('JS matrix products', () => {
  it('matmul, matmulNT and matmulTN equal plain sums on every shape up to 6, written and accumulated', () => {
    const bad: string[] = [];
    for (let m = 1; m <= 6; m++)
      for (let k = 1; k <= 6; k++)
        for (let n = 1; n <= 6; n++) {
          const a = fill(m * k, m + 2 * n), b = fill(k * n, k + 3 * m);
          const init = fill(m * n, 5);
          // matmul: a [m×k] · b [k×n].
          const want = reference(a, b, m, k, n, false, false);
          // matmulNT: a [m×k] · bᵀ, b [n×k].
          const wantNT = reference(a, b, m, k, n, false, true);
          // matmulTN: out [k'×n'] = aᵀ · b with a [m'×k'], b [m'×n']; here m' = m, k' = k, n' = n, a read transposed.
          const aT = fill(m * k, 2 * m + n), bT = fill(m * n, k);
          const wantTN = new Float64Array(k * n);
          for (let q = 0; q < k; q++)
            for (let j = 0; j < n; j++) {
              let s = 0;
              for (let i = 0; i < m; i++) s += aT[i * k + q]! * bT[i * n + j]!;
              wantTN[q * n + j] = s;
            }
          const cases: [string, (o: Float64Array, acc: boolean) => void, Float64Array, Float64Array][] = [
            ['matmul', (o, acc) => matmul(a, b, o, m, k, n, acc), want, init],
            ['matmulNT', (o, acc) => matmulNT(a, b, o, m, k, n, acc), wantNT, init],
            ['matmulTN', (o, acc) => matmulTN(aT, bT, o, m, k, n, acc), wantTN, fill(k * n, 5)],
          ];
          for (const [name, f, w, start] of cases) {
            const written = start.slice();
            f(written, false);
            if (written.some((v, i) => v !== w[i])) bad.push(`${name} ${m}×${k}×${n} written`);
            const acc = start.slice();
            f(acc, true);
            if (acc.some((v, i) => v !== w[i]! + start[i]!)) bad.push(`${name} ${m}×${k}×${n} accumulated`);
            const dflt = start.slice();
            if (name === 'matmul') matmul(a, b, dflt, m, k, n);
            else if (name === 'matmulNT') matmulNT(a, b, dflt, m, k, n);
            else matmulTN(aT, bT, dflt, m, k, n);
            if (dflt.some((v, i) => v !== w[i])) bad.push(`${name} ${m}×${k}×${n} default (written)`);
          }
        }
    expect(bad).toEqual([]);
  });
  it('a 2×3 by 3×2 product by hand', () => {
    const out = new Float64Array(4);
    matmul(Float64Array.of(1, 2, 3, 4, 5, 6), Float64Array.of(7, 8, 9, 10, 11, 12), out, 2, 3, 2);
    expect([...out]).toEqual([58, 64, 139, 154]);
  });
});
