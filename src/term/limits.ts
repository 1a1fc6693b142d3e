/**
 * Limits are part of the term language: `check` refuses a term beyond them with a message naming the
 * node and the limit, so nothing later (cost, plans, programs, pictures) meets a size it cannot
 * handle. The defaults are generous; pass larger ones to `check(term, inputs, { limits })`.
 */
import { showDims } from './show';
import { csrDims, showShape, sizeOf } from '../tensor/shape';

/** Sizes `check` accepts. */
export interface Limits {
  /** Most terms nested inside one another (`seq` in `par` in `seq` …). */
  readonly maxDepth: number;
  /**
   * Most boxes (primitives and composites) in one term: twice the 100,000-step chains every
   * interpretation is tested on. Checking takes about 4 µs and 1 KB per box.
   */
  readonly maxNodes: number;
  /** Most wires into or out of one box (a primitive's arity, a `par`'s total). */
  readonly maxWires: number;
  /**
   * Most elements of one tensor (a wire or a parameter). The default, 2^32, is the longest typed
   * array JavaScript allocates; the wasm backend holds at most 2^29 float32 elements per tensor
   * and refuses larger ones when they are allocated (`WasmMemoryError`).
   */
  readonly maxElements: number;
}

/** The default limits. */
export const DEFAULT_LIMITS: Limits = {
  maxDepth: 256,
  maxNodes: 200_000,
  maxWires: 65_536,
  maxElements: 2 ** 32,
};

/** Defaults overridden by whatever the caller gives (each must be a positive safe integer). */
export const limitsOf = (given: Partial<Limits> = {}): Limits => {
  const out = { ...DEFAULT_LIMITS };
  for (const k of Object.keys(DEFAULT_LIMITS) as (keyof Limits)[]) {
    const v = given[k];
    if (v === undefined) continue;
    if (!Number.isSafeInteger(v) || v < 1) throw new RangeError(`check: limits.${k} must be a positive integer of at most 2^53 − 1, got ${String(v)}`);
    out[k] = v;
  }
  return out;
};

/**
 * Why `shape` is not a shape within the limits, or `null`: every dimension a positive integer of at
 * most 2^53 − 1, and at most `maxElements` elements in all (counted without overflowing).
 */
export const shapeProblem = (shape: unknown, limits: Limits): string | null => {
  if (!Array.isArray(shape)) return `expected an array of dimensions, got ${showDims(shape)}`;
  const c = csrDims(shape);
  if (c) {
    // A CSR wire type (main's sparse wires): its dimensions and bound, and its storage within the limit.
    if (![c.rows, c.cols].every((d) => Number.isSafeInteger(d) && d >= 1) || !Number.isSafeInteger(c.nnz) || c.nnz < 0 || c.nnz > c.rows * c.cols)
      return `a CSR wire type needs positive integer rows and columns of at most 2^53 − 1 and 0 ≤ nnz ≤ rows·cols, got ${showShape(shape)}`;
    if (sizeOf(shape) > limits.maxElements) return `${showShape(shape)} stores more than ${limits.maxElements} elements, the limit per tensor (limits.maxElements)`;
    return null;
  }
  let n = 1;
  for (const d of shape) {
    if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 1)
      return `dimensions must be positive integers of at most 2^53 − 1, got ${showDims(shape)}`;
    n *= d;
    if (n > limits.maxElements)
      return `${showDims(shape)} has more than ${limits.maxElements} elements, the limit per tensor (limits.maxElements)`;
  }
  return null;
};
