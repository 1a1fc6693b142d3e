//! Register-blocked SIMD matrix multiply: `C (+)= A · B` for strided `A` (m×k) and `B` (k×n), so
//! that `A·B`, `A·Bᵀ` and `Aᵀ·B` are one routine. Blocks of `KC` rows of `B` are packed into panels
//! of `NR` = 8 columns and blocks of `MC` rows of `A` into panels of `MR` = 4 rows; a 4×8 micro-kernel
//! keeps its tile in eight `f32x4` accumulators (no FMA in SIMD128: a multiply and an add per pair).

use crate::vmath::{load, splat, store};
use core::arch::wasm32::*;

const MR: usize = 4;
const NR: usize = 8;
const KC: usize = 256;
const MC: usize = 128;

/// Packing scratch, grown on demand and reused (never freed, so steady-state memory is flat).
static mut PACK_A: Vec<f32> = Vec::new();
static mut PACK_B: Vec<f32> = Vec::new();

/// A pointer to at least `n` floats of `v`, growing it if needed; `None` when memory runs out.
pub(crate) unsafe fn scratch(v: &mut Vec<f32>, n: usize) -> Option<*mut f32> {
    if v.len() < n {
        v.clear();
        if v.try_reserve_exact(n).is_err() {
            return None;
        }
        v.resize(n, 0.0);
    }
    Some(v.as_mut_ptr())
}

/// Pack rows `p0..p0+kc` of B (all `n` columns) into `ceil(n/8)` panels of `kc × 8`, zero-padded.
unsafe fn pack_b(b: *const f32, rsb: usize, csb: usize, p0: usize, kc: usize, n: usize, out: *mut f32) {
    let panels = (n + NR - 1) / NR;
    for jp in 0..panels {
        let j0 = jp * NR;
        let w = (n - j0).min(NR);
        let dst = out.add(jp * kc * NR);
        for p in 0..kc {
            let src = b.add((p0 + p) * rsb + j0 * csb);
            let d = dst.add(p * NR);
            if w == NR && csb == 1 {
                store(d, load(src));
                store(d.add(4), load(src.add(4)));
            } else {
                for j in 0..NR {
                    *d.add(j) = if j < w { *src.add(j * csb) } else { 0.0 };
                }
            }
        }
    }
}

/// Pack rows `i0..i0+mc`, columns `p0..p0+kc` of A into `ceil(mc/4)` panels of `kc × 4`, zero-padded.
unsafe fn pack_a(a: *const f32, rsa: usize, csa: usize, i0: usize, mc: usize, p0: usize, kc: usize, out: *mut f32) {
    let panels = (mc + MR - 1) / MR;
    for ip in 0..panels {
        let r0 = ip * MR;
        let h = (mc - r0).min(MR);
        let dst = out.add(ip * kc * MR);
        if h == MR && rsa == 1 {
            // column-major A (a transposed operand): four rows are contiguous
            for p in 0..kc {
                store(dst.add(p * MR), load(a.add((i0 + r0) + (p0 + p) * csa)));
            }
        } else {
            for r in 0..MR {
                if r < h {
                    let src = a.add((i0 + r0 + r) * rsa + p0 * csa);
                    for p in 0..kc {
                        *dst.add(p * MR + r) = *src.add(p * csa);
                    }
                } else {
                    for p in 0..kc {
                        *dst.add(p * MR + r) = 0.0;
                    }
                }
            }
        }
    }
}

