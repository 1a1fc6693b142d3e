import { describe, expect, it } from 'vitest';
import { attention, attentionLseToProbs } from '../backends/js/kernels/attention';
import { attentionDef } from '../src/prims/attention';
import { vjpMatchesFiniteDifferences } from '../laws/index';
import { checkOrThrow, initParams, jsBackend, lowerOrThrow, prim, primNodeOrThrow, randn, rng, type TypedPrim } from '../src/index';

/**
 * The JS attention kernel called directly: its errors (an unchecked node, a residual without lse),
 * and gradients where attention saturates on one key (the kernel's "heavy key" path, which the
 * law cases with small random weights rarely take).
 */
const f64 = jsBackend('float64');
const nodeOf = (attrs: Record<string, unknown>, shapes: number[][], variant = 'lse') =>
  primNodeOrThrow(attentionDef, checkOrThrow(prim('attention', attrs, { variant }), shapes).root as TypedPrim);

describe('JS attention kernel, directly', () => {
  it('an unchecked node is an error from the shape rule, prefixed attention:', () => {
    const n = nodeOf({ heads: 1, dk: 2, dv: 2 }, [[3, 4]]);
    const bad = { ...n, inputs: [[3, 4], [3, 4]] } as typeof n;
    expect(() => attention.forward(bad, {}, [])).toThrow('attention: expects 1 input(s) (x), got 2');
  });
  it("attentionLseToProbs names the residual it was given when 'lse' is missing", () => {
    const n = nodeOf({ heads: 1, dk: 2, dv: 2 }, [[3, 4]], 'probs');
    const model = checkOrThrow(prim('attention', { heads: 1, dk: 2, dv: 2 }, { variant: 'probs' }), [[3, 4]]);
    const ps = initParams(model, 1, 'float64');
    const { residual } = attention.forward(n, ps, [randn([3, 4], rng(1))]);
    expect(() => attentionLseToProbs(n as unknown as TypedPrim, residual)).toThrow(
      `attention: attentionLseToProbs needs an 'lse' residual (it has ${Object.keys(residual).join(', ')})`,
    );
    expect(Object.keys(residual)).toContain('p');
  });
  it('saturated attention (one key holds P > 1/2, at the first key and elsewhere): backward is still the VJP', () => {
    // scale 6 on unit-variance scores: most rows have one key with P > 1/2, including u = 0.
    for (const variant of ['lse', 'probs']) {
      for (const causal of [false, true]) {
        const model = checkOrThrow(prim('attention', { heads: 2, dk: 2, dv: 2, scale: 6, causal, block: 2 }, { variant }), [[2, 5, 3]]);
        for (const seed of [3, 4]) {
          const rep = vjpMatchesFiniteDifferences(lowerOrThrow(model, f64), f64, initParams(model, seed, 'float64'), [randn([2, 5, 3], rng(seed).fork('x'))], seed);
          expect(rep.ok, `${variant} causal=${causal} seed ${seed}: ${rep.detail}`).toBe(true);
        }
      }
    }
  });
  it('self-attention whose keys or values are the raw tokens (W form, values: false): backward is the VJP', () => {
    // x feeds queries and keys/values, so the key/value gradients land in the same buffer as dx.
    for (const attrs of [{ heads: 2, param: 'W', dv: 3 }, { heads: 1, dk: 2, values: false }]) {
      const model = checkOrThrow(prim('attention', attrs), [[2, 4, 3]]);
      const rep = vjpMatchesFiniteDifferences(lowerOrThrow(model, f64), f64, initParams(model, 5, 'float64'), [randn([2, 4, 3], rng(5))], 5);
      expect(rep.ok, `${JSON.stringify(attrs)}: ${rep.detail}`).toBe(true);
    }
  });
  it('a key mask applies per batch element: batch 1 alone gives the same rows; a fully masked row keeps lse = −∞', () => {
    const attrs = { heads: 1, dk: 2, dv: 2, mask: true, project: false };
    const n2 = nodeOf(attrs, [[2, 3, 4], [2, 3]]);
    const n1 = nodeOf(attrs, [[1, 3, 4], [1, 3]]);
    const ps = initParams(checkOrThrow(prim('attention', attrs), [[2, 3, 4], [2, 3]]), 7, 'float64');
    const x = randn([2, 3, 4], rng(7));
    const both = attention.forward(n2, ps, [x, { shape: [2, 3], data: Float64Array.of(0, 0, 0, 0, 1, 1) }]);
    const one = attention.forward(n1, ps, [{ shape: [1, 3, 4], data: x.data.slice(12) }, { shape: [1, 3], data: Float64Array.of(0, 1, 1) }]);
    expect([...both.outputs[0]!.data.slice(6)]).toEqual([...one.outputs[0]!.data]);
    expect([...one.outputs[0]!.data].some((v) => v !== 0)).toBe(true);
    expect([...both.residual.lse!.data.slice(0, 3)]).toEqual([-Infinity, -Infinity, -Infinity]);
    // One input gradient per input: x, then null for the mask; without a mask, only x.
    expect(attention.backward(n2, ps, both.residual, [randn([2, 3, 2], rng(8))]).dInputs.length).toBe(2);
    const n0 = nodeOf({ heads: 1, dk: 2, dv: 2 }, [[3, 4]]);
    const p0 = initParams(checkOrThrow(prim('attention', { heads: 1, dk: 2, dv: 2 }), [[3, 4]]), 7, 'float64');
    const f0 = attention.forward(n0, p0, [randn([3, 4], rng(9))]);
    expect(attention.backward(n0, p0, f0.residual, [randn(n0.outputs[0]!, rng(10))]).dInputs.length).toBe(1);
  });
  it("causal 'probs' keeps P = 0 above the diagonal, equal to r of the 'lse' residual", () => {
    const attrs = { heads: 2, dk: 2, dv: 2, causal: true, block: 2 };
    const model = checkOrThrow(prim('attention', attrs), [[5, 3]]);
    const ps = initParams(model, 11, 'float64');
    const x = randn([5, 3], rng(11));
    const probs = attention.forward(nodeOf(attrs, [[5, 3]], 'probs'), ps, [x]).residual.p!;
    const lse = attention.forward(nodeOf(attrs, [[5, 3]], 'lse'), ps, [x]).residual;
    for (let h = 0; h < 2; h++) for (let t = 0; t < 5; t++) for (let u = t + 1; u < 5; u++) expect(probs.data[(h * 5 + t) * 5 + u]).toBe(0);
    expect([...probs.data]).toEqual([...attentionLseToProbs(nodeOf(attrs, [[5, 3]], 'lse') as unknown as TypedPrim, lse).p!.data]);
  });
});
