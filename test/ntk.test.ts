import { beforeAll, describe, expect, it } from 'vitest';
import * as E from 'fp-ts/lib/Either.js';
import { fc, test } from '@fast-check/vitest';
import {
  closedFormMatchesPerExample, ntkChunkingAgrees, ntkIsPsd, ntkMatchesJacobian, ntkPlanInvariant, ntkProperty,
} from '../laws/ntk';
import {
  type Backend, type HostTensor, type Plan, type Term, type TypedModel, applyPlanOrThrow, checkOrThrow, deltaNetLayer, deltaNetStateShape, discard, id,
  initParams, jsBackend, lowerOrThrow, ntk, ntkOrThrow, par, plannedPrims, prim, randn, recomputeAll, rng, seq, storeAll,
} from '../src/index';
import { initWasm, type WasmBackend } from '../backends/wasm/index';

/** A small model of each kind the NTK must handle, with plans whose residuals differ. */
interface Case {
  readonly name: string;
  readonly term: Term;
  readonly inputs: (n: number) => number[][];
  /** Plans whose residuals differ (lens forms, schedules, residual variants). */
  readonly plans: (m: TypedModel) => Plan[];
  /** Non-differentiable inputs are drawn by `sample`; everything else is standard normal. */
  readonly sample?: (shapes: number[][], seed: number) => HostTensor[];
}

const keyOfPrim = (m: TypedModel, name: string): string => plannedPrims(applyPlanOrThrow(m, {})).find((p) => p.node.def.name === name)!.key;

const cases: Case[] = [
  {
    name: 'MLP with layer norm',
    term: seq(prim('linear', { out: 5 }), prim('tanh'), prim('layernorm'), prim('linear', { out: 3 })),
    inputs: (n) => [[n, 3]],
    plans: () => [storeAll, recomputeAll, { remat: ['2'] }, { schedules: { '': [[0, 1], 2, [3]] } }],
  },
  {
    name: 'attention block (sequences of 4 tokens)',
    term: seq(prim('linear', { out: 8 }), prim('attention', { heads: 2, dk: 4, dv: 4, causal: true }), prim('layernorm'), prim('linear', { out: 2 })),
    inputs: (n) => [[n, 4, 6]],
    plans: () => [storeAll, { variants: { '1': 'lse' } }, recomputeAll, { remat: ['1', '2'] }],
  },
  {
    name: 'DeltaNet layer (delta rule, sequences of 3 steps)',
    term: seq(deltaNetLayer({ width: 4, heads: 2, algorithm: 'chunkwise', chunk: 2, betaRange: '[0,2]' }), par(id(1), discard())),
    inputs: (n) => [[n, 3, 4], deltaNetStateShape(n, { width: 4, heads: 2 })],
    plans: (m) => {
      const rule = keyOfPrim(m, 'delta_rule');
      return [storeAll, { variants: { [rule]: 'none' } }, { variants: { [rule]: 'chunk-states' }, remat: ['0.1'] }, { remat: [rule] }, recomputeAll];
    },
  },
];

const N = 3;
const sampleOf = (c: Case, m: TypedModel, seed: number) => ({
  params: initParams(m, seed, 'float64'),
  inputs: c.inputs(N).map((s, i) => randn(s, rng(seed).fork(`x${i}`))),
});

const f64 = jsBackend('float64');
const f32 = jsBackend('float32');
let wasm: WasmBackend;
beforeAll(async () => {
  wasm = await initWasm();
});

describe('the empirical NTK on the JS backend in float64', () => {
  for (const c of cases) {
    const m = checkOrThrow(c.term, c.inputs(N));
    for (const outputs of ['trace', 'full'] as const) {
      it(`${c.name} (${outputs}): K = J Jᵀ by finite differences, and K is PSD`, () => {
        const { params, inputs } = sampleOf(c, m, 1);
        const rep = ntkMatchesJacobian(m, f64, f64, params, inputs, { outputs });
        expect(rep.ok, rep.detail).toBe(true);
        const psd = ntkIsPsd(ntkOrThrow(lowerOrThrow(m, f64), params, inputs, { backend: f64, outputs }));
        expect(psd.ok, psd.detail).toBe(true);
      });
      it(`${c.name} (${outputs}): the closed forms equal the per-example VJPs within 1e-12`, () => {
        const { params, inputs } = sampleOf(c, m, 2);
        const rep = closedFormMatchesPerExample(m, f64, params, inputs, { outputs });
        expect(rep.ok, rep.detail).toBe(true);
      });
    }
    it(`${c.name}: every plan gives the same K, bit for bit`, () => {
      const { params, inputs } = sampleOf(c, m, 3);
      const rep = ntkPlanInvariant(m, f64, c.plans(m), params, inputs, { outputs: 'full' });
      expect(rep.ok, rep.detail).toBe(true);
    });
  }
  test.prop([fc.integer({ min: 0, max: 1_000_000 })], { numRuns: 3 })('MLP: K = J Jᵀ and PSD over random parameters and batches', (seed) => {
    const c = cases[0]!;
    const m = checkOrThrow(c.term, c.inputs(N));
    expect(fc.check(ntkProperty(m, f64, f64, (s) => sampleOf(c, m, s)), { numRuns: 1, seed }).failed).toBe(false);
  });
});

