// The delta rule on WebAssembly: `algorithm: 'recurrent'` runs the recurrence per head
// (src/delta.rs, SIMD along d_v); `algorithm: 'chunkwise'` runs the WY chunkwise form
// (src/delta_chunk.rs, chunk products by the SIMD gemm), as the JS backend does. The residual
// variants keep exactly the states the JS kernel keeps: every step, every `chunk` steps, or only S_0.
// All three run the same forward arithmetic, and one backward per algorithm on the same states:
// 'none' first recomputes the chunk-start states by one forward pass, 'all-states' reads them (the
// chunkwise form) or every state (the recurrent form) from what it keeps. So the variants give the
// same outputs and gradients bit for bit, and the maps of the 2-cells none ⇒ chunk-states ⇒
// all-states rebuild the kept states by that same forward.
import { type Residual, twoCellKey } from '../../../src/backend/backend';
import { type DeltaAttrs, deltaDefaults, deltaRuleDef, deltaSizes, lastPositionDef } from '../../../src/prims/delta';
import type { TypedPrim } from '../../../src/term/check';
import { wasmKernel } from '../kernel';
import type { WasmRuntime, WasmTensor } from '../runtime';
import { runCalls } from '../pool/pool';

/** Below this norm a query/key is divided by the floor instead (as in the JS kernel). */
const NORM_FLOOR = 1e-6;

const statesPerHead = (variant: string, T: number, C: number): number =>
  variant === 'all-states' ? T : variant === 'chunk-states' ? Math.ceil(T / C) : 1;
const everyFor = (variant: string, T: number, C: number): number =>
  variant === 'all-states' ? 1 : variant === 'chunk-states' ? C : Math.max(T, 1);

/**
 * The forward recurrence of every head from the states S_0 at `s0` (one per head, `s0Stride` floats
 * apart), keeping what `variant` keeps into `states`; writes the outputs into `o` (0: none) and the
 * final states into `sT` (overwritten: it starts as a copy of S_0). Every variant runs the same
 * arithmetic, so the states one variant keeps are bit for bit those another keeps at the same steps.
 */
const forwardAll = (
  rt: WasmRuntime, n: TypedPrim<DeltaAttrs>, variant: string,
  r: { qn: number; kn: number; v: number; beta: number }, s0: number, s0Stride: number, o: number, sT: WasmTensor, states: WasmTensor,
): void => {
  const { B, T, H, dk, dv } = deltaSizes(n.attrs, n.inputs);
  const { algorithm, chunk: C } = deltaDefaults(n.attrs);
  const e = rt.exports;
  const dd = dk * dv;
  const nS = statesPerHead(variant, T, C);
  const every = everyFor(variant, T, C);
  for (let bh = 0; bh < B * H; bh++) e.cat_copy(s0 + 4 * bh * s0Stride, sT.buf.ptr + 4 * bh * dd, dd);
  // one call per (batch, head), spread over the runtime's worker pool if it has one
  const calls: number[][] = [];
  for (let b = 0; b < B; b++)
    for (let h = 0; h < H; h++) {
      const qk = 4 * ((b * T * H + h) * dk);
      const vo = 4 * ((b * T * H + h) * dv);
      const bo = 4 * (b * T * H + h);
      const [sp, kp] = [sT.buf.ptr + 4 * (b * H + h) * dd, states.buf.ptr + 4 * (b * H + h) * nS * dd];
      const po = o === 0 ? 0 : o + vo;
      calls.push(
        algorithm === 'recurrent'
          ? [r.qn + qk, r.kn + qk, r.v + vo, r.beta + bo, H * dk, H * dv, H, T, dk, dv, sp, po, kp, every]
          : [r.qn + qk, r.kn + qk, r.v + vo, r.beta + bo, H * dk, H * dv, H, T, dk, dv, C, sp, po, kp, every],
      );
    }
  const rcs = runCalls(rt, algorithm === 'recurrent' ? 'cat_delta_fwd' : 'cat_delta_chunk_fwd', calls, deltaWork(B, T, H, dk, dv));
  if (rcs.some((rc) => rc !== undefined && rc !== 0)) throw rt.outOfMemory('the delta_rule chunkwise scratch');
};

/** Flops of the delta rule's forward over every batch and head (what the pool weighs against its threshold). */
const deltaWork = (B: number, T: number, H: number, dk: number, dv: number): number => 6 * B * T * H * dk * dv;

