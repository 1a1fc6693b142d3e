import { describe, expect, it } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import { basicCases, conforms, F32_TOL, vjpMatchesFiniteDifferences, backwardIsLinear } from '../laws/index';
import { checkOrThrow, initParams, jsBackend, lowerOrThrow, rng, randn } from '../src/index';

const f64 = jsBackend('float64');
const f32 = jsBackend('float32');

describe('basic primitives on the JS backend', () => {
  for (const c of basicCases) {
    test.prop([fc.integer({ min: 0, max: 1_000_000 })], { numRuns: 5 })(`${c.name}: backward is the VJP (float64)`, (seed) => {
      const model = checkOrThrow(c.term, c.inputs);
      const prog = lowerOrThrow(model, f64);
      const inputs = c.sample ? c.sample(seed) : c.inputs.map((s) => randn(s, rng(seed).fork('x')));
      const rep = vjpMatchesFiniteDifferences(prog, f64, initParams(model, seed, 'float64'), inputs, seed);
      expect(rep.ok, rep.detail).toBe(true);
      expect(backwardIsLinear(prog, f64, initParams(model, seed, 'float64'), inputs, seed).ok).toBe(true);
    });
    it(`${c.name}: float32 conforms to float64 within F32_TOL`, () => {
      const rep = conforms(c, f32, f64, 7, F32_TOL);
      expect(rep.ok, `${rep.where}: ${rep.worst}`).toBe(true);
    });
  }
});
