// The delta rule on WebAssembly: `algorithm: 'recurrent'` runs the recurrence per head
// (src/delta.rs, SIMD along d_v); `algorithm: 'chunkwise'` runs the WY chunkwise form
// (src/delta_chunk.rs, chunk products by the SIMD gemm), as the JS backend does. The residual
// variants keep exactly the states the JS kernel keeps: every step, every `chunk` steps, or only S_0
// (then the backward pass recomputes forward once: the recurrent form rebuilds the states backwards,
// the chunkwise form recomputes the chunk starts). With 'all-states' the chunkwise backward reads
// its chunk starts from the kept states (the JS kernel takes the recurrent backward there; the
// gradients agree up to rounding).
import { deltaDefaults, deltaRuleDef, deltaSizes, lastPositionDef } from '../../../src/prims/delta';
import { wasmKernel } from '../kernel';
import type { WasmTensor } from '../runtime';

/** Below this norm a query/key is divided by the floor instead (as in the JS kernel). */
const NORM_FLOOR = 1e-6;

const statesPerHead = (variant: string, T: number, C: number): number =>
  variant === 'all-states' ? T : variant === 'chunk-states' ? Math.ceil(T / C) : 1;
const everyFor = (variant: string, T: number, C: number): number =>
  variant === 'all-states' ? 1 : variant === 'chunk-states' ? C : Math.max(T, 1);

