import type { FArray } from '../../../src/tensor/tensor';

/** out[m×n] (+)= a[m×k] · b[k×n]. Row-major; i-k-j order so the inner loop streams rows. */
export const matmul = (a: FArray, b: FArray, out: FArray, m: number, k: number, n: number, accumulate = false): void => {
  if (!accumulate) out.fill(0, 0, m * n);
  for (let i = 0; i < m; i++) {
    const oi = i * n;
    for (let p = 0; p < k; p++) {
      const aip = a[i * k + p]!;
      if (aip === 0) continue;
      const bp = p * n;
      for (let j = 0; j < n; j++) out[oi + j] += aip * b[bp + j]!;
    }
  }
};

/** out[m×n] (+)= a[m×k] · bᵀ where b is [n×k]. */
export const matmulNT = (a: FArray, b: FArray, out: FArray, m: number, k: number, n: number, accumulate = false): void => {
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += a[i * k + p]! * b[j * k + p]!;
      out[i * n + j] = accumulate ? out[i * n + j]! + s : s;
    }
  }
};

/** out[k×n] (+)= aᵀ · b where a is [m×k], b is [m×n]. */
export const matmulTN = (a: FArray, b: FArray, out: FArray, m: number, k: number, n: number, accumulate = false): void => {
  if (!accumulate) out.fill(0, 0, k * n);
  for (let i = 0; i < m; i++) {
    for (let p = 0; p < k; p++) {
      const aip = a[i * k + p]!;
      if (aip === 0) continue;
      const op = p * n;
      const bi = i * n;
      for (let j = 0; j < n; j++) out[op + j] += aip * b[bi + j]!;
    }
  }
};
