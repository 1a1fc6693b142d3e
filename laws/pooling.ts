/**
 * Laws of bilinear pooling: bilinearity before normalisation, the count-sketch convolution
 * identity, exact inner products under an injective hash, unbiasedness of sketch inner products
 * over hash seeds, factorised operators equal to the bilinear tensor they factorise, and exact
 * residual accounting. Pure predicates returning reports; the tests wrap them.
 */
import type { Backend } from '../src/backend/backend';
import { lowerOrThrow, residualElems } from '../src/lower/program';
import type { Plan } from '../src/plan/plan';
import { type TypedNode, checkOrThrow } from '../src/term/check';
import { type Term, par, prim, seq } from '../src/term/term';
import { rng, randn } from '../src/tensor/rng';
import type { HostTensor } from '../src/tensor/tensor';
import type { Shape } from '../src/tensor/shape';
import { initParams } from '../src/train/init';
import { blockFusion, fullBilinear, mcbHashes, mcbPool, mfb, mfh, mlb, mutan } from '../src/prims/pooling';
import type { ConformanceCase } from './conformance';
import { dot } from './compare';
import { uploadAll } from '../src/backend/transfer';
import { variantTwoCell } from '../src/lower/kernel-optic';
import { twoCellLaws } from './optic';
import { cellArgs, kernelCellEq } from './plan';

/** What a pooling law compared. */
export interface PoolingReport {
  readonly ok: boolean;
  /** Largest error seen (absolute, or relative where `detail` says so). */
  readonly err: number;
  readonly detail: string;
}


/** Forward of a term on host tensors (one call, nothing kept). */
export const runTerm = <T>(
  be: Backend<T>,
  term: Term,
  inputs: readonly HostTensor[],
  params?: Record<string, HostTensor>,
  plan: Plan = {},
): HostTensor[] => {
  const model = checkOrThrow(term, inputs.map((x) => x.shape));
  const prog = lowerOrThrow(model, be, plan);
  const ps = params ?? initParams(model, 0, be.dtype);
  return prog.forward(uploadAll(be, ps), inputs.map((x) => be.upload(x))).outputs.map((o) => be.download(o));
};

const maxRelErr = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let scale = 0;
  for (let i = 0; i < b.length; i++) scale = Math.max(scale, Math.abs(b[i]!));
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m / Math.max(scale, 1e-300);
};

/**
 * Bilinearity: f(αx + βx′, y) = α f(x, y) + β f(x′, y) and f(x, αy + βy′) = α f(x, y) + β f(x, y′),
 * for a term with two input wires x, y of the given shapes and fixed parameters (from `seed`).
 * Error is relative to the largest output magnitude.
 */
export const isBilinear = <T>(be: Backend<T>, term: Term, xShape: Shape, yShape: Shape, seed: number, rtol = 1e-10): PoolingReport => {
  const model = checkOrThrow(term, [xShape, yShape]);
  const params = initParams(model, seed, be.dtype);
  const r = rng(seed);
  const x = randn(xShape, r.fork('x'));
  const x2 = randn(xShape, r.fork('x2'));
  const y = randn(yShape, r.fork('y'));
  const y2 = randn(yShape, r.fork('y2'));
  const a = r.normal();
  const b = r.normal();
  const lin = (u: HostTensor, v: HostTensor): HostTensor => ({ shape: u.shape, data: u.data.map((ui, i) => a * ui + b * v.data[i]!) });
  const f = (u: HostTensor, v: HostTensor) => runTerm(be, term, [u, v], params)[0]!;
  const inX = f(lin(x, x2), y);
  const inXRef = lin(f(x, y), f(x2, y));
  const inY = f(x, lin(y, y2));
  const inYRef = lin(f(x, y), f(x, y2));
  const err = Math.max(maxRelErr(inX.data, inXRef.data), maxRelErr(inY.data, inYRef.data));
  return { ok: err <= rtol, err, detail: `relative deviation from bilinearity ${err}` };
};

