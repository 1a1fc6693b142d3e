/**
 * Laws of the PMI memory primitives: `outer_memory` (the outer-product long-term memory) and
 * `topk_write` (the competitive working-memory write). Pure predicates returning reports, plus the
 * conformance cases every backend runs.
 */
import type { Backend } from '../src/backend/backend';
import { lowerOrThrow, residualElems } from '../src/lower/program';
import { checkOrThrow } from '../src/term/check';
import { prim } from '../src/term/term';
import { rng, randn } from '../src/tensor/rng';
import type { HostTensor } from '../src/tensor/tensor';
import type { Shape } from '../src/tensor/shape';
import { closeness, identical } from './compare';
import type { ConformanceCase } from './conformance';
import type { DeltaDims } from './delta';
import { type PrimRun, runPrim } from './prim-run';
import { vjpMatchesFiniteDifferences } from './gradient';

/** Report of a PMI law: whether it held and what was seen. */
export interface PmiReport {
  readonly ok: boolean;
  readonly worst: number;
  readonly detail: string;
}

/** The sizes of an `outer_memory` call: those of the delta rule it is modelled on. */
export type OuterMemoryDims = DeltaDims;

/** Input shapes of `outer_memory`: q, k, v, M_0. */
export const outerMemoryShapes = ({ B, T, H, dk, dv }: OuterMemoryDims): Shape[] => [
  [B, T, H * dk],
  [B, T, H * dk],
  [B, T, H * dv],
  [B, H, dk, dv],
];

/** Random normal inputs of `outer_memory` from a seed. */
export const outerMemoryInputs = (d: OuterMemoryDims, seed: number): HostTensor[] =>
  outerMemoryShapes(d).map((s, i) => randn(s, rng(seed).fork(`om:${i}`)));

export { type PrimRun, runPrim };

const VARIANTS = ['all-states', 'chunk-states', 'none'] as const;

/**
 * Every residual variant of `outer_memory` gives the same outputs and input gradients — bit for bit
 * with `exact` — and keeps exactly the elements its cost predicts.
 */
export const outerMemoryVariantsAgree = <T>(be: Backend<T>, d: OuterMemoryDims, chunk: number, seed: number, exact = true): PmiReport => {
  const inputs = outerMemoryInputs(d, seed);
  const attrs = { heads: d.H, chunk };
  const base = runPrim(be, 'outer_memory', attrs, 'all-states', inputs);
  const dOut = base.outputs.map((o, i) => randn(o.shape, rng(seed).fork(`dy${i}`)));
  const runs = VARIANTS.map((v) => [v, runPrim(be, 'outer_memory', attrs, v, inputs, dOut)] as const);
  const ref = runs[0]![1];
  const notes: string[] = [];
  let worst = 0;
  for (const [v, r] of runs) {
    if (r.residualElems !== r.predictedResidualElems) notes.push(`${v} keeps ${r.residualElems} elements, cost says ${r.predictedResidualElems}`);
    const all = [...r.outputs, ...r.dInputs];
    const refs = [...ref.outputs, ...ref.dInputs];
    all.forEach((x, i) => {
      const same = exact ? identical(x, refs[i]!) : closeness(x, refs[i]!, 1e-9, 1e-10) <= 1;
      if (!same) notes.push(`${v}: tensor ${i} differs from all-states (closeness ${closeness(x, refs[i]!, 1e-9, 1e-10)})`);
      worst = Math.max(worst, closeness(x, refs[i]!, 1e-9, 1e-10));
    });
  }
  return { ok: notes.length === 0, worst, detail: notes.join('; ') || 'variants agree' };
};

/**
 * `none` really rebuilds: the residual it keeps, measured on the backend, is q, k, v and one memory
 * state per head, whatever the sequence length — the state part is the same at every T in `Ts` —
 * while `all-states` keeps a state part that grows with T.
 */
