import { describe, expect, it } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import * as E from 'fp-ts/lib/Either.js';
import { attentionAllocStats, attentionLseToProbs, resetAttentionAllocStats } from '../backends/js/kernels/attention';
import { attentionDef, attentionResidualShapes, attentionDims } from '../src/prims/attention';
import {
  attentionCases,
  attentionCausalPrefix,
  attentionPermutationEquivariant,
  attentionRowsSumToOne,
  attentionVariantsAgree,
  attentionWMatchesKQ,
  sampleKeyMask,
} from '../laws/attention';
import { conforms, F32_TOL, variantCellValid, vjpMatchesFiniteDifferences } from '../laws/index';
import { check, checkOrThrow, initParams, jsBackend, lowerOrThrow, prim, primNodeOrThrow, rng, randn, residualElems, flatResidual, type TypedPrim } from '../src/index';

const f64 = jsBackend('float64');
const f32 = jsBackend('float32');
const seedArb = fc.integer({ min: 0, max: 1_000_000 });

const inputsFor = (c: (typeof attentionCases)[number], seed: number) =>
  c.sample ? c.sample(seed) : c.inputs.map((s, i) => randn(s, rng(seed).fork(`x${i}`)));

const withVariant = (c: (typeof attentionCases)[number], variant: string) => ({ ...c.term, variant }) as typeof c.term;

describe('attention: shape rule', () => {
  it('names the attribute or input that is wrong', () => {
    const msg = (attrs: Record<string, unknown>, shapes: number[][]) => {
      const r = check(prim('attention', attrs), shapes);
      return E.isLeft(r) ? r.left.message : 'ok';
    };
    expect(msg({ heads: 2, dv: 3 }, [[4, 5]])).toMatch(/attention.*'dk'.*required/);
    expect(msg({ heads: 2, dk: 3 }, [[4, 5]])).toMatch(/'dv'/);
    expect(msg({ heads: 2, dk: 3, dv: 3, param: 'W' }, [[4, 5]])).toMatch(/'dk' is not used/);
    expect(msg({ heads: 1, dk: 3, dv: 3 }, [[5]])).toMatch(/x needs rank ≥ 2/);
    expect(msg({ heads: 1, dk: 3, dv: 3, cross: true, causal: true }, [[4, 5], [6, 5]])).toMatch(/causal.*Tq=4, Tk=6/);
    expect(msg({ heads: 1, dk: 3, dv: 3, cross: true }, [[2, 4, 5], [3, 6, 5]])).toMatch(/batch dimensions/);
    expect(msg({ heads: 1, dk: 3, dv: 3, mask: true }, [[2, 4, 5], [2, 5]])).toMatch(/mask must have shape \[2,4\]/);
    expect(msg({ heads: 1, param: 'W', values: false, dv: 2 }, [[4, 5]])).toMatch(/'dv' = 2 must equal/);
    expect(msg({ heads: 0, dk: 1, dv: 1 }, [[4, 5]])).toMatch(/heads/);
    expect(msg({ heads: 1, dk: 3, dv: 3, param: 'QK' }, [[4, 5]])).toMatch(/param/);
    expect(msg({ heads: 1, dk: 3, dv: 3 }, [[4, 5]])).toBe('ok');
  });

  it('rejects a mask that is not 0/1 with a clear error', () => {
    const model = checkOrThrow(prim('attention', { heads: 1, dk: 2, dv: 2, mask: true }), [[3, 4], [3]]);
    const prog = lowerOrThrow(model, f64);
    const ps = initParams(model, 1, 'float64');
    expect(() => prog.forward(ps, [randn([3, 4], rng(1)), { shape: [3], data: Float64Array.from([1, 0.5, 1]) }])).toThrow(
      /attention: mask entry 1 is 0.5/,
    );
  });
});

