// Group-equivariant point-set layers on WebAssembly: the action on points and the axis pooling are
// Rust loops (src/group.rs); the linear maps and the group convolution's contractions are gemm calls.
import { axisPoolDef, groupConvDef, groupLiftDef, poolSplit } from '../../../src/prims/affine';
import { twoCellKey, type Residual } from '../../../src/backend/backend';
import { wasmKernel } from '../kernel';
import type { WasmRuntime, WasmTensor } from '../runtime';
import { gemm } from './basic';

const F32 = 4;

/** u = m_k · x_n for every sample and point: [B, K, N, d]. */
const transformed = (rt: WasmRuntime, x: WasmTensor, m: WasmTensor): WasmTensor => {
  const [B, N, d] = x.shape as [number, number, number];
  const K = m.shape[0]!;
  const u = rt.tensor([B, K, N, d]);
  rt.exports.cat_group_points(rt.ptr(x), rt.ptr(m), u.buf.ptr, B, K, N, d);
  return u;
};

export const groupLift = wasmKernel(groupLiftDef, (rt) => ({
  forward: (node, p, [x, m]) => {
    const u = transformed(rt, x!, m!);
    const d = x!.shape[2]!;
    const C = node.attrs.out;
    const rows = u.size / d;
    const y = rt.tensor(node.outputs[0]!);
    gemm(rt, rows, C, d, u.buf.ptr, d, 1, rt.ptr(p.w!), C, 1, y.buf.ptr, C);
    rt.exports.cat_add_bias(y.buf.ptr, rt.ptr(p.b!), rows, C);
    const residual: Residual<WasmTensor> = node.variant === 'points' ? { u, m: m! } : { x: x!, m: m! };
    return { outputs: [y], residual };
  },
  backward: (node, p, r, [dy]) => {
    const m = r.m!;
    const u = r.u ?? transformed(rt, r.x!, m);
    const [B, K, N, d] = u.shape as [number, number, number, number];
    const C = node.attrs.out;
    const rows = B * K * N;
    const dw = rt.tensor([d, C]);
    gemm(rt, d, C, rows, u.buf.ptr, 1, d, rt.ptr(dy!), C, 1, dw.buf.ptr, C);
    const db = rt.tensor([C]);
    rt.exports.cat_col_sum(rt.ptr(dy!), db.buf.ptr, rows, C, 0);
    const du = rt.tensor([rows, d]);
    gemm(rt, rows, d, C, rt.ptr(dy!), C, 1, rt.ptr(p.w!), 1, C, du.buf.ptr, d);
    const dx = rt.tensor([B, N, d]);
    rt.exports.cat_group_points_bwd(du.buf.ptr, rt.ptr(m), dx.buf.ptr, B, K, N, d);
    return { dInputs: [dx, null], dParams: { w: dw, b: db } };
  },
  twoCells: {
    [twoCellKey('input', 'points')]: { r: (_n, _p, res) => ({ u: transformed(rt, res.x!, res.m!), m: res.m! }) },
  },
}));

export const groupConv = wasmKernel(groupConvDef, (rt) => ({
  forward: (node, _p, [f, psi]) => {
    const [B, K, C] = f!.shape as [number, number, number];
    const D = psi!.shape[3]!;
    const y = rt.tensor(node.outputs[0]!);
    // y[:, i, :] = f[B, K·C] · psi[i][K·C, D], then the 1/K of the Monte Carlo mean.
    for (let i = 0; i < K; i++)
      gemm(rt, B, D, K * C, rt.ptr(f!), K * C, 1, rt.ptr(psi!) + i * K * C * D * F32, D, 1, y.buf.ptr + i * D * F32, K * D);
    rt.exports.cat_scale(1 / K, y.buf.ptr, y.buf.ptr, y.size);
    return { outputs: [y], residual: { f: f!, psi: psi! } };
  },
  backward: (_node, _p, r, [dy]) => {
    const f = r.f!, psi = r.psi!;
    const [B, K, C] = f.shape as [number, number, number];
    const D = psi.shape[3]!;
    const dpsi = rt.tensor(psi.shape);
    const df = rt.tensor(f.shape);
    for (let i = 0; i < K; i++) {
      // dpsi[i] = fᵀ[K·C, B] · dy[:, i, :]
      gemm(rt, K * C, D, B, rt.ptr(f), 1, K * C, rt.ptr(dy!) + i * D * F32, K * D, 1, dpsi.buf.ptr + i * K * C * D * F32, D);
      // df += dy[:, i, :] · psi[i]ᵀ
      gemm(rt, B, K * C, D, rt.ptr(dy!) + i * D * F32, K * D, 1, rt.ptr(psi) + i * K * C * D * F32, 1, D, df.buf.ptr, K * C, i > 0);
    }
    rt.exports.cat_scale(1 / K, dpsi.buf.ptr, dpsi.buf.ptr, dpsi.size);
    rt.exports.cat_scale(1 / K, df.buf.ptr, df.buf.ptr, df.size);
    return { dInputs: [df, dpsi], dParams: {} };
  },
}));

export const axisPool = wasmKernel(axisPoolDef, (rt) => ({
  forward: (node, _p, [x]) => {
    const { outer, n, inner } = poolSplit(x!.shape, node.attrs.axis);
    const y = rt.tensor(node.outputs[0]!);
    const max = node.attrs.op === 'max';
    const arg = max ? rt.tensor(node.outputs[0]!) : null;
    rt.exports.cat_axis_pool_fwd(rt.ptr(x!), y.buf.ptr, arg ? arg.buf.ptr : 0, outer, n, inner, max ? 1 : 0);
    const residual: Residual<WasmTensor> = arg ? { argmax: arg } : {};
    return { outputs: [y], residual };
  },
  backward: (node, _p, r, [dy]) => {
    const shape = node.inputs[0]!;
    const { outer, n, inner } = poolSplit(shape, node.attrs.axis);
    const dx = rt.tensor(shape);
    const max = node.attrs.op === 'max';
    rt.exports.cat_axis_pool_bwd(rt.ptr(dy!), max ? rt.ptr(r.argmax!) : 0, dx.buf.ptr, outer, n, inner, max ? 1 : 0);
    return { dInputs: [dx], dParams: {} };
  },
}));
