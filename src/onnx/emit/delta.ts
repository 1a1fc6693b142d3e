/**
 * The `delta_rule` emitter (DeltaNet's recurrence), both algorithms and all three residual variants.
 *
 * - `recurrent`: an ONNX `Scan` over time carries the state S [B·H, dk, dv];
 * - `chunkwise`: the WY form. Everything that does not depend on the carried state is computed for
 *   all chunks at once (A = tril(β K Kᵀ), (I + A)⁻¹ by row-wise forward substitution, W, U); only the
 *   chunk starts h_{c+1} = h_c + K_cᵀ(U_c − W_c h_c) run in sequence (one unrolled block per chunk);
 *   outputs and in-chunk states then come from the starts in parallel.
 *
 * Residual (as the JS kernel keeps it): q̂, k̂, their norms, v, β, and `states` [B, H, nS, dk, dv]:
 * every S_{t−1} (`all-states`), the chunk starts (`chunk-states`) or S_0 (`none`).
 *
 * Backward graphs: for `recurrent`, a reverse `Scan` over time with the recurrent adjoint, reading
 * S_{t−1} from the residual or rebuilding it (from the kept chunk starts by a Scan over one chunk,
 * all chunks at once; for `none` by one Scan over T from S_0). For `chunkwise`, the WY backward: the
 * gradient at each chunk's end follows a linear recurrence over chunks whose matrices are computed
 * for all chunks at once, and the rest is parallel over chunks; the chunk starts come from the
 * residual (kept, every C-th kept state, or recomputed from S_0 for `none`).
 * The variant 2-cells `none ⇒ chunk-states ⇒ all-states` recompute the larger residual the same way
 * the corresponding forward graph computes it.
 *
 * @module
 */
import type { Params, Residual } from '../../backend/backend';
import { type DeltaAttrs, deltaDefaults, deltaRuleDef, deltaSizes } from '../../prims/delta';
import type { TypedPrim } from '../../term/check';
import { defineEmitter } from '../emitter';
import type { GraphBuilder, Sym } from '../graph';

/** Below this norm a query/key is divided by the floor instead (as in the JS kernel). */
const NORM_FLOOR = 1e-6;

interface Dims {
  readonly B: number;
  readonly T: number;
  readonly H: number;
  readonly dk: number;
  readonly dv: number;
  readonly N: number;
  readonly C: number;
  readonly nC: number;
  readonly scale: number;
  readonly algorithm: 'recurrent' | 'chunkwise';
}

const dimsOf = (n: TypedPrim<DeltaAttrs>): Dims => {
  const { B, T, H, dk, dv } = deltaSizes(n.attrs, n.inputs);
  const { algorithm, chunk: C, betaScale } = deltaDefaults(n.attrs);
  return { B, T, H, dk, dv, N: B * H, C, nC: Math.ceil(T / C), scale: betaScale, algorithm };
};

/** L2-normalise the rows of [B, T, H·d] per head: x̂ and the (floored) norms [B, T, H]. */
const normalise = (g: GraphBuilder, x: Sym, d: Dims, w: number): { xn: Sym; norm: Sym } => {
  const x4 = g.reshape(x, [d.B, d.T, d.H, w]);
  const n = g.max(g.sqrt(g.reduceSum(g.mul(x4, x4), [-1], true)), g.scalar(NORM_FLOOR));
  return { xn: g.reshape(g.div(x4, n), x.shape), norm: g.reshape(n, [d.B, d.T, d.H]) };
};

/** Its backward: dx = (dx̂ − x̂ (x̂·dx̂)) / ‖x‖, without the projection at the floor. */
const normaliseBack = (g: GraphBuilder, xn: Sym, norm: Sym, dxn: Sym, d: Dims, w: number): Sym => {
  const x4 = g.reshape(xn, [d.B, d.T, d.H, w]);
  const d4 = g.reshape(dxn, [d.B, d.T, d.H, w]);
  const n = g.unsqueeze(norm, [-1]);
  const dot = g.where(g.greater(n, g.scalar(NORM_FLOOR)), g.reduceSum(g.mul(x4, d4), [-1], true), g.scalar(0));
  return g.reshape(g.div(g.sub(d4, g.mul(x4, dot)), n), xn.shape);
};

