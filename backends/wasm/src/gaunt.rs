//! The Gaunt tensor product (`gaunt_tensor_product`, `src/prims/tensor-product.ts`), one channel
//! per row, rows r with channel r mod C: SH → compact 2-D Fourier grids, zero-padded 2-D FFT
//! convolution, grid → SH. The sparse SH ↔ Fourier tables are computed in TypeScript
//! (`src/equivariant/fourier.ts`) and handed over once per node as u32 words (floats as f32 bits):
//! `[L1, L2, Lout, N, e1, e2, ef, (sh, cell, re, im) × (e1 + e2 + ef)]`, the tables `to1`, `to2`
//! (SH → compact grid) and `from` (grid of half-width L1+L2 → SH). Sums and FFTs run in f64;
//! inputs, outputs, the residual grids and the unweighted product are f32.

use crate::fft::{cmul, cmul_conj, fft2, plan as fft_plan, Radix2};
use std::slice::from_raw_parts;

#[inline]
fn fbits(w: u32) -> f64 {
    f32::from_bits(w) as f64
}

unsafe fn words<'a>(t: *const u32, n: usize) -> &'a [u32] {
    from_raw_parts(t, n)
}

/// One sparse SH ↔ grid table: entries (sh, cell, re, im).
struct Table<'a> {
    e: &'a [u32],
}

impl<'a> Table<'a> {
    fn len(&self) -> usize {
        self.e.len() / 4
    }
    #[inline]
    fn at(&self, k: usize) -> (usize, usize, f64, f64) {
        let en = &self.e[4 * k..4 * k + 4];
        (en[0] as usize, en[1] as usize, fbits(en[2]), fbits(en[3]))
    }
}

struct Gaunt<'a> {
    l1: usize,
    l2: usize,
    lo: usize,
    n: usize,
    to1: Table<'a>,
    to2: Table<'a>,
    from: Table<'a>,
    pad1: Vec<usize>,
    pad2: Vec<usize>,
    from_n: Vec<usize>,
    rows1: Vec<usize>,
    rows2: Vec<usize>,
    rows_g: Vec<usize>,
    fft: &'static Radix2,
}

fn pad_map(g: usize, n: usize) -> Vec<usize> {
    let w = 2 * g + 1;
    let md = |u: usize| (u + n - g) % n; // (u − g) mod n for u in 0..w
    let mut m = vec![0; w * w];
    for u in 0..w {
        for v in 0..w {
            m[u * w + v] = md(u) * n + md(v);
        }
    }
    m
}

fn rows_of(g: usize, n: usize) -> Vec<usize> {
    (0..2 * g + 1).map(|i| (i + n - g) % n).collect()
}

unsafe fn gaunt_plan<'a>(plan: *const u32) -> Gaunt<'a> {
    let h = words(plan, 7);
    let (l1, l2, lo, n) = (h[0] as usize, h[1] as usize, h[2] as usize, h[3] as usize);
    let (e1, e2, ef) = (h[4] as usize, h[5] as usize, h[6] as usize);
    let all = words(plan.add(7), 4 * (e1 + e2 + ef));
    let to1 = Table { e: &all[..4 * e1] };
    let to2 = Table { e: &all[4 * e1..4 * (e1 + e2)] };
    let from = Table { e: &all[4 * (e1 + e2)..] };
    let g = l1 + l2;
    let pad_g = pad_map(g, n);
    let from_n = (0..from.len()).map(|k| pad_g[from.at(k).1]).collect();
    Gaunt {
        l1, l2, lo, n, to1, to2, from,
        pad1: pad_map(l1, n), pad2: pad_map(l2, n), from_n,
        rows1: rows_of(l1, n), rows2: rows_of(l2, n), rows_g: rows_of(g, n),
        fft: &fft_plan(n).r2,
    }
}

fn degrees(l: usize) -> Vec<usize> {
    let mut d = Vec::with_capacity((l + 1) * (l + 1));
    for k in 0..=l {
        for _ in 0..2 * k + 1 {
            d.push(k);
        }
    }
    d
}

/// a = x ⊙ w[c, deg] (w null: a = x).
unsafe fn weighted(x: *const f32, w: *const f32, c: usize, l: usize, deg: &[usize], a: &mut [f64]) {
    for i in 0..a.len() {
        let wi = if w.is_null() { 1.0 } else { *w.add(c * (l + 1) + deg[i]) as f64 };
        a[i] = *x.add(i) as f64 * wi;
    }
}

