import { describe, expect, it } from 'vitest';
import { loweringIsFunctorial } from '../laws/functor';
import { uploadAll } from '../src/backend/transfer';
import { checkOrThrow, id, initParams, jsBackend, lowerOrThrow, par, prim, randn, rng, seq, type HostTensor } from '../src/index';

/**
 * A `seq` split at a wire of labels: the second part's backward gives `null` for the labels (they
 * carry no gradient), and that list is the first part's output cotangent. Programs take `null` there
 * as zeros, as every node inside a program does, so the split composes like the whole.
 */
const f64 = jsBackend('float64');
const a = par(prim('linear', { out: 3 }), id(1));
const b = prim('softmax_xent');
const inputs = [[4, 5], [4]];
const labels: HostTensor = { shape: [4], data: Float64Array.of(0, 2, 1, 2) };
const x = randn([4, 5], rng(1).fork('x'));

describe('a seq split at a wire of labels', () => {
  it('loweringIsFunctorial holds (outputs, residuals, input and parameter gradients)', () => {
    const whole = checkOrThrow(seq(a, b), inputs);
    const params = initParams(whole, 1, 'float64');
    const dy = [randn(whole.root.outputs[0]!, rng(1).fork('dy'))];
    expect(loweringIsFunctorial(f64, 'seq', a, b, inputs, {}, {}, params, [x, labels], dy)).toEqual({ outputs: true, residual: true, dInputs: true, dParams: true });
  });
  it('a null output cotangent is zeros; a null input is a clear error', () => {
    const ma = checkOrThrow(a, inputs);
    const p = lowerOrThrow(ma, f64);
    const ps = uploadAll(f64, initParams(ma, 2, 'float64'));
    const { residual } = p.forward(ps, [x, labels]);
    const dz = randn([4, 3], rng(2));
    const withNull = p.backward(residual, [dz, null]);
    const withZeros = p.backward(residual, [dz, f64.zeros([4])]);
    expect(Array.from(withNull.dInputs[0]!.data)).toEqual(Array.from(withZeros.dInputs[0]!.data));
    expect(Array.from(withNull.dParams['0.w']!.data)).toEqual(Array.from(withZeros.dParams['0.w']!.data));
    expect(() => p.forward(ps, [x, null as unknown as HostTensor])).toThrow('input 1: expected a tensor of shape [4], got null');
  });
});