/** [B, T, H·w] (or [B, T, H] with w = 1) as time-major row vectors [T, N, 1, w], zero-padded to `Tp` steps. */
const timeMajor = (g: GraphBuilder, x: Sym, d: Dims, w: number, Tp = d.T): Sym => {
  const t = g.reshape(g.transpose(g.reshape(x, [d.B, d.T, d.H, w]), [1, 0, 2, 3]), [d.T, d.N, 1, w]);
  return Tp > d.T ? g.pad(t, [0, 0, 0, 0, Tp - d.T, 0, 0, 0]) : t;
};

/** [T, N, 1, w] back to [B, T, H·w]. */
const fromTimeMajor = (g: GraphBuilder, x: Sym, d: Dims, w: number): Sym => g.reshape(g.transpose(g.reshape(x, [d.T, d.B, d.H, w]), [1, 0, 2, 3]), [d.B, d.T, d.H * w]);

/** [B, T, H·w] as per-head chunks [N, nC, C, w], zero-padded. */
const chunked = (g: GraphBuilder, x: Sym, d: Dims, w: number): Sym => {
  const t = g.reshape(g.transpose(g.reshape(x, [d.B, d.T, d.H, w]), [0, 2, 1, 3]), [d.N, d.T, w]);
  const Tp = d.nC * d.C;
  return g.reshape(Tp > d.T ? g.pad(t, [0, 0, 0, 0, Tp - d.T, 0]) : t, [d.N, d.nC, d.C, w]);
};

/** The per-step inputs of the recurrence. */
interface Seq {
  readonly q: Sym;
  readonly k: Sym;
  readonly v: Sym;
  readonly beta: Sym;
}

/**
 * The recurrence as a Scan over the leading axis of time-major inputs [L, M, 1, ·] from states
 * [M, dk, dv]: returns the final states, the outputs [L, M, 1, dv] and, if asked, every S_{t−1}.
 */
const recurrenceScan = (g: GraphBuilder, s: Seq, S0: Sym, d: Dims, keepStates: boolean): { ST: Sym; o: Sym; prev?: Sym } => {
  const M = S0.shape[0]!;
  const b = g.subgraph('delta_step');
  const S = b.input(`${b.name}_S`, [M, d.dk, d.dv]);
  const q = b.input(`${b.name}_q`, [M, 1, d.dk]);
  const k = b.input(`${b.name}_k`, [M, 1, d.dk]);
  const v = b.input(`${b.name}_v`, [M, 1, d.dv]);
  const beta = b.input(`${b.name}_b`, [M, 1, 1]);
  // u = β (v − Sᵀk), S' = S + k uᵀ, o = S'ᵀ q.
  const u = b.mul(beta, b.sub(v, b.matmul(k, S)));
  const S2 = b.add(S, b.matmul(b.transpose(k, [0, 2, 1]), u));
  b.output(S2, `${b.name}_S2`);
  b.output(b.matmul(q, S2), `${b.name}_o`);
  if (keepStates) b.output(S, `${b.name}_prev`);
  const [ST, o, prev] = g.scan(b, [S0], [s.q, s.k, s.v, s.beta]);
  return { ST: ST!, o: o!, ...(prev ? { prev } : {}) };
};

/** Inputs of the chunkwise form for all chunks at once: Q, K, V [N, nC, C, ·], W, U and the masks. */
interface Chunks {
  readonly Q: Sym;
  readonly K: Sym;
  readonly W: Sym;
  readonly U: Sym;
  /** (I + A)⁻¹ [N, nC, C, C]. */
  readonly Tinv: Sym;
}

const strictLower = (C: number, inclusive: boolean): number[] =>
  Array.from({ length: C * C }, (_, i) => (inclusive ? Math.floor(i / C) >= i % C : Math.floor(i / C) > i % C) ? 1 : 0);

