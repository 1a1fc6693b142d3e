import { describe, expect, it } from 'vitest';
import { realClebschGordan, realGaunt, realGauntByQuadrature, triangle, wigner3j } from '../src/equivariant/coupling';
import { randomRotation, wignerD } from '../src/equivariant/wigner';
import { rng } from '../src/tensor/rng';

/**
 * Coupling coefficients against values written from closed forms (3j symbols as exact surds, the
 * Levi-Civita tensor, ∫ Y Y Y for l = 0) and by their defining properties (orthonormality, rotation
 * invariance), each on small degrees so that the file runs in well under a second.
 */
describe('wigner3j and triangle', () => {
  it('triangle holds at both edges |l1 − l2| and l1 + l2 and fails just outside', () => {
    expect(triangle(2, 5, 3)).toBe(true);
    expect(triangle(2, 5, 7)).toBe(true);
    expect(triangle(2, 5, 2)).toBe(false);
    expect(triangle(2, 5, 8)).toBe(false);
    expect(triangle(5, 2, 3)).toBe(true);
    expect(triangle(5, 2, 2)).toBe(false);
  });

  // (l1 l2 l3; m1 m2 m3) as exact surds (standard tables; Condon–Shortley convention).
  const table: [number[], number][] = [
    [[1, 1, 0, 1, -1, 0], Math.sqrt(3) / 3],
    [[1, 1, 1, 1, 0, -1], -Math.sqrt(6) / 6],
    [[1, 1, 1, 0, 1, -1], Math.sqrt(6) / 6],
    [[1, 1, 2, 1, -1, 0], Math.sqrt(30) / 30],
    [[1, 1, 2, 1, 1, -2], Math.sqrt(5) / 5],
    [[1, 1, 2, 1, 0, -1], -Math.sqrt(10) / 10],
    [[2, 2, 2, 0, 0, 0], -Math.sqrt(70) / 35],
    [[2, 1, 1, 0, 0, 0], Math.sqrt(30) / 15],
    [[2, 2, 2, 1, -2, 1], -Math.sqrt(105) / 35],
    [[3, 2, 1, -1, 2, -1], Math.sqrt(105) / 105],
    [[3, 3, 2, 2, -3, 1], -Math.sqrt(105) / 42],
    [[2, 3, 4, -2, 1, 1], -Math.sqrt(14) / 21],
    [[3, 2, 3, 3, 0, -3], Math.sqrt(105) / 42],
    [[4, 2, 3, -1, -1, 2], -Math.sqrt(35) / 30],
    [[3, 3, 4, 0, 0, 0], -Math.sqrt(154) / 77],
    [[1, 2, 3, 1, -2, 1], Math.sqrt(105) / 105],
    [[2, 2, 4, 2, -2, 0], Math.sqrt(70) / 210],
    [[3, 1, 3, -2, 1, 1], Math.sqrt(105) / 42],
  ];
  it('equals tabulated exact values, signs included', () => {
    for (const [[l1, l2, l3, m1, m2, m3], v] of table)
      expect(wigner3j(l1!, l2!, l3!, m1!, m2!, m3!), `(${l1} ${l2} ${l3}; ${m1} ${m2} ${m3})`).toBeCloseTo(v, 14);
  });
  it('is zero when the m do not sum to zero, an |m| exceeds its l, or the triangle fails', () => {
    expect(wigner3j(1, 1, 2, 1, 0, 0)).toBe(0);
    expect(wigner3j(1, 1, 2, 2, -2, 0)).toBe(0);
    expect(wigner3j(1, 1, 2, -2, 2, 0)).toBe(0);
    expect(wigner3j(1, 2, 1, 0, 2, -2)).toBe(0);
    expect(wigner3j(2, 1, 1, 0, 2, -2)).toBe(0);
    expect(wigner3j(1, 1, 1, 0, -2, 2)).toBe(0);
    expect(wigner3j(1, 1, 1, 0, 2, -2)).toBe(0);
    // Exactly one |m| too large (the m still sum to zero, the triangle holds): each bound on its own.
    expect(wigner3j(1, 2, 2, 2, -1, -1)).toBe(0);
    expect(wigner3j(2, 1, 2, -1, 2, -1)).toBe(0);
    expect(wigner3j(2, 2, 1, 1, 1, -2)).toBe(0);
    expect(wigner3j(1, 1, 3, 0, 0, 0)).toBe(0);
    expect(wigner3j(3, 1, 1, 0, 0, 0)).toBe(0);
  });
  it('refuses degrees whose factorials overflow float64, and arguments that make a factorial non-integer, naming the factorial', () => {
    expect(() => wigner3j(60, 60, 60, 0, 0, 0)).toThrow(/factorial of 181 overflows float64/);
    expect(() => wigner3j(1.5, 1, 1, 0, 0, 0)).toThrow(/factorial of 1.5/);
  });
});

