import { describe, expect, it } from 'vitest';
import { realSH, shDim } from '../src/equivariant/sh';
import { applyWignerD, matmul3, randomRotation, rotate3, wignerD } from '../src/equivariant/wigner';
import { rng } from '../src/tensor/rng';

/**
 * The Wigner-D blocks by their defining property, Y(R p) = D(R) Y(p) for real spherical harmonics,
 * on several rows and every degree ≤ 3 at once: an equivariance law compares f(D x) with D f(x), and
 * a D that lost rows, degrees or entries (zeros in, zeros out) would let it pass vacuously.
 */
describe('Wigner-D blocks and applyWignerD', () => {
  const L = 3;
  const n = shDim(L);
  const R = randomRotation(rng(7));
  const D = wignerD(L, R);
  const points = [[0.3, -0.5, 0.8], [-0.6, 0.1, 0.2], [0.05, 0.9, -0.4]].map(([x, y, z]) => {
    const h = Math.hypot(x!, y!, z!);
    return [x! / h, y! / h, z! / h] as const;
  });

  it('D(R) applied to Y(p), row by row, is Y(R p), for three rows and degrees 0…3', () => {
    const x = new Float64Array(points.length * n);
    const want = new Float64Array(points.length * n);
    points.forEach(([px, py, pz], r) => {
      x.set(realSH(L, px, py, pz), r * n);
      const [qx, qy, qz] = rotate3(R, px, py, pz);
      want.set(realSH(L, qx, qy, qz), r * n);
    });
    const got = applyWignerD(D, L, x, points.length);
    for (let i = 0; i < want.length; i++) expect(Math.abs(got[i]! - want[i]!), `entry ${i}`).toBeLessThan(1e-12);
    expect(Math.max(...want.map(Math.abs))).toBeGreaterThan(0.1); // not a comparison of zeros
  });

  it('D is a homomorphism: D(R₁R₂) = D(R₁) D(R₂) on features', () => {
    const R2 = randomRotation(rng(8));
    const x = Float64Array.from({ length: 2 * n }, (_, i) => Math.sin(1.7 * i + 0.3));
    const lhs = applyWignerD(wignerD(L, matmul3(R, R2)), L, x, 2);
    const rhs = applyWignerD(D, L, applyWignerD(wignerD(L, R2), L, x, 2), 2);
    for (let i = 0; i < lhs.length; i++) expect(Math.abs(lhs[i]! - rhs[i]!)).toBeLessThan(1e-12);
  });

  it('refuses features of the wrong size and too few blocks, saying what it expected', () => {
    expect(() => applyWignerD(D, L, new Float64Array(2 * n - 1), 2)).toThrow(`applyWignerD: expected 2×16 = 32 values for degrees ≤ 3, got 31`);
    expect(() => applyWignerD(D.slice(0, L), L, new Float64Array(n), 1)).toThrow('applyWignerD: need Wigner-D blocks up to degree 3, got up to 2');
  });
});
