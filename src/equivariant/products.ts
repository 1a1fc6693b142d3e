/**
 * The two tensor products on single feature vectors (one channel), shared by the JS kernels, the
 * laws and the benchmark:
 *
 * - **dense**: `out_{l₃} = Σ_{paths (l₁,l₂,l₃)} w_p · C^p ⋅ (x1_{l₁} ⊗ x2_{l₂})`, a dense contraction per
 *   path with a real Clebsch–Gordan or real Gaunt tensor: O(L⁶) for L₁ = L₂ = L_out = L.
 * - **Gaunt**: with Gaunt coupling and no per-path weights the product is the SH projection of the
 *   pointwise product of the two functions, `b = P_{≤Lout}(f₁·f₂)`; computed as
 *   SH → 2-D Fourier grid (O(L³)), zero-padded 2-D FFT convolution (O(L² log L)) and
 *   Fourier grid → SH (O(L³)).
 *
 * @packageDocumentation
 */
import type { FArray } from '../tensor/tensor';
import { realClebschGordan, realGaunt, triangle } from './coupling';
import { fft2, nextPow2 } from './fft2';
import { type FourierTable, fourierToSh, shToFourier } from './fourier';

/** Which coupling coefficients a dense product uses. */
export type Coupling = 'cg' | 'gaunt';

/** One path l₁ ⊗ l₂ → l₃ of a dense product with its coupling tensor, (2l₁+1)×(2l₂+1)×(2l₃+1) row-major. */
export interface TPPath {
  readonly l1: number;
  readonly l2: number;
  readonly l3: number;
  readonly coeffs: Float64Array;
}

/**
 * A cache keeping the `cap` most recently used entries: coefficient tables are costly to build and
 * large, and attributes come from files, so an unbounded cache would grow with every new degree.
 */
class Recent<V> {
  private readonly m = new Map<string, V>();
  constructor(private readonly cap: number) {}
  get(k: string): V | undefined {
    const v = this.m.get(k);
    if (v !== undefined) {
      this.m.delete(k);
      this.m.set(k, v);
    }
    return v;
  }
  set(k: string, v: V): void {
    this.m.delete(k);
    this.m.set(k, v);
    if (this.m.size > this.cap) this.m.delete(this.m.keys().next().value!);
  }
}

const pathCache = new Recent<TPPath[]>(16);

/**
 * Most coupling coefficients per channel a dense product may have (`check` refuses more): computing
 * them takes about a second at this size (l1 = l2 = 8, lout = 16), and they grow as O(L⁶); the Gaunt
 * product covers higher degrees in O(L³).
 */
export const MAX_DENSE_COEFFICIENTS = 2 ** 20;

/** Paths and multiply-adds per channel of a dense product, counted without computing a coefficient. */
export const denseCounts = (L1: number, L2: number, Lout: number, coupling: Coupling): { paths: number; macs: number } => {
  let paths = 0;
  let macs = 0;
  for (let l1 = 0; l1 <= L1; l1++)
    for (let l2 = 0; l2 <= L2; l2++)
      for (let l3 = Math.abs(l1 - l2); l3 <= Math.min(l1 + l2, Lout); l3++) {
        if (coupling === 'gaunt' && (l1 + l2 + l3) % 2 !== 0) continue;
        paths++;
        macs += (2 * l1 + 1) * (2 * l2 + 1) * (2 * l3 + 1);
      }
  return { paths, macs };
};

/**
 * The paths of a dense product, in a fixed order (l₁ ascending, then l₂, then l₃): every l₃ ≤ Lout
 * with |l₁−l₂| ≤ l₃ ≤ l₁+l₂, and for Gaunt coupling only l₁+l₂+l₃ even (the others vanish).
 * The index of a path in this list is its column in the per-path weight matrix.
 */
export const tensorProductPaths = (L1: number, L2: number, Lout: number, coupling: Coupling): readonly TPPath[] => {
  const key = `${L1},${L2},${Lout},${coupling}`;
  let ps = pathCache.get(key);
  if (ps) return ps;
  ps = [];
  for (let l1 = 0; l1 <= L1; l1++)
    for (let l2 = 0; l2 <= L2; l2++)
      for (let l3 = Math.abs(l1 - l2); l3 <= Math.min(l1 + l2, Lout); l3++) {
        if (!triangle(l1, l2, l3)) continue;
        if (coupling === 'gaunt' && (l1 + l2 + l3) % 2 !== 0) continue;
        ps.push({ l1, l2, l3, coeffs: coupling === 'gaunt' ? realGaunt(l1, l2, l3).tensor : realClebschGordan(l1, l2, l3) });
      }
  pathCache.set(key, ps);
  return ps;
};

