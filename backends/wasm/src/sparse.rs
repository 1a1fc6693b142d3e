//! Sparse (CSR) kernels over packed `f32` wires: a CSR wire of `rows` rows and bound `bound` is
//! `rows + 1` row pointers, `bound` column-index slots and `bound` value slots (indices exact in
//! f32 up to 2^24). The TypeScript side validates every packed input before calling in.
//!
//! SpGEMM has the three dataflows of SMASH (Shivdikar): inner product, outer product and row-wise
//! with a hash scratchpad; each sums every c_ij in f64 in increasing k, so all three give C bit
//! for bit, and each fills five f64 counters (products, stored partials, peak intermediate bytes,
//! bytes of A read, bytes of B read) with the same rules as the JS kernels (src/sparse/spgemm.ts).

use std::slice::{from_raw_parts, from_raw_parts_mut};

struct Csr<'a> {
    rows: usize,
    ptr: &'a [f32],
    idx: &'a [f32],
    val: &'a [f32],
}

impl<'a> Csr<'a> {
    #[inline(always)]
    fn span(&self, i: usize) -> (usize, usize) {
        (self.ptr[i] as usize, self.ptr[i + 1] as usize)
    }
    #[inline(always)]
    fn col(&self, p: usize) -> usize {
        self.idx[p] as usize
    }
    fn nnz(&self) -> usize {
        self.ptr[self.rows] as usize
    }
}

unsafe fn packed<'a>(p: *const f32, rows: usize, bound: usize) -> Csr<'a> {
    let all = from_raw_parts(p, rows + 1 + 2 * bound);
    let nnz = all[rows] as usize;
    Csr { rows, ptr: &all[..rows + 1], idx: &all[rows + 1..rows + 1 + nnz], val: &all[rows + 1 + bound..rows + 1 + bound + nnz] }
}

/// Live and peak bytes of intermediates.
struct Live {
    live: f64,
    peak: f64,
}
impl Live {
    fn alloc(&mut self, b: usize) {
        self.live += b as f64;
        if self.live > self.peak {
            self.peak = self.live;
        }
    }
    fn free(&mut self, b: usize) {
        self.live -= b as f64;
    }
}

/// A transposed copy (CSC of the input), rows kept in order within each column.
struct Owned {
    ptr: Vec<usize>,
    idx: Vec<usize>,
    val: Vec<f32>,
}

fn transpose(a: &Csr, cols: usize) -> Owned {
    let nnz = a.nnz();
    let mut ptr = vec![0usize; cols + 1];
    for p in 0..nnz {
        ptr[a.col(p) + 1] += 1;
    }
    for j in 0..cols {
        ptr[j + 1] += ptr[j];
    }
    let mut next = ptr[..cols].to_vec();
    let mut idx = vec![0usize; nnz];
    let mut val = vec![0f32; nnz];
    for i in 0..a.rows {
        let (s, e) = a.span(i);
        for p in s..e {
            let q = next[a.col(p)];
            next[a.col(p)] += 1;
            idx[q] = i;
            val[q] = a.val[p];
        }
    }
    Owned { ptr, idx, val }
}

/// Write C into its packed wire (zeroed by the caller); −1 if it has more entries than `bound`.
unsafe fn emit(c: *mut f32, rows: usize, bound: usize, ptr: &[usize], idx: &[usize], sums: &[f64]) -> i32 {
    let nnz = ptr[rows];
    if nnz > bound {
        return -1;
    }
    let out = from_raw_parts_mut(c, rows + 1 + 2 * bound);
    for i in 0..=rows {
        out[i] = ptr[i] as f32;
    }
    for p in 0..nnz {
        out[rows + 1 + p] = idx[p] as f32;
        out[rows + 1 + bound + p] = sums[p] as f32;
    }
    nnz as i32
}

unsafe fn counters(out: *mut f64, products: f64, stored: f64, peak: f64, read_a: f64, read_b: f64) {
    let o = from_raw_parts_mut(out, 5);
    o[0] = products;
    o[1] = stored;
    o[2] = peak;
    o[3] = read_a;
    o[4] = read_b;
}

