//! Bilinear-pooling helpers: row-wise outer products (full bilinear pooling, and the inner step of
//! the learnt bilinear map), elementwise product, sum pooling, strided row copies (concatenation)
//! and the signed square root with L2 normalisation.

use crate::vmath::*;
use core::arch::wasm32::*;

/// `z_r = vec(x_r y_rᵀ)` for `rows` rows; x rows strided `xs`, y rows `ys`, z rows `zs`.
#[no_mangle]
pub unsafe extern "C" fn cat_outer_fwd(x: *const f32, xs: usize, y: *const f32, ys: usize, z: *mut f32, zs: usize, rows: usize, dx: usize, dy: usize) {
    for r in 0..rows {
        let (xr, yr, zr) = (x.add(r * xs), y.add(r * ys), z.add(r * zs));
        for i in 0..dx {
            let a = splat(*xr.add(i));
            map1(yr, zr.add(i * dy), dy, |v| f32x4_mul(a, v));
        }
    }
}

/// Backward of `cat_outer_fwd`: `gx_r = G_r y_r`, `gy_r = G_rᵀ x_r` (G_r the `dx × dy` gradient
/// of row r, rows strided `gs`); gx and gy are overwritten.
#[no_mangle]
pub unsafe extern "C" fn cat_outer_bwd(
    x: *const f32,
    xs: usize,
    y: *const f32,
    ys: usize,
    g: *const f32,
    gs: usize,
    gx: *mut f32,
    gy: *mut f32,
    rows: usize,
    dx: usize,
    dy: usize,
) {
    for r in 0..rows {
        let (xr, yr, gr) = (x.add(r * xs), y.add(r * ys), g.add(r * gs));
        let (gxr, gyr) = (gx.add(r * xs), gy.add(r * ys));
        std::ptr::write_bytes(gyr, 0, dy);
        for i in 0..dx {
            let gi = gr.add(i * dy);
            *gxr.add(i) = dot(gi, yr, dy);
            axpy(*xr.add(i), gi, gyr, dy);
        }
    }
}

/// `z = x ⊙ y`.
#[no_mangle]
pub unsafe extern "C" fn cat_mul(x: *const f32, y: *const f32, z: *mut f32, n: usize) {
    map2(x, y, z, n, vmul);
}

/// `z[o] = Σ_{i<k} x[o·k + i]` for `groups` outputs.
#[no_mangle]
pub unsafe extern "C" fn cat_sum_pool_fwd(x: *const f32, z: *mut f32, groups: usize, k: usize) {
    for o in 0..groups {
        *z.add(o) = sum(x.add(o * k), k);
    }
}

/// `gx[o·k + i] = g[o]`.
#[no_mangle]
pub unsafe extern "C" fn cat_sum_pool_bwd(g: *const f32, gx: *mut f32, groups: usize, k: usize) {
    for o in 0..groups {
        let v = *g.add(o);
        for i in 0..k {
            *gx.add(o * k + i) = v;
        }
    }
}

/// Copy `rows` rows of `c` floats from `src` (row stride `ss`) to `dst` (row stride `ds`).
#[no_mangle]
pub unsafe extern "C" fn cat_copy_rows(src: *const f32, ss: usize, dst: *mut f32, ds: usize, rows: usize, c: usize) {
    for r in 0..rows {
        std::ptr::copy_nonoverlapping(src.add(r * ss), dst.add(r * ds), c);
    }
}

/// `s = sign(v)(√(|v| + ε) − √ε)`, `out = s / √(‖s‖² + ε)` per row; keeps `s` and `rnorm`.
#[no_mangle]
pub unsafe extern "C" fn cat_signed_sqrt_l2_fwd(v: *const f32, s: *mut f32, rnorm: *mut f32, out: *mut f32, rows: usize, c: usize, eps: f32) {
    let se = eps.sqrt();
    let (ve, vse) = (splat(eps), splat(se));
    for r in 0..rows {
        let (vr, sr, or) = (v.add(r * c), s.add(r * c), out.add(r * c));
        map1(vr, sr, c, |x| {
            let m = f32x4_sub(f32x4_sqrt(f32x4_add(f32x4_abs(x), ve)), vse);
            v128_or(m, v128_and(x, u32x4_splat(0x8000_0000)))
        });
        let rn = 1.0 / (dot(sr, sr, c) + eps).sqrt();
        *rnorm.add(r) = rn;
        let vr_ = splat(rn);
        map1(sr, or, c, |x| f32x4_mul(x, vr_));
    }
}

/// Backward of `cat_signed_sqrt_l2_fwd` from `s` and `rnorm`.
#[no_mangle]
pub unsafe extern "C" fn cat_signed_sqrt_l2_bwd(s: *const f32, rnorm: *const f32, g: *const f32, dv: *mut f32, rows: usize, c: usize, eps: f32) {
    let vse = splat(eps.sqrt());
    for r in 0..rows {
        let (sr, gr, dr) = (s.add(r * c), g.add(r * c), dv.add(r * c));
        let rn = *rnorm.add(r);
        let d = dot(sr, gr, c) * rn;
        let (vrn, k) = (splat(rn), splat(rn * d));
        map2(sr, gr, dr, c, |si, gi| {
            let ds = f32x4_mul(vrn, f32x4_sub(gi, f32x4_mul(si, k)));
            f32x4_div(ds, f32x4_mul(splat(2.0), f32x4_add(f32x4_abs(si), vse)))
        });
    }
}
