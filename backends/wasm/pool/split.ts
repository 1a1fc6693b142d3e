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
