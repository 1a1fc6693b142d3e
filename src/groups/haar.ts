/**
 * Seeded sampling from the Haar measure of SO(n), SL(n), GL⁺(n) and the affine group, restricted to a
 * compact window (the measure of the whole non-compact group is infinite).
 *
 * Factorisation (the paper's): under g = R·P with P = Q^{1/2}, Q = gᵀg, Haar on GL⁺(n) is Haar on SO(n)
 * times the GL(n)-invariant measure det(Q)^{-(n+1)/2} dQ on PD(n). Writing Q = U·diag(e^{a})·Uᵀ with U
 * Haar on SO(n), that invariant measure has density ∏_{i<j} sinh(|aᵢ − aⱼ|/2) in the log-eigenvalues
 * a (the Vandermonde factor and the det weight cancel to this). SL(n) is the slice Σa = 0. The
 * affine group's left Haar measure is dt·dμ(A)/det A.
 *
 * The window: every singular value of the linear part lies in [e^{−m}, e^{m}] (m = `maxLogStretch`,
 * so |aᵢ| ≤ 2m), and for the affine group every translation coordinate lies in [−τ, τ]. The window
 * is invariant under left and right rotations, so its samples are exactly Haar on rotations; a left
 * translate h·W differs from W near its boundary, so integrals of functions supported well inside W
 * (within m − max|log σ(h)|) are invariant.
 */
import { GroupError, type Mat, det, dimOf, mul, transpose } from './mat';
import { type Affine } from './groups';
import type { Rng } from '../tensor/rng';

/** The compact window of a Haar sampler. */
export interface HaarWindow {
  /** Largest |log σ| of a singular value σ of the linear part (m > 0). */
  readonly maxLogStretch: number;
  /** Largest |tᵢ| of a translation coordinate (affine group only). */
  readonly maxShift?: number;
}

const checkWindow = (w: HaarWindow, where: string): void => {
  if (!(w.maxLogStretch > 0) || !Number.isFinite(w.maxLogStretch))
    throw new GroupError(`${where}: window.maxLogStretch must be a finite number > 0, got ${w.maxLogStretch}`);
  if (w.maxShift !== undefined && !(w.maxShift >= 0 && Number.isFinite(w.maxShift)))
    throw new GroupError(`${where}: window.maxShift must be a finite number ≥ 0, got ${w.maxShift}`);
};

const checkN = (n: number, where: string): 2 | 3 => {
  if (n !== 2 && n !== 3) throw new GroupError(`${where}: n must be 2 or 3, got ${n}`);
  return n;
};

/** A Haar-random rotation of SO(n): uniform angle (n = 2), normalised Gaussian quaternion (n = 3). */
export const sampleSO = (n: number, r: Rng): Mat => {
  checkN(n, 'sampleSO');
  if (n === 2) {
    const th = 2 * Math.PI * r.uniform();
    const c = Math.cos(th), s = Math.sin(th);
    return Float64Array.from([c, -s, s, c]);
  }
  let w = 0, x = 0, y = 0, z = 0, q = 0;
  while (q < 1e-12) {
    [w, x, y, z] = [r.normal(), r.normal(), r.normal(), r.normal()];
    q = w * w + x * x + y * y + z * z;
  }
  const s = Math.sqrt(q);
  [w, x, y, z] = [w / s, x / s, y / s, z / s];
  return Float64Array.from([
    1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w),
    2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w),
    2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y),
  ]);
};

/** Density (unnormalised) of the invariant measure of PD(n) in log-eigenvalue coordinates. */
export const pdLogEigenDensity = (a: readonly number[]): number => {
  let d = 1;
  for (let i = 0; i < a.length; i++) for (let j = i + 1; j < a.length; j++) d *= Math.sinh(Math.abs(a[i]! - a[j]!) / 2);
  return d;
};

/**
 * Log-eigenvalues a of Q = gᵀg under the invariant measure, |aᵢ| ≤ 2m, by rejection from the uniform
 * box (for `special`, on the slice Σa = 0, the last coordinate being −Σ of the others).
 */
