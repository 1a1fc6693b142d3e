import { describe, expect, it } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import { circularConvolve, circularCorrelate, dftNaive, fft, fft2d, fftPlan, fftRealPair, rfft } from '../src/fft/index';
import { rng } from '../src/tensor/rng';

const randVec = (n: number, seed: number): Float64Array => {
  const r = rng(seed);
  return Float64Array.from({ length: n }, () => r.normal());
};

const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
};

// Lengths covering n = 1, powers of two, primes (pure Bluestein), and composites.
const lengths = [1, 2, 3, 4, 5, 7, 8, 12, 16, 17, 31, 64, 97, 100, 128, 255, 1000];

describe('fft', () => {
  for (const n of lengths) {
    it(`length ${n}: forward and inverse equal the naive DFT`, () => {
      const re = randVec(n, n);
      const im = randVec(n, n + 1000);
      for (const inverse of [false, true]) {
        const ref = dftNaive(re, im, inverse);
        const fr = re.slice();
        const fi = im.slice();
        fft(fr, fi, inverse);
        // Rounding grows like log n; the naive DFT's own error grows like n, so scale with n.
        const tol = 1e-12 * n + 1e-13;
        expect(maxAbsDiff(fr, ref.re)).toBeLessThan(tol * 10);
        expect(maxAbsDiff(fi, ref.im)).toBeLessThan(tol * 10);
      }
    });
  }

  test.prop([fc.integer({ min: 1, max: 3000 }), fc.integer({ min: 0, max: 1e6 })], { numRuns: 25 })(
    'inverse undoes forward for any length',
    (n, seed) => {
      const re = randVec(n, seed);
      const im = randVec(n, seed + 1);
      const fr = re.slice();
      const fi = im.slice();
      fft(fr, fi, false);
      fft(fr, fi, true);
      expect(maxAbsDiff(fr, re)).toBeLessThan(1e-11);
      expect(maxAbsDiff(fi, im)).toBeLessThan(1e-11);
    },
  );

  test.prop([fc.integer({ min: 1, max: 600 }), fc.integer({ min: 0, max: 1e6 })], { numRuns: 25 })(
    'Parseval: Σ|x|² = Σ|X|²/n',
    (n, seed) => {
      const x = randVec(n, seed);
      const { re, im } = rfft(x);
      let a = 0;
      let b = 0;
      for (let i = 0; i < n; i++) {
        a += x[i]! ** 2;
        b += re[i]! ** 2 + im[i]! ** 2;
      }
      expect(Math.abs(a - b / n)).toBeLessThan(1e-9 * a);
    },
  );

  test.prop([fc.integer({ min: 1, max: 300 }), fc.integer({ min: 0, max: 1e6 })], { numRuns: 25 })(
    'two real spectra from one complex transform equal separate transforms',
    (n, seed) => {
      const a = randVec(n, seed);
      const b = randVec(n, seed + 7);
      const out = [new Float64Array(n), new Float64Array(n), new Float64Array(n), new Float64Array(n)] as const;
      fftRealPair(a, b, ...out);
      const A = rfft(a);
      const B = rfft(b);
      expect(maxAbsDiff(out[0], A.re)).toBeLessThan(1e-10);
      expect(maxAbsDiff(out[1], A.im)).toBeLessThan(1e-10);
      expect(maxAbsDiff(out[2], B.re)).toBeLessThan(1e-10);
      expect(maxAbsDiff(out[3], B.im)).toBeLessThan(1e-10);
    },
  );

  test.prop([fc.integer({ min: 1, max: 80 }), fc.integer({ min: 0, max: 1e6 })], { numRuns: 25 })(
    'circular convolution and correlation equal their definitions; correlation is the adjoint',
    (n, seed) => {
      const a = randVec(n, seed);
      const b = randVec(n, seed + 1);
      const g = randVec(n, seed + 2);
      const conv = circularConvolve(a, b);
      const corr = circularCorrelate(g, b);
      for (let k = 0; k < n; k++) {
        let s = 0;
        let c = 0;
        for (let j = 0; j < n; j++) {
          s += a[j]! * b[(k - j + n) % n]!;
          c += g[j]! * b[(j - k + n) % n]!;
        }
        expect(Math.abs(conv[k]! - s)).toBeLessThan(1e-10);
        expect(Math.abs(corr[k]! - c)).toBeLessThan(1e-10);
      }
      // ⟨g, conv(a, b)⟩ = ⟨correlate(g, b), a⟩
      let lhs = 0;
      let rhs = 0;
      for (let k = 0; k < n; k++) {
        lhs += g[k]! * conv[k]!;
        rhs += corr[k]! * a[k]!;
      }
      expect(Math.abs(lhs - rhs)).toBeLessThan(1e-9 * (1 + Math.abs(lhs)));
    },
  );

  it('fft2d equals the separable naive 2-D DFT and inverts', () => {
    for (const [rows, cols] of [[3, 5], [4, 8], [6, 7], [1, 9]] as const) {
      const re = randVec(rows * cols, rows * 31 + cols);
      const im = randVec(rows * cols, rows * 37 + cols);
      const fr = re.slice();
      const fi = im.slice();
      fft2d(fr, fi, rows, cols, false);
      for (let u = 0; u < rows; u++)
        for (let v = 0; v < cols; v++) {
          let sr = 0;
          let si = 0;
          for (let r = 0; r < rows; r++)
            for (let c = 0; c < cols; c++) {
              const ang = -2 * Math.PI * ((u * r) / rows + (v * c) / cols);
              sr += re[r * cols + c]! * Math.cos(ang) - im[r * cols + c]! * Math.sin(ang);
              si += re[r * cols + c]! * Math.sin(ang) + im[r * cols + c]! * Math.cos(ang);
            }
          expect(Math.abs(fr[u * cols + v]! - sr)).toBeLessThan(1e-10);
          expect(Math.abs(fi[u * cols + v]! - si)).toBeLessThan(1e-10);
        }
      fft2d(fr, fi, rows, cols, true);
      expect(maxAbsDiff(fr, re)).toBeLessThan(1e-12);
      expect(maxAbsDiff(fi, im)).toBeLessThan(1e-12);
    }
  });

  it('bad input is a clear error', () => {
    expect(() => fft(new Float64Array(3), new Float64Array(4))).toThrow(/fft: re has length 3 but im has 4/);
    expect(() => fft2d(new Float64Array(5), new Float64Array(5), 2, 3)).toThrow(/fft2d: 2×3 needs 6 elements/);
  });
});

