import {
  type Affine, type HaarWindow, type Mat, affInv, affMul, det, dimOf, glExp, glLog, maxAbsDiff, mul, normF, polar, slPolar,
  svdLogStretch, xi, xiInv,
} from '../src/groups/index';
import type { Rng } from '../src/tensor/rng';

/**
 * Laws of the matrix groups in src/groups: decompositions multiply back and are unique, exp/log
 * invert each other where defined, and the windowed Haar samplers are invariant in distribution.
 * Pure predicates and reports; the tests choose the seeds.
 */

/**
 * The decompositions and charts the laws below check (src/groups' by default); each law takes the one it
 * checks as an optional last argument, to check another implementation.
 */
export interface GroupImpl {
  readonly polar: (g: Mat) => { r: Mat; p: Mat };
  readonly slPolar: (g: Mat) => { r: Mat; s: Mat; lambda: number };
  readonly xi: (x: Mat, s: Mat) => Mat;
  readonly xiInv: (g: Mat) => { x: Mat; s: Mat };
  readonly glExp: (x: Mat) => Mat;
  readonly glLog: (g: Mat) => Mat;
  readonly affMul: (f: Affine, g: Affine) => Affine;
  readonly affInv: (f: Affine) => Affine;
}

const groups: GroupImpl = { polar, slPolar, xi, xiInv, glExp, glLog, affMul, affInv };

/** Largest entry error of R·P − g for the polar decomposition (≤ 1e-12 relative to |g| for the law). */
export const polarRoundTripError = (g: Mat, impl: Partial<GroupImpl> = {}): number => {
  const { r, p } = (impl.polar ?? groups.polar)(g);
  return maxAbsDiff(mul(r, p), g) / Math.max(1, normF(g));
};

/** Uniqueness: polar(R·P) returns (R, P) for R ∈ SO(n), P ∈ PD(n); the larger factor error. */
export const polarUniquenessError = (r: Mat, p: Mat, impl: Partial<GroupImpl> = {}): number => {
  const d = (impl.polar ?? groups.polar)(mul(r, p));
  return Math.max(maxAbsDiff(d.r, r), maxAbsDiff(d.p, p) / Math.max(1, normF(p)));
};

/** The SL analogue: g = R·S·λ^{1/n} with det S = 1; returns the worst of the product and det errors. */
export const slPolarError = (g: Mat, impl: Partial<GroupImpl> = {}): number => {
  const { r, s, lambda } = (impl.slPolar ?? groups.slPolar)(g);
  const n = dimOf(g);
  return Math.max(maxAbsDiff(mul(r, s).map((x) => x * lambda ** (1 / n)), g) / Math.max(1, normF(g)), Math.abs(det(s) - 1));
};

/** ξ(ξ⁻¹(g)) = g (the chart's round trip). */
export const xiRoundTripError = (g: Mat, impl: Partial<GroupImpl> = {}): number => {
  const { x, s } = (impl.xiInv ?? groups.xiInv)(g);
  return maxAbsDiff((impl.xi ?? groups.xi)(x, s), g) / Math.max(1, normF(g));
};

/** exp(log g) = g where the principal log exists. */
export const expLogRoundTripError = (g: Mat, impl: Partial<GroupImpl> = {}): number =>
  maxAbsDiff((impl.glExp ?? groups.glExp)((impl.glLog ?? groups.glLog)(g)), g) / Math.max(1, normF(g));

/** Group axioms of the affine group on three elements: associativity and inverses (worst entry error). */
export const affineAxiomError = (f: Affine, g: Affine, h: Affine, impl: Partial<GroupImpl> = {}): number => {
  const { affMul: m, affInv: inv } = { ...groups, ...impl };
  const a = m(m(f, g), h), b = m(f, m(g, h));
  const e = m(f, inv(f));
  const n = dimOf(f.a);
  const eye = Float64Array.from({ length: n * n }, (_, i) => (i % (n + 1) === 0 ? 1 : 0));
  return Math.max(maxAbsDiff(a.a, b.a), maxAbsDiff(a.t, b.t), maxAbsDiff(e.a, eye), Math.max(...Array.from(e.t, Math.abs)));
};

/** Outcome of a statistical invariance check: the mean difference, its standard error, and |mean|/σ. */
export interface InvarianceReport {
  readonly meanDiff: number;
  readonly stdErr: number;
  readonly z: number;
  /** The plain mean of f over the samples (to see that the test function is not trivially zero). */
  readonly mean: number;
}

/**
 * Haar invariance, statistically: with samples gᵢ of a windowed Haar measure and a test function f
 * supported where both gᵢ and its translate stay in the window, E f(t(g)) = E f(g) for a translation
 * t (left g ↦ h·g or right g ↦ g·h). Reports the paired mean difference in units of its standard
 * error; a law holds at |z| ≤ 6.
 */
export const haarInvariance = <G>(sample: (r: Rng) => G, translate: (g: G) => G, f: (g: G) => number, count: number, r: Rng): InvarianceReport => {
  let s = 0, s2 = 0, m = 0;
  for (let i = 0; i < count; i++) {
    const g = sample(r.fork(i));
    const d = f(translate(g)) - f(g);
    s += d;
    s2 += d * d;
    m += f(g);
  }
  const mean = s / count;
  const varD = Math.max(0, s2 / count - mean * mean);
  const stdErr = Math.sqrt(varD / (count - 1));
  return { meanDiff: mean, stdErr, z: stdErr > 0 ? Math.abs(mean) / stdErr : mean === 0 ? 0 : Infinity, mean: m / count };
};

/**
 * A smooth test function on the linear part supported where every |log σ| < `radius`, and not
 * invariant under any translation (it reads the entries of g).
 */
export const bumpTest = (radius: number) => (g: Mat): number => {
  const s = svdLogStretch(g);
  if (s >= radius) return 0;
  const b = (1 - (s / radius) ** 2) ** 2;
  return b * (1 + g[0]! + 0.5 * g[1]! - 0.7 * g[g.length - 1]! + g[0]! * g[1]!);
};

export type { HaarWindow };