export const noneKeepsConstantState = <T>(be: Backend<T>, d: Omit<OuterMemoryDims, 'T'>, Ts: readonly number[], chunk: number): PmiReport => {
  const stateParts = (variant: string) =>
    Ts.map((T) => {
      const dims = { ...d, T };
      const run = runPrim(be, 'outer_memory', { heads: d.H, chunk }, variant, outerMemoryInputs(dims, T));
      return run.residualElems - d.B * T * d.H * (2 * d.dk + d.dv);
    });
  const none = stateParts('none');
  const all = stateParts('all-states');
  const perHead = d.B * d.H * d.dk * d.dv;
  const ok = none.every((x) => x === perHead) && all.every((x, i) => x === perHead * Ts[i]!);
  return { ok, worst: Math.max(...none), detail: `state elements kept at T = ${Ts.join(', ')}: none ${none.join(', ')}, all-states ${all.join(', ')} (one state = ${perHead})` };
};

/**
 * The memory is the sum of outer products: M_T = M_0 + Σ_t k_t v_tᵀ and o_t = (M_0 + Σ_{s≤t} k_s v_sᵀ)ᵀ q_t,
 * computed here by plain loops (float64), independent of the kernel's recurrence.
 */
export const outerMemoryMatchesSum = <T>(be: Backend<T>, d: OuterMemoryDims, seed: number, tol = 1e-10): PmiReport => {
  const inputs = outerMemoryInputs(d, seed);
  const [q, k, v, m0] = inputs.map((x) => x.data);
  const out = runPrim(be, 'outer_memory', { heads: d.H }, 'none', inputs).outputs;
  const { B, T, H, dk, dv } = d;
  let worst = 0;
  for (let b = 0; b < B; b++)
    for (let h = 0; h < H; h++) {
      const M = (i: number, j: number, upTo: number) => {
        let s = m0![((b * H + h) * dk + i) * dv + j]!;
        for (let t = 0; t <= upTo; t++) s += k![((b * T + t) * H + h) * dk + i]! * v![((b * T + t) * H + h) * dv + j]!;
        return s;
      };
      for (let i = 0; i < dk; i++) for (let j = 0; j < dv; j++) worst = Math.max(worst, Math.abs(M(i, j, T - 1) - out[1]!.data[((b * H + h) * dk + i) * dv + j]!));
      for (let t = 0; t < T; t++)
        for (let j = 0; j < dv; j++) {
          let o = 0;
          for (let i = 0; i < dk; i++) o += M(i, j, t) * q![((b * T + t) * H + h) * dk + i]!;
          worst = Math.max(worst, Math.abs(o - out[0]!.data[((b * T + t) * H + h) * dv + j]!));
        }
    }
  return { ok: worst <= tol, worst, detail: `max |kernel − Σ outer products| = ${worst}` };
};

/** Sizes of a `topk_write` problem: S queries (memory slots), N keys. */
export interface TopkDims {
  readonly B: number;
  readonly S: number;
  readonly N: number;
  readonly H: number;
  readonly dk: number;
  readonly dv: number;
}

/** Input shapes of `topk_write`: q, k, v. */
export const topkShapes = ({ B, S, N, H, dk, dv }: TopkDims): Shape[] => [
  [B, S, H * dk],
  [B, N, H * dk],
  [B, N, H * dv],
];

/** Smallest gap, over all rows, between the K-th and (K+1)-th largest score (∞ when K = N). */
export const topkMargin = (d: TopkDims, K: number, inputs: readonly HostTensor[]): number => {
  const { B, S, N, H, dk } = d;
  const [q, k] = inputs.map((x) => x.data);
  if (K >= N) return Infinity;
  let gap = Infinity;
  for (let b = 0; b < B; b++)
    for (let h = 0; h < H; h++)
      for (let s = 0; s < S; s++) {
        const sc: number[] = [];
        for (let n = 0; n < N; n++) {
          let a = 0;
          for (let i = 0; i < dk; i++) a += q![((b * S + s) * H + h) * dk + i]! * k![((b * N + n) * H + h) * dk + i]!;
          sc.push(a / Math.sqrt(dk));
        }
        sc.sort((x, y) => y - x);
        gap = Math.min(gap, sc[K - 1]! - sc[K]!);
      }
  return gap;
};