const VB: usize = 4; // bytes of an f32 value

fn inner(a: &Csr, b: &Csr, n: usize, cnt: &mut [f64; 5]) -> (Vec<usize>, Vec<usize>, Vec<f64>) {
    let mut live = Live { live: 0.0, peak: 0.0 };
    let bt = transpose(b, n);
    let bt_bytes = (n + 1) * 4 + b.nnz() * (4 + VB);
    live.alloc(bt_bytes);
    let (mut read_a, mut read_b, mut products) = (0usize, b.nnz() * (4 + VB), 0usize);
    let mut ptr = vec![0usize; a.rows + 1];
    let (mut idx, mut sums) = (Vec::new(), Vec::new());
    for i in 0..a.rows {
        let (a0, a1) = a.span(i);
        for j in 0..n {
            let (b0, b1) = (bt.ptr[j], bt.ptr[j + 1]);
            if a0 == a1 || b0 == b1 {
                continue;
            }
            let (mut pa, mut pb, mut s, mut hit) = (a0, b0, 0f64, false);
            while pa < a1 && pb < b1 {
                let (ka, kb) = (a.col(pa), bt.idx[pb]);
                if ka == kb {
                    s += a.val[pa] as f64 * bt.val[pb] as f64;
                    hit = true;
                    products += 1;
                    read_a += VB;
                    read_b += VB;
                    pa += 1;
                    pb += 1;
                } else if ka < kb {
                    pa += 1;
                } else {
                    pb += 1;
                }
            }
            read_a += 4 * ((pa + 1).min(a1) - a0);
            read_b += 4 * ((pb + 1).min(b1) - b0);
            if hit {
                idx.push(j);
                sums.push(s);
            }
        }
        ptr[i + 1] = idx.len();
    }
    live.free(bt_bytes);
    *cnt = [products as f64, 0.0, live.peak, read_a as f64, read_b as f64];
    (ptr, idx, sums)
}

fn outer(a: &Csr, b: &Csr, k: usize, n: usize, cnt: &mut [f64; 5]) -> (Vec<usize>, Vec<usize>, Vec<f64>) {
    let mut live = Live { live: 0.0, peak: 0.0 };
    let at = transpose(a, k);
    live.alloc((k + 1) * 4 + a.nnz() * (4 + VB));
    let (read_a, mut read_b) = (a.nnz() * (4 + VB), 0usize);
    let mut total = 0usize;
    for kk in 0..k {
        let (b0, b1) = b.span(kk);
        total += (at.ptr[kk + 1] - at.ptr[kk]) * (b1 - b0);
    }
    let mut pi = vec![0u32; total];
    let mut pj = vec![0u32; total];
    let mut pv = vec![0f64; total];
    live.alloc(total * (8 + VB));
    let mut t = 0usize;
    for kk in 0..k {
        let (a0, a1) = (at.ptr[kk], at.ptr[kk + 1]);
        if a0 == a1 {
            continue;
        }
        let (b0, b1) = b.span(kk);
        read_b += (b1 - b0) * (4 + VB);
        for p in a0..a1 {
            let (i, x) = (at.idx[p], at.val[p] as f64);
            for q in b0..b1 {
                pi[t] = i as u32;
                pj[t] = b.col(q) as u32;
                pv[t] = x * b.val[q] as f64;
                t += 1;
            }
        }
    }
    // Merge: counting sort by column, then stably by row, keeps k order within each (i, j).
    let mut order = vec![0u32; total];
    live.alloc(total * 4);
    let mut tmp = vec![0u32; total];
    live.alloc(total * 4);
    let mut by_col = vec![0usize; n + 1];
    for q in 0..total {
        by_col[pj[q] as usize + 1] += 1;
    }
    for j in 0..n {
        by_col[j + 1] += by_col[j];
    }
    for q in 0..total {
        let c = pj[q] as usize;
        tmp[by_col[c]] = q as u32;
        by_col[c] += 1;
    }
    let mut by_row = vec![0usize; a.rows + 1];
    for q in 0..total {
        by_row[pi[q] as usize + 1] += 1;
    }
    for i in 0..a.rows {
        by_row[i + 1] += by_row[i];
    }
    for s in 0..total {
        let q = tmp[s] as usize;
        let r = pi[q] as usize;
        order[by_row[r]] = q as u32;
        by_row[r] += 1;
    }
    let mut ptr = vec![0usize; a.rows + 1];
    let (mut idx, mut sums) = (Vec::new(), Vec::new());
    let mut s = 0usize;
    while s < total {
        let q0 = order[s] as usize;
        let (i, j) = (pi[q0], pj[q0]);
        let mut acc = 0f64;
        while s < total && pi[order[s] as usize] == i && pj[order[s] as usize] == j {
            acc += pv[order[s] as usize];
            s += 1;
        }
        idx.push(j as usize);
        sums.push(acc);
        ptr[i as usize + 1] = idx.len();
    }
    for i in 0..a.rows {
        if ptr[i + 1] < ptr[i] {
            ptr[i + 1] = ptr[i];
        }
    }
    *cnt = [total as f64, total as f64, live.peak, read_a as f64, read_b as f64];
    (ptr, idx, sums)
}

