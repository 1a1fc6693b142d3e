import { beforeAll, describe, expect, it } from 'vitest';
import { adam, checkOrThrow, combineShards, id, initParams, lowerOrThrow, par, prim, randn, rng, seq, shardBatch, train, type Batch } from '../src/index';
import { initWasm, type WasmBackend } from '../backends/wasm/index';

/**
 * Data-parallel training (`train({ workers })`, src/train/parallel.ts): the same seed and worker count
 * give bit-identical losses, and the losses match single-thread training within float32 tolerance.
 * The bound: 5 Adam steps on a small MLP with an MSE loss. One thread and two differ only in how the
 * batch gradient is summed (two shard means weighted by rows/N against one mean), a few float32 ulps;
 * measured losses differed by at most 1.3e-7 relative, so the law allows 1e-5 relative per step.
 */
const term = seq(par(seq(prim('linear', { out: 16 }), prim('tanh'), prim('linear', { out: 1 })), id(1)), prim('mse'));
const B = 13; // shards of 7 and 6 with two workers
const batch = (step: number): Batch => {
  const x = randn([B, 4], rng(step).fork('x'), 'float32');
  const y = { shape: [B, 1], data: Float32Array.from({ length: B }, (_, i) => Math.sin(x.data[4 * i]! + 2 * x.data[4 * i + 1]!)) };
  return [x, y];
};
const model = checkOrThrow(term, [[B, 4], [B, 1]]);
const params = initParams(model, 3, 'float32');

let wasm: WasmBackend;
beforeAll(async () => {
  wasm = await initWasm();
});

const run = (workers: number) =>
  train({ program: lowerOrThrow(model, wasm), backend: wasm, optimizer: adam({ lr: 1e-2 }), params, steps: 5, batch, workers }).losses;

describe('data-parallel training', () => {
  it('shards a batch along its first axis, larger shards first, and refuses inputs without those rows', () => {
    const s = shardBatch(batch(0), 3);
    expect(s.map((x) => x.rows)).toEqual([5, 4, 4]);
    expect(s.map((x) => x.inputs[0]!.shape)).toEqual([[5, 4], [4, 4], [4, 4]]);
    expect(Array.from(s[1]!.inputs[1]!.data)).toEqual(Array.from(batch(0)[1]!.data.slice(5, 9)));
    expect(shardBatch(batch(0), 20)).toHaveLength(13);
    expect(() => shardBatch([batch(0)[0]!, { shape: [3], data: new Float32Array(3) }], 2)).toThrow(/input 1 has shape \[3\].*13 rows/);
  });

  it('combines shard gradients weighted by rows, in shard order', () => {
    const g = (v: number) => ({ w: { shape: [2], data: Float32Array.of(v, 2 * v) } });
    const c = combineShards([{ rows: 3, loss: 1, grads: g(1) }, { rows: 1, loss: 5, grads: g(5) }]);
    expect(c.loss).toBe(2);
    expect(Array.from(c.grads.w!.data)).toEqual([2, 4]);
  });

  it('two workers: bit-identical losses on a second run, and within 1e-5 of one thread', () => {
    const one = run(1);
    const two = run(2);
    expect(run(2)).toEqual(two);
    two.forEach((l, i) => expect(Math.abs(l - one[i]!) / one[i]!, `step ${i}: ${l} vs ${one[i]}`).toBeLessThan(1e-5));
    if (process.env.SHOW_DP) console.log(two.map((l, i) => Math.abs(l - one[i]!) / one[i]!));
  });
});