export const deltaRule = wasmKernel(deltaRuleDef, (rt) => ({
  forward: (n, _p, [q, k, v, logit, s0]) => {
    const a = n.attrs;
    const { B, T, H, dk, dv } = deltaSizes(a, n.inputs);
    const { chunk: C, betaScale } = deltaDefaults(a);
    const e = rt.exports;
    const qn = rt.tensor(q!.shape);
    const kn = rt.tensor(k!.shape);
    const qnorm = rt.tensor([B, T, H]);
    const knorm = rt.tensor([B, T, H]);
    e.cat_l2norm_fwd(rt.ptr(q!), qn.buf.ptr, qnorm.buf.ptr, B * T * H, dk, NORM_FLOOR);
    e.cat_l2norm_fwd(rt.ptr(k!), kn.buf.ptr, knorm.buf.ptr, B * T * H, dk, NORM_FLOOR);
    const beta = rt.tensor([B, T, H]);
    e.cat_scaled_sigmoid(rt.ptr(logit!), beta.buf.ptr, B * T * H, betaScale);
    const states = rt.tensor([B, H, statesPerHead(n.variant, T, C), dk, dv]);
    const o = rt.tensor(n.outputs[0]!);
    const sT = rt.tensor(n.outputs[1]!);
    forwardAll(rt, n, n.variant, { qn: qn.buf.ptr, kn: kn.buf.ptr, v: rt.ptr(v!), beta: beta.buf.ptr }, rt.ptr(s0!), dk * dv, o.buf.ptr, sT, states);
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
    // recurrent: the kept states every `every` steps (1), or S_0 only and those at every chunk start
    // recomputed first (0), so 'none' runs exactly the 'chunk-states' backward
    const every = n.variant === 'all-states' ? 1 : C;
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
    const calls: number[][] = [];
    for (let b = 0; b < B; b++)
      for (let h = 0; h < H; h++) {
        const qk = 4 * ((b * T * H + h) * dk);
        const vo = 4 * ((b * T * H + h) * dv);
        const bo = 4 * (b * T * H + h);
        calls.push(
          algorithm === 'chunkwise'
            ? [
                pq + qk, pk + qk, pv + vo, pb + bo, H * dk, H * dv, H, T, dk, dv, C,
                pst + 4 * (b * H + h) * nS * dd, chunkMode,
                pdo + vo, dS0.buf.ptr + 4 * (b * H + h) * dd,
                dqn.buf.ptr + qk, dkn.buf.ptr + qk, dv_.buf.ptr + vo, dbeta.buf.ptr + bo,
              ]
            : [
                pq + qk, pk + qk, pv + vo, pb + bo, H * dk, H * dv, H, T, dk, dv,
                pst + 4 * (b * H + h) * nS * dd, every, mode,
                pdo + vo, dS0.buf.ptr + 4 * (b * H + h) * dd,
                dqn.buf.ptr + qk, dkn.buf.ptr + qk, dv_.buf.ptr + vo, dbeta.buf.ptr + bo,
              ],
        );
      }
    const rcs = runCalls(rt, algorithm === 'chunkwise' ? 'cat_delta_chunk_bwd' : 'cat_delta_bwd', calls, 2 * deltaWork(B, T, H, dk, dv));
    if (rcs.some((rc) => rc !== 0)) throw rt.outOfMemory('the delta_rule backward scratch');
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
  twoCells: {
    [twoCellKey('none', 'chunk-states')]: { r: (n, _p, m) => moreStates(rt, n, m, 'chunk-states') },
    [twoCellKey('chunk-states', 'all-states')]: { r: (n, _p, m) => moreStates(rt, n, m, 'all-states') },
  },
}));

/**
 * The residual of the `to` variant from that of a variant keeping fewer states: every entry but
 * `states` is shared, and the states are rebuilt from S_0 (the first kept state of each head) and the
 * kept q̂, k̂, v, β by the forward's own routine (`forwardAll`), so they are bit for bit what the `to`
 * variant's forward keeps.
 */
const moreStates = (rt: WasmRuntime, n: TypedPrim<DeltaAttrs>, m: Residual<WasmTensor>, to: string): Residual<WasmTensor> => {
  const { B, T, H, dk, dv } = deltaSizes(n.attrs, n.inputs);
  const { chunk: C } = deltaDefaults(n.attrs);
  const { qn, kn, v, beta, states } = m as Record<string, WasmTensor>;
  const out = rt.tensor([B, H, statesPerHead(to, T, C), dk, dv]);
  const sT = rt.tensor([B, H, dk, dv]);
  const r = { qn: rt.ptr(qn!), kn: rt.ptr(kn!), v: rt.ptr(v!), beta: rt.ptr(beta!) };
  forwardAll(rt, n, to, r, rt.ptr(states!), statesPerHead(n.variant, T, C) * dk * dv, 0, sT, out);
  rt.release(sT);
  return { ...m, states: out };
};

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
