/**
 * Laws of the delta rule (`delta_rule`): algorithm equivalence, state carrying, the WY identity,
 * the spectrum of the transitions, the β = 0 and β = 1 edge cases, and residual-variant invariance.
 * Each is a pure predicate returning a report; the property wrappers draw seeds with fast-check.
 */
import fc from 'fast-check';
import type { Backend } from '../src/backend/backend';
import { prim } from '../src/term/term';
import { rng, randn } from '../src/tensor/rng';
import type { HostTensor } from '../src/tensor/tensor';
import type { Shape } from '../src/tensor/shape';
import { type HeadSeq, wyFactors } from '../backends/js/kernels/delta-core';
import { closeness } from './compare';
import type { ConformanceCase } from './conformance';
import { type PrimRun, runPrim } from './prim-run';

/** Report of a delta-rule law: whether it held and the worst discrepancy seen. */
export interface DeltaReport {
  readonly ok: boolean;
  readonly worst: number;
  readonly detail: string;
}

/** Sizes of a delta-rule test problem. */
export interface DeltaDims {
  readonly B: number;
  readonly T: number;
  readonly H: number;
  readonly dk: number;
  readonly dv: number;
}

/** Input shapes of `delta_rule` for the given sizes: q, k, v, β logits, S_0. */
export const deltaShapes = ({ B, T, H, dk, dv }: DeltaDims): Shape[] => [
  [B, T, H * dk],
  [B, T, H * dk],
  [B, T, H * dv],
  [B, T, H],
  [B, H, dk, dv],
];

/** Random inputs from a seed (normal q, k, v, logits and initial state). */
export const deltaInputs = (d: DeltaDims, seed: number): HostTensor[] => {
  const r = rng(seed);
  return deltaShapes(d).map((s, i) => randn(s, r.fork(`delta:${i}`)));
};

/** Attributes a law may vary. */
export interface DeltaRunAttrs {
  readonly heads: number;
  readonly algorithm?: 'recurrent' | 'chunkwise';
  readonly chunk?: number;
  readonly betaRange?: '[0,1]' | '[0,2]';
}

/** Outputs, input gradients and residual size of one forward+backward of `delta_rule`. */
export type DeltaRun = PrimRun;

/** Run `delta_rule` forward (and backward with cotangents `dOut`, if given) on a backend. */
export const runDelta = <T>(be: Backend<T>, attrs: DeltaRunAttrs, variant: string, inputs: readonly HostTensor[], dOut?: readonly HostTensor[]): DeltaRun =>
  runPrim(be, 'delta_rule', { ...attrs }, variant, inputs, dOut);

const worstOf = (as: readonly HostTensor[], bs: readonly HostTensor[], rtol: number, atol: number): number =>
  as.reduce((w, a, i) => Math.max(w, closeness(a, bs[i]!, rtol, atol)), 0);

const cotangents = (outputs: readonly HostTensor[], seed: number): HostTensor[] =>
  outputs.map((o, i) => randn(o.shape, rng(seed).fork(`dOut:${i}`)));

/**
 * Chunkwise ≡ recurrent: for chunk size C the chunkwise algorithm gives the recurrent outputs, final
 * state and input gradients (under the `chunk-states` variant, which runs the chunkwise backward).
 * Choose T not a multiple of C to cover a ragged last chunk.
 */
export const chunkwiseMatchesRecurrent = <T>(
  be: Backend<T>,
  d: DeltaDims,
  C: number,
  betaRange: '[0,1]' | '[0,2]',
  seed: number,
  tol = { rtol: 1e-9, atol: 1e-10 },
): DeltaReport => {
  const inputs = deltaInputs(d, seed);
  const rec = runDelta(be, { heads: d.H, algorithm: 'recurrent', betaRange }, 'all-states', inputs);
  const dOut = cotangents(rec.outputs, seed);
  const a = runDelta(be, { heads: d.H, algorithm: 'recurrent', betaRange }, 'all-states', inputs, dOut);
  const b = runDelta(be, { heads: d.H, algorithm: 'chunkwise', chunk: C, betaRange }, 'chunk-states', inputs, dOut);
  const worst = Math.max(worstOf(b.outputs, a.outputs, tol.rtol, tol.atol), worstOf(b.dInputs, a.dInputs, tol.rtol, tol.atol));
  return { ok: worst <= 1, worst, detail: `chunkwise C=${C} vs recurrent (T=${d.T}, ${betaRange}): worst closeness ${worst}` };
};

