//! The dense equivariant tensor product (`tensor_product`, `src/prims/tensor-product.ts`), one
//! channel per row, rows r with channel r mod C. The coupling coefficients are computed in
//! TypeScript (`src/equivariant`) and handed over once per node as a sparse table of u32 words
//! (coefficients stored as f32 bits): `[P, nnz, poff[0..=P], (i1, i2, i3, coef) × nnz]`, entries of
//! path p in `poff[p]..poff[p+1]`, indices global within a row's SH vector. Sums run in f64.

use std::slice::from_raw_parts;

#[inline]
fn fbits(w: u32) -> f64 {
    f32::from_bits(w) as f64
}

unsafe fn words<'a>(t: *const u32, n: usize) -> &'a [u32] {
    from_raw_parts(t, n)
}

/// Dense product: `y_r = Σ_p weff[c, p] · C^p(x1_r, x2_r)` (y overwritten).
#[no_mangle]
pub unsafe extern "C" fn cat_tp_dense_fwd(
    x1: *const f32, x2: *const f32, y: *mut f32, rows: usize, ch: usize, n1: usize, n2: usize, n3: usize, weff: *const f32, table: *const u32,
) {
    let p = *table as usize;
    let nnz = *table.add(1) as usize;
    let t = words(table, 2 + p + 1 + 4 * nnz);
    let poff = &t[2..3 + p];
    let e = &t[3 + p..];
    let mut acc = vec![0f64; n3];
    for r in 0..rows {
        let c = r % ch;
        let (a, b) = (from_raw_parts(x1.add(r * n1), n1), from_raw_parts(x2.add(r * n2), n2));
        acc.iter_mut().for_each(|v| *v = 0.0);
        for q in 0..p {
            let wq = *weff.add(c * p + q) as f64;
            for k in poff[q] as usize..poff[q + 1] as usize {
                let en = &e[4 * k..4 * k + 4];
                acc[en[2] as usize] += wq * fbits(en[3]) * a[en[0] as usize] as f64 * b[en[1] as usize] as f64;
            }
        }
        let yr = y.add(r * n3);
        for i in 0..n3 {
            *yr.add(i) = acc[i] as f32;
        }
    }
}

/// Backward of `cat_tp_dense_fwd`: dx1, dx2 (overwritten) and `sp[c, p] = Σ_{rows of c} ⟨dy_r, C^p(x1_r, x2_r)⟩`.
#[no_mangle]
pub unsafe extern "C" fn cat_tp_dense_bwd(
    x1: *const f32, x2: *const f32, dy: *const f32, dx1: *mut f32, dx2: *mut f32, sp: *mut f32,
    rows: usize, ch: usize, n1: usize, n2: usize, n3: usize, weff: *const f32, table: *const u32,
) {
    let p = *table as usize;
    let nnz = *table.add(1) as usize;
    let t = words(table, 2 + p + 1 + 4 * nnz);
    let poff = &t[2..3 + p];
    let e = &t[3 + p..];
    let mut g1 = vec![0f64; n1];
    let mut g2 = vec![0f64; n2];
    let mut s = vec![0f64; ch * p];
    for r in 0..rows {
        let c = r % ch;
        let (a, b, g) = (from_raw_parts(x1.add(r * n1), n1), from_raw_parts(x2.add(r * n2), n2), from_raw_parts(dy.add(r * n3), n3));
        g1.iter_mut().for_each(|v| *v = 0.0);
        g2.iter_mut().for_each(|v| *v = 0.0);
        for q in 0..p {
            let wq = *weff.add(c * p + q) as f64;
            let mut sq = 0f64;
            for k in poff[q] as usize..poff[q + 1] as usize {
                let en = &e[4 * k..4 * k + 4];
                let (i1, i2) = (en[0] as usize, en[1] as usize);
                let tv = fbits(en[3]) * g[en[2] as usize] as f64;
                let (av, bv) = (a[i1] as f64, b[i2] as f64);
                g1[i1] += wq * tv * bv;
                g2[i2] += wq * tv * av;
                sq += tv * av * bv;
            }
            s[c * p + q] += sq;
        }
        for i in 0..n1 {
            *dx1.add(r * n1 + i) = g1[i] as f32;
        }
        for i in 0..n2 {
            *dx2.add(r * n2 + i) = g2[i] as f32;
        }
    }
    for k in 0..ch * p {
        *sp.add(k) = s[k] as f32;
    }
}