/** WY factors of every chunk: A = tril(diag(β) K Kᵀ, −1), W = (I + A)⁻¹ diag(β) K, U = (I + A)⁻¹ diag(β) V. */
const wyFactors = (g: GraphBuilder, qn: Sym, kn: Sym, v: Sym, beta: Sym, d: Dims): Chunks => {
  const Q = chunked(g, qn, d, d.dk);
  const K = chunked(g, kn, d, d.dk);
  const V = chunked(g, v, d, d.dv);
  const b = chunked(g, beta, d, 1); // [N, nC, C, 1]
  const A = g.mul(g.mul(b, g.matmul(K, g.transpose(K, [0, 1, 3, 2]))), g.constant(strictLower(d.C, false), [d.C, d.C]));
  // (I + A)⁻¹ row by row: T_i = e_i − Σ_{j<i} A_ij T_j (A is strictly lower triangular).
  const eye = (i: number) => g.constant(Array.from({ length: d.C }, (_, j) => (j === i ? 1 : 0)), [1, d.C]);
  let Tinv = g.expand(eye(0), [d.N, d.nC, 1, d.C]);
  for (let i = 1; i < d.C; i++) {
    const Ai = g.slice(A, [i, 0], [i + 1, i], [2, 3]); // [N, nC, 1, i]
    Tinv = g.concat([Tinv, g.sub(eye(i), g.matmul(Ai, Tinv))], 2);
  }
  return { Q, K, W: g.matmul(Tinv, g.mul(b, K)), U: g.matmul(Tinv, g.mul(b, V)), Tinv };
};

/** Chunk starts h_c [N, nC, dk, dv] and the final state, in sequence: h_{c+1} = h_c + K_cᵀ(U_c − W_c h_c). */
const chunkStarts = (g: GraphBuilder, c: Chunks, S0: Sym, d: Dims): { starts: Sym; ST: Sym } => {
  let h = S0; // [N, dk, dv]
  const starts: Sym[] = [];
  const at = (x: Sym, i: number, w: number) => g.reshape(g.slice(x, [i], [i + 1], [1]), [d.N, d.C, w]);
  for (let i = 0; i < d.nC; i++) {
    starts.push(g.unsqueeze(h, [1]));
    const Kc = at(c.K, i, d.dk);
    const Up = g.sub(at(c.U, i, d.dv), g.matmul(at(c.W, i, d.dk), h));
    h = g.add(h, g.matmul(g.transpose(Kc, [0, 2, 1]), Up));
  }
  return { starts: g.concat(starts, 1), ST: h };
};

/**
 * Given the chunk starts, in parallel over chunks: U' = U − W h, the outputs O = Q h + (Q Kᵀ ⊙ M) U'
 * [N, nC, C, dv], and (if asked) every state S_{t−1} = h + Σ_{j<i} k_j u'_jᵀ [N, nC, C, dk, dv].
 */
const withinChunks = (g: GraphBuilder, c: Chunks, starts: Sym, d: Dims, want: { o?: boolean; states?: boolean }): { o?: Sym; states?: Sym } => {
  const Up = g.sub(c.U, g.matmul(c.W, starts));
  const out: { o?: Sym; states?: Sym } = {};
  if (want.o) {
    const P = g.mul(g.matmul(c.Q, g.transpose(c.K, [0, 1, 3, 2])), g.constant(strictLower(d.C, true), [d.C, d.C]));
    out.o = g.add(g.matmul(c.Q, starts), g.matmul(P, Up));
  }
  if (want.states) {
    const outer = g.mul(g.unsqueeze(c.K, [-1]), g.unsqueeze(Up, [3])); // [N, nC, C, dk, dv]
    out.states = g.add(g.unsqueeze(starts, [2]), g.cumsum(outer, 2, true));
  }
  return out;
};

/** [N, nC, C, ...rest] (padded time) as time-major [T, N, ...rest]. */
const chunkTimeMajor = (g: GraphBuilder, x: Sym, d: Dims, rest: readonly number[]): Sym => {
  const t = g.reshape(x, [d.N, d.nC * d.C, ...rest]);
  const tm = g.transpose(t, [1, 0, ...rest.map((_, i) => i + 2)]);
  return d.nC * d.C > d.T ? g.slice(tm, [0], [d.T], [0]) : tm;
};

