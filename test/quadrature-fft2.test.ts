import { describe, expect, it } from 'vitest';
import { gaussLegendre, sphereQuadrature } from '../src/equivariant/quadrature';
import { fft2, nextPow2 } from '../src/equivariant/fft2';
import { rng } from '../src/tensor/rng';

/**
 * The quadrature rules and the private 2-D FFT of `src/equivariant`, each against closed forms or a
 * plain DFT written here: the equivariance laws use them only inside whole products, where a rule
 * that is exact for a lower degree than promised, or a transform with the wrong sign, can hide.
 */
describe('Gauss–Legendre', () => {
  it('n = 1, 2, 3: the closed-form nodes (largest first) and weights', () => {
    const cases: [number, number[], number[]][] = [
      [1, [0], [2]],
      [2, [1 / Math.sqrt(3), -1 / Math.sqrt(3)], [1, 1]],
      [3, [Math.sqrt(3 / 5), 0, -Math.sqrt(3 / 5)], [5 / 9, 8 / 9, 5 / 9]],
    ];
    for (const [n, xs, ws] of cases) {
      const { x, w } = gaussLegendre(n);
      expect(x.length).toBe(n);
      xs.forEach((v, i) => expect(x[i], `n=${n} x[${i}]`).toBeCloseTo(v, 15));
      ws.forEach((v, i) => expect(w[i], `n=${n} w[${i}]`).toBeCloseTo(v, 15));
    }
  });
  it('integrates x^k exactly for k ≤ 2n − 1 and not x^{2n}', () => {
    for (const n of [1, 2, 4, 7]) {
      const { x, w } = gaussLegendre(n);
      const integral = (k: number) => x.reduce((s, xi, i) => s + w[i]! * xi ** k, 0);
      for (let k = 0; k <= 2 * n - 1; k++) expect(integral(k), `n=${n} k=${k}`).toBeCloseTo(k % 2 === 0 ? 2 / (k + 1) : 0, 14);
      expect(Math.abs(integral(2 * n) - 2 / (2 * n + 1)), `n=${n} k=${2 * n}`).toBeGreaterThan(1e-5);
    }
  });
  it('refuses a count that is not a positive integer, naming it', () => {
    expect(() => gaussLegendre(0)).toThrow('gaussLegendre: n must be a positive integer, got 0');
    expect(() => gaussLegendre(2.5)).toThrow('got 2.5');
  });
});

describe('sphere quadrature', () => {
  // ∫ x^a y^b z^c dΩ over the unit sphere for even a, b, c: 2 Γ(α)Γ(β)Γ(γ)/Γ(α+β+γ), α = (a+1)/2 ….
  const monomials: [number, number, number, number][] = [
    [0, 0, 0, 4 * Math.PI],
    [2, 0, 0, (4 * Math.PI) / 3],
    [0, 0, 2, (4 * Math.PI) / 3],
    [2, 2, 0, (4 * Math.PI) / 15],
    [0, 0, 4, (4 * Math.PI) / 5],
    [4, 0, 0, (4 * Math.PI) / 5],
    [2, 2, 2, (4 * Math.PI) / 105],
    [1, 0, 0, 0],
    [0, 3, 0, 0],
    [1, 1, 2, 0],
  ];
  it('has ⌊d/2⌋+1 rings of d+1 points on the unit sphere, weights summing to 4π', () => {
    for (const d of [0, 1, 4, 7]) {
      const q = sphereQuadrature(d);
      const size = (Math.floor(d / 2) + 1) * (d + 1);
      expect(q.size, `degree ${d}`).toBe(size);
      expect(q.points.length).toBe(3 * size);
      expect(q.weights.reduce((s, v) => s + v, 0)).toBeCloseTo(4 * Math.PI, 13);
      for (let k = 0; k < size; k++) expect(Math.hypot(q.points[3 * k]!, q.points[3 * k + 1]!, q.points[3 * k + 2]!)).toBeCloseTo(1, 14);
    }
  });
  it('integrates every monomial of degree ≤ d exactly (d = 6), and z⁴ not at d = 2', () => {
    const integrate = (d: number, a: number, b: number, c: number) => {
      const q = sphereQuadrature(d);
      let s = 0;
      for (let k = 0; k < q.size; k++) s += q.weights[k]! * q.points[3 * k]! ** a * q.points[3 * k + 1]! ** b * q.points[3 * k + 2]! ** c;
      return s;
    };
    for (const [a, b, c, v] of monomials) expect(integrate(6, a, b, c), `x^${a} y^${b} z^${c}`).toBeCloseTo(v, 13);
    expect(integrate(4, 0, 0, 4)).toBeCloseTo((4 * Math.PI) / 5, 13);
    expect(integrate(4, 0, 4, 0)).toBeCloseTo((4 * Math.PI) / 5, 13);
    expect(Math.abs(integrate(2, 0, 0, 4) - (4 * Math.PI) / 5)).toBeGreaterThan(1e-3);
  });
  it('ring i is at z = the i-th Gauss–Legendre node, point j at φ = 2πj/(d+1)', () => {
    const d = 5;
    const q = sphereQuadrature(d);
    const gl = gaussLegendre(3);
    for (let i = 0; i < 3; i++)
      for (let j = 0; j < d + 1; j++) {
        const k = i * (d + 1) + j;
        const s = Math.sqrt(1 - gl.x[i]! ** 2);
        const phi = (2 * Math.PI * j) / (d + 1);
        expect(q.points[3 * k], `x ${i},${j}`).toBeCloseTo(s * Math.cos(phi), 14);
        expect(q.points[3 * k + 1], `y ${i},${j}`).toBeCloseTo(s * Math.sin(phi), 14);
        expect(q.points[3 * k + 2], `z ${i},${j}`).toBeCloseTo(gl.x[i]!, 14);
        expect(q.weights[k], `w ${i},${j}`).toBeCloseTo((gl.w[i]! * 2 * Math.PI) / (d + 1), 14);
      }
  });
  it('refuses a degree that is not a non-negative integer, naming it', () => {
    expect(() => sphereQuadrature(-1)).toThrow('sphereQuadrature: degree must be a non-negative integer, got -1');
    expect(() => sphereQuadrature(1.5)).toThrow('got 1.5');
  });
});

