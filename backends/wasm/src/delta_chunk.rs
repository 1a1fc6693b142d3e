//! The delta rule's chunkwise (WY) form on one head, forward and backward, following the JS
//! reference (`backends/js/kernels/delta-core.ts`: `wyFactors`, `chunkForward`, `chunkBackward`).
//! Per chunk of `c ≤ C` rows: `A = tril(diag(β) K Kᵀ, −1)`, `W = (I + A)⁻¹ diag(β) K`,
//! `U = (I + A)⁻¹ diag(β) V` (forward substitution), `U' = U − W h`, `O = Q h + (Q Kᵀ ⊙ M) U'`
//! (M lower triangular with diagonal), `h ← h + Kᵀ U'`. The products are `cat_gemm` calls over
//! the strided rows of one head of a `[B, T, H·d]` tensor; the triangular solves are SIMD axpys.

use crate::delta::Head;
use crate::gemm::cat_gemm;
use crate::vmath::*;
use core::arch::wasm32::*;

/// Scratch of one call: C×C blocks and chunk-row blocks.
struct Scratch {
    _buf: Vec<f32>,
    kk: *mut f32,
    a: *mut f32,
    p: *mut f32,
    dp: *mut f32,
    w: *mut f32,
    dw: *mut f32,
    u: *mut f32,
    up: *mut f32,
    du: *mut f32,
    x: *mut f32,
}

unsafe fn scratch(cs: usize, dk: usize, dv: usize) -> Option<Scratch> {
    let c2 = cs * cs;
    let sizes = [c2, c2, c2, c2, cs * dk, cs * dk, cs * dv, cs * dv, cs * dv, (dk * dv).max(cs * dv)];
    // each block rounded up to 4 floats so every block starts 16-byte aligned
    let total: usize = sizes.iter().map(|s| (s + 3) & !3).sum::<usize>() + 4;
    let mut buf: Vec<f32> = Vec::new();
    if buf.try_reserve_exact(total).is_err() {
        return None;
    }
    buf.resize(total, 0.0);
    let base = buf.as_mut_ptr();
    let mut off = 0;
    let mut ptrs = [core::ptr::null_mut::<f32>(); 10];
    for (i, s) in sizes.iter().enumerate() {
        ptrs[i] = base.add(off);
        off += (s + 3) & !3;
    }
    Some(Scratch { _buf: buf, kk: ptrs[0], a: ptrs[1], p: ptrs[2], dp: ptrs[3], w: ptrs[4], dw: ptrs[5], u: ptrs[6], up: ptrs[7], du: ptrs[8], x: ptrs[9] })
}

macro_rules! gemm {
    ($($e:expr),* $(,)?) => {
        if cat_gemm($($e),*) != 0 {
            return -1;
        }
    };
}

/// Solve `(I + A) X = R` in place (A strictly lower triangular, leading dimension `cs`), X c×n.
unsafe fn forward_substitute(a: *const f32, cs: usize, x: *mut f32, c: usize, n: usize) {
    for i in 1..c {
        for j in 0..i {
            let aij = *a.add(i * cs + j);
            if aij != 0.0 {
                axpy(-aij, x.add(j * n), x.add(i * n), n);
            }
        }
    }
}

/// Solve `(I + A)ᵀ X = R` in place.
unsafe fn back_substitute(a: *const f32, cs: usize, x: *mut f32, c: usize, n: usize) {
    if c < 2 {
        return;
    }
    for i in (0..c - 1).rev() {
        for j in i + 1..c {
            let aji = *a.add(j * cs + i);
            if aji != 0.0 {
                axpy(-aji, x.add(j * n), x.add(i * n), n);
            }
        }
    }
}

/// Zero the strict upper triangle of a c×c block (leading dimension `cs`).
unsafe fn mask_upper(p: *mut f32, cs: usize, c: usize) {
    for i in 0..c {
        std::ptr::write_bytes(p.add(i * cs + i + 1), 0, c - i - 1);
    }
}

/// `kk = Kc Kcᵀ`, `A = tril(diag(β) kk, −1)`, `W`, `U` of the chunk at `t0` (c rows).
unsafe fn wy(h: &Head, t0: usize, c: usize, cs: usize, s: &Scratch) -> i32 {
    let (dk, dv) = (h.dk, h.dv);
    let kc = h.k.add(t0 * h.sk);
    gemm!(c, c, dk, kc, h.sk, 1, kc, 1, h.sk, s.kk, cs, 0);
    for i in 0..c {
        let b = *h.beta.add((t0 + i) * h.sb);
        for j in 0..c {
            *s.a.add(i * cs + j) = if j < i { b * *s.kk.add(i * cs + j) } else { 0.0 };
        }
        let vb = splat(b);
        map1(kc.add(i * h.sk), s.w.add(i * dk), dk, |x| f32x4_mul(x, vb));
        map1(h.v.add((t0 + i) * h.sv), s.u.add(i * dv), dv, |x| f32x4_mul(x, vb));
    }
    forward_substitute(s.a, cs, s.w, c, dk);
    forward_substitute(s.a, cs, s.u, c, dv);
    0
}

