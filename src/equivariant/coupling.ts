/**
 * Coupling coefficients, computed here to float64 precision (no tables downloaded):
 * Wigner 3j symbols (Racah's formula), real Clebsch–Gordan tensors and real Gaunt coefficients
 * `G_abc = ∫ Y_a Y_b Y_c dΩ` for the real SH convention of `sh.ts`, the latter two ways (through
 * 3j symbols and by exact quadrature) so that each checks the other.
 *
 * @packageDocumentation
 */
import { sphereQuadrature } from './quadrature';
import { realSH, shDim } from './sh';

const FACT: number[] = [1];
const fact = (n: number): number => {
  if (n < 0 || !Number.isInteger(n)) throw new RangeError(`factorial of ${n}`);
  if (n > 170) throw new RangeError(`factorial of ${n} overflows float64 (degrees up to ~55 are supported)`);
  for (let k = FACT.length; k <= n; k++) FACT[k] = FACT[k - 1]! * k;
  return FACT[n]!;
};

/** True when l₁, l₂, l₃ satisfy the triangle inequality. */
export const triangle = (l1: number, l2: number, l3: number): boolean => l3 >= Math.abs(l1 - l2) && l3 <= l1 + l2;

/** Wigner 3j symbol (l₁ l₂ l₃; m₁ m₂ m₃), by Racah's single-sum formula. */
export const wigner3j = (l1: number, l2: number, l3: number, m1: number, m2: number, m3: number): number => {
  if (m1 + m2 + m3 !== 0 || !triangle(l1, l2, l3)) return 0;
  if (Math.abs(m1) > l1 || Math.abs(m2) > l2 || Math.abs(m3) > l3) return 0;
  const delta = (fact(l1 + l2 - l3) * fact(l1 - l2 + l3) * fact(-l1 + l2 + l3)) / fact(l1 + l2 + l3 + 1);
  const pre = Math.sqrt(delta * fact(l1 + m1) * fact(l1 - m1) * fact(l2 + m2) * fact(l2 - m2) * fact(l3 + m3) * fact(l3 - m3));
  const kmin = Math.max(0, l2 - l3 - m1, l1 - l3 + m2);
  const kmax = Math.min(l1 + l2 - l3, l1 - m1, l2 + m2);
  let s = 0;
  for (let k = kmin; k <= kmax; k++) {
    const den = fact(k) * fact(l3 - l2 + k + m1) * fact(l3 - l1 + k - m2) * fact(l1 + l2 - l3 - k) * fact(l1 - k - m1) * fact(l2 - k + m2);
    s += (k % 2 === 0 ? 1 : -1) / den;
  }
  const sign = (((l1 - l2 - m3) % 2) + 2) % 2 === 0 ? 1 : -1;
  return sign * pre * s;
};

/**
 * Row `a = l + m` of the unitary change of basis from complex SH (Condon–Shortley phase) to the real
 * SH of `sh.ts`: `Y_real(l, m) = Σ_μ U[m][μ] Y_complex(l, μ)`; each row has at most two entries,
 * at μ = ±m. Returned as [μ, re, im] triples.
 */
const realFromComplex = (m: number): [number, number, number][] => {
  if (m === 0) return [[0, 1, 0]];
  const k = Math.abs(m);
  const s = k % 2 === 0 ? 1 : -1; // (−1)^k
  const h = Math.SQRT1_2;
  // m > 0: ((−1)^m Y^m + Y^{−m})/√2 ; m < 0: i (Y^{−k} − (−1)^k Y^k)/√2
  return m > 0 ? [[k, s * h, 0], [-k, h, 0]] : [[-k, 0, h], [k, 0, -s * h]];
};

/**
 * Transform a complex-basis 3-index tensor `f(m₁, m₂, m₃)` (nonzero only for m₁+m₂+m₃ = 0) to the
 * real basis; returns real and imaginary parts, each (2l₁+1)(2l₂+1)(2l₃+1), index (a, b, c) with
 * a = l₁ + m₁ etc.
 */
