import { describe, expect, it } from 'vitest';
import * as E from 'fp-ts/lib/Either.js';
import { check, checkOrThrow, initParams, jsBackend, lowerOrThrow, prim, seq, par, id, tensor } from '../src/index';

describe('smoke', () => {
  it('checks, lowers and runs an MLP with a loss', () => {
    const mlp = seq(prim('linear', { out: 8 }), prim('tanh'), prim('linear', { out: 3 }));
    const model = checkOrThrow(seq(par(mlp, id(1)), prim('softmax_xent')), [[4, 2], [4]]);
    const be = jsBackend('float64');
    const prog = lowerOrThrow(model, be);
    const params = Object.fromEntries(Object.entries(initParams(model, 1, 'float64')).map(([k, v]) => [k, be.upload(v)]));
    const { outputs, residual } = prog.forward(params, [tensor([4, 2], [1, 2, 3, 4, 5, 6, 7, 8], 'float64'), tensor([4], [0, 1, 2, 1], 'float64')]);
    expect(outputs[0]!.shape).toEqual([]);
    const { dParams } = prog.backward(residual, [tensor([], [1], 'float64')]);
    expect(Object.keys(dParams).sort()).toEqual(['0.0.0.b', '0.0.0.w', '0.0.2.b', '0.0.2.w']);
  });
  it('names the node of a shape error', () => {
    const r = check(seq(prim('linear', { out: 8 }), prim('add')), [[4, 2]]);
    expect(E.isLeft(r) && r.left.message).toMatch(/^1 \(add\)/);
  });
});
