import { describe, expect, it } from 'vitest';
import * as E from 'fp-ts/lib/Either.js';
import { checkOrThrow, named, par, prim, seq } from '../src/index';
import {
  type PlanPoint, chooseWithin, findChain, paretoFrontier, planCandidates, planForBudget, revolveSchedule, weightedRevolve,
} from '../src/plan';
import { pathKey } from '../src/plan/plan';

// The planner's choices that the frontier laws do not pin: which chain, which slot counts, which
// variant sets, element size, and how points are filtered and chosen.
const pt = (peakBytes: number, flops: number, label = `${peakBytes}/${flops}`): PlanPoint => ({ plan: {}, peakBytes, flops, recomputeFlops: 0, label });
const tanhChain = (k: number) => checkOrThrow(seq(...Array.from({ length: k }, () => prim('tanh'))), [[4, 8]]);
const slotsOf = (points: readonly PlanPoint[]) => points.filter((p) => p.slots !== undefined).map((p) => p.slots);

describe('which seq is checkpointed', () => {
  const model = checkOrThrow(par(seq(prim('tanh')), seq(prim('tanh'), prim('tanh'))), [[2, 3], [2, 3]]);
  it('by default the first seq with two or more children, else the one named', () => {
    expect(findChain(model)?.path).toEqual(['1']);
    expect(findChain(model, '0')?.path).toEqual(['0']);
    expect(findChain(model, '')).toBeUndefined();
    expect(findChain(tanhChain(3))?.path).toEqual([]);
    expect(() => planCandidates(model, { chain: 'nope' })).toThrow("planner: no seq at 'nope' to checkpoint");
    expect(planCandidates(model, { chain: '1' }).method).toBe('uniform');
  });
  it('without a chain: store all and recompute all only', () => {
    const one = checkOrThrow(prim('tanh'), [[2, 3]]);
    const r = planCandidates(one);
    expect([r.method, r.points.map((p) => p.label)]).toEqual([null, ['store all', 'recompute all']]);
    expect(r.points.map((p) => p.plan)).toEqual([{}, { remat: [''] }]);
  });
});

