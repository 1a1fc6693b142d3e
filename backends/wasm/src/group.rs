//! Group-equivariant point-set layers: every point acted on by every sampled matrix (and the
//! transpose of that action for the backward pass), and mean/max pooling over one axis. The linear
//! maps around them reuse `cat_gemm`.

/// `u[b, k, n, :] = m_k · x[b, n, :]` for points x `[bs, np, d]` and matrices m `[ks, d, d]`.
#[no_mangle]
pub unsafe extern "C" fn cat_group_points(x: *const f32, m: *const f32, u: *mut f32, bs: usize, ks: usize, np: usize, d: usize) {
    for b in 0..bs {
        for k in 0..ks {
            let mk = m.add(k * d * d);
            for n in 0..np {
                let xo = x.add((b * np + n) * d);
                let uo = u.add(((b * ks + k) * np + n) * d);
                for i in 0..d {
                    let mut s = 0.0f32;
                    for j in 0..d {
                        s += *mk.add(i * d + j) * *xo.add(j);
                    }
                    *uo.add(i) = s;
                }
            }
        }
    }
}

/// Backward of `cat_group_points` in x: `dx[b, n, :] = Σ_k m_kᵀ · du[b, k, n, :]` (dx overwritten).
#[no_mangle]
pub unsafe extern "C" fn cat_group_points_bwd(du: *const f32, m: *const f32, dx: *mut f32, bs: usize, ks: usize, np: usize, d: usize) {
    std::ptr::write_bytes(dx, 0, bs * np * d);
    for b in 0..bs {
        for k in 0..ks {
            let mk = m.add(k * d * d);
            for n in 0..np {
                let go = du.add(((b * ks + k) * np + n) * d);
                let xo = dx.add((b * np + n) * d);
                for j in 0..d {
                    let mut s = 0.0f32;
                    for i in 0..d {
                        s += *mk.add(i * d + j) * *go.add(i);
                    }
                    *xo.add(j) += s;
                }
            }
        }
    }
}

/// Pool x `[outer, n, inner]` over its middle axis into y `[outer, inner]`: the mean (`op` 0) or
/// the max (`op` 1, writing the argmax, as a float, to `arg`).
#[no_mangle]
pub unsafe extern "C" fn cat_axis_pool_fwd(x: *const f32, y: *mut f32, arg: *mut f32, outer: usize, n: usize, inner: usize, op: u32) {
    for o in 0..outer {
        for i in 0..inner {
            let at = |k: usize| *x.add((o * n + k) * inner + i);
            if op == 0 {
                let mut s = 0.0f32;
                for k in 0..n {
                    s += at(k);
                }
                *y.add(o * inner + i) = s / n as f32;
            } else {
                let (mut best, mut arg_k) = (at(0), 0usize);
                for k in 1..n {
                    if at(k) > best {
                        best = at(k);
                        arg_k = k;
                    }
                }
                *y.add(o * inner + i) = best;
                *arg.add(o * inner + i) = arg_k as f32;
            }
        }
    }
}

/// Backward of `cat_axis_pool_fwd`: dx `[outer, n, inner]` from dy `[outer, inner]` (overwritten):
/// spread evenly (mean) or routed to the kept argmax (max).
#[no_mangle]
pub unsafe extern "C" fn cat_axis_pool_bwd(dy: *const f32, arg: *const f32, dx: *mut f32, outer: usize, n: usize, inner: usize, op: u32) {
    std::ptr::write_bytes(dx, 0, outer * n * inner);
    for o in 0..outer {
        for i in 0..inner {
            let g = *dy.add(o * inner + i);
            if op == 0 {
                for k in 0..n {
                    *dx.add((o * n + k) * inner + i) = g / n as f32;
                }
            } else {
                let k = *arg.add(o * inner + i) as usize;
                *dx.add((o * n + k) * inner + i) = g;
            }
        }
    }
}
