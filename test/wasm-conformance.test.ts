import { beforeAll, describe, expect, it } from 'vitest';
import { conformanceSuites, conforms, WASM_TOL } from '../laws/index';
import { variantsAgree } from '../laws/delta';
import { jsBackend } from '../src/index';
import { MissingKernelError } from '../src/backend/backend';
import { initWasm, type WasmBackend } from '../backends/wasm/index';

// The wasm backend computes in float32 (SIMD, with its own exp/tanh and summation order); the
// reference is the JS backend in float64, within WASM_TOL (laws/tolerance.ts, calibrated there).

/**
 * Conformance cases (and `kernel:NAME` primitives) the wasm backend does not pass, each with its
 * reason. A listed case is run and must still fail with a MissingKernelError, so a gap that closes
 * (or fails some other way) is noticed.
 */
export const expectedGaps: Readonly<Record<string, string>> = {
  // none at the moment: add `'case name': 'reason'` (or `'kernel:NAME'`) for a kernel not ported yet
};

const f64 = jsBackend('float64');
let wasm: WasmBackend;
beforeAll(async () => {
  wasm = await initWasm();
});

describe('wasm backend conforms to js float64', () => {
  for (const c of Object.values(conformanceSuites).flat()) {
    const gap = expectedGaps[c.name];
    if (gap) {
      it(`${c.name}: known gap — ${gap}`, () => {
        const m = wasm.mark();
        try {
          expect(() => conforms(c, wasm, f64, 7, WASM_TOL)).toThrow(MissingKernelError);
        } finally {
          wasm.resetTo(m);
        }
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
  for (const algorithm of ['recurrent', 'chunkwise'] as const)
    it(`delta_rule ${algorithm}: residual variants agree and keep exactly the predicted elements`, () =>
      wasm.scope(() => {
        const rep = variantsAgree(wasm, { B: 2, T: 11, H: 2, dk: 5, dv: 6 }, { heads: 2, algorithm, chunk: 4 }, 3, WASM_TOL);
        expect(rep.ok, rep.detail).toBe(true);
      }));
  it('has a kernel for every primitive the JS backend has (or lists the gap)', () => {
    const missing = f64.kernelNames().filter((k) => !wasm.kernelNames().includes(k) && !expectedGaps[`kernel:${k}`]);
    expect(missing).toEqual([]);
  });
});