const sampleLogEigen = (n: 2 | 3, m: number, special: boolean, r: Rng): number[] => {
  const L = 2 * m;
  // The density's maximum on the box: sinh(L) for n = 2; sinh(L)·sinh(L/2)² for n = 3 (at a = (−L, 0, L)).
  const bound = n === 2 ? Math.sinh(L) : Math.sinh(L) * Math.sinh(L / 2) ** 2;
  for (let tries = 0; tries < 1_000_000; tries++) {
    const a = Array.from({ length: special ? n - 1 : n }, () => (2 * r.uniform() - 1) * L);
    if (special) {
      a.push(-a.reduce((s, x) => s + x, 0));
      if (Math.abs(a[n - 1]!) > L) continue;
    }
    if (r.uniform() * bound < pdLogEigenDensity(a)) return a;
  }
  throw new GroupError('sampleLogEigen: rejection sampling failed (window too large)');
};

/** U·diag(e^{h})·Uᵀ: a positive-definite matrix from an eigenbasis U and log-eigenvalues h. */
export const pdFromLogEigen = (u: Mat, halfA: readonly number[]): Mat => {
  const n = halfA.length;
  const d = new Float64Array(n * n);
  halfA.forEach((x, i) => (d[i * n + i] = Math.exp(x)));
  return mul(mul(u, d), transpose(u));
};

/**
 * A sample of PD(n) under its GL(n)-invariant measure, as the polar factor P = Q^{1/2} (so its
 * eigenvalues lie in [e^{−m}, e^{m}]); `special` restricts to det P = 1.
 */
export const samplePD = (n: number, w: HaarWindow, r: Rng, special = false): Mat => {
  const k = checkN(n, 'samplePD');
  checkWindow(w, 'samplePD');
  const a = sampleLogEigen(k, w.maxLogStretch, special, r.fork('eig'));
  return pdFromLogEigen(sampleSO(k, r.fork('basis')), a.map((x) => x / 2));
};

/** A Haar sample of GL⁺(n) in the window: g = R·P, R Haar on SO(n), P from `samplePD`. */
export const sampleGLPlus = (n: number, w: HaarWindow, r: Rng): Mat => {
  const k = checkN(n, 'sampleGLPlus');
  return mul(sampleSO(k, r.fork('R')), samplePD(k, w, r.fork('P')));
};

/** A Haar sample of SL(n) in the window: g = R·S, det S = 1. */
export const sampleSL = (n: number, w: HaarWindow, r: Rng): Mat => {
  const k = checkN(n, 'sampleSL');
  return mul(sampleSO(k, r.fork('R')), samplePD(k, w, r.fork('P'), true));
};

/**
 * A left-Haar sample of the affine group Rⁿ ⋊ GL⁺(n) in the window: translation uniform in the box,
 * linear part Haar on GL⁺(n) reweighted by 1/det A (by rejection against its largest value e^{nm}).
 */
export const sampleAffine = (n: number, w: HaarWindow, r: Rng): Affine => {
  const k = checkN(n, 'sampleAffine');
  checkWindow(w, 'sampleAffine');
  const tau = w.maxShift ?? 1;
  const top = Math.exp(-k * w.maxLogStretch);
  for (let tries = 0; tries < 1_000_000; tries++) {
    const a = sampleGLPlus(k, w, r.fork(tries));
    if (r.uniform() * (1 / top) < 1 / det(a)) return { a, t: Float64Array.from({ length: k }, () => (2 * r.uniform() - 1) * tau) };
  }
  throw new GroupError('sampleAffine: rejection sampling failed (window too large)');
};

/** `count` seeded samples of a group in a window: the Monte Carlo points of the lifting and group convolution. */
export const haarSamples = (group: 'SO' | 'SL' | 'GL+', n: number, count: number, w: HaarWindow, r: Rng): Mat[] => {
  if (!Number.isInteger(count) || count < 1) throw new GroupError(`haarSamples: count must be a positive integer, got ${count}`);
  return Array.from({ length: count }, (_, i) => {
    const ri = r.fork(i);
    return group === 'SO' ? sampleSO(n, ri) : group === 'SL' ? sampleSL(n, w, ri) : sampleGLPlus(n, w, ri);
  });
};

export { dimOf };
