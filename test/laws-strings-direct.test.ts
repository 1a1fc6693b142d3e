/**
 * The model-string laws and the random-model harness (laws/strings.ts) checked directly, fast: each
 * report on inputs whose answer is worked out here (the largest wire and its path, a term that does
 * not check, decoding options that are invalid), and `backendsAgree` / `modelLawFailures` fed
 * backends made wrong on purpose (tampered kernels), naming the law and the tensor that broke.
 * The end-to-end files (strings, strings-laws) run the same laws on many random models.
 */
import { describe, expect, it } from 'vitest';
import {
  ILL_CONDITIONED, ZERO_GRADIENT_ULPS, backendsAgree, budgetProblem, checkModel, decodedRoundTrips, decodesWellTyped, modelLawFailures,
  mutationIsLocal, perturbedParams, sampleModelInputs, termRoundTrips, zeroGradientAtol,
} from '../laws/strings';
import { checkOrThrow, decodeWith, initParams, jsBackend, prim, randn, rng, seq, tokenize } from '../src/index';
import { largestScaled, scaled, tampered } from './tampered';

const f64 = jsBackend('float64');
const f32 = jsBackend('float32');
const model = (term: Parameters<typeof checkOrThrow>[0], inputs: number[][]) => checkOrThrow(term, inputs);

describe('budgetProblem', () => {
  it('names the largest wire or parameter, its path and primitive, strictly over the budget', () => {
    const m = model(seq(prim('linear', { out: 6 }), prim('tanh')), [[3, 4]]);
    // 0.w is [4, 6] = 24 elements: larger than the output [3, 6] = 18 and the bias.
    expect(budgetProblem(m, 23)).toBe('0 (linear) has 24 elements, over the budget of 23');
    expect(budgetProblem(m, 24)).toBeNull();
    const root = model(prim('linear', { out: 2 }), [[9, 4]]);
    // The output [9, 2] = 18 is larger than w [4, 2] = 8.
    expect(budgetProblem(root, 10)).toBe('<root> (linear) has 18 elements, over the budget of 10');
  });
});

describe('decodesWellTyped', () => {
  it('passes a decodable string; reports invalid options as a throw, with the message', () => {
    expect(decodesWellTyped('L16 r L2', [[8, 2]])).toEqual({ ok: true, detail: '' });
    expect(decodesWellTyped(tokenize('L16 r L2'), [[8, 2]]).ok).toBe(true);
    const bad = decodesWellTyped('L2', [[8, 2]], { ids: { 3: 5 } });
    expect(bad.ok).toBe(false);
    expect(bad.detail).toMatch(/^decoding threw: decodeModel: /);
  });
  it('checks the budget only when every input fits it', () => {
    // The decoder keeps wires within maxElems; an input over it turns the budget check off.
    expect(decodesWellTyped('L16 r L2', [[8, 2]], { maxElems: 8 }).ok).toBe(true);
    expect(decodesWellTyped('L16 r L2', [[8, 2]], { maxElems: 16 }).ok).toBe(true);
    // 'rr' decodes to relu, relu on the [8, 2] input: wires of 16 elements, over a budget of 12 that the input is over too.
    expect(decodesWellTyped('rr', [[8, 2]], { maxElems: 12 }).ok).toBe(true);
  });
});

describe('round trips and locality', () => {
  it('a term that does not check has no string form, and the report says why', () => {
    const rep = termRoundTrips(prim('softmax_xent'), [[3, 4]]);
    expect(rep.ok).toBe(false);
    expect(rep.detail).toMatch(/^<root>: the term does not check: /);
    expect(termRoundTrips(seq(prim('linear', { out: 16 }), prim('relu')), [[8, 2]])).toEqual({ ok: true, detail: '' });
  });
  it('a decoded string round-trips; changing the last token leaves the primitives before it alone', () => {
    expect(decodedRoundTrips('L16 r L2', [[8, 2]])).toEqual({ ok: true, detail: '' });
    const toks = [...tokenize('L16 r L2 t')];
    expect(mutationIsLocal(toks, toks.length - 1, toks[0]!, [[8, 2]])).toEqual({ ok: true, detail: '' });
  });
});

