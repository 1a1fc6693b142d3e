import type { Backend, Kernel, Params, Residual } from '../src/backend/backend';
import type { Program } from '../src/lower/program';
import type { TypedModel, TypedPrim } from '../src/term/check';
import { prim } from '../src/term/term';
import { rng, randn } from '../src/tensor/rng';
import type { HostTensor } from '../src/tensor/tensor';
import { closeness, identical } from './compare';
import type { ConformanceCase } from './conformance';
import { plansAgree } from './plan';
import { uploadAll } from '../src/backend/transfer';

/** A 0/1 key-padding mask `[B, Tk]` from a seed, with one fully masked batch row when `B > 1`. */
export const sampleKeyMask = (B: number, Tk: number, seed: number): HostTensor => {
  const r = rng(seed).fork('mask');
  const data = new Float64Array(B * Tk);
  for (let b = 0; b < B; b++)
    for (let u = 0; u < Tk; u++) data[b * Tk + u] = b === B - 1 && B > 1 ? 0 : u === 0 || r.uniform() < 0.7 ? 1 : 0;
  return { shape: [B, Tk], data };
};

/**
 * Conformance cases for `attention`: every backend must match the float64 JS reference on these,
 * under both residual variants.
 */
export const attentionCases: readonly ConformanceCase[] = (() => {
  const both = [{ '': 'probs' }, { '': 'lse' }];
  return [
    { name: 'attention self KQ, 2 heads, batch', term: prim('attention', { heads: 2, dk: 3, dv: 4, block: 2 }), inputs: [[2, 5, 6]], variants: both },
    { name: 'attention self KQ causal, unbatched', term: prim('attention', { heads: 1, dk: 4, dv: 3, causal: true, block: 3 }), inputs: [[7, 5]], variants: both },
    {
      name: 'attention cross W, key mask (one fully masked batch)',
      term: prim('attention', { heads: 2, param: 'W', dv: 3, cross: true, mask: true, block: 2 }),
      inputs: [[2, 3, 4], [2, 5, 6], [2, 5]],
      sample: (s: number) => [randn([2, 3, 4], rng(s).fork('xq')), randn([2, 5, 6], rng(s).fork('xkv')), sampleKeyMask(2, 5, s)],
      variants: both,
    },
    {
      name: 'attention cross W, raw values, no projection (the Att-SVM layer)',
      term: prim('attention', { heads: 1, param: 'W', values: false, project: false, cross: true }),
      inputs: [[3, 1, 5], [3, 6, 5]],
      variants: both,
    },
    {
      name: 'attention self causal + mask, out width',
      term: prim('attention', { heads: 3, dk: 2, dv: 2, out: 4, causal: true, mask: true, block: 4 }),
      inputs: [[2, 6, 5], [2, 6]],
      sample: (s: number) => [randn([2, 6, 5], rng(s).fork('x')), sampleKeyMask(2, 6, s)],
      variants: both,
    },
  ] as ConformanceCase[];
})();

/** What a row-sum check saw. */
export interface RowSumReport {
  readonly ok: boolean;
  /** Largest |Σ_u P(t, u) − 1| over rows that are not fully masked. */
  readonly worst: number;
  readonly rows: number;
  /** Rows that are entirely zero (fully masked queries). */
  readonly zeroRows: number;
  readonly negative: number;
}

/**
 * Rows of P sum to 1: runs `program` (whose attention nodes use the 'probs' variant) and checks
 * every residual entry named `p` — each row over the last axis sums to 1 within `tol` and has no
 * negative entries, or is entirely zero (a fully masked query, which must give zeros, not NaN).
 */
export const attentionRowsSumToOne = <T>(
  be: Backend<T>,
  program: Program<T>,
  params: Record<string, HostTensor>,
  inputs: readonly HostTensor[],
  tol: number,
): RowSumReport => {
  const { residual } = program.forward(uploadAll(be, params), inputs.map((x) => be.upload(x)));
  let worst = 0;
  let rows = 0;
  let zeroRows = 0;
  let negative = 0;
  for (const [name, t] of residual.entries()) {
    if (!name.endsWith(':p')) continue;
    const p = be.download(t);
    const n = p.shape[p.shape.length - 1]!;
    for (let r = 0; r < p.data.length / n; r++) {
      let s = 0;
      let allZero = true;
      for (let u = 0; u < n; u++) {
        const x = p.data[r * n + u]!;
        if (x < 0 || Number.isNaN(x)) negative++;
        if (x !== 0) allZero = false;
        s += x;
      }
      rows++;
      if (allZero) zeroRows++;
      else worst = Math.max(worst, Number.isNaN(s) ? Infinity : Math.abs(s - 1));
    }
  }
  return { ok: rows > 0 && worst <= tol && negative === 0, worst, rows, zeroRows, negative };
};

/** Reorder the token axis (second to last) of `x` by `perm`: out[..., i, :] = x[..., perm[i], :]. */
export const permuteTokens = (x: HostTensor, perm: readonly number[], axisFromEnd = 2): HostTensor => {
  const T = x.shape[x.shape.length - axisFromEnd]!;
  if (perm.length !== T) throw new RangeError(`permuteTokens: permutation of length ${perm.length} for ${T} tokens`);
  const inner = x.shape.slice(x.shape.length - axisFromEnd + 1).reduce((a, b) => a * b, 1);
  const outer = x.data.length / (T * inner);
  const data = x.data.slice();
  for (let o = 0; o < outer; o++)
    for (let i = 0; i < T; i++)
      for (let j = 0; j < inner; j++) data[(o * T + i) * inner + j] = x.data[(o * T + perm[i]!) * inner + j]!;
  return { shape: x.shape, data };
};

