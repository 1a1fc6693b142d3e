/**
 * A small private 2-D FFT (radix 2, sizes a power of two) for the Gaunt tensor product. Complex
 * values are kept as separate real and imaginary arrays. Forward: X[f] = Σₙ x[n] e^{−2πi fn/N};
 * inverse divides by N per axis, so `ifft2(fft2(x)) = x`.
 *
 * @packageDocumentation
 */

interface Twiddles {
  readonly cos: Float64Array;
  readonly sin: Float64Array;
  readonly rev: Uint32Array;
}

const cache = new Map<number, Twiddles>();

/** Smallest power of two ≥ n. */
export const nextPow2 = (n: number): number => {
  let p = 1;
  while (p < n) p *= 2;
  return p;
};

const twiddles = (n: number): Twiddles => {
  let t = cache.get(n);
  if (t) return t;
  if (n < 1 || (n & (n - 1)) !== 0) throw new RangeError(`fft2: size must be a power of two, got ${n}`);
  const cos = new Float64Array(n / 2);
  const sin = new Float64Array(n / 2);
  for (let k = 0; k < n / 2; k++) {
    cos[k] = Math.cos((2 * Math.PI * k) / n);
    sin[k] = Math.sin((2 * Math.PI * k) / n);
  }
  const rev = new Uint32Array(n);
  const bits = Math.log2(n);
  for (let i = 0; i < n; i++) {
    let r = 0;
    for (let b = 0; b < bits; b++) r |= ((i >> b) & 1) << (bits - 1 - b);
    rev[i] = r;
  }
  t = { cos, sin, rev };
  cache.set(n, t);
  return t;
};

/** In-place 1-D FFT of n values at re[off + k·stride], im[off + k·stride]. */
const fft1 = (re: Float64Array, im: Float64Array, off: number, stride: number, n: number, inverse: boolean): void => {
  const { cos, sin, rev } = twiddles(n);
  for (let i = 0; i < n; i++) {
    const j = rev[i]!;
    if (j > i) {
      const a = off + i * stride, b = off + j * stride;
      let t = re[a]!; re[a] = re[b]!; re[b] = t;
      t = im[a]!; im[a] = im[b]!; im[b] = t;
    }
  }
  const sgn = inverse ? 1 : -1;
  for (let size = 2; size <= n; size *= 2) {
    const half = size / 2;
    const step = n / size;
    for (let start = 0; start < n; start += size)
      for (let k = 0; k < half; k++) {
        const wr = cos[k * step]!;
        const wi = sgn * sin[k * step]!;
        const a = off + (start + k) * stride;
        const b = a + half * stride;
        const xr = re[b]! * wr - im[b]! * wi;
        const xi = re[b]! * wi + im[b]! * wr;
        re[b] = re[a]! - xr;
        im[b] = im[a]! - xi;
        re[a] = re[a]! + xr;
        im[a] = im[a]! + xi;
      }
  }
  if (inverse)
    for (let i = 0; i < n; i++) {
      re[off + i * stride] /= n;
      im[off + i * stride] /= n;
    }
};

/**
 * In-place 2-D FFT of an n×n row-major complex grid. `rows` lists the rows that may be nonzero
 * before the transform (the others are skipped in the first pass, since the FFT of zeros is zero);
 * omit it to transform every row.
 */
export const fft2 = (re: Float64Array, im: Float64Array, n: number, inverse = false, rows?: readonly number[]): void => {
  if (re.length !== n * n || im.length !== n * n) throw new RangeError(`fft2: expected ${n}×${n} = ${n * n} values, got ${re.length} and ${im.length}`);
  if (rows) for (const r of rows) fft1(re, im, r * n, 1, n, inverse);
  else for (let r = 0; r < n; r++) fft1(re, im, r * n, 1, n, inverse);
  // Columns through a contiguous buffer: strided access at n ≥ 64 thrashes the cache.
  const tr = colBuf(n, 0), ti = colBuf(n, 1);
  for (let c = 0; c < n; c++) {
    for (let r = 0; r < n; r++) {
      tr[r] = re[r * n + c]!;
      ti[r] = im[r * n + c]!;
    }
    fft1(tr, ti, 0, 1, n, inverse);
    for (let r = 0; r < n; r++) {
      re[r * n + c] = tr[r]!;
      im[r * n + c] = ti[r]!;
    }
  }
};

const bufs = new Map<number, [Float64Array, Float64Array]>();
const colBuf = (n: number, k: 0 | 1): Float64Array => {
  let b = bufs.get(n);
  if (!b) bufs.set(n, (b = [new Float64Array(n), new Float64Array(n)]));
  return b[k];
};
