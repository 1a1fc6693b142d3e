/**
 * The delta rule on one head of one sequence, in float64 scratch arrays: recurrent and chunkwise
 * (WY) forward and backward passes. The JS kernel (`./delta.ts`) gathers heads into these
 * contiguous arrays; laws and benchmarks call them directly.
 *
 * Layout: q, k [T·dk], v [T·dv], beta [T] (β already scaled, q and k already unit), states
 * row-major [dk·dv] (S[i·dv + j]).
 */

/** One head of one sequence. */
/** Where states are written: float64 scratch, or straight into a float32/float64 residual. */
export type StateArray = Float32Array | Float64Array;

export interface HeadSeq {
  readonly T: number;
  readonly dk: number;
  readonly dv: number;
  readonly q: Float64Array;
  readonly k: Float64Array;
  readonly v: Float64Array;
  readonly beta: Float64Array;
}

/** Gradients of one head's inputs (written by the backward passes). */
export interface HeadGrads {
  readonly dq: Float64Array;
  readonly dk: Float64Array;
  readonly dv: Float64Array;
  readonly dbeta: Float64Array;
}

export const headGrads = (T: number, dk: number, dv: number): HeadGrads => ({
  dq: new Float64Array(T * dk),
  dk: new Float64Array(T * dk),
  dv: new Float64Array(T * dv),
  dbeta: new Float64Array(T),
});

/**
 * Recurrent forward: for t = 0..T−1, `u_t = β_t (v_t − S_{t−1}ᵀ k_t)`, `S_t = S_{t−1} + k_t u_tᵀ`
 * (the same as `(I − β k kᵀ) S + β k vᵀ`), `o_t = S_tᵀ q_t`. Writes `o` [T·dv] and returns S_T.
 * `keep` receives S_{t−1} for every t with t % every = 0 (every = 1: all states). With `round`, the
 * running state is rounded by `round.to` (to the storage precision) before every step t with
 * t % round.every = 0, so that a state kept there is the running state itself and recomputing from
 * it reproduces the forward exactly.
 */
export const recurrentForward = (
  s: HeadSeq,
  S0: ArrayLike<number>,
  o: Float64Array,
  keep?: { every: number; out: StateArray },
  round?: { every: number; to: (x: number) => number },
): Float64Array => {
  const { T, dk, dv, q, k, v, beta } = s;
  const S = Float64Array.from(S0);
  const u = new Float64Array(dv);
  const dd = dk * dv;
  for (let t = 0; t < T; t++) {
    if (round && t % round.every === 0) for (let i = 0; i < dd; i++) S[i] = round.to(S[i]!);
    if (keep && t % keep.every === 0) keep.out.set(S, (t / keep.every) * dd);
    const kt = t * dk;
    const vt = t * dv;
    for (let j = 0; j < dv; j++) u[j] = v[vt + j]!;
    for (let i = 0; i < dk; i++) {
      const ki = k[kt + i]!;
      const r = i * dv;
      for (let j = 0; j < dv; j++) u[j] -= ki * S[r + j]!;
    }
    const b = beta[t]!;
    for (let j = 0; j < dv; j++) u[j] *= b;
    for (let j = 0; j < dv; j++) o[vt + j] = 0;
    for (let i = 0; i < dk; i++) {
      const ki = k[kt + i]!;
      const qi = q[kt + i]!;
      const r = i * dv;
      for (let j = 0; j < dv; j++) {
        const sij = S[r + j]! + ki * u[j]!;
        S[r + j] = sij;
        o[vt + j] += qi * sij;
      }
    }
  }
  return S;
};

/** Gives S_{t−1} (the state before step t); called with t = T−1, T−2, ..., 0 in that order. */
export type StateSource = (t: number) => Float64Array;

/** States kept for every step: `all` holds S_{t−1} at offset t·dk·dv. */
export const allStatesSource = (all: ArrayLike<number>, dk: number, dv: number): StateSource => {
  const dd = dk * dv;
  const buf = new Float64Array(dd);
  return (t) => {
    for (let i = 0; i < dd; i++) buf[i] = all[t * dd + i]!;
    return buf;
  };
};

/**
 * States kept every `every` steps (`bounds` holds S_{c·every}); each segment's states are
 * recomputed from its first state when the backward pass enters it and rounded by `round` (to the
 * storage precision), so that they equal, bit for bit, the states an every-step residual keeps.
 */