/** Dense product of one channel: `out += Σ_p w[p] C^p(x1, x2)` (out must be zeroed by the caller). */
export const denseForward = (
  paths: readonly TPPath[], w: ArrayLike<number>,
  x1: ArrayLike<number>, o1: number, x2: ArrayLike<number>, o2: number, out: FArray, o3: number,
): void => {
  for (let p = 0; p < paths.length; p++) {
    const { l1, l2, l3, coeffs } = paths[p]!;
    const wp = w[p]!;
    const d2 = 2 * l2 + 1, d3 = 2 * l3 + 1;
    const a0 = o1 + l1 * l1, b0 = o2 + l2 * l2, c0 = o3 + l3 * l3;
    for (let a = 0; a < 2 * l1 + 1; a++) {
      const xa = wp * x1[a0 + a]!;
      for (let b = 0; b < d2; b++) {
        const xab = xa * x2[b0 + b]!;
        const k = (a * d2 + b) * d3;
        for (let c = 0; c < d3; c++) out[c0 + c] += xab * coeffs[k + c]!;
      }
    }
  }
};

/**
 * Backward of `denseForward` for one channel: accumulates into dx1, dx2, and writes
 * `s[p] = ⟨dout, C^p(x1, x2)⟩` (the gradient of the path weight).
 */
export const denseBackward = (
  paths: readonly TPPath[], w: ArrayLike<number>,
  x1: ArrayLike<number>, o1: number, x2: ArrayLike<number>, o2: number, dout: ArrayLike<number>, o3: number,
  dx1: FArray, dx2: FArray, s: Float64Array,
): void => {
  for (let p = 0; p < paths.length; p++) {
    const { l1, l2, l3, coeffs } = paths[p]!;
    const wp = w[p]!;
    const d2 = 2 * l2 + 1, d3 = 2 * l3 + 1;
    const a0 = o1 + l1 * l1, b0 = o2 + l2 * l2, c0 = o3 + l3 * l3;
    let sp = 0;
    for (let a = 0; a < 2 * l1 + 1; a++) {
      const xa = x1[a0 + a]!;
      let ga = 0;
      for (let b = 0; b < d2; b++) {
        const k = (a * d2 + b) * d3;
        let t = 0;
        for (let c = 0; c < d3; c++) t += coeffs[k + c]! * dout[c0 + c]!;
        const xb = x2[b0 + b]!;
        ga += t * xb;
        dx2[b0 + b] += wp * t * xa;
      }
      dx1[a0 + a] += wp * ga;
      sp += ga * xa;
    }
    s[p] = sp;
  }
};

/** Precomputed tables and sizes of a Gaunt product with input degrees L₁, L₂ and output degree Lout. */
export interface GauntPlan {
  readonly L1: number;
  readonly L2: number;
  readonly Lout: number;
  /** FFT size: the smallest power of two ≥ 2(L₁+L₂)+1, so the circular convolution does not wrap. */
  readonly N: number;
  readonly to1: FourierTable;
  readonly to2: FourierTable;
  readonly from: FourierTable;
  /** For each compact grid cell of input 1 / 2, its index in the N×N FFT grid. */
  readonly pad1: Int32Array;
  readonly pad2: Int32Array;
  /** For each entry of `from`, its cell's index in the N×N grid. */
  readonly fromN: Int32Array;
  /** FFT rows that can be nonzero before the first pass (u = −L … L modulo N). */
  readonly rows1: readonly number[];
  readonly rows2: readonly number[];
  readonly rowsG: readonly number[];
}

const planCache = new Recent<GauntPlan>(16);
const mod = (a: number, n: number): number => ((a % n) + n) % n;

const padMap = (G: number, N: number): Int32Array => {
  const W = 2 * G + 1;
  const m = new Int32Array(W * W);
  for (let u = -G; u <= G; u++) for (let v = -G; v <= G; v++) m[(u + G) * W + (v + G)] = mod(u, N) * N + mod(v, N);
  return m;
};
const rowsOf = (G: number, N: number): number[] => Array.from({ length: 2 * G + 1 }, (_, i) => mod(i - G, N));

/** Build (or fetch from the cache) the tables of a Gaunt product. */
export const gauntPlan = (L1: number, L2: number, Lout: number): GauntPlan => {
  const key = `${L1},${L2},${Lout}`;
  let p = planCache.get(key);
  if (p) return p;
  if (Lout > L1 + L2) throw new RangeError(`gauntPlan: lout ${Lout} exceeds l1 + l2 = ${L1 + L2}`);
  const G = L1 + L2;
  const N = nextPow2(2 * G + 1);
  const from = fourierToSh(G, Lout);
  const padG = padMap(G, N);
  p = {
    L1, L2, Lout, N,
    to1: shToFourier(L1),
    to2: shToFourier(L2),
    from,
    pad1: padMap(L1, N),
    pad2: padMap(L2, N),
    fromN: Int32Array.from(from.cell, (c) => padG[c]!),
    rows1: rowsOf(L1, N),
    rows2: rowsOf(L2, N),
    rowsG: rowsOf(G, N),
  };
  planCache.set(key, p);
  return p;
};

