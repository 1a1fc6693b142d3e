/**
 * Laws of the empirical NTK (`src/ntk`): K = J Jᵀ against a finite-difference Jacobian in float64,
 * K symmetric positive semi-definite, the closed forms equal to the per-example path, every plan
 * giving the same K, and a chunked (budgeted) K equal to the whole-batch one.
 *
 * @module
 */
import fc from 'fast-check';
import * as E from 'fp-ts/lib/Either.js';
import type { Backend } from '../src/backend/backend';
import { uploadAll } from '../src/backend/transfer';
import { lowerOrThrow } from '../src/lower/program';
import { type NtkOptions, type NtkOutputs, type NtkResult, ntk } from '../src/ntk/ntk';
import type { Plan } from '../src/plan/plan';
import type { TypedModel } from '../src/term/check';
import type { HostTensor } from '../src/tensor/tensor';
import { sameResidual } from './plan';
import { symmetricEigenvalues } from './delta';

/** What an NTK law saw. */
export interface NtkReport {
  readonly ok: boolean;
  /** The largest difference found, relative to the scale of K (or the smallest eigenvalue over trace for PSD). */
  readonly worst: number;
  readonly detail: string;
}

const run = <T>(model: TypedModel, be: Backend<T>, plan: Plan, params: Record<string, HostTensor>, inputs: readonly HostTensor[], o: Omit<NtkOptions<T>, 'backend'>): NtkResult => {
  const r = ntk(lowerOrThrow(model, be, plan), params, inputs, { ...o, backend: be });
  if (E.isLeft(r)) throw r.left;
  return r.right;
};

const maxAbs = (a: Float64Array): number => a.reduce((m, x) => Math.max(m, Math.abs(x)), 0);

/** Largest |a − b| over max |b| (Infinity for different sizes or a non-finite entry). */
export const relativeDifference = (a: Float64Array, b: Float64Array): number => {
  if (a.length !== b.length) return Infinity;
  let d = 0;
  for (let i = 0; i < a.length; i++) {
    const e = Math.abs(a[i]! - b[i]!);
    if (!Number.isFinite(e)) return Infinity;
    d = Math.max(d, e);
  }
  const s = maxAbs(b);
  return s > 0 ? d / s : d;
};

/**
 * The Jacobian of the model's outputs (flattened per example: row `i·C + a`) with respect to every
 * parameter, by forward finite differences on a float64 backend `ref` (e.g. `jsBackend('float64')`):
 * `(f(θ + h eₖ) − f(θ)) / h` with `h = step · max(1, |θₖ|)`. Columns follow the model's parameter
 * order. For small models.
 */
export const finiteDifferenceJacobian = <R>(
  model: TypedModel,
  ref: Backend<R>,
  params: Record<string, HostTensor>,
  inputs: readonly HostTensor[],
  step = 1e-7,
): { J: Float64Array; rows: number; cols: number } => {
  if (ref.dtype !== 'float64') throw new RangeError(`finiteDifferenceJacobian: the reference backend must compute in float64, '${ref.name}' is ${ref.dtype}`);
  const prog = lowerOrThrow(model, ref);
  const xs = inputs.map((x) => ref.upload(x));
  const base = uploadAll(ref, params);
  const N = inputs[0]!.shape[0]!;
  const flat = (outs: readonly HostTensor[]): Float64Array => {
    // Row i·C + a: example i's outputs, every output wire in order.
    const per = outs.map((o) => o.data.length / N);
    const C = per.reduce((s, c) => s + c, 0);
    const y = new Float64Array(N * C);
    for (let i = 0; i < N; i++) {
      let off = 0;
      outs.forEach((o, k) => {
        y.set(o.data.subarray(i * per[k]!, (i + 1) * per[k]!), i * C + off);
        off += per[k]!;
      });
    }
    return y;
  };
  const f = (p: Record<string, R>) => flat(prog.forward(p, xs).outputs.map((o) => ref.download(o)));
  const y0 = f(base);
  const keys = [...model.params.keys()];
  const cols = keys.reduce((s, k) => s + params[k]!.data.length, 0);
  const J = new Float64Array(y0.length * cols);
  let c = 0;
  for (const k of keys) {
    const p = params[k]!;
    for (let q = 0; q < p.data.length; q++, c++) {
      const data = Float64Array.from(p.data);
      const h = step * Math.max(1, Math.abs(data[q]!));
      data[q] += h;
      const y1 = f({ ...base, [k]: ref.upload({ shape: p.shape, data }) });
      for (let r = 0; r < y0.length; r++) J[r * cols + c] = (y1[r]! - y0[r]!) / h;
    }
  }
  return { J, rows: y0.length, cols };
};

