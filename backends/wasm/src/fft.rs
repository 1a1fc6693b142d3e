//! Complex FFTs in f64 for the tensor products and compact bilinear pooling: an iterative radix-2
//! transform, Bluestein's chirp-z transform on top of it for any other length, and a 2-D transform
//! over a square power-of-two grid that skips rows known to be zero in the first pass. Forward:
//! X[f] = Σₙ x[n] e^{−2πi fn/N}; the inverse divides by N (per axis), as in `src/fft` and
//! `src/equivariant/fft2.ts`.
//!
//! Plans (twiddles stored per stage contiguously, bit reversal, Bluestein's chirp and its spectrum)
//! are made once per length and cached for the life of the instance (`plan`). Butterflies run two
//! at a time in `f64x2` lanes (no FMA in SIMD128: the same multiplies and adds as the scalar form,
//! so results are bit-identical to it); the 2-D transform's column pass runs the butterflies on
//! whole rows, two columns per lane pair, instead of gathering each column.

use core::arch::wasm32::*;
use std::f64::consts::PI;

#[inline(always)]
unsafe fn ld(p: *const f64) -> v128 {
    v128_load(p as *const v128)
}

#[inline(always)]
unsafe fn st(p: *mut f64, v: v128) {
    v128_store(p as *mut v128, v)
}

/// Two butterflies in lanes: `(a, b) ← (a + w b, a − w b)` on split re/im.
#[inline(always)]
unsafe fn bfly2(ar: *mut f64, ai: *mut f64, br: *mut f64, bi: *mut f64, wr: v128, wi: v128) {
    let (vbr, vbi) = (ld(br), ld(bi));
    let xr = f64x2_sub(f64x2_mul(vbr, wr), f64x2_mul(vbi, wi));
    let xi = f64x2_add(f64x2_mul(vbr, wi), f64x2_mul(vbi, wr));
    let (var, vai) = (ld(ar), ld(ai));
    st(br, f64x2_sub(var, xr));
    st(bi, f64x2_sub(vai, xi));
    st(ar, f64x2_add(var, xr));
    st(ai, f64x2_add(vai, xi));
}

/// `x[k] *= s` for k < n (pairs in lanes).
pub unsafe fn scale(x: &mut [f64], s: f64) {
    let n = x.len();
    let p = x.as_mut_ptr();
    let vs = f64x2_splat(s);
    let mut k = 0;
    while k + 2 <= n {
        st(p.add(k), f64x2_mul(ld(p.add(k)), vs));
        k += 2;
    }
    if k < n {
        *p.add(k) *= s;
    }
}

/// `(ar, ai) ← (ar, ai) ⊙ (br, bi)` (complex, pointwise; pairs in lanes).
pub unsafe fn cmul(ar: &mut [f64], ai: &mut [f64], br: &[f64], bi: &[f64]) {
    let n = ar.len().min(ai.len()).min(br.len()).min(bi.len());
    let (pr, pi, qr, qi) = (ar.as_mut_ptr(), ai.as_mut_ptr(), br.as_ptr(), bi.as_ptr());
    let mut k = 0;
    while k + 2 <= n {
        let (xr, xi, yr, yi) = (ld(pr.add(k)), ld(pi.add(k)), ld(qr.add(k)), ld(qi.add(k)));
        st(pr.add(k), f64x2_sub(f64x2_mul(xr, yr), f64x2_mul(xi, yi)));
        st(pi.add(k), f64x2_add(f64x2_mul(xr, yi), f64x2_mul(xi, yr)));
        k += 2;
    }
    while k < n {
        let (xr, xi, yr, yi) = (*pr.add(k), *pi.add(k), *qr.add(k), *qi.add(k));
        *pr.add(k) = xr * yr - xi * yi;
        *pi.add(k) = xr * yi + xi * yr;
        k += 1;
    }
}

/// Radix-2 plan of a power-of-two length.
pub struct Radix2 {
    pub n: usize,
    /// Twiddles of the stage with half-size h at [h, 2h): cos, sin of 2π k/(2h), k < h.
    tw_re: Vec<f64>,
    tw_im: Vec<f64>,
    rev: Vec<u32>,
}

impl Radix2 {
    pub fn new(n: usize) -> Radix2 {
        let mut tw_re = vec![0.0; n.max(2)];
        let mut tw_im = vec![0.0; n.max(2)];
        let mut h = 1;
        while h < n {
            let step = n / (2 * h);
            for k in 0..h {
                // the same angle, computed the same way, as a table over n indexed by k·step
                let a = 2.0 * PI * ((k * step) as f64) / (n as f64);
                tw_re[h + k] = a.cos();
                tw_im[h + k] = a.sin();
            }
            h *= 2;
        }
        let bits = n.trailing_zeros();
        let rev = (0..n as u32)
            .map(|i| if bits == 0 { 0 } else { i.reverse_bits() >> (32 - bits) })
            .collect();
        Radix2 { n, tw_re, tw_im, rev }
    }

