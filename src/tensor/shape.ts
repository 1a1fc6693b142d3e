/** A tensor shape: row-major dimensions. `[]` is a scalar. */
export type Shape = readonly number[];

/** Number of elements of a shape. */
export const sizeOf = (shape: Shape): number => shape.reduce((a, b) => a * b, 1);

export const shapeEq = (a: Shape, b: Shape): boolean =>
  a.length === b.length && a.every((d, i) => d === b[i]);

export const showShape = (s: Shape): string => `[${s.join(',')}]`;

/** True when every dimension is a positive integer. */
export const isValidShape = (s: Shape): boolean =>
  Array.isArray(s) && s.every((d) => Number.isInteger(d) && d > 0);

/** Most elements of one tensor a backend allocates: the longest typed array JavaScript makes. */
export const MAX_TENSOR_ELEMENTS = 2 ** 32;

/** A tensor shape a backend refuses: the same message from every backend. */
export class ShapeError extends RangeError {
  override readonly name = 'ShapeError';
}

const showDimsOf = (s: unknown): string =>
  Array.isArray(s) && s.length <= 16 && s.every((d) => typeof d === 'number' && Number.isFinite(d))
    ? `[${s.join(',')}]`
    : Array.isArray(s)
      ? `an array of ${s.length} dimension(s) with non-numbers in it`
      : `not an array (${s === null ? 'null' : typeof s})`;

/**
 * Throw a {@link ShapeError} unless `shape` is an array of integers ≥ 0 of at most 2^53 − 1 with at
 * most {@link MAX_TENSOR_ELEMENTS} elements in all. Every backend checks shapes with this, so an
 * invalid shape is refused with the same message wherever it is used.
 */
export const assertShape = (shape: unknown, what: string): void => {
  if (!Array.isArray(shape)) throw new ShapeError(`${what}: ${showDimsOf(shape)} is not a tensor shape (an array of dimensions)`);
  let n = 1;
  for (const d of shape)
    if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0)
      throw new ShapeError(`${what}: ${showDimsOf(shape)} is not a tensor shape: dimensions must be integers ≥ 0`);
    else n *= d;
  if (n > MAX_TENSOR_ELEMENTS) throw new ShapeError(`${what}: ${showDimsOf(shape)} has ${n} elements, more than the ${MAX_TENSOR_ELEMENTS} a tensor may hold`);
};
