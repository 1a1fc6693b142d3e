// Sensitivity of the plan, functoriality and planner laws (laws/plan.ts, laws/functor.ts, laws/planner.ts):
// each law holds for the kernels as they are and fails for a kernel that is not deterministic — one whose
// output, residual, input gradient or parameter gradient changes from its second call on, so that two
// runs that must agree bit for bit do not — and each report names the part that differs, alone. The
// equalities, plan samplers and frontier predicates are checked on hand-made values.
import { describe, expect, it } from 'vitest';
import * as Ei from 'fp-ts/lib/Either.js';
import { loweringIsFunctorial, randomPlan, randomSchedule } from '../laws/functor';
import { kernelCellEq, planDecompositionValid, plansAgree, planTwoCellValid, programCellEq, residualsDiffer, sameResidual, variantCellValid } from '../laws/plan';
import {
  chainRunMatchesRevolve, choiceWithinBudget, isParetoFrontier, moreBudgetNoMoreFlops, peakMatches, revolveDisagreement, samplePlans,
} from '../laws/planner';
import { revolveCost, revolveSchedule, revolveTable, scheduleRecomputations, scheduleSlots } from '../src/plan/revolve';
import type { Backend } from '../src/backend/backend';
import type { ProgramResidual } from '../src/lower/program';
import type { PlanPoint } from '../src/plan/planner';
import { type Prediction, simulate } from '../src/plan/memory';
import { scheduleLeaves, scheduleProblem, type Schedule } from '../src/optic/checkpoint';
import { checkOrThrow, initParams, jsBackend, par, planTwoCell, prim, randn, rng, seq, type Term, type TypedPrim } from '../src/index';
import type { HostTensor } from '../src/tensor/tensor';
import { scaled, tampered, type Tampering } from './tampered';

const f64 = jsBackend('float64');
const NUDGE = scaled(1 + 1e-6);

/** On every second call (per tensor it changes), `f`; otherwise the tensor as is. */
const everySecond = <A extends unknown[]>(f: (t: HostTensor, ...rest: A) => HostTensor) => {
  let k = 0;
  return (t: HostTensor, ...rest: A): HostTensor => (++k % 2 === 0 ? f(t, ...rest) : t);
};
/**
 * `be` with the kernel of `name` not deterministic: on every second call it changes its output, input
 * gradient, the gradient of its parameter `w`, or keeps one tensor more, as `how` says. Its variant
 * 2-cell maps are kept.
 */
const drifting = (name: string, how: 'output' | 'dInput' | 'dParam' | 'residual'): Backend<unknown> => {
  const wDrift = everySecond(NUDGE);
  let k = 0;
  const h: Tampering =
    how === 'output'
      ? { output: everySecond(NUDGE) }
      : how === 'dInput'
        ? { dInput: everySecond(NUDGE) }
        : how === 'dParam'
          ? { dParam: (t, n) => (n === 'w' ? wDrift(t) : t) }
          : { extraResidual: (xs): Record<string, HostTensor> => (++k % 2 === 0 ? { copy: xs[0]! } : {}) };
  const be = tampered(f64 as Backend<unknown>, name, h);
  return { ...be, kernel: (p) => { const kn = be.kernel(p); return kn && p === name ? { ...kn, twoCells: f64.kernel(p)!.twoCells } : kn; } } as Backend<unknown>;
};

