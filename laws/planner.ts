import type { Backend } from '../src/backend/backend';
import type { Plan } from '../src/plan/plan';
import { lowerOrThrow } from '../src/lower/program';
import { type MemoryMeter, measureRun } from '../src/lower/meter';
import type { TypedModel, TypedNode } from '../src/term/check';
import type { HostTensor } from '../src/tensor/tensor';
import { type Prediction, simulate } from '../src/plan/memory';
import { pathKey } from '../src/plan/plan';
import { revolveCost, revolveSchedule, revolveTable, scheduleRecomputations, scheduleSlots } from '../src/plan/revolve';
import type { Schedule } from '../src/optic/checkpoint';
import { type PlanPoint, chooseWithin } from '../src/plan/planner';
import { checkOrThrow } from '../src/term/check';
import { prim, seq } from '../src/term/term';
import { rng, randn } from '../src/tensor/rng';
import { initParams } from '../src/train/init';
import { plansAgree } from './plan';
import { uploadAll } from '../src/backend/transfer';

/** Predicted against measured memory and flops of one forward + backward under a plan. */
export interface PeakReport {
  readonly ok: boolean;
  readonly predicted: Prediction;
  readonly measured: MemoryMeter;
  /** What disagreed, for the test message. */
  readonly detail: string;
}

/**
 * Law: the predicted peak equals the measured peak — `simulate` (shapes and `cost` only) and a run with
 * a `MemoryMeter` (real tensors) agree exactly on peak bytes, the split at the peak, flops forward and
 * backward, forward calls per primitive and checkpoints held; and the run ends with nothing live.
 * `predict` replaces `simulate` (to check another memory model).
 */
export const peakMatches = <T>(
  model: TypedModel,
  be: Backend<T>,
  plan: Plan,
  params: Record<string, HostTensor>,
  inputs: readonly HostTensor[],
  dOutputs: readonly HostTensor[],
  predict: (model: TypedModel, plan: Plan, bytesPerElem: number) => Prediction = simulate,
): PeakReport => {
  const prog = lowerOrThrow(model, be, plan);
  const { meter } = measureRun(prog, be, uploadAll(be, params), inputs.map((x) => be.upload(x)), dOutputs.map((x) => be.upload(x)));
  const predicted = predict(model, plan, meter.bytesPerElem);
  const problems: string[] = [];
  const eq = (what: string, a: unknown, b: unknown) => {
    if (JSON.stringify(a) !== JSON.stringify(b)) problems.push(`${what}: predicted ${JSON.stringify(a)}, measured ${JSON.stringify(b)}`);
  };
  eq('peak bytes', predicted.peakBytes, meter.peak);
  eq('bytes at peak', predicted.peakLive, meter.peakLive);
  eq('forward flops', predicted.fwdFlops, meter.flops.forward);
  eq('backward flops', predicted.bwdFlops, meter.flops.backward);
  eq('checkpoints', predicted.maxCheckpoints, meter.maxCheckpoints);
  const sorted = (m: ReadonlyMap<string, number>) => [...m].sort(([a], [b]) => (a < b ? -1 : 1));
  eq('forward calls', sorted(predicted.forwardCalls), sorted(meter.forwardCalls));
  eq('live after the run', { residual: 0, activation: 0, gradient: 0 }, meter.live);
  return { ok: problems.length === 0, predicted, measured: meter, detail: problems.join('; ') };
};

/**
 * A spread of plans for any model, for the memory and invariance laws: store all, recompute all,
 * every residual variant of every primitive, lens form for each composite child of the root, and for
 * every `seq` with at least two children two checkpoint schedules.
 */
export const samplePlans = (model: TypedModel): Plan[] => {
  const plans: Plan[] = [{}, { remat: [''] }];
  const prims: { key: string; variants: readonly string[] }[] = [];
  const seqs: { key: string; k: number }[] = [];
  const walk = (n: TypedNode): void => {
    if (n.kind === 'prim') prims.push({ key: pathKey(n.path), variants: n.def.variants });
    else {
      if (n.kind === 'seq' && n.children.length >= 2) seqs.push({ key: pathKey(n.path), k: n.children.length });
      n.children.forEach(walk);
    }
  };
  walk(model.root);
  const maxV = Math.max(...prims.map((p) => p.variants.length));
  for (let v = 1; v < maxV; v++)
    plans.push({ variants: Object.fromEntries(prims.filter((p) => p.variants.length > v).map((p) => [p.key, p.variants[v]!])) });
  if (model.root.kind !== 'prim')
    for (const c of model.root.children) if (c.kind !== 'prim') plans.push({ remat: [pathKey(c.path)] });
  for (const { key, k } of seqs) {
    const all = Array.from({ length: k }, (_, i) => i);
    plans.push({ schedules: { [key]: [all.slice(0, k - 1), k - 1] } });
    plans.push({ schedules: { [key]: [[0], all.slice(1)] } });
  }
  return plans;
};

// ---------------------------------------------------------------------------------------------
// Planner laws


