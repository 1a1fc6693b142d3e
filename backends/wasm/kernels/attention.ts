// Attention on WebAssembly: projections by the SIMD gemm, the core per (batch, head) in Rust
// (src/attn.rs: query blocks of 64 rows, scores by gemm, softmax with the log-sum-exp). Residuals
// hold the same entries as the JS kernel ('probs' keeps P [B, H, Tq, Tk], 'lse' keeps [B, H, Tq]).
// P is made by one row function in Rust whether the forward keeps it, the 'lse' backward recomputes
// it or the 2-cell map `attentionLseToProbs` does, so the two variants agree bit for bit.
import { type AttentionAttrs, type AttentionDims, attentionDef, attentionDims } from '../../../src/prims/attention';
import { type Residual, twoCellKey } from '../../../src/backend/backend';
import { type TypedPrim, primNodeOrThrow } from '../../../src/term/check';
import { wasmKernel } from '../kernel';
import type { WasmBackend, WasmRuntime, WasmTensor } from '../runtime';
import { gemm } from './basic';
import { partsFor, runCalls } from '../pool/pool';

/** Flops of the attention core's forward over every batch and head (what the pool weighs against its threshold). */
/** Queries per block of the Rust forward (`BQ` in src/attn.rs): ranges start on its blocks, so each block is computed as in the whole head's call. */
const QUERY_BLOCK = 64;

/** Blocks of queries to cut each head's forward into: 1 when the heads alone fill the pool. */
const queryBlocksPerHead = (rt: WasmRuntime, heads: number, Tq: number, work: number): number => {
  const blocks = Math.ceil(Tq / QUERY_BLOCK);
  const parts = partsFor(rt, work, heads * blocks);
  return heads >= parts ? 1 : Math.min(blocks, Math.ceil(parts / heads));
};

/** `parts` ranges [first query, count] covering Tq queries, each starting on a query block. */
export const queryRanges = (Tq: number, parts: number): [number, number][] => {
  if (parts <= 1) return [[0, Tq]];
  const blocks = Math.ceil(Tq / QUERY_BLOCK);
  const out: [number, number][] = [];
  for (let j = 0; j < parts; j++) {
    const q0 = QUERY_BLOCK * Math.floor((j * blocks) / parts);
    const q1 = Math.min(Tq, QUERY_BLOCK * Math.floor(((j + 1) * blocks) / parts));
    if (q1 > q0) out.push([q0, q1 - q0]);
  }
  return out;
};

const headWork = (g: AttentionDims): number => 2 * g.B * g.H * g.Tq * g.Tk * (g.dkey + g.dv);

const dims = (node: TypedPrim<AttentionAttrs>): AttentionDims => {
  const g = attentionDims(node.attrs, node.inputs);
  if (typeof g === 'string') throw new RangeError(`attention: ${g}`);
  return g;
};

/** A strided per-head view: base byte address, row stride (floats), head offset (floats). */
interface View {
  readonly ptr: number;
  readonly stride: number;
  readonly head: number;
}

const kvViews = (g: AttentionDims, xkv: number, k: number, v: number): { kv: View; vv: View } => ({
  kv: g.combined ? { ptr: xkv, stride: g.dkv, head: 0 } : { ptr: k, stride: g.H * g.dkey, head: g.dkey },
  vv: g.values ? { ptr: v, stride: g.H * g.dv, head: g.dv } : { ptr: xkv, stride: g.dkv, head: 0 },
});

const checkMask = (rt: WasmRuntime, m: WasmTensor): void => {
  const d = rt.f32(m);
  for (let i = 0; i < d.length; i++)
    if (d[i] !== 0 && d[i] !== 1) throw new RangeError(`attention: mask entry ${i} is ${d[i]}; the key-padding mask must hold 0 or 1`);
};

const fail = (rt: WasmRuntime, what: string) => {
  throw rt.outOfMemory(`the attention ${what} scratch`);
};

