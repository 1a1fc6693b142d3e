/**
 * "Transformers as Support Vector Machines" (Tarzanagh, Li, Thrampoulidis, Oymak, 2023), the
 * single-layer experiment: f(X) = vᵀ Xᵀ softmax(X W z) with a fixed head v, logistic loss,
 * normalised gradient descent, and the hard-margin Att-SVM it converges to in direction.
 *
 * The attention layer is the library's `attention` primitive (cross-attention with one query
 * token z, raw values, no output projection) run on the float64 JS backend; only the head and
 * the loss are written here.
 */
import { createRequire } from 'node:module';
import { combineKQ } from '../../laws/attention';
import { checkOrThrow, jsBackend, lowerOrThrow, prim, rng, withScope, type Backend, type HostTensor, type Rng } from '../../src/index';
import { downloadAll, uploadAll } from '../../src/backend/transfer';

const require = createRequire(import.meta.url);
// quadprog is CommonJS; its arrays are 1-based (index 0 unused), as in R's solve.QP.
const quadprog = require('quadprog') as {
  solveQP(D: number[][], d: number[], A: number[][], b: number[], meq?: number): { solution: number[]; value: number[]; message: string };
};

/** One synthetic problem: n sequences of T unit-norm tokens in R^d, query tokens, labels, head. */
export interface AttSvmData {
  readonly n: number;
  readonly T: number;
  readonly d: number;
  /** Tokens, [n, T, d] row-major. */
  readonly X: Float64Array;
  /** Query tokens z_i, [n, 1, d]. */
  readonly Z: Float64Array;
  /** Labels in {−1, +1}. */
  readonly Y: Float64Array;
  /** Fixed linear head v, unit norm. */
  readonly v: Float64Array;
}

const unit = (r: Rng, d: number): Float64Array => {
  const x = Float64Array.from({ length: d }, () => r.normal());
  const s = Math.hypot(...x);
  return x.map((a) => a / s);
};

/** Unit-norm Gaussian tokens, queries and head, random ±1 labels, all from `seed`. */
export const makeData = (seed: number, n = 6, T = 8, d = 10): AttSvmData => {
  const r = rng(seed);
  const X = new Float64Array(n * T * d);
  for (let i = 0; i < n * T; i++) X.set(unit(r, d), i * d);
  const Z = new Float64Array(n * d);
  for (let i = 0; i < n; i++) Z.set(unit(r, d), i * d);
  const Y = Float64Array.from({ length: n }, () => (r.uniform() < 0.5 ? -1 : 1));
  return { n, T, d, X, Z, Y, v: unit(r, d) };
};

/** Parameterisation of the attention weights. */
export type Param = 'W' | 'KQ';

/** A training run: snapshots of the combined W = K Qᵀ (or W) at the recorded iterations. */
export interface TrainRun {
  readonly iters: readonly number[];
  readonly snapshots: readonly Float64Array[];
  readonly losses: readonly number[];
  readonly final: Float64Array;
  /** Iteration at which the gradient underflowed to exactly 0 in float64 (training stops), if any. */
  readonly underflowAt: number | null;
}

const sigmoid = (x: number): number => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)));

/**
 * Normalised gradient descent `θ ← θ − η ∇L / ‖∇L‖` on the logistic loss
 * `L = (1/n) Σ log(1 + exp(−Y_i f(X_i)))`, for `iters` steps, recording W at every iteration in
 * `record` (0 = before the first step). W starts at 0; (K, Q) start at N(0, initScale²) entries
 * (0 is a saddle of the factorised form), drawn from `seed`.
 */
