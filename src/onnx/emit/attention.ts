/**
 * The `attention` emitter: multi-head attention with both residual variants. `probs` keeps P;
 * `lse` keeps the row log-sum-exp and the backward graph recomputes `P = exp(scale·q kᵀ − lse)`
 * (masked entries 0). Both forward variants compute P from the log-sum-exp in exactly that way, so
 * the `lse ⇒ probs` 2-cell's map (the same expression again) satisfies T1/T2 bit for bit.
 *
 * Fully masked rows give zero outputs and `lse = −∞`, never NaN: the row maximum is clamped to a
 * finite value before exponentiating, and masked entries of P are selected away.
 *
 * @module
 */
import { type AttentionAttrs, type AttentionDims, attentionDef, attentionDims } from '../../prims/attention';
import type { Params, Residual } from '../../backend/backend';
import type { TypedPrim } from '../../term/check';
import { defineEmitter } from '../emitter';
import { type GraphBuilder, OnnxEmitError, type Sym } from '../graph';

const FLT_MAX = 3.4028234663852886e38;

const dims = (n: TypedPrim<AttentionAttrs>): AttentionDims => {
  const g = attentionDims(n.attrs, n.inputs);
  if (typeof g === 'string') throw new OnnxEmitError(n.path.join('.'), `attention: ${g}`);
  return g;
};

/** [rows, H·d] as [B, H, T, d]. */
const heads = (g: GraphBuilder, x: Sym, d: AttentionDims, T: number, w: number): Sym =>
  g.transpose(g.reshape(x, [d.B, T, d.H, w]), [0, 2, 1, 3]);

/** [B, H, T, w] back to [B·T, H·w]. */
const unheads = (g: GraphBuilder, x: Sym, d: AttentionDims, T: number, w: number): Sym =>
  g.reshape(g.transpose(x, [0, 2, 1, 3]), [d.B * T, d.H * w]);

/** Visibility of key u from query t: [B or 1, 1, Tq, Tk] booleans, or undefined when all are visible. */
const visibility = (g: GraphBuilder, d: AttentionDims, mask: Sym | undefined): Sym | undefined => {
  let vis: Sym | undefined;
  if (d.causal) {
    const tri = new Array<number>(d.Tq * d.Tk);
    for (let t = 0; t < d.Tq; t++) for (let u = 0; u < d.Tk; u++) tri[t * d.Tk + u] = u <= t ? 1 : 0;
    vis = g.constant(tri, [1, 1, d.Tq, d.Tk], 'bool');
  }
  if (mask) {
    const m = g.equal(g.reshape(mask, [d.B, 1, 1, d.Tk]), g.scalar(1));
    vis = vis ? g.and(vis, m) : m;
  }
  return vis;
};

/** The per-head views of queries, keys and values from the kept (or just computed) tensors. */
interface Views {
  readonly Q: Sym; // [B, H, Tq, dkey]
  readonly K: Sym; // [B, H or 1, Tk, dkey]
  readonly V: Sym; // [B, H or 1, Tk, dv]
}

const views = (g: GraphBuilder, d: AttentionDims, q: Sym, k: Sym | undefined, v: Sym | undefined, xkv2: Sym): Views => ({
  Q: heads(g, q, d, d.Tq, d.dkey),
  K: d.combined ? g.reshape(xkv2, [d.B, 1, d.Tk, d.dkv]) : heads(g, k!, d, d.Tk, d.dkey),
  V: d.values ? heads(g, v!, d, d.Tk, d.dv) : g.reshape(xkv2, [d.B, 1, d.Tk, d.dkv]),
});

/** Scores scale·q kᵀ, [B, H, Tq, Tk]. */
const scores = (g: GraphBuilder, d: AttentionDims, w: Views): Sym => g.mul(g.matmul(w.Q, g.transpose(w.K, [0, 1, 3, 2])), g.scalar(d.scale));

/** P = exp(S − lse) on visible entries, 0 elsewhere: the one expression every variant and the 2-cell use. */
const probsFrom = (g: GraphBuilder, S: Sym, lse: Sym, vis: Sym | undefined): Sym => {
  const e = g.exp(g.sub(S, g.unsqueeze(lse, [-1])));
  return vis ? g.where(vis, e, g.scalar(0)) : e;
};

/** The inputs of a node as [rows, d] views, and the mask. */
const inputsOf = (g: GraphBuilder, d: AttentionDims, xs: readonly Sym[]) => {
  const xq = xs[0]!;
  const xkv = d.cross ? xs[1]! : xq;
  return {
    xq,
    xkv,
    xq2: g.reshape(xq, [d.B * d.Tq, d.dq]),
    xkv2: g.reshape(xkv, [d.B * d.Tk, d.dkv]),
    mask: d.mask ? xs[xs.length - 1] : undefined,
  };
};

