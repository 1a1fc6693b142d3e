//! Forward and backward kernels of the basic primitives (elementwise, softmax, norms, losses,
//! embedding). Matrices are row-major `m × c`; every output buffer is written, never read first,
//! unless the name says "accumulate".

use crate::vmath::*;
use core::arch::wasm32::*;

const GC: f32 = 0.797_884_6; // sqrt(2/π)
const GK: f32 = 0.044_715;

/// Elementwise activation codes shared with the TypeScript side.
const RELU: u32 = 0;
const TANH: u32 = 1;
const SIGMOID: u32 = 2;
const SILU: u32 = 3;
const GELU: u32 = 4;

#[inline(always)]
fn gelu_u(x: v128) -> v128 {
    // GC (x + GK x³)
    f32x4_mul(splat(GC), f32x4_add(x, f32x4_mul(splat(GK), f32x4_mul(x, f32x4_mul(x, x)))))
}

/// `y = f(x)` for activation `op`. Returns −1 for an unknown code.
#[no_mangle]
pub unsafe extern "C" fn cat_unary_fwd(op: u32, x: *const f32, y: *mut f32, n: usize) -> i32 {
    match op {
        RELU => map1(x, y, n, |v| f32x4_pmax(v, splat(0.0))),
        TANH => map1(x, y, n, vtanh),
        SIGMOID => map1(x, y, n, vsigmoid),
        SILU => map1(x, y, n, |v| f32x4_mul(v, vsigmoid(v))),
        GELU => map1(x, y, n, |v| f32x4_mul(f32x4_mul(splat(0.5), v), f32x4_add(splat(1.0), vtanh(gelu_u(v))))),
        _ => return -1,
    }
    0
}

/// `dx = dy · f'(x)` for activation `op`. Returns −1 for an unknown code.
#[no_mangle]
pub unsafe extern "C" fn cat_unary_bwd(op: u32, x: *const f32, dy: *const f32, dx: *mut f32, n: usize) -> i32 {
    let one = splat(1.0);
    match op {
        RELU => map2(x, dy, dx, n, |v, g| v128_and(g, f32x4_gt(v, splat(0.0)))),
        TANH => map2(x, dy, dx, n, |v, g| {
            let t = vtanh(v);
            f32x4_mul(g, f32x4_sub(one, f32x4_mul(t, t)))
        }),
        SIGMOID => map2(x, dy, dx, n, |v, g| {
            let s = vsigmoid(v);
            f32x4_mul(g, f32x4_mul(s, f32x4_sub(one, s)))
        }),
        SILU => map2(x, dy, dx, n, |v, g| {
            let s = vsigmoid(v);
            f32x4_mul(g, f32x4_mul(s, f32x4_add(one, f32x4_mul(v, f32x4_sub(one, s)))))
        }),
        GELU => map2(x, dy, dx, n, |v, g| {
            let th = vtanh(gelu_u(v));
            let du = f32x4_mul(splat(GC), f32x4_add(one, f32x4_mul(splat(3.0 * GK), f32x4_mul(v, v))));
            let a = f32x4_mul(splat(0.5), f32x4_add(one, th));
            let b = f32x4_mul(f32x4_mul(splat(0.5), v), f32x4_mul(f32x4_sub(one, f32x4_mul(th, th)), du));
            f32x4_mul(g, f32x4_add(a, b))
        }),
        _ => return -1,
    }
    0
}

/// `z = x + y` (z may alias x or y).
#[no_mangle]
pub unsafe extern "C" fn cat_add(x: *const f32, y: *const f32, z: *mut f32, n: usize) {
    map2(x, y, z, n, vadd);
}

/// `z = a·x` (z may alias x).
#[no_mangle]
pub unsafe extern "C" fn cat_scale(a: f32, x: *const f32, z: *mut f32, n: usize) {
    let va = splat(a);
    map1(x, z, n, |v| f32x4_mul(va, v));
}

/// `y[i, :] += b` for each of `m` rows of length `c`.
#[no_mangle]
pub unsafe extern "C" fn cat_add_bias(y: *mut f32, b: *const f32, m: usize, c: usize) {
    for i in 0..m {
        let r = y.add(i * c);
        map2(r, b, r, c, vadd);
    }
}

/// `out[j] (+)= Σ_i x[i, j]` over `m` rows of length `c`.
#[no_mangle]
pub unsafe extern "C" fn cat_col_sum(x: *const f32, out: *mut f32, m: usize, c: usize, accumulate: u32) {
    if accumulate == 0 {
        std::ptr::write_bytes(out, 0, c);
    }
    for i in 0..m {
        map2(x.add(i * c), out, out, c, vadd);
    }
}

