import type { FArray } from '../../../src/tensor/tensor';

/*
 * Row-major matrix products with register blocking: each inner loop keeps a 4×4 (NT: 2×4) block of
 * the output in local float64 accumulators, so the loads of one operand row are reused four times and
 * the output is written once (instead of a float32 load/round/store per multiply-add). Sums run over
 * the shared index in increasing order; edges that do not fill a block use plain dot products.
 */

/** Write or accumulate one output element. */
const put = (out: FArray, i: number, s: number, accumulate: boolean): void => {
  out[i] = accumulate ? out[i]! + s : s;
};

/** out[m×n] (+)= a[m×k] · b[k×n]. */
export const matmul = (a: FArray, b: FArray, out: FArray, m: number, k: number, n: number, accumulate = false): void => {
  const m4 = m - (m % 4);
  const n4 = n - (n % 4);
  for (let i = 0; i < m4; i += 4) {
    const a0 = i * k;
    const a1 = a0 + k;
    const a2 = a1 + k;
    const a3 = a2 + k;
    for (let j = 0; j < n4; j += 4) {
      let s00 = 0, s01 = 0, s02 = 0, s03 = 0, s10 = 0, s11 = 0, s12 = 0, s13 = 0;
      let s20 = 0, s21 = 0, s22 = 0, s23 = 0, s30 = 0, s31 = 0, s32 = 0, s33 = 0;
      for (let p = 0, bp = j; p < k; p++, bp += n) {
        const b0 = b[bp]!, b1 = b[bp + 1]!, b2 = b[bp + 2]!, b3 = b[bp + 3]!;
        let x = a[a0 + p]!;
        s00 += x * b0; s01 += x * b1; s02 += x * b2; s03 += x * b3;
        x = a[a1 + p]!;
        s10 += x * b0; s11 += x * b1; s12 += x * b2; s13 += x * b3;
        x = a[a2 + p]!;
        s20 += x * b0; s21 += x * b1; s22 += x * b2; s23 += x * b3;
        x = a[a3 + p]!;
        s30 += x * b0; s31 += x * b1; s32 += x * b2; s33 += x * b3;
      }
      let o = i * n + j;
      put(out, o, s00, accumulate); put(out, o + 1, s01, accumulate); put(out, o + 2, s02, accumulate); put(out, o + 3, s03, accumulate);
      o += n;
      put(out, o, s10, accumulate); put(out, o + 1, s11, accumulate); put(out, o + 2, s12, accumulate); put(out, o + 3, s13, accumulate);
      o += n;
      put(out, o, s20, accumulate); put(out, o + 1, s21, accumulate); put(out, o + 2, s22, accumulate); put(out, o + 3, s23, accumulate);
      o += n;
      put(out, o, s30, accumulate); put(out, o + 1, s31, accumulate); put(out, o + 2, s32, accumulate); put(out, o + 3, s33, accumulate);
    }
    for (let r = i; r < i + 4; r++)
      for (let j = n4; j < n; j++) {
        let s = 0;
        for (let p = 0; p < k; p++) s += a[r * k + p]! * b[p * n + j]!;
        put(out, r * n + j, s, accumulate);
      }
  }
  for (let i = m4; i < m; i++)
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += a[i * k + p]! * b[p * n + j]!;
      put(out, i * n + j, s, accumulate);
    }
};

