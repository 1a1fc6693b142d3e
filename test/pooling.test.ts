import { describe, expect, it } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import { backwardIsLinear, conforms, F32_TOL, plansAgree, vjpMatchesFiniteDifferences } from '../laws/index';
import {
  equalsMaterialised, factorisedOps, mcbVariantTwoCells, injectiveSketchPreservesInnerProducts, isBilinear, poolingCases, residualMatchesCost,
  runTerm, sketchIdentity, sketchInnerProductUnbiased,
} from '../laws/pooling';
import { blockFusion, fullBilinear, mcbHashes, mcbPool, mfb, mfh, mlb, mutan } from '../src/prims/pooling';
import { check, checkOrThrow, initParams, jsBackend, lowerOrThrow, prim, randn, rng } from '../src/index';

const f64 = jsBackend('float64');
const f32 = jsBackend('float32');

const inputsOf = (c: (typeof poolingCases)[number], seed: number) => (c.sample ? c.sample(seed) : c.inputs.map((s) => randn(s, rng(seed).fork('x'))));

describe('pooling primitives: gradients and conformance', () => {
  for (const c of poolingCases) {
    test.prop([fc.integer({ min: 0, max: 1_000_000 })], { numRuns: 3 })(`${c.name}: backward is the VJP (float64)`, (seed) => {
      const model = checkOrThrow(c.term, c.inputs);
      for (const variants of c.variants ?? [{}]) {
        const prog = lowerOrThrow(model, f64, { variants });
        const params = initParams(model, seed, 'float64');
        // The signed square root's derivatives grow without bound near 0, so central differences are
        // less accurate there: measured at FD_TOL over 301 seeds, MCB + norm failed 2 (worst 3.3e-5
        // relative) and no other case failed; at rtol 1e-4 none fails.
        const rep = vjpMatchesFiniteDifferences(prog, f64, params, inputsOf(c, seed), seed, /\+ norm$/.test(c.name) ? { rtol: 1e-4 } : {});
        expect(rep.ok, `${JSON.stringify(variants)} ${rep.detail}`).toBe(true);
      }
    });
    it(`${c.name}: backward is linear in the incoming gradient; float32 conforms to float64`, () => {
      const model = checkOrThrow(c.term, c.inputs);
      const prog = lowerOrThrow(model, f64);
      expect(backwardIsLinear(prog, f64, initParams(model, 5, 'float64'), inputsOf(c, 5), 5).ok).toBe(true);
      const rep = conforms(c, f32, f64, 7, F32_TOL);
      expect(rep.ok, `${rep.where}: ${rep.worst}`).toBe(true);
    });
    it(`${c.name}: residual elements equal the cost model for every variant`, () => {
      for (const variants of c.variants ?? [{}]) {
        for (const be of [f64, f32]) {
          const rep = residualMatchesCost(be, c, { variants }, 3);
          expect(rep.ok, rep.detail).toBe(true);
        }
      }
    });
  }

  it('mcb residual variants give bit-identical outputs and gradients (float32 and float64)', () => {
    for (const d of [16, 13, 100]) {
      const model = checkOrThrow(prim('mcb', { d, seed: 9 }), [[4, 7], [4, 5]]);
      for (const be of [f32, f64]) {
        const r = rng(d);
        const inputs = [randn([4, 7], r.fork('x'), be.dtype), randn([4, 5], r.fork('y'), be.dtype)];
        const dys = [randn([4, d], r.fork('g'), be.dtype)];
        const plans = ['sketch', 'input', 'spectra'].map((v) => ({ variants: { '': v } }));
        expect(plansAgree(model, be, plans, {}, inputs, dys)).toBe(true);
      }
    }
  });
});

