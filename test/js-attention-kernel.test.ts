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
});
