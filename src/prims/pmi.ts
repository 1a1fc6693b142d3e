import * as t from 'io-ts';
import { definePrimitive } from '../term/primitive';
import { showShape, type Shape } from '../tensor/shape';
import { Dim, bad, cost, ok } from './util';

/**
 * The two primitives of the PMI memory module (Zeng et al., ICLR 2024) that cannot be composed from
 * others: the long-term memory's outer-product update with its per-step read, and the working
 * memory's competitive top-k write. Everything else of the module is a composite term
 * (`pmiLayer` in src/models/pmi.ts).
 */

/**
 * Attributes of `outer_memory`: `heads` H (the feature axes of q, k (H·d_k) and v (H·d_v) split into
 * heads) and `chunk` C, the spacing of the states kept by the `chunk-states` variant (default 16).
 */
export const OuterMemoryAttrs = t.intersection([t.type({ heads: Dim }), t.partial({ chunk: Dim })]);
export type OuterMemoryAttrs = t.TypeOf<typeof OuterMemoryAttrs>;

/** Sizes of an `outer_memory` node read from its checked input shapes. */
export const outerMemorySizes = (a: OuterMemoryAttrs, inputs: readonly (readonly number[])[]) => {
  const [B, T, HK] = inputs[0]!;
  const HV = inputs[2]![2]!;
  // A chunk longer than the sequence is one chunk (the same states are kept): the kernels size
  // scratch by C, and a chunk of 2^53 − 1 asked for that many floats.
  return { B: B!, T: T!, H: a.heads, dk: HK! / a.heads, dv: HV / a.heads, C: Math.min(a.chunk ?? 16, Math.max(T!, 1)) };
};

/** States kept per head by a variant: M_{t−1} for every t, every C-th one, or only M_0. */
export const outerMemoryStates = (variant: string, T: number, C: number): number =>
  variant === 'all-states' ? T : variant === 'chunk-states' ? Math.ceil(T / C) : 1;

/**
 * Residual elements of `outer_memory` under a variant: q, k and v always (B·T·H·(2d_k + d_v)), then
 * B·H states of d_k·d_v each, as many per head as `outerMemoryStates` says. Under `none` that is one
 * state per head whatever T is: the states are rebuilt in the backward pass.
 */
export const outerMemoryResidualElems = (a: OuterMemoryAttrs, inputs: readonly (readonly number[])[], variant: string): number => {
  const { B, T, H, dk, dv, C } = outerMemorySizes(a, inputs);
  return B * T * H * (2 * dk + dv) + B * H * outerMemoryStates(variant, T, C) * dk * dv;
};

/**
 * The long-term memory of PMI as an outer-product accumulation with a read at every step, per head:
 * `M_t = M_{t−1} + k_t v_tᵀ`, `o_t = M_tᵀ q_t`.
 *
 * Inputs: q [B, T, H·d_k], k [B, T, H·d_k], v [B, T, H·d_v], M_0 [B, H, d_k, d_v]. Outputs: o
 * [B, T, H·d_v] and M_T [B, H, d_k, d_v] (the memory carried to the next call). The running state is
 * rounded to the storage precision after every step, so a state kept in the residual is the running
 * state itself and recomputing from any kept state reproduces the forward pass exactly: the residual
 * variants (`none ⇒ chunk-states ⇒ all-states`) give bit-identical gradients.
 */
export const outerMemoryDef = definePrimitive({
  name: 'outer_memory',
  doc:
    'Outer-product memory M_t = M_{t−1} + k_t v_tᵀ, o_t = M_tᵀ q_t, per head. ' +
    'Inputs q, k [B,T,H·dk], v [B,T,H·dv], M0 [B,H,dk,dv]; outputs o [B,T,H·dv], M_T [B,H,dk,dv].',
  attrs: OuterMemoryAttrs,
  attrDocs: {
    heads: { doc: 'number of heads H; the feature axes of q, k (H·dk) and v (H·dv) split into heads' },
    chunk: { doc: 'spacing of the states kept by the chunk-states residual variant', default: 16 },
  },
  arity: () => ({ inputs: 4, outputs: 2 }),
  shape: (a, [q, k, v, m0]) => {
    const names = ['q', 'k', 'v'] as const;
    const xs = [q!, k!, v!];
    for (let i = 0; i < 3; i++) if (xs[i]!.length !== 3) return bad(`${names[i]} must be [B, T, features], got ${showShape(xs[i]!)}`);
    const [B, T, HK] = q!;
    if (T! < 1) return bad(`q must have at least one step, got ${showShape(q!)}`);
    for (let i = 1; i < 3; i++)
      if (xs[i]![0] !== B || xs[i]![1] !== T) return bad(`${names[i]} has batch/time ${showShape(xs[i]!.slice(0, 2))} but q has ${showShape([B!, T!])}`);
    if (k![2] !== HK) return bad(`k has ${k![2]} features but q has ${HK}`);
    const H = a.heads;
    if (HK! % H !== 0) return bad(`q/k features ${HK} are not divisible by heads=${H}`);
    if (v![2]! % H !== 0) return bad(`v features ${v![2]} are not divisible by heads=${H}`);
    const want = [B!, H, HK! / H, v![2]! / H];
    if (m0!.length !== 4 || m0!.some((d, i) => d !== want[i])) return bad(`initial memory must be ${showShape(want)}, got ${showShape(m0!)}`);
    return ok([[B!, T!, v![2]!], want]);
  },
  variants: ['all-states', 'chunk-states', 'none'],
  twoCells: [
    { from: 'none', to: 'chunk-states', doc: 'keep the memory at every chunk start instead of rebuilding it from M_0 in backward' },
    { from: 'chunk-states', to: 'all-states', doc: 'keep every memory state instead of rebuilding each chunk from its first state' },
  ],
  cost: (a, inputs, variant) => {
    const { B, T, H, dk, dv } = outerMemorySizes(a, inputs);
    // Forward: the rank-1 update and the read, 2·dk·dv flops each per step. Backward: the read's
    // gradient dq and the accumulated gradient, dk and dv (8·dk·dv per step), plus the updates that
    // rebuild states: M_t from the kept M_{t−1} (all-states, once per step), the chunk's states from
    // its start and then M_t (chunk-states, twice), the chunk starts from M_0 first (none, three times).
    const fwd = B * H * T * 4 * dk * dv;
    const updates = variant === 'all-states' ? 1 : variant === 'chunk-states' ? 2 : 3;
    const bwd = B * H * T * (8 + 2 * updates) * dk * dv;
    return cost(fwd, bwd, outerMemoryResidualElems(a, inputs, variant));
  },
  nondiff: () => [],
});

