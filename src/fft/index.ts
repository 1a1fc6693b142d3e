/**
 * Fast Fourier transforms of any length, in double precision, on split real/imaginary arrays.
 *
 * Powers of two use an iterative radix-2 Cooley–Tukey transform; every other length uses
 * Bluestein's chirp-z algorithm, which rewrites a length-n DFT as a circular convolution of
 * length m = 2^⌈log₂(2n−1)⌉ done with the radix-2 transform. Twiddles and chirps are computed once
 * per length and cached, so repeated transforms of one length (a sketch dimension) cost no trig.
 *
 * Conventions: forward `X_k = Σ_j x_j e^{−2πi jk/n}`; inverse `x_j = (1/n) Σ_k X_k e^{+2πi jk/n}`
 * (the 1/n is applied by the inverse, so `fft(…, true)` undoes `fft(…, false)`).
 *
 * @packageDocumentation
 */

/** A reusable transform of one length; `run` works in place. */
export interface FftPlan {
  readonly n: number;
  /** Transform `re`/`im` (length n) in place; the inverse includes the 1/n. */
  run(re: Float64Array, im: Float64Array, inverse: boolean): void;
}

const isPow2 = (n: number): boolean => n > 0 && (n & (n - 1)) === 0;

/** Radix-2 plan: bit-reversal permutation and the n/2 twiddles e^{−2πik/n}. */
const radix2Plan = (n: number): FftPlan => {
  const bits = Math.round(Math.log2(n));
  const rev = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    let r = 0;
    for (let b = 0; b < bits; b++) r |= ((i >>> b) & 1) << (bits - 1 - b);
    rev[i] = r;
  }
  const half = n >> 1;
  const cos = new Float64Array(half);
  const sin = new Float64Array(half);
  for (let k = 0; k < half; k++) {
    // Computed from the angle directly (not by repeated rotation) so errors do not accumulate.
    cos[k] = Math.cos((2 * Math.PI * k) / n);
    sin[k] = -Math.sin((2 * Math.PI * k) / n);
  }
  const run = (re: Float64Array, im: Float64Array, inverse: boolean): void => {
    for (let i = 0; i < n; i++) {
      const j = rev[i]!;
      if (j > i) {
        let t = re[i]!;
        re[i] = re[j]!;
        re[j] = t;
        t = im[i]!;
        im[i] = im[j]!;
        im[j] = t;
      }
    }
    const sgn = inverse ? -1 : 1;
    for (let size = 2; size <= n; size <<= 1) {
      const h = size >> 1;
      const step = n / size;
      for (let start = 0; start < n; start += size) {
        for (let k = 0; k < h; k++) {
          const wr = cos[k * step]!;
          const wi = sgn * sin[k * step]!;
          const a = start + k;
          const b = a + h;
          const br = re[b]! * wr - im[b]! * wi;
          const bi = re[b]! * wi + im[b]! * wr;
          re[b] = re[a]! - br;
          im[b] = im[a]! - bi;
          re[a] = re[a]! + br;
          im[a] = im[a]! + bi;
        }
      }
    }
    if (inverse) {
      const s = 1 / n;
      for (let i = 0; i < n; i++) {
        re[i] = re[i]! * s;
        im[i] = im[i]! * s;
      }
    }
  };
  return { n, run };
};

/**
 * Bluestein plan: with the chirp w_k = e^{−πi k²/n}, X_k = w_k · Σ_j (x_j w_j) · conj(w_{k−j}),
 * a convolution evaluated by a zero-padded radix-2 transform of length m ≥ 2n − 1.
 */
