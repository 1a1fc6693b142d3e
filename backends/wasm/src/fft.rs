//! Complex FFTs in f64 for the tensor products and compact bilinear pooling: an iterative radix-2
//! transform (twiddles and bit reversal computed once per plan), Bluestein's chirp-z transform on
//! top of it for any other length, and a 2-D transform over a square power-of-two grid that skips
//! rows known to be zero in the first pass. Forward: X[f] = Σₙ x[n] e^{−2πi fn/N}; the inverse
//! divides by N (per axis), as in `src/fft` and `src/equivariant/fft2.ts`.

use std::f64::consts::PI;

/// Radix-2 plan of a power-of-two length.
pub struct Radix2 {
    pub n: usize,
    cos: Vec<f64>,
    sin: Vec<f64>,
    rev: Vec<u32>,
}

impl Radix2 {
    pub fn new(n: usize) -> Radix2 {
        let half = n / 2;
        let mut cos = Vec::with_capacity(half);
        let mut sin = Vec::with_capacity(half);
        for k in 0..half {
            let a = 2.0 * PI * (k as f64) / (n as f64);
            cos.push(a.cos());
            sin.push(a.sin());
        }
        let bits = n.trailing_zeros();
        let rev = (0..n as u32)
            .map(|i| if bits == 0 { 0 } else { i.reverse_bits() >> (32 - bits) })
            .collect();
        Radix2 { n, cos, sin, rev }
    }

    /// In place, unscaled in both directions (`inverse` flips the sign of the exponent).
    pub fn run_unscaled(&self, re: &mut [f64], im: &mut [f64], inverse: bool) {
        let n = self.n;
        for i in 0..n {
            let j = self.rev[i] as usize;
            if j > i {
                re.swap(i, j);
                im.swap(i, j);
            }
        }
        let sgn = if inverse { 1.0 } else { -1.0 };
        let mut size = 2;
        while size <= n {
            let half = size / 2;
            let step = n / size;
            let mut start = 0;
            while start < n {
                for k in 0..half {
                    let wr = self.cos[k * step];
                    let wi = sgn * self.sin[k * step];
                    let a = start + k;
                    let b = a + half;
                    let (br, bi) = (re[b], im[b]);
                    let xr = br * wr - bi * wi;
                    let xi = br * wi + bi * wr;
                    let (ar, ai) = (re[a], im[a]);
                    re[b] = ar - xr;
                    im[b] = ai - xi;
                    re[a] = ar + xr;
                    im[a] = ai + xi;
                }
                start += size;
            }
            size *= 2;
        }
    }
}

/// A plan for any length n ≥ 1: radix-2 when n is a power of two, Bluestein otherwise.
pub struct Fft {
    pub n: usize,
    r2: Radix2,
    /// Bluestein: chirp w_k = e^{−iπk²/n} (k < n), FFT of the padded conjugate chirp, scratch.
    chirp_re: Vec<f64>,
    chirp_im: Vec<f64>,
    bre: Vec<f64>,
    bim: Vec<f64>,
    sre: Vec<f64>,
    sim: Vec<f64>,
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
            for k in 0..n {
                let (xr, xi) = (re[k], s * im[k]);
                let (cr, ci) = (self.chirp_re[k], self.chirp_im[k]);
                sre[k] = xr * cr - xi * ci;
                sim[k] = xr * ci + xi * cr;
            }
            for k in n..m {
                sre[k] = 0.0;
                sim[k] = 0.0;
            }
            self.r2.run_unscaled(sre, sim, false);
            for k in 0..m {
                let (ar, ai) = (sre[k], sim[k]);
                let (br, bi) = (self.bre[k], self.bim[k]);
                sre[k] = ar * br - ai * bi;
                sim[k] = ar * bi + ai * br;
            }
            self.r2.run_unscaled(sre, sim, true);
            let inv_m = 1.0 / (m as f64);
            for k in 0..n {
                let (ar, ai) = (sre[k] * inv_m, sim[k] * inv_m);
                let (cr, ci) = (self.chirp_re[k], self.chirp_im[k]);
                re[k] = ar * cr - ai * ci;
                im[k] = s * (ar * ci + ai * cr);
            }
        }
        if inverse {
            let inv = 1.0 / (n as f64);
            for k in 0..n {
                re[k] *= inv;
                im[k] *= inv;
            }
        }
    }
}

/// In-place 2-D FFT of an n×n row-major grid (n a power of two, `p.n == n`). `rows`: the rows that
/// may be nonzero before the transform (None: all). `tr`, `ti`: scratch of length n.
pub fn fft2(p: &Radix2, re: &mut [f64], im: &mut [f64], inverse: bool, rows: Option<&[usize]>, tr: &mut [f64], ti: &mut [f64]) {
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
    for c in 0..n {
        for r in 0..n {
            tr[r] = re[r * n + c];
            ti[r] = im[r * n + c];
        }
        p.run_unscaled(tr, ti, inverse);
        for r in 0..n {
            re[r * n + c] = tr[r];
            im[r * n + c] = ti[r];
        }
    }
    if inverse {
        let inv = 1.0 / ((n * n) as f64);
        for k in 0..n * n {
            re[k] *= inv;
            im[k] *= inv;
        }
    }
}