export const train = (
  data: AttSvmData,
  param: Param,
  iters: number,
  record: ReadonlySet<number>,
  opts: {
    step?: number;
    seed?: number;
    initScale?: number;
    variant?: 'probs' | 'lse';
    /** Where the attention kernel runs (default: JS in float64, the paper's setting). */
    backend?: Backend<unknown>;
  } = {},
): TrainRun => {
  const { n, T, d } = data;
  const step = opts.step ?? 0.1;
  const be = opts.backend ?? (jsBackend('float64') as Backend<unknown>);
  const attrs =
    param === 'W'
      ? { heads: 1, param: 'W', values: false, project: false, cross: true }
      : { heads: 1, param: 'KQ', dk: d, values: false, project: false, cross: true, scale: 1 };
  const model = checkOrThrow(prim('attention', attrs, { variant: opts.variant ?? 'lse' }), [
    [n, 1, d],
    [n, T, d],
  ]);
  const prog = lowerOrThrow(model, be);
  const r = rng(opts.seed ?? 0).fork('init');
  const init = (shape: number[], s: number): HostTensor => ({ shape, data: Float64Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => s * r.normal()) });
  const params: Record<string, HostTensor> =
    param === 'W' ? { w: { shape: [1, d, d], data: new Float64Array(d * d) } } : { wq: init([d, d], opts.initScale ?? 0.01), wk: init([d, d], opts.initScale ?? 0.01) };
  const inputs = [
    { shape: [n, 1, d], data: data.Z },
    { shape: [n, T, d], data: data.X },
  ];
  const combined = (): Float64Array => (param === 'W' ? params.w!.data.slice() as Float64Array : (combineKQ(params.wq!, params.wk!, 1, 1).data as Float64Array));
  const iterList: number[] = [];
  const snapshots: Float64Array[] = [];
  const losses: number[] = [];
  const dOut = { shape: [n, 1, d], data: new Float64Array(n * d) };
  let underflowAt: number | null = null;
  let loss = 0;
  // One forward + backward on the backend; parameters and gradients live on the host between steps.
  const step1 = (k: number): Record<string, HostTensor> | null => {
    const dev = uploadAll(be, params);
    const { outputs, residual } = prog.forward(dev, inputs.map((x) => be.upload(x)));
    const o = be.download(outputs[0]!).data;
    loss = 0;
    for (let i = 0; i < n; i++) {
      let f = 0;
      for (let j = 0; j < d; j++) f += data.v[j]! * o[i * d + j]!;
      const m = data.Y[i]! * f;
      loss += (m > 0 ? Math.log1p(Math.exp(-m)) : -m + Math.log1p(Math.exp(m))) / n;
      const g = (-data.Y[i]! * sigmoid(-m)) / n; // dL/df_i
      for (let j = 0; j < d; j++) dOut.data[i * d + j] = g * data.v[j]!;
    }
    if (record.has(k)) {
      iterList.push(k);
      snapshots.push(combined());
      losses.push(loss);
    }
    if (k === iters) return null;
    const { dParams } = prog.backward(residual, [be.upload(dOut)]);
    return downloadAll(be, dParams);
  };
  for (let k = 0; ; k++) {
    const dParams = withScope(be, () => step1(k));
    if (dParams === null) break;
    let norm = 0;
    for (const g of Object.values(dParams)) for (const x of g.data) norm += x * x;
    norm = Math.sqrt(norm);
    if (norm === 0) {
      // The gradient underflowed (attention saturated to 0/1 in float64): W can no longer move,
      // so it stays what it is for the remaining iterations.
      underflowAt = k;
      for (const j of [...record].filter((j) => j > k).sort((a, b) => a - b)) {
        iterList.push(j);
        snapshots.push(combined());
        losses.push(loss);
      }
      break;
    }
    for (const [key, g] of Object.entries(dParams)) {
      const p = params[key]!.data;
      for (let i = 0; i < p.length; i++) p[i] -= (step * g.data[i]!) / norm;
    }
  }
  return { iters: iterList, snapshots, losses, final: combined(), underflowAt };
};

/** Per sequence, the token W selects: argmax_t x_itᵀ W z_i. */
export const selectedTokens = (data: AttSvmData, W: Float64Array): number[] => {
  const { n, T, d } = data;
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    let best = -Infinity;
    let arg = 0;
    for (let t = 0; t < T; t++) {
      const s = bilinear(data, W, i, t);
      if (s > best) {
        best = s;
        arg = t;
      }
    }
    out.push(arg);
  }
  return out;
};

