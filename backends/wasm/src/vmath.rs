//! SIMD elementary functions on `f32x4` and helpers to map them over arrays with a scalar-free tail.

use core::arch::wasm32::*;

#[inline(always)]
pub fn splat(x: f32) -> v128 {
    f32x4_splat(x)
}

/// `e^x` for four lanes: range reduction by `ln 2` (split in two parts) and a degree-6 polynomial
/// on `[-ln2/2, ln2/2]`; relative error about 2e-7. Inputs are clamped to `[-87, 88]`, so the
/// result is always finite and positive (below −87 it is ~1e-38 instead of a denormal or 0).
/// Rounding to the nearest integer and building `2^n` use the 1.5·2²³ trick (single instructions).
#[inline(always)]
pub fn vexp(x: v128) -> v128 {
    const MAGIC: f32 = 12_582_912.0; // 1.5 · 2^23
    let x = f32x4_pmin(f32x4_pmax(x, splat(-87.0)), splat(88.0));
    let t = f32x4_add(f32x4_mul(x, splat(core::f32::consts::LOG2_E)), splat(MAGIC));
    let n = f32x4_sub(t, splat(MAGIC));
    let r = f32x4_sub(x, f32x4_mul(n, splat(0.693_359_375)));
    let r = f32x4_sub(r, f32x4_mul(n, splat(-2.121_944_4e-4)));
    let mut p = splat(1.987_569_1e-4);
    p = f32x4_add(f32x4_mul(p, r), splat(1.398_2e-3));
    p = f32x4_add(f32x4_mul(p, r), splat(8.333_452e-3));
    p = f32x4_add(f32x4_mul(p, r), splat(4.166_579_6e-2));
    p = f32x4_add(f32x4_mul(p, r), splat(1.666_666_5e-1));
    p = f32x4_add(f32x4_mul(p, r), splat(5.000_000_1e-1));
    let y = f32x4_add(f32x4_add(f32x4_mul(f32x4_mul(r, r), p), r), splat(1.0));
    // bits(t) = bits(MAGIC) + n, so (n + 127) << 23 = (bits(t) − bits(MAGIC) + 127) << 23
    let e = i32x4_shl(i32x4_add(t, i32x4_splat(127 - MAGIC.to_bits() as i32)), 23);
    f32x4_mul(y, e)
}

/// `1 / (1 + e^{-x})`.
#[inline(always)]
pub fn vsigmoid(x: v128) -> v128 {
    f32x4_div(splat(1.0), f32x4_add(splat(1.0), vexp(f32x4_neg(x))))
}

/// `tanh x = sign(x) (1 − t)/(1 + t)` with `t = e^{−2|x|}` (absolute error ~1e-7).
#[inline(always)]
pub fn vtanh(x: v128) -> v128 {
    let ax = f32x4_abs(x);
    let t = vexp(f32x4_mul(ax, splat(-2.0)));
    let y = f32x4_div(f32x4_sub(splat(1.0), t), f32x4_add(splat(1.0), t));
    // copy the sign bit of x onto y
    let sign = v128_and(x, u32x4_splat(0x8000_0000));
    v128_or(y, sign)
}

#[inline(always)]
pub unsafe fn load(p: *const f32) -> v128 {
    v128_load(p as *const v128)
}

#[inline(always)]
pub unsafe fn store(p: *mut f32, v: v128) {
    v128_store(p as *mut v128, v)
}

/// Load up to four floats (the rest zero).
#[inline(always)]
pub unsafe fn load_partial(p: *const f32, n: usize) -> v128 {
    let mut t = [0f32; 4];
    core::ptr::copy_nonoverlapping(p, t.as_mut_ptr(), n.min(4));
    load(t.as_ptr())
}

/// Store the first `n` (≤ 4) lanes.
#[inline(always)]
pub unsafe fn store_partial(p: *mut f32, v: v128, n: usize) {
    let mut t = [0f32; 4];
    store(t.as_mut_ptr(), v);
    core::ptr::copy_nonoverlapping(t.as_ptr(), p, n.min(4));
}

/// Horizontal sum of four lanes.
#[inline(always)]
pub fn hsum(v: v128) -> f32 {
    f32x4_extract_lane::<0>(v) + f32x4_extract_lane::<1>(v) + f32x4_extract_lane::<2>(v) + f32x4_extract_lane::<3>(v)
}

