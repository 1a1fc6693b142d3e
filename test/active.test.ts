import { describe, expect, it } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import { coresetSelect, entropySelect, kecorObjective, kecorSelect, predictiveEntropy, randomSelect, rng } from '../src/index';

/** A random PSD kernel of rank ≤ r: F Fᵀ with F n×r standard normal. */
const lowRankKernel = (n: number, r: number, seed: number) => {
  const g = rng(seed);
  const F = Array.from({ length: n * r }, () => g.normal());
  const K = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) for (let q = 0; q < r; q++) K[i * n + j] += F[i * r + q]! * F[j * r + q]!;
  return { K, size: n };
};

describe('KECOR selection', () => {
  test.prop([fc.integer({ min: 0, max: 1_000_000 })], { numRuns: 10 })('the greedy gains sum to the coding rate computed directly', (seed) => {
    const k = lowRankKernel(12, 4, seed);
    const entropy = Float64Array.from({ length: 12 }, (_, i) => Math.abs(Math.sin(seed + i)));
    const o = { k: 5, labelled: [0, 3], entropy, lambda: 0.3, alpha: 50 };
    const r = kecorSelect(k, o);
    const direct = kecorObjective(k, r.selected, { ...o, scale: r.scale });
    expect(Math.abs(r.objective - direct)).toBeLessThan(1e-9 * Math.max(1, Math.abs(direct)));
    expect(r.gains.every((g) => g >= 0)).toBe(true);
  });
  test.prop([fc.integer({ min: 0, max: 1_000_000 })], { numRuns: 10 })('each pick has the largest marginal gain among the candidates left', (seed) => {
    const k = lowRankKernel(10, 3, seed);
    const entropy = Float64Array.from({ length: 10 }, (_, i) => (i * 0.37 + seed) % 1.3);
    const o = { k: 4, labelled: [9], entropy, lambda: 0.2 };
    const r = kecorSelect(k, o);
    for (let t = 0; t < r.selected.length; t++) {
      const before = r.selected.slice(0, t);
      const base = kecorObjective(k, before, { ...o, scale: r.scale });
      for (let c = 0; c < 9; c++) {
        if (before.includes(c)) continue;
        const gain = kecorObjective(k, [...before, c], { ...o, scale: r.scale }) - base;
        expect(gain).toBeLessThanOrEqual(r.gains[t]! + 1e-9);
      }
    }
  });
  it('prefers new directions: with one direction labelled, it picks the orthogonal one first', () => {
    // Rows 0, 1 lie along e1, row 2 along e2: after labelling 0, row 1 adds nothing new.
    const F = [1, 0, 1, 0, 0, 1];
    const K = new Float64Array(9);
    for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) K[i * 3 + j] = F[2 * i]! * F[2 * j]! + F[2 * i + 1]! * F[2 * j + 1]!;
    expect(kecorSelect({ K, size: 3 }, { k: 1, labelled: [0] }).selected).toEqual([2]);
    // The entropy term can outweigh it: a very uncertain row 1 wins.
    expect(kecorSelect({ K, size: 3 }, { k: 1, labelled: [0], entropy: [0, 50, 0], lambda: 1 }).selected).toEqual([1]);
  });
  it('names bad arguments', () => {
    const k = lowRankKernel(4, 2, 1);
    expect(() => kecorSelect(k, { k: 9 })).toThrow(/k must be an integer in 0..4/);
    expect(() => kecorSelect(k, { k: 1, labelled: [7] })).toThrow(/labelled lists row 7/);
    expect(() => kecorSelect(k, { k: 1, entropy: [1, 2] })).toThrow(/one value per kernel row \(4\)/);
    expect(() => kecorSelect({ K: new Float64Array(3), size: 2 }, { k: 1 })).toThrow(/needs 4 entries/);
  });
});

describe('baselines', () => {
  it('random: a seeded sample without replacement', () => {
    const a = randomSelect([5, 6, 7, 8, 9], 3, 11);
    expect(a).toEqual(randomSelect([5, 6, 7, 8, 9], 3, 11));
    expect(new Set(a).size).toBe(3);
    expect(a.every((x) => x >= 5 && x <= 9)).toBe(true);
  });
  it('entropy: the most uncertain rows, from logits', () => {
    const h = predictiveEntropy({ shape: [3, 2], data: new Float32Array([0, 0, 5, -5, 1, 0]) });
    expect(h[0]).toBeCloseTo(Math.log(2), 12);
    expect(entropySelect(h, [0, 1, 2], 2)).toEqual([0, 2]);
  });
  it('core-set: k-centre greedy picks the farthest point from what is covered', () => {
    const x = [0, 1, 2, 10, 11]; // one-dimensional features
    expect(coresetSelect(x, 1, [0], [1, 2, 3, 4], 2)).toEqual([4, 2]);
  });
});
