import { beforeAll, describe, expect, it } from 'vitest';
import { basicCases, conforms } from '../laws/index';
import { jsBackend } from '../src/index';
import { initWasm, type WasmBackend } from '../backends/wasm/index';

/**
 * The wasm backend computes in float32 (SIMD, with its own exp/tanh and summation order); the
 * reference is the JS backend in float64. Tolerance: |wasm − ref| ≤ atol + rtol·|ref|.
 */
export const WASM_TOL = { rtol: 2e-4, atol: 2e-5 };

/** Conformance cases the wasm backend does not pass, each with its reason. Empty: none. */
export const expectedGaps: Readonly<Record<string, string>> = {};

const f64 = jsBackend('float64');
let wasm: WasmBackend;
beforeAll(async () => {
  wasm = await initWasm();
});

describe('wasm backend conforms to js float64 on the basic cases', () => {
  for (const c of basicCases) {
    const gap = expectedGaps[c.name];
    if (gap) {
      it.fails(`${c.name}: known gap — ${gap}`, () => {
        const rep = conforms(c, wasm, f64, 7, WASM_TOL);
        expect(rep.ok).toBe(true);
      });
      continue;
    }
    for (const seed of [7, 1234]) {
      it(`${c.name} (seed ${seed}) within rtol ${WASM_TOL.rtol}, atol ${WASM_TOL.atol}`, () => {
        const m = wasm.mark();
        const rep = conforms(c, wasm, f64, seed, WASM_TOL);
        wasm.resetTo(m);
        expect(rep.ok, `${rep.where}: ${rep.worst}`).toBe(true);
      });
    }
  }
  it('has a kernel for every primitive the JS backend has (or lists the gap)', () => {
    const missing = f64.kernelNames().filter((k) => !wasm.kernelNames().includes(k) && !expectedGaps[`kernel:${k}`]);
    expect(missing).toEqual([]);
  });
});
