import { type Csr, nnzOf } from './csr';

/**
 * Sparse × dense: C = A·X for A (m × k, CSR) and X (k × d, row-major), into a float64 m × d array.
 */
export const spmm = (a: Csr, x: ArrayLike<number>, d: number): Float64Array => {
  const out = new Float64Array(a.rows * d);
  for (let i = 0; i < a.rows; i++)
    for (let p = a.rowPtr[i]!; p < a.rowPtr[i + 1]!; p++) {
      const v = a.values[p]!, xk = a.colIdx[p]! * d;
      for (let c = 0; c < d; c++) out[i * d + c] = out[i * d + c]! + v * x[xk + c]!;
    }
  return out;
};

/** Aᵀ·G for A (m × k, CSR) and G (m × d): the k × d product (float64). */
export const spmmT = (a: Csr, g: ArrayLike<number>, d: number): Float64Array => {
  const out = new Float64Array(a.cols * d);
  for (let i = 0; i < a.rows; i++)
    for (let p = a.rowPtr[i]!; p < a.rowPtr[i + 1]!; p++) {
      const v = a.values[p]!, xk = a.colIdx[p]! * d;
      for (let c = 0; c < d; c++) out[xk + c] = out[xk + c]! + v * g[i * d + c]!;
    }
  return out;
};

/**
 * Sampled dense–dense product: for each stored (i, j) of the pattern, the dot product of row i of X
 * (m × d) and row j of Y (n × d), i.e. (X·Yᵀ) sampled at the pattern (float64, one per entry).
 */
export const sampledDots = (pattern: Pick<Csr, 'rows' | 'rowPtr' | 'colIdx'>, x: ArrayLike<number>, y: ArrayLike<number>, d: number): Float64Array => {
  const out = new Float64Array(pattern.rowPtr[pattern.rows]!);
  for (let i = 0; i < pattern.rows; i++)
    for (let p = pattern.rowPtr[i]!; p < pattern.rowPtr[i + 1]!; p++) {
      const xi = i * d, yj = pattern.colIdx[p]! * d;
      let s = 0;
      for (let c = 0; c < d; c++) s += x[xi + c]! * y[yj + c]!;
      out[p] = s;
    }
  return out;
};

/** VJP of C = A·X: dA = (dC·Xᵀ) at A's pattern, dX = Aᵀ·dC. */
export const spmmVjp = (a: Csr, x: ArrayLike<number>, d: number, dC: ArrayLike<number>): { dA: Float64Array; dX: Float64Array } => ({
  dA: sampledDots(a, dC, x, d),
  dX: spmmT(a, dC, d),
});

/** SDDMM: out_p = s_p · (X_i · Y_j) on S's pattern (S m × n, X m × d, Y n × d). */
export const sddmm = (s: Csr, x: ArrayLike<number>, y: ArrayLike<number>, d: number): Float64Array => {
  const dots = sampledDots(s, x, y, d);
  for (let p = 0; p < dots.length; p++) dots[p] = s.values[p]! * dots[p]!;
  return dots;
};

/**
 * VJP of SDDMM given the cotangent g on S's pattern: dS = g ⊙ (X·Yᵀ)|S, dX = (g ⊙ S)·Y,
 * dY = (g ⊙ S)ᵀ·X.
 */
export const sddmmVjp = (s: Csr, x: ArrayLike<number>, y: ArrayLike<number>, d: number, g: ArrayLike<number>): { dS: Float64Array; dX: Float64Array; dY: Float64Array } => {
  const dS = sampledDots(s, x, y, d);
  const gs = new Float64Array(nnzOf(s));
  for (let p = 0; p < gs.length; p++) (dS[p] = g[p]! * dS[p]!), (gs[p] = g[p]! * s.values[p]!);
  const w: Csr = { ...s, values: gs };
  return { dS, dX: spmm(w, y, d), dY: spmmT(w, x, d) };
};
