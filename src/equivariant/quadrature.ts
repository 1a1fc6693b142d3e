/**
 * Quadrature on [−1, 1] and on the sphere, exact for polynomials up to a stated degree.
 *
 * @packageDocumentation
 */

/** Gauss–Legendre nodes and weights on [−1, 1] with n points (exact for degree ≤ 2n − 1). */
export const gaussLegendre = (n: number): { x: Float64Array; w: Float64Array } => {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`gaussLegendre: n must be a positive integer, got ${n}`);
  const x = new Float64Array(n);
  const w = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    // Newton's method on P_n from the classical cosine guess; converges in a handful of steps.
    let t = Math.cos((Math.PI * (i + 0.75)) / (n + 0.5));
    let dp = 1;
    for (let it = 0; it < 100; it++) {
      let p0 = 1;
      let p1 = t;
      for (let k = 2; k <= n; k++) {
        const p2 = ((2 * k - 1) * t * p1 - (k - 1) * p0) / k;
        p0 = p1;
        p1 = p2;
      }
      const pn = n === 1 ? t : p1;
      const pm = n === 1 ? 1 : p0;
      dp = (n * (t * pn - pm)) / (t * t - 1);
      const dt = pn / dp;
      t -= dt;
      if (Math.abs(dt) < 1e-16) break;
    }
    x[i] = t;
    w[i] = 2 / ((1 - t * t) * dp * dp);
  }
  return { x, w };
};

/** Points on the unit sphere (row-major [n, 3]) and weights summing to 4π. */
export interface SphereQuadrature {
  readonly points: Float64Array;
  readonly weights: Float64Array;
  readonly size: number;
}

/**
 * A product rule on the sphere — Gauss–Legendre in cos θ, equally spaced φ — that integrates every
 * polynomial of degree ≤ `degree` in (x, y, z) exactly (so ∫ Y_a Y_b with l_a + l_b ≤ degree).
 */
export const sphereQuadrature = (degree: number): SphereQuadrature => {
  if (!Number.isInteger(degree) || degree < 0) throw new RangeError(`sphereQuadrature: degree must be a non-negative integer, got ${degree}`);
  const nt = Math.floor(degree / 2) + 1;
  const np = degree + 1;
  const gl = gaussLegendre(nt);
  const size = nt * np;
  const points = new Float64Array(3 * size);
  const weights = new Float64Array(size);
  for (let i = 0; i < nt; i++) {
    const z = gl.x[i]!;
    const s = Math.sqrt(Math.max(0, 1 - z * z));
    for (let j = 0; j < np; j++) {
      const phi = (2 * Math.PI * j) / np;
      const k = i * np + j;
      points[3 * k] = s * Math.cos(phi);
      points[3 * k + 1] = s * Math.sin(phi);
      points[3 * k + 2] = z;
      weights[k] = (gl.w[i]! * 2 * Math.PI) / np;
    }
  }
  return { points, weights, size };
};
