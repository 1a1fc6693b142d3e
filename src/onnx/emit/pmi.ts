/**
 * Emitters of the PMI memory primitives.
 *
 * - `outer_memory`: the states are a cumulative sum, `M_t = M_0 + Σ_{s≤t} k_s v_sᵀ` (`CumSum` over
 *   time of the outer products, all steps at once), and `o_t = M_tᵀ q_t` one batched `MatMul`. The
 *   residual is the JS kernel's: q, k, v and `states` [B, H, nS, d_k, d_v] (every M_{t−1}, every C-th,
 *   or M_0). The backward graph rebuilds the states from M_0 (the first kept state, in every variant)
 *   by the forward's own expression, so the variants give the same gradients; the gradient of the
 *   memory is a reverse `CumSum`, `G_t = dM_T + Σ_{s≥t} q_s do_sᵀ`.
 * - `topk_write`: `TopK` (ONNX breaks ties by the lower index, as the kernels do), a softmax over the
 *   selected scores, and the selection as one-hot rows; the residual keeps the indices (as floats) and
 *   the weights, as the JS kernel does.
 *
 * @module
 */
import type { Residual } from '../../backend/backend';
import { type OuterMemoryAttrs, outerMemoryDef, outerMemorySizes, outerMemoryStates, topkWriteDef, topkWriteSizes } from '../../prims/pmi';
import type { TypedPrim } from '../../term/check';
import { defineEmitter } from '../emitter';
import type { GraphBuilder, Sym } from '../graph';

/** [B, T, H·w] as [B, H, T, w]. */
const heads = (g: GraphBuilder, x: Sym, B: number, T: number, H: number, w: number): Sym => g.transpose(g.reshape(x, [B, T, H, w]), [0, 2, 1, 3]);
/** [B, H, T, w] back to [B, T, H·w]. */
const unheads = (g: GraphBuilder, x: Sym, B: number, T: number, H: number, w: number): Sym => g.reshape(g.transpose(x, [0, 2, 1, 3]), [B, T, H * w]);

/** The states before each step, M_{t−1} = M_0 + Σ_{s<t} k_s v_sᵀ, [B, H, T, dk, dv], from M_0 [B, H, dk, dv]. */
const statesBefore = (g: GraphBuilder, n: TypedPrim<OuterMemoryAttrs>, q: Sym, k: Sym, v: Sym, m0: Sym): { before: Sym; after: Sym; K: Sym; V: Sym; Q: Sym } => {
  const { B, T, H, dk, dv } = outerMemorySizes(n.attrs, n.inputs);
  const Q = heads(g, q, B, T, H, dk);
  const K = heads(g, k, B, T, H, dk);
  const V = heads(g, v, B, T, H, dv);
  const outer = g.mul(g.unsqueeze(K, [-1]), g.unsqueeze(V, [3]));
  const M0 = g.unsqueeze(m0, [2]);
  return { before: g.add(M0, g.cumsum(outer, 2, true)), after: g.add(M0, g.cumsum(outer, 2)), K, V, Q };
};

/** The kept states of `variant` from all the states before each step. */
const keep = (g: GraphBuilder, n: TypedPrim<OuterMemoryAttrs>, variant: string, before: Sym): Sym => {
  const { T, C } = outerMemorySizes(n.attrs, n.inputs);
  if (variant === 'all-states') return before;
  const idx = Array.from({ length: outerMemoryStates(variant, T, C) }, (_, i) => i * C);
  return g.gather(before, g.constant(idx, [idx.length], 'int64'), 2);
};

/** M_0 from a residual: the first kept state of every head. */
const m0Of = (g: GraphBuilder, n: TypedPrim<OuterMemoryAttrs>, states: Sym): Sym => {
  const { B, H, dk, dv } = outerMemorySizes(n.attrs, n.inputs);
  return g.reshape(g.slice(states, [0], [1], [2]), [B, H, dk, dv]);
};

const rebuild = (g: GraphBuilder, n: TypedPrim<OuterMemoryAttrs>, m: Residual<Sym>, to: string): Residual<Sym> => {
  const { q, k, v, states } = m as Record<string, Sym>;
  return { ...m, states: keep(g, n, to, statesBefore(g, n, q!, k!, v!, m0Of(g, n, states!)).before) };
};

