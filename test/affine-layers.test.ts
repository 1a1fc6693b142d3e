// js ≡ wasm (and ≡ ORT) on affineCases runs with every conformance suite (laws/suites.ts).
import { describe, expect, it } from 'vitest';
import { affineCases, centredPoints, jointInvarianceError, monteCarloInvarianceError } from '../laws/affine';
import { vjpMatchesFiniteDifferences } from '../laws/gradient';
import { peakMatches, samplePlans } from '../laws/planner';
import { checkOrThrow, initParams, jsBackend, lowerOrThrow, randn, rng } from '../src/index';
import { affineInvariantNet, haarSamples, liftingInvariant, mul, sampleGLPlus, sampleSO, samplePD, sampleTensors, xiDim } from '../src/groups/index';

const f64 = jsBackend('float64');
const f32 = jsBackend('float32');

const inputsOf = (c: (typeof affineCases)[number], seed: number) => c.inputs.map((s, i) => randn(s, rng(seed).fork(`x${i}`)));

describe('group_lift, group_conv, axis_pool: backward is the VJP (float64, finite differences)', () => {
  for (const c of affineCases)
    for (const variants of c.variants ?? [{}])
      it(`${c.name} ${JSON.stringify(variants)}`, () => {
        const model = checkOrThrow(c.term, c.inputs);
        for (const seed of [3, 11]) {
          const rep = vjpMatchesFiniteDifferences(lowerOrThrow(model, f64, { variants }), f64, initParams(model, seed, 'float64'), inputsOf(c, seed), seed);
          expect(rep.ok, JSON.stringify(rep)).toBe(true);
        }
      });
});

describe('predicted peak memory == measured, on every sampled plan and both residual variants', () => {
  for (const c of affineCases)
    it(c.name, () => {
      const model = checkOrThrow(c.term, c.inputs);
      const inputs = inputsOf(c, 4);
      const dys = model.root.outputs.map((s, i) => randn(s, rng(4).fork(`dy${i}`), 'float32'));
      for (const plan of [...samplePlans(model), ...(c.variants ?? []).map((variants) => ({ variants }))]) {
        const rep = peakMatches(model, f32, plan, initParams(model, 4, 'float32'), inputs, dys);
        expect(rep.ok, `${JSON.stringify(plan)}: ${rep.detail}`).toBe(true);
      }
    });
});

describe('GL⁺(n)-invariant network', () => {
  for (const n of [2, 3] as const) {
    // n = 2 with per-sample layer norm of the lifted features (the example's setting), n = 3 without.
    const o = { samples: 6, points: 7, batch: 3, dim: n, width: 5, kernelWidth: 6, classes: 3, normalise: n === 2 };
    const model = checkOrThrow(affineInvariantNet(o), [[3, 7, n], [6, n, n], [6, 6, xiDim(n)]]);
    it(`n = ${n}: exactly invariant when the sample set is transformed with the input (float64, ≤ 1e-10)`, () => {
      for (const seed of [1, 2]) {
        const params = initParams(model, seed, 'float64');
        const samples = haarSamples('GL+', n, 6, { maxLogStretch: 1 }, rng(seed).fork('g'));
        const h = sampleGLPlus(n, { maxLogStretch: 1.5 }, rng(seed).fork('h'));
        const x = centredPoints(3, 7, n, seed);
        expect(jointInvarianceError(model, f64, params, x, samples, h)).toBeLessThan(1e-10);
        // Not vacuous: with the samples left in place the output does change.
        expect(monteCarloInvarianceError(model, f64, params, x, samples, h)).toBeGreaterThan(1e-4);
      }
    });
  }
  it('sampleTensors: inverses and relative coordinates have the wired shapes, and bad samples are named', () => {
    const s = sampleTensors(haarSamples('GL+', 2, 4, { maxLogStretch: 1 }, rng(1)));
    expect(s.inverses.shape).toEqual([4, 2, 2]);
    expect(s.coords.shape).toEqual([4, 4, 4]);
    // g_i⁻¹ g_i = I: zero coordinates on the diagonal.
    for (let i = 0; i < 4; i++) for (let q = 0; q < 4; q++) expect(Math.abs(s.coords.data[(i * 4 + i) * 4 + q]!)).toBeLessThan(1e-12);
    expect(() => sampleTensors([Float64Array.from([1, 2, 2, 4])])).toThrow(/sample 0.*singular/);
  });
  it('Monte Carlo invariance error with a fixed Haar sample set falls like 1/√K (rotations: no window bias)', () => {
    const o = (K: number) => ({ samples: K, points: 8, batch: 4, dim: 2 as const, width: 6, kernelWidth: 6, classes: 3 });
    const Ks = [8, 32, 128, 512];
    const errs = Ks.map((K) => {
      const model = checkOrThrow(liftingInvariant(o(K)), [[4, 8, 2], [K, 2, 2]]);
      const params = initParams(model, 5, 'float64');
      let s = 0;
      // Average the squared error over sample sets and rotations so that the trend is not one draw's luck.
      for (let rep = 0; rep < 8; rep++) {
        const samples = haarSamples('GL+', 2, K, { maxLogStretch: 1 }, rng(100 + rep).fork(K));
        const h = sampleSO(2, rng(200 + rep));
        s += monteCarloInvarianceError(model, f64, params, centredPoints(4, 8, 2, rep), samples, h) ** 2;
      }
      return Math.sqrt(s / 8);
    });
    // Least-squares slope of log error against log K.
    const lx = Ks.map(Math.log), ly = errs.map(Math.log);
    const mx = lx.reduce((a, b) => a + b) / lx.length, my = ly.reduce((a, b) => a + b) / ly.length;
    const slope = lx.reduce((a, x, i) => a + (x - mx) * (ly[i]! - my), 0) / lx.reduce((a, x) => a + (x - mx) ** 2, 0);
    expect(slope, `errors ${errs.join(', ')}`).toBeGreaterThan(-0.8);
    expect(slope, `errors ${errs.join(', ')}`).toBeLessThan(-0.3);
  });
});
