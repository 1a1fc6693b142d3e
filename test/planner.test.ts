import { describe, expect, it } from 'vitest';
import * as E from 'fp-ts/lib/Either.js';
import { fc, test } from '@fast-check/vitest';
import {
  chainRunMatchesRevolve, choiceWithinBudget, isParetoFrontier, moreBudgetNoMoreFlops, peakMatches, revolveDisagreement,
} from '../laws/planner';
import { plansAgree } from '../laws/plan';
import { checkOrThrow, initParams, jsBackend, named, prim, randn, skip, rng, seq } from '../src/index';
import {
  planForBudget, planFrontier, revolveCost, revolveSchedule, scheduleRecomputations, simulate, weightedRevolve, costSummary,
} from '../src/plan';
import { showPlan, showSchedule } from '../src/plan/plan';

const f32 = jsBackend('float32');

describe('Revolve', () => {
  it('reference values', () => {
    expect([[10, 3], [100, 5], [100, 10], [200, 4], [1000, 10]].map(([l, s]) => revolveCost(l!, s!))).toEqual([15, 316, 222, 948, 3636]);
    expect(scheduleRecomputations(revolveSchedule(1000, 10))).toBe(3636);
  });
  it('DP == closed form == the planned schedule, for every n ≤ 200 and s ≤ 10', () => {
    expect(revolveDisagreement(200, 10)).toBeNull();
  });
  it('running the schedule: n + F*(n, s) step forwards, ≤ s checkpoints, bit-identical to store-all', () => {
    for (const [n, s] of [[10, 3], [17, 2], [24, 1], [40, 4], [33, 33]] as const) {
      const r = chainRunMatchesRevolve(f32, n, s, n * 31 + s);
      expect(r.ok, `n=${n} s=${s}: ${r.detail}`).toBe(true);
    }
  });
  it('the weighted DP is Revolve on equal weights, and its cost is what the simulation recomputes', () => {
    for (const [k, s] of [[12, 3], [30, 2], [9, 8]] as const) expect(weightedRevolve(Array(k).fill(1), s).cost).toBe(revolveCost(k, s));
    const term = seq(...[4, 1, 9, 2, 2, 7, 1, 3].map((w, i) => named(`l${i}`, prim('linear', { out: 4 + (w % 2) * 0 }))));
    const model = checkOrThrow(term, [[5, 4]]);
    const w = model.root.kind === 'seq' ? model.root.children.map((c) => (c.kind === 'prim' ? c.cost.fwdFlops : 0)) : [];
    const { cost, schedule } = weightedRevolve(w, 2);
    expect(simulate(model, { schedules: { '': schedule } }, 4).recomputeFlops).toBe(cost);
  });
});

// A chain of residual blocks with different widths inside, for the budget laws.
const blockTerm = (i: number, h: number) => named(`b${i}`, skip(seq(prim('layernorm'), prim('linear', { out: h }), prim('gelu'), prim('linear', { out: 8 }))));
const chainModel = checkOrThrow(seq(prim('linear', { out: 8 }), ...[16, 8, 24, 8, 16, 32, 8, 8].map((h, i) => blockTerm(i, h)), prim('linear', { out: 3 })), [[6, 5]]);

