// The PMI memory primitives on WebAssembly (src/pmi.rs): `outer_memory` keeps exactly the states the
// JS kernel keeps (every step, every `chunk` steps, or only M_0) and every variant runs the same
// forward routine and the same backward on the same states, so they agree bit for bit; the 2-cell
// maps rebuild the larger variant's states with that forward. `topk_write` keeps the selected key
// indices and weights, as the JS kernel does.
import { type Residual, twoCellKey } from '../../../src/backend/backend';
import { type OuterMemoryAttrs, outerMemoryDef, outerMemorySizes, outerMemoryStates, topkWriteDef, topkWriteSizes } from '../../../src/prims/pmi';
import type { TypedPrim } from '../../../src/term/check';
import { wasmKernel } from '../kernel';
import type { WasmRuntime, WasmTensor } from '../runtime';

const everyFor = (variant: string, T: number, C: number): number => (variant === 'all-states' ? 1 : variant === 'chunk-states' ? C : Math.max(T, 1));

/**
 * The forward of every head from the memories at `m0` (one per head, `m0Stride` floats apart): the
 * final memories go to `mT`, the states `variant` keeps to `states`, the reads to `o` (0: none).
 */
const forwardAll = (rt: WasmRuntime, n: TypedPrim<OuterMemoryAttrs>, variant: string, q: number, k: number, v: number, m0: number, m0Stride: number, o: number, mT: WasmTensor, states: WasmTensor): void => {
  const { B, T, H, dk, dv, C } = outerMemorySizes(n.attrs, n.inputs);
  const e = rt.exports;
  const dd = dk * dv;
  const nS = outerMemoryStates(variant, T, C);
  for (let b = 0; b < B; b++)
    for (let h = 0; h < H; h++) {
      const bh = b * H + h;
      e.cat_copy(m0 + 4 * bh * m0Stride, mT.buf.ptr + 4 * bh * dd, dd);
      const qk = 4 * ((b * T * H + h) * dk);
      const vo = 4 * ((b * T * H + h) * dv);
      e.cat_outer_memory_fwd(q + qk, k + qk, v + vo, H * dk, H * dv, T, dk, dv, mT.buf.ptr + 4 * bh * dd, o === 0 ? 0 : o + vo, states.buf.ptr + 4 * bh * nS * dd, everyFor(variant, T, C));
    }
};

/** The residual of `to` from one keeping fewer states: the states rebuilt from M_0 by the same forward. */
const moreStates = (rt: WasmRuntime, n: TypedPrim<OuterMemoryAttrs>, m: Residual<WasmTensor>, to: string): Residual<WasmTensor> => {
  const { B, T, H, dk, dv, C } = outerMemorySizes(n.attrs, n.inputs);
  const { q, k, v, states } = m as Record<string, WasmTensor>;
  const out = rt.tensor([B, H, outerMemoryStates(to, T, C), dk, dv]);
  const mT = rt.tensor([B, H, dk, dv]);
  forwardAll(rt, n, to, rt.ptr(q!), rt.ptr(k!), rt.ptr(v!), rt.ptr(states!), outerMemoryStates(n.variant, T, C) * dk * dv, 0, mT, out);
  rt.release(mT);
  return { ...m, states: out };
};