/** Σ_ab T[a,b,c] T[a,b,c'] for a (d1, d2, d3) tensor. */
const gram = (t: Float64Array, d3: number): number[][] => {
  const g = Array.from({ length: d3 }, () => new Array<number>(d3).fill(0));
  for (let i = 0; i < t.length / d3; i++) for (let c = 0; c < d3; c++) for (let e = 0; e < d3; e++) g[c]![e]! += t[i * d3 + c]! * t[i * d3 + e]!;
  return g;
};

/** Contract C with D1 x and D2 y versus D3 applied to C(x, y): zero for a rotation-invariant tensor. */
const invarianceError = (C: Float64Array, l1: number, l2: number, l3: number, seed: number): number => {
  const R = randomRotation(rng(seed));
  const D = wignerD(Math.max(l1, l2, l3), R);
  const [d1, d2, d3] = [2 * l1 + 1, 2 * l2 + 1, 2 * l3 + 1];
  const r = rng(seed + 1);
  const x = Array.from({ length: d1 }, () => r.normal());
  const y = Array.from({ length: d2 }, () => r.normal());
  const rot = (Dl: Float64Array, v: number[]) => v.map((_, a) => v.reduce((s, vb, b) => s + Dl[a * v.length + b]! * vb, 0));
  const apply = (u: number[], v: number[]) =>
    Array.from({ length: d3 }, (_, c) => {
      let s = 0;
      for (let a = 0; a < d1; a++) for (let b = 0; b < d2; b++) s += C[(a * d2 + b) * d3 + c]! * u[a]! * v[b]!;
      return s;
    });
  const lhs = apply(rot(D[l1]!, x), rot(D[l2]!, y));
  const rhs = rot(D[l3]!, apply(x, y));
  return Math.max(...lhs.map((v, i) => Math.abs(v - rhs[i]!)));
};

describe('real Clebsch–Gordan tensors', () => {
  it('are orthonormal in c and rotation-invariant on every path with l ≤ 2, odd paths included', () => {
    for (let l1 = 0; l1 <= 2; l1++)
      for (let l2 = 0; l2 <= 2; l2++)
        for (let l3 = Math.abs(l1 - l2); l3 <= l1 + l2; l3++) {
          const C = realClebschGordan(l1, l2, l3);
          const where = `(${l1}, ${l2}, ${l3})`;
          expect(C.length, where).toBe((2 * l1 + 1) * (2 * l2 + 1) * (2 * l3 + 1));
          const g = gram(C, 2 * l3 + 1);
          g.forEach((row, c) => row.forEach((v, e) => expect(v, `${where} gram[${c}][${e}]`).toBeCloseTo(c === e ? 1 : 0, 13)));
          expect(invarianceError(C, l1, l2, l3, 3), where).toBeLessThan(1e-13);
        }
  });
  it('C(1, 1, 1) is the Levi-Civita tensor ε_abc/√2 up to one overall sign (the cross product)', () => {
    const C = realClebschGordan(1, 1, 1);
    const eps = (a: number, b: number, c: number) => ((a - b) * (b - c) * (c - a)) / 2;
    const s = Math.sign(C[(0 * 3 + 1) * 3 + 2]!);
    expect(Math.abs(s)).toBe(1);
    for (let a = 0; a < 3; a++) for (let b = 0; b < 3; b++) for (let c = 0; c < 3; c++)
      expect(C[(a * 3 + b) * 3 + c], `[${a}, ${b}, ${c}]`).toBeCloseTo((s * eps(a, b, c)) / Math.SQRT2, 14);
  });
  it('C(0, l, l) and C(l, 0, l) are ± the identity: coupling with a scalar copies', () => {
    for (const l of [1, 2, 3]) {
      const d = 2 * l + 1;
      for (const C of [realClebschGordan(0, l, l), realClebschGordan(l, 0, l)]) {
        const s = Math.sign(C[0]!);
        for (let b = 0; b < d; b++) for (let c = 0; c < d; c++) expect(C[b * d + c], `l=${l} [${b}, ${c}]`).toBeCloseTo(b === c ? s : 0, 14);
      }
    }
  });
  it('refuses a path outside the triangle, naming it', () => {
    expect(() => realClebschGordan(1, 1, 3)).toThrow('realClebschGordan: (1, 1, 3) violates the triangle inequality');
    expect(() => realClebschGordan(3, 1, 1)).toThrow(/\(3, 1, 1\) violates/);
  });
});