/** States [T, N, dk, dv] every `every` steps from each segment's first state [N, nSeg, dk, dv], by the recurrence. */
const statesFromStarts = (g: GraphBuilder, s: Seq, starts: Sym, d: Dims, every: number): Sym => {
  const nSeg = starts.shape[1]!;
  const L = every;
  // Time-major [Tp, N, 1, w] → [L, N·nSeg, 1, w]: step l of every segment at once.
  const seg = (x: Sym): Sym => {
    const w = x.shape[3]!;
    const tp = nSeg * L > x.shape[0]! ? g.pad(x, [0, 0, 0, 0, nSeg * L - x.shape[0]!, 0, 0, 0]) : x;
    return g.reshape(g.transpose(g.reshape(tp, [nSeg, L, d.N, w]), [1, 2, 0, 3]), [L, d.N * nSeg, 1, w]);
  };
  const S0 = g.reshape(starts, [d.N * nSeg, d.dk, d.dv]);
  const { prev } = recurrenceScan(g, { q: seg(s.q), k: seg(s.k), v: seg(s.v), beta: seg(s.beta) }, S0, d, true);
  // [L, N, nSeg, dk, dv] → [nSeg, L, N, ...] → [Tp, N, dk, dv] → first T steps.
  const all = g.reshape(g.transpose(g.reshape(prev!, [L, d.N, nSeg, d.dk, d.dv]), [2, 0, 1, 3, 4]), [nSeg * L, d.N, d.dk, d.dv]);
  return nSeg * L > d.T ? g.slice(all, [0], [d.T], [0]) : all;
};

/** Kept states [B, H, nS, dk, dv] from per-head states [N, nS, dk, dv]. */
const keptStates = (g: GraphBuilder, x: Sym, d: Dims): Sym => g.reshape(x, [d.B, d.H, x.shape[1]!, d.dk, d.dv]);

/** The normalised inputs and β from a residual, time-major. */
const seqOf = (g: GraphBuilder, r: Residual<Sym>, d: Dims): Seq => ({
  q: timeMajor(g, r.qn!, d, d.dk),
  k: timeMajor(g, r.kn!, d, d.dk),
  v: timeMajor(g, r.v!, d, d.dv),
  beta: timeMajor(g, r.beta!, d, 1),
});

/** Every S_{t−1} [T, N, dk, dv] from what a variant keeps. */
const prevStates = (g: GraphBuilder, r: Residual<Sym>, d: Dims, variant: string): Sym => {
  const kept = g.reshape(r.states!, [d.N, r.states!.shape[2]!, d.dk, d.dv]);
  if (variant === 'all-states') return g.transpose(kept, [1, 0, 2, 3]);
  const s = seqOf(g, r, d);
  if (d.algorithm === 'recurrent') return statesFromStarts(g, s, kept, d, variant === 'chunk-states' ? d.C : d.T);
  const c = wyFactors(g, r.qn!, r.kn!, r.v!, r.beta!, d);
  const starts = variant === 'chunk-states' ? kept : chunkStarts(g, c, g.reshape(kept, [d.N, d.dk, d.dv]), d).starts;
  return chunkTimeMajor(g, withinChunks(g, c, starts, d, { states: true }).states!, d, [d.dk, d.dv]);
};

/** What a variant keeps of the states, computed as its forward graph computes it. */
const statesToKeep = (g: GraphBuilder, r: Residual<Sym>, d: Dims, variant: string): Sym => {
  const S0 = g.reshape(g.slice(r.states!, [0], [1], [2]), [d.N, d.dk, d.dv]);
  if (variant === 'none') return r.states!;
  if (d.algorithm === 'recurrent') {
    const { prev } = recurrenceScan(g, seqOf(g, r, d), S0, d, true);
    return keptStates(g, g.transpose(everyStep(g, prev!, d, variant), [1, 0, 2, 3]), d);
  }
  const c = wyFactors(g, r.qn!, r.kn!, r.v!, r.beta!, d);
  const { starts } = chunkStarts(g, c, S0, d);
  if (variant === 'chunk-states') return keptStates(g, starts, d);
  return keptStates(g, g.transpose(chunkTimeMajor(g, withinChunks(g, c, starts, d, { states: true }).states!, d, [d.dk, d.dv]), [1, 0, 2, 3]), d);
};