export const attentionEmitter = defineEmitter(attentionDef, {
  forward: (g, node, p, xs) => {
    const d = dims(node);
    const { xq, xkv, xq2, xkv2, mask } = inputsOf(g, d, xs);
    // W form: q_t = W_h xq_t for every head at once (w [H, dkv, dq] is [H·dkv, dq] row-major).
    const q = d.combined ? g.gemm(xq2, g.reshape(p.w!, [d.H * d.dkv, d.dq]), false, true) : g.matmul(xq2, p.wq!);
    const k = d.combined ? undefined : g.matmul(xkv2, p.wk!);
    const v = d.values ? g.matmul(xkv2, p.wv!) : undefined;
    const w = views(g, d, q, k, v, xkv2);
    const S = scores(g, d, w);
    const vis = visibility(g, d, mask);
    const Sm = vis ? g.where(vis, S, g.scalar(-Infinity)) : S;
    // A finite row maximum (−FLT_MAX for a fully masked row), so exp never sees −∞ − (−∞).
    const M = g.max(g.reduceMax(Sm, [-1], true), g.scalar(-FLT_MAX));
    const l = g.reduceSum(g.exp(g.sub(Sm, M)), [-1], true);
    const lse = g.reshape(g.add(M, g.log(l)), [d.B, d.H, d.Tq]);
    const P = probsFrom(g, S, lse, vis);
    const o = unheads(g, g.matmul(P, w.V), d, d.Tq, d.dv);
    const y = d.project ? g.matmul(o, p.wo!) : o;
    const residual: Record<string, Sym> = d.cross ? { xq, xkv } : { x: xq };
    if (mask) residual.mask = mask;
    residual.q = q;
    if (k) residual.k = k;
    if (v) residual.v = v;
    residual.o = o;
    if (node.variant === 'probs') residual.p = P;
    else residual.lse = lse;
    return { outputs: [g.reshape(y, node.outputs[0]!)], residual };
  },
  backward: (g, node, p, r, [dy]) => {
    const d = dims(node);
    const xq = d.cross ? r.xq! : r.x!;
    const xkv = d.cross ? r.xkv! : r.x!;
    const xq2 = g.reshape(xq, [d.B * d.Tq, d.dq]);
    const xkv2 = g.reshape(xkv, [d.B * d.Tk, d.dkv]);
    const rq = d.B * d.Tq;
    const dParams: Record<string, Sym> = {};
    let dO2: Sym;
    const dy2 = g.reshape(dy!, [rq, d.project ? d.out : d.H * d.dv]);
    if (d.project) {
      dO2 = g.gemm(dy2, p.wo!, false, true);
      dParams.wo = g.gemm(r.o!, dy2, true, false);
    } else dO2 = dy2;
    const w = views(g, d, r.q!, r.k, r.v, xkv2);
    const vis = visibility(g, d, r.mask);
    const P = r.p ?? probsFrom(g, scores(g, d, w), r.lse!, vis);
    const dO = heads(g, dO2, d, d.Tq, d.dv);
    const O = heads(g, r.o!, d, d.Tq, d.dv);
    const dV = g.matmul(g.transpose(P, [0, 1, 3, 2]), dO); // [B, H, Tk, dv]
    const dP = g.matmul(dO, g.transpose(w.V, [0, 1, 3, 2]));
    const D = g.reduceSum(g.mul(dO, O), [-1], true);
    const dS = g.mul(g.mul(P, g.sub(dP, D)), g.scalar(d.scale));
    const dQ = g.matmul(dS, w.K); // [B, H, Tq, dkey]
    const dK = g.matmul(g.transpose(dS, [0, 1, 3, 2]), w.Q); // [B, H, Tk, dkey]
    const dq = unheads(g, dQ, d, d.Tq, d.dkey);
    const dxkvParts: Sym[] = [];
    let dxq: Sym;
    if (d.combined) {
      const w2 = g.reshape(p.w!, [d.H * d.dkv, d.dq]);
      dxq = g.matmul(dq, w2);
      dParams.w = g.reshape(g.gemm(dq, xq2, true, false), [d.H, d.dkv, d.dq]);
      // Keys are the raw tokens, shared by the heads: their gradient sums over heads.
      dxkvParts.push(g.reshape(g.reduceSum(dK, [1]), [d.B * d.Tk, d.dkv]));
    } else {
      dxq = g.gemm(dq, p.wq!, false, true);
      dParams.wq = g.gemm(xq2, dq, true, false);
      const dk = unheads(g, dK, d, d.Tk, d.dkey);
      dxkvParts.push(g.gemm(dk, p.wk!, false, true));
      dParams.wk = g.gemm(xkv2, dk, true, false);
    }
    if (d.values) {
      const dv = unheads(g, dV, d, d.Tk, d.dv);
      dxkvParts.push(g.gemm(dv, p.wv!, false, true));
      dParams.wv = g.gemm(xkv2, dv, true, false);
    } else dxkvParts.push(g.reshape(g.reduceSum(dV, [1]), [d.B * d.Tk, d.dkv]));
    const dInputs: (Sym | null)[] = d.cross
      ? [g.reshape(dxq, xq.shape), g.reshape(g.sum(dxkvParts), xkv.shape)]
      : [g.reshape(g.sum([dxq, ...dxkvParts]), xq.shape)];
    if (d.mask) dInputs.push(null);
    return { dInputs, dParams };
  },
  twoCells: {
    'lse⇒probs': (g: GraphBuilder, node: TypedPrim<AttentionAttrs>, _p: Params<Sym>, m: Residual<Sym>): Residual<Sym> => {
      const d = dims(node);
      g.check(m.lse !== undefined, () => `attention: the lse ⇒ probs map needs an 'lse' residual (it has ${Object.keys(m).join(', ')})`);
      const xkv = d.cross ? m.xkv! : m.x!;
      const w = views(g, d, m.q!, m.k, m.v, g.reshape(xkv, [d.B * d.Tk, d.dkv]));
      const P = probsFrom(g, scores(g, d, w), m.lse!, visibility(g, d, m.mask));
      const out: Record<string, Sym> = {};
      for (const [k, v] of Object.entries(m)) if (k !== 'lse') out[k] = v;
      out.p = P;
      return out;
    },
  },
});
