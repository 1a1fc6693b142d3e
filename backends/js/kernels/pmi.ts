// The PMI memory primitives on the JS backend. `outer_memory`: one recurrence per head in float64
// with the running memory rounded to the storage precision after every step, so a kept state is the
// running state itself; the three residual variants run the same forward and the same backward on the
// same states (read where kept, rebuilt from the nearest kept state otherwise), hence agree bit for
// bit, and the 2-cell maps rebuild the states the larger variant keeps by that same forward.
// `topk_write`: attention restricted to each query's top-k keys (ties to the lower index).
import { type Residual, twoCellKey } from '../../../src/backend/backend';
import { type OuterMemoryAttrs, outerMemoryDef, outerMemorySizes, outerMemoryStates, topkWriteDef, topkWriteSizes } from '../../../src/prims/pmi';
import type { TypedPrim } from '../../../src/term/check';
import { dtypeOf } from '../../../src/tensor/tensor';
import { jsKernel, like, type JsTensor } from '../kernel';

type Data = JsTensor['data'];

/** Rounding to a tensor's storage precision. */
const rounder = (t: JsTensor): ((x: number) => number) => (dtypeOf(t.data) === 'float32' ? Math.fround : (x) => x);

/** One head's view of q, k, v: offsets of step t (row strides H·d). */
interface Head {
  readonly q: Data;
  readonly k: Data;
  readonly v: Data;
  /** Offset of step t's key/query row and value row. */
  readonly qk: (t: number) => number;
  readonly vo: (t: number) => number;
  readonly dk: number;
  readonly dv: number;
}

const headOf = (q: Data, k: Data, v: Data, b: number, h: number, T: number, H: number, dk: number, dv: number): Head => ({
  q,
  k,
  v,
  qk: (t) => ((b * T + t) * H + h) * dk,
  vo: (t) => ((b * T + t) * H + h) * dv,
  dk,
  dv,
});

/** M ← round(M + k_t v_tᵀ), the one update every pass runs. */
const update = (s: Head, t: number, M: Float64Array, round: (x: number) => number): void => {
  const kt = s.qk(t);
  const vt = s.vo(t);
  for (let i = 0; i < s.dk; i++) {
    const ki = s.k[kt + i]!;
    const r = i * s.dv;
    for (let j = 0; j < s.dv; j++) M[r + j] = round(M[r + j]! + ki * s.v[vt + j]!);
  }
};

/**
 * Steps t0 ≤ t < t1 of the recurrence from M (the state before t0, updated in place). Before each
 * step t with (t − t0) % every = 0 the state is copied to `keep` at slot (t − t0) / every; with `o`,
 * o_t = M_tᵀ q_t is written.
 */
const run = (s: Head, M: Float64Array, t0: number, t1: number, round: (x: number) => number, keep?: { every: number; out: { set(a: ArrayLike<number>, o: number): void } }, o?: Data): void => {
  const dd = s.dk * s.dv;
  for (let t = t0; t < t1; t++) {
    if (keep && (t - t0) % keep.every === 0) keep.out.set(M, ((t - t0) / keep.every) * dd);
    update(s, t, M, round);
    if (o) {
      const qt = s.qk(t);
      const vt = s.vo(t);
      for (let j = 0; j < s.dv; j++) {
        let acc = 0;
        for (let i = 0; i < s.dk; i++) acc += s.q[qt + i]! * M[i * s.dv + j]!;
        o[vt + j] = acc;
      }
    }
  }
};

const everyFor = (variant: string, T: number, C: number): number => (variant === 'all-states' ? 1 : variant === 'chunk-states' ? C : Math.max(T, 1));

/** The states `to` keeps, rebuilt from M_0 (the first state every variant keeps) by the forward recurrence. */
const rebuild = (n: TypedPrim<OuterMemoryAttrs>, m: Residual<JsTensor>, to: string): Residual<JsTensor> => {
  const { B, T, H, dk, dv, C } = outerMemorySizes(n.attrs, n.inputs);
  const { q, k, v, states } = m as Record<string, JsTensor>;
  const dd = dk * dv;
  const nFrom = outerMemoryStates(n.variant, T, C);
  const nTo = outerMemoryStates(to, T, C);
  const out = like(states!, [B, H, nTo, dk, dv]);
  for (let b = 0; b < B; b++)
    for (let h = 0; h < H; h++) {
      const bh = b * H + h;
      const M = Float64Array.from(states!.data.subarray(bh * nFrom * dd, bh * nFrom * dd + dd));
      run(headOf(q!.data, k!.data, v!.data, b, h, T, H, dk, dv), M, 0, T, rounder(states!), { every: everyFor(to, T, C), out: out.data.subarray(bh * nTo * dd, (bh + 1) * nTo * dd) });
    }
  return { ...m, states: out };
};