const EMPTY: u32 = u32::MAX;

fn table_size(count: usize) -> usize {
    let mut s = 2;
    while s < 2 * count {
        s *= 2;
    }
    s
}

#[inline(always)]
fn slot(j: u32, mask: usize) -> usize {
    (j.wrapping_mul(0x9e37_79b1) as usize) & mask
}

/// Symbolic phase: C's row pointers, each row's distinct columns counted in a hash set.
fn symbolic(a: &Csr, b: &Csr, live: &mut Live, read_a: &mut usize, read_b: &mut usize) -> Vec<usize> {
    let mut ptr = vec![0usize; a.rows + 1];
    // One scratchpad reused by every row (cleared after use); each row uses a table sized to it.
    let mut keys: Vec<u32> = Vec::new();
    for i in 0..a.rows {
        let (a0, a1) = a.span(i);
        let mut upper = 0usize;
        for p in a0..a1 {
            let (b0, b1) = b.span(a.col(p));
            upper += b1 - b0;
        }
        *read_a += 4 * (a1 - a0);
        let size = table_size(upper);
        let mask = size - 1;
        if keys.len() < size {
            keys.resize(size, EMPTY);
        }
        live.alloc(size * 4);
        let mut count = 0usize;
        for p in a0..a1 {
            *read_a += 4;
            let (b0, b1) = b.span(a.col(p));
            for q in b0..b1 {
                let j = b.col(q) as u32;
                *read_b += 4;
                let mut h = slot(j, mask);
                while keys[h] != EMPTY && keys[h] != j {
                    h = (h + 1) & mask;
                }
                if keys[h] == EMPTY {
                    keys[h] = j;
                    count += 1;
                }
            }
        }
        for h in keys[..size].iter_mut() {
            *h = EMPTY;
        }
        live.free(size * 4);
        ptr[i + 1] = ptr[i] + count;
    }
    ptr
}

