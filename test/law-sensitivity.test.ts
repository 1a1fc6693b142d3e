import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  basicCases, conforms, backwardIsLinear, F32_EQUIVARIANCE_TOL, F32_TOL, FD_TOL, vjpMatchesFiniteDifferences, vjpProperty, WASM_TOL, type ConformanceCase,
} from '../laws/index';
import { attentionCases, attentionPermutationEquivariant, sampleKeyMask } from '../laws/attention';
import { deltaCases } from '../laws/delta';
import { equivarianceSample, tensorProductCases, tensorProductEquivarianceError } from '../laws/equivariant';
import { peakMatches } from '../laws/planner';
import { injectiveSketchPreservesInnerProducts, isBilinear, poolingCases, residualMatchesCost, sketchIdentity, sketchInnerProductUnbiased } from '../laws/pooling';
import { mcbHashes } from '../src/prims/pooling';
import { shDim } from '../src/equivariant/index';
import { checkOrThrow, initParams, jsBackend, lowerOrThrow, prim, randn, rng, type Backend, type TypedPrim } from '../src/index';
import { initWasm, type WasmBackend } from '../backends/wasm/index';
import { largestScaled, scaled, shifted, tampered } from './tampered';

/**
 * Law sensitivity: each law family, at the tolerance the suite runs it with (laws/tolerance.ts),
 * accepts the kernel as it is and rejects the same kernel made subtly wrong — an output scaled by
 * 1 + 1e-4, one gradient entry nudged, one residual entry too many, a sign hash dropped. Loosening
 * a shared tolerance tenfold makes some of these fail (CONTRIBUTING.md, "Tolerances").
 */
const f64 = jsBackend('float64');
const f32 = jsBackend('float32');
const WRONG = 1 + 1e-4;

const byName = (cases: readonly ConformanceCase[], name: string): ConformanceCase => {
  const c = cases.find((x) => x.name === name);
  if (!c) throw new Error(`no conformance case '${name}'`);
  return c;
};
const rootPrim = (c: ConformanceCase): string => {
  const root = checkOrThrow(c.term, c.inputs).root;
  if (root.kind !== 'prim') throw new Error(`${c.name}: expected a single primitive`);
  return root.def.name;
};
const inputsOf = (c: ConformanceCase, seed: number) => (c.sample ? c.sample(seed) : c.inputs.map((s) => randn(s, rng(seed).fork('x'))));
const hasParams = (c: ConformanceCase) => checkOrThrow(c.term, c.inputs).params.size > 0;

/** One case per kernel family, each a single primitive. */
const cases: ConformanceCase[] = [
  byName(basicCases, 'linear'),
  byName(basicCases, 'layernorm'),
  byName(basicCases, 'softmax'),
  byName(attentionCases, 'attention self KQ causal, unbatched'),
  byName(attentionCases, 'attention cross W, key mask (one fully masked batch)'),
  byName(deltaCases, 'delta_rule chunkwise [0,2]'),
  byName(poolingCases, 'mcb d=13 (Bluestein)'),
  byName(tensorProductCases, 'gaunt_tensor_product'),
  byName(tensorProductCases, 'tensor_product cg/path'),
];

describe('conformance rejects a kernel that is off by 1e-4', () => {
  let wasm: WasmBackend;
  beforeAll(async () => {
    wasm = await initWasm();
  });
  for (const c of cases) {
    const p = rootPrim(c);
    it(`${c.name}: float32 within F32_TOL; output ×(1+1e-4) and one gradient entry ×(1+1e-4) are not`, () => {
      expect(conforms(c, f32, f64, 7, F32_TOL).ok).toBe(true);
      const out = conforms(c, tampered(f32, p, { output: scaled(WRONG) }), f64, 7, F32_TOL);
      expect(out.ok, `output: worst ${out.worst}`).toBe(false);
      const grad = conforms(c, tampered(f32, p, hasParams(c) ? { dParam: largestScaled(WRONG) } : { dInput: largestScaled(WRONG) }), f64, 7, F32_TOL);
      expect(grad.ok, `gradient: worst ${grad.worst}`).toBe(false);
    });
    it(`${c.name}: wasm within WASM_TOL; its output ×(1+1e-4) is not`, () =>
      wasm.scope(() => {
        expect(conforms(c, wasm, f64, 7, WASM_TOL).ok).toBe(true);
        const out = conforms(c, tampered<unknown>(wasm as Backend<unknown>, p, { output: scaled(WRONG) }), f64, 7, WASM_TOL);
        expect(out.ok, `output: worst ${out.worst}`).toBe(false);
      }));
  }
});

