/**
 * The matrix groups SO(n), SL(n), GL⁺(n) (n = 2, 3), the manifold PD(n) of positive-definite
 * matrices, and their decompositions, in float64.
 *
 * Decomposition (following Mironenco & Forré, "Lie Group Decompositions for Equivariant Neural
 * Networks", ICLR 2024): the polar decomposition g = R·P, R ∈ SO(n), P = (gᵀg)^{1/2} ∈ PD(n), is a
 * diffeomorphism GL⁺(n) ≅ SO(n) × PD(n); for g ∈ SL(n) the factor P has det 1 (PD₁(n), the SL
 * analogue), so SL(n) ≅ SO(n) × PD₁(n); and PD(n) ≅ PD₁(n) × R⁺ by P = det(P)^{1/n}·S. Both factors are
 * reached by exp from their tangent spaces (so(n) and the symmetric matrices), which gives the global
 * chart `xi(X, S) = exp(X)·exp(S)` even though exp itself is not onto GL⁺(n) or SL(n).
 */
import {
  GroupError, type Mat, type Vec, add, apply, assertFinite, asymmetry, det, dimOf, expm, eye, inv, logm, maxAbsDiff, mul, normF,
  scale, skewPart, symEig, symFn, symPart, transpose,
} from './mat';

/** Tolerances for membership checks (relative): how far from the group an input may be. */
const MEMBER_TOL = 1e-9;

/** The groups (and the manifold PD) this module knows, by name. */
export type GroupName = 'SO' | 'PD' | 'SL' | 'GL+' | 'Aff';

/** Whether r is a rotation: rᵀr = I and det r = +1, within `tol`. */
export const isRotation = (r: Mat, tol = MEMBER_TOL): boolean =>
  maxAbsDiff(mul(transpose(r), r), eye(dimOf(r))) <= tol && Math.abs(det(r) - 1) <= tol;

/** Whether p is symmetric positive definite (within `tol` for the symmetry). */
export const isPD = (p: Mat, tol = MEMBER_TOL): boolean => asymmetry(p) <= tol && symEig(p).values[0]! > 0;

const needRotation = (r: Mat, where: string): void => {
  dimOf(r, where);
  assertFinite(r, where);
  if (!isRotation(r)) throw new GroupError(`${where}: expected a rotation (RᵀR = I, det R = 1), got det ${det(r).toPrecision(6)}`);
};

const needPD = (p: Mat, where: string): void => {
  dimOf(p, where);
  assertFinite(p, where);
  if (asymmetry(p) > MEMBER_TOL) throw new GroupError(`${where}: expected a symmetric matrix (relative asymmetry ${asymmetry(p).toExponential(2)})`);
  const l = symEig(p).values[0]!;
  if (!(l > 0)) throw new GroupError(`${where}: expected a positive-definite matrix, smallest eigenvalue is ${l.toPrecision(6)}`);
};

const needGLPlus = (g: Mat, where: string): void => {
  dimOf(g, where);
  assertFinite(g, where);
  const d = det(g);
  if (!(d > 0)) throw new GroupError(`${where}: expected a matrix in GL⁺(n) (det > 0), got det ${d.toPrecision(6)}`);
};

// ---------------------------------------------------------------------------------------------
// SO(n): exp and log

/** exp: so(n) → SO(n). For n = 2 the generator may be given as the angle alone (a 1-vector). */
export const soExp = (x: Mat): Mat => {
  if (x.length === 1) {
    const c = Math.cos(x[0]!), s = Math.sin(x[0]!);
    return Float64Array.from([c, -s, s, c]);
  }
  if (asymmetry(add(x, transpose(x))) > MEMBER_TOL && normF(add(x, transpose(x))) > MEMBER_TOL * Math.max(1, normF(x)))
    throw new GroupError('soExp: expected a skew-symmetric matrix (X = −Xᵀ)');
  if (x.length === 4) return expm(skewPart(x));
  // Rodrigues: exp([a]ₓ) = I + sinθ/θ·[a]ₓ + (1 − cosθ)/θ²·[a]ₓ², θ = |a| (more accurate than a series).
  const k = skewPart(x);
  const th = Math.hypot(k[7]!, k[2]!, k[3]!);
  const s1 = th < 1e-8 ? 1 - (th * th) / 6 : Math.sin(th) / th;
  const s2 = th < 1e-8 ? 0.5 - (th * th) / 24 : (1 - Math.cos(th)) / (th * th);
  return add(add(eye(3), scale(k, s1)), scale(mul(k, k), s2));
};

/**
 * log: SO(n) → so(n), the generator with rotation angle in [0, π]. At angle π the logarithm is not
 * unique (±axis); this returns one of them, which `soExp` maps back to R.
 */