describe('attention: laws on the JS backend', () => {
  for (const c of attentionCases) {
    for (const variant of ['probs', 'lse']) {
      test.prop([seedArb], { numRuns: 3 })(`${c.name} [${variant}]: backward is the VJP (float64)`, (seed) => {
        const model = checkOrThrow(withVariant(c, variant), c.inputs);
        const rep = vjpMatchesFiniteDifferences(lowerOrThrow(model, f64), f64, initParams(model, seed, 'float64'), inputsFor(c, seed), seed);
        expect(rep.ok, rep.detail).toBe(true);
      });
    }
    test.prop([seedArb], { numRuns: 3 })(`${c.name}: 'probs' and 'lse' give bit-identical outputs and gradients`, (seed) => {
      const model = checkOrThrow(c.term, c.inputs);
      for (const be of [f64, f32]) {
        const params = initParams(model, seed, be.dtype);
        const dy = model.root.outputs.map((s) => randn(s, rng(seed).fork('dy')));
        expect(attentionVariantsAgree(model, be, params, inputsFor(c, seed), dy)).toBe(true);
      }
    });
    test.prop([seedArb], { numRuns: 3 })(`${c.name}: 2-cell r (lse ⇒ probs) satisfies T1 and T2 bit for bit`, (seed) => {
      const src = checkOrThrow(withVariant(c, 'lse'), c.inputs).root as TypedPrim;
      for (const be of [f64, f32]) {
        const params = initParams(checkOrThrow(c.term, c.inputs), seed, be.dtype);
        const dy = src.outputs.map((s) => randn(s, rng(seed).fork('dy')));
        const rep = variantCellValid(be, src, 'lse', 'probs', params, inputsFor(c, seed), dy);
        expect(rep).toEqual({ t1: true, t2: true, differ: true });
      }
    });
    test.prop([seedArb], { numRuns: 3 })(`${c.name}: rows of P sum to 1 (zero rows only where fully masked)`, (seed) => {
      const model = checkOrThrow(withVariant(c, 'probs'), c.inputs);
      const rep = attentionRowsSumToOne(f64, lowerOrThrow(model, f64), initParams(model, seed, 'float64'), inputsFor(c, seed), 1e-12);
      expect(rep.ok, JSON.stringify(rep)).toBe(true);
      // Only the mask cases have a batch whose keys are all padded: H·Tq zero rows there.
      const g = attentionDims(primNodeOrThrow(attentionDef, model.root as TypedPrim).attrs, c.inputs);
      if (typeof g === 'string') throw new Error(g);
      expect(rep.zeroRows).toBe(g.mask ? g.H * g.Tq : 0);
    });
    it(`${c.name}: float32 conforms to float64 (F32_TOL), both variants`, () => {
      const rep = conforms(c, f32, f64, 7, F32_TOL);
      expect(rep.ok, `${rep.where}: ${rep.worst}`).toBe(true);
    });
    it(`${c.name}: cost.residualElems equals what the kernel keeps, per variant`, () => {
      for (const variant of ['probs', 'lse']) {
        const model = checkOrThrow(withVariant(c, variant), c.inputs);
        const prog = lowerOrThrow(model, f64);
        const { residual } = prog.forward(initParams(model, 3, 'float64'), inputsFor(c, 3));
        const node = model.root as TypedPrim;
        expect(residualElems(f64, residual)).toBe(node.cost.residualElems);
        const g = attentionDims(primNodeOrThrow(attentionDef, node).attrs, node.inputs);
        if (typeof g === 'string') throw new Error(g);
        expect(Object.keys(flatResidual(residual)).map((k) => k.slice(1)).sort()).toEqual(Object.keys(attentionResidualShapes(g, variant)).sort());
      }
    });
  }

  test.prop([seedArb], { numRuns: 5 })('permuting tokens permutes the output (self-attention, no positions, with key mask)', (seed) => {
    const term = prim('attention', { heads: 2, dk: 3, dv: 2, mask: true, block: 3 });
    const model = checkOrThrow(term, [[2, 7, 4], [2, 7]]);
    const r = rng(seed).fork('perm');
    const perm = [0, 1, 2, 3, 4, 5, 6];
    for (let i = perm.length - 1; i > 0; i--) {
      const j = r.int(i + 1);
      [perm[i], perm[j]] = [perm[j]!, perm[i]!];
    }
    for (const variant of ['probs', 'lse']) {
      const prog = lowerOrThrow(model, f64, { variants: { '': variant } });
      const inputs = [randn([2, 7, 4], rng(seed).fork('x')), sampleKeyMask(2, 7, seed)];
      const rep = attentionPermutationEquivariant(f64, prog, initParams(model, seed, 'float64'), inputs, perm, { rtol: 1e-10, atol: 1e-12 }, 1);
      expect(rep.ok, String(rep.worst)).toBe(true);
    }
  });

  test.prop([seedArb, fc.integer({ min: 0, max: 8 })], { numRuns: 6 })('causal: output at t does not depend on inputs after t', (seed, t) => {
    for (const param of ['KQ', 'W'] as const) {
      const attrs = param === 'KQ' ? { heads: 2, dk: 3, dv: 2, causal: true, block: 4 } : { heads: 2, param, dv: 2, causal: true, block: 4 };
      const model = checkOrThrow(prim('attention', attrs), [[2, 9, 5]]);
      for (const variant of ['probs', 'lse']) {
        const prog = lowerOrThrow(model, f64, { variants: { '': variant } });
        const rep = attentionCausalPrefix(f64, prog, initParams(model, seed, 'float64'), randn([2, 9, 5], rng(seed).fork('x')), t, seed);
        expect(rep).toEqual({ ok: true, changedAfter: true });
      }
    }
  });

  test.prop([seedArb], { numRuns: 5 })('W and (K, Q) agree in the forward pass when W = scale · K Qᵀ', (seed) => {
    for (const cross of [false, true]) {
      const shapes = cross ? [[2, 4, 5], [2, 6, 3]] : [[2, 6, 5]];
      const kq = checkOrThrow(prim('attention', { heads: 2, dk: 3, dv: 2, cross }), shapes);
      const w = checkOrThrow(prim('attention', { heads: 2, param: 'W', dv: 2, cross }), shapes);
      const inputs = shapes.map((s, i) => randn(s, rng(seed).fork(`x${i}`)));
      const rep = attentionWMatchesKQ(f64, lowerOrThrow(kq, f64), lowerOrThrow(w, f64), initParams(kq, seed, 'float64'), 2, 1 / Math.sqrt(3), inputs, {
        rtol: 1e-10,
        atol: 1e-12,
      });
      expect(rep.ok, String(rep.worst)).toBe(true);
    }
  });

  it('a fully masked query row gives zeros, not NaN, forward and backward', () => {
    const model = checkOrThrow(prim('attention', { heads: 1, dk: 2, dv: 2, mask: true }), [[2, 3, 4], [2, 3]]);
    for (const variant of ['probs', 'lse']) {
      const prog = lowerOrThrow(model, f64, { variants: { '': variant } });
      const mask = { shape: [2, 3], data: Float64Array.from([1, 0, 1, 0, 0, 0]) };
      const { outputs, residual } = prog.forward(initParams(model, 2, 'float64'), [randn([2, 3, 4], rng(2)), mask]);
      const y = outputs[0]!.data;
      expect([...y].every(Number.isFinite)).toBe(true);
      expect([...y.subarray(12)].every((v) => v === 0)).toBe(true);
      expect([...y.subarray(0, 12)].some((v) => v !== 0)).toBe(true);
      const g = prog.backward(residual, [randn([2, 3, 4], rng(3))]);
      for (const t of [g.dInputs[0]!, ...Object.values(g.dParams)]) expect([...t.data].every(Number.isFinite)).toBe(true);
      expect(g.dInputs[1]).toBeNull();
    }
  });
});

