// JS kernel of compact bilinear pooling (MCB): count sketches, FFT convolution, and its adjoint.
import { type McbAttrs, type McbHashes, halfSpectrum, mcbDef, mcbHashesOf } from '../../../src/prims/pooling';
import { fft, fftRealPair } from '../../../src/fft/index';
import { type Residual, twoCellKey } from '../../../src/backend/backend';
import { jsKernel, like, type JsTensor } from '../kernel';
import { sizeOf } from '../../../src/tensor/shape';
import { type FArray, alloc, dtypeOf } from '../../../src/tensor/tensor';

const lastOf = (t: JsTensor): number => t.shape[t.shape.length - 1]!;
const rowsOf = (t: JsTensor): number => sizeOf(t.shape) / lastOf(t);

// Hashes depend only on (attrs, dx, dy); drawing them is O(dx + dy) but keeps us from re-drawing
// them on every call of a training loop. Keyed by the attribute object's JSON.
const hashCache = new Map<string, McbHashes>();
const hashesFor = (a: McbAttrs, dx: number, dy: number): McbHashes => {
  const key = a.hashes ? JSON.stringify(a) + `|${dx}|${dy}` : `${a.seed}|${a.d}|${dx}|${dy}`;
  let h = hashCache.get(key);
  if (!h) {
    h = mcbHashesOf(a, dx, dy);
    if (hashCache.size > 256) hashCache.clear();
    hashCache.set(key, h);
  }
  return h;
};

/**
 * Count sketch of one row into `out[o .. o+d)`: out_b = Σ_{i: h(i)=b} s(i) x_i. Summed in double
 * precision, then stored in `out`'s precision, which every later step reads, so that recomputing
 * the sketch in backward reproduces the stored one bit for bit.
 */
const sketchRow = (x: FArray, xo: number, n: number, h: Int32Array, s: Int8Array, d: number, acc: Float64Array, out: FArray, o: number): void => {
  acc.fill(0);
  for (let i = 0; i < n; i++) acc[h[i]!] += s[i]! * x[xo + i]!;
  for (let b = 0; b < d; b++) out[o + b] = acc[b]!;
};

/** Scratch buffers of one sketch length, reused across rows. */
const scratch = (d: number) => ({
  acc: new Float64Array(d),
  ar: new Float64Array(d),
  ai: new Float64Array(d),
  br: new Float64Array(d),
  bi: new Float64Array(d),
  gr: new Float64Array(d),
  gi: new Float64Array(d),
});

/** Expand a stored half spectrum (bins 0..⌊d/2⌋) to the full Hermitian spectrum. */
const expand = (hr: FArray, hi: FArray, o: number, d: number, re: Float64Array, im: Float64Array): void => {
  const h = halfSpectrum(d);
  for (let k = 0; k < h; k++) {
    re[k] = hr[o + k]!;
    im[k] = hi[o + k]!;
  }
  for (let k = h; k < d; k++) {
    re[k] = re[d - k]!;
    im[k] = -im[d - k]!;
  }
};

/** The count sketches of every row of x and y, as the `sketch` variant keeps them (the map of `input ⇒ sketch`). */
const sketches = (a: McbAttrs, x: JsTensor, y: JsTensor): Residual<JsTensor> => {
  const [dx, dy, rows] = [lastOf(x), lastOf(y), rowsOf(x)];
  const { h1, s1, h2, s2 } = hashesFor(a, dx, dy);
  const psi1 = like(x, [...x.shape.slice(0, -1), a.d]);
  const psi2 = like(x, [...x.shape.slice(0, -1), a.d]);
  const acc = new Float64Array(a.d);
  for (let r = 0; r < rows; r++) {
    sketchRow(x.data, r * dx, dx, h1, s1, a.d, acc, psi1.data, r * a.d);
    sketchRow(y.data, r * dy, dy, h2, s2, a.d, acc, psi2.data, r * a.d);
  }
  return { psi1, psi2 };
};

