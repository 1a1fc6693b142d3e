/**
 * Real spherical harmonics, one convention used everywhere in catoptric:
 *
 * - **Orthonormal** on the unit sphere: ∫ Y_a Y_b dΩ = δ_ab (dΩ = sin θ dθ dφ, total area 4π).
 * - **No Condon–Shortley phase** in the real basis: with θ the polar angle from +z and φ the azimuth,
 *   `Y_{l,0} = N_l^0 P_l(cos θ)`, `Y_{l,m} = √2 N_l^m P_l^m(cos θ) cos(mφ)` and
 *   `Y_{l,−m} = √2 N_l^m P_l^m(cos θ) sin(mφ)` for m > 0, where `P_l^m ≥ 0` near the north pole
 *   (associated Legendre functions without the (−1)^m factor) and
 *   `N_l^m = sqrt((2l+1)/(4π) · (l−m)!/(l+m)!)`. So `Y_{1,−1}, Y_{1,0}, Y_{1,1}` are
 *   `sqrt(3/4π)·(y, z, x)` on the unit sphere.
 * - **Component order**: degree by degree, m = −l … l; component (l, m) sits at index `l² + l + m`,
 *   so a feature of degrees 0…L has `(L+1)²` components.
 *
 * Under a rotation R, `Y(R x) = D(R) Y(x)` with the block-diagonal real Wigner-D of `wigner.ts`.
 *
 * @packageDocumentation
 */

/** Number of components of degrees 0…L: (L+1)². */
export const shDim = (L: number): number => (L + 1) * (L + 1);

/** Index of component (l, m) in the order above. */
export const shIndex = (l: number, m: number): number => l * l + l + m;

/**
 * `Q[l][m]` (0 ≤ m ≤ l ≤ L) with `P_l^m(z) = (1 − z²)^{m/2} Q_l^m(z)`: the associated Legendre
 * function with its sin^m θ factor taken out, which makes it a polynomial in z. Stable three-term
 * recurrence in l at fixed m.
 */
export const legendreQ = (L: number, z: number): Float64Array[] => {
  const q = Array.from({ length: L + 1 }, (_, l) => new Float64Array(l + 1));
  let mm = 1; // (2m − 1)!!
  for (let m = 0; m <= L; m++) {
    if (m > 0) mm *= 2 * m - 1;
    q[m]![m] = mm;
    if (m + 1 <= L) q[m + 1]![m] = (2 * m + 1) * z * mm;
    for (let l = m + 2; l <= L; l++) q[l]![m] = ((2 * l - 1) * z * q[l - 1]![m]! - (l + m - 1) * q[l - 2]![m]!) / (l - m);
  }
  return q;
};

/** `N_l^m`, times √2 for m ≠ 0: the factor in front of `P_l^|m| · trig(mφ)` in the real basis. */
export const shNorm = (l: number, m: number): number => {
  const k = Math.abs(m);
  let ratio = 1; // (l−k)!/(l+k)!
  for (let j = l - k + 1; j <= l + k; j++) ratio /= j;
  const n = Math.sqrt(((2 * l + 1) / (4 * Math.PI)) * ratio);
  return k === 0 ? n : Math.SQRT2 * n;
};

/**
 * Real spherical harmonics of degrees 0…L at a unit vector (x, y, z), into `out` (length (L+1)²).
 * The caller normalises the vector; for a non-unit vector the values are those of the polynomial
 * extension, not of the direction.
 */
export const realSH = (L: number, x: number, y: number, z: number, out: Float64Array = new Float64Array(shDim(L))): Float64Array => {
  const q = legendreQ(L, z);
  // (x + iy)^m = sin^m θ · e^{imφ}: carries both the sin^m θ factor and the azimuthal part.
  let cr = 1;
  let ci = 0;
  for (let m = 0; m <= L; m++) {
    if (m > 0) {
      const t = cr * x - ci * y;
      ci = cr * y + ci * x;
      cr = t;
    }
    for (let l = m; l <= L; l++) {
      const v = shNorm(l, m) * q[l]![m]!;
      if (m === 0) out[shIndex(l, 0)] = v;
      else {
        out[shIndex(l, m)] = v * cr;
        out[shIndex(l, -m)] = v * ci;
      }
    }
  }
  return out;
};
