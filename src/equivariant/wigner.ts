/**
 * Rotations and real Wigner-D matrices for the real spherical harmonics of `sh.ts`.
 *
 * `D^l(R)` is defined by `Y_l(R x) = D^l(R) Y_l(x)` for every unit x. It is orthogonal and a
 * homomorphism, `D(R₁R₂) = D(R₁) D(R₂)`. Rotating a function f ↦ f ∘ R⁻¹ maps its coefficients
 * c ↦ D(R) c, and the point-cloud embedding Σᵢ Y(pᵢ) of rotated points is D(R) times the original.
 *
 * @packageDocumentation
 */
import type { Rng } from '../tensor/rng';
import { sphereQuadrature } from './quadrature';
import { realSH, shDim } from './sh';

/** A 3×3 rotation matrix, row-major. */
export type Rotation = Float64Array;

/** A uniformly distributed random rotation (normalised Gaussian quaternion). */
export const randomRotation = (r: Rng): Rotation => {
  let a = 0, b = 0, c = 0, d = 0, n = 0;
  while (n < 1e-12) {
    a = r.normal(); b = r.normal(); c = r.normal(); d = r.normal();
    n = Math.hypot(a, b, c, d);
  }
  a /= n; b /= n; c /= n; d /= n;
  return Float64Array.from([
    1 - 2 * (c * c + d * d), 2 * (b * c - a * d), 2 * (b * d + a * c),
    2 * (b * c + a * d), 1 - 2 * (b * b + d * d), 2 * (c * d - a * b),
    2 * (b * d - a * c), 2 * (c * d + a * b), 1 - 2 * (b * b + c * c),
  ]);
};

/** Product of two 3×3 matrices. */
export const matmul3 = (p: Rotation, q: Rotation): Rotation => {
  const out = new Float64Array(9);
  for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) out[3 * i + j] = p[3 * i]! * q[j]! + p[3 * i + 1]! * q[3 + j]! + p[3 * i + 2]! * q[6 + j]!;
  return out;
};

/** R applied to the vector (x, y, z). */
export const rotate3 = (R: Rotation, x: number, y: number, z: number): [number, number, number] => [
  R[0]! * x + R[1]! * y + R[2]! * z,
  R[3]! * x + R[4]! * y + R[5]! * z,
  R[6]! * x + R[7]! * y + R[8]! * z,
];

/**
 * Real Wigner-D blocks for degrees 0…L: `blocks[l]` is (2l+1)×(2l+1), row-major, rows and columns
 * in the order m = −l … l. Computed as `D_ab = ∫ Y_a(R x) Y_b(x) dΩ` with a quadrature exact for
 * degree 2L, so to float64 precision.
 */
export const wignerD = (L: number, R: Rotation): Float64Array[] => {
  const q = sphereQuadrature(2 * L);
  const blocks = Array.from({ length: L + 1 }, (_, l) => new Float64Array((2 * l + 1) ** 2));
  const ya = new Float64Array(shDim(L));
  const yb = new Float64Array(shDim(L));
  for (let k = 0; k < q.size; k++) {
    const [x, y, z] = [q.points[3 * k]!, q.points[3 * k + 1]!, q.points[3 * k + 2]!];
    const [rx, ry, rz] = rotate3(R, x, y, z);
    realSH(L, rx, ry, rz, ya);
    realSH(L, x, y, z, yb);
    const w = q.weights[k]!;
    for (let l = 0; l <= L; l++) {
      const o = l * l;
      const d = 2 * l + 1;
      const B = blocks[l]!;
      for (let a = 0; a < d; a++) {
        const wa = w * ya[o + a]!;
        for (let b = 0; b < d; b++) B[a * d + b] += wa * yb[o + b]!;
      }
    }
  }
  return blocks;
};

/**
 * Apply block-diagonal D to features laid out as [rows, (L+1)²] (any number of leading rows, e.g.
 * batch × channels): each row's degree-l slice is multiplied by `blocks[l]`.
 */
export const applyWignerD = (blocks: readonly Float64Array[], L: number, x: ArrayLike<number>, rows: number): Float64Array => {
  const n = shDim(L);
  if (x.length !== rows * n) throw new RangeError(`applyWignerD: expected ${rows}×${n} = ${rows * n} values for degrees ≤ ${L}, got ${x.length}`);
  if (blocks.length < L + 1) throw new RangeError(`applyWignerD: need Wigner-D blocks up to degree ${L}, got up to ${blocks.length - 1}`);
  const out = new Float64Array(rows * n);
  for (let r = 0; r < rows; r++)
    for (let l = 0; l <= L; l++) {
      const o = r * n + l * l;
      const d = 2 * l + 1;
      const B = blocks[l]!;
      for (let a = 0; a < d; a++) {
        let s = 0;
        for (let b = 0; b < d; b++) s += B[a * d + b]! * x[o + b]!;
        out[o + a] = s;
      }
    }
  return out;
};
