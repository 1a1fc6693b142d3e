/**
 * A plan: the store-versus-recompute choices of one run, as data.
 *
 * - `variants` picks a primitive's residual variant by node path (a 2-cell inside the primitive).
 * - `remat` lists nodes run in lens form: they keep only their inputs and recompute everything
 *   inside during the backward pass (a 2-cell across composition, a checkpointed segment).
 *
 * The empty plan keeps every residual (optic composition).
 */
export interface Plan {
  readonly variants?: Readonly<Record<string, string>>;
  readonly remat?: readonly string[];
}

/** Keep every residual: plain optic composition. */
export const storeAll: Plan = {};

/** Run the whole term in lens form: keep only its inputs, recompute everything in backward. */
export const recomputeAll: Plan = { remat: [''] };

/** Node path as a plan key: `blocks.3.attn`; the root is `''`. */
export const pathKey = (path: readonly string[]): string => path.join('.');
