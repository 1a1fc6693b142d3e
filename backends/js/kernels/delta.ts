// The delta rule on the JS backend: per head, gathered into float64 arrays, the recurrent or the
// chunkwise (WY) algorithm of ./delta-core.ts. The residual variants keep every state, every chunk
// start or only S_0; all three run the same forward and one backward per algorithm on the same
// states (recomputed exactly where not kept), so they agree bit for bit, and the maps of the 2-cells
// none ⇒ chunk-states ⇒ all-states rebuild the kept states by that same forward.
import { type Residual, twoCellKey } from '../../../src/backend/backend';
import { type DeltaAttrs, deltaDefaults, deltaRuleDef, deltaSizes, lastPositionDef } from '../../../src/prims/delta';
import type { TypedPrim } from '../../../src/term/check';
import { dtypeOf } from '../../../src/tensor/tensor';
import { jsKernel, like, type JsTensor } from '../kernel';
import {
  type HeadSeq,
  type StateArray,
  allStatesSource,
  chunkBackward,
  chunkForward,
  headGrads,
  recurrentBackward,
  recurrentForward,
  segmentSource,
} from './delta-core';

export * from './delta-core';

/** Below this norm a query/key is divided by the floor instead (its direction is meaningless). */
const NORM_FLOOR = 1e-6;

const sigmoid = (x: number): number => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)));

/** L2-normalise rows of length d: writes `out` and the (floored) norms. */
const normaliseRows = (x: JsTensor['data'], out: JsTensor['data'], norms: JsTensor['data'], rows: number, d: number): void => {
  for (let r = 0; r < rows; r++) {
    let s = 0;
    for (let i = 0; i < d; i++) s += x[r * d + i]! ** 2;
    const n = Math.max(Math.sqrt(s), NORM_FLOOR);
    norms[r] = n;
    for (let i = 0; i < d; i++) out[r * d + i] = x[r * d + i]! / n;
  }
};

/** Backward of the normalisation: dx = (dx̂ − x̂ (x̂·dx̂)) / ‖x‖ (no projection below the floor). */
const normaliseBackward = (xhat: JsTensor['data'], norms: JsTensor['data'], dxhat: Float64Array, dx: JsTensor['data'], rows: number, d: number): void => {
  for (let r = 0; r < rows; r++) {
    const n = norms[r]!;
    let dot = 0;
    // At the floor x̂ = x / floor is linear in x, so only the scaling remains.
    if (n > NORM_FLOOR) for (let i = 0; i < d; i++) dot += xhat[r * d + i]! * dxhat[r * d + i]!;
    for (let i = 0; i < d; i++) dx[r * d + i] = (dxhat[r * d + i]! - xhat[r * d + i]! * dot) / n;
  }
};

/** Gather head h of batch b from a [B, T, H·d] tensor into a [T·d] float64 array (and back). */
const gather = (src: ArrayLike<number>, dst: Float64Array, b: number, h: number, T: number, H: number, d: number): Float64Array => {
  for (let t = 0; t < T; t++) {
    const o = ((b * T + t) * H + h) * d;
    for (let i = 0; i < d; i++) dst[t * d + i] = src[o + i]!;
  }
  return dst;
};
const scatter = (src: Float64Array, dst: { [i: number]: number }, b: number, h: number, T: number, H: number, d: number): void => {
  for (let t = 0; t < T; t++) {
    const o = ((b * T + t) * H + h) * d;
    for (let i = 0; i < d; i++) dst[o + i] = src[t * d + i]!;
  }
};

const statesPerHead = (variant: string, T: number, C: number): number =>
  variant === 'all-states' ? T : variant === 'chunk-states' ? Math.ceil(T / C) : 1;

/** Rounding to a tensor's storage precision. */
const rounder = (t: JsTensor): ((x: number) => number) => (dtypeOf(t.data) === 'float32' ? Math.fround : (x) => x);

/** One head of one sequence of the kept (or input) q̂, k̂, v, β, gathered into float64 arrays. */
const headOf = (g: { qn: JsTensor; kn: JsTensor; v: JsTensor; beta: JsTensor }, b: number, h: number, T: number, H: number, dk: number, dv: number): HeadSeq => ({
  T,
  dk,
  dv,
  q: gather(g.qn.data, new Float64Array(T * dk), b, h, T, H, dk),
  k: gather(g.kn.data, new Float64Array(T * dk), b, h, T, H, dk),
  v: gather(g.v.data, new Float64Array(T * dv), b, h, T, H, dv),
  beta: gather(g.beta.data, new Float64Array(T), b, h, T, H, 1),
});

