/**
 * The tolerances the law tests share, each calibrated against measurement so that a law at this
 * tolerance both accepts the kernels as they are and rejects a kernel that is wrong by 1e-4
 * (an output scaled by 1 + 1e-4): `test/law-sensitivity.test.ts` checks both, so loosening one of
 * these tenfold fails a test. Closeness is |a − b| ≤ atol + rtol·|b| per entry (`closeness`).
 *
 * Calibration (CONTRIBUTING.md, "Tolerances"): the worst closeness of any shared conformance case
 * over five seeds, measured at the previous, looser tolerances, scaled to these.
 */

/** An elementwise tolerance: |a − b| ≤ atol + rtol·|b|. */
export interface Tolerance {
  readonly rtol: number;
  readonly atol: number;
}

/**
 * The JS backend in float32 against the float64 reference. Measured worst: 0.46 of this (MCB with
 * normalisation; most cases under 0.1).
 */
export const F32_TOL: Tolerance = { rtol: 3e-5, atol: 3e-6 };

/**
 * The WebAssembly backend (float32, its own exp/tanh, SIMD summation order) against the float64
 * reference. Measured worst: 0.35 of this (the chunkwise delta rule at T = 150, chunk 64).
 */
export const WASM_TOL: Tolerance = { rtol: 6e-5, atol: 6e-6 };

/**
 * Backward against central finite differences in float64 (`vjpMatchesFiniteDifferences`, whose
 * defaults these are): step `eps`, Richardson-extrapolated, |fd − backward| ≤ atol + rtol·max(|fd|,
 * |backward|). Measured over the suite's VJP tests: relative error up to 5e-8, and 2.7e-9 absolute
 * where the projected gradient is itself ~1e-4 (cancellation).
 */
export const FD_TOL: Tolerance & { readonly eps: number } = { eps: 1e-6, rtol: 1e-6, atol: 1e-8 };

/**
 * Float32 tolerance of a tensor product's relative equivariance error at degree L:
 * 4·ε₃₂·(L+1). Measured (3 seeds, [2, 4] channels, random weights): at most 1.1·ε₃₂·(L+1) for the
 * dense product at L = 6 (8.9e-7), and 2.2e-7 … 4.8e-7 for the Gaunt product at L = 1 … 10.
 */
export const F32_EQUIVARIANCE_TOL = (L: number): number => 4 * 1.1920929e-7 * (L + 1);