/// Row-wise hash numeric phase (after `symbolic`); `with_values` false gives the pattern only.
fn hash_rows(a: &Csr, b: &Csr, ptr: &[usize], live: &mut Live, cnt: &mut [usize; 3], with_values: bool) -> (Vec<usize>, Vec<f64>) {
    let nnz = ptr[a.rows];
    let mut idx = vec![0usize; nnz];
    let mut sums = vec![0f64; if with_values { nnz } else { 0 }];
    let mut keys: Vec<u32> = Vec::new();
    let mut vals: Vec<f64> = Vec::new();
    let mut row: Vec<u32> = Vec::new();
    for i in 0..a.rows {
        let count = ptr[i + 1] - ptr[i];
        if count == 0 {
            continue;
        }
        let size = table_size(count);
        let mask = size - 1;
        if keys.len() < size {
            keys.resize(size, EMPTY);
            if with_values {
                vals.resize(size, 0.0);
            }
        }
        live.alloc(size * (4 + VB));
        let (a0, a1) = a.span(i);
        for p in a0..a1 {
            let (k, x) = (a.col(p), a.val[p] as f64);
            cnt[1] += 4 + VB;
            let (b0, b1) = b.span(k);
            for q in b0..b1 {
                let j = b.col(q) as u32;
                cnt[2] += 4 + VB;
                cnt[0] += 1;
                let mut h = slot(j, mask);
                while keys[h] != EMPTY && keys[h] != j {
                    h = (h + 1) & mask;
                }
                keys[h] = j;
                if with_values {
                    vals[h] += x * b.val[q] as f64;
                }
            }
        }
        row.clear();
        row.extend(keys[..size].iter().cloned().filter(|&k| k != EMPTY));
        row.sort_unstable();
        for (t, &j) in row.iter().enumerate() {
            idx[ptr[i] + t] = j as usize;
            if with_values {
                let mut h = slot(j, mask);
                while keys[h] != j {
                    h = (h + 1) & mask;
                }
                sums[ptr[i] + t] = vals[h];
            }
        }
        for h in 0..size {
            keys[h] = EMPTY;
            if with_values {
                vals[h] = 0.0;
            }
        }
        live.free(size * (4 + VB));
    }
    (idx, sums)
}

fn hash(a: &Csr, b: &Csr, cnt: &mut [f64; 5]) -> (Vec<usize>, Vec<usize>, Vec<f64>) {
    let mut live = Live { live: 0.0, peak: 0.0 };
    let (mut read_a, mut read_b) = (0usize, 0usize);
    let ptr = symbolic(a, b, &mut live, &mut read_a, &mut read_b);
    live.alloc((a.rows + 1) * 4);
    let mut c = [0usize, read_a, read_b];
    let (idx, sums) = hash_rows(a, b, &ptr, &mut live, &mut c, true);
    *cnt = [c[0] as f64, 0.0, live.peak, c[1] as f64, c[2] as f64];
    (ptr, idx, sums)
}

/// C = A·B (A rows × k, B k × n, packed at bounds `ba`, `bb`) by dataflow 0 = rowwise-hash,
/// 1 = inner, 2 = outer, into the zeroed packed wire `c` (bound `bc`); fills `out` (5 counters).
/// Returns C's entries, or −1 when they exceed `bc`.
#[no_mangle]
pub unsafe extern "C" fn cat_spgemm(dataflow: u32, a: *const f32, b: *const f32, rows: usize, k: usize, n: usize, ba: usize, bb: usize, c: *mut f32, bc: usize, out: *mut f64) -> i32 {
    let (a, b) = (packed(a, rows, ba), packed(b, k, bb));
    let mut cnt = [0f64; 5];
    let (ptr, idx, sums) = match dataflow {
        1 => inner(&a, &b, n, &mut cnt),
        2 => outer(&a, &b, k, n, &mut cnt),
        _ => hash(&a, &b, &mut cnt),
    };
    counters(out, cnt[0], cnt[1], cnt[2], cnt[3], cnt[4]);
    emit(c, rows, bc, &ptr, &idx, &sums)
}

/// C's pattern alone (symbolic phase, then each row's columns sorted) into `pat`: `rows + 1` row
/// pointers then `bc` column slots. Returns C's entries, or −1 when they exceed `bc`.
#[no_mangle]
pub unsafe extern "C" fn cat_spgemm_pattern(a: *const f32, b: *const f32, rows: usize, k: usize, ba: usize, bb: usize, pat: *mut f32, bc: usize) -> i32 {
    let (a, b) = (packed(a, rows, ba), packed(b, k, bb));
    let mut live = Live { live: 0.0, peak: 0.0 };
    let (mut ra, mut rb) = (0usize, 0usize);
    let ptr = symbolic(&a, &b, &mut live, &mut ra, &mut rb);
    let (idx, _) = hash_rows(&a, &b, &ptr, &mut live, &mut [0usize; 3], false);
    if ptr[rows] > bc {
        return -1;
    }
    let out = from_raw_parts_mut(pat, rows + 1 + bc);
    for i in 0..=rows {
        out[i] = ptr[i] as f32;
    }
    for p in 0..ptr[rows] {
        out[rows + 1 + p] = idx[p] as f32;
    }
    ptr[rows] as i32
}

