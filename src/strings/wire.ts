import type { Shape } from '../tensor/shape';

/**
 * An open wire of the decoder's state: its shape, and what it carries. `ids = 0` is real values;
 * `ids = V > 0` is integer ids below V (token ids, class labels, 0/1 masks), which only routing
 * boxes and the boxes that read ids (embedding, softmax_xent's labels, attention's mask) accept.
 */
export interface Wire {
  readonly shape: Shape;
  readonly ids: number;
}

/** How a constructor reads the attribute tokens that follow it (see `decode.ts` for the rules). */
export interface Reader {
  /** Largest number of elements any new wire, parameter or residual may have. */
  readonly maxElems: number;
  /**
   * A width ≥ `lo`: digits give the value (made valid: the largest valid value not above it, else
   * `lo`); another token picks from `menu` (its valid entries) by its index. `fits` must be true at
   * `lo` and stay true below any value where it is true.
   */
  width(fits: (v: number) => boolean, lo?: number, menu?: readonly number[]): number;
  /** One of `values` (ascending, non-empty): digits give the largest not above them, else the first. */
  oneOf(values: readonly number[]): number;
  /** An integer in [lo, hi]: digits are clamped into it; another token gives lo + index mod (hi − lo + 1). */
  range(lo: number, hi: number): number;
  /** A count in [lo, hi] if digits follow (consumed); otherwise `dflt` and nothing is consumed. */
  optCount(lo: number, hi: number, dflt: number): number;
  /** One token naming one of `names` (a string of token characters); another token picks by index. */
  pick(names: string): string;
}

/** `sizeOf` without allocation. */
export const elems = (s: Shape): number => {
  let n = 1;
  for (let i = 0; i < s.length; i++) n *= s[i]!;
  return n;
};

export const sameShape = (a: Shape, b: Shape): boolean => {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
};

/** Equal on every axis but the last (both of rank ≥ 1). */
export const sameLead = (a: Shape, b: Shape): boolean => {
  if (a.length !== b.length || a.length < 1) return false;
  for (let i = 0; i < a.length - 1; i++) if (a[i] !== b[i]) return false;
  return true;
};

export const last = (s: Shape): number => s[s.length - 1]!;

/** Divisors of n, ascending. */
export const divisors = (n: number): number[] => {
  const lo: number[] = [];
  const hi: number[] = [];
  for (let d = 1; d * d <= n; d++)
    if (n % d === 0) {
      lo.push(d);
      if (d * d !== n) hi.push(n / d);
    }
  return lo.concat(hi.reverse());
};

/** l if n = (l+1)², else -1. */
export const degreeOf = (n: number): number => {
  const r = Math.round(Math.sqrt(n));
  return r * r === n ? r - 1 : -1;
};