/** All states [T, N, dk, dv], or every C-th of them for `chunk-states`. */
const everyStep = (g: GraphBuilder, prev: Sym, d: Dims, variant: string): Sym =>
  variant === 'chunk-states' ? g.gather(prev, g.ints(Array.from({ length: d.nC }, (_, i) => i * d.C)), 0) : prev;

/** Gradients of the node's inputs from those of q̂, k̂, v, β [B, T, ·] and of S_0 [N, dk, dv]. */
const inputGrads = (g: GraphBuilder, r: Residual<Sym>, d: Dims, dqn: Sym, dkn: Sym, dv: Sym, dbeta: Sym, dS0: Sym) => {
  const dq = normaliseBack(g, r.qn!, r.qnorm!, dqn, d, d.dk);
  const dk = normaliseBack(g, r.kn!, r.knorm!, dkn, d, d.dk);
  // β = s·σ(l): dβ/dl = β (1 − β/s).
  const db = g.reshape(dbeta, [d.B, d.T, d.H]);
  const dlogit = g.mul(g.mul(db, r.beta!), g.sub(g.scalar(1), g.div(r.beta!, g.scalar(d.scale))));
  return { dInputs: [dq, dk, g.reshape(dv, [d.B, d.T, d.H * d.dv]), dlogit, g.reshape(dS0, [d.B, d.H, d.dk, d.dv])], dParams: {} };
};

/** [N, nC, C, w] (padded time) back to [B, T, H·w]. */
const unchunked = (g: GraphBuilder, x: Sym, d: Dims, w: number): Sym => {
  const t = g.reshape(x, [d.N, d.nC * d.C, w]);
  const tt = d.nC * d.C > d.T ? g.slice(t, [0], [d.T], [1]) : t;
  return g.reshape(g.transpose(g.reshape(tt, [d.B, d.H, d.T, w]), [0, 2, 1, 3]), [d.B, d.T, d.H * w]);
};

/**
 * The chunkwise backward in WY form. The gradient reaching each chunk's end obeys a linear recurrence
 * over chunks, dH_{c−1} = (I − W_cᵀK_c) dH_c + (Q_c − P_c W_c)ᵀ dO_c, whose matrices come from all
 * chunks at once; only that recurrence runs in sequence (one block per chunk). Everything else —
 * through O = Q h + P U', h' = h + KᵀU', U' = U − W h and the WY transform (with (I + A)⁻ᵀ from the
 * same inverse as the forward) — is parallel over chunks.
 */