/** Reusable float64 work space for one Gaunt plan (four N×N complex grids). */
export interface GauntScratch {
  readonly re: Float64Array[];
  readonly im: Float64Array[];
}

export const gauntScratch = (plan: GauntPlan): GauntScratch => ({
  re: Array.from({ length: 4 }, () => new Float64Array(plan.N * plan.N)),
  im: Array.from({ length: 4 }, () => new Float64Array(plan.N * plan.N)),
});

/** SH coefficients x[o …] → compact grid (Fre, Fim)[g …]. */
const toGrid = (t: FourierTable, x: ArrayLike<number>, o: number, Fre: FArray, Fim: FArray, g: number): void => {
  const W = 2 * t.G + 1;
  Fre.fill(0, g, g + W * W);
  Fim.fill(0, g, g + W * W);
  for (let e = 0; e < t.sh.length; e++) {
    const xv = x[o + t.sh[e]!]!;
    Fre[g + t.cell[e]!] += xv * t.re[e]!;
    Fim[g + t.cell[e]!] += xv * t.im[e]!;
  }
};

/** Compact grid → zero-padded N×N grid, then its FFT (only the rows that can be nonzero in the first pass). */
const padFft = (pad: Int32Array, rows: readonly number[], N: number, Fre: ArrayLike<number>, Fim: ArrayLike<number>, g: number, Pre: Float64Array, Pim: Float64Array): void => {
  Pre.fill(0);
  Pim.fill(0);
  for (let c = 0; c < pad.length; c++) {
    Pre[pad[c]!] = Fre[g + c]!;
    Pim[pad[c]!] = Fim[g + c]!;
  }
  fft2(Pre, Pim, N, false, rows);
};

/**
 * Gaunt product of one channel: writes the compact Fourier grids of a1 and a2 into (F1re, F1im) at
 * g1 and (F2re, F2im) at g2 and, when `b` is given, `b = P_{≤Lout}(f₁ f₂)` at ob.
 * Grids and b are written in the caller's precision, so a float32 run rounds them exactly as a
 * run that stores them does.
 */
export const gauntForward = (
  plan: GauntPlan, s: GauntScratch,
  a1: ArrayLike<number>, o1: number, a2: ArrayLike<number>, o2: number,
  F1re: FArray, F1im: FArray, g1: number, F2re: FArray, F2im: FArray, g2: number,
  b: FArray | null, ob: number,
): void => {
  toGrid(plan.to1, a1, o1, F1re, F1im, g1);
  toGrid(plan.to2, a2, o2, F2re, F2im, g2);
  if (!b) return;
  const { N } = plan;
  const [P1r, P2r] = s.re as [Float64Array, Float64Array];
  const [P1i, P2i] = s.im as [Float64Array, Float64Array];
  padFft(plan.pad1, plan.rows1, N, F1re, F1im, g1, P1r, P1i);
  padFft(plan.pad2, plan.rows2, N, F2re, F2im, g2, P2r, P2i);
  for (let k = 0; k < N * N; k++) {
    const r = P1r[k]! * P2r[k]! - P1i[k]! * P2i[k]!;
    P1i[k] = P1r[k]! * P2i[k]! + P1i[k]! * P2r[k]!;
    P1r[k] = r;
  }
  fft2(P1r, P1i, N, true);
  const { from, fromN } = plan;
  const nb = (plan.Lout + 1) ** 2;
  b.fill(0, ob, ob + nb);
  for (let e = 0; e < from.sh.length; e++) b[ob + from.sh[e]!] += from.re[e]! * P1r[fromN[e]!]! - from.im[e]! * P1i[fromN[e]!]!;
};

/**
 * Backward of the Gaunt product of one channel from its grids: given db = ∂loss/∂b, accumulates
 * ∂loss/∂a1 into da1 and ∂loss/∂a2 into da2. With g = ∂/∂Re + i∂/∂Im, the adjoint of the
 * projection is g_G = db·conj(T), of the convolution g_F1[j] = Σ_k g_G[k] conj(F2[k − j]) — a
 * correlation, computed as IFFT(FFT(g_G)·conj(FFT(F2))) — and of SH → grid da[sh] = Re Σ conj(S) g_F.
 */