/** x_itᵀ W z_i. */
export const bilinear = (data: AttSvmData, W: Float64Array, i: number, t: number): number => {
  const { T, d } = data;
  let s = 0;
  for (let a = 0; a < d; a++) {
    let wz = 0;
    for (let b = 0; b < d; b++) wz += W[a * d + b]! * data.Z[i * d + b]!;
    s += data.X[(i * T + t) * d + a]! * wz;
  }
  return s;
};

/** Constraint vectors vec((x_opt − x_t) z_iᵀ), one per (i, t ≠ opt_i). */
export const svmConstraints = (data: AttSvmData, opt: readonly number[]): Float64Array[] => {
  const { n, T, d } = data;
  const rows: Float64Array[] = [];
  for (let i = 0; i < n; i++)
    for (let t = 0; t < T; t++) {
      if (t === opt[i]) continue;
      const a = new Float64Array(d * d);
      for (let p = 0; p < d; p++) {
        const dx = data.X[(i * T + opt[i]!) * d + p]! - data.X[(i * T + t) * d + p]!;
        for (let q = 0; q < d; q++) a[p * d + q] = dx * data.Z[i * d + q]!;
      }
      rows.push(a);
    }
  return rows;
};

/**
 * Solve `min ½ wᵀ D w` subject to `a_jᵀ w ≥ 1` with quadprog (Goldfarb–Idnani dual method).
 * `D` defaults to the identity (the Frobenius Att-SVM). Throws if the constraints are infeasible.
 */
export const solveMarginQP = (rows: readonly Float64Array[], D?: Float64Array): Float64Array => {
  const m = rows[0]!.length;
  const Dmat: number[][] = [[]];
  const dvec: number[] = [0];
  for (let i = 1; i <= m; i++) {
    Dmat[i] = [0];
    dvec[i] = 0;
    for (let j = 1; j <= m; j++) Dmat[i]![j] = D ? D[(i - 1) * m + (j - 1)]! : i === j ? 1 : 0;
  }
  const Amat: number[][] = [[]];
  for (let i = 1; i <= m; i++) {
    Amat[i] = [0];
    for (let j = 1; j <= rows.length; j++) Amat[i]![j] = rows[j - 1]![i - 1]!;
  }
  const bvec = [0, ...rows.map(() => 1)];
  const res = quadprog.solveQP(Dmat, dvec, Amat, bvec);
  if (res.message) throw new Error(`Att-SVM QP: ${res.message}`);
  return Float64Array.from(res.solution.slice(1));
};

/** The Frobenius hard-margin Att-SVM: min ‖W‖_F s.t. (x_opt − x_t)ᵀ W z_i ≥ 1. */
export const attSvm = (data: AttSvmData, opt: readonly number[]): Float64Array => solveMarginQP(svmConstraints(data, opt));

/** Smallest slack of the Att-SVM constraints, min (x_opt − x_t)ᵀ W z_i over i and t ≠ opt_i. */
export const minMargin = (data: AttSvmData, opt: readonly number[], W: Float64Array): number => {
  let m = Infinity;
  for (let i = 0; i < data.n; i++) {
    const so = bilinear(data, W, i, opt[i]!);
    for (let t = 0; t < data.T; t++) if (t !== opt[i]) m = Math.min(m, so - bilinear(data, W, i, t));
  }
  return m;
};

const frob = (a: Float64Array): number => Math.sqrt(a.reduce((s, x) => s + x * x, 0));

/** ⟨A, B⟩ / (‖A‖ ‖B‖) (0 if either is 0). */
export const correlation = (a: Float64Array, b: Float64Array): number => {
  const na = frob(a);
  const nb = frob(b);
  if (na === 0 || nb === 0) return 0;
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s / (na * nb);
};

