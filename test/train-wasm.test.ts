import { describe, expect, it } from 'vitest';
import { checkOrThrow, id, initParams, lossAndGrad, lowerOrThrow, par, prim, seq } from '../src/index';
import { initWasm, wasmBackend } from '../backends/wasm/index';
import { twoSpirals } from '../src/tasks/spirals';

describe('training on the wasm backend', () => {
  it('a training step frees what it allocated: memory stays flat over many steps', async () => {
    await initWasm();
    const be = wasmBackend();
    const { x, y } = twoSpirals(32, 1);
    const model = checkOrThrow(seq(par(seq(prim('linear', { out: 16 }), prim('tanh'), prim('linear', { out: 2 })), id(1)), prim('softmax_xent')), [x.shape, y.shape]);
    const prog = lowerOrThrow(model, be);
    const params = initParams(model, 3);
    lossAndGrad(prog, be, params, [x, y]);
    const before = be.runtime.liveBytes;
    let last = 0;
    for (let i = 0; i < 200; i++) last = lossAndGrad(prog, be, params, [x, y]).loss;
    expect(be.runtime.liveBytes).toBe(before);
    expect(Number.isFinite(last)).toBe(true);
  });
});