/// Horizontal max of four lanes.
#[inline(always)]
pub fn hmax(v: v128) -> f32 {
    f32x4_extract_lane::<0>(v)
        .max(f32x4_extract_lane::<1>(v))
        .max(f32x4_extract_lane::<2>(v).max(f32x4_extract_lane::<3>(v)))
}

/// `y[i] = f(x[i])` over `n` floats, four at a time (the tail padded with zeros).
#[inline(always)]
pub unsafe fn map1(x: *const f32, y: *mut f32, n: usize, f: impl Fn(v128) -> v128) {
    let mut i = 0;
    // two independent vectors per iteration, for instruction-level parallelism in long chains (exp)
    while i + 8 <= n {
        let a = f(load(x.add(i)));
        let b = f(load(x.add(i + 4)));
        store(y.add(i), a);
        store(y.add(i + 4), b);
        i += 8;
    }
    while i + 4 <= n {
        store(y.add(i), f(load(x.add(i))));
        i += 4;
    }
    if i < n {
        store_partial(y.add(i), f(load_partial(x.add(i), n - i)), n - i);
    }
}

/// `z[i] = f(x[i], y[i])` over `n` floats.
#[inline(always)]
pub unsafe fn map2(x: *const f32, y: *const f32, z: *mut f32, n: usize, f: impl Fn(v128, v128) -> v128) {
    let mut i = 0;
    while i + 8 <= n {
        let a = f(load(x.add(i)), load(y.add(i)));
        let b = f(load(x.add(i + 4)), load(y.add(i + 4)));
        store(z.add(i), a);
        store(z.add(i + 4), b);
        i += 8;
    }
    while i + 4 <= n {
        store(z.add(i), f(load(x.add(i)), load(y.add(i))));
        i += 4;
    }
    if i < n {
        store_partial(z.add(i), f(load_partial(x.add(i), n - i), load_partial(y.add(i), n - i)), n - i);
    }
}

/// `Σ f(x[i], y[i])` over `n` floats (zero-padded tail: `f(0, 0)` must be 0).
#[inline(always)]
pub unsafe fn reduce2(x: *const f32, y: *const f32, n: usize, f: impl Fn(v128, v128) -> v128) -> f32 {
    let mut a0 = splat(0.0);
    let mut a1 = splat(0.0);
    let mut i = 0;
    while i + 8 <= n {
        a0 = f32x4_add(a0, f(load(x.add(i)), load(y.add(i))));
        a1 = f32x4_add(a1, f(load(x.add(i + 4)), load(y.add(i + 4))));
        i += 8;
    }
    while i + 4 <= n {
        a0 = f32x4_add(a0, f(load(x.add(i)), load(y.add(i))));
        i += 4;
    }
    if i < n {
        a1 = f32x4_add(a1, f(load_partial(x.add(i), n - i), load_partial(y.add(i), n - i)));
    }
    hsum(f32x4_add(a0, a1))
}

/// `Σ x[i]`.
#[inline(always)]
pub unsafe fn sum(x: *const f32, n: usize) -> f32 {
    reduce2(x, x, n, |a, _| a)
}

/// `Σ x[i]·y[i]`.
#[inline(always)]
pub unsafe fn dot(x: *const f32, y: *const f32, n: usize) -> f32 {
    reduce2(x, y, n, vmul)
}

/// `max x[i]` (`n ≥ 1`).
#[inline(always)]
pub unsafe fn max(x: *const f32, n: usize) -> f32 {
    let mut m = splat(f32::NEG_INFINITY);
    let mut i = 0;
    while i + 4 <= n {
        m = f32x4_pmax(m, load(x.add(i)));
        i += 4;
    }
    let mut r = hmax(m);
    while i < n {
        r = r.max(*x.add(i));
        i += 1;
    }
    r
}

/// `y[i] += a · x[i]`.
#[inline(always)]
pub unsafe fn axpy(a: f32, x: *const f32, y: *mut f32, n: usize) {
    let va = splat(a);
    map2(x, y, y, n, |xv, yv| f32x4_add(yv, f32x4_mul(va, xv)));
}

/// Closure-friendly lane-wise `+` (target-feature intrinsics cannot be passed as `Fn`).
#[inline(always)]
pub fn vadd(a: v128, b: v128) -> v128 {
    f32x4_add(a, b)
}

/// Lane-wise `−`.
#[inline(always)]
pub fn vsub(a: v128, b: v128) -> v128 {
    f32x4_sub(a, b)
}

/// Lane-wise `×`.
#[inline(always)]
pub fn vmul(a: v128, b: v128) -> v128 {
    f32x4_mul(a, b)
}
