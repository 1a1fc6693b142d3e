/**
 * The PMI memory module (Zeng et al., "Understanding AI Cognition: A Neural Module for Inference
 * Inspired by Human Memory Mechanisms", ICLR 2024) as a composite term: a working memory of S slots
 * written by the current perceptions through a competitive top-k attention write, a long-term memory
 * that accumulates outer-product associations, and an inference step that retrieves from both and
 * merges the two retrievals with a learned gate. Only the top-k write (`topk_write`) and the
 * outer-product memory (`outer_memory`) are primitives; everything else is the term language.
 *
 * One layer maps (x [B, N, D], M_w [B, S, D], M_l [B, H, d_k, d_v]) to (y, M_w', M_l'):
 *
 * 1. Working-memory write (competitive): the slots are queries over the keys and values of
 *    [M_w; x] (slots and perceptions side by side, concatenated along the sequence axis); each slot
 *    keeps only its `topk` best keys (`topk_write`), and `M_w' = rmsnorm(M_w + write)`.
 * 2. Retrieval from working memory: `U_w = attention(x → M_w')` (cross attention, perceptions as
 *    queries over the written slots).
 * 3. Long-term memory (outer-product association): for each perception t in order, the working-memory
 *    content it retrieved is associated with it, `M_t = M_{t−1} + k_t v_tᵀ` with `k_t` from x_t and
 *    `v_t` from U_w[t]; the perception reads `o_t = M_tᵀ q_t` (`outer_memory`), and
 *    `U_wl = linear(rmsnorm(o))`. M_l is carried in and out, so it accumulates across calls.
 * 4. Integration: `U = α ⊙ U_w + (1 − α) ⊙ U_wl`, α = softmax over a pair of logits per feature
 *    (= sigmoid of their difference) from x, and `y = x + U`.
 *
 * Choices where the paper leaves room (or where the stored excerpts of it did not show the exact
 * equations): the competition is per slot over keys (each slot attends to its k best), not per key
 * over slots; ties go to the lower key index, so slots win over perceptions at equal scores; the
 * long-term memory is written once per perception (the sequence axis of `outer_memory`), keyed by the
 * perception and valued by its working-memory retrieval, rather than once per layer from the slots;
 * normalisation is RMSNorm; the gate α is per token and per feature.
 */
import * as E from 'fp-ts/lib/Either.js';
import '../prims';
import { outerMemoryDef, topkWriteDef } from '../prims/pmi';
import { type Term, add, discard, id, named, par, prim, seq, skip } from '../term/term';

const concat = (n: number): Term => prim('concat_last', { n });
import { wires } from '../term/builder';

/** Options of a PMI layer. */
export interface PmiOptions {
  /** Batch size B, number of perceptions N and of working-memory slots S (reshapes need them). */
  readonly batch: number;
  readonly tokens: number;
  readonly slots: number;
  /** Model width D (perceptions and slots). */
  readonly width: number;
  /** Heads H of the write, the retrieval and the long-term memory. */
  readonly heads: number;
  /** Key/query size per head (default width / heads). */
  readonly dk?: number;
  /** Value size per head of the long-term memory (default width / heads). */
  readonly dv?: number;
  /** Keys each slot keeps in the competitive write (default 3). */
  readonly topk?: number;
  /** Residual variant of the long-term memory (default `all-states`) and its chunk. */
  readonly variant?: 'all-states' | 'chunk-states' | 'none';
  readonly chunk?: number;
}

const dims = (o: PmiOptions) => ({ dk: o.dk ?? o.width / o.heads, dv: o.dv ?? o.width / o.heads });

/** Shape of the long-term memory for these options: [B, H, d_k, d_v]. */
export const pmiMemoryShape = (o: PmiOptions): number[] => {
  const { dk, dv } = dims(o);
  return [o.batch, o.heads, dk, dv];
};

const built = (t: E.Either<Error, Term>): Term => {
  if (E.isLeft(t)) throw t.left;
  return t.right;
};

/** [B, S, D] and [B, N, D] side by side along the sequence axis: [B, S + N, D]. */
const concatSequence = (B: number, S: number, N: number, D: number): Term =>
  seq(par(prim('reshape', { shape: [B, S * D] }), prim('reshape', { shape: [B, N * D] })), concat(2), prim('reshape', { shape: [B, S + N, D] }));

/**
 * One PMI layer: (x [B, N, D], M_w [B, S, D], M_l [B, H, d_k, d_v]) → (y, M_w', M_l'). Parameters
 * live under `write.*`, `wm.*`, `read.*`, `ltm.*` and `gate.*`.
 *
 * @example
 * const layer = pmiLayer({ batch: 8, tokens: 7, slots: 4, width: 32, heads: 2, topk: 3 });
 */