export const soLog = (r: Mat): Mat => {
  const n = dimOf(r, 'soLog');
  needRotation(r, 'soLog');
  if (n === 2) {
    const th = Math.atan2(r[2]!, r[0]!);
    return Float64Array.from([0, -th, th, 0]);
  }
  const c = Math.max(-1, Math.min(1, (r[0]! + r[4]! + r[8]! - 1) / 2));
  // R = cosθ·I + sinθ·[a]ₓ + (1 − cosθ)·a aᵀ. The skew part gives a·sinθ (well conditioned for θ ≤ π/2);
  // beyond π/2 read a aᵀ from the symmetric part instead, and the sign of a from the skew part.
  const w = Float64Array.from([(r[7]! - r[5]!) / 2, (r[2]! - r[6]!) / 2, (r[3]! - r[1]!) / 2]);
  const sn = normF(w);
  const th = Math.atan2(sn, (r[0]! + r[4]! + r[8]! - 1) / 2);
  if (th < 1e-300) return new Float64Array(9);
  let axis: Mat;
  if (c >= 0) axis = scale(w, 1 / sn);
  else {
    const b = Float64Array.from({ length: 9 }, (_, i) => ((r[i]! + r[(i % 3) * 3 + Math.floor(i / 3)]!) / 2 - (i % 4 === 0 ? c : 0)) / (1 - c));
    const k = [0, 1, 2].reduce((m, i) => (b[i * 4]! > b[m * 4]! ? i : m), 0);
    axis = Float64Array.from([0, 1, 2], (j) => b[k * 3 + j]! / Math.sqrt(b[k * 4]!));
    axis = scale(axis, 1 / normF(axis));
    if (axis[0]! * w[0]! + axis[1]! * w[1]! + axis[2]! * w[2]! < 0) axis = scale(axis, -1);
  }
  const [a, b2, cc] = [axis[0]! * th, axis[1]! * th, axis[2]! * th];
  return Float64Array.from([0, -cc, b2, cc, 0, -a, -b2, a, 0]);
};

// ---------------------------------------------------------------------------------------------
// PD(n): exp, log, powers

/** exp: Sym(n) → PD(n), a diffeomorphism. */
export const pdExp = (s: Mat): Mat => {
  dimOf(s, 'pdExp');
  assertFinite(s, 'pdExp');
  if (asymmetry(s) > MEMBER_TOL) throw new GroupError('pdExp: expected a symmetric matrix');
  return symFn(symEig(s), Math.exp);
};

/** log: PD(n) → Sym(n), the inverse of `pdExp` (unique). */
export const pdLog = (p: Mat): Mat => {
  needPD(p, 'pdLog');
  return symFn(symEig(p), Math.log);
};

/** p^t for p ∈ PD(n). */
export const pdPow = (p: Mat, t: number): Mat => {
  needPD(p, 'pdPow');
  return symFn(symEig(p), (x) => x ** t);
};

// ---------------------------------------------------------------------------------------------
// GL⁺(n) and SL(n): polar decomposition, exp/log, the global chart

/**
 * Polar decomposition g = R·P of g ∈ GL⁺(n): R ∈ SO(n), P = (gᵀg)^{1/2} ∈ PD(n), both unique. R comes
 * from the scaled Newton iteration X ← (ζX + (ζX)^{-T})/2 (quadratic convergence to the orthogonal
 * factor); P = sym(Rᵀg). For g ∈ SL(n), det P = 1.
 */
export const polar = (g: Mat): { r: Mat; p: Mat } => {
  needGLPlus(g, 'polar');
  const n = dimOf(g);
  let x: Mat = g.slice();
  for (let i = 0; i < 100; i++) {
    const z = Math.abs(det(x)) ** (-1 / n);
    const next = scale(add(scale(x, z), transpose(inv(scale(x, z), 'polar'))), 0.5);
    const step = maxAbsDiff(next, x);
    x = next;
    if (step <= 1e-15) break;
  }
  // One more unscaled step polishes orthogonality to rounding.
  x = scale(add(x, transpose(inv(x, 'polar'))), 0.5);
  return { r: x, p: symPart(mul(transpose(x), g)) };
};

/**
 * The SL(n) analogue of the polar decomposition, refined for GL⁺(n): g = R·S·λ^{1/n} with R ∈ SO(n),
 * S ∈ PD₁(n) (det S = 1) and λ = det g > 0. For g ∈ SL(n), λ = 1 and g = R·S.
 */
