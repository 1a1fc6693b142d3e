/**
 * Matrix groups beyond SO(3): SO(n), PD(n), SL(n), GL⁺(n) and the affine group for n = 2, 3, with the
 * polar decomposition, exp/log where defined, the global chart ξ, and seeded Haar sampling on a
 * compact window.
 *
 * @packageDocumentation
 */
export * from './mat';
export * from './groups';
export * from './haar';
export * from './layers';
