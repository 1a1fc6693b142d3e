import { describe, expect, it } from 'vitest';
import {
  affineAxiomError, bumpTest, expLogRoundTripError, haarInvariance, polarRoundTripError, polarUniquenessError, slPolarError, xiRoundTripError,
} from '../laws/groups';
import {
  GroupError, affAct, affInv, affMul, det, glLog, mat, mul, pdExp, pdLog, polar, sampleAffine, sampleGLPlus, samplePD, sampleSL, sampleSO,
  slLog, soExp, pdFromLogEigen, soLog, svdLogStretch, maxAbsDiff, xiCoords,
} from '../src/groups/index';
import { rng } from '../src/tensor/rng';

const W = { maxLogStretch: 1 };
const wide = { maxLogStretch: 2 };

describe('decompositions and exp/log (float64, n = 2 and 3)', () => {
  for (const n of [2, 3]) {
    it(`GL⁺(${n}): polar R·P = g within 1e-12, and (R, P) is recovered from R·P (uniqueness)`, () => {
      for (let i = 0; i < 200; i++) {
        const r = rng(`polar${n}`).fork(i);
        const g = sampleGLPlus(n, wide, r);
        expect(polarRoundTripError(g)).toBeLessThan(1e-12);
        expect(polarUniquenessError(sampleSO(n, r.fork('R')), samplePD(n, wide, r.fork('P')))).toBeLessThan(1e-12);
        expect(slPolarError(g)).toBeLessThan(1e-12);
        expect(xiRoundTripError(g)).toBeLessThan(1e-12);
      }
    });
    it(`GL⁺(${n}), SL(${n}): exp(log g) = g within 1e-12 where the principal log exists`, () => {
      for (let i = 0; i < 100; i++) {
        const r = rng(`explog${n}`).fork(i);
        // Near the identity (within the window m = 0.5) every element has a principal log.
        // Rotation angle ≤ π/2 and stretch ≤ e^0.5: well inside the principal log's domain (its boundary,
        // an eigenvalue on the negative real axis, is where log is ill-conditioned and then undefined).
        const small = soExp(soLog(sampleSO(n, r.fork('s'))).map((x) => x * 0.5));
        const h = mul(small, samplePD(n, { maxLogStretch: 0.5 }, r.fork('p')));
        expect(expLogRoundTripError(h)).toBeLessThan(1e-12);
        const s = sampleSL(n, W, r.fork('sl'));
        expect(Math.abs(det(s) - 1)).toBeLessThan(1e-12);
      }
    });
    it(`SO(${n}), PD(${n}): exp and log invert each other`, () => {
      for (let i = 0; i < 100; i++) {
        const r = rng(`so${n}`).fork(i);
        const R = sampleSO(n, r);
        expect(maxAbsDiff(soExp(soLog(R)), R)).toBeLessThan(1e-12);
        const P = samplePD(n, wide, r.fork('p'));
        expect(maxAbsDiff(pdExp(pdLog(P)), P)).toBeLessThan(1e-12);
      }
    });
  }
  it('SO(3) log at angle π maps back (the log is not unique there; one of the two is returned)', () => {
    const R = mat(3, [[1, 0, 0], [0, -1, 0], [0, 0, -1]]);
    expect(maxAbsDiff(soExp(soLog(R)), R)).toBeLessThan(1e-12);
  });
  it('log where it is not defined is a clear error, and the chart ξ⁻¹ still works there', () => {
    const g = mat(2, [[-1, 0], [0, -2]]); // det 2 > 0, but not exp of any real matrix
    expect(() => glLog(g)).toThrow(/real eigenvalue -2\.0+ ≤ 0, so it has no principal logarithm/);
    expect(() => slLog(mat(2, [[-2, 0], [0, -0.5]]))).toThrow(GroupError);
    expect(() => glLog(mat(2, [[1, 0], [0, -1]]))).toThrow(/GL⁺\(n\).*det -1/);
    expect(() => pdLog(mat(2, [[1, 2], [2, 1]]))).toThrow(/positive-definite.*-1/);
    expect(() => soLog(mat(2, [[2, 0], [0, 0.5]]))).toThrow(/rotation/);
    expect(() => polar(Float64Array.from([1, 2, 3]))).toThrow(/2×2 or 3×3/);
    expect(() => polar(Float64Array.from([1, NaN, 0, 1]))).toThrow(/entry 1 is NaN/);
    expect(xiCoords(g).length).toBe(4);
  });
  it('affine group: associativity, inverses, and the action is a group action', () => {
    for (let i = 0; i < 50; i++) {
      const r = rng('aff').fork(i);
      const [f, g, h] = [0, 1, 2].map((k) => sampleAffine(2, { maxLogStretch: 1, maxShift: 2 }, r.fork(k)));
      expect(affineAxiomError(f!, g!, h!)).toBeLessThan(1e-12);
      const x = Float64Array.from([r.normal(), r.normal()]);
      expect(maxAbsDiff(affAct(affMul(f!, g!), x), affAct(f!, affAct(g!, x)))).toBeLessThan(1e-12);
      expect(maxAbsDiff(affAct(affInv(f!), affAct(f!, x)), x)).toBeLessThan(1e-12);
    }
  });
});