describe("attention: 'lse' never allocates T×T (counted floats)", () => {
  // Total floats allocated by one forward + backward of the kernel (outputs, residual, gradients and
  // scratch; nothing is freed in between, so this bounds the peak).
  const measure = (T: number, variant: string) => {
    const model = checkOrThrow(prim('attention', { heads: 2, dk: 4, dv: 4, block: 16 }, { variant }), [[T, 8]]);
    const prog = lowerOrThrow(model, f32);
    const ps = initParams(model, 1, 'float32');
    resetAttentionAllocStats();
    const { residual } = prog.forward(ps, [randn([T, 8], rng(1), 'float32')]);
    const fwd = attentionAllocStats();
    resetAttentionAllocStats();
    prog.backward(residual, [randn([T, 8], rng(2), 'float32')]);
    const bwd = attentionAllocStats();
    return { fwd, bwd };
  };

  it('forward and backward totals grow linearly in T for lse, quadratically for probs', () => {
    const sizes = [64, 128, 256];
    const lse = sizes.map((T) => measure(T, 'lse'));
    const probs = sizes.map((T) => measure(T, 'probs'));
    for (let i = 1; i < sizes.length; i++) {
      // Doubling T at most doubles what 'lse' allocates, in forward and in backward separately.
      expect(lse[i]!.fwd.floats).toBeLessThanOrEqual(2 * lse[i - 1]!.fwd.floats);
      expect(lse[i]!.bwd.floats).toBeLessThanOrEqual(2 * lse[i - 1]!.bwd.floats);
      // The witness that the measure can tell: 'probs' more than triples (its H·T² term dominates).
      expect(probs[i]!.fwd.floats).toBeGreaterThan(3 * probs[i - 1]!.fwd.floats);
    }
    for (const [i, T] of sizes.entries()) {
      // No single array of 'lse' is as large as one head's T×T score matrix.
      expect(lse[i]!.fwd.largest).toBeLessThan(T * T);
      expect(lse[i]!.bwd.largest).toBeLessThan(T * T);
      expect(probs[i]!.fwd.largest).toBe(2 * T * T);
    }
  });

  it("'lse' allocation is O(T·d + block): linear in T with the expected slope", () => {
    const a = measure(128, 'lse');
    const b = measure(256, 'lse');
    // Slope per extra token in forward: q, k, v, o (H·dk = H·dv = 8 floats each), y (8), lse (H = 2);
    // the input x is the caller's. Scratch (a 16-float score block, a 4-float accumulator) is constant.
    expect((b.fwd.floats - a.fwd.floats) / 128).toBe(4 * 8 + 8 + 2);
    expect(a.fwd.floats - 128 * (4 * 8 + 8 + 2)).toBe(16 + 4);
  });
});
