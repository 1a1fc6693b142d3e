import { describe, expect, it } from 'vitest';
import { checkOrThrow, named, prim, seq } from '../src/index';
import {
  type PlanPoint, applyPlanOrThrow, chooseWithin, costOf, frontierTable, planCandidates, plannedAt, revolveDepth, revolveSchedule, weightedRevolve,
} from '../src/plan';

// Corners of src/plan that survived a mutation run (CONTRIBUTING, "Runs of 2026-11-30"): slot-count
// edges, the weighted programme's tie-break, choice from an unsorted list, and small shape details.
const tanhChain = (k: number) => checkOrThrow(seq(...Array.from({ length: k }, () => prim('tanh'))), [[4, 8]]);
const slotsOf = (points: readonly PlanPoint[]) => points.filter((p) => p.slots !== undefined).map((p) => p.slots);
const upTo = (n: number) => Array.from({ length: n }, (_, i) => i + 1);
const pt = (peakBytes: number, flops: number, label: string): PlanPoint => ({ plan: {}, peakBytes, flops, recomputeFlops: 0, label });

describe('slot counts at their edges', () => {
  it('k − 1 is tried once: 16 steps, 17 steps, and 26 steps where the ×1.25 sequence meets k − 1', () => {
    expect(slotsOf(planCandidates(tanhChain(16)).points)).toEqual(upTo(15));
    expect(slotsOf(planCandidates(tanhChain(17)).points)).toEqual(upTo(16));
    expect(slotsOf(planCandidates(tanhChain(26)).points)).toEqual([...upTo(16), 20, 25]);
  });
  it('one slot on 257 steps nests exactly as deep as a plan may (256), so it is a candidate', () => {
    expect(revolveDepth(257, 1)).toBe(256);
    expect(slotsOf(planCandidates(tanhChain(257)).points)[0]).toBe(1);
  });
  it('an unequal chain longer than 17 steps handled exactly tries every count from 1 to k − 1', () => {
    const ws = Array.from({ length: 20 }, (_, i) => 1 + ((i * 7) % 5));
    const model = checkOrThrow(seq(...ws.map((w) => prim('linear', { out: w }))), [[2, 3]]);
    const r = planCandidates(model);
    expect(r.method).toBe('exact');
    expect(slotsOf(r.points)).toEqual(upTo(19));
  });
  it('only scheduled points carry a slot count', () => {
    const pts = planCandidates(tanhChain(4)).points;
    expect(pts.map((p) => Object.prototype.hasOwnProperty.call(p, 'slots'))).toEqual([false, false, true, true, true]);
  });
});

describe('weightedRevolve breaks ties at the first split', () => {
  it('four unit steps, two slots: splitting after 1 or after 2 both cost 4; the first is taken', () => {
    // T₂(4) = min(j=1: 1 + T₁(3) + T₂(1) = 1 + 3 + 0, j=2: 2 + T₁(2) + T₂(2) = 2 + 1 + 1, j=3: 3 + 0 + T₂(3) = 3 + 2) = 4.
    expect(weightedRevolve([1, 1, 1, 1], 2)).toEqual({ cost: 4, schedule: [[0], [[1], 2], 3] });
    // The same schedule as Revolve's on equal steps.
    expect(weightedRevolve([1, 1, 1, 1], 2).schedule).toEqual(revolveSchedule(4, 2));
  });
});

describe('choice and depth', () => {
  it('chooseWithin takes the least flops even when a later point has a smaller peak', () => {
    expect(chooseWithin([pt(20, 10, 'fast'), pt(10, 50, 'small')], 30)!.label).toBe('fast');
  });
  it('revolveDepth with a limit one below the depth, or two', () => {
    // One slot on 20 steps nests 19 deep.
    expect([revolveDepth(20, 1, 18), revolveDepth(20, 1, 17), revolveDepth(20, 1, 19)]).toEqual([19, 18, 19]);
  });
});

describe('small shapes', () => {
  const model = checkOrThrow(seq(named('att', prim('attention', { heads: 1, dk: 2, dv: 2 })), prim('tanh')), [[5, 4]]);
  it('plannedAt below a primitive is undefined (a primitive has no children to search)', () => {
    const pm = applyPlanOrThrow(model, {});
    expect(plannedAt(pm, 'att.0')).toBeUndefined();
    expect(plannedAt(pm, 'att')!.kind).toBe('prim');
  });
  it('a primitive in the cost tree has no children', () => {
    expect(costOf(model).children.map((c) => c.children)).toEqual([[], []]);
  });
  it('an empty frontier is a table of its header and rule', () => {
    expect(frontierTable([])).toBe('   peak  bytes  flops  recompute  plan\n-  ----  -----  -----  ---------  ----');
  });
});