/**
 * The count-sketch convolution identity: the `mcb` node's output equals CS_{H,S}(vec(x yᵀ)), the
 * count sketch of the outer product with H(i, j) = (h₁(i) + h₂(j)) mod d and S(i, j) = s₁(i)s₂(j),
 * computed here directly from its definition (O(dx·dy), no FFT).
 */
export const sketchIdentity = <T>(be: Backend<T>, d: number, seed: number, x: HostTensor, y: HostTensor, atol = 1e-10): PoolingReport => {
  const dx = x.shape[x.shape.length - 1]!;
  const dy = y.shape[y.shape.length - 1]!;
  const rows = x.data.length / dx;
  const out = runTerm(be, prim('mcb', { d, seed }), [x, y])[0]!;
  const { h1, s1, h2, s2 } = mcbHashes(seed, dx, dy, d);
  let err = 0;
  for (let r = 0; r < rows; r++) {
    const ref = new Float64Array(d);
    for (let i = 0; i < dx; i++)
      for (let j = 0; j < dy; j++) ref[(h1[i]! + h2[j]!) % d] += s1[i]! * s2[j]! * x.data[r * dx + i]! * y.data[r * dy + j]!;
    for (let k = 0; k < d; k++) err = Math.max(err, Math.abs(out.data[r * d + k]! - ref[k]!));
  }
  return { ok: err <= atol, err, detail: `max |IFFT(FFT Ψ₁ ⊙ FFT Ψ₂) − CS_{H,S}(x⊗y)| = ${err}` };
};

/**
 * With an injective bucket map (h₁(i) = i, h₂(j) = dx·j, so H(i, j) = i + dx·j is one-to-one for
 * d ≥ dx·dy) and any signs, the sketch is a signed permutation of x ⊗ y, so
 * ⟨Φ(x, y), Φ(x′, y′)⟩ = ⟨x, x′⟩⟨y, y′⟩ exactly (up to rounding).
 */
export const injectiveSketchPreservesInnerProducts = <T>(be: Backend<T>, dx: number, dy: number, d: number, seed: number, rtol = 1e-10): PoolingReport => {
  if (d < dx * dy) throw new RangeError(`injectiveSketchPreservesInnerProducts: d = ${d} < dx·dy = ${dx * dy}, no injective hash exists`);
  const r = rng(seed);
  const sign = () => (r.uniform() < 0.5 ? -1 : 1);
  const hashes = {
    h1: Array.from({ length: dx }, (_, i) => i),
    s1: Array.from({ length: dx }, sign),
    h2: Array.from({ length: dy }, (_, j) => dx * j),
    s2: Array.from({ length: dy }, sign),
  };
  const x = randn([2, dx], r.fork('x'));
  const y = randn([2, dy], r.fork('y'));
  const out = runTerm(be, prim('mcb', { d, hashes }), [x, y])[0]!;
  const lhs = dot(out.data.subarray(0, d), out.data.subarray(d, 2 * d));
  const rhs = dot(x.data.subarray(0, dx), x.data.subarray(dx)) * dot(y.data.subarray(0, dy), y.data.subarray(dy));
  const err = Math.abs(lhs - rhs) / Math.max(Math.abs(rhs), 1e-300);
  return { ok: err <= rtol, err, detail: `⟨Φ(x,y), Φ(x′,y′)⟩ = ${lhs} vs ⟨x,x′⟩⟨y,y′⟩ = ${rhs}` };
};

/** Result of the unbiasedness law. */
export interface UnbiasedReport extends PoolingReport {
  readonly mean: number;
  readonly target: number;
  /** Standard deviation bound of the mean: √(A·B / (d·N)). */
  readonly sigma: number;
  readonly band: number;
}