export const slPolar = (g: Mat): { r: Mat; s: Mat; lambda: number } => {
  const { r, p } = polar(g);
  const n = dimOf(g);
  const lambda = det(g);
  return { r, s: scale(p, lambda ** (-1 / n)), lambda };
};

/** Group exponential of gl(n) (any real matrix) into GL⁺(n). Not onto: see `glLog`. */
export const glExp = (x: Mat): Mat => expm(x);

/**
 * Principal logarithm of g ∈ GL⁺(n): defined when g has no eigenvalue on the closed negative real
 * axis; otherwise a GroupError (e.g. [[−1, 0], [0, −2]] ∈ GL⁺(2) is not exp of any real matrix).
 */
export const glLog = (g: Mat): Mat => {
  needGLPlus(g, 'glLog');
  return logm(g, 'glLog');
};

/** exp: sl(n) (trace-free) → SL(n). Not onto (see `slLog`). */
export const slExp = (x: Mat): Mat => {
  dimOf(x, 'slExp');
  const tr = x.length === 4 ? x[0]! + x[3]! : x[0]! + x[4]! + x[8]!;
  if (Math.abs(tr) > MEMBER_TOL * Math.max(1, normF(x))) throw new GroupError(`slExp: expected a trace-free matrix, trace is ${tr.toPrecision(6)}`);
  return expm(x);
};

/** Principal logarithm of g ∈ SL(n) (trace-free), with the same domain as `glLog`. */
export const slLog = (g: Mat): Mat => {
  needGLPlus(g, 'slLog');
  if (Math.abs(det(g) - 1) > MEMBER_TOL) throw new GroupError(`slLog: expected det g = 1, got ${det(g).toPrecision(12)}`);
  return logm(g, 'slLog');
};

/**
 * The paper's global chart of GL⁺(n): ξ(X, S) = exp(X)·exp(S) with X ∈ so(n), S ∈ Sym(n). A
 * diffeomorphism onto GL⁺(n) (SL(n) when tr S = 0) wherever exp is onto its factor; its inverse is
 * `xiInv`.
 */
export const xi = (x: Mat, s: Mat): Mat => mul(soExp(x), pdExp(s));

/** ξ⁻¹(g) = (log R, log P) from the polar decomposition g = R·P. Defined on all of GL⁺(n). */
export const xiInv = (g: Mat): { x: Mat; s: Mat } => {
  const { r, p } = polar(g);
  return { x: soLog(r), s: pdLog(p) };
};

/**
 * ξ⁻¹ as a flat coordinate vector: for n = 2, [θ, s₀₀, s₀₁, s₁₁] (4 numbers); for n = 3, the three
 * so(3) coordinates then the six upper-triangular entries of S (9 numbers). Kernels of the group
 * convolution are functions of these coordinates.
 */
export const xiCoords = (g: Mat): Float64Array => {
  const n = dimOf(g, 'xiCoords');
  const { x, s } = xiInv(g);
  if (n === 2) return Float64Array.from([x[2]!, s[0]!, s[1]!, s[3]!]);
  return Float64Array.from([x[7]!, x[2]!, x[3]!, s[0]!, s[1]!, s[2]!, s[4]!, s[5]!, s[8]!]);
};

/** Number of ξ coordinates of GL⁺(n). */
export const xiDim = (n: 2 | 3): number => (n === 2 ? 4 : 9);

// ---------------------------------------------------------------------------------------------
// The affine group Rⁿ ⋊ GL⁺(n)

/** An affine map x ↦ a·x + t, a ∈ GL⁺(n). */
export interface Affine {
  readonly a: Mat;
  readonly t: Vec;
}

/** (t₁, a₁)·(t₂, a₂) = (t₁ + a₁t₂, a₁a₂): first apply the right one. */
export const affMul = (f: Affine, g: Affine): Affine => ({ a: mul(f.a, g.a), t: add(f.t, apply(f.a, g.t)) });

/** (t, a)⁻¹ = (−a⁻¹t, a⁻¹). */
export const affInv = (f: Affine): Affine => {
  needGLPlus(f.a, 'affInv');
  const ai = inv(f.a, 'affInv');
  return { a: ai, t: scale(apply(ai, f.t), -1) };
};

/** f·x = a·x + t. */
export const affAct = (f: Affine, x: Vec): Vec => add(apply(f.a, x), f.t);

export { GroupError, mul, inv, det, apply, transpose };

/** Largest |log σ| over the singular values σ of g (how far g stretches or shrinks). */
export const svdLogStretch = (g: Mat): number => {
  const v = symEig(mul(transpose(g), g)).values;
  return Math.max(Math.abs(Math.log(v[0]!)), Math.abs(Math.log(v[v.length - 1]!))) / 2;
};
