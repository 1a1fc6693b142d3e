// The group laws' reports (laws/groups.ts) on hand-made inputs, worked out by hand: the paired Haar
// statistic on four fixed samples, the bump test function at points of known stretch, and the
// uniqueness and affine-axiom errors where the factors are known exactly.
import { describe, expect, it } from 'vitest';
import {
  affineAxiomError, bumpTest, expLogRoundTripError, haarInvariance, polarRoundTripError, polarUniquenessError, slPolarError, xiRoundTripError,
} from '../laws/groups';
import { type Affine, affInv, affMul, glExp, mat, svdLogStretch, xi } from '../src/groups/index';
import { rng } from '../src/tensor/rng';

/** A sampler that ignores its generator and returns 0, 1, 2, … in turn (the law draws sample i from fork i, in order). */
const counting = () => {
  let i = 0;
  return () => i++;
};

describe('haarInvariance', () => {
  it('paired differences 0, 1, 2, 3: mean 1.5, standard error √(1.25/3), z = mean / error, plain mean 1.5', () => {
    const rep = haarInvariance(counting(), (g) => 2 * g, (g) => g, 4, rng(1));
    expect(rep.meanDiff).toBe(1.5);
    expect(rep.stdErr).toBeCloseTo(Math.sqrt(1.25 / 3), 15);
    expect(rep.z).toBeCloseTo(1.5 / Math.sqrt(1.25 / 3), 14);
    expect(rep.mean).toBe(1.5);
  });
  it('a negative mean difference gives a positive z; the plain mean is of f(g), not of f(t(g))', () => {
    const rep = haarInvariance(counting(), (g) => -g, (g) => g, 4, rng(1));
    // differences −2g: 0, −2, −4, −6; mean −3, variance 14 − 9 = 5
    expect(rep.meanDiff).toBe(-3);
    expect(rep.stdErr).toBeCloseTo(Math.sqrt(5 / 3), 15);
    expect(rep.z).toBeCloseTo(3 / Math.sqrt(5 / 3), 14);
    expect(rep.mean).toBe(1.5);
  });
  it('zero spread: z is 0 for no difference at all and ∞ for a constant nonzero difference', () => {
    expect(haarInvariance(counting(), (g) => g, (g) => g, 5, rng(1))).toEqual({ meanDiff: 0, stdErr: 0, z: 0, mean: 2 });
    expect(haarInvariance(counting(), (g) => g + 1, (g) => g, 5, rng(1))).toEqual({ meanDiff: 1, stdErr: 0, z: Infinity, mean: 2 });
  });
  it('draws sample i from fork i of the generator it is given', () => {
    const seen: number[] = [];
    haarInvariance((r) => seen.push(r.uniform()), (g) => g, () => 0, 3, rng(7));
    const parent = rng(7);
    expect(seen).toEqual([0, 1, 2].map((i) => parent.fork(i).uniform()));
  });
});

describe('bumpTest', () => {
  const f = bumpTest(0.5);
  it('at the identity: b = 1, and 1 + g₀ + 0.5·g₁ − 0.7·g_last + g₀·g₁ = 1.3', () => {
    expect(f(mat(2, [[1, 0], [0, 1]]))).toBeCloseTo(1.3, 14);
    expect(f(mat(3, [[1, 0, 0], [0, 1, 0], [0, 0, 1]]))).toBeCloseTo(1.3, 14);
  });
  it('off the identity: (1 − (s/ρ)²)² times the affine-plus-product form of the entries', () => {
    const g = mat(2, [[1.1, 0.2], [0, 0.9]]);
    const s = svdLogStretch(g);
    expect(s).toBeGreaterThan(0.1);
    const want = (1 - (s / 0.5) ** 2) ** 2 * (1 + 1.1 + 0.5 * 0.2 - 0.7 * 0.9 + 1.1 * 0.2);
    expect(f(g)).toBeCloseTo(want, 14);
  });
  it('zero at and beyond the radius', () => {
    const g = mat(2, [[Math.exp(0.6), 0], [0, Math.exp(-0.6)]]);
    expect(f(g)).toBe(0);
    expect(bumpTest(svdLogStretch(g))(g)).toBe(0);
  });
});