export const segmentSource = (s: HeadSeq, bounds: ArrayLike<number>, every: number, round: (x: number) => number = (x) => x): StateSource => {
  const { dk, dv, T } = s;
  const dd = dk * dv;
  const seg = new Float64Array(every * dd);
  const o = new Float64Array(every * dv);
  let cur = -1;
  return (t) => {
    const c = Math.floor(t / every);
    if (c !== cur) {
      const t0 = c * every;
      const len = Math.min(every, T - t0);
      const part: HeadSeq = {
        T: len,
        dk,
        dv,
        q: s.q.subarray(t0 * dk, (t0 + len) * dk),
        k: s.k.subarray(t0 * dk, (t0 + len) * dk),
        v: s.v.subarray(t0 * dv, (t0 + len) * dv),
        beta: s.beta.subarray(t0, t0 + len),
      };
      const start = new Float64Array(dd);
      for (let i = 0; i < dd; i++) start[i] = bounds[c * dd + i]!;
      recurrentForward(part, start, o, { every: 1, out: seg });
      for (let i = 0; i < len * dd; i++) seg[i] = round(seg[i]!);
      cur = c;
    }
    return seg.subarray((t - c * every) * dd, (t - c * every + 1) * dd);
  };
};

/**
 * Recurrent backward: from dO [T·dv] and dS_T, writes the gradients of q, k, v, β into `g` and
 * returns dS_0. The states come from `prev`.
 */
export const recurrentBackward = (s: HeadSeq, prev: StateSource, dO: ArrayLike<number>, dST: ArrayLike<number>, g: HeadGrads): Float64Array => {
  const { T, dk, dv, q, k, v, beta } = s;
  const dS = Float64Array.from(dST);
  const e = new Float64Array(dv);
  const u = new Float64Array(dv);
  const du = new Float64Array(dv);
  const gg = new Float64Array(dv);
  const pdo = new Float64Array(dk);
  for (let t = T - 1; t >= 0; t--) {
    const P = prev(t);
    const kt = t * dk;
    const vt = t * dv;
    const b = beta[t]!;
    for (let j = 0; j < dv; j++) {
      e[j] = v[vt + j]!;
      du[j] = 0;
    }
    // Pass 1: e = v − Pᵀk, P·do, dS += q doᵀ (o_t reads S_t), du = dSᵀ k.
    for (let i = 0; i < dk; i++) {
      const ki = k[kt + i]!;
      const qi = q[kt + i]!;
      const r = i * dv;
      let pd = 0;
      for (let j = 0; j < dv; j++) {
        const pij = P[r + j]!;
        const doj = dO[vt + j]!;
        e[j] -= ki * pij;
        pd += pij * doj;
        const ds = dS[r + j]! + qi * doj;
        dS[r + j] = ds;
        du[j] += ki * ds;
      }
      pdo[i] = pd;
    }
    let ud = 0;
    let db = 0;
    for (let j = 0; j < dv; j++) {
      u[j] = b * e[j]!;
      ud += u[j]! * dO[vt + j]!;
      db += du[j]! * e[j]!;
      gg[j] = b * du[j]!;
      g.dv[vt + j] = gg[j]!;
    }
    g.dbeta[t] = db;
    // Pass 2: dq = S_t do = P do + k (u·do); dk = dS u − P (β du); dS_{t−1} = dS − k (β du)ᵀ.
    for (let i = 0; i < dk; i++) {
      const ki = k[kt + i]!;
      const r = i * dv;
      g.dq[kt + i] = pdo[i]! + ki * ud;
      let a = 0;
      for (let j = 0; j < dv; j++) {
        a += dS[r + j]! * u[j]! - P[r + j]! * gg[j]!;
        dS[r + j] -= ki * gg[j]!;
      }
      g.dk[kt + i] = a;
    }
  }
  return dS;
};

/**
 * Solve (I + A) X = R by forward substitution, where A (c×c, row-major, leading dimension `lda`)
 * is strictly lower triangular and R, X are c×n. In place on `x` (which starts as R).
 */
export const forwardSubstitute = (A: Float64Array, lda: number, x: Float64Array, c: number, n: number): void => {
  for (let i = 1; i < c; i++)
    for (let j = 0; j < i; j++) {
      const a = A[i * lda + j]!;
      if (a === 0) continue;
      for (let y = 0; y < n; y++) x[i * n + y] -= a * x[j * n + y]!;
    }
};

/** Solve (I + A)ᵀ X = R by back substitution (A strictly lower triangular), in place on `x`. */
export const backSubstitute = (A: Float64Array, lda: number, x: Float64Array, c: number, n: number): void => {
  for (let i = c - 2; i >= 0; i--)
    for (let j = i + 1; j < c; j++) {
      const a = A[j * lda + i]!;
      if (a === 0) continue;
      for (let y = 0; y < n; y++) x[i * n + y] -= a * x[j * n + y]!;
    }
};

