import { type Term, named, prim, skip, seq, seqOf } from '../../src/term/term';

/**
 * A 12-block pre-norm transformer (causal multi-head attention + GELU MLP, each in a residual
 * connection) on a `[T, d]` sequence: the model the planner example and its test plan.
 */
export const transformer = (blocks = 12, d = 16, heads = 2, hidden = 4 * d): Term =>
  seqOf(
    Array.from({ length: blocks }, (_, i) =>
      named(
        `block${i}`,
        seq(
          named('attn', skip(seq(prim('layernorm'), prim('attention', { heads, dk: d / heads, dv: d / heads, causal: true })))),
          named('mlp', skip(seq(prim('layernorm'), prim('linear', { out: hidden }), prim('gelu'), prim('linear', { out: d })))),
        ),
      ),
    ),
  );
