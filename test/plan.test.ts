import { describe, expect, it } from 'vitest';
import * as E from 'fp-ts/lib/Either.js';
import { fc, test } from '@fast-check/vitest';
import { planDecompositionValid, plansAgree, planTwoCellValid } from '../laws/index';
import {
  checkOrThrow, flatResidual, initParams, jsBackend, lower, lowerOrThrow, named, planDecomposition, planTwoCell, prim, randn, recomputeAll,
  skip, residualElems, rng, seq, storeAll, SpecError, MissingKernelError,
} from '../src/index';
import { uploadAll } from '../src/backend/transfer';

const block = (i: number) => named(`b${i}`, skip(seq(prim('layernorm'), prim('linear', { out: 6 }), prim('gelu'))));
const term = seq(block(0), block(1), block(2), prim('linear', { out: 2 }));
const model = checkOrThrow(term, [[3, 6]]);
const be = jsBackend('float32');

const data = (seed: number) => ({
  params: initParams(model, seed),
  inputs: [randn([3, 6], rng(seed).fork('x'), 'float32')],
  dys: [randn([3, 2], rng(seed).fork('dy'), 'float32')],
});

const plans = [storeAll, recomputeAll, { remat: ['b0', 'b2'] }, { remat: ['b1', 'b1.1'] }, { remat: ['', 'b0'] }];

describe('plans', () => {
  test.prop([fc.integer({ min: 0, max: 1e6 })], { numRuns: 10 })('every plan gives bit-identical outputs and gradients', (seed) => {
    const { params, inputs, dys } = data(seed);
    expect(plansAgree(model, be, plans, params, inputs, dys)).toBe(true);
  });
  test.prop([fc.integer({ min: 0, max: 1e6 })], { numRuns: 10 })('the plan 2-cell satisfies T1 and T2', (seed) => {
    const { params, inputs, dys } = data(seed);
    for (const [s, t] of [[recomputeAll, storeAll], [{ remat: ['b0', 'b2'] }, { remat: ['b2'] }], [{ remat: ['', 'b1'] }, { remat: ['b1'] }]] as const) {
      const cell = planTwoCell(model, be, s, t);
      if (E.isLeft(cell)) throw cell.left;
      expect(planTwoCellValid(be, cell.right, params, inputs, dys)).toEqual({ t1: true, t2: true, differ: true });
    }
  });
  test.prop([fc.integer({ min: 0, max: 1e6 })], { numRuns: 5 })('a plan is a composite of 2-cells out of the all-recompute form', (seed) => {
    const { params, inputs, dys } = data(seed);
    for (const plan of [storeAll, { remat: ['b0', 'b2'] }, { remat: ['b1', 'b1.1'] }, { remat: ['b1'], variants: { 'b0.1.0.0': 'normalised' } }]) {
      const d = planDecomposition(model, be, plan);
      if (E.isLeft(d)) throw d.left;
      expect(d.right.plans[0]!.remat).toContain('');
      expect([...d.right.plans[d.right.plans.length - 1]!.remat!].sort()).toEqual([...(plan.remat ?? [])].sort());
      // One stored segment more per step.
      d.right.plans.slice(1).forEach((p, i) => expect(p.remat!.length).toBe(d.right.plans[i]!.remat!.length - 1));
      expect(planDecompositionValid(be, d.right, params, inputs, dys)).toEqual({ steps: true, vertical: true, differ: true });
    }
    const d = planDecomposition(model, be, { remat: ['b1'] });
    if (E.isLeft(d)) throw d.left;
    // Store the root's boundaries, then each top-level segment but b1, one at a time.
    const removed = d.right.plans.slice(1).map((p, i) => d.right.plans[i]!.remat!.find((k) => !p.remat!.includes(k)));
    expect(removed).toEqual(['', '3', 'b0', 'b2']);
    expect(d.right.plans[0]!.remat).toEqual(['', '3', 'b0', 'b1', 'b2']);
  });
  it('recomputation keeps less: the lens form keeps only the inputs', () => {
    const { params, inputs } = data(1);
    const p = uploadAll(be, params);
    const all = lowerOrThrow(model, be, storeAll).forward(p, inputs).residual;
    const lens = lowerOrThrow(model, be, recomputeAll).forward(p, inputs).residual;
    expect(Object.keys(flatResidual(lens))).toEqual(['@:in0']);
    expect(residualElems(be, lens)).toBe(18);
    expect(residualElems(be, all)).toBeGreaterThan(18 * 5);
  });
  it('a 2-cell only goes from recompute to store', () => {
    expect(E.isLeft(planTwoCell(model, be, storeAll, recomputeAll))).toBe(true);
    // Schedules stay fixed along a plan 2-cell.
    const other = planTwoCell(model, be, { schedules: { '': [[0, 1], 2, 3] } }, { schedules: { '': [0, [1, 2], 3] } });
    expect(E.isLeft(other) && other.left.message).toMatch(/<root>: the two plans give this seq different checkpoint schedules/);
  });
  it('inside a checkpoint schedule, taped stages and segments carry their own 2-cells', () => {
    const { params, inputs, dys } = data(3);
    const sched = { schedules: { '': [[0, 1], 2, 3] } };
    // b2 is a taped stage (lens ⇒ stored); b0 sits in a segment, where both plans keep only the input.
    for (const [s, t] of [[{ ...sched, remat: ['b2'] }, sched], [{ ...sched, remat: ['b0', 'b2'] }, { ...sched, remat: ['b0'] }]] as const) {
      const cell = planTwoCell(model, be, s, t);
      if (E.isLeft(cell)) throw cell.left;
      expect(planTwoCellValid(be, cell.right, params, inputs, dys)).toEqual({ t1: true, t2: true, differ: true });
    }
  });
  it('bad plans and missing kernels are clear errors', () => {
    const r = lower(model, be, { remat: ['b7'] });
    expect(E.isLeft(r) && r.left).toBeInstanceOf(SpecError);
    const v = lower(model, be, { variants: { 'b0.1.0.0': 'nope' } });
    expect(E.isLeft(v) && v.left.message).toMatch(/b0\.1\.0\.0 \(layernorm\): plan asks for variant 'nope'/);
    const empty = { ...be, name: 'empty', kernel: () => undefined };
    const m = lower(model, empty);
    expect(E.isLeft(m) && m.left).toBeInstanceOf(MissingKernelError);
    expect(E.isLeft(m) && m.left.message).toMatch(/backend 'empty' has no kernel for primitive 'copy' \(at b0\.0\)/);
  });
});
