//! The delta rule on one head of one sequence (DeltaNet's recurrence), forward and backward:
//! `u_t = β_t (v_t − S_{t−1}ᵀ k_t)`, `S_t = S_{t−1} + k_t u_tᵀ`, `o_t = S_tᵀ q_t`, with states
//! `S` row-major `dk × dv`. Rows of q, k, v, β, o and their gradients are strided (one head of a
//! `[B, T, H·d]` tensor), states contiguous. SIMD runs along `dv`.

use crate::vmath::*;
use core::arch::wasm32::*;

#[inline(always)]
unsafe fn ld(p: *const f32, j: usize, n: usize) -> v128 {
    if j + 4 <= n {
        load(p.add(j))
    } else {
        load_partial(p.add(j), n - j)
    }
}

#[inline(always)]
unsafe fn st(p: *mut f32, j: usize, n: usize, v: v128) {
    if j + 4 <= n {
        store(p.add(j), v)
    } else {
        store_partial(p.add(j), v, n - j)
    }
}

/// Strided views of one head (shared with the chunkwise kernel in `delta_chunk.rs`).
#[derive(Clone, Copy)]
pub(crate) struct Head {
    pub(crate) q: *const f32,
    pub(crate) k: *const f32,
    pub(crate) v: *const f32,
    pub(crate) beta: *const f32,
    pub(crate) sk: usize,
    pub(crate) sv: usize,
    pub(crate) sb: usize,
    pub(crate) dk: usize,
    pub(crate) dv: usize,
}

/// One forward step on `s` (in place); writes `o_t` if `o` is not null and `u_t` into `u`.
#[inline(always)]
unsafe fn step(h: &Head, t: usize, s: *mut f32, u: *mut f32, o: *mut f32) {
    let (dk, dv) = (h.dk, h.dv);
    let kt = h.k.add(t * h.sk);
    let qt = h.q.add(t * h.sk);
    std::ptr::copy_nonoverlapping(h.v.add(t * h.sv), u, dv);
    for i in 0..dk {
        axpy(-*kt.add(i), s.add(i * dv), u, dv);
    }
    let b = *h.beta.add(t * h.sb);
    let vb = splat(b);
    map1(u, u, dv, |x| f32x4_mul(x, vb));
    if !o.is_null() {
        std::ptr::write_bytes(o, 0, dv);
    }
    for i in 0..dk {
        let ki = splat(*kt.add(i));
        let qi = splat(*qt.add(i));
        let row = s.add(i * dv);
        let mut j = 0;
        while j < dv {
            let sij = f32x4_add(ld(row, j, dv), f32x4_mul(ki, ld(u, j, dv)));
            st(row, j, dv, sij);
            if !o.is_null() {
                st(o, j, dv, f32x4_add(ld(o, j, dv), f32x4_mul(qi, sij)));
            }
            j += 4;
        }
    }
}

/// Recurrent forward of one head. `s` (dk·dv) holds S_0 on entry and S_T on exit; `o` rows are
/// strided by `sv` (null: no outputs). Every `every` steps S_{t−1} is copied to
/// `keep[(t/every)·dk·dv]` (if not null).
#[no_mangle]
pub unsafe extern "C" fn cat_delta_fwd(
    q: *const f32,
    k: *const f32,
    v: *const f32,
    beta: *const f32,
    sk: usize,
    sv: usize,
    sb: usize,
    t_len: usize,
    dk: usize,
    dv: usize,
    s: *mut f32,
    o: *mut f32,
    keep: *mut f32,
    every: usize,
) {
    let h = Head { q, k, v, beta, sk, sv, sb, dk, dv };
    let dd = dk * dv;
    let mut u = vec![0f32; dv.max(1)];
    for t in 0..t_len {
        if !keep.is_null() && every > 0 && t % every == 0 {
            std::ptr::copy_nonoverlapping(s, keep.add((t / every) * dd), dd);
        }
        step(&h, t, s, u.as_mut_ptr(), if o.is_null() { o } else { o.add(t * sv) });
    }
}