const toRealBasis = (l1: number, l2: number, l3: number, f: (m1: number, m2: number, m3: number) => number) => {
  const d1 = 2 * l1 + 1, d2 = 2 * l2 + 1, d3 = 2 * l3 + 1;
  const re = new Float64Array(d1 * d2 * d3);
  const im = new Float64Array(d1 * d2 * d3);
  for (let a = 0; a < d1; a++)
    for (const [u1, r1, i1] of realFromComplex(a - l1))
      for (let b = 0; b < d2; b++)
        for (const [u2, r2, i2] of realFromComplex(b - l2)) {
          const u3 = -u1 - u2;
          if (Math.abs(u3) > l3) continue;
          const pr = r1 * r2 - i1 * i2;
          const pi = r1 * i2 + i1 * r2;
          for (let c = 0; c < d3; c++)
            for (const [w3, r3, i3] of realFromComplex(c - l3)) {
              if (w3 !== u3) continue;
              const v = f(u1, u2, u3);
              const k = (a * d2 + b) * d3 + c;
              re[k] += (pr * r3 - pi * i3) * v;
              im[k] += (pr * i3 + pi * r3) * v;
            }
        }
  return { re, im };
};

/**
 * Real Gaunt coefficients of one path, `G[a, b, c] = ∫ Y_{l₁,a−l₁} Y_{l₂,b−l₂} Y_{l₃,c−l₃} dΩ`, from
 * Wigner 3j symbols: in the complex basis ∫ Y Y Y = sqrt((2l₁+1)(2l₂+1)(2l₃+1)/4π) (l₁ l₂ l₃; 0 0 0)
 * (l₁ l₂ l₃; m₁ m₂ m₃), then the change of basis. Zero unless l₁+l₂+l₃ is even and the triangle
 * holds. Also returns the largest imaginary part left by the change of basis (should be ~1e-17).
 */
export const realGaunt = (l1: number, l2: number, l3: number): { tensor: Float64Array; maxImag: number } => {
  const pre = Math.sqrt(((2 * l1 + 1) * (2 * l2 + 1) * (2 * l3 + 1)) / (4 * Math.PI)) * wigner3j(l1, l2, l3, 0, 0, 0);
  const { re, im } = toRealBasis(l1, l2, l3, (m1, m2, m3) => pre * wigner3j(l1, l2, l3, m1, m2, m3));
  return { tensor: re, maxImag: im.reduce((s, v) => Math.max(s, Math.abs(v)), 0) };
};

/**
 * Real Gaunt coefficients by quadrature (exact for l₁+l₂+l₃ ≤ the rule's degree): an independent
 * computation for checking `realGaunt`.
 */
export const realGauntByQuadrature = (l1: number, l2: number, l3: number): Float64Array => {
  const L = Math.max(l1, l2, l3);
  const q = sphereQuadrature(l1 + l2 + l3);
  const y = new Float64Array(shDim(L));
  const d1 = 2 * l1 + 1, d2 = 2 * l2 + 1, d3 = 2 * l3 + 1;
  const out = new Float64Array(d1 * d2 * d3);
  for (let k = 0; k < q.size; k++) {
    realSH(L, q.points[3 * k]!, q.points[3 * k + 1]!, q.points[3 * k + 2]!, y);
    const w = q.weights[k]!;
    for (let a = 0; a < d1; a++) {
      const ya = w * y[l1 * l1 + a]!;
      for (let b = 0; b < d2; b++) {
        const yab = ya * y[l2 * l2 + b]!;
        for (let c = 0; c < d3; c++) out[(a * d2 + b) * d3 + c] += yab * y[l3 * l3 + c]!;
      }
    }
  }
  return out;
};

/**
 * Real Clebsch–Gordan tensor of one path, `C[a, b, c]`, coupling degree l₁ ⊗ l₂ → l₃ in the real
 * basis: the change of basis of sqrt(2l₃+1)·(l₁ l₂ l₃; m₁ m₂ m₃). That is real when l₁+l₂+l₃ is even
 * and purely imaginary when odd (then its imaginary part is taken), so it is always a real invariant
 * tensor; it is normalised so that Σ_ab C[a,b,c] C[a,b,c'] = δ_cc'. Its overall sign is a convention
 * (weights are learnable); for even paths it is proportional to the real Gaunt tensor.
 */
export const realClebschGordan = (l1: number, l2: number, l3: number): Float64Array => {
  if (!triangle(l1, l2, l3)) throw new RangeError(`realClebschGordan: (${l1}, ${l2}, ${l3}) violates the triangle inequality`);
  const s = Math.sqrt(2 * l3 + 1);
  const { re, im } = toRealBasis(l1, l2, l3, (m1, m2, m3) => s * wigner3j(l1, l2, l3, m1, m2, m3));
  return (l1 + l2 + l3) % 2 === 0 ? re : im;
};