/** `J Jᵀ` as the NTK: over (example, output) rows for `'full'`, summed over outputs for `'trace'`. */
export const gramOfJacobian = (jac: { J: Float64Array; rows: number; cols: number }, examples: number, mode: NtkOutputs): Float64Array => {
  const { J, rows, cols } = jac;
  const C = rows / examples;
  const M = mode === 'full' ? rows : examples;
  const K = new Float64Array(M * M);
  for (let u = 0; u < rows; u++)
    for (let v = 0; v < rows; v++) {
      const [i, a] = [Math.floor(u / C), u % C];
      const [j, b] = [Math.floor(v / C), v % C];
      if (mode === 'trace' && a !== b) continue;
      let s = 0;
      for (let k = 0; k < cols; k++) s += J[u * cols + k]! * J[v * cols + k]!;
      if (mode === 'full') K[u * M + v] = s;
      else K[i * M + j] += s;
    }
  return K;
};

/**
 * K = J Jᵀ: the NTK of `model` under `plan` on `be` equals the Gram matrix of a forward
 * finite-difference Jacobian computed on the float64 backend `ref`, within `rtol` of K's largest
 * entry (default 1e-5 for float64 backends, 2e-3 for float32 ones). `params` and `inputs` in float64.
 */
export const ntkMatchesJacobian = <T, R>(
  model: TypedModel,
  be: Backend<T>,
  ref: Backend<R>,
  params: Record<string, HostTensor>,
  inputs: readonly HostTensor[],
  o: { outputs?: NtkOutputs; plan?: Plan; rtol?: number; step?: number } = {},
): NtkReport => {
  const mode = o.outputs ?? 'trace';
  const r = run(model, be, o.plan ?? {}, params, inputs, { outputs: mode });
  const JJ = gramOfJacobian(finiteDifferenceJacobian(model, ref, params, inputs, o.step), r.examples, mode);
  const rtol = o.rtol ?? (be.dtype === 'float64' ? 1e-5 : 2e-3);
  const worst = relativeDifference(r.K, JJ);
  return { ok: worst <= rtol && maxAbs(JJ) > 0, worst, detail: `max |K − J Jᵀ| / max |J Jᵀ| = ${worst} (rtol ${rtol}); ${r.size}×${r.size}, ${JSON.stringify(r.paths)}` };
};

/**
 * K is symmetric (bit for bit) and positive semi-definite: its smallest eigenvalue is at least
 * `−eps · trace(K)` (default eps 1e-10 for float64 backends, 1e-5 for float32 ones).
 */
export const ntkIsPsd = (r: Pick<NtkResult, 'K' | 'size'>, eps = 1e-10): NtkReport => {
  const { K, size: m } = r;
  for (let i = 0; i < m; i++)
    for (let j = 0; j < i; j++)
      if (!Object.is(K[i * m + j], K[j * m + i])) return { ok: false, worst: Infinity, detail: `K[${i},${j}] = ${K[i * m + j]} but K[${j},${i}] = ${K[j * m + i]}` };
  let trace = 0;
  for (let i = 0; i < m; i++) trace += K[i * m + i]!;
  const min = Math.min(...symmetricEigenvalues(K, m));
  const worst = trace > 0 ? -min / trace : Infinity;
  return { ok: trace > 0 && min >= -eps * trace, worst, detail: `smallest eigenvalue ${min}, trace ${trace} (allowed ${-eps * trace})` };
};

/**
 * The closed-form contributions equal the per-example VJP path within `rtol` of K's scale (default
 * 1e-12, for float64 backends), and at least one primitive used a closed form (else the law says
 * nothing).
 */