/// SH → compact grid, written as f32.
unsafe fn to_grid(t: &Table, a: &[f64], w: usize, fr: *mut f32, fi: *mut f32, sr: &mut [f64], si: &mut [f64]) {
    for k in 0..w * w {
        sr[k] = 0.0;
        si[k] = 0.0;
    }
    for k in 0..t.len() {
        let (sh, cell, re, im) = t.at(k);
        sr[cell] += a[sh] * re;
        si[cell] += a[sh] * im;
    }
    for k in 0..w * w {
        *fr.add(k) = sr[k] as f32;
        *fi.add(k) = si[k] as f32;
    }
}

/// Compact f32 grid → zero-padded N×N grid, then its FFT.
unsafe fn pad_fft(g: &Gaunt, pad: &[usize], rows: &[usize], fr: *const f32, fi: *const f32, pr: &mut [f64], pi: &mut [f64]) {
    pr.iter_mut().for_each(|v| *v = 0.0);
    pi.iter_mut().for_each(|v| *v = 0.0);
    for (c, &q) in pad.iter().enumerate() {
        pr[q] = *fr.add(c) as f64;
        pi[q] = *fi.add(c) as f64;
    }
    fft2(g.fft, pr, pi, false, Some(rows));
}

/// Gaunt product forward over all rows: grids of the weighted inputs into f1*/f2* (W1², W2² per
/// row), the unweighted product into b ((Lout+1)² per row), and y = w3 ⊙ b (w3 null: y = b).
/// Weight pointers may be null ('none').
#[no_mangle]
pub unsafe extern "C" fn cat_gaunt_fwd(
    plan: *const u32, x1: *const f32, x2: *const f32, w1: *const f32, w2: *const f32, w3: *const f32, rows: usize, ch: usize,
    f1re: *mut f32, f1im: *mut f32, f2re: *mut f32, f2im: *mut f32, b: *mut f32, y: *mut f32,
) {
    let g = gaunt_plan(plan);
    let (n1, n2, n3) = ((g.l1 + 1) * (g.l1 + 1), (g.l2 + 1) * (g.l2 + 1), (g.lo + 1) * (g.lo + 1));
    let (ww1, ww2) = (2 * g.l1 + 1, 2 * g.l2 + 1);
    let (d1, d2, d3) = (degrees(g.l1), degrees(g.l2), degrees(g.lo));
    let nn = g.n * g.n;
    let (mut a1, mut a2) = (vec![0f64; n1], vec![0f64; n2]);
    let (mut p1r, mut p1i, mut p2r, mut p2i) = (vec![0f64; nn], vec![0f64; nn], vec![0f64; nn], vec![0f64; nn]);
    let mut bb = vec![0f64; n3];
    for r in 0..rows {
        let c = r % ch;
        weighted(x1.add(r * n1), w1, c, g.l1, &d1, &mut a1);
        weighted(x2.add(r * n2), w2, c, g.l2, &d2, &mut a2);
        let (g1r, g1i) = (f1re.add(r * ww1 * ww1), f1im.add(r * ww1 * ww1));
        let (g2r, g2i) = (f2re.add(r * ww2 * ww2), f2im.add(r * ww2 * ww2));
        to_grid(&g.to1, &a1, ww1, g1r, g1i, &mut p1r, &mut p1i);
        to_grid(&g.to2, &a2, ww2, g2r, g2i, &mut p2r, &mut p2i);
        pad_fft(&g, &g.pad1, &g.rows1, g1r, g1i, &mut p1r, &mut p1i);
        pad_fft(&g, &g.pad2, &g.rows2, g2r, g2i, &mut p2r, &mut p2i);
        cmul(&mut p1r, &mut p1i, &p2r, &p2i);
        fft2(g.fft, &mut p1r, &mut p1i, true, None);
        bb.iter_mut().for_each(|v| *v = 0.0);
        for k in 0..g.from.len() {
            let (sh, _, re, im) = g.from.at(k);
            let q = g.from_n[k];
            bb[sh] += re * p1r[q] - im * p1i[q];
        }
        for i in 0..n3 {
            let bv = bb[i] as f32;
            *b.add(r * n3 + i) = bv;
            let wv = if w3.is_null() { 1.0 } else { *w3.add(c * (g.lo + 1) + d3[i]) };
            *y.add(r * n3 + i) = wv * bv;
        }
    }
}