describe('real Gaunt coefficients', () => {
  const c0 = 1 / Math.sqrt(4 * Math.PI);
  it('G(0, 0, 0) = ∫ Y₀₀³ = 1/√(4π), and G(l, l, 0) = δ_ab/√(4π) (orthonormality), both ways', () => {
    for (const l of [0, 1, 2, 3]) {
      const d = 2 * l + 1;
      const g = realGaunt(l, l, 0);
      const q = realGauntByQuadrature(l, l, 0);
      expect(g.maxImag).toBeLessThan(1e-16);
      for (let a = 0; a < d; a++) for (let b = 0; b < d; b++) {
        expect(g.tensor[a * d + b], `3j l=${l} [${a}, ${b}]`).toBeCloseTo(a === b ? c0 : 0, 14);
        expect(q[a * d + b], `quadrature l=${l} [${a}, ${b}]`).toBeCloseTo(a === b ? c0 : 0, 14);
      }
    }
  });
  it('G(1, 1, 2): ∫ y·y·Y₂₀ = −1/(2√(5π)) and ∫ z·z·Y₂₀ = 1/√(5π)... from the 3j symbols and by quadrature', () => {
    // Y₁ = √(3/4π)(y, z, x); Y₂₀ = √(5/16π)(3z² − 1). ∫ z²(3z² − 1) = 4π(3/5 − 1/3) = 16π/15 and
    // ∫ y²(3z² − 1) = 4π(1/5 − 1/3) = −8π/15, so G[z,z,Y₂₀] = (3/4π)√(5/16π)·16π/15 = 1/√(5π) and
    // G[y,y,Y₂₀] = G[x,x,Y₂₀] = −1/(2√(5π)).
    const want = (a: number, b: number, c: number): number | undefined =>
      c !== 2 ? undefined : a !== b ? 0 : a === 1 ? 1 / Math.sqrt(5 * Math.PI) : -1 / (2 * Math.sqrt(5 * Math.PI));
    const g = realGaunt(1, 1, 2).tensor;
    const q = realGauntByQuadrature(1, 1, 2);
    for (let a = 0; a < 3; a++) for (let b = 0; b < 3; b++) {
      const w = want(a, b, 2);
      expect(g[(a * 3 + b) * 5 + 2], `[${a}, ${b}, Y₂₀]`).toBeCloseTo(w!, 14);
      expect(q[(a * 3 + b) * 5 + 2], `quadrature [${a}, ${b}, Y₂₀]`).toBeCloseTo(w!, 14);
    }
  });
  it('maxImag is the largest rounding residue of the change of basis: below 1e-15, and not stuck at 0', () => {
    // The imaginary parts cancel exactly in theory; in floating point some paths keep ~1e-17. A
    // diagnostic that always said 0 would hide a change of basis that stopped cancelling.
    const residues: number[] = [];
    for (let l1 = 0; l1 <= 3; l1++)
      for (let l2 = 0; l2 <= 3; l2++)
        for (let l3 = Math.abs(l1 - l2); l3 <= l1 + l2; l3++) residues.push(realGaunt(l1, l2, l3).maxImag);
    expect(Math.max(...residues)).toBeLessThan(1e-15);
    expect(residues.filter((r) => r > 0).length).toBeGreaterThan(0);
  });
  it('agree with quadrature on every path with l ≤ 3, are rotation-invariant, and vanish on odd paths', () => {
    for (let l1 = 0; l1 <= 3; l1++)
      for (let l2 = 0; l2 <= 3; l2++)
        for (let l3 = Math.abs(l1 - l2); l3 <= l1 + l2; l3++) {
          const where = `(${l1}, ${l2}, ${l3})`;
          const { tensor, maxImag } = realGaunt(l1, l2, l3);
          const q = realGauntByQuadrature(l1, l2, l3);
          expect(maxImag, where).toBeLessThan(1e-15);
          expect(q.length, where).toBe(tensor.length);
          let norm = 0;
          for (let i = 0; i < q.length; i++) {
            expect(Math.abs(tensor[i]! - q[i]!), `${where} entry ${i}`).toBeLessThan(1e-14);
            norm += tensor[i]! ** 2;
          }
          if ((l1 + l2 + l3) % 2 === 1) expect(norm, where).toBeLessThan(1e-30);
          else {
            expect(norm, where).toBeGreaterThan(1e-3);
            expect(invarianceError(tensor, l1, l2, l3, 5), where).toBeLessThan(1e-13);
          }
        }
  });
});