/// One backward step at time `t` given `p` = S_{t−1}; updates `ds` (dS_t → dS_{t−1}), writes the
/// gradients of q_t, k_t, v_t, β_t.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
unsafe fn back_step(
    h: &Head,
    t: usize,
    p: *const f32,
    ds: *mut f32,
    d_o: *const f32,
    dq: *mut f32,
    dkk: *mut f32,
    dvv: *mut f32,
    dbeta: *mut f32,
    e: *mut f32,
    du: *mut f32,
    pdo: *mut f32,
) {
    let (dk, dv) = (h.dk, h.dv);
    let kt = h.k.add(t * h.sk);
    let qt = h.q.add(t * h.sk);
    let dot_ = d_o.add(t * h.sv);
    let b = *h.beta.add(t * h.sb);
    std::ptr::copy_nonoverlapping(h.v.add(t * h.sv), e, dv);
    std::ptr::write_bytes(du, 0, dv);
    // pass 1: e = v − Pᵀk, P·do, dS += q doᵀ, du = dSᵀ k
    for i in 0..dk {
        let ki = splat(*kt.add(i));
        let qi = splat(*qt.add(i));
        let (pr, dr) = (p.add(i * dv), ds.add(i * dv));
        let mut pd = splat(0.0);
        let mut j = 0;
        while j < dv {
            let pij = ld(pr, j, dv);
            let doj = ld(dot_, j, dv);
            st(e, j, dv, f32x4_sub(ld(e, j, dv), f32x4_mul(ki, pij)));
            pd = f32x4_add(pd, f32x4_mul(pij, doj));
            let dsv = f32x4_add(ld(dr, j, dv), f32x4_mul(qi, doj));
            st(dr, j, dv, dsv);
            st(du, j, dv, f32x4_add(ld(du, j, dv), f32x4_mul(ki, dsv)));
            j += 4;
        }
        *pdo.add(i) = hsum(pd);
    }
    // u = β e (into e), u·do, dβ = du·e, gg = β du (into du), dv = gg
    let db = dot(du, e, dv);
    let vb = splat(b);
    map1(e, e, dv, |x| f32x4_mul(x, vb));
    map1(du, du, dv, |x| f32x4_mul(x, vb));
    let ud = dot(e, dot_, dv);
    let dvt = dvv.add(t * h.sv);
    std::ptr::copy_nonoverlapping(du, dvt, dv);
    *dbeta.add(t * h.sb) = db;
    // pass 2: dq = P do + k (u·do); dk = dS u − P gg; dS −= k ggᵀ
    let dqt = dq.add(t * h.sk);
    let dkt = dkk.add(t * h.sk);
    for i in 0..dk {
        let kis = *kt.add(i);
        let ki = splat(kis);
        *dqt.add(i) = *pdo.add(i) + kis * ud;
        let (pr, dr) = (p.add(i * dv), ds.add(i * dv));
        let mut a = splat(0.0);
        let mut j = 0;
        while j < dv {
            let dsv = ld(dr, j, dv);
            let g = ld(du, j, dv);
            a = f32x4_add(a, f32x4_sub(f32x4_mul(dsv, ld(e, j, dv)), f32x4_mul(ld(pr, j, dv), g)));
            st(dr, j, dv, f32x4_sub(dsv, f32x4_mul(ki, g)));
            j += 4;
        }
        *dkt.add(i) = hsum(a);
    }
}