describe('exact errors', () => {
  it('polarUniquenessError: 2·I is not a rotation — polar(2I·I) = (I, 2I), so the error is |2I − I| = 1', () => {
    expect(polarUniquenessError(mat(2, [[2, 0], [0, 2]]), mat(2, [[1, 0], [0, 1]]))).toBeCloseTo(1, 12);
    expect(polarUniquenessError(mat(2, [[0, -1], [1, 0]]), mat(2, [[2, 1], [1, 2]]))).toBeLessThan(1e-12);
    // p = √2·(rotation by 45°) is not symmetric: polar(p) = (rotation by 45°, √2·I). The rotation is off by
    // sin 45° = 1/√2 in an entry; the factor by max(√2 − 1, 1) = 1, relative to |p|_F = 2: 1/2. The error is 1/√2.
    expect(polarUniquenessError(mat(2, [[1, 0], [0, 1]]), mat(2, [[1, -1], [1, 1]]))).toBeCloseTo(Math.SQRT1_2, 12);
  });
  it('affineAxiomError: exactly 0 on integer translations and a quarter turn (every product exact)', () => {
    const quarter = { a: mat(2, [[0, -1], [1, 0]]), t: Float64Array.of(1, 2) };
    const shift = { a: mat(2, [[1, 0], [0, 1]]), t: Float64Array.of(-3, 4) };
    expect(affineAxiomError(quarter, shift, quarter)).toBe(0);
    expect(affineAxiomError(shift, shift, quarter)).toBe(0);
  });
});

describe('the round-trip and axiom errors of wrong implementations, worked out by hand', () => {
  const g = mat(2, [[2, 0], [0, 2]]); // |g|_F = 2√2
  const I = mat(2, [[1, 0], [0, 1]]);
  const plus = (m: Float64Array, i: number, d: number) => {
    const c = m.slice();
    c[i] = c[i]! + d;
    return c;
  };
  it('polar off by 0.5 in one entry of P: 0.5 / |g|_F', () => {
    expect(polarRoundTripError(g, { polar: (h) => ({ r: I, p: plus(h, 1, 0.5) }) })).toBeCloseTo(0.5 / (2 * Math.SQRT2), 15);
    expect(polarRoundTripError(g)).toBeLessThan(1e-15);
  });
  it('SL polar with λ 21% too large: R·S·λ^{1/2} = 2.2·I, so 0.2 / |g|_F (and det S = 1)', () => {
    expect(slPolarError(g, { slPolar: () => ({ r: I, s: I, lambda: 4 * 1.21 }) })).toBeCloseTo(0.2 / (2 * Math.SQRT2), 14);
    // S of det 1.5: the det term, 0.5, is the larger.
    expect(slPolarError(g, { slPolar: () => ({ r: I, s: mat(2, [[1.5, 0], [0, 1]]), lambda: 4 / 1.5 ** 2 }) })).toBeCloseTo(0.5, 14);
  });
  it('ξ and exp ∘ log off by 0.25 in one entry: 0.25 / |g|_F', () => {
    expect(xiRoundTripError(g, { xi: (x, s) => plus(xi(x, s), 3, 0.25) })).toBeCloseTo(0.25 / (2 * Math.SQRT2), 14);
    expect(expLogRoundTripError(g, { glExp: (x) => plus(glExp(x), 0, 0.25) })).toBeCloseTo(0.25 / (2 * Math.SQRT2), 14);
  });
  it('affine inverse off by (0.5, 0) in its shift: f·f⁻¹ moves by (0.5, 0), the error is 0.5', () => {
    const f: Affine = { a: I, t: Float64Array.of(1, 2) };
    const bad = { affInv: (h: Affine): Affine => ({ a: affInv(h).a, t: Float64Array.of(affInv(h).t[0]! + 0.5, affInv(h).t[1]!) }) };
    expect(affineAxiomError(f, f, f, bad)).toBe(0.5);
    // A product that is not associative: (f·g)·h and f·(g·h) differ by 0.75 in the shift.
    let calls = 0;
    const skew = { affMul: (p: Affine, q: Affine): Affine => { const r = affMul(p, q); return ++calls === 2 ? { a: r.a, t: Float64Array.of(r.t[0]!, r.t[1]! + 0.75) } : r; } };
    expect(affineAxiomError(f, f, f, skew)).toBe(0.75);
  });
});