const chunkBackward = (g: GraphBuilder, r: Residual<Sym>, d: Dims, variant: string, dO: Sym, dST: Sym) => {
  const c = wyFactors(g, r.qn!, r.kn!, r.v!, r.beta!, d);
  const kept = g.reshape(r.states!, [d.N, r.states!.shape[2]!, d.dk, d.dv]);
  const starts =
    variant === 'chunk-states'
      ? kept
      : variant === 'all-states'
        ? g.gather(kept, g.ints(Array.from({ length: d.nC }, (_, i) => i * d.C)), 1)
        : chunkStarts(g, c, g.reshape(kept, [d.N, d.dk, d.dv]), d).starts;
  const V = chunked(g, r.v!, d, d.dv);
  const b = chunked(g, r.beta!, d, 1);
  const dOc = chunked(g, dO, d, d.dv);
  const T2 = (x: Sym) => g.transpose(x, [0, 1, 3, 2]);
  const Up = g.sub(c.U, g.matmul(c.W, starts));
  const P = g.mul(g.matmul(c.Q, T2(c.K)), g.constant(strictLower(d.C, true), [d.C, d.C]));
  const eye = g.constant(Array.from({ length: d.dk * d.dk }, (_, i) => (Math.floor(i / d.dk) === i % d.dk ? 1 : 0)), [d.dk, d.dk]);
  const M = g.sub(eye, g.matmul(T2(c.W), c.K)); // [N, nC, dk, dk]
  const Nn = g.matmul(T2(g.sub(c.Q, g.matmul(P, c.W))), dOc); // [N, nC, dk, dv]
  const at = (x: Sym, i: number) => g.reshape(g.slice(x, [i], [i + 1], [1]), [d.N, x.shape[2]!, x.shape[3]!]);
  // Gradient at each chunk's end, last chunk first.
  const ends: Sym[] = new Array(d.nC);
  let dH = g.reshape(dST, [d.N, d.dk, d.dv]);
  for (let i = d.nC - 1; i >= 0; i--) {
    ends[i] = g.unsqueeze(dH, [1]);
    dH = g.add(g.matmul(at(M, i), dH), at(Nn, i));
  }
  const dS0 = dH;
  const dHc = g.concat(ends, 1); // [N, nC, dk, dv]
  // h' = h + KᵀU' and O = Q h + P U'.
  const dUp = g.add(g.matmul(c.K, dHc), g.matmul(T2(P), dOc));
  const dPm = g.mul(g.matmul(dOc, T2(Up)), g.constant(strictLower(d.C, true), [d.C, d.C]));
  const dq = g.add(g.matmul(dOc, T2(starts)), g.matmul(dPm, c.K));
  let dk = g.add(g.matmul(Up, T2(dHc)), g.matmul(T2(dPm), c.Q));
  // U' = U − W h, then W = (I + A)⁻¹ diag(β) K and U = (I + A)⁻¹ diag(β) V.
  const dW = g.neg(g.matmul(dUp, T2(starts)));
  const Tinv = T2(c.Tinv);
  const dUs = g.matmul(Tinv, dUp);
  const dWs = g.matmul(Tinv, dW);
  const dA = g.mul(g.neg(g.add(g.matmul(dUs, T2(c.U)), g.matmul(dWs, T2(c.W)))), g.constant(strictLower(d.C, false), [d.C, d.C]));
  const KK = g.matmul(c.K, T2(c.K));
  const dbeta = g.add(g.add(g.reduceSum(g.mul(dUs, V), [-1], true), g.reduceSum(g.mul(dWs, c.K), [-1], true)), g.reduceSum(g.mul(dA, KK), [-1], true));
  const f = g.mul(b, dA); // A_ij = β_i k_i·k_j
  dk = g.sum([dk, g.mul(b, dWs), g.matmul(f, c.K), g.matmul(T2(f), c.K)]);
  return inputGrads(g, r, d, unchunked(g, dq, d, d.dk), unchunked(g, dk, d, d.dk), unchunked(g, g.mul(b, dUs), d, d.dv), unchunked(g, dbeta, d, 1), dS0);
};