/// The 4×8 micro-kernel: `C[0..h, 0..w] (+)= Apanel · Bpanel` over `kc`.
#[inline(always)]
unsafe fn micro(kc: usize, pa: *const f32, pb: *const f32, c: *mut f32, ldc: usize, h: usize, w: usize, acc: bool) {
    let z = splat(0.0);
    let (mut c00, mut c01, mut c10, mut c11, mut c20, mut c21, mut c30, mut c31) = (z, z, z, z, z, z, z, z);
    let mut pa = pa;
    let mut pb = pb;
    for _ in 0..kc {
        let b0 = load(pb);
        let b1 = load(pb.add(4));
        let a0 = v128_load32_splat(pa as *const u32);
        let a1 = v128_load32_splat(pa.add(1) as *const u32);
        c00 = f32x4_add(c00, f32x4_mul(a0, b0));
        c01 = f32x4_add(c01, f32x4_mul(a0, b1));
        c10 = f32x4_add(c10, f32x4_mul(a1, b0));
        c11 = f32x4_add(c11, f32x4_mul(a1, b1));
        let a2 = v128_load32_splat(pa.add(2) as *const u32);
        let a3 = v128_load32_splat(pa.add(3) as *const u32);
        c20 = f32x4_add(c20, f32x4_mul(a2, b0));
        c21 = f32x4_add(c21, f32x4_mul(a2, b1));
        c30 = f32x4_add(c30, f32x4_mul(a3, b0));
        c31 = f32x4_add(c31, f32x4_mul(a3, b1));
        pa = pa.add(MR);
        pb = pb.add(NR);
    }
    let rows = [[c00, c01], [c10, c11], [c20, c21], [c30, c31]];
    if h == MR && w == NR {
        for (r, row) in rows.iter().enumerate() {
            let cr = c.add(r * ldc);
            if acc {
                store(cr, f32x4_add(load(cr), row[0]));
                store(cr.add(4), f32x4_add(load(cr.add(4)), row[1]));
            } else {
                store(cr, row[0]);
                store(cr.add(4), row[1]);
            }
        }
    } else {
        let mut t = [0f32; MR * NR];
        for (r, row) in rows.iter().enumerate() {
            store(t.as_mut_ptr().add(r * NR), row[0]);
            store(t.as_mut_ptr().add(r * NR + 4), row[1]);
        }
        for r in 0..h {
            for j in 0..w {
                let cr = c.add(r * ldc + j);
                *cr = if acc { *cr + t[r * NR + j] } else { t[r * NR + j] };
            }
        }
    }
}

/// `C (+)= A·B` with `A[i,p] = a[i·rsa + p·csa]`, `B[p,j] = b[p·rsb + j·csb]`, `C[i,j] = c[i·ldc + j]`.
/// Returns 0, or −1 when the packing scratch cannot be allocated.
#[no_mangle]
pub unsafe extern "C" fn cat_gemm(
    m: usize,
    n: usize,
    k: usize,
    a: *const f32,
    rsa: usize,
    csa: usize,
    b: *const f32,
    rsb: usize,
    csb: usize,
    c: *mut f32,
    ldc: usize,
    accumulate: u32,
) -> i32 {
    if m == 0 || n == 0 {
        return 0;
    }
    if k == 0 {
        if accumulate == 0 {
            for i in 0..m {
                std::ptr::write_bytes(c.add(i * ldc), 0, n);
            }
        }
        return 0;
    }
    let panels_n = (n + NR - 1) / NR;
    let kc_max = k.min(KC);
    let mc_max = m.min(MC);
    let pb = match scratch(&mut PACK_B, panels_n * NR * kc_max) {
        Some(p) => p,
        None => return -1,
    };
    let pa = match scratch(&mut PACK_A, ((mc_max + MR - 1) / MR) * MR * kc_max) {
        Some(p) => p,
        None => return -1,
    };
    let mut p0 = 0;
    while p0 < k {
        let kc = (k - p0).min(KC);
        let acc = accumulate != 0 || p0 > 0;
        pack_b(b, rsb, csb, p0, kc, n, pb);
        let mut i0 = 0;
        while i0 < m {
            let mc = (m - i0).min(MC);
            pack_a(a, rsa, csa, i0, mc, p0, kc, pa);
            let panels_m = (mc + MR - 1) / MR;
            for jp in 0..panels_n {
                let j0 = jp * NR;
                let w = (n - j0).min(NR);
                let bp = pb.add(jp * kc * NR);
                for ip in 0..panels_m {
                    let r0 = ip * MR;
                    let h = (mc - r0).min(MR);
                    micro(kc, pa.add(ip * kc * MR), bp, c.add((i0 + r0) * ldc + j0), ldc, h, w, acc);
                }
            }
            i0 += mc;
        }
        p0 += kc;
    }
    0
}

/// Multiply–adds in registers, to measure the machine's SIMD128 peak the way the matrix multiply
/// uses it (products independent of the accumulators): per iteration one `f32x4` add advancing `a`,
/// then ten `acc_j += a · b_j`: 10 × 8 + 4 = 84 flops. Returns a value depending on every chain.
#[no_mangle]
pub extern "C" fn cat_peak_kernel(iters: u32, seed: f32) -> f32 {
    let d = splat(1e-7);
    let b0 = splat(0.5);
    let b1 = splat(0.25);
    let mut a = splat(seed);
    let mut acc = [splat(0.0); 10];
    for _ in 0..iters {
        a = f32x4_add(a, d);
        for (j, x) in acc.iter_mut().enumerate() {
            *x = f32x4_add(*x, f32x4_mul(a, if j % 2 == 0 { b0 } else { b1 }));
        }
    }
    let mut s = splat(0.0);
    for x in acc.iter() {
        s = f32x4_add(s, *x);
    }
    crate::vmath::hsum(s)
}