describe('fft2 (the Gaunt product’s private 2-D FFT)', () => {
  it('nextPow2 is the smallest power of two ≥ n', () => {
    expect([0, 1, 2, 3, 4, 5, 8, 9, 33].map(nextPow2)).toEqual([1, 1, 2, 4, 4, 8, 8, 16, 64]);
  });

  /** Plain 2-D DFT: X[p, q] = Σ x[r, c] e^{∓2πi(pr + qc)/n}, divided by n² when inverse. */
  const dft2 = (re: Float64Array, im: Float64Array, n: number, inverse: boolean) => {
    const sgn = inverse ? 1 : -1;
    const or = new Float64Array(n * n), oi = new Float64Array(n * n);
    for (let p = 0; p < n; p++)
      for (let q = 0; q < n; q++)
        for (let r = 0; r < n; r++)
          for (let c = 0; c < n; c++) {
            const t = (sgn * 2 * Math.PI * (p * r + q * c)) / n;
            or[p * n + q] += re[r * n + c]! * Math.cos(t) - im[r * n + c]! * Math.sin(t);
            oi[p * n + q] += re[r * n + c]! * Math.sin(t) + im[r * n + c]! * Math.cos(t);
          }
    if (inverse) for (let k = 0; k < n * n; k++) (or[k] /= n * n), (oi[k] /= n * n);
    return { re: or, im: oi };
  };
  const random = (n: number, seed: number) => {
    const r = rng(seed);
    return { re: Float64Array.from({ length: n * n }, () => r.normal()), im: Float64Array.from({ length: n * n }, () => r.normal()) };
  };

  it('equals the plain DFT, forward (the default) and inverse, n = 1, 2, 4, 8', () => {
    for (const n of [1, 2, 4, 8])
      for (const inverse of [false, true]) {
        const x = random(n, n);
        const want = dft2(x.re, x.im, n, inverse);
        if (inverse) fft2(x.re, x.im, n, true);
        else fft2(x.re, x.im, n);
        for (let k = 0; k < n * n; k++) {
          expect(x.re[k], `n=${n} inverse=${inverse} re[${k}]`).toBeCloseTo(want.re[k]!, 12);
          expect(x.im[k], `n=${n} inverse=${inverse} im[${k}]`).toBeCloseTo(want.im[k]!, 12);
        }
      }
  });
  it('with `rows`, transforms only those rows in the first pass (exact when the others are zero)', () => {
    const n = 8;
    const rows = [0, 1, 6, 7];
    const x = random(n, 3);
    for (let r = 0; r < n; r++) if (!rows.includes(r)) for (let c = 0; c < n; c++) x.re[r * n + c] = x.im[r * n + c] = 0;
    const want = dft2(x.re, x.im, n, false);
    fft2(x.re, x.im, n, false, rows);
    for (let k = 0; k < n * n; k++) expect(x.re[k]).toBeCloseTo(want.re[k]!, 12), expect(x.im[k]).toBeCloseTo(want.im[k]!, 12);
    // A row left out of `rows` is not transformed: a nonzero there is treated as if already transformed.
    const y = random(n, 4);
    const full = dft2(y.re, y.im, n, false);
    fft2(y.re, y.im, n, false, [0]);
    expect(Math.abs(y.re[9]! - full.re[9]!)).toBeGreaterThan(1e-6);
  });
  it('refuses a grid of the wrong size (either part) or a size that is not a power of two', () => {
    expect(() => fft2(new Float64Array(16), new Float64Array(15), 4)).toThrow('fft2: expected 4×4 = 16 values, got 16 and 15');
    expect(() => fft2(new Float64Array(15), new Float64Array(16), 4)).toThrow('got 15 and 16');
    expect(() => fft2(new Float64Array(9), new Float64Array(9), 3)).toThrow('fft2: size must be a power of two, got 3');
    expect(() => fft2(new Float64Array(36), new Float64Array(36), 6)).toThrow('got 6');
  });
});