/**
 * Unbiasedness of the sketch inner product: over N hash seeds (fixed: `seeds`), the mean of
 * ⟨Φ(x, y), Φ(x′, y′)⟩ is within `k`σ of ⟨x, x′⟩⟨y, y′⟩.
 *
 * Variance bound (for independent uniform buckets and Rademacher signs): the deviation is
 * Σ_{a≠b} S_a S_b u_a v_b [H_a = H_b] with u = x⊗y, v = x′⊗y′. A term of its square survives the sign
 * expectation only if the four i-indices pair up and the four j-indices pair up (3 pairings each),
 * and a collision H_a = H_b (a ≠ b) has probability 1/d. Summing |u_a v_b u_c v_e| over each pairing
 * factorises over i and j, giving Var ≤ A·B/d with A = ‖x‖²‖x′‖² + 2(Σ|x_i x′_i|)² and B likewise
 * for y. The mean of N seeds has variance ≤ A·B/(dN). The band kσ is deterministic for fixed seeds
 * (it cannot flake) and still catches an O(1/d) bias such as a dropped sign hash.
 */
export const sketchInnerProductUnbiased = <T>(
  be: Backend<T>,
  v: { x: Float64Array; x2: Float64Array; y: Float64Array; y2: Float64Array },
  d: number,
  seeds: readonly number[],
  k = 6,
): UnbiasedReport => {
  const dx = v.x.length;
  const dy = v.y.length;
  const xs: HostTensor = { shape: [2, dx], data: Float64Array.from([...v.x, ...v.x2]) };
  const ys: HostTensor = { shape: [2, dy], data: Float64Array.from([...v.y, ...v.y2]) };
  let sum = 0;
  for (const seed of seeds) {
    const out = runTerm(be, prim('mcb', { d, seed }), [xs, ys])[0]!;
    sum += dot(out.data.subarray(0, d), out.data.subarray(d, 2 * d));
  }
  const mean = sum / seeds.length;
  const target = dot(v.x, v.x2) * dot(v.y, v.y2);
  const absDot = (a: Float64Array, b: Float64Array) => a.reduce((s, ai, i) => s + Math.abs(ai * b[i]!), 0);
  const A = dot(v.x, v.x) * dot(v.x2, v.x2) + 2 * absDot(v.x, v.x2) ** 2;
  const B = dot(v.y, v.y) * dot(v.y2, v.y2) + 2 * absDot(v.y, v.y2) ** 2;
  const sigma = Math.sqrt((A * B) / (d * seeds.length));
  const err = Math.abs(mean - target);
  return {
    ok: err <= k * sigma,
    err,
    mean,
    target,
    sigma,
    band: k * sigma,
    detail: `mean over ${seeds.length} seeds ${mean} vs ⟨x,x′⟩⟨y,y′⟩ ${target}: |Δ| = ${err}, ${k}σ = ${k * sigma}`,
  };
};

/** Find the one parameter whose path ends with `suffix` (e.g. `u.w`). */
const paramEnding = (ps: Record<string, HostTensor>, suffix: string): HostTensor => {
  const ks = Object.keys(ps).filter((k) => k === suffix || k.endsWith(`.${suffix}`));
  if (ks.length !== 1) throw new Error(`paramEnding: expected one parameter ending in '${suffix}', found ${JSON.stringify(ks)}`);
  return ps[ks[0]!]!;
};

/** a [m, k] · b [k, n] by definition, for materialising factor products. */
const mm = (a: ArrayLike<number>, b: ArrayLike<number>, m: number, k: number, n: number): Float64Array => {
  const o = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let p = 0; p < k; p++) for (let j = 0; j < n; j++) o[i * n + j] += a[i * k + p]! * b[p * n + j]!;
  return o;
};

/** W_ijo = Σ_{c = o·k}^{o·k+k−1} U_ic V_jc: the bilinear tensor of an MFB core. */
const mfbTensor = (U: Float64Array, V: Float64Array, dx: number, dy: number, out: number, k: number): Float64Array => {
  const W = new Float64Array(dx * dy * out);
  for (let i = 0; i < dx; i++)
    for (let j = 0; j < dy; j++)
      for (let o = 0; o < out; o++) {
        let s = 0;
        for (let c = o * k; c < o * k + k; c++) s += U[i * out * k + c]! * V[j * out * k + c]!;
        W[(i * dy + j) * out + o] = s;
      }
  return W;
};

/** T ×₃ Wo: contract the output mode of a [dx, dy, to] tensor with Wo [to, out]. */
const outMode = (T: Float64Array, dxy: number, to: number, Wo: ArrayLike<number>, out: number): Float64Array => mm(T, Wo, dxy, to, out);