/// Chunkwise forward of one head; `st` holds S_0 on entry and S_T on exit. `o` (rows strided by
/// `sv`) may be null (no outputs). If `keep` is not null: with `every` = 1 S_{t−1} is kept for
/// every t, otherwise the state at every chunk start t0 with t0 % every = 0 goes to keep[t0/every].
unsafe fn chunk_forward(h: &Head, t_len: usize, cs: usize, st: *mut f32, o: *mut f32, keep: *mut f32, every: usize, s: &Scratch) -> i32 {
    let (dk, dv) = (h.dk, h.dv);
    let dd = dk * dv;
    let every = every.max(1);
    let mut t0 = 0;
    while t0 < t_len {
        let c = cs.min(t_len - t0);
        if !keep.is_null() && every > 1 && t0 % every == 0 {
            std::ptr::copy_nonoverlapping(st, keep.add((t0 / every) * dd), dd);
        }
        if wy(h, t0, c, cs, s) != 0 {
            return -1;
        }
        // U' = U − W h (in u)
        gemm!(c, dv, dk, s.w, dk, 1, st, dv, 1, s.x, dv, 0);
        map2(s.u, s.x, s.u, c * dv, vsub);
        let kc = h.k.add(t0 * h.sk);
        if !o.is_null() {
            let qc = h.q.add(t0 * h.sk);
            let oc = o.add(t0 * h.sv);
            gemm!(c, c, dk, qc, h.sk, 1, kc, 1, h.sk, s.p, cs, 0);
            mask_upper(s.p, cs, c);
            gemm!(c, dv, dk, qc, h.sk, 1, st, dv, 1, oc, h.sv, 0);
            gemm!(c, dv, c, s.p, cs, 1, s.u, dv, 1, oc, h.sv, 1);
        }
        if !keep.is_null() && every == 1 {
            // S_{t−1} for every t of the chunk, by rank-1 updates of a copy of the chunk start (x is
            // free here); the running state is updated below as in every other mode, so all residual
            // variants compute the same chunk starts, outputs and S_T
            std::ptr::copy_nonoverlapping(st, s.x, dd);
            for i in 0..c {
                std::ptr::copy_nonoverlapping(s.x, keep.add((t0 + i) * dd), dd);
                if i + 1 == c {
                    break;
                }
                let ki = kc.add(i * h.sk);
                for x in 0..dk {
                    let kx = *ki.add(x);
                    if kx != 0.0 {
                        axpy(kx, s.u.add(i * dv), s.x.add(x * dv), dv);
                    }
                }
            }
        }
        gemm!(dk, dv, c, kc, 1, h.sk, s.u, dv, 1, st, dv, 1);
        t0 += c;
    }
    0
}

/// Chunkwise forward of one head (see `chunk_forward`). Returns 0, or −1 without scratch memory.
#[no_mangle]
pub unsafe extern "C" fn cat_delta_chunk_fwd(
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
    chunk: usize,
    st: *mut f32,
    o: *mut f32,
    keep: *mut f32,
    every: usize,
) -> i32 {
    let h = Head { q, k, v, beta, sk, sv, sb, dk, dv };
    let cs = chunk.max(1).min(t_len.max(1));
    match scratch(cs, dk, dv) {
        Some(s) => chunk_forward(&h, t_len, cs, st, o, keep, every, &s),
        None => -1,
    }
}

