import { describe, expect, it } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import * as E from 'fp-ts/lib/Either.js';
import { conforms, F32_TOL, vjpMatchesFiniteDifferences, backwardIsLinear } from '../laws/index';
import {
  chunkwiseMatchesRecurrent,
  deltaCases,
  deltaInputs,
  deltaShapes,
  runDelta,
  splitCarriesState,
  transitionSpectrum,
  unitBetaRecalls,
  unitRows,
  variantsAgree,
  wyMatchesTransitionProduct,
  zeroBetaKeepsState,
} from '../laws/delta';
import { check, checkOrThrow, jsBackend, lowerOrThrow, prim, rng } from '../src/index';

const f64 = jsBackend('float64');
const f32 = jsBackend('float32');
const seeds = fc.integer({ min: 0, max: 1_000_000 });

describe('delta_rule laws (JS backend, float64)', () => {
  for (const C of [1, 4, 16, 64])
    for (const betaRange of ['[0,1]', '[0,2]'] as const)
      test.prop([seeds], { numRuns: 2 })(`chunkwise ≡ recurrent, C = ${C}, β ∈ ${betaRange}, ragged last chunk`, (seed) => {
        // T = 2C + 3 (or 7 for C = 1) leaves a ragged last chunk.
        const rep = chunkwiseMatchesRecurrent(f64, { B: 1, T: C === 1 ? 7 : 2 * C + 3, H: 2, dk: 4, dv: 3 }, C, betaRange, seed);
        expect(rep.ok, rep.detail).toBe(true);
      });

  test.prop([seeds, fc.integer({ min: 1, max: 12 })], { numRuns: 5 })('splitting the sequence and carrying the state equals one pass', (seed, cut) => {
    for (const algorithm of ['recurrent', 'chunkwise'] as const) {
      const rep = splitCarriesState(f64, { B: 2, T: 13, H: 2, dk: 3, dv: 4 }, cut, { heads: 2, algorithm, chunk: 4, betaRange: '[0,2]' }, seed);
      expect(rep.ok, `${algorithm}: ${rep.detail}`).toBe(true);
    }
  });

  test.prop([seeds, fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 6 })], { numRuns: 10 })(
    'WY: I − KᵀW equals the ordered product of I − β k kᵀ',
    (seed, c, dk) => {
      const r = rng(seed);
      const beta = Float64Array.from({ length: c }, () => 2 * r.uniform());
      const rep = wyMatchesTransitionProduct(unitRows(c, dk, seed), beta, c, dk);
      expect(rep.ok, rep.detail).toBe(true);
    },
  );

  test.prop([seeds, fc.double({ min: -8, max: 8, noNaN: true }), fc.constantFrom('[0,1]' as const, '[0,2]' as const)], { numRuns: 20 })(
    'unit keys and β ∈ [0, 2]: transition eigenvalues {1 (d−1 times), 1 − β} ⊂ [−1, 1]',
    (seed, logit, betaRange) => {
      const r = rng(seed);
      const k = Float64Array.from({ length: 5 }, () => r.normal());
      const rep = transitionSpectrum(f64, k, logit, betaRange);
      expect(rep.ok, rep.detail).toBe(true);
    },
  );

  it('β = 2 is a reflection (eigenvalue −1)', () => {
    const rep = transitionSpectrum(f64, Float64Array.from([1, 2, -1, 0.5]), Infinity, '[0,2]');
    expect(rep.ok, rep.detail).toBe(true);
    expect(rep.detail).toContain('-1.000000');
  });

  test.prop([seeds], { numRuns: 3 })('β = 0 leaves the state unchanged', (seed) => {
    const rep = zeroBetaKeepsState(f64, { B: 2, T: 6, H: 2, dk: 3, dv: 2 }, seed);
    expect(rep.ok, rep.detail).toBe(true);
  });

  test.prop([seeds], { numRuns: 3 })('β = 1 recalls v_t exactly at k_t', (seed) => {
    const rep = unitBetaRecalls(f64, { B: 2, T: 6, H: 2, dk: 3, dv: 2 }, seed);
    expect(rep.ok, rep.detail).toBe(true);
  });

  for (const algorithm of ['recurrent', 'chunkwise'] as const)
    for (const variant of ['all-states', 'chunk-states', 'none'])
      test.prop([seeds], { numRuns: 3 })(`backward is the VJP (finite differences), ${algorithm}, ${variant}`, (seed) => {
        const shapes = deltaShapes({ B: 2, T: 9, H: 2, dk: 3, dv: 4 });
        const model = checkOrThrow(prim('delta_rule', { heads: 2, algorithm, chunk: 4, betaRange: '[0,2]' }, { variant }), shapes);
        const prog = lowerOrThrow(model, f64);
        const inputs = deltaInputs({ B: 2, T: 9, H: 2, dk: 3, dv: 4 }, seed);
        const rep = vjpMatchesFiniteDifferences(prog, f64, {}, inputs, seed, { rtol: 1e-6 });
        expect(rep.ok, rep.detail).toBe(true);
        expect(backwardIsLinear(prog, f64, {}, inputs, seed).ok).toBe(true);
      });

  test.prop([seeds], { numRuns: 3 })('every residual variant gives the same gradients and keeps what its cost says', (seed) => {
    for (const algorithm of ['recurrent', 'chunkwise'] as const) {
      const rep = variantsAgree(f64, { B: 2, T: 11, H: 2, dk: 3, dv: 4 }, { heads: 2, algorithm, chunk: 4 }, seed);
      expect(rep.ok, `${algorithm}: ${rep.detail}`).toBe(true);
    }
  });

  it('float32: every residual variant gives the same outputs and gradients, bit for bit, over long sequences', () => {
    const d = { B: 1, T: 512, H: 1, dk: 16, dv: 16 };
    // rtol 0, atol the least double: any difference at all fails
    for (const algorithm of ['recurrent', 'chunkwise'] as const) {
      const rep = variantsAgree(f32, d, { heads: 1, algorithm, chunk: 48, betaRange: '[0,2]' }, 5, { rtol: 0, atol: Number.MIN_VALUE });
      expect(rep.ok, `${algorithm}: ${rep.detail}`).toBe(true);
    }
  });
});