const sliceTime = (x: HostTensor, t0: number, t1: number): HostTensor => {
  const [B, T, F] = x.shape as [number, number, number];
  const data = x.data.constructor === Float64Array ? new Float64Array(B * (t1 - t0) * F) : new Float32Array(B * (t1 - t0) * F);
  for (let b = 0; b < B; b++) data.set(x.data.subarray((b * T + t0) * F, (b * T + t1) * F), b * (t1 - t0) * F);
  return { shape: [B, t1 - t0, F], data };
};

/**
 * Splitting a sequence at `cut` and carrying the state equals one pass: running [0, cut) from S_0 and
 * then [cut, T) from the carried state gives the same outputs and final state.
 */
export const splitCarriesState = <T>(be: Backend<T>, d: DeltaDims, cut: number, attrs: DeltaRunAttrs, seed: number, tol = { rtol: 1e-10, atol: 1e-11 }): DeltaReport => {
  const inputs = deltaInputs(d, seed);
  const whole = runDelta(be, attrs, 'all-states', inputs);
  const part = (t0: number, t1: number, s0: HostTensor) => runDelta(be, attrs, 'all-states', [...inputs.slice(0, 4).map((x) => sliceTime(x, t0, t1)), s0]);
  const first = part(0, cut, inputs[4]!);
  const second = part(cut, d.T, first.outputs[1]!);
  const worst = Math.max(
    closeness(first.outputs[0]!, sliceTime(whole.outputs[0]!, 0, cut), tol.rtol, tol.atol),
    closeness(second.outputs[0]!, sliceTime(whole.outputs[0]!, cut, d.T), tol.rtol, tol.atol),
    closeness(second.outputs[1]!, whole.outputs[1]!, tol.rtol, tol.atol),
  );
  return { ok: worst <= 1, worst, detail: `split at ${cut} of ${d.T}: worst closeness ${worst}` };
};

/** Random unit vectors (rows of a c×d array) from a seed. */
export const unitRows = (c: number, d: number, seed: number): Float64Array => {
  const r = rng(seed);
  const k = new Float64Array(c * d);
  for (let i = 0; i < c; i++) {
    let s = 0;
    for (let x = 0; x < d; x++) s += (k[i * d + x] = r.normal()) ** 2;
    for (let x = 0; x < d; x++) k[i * d + x] /= Math.sqrt(s);
  }
  return k;
};

/**
 * The WY identity: with W from the kernel's forward substitution, `I − KᵀW` equals the ordered
 * product `(I − β_c k_c k_cᵀ) ⋯ (I − β_1 k_1 k_1ᵀ)` of one chunk's transitions.
 */
export const wyMatchesTransitionProduct = (k: Float64Array, beta: Float64Array, c: number, dk: number, tol = 1e-12): DeltaReport => {
  const s: HeadSeq = { T: c, dk, dv: 1, q: new Float64Array(c * dk), k, v: new Float64Array(c), beta };
  const A = new Float64Array(c * c);
  const W = new Float64Array(c * dk);
  wyFactors(s, 0, c, c, A, W, new Float64Array(c));
  const wy = new Float64Array(dk * dk);
  for (let x = 0; x < dk; x++)
    for (let y = 0; y < dk; y++) {
      let a = x === y ? 1 : 0;
      for (let i = 0; i < c; i++) a -= k[i * dk + x]! * W[i * dk + y]!;
      wy[x * dk + y] = a;
    }
  // P ← (I − β_i k_i k_iᵀ) P, for i = 1..c.
  let P = new Float64Array(dk * dk);
  for (let x = 0; x < dk; x++) P[x * dk + x] = 1;
  for (let i = 0; i < c; i++) {
    const next = new Float64Array(dk * dk);
    for (let y = 0; y < dk; y++) {
      let kp = 0;
      for (let x = 0; x < dk; x++) kp += k[i * dk + x]! * P[x * dk + y]!;
      for (let x = 0; x < dk; x++) next[x * dk + y] = P[x * dk + y]! - beta[i]! * k[i * dk + x]! * kp;
    }
    P = next;
  }
  let worst = 0;
  for (let i = 0; i < dk * dk; i++) worst = Math.max(worst, Math.abs(wy[i]! - P[i]!));
  return { ok: worst <= tol, worst, detail: `max |(I − KᵀW) − Π(I − β k kᵀ)| = ${worst}` };
};

