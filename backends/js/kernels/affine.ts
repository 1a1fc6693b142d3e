// JS kernels of the group-equivariant point-set layers: lifting (fused with the first linear map),
// Monte Carlo group convolution, and pooling over an axis.
import { axisPoolDef, groupConvDef, groupLiftDef, poolSplit } from '../../../src/prims/affine';
import { twoCellKey, type Residual } from '../../../src/backend/backend';
import { jsKernel, like, type JsTensor } from '../kernel';

/** u[b, k, n, :] = m_k · x[b, n, :]: the points transformed by every sample, [B, K, N, d]. */
export const transformedPoints = (x: JsTensor, m: JsTensor): JsTensor => {
  const [B, N, d] = x.shape as [number, number, number];
  const K = m.shape[0]!;
  const u = like(x, [B, K, N, d]);
  const xd = x.data, md = m.data, ud = u.data;
  for (let b = 0; b < B; b++)
    for (let k = 0; k < K; k++)
      for (let n = 0; n < N; n++) {
        const xo = (b * N + n) * d, uo = ((b * K + k) * N + n) * d, mo = k * d * d;
        for (let i = 0; i < d; i++) {
          let s = 0;
          for (let j = 0; j < d; j++) s += md[mo + i * d + j]! * xd[xo + j]!;
          ud[uo + i] = s;
        }
      }
  return u;
};

export const groupLift = jsKernel(groupLiftDef, {
  forward: (node, p, [x, m]) => {
    const u = transformedPoints(x!, m!);
    const C = node.attrs.out;
    const d = x!.shape[2]!;
    const rows = u.data.length / d;
    const y = like(x!, node.outputs[0]!);
    const w = p.w!.data, bias = p.b!.data, ud = u.data, yd = y.data;
    for (let r = 0; r < rows; r++)
      for (let c = 0; c < C; c++) {
        let s = bias[c]!;
        for (let i = 0; i < d; i++) s += ud[r * d + i]! * w[i * C + c]!;
        yd[r * C + c] = s;
      }
    const residual: Residual<JsTensor> = node.variant === 'points' ? { u, m: m! } : { x: x!, m: m! };
    return { outputs: [y], residual };
  },
  backward: (node, p, r, [dy]) => {
    const m = r.m!;
    const u = r.u ?? transformedPoints(r.x!, m);
    const [B, K, N, d] = u.shape as [number, number, number, number];
    const C = node.attrs.out;
    const rows = B * K * N;
    const w = p.w!.data, ud = u.data, g = dy!.data, md = m.data;
    const dw = like(dy!, [d, C]), db = like(dy!, [C]);
    const du = new Float64Array(d);
    const dx = like(dy!, [B, N, d]);
    for (let row = 0; row < rows; row++) {
      const b = Math.floor(row / (K * N)), k = Math.floor(row / N) % K, n = row % N;
      for (let i = 0; i < d; i++) {
        let s = 0;
        for (let c = 0; c < C; c++) {
          const gc = g[row * C + c]!;
          s += gc * w[i * C + c]!;
          dw.data[i * C + c] += ud[row * d + i]! * gc;
        }
        du[i] = s;
      }
      for (let c = 0; c < C; c++) db.data[c] += g[row * C + c]!;
      const xo = (b * N + n) * d, mo = k * d * d;
      for (let j = 0; j < d; j++) {
        let s = 0;
        for (let i = 0; i < d; i++) s += md[mo + i * d + j]! * du[i]!;
        dx.data[xo + j] += s;
      }
    }
    return { dInputs: [dx, null], dParams: { w: dw, b: db } };
  },
  twoCells: {
    [twoCellKey('input', 'points')]: {
      r: (_n, _p, res: Residual<JsTensor>) => ({ u: transformedPoints(res.x!, res.m!), m: res.m! }),
    },
  },
});