export const attention = wasmKernel(attentionDef, (rt) => ({
  forward: (node, params, inputs) => {
    const g = dims(node);
    const xq = inputs[0]!;
    const xkv = g.cross ? inputs[1]! : inputs[0]!;
    const mask = g.mask ? inputs[inputs.length - 1]! : undefined;
    if (mask) checkMask(rt, mask);
    const rq = g.B * g.Tq;
    const rk = g.B * g.Tk;
    const q = rt.tensor([rq, g.H * g.dkey]);
    if (g.combined) gemm(rt, rq, g.H * g.dkv, g.dq, rt.ptr(xq), g.dq, 1, rt.ptr(params.w!), 1, g.dq, q.buf.ptr, g.H * g.dkv);
    else gemm(rt, rq, g.H * g.dkey, g.dq, rt.ptr(xq), g.dq, 1, rt.ptr(params.wq!), g.H * g.dkey, 1, q.buf.ptr, g.H * g.dkey);
    let k: WasmTensor | undefined;
    if (!g.combined) {
      k = rt.tensor([rk, g.H * g.dkey]);
      gemm(rt, rk, g.H * g.dkey, g.dkv, rt.ptr(xkv), g.dkv, 1, rt.ptr(params.wk!), g.H * g.dkey, 1, k.buf.ptr, g.H * g.dkey);
    }
    let v: WasmTensor | undefined;
    if (g.values) {
      v = rt.tensor([rk, g.H * g.dv]);
      gemm(rt, rk, g.H * g.dv, g.dkv, rt.ptr(xkv), g.dkv, 1, rt.ptr(params.wv!), g.H * g.dv, 1, v.buf.ptr, g.H * g.dv);
    }
    const { kv, vv } = kvViews(g, rt.ptr(xkv), k?.buf.ptr ?? 0, v?.buf.ptr ?? 0);
    const o = rt.tensor([rq, g.H * g.dv]);
    const lse = rt.tensor([g.B, g.H, g.Tq]);
    const probs = node.variant === 'probs';
    const p = probs ? rt.tensor([g.B, g.H, g.Tq, g.Tk]) : undefined;
    const qStride = g.H * g.dkey;
    const oStride = g.H * g.dv;
    // one call per (batch, head), spread over the runtime's worker pool if it has one; with fewer
    // heads than the pool has threads, one call per block of 64 queries (the kernel's own blocks)
    const perHead = queryBlocksPerHead(rt, g.B * g.H, g.Tq, headWork(g));
    const calls: number[][] = [];
    for (let b = 0; b < g.B; b++)
      for (let h = 0; h < g.H; h++) {
        const bh = b * g.H + h;
        for (const [q0, n] of queryRanges(g.Tq, perHead))
          calls.push([
            q.buf.ptr + 4 * ((b * g.Tq + q0) * qStride + h * g.dkey), qStride,
            kv.ptr + 4 * (b * g.Tk * kv.stride + h * kv.head), kv.stride,
            vv.ptr + 4 * (b * g.Tk * vv.stride + h * vv.head), vv.stride,
            mask ? rt.ptr(mask) + 4 * b * g.Tk : 0,
            n, g.Tk, g.dkey, g.dv, g.scale, g.causal ? 1 : 0,
            o.buf.ptr + 4 * ((b * g.Tq + q0) * oStride + h * g.dv), oStride,
            lse.buf.ptr + 4 * (bh * g.Tq + q0),
            p ? p.buf.ptr + 4 * (bh * g.Tq + q0) * g.Tk : 0,
            q0,
          ]);
      }
    if (runCalls(rt, 'cat_attn_fwd', calls, headWork(g)).some((rc) => rc !== 0)) fail(rt, 'forward');
    let y: WasmTensor;
    if (g.project) {
      y = rt.tensor(node.outputs[0]!);
      gemm(rt, rq, g.out, g.H * g.dv, o.buf.ptr, g.H * g.dv, 1, rt.ptr(params.wo!), g.out, 1, y.buf.ptr, g.out);
    } else y = rt.view(o, node.outputs[0]!);
    const residual: Record<string, WasmTensor> = g.cross ? { xq, xkv } : { x: xq };
    if (mask) residual.mask = mask;
    residual.q = q;
    if (k) residual.k = k;
    if (v) residual.v = v;
    residual.o = o;
    if (p) {
      residual.p = p;
      rt.release(lse);
    } else residual.lse = lse;
    return { outputs: [y], residual };
  },

  backward: (node, params, r, [dy]) => {
    const g = dims(node);
    const xq = g.cross ? r.xq! : r.x!;
    const xkv = g.cross ? r.xkv! : r.x!;
    const rq = g.B * g.Tq;
    const rk = g.B * g.Tk;
    const o = r.o!;
    const dParams: Record<string, WasmTensor> = {};
    let dO: WasmTensor;
    let dOtemp = false;
    if (g.project) {
      dO = rt.tensor([rq, g.H * g.dv]);
      dOtemp = true;
      gemm(rt, rq, g.H * g.dv, g.out, rt.ptr(dy!), g.out, 1, rt.ptr(params.wo!), 1, g.out, dO.buf.ptr, g.H * g.dv);
      const dwo = rt.tensor(params.wo!.shape);
      gemm(rt, g.H * g.dv, g.out, rq, rt.ptr(o), 1, g.H * g.dv, rt.ptr(dy!), g.out, 1, dwo.buf.ptr, g.out);
      dParams.wo = dwo;
    } else dO = dy!;
    const dxq = rt.tensor(xq.shape, true);
    const dxkv = g.cross ? rt.tensor(xkv.shape, true) : dxq;
    const dq = rt.tensor([rq, g.H * g.dkey]);
    const dkA = g.combined ? undefined : rt.tensor([rk, g.H * g.dkey], true);
    const dvA = g.values ? rt.tensor([rk, g.H * g.dv], true) : undefined;
    const { kv, vv } = kvViews(g, rt.ptr(xkv), r.k ? rt.ptr(r.k) : 0, r.v ? rt.ptr(r.v) : 0);
    const dv = kvViews(g, dxkv.buf.ptr, dkA?.buf.ptr ?? 0, dvA?.buf.ptr ?? 0);
    const qStride = g.H * g.dkey;
    const oStride = g.H * g.dv;
    // one call per (batch, head); the heads of a batch share dk/dv when keys or values are the raw
    // tokens (they accumulate there in head order), so then they stay together in one part
    const shared = g.combined || !g.values;
    const calls: number[][] = [];
    const groups: number[] = [];
    for (let b = 0; b < g.B; b++)
      for (let h = 0; h < g.H; h++) {
        const bh = b * g.H + h;
        const qo = 4 * (b * g.Tq * qStride + h * g.dkey);
        const oo = 4 * (b * g.Tq * oStride + h * g.dv);
        const ko = 4 * (b * g.Tk * kv.stride + h * kv.head);
        const vo = 4 * (b * g.Tk * vv.stride + h * vv.head);
        calls.push([
          rt.ptr(r.q!) + qo, qStride,
          kv.ptr + ko, kv.stride,
          vv.ptr + vo, vv.stride,
          r.mask ? rt.ptr(r.mask) + 4 * b * g.Tk : 0,
          g.Tq, g.Tk, g.dkey, g.dv, g.scale, g.causal ? 1 : 0,
          rt.ptr(o) + oo, oStride, rt.ptr(dO) + oo,
          r.lse ? rt.ptr(r.lse) + 4 * bh * g.Tq : 0,
          r.p ? rt.ptr(r.p) + 4 * bh * g.Tq * g.Tk : 0,
          dq.buf.ptr + qo, qStride,
          dv.kv.ptr + 4 * (b * g.Tk * dv.kv.stride + h * dv.kv.head), dv.kv.stride,
          dv.vv.ptr + 4 * (b * g.Tk * dv.vv.stride + h * dv.vv.head), dv.vv.stride,
        ]);
        groups.push(shared ? b : bh);
      }
    if (runCalls(rt, 'cat_attn_bwd', calls, 2 * headWork(g), groups).some((rc) => rc !== 0)) fail(rt, 'backward');
    if (g.combined) {
      // q = xq wᵀ (w as [H·dkv, dq]): dxq += dq w, dw = dqᵀ xq
      gemm(rt, rq, g.dq, g.H * g.dkv, dq.buf.ptr, g.H * g.dkv, 1, rt.ptr(params.w!), g.dq, 1, dxq.buf.ptr, g.dq, true);
      const dw = rt.tensor(params.w!.shape);
      gemm(rt, g.H * g.dkv, g.dq, rq, dq.buf.ptr, 1, g.H * g.dkv, rt.ptr(xq), g.dq, 1, dw.buf.ptr, g.dq);
      dParams.w = dw;
    } else {
      const n = g.H * g.dkey;
      gemm(rt, rq, g.dq, n, dq.buf.ptr, n, 1, rt.ptr(params.wq!), 1, n, dxq.buf.ptr, g.dq, true);
      const dwq = rt.tensor(params.wq!.shape);
      gemm(rt, g.dq, n, rq, rt.ptr(xq), 1, g.dq, dq.buf.ptr, n, 1, dwq.buf.ptr, n);
      dParams.wq = dwq;
      gemm(rt, rk, g.dkv, n, dkA!.buf.ptr, n, 1, rt.ptr(params.wk!), 1, n, dxkv.buf.ptr, g.dkv, true);
      const dwk = rt.tensor(params.wk!.shape);
      gemm(rt, g.dkv, n, rk, rt.ptr(xkv), 1, g.dkv, dkA!.buf.ptr, n, 1, dwk.buf.ptr, n);
      dParams.wk = dwk;
      rt.release(dkA!);
    }
    if (g.values) {
      const n = g.H * g.dv;
      gemm(rt, rk, g.dkv, n, dvA!.buf.ptr, n, 1, rt.ptr(params.wv!), 1, n, dxkv.buf.ptr, g.dkv, true);
      const dwv = rt.tensor(params.wv!.shape);
      gemm(rt, g.dkv, n, rk, rt.ptr(xkv), 1, g.dkv, dvA!.buf.ptr, n, 1, dwv.buf.ptr, n);
      dParams.wv = dwv;
      rt.release(dvA!);
    }
    rt.release(dq);
    if (dOtemp) rt.release(dO);
    const dInputs: (WasmTensor | null)[] = g.cross ? [dxq, dxkv] : [dxq];
    if (g.mask) dInputs.push(null);
    return { dInputs, dParams };
  },
  twoCells: { [twoCellKey('lse', 'probs')]: { r: (node, _p, m) => lseToProbs(rt, node, m) } },
}));

