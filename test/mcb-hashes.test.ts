import { describe, expect, it } from 'vitest';
import { mcbHashes } from '../src/prims/pooling';

/**
 * MCB's seeded hash tables. Bilinearity, unbiasedness and the sketch identity all hold for any
 * table, including one that never uses some bucket, so the range is checked here directly; and the
 * tables a seed gives are pinned, because a model file names its sketch by seed alone.
 */
describe('mcb seeded hashes', () => {
  it('every bucket is reachable and both signs occur when the input is much wider than d (20·d)', () => {
    for (const d of [1, 2, 13, 16, 100]) {
      for (const seed of [0, 7, 12345]) {
        const n = 20 * d;
        const { h1, s1, h2, s2 } = mcbHashes(seed, n, n + 3, d);
        for (const [name, h] of [['h1', h1], ['h2', h2]] as const) {
          const hits = new Int32Array(d);
          for (const b of h) {
            expect(Number.isInteger(b) && b >= 0 && b < d, `${name} bucket ${b} outside [0, ${d})`).toBe(true);
            hits[b]!++;
          }
          const empty = [...hits.keys()].filter((b) => hits[b] === 0);
          expect(empty, `d=${d} seed=${seed}: ${name} never uses buckets ${empty.join(', ')}`).toEqual([]);
        }
        for (const s of [s1, s2]) {
          expect(s.every((v) => v === 1 || v === -1)).toBe(true);
          // 20·d draws of a fair sign: both occur (the chance that one is missing is 2^(1−20d)).
          expect(s.includes(1) && s.includes(-1)).toBe(true);
        }
      }
    }
  });

  it('buckets are close to uniform (chi-squared far below its 1e-6 tail)', () => {
    const d = 32;
    const n = 200 * d;
    const { h1 } = mcbHashes(3, n, 1, d);
    const hits = new Float64Array(d);
    for (const b of h1) hits[b]!++;
    const e = n / d;
    const chi2 = hits.reduce((s, o) => s + (o - e) ** 2 / e, 0);
    // 31 degrees of freedom: P(χ² > 80) ≈ 3e-6.
    expect(chi2).toBeLessThan(80);
  });

  it('the tables a seed gives are fixed (golden values)', () => {
    const golden = [
      { seed: 1, d: 16, h1: [8, 14, 12, 2, 11, 8], s1: [-1, 1, 1, -1, -1, -1], h2: [9, 1, 9, 9, 2], s2: [1, 1, 1, -1, 1] },
      { seed: 7, d: 13, h1: [4, 5, 0, 12, 5, 8], s1: [1, -1, -1, 1, -1, -1], h2: [4, 11, 7, 11, 7], s2: [1, 1, 1, 1, -1] },
      { seed: 42, d: 1000, h1: [445, 778, 463, 596, 545, 731], s1: [-1, -1, -1, -1, -1, 1], h2: [468, 347, 677, 581, 298], s2: [-1, 1, 1, 1, 1] },
    ];
    for (const g of golden) {
      const h = mcbHashes(g.seed, 6, 5, g.d);
      expect({ seed: g.seed, d: g.d, h1: [...h.h1], s1: [...h.s1], h2: [...h.h2], s2: [...h.s2] }).toEqual(g);
    }
  });
});