/**
 * Attributes of `topk_write`: `heads` H and `k`, how many keys each query keeps (the competition).
 */
export const TopkWriteAttrs = t.type({ heads: Dim, k: Dim });
export type TopkWriteAttrs = t.TypeOf<typeof TopkWriteAttrs>;

/** Sizes of a `topk_write` node read from its checked input shapes (K = min(k, N) keys kept). */
export const topkWriteSizes = (a: TopkWriteAttrs, inputs: readonly Shape[]) => {
  const [B, S, HK] = inputs[0]!;
  const N = inputs[1]![1]!;
  const HV = inputs[2]![2]!;
  return { B: B!, S: S!, N, H: a.heads, dk: HK! / a.heads, dv: HV / a.heads, K: Math.min(a.k, N) };
};

/**
 * The competitive top-k write of PMI's working memory, per head: each query row (a memory slot)
 * scores every key, keeps its K highest scores and attends over those only:
 * `o_s = Σ_{n ∈ top_K(s)} softmax_{top_K(s)}(q_s·k_n / √d_k) v_n`.
 *
 * Ties are broken deterministically: among equal scores the lower key index is selected (the order
 * is (score descending, index ascending)). The selection is piecewise constant, so the backward pass
 * is the softmax-attention gradient restricted to the selected keys; away from ties it is the exact
 * VJP, and at a tie it is the VJP of the branch the forward pass chose.
 *
 * Inputs: q [B, S, H·d_k], k [B, N, H·d_k], v [B, N, H·d_v]. Output [B, S, H·d_v]. Residual: q, k, v,
 * and for each row the selected indices and their weights (B·H·S·K each).
 */
export const topkWriteDef = definePrimitive({
  name: 'topk_write',
  doc:
    'Competitive write: each query keeps its top-k keys (ties: lower index first) and attends over them, ' +
    'o_s = Σ_{n∈top_k} softmax(q_s·k_n/√dk) v_n. Inputs q [B,S,H·dk], k [B,N,H·dk], v [B,N,H·dv]; output [B,S,H·dv].',
  attrs: TopkWriteAttrs,
  attrDocs: {
    heads: { doc: 'number of heads H; the feature axes of q, k (H·dk) and v (H·dv) split into heads' },
    k: { doc: 'keys kept per query (the competition); min(k, N) when N is smaller' },
  },
  arity: () => ({ inputs: 3, outputs: 1 }),
  shape: (a, [q, k, v]) => {
    const names = ['q', 'k', 'v'] as const;
    const xs = [q!, k!, v!];
    for (let i = 0; i < 3; i++) if (xs[i]!.length !== 3) return bad(`${names[i]} must be [B, rows, features], got ${showShape(xs[i]!)}`);
    const [B, , HK] = q!;
    if (k![0] !== B || v![0] !== B) return bad(`k and v must have batch ${B}, got ${showShape(k!)} and ${showShape(v!)}`);
    if (k![1] !== v![1]) return bad(`k has ${k![1]} keys but v has ${v![1]} values`);
    if (k![2] !== HK) return bad(`k has ${k![2]} features but q has ${HK}`);
    if (HK! % a.heads !== 0) return bad(`q/k features ${HK} are not divisible by heads=${a.heads}`);
    if (v![2]! % a.heads !== 0) return bad(`v features ${v![2]} are not divisible by heads=${a.heads}`);
    return ok([[B!, q![1]!, v![2]!]]);
  },
  variants: ['selected'],
  cost: (a, inputs) => {
    const { B, S, N, H, dk, dv, K } = topkWriteSizes(a, inputs);
    // Scores 2·S·N·dk, the selection ~S·N·K comparisons, the weighted sum 2·S·K·dv.
    const fwd = B * H * (2 * S * N * dk + S * N * K + 2 * S * K * dv);
    const bwd = B * H * (4 * S * K * dk + 4 * S * K * dv);
    return cost(fwd, bwd, B * (S + N) * H * dk + B * N * H * dv + 2 * B * H * S * K);
  },
  nondiff: () => [],
});
