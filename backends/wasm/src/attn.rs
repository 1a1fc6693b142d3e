//! Attention core for one (batch, head): query blocks of `BQ` rows, scores by the SIMD matrix
//! multiply, row softmax with the log-sum-exp, and the backward pass through the same blocks.
//! Scratch is `BQ × Tk` (linear in T), so the 'lse' variant never holds a `Tq × Tk` matrix; the
//! 'probs' variant writes P straight into its residual. Masked scores are exactly 0 in P.

use crate::gemm::{cat_gemm, scratch};
use crate::vmath::*;
use core::arch::wasm32::*;

const BQ: usize = 64;

static mut SCR_S: Vec<f32> = Vec::new();
static mut SCR_D: Vec<f32> = Vec::new();


#[inline(always)]
unsafe fn visible(mask: *const f32, causal: bool, t: usize, u: usize) -> bool {
    (!causal || u <= t) && (mask.is_null() || *mask.add(u) == 1.0)
}

/// Scale the raw scores of row `t` (`n` = keys computed) and mask them to −∞; returns the max.
#[inline(always)]
unsafe fn mask_scale_row(s: *mut f32, n: usize, mask: *const f32, causal: bool, t: usize, scale: f32) -> f32 {
    let vs = splat(scale);
    map1(s, s, n, |x| f32x4_mul(x, vs));
    if !mask.is_null() || causal {
        for u in 0..n {
            if !visible(mask, causal, t, u) {
                *s.add(u) = f32::NEG_INFINITY;
            }
        }
    }
    max(s, n)
}

/// `p[u] = e^{s[u] − c}` (0 where `s[u] = −∞`) over `n`; returns `Σ p`.
#[inline(always)]
unsafe fn exp_row(s: *const f32, p: *mut f32, n: usize, c: f32) -> f32 {
    let vc = splat(c);
    let ninf = splat(f32::NEG_INFINITY);
    map1(s, p, n, |x| v128_and(vexp(f32x4_sub(x, vc)), f32x4_gt(x, ninf)));
    sum(p, n)
}

/// Row `t` of P from its raw scores (`kend` computed of `tk`), in place: scale, mask, `e^{s − max}`
/// divided by its sum, zeros past `kend`; returns the log-sum-exp (−∞ for a fully masked row, whose
/// P row is 0). The forward pass, the 'lse' backward's recomputation and `cat_attn_probs` all make P
/// by this function from the same gemm, so P is bit-identical whichever of them made it.
#[inline(always)]
unsafe fn softmax_row(row: *mut f32, kend: usize, tk: usize, mask: *const f32, causal: bool, t: usize, scale: f32) -> f32 {
    let m = if kend == 0 { f32::NEG_INFINITY } else { mask_scale_row(row, kend, mask, causal, t, scale) };
    if m == f32::NEG_INFINITY {
        std::ptr::write_bytes(row, 0, tk);
        return f32::NEG_INFINITY;
    }
    let l = exp_row(row, row, kend, m);
    let inv = splat(1.0 / l);
    map1(row, row, kend, |x| f32x4_mul(x, inv));
    if kend < tk {
        std::ptr::write_bytes(row.add(kend), 0, tk - kend);
    }
    m + l.ln()
}

/// Forward of one head's `tq` queries from query `q0` on (0: the whole head): `o` rows (stride
/// `os`), `lse` (Tq), and P into `p` (Tq × Tk) if not null; `q`, `o`, `lse` and `p` point at query
/// `q0`'s row, and `q0` places the rows for the causal mask. Each row is the same k-ordered sums as
/// in the whole head's call, so a range gives its rows bit for bit (the pool starts ranges on
/// multiples of 64, this loop's query blocks). q, k, v rows are strided (`qs`, `ks`, `vs`); `mask`
/// is Tk floats (0/1) or null. Returns 0, or −1 when scratch cannot be allocated.
#[no_mangle]
pub unsafe extern "C" fn cat_attn_fwd(
    q: *const f32,
    qs: usize,
    k: *const f32,
    ks: usize,
    v: *const f32,
    vs: usize,
    mask: *const f32,
    tq: usize,
    tk: usize,
    dkey: usize,
    dv: usize,
    scale: f32,
    causal: u32,
    o: *mut f32,
    os: usize,
    lse: *mut f32,
    p: *mut f32,
    q0: usize,
) -> i32 {
    let causal = causal != 0;
    let sbuf = match scratch(&mut SCR_S, BQ * tk.max(1)) {
        Some(x) => x,
        None => return -1,
    };
    let mut t0 = 0;
    while t0 < tq {
        let t1 = (t0 + BQ).min(tq);
        let bq = t1 - t0;
        let kend = if causal { (q0 + t1).min(tk) } else { tk };
        let s = if p.is_null() { sbuf } else { p.add(t0 * tk) };
        if cat_gemm(bq, kend, dkey, q.add(t0 * qs), qs, 1, k, 1, ks, s, tk, 0) != 0 {
            return -1;
        }
        for i in 0..bq {
            let t = t0 + i;
            *lse.add(t) = softmax_row(s.add(i * tk), kend, tk, mask, causal, q0 + t, scale);
        }
        if cat_gemm(bq, dv, kend, s, tk, 1, v, vs, 1, o.add(t0 * os), os, 0) != 0 {
            return -1;
        }
        t0 = t1;
    }
    0
}