/**
 * The forward pass of one head as every variant runs it (same arithmetic for all three, so they give
 * the same outputs), writing the states `variant` keeps into `kept` (S_{t−1} for every t,
 * every C-th one, or S_0). The recurrent form rounds its running state to the storage precision at
 * each chunk start, so that a state kept there, and the states recomputed from it, are exactly the
 * forward's. Returns S_T; writes the outputs into `o`.
 */
const headForward = (algorithm: 'recurrent' | 'chunkwise', variant: string, C: number, round: (x: number) => number, s: HeadSeq, S0: ArrayLike<number>, o: Float64Array, kept: StateArray): Float64Array => {
  if (algorithm === 'recurrent') {
    const every = variant === 'all-states' ? 1 : variant === 'chunk-states' ? C : Math.max(s.T, 1);
    return recurrentForward(s, S0, o, { every, out: kept }, { every: C, to: round });
  }
  const ST =
    variant === 'all-states'
      ? chunkForward(s, S0, C, o, { all: kept })
      : variant === 'chunk-states'
        ? chunkForward(s, S0, C, o, { bounds: kept })
        : chunkForward(s, S0, C, o);
  if (variant === 'none') kept.set(S0);
  return ST;
};

/**
 * The residual of the `to` variant from that of a variant keeping fewer states (`none` ⇒
 * `chunk-states`, `chunk-states` ⇒ `all-states`): every residual entry but `states` is shared, and the
 * states are rebuilt from S_0 (the first kept state) and the kept q̂, k̂, v, β by `headForward`, so they
 * are bit for bit what the `to` variant's forward keeps.
 */
const moreStates = (n: TypedPrim<DeltaAttrs>, m: Residual<JsTensor>, to: string): Residual<JsTensor> => {
  const { B, T, H, dk, dv } = deltaSizes(n.attrs, n.inputs);
  const { algorithm, chunk: C } = deltaDefaults(n.attrs);
  const dd = dk * dv;
  const { qn, kn, v, beta, states } = m as Record<string, JsTensor>;
  const nFrom = statesPerHead(n.variant, T, C);
  const nTo = statesPerHead(to, T, C);
  const out = like(states!, [B, H, nTo, dk, dv]);
  const o = new Float64Array(T * dv);
  for (let b = 0; b < B; b++)
    for (let h = 0; h < H; h++) {
      const bh = b * H + h;
      const s = headOf({ qn: qn!, kn: kn!, v: v!, beta: beta! }, b, h, T, H, dk, dv);
      headForward(algorithm, to, C, rounder(states!), s, states!.data.subarray(bh * nFrom * dd, bh * nFrom * dd + dd), o, out.data.subarray(bh * nTo * dd, (bh + 1) * nTo * dd));
    }
  return { ...m, states: out };
};

