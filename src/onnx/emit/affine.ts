/**
 * ONNX emitters of the group-equivariant point-set layers: the action on points and both linear
 * maps are batched MatMuls; the group convolution is a MatMul per sample, broadcast over K; the
 * axis pool is ReduceMean, or ReduceMax with ArgMax kept as a float (as the JS and wasm kernels keep it).
 */
import { axisPoolDef, groupConvDef, groupLiftDef, poolSplit } from '../../prims/affine';
import type { Residual } from '../../backend/backend';
import { type SomeEmitter, defineEmitter } from '../emitter';
import type { GraphBuilder, Sym } from '../graph';

/** u[b, k, n, :] = m_k · x[b, n, :]: x [B, 1, N, d] times m_kᵀ [1, K, d, d]. */
const transformed = (g: GraphBuilder, x: Sym, m: Sym): Sym => {
  const [B, N, d] = x.shape as [number, number, number];
  const K = m.shape[0]!;
  return g.matmul(g.reshape(x, [B, 1, N, d]), g.reshape(g.transpose(m, [0, 2, 1]), [1, K, d, d]));
};

export const affineEmitters: readonly SomeEmitter[] = [
  defineEmitter(groupLiftDef, {
    forward: (g, node, p, [x, m]) => {
      const u = transformed(g, x!, m!);
      const y = g.add(g.matmul(u, p.w!), p.b!);
      const residual: Residual<Sym> = node.variant === 'points' ? { u, m: m! } : { x: x!, m: m! };
      return { outputs: [y], residual };
    },
    backward: (g, node, p, r, [dy]) => {
      const m = r.m!;
      const u = r.u ?? transformed(g, r.x!, m);
      const [B, K, N, d] = u.shape as [number, number, number, number];
      const C = node.attrs.out;
      const rows = B * K * N;
      const dw = g.gemm(g.reshape(u, [rows, d]), g.reshape(dy!, [rows, C]), true, false);
      const db = g.reduceSum(g.reshape(dy!, [rows, C]), [0]);
      const du = g.matmul(dy!, g.transpose(p.w!, [1, 0]));
      // dx[b, n] = Σ_k m_kᵀ du[b, k, n]: du [B, K, N, d] times m_k [1, K, d, d], summed over K.
      const dx = g.reduceSum(g.matmul(du, g.reshape(m, [1, K, d, d])), [1]);
      return { dInputs: [dx, null], dParams: { w: dw, b: db } };
    },
    twoCells: { 'input⇒points': (g, _node, _p, m) => ({ u: transformed(g, m.x!, m.m!), m: m.m! }) },
  }),
  defineEmitter(groupConvDef, {
    forward: (g, node, _p, [f, psi]) => {
      const [B, K, C] = f!.shape as [number, number, number];
      const D = psi!.shape[3]!;
      // y_i = f [B, K·C] · psi_i [K·C, D] for every i at once: [K, B, D], then [B, K, D] and the 1/K.
      const yk = g.matmul(g.reshape(f!, [1, B, K * C]), g.reshape(psi!, [K, K * C, D]));
      const y = g.mul(g.transpose(yk, [1, 0, 2]), g.scalar(1 / K));
      return { outputs: [g.reshape(y, node.outputs[0]!)], residual: { f: f!, psi: psi! } };
    },
    backward: (g, _node, _p, r, [dy]) => {
      const f = r.f!, psi = r.psi!;
      const [B, K, C] = f.shape as [number, number, number];
      const D = psi.shape[3]!;
      const dyk = g.transpose(dy!, [1, 0, 2]); // [K, B, D]
      const f2 = g.reshape(f, [B, K * C]);
      const dpsi = g.mul(g.matmul(g.reshape(g.transpose(f2, [1, 0]), [1, K * C, B]), dyk), g.scalar(1 / K));
      const df = g.mul(g.reduceSum(g.matmul(dyk, g.transpose(g.reshape(psi, [K, K * C, D]), [0, 2, 1])), [0]), g.scalar(1 / K));
      return { dInputs: [g.reshape(df, [B, K, C]), g.reshape(dpsi, psi.shape)], dParams: {} };
    },
  }),
  defineEmitter(axisPoolDef, {
    forward: (g, node, _p, [x]) => {
      const { outer, n, inner } = poolSplit(x!.shape, node.attrs.axis);
      const x3 = g.reshape(x!, [outer, n, inner]);
      if (node.attrs.op === 'mean') return { outputs: [g.reshape(g.reduceMean(x3, [1]), node.outputs[0]!)], residual: {} as Residual<Sym> };
      const y = g.reshape(g.reduceMax(x3, [1]), node.outputs[0]!);
      // ArgMax takes the first maximum, as the kernels' strict comparison does.
      const arg = g.node('ArgMax', [x3], { axis: 1, keepdims: 0 }, [{ shape: [outer, inner], elem: 'int64' }])[0]!;
      return { outputs: [y], residual: { argmax: g.reshape(g.cast(arg, 'float'), node.outputs[0]!) } };
    },
    backward: (g, node, _p, r, [dy]) => {
      const shape = node.inputs[0]!;
      const { outer, n, inner } = poolSplit(shape, node.attrs.axis);
      const dy3 = g.reshape(dy!, [outer, 1, inner]);
      if (node.attrs.op === 'mean') return { dInputs: [g.reshape(g.mul(g.expand(dy3, [outer, n, inner]), g.scalar(1 / n)), shape)], dParams: {} };
      const hot = g.oneHot(g.cast(g.reshape(r.argmax!, [outer, inner]), 'int64'), n); // [outer, inner, n]
      return { dInputs: [g.reshape(g.mul(g.transpose(hot, [0, 2, 1]), dy3), shape)], dParams: {} };
    },
  }),
];
