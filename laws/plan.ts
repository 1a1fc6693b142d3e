import type { Eq } from 'fp-ts/lib/Eq.js';
import type { Backend, Params } from '../src/backend/backend';
import type { Plan } from '../src/plan/plan';
import type { ProgramResidual } from '../src/lower/program';
import { lowerOrThrow } from '../src/lower/program';
import type { PlanTwoCell } from '../src/lower/plan-cells';
import { type KernelResidual, variantTwoCell } from '../src/lower/kernel-optic';
import type { TypedPrim } from '../src/term/check';
import type { TwoCell } from '../src/optic/twocell';
import { vertical } from '../src/optic/twocell';
import type { TypedModel } from '../src/term/check';
import type { HostTensor } from '../src/tensor/tensor';
import { identical } from './compare';
import { type TwoCellEq, twoCellLaws } from './optic';
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

/** The kept tensors of a residual by name, downloaded. */
export const residualContents = <T>(be: Backend<T>, r: ProgramResidual<T>): Array<[string, HostTensor]> =>
  r.entries().map(([k, t]) => [k, be.download(t)]);

/** Two residuals keep the same tensors under the same names, bit for bit. */
export const sameResidual = <T>(be: Backend<T>, a: ProgramResidual<T>, b: ProgramResidual<T>): boolean => {
  const fa = residualContents(be, a).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0));
  const fb = residualContents(be, b).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0));
  return fa.length === fb.length && fa.every(([k, t], i) => k === fb[i]![0] && identical(t, fb[i]![1]));
};

/**
 * Plan invariance: every plan gives bit-identical outputs and gradients on one backend (the
 * recomputation is deterministic, so "close" is not enough). Not vacuous only if the plans keep
 * different residuals: see {@link residualsDiffer}.
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

/**
 * The plans keep residuals that differ (in names, sizes or contents) from the first plan's: the
 * premise that makes a comparison of plans or variants mean something.
 */
export const residualsDiffer = <T>(
  model: TypedModel,
  be: Backend<T>,
  plans: readonly Plan[],
  params: Record<string, HostTensor>,
  inputs: readonly HostTensor[],
): boolean => {
  const p = uploadAll(be, params);
  const rs = plans.map((plan) => lowerOrThrow(model, be, plan).forward(p, inputs.map((x) => be.upload(x))).residual);
  return rs.slice(1).every((r) => !sameResidual(be, rs[0]!, r));
};

const eqTensors = <T>(be: Backend<T>): Eq<readonly (T | null)[]> => ({
  equals: (a, b) =>
    a.length === b.length && a.every((x, i) => (x === null ? b[i] === null : b[i] != null && identical(be.download(x), be.download(b[i]!)))),
});

/**
 * Equalities for a 2-cell between programs (or any optics with their shapes), bit for bit: residuals
 * by their named kept tensors (T1), outputs (T1), and the backward result, both parameter and input
 * gradients (T2). Use with `twoCellLaws` from `laws/optic.ts`: one T1/T2 law for plan 2-cells, variant
 * 2-cells and decompositions alike.
 *
 * @example
 * twoCellLaws.valid(cell, programCellEq(be))([params, inputs], dOutputs)
 */
export const programCellEq = <T>(
  be: Backend<T>,
): TwoCellEq<ProgramResidual<T>, T[], [Record<string, T>, (T | null)[]]> => ({
  residual: { equals: (a, b) => sameResidual(be, a, b) },
  output: eqTensors(be),
  cotangent: {
    equals: ([pa, xa], [pb, xb]) => {
      const ka = Object.keys(pa).sort();
      const kb = Object.keys(pb).sort();
      return (
        ka.length === kb.length &&
        ka.every((k, i) => k === kb[i] && identical(be.download(pa[k]!), be.download(pb[k]!))) &&
        eqTensors(be).equals(xa, xb)
      );
    },
  },
});

/** Host arguments of a program 2-cell law, uploaded: `[params, inputs]` and the output cotangents. */
export const cellArgs = <T>(
  be: Backend<T>,
  params: Record<string, HostTensor>,
  inputs: readonly HostTensor[],
  dOutputs: readonly HostTensor[],
): { a: [Params<T>, T[]]; db: T[] } => ({ a: [uploadAll(be, params), inputs.map((x) => be.upload(x))], db: dOutputs.map((x) => be.upload(x)) });

/**
 * (T1) and (T2) of the 2-cell between two plans, by the one law of `laws/optic.ts`, plus the premise
 * that makes it mean something: the two plans' residuals differ.
 */