export const deltaRule = jsKernel(deltaRuleDef, {
  forward: (n, _p, [q, k, v, logit, s0]) => {
    const a = n.attrs;
    const { B, T, H, dk, dv } = deltaSizes(a, n.inputs);
    const { algorithm, chunk: C, betaScale } = deltaDefaults(a);
    const dd = dk * dv;
    const qn = like(q!, q!.shape);
    const kn = like(k!, k!.shape);
    const qnorm = like(q!, [B, T, H]);
    const knorm = like(k!, [B, T, H]);
    normaliseRows(q!.data, qn.data, qnorm.data, B * T * H, dk);
    normaliseRows(k!.data, kn.data, knorm.data, B * T * H, dk);
    const beta = like(q!, [B, T, H]);
    for (let i = 0; i < beta.data.length; i++) beta.data[i] = betaScale * sigmoid(logit!.data[i]!);
    const nS = statesPerHead(n.variant, T, C);
    const states = like(q!, [B, H, nS, dk, dv]);
    const o = like(q!, n.outputs[0]!);
    const sT = like(q!, n.outputs[1]!);
    const ho = new Float64Array(T * dv);
    for (let b = 0; b < B; b++)
      for (let h = 0; h < H; h++) {
        const bh = b * H + h;
        // States go straight into the residual (no float64 copy of T states).
        const kept = states.data.subarray(bh * nS * dd, (bh + 1) * nS * dd);
        const s = headOf({ qn, kn, v: v!, beta }, b, h, T, H, dk, dv);
        const ST = headForward(algorithm, n.variant, C, rounder(q!), s, s0!.data.subarray(bh * dd, (bh + 1) * dd), ho, kept);
        scatter(ho, o.data, b, h, T, H, dv);
        sT.data.set(ST, bh * dd);
      }
    return { outputs: [o, sT], residual: { qn, kn, qnorm, knorm, v: v!, beta, states } };
  },
  backward: (n, _p, r, [dO, dST]) => {
    const a = n.attrs;
    const { B, T, H, dk, dv } = deltaSizes(a, n.inputs);
    const { algorithm, chunk: C, betaScale } = deltaDefaults(a);
    const dd = dk * dv;
    const { qn, kn, qnorm, knorm, v, beta, states } = r as Record<string, JsTensor>;
    const nS = statesPerHead(n.variant, T, C);
    const nB = Math.ceil(T / C);
    const round = rounder(states!);
    const dqn = new Float64Array(B * T * H * dk);
    const dkn = new Float64Array(B * T * H * dk);
    const dv_ = like(v!, v!.shape);
    const dlogit = like(beta!, beta!.shape);
    const dS0 = like(states!, [B, H, dk, dv]);
    const hdo = new Float64Array(T * dv);
    const ho = new Float64Array(T * dv);
    const g = headGrads(T, dk, dv);
    const dbeta = new Float64Array(B * T * H);
    // Every variant runs one backward per algorithm on the same states, so they agree bit for bit
    // (the variant 2-cells' (T2)): the states at chunk starts (chunkwise) or before every step
    // (recurrent), read from what is kept or recomputed exactly as the forward kept them.
    const bounds = like(states!, [nB * dd]);
    for (let b = 0; b < B; b++)
      for (let h = 0; h < H; h++) {
        const bh = b * H + h;
        const s = headOf({ qn: qn!, kn: kn!, v: v!, beta: beta! }, b, h, T, H, dk, dv);
        gather(dO!.data, hdo, b, h, T, H, dv);
        const kept = states!.data.subarray(bh * nS * dd, (bh + 1) * nS * dd);
        const dST_ = dST!.data.subarray(bh * dd, (bh + 1) * dd);
        // The chunk starts: kept (chunk-states), read off every kept state (all-states) or recomputed (none).
        if (n.variant === 'none') headForward(algorithm, 'chunk-states', C, round, s, kept, ho, bounds.data);
        else if (n.variant === 'all-states') for (let c = 0; c < nB; c++) bounds.data.set(kept.subarray(c * C * dd, c * C * dd + dd), c * dd);
        const starts = n.variant === 'chunk-states' ? kept : bounds.data;
        let d0: Float64Array;
        if (algorithm === 'chunkwise') d0 = chunkBackward(s, starts, C, hdo, dST_, g);
        else d0 = recurrentBackward(s, n.variant === 'all-states' ? allStatesSource(kept, dk, dv) : segmentSource(s, starts, C, round), hdo, dST_, g);
        scatter(g.dq, dqn, b, h, T, H, dk);
        scatter(g.dk, dkn, b, h, T, H, dk);
        scatter(g.dv, dv_.data, b, h, T, H, dv);
        scatter(g.dbeta, dbeta, b, h, T, H, 1);
        dS0.data.set(d0, bh * dd);
      }
    const dq = like(qn!, qn!.shape);
    const dk_ = like(kn!, kn!.shape);
    normaliseBackward(qn!.data, qnorm!.data, dqn, dq.data, B * T * H, dk);
    normaliseBackward(kn!.data, knorm!.data, dkn, dk_.data, B * T * H, dk);
    // β = s·σ(l): dβ/dl = s σ (1 − σ) = β (1 − β/s).
    for (let i = 0; i < dlogit.data.length; i++) {
      const bi = beta!.data[i]!;
      dlogit.data[i] = dbeta[i]! * bi * (1 - bi / betaScale);
    }
    return { dInputs: [dq, dk_, dv_, dlogit, dS0], dParams: {} };
  },
  twoCells: {
    [twoCellKey('none', 'chunk-states')]: { r: (n, _p, m) => moreStates(n, m, 'chunk-states') },
    [twoCellKey('chunk-states', 'all-states')]: { r: (n, _p, m) => moreStates(n, m, 'all-states') },
  },
});

export const lastPosition = jsKernel(lastPositionDef, {
  forward: (n, _p, [x]) => {
    const [B, T, D] = n.inputs[0]!;
    const y = like(x!, n.outputs[0]!);
    for (let b = 0; b < B!; b++) y.data.set(x!.data.subarray((b * T! + T! - 1) * D!, (b * T! + T!) * D!), b * D!);
    return { outputs: [y], residual: {} };
  },
  backward: (n, _p, _r, [dy]) => {
    const [B, T, D] = n.inputs[0]!;
    const dx = like(dy!, n.inputs[0]!);
    for (let b = 0; b < B!; b++) dx.data.set(dy!.data.subarray(b * D!, (b + 1) * D!), (b * T! + T! - 1) * D!);
    return { dInputs: [dx], dParams: {} };
  },
});
