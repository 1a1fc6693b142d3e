import { deltaDefaults, deltaRuleDef, deltaSizes, lastPositionDef } from '../../../src/prims/delta';
import { jsKernel, like, type JsTensor } from '../kernel';
import {
  type HeadSeq,
  allStatesSource,
  chunkBackward,
  chunkForward,
  headGrads,
  rebuildSource,
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
    const hq = new Float64Array(T * dk);
    const hk = new Float64Array(T * dk);
    const hv = new Float64Array(T * dv);
    const hb = new Float64Array(T);
    const ho = new Float64Array(T * dv);
    for (let b = 0; b < B; b++)
      for (let h = 0; h < H; h++) {
        // States go straight into the residual (no float64 copy of T states).
        const kept = states.data.subarray((b * H + h) * nS * dd, (b * H + h + 1) * nS * dd);
        const s: HeadSeq = {
          T,
          dk,
          dv,
          q: gather(qn.data, hq, b, h, T, H, dk),
          k: gather(kn.data, hk, b, h, T, H, dk),
          v: gather(v!.data, hv, b, h, T, H, dv),
          beta: gather(beta.data, hb, b, h, T, H, 1),
        };
        const S0 = s0!.data.subarray((b * H + h) * dd, (b * H + h + 1) * dd);
        let ST: Float64Array;
        if (algorithm === 'recurrent') {
          const every = n.variant === 'all-states' ? 1 : n.variant === 'chunk-states' ? C : T;
          ST = recurrentForward(s, S0, ho, { every, out: kept });
        } else {
          ST =
            n.variant === 'all-states'
              ? chunkForward(s, S0, C, ho, { all: kept })
              : n.variant === 'chunk-states'
                ? chunkForward(s, S0, C, ho, { bounds: kept })
                : chunkForward(s, S0, C, ho);
          if (n.variant === 'none') kept.set(S0);
        }
        scatter(ho, o.data, b, h, T, H, dv);
        sT.data.set(ST, (b * H + h) * dd);
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
    const dqn = new Float64Array(B * T * H * dk);
    const dkn = new Float64Array(B * T * H * dk);
    const dv_ = like(v!, v!.shape);
    const dlogit = like(beta!, beta!.shape);
    const dS0 = like(states!, [B, H, dk, dv]);
    const hq = new Float64Array(T * dk);
    const hk = new Float64Array(T * dk);
    const hv = new Float64Array(T * dv);
    const hb = new Float64Array(T);
    const hdo = new Float64Array(T * dv);
    const ho = new Float64Array(T * dv);
    const g = headGrads(T, dk, dv);
    const dbeta = new Float64Array(B * T * H);
    for (let b = 0; b < B; b++)
      for (let h = 0; h < H; h++) {
        const s: HeadSeq = {
          T,
          dk,
          dv,
          q: gather(qn!.data, hq, b, h, T, H, dk),
          k: gather(kn!.data, hk, b, h, T, H, dk),
          v: gather(v!.data, hv, b, h, T, H, dv),
          beta: gather(beta!.data, hb, b, h, T, H, 1),
        };
        gather(dO!.data, hdo, b, h, T, H, dv);
        const kept = states!.data.subarray((b * H + h) * nS * dd, (b * H + h + 1) * nS * dd);
        const dST_ = dST!.data.subarray((b * H + h) * dd, (b * H + h + 1) * dd);
        let d0: Float64Array;
        if (n.variant === 'all-states') d0 = recurrentBackward(s, allStatesSource(kept, dk, dv), hdo, dST_, g);
        else if (algorithm === 'chunkwise') {
          let bounds: ArrayLike<number> = kept;
          if (n.variant === 'none') {
            const bb = new Float64Array(Math.ceil(T / C) * dd);
            chunkForward(s, kept, C, ho, { bounds: bb });
            bounds = bb;
          }
          d0 = chunkBackward(s, bounds, C, hdo, dST_, g);
        } else if (n.variant === 'chunk-states') d0 = recurrentBackward(s, segmentSource(s, kept, C), hdo, dST_, g);
        else {
          const u = new Float64Array(T * dv);
          const ST = recurrentForward(s, kept, ho, undefined, u);
          d0 = recurrentBackward(s, rebuildSource(s, ST, u), hdo, dST_, g);
        }
        scatter(g.dq, dqn, b, h, T, H, dk);
        scatter(g.dk, dkn, b, h, T, H, dk);
        scatter(g.dv, dv_.data, b, h, T, H, dv);
        scatter(g.dbeta, dbeta, b, h, T, H, 1);
        dS0.data.set(d0, (b * H + h) * dd);
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