    /// In place, unscaled in both directions (`inverse` flips the sign of the exponent).
    pub fn run_unscaled(&self, re: &mut [f64], im: &mut [f64], inverse: bool) {
        let n = self.n;
        assert!(re.len() >= n && im.len() >= n);
        for i in 0..n {
            let j = self.rev[i] as usize;
            if j > i {
                re.swap(i, j);
                im.swap(i, j);
            }
        }
        let sgn = if inverse { 1.0 } else { -1.0 };
        let (pr, pi) = (re.as_mut_ptr(), im.as_mut_ptr());
        unsafe {
            // h = 1: the twiddle is 1
            if n >= 2 {
                let mut a = 0;
                while a < n {
                    let (br, bi) = (*pr.add(a + 1), *pi.add(a + 1));
                    let (ar, ai) = (*pr.add(a), *pi.add(a));
                    *pr.add(a + 1) = ar - br;
                    *pi.add(a + 1) = ai - bi;
                    *pr.add(a) = ar + br;
                    *pi.add(a) = ai + bi;
                    a += 2;
                }
            }
            let vs = f64x2_splat(sgn);
            let mut h = 2;
            while h < n {
                let (twr, twi) = (self.tw_re.as_ptr().add(h), self.tw_im.as_ptr().add(h));
                let mut start = 0;
                while start < n {
                    let mut k = 0;
                    while k < h {
                        let wr = ld(twr.add(k));
                        let wi = f64x2_mul(vs, ld(twi.add(k)));
                        let a = start + k;
                        bfly2(pr.add(a), pi.add(a), pr.add(a + h), pi.add(a + h), wr, wi);
                        k += 2;
                    }
                    start += 2 * h;
                }
                h *= 2;
            }
        }
    }

    /// The same transform along the columns of an n×n row-major grid: butterflies on whole rows.
    unsafe fn run_columns(&self, re: &mut [f64], im: &mut [f64], inverse: bool) {
        let n = self.n;
        if n < 2 {
            return;
        }
        let (pr, pi) = (re.as_mut_ptr(), im.as_mut_ptr());
        for i in 0..n {
            let j = self.rev[i] as usize;
            if j > i {
                std::ptr::swap_nonoverlapping(pr.add(i * n), pr.add(j * n), n);
                std::ptr::swap_nonoverlapping(pi.add(i * n), pi.add(j * n), n);
            }
        }
        let sgn = if inverse { 1.0 } else { -1.0 };
        let mut h = 1;
        while h < n {
            let mut start = 0;
            while start < n {
                for k in 0..h {
                    let wr = f64x2_splat(self.tw_re[h + k]);
                    let wi = f64x2_splat(sgn * self.tw_im[h + k]);
                    let (a, b) = ((start + k) * n, (start + k + h) * n);
                    let mut c = 0;
                    while c < n {
                        bfly2(pr.add(a + c), pi.add(a + c), pr.add(b + c), pi.add(b + c), wr, wi);
                        c += 2;
                    }
                }
                start += 2 * h;
            }
            h *= 2;
        }
    }
}

/// A plan for any length n ≥ 1: radix-2 when n is a power of two, Bluestein otherwise.
pub struct Fft {
    pub n: usize,
    pub r2: Radix2,
    /// Bluestein: chirp w_k = e^{−iπk²/n} (k < n), FFT of the padded conjugate chirp, scratch.
    chirp_re: Vec<f64>,
    chirp_im: Vec<f64>,
    bre: Vec<f64>,
    bim: Vec<f64>,
    sre: Vec<f64>,
    sim: Vec<f64>,
}

static mut PLANS: Vec<Box<Fft>> = Vec::new();

/// The cached plan of length n (made on first use; kept for the life of the instance).
pub unsafe fn plan(n: usize) -> &'static mut Fft {
    let i = match PLANS.iter().position(|p| p.n == n) {
        Some(i) => i,
        None => {
            PLANS.push(Box::new(Fft::new(n)));
            PLANS.len() - 1
        }
    };
    &mut *PLANS[i]
}