/**
 * Away from ties the top-k write's backward is the VJP: inputs are drawn (and redrawn from forks of
 * the seed) until every row's K-th and (K+1)-th scores are at least `margin` apart, far more than the
 * finite-difference step can move them, then checked against finite differences (float64 backend).
 */
export const topkVjpAwayFromTies = <T>(be: Backend<T>, d: TopkDims, K: number, seed: number, margin = 1e-3): PmiReport => {
  let inputs: HostTensor[] = [];
  let attempt = 0;
  do inputs = topkShapes(d).map((s, i) => randn(s, rng(seed).fork(`tk:${attempt}:${i}`)));
  while (topkMargin(d, K, inputs) < margin && ++attempt < 50);
  if (attempt >= 50) return { ok: false, worst: Infinity, detail: `no draw with margin ≥ ${margin} in 50 attempts` };
  const model = checkOrThrow(prim('topk_write', { heads: d.H, k: K }), topkShapes(d));
  const rep = vjpMatchesFiniteDifferences(lowerOrThrow(model, be), be, {}, inputs, seed);
  return { ok: rep.ok, worst: Math.abs(rep.lhs - rep.rhs), detail: `${rep.detail} (margin ${topkMargin(d, K, inputs).toExponential(2)})` };
};

/**
 * Ties go to the lower key index: with every key equal (all scores tied), each query selects keys
 * 0..K−1 and averages their values uniformly (to `tol`: float32 backends round the weights).
 */
export const topkTiesToLowerIndex = <T>(be: Backend<T>, K: number, N: number, seed: number, tol = 1e-12): PmiReport => {
  const dk = 3;
  const dv = 2;
  const r = rng(seed);
  const q = randn([1, 2, dk], r.fork('q'));
  const k1 = randn([1, 1, dk], r.fork('k'));
  const k = { shape: [1, N, dk], data: Float64Array.from({ length: N * dk }, (_, i) => k1.data[i % dk]!) };
  const v = randn([1, N, dv], r.fork('v'));
  const out = runPrim(be, 'topk_write', { heads: 1, k: K }, 'selected', [q, k, v]).outputs[0]!;
  let worst = 0;
  for (let s = 0; s < 2; s++)
    for (let c = 0; c < dv; c++) {
      let mean = 0;
      for (let j = 0; j < Math.min(K, N); j++) mean += v.data[j * dv + c]! / Math.min(K, N);
      worst = Math.max(worst, Math.abs(mean - out.data[s * dv + c]!));
    }
  return { ok: worst <= tol, worst, detail: `all scores tied: max |o − mean of the first ${K} values| = ${worst}` };
};

const omAttrs = (H: number, chunk: number) => ({ heads: H, chunk });
const allVariants: Readonly<Record<string, string>>[] = [{}, { '': 'chunk-states' }, { '': 'none' }];

/** Conformance cases for `outer_memory` (every variant, a ragged last chunk) and `topk_write`. */
export const pmiCases: readonly ConformanceCase[] = [
  {
    name: 'outer_memory T=10 C=4',
    term: prim('outer_memory', omAttrs(2, 4)),
    inputs: outerMemoryShapes({ B: 2, T: 10, H: 2, dk: 3, dv: 4 }),
    variants: allVariants,
  },
  {
    name: 'outer_memory T=7 C=3 one head',
    term: prim('outer_memory', omAttrs(1, 3)),
    inputs: outerMemoryShapes({ B: 1, T: 7, H: 1, dk: 4, dv: 2 }),
    variants: allVariants,
  },
  { name: 'topk_write k=3 of 7', term: prim('topk_write', { heads: 2, k: 3 }), inputs: topkShapes({ B: 2, S: 4, N: 7, H: 2, dk: 3, dv: 2 }) },
  { name: 'topk_write k ≥ N', term: prim('topk_write', { heads: 1, k: 8 }), inputs: topkShapes({ B: 1, S: 3, N: 5, H: 1, dk: 4, dv: 3 }) },
];
