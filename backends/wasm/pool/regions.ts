// Split rules of the wasm backend's worker pool, one entry per Rust export that kernels may hand to
// the pool: which arguments are pointers and which memory each call reads and writes. A worker gets
// a copy of what a call reads (its own module instance, its own memory) and sends back exactly what
// the call writes, row by row, so calls on disjoint outputs can run in any worker and the result is
// bit for bit that of running them one after another on one instance.
import type { CatoptricWasmExports } from '../pkg/catoptric_wasm.js';

/**
 * Memory one call touches: `rows` rows of `cols` floats, `stride` floats apart, from the pointer in
 * argument `arg` (0: none). `in` is read, `out` written (overwritten), `inout` read then written.
 */
export interface Region {
  readonly arg: number;
  readonly rows: number;
  readonly cols: number;
  readonly stride: number;
  readonly mode: 'in' | 'out' | 'inout';
}

/** The exports a kernel may split across the pool, and the regions each call touches. */
export type SplitExport =
  | 'cat_gemm'
  | 'cat_attn_fwd'
  | 'cat_attn_bwd'
  | 'cat_delta_fwd'
  | 'cat_delta_bwd'
  | 'cat_delta_chunk_fwd'
  | 'cat_delta_chunk_bwd'
  | 'cat_gaunt_fwd'
  | 'cat_gaunt_bwd'
  | 'cat_tp_dense_fwd'
  | 'cat_tp_dense_bwd'
  | 'cat_mcb_fwd'
  | 'cat_mcb_bwd';

/** Floats spanned by a region, from its first to its last element. */
export const extentOf = (r: Region): number => (r.rows <= 0 || r.cols <= 0 ? 0 : (r.rows - 1) * r.stride + r.cols);

const rows = (arg: number, n: number, cols: number, stride: number, mode: Region['mode']): Region => ({ arg, rows: n, cols, stride, mode });
const flat = (arg: number, n: number, mode: Region['mode']): Region => ({ arg, rows: 1, cols: n, stride: n, mode });
/** A strided matrix read through row and column strides (a transposed operand reads every row). */
const strided = (arg: number, m: number, k: number, rs: number, cs: number): Region =>
  m <= 0 || k <= 0 ? flat(arg, 0, 'in') : flat(arg, (m - 1) * rs + (k - 1) * cs + 1, 'in');

/** Floats of a half spectrum of a length-d real signal. */
const halfOf = (d: number): number => Math.floor(d / 2) + 1;

/**
 * The arguments 0–12 the Gaunt product's forward and backward share: plan, x1, x2, w1, w2, w3, then
 * the grids f1re, f1im, f2re, f2im and b, which the forward writes (`grids`: 'out') and the backward reads.
 */
const gauntOperands = (rows: number, ch: number, [words, n1, n2, n3, W1, W2, e1, e2, e3]: readonly number[], grids: Region['mode']): Region[] => [
  flat(0, words!, 'in'),
  flat(1, rows * n1!, 'in'),
  flat(2, rows * n2!, 'in'),
  flat(3, ch * e1!, 'in'),
  flat(4, ch * e2!, 'in'),
  flat(5, ch * e3!, 'in'),
  flat(8, rows * W1! * W1!, grids),
  flat(9, rows * W1! * W1!, grids),
  flat(10, rows * W2! * W2!, grids),
  flat(11, rows * W2! * W2!, grids),
  flat(12, rows * n3!, grids),
];

/** q, k, v and β, arguments 0–3 of every delta-rule export: T rows each, strided. */
const deltaOperands = (T: number, dk: number, dv: number, sk: number, sv: number, sb: number): Region[] => [
  rows(0, T, dk, sk, 'in'),
  rows(1, T, dk, sk, 'in'),
  rows(2, T, dv, sv, 'in'),
  rows(3, T, 1, sb, 'in'),
];

/** Kept delta-rule states: one every `every` steps, from step 0. */
const keptStates = (T: number, every: number): number => (every <= 0 ? 0 : Math.ceil(T / every));

/**
 * Split rules, keyed by export. Each maps a call's arguments (as the kernel passes them, byte
 * pointers included) to the regions it touches; every pointer argument appears exactly once. Sizes
 * the arguments do not carry come in `meta` (the same for every call of one list).
 */
