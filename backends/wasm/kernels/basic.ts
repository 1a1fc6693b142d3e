// The basic primitives' kernels on WebAssembly: thin TypeScript that allocates outputs and calls
// the Rust exports (src/nn.rs, src/gemm.rs) by pointer.
import {
  embeddingDef, geluDef, layerNormDef, linearDef, mseDef, reluDef, rmsNormDef, sigmoidDef, siluDef, softmaxDef, softmaxXentDef, tanhDef,
} from '../../../src/prims/basic';
import type { PrimitiveDef } from '../../../src/term/primitive';
import { type WasmKernel, wasmKernel } from '../kernel';
import type { WasmRuntime, WasmTensor } from '../runtime';
import { pooledGemm } from '../pool/split';

/** Rows and columns of a tensor seen as a matrix over its last axis. */
export const rowsCols = (t: WasmTensor): [number, number] => {
  const c = t.shape.length ? t.shape[t.shape.length - 1]! : 1;
  return [c === 0 ? 0 : t.size / c, c];
};

/**
 * `C (+)= A·B` on WebAssembly with strides: `A[i,p] = a[i·rsa + p·csa]`, `B[p,j] = b[p·rsb + j·csb]`,
 * `C` row-major with leading dimension `ldc`. Addresses are byte pointers.
 */
export const gemm = (
  rt: WasmRuntime,
  m: number, n: number, k: number,
  a: number, rsa: number, csa: number,
  b: number, rsb: number, csb: number,
  c: number, ldc: number, accumulate = false,
): void => {
  // split by row blocks across the runtime's worker pool, if it has one and the product is large
  if (pooledGemm(rt, [m, n, k, a, rsa, csa, b, rsb, csb, c, ldc, accumulate ? 1 : 0]) !== 0)
    throw rt.outOfMemory('the gemm packing scratch');
};

export const linear = wasmKernel(linearDef, (rt) => ({
  forward: (n, p, [x]) => {
    const [m, k] = rowsCols(x!);
    const nOut = n.attrs.out;
    const y = rt.tensor(n.outputs[0]!);
    gemm(rt, m, nOut, k, rt.ptr(x!), k, 1, rt.ptr(p.w!), nOut, 1, y.buf.ptr, nOut);
    if (p.b) rt.exports.cat_add_bias(y.buf.ptr, rt.ptr(p.b), m, nOut);
    return { outputs: [y], residual: { x: x! } };
  },
  backward: (n, p, r, [dy]) => {
    const x = r.x!;
    const [m, k] = rowsCols(x);
    const nOut = n.attrs.out;
    const dx = rt.tensor(x.shape);
    // dx = dy · wᵀ
    gemm(rt, m, k, nOut, rt.ptr(dy!), nOut, 1, rt.ptr(p.w!), 1, nOut, dx.buf.ptr, k);
    // dw = xᵀ · dy
    const dw = rt.tensor(p.w!.shape);
    gemm(rt, k, nOut, m, rt.ptr(x), 1, k, rt.ptr(dy!), nOut, 1, dw.buf.ptr, nOut);
    const dParams: Record<string, WasmTensor> = { w: dw };
    if (p.b) {
      const db = rt.tensor(p.b.shape);
      rt.exports.cat_col_sum(rt.ptr(dy!), db.buf.ptr, m, nOut, 0);
      dParams.b = db;
    }
    return { dInputs: [dx], dParams };
  },
}));

export const embedding = wasmKernel(embeddingDef, (rt) => ({
  forward: (n, p, [ids]) => {
    const d = n.attrs.dim;
    const vocab = n.attrs.vocab;
    const y = rt.tensor(n.outputs[0]!);
    const bad = rt.exports.cat_embedding_fwd(rt.ptr(ids!), rt.ptr(p.table!), y.buf.ptr, ids!.size, vocab, d);
    if (bad >= 0) {
      const id = rt.f32(ids!)[bad];
      rt.release(y);
      throw new RangeError(`embedding: id ${id} at position ${bad} is not an integer in [0, ${vocab})`);
    }
    return { outputs: [y], residual: { ids: ids! } };
  },
  backward: (n, p, r, [dy]) => {
    const d = n.attrs.dim;
    const vocab = n.attrs.vocab;
    const dt = rt.tensor(p.table!.shape);
    rt.exports.cat_embedding_bwd(rt.ptr(r.ids!), rt.ptr(dy!), dt.buf.ptr, r.ids!.size, vocab, d);
    return { dInputs: [null], dParams: { table: dt } };
  },
}));

/** An activation by its code `op` in `cat_unary_fwd`/`cat_unary_bwd` (src/nn.rs). */
const unary = <A>(def: PrimitiveDef<A>, op: number): WasmKernel<A> =>
  wasmKernel(def, (rt) => ({
    forward: (_n, _p, [x]) => {
      const y = rt.tensor(x!.shape);
      rt.exports.cat_unary_fwd(op, rt.ptr(x!), y.buf.ptr, x!.size);
      return { outputs: [y], residual: { x: x! } };
    },
    backward: (_n, _p, r, [dy]) => {
      const dx = rt.tensor(r.x!.shape);
      rt.exports.cat_unary_bwd(op, rt.ptr(r.x!), rt.ptr(dy!), dx.buf.ptr, dx.size);
      return { dInputs: [dx], dParams: {} };
    },
  }));

