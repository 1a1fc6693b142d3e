// How kernels cut their work into calls the pool can spread: a matrix product by blocks of rows of
// its result. (Attention and the delta rule already make one call per head; they pass those.)
import type { WasmRuntime } from '../runtime';
import { partsFor, runCalls } from './pool';

/** Row blocks start at multiples of the gemm micro-tile height, so each block tiles as the whole does. */
const ROW_ALIGN = 4;

/**
 * `cat_gemm(m, n, k, a, rsa, csa, b, rsb, csb, c, ldc, acc)` as `parts` calls on contiguous blocks of
 * rows of C (and A). Each output element is the same k-ordered sum in every block.
 */
export const gemmRowBlocks = (parts: number, args: readonly number[]): number[][] => {
  const [m, n, k, a, rsa, csa, b, rsb, csb, c, ldc, acc] = args as number[];
  const units = Math.ceil(m! / ROW_ALIGN);
  const P = Math.max(1, Math.min(parts, units));
  const calls: number[][] = [];
  for (let j = 0; j < P; j++) {
    const i0 = Math.min(m!, ROW_ALIGN * Math.floor((j * units) / P));
    const i1 = Math.min(m!, ROW_ALIGN * Math.floor(((j + 1) * units) / P));
    if (i1 > i0) calls.push([i1 - i0, n!, k!, a! + 4 * i0 * rsa!, rsa!, csa!, b!, rsb!, csb!, c! + 4 * i0 * ldc!, ldc!, acc!]);
  }
  return calls;
};

/** `cat_gemm` with these arguments, by row blocks across `rt`'s pool when it is large enough. Returns the worst return code. */
export const pooledGemm = (rt: WasmRuntime, args: readonly number[]): number => {
  const [m, n, k] = args as number[];
  const parts = partsFor(rt, 2 * m! * n! * k!, Math.ceil(m! / ROW_ALIGN));
  if (parts < 2) return rt.exports.cat_gemm(...(args as Parameters<typeof rt.exports.cat_gemm>));
  const rcs = runCalls(rt, 'cat_gemm', gemmRowBlocks(parts, args), 2 * m! * n! * k!);
  return rcs.reduce<number>((w, rc) => (rc !== 0 ? (rc ?? 0) : w), 0);
};

/**
 * `cat_gaunt_fwd` arguments as up to `parts` calls on blocks of rows. Row r uses the weights of
 * channel r mod ch, so blocks are whole groups of `ch` rows; with a single group (rows = ch), blocks of
 * channels, each call's weight pointers moved to its first channel and `ch` set to its row count.
 * `perChannel` holds the floats per channel of w1, w2, w3; `perRow` those of x1, x2, f1 (each of
 * re/im), f2, b and y.
 */
export const gauntRowBlocks = (
  parts: number,
  args: readonly number[],
  perChannel: readonly [number, number, number],
  perRow: readonly [x1: number, x2: number, f1: number, f2: number, b: number],
): number[][] => {
  const [plan, x1, x2, w1, w2, w3, rows, ch, f1re, f1im, f2re, f2im, b, y] = args as number[];
  const groups = rows! / ch!;
  const byChannel = groups === 1;
  const units = byChannel ? rows! : groups;
  const P = Math.max(1, Math.min(parts, units));
  const calls: number[][] = [];
  const [e1, e2, e3] = perChannel;
  const [n1, n2, g1, g2, n3] = perRow;
  const at = (p: number, r0: number, per: number) => (p === 0 ? 0 : p + 4 * r0 * per);
  for (let j = 0; j < P; j++) {
    const u0 = Math.floor((j * units) / P);
    const u1 = Math.floor(((j + 1) * units) / P);
    if (u1 <= u0) continue;
    const [r0, n] = byChannel ? [u0, u1 - u0] : [u0 * ch!, (u1 - u0) * ch!];
    const [c0, chj] = byChannel ? [u0, n] : [0, ch!];
    calls.push([
      plan!, at(x1!, r0, n1), at(x2!, r0, n2), at(w1!, c0, e1), at(w2!, c0, e2), at(w3!, c0, e3), n, chj,
      at(f1re!, r0, g1), at(f1im!, r0, g1), at(f2re!, r0, g2), at(f2im!, r0, g2), at(b!, r0, n3), at(y!, r0, n3),
    ]);
  }
  return calls;
};
