// Smoke test of examples/bidirectional: a lowered model composed with hand-written optics trains, and
// the optic laws hold on the composite (the full run is `npm run example:bidirectional`).
import { describe, expect, it } from 'vitest';
import { runBidirectional } from '../examples/bidirectional/bidirectional';
import { jsBackend } from '../src/index';
import { initWasm } from '../backends/wasm/index';

const allTrue = { t1: true, t2: true, residualsDiffer: true, getPut: true, putGet: true, putPut: true };

describe('examples/bidirectional', () => {
  it('trains on js and the laws hold on the composite', () => {
    const r = runBidirectional({ be: jsBackend('float32'), steps: 60, seed: 0 });
    expect(r.losses[59]!).toBeLessThan(r.losses[0]!);
    expect(r.laws).toEqual(allTrue);
  });
  it('the same composite on wasm', async () => {
    const be = await initWasm();
    const r = runBidirectional({ be, steps: 10, seed: 1 });
    expect(r.laws).toEqual(allTrue);
  });
});
