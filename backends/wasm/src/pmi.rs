//! The PMI memory primitives on one head: the outer-product memory `M_t = M_{t−1} + k_t v_tᵀ`,
//! `o_t = M_tᵀ q_t` (forward and backward, states kept every `every` steps), and the competitive
//! top-k write (attention over each query's k best keys, ties to the lower index). Rows of q, k, v
//! and their gradients are strided (one head of a `[B, T, H·d]` tensor), states contiguous
//! row-major `dk × dv`. Arithmetic is scalar in f64 and rounded to f32 where the JS float32 kernel
//! rounds (the state after every step, every output), so the two agree closely; every residual
//! variant runs the same routine, so the variants agree bit for bit.

/// One head's strided views of q, k, v.
#[derive(Clone, Copy)]
struct Head {
    q: *const f32,
    k: *const f32,
    v: *const f32,
    sk: usize,
    sv: usize,
    dk: usize,
    dv: usize,
}

/// `M ← round(M + k_t v_tᵀ)`.
#[inline(always)]
unsafe fn update(h: &Head, t: usize, m: *mut f32) {
    let kt = h.k.add(t * h.sk);
    let vt = h.v.add(t * h.sv);
    for i in 0..h.dk {
        let ki = *kt.add(i) as f64;
        let row = m.add(i * h.dv);
        for j in 0..h.dv {
            *row.add(j) = (*row.add(j) as f64 + ki * *vt.add(j) as f64) as f32;
        }
    }
}

/// Steps `t0 ≤ t < t1` from the state in `m` (updated in place): before each step with
/// `(t − t0) % every == 0` the state is copied to `keep` (if not null); `o_t` is written if `o` is not null.
unsafe fn run(h: &Head, m: *mut f32, t0: usize, t1: usize, keep: *mut f32, every: usize, o: *mut f32) {
    let dd = h.dk * h.dv;
    for t in t0..t1 {
        if !keep.is_null() && (t - t0) % every == 0 {
            std::ptr::copy_nonoverlapping(m, keep.add((t - t0) / every * dd), dd);
        }
        update(h, t, m);
        if !o.is_null() {
            let qt = h.q.add(t * h.sk);
            let ot = o.add(t * h.sv);
            for j in 0..h.dv {
                let mut acc = 0.0f64;
                for i in 0..h.dk {
                    acc += *qt.add(i) as f64 * *m.add(i * h.dv + j) as f64;
                }
                *ot.add(j) = acc as f32;
            }
        }
    }
}

/// Forward of one head over `t` steps: `m` holds M_0 on entry and M_T on return; the state before
/// every step `s` with `s % every == 0` is copied to `keep` (if not null); `o` (if not null) gets
/// the reads, row stride `sv`.
#[no_mangle]
pub unsafe extern "C" fn cat_outer_memory_fwd(
    q: *const f32,
    k: *const f32,
    v: *const f32,
    sk: usize,
    sv: usize,
    t: usize,
    dk: usize,
    dv: usize,
    m: *mut f32,
    o: *mut f32,
    keep: *mut f32,
    every: usize,
) {
    let h = Head { q, k, v, sk, sv, dk, dv };
    run(&h, m, 0, t, keep, every.max(1), o);
}