/** `be` with the kernel of `name` keeping its residual under other names on every second call (same tensors). */
const renaming = (name: string): Backend<unknown> => {
  const be = f64 as Backend<unknown>;
  let k = 0;
  return {
    ...be,
    kernel: (p) => {
      const kn = be.kernel(p);
      if (!kn || p !== name) return kn;
      return {
        ...kn,
        forward(node, params, inputs) {
          const r = kn.forward(node, params, inputs);
          if (++k % 2 === 1) return r;
          return { ...r, residual: Object.fromEntries(Object.entries(r.residual).map(([n, t]) => [`${n}'`, t])) };
        },
        backward(node, params, residual, dOutputs) {
          const own = Object.fromEntries(Object.entries(residual as Record<string, unknown>).map(([n, t]) => [n.replace(/'$/, ''), t]));
          return kn.backward(node, params, own, dOutputs);
        },
      };
    },
  } as Backend<unknown>;
};

const X = [2, 4];
const lt = seq(prim('linear', { out: 3 }), prim('tanh'));
const ltModel = checkOrThrow(lt, [X]);
const ltParams = initParams(ltModel, 3, 'float64');
const x = randn(X, rng(3).fork('x'));
const dy = randn([2, 3], rng(3).fork('dy'));

describe('plansAgree and residualsDiffer', () => {
  it('two runs of one plan agree; not when the kernel changes its output, input gradient or parameter gradient between runs', () => {
    expect(plansAgree(ltModel, f64, [{}, {}], ltParams, [x], [dy])).toBe(true);
    expect(plansAgree(ltModel, f64, [{}, { remat: [''] }, { remat: ['1'] }], ltParams, [x], [dy])).toBe(true);
    for (const how of ['output', 'dInput', 'dParam'] as const)
      expect(plansAgree(ltModel, drifting('linear', how), [{}, {}], ltParams, [x], [dy]), how).toBe(false);
    // A residual kept only in the second run changes nothing that is computed.
    expect(plansAgree(ltModel, drifting('linear', 'residual'), [{}, {}], ltParams, [x], [dy])).toBe(true);
  });
  it('labels (a null input gradient) and two outputs: agree as they are; not when one output or gradient drifts', () => {
    const inputs = [[2, 3], [2], X];
    const model = checkOrThrow(par(prim('softmax_xent'), prim('linear', { out: 3 })), inputs);
    const params = initParams(model, 8, 'float64');
    const xs = [randn([2, 3], rng(8).fork('l')), { shape: [2], data: Float64Array.of(1, 2) }, x];
    const dys = model.root.outputs.map((s, i) => randn(s, rng(8).fork(`dy${i}`)));
    expect(plansAgree(model, f64, [{}, { remat: [''] }], params, xs, dys)).toBe(true);
    for (const how of ['output', 'dInput'] as const)
      expect(plansAgree(model, drifting('linear', how), [{}, {}], params, xs, dys), how).toBe(false);
  });
  it('residualsDiffer: every later plan keeps something else than the first', () => {
    expect(residualsDiffer(ltModel, f64, [{}, { remat: [''] }], ltParams, [x])).toBe(true);
    expect(residualsDiffer(ltModel, f64, [{}, {}], ltParams, [x])).toBe(false);
    expect(residualsDiffer(ltModel, f64, [{}, { remat: [''] }, {}], ltParams, [x])).toBe(false);
    expect(residualsDiffer(ltModel, drifting('linear', 'residual'), [{}, {}], ltParams, [x])).toBe(true);
  });
});

const up = (...v: number[]) => f64.upload({ shape: [v.length], data: Float64Array.from(v) });
const res = (...es: Array<[string, unknown]>): ProgramResidual<unknown> => ({ value: null, params: {}, entries: () => es as Array<[string, unknown]> });

describe('the bit-for-bit equalities', () => {
  it('sameResidual: the same named tensors in any order; not a different name, value or count', () => {
    const [a, b, c] = [up(1, 2), up(3), up(4, 5, 6)];
    const be = f64 as Backend<unknown>;
    expect(sameResidual(be, res(['b', b], ['a', a], ['c', c]), res(['a', a], ['c', c], ['b', b]))).toBe(true);
    expect(sameResidual(be, res(['c', c], ['b', b], ['a', a]), res(['a', a], ['b', b], ['c', c]))).toBe(true);
    expect(sameResidual(be, res(['a', a], ['b', b]), res(['a', a], ['b', up(3.5)]))).toBe(false);
    expect(sameResidual(be, res(['a', a], ['b', b]), res(['a', a], ['d', b]))).toBe(false);
    expect(sameResidual(be, res(['a', a]), res(['a', a], ['b', b]))).toBe(false);
    expect(sameResidual(be, res(['a', a], ['b', b]), res(['a', a]))).toBe(false);
    expect(sameResidual(be, res(), res())).toBe(true);
  });
  it('programCellEq and kernelCellEq: outputs with nulls, parameter gradients by name, input gradients', () => {
    const be = f64 as Backend<unknown>;
    for (const Eq of [programCellEq(be), kernelCellEq(be)]) {
      const [a, b] = [up(1, 2), up(3)];
      expect(Eq.output.equals([a, null], [up(1, 2), null])).toBe(true);
      expect(Eq.output.equals([], [])).toBe(true);
      expect(Eq.output.equals([a, null], [a, b])).toBe(false);
      expect(Eq.output.equals([a, b], [a, null])).toBe(false);
      expect(Eq.output.equals([a], [b])).toBe(false);
      expect(Eq.output.equals([a], [a, a])).toBe(false);
      expect(Eq.output.equals([a, a], [a])).toBe(false);
      const g = (p: Record<string, unknown>, xs: (unknown | null)[]): [Record<string, unknown>, (unknown | null)[]] => [p, xs];
      expect(Eq.cotangent.equals(g({ w: a, b }, [a, null]), g({ b: up(3), w: up(1, 2) }, [a, null]))).toBe(true);
      expect(Eq.cotangent.equals(g({ w: a }, [a]), g({ w: b }, [a]))).toBe(false);
      expect(Eq.cotangent.equals(g({ w: a }, [a]), g({ v: a }, [a]))).toBe(false);
      expect(Eq.cotangent.equals(g({ w: a }, [a]), g({ w: a, b }, [a]))).toBe(false);
      expect(Eq.cotangent.equals(g({ w: a, b }, [a]), g({ w: a }, [a]))).toBe(false);
      expect(Eq.cotangent.equals(g({ a }, [a]), g({ a, b }, [a]))).toBe(false);
      expect(Eq.cotangent.equals(g({ w: a }, [a]), g({ w: a }, [b]))).toBe(false);
      expect(Eq.cotangent.equals(g({ w: a }, [a]), g({ w: a }, [null]))).toBe(false);
    }
    const k = kernelCellEq(be).residual;
    const kr = (kept: Record<string, unknown>) => ({ params: {}, kept });
    expect(k.equals(kr({ x: up(1), y: up(2) }), kr({ y: up(2), x: up(1) }))).toBe(true);
    expect(k.equals(kr({ x: up(1) }), kr({ x: up(1.5) }))).toBe(false);
    expect(k.equals(kr({ x: up(1) }), kr({ z: up(1) }))).toBe(false);
    expect(k.equals(kr({ x: up(1) }), kr({ x: up(1), y: up(2) }))).toBe(false);
    expect(programCellEq(be).residual.equals(res(['a', up(1)]), res(['a', up(1)]))).toBe(true);
    expect(programCellEq(be).residual.equals(res(['a', up(1)]), res(['a', up(2)]))).toBe(false);
  });
});

describe('2-cell laws of plans and variants', () => {
  it('planTwoCellValid: T1 fails for a kernel whose residual changes between runs, T2 for one whose gradients do', () => {
    const cell = (be: Backend<unknown>) => {
      const c = planTwoCell(ltModel, be, {}, {});
      if (Ei.isLeft(c)) throw c.left;
      return planTwoCellValid(be, c.right, ltParams, [x], [dy]);
    };
    expect(cell(f64 as Backend<unknown>)).toEqual({ t1: true, t2: true, differ: false });
    expect(cell(drifting('linear', 'residual'))).toEqual({ t1: false, t2: true, differ: true });
    expect(cell(drifting('linear', 'dParam'))).toEqual({ t1: true, t2: false, differ: false });
    expect(cell(drifting('tanh', 'output'))).toEqual({ t1: false, t2: true, differ: false });
  });
  it('variantCellValid: a kernel without the map is refused by name; the lse ⇒ probs cell of attention is valid and keeps more', () => {
    const model = checkOrThrow(prim('attention', { heads: 1, dk: 2, dv: 2 }), [[1, 3, 2]]);
    const node = model.root as TypedPrim;
    const params = initParams(model, 1, 'float64');
    const xs = [randn([1, 3, 2], rng(1).fork('x'))];
    const dys = [randn([1, 3, 2], rng(1).fork('dy'))];
    expect(variantCellValid(f64, node, 'lse', 'probs', params, xs, dys)).toEqual({ t1: true, t2: true, differ: true });
    expect(() => variantCellValid(f64, node, 'probs', 'lse', params, xs, dys)).toThrow(
      "backend 'js-f64' has no map for the 2-cell probs ⇒ lse of 'attention'",
    );
    const bad = drifting('attention', 'dInput');
    expect(variantCellValid(bad, node, 'lse', 'probs', params, xs, dys)).toEqual({ t1: true, t2: false, differ: true });
  });
});

describe('lowering is functorial: each part of the report on its own', () => {
  const all = { outputs: true, residual: true, dInputs: true, dParams: true };
  for (const op of ['seq', 'par'] as const) {
    const [a, b]: [Term, Term] = [prim('linear', { out: 3 }), prim('tanh')];
    const inputs = op === 'seq' ? [X] : [X, X];
    const whole = checkOrThrow(op === 'seq' ? seq(a, b) : par(a, b), inputs);
    const params = initParams(whole, 2, 'float64');
    const xs = inputs.map((s, i) => randn(s, rng(2).fork(`x${i}`)));
    const dys = whole.root.outputs.map((s, i) => randn(s, rng(2).fork(`dy${i}`)));
    const law = (be: Backend<unknown>) => loweringIsFunctorial(be, op, a, b, inputs, {}, {}, params, xs, dys);
    it(`${op}(linear, tanh)`, () => {
      expect(law(f64 as Backend<unknown>)).toEqual(all);
      expect(law(drifting('tanh', 'output'))).toEqual({ ...all, outputs: false });
      expect(law(drifting('linear', 'residual'))).toEqual({ ...all, residual: false });
      expect(law(drifting('linear', 'dInput'))).toEqual({ ...all, dInputs: false });
      expect(law(drifting('linear', 'dParam'))).toEqual({ ...all, dParams: false });
    });
  }
});

/** Nesting depth of a schedule: a flat list is 1. */
const depthOf = (s: Schedule): number => 1 + Math.max(0, ...s.map((it) => (typeof it === 'number' ? 0 : depthOf(it))));

describe('random schedules and plans', () => {
  it('randomSchedule: valid schedules of k stages, nested at most three lists deep, with single stages and singleton segments', () => {
    let deepest = 0;
    let numbers = 0;
    let singletons = 0;
    let longer = 0;
    for (let seed = 0; seed < 60; seed++)
      for (let k = 1; k <= 7; k++) {
        const s = randomSchedule(k, rng(seed).fork(`k${k}`));
        expect(scheduleProblem(s, k), JSON.stringify(s)).toBeNull();
        expect(scheduleLeaves(s)).toEqual(Array.from({ length: k }, (_, i) => i));
        deepest = Math.max(deepest, depthOf(s));
        numbers += s.filter((it) => typeof it === 'number').length;
        singletons += s.filter((it) => typeof it !== 'number' && scheduleLeaves(it).length === 1).length;
        longer += s.filter((it) => typeof it !== 'number' && scheduleLeaves(it).length > 1).length;
      }
    expect(deepest).toBe(4);
    expect(numbers).toBeGreaterThan(0);
    expect(singletons).toBeGreaterThan(0);
    expect(longer).toBeGreaterThan(0);
  });
  const model = checkOrThrow(seq(prim('linear', { out: 4 }), prim('tanh'), seq(prim('tanh'), prim('attention', { heads: 1, dk: 2, dv: 2 }))), [[1, 3, 4]]);
  it('randomPlan: lens form and schedules with the probabilities given, variants only where a primitive has several', () => {
    const full = randomPlan(model, 1, { lens: 1, schedule: 1 });
    expect([...full.remat!].sort()).toEqual(['', '0', '1', '2', '2.0', '2.1']);
    expect(Object.keys(full.schedules!).sort()).toEqual(['', '2']);
    expect(scheduleProblem(full.schedules![''], 3)).toBeNull();
    expect(scheduleProblem(full.schedules!['2'], 2)).toBeNull();
    const none = randomPlan(model, 1, { lens: 0, schedule: 0 });
    expect(none.remat).toEqual([]);
    expect(none.schedules).toEqual({});
    expect(Object.keys(none.variants!)).toEqual(['2.1']);
    // Only seqs of two or more children get a schedule: not a par, not a seq of one.
    const pars = checkOrThrow(seq(par(prim('tanh'), prim('tanh')), seq(par(prim('tanh'), prim('tanh')))), [[2], [2]]);
    expect(Object.keys(randomPlan(pars, 3, { lens: 0, schedule: 1 }).schedules!)).toEqual(['']);
    const seen = { lens: new Set<boolean>(), schedule: new Set<boolean>(), variant: new Set<string>() };
    for (let seed = 0; seed < 40; seed++) {
      const p = randomPlan(model, seed);
      expect(randomPlan(model, seed)).toEqual(p);
      seen.lens.add(p.remat!.length > 0);
      seen.schedule.add(Object.keys(p.schedules!).length > 0);
      seen.variant.add(p.variants!['2.1']!);
    }
    expect([...seen.lens].sort()).toEqual([false, true]);
    expect([...seen.schedule].sort()).toEqual([false, true]);
    expect([...seen.variant].sort()).toEqual(['lse', 'probs']);
  });
  it('samplePlans: store all, recompute all, each further variant, each composite child of the root in lens form, two schedules per seq', () => {
    expect(samplePlans(model)).toStrictEqual([
      {},
      { remat: [''] },
      { variants: { '2.1': 'lse' } },
      { remat: ['2'] },
      { schedules: { '': [[0, 1], 2] } },
      { schedules: { '': [[0], [1, 2]] } },
      { schedules: { '2': [[0], 1] } },
      { schedules: { '2': [[0], [1]] } },
    ]);
    expect(samplePlans(checkOrThrow(prim('tanh'), [[2]]))).toStrictEqual([{}, { remat: [''] }]);
    // A par and a seq of one child get no schedules; both, as composite children of the root, a lens form.
    const pars = checkOrThrow(seq(par(prim('tanh'), prim('tanh')), seq(par(prim('tanh'), prim('tanh')))), [[2], [2]]);
    expect(samplePlans(pars)).toStrictEqual([
      {},
      { remat: [''] },
      { remat: ['0'] },
      { remat: ['1'] },
      { schedules: { '': [[0], 1] } },
      { schedules: { '': [[0], [1]] } },
    ]);
  });
});

const pt = (peakBytes: number, flops: number): PlanPoint => ({ plan: {}, peakBytes, flops, recomputeFlops: 0, label: `${peakBytes}/${flops}` });

describe('planner laws on hand-made frontiers', () => {
  const frontier = [pt(10, 100), pt(20, 50), pt(30, 10)];
  it('isParetoFrontier: peaks strictly up, flops strictly down', () => {
    expect(isParetoFrontier([])).toBe(true);
    expect(isParetoFrontier([pt(5, 5)])).toBe(true);
    expect(isParetoFrontier(frontier)).toBe(true);
    expect(isParetoFrontier([pt(10, 100), pt(10, 50)])).toBe(false);
    expect(isParetoFrontier([pt(10, 100), pt(20, 100)])).toBe(false);
    expect(isParetoFrontier([pt(10, 100), pt(20, 150)])).toBe(false);
    expect(isParetoFrontier([pt(20, 100), pt(10, 50)])).toBe(false);
    expect(isParetoFrontier([pt(10, 100), pt(20, 50), pt(15, 10)])).toBe(false);
  });
  it('choiceWithinBudget: at a budget equal to a peak, below every peak, between peaks', () => {
    for (const b of [5, 10, 20, 25, 30, 1000]) expect(choiceWithinBudget(frontier, b), `budget ${b}`).toBe(true);
    expect(choiceWithinBudget([], 10)).toBe(true);
  });
  it('moreBudgetNoMoreFlops: either order of the budgets, equal budgets, nothing fitting the smaller one', () => {
    for (const [b1, b2] of [[10, 30], [30, 10], [20, 20], [25, 20], [5, 30], [30, 5], [5, 5]])
      expect(moreBudgetNoMoreFlops(frontier, b1!, b2!), `${b1}, ${b2}`).toBe(true);
  });
});

describe('peak and Revolve laws against wrong kernels', () => {
  it('peakMatches names what differs: a kernel keeping one tensor more raises the measured peak by its bytes', () => {
    const dys = [randn([2, 3], rng(4).fork('dy'))];
    const good = peakMatches(ltModel, f64, {}, ltParams, [x], dys);
    expect(good.ok).toBe(true);
    expect(good.detail).toBe('');
    const extra = tampered(f64, 'linear', { extraResidual: (xs) => ({ copy: xs[0]! }) });
    const bad = peakMatches(ltModel, extra, {}, ltParams, [x], dys);
    expect(bad.ok).toBe(false);
    expect(bad.measured.peak - bad.predicted.peakBytes).toBe(8 * 8);
    expect(bad.detail).toMatch(/^peak bytes: predicted \d+, measured \d+; bytes at peak: predicted \{"residual":\d+,"activation":\d+,"gradient":\d+\}, measured \{.*\}$/);
  });
  it('peakMatches against a wrong memory model: each of flops, checkpoints and forward calls named; the order of the calls map does not matter', () => {
    const dys = [randn([2, 3], rng(4).fork('dy'))];
    const law = (f: (p: Prediction) => Partial<Prediction>) =>
      peakMatches(ltModel, f64, {}, ltParams, [x], dys, (m, plan, b) => {
        const p = simulate(m, plan, b);
        return { ...p, ...f(p) };
      });
    const right = simulate(ltModel, {}, 8);
    expect(law(() => ({})).detail).toBe('');
    expect(law((p) => ({ fwdFlops: p.fwdFlops + 1 })).detail).toBe(`forward flops: predicted ${right.fwdFlops + 1}, measured ${right.fwdFlops}`);
    expect(law((p) => ({ bwdFlops: p.bwdFlops - 1 })).detail).toBe(`backward flops: predicted ${right.bwdFlops - 1}, measured ${right.bwdFlops}`);
    expect(law(() => ({ maxCheckpoints: 1 })).detail).toBe('checkpoints: predicted 1, measured 0');
    expect(law(() => ({ forwardCalls: new Map([['1', 1], ['0', 2]]) })).detail).toBe('forward calls: predicted [["0",2],["1",1]], measured [["0",1],["1",1]]');
    expect(law(() => ({ forwardCalls: new Map([['1', 1], ['0', 1]]) })).ok).toBe(true);
    expect(law((p) => ({ fwdFlops: 0, bwdFlops: 0, peakBytes: p.peakBytes })).detail).toBe(
      `forward flops: predicted 0, measured ${right.fwdFlops}; backward flops: predicted 0, measured ${right.bwdFlops}`,
    );
  });
  it('chainRunMatchesRevolve: holds; not for a tanh that keeps more, or whose output drifts from run to run', () => {
    expect(chainRunMatchesRevolve(f64, 6, 2, 1)).toEqual({ ok: true, detail: '' });
    const extra = chainRunMatchesRevolve(tampered(f64, 'tanh', { extraResidual: (xs) => ({ copy: xs[0]! }) }), 6, 2, 1);
    expect(extra.ok).toBe(false);
    expect(extra.detail).toMatch(/^peak bytes: /);
    let k = 0;
    const drift = tampered(f64, 'tanh', { output: (t) => scaled(1 + 1e-9 * ++k)(t) });
    expect(chainRunMatchesRevolve(drift, 6, 2, 1)).toEqual({ ok: false, detail: 'differs from store-all' });
  });
});

describe('more of the report: null input gradients, a lens-form part, parts of different shapes', () => {
  const all = { outputs: true, residual: true, dInputs: true, dParams: true };
  it('labels (no gradient) go through plansAgree and the functoriality law as null on both sides', () => {
    const t = seq(par(prim('linear', { out: 3 }), prim('id', { n: 1 })), prim('softmax_xent'));
    const inputs = [X, [2]];
    const model = checkOrThrow(t, inputs);
    const params = initParams(model, 5, 'float64');
    const xs = [randn(X, rng(5).fork('x')), { shape: [2], data: Float64Array.of(0, 2) }];
    const dys = model.root.outputs.map((s, i) => randn(s, rng(5).fork(`dy${i}`)));
    expect(plansAgree(model, f64, [{}, { remat: [''] }], params, xs, dys)).toBe(true);
    expect(plansAgree(model, drifting('linear', 'dInput'), [{}, {}], params, xs, dys)).toBe(false);
    // The functoriality law with a labels input in a part of a par (a null input gradient on both sides).
    const [a, b]: [Term, Term] = [prim('softmax_xent'), prim('tanh')];
    const pIn = [[2, 3], [2], X];
    const pm = checkOrThrow(par(a, b), pIn);
    const pxs = [randn([2, 3], rng(5).fork('l')), { shape: [2], data: Float64Array.of(2, 0) }, x];
    const pdys = pm.root.outputs.map((s, i) => randn(s, rng(5).fork(`pdy${i}`)));
    const law = (be: Backend<unknown>) => loweringIsFunctorial(be, 'par', a, b, pIn, {}, {}, {}, pxs, pdys);
    expect(law(f64 as Backend<unknown>)).toEqual(all);
    expect(law(drifting('tanh', 'dInput'))).toEqual({ ...all, dInputs: false });
  });
  it('a part planned in lens form keeps its inputs under the part\'s path (0@…), and the law still holds', () => {
    const [a, b]: [Term, Term] = [seq(prim('linear', { out: 3 }), prim('tanh')), prim('tanh')];
    const whole = checkOrThrow(seq(a, b), [X]);
    const params = initParams(whole, 6, 'float64');
    const dys = [randn([2, 3], rng(6).fork('dy'))];
    expect(loweringIsFunctorial(f64, 'seq', a, b, [X], { remat: [''] }, { remat: [''] }, params, [x], dys)).toEqual(all);
    expect(loweringIsFunctorial(f64, 'seq', a, b, [X], { remat: ['1'], variants: {} }, {}, params, [x], dys)).toEqual(all);
  });
  it('par of parts with different input shapes: each part is checked on its own inputs', () => {
    const [a, b]: [Term, Term] = [prim('tanh'), prim('linear', { out: 2 })];
    const inputs = [X, [2, 5]];
    const whole = checkOrThrow(par(a, b), inputs);
    const params = initParams(whole, 7, 'float64');
    const xs = inputs.map((s, i) => randn(s, rng(7).fork(`x${i}`)));
    const dys = whole.root.outputs.map((s, i) => randn(s, rng(7).fork(`dy${i}`)));
    expect(loweringIsFunctorial(f64, 'par', a, b, inputs, {}, {}, params, xs, dys)).toEqual(all);
  });
  it('a residual entry more at the end, or a drifting output feeding the next part, is seen', () => {
    const whole = checkOrThrow(seq(prim('linear', { out: 3 }), prim('tanh')), [X]);
    const params = initParams(whole, 2, 'float64');
    const dys = [randn([2, 3], rng(2).fork('dy'))];
    const law = (be: Backend<unknown>) => loweringIsFunctorial(be, 'seq', prim('linear', { out: 3 }), prim('tanh'), [X], {}, {}, params, [x], dys);
    expect(law(drifting('tanh', 'residual'))).toEqual({ ...all, residual: false });
    expect(law(renaming('linear'))).toEqual({ ...all, residual: false });
    // tanh keeps its input, so a drifting linear output changes what it keeps and everything after.
    expect(law(drifting('linear', 'output'))).toEqual({ outputs: false, residual: false, dInputs: false, dParams: false });
  });
});

describe('plan decompositions and variant cells inside a model', () => {
  it('planDecompositionValid: one invalid step among valid ones makes the steps invalid', () => {
    const cellOn = (be: Backend<unknown>) => {
      const c = planTwoCell(ltModel, be, {}, {});
      if (Ei.isLeft(c)) throw c.left;
      return c.right;
    };
    const ok = cellOn(f64 as Backend<unknown>);
    const bad = cellOn(drifting('linear', 'residual'));
    expect(planDecompositionValid(f64 as Backend<unknown>, { steps: [ok, ok], composite: ok }, ltParams, [x], [dy]).steps).toBe(true);
    expect(planDecompositionValid(f64 as Backend<unknown>, { steps: [ok, bad], composite: ok }, ltParams, [x], [dy]).steps).toBe(false);
    expect(planDecompositionValid(f64 as Backend<unknown>, { steps: [bad, ok], composite: ok }, ltParams, [x], [dy]).steps).toBe(false);
  });
  it('variantCellValid on a node below the root reads that node\'s parameters by their full keys', () => {
    const model = checkOrThrow(seq(prim('tanh'), prim('attention', { heads: 1, dk: 2, dv: 2 })), [[1, 3, 2]]);
    const node = (model.root as { children: readonly TypedPrim[] }).children[1]!;
    const params = initParams(model, 2, 'float64');
    const xs = [randn([1, 3, 2], rng(2).fork('x'))];
    const dys = [randn([1, 3, 2], rng(2).fork('dy'))];
    expect(variantCellValid(f64, node, 'lse', 'probs', params, xs, dys)).toEqual({ t1: true, t2: true, differ: true });
  });
});

describe('planner laws against wrong implementations', () => {
  const frontier = [pt(10, 100), pt(20, 50), pt(30, 10)];
  it('choiceWithinBudget fails for a chooser that ignores the budget, picks off the frontier, or gives up while something fits', () => {
    const cheapest = () => frontier[2]!;
    expect(choiceWithinBudget(frontier, 20, cheapest)).toBe(false);
    expect(choiceWithinBudget(frontier, 30, cheapest)).toBe(true);
    expect(choiceWithinBudget(frontier, 20, () => ({ ...frontier[1]! }))).toBe(false);
    expect(choiceWithinBudget(frontier, 10, () => undefined)).toBe(false);
    expect(choiceWithinBudget(frontier, 25, () => undefined)).toBe(false);
    expect(choiceWithinBudget(frontier, 9, () => undefined)).toBe(true);
  });
  it('moreBudgetNoMoreFlops fails for a chooser that pays more with more budget, in either order of the budgets', () => {
    const greedy = (f: readonly PlanPoint[], b: number) => (b >= 25 ? pt(25, 200) : f.filter((p) => p.peakBytes <= b).at(-1));
    expect(moreBudgetNoMoreFlops(frontier, 20, 30, greedy)).toBe(false);
    expect(moreBudgetNoMoreFlops(frontier, 30, 20, greedy)).toBe(false);
    expect(moreBudgetNoMoreFlops(frontier, 10, 20, greedy)).toBe(true);
    expect(moreBudgetNoMoreFlops(frontier, 20, 30, (f, b) => (b > 25 ? undefined : greedy(f, b)))).toBe(false);
  });
  it('revolveDisagreement names the first (n, s) where the table, the formula, the schedule\'s recomputations or its slots disagree', () => {
    const at = (n: number, s: number) => (l: number, t: number) => l === n && t === s;
    const wrong = at(5, 3);
    const F = revolveCost(5, 3);
    const slots = scheduleSlots(revolveSchedule(5, 3));
    expect(revolveDisagreement(5, 3)).toBeNull();
    expect(revolveDisagreement(5, 3, { revolveCost: (l, s) => revolveCost(l, s) + (wrong(l, s) ? 1 : 0) })).toBe(
      `n=5 s=3: DP ${F}, formula ${F + 1}, schedule ${F} recomputations with ${slots} slots`,
    );
    expect(revolveDisagreement(5, 3, { revolveTable: (L, S) => revolveTable(L, S).map((row, s) => row.map((v, n) => (wrong(n, s) ? v + 2 : v))) })).toBe(
      `n=5 s=3: DP ${F + 2}, formula ${F}, schedule ${F} recomputations with ${slots} slots`,
    );
    // Wrong only on the schedule of (5, 3), which the counting functions recognise by identity.
    const target = revolveSchedule(5, 3);
    const sched = { revolveSchedule: (l: number, s: number) => (wrong(l, s) ? target : revolveSchedule(l, s)) };
    expect(revolveDisagreement(5, 3, { ...sched, scheduleRecomputations: (sch) => scheduleRecomputations(sch) + (sch === target ? 3 : 0) })).toBe(
      `n=5 s=3: DP ${F}, formula ${F}, schedule ${F + 3} recomputations with ${slots} slots`,
    );
    expect(revolveDisagreement(5, 3, { ...sched, scheduleSlots: (sch) => (sch === target ? 4 : scheduleSlots(sch)) })).toBe(
      `n=5 s=3: DP ${F}, formula ${F}, schedule ${F} recomputations with 4 slots`,
    );
  });
  it('chainRunMatchesRevolve fails for a scheduler that checkpoints every step (more slots, other recomputations)', () => {
    const everyStep = (n: number) => Array.from({ length: n }, (_, i) => [i]);
    const rep = chainRunMatchesRevolve(f64, 6, 2, 1, everyStep);
    expect(rep.ok).toBe(false);
    expect(rep.detail).toBe(`ran 12 step forwards, Revolve says ${6 + revolveCost(6, 2)}; held 6 checkpoints with 2 slots`);
    expect(chainRunMatchesRevolve(f64, 6, 6, 1, everyStep).detail).toBe(`ran 12 step forwards, Revolve says ${6 + revolveCost(6, 6)}`);
  });
  it('chainRunMatchesRevolve lists every problem: a kernel that keeps more and drifts', () => {
    let k = 0;
    const both = tampered(f64, 'tanh', { extraResidual: (xs) => ({ copy: xs[0]! }), output: (t) => scaled(1 + 1e-9 * ++k)(t) });
    const rep = chainRunMatchesRevolve(both, 6, 2, 1);
    expect(rep.detail).toMatch(/^peak bytes: .*; differs from store-all$/);
  });
});