/**
 * The WY factors of one chunk of c rows starting at row t0: `A = tril(diag(β) K Kᵀ, −1)` into `A`
 * (leading dimension C), and `W = (I + A)⁻¹ diag(β) K`, `U = (I + A)⁻¹ diag(β) V` by forward
 * substitution. Then `I − KᵀW` is the ordered product of the transitions `I − β_i k_i k_iᵀ`.
 */
export const wyFactors = (s: HeadSeq, t0: number, c: number, C: number, A: Float64Array, W: Float64Array, U: Float64Array): void => {
  const { dk, dv, k, v, beta } = s;
  for (let i = 0; i < c; i++) {
    const bi = beta[t0 + i]!;
    const ki = (t0 + i) * dk;
    for (let j = 0; j < i; j++) {
      const kj = (t0 + j) * dk;
      let d = 0;
      for (let x = 0; x < dk; x++) d += k[ki + x]! * k[kj + x]!;
      A[i * C + j] = bi * d;
    }
    for (let x = 0; x < dk; x++) W[i * dk + x] = bi * k[ki + x]!;
    for (let y = 0; y < dv; y++) U[i * dv + y] = bi * v[(t0 + i) * dv + y]!;
  }
  forwardSubstitute(A, C, W, c, dk);
  forwardSubstitute(A, C, U, c, dv);
};

/**
 * Chunkwise forward with chunk size C: per chunk, `U' = U − W h`, `O = Q h + (Q Kᵀ ⊙ M) U'`
 * (M lower triangular with diagonal), `h ← h + Kᵀ U'`. Writes `o` and returns S_T.
 * `keep.bounds` receives the state at each chunk start; `keep.all` receives S_{t−1} for every t.
 */
export const chunkForward = (
  s: HeadSeq,
  S0: ArrayLike<number>,
  C: number,
  o: Float64Array,
  keep: { bounds?: StateArray; all?: StateArray } = {},
): Float64Array => {
  const { T, dk, dv, q, k } = s;
  const dd = dk * dv;
  const h = Float64Array.from(S0);
  const A = new Float64Array(C * C);
  const W = new Float64Array(C * dk);
  const U = new Float64Array(C * dv);
  for (let t0 = 0, ci = 0; t0 < T; t0 += C, ci++) {
    const c = Math.min(C, T - t0);
    if (keep.bounds) keep.bounds.set(h, ci * dd);
    wyFactors(s, t0, c, C, A, W, U);
    // U' = U − W h (in U), then O_i = hᵀ q_i + Σ_{j≤i} (q_i·k_j) U'_j.
    for (let i = 0; i < c; i++)
      for (let x = 0; x < dk; x++) {
        const w = W[i * dk + x]!;
        if (w === 0) continue;
        for (let y = 0; y < dv; y++) U[i * dv + y] -= w * h[x * dv + y]!;
      }
    for (let i = 0; i < c; i++) {
      const qi = (t0 + i) * dk;
      const oi = (t0 + i) * dv;
      for (let y = 0; y < dv; y++) o[oi + y] = 0;
      for (let x = 0; x < dk; x++) {
        const qx = q[qi + x]!;
        for (let y = 0; y < dv; y++) o[oi + y] += qx * h[x * dv + y]!;
      }
      for (let j = 0; j <= i; j++) {
        const kj = (t0 + j) * dk;
        let p = 0;
        for (let x = 0; x < dk; x++) p += q[qi + x]! * k[kj + x]!;
        for (let y = 0; y < dv; y++) o[oi + y] += p * U[j * dv + y]!;
      }
    }
    for (let i = 0; i < c; i++) {
      if (keep.all) keep.all.set(h, (t0 + i) * dd);
      const ki = (t0 + i) * dk;
      for (let x = 0; x < dk; x++) {
        const kx = k[ki + x]!;
        if (kx === 0) continue;
        for (let y = 0; y < dv; y++) h[x * dv + y] += kx * U[i * dv + y]!;
      }
    }
  }
  return h;
};

/**
 * Chunkwise backward: over chunks in reverse, through `O = Q h + (QKᵀ ⊙ M) U'`, `h' = h + KᵀU'`,
 * `U' = U − W h` and the WY transform (`dA = −(dX Uᵀ + dY Wᵀ)` restricted to the strict lower
 * triangle, where `(I + A)ᵀ dX = dU`, `(I + A)ᵀ dY = dW`). `bounds` holds each chunk's first state.
 * Writes the gradients into `g` and returns dS_0.
 */
