// How kernels cut their work into calls the pool can spread: a matrix product by blocks of rows of
// its result; row-wise kernels (tensor products, MCB) by blocks of rows or channels. (Attention and
// the delta rule already make one call per head; they pass those.)
import type { WasmRuntime } from '../runtime';
import { partsFor, runCalls } from './pool';
import type { SplitExport } from './regions';

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
 * How a kernel's rows cut into blocks: argument `rows` holds the row count and `ch` (if any) the
 * channel count, row r using channel r mod ch; `perRow` lists pointer arguments with their floats per
 * row, `perChannel` those with floats per channel.
 */
export interface RowLayout {
  readonly rows: number;
  readonly ch?: number;
  readonly perRow: readonly (readonly [arg: number, floats: number])[];
  readonly perChannel?: readonly (readonly [arg: number, floats: number])[];
}

/**
 * A call's arguments as up to `parts` calls on contiguous blocks of rows. With channels, a block is
 * whole groups of `ch` rows, so each row keeps its channel; with a single group (rows = ch), blocks
 * are of channels: each call's per-channel pointers move to its first channel and its `ch` becomes
 * its row count. A null pointer stays null. Each row runs the same serial code on the same floats.
 */
export const rowBlocks = (parts: number, args: readonly number[], l: RowLayout): number[][] => {
  const rows = args[l.rows]!;
  const ch = l.ch === undefined ? rows : args[l.ch]!;
  const byChannel = l.ch === undefined || rows === ch;
  const units = byChannel ? rows : rows / ch;
  const P = Math.max(1, Math.min(parts, units));
  const at = (p: number, first: number, per: number) => (p === 0 ? 0 : p + 4 * first * per);
  const calls: number[][] = [];
  for (let j = 0; j < P; j++) {
    const u0 = Math.floor((j * units) / P);
    const u1 = Math.floor(((j + 1) * units) / P);
    if (u1 <= u0) continue;
    const [r0, n] = byChannel ? [u0, u1 - u0] : [u0 * ch, (u1 - u0) * ch];
    const call = [...args];
    for (const [arg, per] of l.perRow) call[arg] = at(args[arg]!, r0, per);
    if (byChannel) for (const [arg, per] of l.perChannel ?? []) call[arg] = at(args[arg]!, u0, per);
    call[l.rows] = n;
    if (l.ch !== undefined) call[l.ch] = byChannel ? n : ch;
    calls.push(call);
  }
  return calls;
};

/** Run `calls` of `name` split by `rowBlocks` across `rt`'s pool when `work` flops allow; else the one call. */
export const pooledRows = (
  rt: WasmRuntime,
  name: SplitExport,
  args: readonly number[],
  layout: RowLayout,
  work: number,
  meta: readonly number[] = [],
): void => {
  const rows = args[layout.rows]!;
  const ch = layout.ch === undefined ? rows : args[layout.ch]!;
  const parts = partsFor(rt, work, layout.ch === undefined || rows === ch ? rows : rows / ch);
  if (parts < 2) (rt.exports[name] as (...a: number[]) => unknown)(...args);
  else runCalls(rt, name, rowBlocks(parts, args, layout), work, undefined, meta);
};

/** The row layout of `cat_gaunt_fwd`: `perChannel` floats of w1, w2, w3; `perRow` of x1, x2, f1 (each of re/im), f2, b and y. */
export const gauntFwdLayout = (perChannel: readonly [number, number, number], perRow: readonly [x1: number, x2: number, f1: number, f2: number, b: number]): RowLayout => {
  const [e1, e2, e3] = perChannel;
  const [n1, n2, g1, g2, n3] = perRow;
  return {
    rows: 6,
    ch: 7,
    perRow: [[1, n1], [2, n2], [8, g1], [9, g1], [10, g2], [11, g2], [12, n3], [13, n3]],
    perChannel: [[3, e1], [4, e2], [5, e3]],
  };
};

/** The row layout of `cat_gaunt_bwd`: the forward's (dy where y was), with dx1, dx2 and dw1, dw2, dw3 beside. */
export const gauntBwdLayout = (perChannel: readonly [number, number, number], perRow: readonly [x1: number, x2: number, f1: number, f2: number, b: number]): RowLayout => {
  const fwd = gauntFwdLayout(perChannel, perRow);
  return {
    ...fwd,
    perRow: [...fwd.perRow, [14, perRow[0]], [15, perRow[1]]],
    perChannel: [...fwd.perChannel!, [16, perChannel[0]], [17, perChannel[1]], [18, perChannel[2]]],
  };
};