describe('backward = VJP (finite differences) rejects one gradient entry nudged by 1e-4', () => {
  for (const c of cases) {
    const p = rootPrim(c);
    it(`${c.name}`, () => {
      const model = checkOrThrow(c.term, c.inputs);
      for (const seed of [1, 2]) {
        const params = initParams(model, seed, 'float64');
        const run = (be: Backend<unknown>) => vjpMatchesFiniteDifferences(lowerOrThrow(model, be), be, params, inputsOf(c, seed), seed);
        const good = run(f64 as Backend<unknown>);
        expect(good.ok, good.detail).toBe(true);
        const nudged = [
          ...(hasParams(c) ? [tampered(f64, p, { dParam: largestScaled(WRONG) })] : []),
          tampered(f64, p, { dInput: largestScaled(WRONG) }),
        ];
        expect(good.detail).toMatch(/^(parameter \S+|input \d+): finite differences /);
        nudged.forEach((be, i) => {
          const bad = run(be as Backend<unknown>);
          expect(bad.ok, `${be.name}: ${bad.detail} (rtol ${FD_TOL.rtol})`).toBe(false);
          // The report names the tensor whose gradient is wrong.
          expect(bad.detail).toMatch(i === nudged.length - 1 ? /^input \d+: / : /^parameter \S+: /);
        });
      }
    });
  }
  it('a NaN in one gradient entry is rejected, not skipped', () => {
    const c = byName(basicCases, 'linear');
    const model = checkOrThrow(c.term, c.inputs);
    const params = initParams(model, 3, 'float64');
    const nan = tampered(f64, 'linear', { dParam: (t, name) => (name === 'w' ? shifted(0, NaN)(t) : t) });
    const rep = vjpMatchesFiniteDifferences(lowerOrThrow(model, nan), nan, params, inputsOf(c, 3), 3);
    expect(rep.ok, rep.detail).toBe(false);
    expect(rep.detail).toMatch(/^parameter w: /);
  });
  it('Richardson extrapolation: MFH + norm at seed 328972, near the signed square root\'s steep point, passes', () => {
    // A point the suite met by chance: the plain central quotient at ε = 1e-6 was off by 2e-5 there.
    const c = byName(poolingCases, 'MFH + norm');
    const model = checkOrThrow(c.term, c.inputs);
    const seed = 328972;
    const rep = vjpMatchesFiniteDifferences(lowerOrThrow(model, f64), f64, initParams(model, seed, 'float64'), inputsOf(c, seed), seed);
    expect(rep.ok, rep.detail).toBe(true);
  });
  it('vjpProperty: the fast-check form holds for the kernel and fails for the nudged one', () => {
    const c = byName(basicCases, 'linear');
    const model = checkOrThrow(c.term, c.inputs);
    const sample = (seed: number) => ({ params: initParams(model, seed, 'float64'), inputs: inputsOf(c, seed) });
    fc.assert(vjpProperty(lowerOrThrow(model, f64), f64, sample), { numRuns: 2, seed: 1 });
    const bad = tampered(f64, 'linear', { dParam: largestScaled(WRONG) });
    expect(() => fc.assert(vjpProperty(lowerOrThrow(model, bad), bad, sample), { numRuns: 2, seed: 1 })).toThrow(/Property failed/);
  });
  it('backward is linear: a backward that adds a constant is not', () => {
    const c = byName(basicCases, 'linear');
    const model = checkOrThrow(c.term, c.inputs);
    const params = initParams(model, 3, 'float64');
    expect(backwardIsLinear(lowerOrThrow(model, f64), f64, params, inputsOf(c, 3), 3).ok).toBe(true);
    const affine = tampered(f64, 'linear', { dParam: shifted(0, 1e-6) });
    const rep = backwardIsLinear(lowerOrThrow(model, affine), affine, params, inputsOf(c, 3), 3);
    expect(rep.ok).toBe(false);
    expect(rep.detail).toMatch(/^backward\(a·u \+ b·w\) \S+ vs a·backward\(u\) \+ b·backward\(w\) \S+$/);
  });
});

