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
