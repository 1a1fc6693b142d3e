import * as t from 'io-ts';
import { definePrimitive } from '../term/primitive';
import type { Shape } from '../tensor/shape';
import { shapeEq, showShape } from '../tensor/shape';
import { Dim, FiniteIn, bad, cost, fanInNormal, ok, sizeOf } from './util';

/**
 * Attributes of the `attention` primitive.
 *
 * - `heads`: number of heads H.
 * - `param`: `'KQ'` (default) keeps separate query/key projections `wq: [dq, H·dk]`, `wk: [dkv, H·dk]`;
 *   `'W'` keeps one combined bilinear form per head, `w: [H, dkv, dq]`, with score
 *   `s(t, u) = scale · xkv_uᵀ W_h xq_t` (so `W_h = K_h Q_hᵀ` relates the two forms).
 * - `dk`: key/query width per head (required for `'KQ'`, rejected for `'W'`).
 * - `dv`: value width per head (required unless `values: false`).
 * - `values` (default true): project values with `wv: [dkv, H·dv]`; when false the values are the
 *   key/value tokens themselves (dv = dkv), as in the single-layer model of "Transformers as SVMs".
 * - `project` (default true): output projection `wo: [H·dv, out]`; when false the output is the
 *   concatenation of the heads, `[..., Tq, H·dv]`.
 * - `out`: output width (default: the query width dq).
 * - `causal`: query t sees keys u ≤ t (needs Tq = Tk).
 * - `cross`: a second input wire carries the key/value sequence; otherwise self-attention.
 * - `mask`: a last input wire `[..., Tk]` of 0/1 floats; keys with 0 are ignored (key padding).
 * - `scale`: score scale, default `1/√dk` for `'KQ'` and 1 for `'W'`.
 * - `block`: key block size of the blocked kernels (default 64).
 */
export const AttentionAttrs = t.exact(
  t.intersection([
    t.type({ heads: Dim }),
    t.partial({
      param: t.keyof({ KQ: null, W: null }),
      dk: Dim,
      dv: Dim,
      out: Dim,
      values: t.boolean,
      project: t.boolean,
      causal: t.boolean,
      cross: t.boolean,
      mask: t.boolean,
      scale: FiniteIn('number', -1e6, 1e6),
      block: Dim,
    }),
  ]),
);
export type AttentionAttrs = t.TypeOf<typeof AttentionAttrs>;

/** Every size the kernels need, resolved from attributes and checked input shapes. */
export interface AttentionDims {
  /** Product of the leading (batch) dimensions. */
  readonly B: number;
  readonly lead: Shape;
  readonly Tq: number;
  readonly Tk: number;
  readonly dq: number;
  readonly dkv: number;
  readonly H: number;
  /** Width of the per-head score space: dk for KQ, dkv for W. */
  readonly dkey: number;
  readonly dv: number;
  readonly out: number;
  readonly combined: boolean;
  readonly values: boolean;
  readonly project: boolean;
  readonly causal: boolean;
  readonly cross: boolean;
  readonly mask: boolean;
  readonly scale: number;
  readonly block: number;
}

/**
 * Resolve and validate the sizes of an attention node; a message naming the attribute or input on
 * failure. Shared by the shape rule and the kernels so they cannot disagree.
 */
