import { describe, expect, it } from 'vitest';
import { checkOrThrow, initParams, jsBackend, lowerOrThrow, named, prim, randn, residualElems, rng, seq, skip, SpecError } from '../src/index';
import { type Plan, applyPlanOrThrow, costOf, simulate, sweepCache } from '../src/plan';
import { uploadAll } from '../src/backend/transfer';

// What `simulate` predicts beyond the peak law (laws/planner.ts compares peak, split at the peak,
// flops, calls and checkpoints with a metered run): the residual handed back after forward, the
// recomputed flops, element size, the planned-model and shared-cache paths, and bad plans.
const block = (i: number) => named(`b${i}`, skip(seq(prim('layernorm'), prim('linear', { out: 6 }), prim('gelu'))));
const model = checkOrThrow(seq(prim('linear', { out: 6 }), block(0), block(1), block(2), prim('linear', { out: 2 })), [[3, 4]]);
const plans: Plan[] = [
  {},
  { remat: [''] },
  { remat: ['b0', 'b2'] },
  { remat: ['b1', 'b1.1'] },
  { schedules: { '': [[0, 1], [2, [3]], 4] } },
  { schedules: { '': [0, [1, 2], 3, 4], 'b1.1.0': [[0, 1], 2] }, remat: ['b2'] },
];
const be = jsBackend('float32');

describe('simulate', () => {
  it('residualBytes is what a forward run hands back, for every plan', () => {
    const p = uploadAll(be, initParams(model, 1));
    const x = [randn([3, 4], rng(1).fork('x'), 'float32')];
    const got = plans.map((plan) => residualElems(be, lowerOrThrow(model, be, plan).forward(p, x).residual) * 4);
    expect(plans.map((plan) => simulate(model, plan, 4).residualBytes)).toEqual(got);
    // The plans keep different amounts, so a wrong plan's figure cannot match by accident.
    expect(new Set(got).size).toBe(got.length);
  });
  it('recomputeFlops is the forward flops past one run of every primitive', () => {
    const once = costOf(model).fwdFlops;
    expect(simulate(model, {}, 4).recomputeFlops).toBe(0);
    expect(simulate(model, { remat: [''] }, 4).recomputeFlops).toBe(once);
    for (const plan of plans) {
      const s = simulate(model, plan, 4);
      expect(s.recomputeFlops).toBe(s.fwdFlops - once);
      expect(s.flops).toBe(s.fwdFlops + s.bwdFlops);
    }
    // Under a variant the one-run flops are the variant's.
    const att = checkOrThrow(seq(named('a', prim('attention', { heads: 1, dk: 2, dv: 2 })), prim('tanh')), [[5, 4]]);
    const lse = simulate(att, { variants: { a: 'lse' } }, 4);
    expect(lse.recomputeFlops).toBe(0);
    expect(lse.fwdFlops).toBe(costOf(att, { variants: { a: 'lse' } }).fwdFlops);
    expect(simulate(att, { variants: { a: 'lse' }, remat: [''] }, 4).recomputeFlops).toBe(lse.fwdFlops);
  });
  it('bytes scale with the element size; flops and calls do not', () => {
    for (const plan of plans) {
      const [a, b] = [simulate(model, plan, 4), simulate(model, plan, 8)];
      expect([b.peakBytes, b.residualBytes, b.peakLive]).toEqual([2 * a.peakBytes, 2 * a.residualBytes, { residual: 2 * a.peakLive.residual, activation: 2 * a.peakLive.activation, gradient: 2 * a.peakLive.gradient }]);
      expect([b.fwdFlops, b.bwdFlops, b.maxCheckpoints, [...b.forwardCalls]]).toEqual([a.fwdFlops, a.bwdFlops, a.maxCheckpoints, [...a.forwardCalls]]);
    }
  });
  it('a planned model, a fresh simulation and one sharing a sweep cache agree', () => {
    const fields = (s: ReturnType<typeof simulate>) => [s.peakBytes, s.peakLive, s.fwdFlops, s.recomputeFlops, s.bwdFlops, s.residualBytes, s.maxCheckpoints, [...s.forwardCalls].sort()];
    const cache = sweepCache();
    for (const plan of [...plans, ...plans]) {
      const fresh = fields(simulate(model, plan, 4));
      expect(fields(simulate(applyPlanOrThrow(model, plan), plan, 4))).toEqual(fresh);
      expect(fields(simulate(model, plan, 4, cache))).toEqual(fresh);
    }
  });
  it('a plan that does not fit the model is a SpecError naming the node', () => {
    expect(() => simulate(model, { remat: ['b9'] }, 4)).toThrow(SpecError);
    expect(() => simulate(model, { remat: ['b9'] }, 4)).toThrow('b9: plan refers to a node that does not exist');
    expect(() => simulate(model, { schedules: { b0: [0, 2, 1] } }, 4)).toThrow('b0: bad checkpoint schedule: schedule leaves must be 0..2 in order, got [0,2,1]');
  });
});
