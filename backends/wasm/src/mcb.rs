//! Compact bilinear pooling (`mcb`, `src/prims/pooling.ts`): count sketches Ψ₁(x), Ψ₂(y) into d
//! buckets, their circular convolution IFFT(FFT Ψ₁ ⊙ FFT Ψ₂) (both real sketches in one complex
//! transform), and the adjoint. Any d: radix-2 when d is a power of two, Bluestein otherwise
//! (`fft.rs`, plans cached per d). Sketches are summed in f64 and stored as f32, spectra computed in f64 and, when
//! kept or recomputed for backward, rounded to f32 (so every residual variant feeds the same
//! numbers to the gradient, as in the JS kernel).
//!
//! Hashes: u32 words `[h1 × dx, s1 × dx, h2 × dy, s2 × dy]` (signs as i32 ±1), uploaded once per
//! runtime and attributes by the TypeScript side.

use crate::fft::{plan, Fft};
use std::slice::from_raw_parts;

struct Hashes<'a> {
    h1: &'a [u32],
    s1: &'a [i32],
    h2: &'a [u32],
    s2: &'a [i32],
}

unsafe fn hashes<'a>(t: *const u32, dx: usize, dy: usize) -> Hashes<'a> {
    Hashes {
        h1: from_raw_parts(t, dx),
        s1: from_raw_parts(t.add(dx) as *const i32, dx),
        h2: from_raw_parts(t.add(2 * dx), dy),
        s2: from_raw_parts(t.add(2 * dx + dy) as *const i32, dy),
    }
}

/// Count sketch of n values into out[..d] (f32), summed in f64.
unsafe fn sketch(x: *const f32, n: usize, h: &[u32], s: &[i32], acc: &mut [f64], out: *mut f32) {
    acc.iter_mut().for_each(|v| *v = 0.0);
    for i in 0..n {
        acc[h[i] as usize] += s[i] as f64 * *x.add(i) as f64;
    }
    for (b, v) in acc.iter().enumerate() {
        *out.add(b) = *v as f32;
    }
}

/// Spectra A, B (full length d) of two real f32 sequences by one complex transform of p1 + i·p2.
unsafe fn real_pair(f: &mut Fft, p1: *const f32, p2: *const f32, zr: &mut [f64], zi: &mut [f64], a: &mut [[f64; 2]], b: &mut [[f64; 2]]) {
    let d = f.n;
    for k in 0..d {
        zr[k] = *p1.add(k) as f64;
        zi[k] = *p2.add(k) as f64;
    }
    f.run(zr, zi, false);
    for k in 0..d {
        let j = (d - k) % d;
        let (xr, xi, yr, yi) = (zr[k], zi[k], zr[j], zi[j]);
        // A_k = (Z_k + conj Z_{d−k}) / 2, B_k = (Z_k − conj Z_{d−k}) / 2i
        a[k] = [(xr + yr) / 2.0, (xi - yi) / 2.0];
        b[k] = [(xi + yi) / 2.0, (yr - xr) / 2.0];
    }
}

/// Round bins 0..=d/2 to f32 and rebuild the full Hermitian spectrum from them.
fn round_half(s: &mut [[f64; 2]]) {
    let d = s.len();
    let h = d / 2 + 1;
    for k in 0..h {
        s[k] = [s[k][0] as f32 as f64, s[k][1] as f32 as f64];
    }
    for k in h..d {
        s[k] = [s[d - k][0], -s[d - k][1]];
    }
}

/// Bins 0..=d/2 of the spectra `a`, `b`, rounded to f32, into row `r` of sar, sai, sbr, sbi.
unsafe fn store_half(a: &[[f64; 2]], b: &[[f64; 2]], r: usize, sar: *mut f32, sai: *mut f32, sbr: *mut f32, sbi: *mut f32) {
    let half = a.len() / 2 + 1;
    for k in 0..half {
        *sar.add(r * half + k) = a[k][0] as f32;
        *sai.add(r * half + k) = a[k][1] as f32;
        *sbr.add(r * half + k) = b[k][0] as f32;
        *sbi.add(r * half + k) = b[k][1] as f32;
    }
}

/// Forward over all rows: sketches into psi1, psi2 (rows × d), half spectra into sar, sai, sbr, sbi
/// (rows × (d/2+1); null: not kept), output z (rows × d).
#[no_mangle]
pub unsafe extern "C" fn cat_mcb_fwd(
    x: *const f32, y: *const f32, rows: usize, dx: usize, dy: usize, d: usize, hs: *const u32,
    psi1: *mut f32, psi2: *mut f32, sar: *mut f32, sai: *mut f32, sbr: *mut f32, sbi: *mut f32, z: *mut f32,
) {
    let h = hashes(hs, dx, dy);
    let f = plan(d);
    let mut acc = vec![0f64; d];
    let (mut zr, mut zi) = (vec![0f64; d], vec![0f64; d]);
    let (mut a, mut b) = (vec![[0f64; 2]; d], vec![[0f64; 2]; d]);
    for r in 0..rows {
        let (p1, p2) = (psi1.add(r * d), psi2.add(r * d));
        sketch(x.add(r * dx), dx, h.h1, h.s1, &mut acc, p1);
        sketch(y.add(r * dy), dy, h.h2, h.s2, &mut acc, p2);
        real_pair(f, p1, p2, &mut zr, &mut zi, &mut a, &mut b);
        if !sar.is_null() {
            store_half(&a, &b, r, sar, sai, sbr, sbi);
        }
        for k in 0..d {
            zr[k] = a[k][0] * b[k][0] - a[k][1] * b[k][1];
            zi[k] = a[k][0] * b[k][1] + a[k][1] * b[k][0];
        }
        f.run(&mut zr, &mut zi, true);
        for k in 0..d {
            *z.add(r * d + k) = zr[k] as f32;
        }
    }
}