describe('predicted = measured memory rejects a kernel that keeps one tensor more than its cost says', () => {
  for (const c of [byName(basicCases, 'linear'), byName(attentionCases, 'attention self KQ causal, unbatched'), byName(poolingCases, 'mcb d=13 (Bluestein)')]) {
    it(c.name, () => {
      const p = rootPrim(c);
      const model = checkOrThrow(c.term, c.inputs);
      const dys = model.root.outputs.map((s, i) => randn(s, rng(4).fork(`dy${i}`)));
      const params = initParams(model, 4, 'float64');
      const extra = tampered(f64, p, { extraResidual: (xs) => ({ copy: xs[0]! }) });
      expect(peakMatches(model, f64, {}, params, inputsOf(c, 4), dys).ok).toBe(true);
      const rep = peakMatches(model, extra, {}, params, inputsOf(c, 4), dys);
      expect(rep.ok).toBe(false);
      expect(rep.detail).toMatch(/peak bytes/);
      expect(residualMatchesCost(f64, c, {}, 4).ok).toBe(true);
      expect(residualMatchesCost(extra, c, {}, 4).ok).toBe(false);
    });
  }
});

describe('equivariance rejects one output component off by 1e-4', () => {
  it('tensor products: TP(Dx₁, Dx₂) = D TP(x₁, x₂) within F32_EQUIVARIANCE_TOL (float32) and 1e-13 (float64)', () => {
    for (const [name, attrs, deg] of [
      ['tensor_product', {}, { l1: 2, l2: 1, lout: 3 }],
      ['gaunt_tensor_product', {}, { l1: 2, l2: 2, lout: 4 }],
    ] as const) {
      const lead = [2, 3];
      const model = checkOrThrow(prim(name, { ...deg, ...attrs }), [[...lead, shDim(deg.l1)], [...lead, shDim(deg.l2)]]);
      const { R, x1, x2 } = equivarianceSample(deg, lead, 5);
      const params = Object.fromEntries(Object.entries(initParams(model, 5, 'float64')).map(([k, v]) => [k, randn(v.shape, rng(5).fork(k))]));
      // The m = −1 component of degree 1 of every output feature, times 1 + 1e-4: not a map that commutes with D.
      const oneComponent = (t: { shape: readonly number[]; data: Float64Array | Float32Array }) => {
        const data = t.data.slice();
        for (let i = 1; i < data.length; i += shDim(deg.lout)) data[i] = data[i]! * WRONG;
        return { shape: [...t.shape], data };
      };
      const err = (be: Backend<unknown>) => tensorProductEquivarianceError(lowerOrThrow(model, be), be, params, x1, x2, R, deg);
      const L = Math.max(deg.l1, deg.l2, deg.lout);
      expect(err(f32 as Backend<unknown>)).toBeLessThan(F32_EQUIVARIANCE_TOL(L));
      expect(err(f64 as Backend<unknown>)).toBeLessThan(1e-13);
      expect(err(tampered(f32, name, { output: oneComponent }) as Backend<unknown>)).toBeGreaterThan(F32_EQUIVARIANCE_TOL(L));
      expect(err(tampered(f64, name, { output: oneComponent }) as Backend<unknown>)).toBeGreaterThan(1e-13);
    }
  });
  it('attention: permuting tokens permutes the output; not when token 0 is treated differently', () => {
    const model = checkOrThrow(prim('attention', { heads: 2, dk: 3, dv: 2, mask: true, block: 3 }), [[2, 7, 4], [2, 7]]);
    const perm = [3, 0, 6, 1, 5, 2, 4];
    const inputs = [randn([2, 7, 4], rng(6).fork('x')), sampleKeyMask(2, 7, 6)];
    const params = initParams(model, 6, 'float64');
    const tol = { rtol: 1e-10, atol: 1e-12 };
    const firstToken = (t: { shape: readonly number[]; data: Float64Array | Float32Array }) => {
      const [B, T, D] = t.shape as [number, number, number];
      const data = t.data.slice();
      for (let b = 0; b < B; b++) for (let j = 0; j < D; j++) data[b * T * D + j] = data[b * T * D + j]! * WRONG;
      return { shape: [...t.shape], data };
    };
    expect(attentionPermutationEquivariant(f64, lowerOrThrow(model, f64), params, inputs, perm, tol, 1).ok).toBe(true);
    const bad = tampered(f64, 'attention', { output: firstToken });
    expect(attentionPermutationEquivariant(bad, lowerOrThrow(model, bad), params, inputs, perm, tol, 1).ok).toBe(false);
  });
});

