import { type Term, named, prim, skip, seq, seqOf } from '../../src/term/term';
import { pmiLayer, pmiMemoryShape } from '../../src/models/pmi';

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

/**
 * A stack of PMI layers (src/models/pmi.ts) on (x [1, T, d], M_w [1, S, d], M_l [1, 2, d/2, d/2]):
 * the planner's second model. Each layer's long-term memory keeps all its states by default; the
 * planner prices keeping only chunk starts or none (rebuilt in backward) against checkpointing.
 */
export const pmiStack = (layers = 6, T = 64, d = 16, slots = 4): Term =>
  seq(...Array.from({ length: layers }, (_, i) => named(`layer${i}`, pmiLayer({ batch: 1, tokens: T, slots, width: d, heads: 2, topk: 3, chunk: 8 }))));

/** Input shapes of `pmiStack`. */
export const pmiStackInputs = (T = 64, d = 16, slots = 4): number[][] => [[1, T, d], [1, slots, d], pmiMemoryShape({ batch: 1, tokens: T, slots, width: d, heads: 2 })];
