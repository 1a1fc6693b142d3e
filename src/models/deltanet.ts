/**
 * DeltaNet built from the term language: the layer (projections for q, k, v and β, the delta
 * rule, an output norm and projection) and a small sequence classifier around it.
 */
import { deltaRuleDef } from '../prims/delta';
import { type Term, add, copy, discard, id, named, par, prim, skip, seq } from '../term/term';

/** Options of a DeltaNet layer. */
export interface DeltaNetOptions {
  /** Model width D (input and output features). */
  readonly width: number;
  readonly heads: number;
  /** Key/query size per head (default width / heads). */
  readonly dk?: number;
  /** Value size per head (default width / heads). */
  readonly dv?: number;
  readonly betaRange?: '[0,1]' | '[0,2]';
  readonly algorithm?: 'recurrent' | 'chunkwise';
  readonly chunk?: number;
  /** Residual variant of the delta rule (default `all-states`). */
  readonly variant?: 'all-states' | 'chunk-states' | 'none';
  /** Activation on q and k before the (internal) L2 normalisation; default none. */
  readonly qkActivation?: 'silu' | 'none';
}

const headDims = (o: DeltaNetOptions) => ({ dk: o.dk ?? o.width / o.heads, dv: o.dv ?? o.width / o.heads });

/** Shape of the delta-rule state for a batch: [B, H, d_k, d_v]. */
export const deltaNetStateShape = (batch: number, o: DeltaNetOptions): number[] => {
  const { dk, dv } = headDims(o);
  return [batch, o.heads, dk, dv];
};

/**
 * One DeltaNet layer: (x [B, T, D], S_0) → (y [B, T, D], S_T), where
 * `y = proj(rmsnorm(delta_rule(q(x), k(x), v(x), β(x), S_0)))`. Parameters live at
 * `q.w`, `k.w`, `v.w`, `beta.w`/`beta.b`, `rule`, `norm.g`, `out.w` under the layer's path.
 *
 * @example
 * const layer = deltaNetLayer({ width: 32, heads: 2, betaRange: '[0,2]' });
 */
export const deltaNetLayer = (o: DeltaNetOptions): Term => {
  const { dk, dv } = headDims(o);
  if (!Number.isInteger(dk) || !Number.isInteger(dv)) throw new RangeError(`deltaNetLayer: width ${o.width} is not divisible by heads ${o.heads}; give dk and dv`);
  const act = (t: Term): Term => (o.qkActivation === 'silu' ? seq(t, prim('silu')) : t);
  const rule = prim(
    deltaRuleDef.name,
    { heads: o.heads, algorithm: o.algorithm ?? 'recurrent', chunk: o.chunk ?? 64, betaRange: o.betaRange ?? '[0,1]' },
    { variant: o.variant ?? 'all-states', name: 'rule' },
  );
  return seq(
    par(copy(4), id(1)),
    par(
      named('q', act(prim('linear', { out: o.heads * dk, bias: false }))),
      named('k', act(prim('linear', { out: o.heads * dk, bias: false }))),
      named('v', prim('linear', { out: o.heads * dv, bias: false })),
      named('beta', prim('linear', { out: o.heads })),
      id(1),
    ),
    rule,
    par(seq(prim('rmsnorm', {}, { name: 'norm' }), prim('linear', { out: o.width, bias: false }, { name: 'out' })), id(1)),
  );
};

/** Options of the DeltaNet sequence classifier. */
export interface DeltaNetClassifierOptions extends DeltaNetOptions {
  readonly vocab: number;
  readonly classes: number;
  /** Hidden size of the MLP after the layer (0: no MLP; default 4·width). */
  readonly mlp?: number;
}

/**
 * A sequence classifier: embedding → pre-norm residual DeltaNet layer → pre-norm residual MLP →
 * rmsnorm → last position → linear head. Wires: (ids [B, T], S_0, labels [B]) → (logits [B, C],
 * labels), so the same body serves a loss model and a prediction model (see `withLoss`,
 * `withoutLoss`) with identical parameter paths.
 */
export const deltaNetClassifierBody = (o: DeltaNetClassifierOptions): Term => {
  const D = o.width;
  const hidden = o.mlp ?? 4 * D;
  const mlp = hidden > 0 ? [par(named('mlp', skip(seq(prim('rmsnorm'), prim('linear', { out: hidden }), prim('gelu'), prim('linear', { out: D })))), id(1))] : [];
  return seq(
    par(named('embed', prim('embedding', { vocab: o.vocab, dim: D })), id(2)),
    // x ↦ x + layer(rmsnorm(x)); the final state is not needed by the classifier.
    par(copy(2), id(2)),
    par(id(1), named('norm1', prim('rmsnorm')), id(2)),
    par(id(1), named('delta', deltaNetLayer(o)), id(1)),
    par(add(2), discard(), id(1)),
    ...mlp,
    par(named('head', seq(prim('rmsnorm'), prim('last_position'), prim('linear', { out: o.classes }))), id(1)),
  );
};

/** Loss model: body then softmax cross-entropy. Inputs (ids, S_0, labels) → scalar loss. */
export const withLoss = (body: Term): Term => seq(named('net', body), prim('softmax_xent'));

/** Prediction model with the same parameter paths as `withLoss`: (ids, S_0, labels) → logits. */
export const withoutLoss = (body: Term): Term => seq(named('net', body), par(id(1), discard()));