export const closedFormMatchesPerExample = <T>(
  model: TypedModel,
  be: Backend<T>,
  params: Record<string, HostTensor>,
  inputs: readonly HostTensor[],
  o: { outputs?: NtkOutputs; plan?: Plan; rtol?: number } = {},
): NtkReport => {
  const closed = run(model, be, o.plan ?? {}, params, inputs, { outputs: o.outputs });
  const perEx = run(model, be, o.plan ?? {}, params, inputs, { outputs: o.outputs, path: 'per-example' });
  const rtol = o.rtol ?? 1e-12;
  const worst = relativeDifference(closed.K, perEx.K);
  const used = Object.values(closed.paths).includes('closed-form');
  return { ok: used && worst <= rtol, worst, detail: `closed form vs per-example: ${worst} (rtol ${rtol}); paths ${JSON.stringify(closed.paths)}` };
};

/**
 * Plan invariance: every plan gives the same K, bit for bit (or within `rtol` of K's scale, for plans
 * whose primitives' residual variants agree only to rounding, as the delta rule's do), and the plans
 * keep residuals that differ from the first plan's (so the law is about something).
 */
export const ntkPlanInvariant = <T>(
  model: TypedModel,
  be: Backend<T>,
  plans: readonly Plan[],
  params: Record<string, HostTensor>,
  inputs: readonly HostTensor[],
  o: { outputs?: NtkOutputs; rtol?: number } = {},
): NtkReport => {
  const Ks = plans.map((p) => run(model, be, p, params, inputs, { outputs: o.outputs }).K);
  const worst = Math.max(...Ks.map((K) => relativeDifference(K, Ks[0]!)));
  const same = o.rtol === undefined ? Ks.every((K) => K.length === Ks[0]!.length && K.every((x, i) => Object.is(x, Ks[0]![i]))) : worst <= o.rtol;
  const dev = uploadAll(be, params);
  const xs = inputs.map((x) => be.upload(x));
  const res = plans.map((p) => lowerOrThrow(model, be, p).forward(dev, xs).residual);
  const differ = res.slice(1).every((r) => !sameResidual(be, r, res[0]!));
  const want = o.rtol === undefined ? 'bit for bit' : `within ${o.rtol}`;
  return { ok: same && differ, worst, detail: `${plans.length} plans: K ${same ? `agrees ${want}` : `differs by ${worst} (wanted ${want})`}; residuals ${differ ? 'differ' : 'do not all differ from the first plan'}` };
};

/**
 * Chunking under a budget changes nothing but memory: K under `budget` equals the whole-batch K
 * within `rtol` (default 1e-12), and the budget did force a chunking (`strategy` is not `'whole'`).
 */
export const ntkChunkingAgrees = <T>(
  model: TypedModel,
  be: Backend<T>,
  params: Record<string, HostTensor>,
  inputs: readonly HostTensor[],
  budget: number,
  o: { outputs?: NtkOutputs; plan?: Plan; rtol?: number } = {},
): NtkReport & { strategy: string; plannedBytes: number } => {
  const whole = run(model, be, o.plan ?? {}, params, inputs, { outputs: o.outputs });
  const part = run(model, be, o.plan ?? {}, params, inputs, { outputs: o.outputs, budget });
  const rtol = o.rtol ?? 1e-12;
  const worst = relativeDifference(part.K, whole.K);
  return {
    ok: part.strategy !== 'whole' && part.plannedBytes <= budget && worst <= rtol,
    worst,
    strategy: part.strategy,
    plannedBytes: part.plannedBytes,
    detail: `${part.strategy} in chunks of ${part.chunk} (${part.chunkRuns} runs, ${part.plannedBytes} of ${budget} bytes): ${worst} from the whole batch`,
  };
};

/**
 * fast-check property: K = J Jᵀ (J on the float64 backend `ref`) and K is PSD over random seeds (`sample` draws parameters and a
 * batch in float64 from a seed).
 */
export const ntkProperty = <T, R>(
  model: TypedModel,
  be: Backend<T>,
  ref: Backend<R>,
  sample: (seed: number) => { params: Record<string, HostTensor>; inputs: HostTensor[] },
  o: { outputs?: NtkOutputs; rtol?: number; eps?: number } = {},
) =>
  fc.property(fc.integer({ min: 0, max: 2 ** 31 - 1 }), (seed) => {
    const { params, inputs } = sample(seed);
    const r = run(model, be, {}, params, inputs, { outputs: o.outputs });
    return ntkMatchesJacobian(model, be, ref, params, inputs, o).ok && ntkIsPsd(r, o.eps ?? (be.dtype === 'float64' ? 1e-10 : 1e-5)).ok;
  });
