import { describe, expect, it } from 'vitest';
import { fourierToSh, shToFourier, type FourierTable } from '../src/equivariant/fourier';
import { sphereQuadrature } from '../src/equivariant/quadrature';
import { realSH, shDim } from '../src/equivariant/sh';
import { rng } from '../src/tensor/rng';

/**
 * The SH ↔ 2-D Fourier tables of the Gaunt product, against the harmonics themselves: a grid must
 * evaluate to the function it came from at every (θ, φ), and the projection of a product grid must
 * equal ∫ f₁ f₂ Y dΩ computed by quadrature here. The Gaunt product's own tests compare it with the
 * dense product, which shares none of this code, but only on whole products.
 */
const coefficients = (L: number, seed: number) => {
  const r = rng(seed);
  return Float64Array.from({ length: shDim(L) }, () => r.normal());
};

/** The compact (2G+1)² complex grid of SH coefficients x through table t. */
const grid = (t: FourierTable, x: Float64Array) => {
  const W = 2 * t.G + 1;
  const re = new Float64Array(W * W), im = new Float64Array(W * W);
  for (let e = 0; e < t.sh.length; e++) {
    re[t.cell[e]!] += x[t.sh[e]!]! * t.re[e]!;
    im[t.cell[e]!] += x[t.sh[e]!]! * t.im[e]!;
  }
  return { re, im, G: t.G };
};

/** Σ F[u, v] e^{i(uθ + vφ)}. */
const evaluate = (F: { re: Float64Array; im: Float64Array; G: number }, th: number, ph: number) => {
  const W = 2 * F.G + 1;
  let sr = 0, si = 0;
  for (let u = -F.G; u <= F.G; u++)
    for (let v = -F.G; v <= F.G; v++) {
      const k = (u + F.G) * W + (v + F.G);
      const a = u * th + v * ph;
      sr += F.re[k]! * Math.cos(a) - F.im[k]! * Math.sin(a);
      si += F.re[k]! * Math.sin(a) + F.im[k]! * Math.cos(a);
    }
  return [sr, si] as const;
};

const shValue = (L: number, x: Float64Array, th: number, ph: number) => {
  const y = realSH(L, Math.sin(th) * Math.cos(ph), Math.sin(th) * Math.sin(ph), Math.cos(th));
  return x.reduce((s, v, i) => s + v * y[i]!, 0);
};

const sortedBySh = (t: FourierTable) => {
  // Four parallel arrays, one entry each.
  if (t.cell.length !== t.sh.length || t.re.length !== t.sh.length || t.im.length !== t.sh.length)
    return `lengths sh ${t.sh.length}, cell ${t.cell.length}, re ${t.re.length}, im ${t.im.length}`;
  for (let e = 1; e < t.sh.length; e++) {
    const ok = t.sh[e - 1]! < t.sh[e]! || (t.sh[e - 1] === t.sh[e] && t.cell[e - 1]! < t.cell[e]!);
    if (!ok) return `entry ${e}: (${t.sh[e - 1]}, ${t.cell[e - 1]}) before (${t.sh[e]}, ${t.cell[e]})`;
  }
  return 'sorted';
};

const angles = [[0.3, 1.1], [1.9, -2.4], [2.8, 0.2], [4.0, 3.0], [5.5, 5.9]] as const;

describe('shToFourier', () => {
  it('the grid of Σ x·Y evaluates to Σ x·Y(θ, φ), real, at points on both halves of the torus, L = 0 … 4', () => {
    for (const L of [0, 1, 2, 4]) {
      const t = shToFourier(L);
      expect([t.L, t.G]).toEqual([L, L]);
      expect(sortedBySh(t)).toBe('sorted');
      const x = coefficients(L, 10 + L);
      const F = grid(t, x);
      for (const [th, ph] of angles) {
        const [re, im] = evaluate(F, th, ph);
        expect(re, `L=${L} (${th}, ${ph})`).toBeCloseTo(shValue(L, x, th, ph), 12);
        expect(im, `L=${L} (${th}, ${ph}) imaginary part`).toBeCloseTo(0, 12);
      }
    }
  });
  it('each harmonic alone: Y_{2,−2}, Y_{2,1} and Y_{3,−3} (sin and cos in φ, odd and even in θ)', () => {
    const L = 3;
    const t = shToFourier(L);
    for (const i of [4, 7, 9]) {
      const x = new Float64Array(shDim(L));
      x[i] = 1;
      const F = grid(t, x);
      for (const [th, ph] of angles) expect(evaluate(F, th, ph)[0], `sh ${i} (${th}, ${ph})`).toBeCloseTo(shValue(L, x, th, ph), 12);
    }
  });
});