export const deltaRule = wasmKernel(deltaRuleDef, (rt) => ({
  forward: (n, _p, [q, k, v, logit, s0]) => {
    const a = n.attrs;
    const { B, T, H, dk, dv } = deltaSizes(a, n.inputs);
    const { algorithm, chunk: C, betaScale } = deltaDefaults(a);
    const e = rt.exports;
    const dd = dk * dv;
    const qn = rt.tensor(q!.shape);
    const kn = rt.tensor(k!.shape);
    const qnorm = rt.tensor([B, T, H]);
    const knorm = rt.tensor([B, T, H]);
    e.cat_l2norm_fwd(rt.ptr(q!), qn.buf.ptr, qnorm.buf.ptr, B * T * H, dk, NORM_FLOOR);
    e.cat_l2norm_fwd(rt.ptr(k!), kn.buf.ptr, knorm.buf.ptr, B * T * H, dk, NORM_FLOOR);
    const beta = rt.tensor([B, T, H]);
    e.cat_scaled_sigmoid(rt.ptr(logit!), beta.buf.ptr, B * T * H, betaScale);
    const nS = statesPerHead(n.variant, T, C);
    const every = everyFor(n.variant, T, C);
    const states = rt.tensor([B, H, nS, dk, dv]);
    const o = rt.tensor(n.outputs[0]!);
    const sT = rt.tensor(n.outputs[1]!);
    e.cat_copy(rt.ptr(s0!), sT.buf.ptr, B * H * dd);
    const [pq, pk, pv, pb, po, ps, pst] = [qn.buf.ptr, kn.buf.ptr, rt.ptr(v!), beta.buf.ptr, o.buf.ptr, sT.buf.ptr, states.buf.ptr];
    for (let b = 0; b < B; b++)
      for (let h = 0; h < H; h++) {
        const qk = 4 * ((b * T * H + h) * dk);
        const vo = 4 * ((b * T * H + h) * dv);
        const bo = 4 * (b * T * H + h);
        const [sp, kp] = [ps + 4 * (b * H + h) * dd, pst + 4 * (b * H + h) * nS * dd];
        if (algorithm === 'recurrent') e.cat_delta_fwd(pq + qk, pk + qk, pv + vo, pb + bo, H * dk, H * dv, H, T, dk, dv, sp, po + vo, kp, every);
        else if (e.cat_delta_chunk_fwd(pq + qk, pk + qk, pv + vo, pb + bo, H * dk, H * dv, H, T, dk, dv, C, sp, po + vo, kp, every) !== 0)
          throw new RangeError('delta_rule (wasm): out of memory for the chunkwise scratch');
      }
    return { outputs: [o, sT], residual: { qn, kn, qnorm, knorm, v: v!, beta, states } };
  },
  backward: (n, _p, r, [dO, dST]) => {
    const a = n.attrs;
    const { B, T, H, dk, dv } = deltaSizes(a, n.inputs);
    const { algorithm, chunk: C, betaScale } = deltaDefaults(a);
    const e = rt.exports;
    const dd = dk * dv;
    const { qn, kn, qnorm, knorm, v, beta, states } = r as Record<string, WasmTensor>;
    const nS = statesPerHead(n.variant, T, C);
    const every = everyFor(n.variant, T, C);
    const mode = n.variant === 'none' ? 1 : 0;
    // chunkwise: kept chunk starts (0), S_0 only (1), or every state, chunk starts read from it (2)
    const chunkMode = n.variant === 'none' ? 1 : n.variant === 'all-states' ? 2 : 0;
    const dqn = rt.tensor(qn!.shape);
    const dkn = rt.tensor(kn!.shape);
    const dv_ = rt.tensor(v!.shape);
    const dbeta = rt.tensor(beta!.shape);
    const dS0 = rt.tensor([B, H, dk, dv]);
    e.cat_copy(rt.ptr(dST!), dS0.buf.ptr, B * H * dd);
    const [pq, pk, pv, pb, pdo, pst] = [rt.ptr(qn!), rt.ptr(kn!), rt.ptr(v!), rt.ptr(beta!), rt.ptr(dO!), rt.ptr(states!)];
    for (let b = 0; b < B; b++)
      for (let h = 0; h < H; h++) {
        const qk = 4 * ((b * T * H + h) * dk);
        const vo = 4 * ((b * T * H + h) * dv);
        const bo = 4 * (b * T * H + h);
        const rc =
          algorithm === 'chunkwise'
            ? e.cat_delta_chunk_bwd(
                pq + qk, pk + qk, pv + vo, pb + bo, H * dk, H * dv, H, T, dk, dv, C,
                pst + 4 * (b * H + h) * nS * dd, chunkMode,
                pdo + vo, dS0.buf.ptr + 4 * (b * H + h) * dd,
                dqn.buf.ptr + qk, dkn.buf.ptr + qk, dv_.buf.ptr + vo, dbeta.buf.ptr + bo,
              )
            : e.cat_delta_bwd(
                pq + qk, pk + qk, pv + vo, pb + bo, H * dk, H * dv, H, T, dk, dv,
                pst + 4 * (b * H + h) * nS * dd, every, mode,
                pdo + vo, dS0.buf.ptr + 4 * (b * H + h) * dd,
                dqn.buf.ptr + qk, dkn.buf.ptr + qk, dv_.buf.ptr + vo, dbeta.buf.ptr + bo,
              );
        if (rc !== 0) throw new RangeError('delta_rule (wasm): out of memory for the backward scratch');
      }
    const dq = rt.tensor(qn!.shape);
    const dk_ = rt.tensor(kn!.shape);
    e.cat_l2norm_bwd(qn!.buf.ptr, rt.ptr(qnorm!), dqn.buf.ptr, dq.buf.ptr, B * T * H, dk, NORM_FLOOR);
    e.cat_l2norm_bwd(kn!.buf.ptr, rt.ptr(knorm!), dkn.buf.ptr, dk_.buf.ptr, B * T * H, dk, NORM_FLOOR);
    const dlogit = rt.tensor(beta!.shape);
    e.cat_scaled_sigmoid_bwd(dbeta.buf.ptr, beta!.buf.ptr, dlogit.buf.ptr, B * T * H, betaScale);
    rt.release(dqn);
    rt.release(dkn);
    rt.release(dbeta);
    return { dInputs: [dq, dk_, dv_, dlogit, dS0], dParams: {} };
  },
}));

export const lastPosition = wasmKernel(lastPositionDef, (rt) => ({
  forward: (n, _p, [x]) => {
    const [B, T, D] = n.inputs[0]! as [number, number, number];
    const y = rt.tensor(n.outputs[0]!);
    for (let b = 0; b < B; b++) rt.exports.cat_copy(rt.ptr(x!) + 4 * (b * T + T - 1) * D, y.buf.ptr + 4 * b * D, D);
    return { outputs: [y], residual: {} };
  },
  backward: (n, _p, _r, [dy]) => {
    const [B, T, D] = n.inputs[0]! as [number, number, number];
    const dx = rt.tensor(n.inputs[0]!, true);
    for (let b = 0; b < B; b++) rt.exports.cat_copy(rt.ptr(dy!) + 4 * b * D, dx.buf.ptr + 4 * (b * T + T - 1) * D, D);
    return { dInputs: [dx], dParams: {} };
  },
}));