describe('pooling laws', () => {
  it('mcb variant 2-cells input ⇒ sketch ⇒ spectra satisfy (T1) and (T2) bit for bit', () => {
    for (const be of [f32, f64])
      for (const d of [16, 13, 100]) {
        const r = rng(d + 1);
        const x = randn([3, 7], r.fork('x'), be.dtype);
        const y = randn([3, 5], r.fork('y'), be.dtype);
        const g = randn([3, d], r.fork('g'), be.dtype);
        const rep = mcbVariantTwoCells(be, d, d, x, y, g);
        expect(rep, `${be.name} d=${d}`).toEqual({ inputToSketch: { t1: true, t2: true }, sketchToSpectra: { t1: true, t2: true } });
      }
  });

  const bilinearTerms: [string, ReturnType<typeof prim> | ReturnType<typeof mfb>][] = [
    ['outer_product', fullBilinear()],
    ['mcb d=32', mcbPool({ d: 32, seed: 1 })],
    ['mcb d=45', mcbPool({ d: 45, seed: 2 })],
    ['bilinear (blocks 2)', prim('bilinear', { out: 4, blocks: 2 })],
    ...factorisedOps().map((o) => [o.name, o.term] as [string, ReturnType<typeof mfb>]),
  ];
  for (const [name, term] of bilinearTerms) {
    test.prop([fc.integer({ min: 0, max: 1_000_000 })], { numRuns: 5 })(`${name} is bilinear in (x, y)`, (seed) => {
      const rep = isBilinear(f64, term, [3, 6], [3, 4], seed);
      expect(rep.ok, rep.detail).toBe(true);
    });
  }

  it('the normalised and activated operators are not bilinear (the law can tell)', () => {
    for (const term of [fullBilinear({ normalise: true }), mlb({ rank: 5, out: 3 }), mfh({ k: 2, out: 3 })]) {
      expect(isBilinear(f64, term, [3, 6], [3, 4], 4).ok).toBe(false);
    }
  });

  test.prop([fc.integer({ min: 1, max: 70 }), fc.integer({ min: 0, max: 1_000_000 })], { numRuns: 20 })(
    'IFFT(FFT Ψ₁(x) ⊙ FFT Ψ₂(y)) = CS_{H,S}(vec(x yᵀ)), any sketch dimension',
    (d, seed) => {
      const r = rng(seed);
      const x = randn([2, 1 + r.int(9)], r.fork('x'));
      const y = randn([2, 1 + r.int(9)], r.fork('y'));
      const rep = sketchIdentity(f64, d, seed, x, y);
      expect(rep.ok, rep.detail).toBe(true);
    },
  );

  it('the sketch identity holds for large non-power-of-two sketches', () => {
    for (const d of [1000, 3001]) {
      const rep = sketchIdentity(f64, d, d, randn([1, 40], rng(1)), randn([1, 30], rng(2)), 1e-9);
      expect(rep.ok, rep.detail).toBe(true);
    }
  });

  it('an injective hash preserves inner products of x ⊗ y exactly', () => {
    for (const [dx, dy, d] of [[4, 5, 20], [4, 5, 23], [3, 8, 32], [6, 6, 50]] as const) {
      const rep = injectiveSketchPreservesInnerProducts(f64, dx, dy, d, dx * 100 + d);
      expect(rep.ok, rep.detail).toBe(true);
    }
  });

  it('sketch inner products are unbiased over hash seeds (fixed seeds, 6σ band from the variance bound)', () => {
    const seeds = Array.from({ length: 400 }, (_, i) => 1000 + i);
    const pos = (n: number, s: number) => Float64Array.from(randn([n], rng(s)).data, (v) => 0.5 + Math.abs(v));
    const gauss = (n: number, s: number) => Float64Array.from(randn([n], rng(s)).data);
    const cases = [
      // Same vectors: estimating ‖x‖²‖y‖² with a positive mean, where a bias from a missing sign hash would show.
      { x: pos(16, 1), y: pos(32, 2) },
      { x: gauss(16, 3), y: gauss(32, 4), x2: gauss(16, 5), y2: gauss(32, 6) },
    ];
    for (const c of cases) {
      const rep = sketchInnerProductUnbiased(f64, { x: c.x, y: c.y, x2: c.x2 ?? c.x, y2: c.y2 ?? c.y }, 64, seeds);
      expect(rep.ok, rep.detail).toBe(true);
      // The band is meaningful: narrower than the quantity estimated in the first case.
      if (!c.x2) expect(rep.band).toBeLessThan(0.25 * rep.target);
    }
  });

  for (const op of factorisedOps()) {
    it(`${op.name} equals the bilinear tensor it factorises`, () => {
      for (const seed of [1, 2, 3]) {
        const rep = equalsMaterialised(f64, op, 3, 5, 4, seed);
        expect(rep.ok, rep.detail).toBe(true);
      }
    });
  }

  it('signed_sqrt_l2 has a finite gradient at 0 and unit-norm outputs', () => {
    const model = checkOrThrow(prim('signed_sqrt_l2'), [[2, 4]]);
    const prog = lowerOrThrow(model, f64);
    const x = { shape: [2, 4], data: Float64Array.of(0, 0, 0, 0, 0, 1, -4, 0) };
    const { outputs, residual } = prog.forward({}, [x]);
    const g = prog.backward(residual, [{ shape: [2, 4], data: Float64Array.of(1, 2, 3, 4, 1, 1, 1, 1) }]);
    expect(g.dInputs[0]!.data.every(Number.isFinite)).toBe(true);
    let sq = 0;
    for (let i = 4; i < 8; i++) sq += outputs[0]!.data[i]! ** 2;
    expect(Math.abs(sq - 1)).toBeLessThan(1e-6);
    expect(outputs[0]!.data.subarray(0, 4).every((v) => v === 0)).toBe(true);
  });

  it('mcb hashes are a pure function of the seed', () => {
    const a = mcbHashes(7, 10, 12, 33);
    const b = mcbHashes(7, 10, 12, 33);
    const c = mcbHashes(8, 10, 12, 33);
    expect([...a.h1, ...a.s1, ...a.h2, ...a.s2]).toEqual([...b.h1, ...b.s1, ...b.h2, ...b.s2]);
    expect([...a.h1, ...a.h2]).not.toEqual([...c.h1, ...c.h2]);
    expect(a.h1.every((h) => h >= 0 && h < 33) && a.s1.every((s) => s === 1 || s === -1)).toBe(true);
  });
});

