import { beforeAll, describe, expect, it } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import * as E from 'fp-ts/lib/Either.js';
import { backwardIsLinear, conforms, F32_TOL, vjpMatchesFiniteDifferences } from '../laws/index';
import {
  noneKeepsConstantState,
  outerMemoryInputs,
  outerMemoryMatchesSum,
  outerMemoryShapes,
  outerMemoryVariantsAgree,
  pmiCases,
  topkTiesToLowerIndex,
  topkVjpAwayFromTies,
} from '../laws/pmi';
import { check, checkOrThrow, jsBackend, lowerOrThrow, prim, randn, rng } from '../src/index';
import { ORT_TOL, ortPlansAgree, ortTwoCellValid } from '../laws/ort';
import { loadOrt, twoCellToOnnx } from '../src/onnx/index';
import type { Plan } from '../src/plan/plan';
import { topkIndices } from '../backends/js/kernels/pmi';
import { initWasm, type WasmBackend } from '../backends/wasm/index';

const f64 = jsBackend('float64');
const f32 = jsBackend('float32');
const seeds = fc.integer({ min: 0, max: 1_000_000 });

describe('outer_memory laws (JS backend)', () => {
  for (const variant of ['all-states', 'chunk-states', 'none'])
    test.prop([seeds], { numRuns: 2 })(`backward is the VJP (finite differences), ${variant}`, (seed) => {
      const d = { B: 2, T: 9, H: 2, dk: 3, dv: 2 };
      const prog = lowerOrThrow(checkOrThrow(prim('outer_memory', { heads: 2, chunk: 4 }, { variant }), outerMemoryShapes(d)), f64);
      const inputs = outerMemoryInputs(d, seed);
      const rep = vjpMatchesFiniteDifferences(prog, f64, {}, inputs, seed);
      expect(rep.ok, rep.detail).toBe(true);
      expect(backwardIsLinear(prog, f64, {}, inputs, seed).ok).toBe(true);
    });

  test.prop([seeds], { numRuns: 3 })('equals M_0 + Σ k vᵀ read by q at every step', (seed) => {
    const rep = outerMemoryMatchesSum(f64, { B: 2, T: 6, H: 2, dk: 3, dv: 2 }, seed);
    expect(rep.ok, rep.detail).toBe(true);
  });

  test.prop([seeds, fc.integer({ min: 1, max: 12 })], { numRuns: 4 })('every residual variant: same outputs and gradients bit for bit (float64), cost = kept', (seed, chunk) => {
    const rep = outerMemoryVariantsAgree(f64, { B: 2, T: 11, H: 2, dk: 3, dv: 4 }, chunk, seed);
    expect(rep.ok, rep.detail).toBe(true);
  });

  it('float32, T = 300: every residual variant gives the same outputs and gradients bit for bit', () => {
    const rep = outerMemoryVariantsAgree(f32, { B: 1, T: 300, H: 1, dk: 8, dv: 8 }, 16, 5);
    expect(rep.ok, rep.detail).toBe(true);
  });

  it('none keeps one state per head whatever T (all-states keeps T)', () => {
    const rep = noneKeepsConstantState(f32, { B: 2, H: 2, dk: 4, dv: 3 }, [4, 32, 128], 8);
    expect(rep.ok, rep.detail).toBe(true);
  });
});

describe('topk_write laws (JS backend)', () => {
  test.prop([seeds, fc.integer({ min: 1, max: 6 })], { numRuns: 6 })('backward is the VJP away from ties', (seed, K) => {
    const rep = topkVjpAwayFromTies(f64, { B: 2, S: 3, N: 6, H: 2, dk: 3, dv: 2 }, K, seed);
    expect(rep.ok, rep.detail).toBe(true);
  });

  test.prop([seeds, fc.integer({ min: 1, max: 6 })], { numRuns: 4 })('ties go to the lower index', (seed, K) => {
    const rep = topkTiesToLowerIndex(f64, K, 5, seed);
    expect(rep.ok, rep.detail).toBe(true);
  });

  it('selection order: score descending, index ascending', () => {
    const idx = new Int32Array(3);
    topkIndices([0.5, 2, 0.5, 2, 1], 5, 3, idx);
    expect([...idx]).toEqual([1, 3, 4]);
    topkIndices([1, 1, 1, 1], 4, 3, idx);
    expect([...idx]).toEqual([0, 1, 2]);
    topkIndices([0, 3, 1, 3, 3], 5, 3, idx);
    expect([...idx]).toEqual([1, 3, 4]);
  });
});

