/**
 * The model-string laws and the random-model harness (laws/strings.ts) checked directly, fast: each
 * report on inputs whose answer is worked out here (the largest wire and its path, a term that does
 * not check, decoding options that are invalid), and `backendsAgree` / `modelLawFailures` fed
 * backends made wrong on purpose (tampered kernels), naming the law and the tensor that broke.
 * The end-to-end files (strings, strings-laws) run the same laws on many random models.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  ILL_CONDITIONED, ZERO_GRADIENT_ULPS, arbitraryModel, backendsAgree, budgetProblem, checkModel, decodedRoundTrips, decodesWellTyped, modelLawFailures,
  mutationIsLocal, perturbedParams, sampleModelInputs, termRoundTrips, zeroGradientAtol,
} from '../laws/strings';
import { tokenChar } from '../src/strings/alphabet';
import type { SomeKernel } from '../src/backend/backend';
import type { TypedPrim } from '../src/term/check';
import { checkOrThrow, decodeWith, initParams, jsBackend, named, prim, randn, rng, seq, tokenize, type Backend } from '../src/index';
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
    // Ties go to the first wire of that size; nested paths are joined with dots.
    expect(budgetProblem(model(seq(prim('tanh'), prim('relu')), [[3, 4]]), 11)).toBe('0 (tanh) has 12 elements, over the budget of 11');
    expect(budgetProblem(model(seq(prim('tanh'), seq(prim('relu'), prim('linear', { out: 8 }))), [[3, 4]]), 31)).toBe('1.1 (linear) has 32 elements, over the budget of 31');
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
    // One input over the budget is enough to turn it off.
    expect(decodesWellTyped('rr', [[8, 2], [1, 2]], { maxElems: 12 }).ok).toBe(true);
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

describe('arbitraryModel and checkModel', () => {
  it('strings of at most maxTokens tokens, decoded with the options it reports', () => {
    const ms = fc.sample(arbitraryModel({ maxTokens: 6, inputs: [[3, 4]] }), { seed: 3, numRuns: 20 });
    expect(ms.some((m) => m.string.length > 0)).toBe(true);
    for (const m of ms) {
      expect(m.string.length).toBeLessThanOrEqual(6);
      expect(m.opts).toEqual({ maxElems: 4096 });
      expect(m.inputs).toEqual([[3, 4]]);
      expect(m.term).toEqual(decodeWith(tokenize(m.string), [[3, 4]], { maxElems: 4096 }).term);
      expect([...tokenize(m.string)].map(tokenChar).join('')).toBe(m.string);
    }
    const withIds = fc.sample(arbitraryModel({ maxTokens: 4, inputs: [[3], [3]], ids: { 0: 5 }, maxElems: 64, exclude: ['relu'] }), { seed: 1, numRuns: 3 });
    for (const m of withIds) expect(m.opts).toEqual({ maxElems: 64, ids: { 0: 5 }, exclude: ['relu'] });
  });
  it('checkModel refuses a term that does not check, naming its string', () => {
    expect(() => checkModel({ string: 'xy', term: prim('softmax_xent'), inputs: [[3, 4]], opts: {} })).toThrow(/^arbitraryModel: 'xy' does not check: /);
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
  it('a difference of exactly the tolerance passes', () => {
    const off = tampered(f64, 'linear', { output: scaled(1 + 1e-4) });
    const m1 = backendsAgree(m, off, f64, ps, xs, 2, { rtol: 0, atol: 1 }).worst;
    expect(backendsAgree(m, off, f64, ps, xs, 2, { rtol: 0, atol: m1 })).toMatchObject({ ok: true, worst: 1 });
  });
  it('inputs without gradients (ids) are skipped on both sides; a gradient missing on one side is named', () => {
    const e = model(prim('embedding', { vocab: 5, dim: 2 }), [[3]]);
    const ids = [{ shape: [3], data: Float64Array.from([0, 4, 2]) }];
    const ep = initParams(e, 1, 'float64');
    expect(backendsAgree(e, f64, f64, ep, ids, 1, tol)).toEqual({ ok: true, worst: 0, where: '' });
    const noDx: Backend<ReturnType<typeof f64.upload>> = {
      ...f64,
      kernel: (p) => {
        const k = f64.kernel(p);
        if (!k || p !== 'linear') return k;
        return { ...k, backward: (n: TypedPrim, pp: never, r: never, d: never) => ({ ...k.backward(n, pp, r, d), dInputs: [null] }) } as unknown as SomeKernel<ReturnType<typeof f64.upload>>;
      },
    } as Backend<ReturnType<typeof f64.upload>>;
    expect(backendsAgree(m, noDx, f64, ps, xs, 2, tol)).toEqual({ ok: false, worst: Infinity, where: 'input gradient 0 presence' });
    expect(backendsAgree(m, f64, noDx, ps, xs, 2, tol)).toEqual({ ok: false, worst: Infinity, where: 'input gradient 0 presence' });
  });
  it('a parameter gradient that is zero in the reference gets float32 noise room scaled by its node, nothing more', () => {
    // With a zero input, the first layer's weight gradient is exactly zero; its bias gradient sets the node's scale.
    const two = model(seq(named('a', prim('linear', { out: 3 })), named('b', prim('linear', { out: 2 }))), [[2, 4]]);
    const tp = perturbedParams(two, 1);
    const zeros = [{ shape: [2, 4], data: new Float64Array(8) }];
    const ref = backendsAgree(two, f64, f64, tp, zeros, 1, tol);
    expect(ref.ok).toBe(true);
    const onA = (n: TypedPrim) => n.path.join('.').startsWith('a');
    const noise = (by: number): Backend<ReturnType<typeof f64.upload>> => {
      const bad = tampered(f64, 'linear', { dParam: (t, k) => (k === 'w' ? { shape: t.shape, data: t.data.map((v, i) => v + (i === 0 ? by : 0)) } : t) });
      return { ...f64, kernel: (p) => (p === 'linear' ? ({ ...f64.kernel(p)!, forward: f64.kernel(p)!.forward, backward: (n: TypedPrim, a: never, r: never, d: never) => (onA(n) ? bad : f64).kernel(p)!.backward(n, a, r, d) } as never) : f64.kernel(p)) } as Backend<ReturnType<typeof f64.upload>>;
    };
    // The node's gradient scale is about 1 here (bias gradients of sums of normals), so 1e-7 is well within 100 float32 roundings of it.
    expect(backendsAgree(two, noise(1e-7), f64, tp, zeros, 1, tol).ok).toBe(true);
    const far = backendsAgree(two, noise(1e-2), f64, tp, zeros, 1, tol);
    expect([far.ok, far.where]).toEqual([false, 'parameter gradient a.w']);
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
    // Without a tolerance the wasm one applies (rtol 2e-4, atol 2e-5): float32 passes it, an output off by 1e-3 does not.
    expect(modelLawFailures(m, 3, { plans: [], reference: f64, candidate: f32 }).failures).toEqual([]);
    expect(modelLawFailures(m, 3, { plans: [], reference: f64, candidate: tampered(f32, 'linear', { output: scaled(1 + 1e-3) }) }).failures.map((f) => f.law)).toEqual(['backend conformance']);
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
    expect(rep.failures.find((f) => f.law === 'backend conformance')!.detail).toMatch(/^js \(linear tampered\): (output|input gradient|parameter gradient) \S+: worst closeness [\d.e+-]+$/);
    expect(rep.failures.find((f) => f.law === 'predicted = measured memory')!.detail).toMatch(/^\{\} on js-f64 \(tanh tampered\): .*peak bytes/);
  });
  it('names plan invariance when one plan gives other values (an lse variant that differs)', () => {
    const term = prim('attention', { heads: 1, dk: 2, dv: 2, causal: true });
    const att = { string: 'att', term, inputs: [[2, 3, 4]], opts: {} };
    const wrongLse = tampered(f64, 'attention', { node: (n) => (n.variant === 'lse' ? { ...n, attrs: { ...(n.attrs as object), causal: false } } : n) });
    const rep = modelLawFailures(att, 1, { plans: [wrongLse], reference: f64 });
    expect(rep.failures).toContainEqual({ law: 'plan invariance', detail: `on ${wrongLse.name}` });
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
