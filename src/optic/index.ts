/**
 * The generic optic core: lenses, optics with explicit residuals, 2-cells,
 * parametrised optics, lawful data lenses and fp-ts instances. No tensors:
 * usable for any bidirectional pipeline.
 *
 * @example
 * ```ts
 * import { optic, seqOptics, runOptic } from 'catoptric';
 * const sin = optic((x: number) => [Math.cos(x), Math.sin(x)], (c: number, dy: number) => c * dy);
 * runOptic(seqOptics(sin, sin), 1, 1); // [sin(sin 1), cos(sin 1)·cos 1]
 * ```
 *
 * @module
 */
export * from './lens';
export * from './optic';
export * from './twocell';
export * from './para';
export * from './datalens';
export * from './instances';
export * from './shared';
export * from './checkpoint';