/// Backward of one head. `kept` holds the states the variant kept: every step (`mode` 0), every
/// `c`-th step (1) or only M_0 (2, the chunk starts rebuilt first). `g` holds dM_T on entry and dM_0
/// on return. Writes dq, dk, dv (strides as q, k, v). Returns 1 if scratch memory ran out, else 0.
#[no_mangle]
pub unsafe extern "C" fn cat_outer_memory_bwd(
    q: *const f32,
    k: *const f32,
    v: *const f32,
    sk: usize,
    sv: usize,
    t: usize,
    dk: usize,
    dv: usize,
    c: usize,
    kept: *const f32,
    mode: u32,
    d_o: *const f32,
    g: *mut f32,
    dq: *mut f32,
    dkk: *mut f32,
    dvv: *mut f32,
) -> i32 {
    let h = Head { q, k, v, sk, sv, dk, dv };
    let dd = dk * dv;
    let nb = (t + c - 1) / c;
    let mut scratch: Vec<f32> = Vec::new();
    let mut gg: Vec<f64> = Vec::new();
    if scratch.try_reserve_exact(nb * dd + c * dd + dd).is_err() || gg.try_reserve_exact(dd).is_err() {
        return 1;
    }
    scratch.resize(nb * dd + c * dd + dd, 0.0);
    let (bounds, rest) = scratch.split_at_mut(nb * dd);
    let (seg, mcur) = rest.split_at_mut(c * dd);
    let (bounds, seg, mcur) = (bounds.as_mut_ptr(), seg.as_mut_ptr(), mcur.as_mut_ptr());
    if mode == 2 {
        std::ptr::copy_nonoverlapping(kept, mcur, dd);
        run(&h, mcur, 0, t, bounds, c, std::ptr::null_mut());
    } else if mode == 1 {
        std::ptr::copy_nonoverlapping(kept, bounds, nb * dd);
    }
    for i in 0..dd {
        gg.push(*g.add(i) as f64);
    }
    for ci in (0..nb).rev() {
        let t0 = ci * c;
        let t1 = (t0 + c).min(t);
        if mode == 0 {
            std::ptr::copy_nonoverlapping(kept.add(t0 * dd), seg, (t1 - t0) * dd);
        } else {
            std::ptr::copy_nonoverlapping(bounds.add(ci * dd), mcur, dd);
            run(&h, mcur, t0, t1, seg, 1, std::ptr::null_mut());
        }
        for s in (t0..t1).rev() {
            std::ptr::copy_nonoverlapping(seg.add((s - t0) * dd), mcur, dd);
            update(&h, s, mcur);
            let qt = q.add(s * sk);
            let dot = d_o.add(s * sv);
            for i in 0..dk {
                let qi = *qt.add(i) as f64;
                let mut acc = 0.0f64;
                for j in 0..dv {
                    let doj = *dot.add(j) as f64;
                    acc += *mcur.add(i * dv + j) as f64 * doj;
                    gg[i * dv + j] += qi * doj;
                }
                *dq.add(s * sk + i) = acc as f32;
            }
            let kt = k.add(s * sk);
            let vt = v.add(s * sv);
            for i in 0..dk {
                let mut acc = 0.0f64;
                for j in 0..dv {
                    acc += gg[i * dv + j] * *vt.add(j) as f64;
                }
                *dkk.add(s * sk + i) = acc as f32;
            }
            for j in 0..dv {
                let mut acc = 0.0f64;
                for i in 0..dk {
                    acc += gg[i * dv + j] * *kt.add(i) as f64;
                }
                *dvv.add(s * sv + j) = acc as f32;
            }
        }
    }
    for i in 0..dd {
        *g.add(i) = gg[i] as f32;
    }
    0
}

/// The `kk` best of `n` scores in order (score descending, index ascending: ties to the lower index).
fn topk(scores: &[f64], kk: usize, sel: &mut [usize]) {
    let mut m = 0usize;
    for (n, &sc) in scores.iter().enumerate() {
        let mut pos = m;
        while pos > 0 && sc > scores[sel[pos - 1]] {
            pos -= 1;
        }
        if pos >= kk {
            continue;
        }
        let mut j = m.min(kk - 1);
        while j > pos {
            sel[j] = sel[j - 1];
            j -= 1;
        }
        sel[pos] = n;
        if m < kk {
            m += 1;
        }
    }
}