describe('sampleModelInputs and perturbedParams', () => {
  it('normals from fork input<i>, ids uniform below their bound, in the dtype asked for', () => {
    const [x, ids, labels] = sampleModelInputs([[3, 2], [3, 4], [3]], { ids: { 0: 5, 2: 3 } }, 9);
    expect([...ids!.data]).toEqual([...randn([3, 4], rng(9).fork('input1')).data]);
    const r0 = rng(9).fork('input0');
    expect([...x!.data]).toEqual(Array.from({ length: 6 }, () => r0.int(5)));
    const r2 = rng(9).fork('input2');
    expect([...labels!.data]).toEqual(Array.from({ length: 3 }, () => r2.int(3)));
    expect(x!.shape).toEqual([3, 2]);
    const f = sampleModelInputs([[2], [2]], { ids: { 1: 4 } }, 1, 'float32');
    expect(f[0]!.data).toBeInstanceOf(Float32Array);
    expect(f[1]!.data).toBeInstanceOf(Float32Array);
    expect(sampleModelInputs([[2]], { ids: { 0: 4 } }, 1)[0]!.data).toBeInstanceOf(Float64Array);
  });
  it('initial parameters plus 0.1 of a normal from fork perturb:<key>', () => {
    const m = model(prim('linear', { out: 2 }), [[3, 4]]);
    const p = perturbedParams(m, 5);
    const init = initParams(m, 5, 'float64');
    for (const k of ['w', 'b']) {
      const r = rng(5).fork(`perturb:${k}`);
      expect([...p[k]!.data]).toEqual([...init[k]!.data].map((v) => v + 0.1 * r.normal()));
    }
  });
});

describe('zeroGradientAtol', () => {
  it('widens atol only for a reference zero to 1e-12 of the node scale, to ZERO_GRADIENT_ULPS float32 roundings', () => {
    const wide = ZERO_GRADIENT_ULPS * 2 ** -23 * 400;
    expect(zeroGradientAtol({ shape: [2], data: Float64Array.from([4e-10, -4e-10]) }, 400, 1e-9)).toBe(wide);
    expect(zeroGradientAtol({ shape: [2], data: Float64Array.from([4.1e-10, 0]) }, 400, 1e-9)).toBe(1e-9);
    // A wide atol below the given one does not narrow it.
    expect(zeroGradientAtol({ shape: [1], data: Float64Array.from([0]) }, 400, 1)).toBe(1);
  });
});

describe('backendsAgree', () => {
  const m = model(prim('linear', { out: 3 }), [[4, 5]]);
  const ps = initParams(m, 2, 'float64');
  const xs = [randn([4, 5], rng(2))];
  const tol = { rtol: 1e-9, atol: 1e-12 };
  it('agrees with itself; names the output, input gradient or parameter gradient that is off by 1e-4', () => {
    expect(backendsAgree(m, f64, f64, ps, xs, 2, tol)).toEqual({ ok: true, worst: 0, where: '' });
    const out = backendsAgree(m, tampered(f64, 'linear', { output: scaled(1 + 1e-4) }), f64, ps, xs, 2, tol);
    expect(out.ok).toBe(false);
    expect(out.where).toBe('output 0');
    const dx = backendsAgree(m, tampered(f64, 'linear', { dInput: largestScaled(1 + 1e-4) }), f64, ps, xs, 2, tol);
    expect([dx.ok, dx.where]).toEqual([false, 'input gradient 0']);
    const dw = backendsAgree(m, tampered(f64, 'linear', { dParam: (t, k) => (k === 'b' ? largestScaled(1 + 1e-4)(t) : t) }), f64, ps, xs, 2, tol);
    expect([dw.ok, dw.where]).toEqual([false, 'parameter gradient b']);
    // The worst is kept: a later, smaller difference does not replace it.
    const both = backendsAgree(m, tampered(f64, 'linear', { output: scaled(1 + 1e-3), dInput: largestScaled(1 + 1e-6) }), f64, ps, xs, 2, tol);
    expect(both.where).toBe('output 0');
    expect(both.worst).toBeGreaterThan(1e3);
  });
  it('a NaN is Infinity, not skipped', () => {
    const nan = backendsAgree(m, tampered(f64, 'linear', { output: (t) => ({ shape: t.shape, data: t.data.map((v, i) => (i === 0 ? NaN : v)) }) }), f64, ps, xs, 2, tol);
    expect([nan.ok, nan.worst, nan.where]).toEqual([false, Infinity, 'output 0']);
  });
});

