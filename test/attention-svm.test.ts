import { describe, expect, it } from 'vitest';
import {
  attSvm,
  correlation,
  makeData,
  minMargin,
  selectedTokens,
  singularValues,
  svmConstraints,
  train,
} from '../examples/att-svm/attsvm';

describe('att-svm example (smoke: few iterations)', () => {
  for (const seed of [0, 1]) {
    it(`seed ${seed}: correlation with the Att-SVM direction increases under normalised GD`, () => {
      const data = makeData(seed);
      const run = train(data, 'W', 300, new Set([10, 100, 300]), { seed });
      const opt = selectedTokens(data, run.final);
      const Wmm = attSvm(data, opt);
      const c = run.snapshots.map((W) => correlation(W, Wmm));
      expect(c[1]!).toBeGreaterThan(c[0]!);
      expect(c[2]!).toBeGreaterThan(c[1]!);
      expect(c[2]!).toBeGreaterThan(0.9);
      expect(run.losses[2]!).toBeLessThan(run.losses[0]!);
    });
  }

  it('the QP solution satisfies every margin constraint and is no longer than any rescaled feasible W', () => {
    const data = makeData(3);
    const run = train(data, 'W', 200, new Set([200]), { seed: 3 });
    const opt = selectedTokens(data, run.final);
    const Wmm = attSvm(data, opt);
    const rows = svmConstraints(data, opt);
    expect(rows.length).toBe(data.n * (data.T - 1));
    for (const a of rows) expect(a.reduce((s, x, i) => s + x * Wmm[i]!, 0)).toBeGreaterThanOrEqual(1 - 1e-9);
    // Some constraint is active (otherwise W/(margin) would be shorter).
    expect(minMargin(data, opt, Wmm)).toBeCloseTo(1, 8);
    // The GD iterate, rescaled to margin 1, is feasible, so it cannot be shorter than the optimum.
    const m = minMargin(data, opt, run.final);
    expect(m).toBeGreaterThan(0);
    const norm = (w: Float64Array) => Math.hypot(...w);
    expect(norm(run.final) / m).toBeGreaterThanOrEqual(norm(Wmm) - 1e-9);
  });

  it('singular values of a known matrix', () => {
    // [[3, 0], [4, 0]] has singular values 5 and 0; a rotation-scaled identity gives equal ones.
    const s = singularValues(Float64Array.from([3, 0, 4, 0]), 2);
    expect(s[0]).toBeCloseTo(5, 12);
    expect(s[1]).toBeCloseTo(0, 6);
    const c = Math.cos(0.3);
    const n = Math.sin(0.3);
    const r = singularValues(Float64Array.from([2 * c, -2 * n, 2 * n, 2 * c]), 2);
    expect(r[0]).toBeCloseTo(2, 12);
    expect(r[1]).toBeCloseTo(2, 12);
  });
});