describe('sketch identities reject a wrong count sketch', () => {
  const x = randn([2, 7], rng(1));
  const y = randn([2, 5], rng(2));
  it('the convolution identity and injective inner products reject an output ×(1+1e-4)', () => {
    const bad = tampered(f64, 'mcb', { output: scaled(WRONG) });
    expect(sketchIdentity(f64, 13, 3, x, y).ok).toBe(true);
    expect(sketchIdentity(bad, 13, 3, x, y).ok).toBe(false);
    expect(injectiveSketchPreservesInnerProducts(f64, 4, 5, 23, 9).ok).toBe(true);
    expect(injectiveSketchPreservesInnerProducts(bad, 4, 5, 23, 9).ok).toBe(false);
  });
  it('bilinearity rejects an output shifted by 1e-9 (affine, not bilinear)', () => {
    const bad = tampered(f64, 'mcb', { output: (t) => ({ shape: t.shape, data: t.data.map((v) => v + 1e-9) }) });
    expect(isBilinear(f64, prim('mcb', { d: 16, seed: 1 }), [3, 6], [3, 4], 2).ok).toBe(true);
    expect(isBilinear(bad, prim('mcb', { d: 16, seed: 1 }), [3, 6], [3, 4], 2).ok).toBe(false);
  });
  it('unbiasedness rejects a sketch without its sign hashes (an O(1/d) bias)', () => {
    // The sketch the node's seed gives, with every sign +1: collisions no longer cancel on average.
    const unsigned = (n: TypedPrim): TypedPrim => {
      const a = n.attrs as { d: number; seed: number };
      const [dx, dy] = [n.inputs[0]!, n.inputs[1]!].map((s) => s[s.length - 1]!) as [number, number];
      const h = mcbHashes(a.seed, dx, dy, a.d);
      const ones = (k: number) => Array.from({ length: k }, () => 1);
      return { ...n, attrs: { d: a.d, hashes: { h1: [...h.h1], s1: ones(dx), h2: [...h.h2], s2: ones(dy) } } };
    };
    const pos = (k: number, s: number) => Float64Array.from(randn([k], rng(s)).data, (v) => 0.5 + Math.abs(v));
    const v = { x: pos(16, 1), y: pos(32, 2), x2: pos(16, 1), y2: pos(32, 2) };
    const seeds = Array.from({ length: 400 }, (_, i) => 1000 + i);
    expect(sketchInnerProductUnbiased(f64, v, 64, seeds).ok).toBe(true);
    const rep = sketchInnerProductUnbiased(tampered(f64, 'mcb', { node: unsigned }), v, 64, seeds);
    expect(rep.ok, rep.detail).toBe(false);
  });
});