/// Chunkwise backward of one head. `ds` holds dS_T on entry and dS_0 on exit. With `mode` 0,
/// `kept` holds the state at every chunk start; with `mode` 1 it holds S_0 only and the chunk
/// starts are recomputed by one forward pass (no outputs); with `mode` 2 it holds the state before
/// every step ('all-states') and the chunk starts are read from it. Writes (overwrites) the gradients of
/// q, k, v, β of this head. Returns 0, or −1 without scratch memory.
#[no_mangle]
pub unsafe extern "C" fn cat_delta_chunk_bwd(
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
    chunk: usize,
    kept: *const f32,
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
    let chunk = chunk.max(1);
    let cs = chunk.min(t_len.max(1));
    let s = match scratch(cs, dk, dv) {
        Some(s) => s,
        None => return -1,
    };
    let n_c = (t_len + chunk - 1) / chunk;
    let mut rebuilt: Vec<f32> = Vec::new();
    let bounds: *const f32 = if mode == 1 {
        if rebuilt.try_reserve_exact(n_c * dd + dd).is_err() {
            return -1;
        }
        rebuilt.resize(n_c * dd + dd, 0.0);
        let rp = rebuilt.as_mut_ptr();
        let cur = rp.add(n_c * dd);
        std::ptr::copy_nonoverlapping(kept, cur, dd);
        if chunk_forward(&h, t_len, cs, cur, std::ptr::null_mut(), rp, cs, &s) != 0 {
            return -1;
        }
        rp
    } else {
        kept
    };
    // states between chunk starts: 1 (chunk starts only) or cs (every step kept)
    let bstride = if mode == 2 { cs * dd } else { dd };
    for ci in (0..n_c).rev() {
        let t0 = ci * cs;
        let c = cs.min(t_len - t0);
        let hs = bounds.add(ci * bstride);
        if wy(&h, t0, c, cs, &s) != 0 {
            return -1;
        }
        // U' = U − W h (into up; u stays U)
        gemm!(c, dv, dk, s.w, dk, 1, hs, dv, 1, s.up, dv, 0);
        map2(s.u, s.up, s.up, c * dv, vsub);
        let qc = q.add(t0 * sk);
        let kc = k.add(t0 * sk);
        let doc = d_o.add(t0 * sv);
        let dqc = dq.add(t0 * sk);
        let dkc = dkk.add(t0 * sk);
        // h' = h + KᵀU': dU' = K dH, dK = U' dHᵀ (dH = ds before this chunk's updates)
        gemm!(c, dv, dk, kc, sk, 1, ds, dv, 1, s.du, dv, 0);
        gemm!(c, dk, dv, s.up, dv, 1, ds, 1, dv, dkc, sk, 0);
        // O = Q h + P U', P = tril(Q Kᵀ): dQ = dO hᵀ + dP K, dh += Qᵀ dO, dU' += Pᵀ dO, dK += dPᵀ Q
        gemm!(c, dk, dv, doc, sv, 1, hs, 1, dv, dqc, sk, 0);
        gemm!(dk, dv, c, qc, 1, sk, doc, sv, 1, ds, dv, 1);
        gemm!(c, c, dk, qc, sk, 1, kc, 1, sk, s.p, cs, 0);
        mask_upper(s.p, cs, c);
        gemm!(c, c, dv, doc, sv, 1, s.up, 1, dv, s.dp, cs, 0);
        mask_upper(s.dp, cs, c);
        gemm!(c, dv, c, s.p, 1, cs, doc, sv, 1, s.du, dv, 1);
        gemm!(c, dk, c, s.dp, cs, 1, kc, sk, 1, dqc, sk, 1);
        gemm!(c, dk, c, s.dp, 1, cs, qc, sk, 1, dkc, sk, 1);
        // U' = U − W h: dW = −dU' hᵀ, dh −= Wᵀ dU'
        gemm!(c, dk, dv, s.du, dv, 1, hs, 1, dv, s.dw, dk, 0);
        let neg = splat(-1.0);
        map1(s.dw, s.dw, c * dk, |x| f32x4_mul(x, neg));
        gemm!(dk, dv, c, s.w, 1, dk, s.du, dv, 1, s.x, dv, 0);
        map2(ds, s.x, ds, dd, vsub);
        // through W = (I + A)⁻¹ diag(β) K, U = (I + A)⁻¹ diag(β) V
        back_substitute(s.a, cs, s.du, c, dv);
        back_substitute(s.a, cs, s.dw, c, dk);
        // G = dU Uᵀ + dW Wᵀ (into p); dA = −G on the strict lower triangle; F = diag(β) dA (into dp)
        gemm!(c, c, dv, s.du, dv, 1, s.u, 1, dv, s.p, cs, 0);
        gemm!(c, c, dk, s.dw, dk, 1, s.w, 1, dk, s.p, cs, 1);
        for i in 0..c {
            let ti = t0 + i;
            let bi = *beta.add(ti * sb);
            let dui = s.du.add(i * dv);
            let dwi = s.dw.add(i * dk);
            let vb = splat(bi);
            map1(dui, dvv.add(ti * sv), dv, |x| f32x4_mul(x, vb));
            let mut db = dot(dui, v.add(ti * sv), dv) + dot(dwi, k.add(ti * sk), dk);
            for j in 0..c {
                let f = if j < i {
                    let da = -*s.p.add(i * cs + j);
                    db += da * *s.kk.add(i * cs + j);
                    bi * da
                } else {
                    0.0
                };
                *s.dp.add(i * cs + j) = f;
            }
            *dbeta.add(ti * sb) = db;
            axpy(bi, dwi, dkc.add(i * sk), dk);
        }
        gemm!(c, dk, c, s.dp, cs, 1, kc, sk, 1, dkc, sk, 1);
        gemm!(c, dk, c, s.dp, 1, cs, kc, sk, 1, dkc, sk, 1);
    }
    0
}
