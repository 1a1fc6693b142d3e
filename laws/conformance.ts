import type { Backend } from '../src/backend/backend';
import { lowerOrThrow } from '../src/lower/program';
import { checkOrThrow, type TypedModel } from '../src/term/check';
import type { Term } from '../src/term/term';
import { initParams } from '../src/train/init';
import { rng, randn } from '../src/tensor/rng';
import type { HostTensor } from '../src/tensor/tensor';
import type { Shape } from '../src/tensor/shape';
import { closeness } from './compare';
import { downloadAll, uploadAll } from '../src/backend/transfer';

/** One conformance case: a term, its input shapes, and optionally how to make valid inputs. */
export interface ConformanceCase {
  readonly name: string;
  readonly term: Term;
  readonly inputs: readonly Shape[];
  /** Inputs that must be valid (ids, labels); random normals otherwise. */
  readonly sample?: (seed: number) => HostTensor[];
  /** Plan-level variant choices to check, by node path; default: the term's own. */
  readonly variants?: readonly Readonly<Record<string, string>>[];
  /** Parameters for `seed` (default: `initParams`; some primitives start at constants that would hide a wiring error). */
  readonly params?: (model: TypedModel, seed: number) => Record<string, HostTensor>;
}

export interface ConformanceReport {
  readonly name: string;
  readonly ok: boolean;
  /** Worst closeness over outputs and gradients (≤ 1 passes). */
  readonly worst: number;
  readonly where: string;
}

/** What one backend computed for a conformance case: outputs, input gradients and parameter gradients, on the host. */
export interface CaseRun {
  readonly outputs: HostTensor[];
  readonly dInputs: (HostTensor | null)[];
  readonly dParams: Record<string, HostTensor>;
}

/**
 * Run a conformance case on one backend: forward on the case's inputs for `seed`, then backward from
 * seeded random output gradients, under the given residual variants. Two backends (or one backend in
 * two places, say Node and a browser) agree on a case when their runs agree.
 */
export const runCase = <T>(c: ConformanceCase, be: Backend<T>, seed: number, variants: Readonly<Record<string, string>> = {}): CaseRun => {
  const model = checkOrThrow(c.term, c.inputs);
  const params = c.params ? c.params(model, seed) : initParams(model, seed, 'float64');
  const r = rng(seed);
  const inputs = c.sample ? c.sample(seed) : c.inputs.map((s) => randn(s, r.fork('x')));
  const prog = lowerOrThrow(model, be, { variants });
  const dev = uploadAll(be, params);
  const { outputs, residual } = prog.forward(dev, inputs.map((x) => be.upload(x)));
  const dys = outputs.map((o, i) => randn(be.shapeOf(o), rng(seed).fork(`dy${i}`)));
  const g = prog.backward(residual, dys.map((x) => be.upload(x)));
  return {
    outputs: outputs.map((o) => be.download(o)),
    dInputs: g.dInputs.map((x) => (x === null ? null : be.download(x))),
    dParams: downloadAll(be, g.dParams),
  };
};

/**
 * How far `a` is from the reference `b`: the worst closeness over outputs and gradients (≤ 1 is
 * within tolerance) and where it is.
 */
export const compareRuns = (a: CaseRun, b: CaseRun, tol: { rtol: number; atol: number }, tag = ''): { worst: number; where: string } => {
  let worst = 0;
  let where = '';
  const note = (e: number, w: string) => {
    if (e > worst || Number.isNaN(e)) {
      worst = Number.isNaN(e) ? Infinity : e;
      where = w;
    }
  };
  const sp = tag ? ` ${tag}` : '';
  if (a.outputs.length !== b.outputs.length) note(Infinity, `output count${sp}`);
  a.outputs.forEach((o, i) => note(b.outputs[i] ? closeness(o, b.outputs[i]!, tol.rtol, tol.atol) : Infinity, `output ${i}${sp}`));
  a.dInputs.forEach((g, i) => {
    const h = b.dInputs[i];
    if ((g === null) !== (h === null || h === undefined)) note(Infinity, `input gradient ${i} presence${sp}`);
    else if (g && h) note(closeness(g, h, tol.rtol, tol.atol), `input gradient ${i}${sp}`);
  });
  for (const [k, g] of Object.entries(b.dParams)) {
    const h = a.dParams[k];
    note(h ? closeness(h, g, tol.rtol, tol.atol) : Infinity, `parameter gradient ${k}${sp}`);
  }
  return { worst, where };
};

/**
 * Backend conformance: every kernel of `candidate` agrees with `reference` (forward outputs,
 * input and parameter gradients) within `rtol`/`atol`, on random data from `seed`. A case whose
 * reference outputs are all zero fails: it would pass any kernel that returns zeros.
 */
export const conforms = <T, R>(
  c: ConformanceCase,
  candidate: Backend<T>,
  reference: Backend<R>,
  seed: number,
  tol: { rtol: number; atol: number },
): ConformanceReport => {
  let worst = 0;
  let where = '';
  for (const variants of c.variants ?? [{}]) {
    const ref = runCase(c, reference, seed, variants);
    // Non-vacuity: a case whose reference outputs are all zero cannot tell a kernel that returns zeros.
    const r = ref.outputs.every((o) => o.data.every((v) => v === 0))
      ? { worst: Infinity, where: `outputs ${JSON.stringify(variants)}: the reference's are all zero, so the case cannot tell a kernel that returns zeros` }
      : compareRuns(runCase(c, candidate, seed, variants), ref, tol, JSON.stringify(variants));
    if (r.worst > worst || (r.worst === Infinity && worst !== Infinity)) ({ worst, where } = r);
  }
  return { name: c.name, ok: worst <= 1, worst, where };
};