export const splitRules: Readonly<Record<SplitExport, (a: readonly number[], meta: readonly number[]) => readonly Region[]>> = {
  // cat_gemm(m, n, k, a, rsa, csa, b, rsb, csb, c, ldc, accumulate)
  cat_gemm: ([m, n, k, , rsa, csa, , rsb, csb, , ldc, acc]) => [
    strided(3, m!, k!, rsa!, csa!),
    strided(6, k!, n!, rsb!, csb!),
    rows(9, m!, n!, ldc!, acc ? 'inout' : 'out'),
  ],
  // cat_attn_fwd(q, qs, k, ks, v, vs, mask, tq, tk, dkey, dv, scale, causal, o, os, lse, p, q0): q, o,
  // lse and p point at query q0's row
  cat_attn_fwd: ([, qs, , ks, , vs, , tq, tk, dkey, dv, , , , os]) => [
    rows(0, tq!, dkey!, qs!, 'in'),
    rows(2, tk!, dkey!, ks!, 'in'),
    rows(4, tk!, dv!, vs!, 'in'),
    flat(6, tk!, 'in'),
    rows(13, tq!, dv!, os!, 'out'),
    flat(15, tq!, 'out'),
    flat(16, tq! * tk!, 'out'),
  ],
  // cat_attn_bwd(q, qs, k, ks, v, vs, mask, tq, tk, dkey, dv, scale, causal, o, os, dO, lse, p, dq, dqs, dk, dks, dvv, dvs)
  cat_attn_bwd: ([, qs, , ks, , vs, , tq, tk, dkey, dv, , , , os, , , , , dqs, , dks, , dvs]) => [
    rows(0, tq!, dkey!, qs!, 'in'),
    rows(2, tk!, dkey!, ks!, 'in'),
    rows(4, tk!, dv!, vs!, 'in'),
    flat(6, tk!, 'in'),
    rows(13, tq!, dv!, os!, 'in'),
    rows(15, tq!, dv!, os!, 'in'),
    flat(16, tq!, 'in'),
    flat(17, tq! * tk!, 'in'),
    rows(18, tq!, dkey!, dqs!, 'out'),
    rows(20, tk!, dkey!, dks!, 'inout'),
    rows(22, tk!, dv!, dvs!, 'inout'),
  ],
  // cat_delta_fwd(q, k, v, beta, sk, sv, sb, T, dk, dv, s, o, keep, every)
  cat_delta_fwd: ([, , , , sk, sv, sb, T, dk, dv, , , , every]) => [
    ...deltaOperands(T!, dk!, dv!, sk!, sv!, sb!),
    flat(10, dk! * dv!, 'inout'),
    rows(11, T!, dv!, sv!, 'out'),
    flat(12, keptStates(T!, every!) * dk! * dv!, 'out'),
  ],
  // cat_delta_bwd(q, k, v, beta, sk, sv, sb, T, dk, dv, kept, every, mode, dO, ds, dq, dkk, dvv, dbeta)
  cat_delta_bwd: ([, , , , sk, sv, sb, T, dk, dv, , every, mode]) => [
    ...deltaOperands(T!, dk!, dv!, sk!, sv!, sb!),
    flat(10, (mode === 1 ? 1 : keptStates(T!, every!)) * dk! * dv!, 'in'),
    rows(13, T!, dv!, sv!, 'in'),
    flat(14, dk! * dv!, 'inout'),
    rows(15, T!, dk!, sk!, 'out'),
    rows(16, T!, dk!, sk!, 'out'),
    rows(17, T!, dv!, sv!, 'out'),
    rows(18, T!, 1, sb!, 'out'),
  ],
  // cat_delta_chunk_fwd(q, k, v, beta, sk, sv, sb, T, dk, dv, chunk, st, o, keep, every)
  cat_delta_chunk_fwd: ([, , , , sk, sv, sb, T, dk, dv, , , , , every]) => [
    ...deltaOperands(T!, dk!, dv!, sk!, sv!, sb!),
    flat(11, dk! * dv!, 'inout'),
    rows(12, T!, dv!, sv!, 'out'),
    flat(13, keptStates(T!, every!) * dk! * dv!, 'out'),
  ],
  // cat_delta_chunk_bwd(q, k, v, beta, sk, sv, sb, T, dk, dv, chunk, kept, mode, dO, ds, dq, dkk, dvv, dbeta)
  cat_delta_chunk_bwd: ([, , , , sk, sv, sb, T, dk, dv, chunk, , mode]) => [
    ...deltaOperands(T!, dk!, dv!, sk!, sv!, sb!),
    flat(11, (mode === 1 ? 1 : mode === 2 ? T! : keptStates(T!, chunk!)) * dk! * dv!, 'in'),
    rows(13, T!, dv!, sv!, 'in'),
    flat(14, dk! * dv!, 'inout'),
    rows(15, T!, dk!, sk!, 'out'),
    rows(16, T!, dk!, sk!, 'out'),
    rows(17, T!, dv!, sv!, 'out'),
    rows(18, T!, 1, sb!, 'out'),
  ],
  // cat_gaunt_fwd(plan, x1, x2, w1, w2, w3, rows, ch, f1re, f1im, f2re, f2im, b, y), with meta
  // [plan words, n1, n2, n3, W1, W2, weights per channel of w1, w2, w3]
  cat_gaunt_fwd: ([, , , , , , rows, ch], meta) => [...gauntOperands(rows!, ch!, meta, 'out'), flat(13, rows! * meta[3]!, 'out')],
  // cat_gaunt_bwd(plan, x1, x2, w1, w2, w3, rows, ch, f1re, f1im, f2re, f2im, b, dy, dx1, dx2, dw1, dw2, dw3),
  // with the meta of cat_gaunt_fwd
  cat_gaunt_bwd: ([, , , , , , rows, ch], meta) => {
    const [, n1, n2, n3, , , e1, e2, e3] = meta as number[];
    return [
      ...gauntOperands(rows!, ch!, meta, 'in'),
      flat(13, rows! * n3!, 'in'),
      flat(14, rows! * n1!, 'out'),
      flat(15, rows! * n2!, 'out'),
      flat(16, ch! * e1!, 'out'),
      flat(17, ch! * e2!, 'out'),
      flat(18, ch! * e3!, 'out'),
    ];
  },
  // cat_tp_dense_fwd(x1, x2, y, rows, ch, n1, n2, n3, weff, table), with meta [paths, table words]
  cat_tp_dense_fwd: ([, , , rows, ch, n1, n2, n3], [P, words]) => [
    flat(0, rows! * n1!, 'in'),
    flat(1, rows! * n2!, 'in'),
    flat(2, rows! * n3!, 'out'),
    flat(8, ch! * P!, 'in'),
    flat(9, words!, 'in'),
  ],
  // cat_tp_dense_bwd(x1, x2, dy, dx1, dx2, sp, rows, ch, n1, n2, n3, weff, table), meta as the forward's
  cat_tp_dense_bwd: ([, , , , , , rows, ch, n1, n2, n3], [P, words]) => [
    flat(0, rows! * n1!, 'in'),
    flat(1, rows! * n2!, 'in'),
    flat(2, rows! * n3!, 'in'),
    flat(3, rows! * n1!, 'out'),
    flat(4, rows! * n2!, 'out'),
    flat(5, ch! * P!, 'out'),
    flat(11, ch! * P!, 'in'),
    flat(12, words!, 'in'),
  ],
  // cat_mcb_fwd(x, y, rows, dx, dy, d, hs, psi1, psi2, sar, sai, sbr, sbi, z); hs: 2(dx + dy) words
  cat_mcb_fwd: ([, , rows, dx, dy, d]) => [
    flat(0, rows! * dx!, 'in'),
    flat(1, rows! * dy!, 'in'),
    flat(6, 2 * (dx! + dy!), 'in'),
    flat(7, rows! * d!, 'out'),
    flat(8, rows! * d!, 'out'),
    ...[9, 10, 11, 12].map((arg) => flat(arg, rows! * halfOf(d!), 'out')),
    flat(13, rows! * d!, 'out'),
  ],
  // cat_mcb_bwd(mode, x, y, psi1, psi2, sar, sai, sbr, sbi, g, gx, gy, rows, dx, dy, d, hs)
  cat_mcb_bwd: ([, , , , , , , , , , , , rows, dx, dy, d]) => [
    flat(1, rows! * dx!, 'in'),
    flat(2, rows! * dy!, 'in'),
    flat(3, rows! * d!, 'in'),
    flat(4, rows! * d!, 'in'),
    ...[5, 6, 7, 8].map((arg) => flat(arg, rows! * halfOf(d!), 'in')),
    flat(9, rows! * d!, 'in'),
    flat(10, rows! * dx!, 'out'),
    flat(11, rows! * dy!, 'out'),
    flat(16, 2 * (dx! + dy!), 'in'),
  ],
};

/** Type check: every split export is a function of the module. */
export type SplitExportsExist = { [K in SplitExport]: CatoptricWasmExports[K] };
