/**
 * Sparse conversion tables between real SH coefficients and 2-D Fourier coefficients on the torus
 * (θ, φ) ∈ [0, 2π)², after "Enabling Efficient Equivariant Operations in the Fourier Basis via Gaunt
 * Tensor Products" (Luo et al., 2024).
 *
 * Each real SH extends to the torus as `Y_{l,m}(θ, φ) = c·sin^|m|θ·Q_l^|m|(cos θ)·trig(mφ)` (signed
 * sin θ), a trigonometric polynomial of degree l in θ and exactly |m| in φ, so
 * `Y_{l,m} = Σ_{|u| ≤ l, v = ±m} y^{l,m}_{u,v} e^{i(uθ + vφ)}` (nonzero only at v = ±m). A function of
 * degree ≤ L becomes a (2L+1)×(2L+1) complex grid `F[u + L, v + L]`, and the product of two functions
 * is the 2-D convolution of their grids. Projecting a grid back to SH,
 * `b_{l,m} = ∫_{S²} f Y_{l,m} dΩ = Σ_{u,v} F[u,v] ∫₀^π e^{iuθ} Θ(θ) sin θ dθ · ∫₀^{2π} e^{ivφ} trig(mφ) dφ`,
 * is dense in u but again nonzero only at v = ±m. Both tables are exact up to float64 rounding: the
 * θ-coefficients come from a DFT of a trigonometric polynomial sampled above its Nyquist rate, and the
 * θ-integrals from closed forms.
 *
 * @packageDocumentation
 */
import { legendreQ, shIndex, shNorm } from './sh';

/** A sparse complex matrix between SH coefficients and grid cells, entries sorted by SH index. */
export interface FourierTable {
  /** SH index `l² + l + m` of each entry. */
  readonly sh: Int32Array;
  /** Cell `(u + G)·(2G+1) + (v + G)` of each entry in a grid of half-width G. */
  readonly cell: Int32Array;
  readonly re: Float64Array;
  readonly im: Float64Array;
  /** Half-width of the grid (largest |u|, |v|). */
  readonly G: number;
  /** Largest SH degree. */
  readonly L: number;
}

/**
 * θ-Fourier coefficients of `Θ_{l,k}(θ) = sin^k θ · Q_l^k(cos θ)` for all 0 ≤ k ≤ l ≤ L:
 * `t[l][k]` holds re and im for u = −L … L (index u + L).
 */
const thetaCoefficients = (L: number): { re: Float64Array; im: Float64Array }[][] => {
  const K = 2 * L + 1; // more samples than the trigonometric degree needs: the DFT is exact
  const out = Array.from({ length: L + 1 }, (_, l) =>
    Array.from({ length: l + 1 }, () => ({ re: new Float64Array(K), im: new Float64Array(K) })),
  );
  // e^{−2πi·uj/K} depends only on uj mod K: K cosines and sines instead of two per (j, u, l, k).
  const cosT = Float64Array.from({ length: K }, (_, r) => Math.cos((-2 * Math.PI * r) / K));
  const sinT = Float64Array.from({ length: K }, (_, r) => Math.sin((-2 * Math.PI * r) / K));
  for (let j = 0; j < K; j++) {
    const th = (2 * Math.PI * j) / K;
    const s = Math.sin(th);
    const q = legendreQ(L, Math.cos(th));
    for (let k = 0; k <= L; k++) {
      const sk = s ** k;
      for (let l = k; l <= L; l++) {
        const val = (sk * q[l]![k]!) / K;
        const t = out[l]![k]!;
        // r = u·j mod K, stepped rather than recomputed.
        for (let u = -L, r = (((-L * j) % K) + K) % K; u <= L; u++, r = r + j >= K ? r + j - K : r + j) {
          t.re[u + L] += val * cosT[r]!;
          t.im[u + L] += val * sinT[r]!;
        }
      }
    }
  }
  return out;
};

/**
 * Azimuthal factors: `trig_m(φ) = Σ_v p_v e^{ivφ}` (as [v, re, im]) for the Fourier side, and
 * `∫₀^{2π} e^{ivφ} trig_m(φ) dφ` (as [v, re, im]) for the projection.
 */
const phiSeries = (m: number): [number, number, number][] =>
  m === 0 ? [[0, 1, 0]] : m > 0 ? [[m, 0.5, 0], [-m, 0.5, 0]] : [[-m, 0, -0.5], [m, 0, 0.5]];
const phiIntegral = (m: number): [number, number, number][] =>
  m === 0 ? [[0, 2 * Math.PI, 0]] : m > 0 ? [[m, Math.PI, 0], [-m, Math.PI, 0]] : [[-m, 0, Math.PI], [m, 0, -Math.PI]];

const build = (L: number, G: number, rows: [number, number, number, number, number][]): FourierTable => {
  rows.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  return {
    sh: Int32Array.from(rows, (r) => r[0]),
    cell: Int32Array.from(rows, (r) => r[1]),
    re: Float64Array.from(rows, (r) => r[2]),
    im: Float64Array.from(rows, (r) => r[3]),
    G,
    L,
  };
};

/**
 * SH (degrees ≤ L) → 2-D Fourier grid of half-width L: `F[cell] = Σ x[sh]·(re + i·im)`.
 * About 2(L+1)²(2L+1)·(2/3) nonzeros: O(L³).
 */