export const deltaRuleEmitter = defineEmitter(deltaRuleDef, {
  forward: (g, node, _p, [q, k, v, logit, s0]) => {
    const d = dimsOf(node);
    const { xn: qn, norm: qnorm } = normalise(g, q!, d, d.dk);
    const { xn: kn, norm: knorm } = normalise(g, k!, d, d.dk);
    const beta = g.mul(g.scalar(d.scale), g.sigmoid(logit!));
    const S0 = g.reshape(s0!, [d.N, d.dk, d.dv]);
    let o: Sym;
    let ST: Sym;
    let states: Sym;
    if (d.algorithm === 'recurrent') {
      const keep = node.variant !== 'none';
      const r = recurrenceScan(g, { q: timeMajor(g, qn, d, d.dk), k: timeMajor(g, kn, d, d.dk), v: timeMajor(g, v!, d, d.dv), beta: timeMajor(g, beta, d, 1) }, S0, d, keep);
      o = fromTimeMajor(g, r.o, d, d.dv);
      ST = r.ST;
      states = keep ? keptStates(g, g.transpose(everyStep(g, r.prev!, d, node.variant), [1, 0, 2, 3]), d) : g.reshape(s0!, [d.B, d.H, 1, d.dk, d.dv]);
    } else {
      const c = wyFactors(g, qn, kn, v!, beta, d);
      const cs = chunkStarts(g, c, S0, d);
      const w = withinChunks(g, c, cs.starts, d, { o: true, states: node.variant === 'all-states' });
      o = fromTimeMajor(g, g.unsqueeze(chunkTimeMajor(g, w.o!, d, [d.dv]), [2]), d, d.dv);
      ST = cs.ST;
      states =
        node.variant === 'all-states'
          ? keptStates(g, g.transpose(chunkTimeMajor(g, w.states!, d, [d.dk, d.dv]), [1, 0, 2, 3]), d)
          : node.variant === 'chunk-states'
            ? keptStates(g, cs.starts, d)
            : g.reshape(s0!, [d.B, d.H, 1, d.dk, d.dv]);
    }
    return {
      outputs: [o, g.reshape(ST, [d.B, d.H, d.dk, d.dv])],
      residual: { qn, kn, qnorm, knorm, v: v!, beta, states },
    };
  },
  backward: (g, node, _p, r, [dO, dST]) => {
    const d = dimsOf(node);
    if (d.algorithm === 'chunkwise') return chunkBackward(g, r, d, node.variant, dO!, dST!);
    const s = seqOf(g, r, d);
    const P = prevStates(g, r, d, node.variant);
    // The recurrent adjoint, one step per time step, last to first.
    const b = g.subgraph('delta_adjoint');
    const dS = b.input(`${b.name}_dS`, [d.N, d.dk, d.dv]);
    const Pt = b.input(`${b.name}_P`, [d.N, d.dk, d.dv]);
    const q = b.input(`${b.name}_q`, [d.N, 1, d.dk]);
    const k = b.input(`${b.name}_k`, [d.N, 1, d.dk]);
    const v = b.input(`${b.name}_v`, [d.N, 1, d.dv]);
    const beta = b.input(`${b.name}_b`, [d.N, 1, 1]);
    const dout = b.input(`${b.name}_do`, [d.N, 1, d.dv]);
    const PtT = b.transpose(Pt, [0, 2, 1]);
    const e = b.sub(v, b.matmul(k, Pt)); // v − Pᵀk
    const dS1 = b.add(dS, b.matmul(b.transpose(q, [0, 2, 1]), dout)); // o_t reads S_t
    const du = b.matmul(k, dS1);
    const u = b.mul(beta, e);
    const ud = b.reduceSum(b.mul(u, dout), [-1], true);
    const gg = b.mul(beta, du);
    b.output(b.sub(dS1, b.matmul(b.transpose(k, [0, 2, 1]), gg)), `${b.name}_dS2`);
    b.output(b.add(b.matmul(dout, PtT), b.mul(k, ud)), `${b.name}_dq`);
    b.output(b.sub(b.matmul(u, b.transpose(dS1, [0, 2, 1])), b.matmul(gg, PtT)), `${b.name}_dk`);
    b.output(gg, `${b.name}_dv`);
    b.output(b.reduceSum(b.mul(du, e), [-1], true), `${b.name}_db`);
    const [dS0, dqn, dkn, dv, dbeta] = g.scan(b, [g.reshape(dST!, [d.N, d.dk, d.dv])], [P, s.q, s.k, s.v, s.beta, timeMajor(g, dO!, d, d.dv)], true) as [Sym, Sym, Sym, Sym, Sym];
    return inputGrads(g, r, d, fromTimeMajor(g, dqn, d, d.dk), fromTimeMajor(g, dkn, d, d.dk), fromTimeMajor(g, dv, d, d.dv), fromTimeMajor(g, dbeta, d, 1), dS0);
  },
  twoCells: {
    'none⇒chunk-states': (g: GraphBuilder, node: TypedPrim<DeltaAttrs>, _p: Params<Sym>, m: Residual<Sym>) => ({ ...m, states: statesToKeep(g, m, dimsOf(node), 'chunk-states') }),
    'chunk-states⇒all-states': (g: GraphBuilder, node: TypedPrim<DeltaAttrs>, _p: Params<Sym>, m: Residual<Sym>) => {
      const d = dimsOf(node);
      const kept = g.reshape(m.states!, [d.N, d.nC, d.dk, d.dv]);
      if (d.algorithm === 'recurrent') return { ...m, states: keptStates(g, g.transpose(statesFromStarts(g, seqOf(g, m, d), kept, d, d.C), [1, 0, 2, 3]), d) };
      const c = wyFactors(g, m.qn!, m.kn!, m.v!, m.beta!, d);
      return { ...m, states: keptStates(g, g.transpose(chunkTimeMajor(g, withinChunks(g, c, kept, d, { states: true }).states!, d, [d.dk, d.dv]), [1, 0, 2, 3]), d) };
    },
  },
});