/// Top-k write forward of one head of one batch row: `s` queries (row stride `sq`) against `n` keys
/// (stride `sq`) and values (stride `sv`); writes `o` (stride `sv`), and per query the selected key
/// indices `idx` and weights `w` (`kk` each, contiguous). Returns 1 if scratch memory ran out.
#[no_mangle]
pub unsafe extern "C" fn cat_topk_write_fwd(
    q: *const f32,
    k: *const f32,
    v: *const f32,
    s: usize,
    n: usize,
    sq: usize,
    sv: usize,
    dk: usize,
    dv: usize,
    kk: usize,
    o: *mut f32,
    idx: *mut f32,
    w: *mut f32,
) -> i32 {
    let mut scores: Vec<f64> = Vec::new();
    let mut sel: Vec<usize> = Vec::new();
    let mut e: Vec<f64> = Vec::new();
    if scores.try_reserve_exact(n).is_err() || sel.try_reserve_exact(kk).is_err() || e.try_reserve_exact(kk).is_err() {
        return 1;
    }
    scores.resize(n, 0.0);
    sel.resize(kk, 0);
    e.resize(kk, 0.0);
    let scale = 1.0 / (dk as f64).sqrt();
    for r in 0..s {
        let qr = q.add(r * sq);
        for j in 0..n {
            let kj = k.add(j * sq);
            let mut acc = 0.0f64;
            for i in 0..dk {
                acc += *qr.add(i) as f64 * *kj.add(i) as f64;
            }
            scores[j] = acc * scale;
        }
        topk(&scores, kk, &mut sel);
        let mut z = 0.0f64;
        for j in 0..kk {
            e[j] = (scores[sel[j]] - scores[sel[0]]).exp();
            z += e[j];
        }
        for j in 0..kk {
            *idx.add(r * kk + j) = sel[j] as f32;
            *w.add(r * kk + j) = (e[j] / z) as f32;
        }
        let or = o.add(r * sv);
        for c in 0..dv {
            let mut acc = 0.0f64;
            for j in 0..kk {
                acc += *w.add(r * kk + j) as f64 * *v.add(sel[j] * sv + c) as f64;
            }
            *or.add(c) = acc as f32;
        }
    }
    0
}

/// Top-k write backward of one head of one batch row, from the kept `idx` and `w`: writes dq and
/// adds into dk, dv (which must start at zero; strides as q, k, v). Returns 1 if scratch ran out.
#[no_mangle]
pub unsafe extern "C" fn cat_topk_write_bwd(
    q: *const f32,
    k: *const f32,
    v: *const f32,
    s: usize,
    sq: usize,
    sv: usize,
    dk: usize,
    dv: usize,
    kk: usize,
    idx: *const f32,
    w: *const f32,
    d_o: *const f32,
    dq: *mut f32,
    dkk: *mut f32,
    dvv: *mut f32,
) -> i32 {
    let mut ds: Vec<f64> = Vec::new();
    if ds.try_reserve_exact(kk).is_err() {
        return 1;
    }
    ds.resize(kk, 0.0);
    let scale = 1.0 / (dk as f64).sqrt();
    for r in 0..s {
        let dor = d_o.add(r * sv);
        let qr = q.add(r * sq);
        let mut dot = 0.0f64;
        for j in 0..kk {
            let vj = v.add(*idx.add(r * kk + j) as usize * sv);
            let mut acc = 0.0f64;
            for c in 0..dv {
                acc += *dor.add(c) as f64 * *vj.add(c) as f64;
            }
            ds[j] = acc;
            dot += *w.add(r * kk + j) as f64 * acc;
        }
        for j in 0..kk {
            ds[j] = *w.add(r * kk + j) as f64 * (ds[j] - dot) * scale;
        }
        for i in 0..dk {
            let mut acc = 0.0f64;
            for j in 0..kk {
                acc += ds[j] * *k.add(*idx.add(r * kk + j) as usize * sq + i) as f64;
            }
            *dq.add(r * sq + i) = acc as f32;
        }
        for j in 0..kk {
            let nn = *idx.add(r * kk + j) as usize;
            let p = *w.add(r * kk + j) as f64;
            for i in 0..dk {
                let a = dkk.add(nn * sq + i);
                *a = (*a as f64 + ds[j] * *qr.add(i) as f64) as f32;
            }
            for c in 0..dv {
                let a = dvv.add(nn * sv + c);
                *a = (*a as f64 + p * *dor.add(c) as f64) as f32;
            }
        }
    }
    0
}