export const relu = unary(reluDef, 0);
export const tanh = unary(tanhDef, 1);
export const sigmoid = unary(sigmoidDef, 2);
export const silu = unary(siluDef, 3);
export const gelu = unary(geluDef, 4);

export const softmax = wasmKernel(softmaxDef, (rt) => ({
  forward: (_n, _p, [x]) => {
    const [m, c] = rowsCols(x!);
    const y = rt.tensor(x!.shape);
    rt.exports.cat_softmax_fwd(rt.ptr(x!), y.buf.ptr, m, c);
    return { outputs: [y], residual: { y } };
  },
  backward: (_n, _p, r, [dy]) => {
    const [m, c] = rowsCols(r.y!);
    const dx = rt.tensor(r.y!.shape);
    rt.exports.cat_softmax_bwd(rt.ptr(r.y!), rt.ptr(dy!), dx.buf.ptr, m, c);
    return { dInputs: [dx], dParams: {} };
  },
}));

export const layernorm = wasmKernel(layerNormDef, (rt) => ({
  forward: (n, p, [x]) => {
    const eps = n.attrs.eps ?? 1e-5;
    const [m, c] = rowsCols(x!);
    const y = rt.tensor(x!.shape);
    const xhat = rt.tensor(x!.shape);
    const rstd = rt.tensor([m]);
    rt.exports.cat_layernorm_fwd(rt.ptr(x!), rt.ptr(p.g!), rt.ptr(p.b!), y.buf.ptr, xhat.buf.ptr, rstd.buf.ptr, m, c, eps);
    return { outputs: [y], residual: { xhat, rstd } };
  },
  backward: (_n, p, r, [dy]) => {
    const { xhat, rstd } = r as { xhat: WasmTensor; rstd: WasmTensor };
    const [m, c] = rowsCols(xhat);
    const dx = rt.tensor(xhat.shape);
    const dg = rt.tensor([c]);
    const db = rt.tensor([c]);
    rt.exports.cat_layernorm_bwd(rt.ptr(xhat), rt.ptr(rstd), rt.ptr(p.g!), rt.ptr(dy!), dx.buf.ptr, dg.buf.ptr, db.buf.ptr, m, c);
    return { dInputs: [dx], dParams: { g: dg, b: db } };
  },
}));

export const rmsnorm = wasmKernel(rmsNormDef, (rt) => ({
  forward: (n, p, [x]) => {
    const eps = n.attrs.eps ?? 1e-6;
    const [m, c] = rowsCols(x!);
    const y = rt.tensor(x!.shape);
    const rinv = rt.tensor([m]);
    rt.exports.cat_rmsnorm_fwd(rt.ptr(x!), rt.ptr(p.g!), y.buf.ptr, rinv.buf.ptr, m, c, eps);
    return { outputs: [y], residual: { x: x!, rinv } };
  },
  backward: (_n, p, r, [dy]) => {
    const { x, rinv } = r as { x: WasmTensor; rinv: WasmTensor };
    const [m, c] = rowsCols(x);
    const dx = rt.tensor(x.shape);
    const dg = rt.tensor([c]);
    rt.exports.cat_rmsnorm_bwd(rt.ptr(x), rt.ptr(rinv), rt.ptr(p.g!), rt.ptr(dy!), dx.buf.ptr, dg.buf.ptr, m, c);
    return { dInputs: [dx], dParams: { g: dg } };
  },
}));

export const mse = wasmKernel(mseDef, (rt) => ({
  forward: (_n, _p, [a, b]) => {
    const diff = rt.tensor(a!.shape);
    const y = rt.tensor([]);
    rt.exports.cat_mse_fwd(rt.ptr(a!), rt.ptr(b!), diff.buf.ptr, y.buf.ptr, a!.size);
    return { outputs: [y], residual: { diff } };
  },
  backward: (_n, _p, r, [dy]) => {
    const diff = r.diff!;
    const da = rt.tensor(diff.shape);
    const db = rt.tensor(diff.shape);
    rt.exports.cat_mse_bwd(rt.ptr(diff), rt.ptr(dy!), da.buf.ptr, db.buf.ptr, diff.size);
    return { dInputs: [da, db], dParams: {} };
  },
}));

export const softmaxXent = wasmKernel(softmaxXentDef, (rt) => ({
  forward: (_n, _p, [logits, labels]) => {
    const [m, c] = rowsCols(logits!);
    const prob = rt.tensor(logits!.shape);
    const y = rt.tensor([]);
    const bad = rt.exports.cat_xent_fwd(rt.ptr(logits!), rt.ptr(labels!), prob.buf.ptr, y.buf.ptr, m, c);
    if (bad >= 0) {
      const l = rt.f32(labels!)[bad];
      rt.release(prob);
      rt.release(y);
      throw new RangeError(`softmax_xent: label ${l} at row ${bad} is not a class in [0, ${c})`);
    }
    return { outputs: [y], residual: { prob, labels: labels! } };
  },
  backward: (_n, _p, r, [dy]) => {
    const { prob, labels } = r as { prob: WasmTensor; labels: WasmTensor };
    const [m, c] = rowsCols(prob);
    const d = rt.tensor(prob.shape);
    rt.exports.cat_xent_bwd(rt.ptr(prob), rt.ptr(labels), rt.ptr(dy!), d.buf.ptr, m, c);
    return { dInputs: [d, null], dParams: {} };
  },
}));