describe('planner', () => {
  const { frontier, method } = planFrontier(chainModel);
  // Budgets from nothing to a bit past store-all, so that most land between frontier points.
  const top = Math.ceil(frontier[frontier.length - 1]!.peakBytes * 1.2);
  it('plans unequal steps by the exact weighted DP and gives a Pareto frontier', () => {
    expect(method).toBe('exact');
    expect(isParetoFrontier(frontier)).toBe(true);
    expect(frontier.length).toBeGreaterThan(3);
  });
  test.prop([fc.integer({ min: 0, max: top })], { numRuns: 100 })('the chosen plan never exceeds the budget', (b) => {
    expect(choiceWithinBudget(frontier, b)).toBe(true);
  });
  test.prop([fc.integer({ min: 0, max: top }), fc.integer({ min: 0, max: top })], { numRuns: 100 })('more budget never costs more flops', (a, b) => {
    expect(moreBudgetNoMoreFlops(frontier, a, b)).toBe(true);
  });
  test.prop([fc.integer({ min: 0, max: 1e6 })], { numRuns: 3 })('frontier plans: predicted == measured, gradients bit-identical', (seed) => {
    const x = [randn([6, 5], rng(seed).fork('x'), 'float32')];
    const dy = [randn([6, 3], rng(seed).fork('dy'), 'float32')];
    const params = initParams(chainModel, seed);
    for (const p of frontier) {
      const rep = peakMatches(chainModel, f32, p.plan, params, x, dy);
      expect(rep.ok, `${p.label}: ${rep.detail}`).toBe(true);
      expect(rep.measured.peak).toBe(p.peakBytes);
    }
    expect(plansAgree(chainModel, f32, frontier.map((p) => p.plan), params, x, dy)).toBe(true);
  });
  it('on a uniform chain every schedule point recomputes exactly F*(n, s) steps', () => {
    const n = 60;
    const model = checkOrThrow(seq(...Array.from({ length: n }, () => prim('tanh'))), [[4, 8]]);
    const step = 6 * 32;
    const { frontier: f, method: m } = planFrontier(model);
    expect(m).toBe('uniform');
    for (const p of f) if (p.slots !== undefined) expect(p.recomputeFlops).toBe(revolveCost(n, p.slots) * step);
  });
  // Off under `npm run mutate`, whose instrumented code is slower and whose runner shares the process.
  it.skipIf(process.env.CATOPTRIC_NO_TIMING)('plans a 1000-step chain in well under a second of CPU time', () => {
    const model = checkOrThrow(seq(...Array.from({ length: 1000 }, () => prim('tanh'))), [[4, 8]]);
    planFrontier(model); // warm up the JIT
    // The best of three: process CPU time counts every thread of this test worker, and a major GC of
    // the heap that earlier files left (a shared worker) or another file's idle threads can land in one
    // run; alone, a run takes 50–130 ms.
    let ms = Infinity;
    for (let i = 0; i < 3; i++) {
      const t0 = process.cpuUsage();
      const r = planForBudget(model, 4096);
      const cpu = process.cpuUsage(t0);
      ms = Math.min(ms, (cpu.user + cpu.system) / 1000);
      expect(E.isRight(r)).toBe(true);
      if (E.isRight(r)) expect(r.right.chosen.peakBytes).toBeLessThanOrEqual(4096);
    }
    expect(ms).toBeLessThan(500);
  });
  it('a budget below the least peak is a clear error; plans print and round-trip through JSON', () => {
    const r = planForBudget(chainModel, 10);
    expect(E.isLeft(r) && r.left.message).toMatch(/no plan fits in 10 bytes; the least peak reachable is \d+ bytes/);
    const p = frontier[0]!.plan;
    expect(JSON.parse(JSON.stringify(p))).toEqual(p);
    expect(showPlan(p)).toMatch(/schedule <root> \[/);
    expect(showSchedule([[0, [1, 2]], 3])).toBe('[[0 [1 2]] 3]');
  });
  it('cost summary: flops, parameter and residual bytes', () => {
    const c = costSummary(checkOrThrow(prim('linear', { out: 3 }), [[2, 4]]), 4);
    expect(c).toEqual({ fwdFlops: 48, bwdFlops: 96, paramBytes: 60, residualBytes: 32 });
  });
  it('cost of a composite: each total is the sum of its primitives\' own totals', () => {
    // Each primitive checked alone at the shape it sees inside the chain.
    const parts = [
      costSummary(checkOrThrow(prim('linear', { out: 3 }), [[2, 4]]), 4),
      costSummary(checkOrThrow(prim('tanh'), [[2, 3]]), 4),
      costSummary(checkOrThrow(prim('linear', { out: 2 }), [[2, 3]]), 4),
    ];
    const total = (k: keyof (typeof parts)[0]) => parts.reduce((a, p) => a + p[k], 0);
    const whole = costSummary(checkOrThrow(seq(prim('linear', { out: 3 }), prim('tanh'), prim('linear', { out: 2 })), [[2, 4]]), 4);
    expect(whole).toEqual({ fwdFlops: total('fwdFlops'), bwdFlops: total('bwdFlops'), paramBytes: total('paramBytes'), residualBytes: total('residualBytes') });
    // The four totals differ, so a field summed from the wrong one cannot pass.
    expect(new Set(Object.values(whole)).size).toBe(4);
  });
});