describe('fourierToSh', () => {
  /** ∫ f₁ f₂ Y_j dΩ for every j ≤ Lout, by quadrature exact to degree L1 + L2 + Lout. */
  const projectByQuadrature = (L1: number, x1: Float64Array, L2: number, x2: Float64Array, Lout: number) => {
    const q = sphereQuadrature(L1 + L2 + Lout);
    const L = Math.max(L1, L2, Lout);
    const b = new Float64Array(shDim(Lout));
    for (let k = 0; k < q.size; k++) {
      const y = realSH(L, q.points[3 * k]!, q.points[3 * k + 1]!, q.points[3 * k + 2]!);
      let f1 = 0, f2 = 0;
      for (let i = 0; i < x1.length; i++) f1 += x1[i]! * y[i]!;
      for (let i = 0; i < x2.length; i++) f2 += x2[i]! * y[i]!;
      for (let j = 0; j < b.length; j++) b[j] += q.weights[k]! * f1 * f2 * y[j]!;
    }
    return b;
  };
  /** Plain 2-D linear convolution of two compact grids: half-widths add. */
  const convolve = (A: ReturnType<typeof grid>, B: ReturnType<typeof grid>) => {
    const G = A.G + B.G;
    const W = 2 * G + 1, WA = 2 * A.G + 1, WB = 2 * B.G + 1;
    const re = new Float64Array(W * W), im = new Float64Array(W * W);
    for (let a = 0; a < WA * WA; a++)
      for (let b = 0; b < WB * WB; b++) {
        const u = Math.floor(a / WA) - A.G + Math.floor(b / WB) - B.G;
        const v = (a % WA) - A.G + (b % WB) - B.G;
        const k = (u + G) * W + (v + G);
        re[k] += A.re[a]! * B.re[b]! - A.im[a]! * B.im[b]!;
        im[k] += A.re[a]! * B.im[b]! + A.im[a]! * B.re[b]!;
      }
    return { re, im, G };
  };
  const project = (t: FourierTable, F: { re: Float64Array; im: Float64Array }) => {
    const b = new Float64Array(shDim(t.L));
    for (let e = 0; e < t.sh.length; e++) b[t.sh[e]!] += t.re[e]! * F.re[t.cell[e]!]! - t.im[e]! * F.im[t.cell[e]!]!;
    return b;
  };

  it('projects the product grid of two functions onto SH exactly as ∫ f₁ f₂ Y dΩ by quadrature', () => {
    for (const [L1, L2, Lout] of [[1, 2, 3], [3, 3, 6], [2, 1, 0], [3, 2, 2]] as const) {
      const x1 = coefficients(L1, 1), x2 = coefficients(L2, 2);
      const F = convolve(grid(shToFourier(L1), x1), grid(shToFourier(L2), x2));
      const t = fourierToSh(L1 + L2, Lout);
      expect([t.L, t.G]).toEqual([Lout, L1 + L2]);
      expect(sortedBySh(t)).toBe('sorted');
      const got = project(t, F);
      const want = projectByQuadrature(L1, x1, L2, x2, Lout);
      for (let j = 0; j < want.length; j++) expect(got[j], `(${L1}, ${L2} → ${Lout}) component ${j}`).toBeCloseTo(want[j]!, 12);
    }
  });
  it('a single function on a wider grid projects back to its own coefficients, and to zeros above its degree', () => {
    const L = 2, G = 4;
    const x = coefficients(L, 7);
    const small = grid(shToFourier(L), x);
    const W = 2 * G + 1, w = 2 * L + 1;
    const re = new Float64Array(W * W), im = new Float64Array(W * W);
    for (let a = 0; a < w * w; a++) {
      const k = (Math.floor(a / w) + G - L) * W + (a % w) + G - L;
      re[k] = small.re[a]!;
      im[k] = small.im[a]!;
    }
    const b = project(fourierToSh(G, 4), { re, im });
    for (let j = 0; j < shDim(4); j++) expect(b[j], `component ${j}`).toBeCloseTo(j < shDim(L) ? x[j]! : 0, 12);
  });
  it('refuses an output degree above the grid half-width, naming both', () => {
    expect(() => fourierToSh(2, 3)).toThrow('fourierToSh: output degree 3 exceeds the grid half-width 2');
    expect(fourierToSh(3, 3).L).toBe(3);
  });
});