/// VJP of C = A·B over the values: `pat` is C's pattern (as `cat_spgemm_pattern` writes it), `dc`
/// the cotangent's values on it; writes the value slots of the zeroed packed cotangents `da`, `db`.
#[no_mangle]
pub unsafe extern "C" fn cat_spgemm_vjp(a: *const f32, b: *const f32, rows: usize, k: usize, n: usize, ba: usize, bb: usize, pat: *const f32, dc: *const f32, da: *mut f32, db: *mut f32) {
    let (a, b) = (packed(a, rows, ba), packed(b, k, bb));
    let cp = from_raw_parts(pat, rows + 1);
    let nnz_c = cp[rows] as usize;
    let ci = from_raw_parts(pat.add(rows + 1), nnz_c);
    let g = from_raw_parts(dc, nnz_c);
    let da = from_raw_parts_mut(da.add(rows + 1 + ba), a.nnz());
    let mut dbv = vec![0f64; b.nnz()];
    let mut w = vec![0f64; n];
    for i in 0..rows {
        let (c0, c1) = (cp[i] as usize, cp[i + 1] as usize);
        for p in c0..c1 {
            w[ci[p] as usize] = g[p] as f64;
        }
        let (a0, a1) = a.span(i);
        for p in a0..a1 {
            let (kk, x) = (a.col(p), a.val[p] as f64);
            let (b0, b1) = b.span(kk);
            let mut s = 0f64;
            for q in b0..b1 {
                let gj = w[b.col(q)];
                s += b.val[q] as f64 * gj;
                dbv[q] += x * gj;
            }
            da[p] = s as f32;
        }
        for p in c0..c1 {
            w[ci[p] as usize] = 0.0;
        }
    }
    let db = from_raw_parts_mut(db.add(k + 1 + bb), b.nnz());
    for q in 0..db.len() {
        db[q] = dbv[q] as f32;
    }
}

/// Sparse × dense: `y = A·x` for packed A (rows × k, bound `ba`) and x [k, d]; y [rows, d].
#[no_mangle]
pub unsafe extern "C" fn cat_spmm(a: *const f32, rows: usize, k: usize, ba: usize, x: *const f32, d: usize, y: *mut f32) {
    let a = packed(a, rows, ba);
    let x = from_raw_parts(x, k * d);
    let y = from_raw_parts_mut(y, rows * d);
    let mut acc = vec![0f64; d];
    for i in 0..rows {
        acc.iter_mut().for_each(|v| *v = 0.0);
        let (a0, a1) = a.span(i);
        for p in a0..a1 {
            let (v, xk) = (a.val[p] as f64, a.col(p) * d);
            for c in 0..d {
                acc[c] += v * x[xk + c] as f64;
            }
        }
        for c in 0..d {
            y[i * d + c] = acc[c] as f32;
        }
    }
}

/// (u·vᵀ) sampled at a pattern: one f64 dot product per stored entry.
fn sampled(a: &Csr, u: &[f32], v: &[f32], d: usize) -> Vec<f64> {
    let mut out = vec![0f64; a.nnz()];
    for i in 0..a.rows {
        let (a0, a1) = a.span(i);
        for p in a0..a1 {
            let (ui, vj) = (i * d, a.col(p) * d);
            let mut s = 0f64;
            for c in 0..d {
                s += u[ui + c] as f64 * v[vj + c] as f64;
            }
            out[p] = s;
        }
    }
    out
}