const bluesteinPlan = (n: number): FftPlan => {
  let m = 1;
  while (m < 2 * n - 1) m *= 2; // (not <<=: past 2^30 a 32-bit shift overflows and never ends)
  const inner = radix2Plan(m);
  const wr = new Float64Array(n);
  const wi = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    // k² mod 2n keeps the angle small, so large k lose no precision in the trig argument.
    const k2 = (k * k) % (2 * n);
    wr[k] = Math.cos((Math.PI * k2) / n);
    wi[k] = -Math.sin((Math.PI * k2) / n);
  }
  // Spectrum of the filter b_k = conj(w_|k|), wrapped circularly to length m.
  const br = new Float64Array(m);
  const bi = new Float64Array(m);
  br[0] = wr[0]!;
  bi[0] = -wi[0]!;
  for (let k = 1; k < n; k++) {
    br[k] = br[m - k] = wr[k]!;
    bi[k] = bi[m - k] = -wi[k]!;
  }
  inner.run(br, bi, false);
  const ar = new Float64Array(m);
  const ai = new Float64Array(m);
  const run = (re: Float64Array, im: Float64Array, inverse: boolean): void => {
    // The inverse is conj(F(conj x)) / n; conjugating the input and output gives it from the forward.
    const sgn = inverse ? -1 : 1;
    ar.fill(0);
    ai.fill(0);
    for (let k = 0; k < n; k++) {
      const xr = re[k]!;
      const xi = sgn * im[k]!;
      ar[k] = xr * wr[k]! - xi * wi[k]!;
      ai[k] = xr * wi[k]! + xi * wr[k]!;
    }
    inner.run(ar, ai, false);
    for (let k = 0; k < m; k++) {
      const r = ar[k]! * br[k]! - ai[k]! * bi[k]!;
      ai[k] = ar[k]! * bi[k]! + ai[k]! * br[k]!;
      ar[k] = r;
    }
    inner.run(ar, ai, true);
    const s = inverse ? 1 / n : 1;
    for (let k = 0; k < n; k++) {
      const r = ar[k]! * wr[k]! - ai[k]! * wi[k]!;
      const i = ar[k]! * wi[k]! + ai[k]! * wr[k]!;
      re[k] = r * s;
      im[k] = sgn * i * s;
    }
  };
  return { n, run };
};

const plans = new Map<number, FftPlan>();
const MAX_CACHED = 64;

/**
 * The cached plan for length `n` (radix-2 if n is a power of two, Bluestein otherwise).
 * A plan owns scratch buffers: do not call one plan re-entrantly.
 */
export const fftPlan = (n: number): FftPlan => {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`fft: length must be a positive integer, got ${n}`);
  let p = plans.get(n);
  if (!p) {
    p = isPow2(n) ? radix2Plan(n) : bluesteinPlan(n);
    // A small bound keeps memory in check if many lengths pass through; evict the oldest.
    if (plans.size >= MAX_CACHED) plans.delete(plans.keys().next().value!);
    plans.set(n, p);
  }
  return p;
};

/**
 * In-place complex DFT of any length: `re`, `im` are overwritten with the spectrum (or, with
 * `inverse`, with the inverse transform including the 1/n factor).
 *
 * @example
 * const re = Float64Array.of(1, 2, 3), im = new Float64Array(3);
 * fft(re, im, false); // re = [6, −1.5, −1.5], im = [0, 0.866…, −0.866…]
 */
export const fft = (re: Float64Array, im: Float64Array, inverse = false): void => {
  if (re.length !== im.length) throw new RangeError(`fft: re has length ${re.length} but im has ${im.length}`);
  if (re.length === 0) return;
  fftPlan(re.length).run(re, im, inverse);
};

/**
 * Spectrum of a real sequence: returns fresh full-length `re`, `im` arrays (the spectrum is
 * Hermitian, X_{n−k} = conj X_k).
 */
export const rfft = (x: ArrayLike<number>): { re: Float64Array; im: Float64Array } => {
  const re = Float64Array.from(x);
  const im = new Float64Array(re.length);
  fft(re, im, false);
  return { re, im };
};

/**
 * Spectra of two real sequences of one length with a single complex transform: transform
 * z = a + i·b, then A_k = (Z_k + conj Z_{n−k}) / 2 and B_k = (Z_k − conj Z_{n−k}) / 2i.
 * Writes into the four output arrays (each of length n).
 */
export const fftRealPair = (
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  aRe: Float64Array,
  aIm: Float64Array,
  bRe: Float64Array,
  bIm: Float64Array,
): void => {
  const n = a.length;
  if (b.length !== n) throw new RangeError(`fftRealPair: lengths differ (${n} vs ${b.length})`);
  const zr = aRe;
  const zi = aIm;
  for (let k = 0; k < n; k++) {
    zr[k] = a[k]!;
    zi[k] = b[k]!;
  }
  fft(zr, zi, false);
  // Split in place: pairs (k, n−k) are read before either is written.
  for (let k = 0; k <= n - k; k++) {
    const j = (n - k) % n;
    const xr = zr[k]!;
    const xi = zi[k]!;
    const yr = zr[j]!;
    const yi = zi[j]!;
    bRe[k] = (xi + yi) / 2;
    bIm[k] = (yr - xr) / 2;
    bRe[j] = (yi + xi) / 2;
    bIm[j] = (xr - yr) / 2;
    aRe[k] = (xr + yr) / 2;
    aIm[k] = (xi - yi) / 2;
    aRe[j] = (yr + xr) / 2;
    aIm[j] = (yi - xi) / 2;
  }
};