/** out[m×n] (+)= a[m×k] · bᵀ where b is [n×k]. */
export const matmulNT = (a: FArray, b: FArray, out: FArray, m: number, k: number, n: number, accumulate = false): void => {
  const m2 = m - (m % 2);
  const n4 = n - (n % 4);
  for (let i = 0; i < m2; i += 2) {
    const a0 = i * k;
    const a1 = a0 + k;
    for (let j = 0; j < n4; j += 4) {
      const b0 = j * k;
      const b1 = b0 + k;
      const b2 = b1 + k;
      const b3 = b2 + k;
      let s00 = 0, s01 = 0, s02 = 0, s03 = 0, s10 = 0, s11 = 0, s12 = 0, s13 = 0;
      for (let p = 0; p < k; p++) {
        const x0 = a[a0 + p]!, x1 = a[a1 + p]!;
        let y = b[b0 + p]!;
        s00 += x0 * y; s10 += x1 * y;
        y = b[b1 + p]!;
        s01 += x0 * y; s11 += x1 * y;
        y = b[b2 + p]!;
        s02 += x0 * y; s12 += x1 * y;
        y = b[b3 + p]!;
        s03 += x0 * y; s13 += x1 * y;
      }
      const o0 = i * n + j;
      const o1 = o0 + n;
      put(out, o0, s00, accumulate); put(out, o0 + 1, s01, accumulate); put(out, o0 + 2, s02, accumulate); put(out, o0 + 3, s03, accumulate);
      put(out, o1, s10, accumulate); put(out, o1 + 1, s11, accumulate); put(out, o1 + 2, s12, accumulate); put(out, o1 + 3, s13, accumulate);
    }
    for (let r = i; r < i + 2; r++)
      for (let j = n4; j < n; j++) {
        let s = 0;
        for (let p = 0; p < k; p++) s += a[r * k + p]! * b[j * k + p]!;
        put(out, r * n + j, s, accumulate);
      }
  }
  for (let i = m2; i < m; i++)
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += a[i * k + p]! * b[j * k + p]!;
      put(out, i * n + j, s, accumulate);
    }
};

/** out[k×n] (+)= aᵀ · b where a is [m×k], b is [m×n]. */
export const matmulTN = (a: FArray, b: FArray, out: FArray, m: number, k: number, n: number, accumulate = false): void => {
  const k4 = k - (k % 4);
  const n4 = n - (n % 4);
  for (let p = 0; p < k4; p += 4) {
    for (let j = 0; j < n4; j += 4) {
      let s00 = 0, s01 = 0, s02 = 0, s03 = 0, s10 = 0, s11 = 0, s12 = 0, s13 = 0;
      let s20 = 0, s21 = 0, s22 = 0, s23 = 0, s30 = 0, s31 = 0, s32 = 0, s33 = 0;
      for (let i = 0, ai = p, bi = j; i < m; i++, ai += k, bi += n) {
        const b0 = b[bi]!, b1 = b[bi + 1]!, b2 = b[bi + 2]!, b3 = b[bi + 3]!;
        let x = a[ai]!;
        s00 += x * b0; s01 += x * b1; s02 += x * b2; s03 += x * b3;
        x = a[ai + 1]!;
        s10 += x * b0; s11 += x * b1; s12 += x * b2; s13 += x * b3;
        x = a[ai + 2]!;
        s20 += x * b0; s21 += x * b1; s22 += x * b2; s23 += x * b3;
        x = a[ai + 3]!;
        s30 += x * b0; s31 += x * b1; s32 += x * b2; s33 += x * b3;
      }
      let o = p * n + j;
      put(out, o, s00, accumulate); put(out, o + 1, s01, accumulate); put(out, o + 2, s02, accumulate); put(out, o + 3, s03, accumulate);
      o += n;
      put(out, o, s10, accumulate); put(out, o + 1, s11, accumulate); put(out, o + 2, s12, accumulate); put(out, o + 3, s13, accumulate);
      o += n;
      put(out, o, s20, accumulate); put(out, o + 1, s21, accumulate); put(out, o + 2, s22, accumulate); put(out, o + 3, s23, accumulate);
      o += n;
      put(out, o, s30, accumulate); put(out, o + 1, s31, accumulate); put(out, o + 2, s32, accumulate); put(out, o + 3, s33, accumulate);
    }
    for (let q = p; q < p + 4; q++)
      for (let j = n4; j < n; j++) {
        let s = 0;
        for (let i = 0; i < m; i++) s += a[i * k + q]! * b[i * n + j]!;
        put(out, q * n + j, s, accumulate);
      }
  }
  for (let q = k4; q < k; q++)
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let i = 0; i < m; i++) s += a[i * k + q]! * b[i * n + j]!;
      put(out, q * n + j, s, accumulate);
    }
};