export const outerMemoryEmitter = defineEmitter(outerMemoryDef, {
  forward: (g, n, _p, [q, k, v, m0]) => {
    const { B, T, H, dk, dv } = outerMemorySizes(n.attrs, n.inputs);
    const s = statesBefore(g, n, q!, k!, v!, m0!);
    const o = g.reshape(g.matmul(g.unsqueeze(s.Q, [3]), s.after), [B, H, T, dv]);
    const mT = g.reshape(g.slice(s.after, [T - 1], [T], [2]), [B, H, dk, dv]);
    return { outputs: [unheads(g, o, B, T, H, dv), mT], residual: { q: q!, k: k!, v: v!, states: keep(g, n, n.variant, s.before) } };
  },
  backward: (g, n, _p, r, [dO, dMT]) => {
    const { B, T, H, dk, dv } = outerMemorySizes(n.attrs, n.inputs);
    const { q, k, v, states } = r as Record<string, Sym>;
    const s = statesBefore(g, n, q!, k!, v!, m0Of(g, n, states!));
    const DO = heads(g, dO!, B, T, H, dv);
    // dq_t = M_t do_t; G_t = dM_T + Σ_{s≥t} q_s do_sᵀ; dk_t = G_t v_t; dv_t = G_tᵀ k_t; dM_0 = G_0.
    const dq = g.reshape(g.matmul(s.after, g.unsqueeze(DO, [-1])), [B, H, T, dk]);
    const qdo = g.mul(g.unsqueeze(s.Q, [-1]), g.unsqueeze(DO, [3]));
    const rev = g.node('CumSum', [qdo, g.constant([2], [], 'int64')], { reverse: 1 }, [{ shape: qdo.shape }])[0]!;
    const G = g.add(g.unsqueeze(dMT!, [2]), rev);
    const dk_ = g.reshape(g.matmul(G, g.unsqueeze(s.V, [-1])), [B, H, T, dk]);
    const dv_ = g.reshape(g.matmul(g.unsqueeze(s.K, [3]), G), [B, H, T, dv]);
    const dM0 = g.reshape(g.slice(G, [0], [1], [2]), [B, H, dk, dv]);
    return { dInputs: [unheads(g, dq, B, T, H, dk), unheads(g, dk_, B, T, H, dk), unheads(g, dv_, B, T, H, dv), dM0], dParams: {} };
  },
  twoCells: {
    'none⇒chunk-states': (g, n, _p, m) => rebuild(g, n, m, 'chunk-states'),
    'chunk-states⇒all-states': (g, n, _p, m) => rebuild(g, n, m, 'all-states'),
  },
});

export const topkWriteEmitter = defineEmitter(topkWriteDef, {
  forward: (g, n, _p, [q, k, v]) => {
    const { B, S, N, H, dk, dv, K } = topkWriteSizes(n.attrs, n.inputs);
    const Q = heads(g, q!, B, S, H, dk);
    const Kh = heads(g, k!, B, N, H, dk);
    const V = heads(g, v!, B, N, H, dv);
    const scores = g.mul(g.matmul(Q, g.transpose(Kh, [0, 1, 3, 2])), g.scalar(1 / Math.sqrt(dk)));
    const [vals, idx] = g.node('TopK', [scores, g.constant([K], [1], 'int64')], { axis: -1, largest: 1, sorted: 1 }, [{ shape: [B, H, S, K] }, { shape: [B, H, S, K], elem: 'int64' }]);
    const w = g.softmax(vals!, -1);
    // The selection as weights over all keys: A[s, n] = Σ_j w_j [idx_j = n].
    const A = g.reduceSum(g.mul(g.unsqueeze(w, [-1]), g.oneHot(idx!, N)), [3]);
    const o = unheads(g, g.matmul(A, V), B, S, H, dv);
    return { outputs: [o], residual: { q: q!, k: k!, v: v!, idx: g.cast(idx!, 'float'), w } };
  },
  backward: (g, n, _p, r, [dO]) => {
    const { B, S, N, H, dk, dv } = topkWriteSizes(n.attrs, n.inputs);
    const { q, k, v, idx, w } = r as Record<string, Sym>;
    const Q = heads(g, q!, B, S, H, dk);
    const Kh = heads(g, k!, B, N, H, dk);
    const V = heads(g, v!, B, N, H, dv);
    const DO = heads(g, dO!, B, S, H, dv);
    const OH = g.oneHot(g.cast(idx!, 'int64'), N); // [B, H, S, K, N]
    // dp_j = do·v_{idx_j}; ds_j = w_j (dp_j − Σ w dp) / √dk, spread back over the keys.
    const Vsel = g.matmul(OH, g.unsqueeze(V, [2])); // [B, H, S, K, dv]
    const dp = g.reduceSum(g.mul(Vsel, g.unsqueeze(DO, [3])), [-1]);
    const dot = g.reduceSum(g.mul(w!, dp), [-1], true);
    const ds = g.mul(g.mul(w!, g.sub(dp, dot)), g.scalar(1 / Math.sqrt(dk)));
    const dS = g.reduceSum(g.mul(g.unsqueeze(ds, [-1]), OH), [3]); // [B, H, S, N]
    const A = g.reduceSum(g.mul(g.unsqueeze(w!, [-1]), OH), [3]);
    const dq = g.matmul(dS, Kh);
    const dk_ = g.matmul(g.transpose(dS, [0, 1, 3, 2]), Q);
    const dv_ = g.matmul(g.transpose(A, [0, 1, 3, 2]), DO);
    return { dInputs: [unheads(g, dq, B, S, H, dk), unheads(g, dk_, B, N, H, dk), unheads(g, dv_, B, N, H, dv)], dParams: {} };
  },
});