/** A factorised operator and how to materialise its bilinear tensor [dx, dy, out] from its parameters. */
export interface FactorisedOp {
  readonly name: string;
  readonly term: Term;
  readonly out: number;
  materialise(ps: Record<string, HostTensor>, dx: number, dy: number): Float64Array;
}

const f64 = (t: HostTensor) => Float64Array.from(t.data);

/** The factorised operators, without activations (so they are bilinear), with small sizes. */
export const factorisedOps = (): FactorisedOp[] => [
  {
    name: 'MLB (act none)',
    term: mlb({ rank: 5, out: 3, act: 'none' }),
    out: 3,
    materialise: (ps, dx, dy) => {
      const U = f64(paramEnding(ps, 'u.w'));
      const V = f64(paramEnding(ps, 'v.w'));
      const P = f64(paramEnding(ps, 'p.w'));
      // W_ijk = Σ_r U_ir V_jr P_rk = (MFB tensor with k = 1, out = rank) ×₃ P.
      return outMode(mfbTensor(U, V, dx, dy, 5, 1), dx * dy, 5, P, 3);
    },
  },
  {
    name: 'MFB',
    term: mfb({ k: 3, out: 4 }),
    out: 4,
    materialise: (ps, dx, dy) => mfbTensor(f64(paramEnding(ps, 'u.w')), f64(paramEnding(ps, 'v.w')), dx, dy, 4, 3),
  },
  {
    name: 'MUTAN (act none)',
    term: mutan({ tx: 6, ty: 5, to: 4, rank: 3, out: 3, act: 'none' }),
    out: 3,
    materialise: (ps, dx, dy) => {
      // Push the input projections into the core's factors: U′ = W_x·U_core, V′ = W_y·V_core.
      const Ux = mm(f64(paramEnding(ps, 'wx.w')), f64(paramEnding(ps, 'u.w')), dx, 6, 12);
      const Vy = mm(f64(paramEnding(ps, 'wy.w')), f64(paramEnding(ps, 'v.w')), dy, 5, 12);
      return outMode(mfbTensor(Ux, Vy, dx, dy, 4, 3), dx * dy, 4, f64(paramEnding(ps, 'wo.w')), 3);
    },
  },
  {
    name: 'BLOCK (act none)',
    term: blockFusion({ tx: 6, ty: 4, to: 6, blocks: 2, out: 3, act: 'none' }),
    out: 3,
    materialise: (ps, dx, dy) => {
      const Wx = f64(paramEnding(ps, 'wx.w'));
      const Wy = f64(paramEnding(ps, 'wy.w'));
      const C = f64(paramEnding(ps, 'core.w')); // [2, 3, 2, 3]
      const [n, bx, by, bo] = [2, 3, 2, 3];
      // Block-diagonal core as a full [tx, ty, to] tensor, then T = core ×₁ Wx ×₂ Wy.
      const tx = n * bx;
      const ty = n * by;
      const to = n * bo;
      const full = new Float64Array(tx * ty * to);
      for (let b = 0; b < n; b++)
        for (let a = 0; a < bx; a++)
          for (let c = 0; c < by; c++)
            for (let o = 0; o < bo; o++) full[((b * bx + a) * ty + b * by + c) * to + b * bo + o] = C[((b * bx + a) * by + c) * bo + o]!;
      const T = new Float64Array(dx * dy * to);
      for (let i = 0; i < dx; i++)
        for (let j = 0; j < dy; j++)
          for (let a = 0; a < tx; a++) {
            const wa = Wx[i * tx + a]!;
            for (let c = 0; c < ty; c++) {
              const w = wa * Wy[j * ty + c]!;
              for (let o = 0; o < to; o++) T[(i * dy + j) * to + o] += w * full[(a * ty + c) * to + o]!;
            }
          }
      return outMode(T, dx * dy, to, f64(paramEnding(ps, 'wo.w')), 3);
    },
  },
];

