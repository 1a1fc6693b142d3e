/**
 * The empirical neural tangent kernel of a lowered program: an interpretation of the backward optic
 * (closed forms from residuals and cotangents, per-example VJPs otherwise), planned for memory.
 */
export * from './ntk';
export * from './rules';
export { type Piece, type Factor, factorBytesPerExample } from './factor';