/**
 * Permutation equivariance (no positional information, no causal mask): permuting the tokens of
 * the self-attention input (and the key mask, if `maskInput` is its index) permutes the output
 * rows the same way. Returns the worst closeness (≤ 1 passes).
 */
export const attentionPermutationEquivariant = <T>(
  be: Backend<T>,
  program: Program<T>,
  params: Record<string, HostTensor>,
  inputs: readonly HostTensor[],
  perm: readonly number[],
  tol: { rtol: number; atol: number },
  maskInput?: number,
): { ok: boolean; worst: number } => {
  const p = uploadAll(be, params);
  const f = (xs: readonly HostTensor[]) => be.download(program.forward(p, xs.map((x) => be.upload(x))).outputs[0]!);
  const y = f(inputs);
  const permuted = inputs.map((x, i) => (i === 0 ? permuteTokens(x, perm) : i === maskInput ? permuteTokens(x, perm, 1) : x));
  const worst = closeness(f(permuted), permuteTokens(y, perm), tol.rtol, tol.atol);
  return { ok: worst <= 1, worst };
};

/**
 * Causality: with a causal mask, changing input tokens after position `t` leaves the outputs at
 * positions ≤ t unchanged (bit for bit when `tol` is omitted — nothing after t is read).
 */
export const attentionCausalPrefix = <T>(
  be: Backend<T>,
  program: Program<T>,
  params: Record<string, HostTensor>,
  x: HostTensor,
  t: number,
  seed: number,
  tol?: { rtol: number; atol: number },
): { ok: boolean; changedAfter: boolean } => {
  const p = uploadAll(be, params);
  const f = (xx: HostTensor) => be.download(program.forward(p, [be.upload(xx)]).outputs[0]!);
  const T = x.shape[x.shape.length - 2]!;
  const d = x.shape[x.shape.length - 1]!;
  const r = rng(seed).fork('after');
  const x2 = { shape: x.shape, data: x.data.slice() };
  for (let o = 0; o < x.data.length / (T * d); o++)
    for (let u = t + 1; u < T; u++) for (let j = 0; j < d; j++) x2.data[(o * T + u) * d + j] = r.normal();
  const y1 = f(x);
  const y2 = f(x2);
  const e = y1.shape[y1.shape.length - 1]!;
  const prefix = (y: HostTensor): HostTensor => {
    const outer = y.data.length / (T * e);
    const data = new Float64Array(outer * (t + 1) * e);
    for (let o = 0; o < outer; o++) for (let i = 0; i < (t + 1) * e; i++) data[o * (t + 1) * e + i] = y.data[o * T * e + i]!;
    return { shape: [outer, t + 1, e], data };
  };
  const a = prefix(y1);
  const b = prefix(y2);
  const same = tol ? closeness(a, b, tol.rtol, tol.atol) <= 1 : identical(a, b);
  // A sanity witness that the perturbation did something (unless t is the last position).
  const changedAfter = t + 1 >= T || !identical(y1, y2);
  return { ok: same, changedAfter };
};

/**
 * The 2-cell law at the plan level: the attention node at `path` gives bit-identical outputs and
 * gradients under its 'probs' and 'lse' variants.
 */
export const attentionVariantsAgree = <T>(
  model: TypedModel,
  be: Backend<T>,
  params: Record<string, HostTensor>,
  inputs: readonly HostTensor[],
  dOutputs: readonly HostTensor[],
  path = '',
): boolean => plansAgree(model, be, [{ variants: { [path]: 'probs' } }, { variants: { [path]: 'lse' } }], params, inputs, dOutputs);

/**
 * The combined parameters equivalent to (K, Q) ones: `W_h = scale · K_h Q_hᵀ`, `[H, dkv, dq]`,
 * from `wq: [dq, H·dk]`, `wk: [dkv, H·dk]`. Use with a `param: 'W'` node of scale 1.
 */
export const combineKQ = (wq: HostTensor, wk: HostTensor, heads: number, scale: number): HostTensor => {
  const [dq, hdk] = wq.shape as [number, number];
  const dkv = wk.shape[0]!;
  const dk = hdk / heads;
  const data = new Float64Array(heads * dkv * dq);
  for (let h = 0; h < heads; h++)
    for (let a = 0; a < dkv; a++)
      for (let b = 0; b < dq; b++) {
        let s = 0;
        for (let c = 0; c < dk; c++) s += wk.data[a * hdk + h * dk + c]! * wq.data[b * hdk + h * dk + c]!;
        data[(h * dkv + a) * dq + b] = scale * s;
      }
  return { shape: [heads, dkv, dq], data };
};

/**
 * `W` and `(K, Q)` agree in the forward pass when `W = scale · K Qᵀ`: `kq` and `w` are programs of
 * the same attention node in the two parameterisations (the W one with scale 1); `kqParams` are
 * the former's parameters, keyed by local name (`wq`, `wk`, and `wv`/`wo` if present).
 */
export const attentionWMatchesKQ = <T>(
  be: Backend<T>,
  kq: Program<T>,
  w: Program<T>,
  kqParams: Record<string, HostTensor>,
  heads: number,
  scale: number,
  inputs: readonly HostTensor[],
  tol: { rtol: number; atol: number },
): { ok: boolean; worst: number } => {
  const { wq, wk, ...rest } = kqParams;
  const wParams = { ...rest, w: combineKQ(wq!, wk!, heads, scale) };
  const run = (prog: Program<T>, ps: Record<string, HostTensor>) =>
    be.download(prog.forward(uploadAll(be, ps), inputs.map((x) => be.upload(x))).outputs[0]!);
  const worst = closeness(run(w, wParams), run(kq, kqParams), tol.rtol, tol.atol);
  return { ok: worst <= 1, worst };
};