/// The count sketches of x and y (rows × d each), exactly as `cat_mcb_fwd` keeps them: the map of the
/// MCB 2-cell `input ⇒ sketch`.
#[no_mangle]
pub unsafe extern "C" fn cat_mcb_sketch(x: *const f32, y: *const f32, rows: usize, dx: usize, dy: usize, d: usize, hs: *const u32, psi1: *mut f32, psi2: *mut f32) {
    let h = hashes(hs, dx, dy);
    let mut acc = vec![0f64; d];
    for r in 0..rows {
        sketch(x.add(r * dx), dx, h.h1, h.s1, &mut acc, psi1.add(r * d));
        sketch(y.add(r * dy), dy, h.h2, h.s2, &mut acc, psi2.add(r * d));
    }
}

/// The half spectra (rows × (d/2+1) each) of the sketches psi1, psi2 (rows × d), exactly as
/// `cat_mcb_fwd` keeps them: the map of the MCB 2-cell `sketch ⇒ spectra`.
#[no_mangle]
pub unsafe extern "C" fn cat_mcb_spectra(psi1: *const f32, psi2: *const f32, rows: usize, d: usize, sar: *mut f32, sai: *mut f32, sbr: *mut f32, sbi: *mut f32) {
    let f = plan(d);
    let (mut zr, mut zi) = (vec![0f64; d], vec![0f64; d]);
    let (mut a, mut b) = (vec![[0f64; 2]; d], vec![[0f64; 2]; d]);
    for r in 0..rows {
        real_pair(f, psi1.add(r * d), psi2.add(r * d), &mut zr, &mut zi, &mut a, &mut b);
        store_half(&a, &b, r, sar, sai, sbr, sbi);
    }
}

/// Backward over all rows. mode 0: from the sketches psi1, psi2; 1: re-sketch x, y; 2: from the
/// kept half spectra. gx (rows × dx), gy (rows × dy) overwritten.
#[no_mangle]
pub unsafe extern "C" fn cat_mcb_bwd(
    mode: u32, x: *const f32, y: *const f32, psi1: *const f32, psi2: *const f32,
    sar: *const f32, sai: *const f32, sbr: *const f32, sbi: *const f32, g: *const f32, gx: *mut f32, gy: *mut f32,
    rows: usize, dx: usize, dy: usize, d: usize, hs: *const u32,
) {
    let h = hashes(hs, dx, dy);
    let f = plan(d);
    let half = d / 2 + 1;
    let mut acc = vec![0f64; d];
    let (mut k1, mut k2) = (vec![0f32; d], vec![0f32; d]);
    let (mut zr, mut zi) = (vec![0f64; d], vec![0f64; d]);
    let (mut a, mut b) = (vec![[0f64; 2]; d], vec![[0f64; 2]; d]);
    for r in 0..rows {
        if mode == 2 {
            for k in 0..half {
                let o = r * half + k;
                a[k] = [*sar.add(o) as f64, *sai.add(o) as f64];
                b[k] = [*sbr.add(o) as f64, *sbi.add(o) as f64];
            }
        } else {
            let (p1, p2) = if mode == 1 {
                sketch(x.add(r * dx), dx, h.h1, h.s1, &mut acc, k1.as_mut_ptr());
                sketch(y.add(r * dy), dy, h.h2, h.s2, &mut acc, k2.as_mut_ptr());
                (k1.as_ptr(), k2.as_ptr())
            } else {
                (psi1.add(r * d), psi2.add(r * d))
            };
            real_pair(f, p1, p2, &mut zr, &mut zi, &mut a, &mut b);
        }
        round_half(&mut a);
        round_half(&mut b);
        // G = FFT(g); ∂Ψ₁ = IFFT(G ⊙ conj B), ∂Ψ₂ = IFFT(G ⊙ conj A), both real: one inverse of P + iQ.
        for k in 0..d {
            zr[k] = *g.add(r * d + k) as f64;
            zi[k] = 0.0;
        }
        f.run(&mut zr, &mut zi, false);
        for k in 0..d {
            let (gr, gi) = (zr[k], zi[k]);
            let pr = gr * b[k][0] + gi * b[k][1];
            let pi = gi * b[k][0] - gr * b[k][1];
            let qr = gr * a[k][0] + gi * a[k][1];
            let qi = gi * a[k][0] - gr * a[k][1];
            zr[k] = pr - qi;
            zi[k] = pi + qr;
        }
        f.run(&mut zr, &mut zi, true);
        for i in 0..dx {
            *gx.add(r * dx + i) = (h.s1[i] as f64 * zr[h.h1[i] as usize]) as f32;
        }
        for j in 0..dy {
            *gy.add(r * dy + j) = (h.s2[j] as f64 * zi[h.h2[j] as usize]) as f32;
        }
    }
}