/**
 * A factorised operator equals its materialised bilinear tensor: z_k = Σ_ij T_ijk x_i y_j,
 * evaluated here by definition, matches the operator's output; so does the `bilinear` primitive
 * loaded with T (which checks that kernel too).
 */
export const equalsMaterialised = <T>(be: Backend<T>, op: FactorisedOp, rows: number, dx: number, dy: number, seed: number, rtol = 1e-10): PoolingReport => {
  const model = checkOrThrow(op.term, [[rows, dx], [rows, dy]]);
  const params = initParams(model, seed, be.dtype);
  const r = rng(seed);
  const x = randn([rows, dx], r.fork('x'));
  const y = randn([rows, dy], r.fork('y'));
  const got = runTerm(be, op.term, [x, y], params)[0]!;
  const T = op.materialise(params, dx, dy);
  const ref = new Float64Array(rows * op.out);
  for (let n = 0; n < rows; n++)
    for (let i = 0; i < dx; i++)
      for (let j = 0; j < dy; j++)
        for (let k = 0; k < op.out; k++) ref[n * op.out + k] += T[(i * dy + j) * op.out + k]! * x.data[n * dx + i]! * y.data[n * dy + j]!;
  const viaPrim = runTerm(be, prim('bilinear', { out: op.out }), [x, y], { w: { shape: [1, dx, dy, op.out], data: T } })[0]!;
  const err = Math.max(maxRelErr(got.data, ref), maxRelErr(viaPrim.data, ref));
  return { ok: err <= rtol, err, detail: `${op.name}: relative deviation from the materialised tensor ${err}` };
};

const primNodes = (n: TypedNode): TypedNode[] => (n.kind === 'prim' ? [n] : n.children.flatMap(primNodes));

/**
 * Residual accounting is exact: the elements a program's forward keeps equal the sum of its
 * primitives' `cost(...).residualElems` under the chosen variants.
 */
export const residualMatchesCost = <T>(be: Backend<T>, c: ConformanceCase, plan: Plan, seed: number): PoolingReport => {
  const model = checkOrThrow(c.term, c.inputs);
  const prog = lowerOrThrow(model, be, plan);
  const r = rng(seed);
  const inputs = c.sample ? c.sample(seed) : c.inputs.map((s) => randn(s, r.fork('x')));
  const { residual } = prog.forward(uploadAll(be, initParams(model, seed, be.dtype)), inputs.map((x) => be.upload(x)));
  const predicted = primNodes(model.root).reduce((s, n) => {
    if (n.kind !== 'prim') return s;
    const v = plan.variants?.[n.path.join('.')] ?? n.variant;
    return s + n.def.cost(n.attrs, n.inputs, v).residualElems;
  }, 0);
  const actual = residualElems(be, residual);
  return { ok: predicted === actual, err: Math.abs(predicted - actual), detail: `${c.name}: cost says ${predicted} residual elements, forward kept ${actual}` };
};