export const outerMemory = wasmKernel(outerMemoryDef, (rt) => ({
  forward: (n, _p, [q, k, v, m0]) => {
    const { B, T, H, dk, dv, C } = outerMemorySizes(n.attrs, n.inputs);
    const states = rt.tensor([B, H, outerMemoryStates(n.variant, T, C), dk, dv]);
    const o = rt.tensor(n.outputs[0]!);
    const mT = rt.tensor(n.outputs[1]!);
    forwardAll(rt, n, n.variant, rt.ptr(q!), rt.ptr(k!), rt.ptr(v!), rt.ptr(m0!), dk * dv, o.buf.ptr, mT, states);
    return { outputs: [o, mT], residual: { q: q!, k: k!, v: v!, states } };
  },
  backward: (n, _p, r, [dO, dMT]) => {
    const { B, T, H, dk, dv, C } = outerMemorySizes(n.attrs, n.inputs);
    const e = rt.exports;
    const dd = dk * dv;
    const { q, k, v, states } = r as Record<string, WasmTensor>;
    const nS = outerMemoryStates(n.variant, T, C);
    const mode = n.variant === 'all-states' ? 0 : n.variant === 'chunk-states' ? 1 : 2;
    const dq = rt.tensor(q!.shape);
    const dk_ = rt.tensor(k!.shape);
    const dv_ = rt.tensor(v!.shape);
    const dM0 = rt.tensor([B, H, dk, dv]);
    e.cat_copy(rt.ptr(dMT!), dM0.buf.ptr, B * H * dd);
    const [pq, pk, pv, pdo, pst] = [rt.ptr(q!), rt.ptr(k!), rt.ptr(v!), rt.ptr(dO!), rt.ptr(states!)];
    for (let b = 0; b < B; b++)
      for (let h = 0; h < H; h++) {
        const bh = b * H + h;
        const qk = 4 * ((b * T * H + h) * dk);
        const vo = 4 * ((b * T * H + h) * dv);
        const rc = e.cat_outer_memory_bwd(
          pq + qk, pk + qk, pv + vo, H * dk, H * dv, T, dk, dv, C,
          pst + 4 * bh * nS * dd, mode, pdo + vo, dM0.buf.ptr + 4 * bh * dd,
          dq.buf.ptr + qk, dk_.buf.ptr + qk, dv_.buf.ptr + vo,
        );
        if (rc !== 0) throw rt.outOfMemory('the outer_memory backward scratch');
      }
    return { dInputs: [dq, dk_, dv_, dM0], dParams: {} };
  },
  twoCells: {
    [twoCellKey('none', 'chunk-states')]: { r: (n, _p, m) => moreStates(rt, n, m, 'chunk-states') },
    [twoCellKey('chunk-states', 'all-states')]: { r: (n, _p, m) => moreStates(rt, n, m, 'all-states') },
  },
}));

export const topkWrite = wasmKernel(topkWriteDef, (rt) => ({
  forward: (n, _p, [q, k, v]) => {
    const { B, S, N, H, dk, dv, K } = topkWriteSizes(n.attrs, n.inputs);
    const o = rt.tensor(n.outputs[0]!);
    const idx = rt.tensor([B, H, S, K]);
    const w = rt.tensor([B, H, S, K]);
    const [pq, pk, pv] = [rt.ptr(q!), rt.ptr(k!), rt.ptr(v!)];
    for (let b = 0; b < B; b++)
      for (let h = 0; h < H; h++) {
        const row = 4 * (b * H + h) * S * K;
        const rc = rt.exports.cat_topk_write_fwd(
          pq + 4 * (b * S * H + h) * dk, pk + 4 * (b * N * H + h) * dk, pv + 4 * (b * N * H + h) * dv,
          S, N, H * dk, H * dv, dk, dv, K, o.buf.ptr + 4 * (b * S * H + h) * dv, idx.buf.ptr + row, w.buf.ptr + row,
        );
        if (rc !== 0) throw rt.outOfMemory('the topk_write scores');
      }
    return { outputs: [o], residual: { q: q!, k: k!, v: v!, idx, w } };
  },
  backward: (n, _p, r, [dO]) => {
    const { B, S, N, H, dk, dv, K } = topkWriteSizes(n.attrs, n.inputs);
    const { q, k, v, idx, w } = r as Record<string, WasmTensor>;
    const dq = rt.tensor(q!.shape);
    const dk_ = rt.tensor(k!.shape, true);
    const dv_ = rt.tensor(v!.shape, true);
    const [pq, pk, pv, pdo] = [rt.ptr(q!), rt.ptr(k!), rt.ptr(v!), rt.ptr(dO!)];
    for (let b = 0; b < B; b++)
      for (let h = 0; h < H; h++) {
        const row = 4 * (b * H + h) * S * K;
        const kOff = 4 * (b * N * H + h) * dk;
        const vOff = 4 * (b * N * H + h) * dv;
        const rc = rt.exports.cat_topk_write_bwd(
          pq + 4 * (b * S * H + h) * dk, pk + kOff, pv + vOff, S, H * dk, H * dv, dk, dv, K,
          rt.ptr(idx!) + row, rt.ptr(w!) + row, pdo + 4 * (b * S * H + h) * dv,
          dq.buf.ptr + 4 * (b * S * H + h) * dk, dk_.buf.ptr + kOff, dv_.buf.ptr + vOff,
        );
        if (rc !== 0) throw rt.outOfMemory('the topk_write backward scratch');
      }
    return { dInputs: [dq, dk_, dv_], dParams: {} };
  },
}));