/**
 * In-place 2-D DFT of a row-major `rows × cols` complex array: transform every row, then every
 * column (each of any length).
 */
export const fft2d = (re: Float64Array, im: Float64Array, rows: number, cols: number, inverse = false): void => {
  if (re.length !== rows * cols || im.length !== rows * cols)
    throw new RangeError(`fft2d: ${rows}×${cols} needs ${rows * cols} elements, got re ${re.length}, im ${im.length}`);
  if (rows === 0 || cols === 0) return;
  const rp = fftPlan(cols);
  const rr = new Float64Array(cols);
  const ri = new Float64Array(cols);
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    rr.set(re.subarray(o, o + cols));
    ri.set(im.subarray(o, o + cols));
    rp.run(rr, ri, inverse);
    re.set(rr, o);
    im.set(ri, o);
  }
  const cp = fftPlan(rows);
  const cr = new Float64Array(rows);
  const ci = new Float64Array(rows);
  for (let c = 0; c < cols; c++) {
    for (let r = 0; r < rows; r++) {
      cr[r] = re[r * cols + c]!;
      ci[r] = im[r * cols + c]!;
    }
    cp.run(cr, ci, inverse);
    for (let r = 0; r < rows; r++) {
      re[r * cols + c] = cr[r]!;
      im[r * cols + c] = ci[r]!;
    }
  }
};

/** The O(n²) DFT by definition, the reference the fast transforms are tested against. */
export const dftNaive = (re: ArrayLike<number>, im: ArrayLike<number>, inverse = false): { re: Float64Array; im: Float64Array } => {
  const n = re.length;
  const or = new Float64Array(n);
  const oi = new Float64Array(n);
  const sgn = inverse ? 1 : -1;
  for (let k = 0; k < n; k++) {
    let sr = 0;
    let si = 0;
    for (let j = 0; j < n; j++) {
      const ang = (sgn * 2 * Math.PI * ((j * k) % n)) / n;
      const c = Math.cos(ang);
      const s = Math.sin(ang);
      sr += re[j]! * c - im[j]! * s;
      si += re[j]! * s + im[j]! * c;
    }
    or[k] = inverse ? sr / n : sr;
    oi[k] = inverse ? si / n : si;
  }
  return { re: or, im: oi };
};

/**
 * Circular convolution of two real sequences of one length n:
 * `out_k = Σ_j a_j b_{(k−j) mod n}`, via one paired real FFT and one inverse.
 */
export const circularConvolve = (a: ArrayLike<number>, b: ArrayLike<number>): Float64Array => {
  const n = a.length;
  const ar = new Float64Array(n);
  const ai = new Float64Array(n);
  const br = new Float64Array(n);
  const bi = new Float64Array(n);
  fftRealPair(a, b, ar, ai, br, bi);
  for (let k = 0; k < n; k++) {
    const r = ar[k]! * br[k]! - ai[k]! * bi[k]!;
    ai[k] = ar[k]! * bi[k]! + ai[k]! * br[k]!;
    ar[k] = r;
  }
  fft(ar, ai, true);
  return ar;
};

/**
 * Circular cross-correlation of two real sequences: `out_j = Σ_k g_k b_{(k−j) mod n}`, the adjoint
 * of convolution by `b` (so the gradient of `conv(a, b)` with respect to `a` is `correlate(g, b)`).
 */
export const circularCorrelate = (g: ArrayLike<number>, b: ArrayLike<number>): Float64Array => {
  const n = g.length;
  const gr = new Float64Array(n);
  const gi = new Float64Array(n);
  const br = new Float64Array(n);
  const bi = new Float64Array(n);
  fftRealPair(g, b, gr, gi, br, bi);
  for (let k = 0; k < n; k++) {
    // G · conj(B)
    const r = gr[k]! * br[k]! + gi[k]! * bi[k]!;
    gi[k] = gi[k]! * br[k]! - gr[k]! * bi[k]!;
    gr[k] = r;
  }
  fft(gr, gi, true);
  return gr;
};
