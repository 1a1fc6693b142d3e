import { type Rng, rng } from '../tensor/rng';
import type { Csr } from './csr';

/**
 * CSR from coordinates: entries sorted by (row, column); duplicates are summed. Indices must be in
 * range (the generators and the Matrix Market reader check before calling).
 */
export const fromCoo = (rows: number, cols: number, is: ArrayLike<number>, js: ArrayLike<number>, vs: ArrayLike<number>): Csr => {
  const n = is.length;
  const count = new Int32Array(rows + 1);
  for (let p = 0; p < n; p++) count[is[p]! + 1]!++;
  for (let i = 0; i < rows; i++) count[i + 1]! += count[i]!;
  const next = count.slice(0, rows);
  const cj = new Int32Array(n);
  const cv = new Float64Array(n);
  for (let p = 0; p < n; p++) {
    const q = next[is[p]!]!++;
    cj[q] = js[p]!;
    cv[q] = vs[p]!;
  }
  // Sort each row by column, then merge duplicates.
  const rowPtr = new Int32Array(rows + 1);
  const outJ: number[] = [];
  const outV: number[] = [];
  const idx: number[] = [];
  for (let i = 0; i < rows; i++) {
    idx.length = 0;
    for (let q = count[i]!; q < count[i + 1]!; q++) idx.push(q);
    idx.sort((x, y) => cj[x]! - cj[y]! || x - y);
    for (const q of idx) {
      if (outJ.length > rowPtr[i]! && outJ[outJ.length - 1] === cj[q]) outV[outV.length - 1] += cv[q]!;
      else (outJ.push(cj[q]!), outV.push(cv[q]!));
    }
    rowPtr[i + 1] = outJ.length;
  }
  return { rows, cols, rowPtr, colIdx: Int32Array.from(outJ), values: Float64Array.from(outV) };
};

/** Values for generated patterns: standard normals, or all ones. */
export type GenValues = 'normal' | 'ones';
const valueOf = (r: Rng, v: GenValues) => (v === 'ones' ? 1 : r.normal());

/**
 * Erdős–Rényi G(rows × cols, p): each entry present independently with probability `density`
 * (geometric skips, so time is proportional to the nonzeros).
 */
export const erdosRenyi = (rows: number, cols: number, density: number, seed: number, values: GenValues = 'normal'): Csr => {
  if (!(density > 0 && density <= 1)) throw new RangeError(`erdosRenyi: density must be in (0, 1], got ${density}`);
  const r = rng(seed).fork('erdos-renyi');
  const rowPtr = new Int32Array(rows + 1);
  const cj: number[] = [];
  const cv: number[] = [];
  const logq = Math.log1p(-density);
  for (let i = 0; i < rows; i++) {
    let j = -1;
    for (;;) {
      j += density === 1 ? 1 : 1 + Math.floor(Math.log(1 - r.uniform()) / logq);
      if (j >= cols) break;
      cj.push(j);
      cv.push(valueOf(r, values));
    }
    rowPtr[i + 1] = cj.length;
  }
  return { rows, cols, rowPtr, colIdx: Int32Array.from(cj), values: Float64Array.from(cv) };
};

/**
 * R-MAT (Chakrabarti et al.): `edgeFactor · 2^scale` edges on 2^scale vertices, each placed by
 * recursively choosing a quadrant with probabilities a, b, c, 1 − a − b − c; duplicates merged
 * (their values summed). A power-law degree distribution with the defaults (0.57, 0.19, 0.19).
 */
export const rmat = (scale: number, edgeFactor: number, seed: number, values: GenValues = 'normal', [a, b, c] = [0.57, 0.19, 0.19]): Csr => {
  const n = 2 ** scale;
  const m = Math.round(edgeFactor * n);
  const r = rng(seed).fork('rmat');
  const is = new Int32Array(m), js = new Int32Array(m), vs = new Float64Array(m);
  for (let e = 0; e < m; e++) {
    let i = 0, j = 0;
    for (let l = 0; l < scale; l++) {
      const u = r.uniform();
      const down = u >= a + b;
      const right = (u >= a && u < a + b) || u >= a + b + c;
      i = 2 * i + (down ? 1 : 0);
      j = 2 * j + (right ? 1 : 0);
    }
    is[e] = i;
    js[e] = j;
    vs[e] = valueOf(r, values);
  }
  return fromCoo(n, n, is, js, vs);
};

/**
 * The 2-D Poisson matrix on a `side × side` grid (5-point stencil, Dirichlet boundary): 4 on the
 * diagonal, −1 for each grid neighbour; `side²` rows.
 */
export const poisson2d = (side: number): Csr => {
  const n = side * side;
  const rowPtr = new Int32Array(n + 1);
  const cj: number[] = [];
  const cv: number[] = [];
  for (let y = 0; y < side; y++)
    for (let x = 0; x < side; x++) {
      const i = y * side + x;
      const push = (j: number, v: number) => (cj.push(j), cv.push(v));
      if (y > 0) push(i - side, -1);
      if (x > 0) push(i - 1, -1);
      push(i, 4);
      if (x < side - 1) push(i + 1, -1);
      if (y < side - 1) push(i + side, -1);
      rowPtr[i + 1] = cj.length;
    }
  return { rows: n, cols: n, rowPtr, colIdx: Int32Array.from(cj), values: Float64Array.from(cv) };
};