export const attentionDims = (a: AttentionAttrs, inputs: readonly Shape[]): AttentionDims | string => {
  const combined = a.param === 'W';
  const cross = a.cross === true;
  const hasMask = a.mask === true;
  const nIn = (cross ? 2 : 1) + (hasMask ? 1 : 0);
  if (inputs.length !== nIn) return `expects ${nIn} input(s) (${cross ? 'xq, xkv' : 'x'}${hasMask ? ', mask' : ''}), got ${inputs.length}`;
  const xq = inputs[0]!;
  const xkv = cross ? inputs[1]! : xq;
  const names = cross ? ['xq', 'xkv'] : ['x'];
  for (const [i, s] of (cross ? [xq, xkv] : [xq]).entries())
    if (s.length < 2) return `input ${names[i]} needs rank ≥ 2 ([..., T, d]), got ${showShape(s)}`;
  const lead = xq.slice(0, -2);
  if (cross && !shapeEq(lead, xkv.slice(0, -2)))
    return `batch dimensions of xq ${showShape(xq)} and xkv ${showShape(xkv)} differ`;
  const Tq = xq[xq.length - 2]!;
  const dq = xq[xq.length - 1]!;
  const Tk = xkv[xkv.length - 2]!;
  const dkv = xkv[xkv.length - 1]!;
  if (hasMask) {
    const m = inputs[nIn - 1]!;
    if (!shapeEq(m, [...lead, Tk])) return `mask must have shape ${showShape([...lead, Tk])} (batch dims, key length), got ${showShape(m)}`;
  }
  if (combined && a.dk !== undefined) return `attribute 'dk' is not used with param 'W' (W_h is [dkv, dq]); remove it`;
  if (!combined && a.dk === undefined) return `attribute 'dk' (key/query width per head) is required with param 'KQ'`;
  const values = a.values !== false;
  if (values && a.dv === undefined) return `attribute 'dv' (value width per head) is required unless values is false`;
  if (!values && a.dv !== undefined && a.dv !== dkv) return `attribute 'dv' = ${a.dv} must equal the key/value width ${dkv} when values is false`;
  if (a.causal && Tq !== Tk) return `causal attention needs equal query and key lengths, got Tq=${Tq}, Tk=${Tk}`;
  if (a.scale !== undefined && !Number.isFinite(a.scale)) return `attribute 'scale' must be a finite number, got ${a.scale}`;
  const dkey = combined ? dkv : a.dk!;
  const dv = values ? a.dv! : dkv;
  return {
    B: sizeOf(lead),
    lead,
    Tq,
    Tk,
    dq,
    dkv,
    H: a.heads,
    dkey,
    dv,
    out: a.out ?? dq,
    combined,
    values,
    project: a.project !== false,
    causal: a.causal === true,
    cross,
    mask: hasMask,
    scale: a.scale ?? (combined ? 1 : 1 / Math.sqrt(a.dk!)),
    // A block longer than the keys is one block (the same arithmetic), and kernels size scratch by it.
    block: Math.min(a.block ?? 64, Math.max(Tk, 1)),
  };
};

/** Parameter shapes by local name. */
export const attentionParams = (g: AttentionDims): Record<string, Shape> => {
  const p: Record<string, Shape> = {};
  if (g.combined) p.w = [g.H, g.dkv, g.dq];
  else {
    p.wq = [g.dq, g.H * g.dkey];
    p.wk = [g.dkv, g.H * g.dkey];
  }
  if (g.values) p.wv = [g.dkv, g.H * g.dv];
  if (g.project) p.wo = [g.H * g.dv, g.out];
  return p;
};

/** Number of (query, key) pairs a row-blocked kernel visits per batch and head (causal halves it). */
export const attentionPairs = (g: AttentionDims): number => (g.causal ? (g.Tq * (g.Tq + 1)) / 2 : g.Tq * g.Tk);

/**
 * Elements of each residual entry, by name, exactly as the JS kernel stores them. `p` (probs) is
 * `[B, H, Tq, Tk]`, `lse` is `[B, H, Tq]`.
 */
export const attentionResidualShapes = (g: AttentionDims, variant: string): Record<string, Shape> => {
  const r: Record<string, Shape> = {};
  if (g.cross) {
    r.xq = [g.B * g.Tq, g.dq];
    r.xkv = [g.B * g.Tk, g.dkv];
  } else r.x = [g.B * g.Tq, g.dq];
  if (g.mask) r.mask = [g.B, g.Tk];
  r.q = [g.B * g.Tq, g.H * g.dkey];
  if (!g.combined) r.k = [g.B * g.Tk, g.H * g.dkey];
  if (g.values) r.v = [g.B * g.Tk, g.H * g.dv];
  r.o = [g.B * g.Tq, g.H * g.dv];
  if (variant === 'probs') r.p = [g.B, g.H, g.Tq, g.Tk];
  else r.lse = [g.B, g.H, g.Tq];
  return r;
};

/**
 * Flops of one node. The core visits `pairs` (query, key) pairs per batch and head; a score is a
 * dot product of width dkey, the value sum one of width dv, and the exponential/rescaling about 5.
 * Backward: dP (dv), dV (dv), dQ and dK (dkey each), plus — for 'lse' only — recomputing the score
 * and its exponential. That extra term is the flops the 'lse' ⇒ 'probs' 2-cell adds.
 */