describe('modelLawFailures on a decoded model with wrong backends', () => {
  const inputs = [[3, 4]];
  const string = 'L6 t L2';
  const m = { string, term: decodeWith(tokenize(string), inputs, { maxElems: 512 }).term, inputs, opts: { maxElems: 512 } };
  it('the true kernels pass every law', () => {
    expect(checkModel(m).root.kind).toBe('seq');
    expect(modelLawFailures(m, 3, { plans: [f64, f32], reference: f64, candidate: f32, tol: { rtol: 1e-4, atol: 1e-5 } })).toEqual({ failures: [], skipped: [] });
  });
  it('names predicted = measured memory, backend conformance and backward = VJP when each is broken', () => {
    const extra = tampered(f64, 'tanh', { extraResidual: (xs) => ({ copy: xs[0]! }) });
    const wrongOut = tampered(f32, 'linear', { output: scaled(1 + 1e-2) });
    const wrongGrad = tampered(f64, 'linear', { dParam: largestScaled(1 + 1e-3) });
    const rep = modelLawFailures(m, 3, { plans: [extra], reference: wrongGrad, candidate: wrongOut, tol: { rtol: 1e-4, atol: 1e-5 } });
    const laws = rep.failures.map((f) => f.law);
    expect(laws).toContain('predicted = measured memory');
    expect(laws).toContain('backend conformance');
    expect(laws).toContain('backward = VJP');
    expect(rep.failures.find((f) => f.law === 'backend conformance')!.detail).toMatch(/^js \(linear tampered\): (output|input gradient|parameter gradient) \S+: worst closeness \d/);
    expect(rep.failures.find((f) => f.law === 'predicted = measured memory')!.detail).toMatch(/^\{\} on js-f64 \(tanh tampered\): .*peak bytes/);
  });
  it('the float32 yardstick excuses a candidate within YARDSTICK_FACTOR of it, not one further off', () => {
    const near = tampered(f32, 'linear', { output: scaled(1 + 3e-7) });
    const tight = { rtol: 1e-12, atol: 1e-14 };
    const ok = modelLawFailures(m, 3, { plans: [], reference: f64, candidate: near, float32: f32, tol: tight });
    expect(ok.failures).toEqual([]);
    const far = tampered(f32, 'linear', { output: scaled(1 + 1e-3) });
    const bad = modelLawFailures(m, 3, { plans: [], reference: f64, candidate: far, float32: f32, tol: tight });
    expect(bad.failures.map((f) => f.law)).toEqual(['backend conformance']);
    expect(bad.failures[0]!.detail).toMatch(/^js \(linear tampered\): .+: worst closeness \d\S* \(js: \S+ at /);
  });
  it('skips conformance and the VJP law for ill-conditioned primitives, and the VJP law for id inputs', () => {
    expect(ILL_CONDITIONED).toContain('signed_sqrt_l2');
    const sq = { string: 'ill', term: seq(prim('linear', { out: 3 }), prim('signed_sqrt_l2')), inputs, opts: {} };
    expect(modelLawFailures(sq, 1, { plans: [], reference: f64, candidate: f32 }).skipped).toEqual(['backend conformance', 'backward = VJP']);
    const ids = { string: 'ids', term: prim('embedding', { vocab: 5, dim: 2 }), inputs: [[3]], opts: { ids: { 0: 5 } } };
    expect(modelLawFailures(ids, 1, { plans: [], reference: f64 }).skipped).toEqual(['backward = VJP']);
  });
});