export const shToFourier = (L: number): FourierTable => {
  const t = thetaCoefficients(L);
  const W = 2 * L + 1;
  const rows: [number, number, number, number, number][] = [];
  for (let l = 0; l <= L; l++)
    for (let m = -l; m <= l; m++) {
      const c = shNorm(l, m);
      const tt = t[l]![Math.abs(m)]!;
      for (const [v, pr, pi] of phiSeries(m))
        for (let u = -l; u <= l; u++) {
          const ar = tt.re[u + L]!, ai = tt.im[u + L]!;
          const re = c * (ar * pr - ai * pi);
          const im = c * (ar * pi + ai * pr);
          if (re !== 0 || im !== 0) rows.push([shIndex(l, m), (u + L) * W + (v + L), re, im, 0]);
        }
    }
  return build(L, L, rows);
};

/**
 * 2-D Fourier grid of half-width G → SH of degrees ≤ Lout: `b[sh] = Re Σ (re + i·im)·F[cell]`
 * (the grid of a real function is Hermitian, so the imaginary part of the sum vanishes). Needs
 * Lout ≤ G. Nonzeros: (Lout+1)²·2·(2G+1), O(L³).
 */
export const fourierToSh = (G: number, Lout: number): FourierTable => {
  if (Lout > G) throw new RangeError(`fourierToSh: output degree ${Lout} exceeds the grid half-width ${G}`);
  const t = thetaCoefficients(Lout);
  const W = 2 * G + 1;
  // J_{l,k}(u) = ∫₀^π e^{iuθ} Θ_{l,k}(θ) sin θ dθ for every u, as [re, im] pairs: Θ·sin θ = Σ_w c_w e^{iwθ}
  // with sin θ = (e^{iθ} − e^{−iθ})/2i, so c_w = (t_{w−1} − t_{w+1})/2i, and ∫₀^π e^{inθ} dθ is π at
  // n = 0, 2i/n for odd n and 0 for even n ≠ 0 (those terms are skipped).
  const integrals = (l: number, k: number): Float64Array => {
    const tt = t[l]![k]!;
    const at = (w: number, im: boolean): number => (Math.abs(w) <= Lout ? (im ? tt.im : tt.re)[w + Lout]! : 0);
    const nw = 2 * l + 3;
    const cr = new Float64Array(nw);
    const ci = new Float64Array(nw);
    for (let w = -(l + 1); w <= l + 1; w++) {
      cr[w + l + 1] = (at(w - 1, true) - at(w + 1, true)) / 2; // (a − b)/(2i) = −i(a − b)/2
      ci[w + l + 1] = -(at(w - 1, false) - at(w + 1, false)) / 2;
    }
    const J = new Float64Array(2 * W);
    for (let u = -G; u <= G; u++) {
      let jr = 0;
      let ji = 0;
      // Only n = u + w = 0 and odd n contribute: start at the first w of the right parity, step by 2.
      const w0 = -(l + 1);
      for (let w = (u + w0) % 2 === 0 && u + w0 !== 0 ? w0 + 1 : w0; w <= l + 1; w++) {
        const n = u + w;
        if (n !== 0 && n % 2 === 0) continue;
        const a = cr[w + l + 1]!;
        const b = ci[w + l + 1]!;
        if (a === 0 && b === 0) continue;
        if (n === 0) {
          jr += a * Math.PI;
          ji += b * Math.PI;
        } else {
          const e = 2 / n;
          jr += -b * e;
          ji += a * e;
        }
      }
      J[2 * (u + G)] = jr;
      J[2 * (u + G) + 1] = ji;
    }
    return J;
  };
  // Entries come out sorted by SH index, then cell (u, then v), as `build` would sort them.
  let n = 0;
  let cap = 1024;
  let sh = new Int32Array(cap);
  let cell = new Int32Array(cap);
  let re = new Float64Array(cap);
  let im = new Float64Array(cap);
  const push = (s: number, c: number, r: number, i: number) => {
    if (n === cap) {
      cap *= 2;
      const grow = <A extends Int32Array | Float64Array>(a: A, make: (k: number) => A): A => {
        const b = make(cap);
        b.set(a);
        return b;
      };
      sh = grow(sh, (k) => new Int32Array(k));
      cell = grow(cell, (k) => new Int32Array(k));
      re = grow(re, (k) => new Float64Array(k));
      im = grow(im, (k) => new Float64Array(k));
    }
    sh[n] = s;
    cell[n] = c;
    re[n] = r;
    im[n] = i;
    n++;
  };
  for (let l = 0; l <= Lout; l++) {
    const Js = Array.from({ length: l + 1 }, (_, k) => integrals(l, k));
    for (let m = -l; m <= l; m++) {
      const J = Js[Math.abs(m)]!;
      const c = shNorm(l, m);
      const terms = phiIntegral(m).sort((x, y) => x[0] - y[0]);
      for (let u = -G; u <= G; u++) {
        const jr = J[2 * (u + G)]!, ji = J[2 * (u + G) + 1]!;
        for (const [v, pr, pi] of terms) {
          const r = c * (jr * pr - ji * pi);
          const i = c * (jr * pi + ji * pr);
          if (r !== 0 || i !== 0) push(shIndex(l, m), (u + G) * W + (v + G), r, i);
        }
      }
    }
  }
  return { sh: sh.slice(0, n), cell: cell.slice(0, n), re: re.slice(0, n), im: im.slice(0, n), G, L: Lout };
};