impl Fft {
    pub fn new(n: usize) -> Fft {
        if n.is_power_of_two() {
            return Fft { n, r2: Radix2::new(n), chirp_re: vec![], chirp_im: vec![], bre: vec![], bim: vec![], sre: vec![], sim: vec![] };
        }
        let m = (2 * n - 1).next_power_of_two();
        let r2 = Radix2::new(m);
        let mut chirp_re = vec![0.0; n];
        let mut chirp_im = vec![0.0; n];
        for k in 0..n {
            // k² mod 2n keeps the angle small and exact
            let k2 = ((k as u64 * k as u64) % (2 * n as u64)) as f64;
            let a = -PI * k2 / (n as f64);
            chirp_re[k] = a.cos();
            chirp_im[k] = a.sin();
        }
        let mut bre = vec![0.0; m];
        let mut bim = vec![0.0; m];
        for k in 0..n {
            bre[k] = chirp_re[k];
            bim[k] = -chirp_im[k];
            if k > 0 {
                bre[m - k] = chirp_re[k];
                bim[m - k] = -chirp_im[k];
            }
        }
        r2.run_unscaled(&mut bre, &mut bim, false);
        Fft { n, r2, chirp_re, chirp_im, bre, bim, sre: vec![0.0; m], sim: vec![0.0; m] }
    }

    /// In place on `re[..n]`, `im[..n]`; the inverse divides by n.
    pub fn run(&mut self, re: &mut [f64], im: &mut [f64], inverse: bool) {
        let n = self.n;
        if self.chirp_re.is_empty() {
            self.r2.run_unscaled(&mut re[..n], &mut im[..n], inverse);
        } else {
            // The inverse through the forward transform: IDFT(x) = conj(DFT(conj x)) / n.
            let s = if inverse { -1.0 } else { 1.0 };
            let m = self.r2.n;
            let (sre, sim) = (&mut self.sre, &mut self.sim);
            sre[..n].copy_from_slice(&re[..n]);
            for k in 0..n {
                sim[k] = s * im[k];
            }
            unsafe { cmul(&mut sre[..n], &mut sim[..n], &self.chirp_re, &self.chirp_im) };
            for k in n..m {
                sre[k] = 0.0;
                sim[k] = 0.0;
            }
            self.r2.run_unscaled(sre, sim, false);
            unsafe { cmul(sre, sim, &self.bre, &self.bim) };
            self.r2.run_unscaled(sre, sim, true);
            let inv_m = 1.0 / (m as f64);
            unsafe {
                scale(&mut sre[..n], inv_m);
                scale(&mut sim[..n], inv_m);
                cmul(&mut sre[..n], &mut sim[..n], &self.chirp_re, &self.chirp_im);
            }
            re[..n].copy_from_slice(&sre[..n]);
            for k in 0..n {
                im[k] = s * sim[k];
            }
        }
        if inverse {
            let inv = 1.0 / (n as f64);
            unsafe {
                scale(&mut re[..n], inv);
                scale(&mut im[..n], inv);
            }
        }
    }
}

/// In-place 2-D FFT of an n×n row-major grid (n a power of two, `p.n == n`). `rows`: the rows that
/// may be nonzero before the transform (None: all).
pub fn fft2(p: &Radix2, re: &mut [f64], im: &mut [f64], inverse: bool, rows: Option<&[usize]>) {
    let n = p.n;
    let row = |r: usize, re: &mut [f64], im: &mut [f64]| {
        p.run_unscaled(&mut re[r * n..(r + 1) * n], &mut im[r * n..(r + 1) * n], inverse);
    };
    match rows {
        Some(rs) => {
            for &r in rs {
                row(r, re, im)
            }
        }
        None => {
            for r in 0..n {
                row(r, re, im)
            }
        }
    }
    assert!(re.len() >= n * n && im.len() >= n * n);
    unsafe {
        p.run_columns(re, im, inverse);
        if inverse {
            let inv = 1.0 / ((n * n) as f64);
            scale(&mut re[..n * n], inv);
            scale(&mut im[..n * n], inv);
        }
    }
}

/// `(or, oi) ← (ar, ai) ⊙ conj(br, bi)` (pointwise; pairs in lanes).
pub unsafe fn cmul_conj(or: &mut [f64], oi: &mut [f64], ar: &[f64], ai: &[f64], br: &[f64], bi: &[f64]) {
    let n = or.len().min(oi.len()).min(ar.len()).min(ai.len()).min(br.len()).min(bi.len());
    let (po, qo) = (or.as_mut_ptr(), oi.as_mut_ptr());
    let (pa, qa, pb, qb) = (ar.as_ptr(), ai.as_ptr(), br.as_ptr(), bi.as_ptr());
    let mut k = 0;
    while k + 2 <= n {
        let (xr, xi, yr, yi) = (ld(pa.add(k)), ld(qa.add(k)), ld(pb.add(k)), ld(qb.add(k)));
        st(po.add(k), f64x2_add(f64x2_mul(xr, yr), f64x2_mul(xi, yi)));
        st(qo.add(k), f64x2_sub(f64x2_mul(xi, yr), f64x2_mul(xr, yi)));
        k += 2;
    }
    while k < n {
        let (xr, xi, yr, yi) = (*pa.add(k), *qa.add(k), *pb.add(k), *qb.add(k));
        *po.add(k) = xr * yr + xi * yi;
        *qo.add(k) = xi * yr - xr * yi;
        k += 1;
    }
}