describe('fft edges', () => {
  it('length 0 and empty 2-D arrays are no-ops; bad lengths name the function and the value', () => {
    expect(() => fft(new Float64Array(0), new Float64Array(0))).not.toThrow();
    expect(() => fft2d(new Float64Array(0), new Float64Array(0), 0, 5)).not.toThrow();
    expect(() => fft2d(new Float64Array(0), new Float64Array(0), 4, 0)).not.toThrow();
    expect(() => fftPlan(0)).toThrow('fft: length must be a positive integer, got 0');
    expect(() => fftPlan(2.5)).toThrow('fft: length must be a positive integer, got 2.5');
    expect(() => fftRealPair([1, 2], [1], new Float64Array(2), new Float64Array(2), new Float64Array(2), new Float64Array(2))).toThrow(
      'fftRealPair: lengths differ (2 vs 1)',
    );
  });
  it('plans are cached per length, and the oldest is evicted after 64 lengths', () => {
    // Lengths above 3000, which no other test in this file uses, so each call below inserts a plan.
    const first = fftPlan(3001);
    expect(fftPlan(3001)).toBe(first);
    for (let n = 3002; n < 3002 + 63; n++) fftPlan(n);
    expect(fftPlan(3001)).toBe(first); // 64 lengths since: still cached
    fftPlan(3100);
    const again = fftPlan(3001);
    expect(again).not.toBe(first); // the oldest, evicted and rebuilt
    expect(again.n).toBe(3001);
  });
});

describe('fft: which algorithm, default direction, both operands checked', () => {
  it('a power-of-two length takes the radix-2 path: an impulse transforms to exact ones (Bluestein rounds)', () => {
    for (const n of [2, 8, 64]) {
      const re = new Float64Array(n);
      const im = new Float64Array(n);
      re[0] = 1;
      fft(re, im, false);
      expect([...re].every((v) => v === 1) && [...im].every((v) => v === 0), `n ${n}`).toBe(true);
    }
  });

  it('the direction defaults to forward (X_1 of an impulse at 1 is e^{−2πi/n}) in fft, fft2d and dftNaive', () => {
    const n = 6;
    const impulse = () => {
      const re = new Float64Array(n);
      re[1] = 1;
      return re;
    };
    const [re, im] = [impulse(), new Float64Array(n)];
    fft(re, im);
    expect(im[1]).toBeCloseTo(-Math.sin((2 * Math.PI) / n), 12);
    const [r2, i2] = [impulse(), new Float64Array(n)];
    fft2d(r2, i2, 1, n);
    expect(i2[1]).toBeCloseTo(-Math.sin((2 * Math.PI) / n), 12);
    expect(dftNaive(impulse(), new Float64Array(n)).im[1]).toBeCloseTo(-Math.sin((2 * Math.PI) / n), 12);
  });

  it('fft2d refuses a wrong length in either operand alone', () => {
    expect(() => fft2d(new Float64Array(6), new Float64Array(5), 2, 3)).toThrow(/fft2d: 2×3 needs 6 elements, got re 6, im 5/);
    expect(() => fft2d(new Float64Array(5), new Float64Array(6), 2, 3)).toThrow(/fft2d: 2×3 needs 6 elements, got re 5, im 6/);
  });
});