describe('delta_rule conformance: float32 agrees with float64', () => {
  for (const c of deltaCases)
    it(c.name, () => {
      const rep = conforms(c, f32, f64, 11, F32_TOL);
      expect(rep.ok, `${rep.where}: ${rep.worst}`).toBe(true);
    });
});

describe('delta_rule shape errors name the input', () => {
  const good = deltaShapes({ B: 2, T: 5, H: 2, dk: 3, dv: 4 });
  const msg = (shapes: number[][], attrs: Record<string, unknown> = { heads: 2 }) => {
    const r = check(prim('delta_rule', attrs), shapes);
    return E.isLeft(r) ? r.left.message : 'ok';
  };
  it('accepts good shapes', () => expect(msg(good as number[][])).toBe('ok'));
  it('heads must divide features', () => expect(msg(good as number[][], { heads: 4 })).toMatch(/delta_rule.*divisible by heads=4/));
  it('beta has one entry per head', () => expect(msg([good[0], good[1], good[2], [2, 5, 3], good[4]] as number[][])).toMatch(/beta must have heads=2/));
  it('initial state shape', () => expect(msg([...good.slice(0, 4), [2, 2, 4, 3]] as number[][])).toMatch(/initial state must be \[2,2,3,4\]/));
  it('time axes agree', () => expect(msg([good[0], [2, 6, 6], ...good.slice(2)] as number[][])).toMatch(/k has batch\/time \[2,6\]/));
  it('bad attribute', () => expect(msg(good as number[][], { heads: 2, betaRange: '[0,3]' })).toMatch(/delta_rule.*betaRange/));
});

describe('delta_rule numerics', () => {
  it('float32 chunkwise vs recurrent at T = 256 agree to rtol 1e-4', () => {
    const d = { B: 1, T: 256, H: 1, dk: 16, dv: 16 };
    const inputs = deltaInputs(d, 3);
    const a = runDelta(f32, { heads: 1, algorithm: 'recurrent', betaRange: '[0,2]' }, 'all-states', inputs);
    const b = runDelta(f32, { heads: 1, algorithm: 'chunkwise', chunk: 16, betaRange: '[0,2]' }, 'chunk-states', inputs);
    let worst = 0;
    for (let i = 0; i < a.outputs[0]!.data.length; i++) worst = Math.max(worst, Math.abs(a.outputs[0]!.data[i]! - b.outputs[0]!.data[i]!));
    expect(worst).toBeLessThan(1e-4 * Math.max(...Array.from(a.outputs[0]!.data, Math.abs)));
  });
});