/// `Wᵀ·g` for a pattern with values `w` (rows × k): k × d, accumulated in f64.
fn spmm_t(a: &Csr, w: &[f64], k: usize, g: &[f32], d: usize) -> Vec<f64> {
    let mut out = vec![0f64; k * d];
    for i in 0..a.rows {
        let (a0, a1) = a.span(i);
        for p in a0..a1 {
            let xk = a.col(p) * d;
            for c in 0..d {
                out[xk + c] += w[p] * g[i * d + c] as f64;
            }
        }
    }
    out
}

/// VJP of `y = A·x`: value slots of the zeroed packed `da` get (dy·xᵀ) at A's pattern; dx = Aᵀ·dy.
#[no_mangle]
pub unsafe extern "C" fn cat_spmm_vjp(a: *const f32, rows: usize, k: usize, ba: usize, x: *const f32, d: usize, dy: *const f32, da: *mut f32, dx: *mut f32) {
    let a = packed(a, rows, ba);
    let x = from_raw_parts(x, k * d);
    let dy = from_raw_parts(dy, rows * d);
    let s = sampled(&a, dy, x, d);
    let da = from_raw_parts_mut(da.add(rows + 1 + ba), a.nnz());
    for p in 0..s.len() {
        da[p] = s[p] as f32;
    }
    let w: Vec<f64> = a.val.iter().map(|&v| v as f64).collect();
    let t = spmm_t(&a, &w, k, dy, d);
    let dx = from_raw_parts_mut(dx, k * d);
    for q in 0..t.len() {
        dx[q] = t[q] as f32;
    }
}

/// SDDMM: value slots of the packed `out` (S's pattern copied by the caller) get s_p·(x_i·y_j).
#[no_mangle]
pub unsafe extern "C" fn cat_sddmm(s: *const f32, rows: usize, cols: usize, bs: usize, x: *const f32, y: *const f32, d: usize, out: *mut f32) {
    let s = packed(s, rows, bs);
    let dots = sampled(&s, from_raw_parts(x, rows * d), from_raw_parts(y, cols * d), d);
    let o = from_raw_parts_mut(out.add(rows + 1 + bs), s.nnz());
    for p in 0..dots.len() {
        o[p] = (s.val[p] as f64 * dots[p]) as f32;
    }
}

/// VJP of SDDMM given the cotangent values `g` on S's pattern: dS = g ⊙ (x·yᵀ)|S into the zeroed
/// packed `ds`, dx = (g ⊙ S)·y, dy = (g ⊙ S)ᵀ·x.
#[no_mangle]
pub unsafe extern "C" fn cat_sddmm_vjp(s: *const f32, rows: usize, cols: usize, bs: usize, x: *const f32, y: *const f32, d: usize, g: *const f32, ds: *mut f32, dx: *mut f32, dy: *mut f32) {
    let s = packed(s, rows, bs);
    let (xv, yv) = (from_raw_parts(x, rows * d), from_raw_parts(y, cols * d));
    let g = from_raw_parts(g, s.nnz());
    let dots = sampled(&s, xv, yv, d);
    let dsv = from_raw_parts_mut(ds.add(rows + 1 + bs), s.nnz());
    let mut gs = vec![0f64; s.nnz()];
    for p in 0..dots.len() {
        dsv[p] = (g[p] as f64 * dots[p]) as f32;
        gs[p] = g[p] as f64 * s.val[p] as f64;
    }
    // dx_i = Σ_p gs_p y_j (rows of S), dy_j = Σ_p gs_p x_i (its transpose).
    let dxv = from_raw_parts_mut(dx, rows * d);
    for i in 0..rows {
        let (a0, a1) = s.span(i);
        let mut acc = vec![0f64; d];
        for p in a0..a1 {
            let yj = s.col(p) * d;
            for c in 0..d {
                acc[c] += gs[p] * yv[yj + c] as f64;
            }
        }
        for c in 0..d {
            dxv[i * d + c] = acc[c] as f32;
        }
    }
    let t = spmm_t(&s, &gs, cols, xv, d);
    let dyv = from_raw_parts_mut(dy, cols * d);
    for q in 0..t.len() {
        dyv[q] = t[q] as f32;
    }
}
