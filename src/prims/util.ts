import * as t from 'io-ts';
import * as E from 'fp-ts/lib/Either.js';
import { Shape, shapeEq, showShape, sizeOf } from '../tensor/shape';
import type { Cost, PrimShapes } from '../term/primitive';

/** Attributes codec for primitives that take none (extra keys are rejected). */
export const NoAttrs = t.exact(t.type({}));

export const ok = (outputs: readonly Shape[], params: Record<string, Shape> = {}): E.Either<string, PrimShapes> =>
  E.right({ outputs, params });
export const bad = (msg: string): E.Either<string, PrimShapes> => E.left(msg);

export const cost = (fwdFlops: number, bwdFlops: number, residualElems: number, paramElems = 0): Cost => ({
  fwdFlops,
  bwdFlops,
  residualElems,
  paramElems,
});

export const lastDim = (s: Shape): number => (s.length ? s[s.length - 1]! : 1);

/** Shape rule helper: all inputs equal, or a message naming the first that differs. */
export const allSame = (inputs: readonly Shape[]): string | null => {
  for (let i = 1; i < inputs.length; i++)
    if (!shapeEq(inputs[i]!, inputs[0]!)) return `input ${i} has shape ${showShape(inputs[i]!)} but input 0 has ${showShape(inputs[0]!)}`;
  return null;
};

export const needRank = (s: Shape, min: number, what: string): string | null =>
  s.length < min ? `${what} needs rank ≥ ${min}, got ${showShape(s)}` : null;

export { sizeOf };

/**
 * A positive integer a double holds exactly (at most 2^53 − 1): dimensions and counts. Larger ones
 * are refused here; `check` then refuses any tensor or wire count beyond its limits.
 */
export const Dim = new t.Type<number, number, unknown>(
  'positive integer',
  (u): u is number => typeof u === 'number' && Number.isSafeInteger(u) && u > 0,
  (u, c) =>
    typeof u === 'number' && Number.isSafeInteger(u) && u > 0
      ? t.success(u)
      : t.failure(u, c, typeof u === 'number' && Number.isInteger(u) && u > 0 ? `expected positive integer of at most 2^53 − 1, got ${u}` : undefined),
  (a) => a,
);

/** An integer a double holds exactly (seeds, hash values). */
export const SafeInt = t.refinement(t.number, (n) => Number.isSafeInteger(n), 'integer of at most 2^53 − 1 in size');

/** A finite number in [lo, hi] (a float32 kernel must be able to hold it and stay finite). */
export const FiniteIn = (name: string, lo: number, hi: number) => t.refinement(t.number, (x) => Number.isFinite(x) && x >= lo && x <= hi, `${name} in [${lo}, ${hi}]`);

/**
 * A normaliser's epsilon: positive, and large enough that float32 does not round it to 0 (which
 * would divide 0 by 0 on a constant row).
 */
export const Epsilon = FiniteIn('number', 1e-30, 1e30);

/** Scaled normal initialisation (fan-in), used for weight matrices. */
export const fanInNormal = (fanIn: number, n: number, rng: { normal(): number }): Float64Array => {
  const out = new Float64Array(n);
  const s = 1 / Math.sqrt(fanIn);
  for (let i = 0; i < n; i++) out[i] = rng.normal() * s;
  return out;
};