/// One row of softmax into `y`; returns `ln Σ e^{x − max} + max` (the log-sum-exp).
#[inline(always)]
unsafe fn softmax_row(x: *const f32, y: *mut f32, c: usize) -> f32 {
    let mx = max(x, c);
    let vm = splat(mx);
    map1(x, y, c, |v| vexp(f32x4_sub(v, vm)));
    let s = sum(y, c);
    let inv = 1.0 / s;
    let vi = splat(inv);
    map1(y, y, c, |v| f32x4_mul(v, vi));
    s.ln() + mx
}

/// Row-wise softmax of `m × c`.
#[no_mangle]
pub unsafe extern "C" fn cat_softmax_fwd(x: *const f32, y: *mut f32, m: usize, c: usize) {
    for i in 0..m {
        softmax_row(x.add(i * c), y.add(i * c), c);
    }
}

/// `dx = y ⊙ (dy − ⟨dy, y⟩)` per row.
#[no_mangle]
pub unsafe extern "C" fn cat_softmax_bwd(y: *const f32, dy: *const f32, dx: *mut f32, m: usize, c: usize) {
    for i in 0..m {
        let (yr, gr, dr) = (y.add(i * c), dy.add(i * c), dx.add(i * c));
        let d = splat(dot(gr, yr, c));
        map2(yr, gr, dr, c, |yv, gv| f32x4_mul(yv, f32x4_sub(gv, d)));
    }
}

/// Layer norm forward; keeps `xhat` (m × c) and `rstd` (m).
#[no_mangle]
pub unsafe extern "C" fn cat_layernorm_fwd(
    x: *const f32,
    g: *const f32,
    b: *const f32,
    y: *mut f32,
    xhat: *mut f32,
    rstd: *mut f32,
    m: usize,
    c: usize,
    eps: f32,
) {
    for i in 0..m {
        let (xr, hr, yr) = (x.add(i * c), xhat.add(i * c), y.add(i * c));
        let mu = sum(xr, c) / c as f32;
        let vmu = splat(mu);
        map1(xr, hr, c, |v| f32x4_sub(v, vmu));
        let var = dot(hr, hr, c) / c as f32;
        let rs = 1.0 / (var + eps).sqrt();
        *rstd.add(i) = rs;
        let vr = splat(rs);
        map1(hr, hr, c, |v| f32x4_mul(v, vr));
        map2(hr, g, yr, c, vmul);
        map2(yr, b, yr, c, vadd);
    }
}

/// Layer norm backward: `dx`, and `dg`, `db` (overwritten).
#[no_mangle]
pub unsafe extern "C" fn cat_layernorm_bwd(
    xhat: *const f32,
    rstd: *const f32,
    g: *const f32,
    dy: *const f32,
    dx: *mut f32,
    dg: *mut f32,
    db: *mut f32,
    m: usize,
    c: usize,
) {
    std::ptr::write_bytes(dg, 0, c);
    std::ptr::write_bytes(db, 0, c);
    let inv_c = 1.0 / c as f32;
    for i in 0..m {
        let (hr, gr, dr) = (xhat.add(i * c), dy.add(i * c), dx.add(i * c));
        map2(gr, db, db, c, vadd);
        // dg += dy ⊙ xhat, written through dx as scratch
        map2(gr, hr, dr, c, vmul);
        map2(dr, dg, dg, c, vadd);
        // gh = dy ⊙ g into dx
        map2(gr, g, dr, c, vmul);
        let s1 = splat(sum(dr, c) * inv_c);
        let s2 = splat(dot(dr, hr, c) * inv_c);
        let rs = splat(*rstd.add(i));
        map2(dr, hr, dr, c, |gh, h| f32x4_mul(rs, f32x4_sub(f32x4_sub(gh, s1), f32x4_mul(h, s2))));
    }
}

/// RMS norm forward; keeps `rinv` (m).
#[no_mangle]
pub unsafe extern "C" fn cat_rmsnorm_fwd(x: *const f32, g: *const f32, y: *mut f32, rinv: *mut f32, m: usize, c: usize, eps: f32) {
    for i in 0..m {
        let (xr, yr) = (x.add(i * c), y.add(i * c));
        let r = 1.0 / (dot(xr, xr, c) / c as f32 + eps).sqrt();
        *rinv.add(i) = r;
        let vr = splat(r);
        map2(xr, g, yr, c, |xv, gv| f32x4_mul(f32x4_mul(xv, vr), gv));
    }
}