/**
 * The 2-cell map r of the `attention` primitive on the wasm backend (as `attentionLseToProbs` of
 * the JS backend): turns the residual of the 'lse' variant into the residual of the 'probs' variant
 * by recomputing P from the kept q (and k) in Rust, exactly as the 'probs' forward writes it. With
 * (T1) the 'probs' forward keeps exactly `r(m)`, bit for bit; with (T2) the 'probs' backward on
 * `r(m)` equals the 'lse' backward on `m`. The other residual tensors are shared, not copied.
 * `be` is the backend whose memory holds `m`.
 */
export const attentionLseToProbs = (node: TypedPrim, m: Residual<WasmTensor>, be: WasmBackend): Residual<WasmTensor> =>
  lseToProbs(be.runtime, primNodeOrThrow(attentionDef, node), m);

const lseToProbs = (rt: WasmRuntime, node: TypedPrim<AttentionAttrs>, m: Residual<WasmTensor>): Residual<WasmTensor> => {
  const g = dims(node);
  if (!m.lse) throw new RangeError(`attention: attentionLseToProbs needs an 'lse' residual (it has ${Object.keys(m).join(', ')})`);
  const xkv = g.cross ? m.xkv! : m.x!;
  const { kv } = kvViews(g, rt.ptr(xkv), m.k ? rt.ptr(m.k) : 0, m.v ? rt.ptr(m.v) : 0);
  const p = rt.tensor([g.B, g.H, g.Tq, g.Tk]);
  const qStride = g.H * g.dkey;
  for (let b = 0; b < g.B; b++)
    for (let h = 0; h < g.H; h++) {
      const rc = rt.exports.cat_attn_probs(
        rt.ptr(m.q!) + 4 * (b * g.Tq * qStride + h * g.dkey), qStride,
        kv.ptr + 4 * (b * g.Tk * kv.stride + h * kv.head), kv.stride,
        m.mask ? rt.ptr(m.mask) + 4 * b * g.Tk : 0,
        g.Tq, g.Tk, g.dkey, g.scale, g.causal ? 1 : 0,
        p.buf.ptr + 4 * (b * g.H + h) * g.Tq * g.Tk,
      );
      if (rc !== 0) fail(rt, 'probs');
    }
  const out: Record<string, WasmTensor> = {};
  for (const [name, v] of Object.entries(m)) if (name !== 'lse') out[name] = v;
  out.p = p;
  return out;
};