/// Backward of the Gaunt product from its grids (and b when w3 is given): dx1, dx2 overwritten;
/// dw1, dw2, dw3 (null without weights) overwritten with the sums over rows.
#[no_mangle]
pub unsafe extern "C" fn cat_gaunt_bwd(
    plan: *const u32, x1: *const f32, x2: *const f32, w1: *const f32, w2: *const f32, w3: *const f32, rows: usize, ch: usize,
    f1re: *const f32, f1im: *const f32, f2re: *const f32, f2im: *const f32, b: *const f32, dy: *const f32,
    dx1: *mut f32, dx2: *mut f32, dw1: *mut f32, dw2: *mut f32, dw3: *mut f32,
) {
    let g = gaunt_plan(plan);
    let (n1, n2, n3) = ((g.l1 + 1) * (g.l1 + 1), (g.l2 + 1) * (g.l2 + 1), (g.lo + 1) * (g.lo + 1));
    let (ww1, ww2) = (2 * g.l1 + 1, 2 * g.l2 + 1);
    let (d1, d2, d3) = (degrees(g.l1), degrees(g.l2), degrees(g.lo));
    let nn = g.n * g.n;
    let (mut p1r, mut p1i, mut p2r, mut p2i) = (vec![0f64; nn], vec![0f64; nn], vec![0f64; nn], vec![0f64; nn]);
    let (mut gr, mut gi, mut qr, mut qi) = (vec![0f64; nn], vec![0f64; nn], vec![0f64; nn], vec![0f64; nn]);
    let (mut da1, mut da2, mut db) = (vec![0f64; n1], vec![0f64; n2], vec![0f64; n3]);
    let weighted_ = !w3.is_null();
    let (mut sw1, mut sw2, mut sw3) = (vec![0f64; ch * (g.l1 + 1)], vec![0f64; ch * (g.l2 + 1)], vec![0f64; ch * (g.lo + 1)]);
    for r in 0..rows {
        let c = r % ch;
        for i in 0..n3 {
            let d = *dy.add(r * n3 + i) as f64;
            if weighted_ {
                let j = c * (g.lo + 1) + d3[i];
                db[i] = d * *w3.add(j) as f64;
                sw3[j] += d * *b.add(r * n3 + i) as f64;
            } else {
                db[i] = d;
            }
        }
        gr.iter_mut().for_each(|v| *v = 0.0);
        gi.iter_mut().for_each(|v| *v = 0.0);
        for k in 0..g.from.len() {
            let (sh, _, re, im) = g.from.at(k);
            let q = g.from_n[k];
            gr[q] += db[sh] * re;
            gi[q] -= db[sh] * im;
        }
        fft2(g.fft, &mut gr, &mut gi, false, Some(&g.rows_g));
        let (g1r, g1i) = (f1re.add(r * ww1 * ww1), f1im.add(r * ww1 * ww1));
        let (g2r, g2i) = (f2re.add(r * ww2 * ww2), f2im.add(r * ww2 * ww2));
        pad_fft(&g, &g.pad1, &g.rows1, g1r, g1i, &mut p1r, &mut p1i);
        pad_fft(&g, &g.pad2, &g.rows2, g2r, g2i, &mut p2r, &mut p2i);
        for side in 0..2 {
            let (pr, pi, t, pad, da) = if side == 0 { (&p2r, &p2i, &g.to1, &g.pad1, &mut da1) } else { (&p1r, &p1i, &g.to2, &g.pad2, &mut da2) };
            cmul_conj(&mut qr, &mut qi, &gr, &gi, pr, pi);
            fft2(g.fft, &mut qr, &mut qi, true, None);
            da.iter_mut().for_each(|v| *v = 0.0);
            for k in 0..t.len() {
                let (sh, cell, re, im) = t.at(k);
                let q = pad[cell];
                da[sh] += re * qr[q] + im * qi[q];
            }
        }
        // a = w ⊙ x: dx = w ⊙ da, dw[deg] += da · x
        for (da, x, dx, n, l, deg, w, sw) in [(&da1, x1, dx1, n1, g.l1, &d1, w1, &mut sw1), (&da2, x2, dx2, n2, g.l2, &d2, w2, &mut sw2)] {
            for i in 0..n {
                let o = r * n + i;
                if w.is_null() {
                    *dx.add(o) = da[i] as f32;
                } else {
                    let j = c * (l + 1) + deg[i];
                    *dx.add(o) = (*w.add(j) as f64 * da[i]) as f32;
                    sw[j] += da[i] * *x.add(o) as f64;
                }
            }
        }
    }
    for (dw, sw) in [(dw1, &sw1), (dw2, &sw2), (dw3, &sw3)] {
        if !dw.is_null() {
            for (k, v) in sw.iter().enumerate() {
                *dw.add(k) = *v as f32;
            }
        }
    }
}
