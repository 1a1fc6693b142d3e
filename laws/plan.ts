import type { Backend } from '../src/backend/backend';
import type { Plan } from '../src/lower/plan';
import { type PlanTwoCell, type ProgramResidual, flatResidual, lowerOrThrow } from '../src/lower/program';
import type { TypedModel } from '../src/term/check';
import type { HostTensor } from '../src/tensor/tensor';
import { identical } from './compare';
import { downloadAll, uploadAll } from '../src/backend/transfer';

interface RunResult {
  readonly outputs: HostTensor[];
  readonly dInputs: (HostTensor | null)[];
  readonly dParams: Record<string, HostTensor>;
}

const sameRun = (a: RunResult, b: RunResult): boolean =>
  a.outputs.length === b.outputs.length &&
  a.outputs.every((o, i) => identical(o, b.outputs[i]!)) &&
  a.dInputs.every((g, i) => (g === null ? b.dInputs[i] === null : b.dInputs[i] !== null && identical(g, b.dInputs[i]!))) &&
  Object.keys(a.dParams).length === Object.keys(b.dParams).length &&
  Object.entries(a.dParams).every(([k, g]) => b.dParams[k] !== undefined && identical(g, b.dParams[k]!));

/** Run forward and backward of a model under a plan; everything downloaded to the host. */
export const runPlan = <T>(
  model: TypedModel,
  be: Backend<T>,
  plan: Plan,
  params: Record<string, HostTensor>,
  inputs: readonly HostTensor[],
  dOutputs: readonly HostTensor[],
): RunResult => {
  const prog = lowerOrThrow(model, be, plan);
  const { outputs, residual } = prog.forward(uploadAll(be, params), inputs.map((x) => be.upload(x)));
  const { dInputs, dParams } = prog.backward(residual, dOutputs.map((x) => be.upload(x)));
  return {
    outputs: outputs.map((o) => be.download(o)),
    dInputs: dInputs.map((g) => (g === null ? null : be.download(g))),
    dParams: downloadAll(be, dParams),
  };
};

/**
 * Plan invariance: every plan gives bit-identical outputs and gradients on one backend (the
 * recomputation is deterministic, so "close" is not enough).
 */
export const plansAgree = <T>(
  model: TypedModel,
  be: Backend<T>,
  plans: readonly Plan[],
  params: Record<string, HostTensor>,
  inputs: readonly HostTensor[],
  dOutputs: readonly HostTensor[],
): boolean => {
  const runs = plans.map((p) => runPlan(model, be, p, params, inputs, dOutputs));
  return runs.every((r) => sameRun(r, runs[0]!));
};

const sameResidual = <T>(be: Backend<T>, a: ProgramResidual<T>, b: ProgramResidual<T>): boolean => {
  const fa = flatResidual(a);
  const fb = flatResidual(b);
  const ka = Object.keys(fa).sort();
  const kb = Object.keys(fb).sort();
  return ka.length === kb.length && ka.every((k, i) => k === kb[i] && identical(be.download(fa[k]!), be.download(fb[k]!)));
};

/**
 * (T1) and (T2) for the 2-cell between two plans: the target's forward gives `r` of the source's
 * residual and the same outputs; the source's backward on `m` equals the target's on `r(m)`.
 */
export const planTwoCellValid = <T>(
  be: Backend<T>,
  cell: PlanTwoCell<T>,
  params: Record<string, HostTensor>,
  inputs: readonly HostTensor[],
  dOutputs: readonly HostTensor[],
): { t1: boolean; t2: boolean } => {
  const p = uploadAll(be, params);
  const xs = inputs.map((x) => be.upload(x));
  const s = cell.source.forward(p, xs);
  const t = cell.target.forward(p, xs);
  const rm = cell.r(s.residual);
  const t1 =
    s.outputs.every((o, i) => identical(be.download(o), be.download(t.outputs[i]!))) && sameResidual(be, rm, t.residual);
  const dys = () => dOutputs.map((x) => be.upload(x));
  const gs = cell.source.backward(s.residual, dys());
  const gt = cell.target.backward(rm, dys());
  const t2 = Object.entries(gs.dParams).every(([k, g]) => identical(be.download(g), be.download(gt.dParams[k]!)));
  return { t1, t2 };
};

/**
 * A plan's decomposition into 2-cells out of its all-recompute form is valid: every step satisfies
 * (T1) and (T2), and the vertical composite of the steps' maps equals the direct 2-cell's map on the
 * all-recompute residual (bit for bit).
 */
export const planDecompositionValid = <T>(
  be: Backend<T>,
  d: { readonly steps: readonly PlanTwoCell<T>[]; readonly composite: PlanTwoCell<T> },
  params: Record<string, HostTensor>,
  inputs: readonly HostTensor[],
  dOutputs: readonly HostTensor[],
): { steps: boolean; vertical: boolean } => {
  const steps = d.steps.every((c) => {
    const v = planTwoCellValid(be, c, params, inputs, dOutputs);
    return v.t1 && v.t2;
  });
  const p = uploadAll(be, params);
  const m = d.composite.source.forward(p, inputs.map((x) => be.upload(x))).residual;
  const viaSteps = d.steps.reduce((acc, c) => c.r(acc), m);
  return { steps, vertical: sameResidual(be, viaSteps, d.composite.r(m)) };
};