const attentionCost = (a: AttentionAttrs, inputs: readonly Shape[], variant: string) => {
  const g = attentionDims(a, inputs);
  if (typeof g === 'string') return cost(0, 0, 0);
  const pairs = g.B * g.H * attentionPairs(g);
  const rq = g.B * g.Tq;
  const rk = g.B * g.Tk;
  let proj = 2 * rq * g.dq * g.H * g.dkey;
  if (!g.combined) proj += 2 * rk * g.dkv * g.H * g.dkey;
  if (g.values) proj += 2 * rk * g.dkv * g.H * g.dv;
  if (g.project) proj += 2 * rq * g.H * g.dv * g.out;
  const coreF = pairs * (2 * g.dkey + 2 * g.dv + 5) + (variant === 'probs' ? 2 * g.B * g.H * g.Tq * g.Tk : 0);
  const recompute = variant === 'lse' ? pairs * (2 * g.dkey + 3) : 0;
  const coreB = pairs * (4 * g.dv + 4 * g.dkey + 3) + recompute;
  const res = Object.values(attentionResidualShapes(g, variant)).reduce((s, sh) => s + sizeOf(sh), 0);
  const params = Object.values(attentionParams(g)).reduce((s, sh) => s + sizeOf(sh), 0);
  return cost(proj + coreF, 2 * proj + coreB, res, params);
};

/**
 * Multi-head scaled dot-product attention, self or cross, optionally causal and key-padding
 * masked, with separate (K, Q) or combined W parameters, and two residual variants:
 * `'probs'` keeps the probabilities P (`[B, H, Tq, Tk]`), `'lse'` keeps only the row
 * log-sum-exp (`[B, H, Tq]`) and recomputes P blockwise in the backward pass.
 *
 * Inputs: `x: [..., T, d]` (self) or `xq: [..., Tq, dq], xkv: [..., Tk, dkv]` (cross), then
 * `mask: [..., Tk]` if `mask: true`. Any number of leading batch dimensions (including none);
 * they must agree between inputs. Output: `[..., Tq, out]` (or `[..., Tq, H·dv]` without the
 * output projection).
 *
 * @example
 * prim('attention', { heads: 4, dk: 16, dv: 16, causal: true }, { variant: 'lse' })
 */
export const attentionDef = definePrimitive<AttentionAttrs>({
  name: 'attention',
  doc: 'Multi-head softmax attention (self or cross; causal and key-padding masks; (K,Q) or combined W parameters). Residual variants: probs keeps P, lse keeps the row log-sum-exp and recomputes P blockwise.',
  attrs: AttentionAttrs,
  attrDocs: {
    heads: { doc: 'number of heads H' },
    param: { doc: "KQ: query and key projections wq, wk; W: one bilinear form per head, w [H, dkv, dq]", default: 'KQ' },
    dk: { doc: 'key/query width per head (required for KQ, not allowed for W)' },
    dv: { doc: 'value width per head (required unless values is false)' },
    out: { doc: 'output width (default: the query width dq)' },
    values: { doc: 'project values with wv; when false the values are the key/value tokens themselves', default: true },
    project: { doc: 'output projection wo; when false the heads are concatenated, [..., Tq, H·dv]', default: true },
    causal: { doc: 'query t sees keys u ≤ t (needs Tq = Tk)', default: false },
    cross: { doc: 'a second input wire carries the key/value sequence (otherwise self-attention)', default: false },
    mask: { doc: 'a last input wire [..., Tk] of 0/1: keys with 0 are ignored', default: false },
    scale: { doc: 'score scale (default 1/√dk for KQ, 1 for W)' },
    block: { doc: 'key block size of the blocked kernels', default: 64 },
  },
  arity: (a) => ({ inputs: (a.cross ? 2 : 1) + (a.mask ? 1 : 0), outputs: 1 }),
  shape: (a, inputs) => {
    const g = attentionDims(a, inputs);
    if (typeof g === 'string') return bad(g);
    return ok([[...g.lead, g.Tq, g.project ? g.out : g.H * g.dv]], attentionParams(g));
  },
  variants: ['probs', 'lse'],
  twoCells: [
    {
      from: 'lse',
      to: 'probs',
      doc: 'r recomputes P = exp(scale·q kᵀ − lse) from the kept q, k and row log-sum-exp: keeps B·H·Tq instead of B·H·Tq·Tk elements, and pays the score recomputation (≈ (2·dkey + 3) flops per visited pair) in the backward pass.',
    },
  ],
  cost: attentionCost,
  init: (_a, p, shape, r) => (p === 'w' ? fanInNormal(shape[1]! * shape[2]!, sizeOf(shape), r) : fanInNormal(shape[0]!, sizeOf(shape), r)),
  nondiff: (a) => (a.mask ? [(a.cross ? 2 : 1)] : []),
});