export const chunkBackward = (s: HeadSeq, bounds: ArrayLike<number>, C: number, dO: ArrayLike<number>, dST: ArrayLike<number>, g: HeadGrads): Float64Array => {
  const { T, dk, dv, q, k, v, beta } = s;
  const dd = dk * dv;
  const A = new Float64Array(C * C);
  const W = new Float64Array(C * dk);
  const U = new Float64Array(C * dv);
  const Up = new Float64Array(C * dv);
  const dU = new Float64Array(C * dv);
  const dW = new Float64Array(C * dk);
  const h = new Float64Array(dd);
  let dH = Float64Array.from(dST);
  const nC = Math.ceil(T / C);
  for (let ci = nC - 1; ci >= 0; ci--) {
    const t0 = ci * C;
    const c = Math.min(C, T - t0);
    for (let i = 0; i < dd; i++) h[i] = bounds[ci * dd + i]!;
    wyFactors(s, t0, c, C, A, W, U);
    for (let i = 0; i < c; i++)
      for (let y = 0; y < dv; y++) {
        let a = U[i * dv + y]!;
        for (let x = 0; x < dk; x++) a -= W[i * dk + x]! * h[x * dv + y]!;
        Up[i * dv + y] = a;
      }
    const dh = Float64Array.from(dH);
    // h' = h + KᵀU': dU' = K dH, dK = U' dHᵀ.
    for (let i = 0; i < c; i++) {
      const ki = (t0 + i) * dk;
      for (let y = 0; y < dv; y++) {
        let a = 0;
        for (let x = 0; x < dk; x++) a += k[ki + x]! * dH[x * dv + y]!;
        dU[i * dv + y] = a;
      }
      for (let x = 0; x < dk; x++) {
        let a = 0;
        for (let y = 0; y < dv; y++) a += dH[x * dv + y]! * Up[i * dv + y]!;
        g.dk[ki + x] = a;
      }
    }
    // O = Q h + P U' with P_ij = q_i·k_j (j ≤ i).
    for (let i = 0; i < c; i++) {
      const qi = (t0 + i) * dk;
      const oi = (t0 + i) * dv;
      for (let x = 0; x < dk; x++) {
        let a = 0;
        const qx = q[qi + x]!;
        for (let y = 0; y < dv; y++) {
          const d = dO[oi + y]!;
          a += d * h[x * dv + y]!;
          dh[x * dv + y] += qx * d;
        }
        g.dq[qi + x] = a;
      }
      for (let j = 0; j <= i; j++) {
        const kj = (t0 + j) * dk;
        let p = 0;
        let dp = 0;
        for (let x = 0; x < dk; x++) p += q[qi + x]! * k[kj + x]!;
        for (let y = 0; y < dv; y++) {
          dp += dO[oi + y]! * Up[j * dv + y]!;
          dU[j * dv + y] += p * dO[oi + y]!;
        }
        for (let x = 0; x < dk; x++) {
          g.dq[qi + x] += dp * k[kj + x]!;
          g.dk[kj + x] += dp * q[qi + x]!;
        }
      }
    }
    // U' = U − W h: dU = dU', dW = −dU' hᵀ, dh −= Wᵀ dU'.
    for (let i = 0; i < c; i++)
      for (let x = 0; x < dk; x++) {
        let a = 0;
        const w = W[i * dk + x]!;
        for (let y = 0; y < dv; y++) {
          const d = dU[i * dv + y]!;
          a -= d * h[x * dv + y]!;
          dh[x * dv + y] -= w * d;
        }
        dW[i * dk + x] = a;
      }
    // Through W = (I + A)⁻¹ diag(β) K and U = (I + A)⁻¹ diag(β) V.
    backSubstitute(A, C, dU, c, dv);
    backSubstitute(A, C, dW, c, dk);
    for (let i = 0; i < c; i++) {
      const ti = t0 + i;
      const bi = beta[ti]!;
      let db = 0;
      for (let y = 0; y < dv; y++) {
        g.dv[ti * dv + y] = bi * dU[i * dv + y]!;
        db += dU[i * dv + y]! * v[ti * dv + y]!;
      }
      for (let x = 0; x < dk; x++) {
        g.dk[ti * dk + x] += bi * dW[i * dk + x]!;
        db += dW[i * dk + x]! * k[ti * dk + x]!;
      }
      for (let j = 0; j < i; j++) {
        const tj = t0 + j;
        let da = 0;
        for (let y = 0; y < dv; y++) da -= dU[i * dv + y]! * U[j * dv + y]!;
        for (let x = 0; x < dk; x++) da -= dW[i * dk + x]! * W[j * dk + x]!;
        // A_ij = β_i k_i·k_j.
        let kk = 0;
        for (let x = 0; x < dk; x++) kk += k[ti * dk + x]! * k[tj * dk + x]!;
        db += da * kk;
        const f = bi * da;
        for (let x = 0; x < dk; x++) {
          g.dk[ti * dk + x] += f * k[tj * dk + x]!;
          g.dk[tj * dk + x] += f * k[ti * dk + x]!;
        }
      }
      g.dbeta[ti] = db;
    }
    dH = dh;
  }
  return dH;
};