export const outerMemory = jsKernel(outerMemoryDef, {
  forward: (n, _p, [q, k, v, m0]) => {
    const { B, T, H, dk, dv, C } = outerMemorySizes(n.attrs, n.inputs);
    const dd = dk * dv;
    const nS = outerMemoryStates(n.variant, T, C);
    const states = like(q!, [B, H, nS, dk, dv]);
    const o = like(q!, n.outputs[0]!);
    const mT = like(q!, n.outputs[1]!);
    const round = rounder(q!);
    for (let b = 0; b < B; b++)
      for (let h = 0; h < H; h++) {
        const bh = b * H + h;
        const M = Float64Array.from(m0!.data.subarray(bh * dd, (bh + 1) * dd), round);
        const kept = states.data.subarray(bh * nS * dd, (bh + 1) * nS * dd);
        run(headOf(q!.data, k!.data, v!.data, b, h, T, H, dk, dv), M, 0, T, round, { every: everyFor(n.variant, T, C), out: kept }, o.data);
        mT.data.set(M, bh * dd);
      }
    return { outputs: [o, mT], residual: { q: q!, k: k!, v: v!, states } };
  },
  backward: (n, _p, r, [dO, dMT]) => {
    const { B, T, H, dk, dv, C } = outerMemorySizes(n.attrs, n.inputs);
    const dd = dk * dv;
    const { q, k, v, states } = r as Record<string, JsTensor>;
    const round = rounder(states!);
    const nS = outerMemoryStates(n.variant, T, C);
    const nB = Math.ceil(T / C);
    const dq = like(q!, q!.shape);
    const dk_ = like(k!, k!.shape);
    const dv_ = like(v!, v!.shape);
    const dM0 = like(states!, [B, H, dk, dv]);
    const bounds = new Float64Array(Math.max(nB, 1) * dd);
    const seg = new Float64Array(C * dd);
    const M = new Float64Array(dd);
    const G = new Float64Array(dd);
    for (let b = 0; b < B; b++)
      for (let h = 0; h < H; h++) {
        const bh = b * H + h;
        const s = headOf(q!.data, k!.data, v!.data, b, h, T, H, dk, dv);
        const kept = states!.data.subarray(bh * nS * dd, (bh + 1) * nS * dd);
        // The chunk starts: kept (chunk-states), read off every kept state (all-states), or rebuilt from M_0 (none).
        if (n.variant === 'none') {
          M.set(kept.subarray(0, dd));
          run(s, M, 0, T, round, { every: C, out: bounds });
        } else if (n.variant === 'chunk-states') bounds.set(kept);
        for (let i = 0; i < dd; i++) G[i] = dMT!.data[bh * dd + i]!;
        for (let c = nB - 1; c >= 0; c--) {
          const t0 = c * C;
          const t1 = Math.min(T, t0 + C);
          // seg holds M_{t−1} for t0 ≤ t < t1: read (all-states) or recomputed from the chunk start.
          if (n.variant === 'all-states') seg.set(kept.subarray(t0 * dd, t1 * dd));
          else {
            M.set(bounds.subarray(c * dd, (c + 1) * dd));
            run(s, M, t0, t1, round, { every: 1, out: seg });
          }
          for (let t = t1 - 1; t >= t0; t--) {
            M.set(seg.subarray((t - t0) * dd, (t - t0 + 1) * dd));
            update(s, t, M, round);
            const qt = s.qk(t);
            const vt = s.vo(t);
            // o_t = M_tᵀ q_t: dq_t = M_t do_t, and G (the gradient of M_t) gains q_t do_tᵀ.
            for (let i = 0; i < dk; i++) {
              let acc = 0;
              const qi = q!.data[qt + i]!;
              for (let j = 0; j < dv; j++) {
                const doj = dO!.data[vt + j]!;
                acc += M[i * dv + j]! * doj;
                G[i * dv + j] += qi * doj;
              }
              dq.data[qt + i] = acc;
            }
            // M_t = M_{t−1} + k_t v_tᵀ: dk_t = G v_t, dv_t = Gᵀ k_t; G passes to M_{t−1} unchanged.
            for (let i = 0; i < dk; i++) {
              let acc = 0;
              for (let j = 0; j < dv; j++) acc += G[i * dv + j]! * v!.data[vt + j]!;
              dk_.data[qt + i] = acc;
            }
            for (let j = 0; j < dv; j++) {
              let acc = 0;
              for (let i = 0; i < dk; i++) acc += G[i * dv + j]! * k!.data[qt + i]!;
              dv_.data[vt + j] = acc;
            }
          }
        }
        dM0.data.set(G, bh * dd);
      }
    return { dInputs: [dq, dk_, dv_, dM0], dParams: {} };
  },
  twoCells: {
    [twoCellKey('none', 'chunk-states')]: { r: (n, _p, m) => rebuild(n, m, 'chunk-states') },
    [twoCellKey('chunk-states', 'all-states')]: { r: (n, _p, m) => rebuild(n, m, 'all-states') },
  },
});

/**
 * The K selected keys of one score row, in order (score descending, index ascending: a tie goes to
 * the lower index). Written into `idx`; a plain insertion into a sorted list of K (K is small).
 */
