import { describe, expect, it } from 'vitest';
import { checkOrThrow, initParams, jsBackend, lowerOrThrow, rng } from '../src/index';
import { deltaNetClassifierBody, deltaNetLayer, deltaNetStateShape, withLoss } from '../src/models/deltanet';
import { parityBatch, trainParity } from '../examples/parity/parity';
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

  it('the loss model checks for any length with the same parameter paths', () => {
    const body = deltaNetClassifierBody({ width: 8, heads: 2, vocab: 2, classes: 2 });
    const keys = (T: number) => [...checkOrThrow(withLoss(body), [[4, T], deltaNetStateShape(4, { width: 8, heads: 2 }), [4]]).params.keys()].sort();
    expect(keys(3)).toEqual(keys(50));
  });
});