export const groupConv = jsKernel(groupConvDef, {
  forward: (node, _p, [f, psi]) => {
    const [B, K, C] = f!.shape as [number, number, number];
    const D = psi!.shape[3]!;
    const y = like(f!, node.outputs[0]!);
    const fd = f!.data, pd = psi!.data, yd = y.data;
    const acc = new Float64Array(D);
    for (let b = 0; b < B; b++)
      for (let i = 0; i < K; i++) {
        acc.fill(0);
        for (let j = 0; j < K; j++)
          for (let c = 0; c < C; c++) {
            const fv = fd[(b * K + j) * C + c]!;
            const po = ((i * K + j) * C + c) * D;
            for (let e = 0; e < D; e++) acc[e] += fv * pd[po + e]!;
          }
        for (let e = 0; e < D; e++) yd[(b * K + i) * D + e] = acc[e]! / K;
      }
    return { outputs: [y], residual: { f: f!, psi: psi! } };
  },
  backward: (_node, _p, r, [dy]) => {
    const f = r.f!, psi = r.psi!;
    const [B, K, C] = f.shape as [number, number, number];
    const D = psi.shape[3]!;
    const df = like(dy!, f.shape), dpsi = like(dy!, psi.shape);
    const fd = f.data, pd = psi.data, g = dy!.data;
    for (let i = 0; i < K; i++)
      for (let j = 0; j < K; j++)
        for (let c = 0; c < C; c++) {
          const po = ((i * K + j) * C + c) * D;
          for (let e = 0; e < D; e++) {
            let s = 0;
            for (let b = 0; b < B; b++) s += fd[(b * K + j) * C + c]! * g[(b * K + i) * D + e]!;
            dpsi.data[po + e] = s / K;
          }
        }
    for (let b = 0; b < B; b++)
      for (let j = 0; j < K; j++)
        for (let c = 0; c < C; c++) {
          let s = 0;
          for (let i = 0; i < K; i++) {
            const po = ((i * K + j) * C + c) * D, go = (b * K + i) * D;
            for (let e = 0; e < D; e++) s += pd[po + e]! * g[go + e]!;
          }
          df.data[(b * K + j) * C + c] = s / K;
        }
    return { dInputs: [df, dpsi], dParams: {} };
  },
});

export const axisPool = jsKernel(axisPoolDef, {
  forward: (node, _p, [x]) => {
    const { outer, n, inner } = poolSplit(x!.shape, node.attrs.axis);
    const y = like(x!, node.outputs[0]!);
    const xd = x!.data, yd = y.data;
    if (node.attrs.op === 'mean') {
      for (let o = 0; o < outer; o++)
        for (let i = 0; i < inner; i++) {
          let s = 0;
          for (let k = 0; k < n; k++) s += xd[(o * n + k) * inner + i]!;
          yd[o * inner + i] = s / n;
        }
      return { outputs: [y], residual: {} as Residual<JsTensor> };
    }
    const arg = like(x!, node.outputs[0]!);
    for (let o = 0; o < outer; o++)
      for (let i = 0; i < inner; i++) {
        let best = xd[o * n * inner + i]!, at = 0;
        for (let k = 1; k < n; k++) {
          const v = xd[(o * n + k) * inner + i]!;
          if (v > best) [best, at] = [v, k];
        }
        yd[o * inner + i] = best;
        arg.data[o * inner + i] = at;
      }
    return { outputs: [y], residual: { argmax: arg } as Residual<JsTensor> };
  },
  backward: (node, _p, r, [dy]) => {
    const shape = node.inputs[0]!;
    const { outer, n, inner } = poolSplit(shape, node.attrs.axis);
    const dx = like(dy!, shape);
    const g = dy!.data;
    for (let o = 0; o < outer; o++)
      for (let i = 0; i < inner; i++) {
        const gv = g[o * inner + i]!;
        if (node.attrs.op === 'mean') for (let k = 0; k < n; k++) dx.data[(o * n + k) * inner + i] = gv / n;
        else dx.data[(o * n + r.argmax!.data[o * inner + i]!) * inner + i] = gv;
      }
    return { dInputs: [dx], dParams: {} };
  },
});