/** Eigenvalues of a symmetric n×n matrix by cyclic Jacobi rotations (ascending). */
export const symmetricEigenvalues = (m: ArrayLike<number>, n: number): number[] => {
  const a = Float64Array.from(m);
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += a[p * n + q]! ** 2;
    if (off < 1e-30) break;
    for (let p = 0; p < n; p++)
      for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q]!;
        if (Math.abs(apq) < 1e-300) continue;
        const theta = (a[q * n + q]! - a[p * n + p]!) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = a[k * n + p]!;
          const akq = a[k * n + q]!;
          a[k * n + p] = c * akp - s * akq;
          a[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p * n + k]!;
          const aqk = a[q * n + k]!;
          a[p * n + k] = c * apk - s * aqk;
          a[q * n + k] = s * apk + c * aqk;
        }
      }
  }
  return Array.from({ length: n }, (_, i) => a[i * n + i]!).sort((x, y) => x - y);
};

/**
 * The transition the primitive applies for one step, read off the primitive itself: with v = 0 and
 * S_0 = I (d_v = d_k), one step gives S_1 = I − β k̂ k̂ᵀ. Returns it with the β it used.
 */
export const transitionOf = <T>(be: Backend<T>, k: Float64Array, logit: number, betaRange: '[0,1]' | '[0,2]'): { M: Float64Array; beta: number } => {
  const dk = k.length;
  const eye = new Float64Array(dk * dk);
  for (let i = 0; i < dk; i++) eye[i * dk + i] = 1;
  const run = runDelta(be, { heads: 1, betaRange }, 'all-states', [
    { shape: [1, 1, dk], data: Float64Array.from(k) },
    { shape: [1, 1, dk], data: Float64Array.from(k) },
    { shape: [1, 1, dk], data: new Float64Array(dk) },
    { shape: [1, 1, 1], data: Float64Array.from([logit]) },
    { shape: [1, 1, dk, dk], data: eye },
  ]);
  const M = Float64Array.from(run.outputs[1]!.data);
  const sig = logit >= 0 ? 1 / (1 + Math.exp(-logit)) : Math.exp(logit) / (1 + Math.exp(logit));
  return { M, beta: (betaRange === '[0,2]' ? 2 : 1) * sig };
};

/**
 * Spectrum of a transition: for any key (normalised inside) and logit, `I − β k̂ k̂ᵀ` from the
 * primitive has eigenvalues {1 (d−1 times), 1 − β}, all in [−1, 1] when β ∈ [0, 2] (spectral norm 1).
 */
export const transitionSpectrum = <T>(be: Backend<T>, k: Float64Array, logit: number, betaRange: '[0,1]' | '[0,2]', tol = 1e-10): DeltaReport => {
  const dk = k.length;
  const { M, beta } = transitionOf(be, k, logit, betaRange);
  const ev = symmetricEigenvalues(M, dk);
  const expected = [1 - beta, ...Array.from({ length: dk - 1 }, () => 1)].sort((x, y) => x - y);
  const worst = Math.max(...ev.map((e, i) => Math.abs(e - expected[i]!)));
  const inRange = ev.every((e) => e >= -1 - tol && e <= 1 + tol);
  const normOne = Math.abs(Math.max(...ev.map(Math.abs)) - 1) <= tol;
  return {
    ok: worst <= tol && inRange && normOne,
    worst,
    detail: `β = ${beta}: eigenvalues [${ev.map((e) => e.toFixed(6)).join(', ')}], expected {1 ×${dk - 1}, ${1 - beta}}`,
  };
};

/** β = 0 (logit −∞) leaves the state unchanged: S_T = S_0 and o_t = S_0ᵀ q̂_t. */
export const zeroBetaKeepsState = <T>(be: Backend<T>, d: DeltaDims, seed: number): DeltaReport => {
  const inputs = deltaInputs(d, seed);
  inputs[3] = { shape: inputs[3]!.shape, data: inputs[3]!.data.map(() => -Infinity) };
  const run = runDelta(be, { heads: d.H }, 'all-states', inputs);
  const S0 = inputs[4]!;
  // The state must come back bit for bit: u_t = 0 · (v_t − Sᵀk_t) is exactly zero.
  let worst = run.outputs[1]!.data.every((x, i) => x === S0.data[i]) ? 0 : Infinity;
  const { B, T, H, dk, dv } = d;
  for (let b = 0; b < B; b++)
    for (let t = 0; t < T; t++)
      for (let h = 0; h < H; h++) {
        const q = inputs[0]!.data.subarray(((b * T + t) * H + h) * dk, ((b * T + t) * H + h + 1) * dk);
        let n = 0;
        for (let i = 0; i < dk; i++) n += q[i]! ** 2;
        n = Math.sqrt(n);
        for (let j = 0; j < dv; j++) {
          let o = 0;
          for (let i = 0; i < dk; i++) o += (S0.data[((b * H + h) * dk + i) * dv + j]! * q[i]!) / n;
          worst = Math.max(worst, Math.abs(o - run.outputs[0]!.data[((b * T + t) * H + h) * dv + j]!));
        }
      }
  return { ok: worst <= 1e-12, worst, detail: `β = 0: state changed or output differs by ${worst}` };
};