export const planTwoCellValid = <T>(
  be: Backend<T>,
  cell: PlanTwoCell<T>,
  params: Record<string, HostTensor>,
  inputs: readonly HostTensor[],
  dOutputs: readonly HostTensor[],
): { t1: boolean; t2: boolean; differ: boolean } => {
  const { a, db } = cellArgs(be, params, inputs, dOutputs);
  const E = programCellEq(be);
  const differ = !sameResidual(be, cell.source.fwd(a)[0], cell.target.fwd(a)[0]);
  return { t1: twoCellLaws.t1(cell, E.residual, E.output)(a), t2: twoCellLaws.t2(cell, E.cotangent)(a, db), differ };
};

/**
 * A plan's decomposition into 2-cells out of its all-recompute form is valid: every step satisfies
 * (T1) and (T2), and the core's vertical composite of the steps has the direct 2-cell's map (bit for
 * bit on the all-recompute residual).
 */
export const planDecompositionValid = <T>(
  be: Backend<T>,
  d: { readonly steps: readonly PlanTwoCell<T>[]; readonly composite: PlanTwoCell<T> },
  params: Record<string, HostTensor>,
  inputs: readonly HostTensor[],
  dOutputs: readonly HostTensor[],
): { steps: boolean; vertical: boolean; differ: boolean } => {
  // A step inside a node that stays in lens form changes nothing that is kept: only the composite
  // has to keep something different for the law to mean something.
  const steps = d.steps.every((c) => {
    const v = planTwoCellValid(be, c, params, inputs, dOutputs);
    return v.t1 && v.t2;
  });
  const { a } = cellArgs(be, params, inputs, dOutputs);
  const m = d.composite.source.fwd(a)[0];
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const composed = (d.steps as readonly TwoCell<any, any, any, any, any, any>[]).reduce((x, y) => vertical(x, y));
  return {
    steps,
    vertical: sameResidual(be, composed.r(m), d.composite.r(m)),
    differ: !sameResidual(be, m, d.composite.target.fwd(a)[0]),
  };
};

/**
 * Equalities for a 2-cell between kernel optics (`kernelOptic`, `variantTwoCell`), bit for bit: the
 * kernels' kept records (T1), outputs (T1), local parameter and input gradients (T2).
 */
export const kernelCellEq = <T>(
  be: Backend<T>,
): TwoCellEq<KernelResidual<T>, T[], [Record<string, T>, (T | null)[]]> => {
  const records: Eq<Readonly<Record<string, T>>> = {
    equals: (a, b) => {
      const ka = Object.keys(a).sort();
      const kb = Object.keys(b).sort();
      return ka.length === kb.length && ka.every((k, i) => k === kb[i] && identical(be.download(a[k]!), be.download(b[k]!)));
    },
  };
  return {
    residual: { equals: (a, b) => records.equals(a.kept, b.kept) },
    output: eqTensors(be),
    cotangent: { equals: ([pa, xa], [pb, xb]) => records.equals(pa, pb) && eqTensors(be).equals(xa, xb) },
  };
};

/**
 * (T1) and (T2) of a primitive's declared variant 2-cell `from ⇒ to` at one node, with the map the
 * backend's kernel supplies (`variantTwoCell`), by the one law of `laws/optic.ts`; `differ` is the
 * premise that the two variants keep different residuals here. Throws if the kernel has no map.
 */
export const variantCellValid = <T>(
  be: Backend<T>,
  node: TypedPrim,
  from: string,
  to: string,
  params: Record<string, HostTensor>,
  inputs: readonly HostTensor[],
  dOutputs: readonly HostTensor[],
): { t1: boolean; t2: boolean; differ: boolean } => {
  const kernel = be.kernel(node.def.name);
  const cell = kernel && variantTwoCell(kernel, node, from, to);
  if (!cell) throw new Error(`backend '${be.name}' has no map for the 2-cell ${from} ⇒ ${to} of '${node.def.name}'`);
  const E = kernelCellEq(be);
  const local = Object.fromEntries(Object.keys(node.params).map((l) => [l, params[[...node.path, l].join('.')]!]));
  const { a, db } = cellArgs(be, local, inputs, dOutputs);
  const differ = !E.residual.equals(cell.source.fwd(a)[0], cell.target.fwd(a)[0]);
  return { t1: twoCellLaws.t1(cell, E.residual, E.output)(a), t2: twoCellLaws.t2(cell, E.cotangent)(a, db), differ };
};