export const pmiLayer = (o: PmiOptions): Term => {
  const { dk, dv } = dims(o);
  const { batch: B, tokens: N, slots: S, width: D, heads: H } = o;
  if (!Number.isInteger(dk) || !Number.isInteger(dv)) throw new RangeError(`pmiLayer: width ${D} is not divisible by heads ${H}; give dk and dv`);
  if (D % H !== 0) throw new RangeError(`pmiLayer: width ${D} is not divisible by heads ${H} (the write's values split into heads)`);
  const lin = (out: number, bias = false) => prim('linear', { out, bias });
  const memory = prim(outerMemoryDef.name, { heads: H, chunk: o.chunk ?? 16 }, { variant: o.variant ?? 'all-states' });
  return built(
    wires(3, (b, [x, mw, ml]) => {
      // 1. Competitive write into working memory from [M_w; x].
      const [c] = b.apply('cat', concatSequence(B, S, N, D), mw!, x!);
      const [wq] = b.apply('write_q', lin(H * dk), mw!);
      const [wk] = b.apply('write_k', lin(H * dk), c!);
      const [wv] = b.apply('write_v', lin(D), c!);
      const [w] = b.apply('write', prim(topkWriteDef.name, { heads: H, k: o.topk ?? 3 }), wq!, wk!, wv!);
      const [sum] = b.apply('wm_add', add(2), mw!, w!);
      const [mw2] = b.apply('wm', prim('rmsnorm'), sum!);
      // 2. Retrieval from working memory: perceptions attend over the written slots.
      const [uw] = b.apply('read', prim('attention', { heads: H, dk, dv: D / H, out: D, cross: true }), x!, mw2!);
      // 3. Long-term memory: associate each perception with what it retrieved.
      const [lq] = b.apply('ltm_q', lin(H * dk), x!);
      const [lk] = b.apply('ltm_k', seq(lin(H * dk), prim('tanh')), x!);
      const [lv] = b.apply('ltm_v', lin(H * dv), uw!);
      const [lo, ml2] = b.apply('ltm', memory, lq!, lk!, lv!, ml!);
      const [uwl] = b.apply('ltm_out', seq(prim('rmsnorm'), lin(D)), lo!);
      // 4. U = α U_w + (1 − α) U_wl with (α, 1 − α) a softmax over two logits per feature.
      const [g] = b.apply('gate', seq(lin(2 * D, true), prim('reshape', { shape: [B, N, D, 2] }), prim('softmax')), x!);
      const col = prim('reshape', { shape: [B, N, D, 1] });
      const [pair] = b.apply('pair', seq(par(col, col), concat(2)), uw!, uwl!);
      const [u] = b.apply('mix', seq(prim('hadamard'), prim('sum_pool', { k: 2 }), prim('reshape', { shape: [B, N, D] })), pair!, g!);
      const [y] = b.apply('res', add(2), x!, u!);
      return [y!, mw2!, ml2!];
    }),
  );
};

/** Options of the small Transformer classifiers of examples/pmi (with and without a PMI layer). */
export interface PmiClassifierOptions extends PmiOptions {
  /** Input features per token. */
  readonly features: number;
  readonly classes: number;
  /** Hidden size of each block's MLP (default 2·width). */
  readonly mlp?: number;
  /** Transformer blocks (default 2); the PMI layer sits after the first. */
  readonly blocks?: number;
}

/** A pre-norm Transformer block on [B, N, D]: x + attention(rmsnorm x), then x + mlp(rmsnorm x). */
export const transformerBlock = (width: number, heads: number, mlp: number): Term =>
  seq(
    named('attn', skip(seq(prim('rmsnorm'), prim('attention', { heads, dk: width / heads, dv: width / heads, out: width })))),
    named('mlp', skip(seq(prim('rmsnorm'), prim('linear', { out: mlp }), prim('gelu'), prim('linear', { out: width })))),
  );

const head = (classes: number): Term => named('head', seq(prim('rmsnorm'), prim('last_position'), prim('linear', { out: classes })));

/**
 * The baseline: (features [B, N, F], labels [B]) → (logits [B, C], labels): a linear embedding,
 * `blocks` Transformer blocks, and a head reading the last token.
 */
export const transformerClassifierBody = (o: PmiClassifierOptions): Term => {
  const blocks = Array.from({ length: o.blocks ?? 2 }, (_, i) => named(`block${i}`, transformerBlock(o.width, o.heads, o.mlp ?? 2 * o.width)));
  return par(seq(named('embed', prim('linear', { out: o.width })), ...blocks, head(o.classes)), id(1));
};

/**
 * The same Transformer with a PMI layer after its first block: (features [B, N, F], slot ids [B, S]
 * (0..S−1, giving the learned initial working memory by an embedding), M_l [B, H, d_k, d_v],
 * labels [B]) → (logits [B, C], labels). The layer's updated memories are discarded here.
 */
export const pmiClassifierBody = (o: PmiClassifierOptions): Term => {
  const nb = o.blocks ?? 2;
  const block = (i: number) => named(`block${i}`, transformerBlock(o.width, o.heads, o.mlp ?? 2 * o.width));
  const rest = Array.from({ length: nb - 1 }, (_, i) => block(i + 1));
  return seq(
    par(seq(named('embed', prim('linear', { out: o.width })), block(0)), named('slots', prim('embedding', { vocab: o.slots, dim: o.width })), id(2)),
    par(named('pmi', pmiLayer(o)), id(1)),
    par(seq(...(rest.length ? rest : [id(1)]), head(o.classes)), discard(), discard(), id(1)),
  );
};

/** Loss model: body then softmax cross-entropy. */
export const pmiWithLoss = (body: Term): Term => seq(named('net', body), prim('softmax_xent'));

/** Prediction model with the loss model's parameter paths: the logits. */
export const pmiWithoutLoss = (body: Term): Term => seq(named('net', body), par(id(1), discard()));