export const gauntBackward = (
  plan: GauntPlan, s: GauntScratch,
  F1re: ArrayLike<number>, F1im: ArrayLike<number>, g1: number, F2re: ArrayLike<number>, F2im: ArrayLike<number>, g2: number,
  db: ArrayLike<number>, ob: number, da1: FArray, o1: number, da2: FArray, o2: number,
): void => {
  const { N, from, fromN } = plan;
  const [P1r, P2r, Gr, Qr] = s.re as [Float64Array, Float64Array, Float64Array, Float64Array];
  const [P1i, P2i, Gi, Qi] = s.im as [Float64Array, Float64Array, Float64Array, Float64Array];
  Gr.fill(0);
  Gi.fill(0);
  for (let e = 0; e < from.sh.length; e++) {
    const d = db[ob + from.sh[e]!]!;
    Gr[fromN[e]!] += d * from.re[e]!;
    Gi[fromN[e]!] -= d * from.im[e]!;
  }
  fft2(Gr, Gi, N, false, plan.rowsG);
  padFft(plan.pad1, plan.rows1, N, F1re, F1im, g1, P1r, P1i);
  padFft(plan.pad2, plan.rows2, N, F2re, F2im, g2, P2r, P2i);
  const side = (Pr: Float64Array, Pi: Float64Array, t: FourierTable, pad: Int32Array, da: FArray, o: number): void => {
    for (let k = 0; k < N * N; k++) {
      Qr[k] = Gr[k]! * Pr[k]! + Gi[k]! * Pi[k]!; // G · conj(P)
      Qi[k] = Gi[k]! * Pr[k]! - Gr[k]! * Pi[k]!;
    }
    fft2(Qr, Qi, N, true);
    for (let e = 0; e < t.sh.length; e++) {
      const c = pad[t.cell[e]!]!;
      da[o + t.sh[e]!] += t.re[e]! * Qr[c]! + t.im[e]! * Qi[c]!;
    }
  };
  side(P2r, P2i, plan.to1, plan.pad1, da1, o1);
  side(P1r, P1i, plan.to2, plan.pad2, da2, o2);
};

/** Flops of one 2-D FFT of size N with `rows` nonzero rows in the first pass (5 N log₂N per 1-D FFT). */
export const fft2Flops = (N: number, rows: number): number => 5 * N * Math.log2(N) * (rows + N);

/** Estimated flops of one channel's Gaunt forward (conversions, two FFTs, product, inverse FFT, projection). */
export const gauntForwardFlops = (p: GauntPlan): number =>
  4 * (p.to1.sh.length + p.to2.sh.length) + fft2Flops(p.N, p.rows1.length) + fft2Flops(p.N, p.rows2.length) + 6 * p.N * p.N + fft2Flops(p.N, p.N) + 4 * p.from.sh.length;

/** Estimated flops of one channel's Gaunt backward from its grids. */
export const gauntBackwardFlops = (p: GauntPlan): number =>
  4 * p.from.sh.length + fft2Flops(p.N, p.rowsG.length) + fft2Flops(p.N, p.rows1.length) + fft2Flops(p.N, p.rows2.length) + 2 * (6 * p.N * p.N + fft2Flops(p.N, p.N)) + 4 * (p.to1.sh.length + p.to2.sh.length);

/** Slots of the SH → Fourier table of degree L (its nonzeros are at most this): (2l+1)(4l+1) per degree l. */
const toSlots = (L: number): number => {
  let n = 0;
  for (let l = 0; l <= L; l++) n += (2 * l + 1) * (4 * l + 1);
  return n;
};

/** Slots of the Fourier (half-width G) → SH (degrees ≤ Lout) table: (4l+1)(2G+1) per degree l. */
const fromSlots = (G: number, Lout: number): number => {
  let n = 0;
  for (let l = 0; l <= Lout; l++) n += (4 * l + 1) * (2 * G + 1);
  return n;
};

/**
 * Flops of one channel's Gaunt forward and backward from the degrees alone, with table sizes counted
 * by their slots (an upper bound of their nonzeros): what `check` uses, so that checking never builds
 * a table. Otherwise the same terms as {@link gauntForwardFlops} and {@link gauntBackwardFlops}.
 */
export const gauntFlopsOf = (L1: number, L2: number, Lout: number): { forward: number; backward: number } => {
  const G = L1 + L2;
  const N = nextPow2(2 * G + 1);
  const to = toSlots(L1) + toSlots(L2);
  const from = fromSlots(G, Lout);
  const [r1, r2, rG] = [2 * L1 + 1, 2 * L2 + 1, 2 * G + 1];
  return {
    forward: 4 * to + fft2Flops(N, r1) + fft2Flops(N, r2) + 6 * N * N + fft2Flops(N, N) + 4 * from,
    backward: 4 * from + fft2Flops(N, rG) + fft2Flops(N, r1) + fft2Flops(N, r2) + 2 * (6 * N * N + fft2Flops(N, N)) + 4 * to,
  };
};

/** Multiply-adds of one channel's dense product: Σ_p (2l₁+1)(2l₂+1)(2l₃+1). */
export const denseMacs = (paths: readonly TPPath[]): number => paths.reduce((s, p) => s + p.coeffs.length, 0);
