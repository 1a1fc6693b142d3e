import { beforeAll, describe, expect, it } from 'vitest';
import { conforms, WASM_TOL, type ConformanceCase } from '../laws/index';
import { deltaShapes, variantsAgree } from '../laws/delta';
import { jsBackend, prim } from '../src/index';
import { initWasm, type WasmBackend } from '../backends/wasm/index';

/**
 * The wasm chunkwise (WY) delta rule at realistic chunk sizes (the shared conformance cases use
 * chunk 4): chunk 64 and 16 with a ragged last chunk, several heads and unequal d_k, d_v, against the
 * JS float64 chunkwise kernel, within the same tolerance as the conformance suite.
 */
const TOL = WASM_TOL;
const f64 = jsBackend('float64');
let wasm: WasmBackend;
beforeAll(async () => {
  wasm = await initWasm();
});

const cases: ConformanceCase[] = [
  { name: 'chunk 64, T 150, H 2, dk 16, dv 24', term: prim('delta_rule', { heads: 2, algorithm: 'chunkwise', chunk: 64 }), inputs: deltaShapes({ B: 2, T: 150, H: 2, dk: 16, dv: 24 }), variants: [{}, { '': 'chunk-states' }, { '': 'none' }] },
  { name: 'chunk 16, T 37, H 1, dk 33, dv 7', term: prim('delta_rule', { heads: 1, algorithm: 'chunkwise', chunk: 16, betaRange: '[0,2]' }), inputs: deltaShapes({ B: 1, T: 37, H: 1, dk: 33, dv: 7 }), variants: [{}, { '': 'chunk-states' }, { '': 'none' }] },
  { name: 'chunk larger than T', term: prim('delta_rule', { heads: 1, algorithm: 'chunkwise', chunk: 64 }), inputs: deltaShapes({ B: 1, T: 5, H: 1, dk: 4, dv: 4 }), variants: [{}, { '': 'chunk-states' }, { '': 'none' }] },
  { name: 'chunk 1', term: prim('delta_rule', { heads: 1, algorithm: 'chunkwise', chunk: 1 }), inputs: deltaShapes({ B: 1, T: 6, H: 1, dk: 4, dv: 5 }), variants: [{}, { '': 'chunk-states' }, { '': 'none' }] },
];

describe('wasm chunkwise delta rule', () => {
  for (const c of cases)
    for (const seed of [3, 99])
      it(`${c.name} (seed ${seed}) conforms to js float64`, () =>
        wasm.scope(() => {
          const rep = conforms(c, wasm, f64, seed, TOL);
          expect(rep.ok, `${rep.where}: ${rep.worst}`).toBe(true);
        }));
  it('residual variants agree at chunk 64 with a ragged last chunk', () =>
    wasm.scope(() => {
      const rep = variantsAgree(wasm, { B: 1, T: 100, H: 2, dk: 8, dv: 12 }, { heads: 2, algorithm: 'chunkwise', chunk: 64 }, 5, TOL);
      expect(rep.ok, rep.detail).toBe(true);
    }));
});