describe('slot counts tried', () => {
  it('a short chain: every count from 1 to k − 1', () => {
    expect(slotsOf(planCandidates(tanhChain(20)).points)).toEqual([...Array.from({ length: 16 }, (_, i) => i + 1), 19]);
  });
  it('a long chain: all up to 16, then ×1.25 apart, then k − 1; none nesting deeper than a plan may', () => {
    const r = planCandidates(tanhChain(300));
    // s = 1 would nest 299 segments deep (the limit is 256).
    expect(slotsOf(r.points)).toEqual([...Array.from({ length: 15 }, (_, i) => i + 2), 20, 25, 32, 40, 50, 63, 79, 99, 124, 155, 194, 243, 299]);
    expect(r.points.find((p) => p.slots === 25)!.plan).toEqual({ schedules: { '': revolveSchedule(300, 25) } });
    expect(r.points.find((p) => p.slots === 25)!.label).toBe('revolve s=25');
  });
  it('unequal steps: the exact programme up to exactLimit steps, the binomial schedule by count past it', () => {
    const model = checkOrThrow(seq(...[4, 1, 9, 2, 2, 7, 1, 3].map((w) => prim('linear', { out: 2 + w }))), [[3, 2]]);
    const exact = planCandidates(model);
    const byCount = planCandidates(model, { exactLimit: 7 });
    expect([exact.method, planCandidates(model, { exactLimit: 8 }).method, byCount.method]).toEqual(['exact', 'exact', 'by-count']);
    expect(slotsOf(exact.points)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(slotsOf(byCount.points)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    const w = model.root.kind === 'seq' ? model.root.children.map((c) => (c.kind === 'prim' ? c.cost.fwdFlops : 0)) : [];
    for (const s of [2, 3]) {
      expect(exact.points.find((p) => p.slots === s)!.plan).toEqual({ schedules: { '': weightedRevolve(w, s).schedule } });
      expect(byCount.points.find((p) => p.slots === s)!.plan).toEqual({ schedules: { '': revolveSchedule(8, s) } });
    }
    // The two methods differ on these weights (else the test above could not tell them apart).
    expect(weightedRevolve(w, 2).schedule).not.toEqual(revolveSchedule(8, 2));
  });
  it('bytes per element scale every peak, not the flops', () => {
    const a = planCandidates(tanhChain(12)).points;
    const b = planCandidates(tanhChain(12), { bytesPerElem: 8 }).points;
    expect(b.map((p) => [p.label, p.peakBytes, p.flops])).toEqual(a.map((p) => [p.label, 2 * p.peakBytes, p.flops]));
  });
});

describe('variant choice sets', () => {
  const att = { heads: 1, dk: 2, dv: 2 };
  it('two variants: the defaults, then the one keeping least on every primitive that has a choice', () => {
    const model = checkOrThrow(seq(named('a', prim('attention', att)), named('b', prim('attention', att, { variant: 'lse' })), prim('tanh')), [[5, 4]]);
    const r = planCandidates(model);
    const lean = r.points.filter((p) => p.label.endsWith(', lean variants'));
    expect(lean.map((p) => p.label.replace(', lean variants', ''))).toEqual(['store all', 'recompute all', 'revolve s=1', 'revolve s=2']);
    // Only the node not already on its leanest variant is named.
    for (const p of lean) expect(p.plan.variants).toEqual({ a: 'lse' });
    expect(r.points.filter((p) => p.plan.variants !== undefined)).toEqual(lean);
    // Nothing to gain: no lean set.
    const leanAlready = checkOrThrow(seq(prim('attention', att, { variant: 'lse' }), prim('tanh')), [[5, 4]]);
    expect(planCandidates(leanAlready).points.map((p) => p.label)).toEqual(['store all', 'recompute all', 'revolve s=1']);
  });
  it('three or more variants: each variant on every node of that primitive is a set of its own', () => {
    const d = (v?: string) => prim('delta_rule', { heads: 1, chunk: 2 }, v ? { variant: v } : {});
    const ins = [[1, 4, 2], [1, 4, 2], [1, 4, 2], [1, 4, 1], [1, 1, 2, 2]];
    const labels = (m: ReturnType<typeof checkOrThrow>) => planCandidates(m).points.map((p) => `${p.label} ${JSON.stringify(p.plan.variants ?? {})}`);
    expect(labels(checkOrThrow(d(), ins))).toEqual([
      'store all {}',
      'recompute all {}',
      'store all, lean variants {"":"none"}',
      'recompute all, lean variants {"":"none"}',
      'store all, delta_rule chunk-states {"":"chunk-states"}',
      'recompute all, delta_rule chunk-states {"":"chunk-states"}',
    ]);
    // Two delta rules side by side, on different variants: each variant is tried on both.
    const two = checkOrThrow(par(d('all-states'), d('chunk-states')), [...ins, ...ins]);
    expect(labels(two).filter((l) => l.startsWith('store all'))).toEqual([
      'store all {}',
      'store all, lean variants {"0":"none","1":"none"}',
      'store all, delta_rule all-states {"0":"all-states","1":"all-states"}',
      'store all, delta_rule chunk-states {"0":"chunk-states","1":"chunk-states"}',
    ]);
    expect(pathKey(['0'])).toBe('0');
  });
});

describe('frontier and choice', () => {
  it('the Pareto frontier keeps, by peak, the points that need strictly fewer flops', () => {
    const f = paretoFrontier([pt(30, 10), pt(10, 50), pt(20, 50), pt(10, 40), pt(25, 40), pt(40, 10), pt(35, 5)]);
    expect(f.map((p) => p.label)).toEqual(['10/40', '30/10', '35/5']);
  });
  it('the least-flops point within the budget, ties to the least peak; none when nothing fits', () => {
    const f = [pt(10, 50), pt(20, 30, 'b'), pt(15, 30, 'a'), pt(30, 10)];
    expect(chooseWithin(f, 9)).toBeUndefined();
    expect(chooseWithin(f, 10)!.label).toBe('10/50');
    expect(chooseWithin(f, 20)!.label).toBe('a');
    expect(chooseWithin([f[2]!, f[1]!], 20)!.label).toBe('a');
    expect(chooseWithin(f, 30)!.label).toBe('30/10');
  });
  it('a budget below every plan names the least peak and its plan', () => {
    const r = planForBudget(tanhChain(5), 10);
    expect(E.isLeft(r) && r.left).toBeInstanceOf(RangeError);
    expect(E.isLeft(r) && r.left.message).toMatch(/^planner: no plan fits in 10 bytes; the least peak reachable is \d+ bytes \(revolve s=1\)$/);
    const ok = planForBudget(tanhChain(5), 1e9);
    expect(E.isRight(ok) && [ok.right.method, ok.right.chosen.label]).toEqual(['uniform', 'store all']);
  });
  it('weightedRevolve: one step needs no slot; more steps with no slot are an error', () => {
    expect(weightedRevolve([5], 0)).toEqual({ cost: 0, schedule: [0] });
    expect(() => weightedRevolve([1, 2, 3], 0)).toThrow('weightedRevolve: 3 steps cannot be reversed with 0 slot(s)');
    // Two slots on [1, 9, 1]: T = min(split at 1: 1 + T([9, 1], 1) = 1 + 9, split at 2: 10 + T([1, 9], 2) = 10 + 1) = 10.
    expect(weightedRevolve([1, 9, 1], 2)).toEqual({ cost: 10, schedule: [[0], [1], 2] });
  });
});
