import * as t from 'io-ts';
import { definePrimitive } from '../term/primitive';
import { showShape } from '../tensor/shape';
import { Dim, NoAttrs, bad, cost, needRank, ok } from './util';

/**
 * Attributes of `delta_rule`.
 *
 * - `heads`: number of heads H; the feature axis of q, k (H·d_k) and v (H·d_v) splits into heads.
 * - `algorithm`: `'recurrent'` (T sequential rank-1 updates) or `'chunkwise'` (WY form over chunks).
 * - `chunk`: chunk size C of the chunkwise algorithm and the spacing of stored states under the
 *   `chunk-states` residual variant (default 64).
 * - `betaRange`: β = sigmoid(logit) in `'[0,1]'`, or 2·sigmoid(logit) in `'[0,2]'` (the
 *   negative-eigenvalue extension: `I − β k kᵀ` then has eigenvalue 1 − β ∈ [−1, 1]).
 */
export const DeltaAttrs = t.intersection([
  t.type({ heads: Dim }),
  t.partial({
    algorithm: t.union([t.literal('recurrent'), t.literal('chunkwise')]),
    chunk: Dim,
    betaRange: t.union([t.literal('[0,1]'), t.literal('[0,2]')]),
  }),
]);
export type DeltaAttrs = t.TypeOf<typeof DeltaAttrs>;

/** Decoded attributes with defaults filled in. */
export const deltaDefaults = (a: DeltaAttrs) => ({
  heads: a.heads,
  algorithm: a.algorithm ?? 'recurrent',
  chunk: a.chunk ?? 64,
  betaScale: a.betaRange === '[0,2]' ? 2 : 1,
});

/** Sizes of a `delta_rule` node read from its checked input shapes. */
export const deltaSizes = (a: DeltaAttrs, inputs: readonly (readonly number[])[]) => {
  const [B, T, HK] = inputs[0]!;
  const HV = inputs[2]![2]!;
  return { B: B!, T: T!, H: a.heads, dk: HK! / a.heads, dv: HV / a.heads };
};

/**
 * Residual elements of `delta_rule` under a variant. Always kept: normalised q̂ and k̂, their norms,
 * v and β. Then `all-states` keeps S_{t−1} for every step t (B·H·T states), `chunk-states` keeps
 * the state at the start of every chunk (B·H·⌈T/C⌉ states) and `none` keeps only S_0.
 */
export const deltaResidualElems = (a: DeltaAttrs, inputs: readonly (readonly number[])[], variant: string): number => {
  const { B, T, H, dk, dv } = deltaSizes(a, inputs);
  const C = deltaDefaults(a).chunk;
  const base = B * T * H * (2 * dk + dv + 3);
  const states = variant === 'all-states' ? T : variant === 'chunk-states' ? Math.ceil(T / C) : 1;
  return base + B * H * states * dk * dv;
};

/**
 * The delta rule (DeltaNet's recurrence), per head:
 * `S_t = (I − β_t k̂_t k̂_tᵀ) S_{t−1} + β_t k̂_t v_tᵀ`, `o_t = S_tᵀ q̂_t`, with q̂, k̂ the L2-normalised
 * queries and keys and β_t = scale · sigmoid(logit_t).
 *
 * Inputs: q [B, T, H·d_k], k [B, T, H·d_k], v [B, T, H·d_v], β logits [B, T, H], S_0 [B, H, d_k, d_v].
 * Outputs: o [B, T, H·d_v] and the final state S_T [B, H, d_k, d_v], so a sequence can be split and
 * its state carried. Residual variants (2-cells `none ⇒ chunk-states ⇒ all-states`) choose which
 * states are kept; the rest are rebuilt in the backward pass.
 */