/** Eigen-decomposition of a symmetric n×n matrix by cyclic Jacobi rotations: values and column vectors. */
export const symEig = (S: Float64Array, n: number): { values: Float64Array; vectors: Float64Array } => {
  const A = S.slice();
  const V = new Float64Array(n * n);
  for (let i = 0; i < n; i++) V[i * n + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += A[p * n + q]! ** 2;
    if (off < 1e-30) break;
    for (let p = 0; p < n; p++)
      for (let q = p + 1; q < n; q++) {
        const apq = A[p * n + q]!;
        if (Math.abs(apq) < 1e-300) continue;
        const theta = (A[q * n + q]! - A[p * n + p]!) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = A[k * n + p]!;
          const akq = A[k * n + q]!;
          A[k * n + p] = c * akp - s * akq;
          A[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = A[p * n + k]!;
          const aqk = A[q * n + k]!;
          A[p * n + k] = c * apk - s * aqk;
          A[q * n + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = V[k * n + p]!;
          const vkq = V[k * n + q]!;
          V[k * n + p] = c * vkp - s * vkq;
          V[k * n + q] = s * vkp + c * vkq;
        }
      }
  }
  return { values: Float64Array.from({ length: n }, (_, i) => A[i * n + i]!), vectors: V };
};

const gram = (W: Float64Array, d: number, left: boolean): Float64Array => {
  // left: W Wᵀ, else Wᵀ W
  const G = new Float64Array(d * d);
  for (let i = 0; i < d; i++)
    for (let j = 0; j < d; j++) {
      let s = 0;
      for (let k = 0; k < d; k++) s += left ? W[i * d + k]! * W[j * d + k]! : W[k * d + i]! * W[k * d + j]!;
      G[i * d + j] = s;
    }
  return G;
};

/** Singular values of a d×d matrix, descending. */
export const singularValues = (W: Float64Array, d: number): number[] =>
  [...symEig(gram(W, d, false), d).values].map((x) => Math.sqrt(Math.max(0, x))).sort((a, b) => b - a);

/** Rank and norm summary of a d×d matrix. */
export interface Spectrum {
  /** Singular values above 1% of the largest. */
  readonly rank: number;
  /** ‖W‖_* / ‖W‖_F, between 1 (rank one) and √rank. */
  readonly nuclearOverFrobenius: number;
  readonly singularValues: number[];
}

export const spectrum = (W: Float64Array, d: number): Spectrum => {
  const s = singularValues(W, d);
  const nuc = s.reduce((a, b) => a + b, 0);
  const fro = Math.sqrt(s.reduce((a, b) => a + b * b, 0));
  return { rank: s.filter((x) => x > 0.01 * s[0]!).length, nuclearOverFrobenius: fro === 0 ? 0 : nuc / fro, singularValues: s };
};

/**
 * The nuclear-norm Att-SVM, `min ‖W‖_* s.t. the same constraints`, by iteratively reweighted
 * least squares: ‖W‖_* = tr((W Wᵀ)^{1/2}) ≈ min over the weight P = (W Wᵀ + ε I)^{-1/2} of
 * ½ tr(Wᵀ P W) — each step is a QP with D = P ⊗ I, solved by quadprog; ε shrinks geometrically.
 */
export const nuclearAttSvm = (data: AttSvmData, opt: readonly number[], steps = 30): Float64Array => {
  const d = data.d;
  const rows = svmConstraints(data, opt);
  let W = solveMarginQP(rows);
  let eps = 1;
  for (let k = 0; k < steps; k++) {
    const G = gram(W, d, true);
    for (let i = 0; i < d; i++) G[i * d + i] += eps;
    const { values, vectors } = symEig(G, d);
    const P = new Float64Array(d * d);
    for (let i = 0; i < d; i++)
      for (let j = 0; j < d; j++) {
        let s = 0;
        for (let e = 0; e < d; e++) s += (vectors[i * d + e]! * vectors[j * d + e]!) / Math.sqrt(values[e]!);
        P[i * d + j] = s;
      }
    // vec(W) row-major: index a·d + b; tr(Wᵀ P W) = Σ_b Σ_{a,a'} W[a,b] P[a,a'] W[a',b].
    const D = new Float64Array(d * d * d * d);
    for (let a = 0; a < d; a++) for (let a2 = 0; a2 < d; a2++) for (let b = 0; b < d; b++) D[(a * d + b) * d * d + (a2 * d + b)] = P[a * d + a2]!;
    W = solveMarginQP(rows, D);
    eps = Math.max(eps * 0.5, 1e-8);
  }
  return W;
};

/** Nuclear norm of a d×d matrix. */
export const nuclearNorm = (W: Float64Array, d: number): number => singularValues(W, d).reduce((a, b) => a + b, 0);
