import { describe, expect, it } from 'vitest';
import { realSH, shIndex } from '../src/equivariant/index';

/**
 * Real spherical harmonics at fixed unit vectors against the closed forms in Cartesian
 * coordinates, every (l, m) with l ≤ 4: orthonormal, no Condon–Shortley phase, Y_{l,m} ∝ cos(mφ)
 * and Y_{l,−m} ∝ sin(mφ) for m > 0 (src/equivariant/sh.ts). Written out term by term here so that a
 * change of sign, order or normalisation for any m shows.
 */
const PI = Math.PI;
const closedForms: Record<string, (x: number, y: number, z: number) => number> = {
  '0,0': () => 0.5 * Math.sqrt(1 / PI),

  '1,-1': (_x, y) => Math.sqrt(3 / (4 * PI)) * y,
  '1,0': (_x, _y, z) => Math.sqrt(3 / (4 * PI)) * z,
  '1,1': (x) => Math.sqrt(3 / (4 * PI)) * x,

  '2,-2': (x, y) => 0.5 * Math.sqrt(15 / PI) * x * y,
  '2,-1': (_x, y, z) => 0.5 * Math.sqrt(15 / PI) * y * z,
  '2,0': (_x, _y, z) => 0.25 * Math.sqrt(5 / PI) * (3 * z * z - 1),
  '2,1': (x, _y, z) => 0.5 * Math.sqrt(15 / PI) * x * z,
  '2,2': (x, y) => 0.25 * Math.sqrt(15 / PI) * (x * x - y * y),

  '3,-3': (x, y) => 0.25 * Math.sqrt(35 / (2 * PI)) * y * (3 * x * x - y * y),
  '3,-2': (x, y, z) => 0.5 * Math.sqrt(105 / PI) * x * y * z,
  '3,-1': (_x, y, z) => 0.25 * Math.sqrt(21 / (2 * PI)) * y * (5 * z * z - 1),
  '3,0': (_x, _y, z) => 0.25 * Math.sqrt(7 / PI) * z * (5 * z * z - 3),
  '3,1': (x, _y, z) => 0.25 * Math.sqrt(21 / (2 * PI)) * x * (5 * z * z - 1),
  '3,2': (x, y, z) => 0.25 * Math.sqrt(105 / PI) * z * (x * x - y * y),
  '3,3': (x, y) => 0.25 * Math.sqrt(35 / (2 * PI)) * x * (x * x - 3 * y * y),

  '4,-4': (x, y) => 0.75 * Math.sqrt(35 / PI) * x * y * (x * x - y * y),
  '4,-3': (x, y, z) => 0.75 * Math.sqrt(35 / (2 * PI)) * y * z * (3 * x * x - y * y),
  '4,-2': (x, y, z) => 0.75 * Math.sqrt(5 / PI) * x * y * (7 * z * z - 1),
  '4,-1': (_x, y, z) => 0.75 * Math.sqrt(5 / (2 * PI)) * y * z * (7 * z * z - 3),
  '4,0': (_x, _y, z) => (3 / 16) * Math.sqrt(1 / PI) * (35 * z ** 4 - 30 * z * z + 3),
  '4,1': (x, _y, z) => 0.75 * Math.sqrt(5 / (2 * PI)) * x * z * (7 * z * z - 3),
  '4,2': (x, y, z) => (3 / 8) * Math.sqrt(5 / PI) * (x * x - y * y) * (7 * z * z - 1),
  '4,3': (x, y, z) => 0.75 * Math.sqrt(35 / (2 * PI)) * x * z * (x * x - 3 * y * y),
  '4,4': (x, y) => (3 / 16) * Math.sqrt(35 / PI) * (x * x * (x * x - 3 * y * y) - y * y * (3 * x * x - y * y)),
};

const unit = (v: [number, number, number]): [number, number, number] => {
  const n = Math.hypot(...v);
  return [v[0] / n, v[1] / n, v[2] / n];
};

// Points with every coordinate non-zero and of both signs, plus the poles and the equator.
const points: [number, number, number][] = [
  [0.48, 0.6, 0.64],
  [-0.36, 0.48, -0.8],
  [2 / 7, -3 / 7, 6 / 7],
  unit([0.1, -0.7, 0.3]),
  unit([-1.3, -0.2, 0.45]),
  [0, 0, 1],
  [0, 0, -1],
  [Math.SQRT1_2, -Math.SQRT1_2, 0],
];

describe('real spherical harmonics: values at fixed points equal the closed forms, l ≤ 4', () => {
  for (let l = 0; l <= 4; l++)
    for (let m = -l; m <= l; m++)
      it(`Y_${l},${m}`, () => {
        const f = closedForms[`${l},${m}`]!;
        for (const [x, y, z] of points) {
          const got = realSH(4, x, y, z)[shIndex(l, m)]!;
          expect(Math.abs(got - f(x, y, z)), `at (${x}, ${y}, ${z}): ${got} vs ${f(x, y, z)}`).toBeLessThan(1e-14);
        }
      });
  it('every closed form is non-zero at some point (the comparison is not vacuous)', () => {
    for (const [k, f] of Object.entries(closedForms)) expect(points.some(([x, y, z]) => Math.abs(f(x, y, z)) > 0.05), k).toBe(true);
  });
});