/// Backward of one head. P comes from `p` (Tq × Tk) or, if null, is recomputed from the scores by
/// `softmax_row`, bit for bit as the forward made it (the kept `lse` is not needed for that; the
/// argument stays for the ABI). Writes `dq` rows (stride `dqs`); accumulates into `dk` (stride `dks`) and `dvv` (`dvs`),
/// which may be shared between heads (raw-token keys/values). Returns 0, or −1 without scratch.
#[no_mangle]
pub unsafe extern "C" fn cat_attn_bwd(
    q: *const f32,
    qs: usize,
    k: *const f32,
    ks: usize,
    v: *const f32,
    vs: usize,
    mask: *const f32,
    tq: usize,
    tk: usize,
    dkey: usize,
    dv: usize,
    scale: f32,
    causal: u32,
    o: *const f32,
    os: usize,
    d_o: *const f32,
    _lse: *const f32,
    p: *const f32,
    dq: *mut f32,
    dqs: usize,
    dk: *mut f32,
    dks: usize,
    dvv: *mut f32,
    dvs: usize,
) -> i32 {
    let causal = causal != 0;
    let sbuf = match scratch(&mut SCR_S, BQ * tk.max(1)) {
        Some(x) => x,
        None => return -1,
    };
    let dbuf = match scratch(&mut SCR_D, BQ * tk.max(1)) {
        Some(x) => x,
        None => return -1,
    };
    let mut t0 = 0;
    while t0 < tq {
        let t1 = (t0 + BQ).min(tq);
        let bq = t1 - t0;
        let kend = if causal { t1.min(tk) } else { tk };
        if kend == 0 {
            for i in 0..bq {
                std::ptr::write_bytes(dq.add((t0 + i) * dqs), 0, dkey);
            }
            t0 = t1;
            continue;
        }
        let pp: *const f32 = if p.is_null() {
            if cat_gemm(bq, kend, dkey, q.add(t0 * qs), qs, 1, k, 1, ks, sbuf, tk, 0) != 0 {
                return -1;
            }
            // recomputed exactly as the forward made it (so 'lse' and 'probs' agree bit for bit);
            // a row whose kept log-sum-exp is −∞ is fully masked and comes out 0 either way
            for i in 0..bq {
                let t = t0 + i;
                softmax_row(sbuf.add(i * tk), kend, tk, mask, causal, t, scale);
            }
            sbuf
        } else {
            p.add(t0 * tk)
        };
        // dP = dO Vᵀ
        if cat_gemm(bq, kend, dv, d_o.add(t0 * os), os, 1, v, 1, vs, dbuf, tk, 0) != 0 {
            return -1;
        }
        // dS = scale · P ⊙ (dP − D), D_t = dO_t · O_t
        let vsc = splat(scale);
        for i in 0..bq {
            let t = t0 + i;
            let d = splat(dot(d_o.add(t * os), o.add(t * os), dv));
            let (pr, dr) = (pp.add(i * tk), dbuf.add(i * tk));
            map2(pr, dr, dr, kend, |pv, dpv| f32x4_mul(vsc, f32x4_mul(pv, f32x4_sub(dpv, d))));
        }
        // dQ = dS K; dK += dSᵀ Q; dV += Pᵀ dO
        if cat_gemm(bq, dkey, kend, dbuf, tk, 1, k, ks, 1, dq.add(t0 * dqs), dqs, 0) != 0
            || cat_gemm(kend, dkey, bq, dbuf, 1, tk, q.add(t0 * qs), qs, 1, dk, dks, 1) != 0
            || cat_gemm(kend, dv, bq, pp, 1, tk, d_o.add(t0 * os), os, 1, dvv, dvs, 1) != 0
        {
            return -1;
        }
        t0 = t1;
    }
    0
}

/// P of one head (Tq × Tk into `p`) from q and k, exactly as `cat_attn_fwd` writes it for the
/// 'probs' variant: the attention 2-cell map `lse ⇒ probs`. Returns 0, or −1 without scratch.
#[no_mangle]
pub unsafe extern "C" fn cat_attn_probs(
    q: *const f32,
    qs: usize,
    k: *const f32,
    ks: usize,
    mask: *const f32,
    tq: usize,
    tk: usize,
    dkey: usize,
    scale: f32,
    causal: u32,
    p: *mut f32,
) -> i32 {
    let causal = causal != 0;
    let mut t0 = 0;
    while t0 < tq {
        let t1 = (t0 + BQ).min(tq);
        let bq = t1 - t0;
        let kend = if causal { t1.min(tk) } else { tk };
        let s = p.add(t0 * tk);
        if cat_gemm(bq, kend, dkey, q.add(t0 * qs), qs, 1, k, 1, ks, s, tk, 0) != 0 {
            return -1;
        }
        for i in 0..bq {
            softmax_row(s.add(i * tk), kend, tk, mask, causal, t0 + i, scale);
        }
        t0 = t1;
    }
    0
}