describe('windowed Haar sampling is invariant (paired mean difference within 6σ, fixed seeds)', () => {
  // Window m = 1; translations stretch by at most d = 0.3; the bump lives where |log σ| < 0.7 = m − d.
  const f = bumpTest(0.7);
  const N = 3000;
  for (const n of [2, 3]) {
    const hs = [0].map((k) => {
      const r = rng(`h${n}`).fork(k);
      return mul(sampleSO(n, r), samplePD(n, { maxLogStretch: 0.3 }, r.fork('p')));
    });
    it(`GL⁺(${n}) and SL(${n}): left and right translates`, () => {
      for (const h of hs) {
        expect(svdLogStretch(h)).toBeLessThanOrEqual(0.3 + 1e-12);
        const hs1 = h.map((x) => x / Math.abs(det(h)) ** (1 / n));
        for (const [name, sample, hh] of [['GL⁺', (r: ReturnType<typeof rng>) => sampleGLPlus(n, W, r), h], ['SL', (r: ReturnType<typeof rng>) => sampleSL(n, W, r), hs1]] as const) {
          const left = haarInvariance(sample, (g) => mul(hh, g), f, N, rng(`L${name}${n}`));
          const right = name === 'SL' ? left : haarInvariance(sample, (g) => mul(g, hh), f, N, rng(`R${name}${n}`));
          expect(Math.abs(left.mean)).toBeGreaterThan(0.005);
          expect(left.z, `${name}(${n}) left: ${JSON.stringify(left)}`).toBeLessThan(6);
          expect(right.z, `${name}(${n}) right: ${JSON.stringify(right)}`).toBeLessThan(6);
        }
      }
    });
  }
  it('the law has power: a GL⁺(2) sampler without the sinh density (uniform log-eigenvalues) fails it', () => {
    const zs = [2].map((n) => {
      const wrong = (r: ReturnType<typeof rng>) => {
        const a = Array.from({ length: n }, () => (2 * r.uniform() - 1) * 2 * W.maxLogStretch);
        return mul(sampleSO(n, r.fork('R')), pdFromLogEigen(sampleSO(n, r.fork('U')), a.map((x) => x / 2)));
      };
      const h = mul(sampleSO(n, rng(`h${n}`)), samplePD(n, { maxLogStretch: 0.3 }, rng(`h${n}`).fork('p')));
      return haarInvariance(wrong, (g) => mul(h, g), f, N, rng(`wrong${n}`)).z;
    });
    for (const z of zs) expect(z).toBeGreaterThan(6);
  });
  it('the affine group: left translates (left Haar = dt·dA/det A)', () => {
    const r = rng('haff');
    const h = { a: mul(sampleSO(2, r), samplePD(2, { maxLogStretch: 0.3 }, r.fork('p'))), t: Float64Array.from([0.3, -0.2]) };
    const fa = (g: { a: Float64Array; t: Float64Array }) => {
      const tt = Math.hypot(g.t[0]!, g.t[1]!);
      return tt >= 1 ? 0 : (1 - tt * tt) ** 2 * f(g.a) * (1 + 0.5 * g.t[0]!);
    };
    const rep = haarInvariance((q) => sampleAffine(2, { maxLogStretch: 1, maxShift: 3 }, q), (g) => affMul(h, g), fa, N, rng('Laff'));
    expect(rep.z, JSON.stringify(rep)).toBeLessThan(6);
  });
  it('sampling is reproducible from the seed and bad windows are clear errors', () => {
    expect(maxAbsDiff(sampleGLPlus(2, W, rng(5)), sampleGLPlus(2, W, rng(5)))).toBe(0);
    expect(() => sampleGLPlus(2, { maxLogStretch: 0 }, rng(1))).toThrow(/maxLogStretch must be a finite number > 0/);
    expect(() => sampleSO(4, rng(1))).toThrow(/n must be 2 or 3/);
  });
});
