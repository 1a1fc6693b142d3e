import { describe, expect, it } from 'vitest';
import { checkOrThrow, initParams, jsBackend, lowerOrThrow, rng } from '../src/index';
import { deltaNetClassifierBody, deltaNetLayer, deltaNetStateShape, withLoss } from '../src/models/deltanet';
import { checkParityModel, learningRate, loadBackend, parityBatch, trainParity } from '../examples/parity/parity';
import { vjpMatchesFiniteDifferences } from '../laws/gradient';

describe('DeltaNet layer and the parity demo (smoke)', () => {
  it('the layer is a checked term with the expected parameters, and its backward is the VJP (float64)', () => {
    const o = { width: 8, heads: 2, betaRange: '[0,2]' as const, algorithm: 'chunkwise' as const, chunk: 4 };
    const model = checkOrThrow(deltaNetLayer(o), [[2, 7, 8], deltaNetStateShape(2, o)]);
    expect(model.root.outputs).toEqual([[2, 7, 8], [2, 2, 4, 4]]);
    expect([...model.params.keys()].sort()).toEqual(['1.beta.b', '1.beta.w', '1.k.w', '1.q.w', '1.v.w', '3.0.norm.g', '3.0.out.w']);
    const be = jsBackend('float64');
    const r = rng(4);
    const inputs = [[2, 7, 8], [2, 2, 4, 4]].map((s) => ({ shape: s, data: Float64Array.from({ length: s.reduce((a, b) => a * b) }, () => r.normal()) }));
    const rep = vjpMatchesFiniteDifferences(lowerOrThrow(model, be), be, initParams(model, 1, 'float64'), inputs, 9, { rtol: 1e-5 });
    expect(rep.ok, rep.detail).toBe(true);
  });

  it('parity batches carry the right labels', () => {
    const { ids, labels } = parityBatch(rng(1), 5, 9);
    for (let b = 0; b < 5; b++) {
      let p = 0;
      for (let t = 0; t < 9; t++) p ^= ids.data[b * 9 + t]!;
      expect(labels.data[b]).toBe(p);
    }
  });

  it('a few training steps lower the loss and are deterministic for a fixed seed', () => {
    const opts = { steps: 12, seed: 3, batch: 8, lr: 1e-2, trainLengths: [3, 6] as const, evalLengths: 2, evalPerLength: 4, testLengths: [8, 12] as const };
    const a = trainParity('[0,2]', opts);
    const b = trainParity('[0,2]', opts);
    expect(a.losses).toEqual(b.losses);
    expect(a.trainAcc).toBe(b.trainAcc);
    const first = (a.losses[0]! + a.losses[1]! + a.losses[2]!) / 3;
    const last = (a.losses[9]! + a.losses[10]! + a.losses[11]!) / 3;
    expect(last).toBeLessThan(first);
  });

  it('the learning rate warms up linearly, then decays by a cosine to lr/100 (or stays constant)', () => {
    const o = { lr: 0.01, warmup: 10, steps: 110, schedule: 'cosine' as const };
    expect(learningRate(o, 0)).toBeCloseTo(0.001, 12);
    expect(learningRate(o, 9)).toBeCloseTo(0.01, 12);
    expect(learningRate(o, 10)).toBeCloseTo(0.01, 12);
    expect(learningRate(o, 60)).toBeCloseTo(0.01 * (0.01 + 0.99 * 0.5), 12);
    expect(learningRate(o, 109)).toBeGreaterThan(1e-4);
    expect(learningRate(o, 109)).toBeLessThan(1.1e-4);
    for (let i = 11; i < 110; i++) expect(learningRate(o, i)).toBeLessThanOrEqual(learningRate(o, i - 1));
    expect(learningRate({ lr: 0.01, steps: 110 }, 77)).toBe(0.01);
  });

  it('test accuracy is the mean over the per-length accuracies, and the model lowers on the JS backend', async () => {
    const r = trainParity('[0,2]', { steps: 2, seed: 1, batch: 4, trainLengths: [3, 5], testLengths: [6, 9], evalLengths: 4, evalPerLength: 5 });
    expect(r.testByLength.map((x) => x.length)).toEqual([6, 7, 8, 9]);
    expect(r.testAcc).toBeCloseTo(r.testByLength.reduce((s, x) => s + x.acc, 0) / 4, 12);
    expect(() => checkParityModel(jsBackend('float32'))).not.toThrow();
    await expect(loadBackend('js')).resolves.toBeDefined();
  });

  it('the demo runs on the wasm backend too (every primitive of the model has a wasm kernel)', async () => {
    const be = await loadBackend('wasm');
    expect(be.name).toBe('wasm');
    expect(() => checkParityModel(be)).not.toThrow();
    const o = { steps: 3, seed: 3, batch: 4, lr: 1e-2, trainLengths: [3, 6] as const, evalLengths: 2, evalPerLength: 4, testLengths: [8, 12] as const, backend: 'wasm' as const };
    const a = trainParity('[0,2]', o);
    expect(a.losses.every(Number.isFinite)).toBe(true);
    expect(trainParity('[0,2]', o).losses).toEqual(a.losses);
  });

  it('the loss model checks for any length with the same parameter paths', () => {
    const body = deltaNetClassifierBody({ width: 8, heads: 2, vocab: 2, classes: 2 });
    const keys = (T: number) => [...checkOrThrow(withLoss(body), [[4, T], deltaNetStateShape(4, { width: 8, heads: 2 }), [4]]).params.keys()].sort();
    expect(keys(3)).toEqual(keys(50));
  });
});
