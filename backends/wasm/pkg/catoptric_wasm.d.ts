/** The raw exports of catoptric_wasm_bg.wasm. Pointers are byte addresses in `memory`; sizes in floats unless named `bytes`. */
export interface CatoptricWasmExports {
  readonly memory: WebAssembly.Memory;
  cat_abi_version(): number;
  cat_alloc(bytes: number): number;
  cat_alloc_zeroed(bytes: number): number;
  cat_free(ptr: number, bytes: number): void;
  cat_live_bytes(): number;
  cat_fill_zero(ptr: number, n: number): void;
  cat_copy(src: number, dst: number, n: number): void;
  cat_gemm(m: number, n: number, k: number, a: number, rsa: number, csa: number, b: number, rsb: number, csb: number, c: number, ldc: number, accumulate: number): number;
  cat_peak_kernel(iters: number, seed: number): number;
  cat_unary_fwd(op: number, x: number, y: number, n: number): number;
  cat_unary_bwd(op: number, x: number, dy: number, dx: number, n: number): number;
  cat_add(x: number, y: number, z: number, n: number): void;
  cat_scale(a: number, x: number, z: number, n: number): void;
  cat_add_bias(y: number, b: number, m: number, c: number): void;
  cat_col_sum(x: number, out: number, m: number, c: number, accumulate: number): void;
  cat_softmax_fwd(x: number, y: number, m: number, c: number): void;
  cat_softmax_bwd(y: number, dy: number, dx: number, m: number, c: number): void;
  cat_layernorm_fwd(x: number, g: number, b: number, y: number, xhat: number, rstd: number, m: number, c: number, eps: number): void;
  cat_layernorm_bwd(xhat: number, rstd: number, g: number, dy: number, dx: number, dg: number, db: number, m: number, c: number): void;
  cat_rmsnorm_fwd(x: number, g: number, y: number, rinv: number, m: number, c: number, eps: number): void;
  cat_rmsnorm_bwd(x: number, rinv: number, g: number, dy: number, dx: number, dg: number, m: number, c: number): void;
  cat_mse_fwd(a: number, b: number, diff: number, out: number, n: number): void;
  cat_mse_bwd(diff: number, dy: number, da: number, db: number, n: number): void;
  cat_xent_fwd(logits: number, labels: number, prob: number, out: number, m: number, c: number): number;
  cat_xent_bwd(prob: number, labels: number, dy: number, d: number, m: number, c: number): void;
  cat_embedding_fwd(ids: number, table: number, y: number, n: number, vocab: number, d: number): number;
  cat_embedding_bwd(ids: number, dy: number, dtable: number, n: number, vocab: number, d: number): void;
  cat_delta_fwd(q: number, k: number, v: number, beta: number, sk: number, sv: number, sb: number, t: number, dk: number, dv: number, s: number, o: number, keep: number, every: number): void;
  cat_delta_bwd(q: number, k: number, v: number, beta: number, sk: number, sv: number, sb: number, t: number, dk: number, dv: number, kept: number, every: number, mode: number, dO: number, dS: number, dq: number, dk_: number, dv_: number, dbeta: number): number;
  cat_delta_chunk_fwd(q: number, k: number, v: number, beta: number, sk: number, sv: number, sb: number, t: number, dk: number, dv: number, chunk: number, s: number, o: number, keep: number, every: number): number;
  cat_delta_chunk_bwd(q: number, k: number, v: number, beta: number, sk: number, sv: number, sb: number, t: number, dk: number, dv: number, chunk: number, kept: number, mode: number, dO: number, dS: number, dq: number, dk_: number, dv_: number, dbeta: number): number;
  cat_l2norm_fwd(x: number, out: number, norms: number, rows: number, d: number, floor: number): void;
  cat_l2norm_bwd(xhat: number, norms: number, dxhat: number, dx: number, rows: number, d: number, floor: number): void;
  cat_scaled_sigmoid(logit: number, beta: number, n: number, scale: number): void;
  cat_scaled_sigmoid_bwd(dbeta: number, beta: number, dlogit: number, n: number, scale: number): void;
  cat_attn_fwd(q: number, qs: number, k: number, ks: number, v: number, vs: number, mask: number, tq: number, tk: number, dkey: number, dv: number, scale: number, causal: number, o: number, os: number, lse: number, p: number): number;
  cat_attn_bwd(q: number, qs: number, k: number, ks: number, v: number, vs: number, mask: number, tq: number, tk: number, dkey: number, dv: number, scale: number, causal: number, o: number, os: number, dO: number, lse: number, p: number, dq: number, dqs: number, dk: number, dks: number, dv_: number, dvs: number): number;
  cat_attn_probs(q: number, qs: number, k: number, ks: number, mask: number, tq: number, tk: number, dkey: number, scale: number, causal: number, p: number): number;
  cat_outer_fwd(x: number, xs: number, y: number, ys: number, z: number, zs: number, rows: number, dx: number, dy: number): void;
  cat_outer_bwd(x: number, xs: number, y: number, ys: number, g: number, gs: number, gx: number, gy: number, rows: number, dx: number, dy: number): void;
  cat_mul(x: number, y: number, z: number, n: number): void;
  cat_sum_pool_fwd(x: number, z: number, groups: number, k: number): void;
  cat_sum_pool_bwd(g: number, gx: number, groups: number, k: number): void;
  cat_copy_rows(src: number, ss: number, dst: number, ds: number, rows: number, c: number): void;
  cat_signed_sqrt_l2_fwd(v: number, s: number, rnorm: number, out: number, rows: number, c: number, eps: number): void;
  cat_signed_sqrt_l2_bwd(s: number, rnorm: number, g: number, dv: number, rows: number, c: number, eps: number): void;
  cat_tp_dense_fwd(x1: number, x2: number, y: number, rows: number, C: number, n1: number, n2: number, n3: number, weff: number, table: number): void;
  cat_tp_dense_bwd(x1: number, x2: number, dy: number, dx1: number, dx2: number, sp: number, rows: number, C: number, n1: number, n2: number, n3: number, weff: number, table: number): void;
  cat_gaunt_fwd(plan: number, x1: number, x2: number, w1: number, w2: number, w3: number, rows: number, C: number, f1re: number, f1im: number, f2re: number, f2im: number, b: number, y: number): void;
  cat_gaunt_bwd(plan: number, x1: number, x2: number, w1: number, w2: number, w3: number, rows: number, C: number, f1re: number, f1im: number, f2re: number, f2im: number, b: number, dy: number, dx1: number, dx2: number, dw1: number, dw2: number, dw3: number): void;
  cat_mcb_fwd(x: number, y: number, rows: number, dx: number, dy: number, d: number, hashes: number, psi1: number, psi2: number, aRe: number, aIm: number, bRe: number, bIm: number, z: number): void;
  cat_mcb_bwd(mode: number, x: number, y: number, psi1: number, psi2: number, aRe: number, aIm: number, bRe: number, bIm: number, g: number, gx: number, gy: number, rows: number, dx: number, dy: number, d: number, hashes: number): void;
  /** Further kernels (components) are looked up by name. */
  readonly [name: string]: unknown;
}

/** What the loaders accept: bytes, a compiled module, a Response (or its promise), or a URL to fetch. */
export type InitInput = BufferSource | WebAssembly.Module | Response | Promise<Response> | URL | string;

export declare const ABI_VERSION: number;
export declare function embeddedBytes(): Uint8Array;
export declare function instantiate(input?: InitInput): Promise<CatoptricWasmExports>;
export declare function instantiateSync(input?: BufferSource | WebAssembly.Module): CatoptricWasmExports;
export default function init(input?: InitInput): Promise<CatoptricWasmExports>;
export declare function initSync(input?: BufferSource | WebAssembly.Module): CatoptricWasmExports;
export declare function initialised(): CatoptricWasmExports | undefined;
export declare function f32View(exports: CatoptricWasmExports, ptr: number, len: number): Float32Array;