describe('PMI primitives conformance: float32 agrees with float64', () => {
  for (const c of pmiCases)
    it(c.name, () => {
      {
        const rep = conforms(c, f32, f64, 11, F32_TOL);
        expect(rep.ok, `${rep.where}: ${rep.worst}`).toBe(true);
      }
    });
});

describe('PMI primitive shape errors name the input', () => {
  const msg = (name: string, shapes: number[][], attrs: Record<string, unknown>) => {
    const r = check(prim(name, attrs), shapes);
    return E.isLeft(r) ? r.left.message : 'ok';
  };
  const good = outerMemoryShapes({ B: 2, T: 5, H: 2, dk: 3, dv: 4 }) as number[][];
  it('outer_memory accepts good shapes', () => expect(msg('outer_memory', good, { heads: 2 })).toBe('ok'));
  it('outer_memory initial memory', () => expect(msg('outer_memory', [...good.slice(0, 3), [2, 2, 4, 3]], { heads: 2 })).toMatch(/outer_memory.*initial memory must be \[2,2,3,4\]/));
  it('outer_memory heads', () => expect(msg('outer_memory', good, { heads: 4 })).toMatch(/divisible by heads=4/));
  it('topk_write keys and values', () => expect(msg('topk_write', [[2, 3, 4], [2, 5, 4], [2, 6, 2]], { heads: 1, k: 2 })).toMatch(/topk_write.*k has 5 keys but v has 6/));
  it('topk_write k must be positive', () => expect(msg('topk_write', [[2, 3, 4], [2, 5, 4], [2, 5, 2]], { heads: 1, k: 0 })).toMatch(/topk_write.*k/));
});

describe('PMI primitives on wasm', () => {
  let wasm: WasmBackend;
  beforeAll(async () => {
    wasm = await initWasm();
  });
  it('outer_memory, T = 300: every residual variant gives the same outputs and gradients bit for bit', () => {
    const rep = wasm.scope(() => outerMemoryVariantsAgree(wasm, { B: 1, T: 300, H: 2, dk: 8, dv: 4 }, 16, 5));
    expect(rep.ok, rep.detail).toBe(true);
  });
  it('outer_memory none keeps one state per head whatever T', () => {
    const rep = wasm.scope(() => noneKeepsConstantState(wasm, { B: 2, H: 2, dk: 4, dv: 3 }, [4, 32, 128], 8));
    expect(rep.ok, rep.detail).toBe(true);
  });
  it('topk_write ties go to the lower index', () => {
    for (const K of [1, 3, 5]) {
      const rep = wasm.scope(() => topkTiesToLowerIndex(wasm, K, 5, 3, 1e-6));
      expect(rep.ok, rep.detail).toBe(true);
    }
  });
});

// onnxruntime (when it loads): the exported outer-product memory's variants and their 2-cells.
const ort = await loadOrt();
describe.skipIf(ort instanceof Error)('outer_memory variants on ort', () => {
  const d = { B: 2, T: 10, H: 2, dk: 3, dv: 4 };
  const m = checkOrThrow(prim('outer_memory', { heads: 2, chunk: 4 }), outerMemoryShapes(d));
  const xs = outerMemoryInputs(d, 11);
  const dOut = m.root.outputs.map((sh, i) => randn(sh, rng(11).fork(`dy${i}`)));
  const vplans: Plan[] = ['all-states', 'chunk-states', 'none'].map((v) => ({ variants: { '': v } }));
  it('every variant gives the same outputs and gradients bit for bit and keeps what it says', async () => {
    const rep = await ortPlansAgree(m, vplans, f64, {}, xs, dOut, ORT_TOL);
    expect(rep.layoutsMatch, rep.where).toBe(true);
    expect(rep.ok && rep.bitIdentical, `${rep.where}: ${rep.worst}`).toBe(true);
    expect(new Set(rep.residualElems).size).toBe(3);
  });
  for (const [a, b] of [[2, 1], [1, 0], [2, 0]] as const)
    it(`the exported r of ${vplans[a]!.variants!['']} ⇒ ${vplans[b]!.variants!['']} satisfies T1/T2 bit for bit`, async () => {
      const cell = twoCellToOnnx(m, vplans[a]!, vplans[b]!);
      if (E.isLeft(cell)) throw cell.left;
      const rep = await ortTwoCellValid(cell.right, m, {}, xs, dOut, ORT_TOL);
      expect(rep.differ).toBe(true);
      expect(rep.t1 && rep.t2 && rep.exact, `${rep.where}: ${rep.worst}`).toBe(true);
    });
});