/** The Revolve functions the chain laws check against each other (`src/plan/revolve` by default). */
export interface RevolveImpl {
  readonly revolveTable: (L: number, S: number) => number[][];
  readonly revolveCost: (l: number, s: number) => number;
  readonly revolveSchedule: (l: number, s: number) => Schedule;
  readonly scheduleRecomputations: (s: Schedule) => number;
  readonly scheduleSlots: (s: Schedule) => number;
}

const revolve: RevolveImpl = { revolveTable, revolveCost, revolveSchedule, scheduleRecomputations, scheduleSlots };

/**
 * Law: on chains, the planner's cost is Revolve's. For every `n ≤ nMax`, `s ≤ sMax`: the dynamic
 * programme, the closed form `t·n − β(s+1, t−1)` and the recomputation count of the schedule the planner
 * builds agree, and that schedule holds at most `s` checkpoints. Returns the first disagreement, or null.
 * `impl` replaces the functions checked (to check another implementation of them).
 */
export const revolveDisagreement = (nMax: number, sMax: number, impl: Partial<RevolveImpl> = {}): string | null => {
  const R = { ...revolve, ...impl };
  const T = R.revolveTable(nMax, sMax);
  for (let s = 1; s <= sMax; s++)
    for (let n = 1; n <= nMax; n++) {
      const f = R.revolveCost(n, s);
      const sch = R.revolveSchedule(n, s);
      const r = R.scheduleRecomputations(sch);
      const slots = R.scheduleSlots(sch);
      if (T[s]![n] !== f || r !== f || slots > s) return `n=${n} s=${s}: DP ${T[s]![n]}, formula ${f}, schedule ${r} recomputations with ${slots} slots`;
    }
  return null;
};

/**
 * Law, by running: a chain of `n` identical steps under Revolve's schedule with `s` slots runs exactly
 * `n + F*(n, s)` step forwards, holds at most `s` checkpoints, and gives bit-identical outputs and
 * gradients to store-all. `schedule` replaces the schedule run (to check another scheduler).
 */
export const chainRunMatchesRevolve = <T>(
  be: Backend<T>,
  n: number,
  s: number,
  seed: number,
  schedule: (n: number, s: number) => Schedule = revolveSchedule,
): { ok: boolean; detail: string } => {
  const model = checkOrThrow(seq(...Array.from({ length: n }, () => prim('tanh'))), [[2, 3]]);
  const plan: Plan = { schedules: { '': schedule(n, s) } };
  const x = [randn([2, 3], rng(seed).fork('x'), be.dtype)];
  const dy = [randn([2, 3], rng(seed).fork('dy'), be.dtype)];
  const rep = peakMatches(model, be, plan, initParams(model, seed, be.dtype), x, dy);
  const calls = [...rep.measured.forwardCalls.values()].reduce((a, b) => a + b, 0);
  const want = n + revolveCost(n, s);
  const problems: string[] = [];
  if (calls !== want) problems.push(`ran ${calls} step forwards, Revolve says ${want}`);
  if (rep.measured.maxCheckpoints > s) problems.push(`held ${rep.measured.maxCheckpoints} checkpoints with ${s} slots`);
  if (!rep.ok) problems.push(rep.detail);
  if (!plansAgreeLocal(model, be, [{}, plan], x, dy, seed)) problems.push('differs from store-all');
  return { ok: problems.length === 0, detail: problems.join('; ') };
};

const plansAgreeLocal = <T>(model: TypedModel, be: Backend<T>, plans: Plan[], x: HostTensor[], dy: HostTensor[], seed: number): boolean =>
  plansAgree(model, be, plans, initParams(model, seed, be.dtype), x, dy);

/** How a plan is chosen from a frontier for a budget (`chooseWithin` by default). */
export type Chooser = (frontier: readonly PlanPoint[], budgetBytes: number) => PlanPoint | undefined;

/** Law: the chosen plan never exceeds the budget (and is on the frontier), or nothing fits. */
export const choiceWithinBudget = (frontier: readonly PlanPoint[], budget: number, choose: Chooser = chooseWithin): boolean => {
  const c = choose(frontier, budget);
  if (!c) return frontier.every((p) => p.peakBytes > budget);
  return c.peakBytes <= budget && frontier.includes(c);
};

/** Law: more budget never costs more flops. */
export const moreBudgetNoMoreFlops = (frontier: readonly PlanPoint[], b1: number, b2: number, choose: Chooser = chooseWithin): boolean => {
  const [lo, hi] = b1 <= b2 ? [b1, b2] : [b2, b1];
  const a = choose(frontier, lo);
  const b = choose(frontier, hi);
  if (!a) return true;
  return b !== undefined && b.flops <= a.flops;
};

/** Law: a frontier is Pareto — peaks strictly increase while flops strictly decrease. */
export const isParetoFrontier = (frontier: readonly PlanPoint[]): boolean =>
  frontier.every((p, i) => i === 0 || (p.peakBytes > frontier[i - 1]!.peakBytes && p.flops < frontier[i - 1]!.flops));