describe('the NTK under a memory budget', () => {
  const c = cases[1]!;
  const n = 5;
  const m = checkOrThrow(c.term, c.inputs(n));
  const params = initParams(m, 4, 'float64');
  const inputs = c.inputs(n).map((s, i) => randn(s, rng(4).fork(`x${i}`)));
  const whole = ntkOrThrow(lowerOrThrow(m, f64), params, inputs, { backend: f64, outputs: 'full' });
  it('keeps every factor and chunks the batch when the whole batch does not fit', () => {
    const rep = ntkChunkingAgrees(m, f64, params, inputs, whole.plannedBytes - 1, { outputs: 'full' });
    expect(rep.ok, rep.detail).toBe(true);
    expect(rep.strategy).toBe('chunked');
  });
  it('recomputes chunk factors when even the factors do not fit, under a recompute plan', () => {
    // Room for K, the parameters, two examples' factors and the whole batch's run, but not for every
    // example's factors.
    const { kernelBytes, paramBytes, factorBytesPerExample, chunkRunBytes } = whole.memory;
    expect(3 * factorBytesPerExample).toBeGreaterThan(chunkRunBytes);
    const budget = kernelBytes + paramBytes + 2 * factorBytesPerExample + chunkRunBytes;
    const rep = ntkChunkingAgrees(m, f64, params, inputs, budget, { outputs: 'full', plan: recomputeAll });
    expect(rep.ok, rep.detail).toBe(true);
    expect(rep.strategy).toBe('recompute');
  });
  it('refuses a budget that one example cannot fit, with the sizes', () => {
    const r = ntk(lowerOrThrow(m, f64), params, inputs, { backend: f64, budget: 1000 });
    expect(E.isLeft(r) && r.left.message).toMatch(/budget of 1000 bytes is too small: even one example at a time needs \d+ bytes/);
  });
});

describe('bad input names what is wrong', () => {
  const mlp = seq(prim('linear', { out: 4 }), prim('tanh'), prim('linear', { out: 2 }));
  const m = checkOrThrow(mlp, [[3, 2]]);
  const prog = lowerOrThrow(m, f64);
  const params = initParams(m, 0, 'float64');
  const x = randn([3, 2], rng(0));
  const msg = (r: E.Either<Error, unknown>) => (E.isLeft(r) ? r.left.message : 'no error');
  it('a loss averaged over the batch', () => {
    const loss = checkOrThrow(seq(par(mlp, id(1)), prim('softmax_xent')), [[3, 2], [3]]);
    expect(msg(ntk(lowerOrThrow(loss, f64), initParams(loss, 0, 'float64'), [x, randn([3], rng(1))], { backend: f64 }))).toMatch(/output 0 has shape \[\]/);
  });
  it('an input of the wrong shape, a missing parameter, another backend', () => {
    expect(msg(ntk(prog, params, [randn([3, 5], rng(0))], { backend: f64 }))).toMatch(/input 0 must have shape \[3,2\].*got \[3,5\]/);
    const { '0.w': _, ...rest } = params;
    expect(msg(ntk(prog, rest, [x], { backend: f64 }))).toMatch(/node 0\): missing parameter '0.w'/);
    expect(msg(ntk(prog, params, [x], { backend: f32 as unknown as Backend<HostTensor> }))).toMatch(/lowered for backend 'js-f64' but options.backend is 'js'/);
  });
  it('a non-finite kernel is an error, not a NaN', () => {
    const bad = { ...params, '0.w': { shape: [2, 4], data: new Float64Array(8).fill(NaN) } };
    expect(msg(ntk(prog, bad, [x], { backend: f64 }))).toMatch(/not finite/);
  });
  it('any batch size: the NTK of 7 examples from a program checked at 3', () => {
    const r = ntkOrThrow(prog, params, [randn([7, 2], rng(5))], { backend: f64 });
    expect(r.size).toBe(7);
  });
});

describe('the NTK in float32 (JS and wasm)', () => {
  for (const c of cases) {
    const m = checkOrThrow(c.term, c.inputs(N));
    for (const [name, be] of [['js float32', () => f32], ['wasm', () => wasm]] as const) {
      it(`${c.name} on ${name}: K = J Jᵀ (float64 reference), PSD, closed forms = per-example, plan invariance`, () => {
        const b = be() as Backend<unknown>;
        const { params, inputs } = sampleOf(c, m, 6);
        const rep = ntkMatchesJacobian(m, b, f64, params, inputs, { outputs: 'full' });
        expect(rep.ok, rep.detail).toBe(true);
        const psd = ntkIsPsd(ntkOrThrow(lowerOrThrow(m, b), params, inputs, { backend: b, outputs: 'full' }), 1e-5);
        expect(psd.ok, psd.detail).toBe(true);
        const cf = closedFormMatchesPerExample(m, b, params, inputs, { outputs: 'full', rtol: 1e-4 });
        expect(cf.ok, cf.detail).toBe(true);
        const inv = ntkPlanInvariant(m, b, c.plans(m), params, inputs);
        expect(inv.ok, inv.detail).toBe(true);
      });
    }
  }
});

describe('the NTK laws can fail', () => {
  it('the PSD law rejects an indefinite matrix and an asymmetric one', () => {
    expect(ntkIsPsd({ K: new Float64Array([1, 2, 2, 1]), size: 2 }).ok).toBe(false);
    expect(ntkIsPsd({ K: new Float64Array([2, 1, 1.5, 2]), size: 2 }).ok).toBe(false);
    expect(ntkIsPsd({ K: new Float64Array([2, 1, 1, 2]), size: 2 }).ok).toBe(true);
  });
});