export const deltaRuleDef = definePrimitive({
  name: 'delta_rule',
  doc:
    'Delta rule S_t = (I − β_t k_t k_tᵀ) S_{t−1} + β_t k_t v_tᵀ, o_t = S_tᵀ q_t (q, k L2-normalised, β = scale·sigmoid(logit)). ' +
    'Inputs q, k [B,T,H·dk], v [B,T,H·dv], β logits [B,T,H], S0 [B,H,dk,dv]; outputs o [B,T,H·dv], S_T [B,H,dk,dv].',
  attrs: DeltaAttrs,
  attrDocs: {
    heads: { doc: 'number of heads H; the feature axes of q, k (H·dk) and v (H·dv) split into heads' },
    algorithm: { doc: 'recurrent: T rank-1 updates; chunkwise: the WY form over chunks', default: 'recurrent' },
    chunk: { doc: 'chunk size C of the chunkwise algorithm and the spacing of the chunk-states residual', default: 64 },
    betaRange: { doc: 'β = sigmoid(logit) in [0,1], or 2·sigmoid(logit) in [0,2] (negative eigenvalues)', default: '[0,1]' },
  },
  arity: () => ({ inputs: 5, outputs: 2 }),
  shape: (a, [q, k, v, b, s0]) => {
    const names = ['q', 'k', 'v', 'beta'] as const;
    const xs = [q!, k!, v!, b!];
    for (let i = 0; i < 3; i++) if (xs[i]!.length !== 3) return bad(`${names[i]} must be [B, T, features], got ${showShape(xs[i]!)}`);
    if (b!.length !== 3) return bad(`beta must be [B, T, heads], got ${showShape(b!)}`);
    const [B, T, HK] = q!;
    for (let i = 1; i < 4; i++)
      if (xs[i]![0] !== B || xs[i]![1] !== T)
        return bad(`${names[i]} has batch/time ${showShape(xs[i]!.slice(0, 2))} but q has ${showShape([B!, T!])}`);
    if (k![2] !== HK) return bad(`k has ${k![2]} features but q has ${HK}`);
    const H = a.heads;
    if (HK! % H !== 0) return bad(`q/k features ${HK} are not divisible by heads=${H}`);
    if (v![2]! % H !== 0) return bad(`v features ${v![2]} are not divisible by heads=${H}`);
    if (b![2] !== H) return bad(`beta must have heads=${H} entries per step, got ${b![2]}`);
    const dk = HK! / H;
    const dv = v![2]! / H;
    const want = [B!, H, dk, dv];
    if (s0!.length !== 4 || s0!.some((d, i) => d !== want[i])) return bad(`initial state must be ${showShape(want)}, got ${showShape(s0!)}`);
    return ok([[B!, T!, H * dv], want]);
  },
  variants: ['all-states', 'chunk-states', 'none'],
  twoCells: [
    { from: 'none', to: 'chunk-states', doc: 'keep the state at every chunk start instead of recomputing them in backward' },
    { from: 'chunk-states', to: 'all-states', doc: 'keep every state instead of recomputing each chunk from its first state' },
  ],
  cost: (a, inputs, variant) => {
    const { B, T, H, dk, dv } = deltaSizes(a, inputs);
    const { algorithm, chunk } = deltaDefaults(a);
    const norm = B * T * H * (6 * dk + 10);
    const dd = dk * dv;
    let fwd: number;
    if (algorithm === 'recurrent') fwd = B * H * T * 6 * dd;
    else {
      // Per chunk of c ≤ C rows: A (c²dk), forward substitution for W, U (c²(dk+dv)), U' = U − W h and
      // Q h and h += KᵀU' (6 c dk dv), the masked QKᵀ and its product with U' (c²(dk+dv)).
      const full = Math.floor(T / chunk);
      const rest = T - full * chunk;
      const per = (c: number) => c * c * (2 * dk + 2 * dv) + c * c * dk + 6 * c * dd;
      fwd = B * H * (full * per(chunk) + (rest ? per(rest) : 0));
    }
    // Backward is about twice the forward, plus a forward recomputation when states are not all kept.
    const recompute = variant === 'all-states' ? 0 : fwd;
    const paramElems = 0;
    return cost(norm + fwd, norm + 2 * fwd + recompute, deltaResidualElems(a, inputs, variant), paramElems);
  },
  nondiff: () => [],
});

/**
 * The last position of a sequence: x [B, T, D] → x[:, T−1, :] of shape [B, D]. Used to read a
 * sequence label (parity) off the last step. Keeps nothing: the backward pass only scatters.
 */
export const lastPositionDef = definePrimitive({
  name: 'last_position',
  doc: 'Take the last time step: [B, T, D] → [B, D]. Residual: nothing.',
  attrs: NoAttrs,
  arity: () => ({ inputs: 1, outputs: 1 }),
  shape: (_a, [x]) => {
    const e = needRank(x!, 3, 'last_position input');
    if (e || x!.length !== 3) return bad(e ?? `last_position input must be [B, T, D], got ${showShape(x!)}`);
    return ok([[x![0]!, x![2]!]]);
  },
  variants: ['none'],
  cost: (_a, [x]) => cost(0, x![0]! * x![1]! * x![2]!, 0),
});