/// RMS norm backward: `dx` and `dg` (overwritten).
#[no_mangle]
pub unsafe extern "C" fn cat_rmsnorm_bwd(
    x: *const f32,
    rinv: *const f32,
    g: *const f32,
    dy: *const f32,
    dx: *mut f32,
    dg: *mut f32,
    m: usize,
    c: usize,
) {
    std::ptr::write_bytes(dg, 0, c);
    for i in 0..m {
        let (xr, gr, dr) = (x.add(i * c), dy.add(i * c), dx.add(i * c));
        let ri = *rinv.add(i);
        // dg += dy ⊙ x · ri
        let vri = splat(ri);
        map2(gr, xr, dr, c, |a, b| f32x4_mul(f32x4_mul(a, b), vri));
        map2(dr, dg, dg, c, vadd);
        // gh = dy ⊙ g; dot = ⟨gh, x⟩
        map2(gr, g, dr, c, vmul);
        let d = dot(dr, xr, c);
        let k = splat(ri * ri * ri * d / c as f32);
        map2(dr, xr, dr, c, |gh, xv| f32x4_sub(f32x4_mul(vri, gh), f32x4_mul(k, xv)));
    }
}

/// Mean squared error: `diff = a − b`, `out[0] = mean(diff²)`.
#[no_mangle]
pub unsafe extern "C" fn cat_mse_fwd(a: *const f32, b: *const f32, diff: *mut f32, out: *mut f32, n: usize) {
    map2(a, b, diff, n, vsub);
    *out = if n == 0 { 0.0 } else { dot(diff, diff, n) / n as f32 };
}

/// `da = 2·dy/n · diff`, `db = −da`.
#[no_mangle]
pub unsafe extern "C" fn cat_mse_bwd(diff: *const f32, dy: *const f32, da: *mut f32, db: *mut f32, n: usize) {
    let k = 2.0 * *dy / n as f32;
    cat_scale(k, diff, da, n);
    cat_scale(-k, diff, db, n);
}

/// Softmax cross-entropy: `prob` (m × c), `out[0] = mean_i (lse_i − x[i, label_i])`.
/// Returns −1, or the first row whose label is not an integer in `[0, c)`.
#[no_mangle]
pub unsafe extern "C" fn cat_xent_fwd(logits: *const f32, labels: *const f32, prob: *mut f32, out: *mut f32, m: usize, c: usize) -> i32 {
    let mut loss = 0f64;
    for i in 0..m {
        let l = *labels.add(i);
        if !(l >= 0.0 && l < c as f32 && l == l.trunc()) {
            return i as i32;
        }
        let lse = softmax_row(logits.add(i * c), prob.add(i * c), c);
        loss += (lse - *logits.add(i * c + l as usize)) as f64;
    }
    *out = if m == 0 { 0.0 } else { (loss / m as f64) as f32 };
    -1
}

/// `d = dy/m · (prob − onehot(labels))`.
#[no_mangle]
pub unsafe extern "C" fn cat_xent_bwd(prob: *const f32, labels: *const f32, dy: *const f32, d: *mut f32, m: usize, c: usize) {
    let k = *dy / m as f32;
    cat_scale(k, prob, d, m * c);
    for i in 0..m {
        *d.add(i * c + *labels.add(i) as usize) -= k;
    }
}

/// `y[i, :] = table[ids[i], :]`. Returns −1, or the first position whose id is not in `[0, vocab)`.
#[no_mangle]
pub unsafe extern "C" fn cat_embedding_fwd(ids: *const f32, table: *const f32, y: *mut f32, n: usize, vocab: usize, d: usize) -> i32 {
    for i in 0..n {
        let id = *ids.add(i);
        if !(id >= 0.0 && id < vocab as f32 && id == id.trunc()) {
            return i as i32;
        }
        std::ptr::copy_nonoverlapping(table.add(id as usize * d), y.add(i * d), d);
    }
    -1
}

/// `dtable[ids[i], :] += dy[i, :]` (dtable overwritten with zeros first).
#[no_mangle]
pub unsafe extern "C" fn cat_embedding_bwd(ids: *const f32, dy: *const f32, dtable: *mut f32, n: usize, vocab: usize, d: usize) {
    std::ptr::write_bytes(dtable, 0, vocab * d);
    for i in 0..n {
        let r = dtable.add(*ids.add(i) as usize * d);
        axpy(1.0, dy.add(i * d), r, d);
    }
}
