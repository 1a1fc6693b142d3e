/**
 * Equivariant building blocks for SO(3): real spherical harmonics, Wigner-D matrices, Wigner 3j /
 * Clebsch–Gordan and Gaunt coefficients, SH ↔ 2-D Fourier tables, quadrature, and the dense and
 * Gaunt tensor products on single feature vectors.
 *
 * @packageDocumentation
 */
export * from './sh';
export * from './quadrature';
export * from './wigner';
export * from './coupling';
export * from './fourier';
export * from './fft2';
export * from './products';