export const topkIndices = (scores: ArrayLike<number>, N: number, K: number, idx: Int32Array): void => {
  let m = 0;
  for (let n = 0; n < N; n++) {
    const sc = scores[n]!;
    // Strictly greater: an equal score found later (higher index) ranks after the earlier one.
    let pos = m;
    while (pos > 0 && sc > scores[idx[pos - 1]!]!) pos--;
    if (pos >= K) continue;
    for (let j = Math.min(m, K - 1); j > pos; j--) idx[j] = idx[j - 1]!;
    idx[pos] = n;
    if (m < K) m++;
  }
};

export const topkWrite = jsKernel(topkWriteDef, {
  forward: (n, _p, [q, k, v]) => {
    const { B, S, N, H, dk, dv, K } = topkWriteSizes(n.attrs, n.inputs);
    const o = like(q!, n.outputs[0]!);
    const idx = like(q!, [B, H, S, K]);
    const w = like(q!, [B, H, S, K]);
    const scale = 1 / Math.sqrt(dk);
    const scores = new Float64Array(N);
    const sel = new Int32Array(K);
    const e = new Float64Array(K);
    for (let b = 0; b < B; b++)
      for (let h = 0; h < H; h++)
        for (let s = 0; s < S; s++) {
          const qo = ((b * S + s) * H + h) * dk;
          for (let j = 0; j < N; j++) {
            const ko = ((b * N + j) * H + h) * dk;
            let acc = 0;
            for (let i = 0; i < dk; i++) acc += q!.data[qo + i]! * k!.data[ko + i]!;
            scores[j] = acc * scale;
          }
          topkIndices(scores, N, K, sel);
          // Softmax over the selected scores (the first is the largest).
          let z = 0;
          for (let j = 0; j < K; j++) z += e[j] = Math.exp(scores[sel[j]!]! - scores[sel[0]!]!);
          const row = ((b * H + h) * S + s) * K;
          const oo = ((b * S + s) * H + h) * dv;
          for (let j = 0; j < K; j++) {
            idx.data[row + j] = sel[j]!;
            w.data[row + j] = e[j]! / z;
          }
          for (let c = 0; c < dv; c++) {
            let acc = 0;
            for (let j = 0; j < K; j++) acc += w.data[row + j]! * v!.data[((b * N + sel[j]!) * H + h) * dv + c]!;
            o.data[oo + c] = acc;
          }
        }
    return { outputs: [o], residual: { q: q!, k: k!, v: v!, idx, w } };
  },
  backward: (n, _p, r, [dO]) => {
    const { B, S, N, H, dk, dv, K } = topkWriteSizes(n.attrs, n.inputs);
    const { q, k, v, idx, w } = r as Record<string, JsTensor>;
    const scale = 1 / Math.sqrt(dk);
    const dq = like(q!, q!.shape);
    const dkk = new Float64Array(k!.data.length);
    const dvv = new Float64Array(v!.data.length);
    const ds = new Float64Array(K);
    for (let b = 0; b < B; b++)
      for (let h = 0; h < H; h++)
        for (let s = 0; s < S; s++) {
          const row = ((b * H + h) * S + s) * K;
          const oo = ((b * S + s) * H + h) * dv;
          const qo = ((b * S + s) * H + h) * dk;
          // dp_j = do·v_j; ds_j = p_j (dp_j − Σ p dp) (the softmax over the selected keys).
          let dot = 0;
          for (let j = 0; j < K; j++) {
            const vo = ((b * N + idx!.data[row + j]!) * H + h) * dv;
            let acc = 0;
            for (let c = 0; c < dv; c++) acc += dO!.data[oo + c]! * v!.data[vo + c]!;
            ds[j] = acc;
            dot += w!.data[row + j]! * acc;
          }
          for (let j = 0; j < K; j++) ds[j] = w!.data[row + j]! * (ds[j]! - dot) * scale;
          for (let i = 0; i < dk; i++) {
            let acc = 0;
            for (let j = 0; j < K; j++) acc += ds[j]! * k!.data[((b * N + idx!.data[row + j]!) * H + h) * dk + i]!;
            dq.data[qo + i] = acc;
          }
          for (let j = 0; j < K; j++) {
            const nn = idx!.data[row + j]!;
            const ko = ((b * N + nn) * H + h) * dk;
            const vo = ((b * N + nn) * H + h) * dv;
            for (let i = 0; i < dk; i++) dkk[ko + i] += ds[j]! * q!.data[qo + i]!;
            const p = w!.data[row + j]!;
            for (let c = 0; c < dv; c++) dvv[vo + c] += p * dO!.data[oo + c]!;
          }
        }
    const dk_ = like(k!, k!.shape);
    const dv_ = like(v!, v!.shape);
    dk_.data.set(dkk);
    dv_.data.set(dvv);
    return { dInputs: [dq, dk_, dv_], dParams: {} };
  },
});