describe('pooling: bad input is a clear error', () => {
  const msg = (term: unknown, shapes: number[][]) => {
    const r = check(term, shapes);
    return r._tag === 'Left' ? r.left.message : 'ok';
  };
  it('names the primitive and attribute', () => {
    expect(msg(prim('outer_product'), [[2, 3], [3, 4]])).toMatch(/outer_product: inputs x \[2,3\] and y \[3,4\] must agree/);
    expect(msg(prim('mcb', { d: 8 }), [[2, 3], [2, 4]])).toMatch(/mcb: give exactly one of attributes seed or hashes/);
    expect(msg(prim('mcb', { d: 8, seed: 1.5 }), [[2, 3], [2, 4]])).toMatch(/mcb/);
    expect(msg(prim('mcb', { d: 0, seed: 1 }), [[2, 3], [2, 4]])).toMatch(/mcb/);
    expect(msg(prim('mcb', { d: 4, hashes: { h1: [0, 1, 9], s1: [1, 1, 1], h2: [0], s2: [1] } }), [[2, 3], [2, 1]])).toMatch(
      /mcb: attribute hashes.h1 has a bucket outside \[0, 4\)/,
    );
    expect(msg(prim('mcb', { d: 4, hashes: { h1: [0, 1], s1: [1, 1], h2: [0], s2: [1] } }), [[2, 3], [2, 1]])).toMatch(
      /mcb: attribute hashes.h1 has length 2, expected 3/,
    );
    expect(msg(prim('bilinear', { out: 5, blocks: 2 }), [[2, 4], [2, 4]])).toMatch(/bilinear: attribute out 5 is not divisible by attribute blocks = 2/);
    expect(msg(prim('sum_pool', { k: 4 }), [[2, 6]])).toMatch(/sum_pool: last axis 6 is not divisible by attribute k = 4/);
    expect(msg(prim('hadamard'), [[2, 6], [2, 5]])).toMatch(/hadamard: inputs must have the same shape/);
    expect(msg(prim('signed_sqrt_l2', { eps: -1 }), [[2, 6]])).toMatch(/signed_sqrt_l2/);
    expect(msg(mfb({ k: 3, out: 4 }), [[2, 6], [3, 5]])).toMatch(/hadamard/);
  });
  it('the operator terms check at the documented widths', () => {
    const width = (t: unknown) => checkOrThrow(t, [[2, 6], [2, 4]]).root.outputs[0];
    expect(width(fullBilinear())).toEqual([2, 24]);
    expect(width(mcbPool({ d: 100, seed: 0 }))).toEqual([2, 100]);
    expect(width(mlb({ rank: 8, out: 5 }))).toEqual([2, 5]);
    expect(width(mfb({ k: 5, out: 7 }))).toEqual([2, 7]);
    expect(width(mfh({ k: 5, out: 7 }))).toEqual([2, 14]);
    expect(width(mutan({ tx: 8, ty: 8, to: 6, rank: 2, out: 3 }))).toEqual([2, 3]);
    expect(width(blockFusion({ tx: 8, ty: 8, to: 8, blocks: 4, out: 3 }))).toEqual([2, 3]);
    expect(runTerm(f64, fullBilinear(), [randn([2, 6], rng(1)), randn([2, 4], rng(2))])[0]!.shape).toEqual([2, 24]);
  });
});