/// Recurrent backward of one head. `ds` holds dS_T on entry and dS_0 on exit. States come from
/// `kept`: with `mode` 0, `kept` holds S at every `every`-th step (S_{c·every}) and each segment is
/// recomputed from its first state; with `mode` 1, `kept` holds S_0 only and those states are first
/// recomputed by one forward pass (the forward's own steps, so the gradients are bit for bit those of
/// mode 0 on the states the forward keeps). Returns 0, or −1 if scratch memory cannot be had.
#[no_mangle]
pub unsafe extern "C" fn cat_delta_bwd(
    q: *const f32,
    k: *const f32,
    v: *const f32,
    beta: *const f32,
    sk: usize,
    sv: usize,
    sb: usize,
    t_len: usize,
    dk: usize,
    dv: usize,
    kept: *const f32,
    every: usize,
    mode: u32,
    d_o: *const f32,
    ds: *mut f32,
    dq: *mut f32,
    dkk: *mut f32,
    dvv: *mut f32,
    dbeta: *mut f32,
) -> i32 {
    let h = Head { q, k, v, beta, sk, sv, sb, dk, dv };
    let dd = dk * dv;
    let mut tmp: Vec<f32> = Vec::new();
    if tmp.try_reserve_exact(3 * dv + dk + 8).is_err() {
        return -1;
    }
    tmp.resize(3 * dv + dk + 8, 0.0);
    let e = tmp.as_mut_ptr();
    let du = e.add(dv);
    let u = du.add(dv);
    let pdo = u.add(dv);
    let every = every.max(1);
    let n_seg = (t_len + every - 1) / every;
    let mut rebuilt: Vec<f32> = Vec::new();
    let kept: *const f32 = if mode == 1 {
        if rebuilt.try_reserve_exact((n_seg + 1) * dd).is_err() {
            return -1;
        }
        rebuilt.resize((n_seg + 1) * dd, 0.0);
        let rp = rebuilt.as_mut_ptr();
        let cur = rp.add(n_seg * dd);
        std::ptr::copy_nonoverlapping(kept, cur, dd);
        for c in 0..n_seg {
            std::ptr::copy_nonoverlapping(cur, rp.add(c * dd), dd);
            if c + 1 < n_seg {
                for t in c * every..(c + 1) * every {
                    step(&h, t, cur, u, std::ptr::null_mut());
                }
            }
        }
        rp
    } else {
        kept
    };
    let mut seg: Vec<f32> = Vec::new();
    let seg_len = if every == 1 { 0 } else { every * dd };
    if seg.try_reserve_exact(seg_len + dd).is_err() {
        return -1;
    }
    seg.resize(seg_len + dd, 0.0);
    for c in (0..n_seg).rev() {
        let t0 = c * every;
        let len = (t_len - t0).min(every);
        if every == 1 {
            back_step(&h, t0, kept.add(c * dd), ds, d_o, dq, dkk, dvv, dbeta, e, du, pdo);
            continue;
        }
        // recompute S_{t−1} for t in the segment
        let cur = seg.as_mut_ptr().add(seg_len);
        std::ptr::copy_nonoverlapping(kept.add(c * dd), cur, dd);
        for i in 0..len {
            std::ptr::copy_nonoverlapping(cur, seg.as_mut_ptr().add(i * dd), dd);
            if i + 1 < len {
                step(&h, t0 + i, cur, u, std::ptr::null_mut());
            }
        }
        for i in (0..len).rev() {
            back_step(&h, t0 + i, seg.as_ptr().add(i * dd), ds, d_o, dq, dkk, dvv, dbeta, e, du, pdo);
        }
    }
    0
}

/// Rows of length `d` divided by their L2 norm (floored at `floor`); writes the norms.
#[no_mangle]
pub unsafe extern "C" fn cat_l2norm_fwd(x: *const f32, out: *mut f32, norms: *mut f32, rows: usize, d: usize, floor: f32) {
    for r in 0..rows {
        let xr = x.add(r * d);
        let n = dot(xr, xr, d).sqrt().max(floor);
        *norms.add(r) = n;
        let inv = splat(1.0 / n);
        map1(xr, out.add(r * d), d, |v| f32x4_mul(v, inv));
    }
}

/// Backward of `cat_l2norm_fwd`: `dx = (dx̂ − x̂ (x̂·dx̂)) / n` (no projection at the floor).
#[no_mangle]
pub unsafe extern "C" fn cat_l2norm_bwd(xhat: *const f32, norms: *const f32, dxhat: *const f32, dx: *mut f32, rows: usize, d: usize, floor: f32) {
    for r in 0..rows {
        let (hr, gr) = (xhat.add(r * d), dxhat.add(r * d));
        let n = *norms.add(r);
        let dp = if n > floor { dot(hr, gr, d) } else { 0.0 };
        let vd = splat(dp);
        let inv = splat(1.0 / n);
        map2(gr, hr, dx.add(r * d), d, |g, hh| f32x4_mul(f32x4_sub(g, f32x4_mul(hh, vd)), inv));
    }
}

/// `β = scale·sigmoid(logit)`.
#[no_mangle]
pub unsafe extern "C" fn cat_scaled_sigmoid(logit: *const f32, beta: *mut f32, n: usize, scale: f32) {
    let s = splat(scale);
    map1(logit, beta, n, |x| f32x4_mul(s, vsigmoid(x)));
}

/// `dlogit = dβ · β (1 − β/scale)`.
#[no_mangle]
pub unsafe extern "C" fn cat_scaled_sigmoid_bwd(dbeta: *const f32, beta: *const f32, dlogit: *mut f32, n: usize, scale: f32) {
    let one = splat(1.0);
    let inv = splat(1.0 / scale);
    map2(dbeta, beta, dlogit, n, |g, b| f32x4_mul(g, f32x4_mul(b, f32x4_sub(one, f32x4_mul(b, inv)))));
}