/** Conformance cases for the pooling primitives and operators (small shapes). */
export const poolingCases: readonly ConformanceCase[] = [
  { name: 'outer_product', term: prim('outer_product'), inputs: [[3, 4], [3, 5]] },
  { name: 'outer_product (rank 3)', term: prim('outer_product'), inputs: [[2, 2, 3], [2, 2, 2]] },
  { name: 'signed_sqrt_l2', term: prim('signed_sqrt_l2'), inputs: [[3, 7]] },
  { name: 'signed_sqrt_l2 (eps 1e-3)', term: prim('signed_sqrt_l2', { eps: 1e-3 }), inputs: [[2, 5]] },
  {
    name: 'mcb d=16 (radix-2)',
    term: prim('mcb', { d: 16, seed: 3 }),
    inputs: [[3, 5], [3, 6]],
    variants: [{}, { '': 'input' }, { '': 'spectra' }],
  },
  {
    name: 'mcb d=13 (Bluestein)',
    term: prim('mcb', { d: 13, seed: 11 }),
    inputs: [[2, 7], [2, 4]],
    variants: [{}, { '': 'input' }, { '': 'spectra' }],
  },
  { name: 'bilinear', term: prim('bilinear', { out: 3 }), inputs: [[3, 4], [3, 5]] },
  { name: 'bilinear (2 blocks)', term: prim('bilinear', { out: 4, blocks: 2 }), inputs: [[3, 4], [3, 6]] },
  { name: 'hadamard', term: prim('hadamard'), inputs: [[3, 4], [3, 4]] },
  { name: 'sum_pool', term: prim('sum_pool', { k: 3 }), inputs: [[2, 9]] },
  { name: 'concat_last', term: seq(par(prim('tanh'), prim('tanh'), prim('tanh')), prim('concat_last', { n: 3 })), inputs: [[2, 3], [2, 1], [2, 4]] },
  { name: 'full bilinear + norm', term: fullBilinear({ normalise: true }), inputs: [[3, 4], [3, 3]] },
  // ε = 1e-4: the signed square root amplifies float32 rounding near 0 by 1/(2√ε), and an MCB output
  // has exact zeros (empty buckets) that float32 FFTs turn into ~1e-7; with the default ε = 1e-8 the
  // float32/float64 comparison would measure that amplification, not the kernels.
  { name: 'MCB + norm', term: mcbPool({ d: 20, seed: 5, normalise: true, eps: 1e-4 }), inputs: [[3, 6], [3, 5]] },
  { name: 'MLB', term: mlb({ rank: 6, out: 3 }), inputs: [[3, 4], [3, 5]] },
  { name: 'MFB + norm', term: mfb({ k: 3, out: 4, normalise: true }), inputs: [[3, 5], [3, 4]] },
  { name: 'MFH + norm', term: mfh({ k: 2, out: 3, normalise: true }), inputs: [[3, 5], [3, 4]] },
  { name: 'MUTAN', term: mutan({ tx: 6, ty: 5, to: 4, rank: 3, out: 3 }), inputs: [[3, 5], [3, 4]] },
  { name: 'BLOCK', term: blockFusion({ tx: 6, ty: 4, to: 6, blocks: 2, out: 3 }), inputs: [[3, 5], [3, 4]] },
];

/** (T1, T2) of one variant 2-cell. */
export interface TwoCellReport {
  readonly t1: boolean;
  readonly t2: boolean;
}

/**
 * The MCB variant 2-cells `input ⇒ sketch` (r₁ = the count sketches Ψ₁(x), Ψ₂(y)) and `sketch ⇒
 * spectra` (r₂ = the half spectra, bins 0..⌊d/2⌋, of their FFTs) on backend `be`, with the maps the
 * kernel carries (`Kernel.twoCells`): the one T1/T2 law of `laws/optic.ts` on the core `TwoCell`
 * between the two variants' kernel optics, bit for bit. (T1) the target's forward keeps r(m) and gives
 * the same output; (T2) the source's backward on m equals the target's backward on r(m).
 */
export const mcbVariantTwoCells = <T>(
  be: Backend<T>,
  d: number,
  seed: number,
  x: HostTensor,
  y: HostTensor,
  g: HostTensor,
): { inputToSketch: TwoCellReport; sketchToSpectra: TwoCellReport } => {
  const root = checkOrThrow(prim('mcb', { d, seed }), [x.shape, y.shape]).root;
  if (root.kind !== 'prim') throw new Error('mcbVariantTwoCells: internal: expected a primitive root');
  const kernel = be.kernel('mcb');
  if (!kernel) throw new Error(`mcbVariantTwoCells: backend '${be.name}' has no kernel for 'mcb'`);
  const E = kernelCellEq(be);
  const { a, db } = cellArgs(be, {}, [x, y], [g]);
  const cell = (from: string, to: string): TwoCellReport => {
    const c = variantTwoCell(kernel, root, from, to);
    if (!c) throw new Error(`mcbVariantTwoCells: backend '${be.name}' has no map for the mcb 2-cell ${from} ⇒ ${to}`);
    return { t1: twoCellLaws.t1(c, E.residual, E.output)(a), t2: twoCellLaws.t2(c, E.cotangent)(a, db) };
  };
  return { inputToSketch: cell('input', 'sketch'), sketchToSpectra: cell('sketch', 'spectra') };
};