/** The half spectra of every row of the sketches, as the `spectra` variant keeps them (the map of `sketch ⇒ spectra`). */
const halfSpectra = (d: number, psi1: JsTensor, psi2: JsTensor): Residual<JsTensor> => {
  const rows = rowsOf(psi1);
  const hs = halfSpectrum(d);
  const lead = psi1.shape.slice(0, -1);
  const [aRe, aIm, bRe, bIm] = [0, 1, 2, 3].map(() => like(psi1, [...lead, hs])) as [JsTensor, JsTensor, JsTensor, JsTensor];
  const sc = scratch(d);
  for (let r = 0; r < rows; r++) {
    fftRealPair(psi1.data.subarray(r * d, r * d + d), psi2.data.subarray(r * d, r * d + d), sc.ar, sc.ai, sc.br, sc.bi);
    for (let k = 0; k < hs; k++) {
      aRe.data[r * hs + k] = sc.ar[k]!;
      aIm.data[r * hs + k] = sc.ai[k]!;
      bRe.data[r * hs + k] = sc.br[k]!;
      bIm.data[r * hs + k] = sc.bi[k]!;
    }
  }
  return { aRe, aIm, bRe, bIm };
};

export const mcb = jsKernel(mcbDef, {
  forward: (n, _p, [x, y]) => {
    const a = n.attrs;
    const d = a.d;
    const dx = lastOf(x!);
    const dy = lastOf(y!);
    const rows = rowsOf(x!);
    const { h1, s1, h2, s2 } = hashesFor(a, dx, dy);
    const psi1 = like(x!, [...x!.shape.slice(0, -1), d]);
    const psi2 = like(x!, [...x!.shape.slice(0, -1), d]);
    const hs = halfSpectrum(d);
    const keepSpectra = n.variant === 'spectra';
    const spec = keepSpectra ? [0, 1, 2, 3].map(() => like(x!, [...x!.shape.slice(0, -1), hs])) : [];
    const z = like(x!, n.outputs[0]!);
    const sc = scratch(d);
    for (let r = 0; r < rows; r++) {
      const o = r * d;
      sketchRow(x!.data, r * dx, dx, h1, s1, d, sc.acc, psi1.data, o);
      sketchRow(y!.data, r * dy, dy, h2, s2, d, sc.acc, psi2.data, o);
      // Both real sketches in one complex transform.
      fftRealPair(psi1.data.subarray(o, o + d), psi2.data.subarray(o, o + d), sc.ar, sc.ai, sc.br, sc.bi);
      if (keepSpectra)
        for (let k = 0; k < hs; k++) {
          spec[0]!.data[r * hs + k] = sc.ar[k]!;
          spec[1]!.data[r * hs + k] = sc.ai[k]!;
          spec[2]!.data[r * hs + k] = sc.br[k]!;
          spec[3]!.data[r * hs + k] = sc.bi[k]!;
        }
      for (let k = 0; k < d; k++) {
        const re = sc.ar[k]! * sc.br[k]! - sc.ai[k]! * sc.bi[k]!;
        sc.gi[k] = sc.ar[k]! * sc.bi[k]! + sc.ai[k]! * sc.br[k]!;
        sc.gr[k] = re;
      }
      fft(sc.gr, sc.gi, true);
      for (let k = 0; k < d; k++) z.data[o + k] = sc.gr[k]!;
    }
    const residual: Record<string, JsTensor> =
      n.variant === 'input'
        ? { x: x!, y: y! }
        : n.variant === 'sketch'
          ? { psi1, psi2 }
          : { aRe: spec[0]!, aIm: spec[1]!, bRe: spec[2]!, bIm: spec[3]! };
    return { outputs: [z], residual };
  },
  backward: (n, _p, r, [g]) => {
    const a = n.attrs;
    const d = a.d;
    const [xs, ys] = n.inputs as [number[], number[]];
    const dx = xs[xs.length - 1]!;
    const dy = ys[ys.length - 1]!;
    const rows = sizeOf(xs) / dx;
    const { h1, s1, h2, s2 } = hashesFor(a, dx, dy);
    const gx = like(g!, xs);
    const gy = like(g!, ys);
    const dt = dtypeOf(g!.data);
    const hs = halfSpectrum(d);
    const sc = scratch(d);
    // Half spectra in the storage precision: read from the residual (spectra) or recomputed and
    // rounded to it (sketch, input), so every variant feeds identical numbers to the gradient.
    const half = [0, 1, 2, 3].map(() => alloc(dt, hs));
    const sk1 = alloc(dt, d);
    const sk2 = alloc(dt, d);
    for (let row = 0; row < rows; row++) {
      const o = row * d;
      if (n.variant === 'spectra') {
        expand(r.aRe!.data, r.aIm!.data, row * hs, d, sc.ar, sc.ai);
        expand(r.bRe!.data, r.bIm!.data, row * hs, d, sc.br, sc.bi);
      } else {
        let p1: FArray;
        let p2: FArray;
        if (n.variant === 'input') {
          sketchRow(r.x!.data, row * dx, dx, h1, s1, d, sc.acc, sk1, 0);
          sketchRow(r.y!.data, row * dy, dy, h2, s2, d, sc.acc, sk2, 0);
          p1 = sk1;
          p2 = sk2;
        } else {
          p1 = r.psi1!.data.subarray(o, o + d);
          p2 = r.psi2!.data.subarray(o, o + d);
        }
        fftRealPair(p1, p2, sc.ar, sc.ai, sc.br, sc.bi);
        for (let k = 0; k < hs; k++) {
          half[0]![k] = sc.ar[k]!;
          half[1]![k] = sc.ai[k]!;
          half[2]![k] = sc.br[k]!;
          half[3]![k] = sc.bi[k]!;
        }
        expand(half[0]!, half[1]!, 0, d, sc.ar, sc.ai);
        expand(half[2]!, half[3]!, 0, d, sc.br, sc.bi);
      }
      // G = FFT(g). Then ∂Ψ₁ = IFFT(G ⊙ conj B) and ∂Ψ₂ = IFFT(G ⊙ conj A) (cross-correlations);
      // both are real, so one inverse transform of P + iQ gives them as its real and imaginary parts.
      for (let k = 0; k < d; k++) {
        sc.gr[k] = g!.data[o + k]!;
        sc.gi[k] = 0;
      }
      fft(sc.gr, sc.gi, false);
      for (let k = 0; k < d; k++) {
        const Gr = sc.gr[k]!;
        const Gi = sc.gi[k]!;
        const pr = Gr * sc.br[k]! + Gi * sc.bi[k]!;
        const pi = Gi * sc.br[k]! - Gr * sc.bi[k]!;
        const qr = Gr * sc.ar[k]! + Gi * sc.ai[k]!;
        const qi = Gi * sc.ar[k]! - Gr * sc.ai[k]!;
        sc.gr[k] = pr - qi;
        sc.gi[k] = pi + qr;
      }
      fft(sc.gr, sc.gi, true);
      // The sketch's adjoint is a gather: ∂x_i = s₁(i) ∂Ψ₁[h₁(i)].
      for (let i = 0; i < dx; i++) gx.data[row * dx + i] = s1[i]! * sc.gr[h1[i]!]!;
      for (let j = 0; j < dy; j++) gy.data[row * dy + j] = s2[j]! * sc.gi[h2[j]!]!;
    }
    return { dInputs: [gx, gy], dParams: {} };
  },
  twoCells: {
    [twoCellKey('input', 'sketch')]: { r: (n, _p, m) => sketches(n.attrs, m.x!, m.y!) },
    [twoCellKey('sketch', 'spectra')]: { r: (n, _p, m) => halfSpectra(n.attrs.d, m.psi1!, m.psi2!) },
  },
});
