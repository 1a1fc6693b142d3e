//! catoptric's WebAssembly kernels: `extern "C"` functions over raw `f32` pointers into this
//! module's linear memory. The TypeScript side (`backends/wasm/index.ts`) owns every allocation
//! through `cat_alloc`/`cat_free` and passes shapes explicitly; no function here keeps a pointer
//! after it returns, except the packing scratch of the matrix multiply, which only grows.
//!
//! Build: see `build.mjs` (rustc 1.63, `wasm32-unknown-unknown`, `+simd128`, std only).

#![allow(clippy::missing_safety_doc)]

mod attn;
mod delta;
mod delta_chunk;
mod fft;
mod gaunt;
mod tp;
mod gemm;
mod group;
mod mcb;
mod nn;
mod pool;
mod pmi;
mod vmath;
mod sparse;

use std::alloc::{alloc, alloc_zeroed, dealloc, GlobalAlloc, Layout, System};

/// Bumped whenever an exported signature or its meaning changes; the loader refuses a mismatch.
/// 3: `cat_alloc_failure` and the exported `__stack_pointer`, so a kernel that runs out of memory
/// inside Rust (which aborts) is reported as out of memory and leaves the instance usable.
/// 5: `cat_attn_fwd` takes a query offset `q0` (the pool splits heads by query blocks).
pub const ABI_VERSION: u32 = 5;

/// Size of the last allocation the system allocator refused (0: none since the last read).
static mut ALLOC_FAILURE: usize = 0;

/// The system allocator, noting the size of any request it refuses. A refused request inside a
/// kernel aborts (a trap in JavaScript); the runtime then reads `cat_alloc_failure` to tell running
/// out of memory apart from a bug.
struct Noting;

unsafe impl GlobalAlloc for Noting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        let p = System.alloc(l);
        if p.is_null() {
            ALLOC_FAILURE = l.size();
        }
        p
    }
    unsafe fn alloc_zeroed(&self, l: Layout) -> *mut u8 {
        let p = System.alloc_zeroed(l);
        if p.is_null() {
            ALLOC_FAILURE = l.size();
        }
        p
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        System.dealloc(p, l)
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, new_size: usize) -> *mut u8 {
        let q = System.realloc(p, l, new_size);
        if q.is_null() {
            ALLOC_FAILURE = new_size;
        }
        q
    }
}

#[global_allocator]
static GLOBAL: Noting = Noting;

/// Size of the last allocation Rust's allocator refused since the previous call (0: none); clears it.
#[no_mangle]
pub unsafe extern "C" fn cat_alloc_failure() -> usize {
    let n = ALLOC_FAILURE;
    ALLOC_FAILURE = 0;
    n
}

/// Every allocation is 16-byte aligned (one `v128`) and its size rounded up to 16 bytes.
const ALIGN: usize = 16;

static mut LIVE_BYTES: usize = 0;

#[no_mangle]
pub extern "C" fn cat_abi_version() -> u32 {
    ABI_VERSION
}

fn layout(bytes: usize) -> Option<Layout> {
    let rounded = bytes.checked_add(ALIGN - 1)? & !(ALIGN - 1);
    Layout::from_size_align(rounded.max(ALIGN), ALIGN).ok()
}

/// Allocate `bytes` (16-byte aligned). Returns 0 when the memory cannot grow that far.
#[no_mangle]
pub unsafe extern "C" fn cat_alloc(bytes: usize) -> *mut u8 {
    match layout(bytes) {
        Some(l) => {
            let p = alloc(l);
            if !p.is_null() {
                LIVE_BYTES += l.size();
            } else {
                ALLOC_FAILURE = 0; // reported by the null pointer
            }
            p
        }
        None => std::ptr::null_mut(),
    }
}

/// Allocate `bytes` of zeros (16-byte aligned). Returns 0 when the memory cannot grow that far.
#[no_mangle]
pub unsafe extern "C" fn cat_alloc_zeroed(bytes: usize) -> *mut u8 {
    match layout(bytes) {
        Some(l) => {
            let p = alloc_zeroed(l);
            if !p.is_null() {
                LIVE_BYTES += l.size();
            } else {
                ALLOC_FAILURE = 0; // reported by the null pointer
            }
            p
        }
        None => std::ptr::null_mut(),
    }
}

/// Give back an allocation made by `cat_alloc` with the same `bytes`.
#[no_mangle]
pub unsafe extern "C" fn cat_free(p: *mut u8, bytes: usize) {
    if p.is_null() {
        return;
    }
    if let Some(l) = layout(bytes) {
        LIVE_BYTES -= l.size();
        dealloc(p, l);
    }
}

/// Bytes currently allocated through `cat_alloc` (the packing scratch is not counted).
#[no_mangle]
pub unsafe extern "C" fn cat_live_bytes() -> usize {
    LIVE_BYTES
}

/// Set `n` floats to zero.
#[no_mangle]
pub unsafe extern "C" fn cat_fill_zero(p: *mut f32, n: usize) {
    std::ptr::write_bytes(p, 0, n);
}

/// Copy `n` floats.
#[no_mangle]
pub unsafe extern "C" fn cat_copy(src: *const f32, dst: *mut f32, n: usize) {
    std::ptr::copy(src, dst, n);
}