/**
 * With β = 1 the state recalls `v_t` exactly at `k_t`: after the step, S_tᵀ k̂_t = v_t. Checked by
 * querying with q = k (so o_t = S_tᵀ k̂_t), β = 1 from logit 0 in the [0, 2] range.
 */
export const unitBetaRecalls = <T>(be: Backend<T>, d: DeltaDims, seed: number, tol = 1e-12): DeltaReport => {
  const inputs = deltaInputs(d, seed);
  inputs[0] = inputs[1]!;
  inputs[3] = { shape: inputs[3]!.shape, data: inputs[3]!.data.map(() => 0) };
  const run = runDelta(be, { heads: d.H, betaRange: '[0,2]' }, 'all-states', inputs);
  const worst = closeness(run.outputs[0]!, inputs[2]!, 0, 1);
  return { ok: worst <= tol, worst, detail: `β = 1: max |S_tᵀk_t − v_t| = ${worst}` };
};

/**
 * Every residual variant gives the same outputs and gradients (up to `tol`; the kernels here agree
 * bit for bit), and each keeps exactly the elements its cost predicts.
 */
export const variantsAgree = <T>(be: Backend<T>, d: DeltaDims, attrs: DeltaRunAttrs, seed: number, tol = { rtol: 1e-9, atol: 1e-10 }): DeltaReport => {
  const inputs = deltaInputs(d, seed);
  const base = runDelta(be, attrs, 'all-states', inputs);
  const dOut = cotangents(base.outputs, seed);
  const runs = ['all-states', 'chunk-states', 'none'].map((v) => [v, runDelta(be, attrs, v, inputs, dOut)] as const);
  let worst = 0;
  const notes: string[] = [];
  for (const [v, r] of runs) {
    if (r.residualElems !== r.predictedResidualElems) {
      worst = Infinity;
      notes.push(`${v} keeps ${r.residualElems} elements, cost says ${r.predictedResidualElems}`);
    }
    worst = Math.max(worst, worstOf(r.outputs, runs[0]![1].outputs, tol.rtol, tol.atol), worstOf(r.dInputs, runs[0]![1].dInputs, tol.rtol, tol.atol));
  }
  return { ok: worst <= 1, worst, detail: `residual variants: worst closeness ${worst} ${notes.join('; ')}` };
};

/** fast-check property over seeds for any of the seed-taking laws above. */
export const deltaProperty = (law: (seed: number) => DeltaReport) => fc.property(fc.integer({ min: 0, max: 2 ** 31 - 1 }), (seed) => law(seed).ok);

const dims = (B: number, T: number, H: number, dk: number, dv: number): DeltaDims => ({ B, T, H, dk, dv });
const allVariants: Readonly<Record<string, string>>[] = [{}, { '': 'chunk-states' }, { '': 'none' }];

/**
 * Conformance cases for `delta_rule` (both algorithms, every residual variant, a ragged last chunk)
 * and `last_position`, for every backend's test suite.
 */
export const deltaCases: readonly ConformanceCase[] = [
  ...(['recurrent', 'chunkwise'] as const).flatMap((algorithm) =>
    (['[0,1]', '[0,2]'] as const).map(
      (betaRange): ConformanceCase => ({
        name: `delta_rule ${algorithm} ${betaRange}`,
        term: prim('delta_rule', { heads: 2, algorithm, chunk: 4, betaRange }),
        inputs: deltaShapes(dims(2, 10, 2, 3, 4)),
        variants: allVariants,
      }),
    ),
  ),
  { name: 'last_position', term: prim('last_position'), inputs: [[3, 5, 4]] },
];
