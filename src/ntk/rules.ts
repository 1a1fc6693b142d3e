/**
 * Closed-form NTK contributions, by primitive name: what a node adds to the kernel, read from the
 * residual its kernel keeps and the cotangents at its outputs, without per-example gradients.
 * A primitive with parameters and no rule here goes through the per-example VJP path (see
 * `src/ntk/ntk.ts`).
 *
 * @module
 */
import type { TypedPrim } from '../term/check';
import type { HostTensor } from '../tensor/tensor';
import { sizeOf } from '../tensor/shape';
import type { Piece } from './factor';

/**
 * One primitive's closed form. `piece` gets the node, a reader of its kept residual entries
 * (downloaded on demand), the cotangents at its outputs for one model output, and the number of
 * examples `n` (axis 0 of every wire). It returns the node's contribution, or `undefined` when the
 * residual does not hold what the rule needs (the per-example path is used instead).
 */
export interface NtkRule {
  readonly piece: (node: TypedPrim, kept: (name: string) => HostTensor | undefined, dOutputs: readonly HostTensor[], n: number) => Piece | undefined;
  /** The layout `piece` returns, from shapes alone (for memory planning). */
  readonly layout: (node: TypedPrim, n: number) => { kind: 'product'; dIn: number; rows: number; dOut: number } | { kind: 'vector'; width: number };
}

const f64 = (t: HostTensor): Float64Array => (t.data instanceof Float64Array ? t.data : Float64Array.from(t.data));
const lastOf = (s: readonly number[]): number => s[s.length - 1]!;

/**
 * `linear` (`y = x W + b` over the last axis): per example the gradient of W is `Σ_r x_r ⊗ g_r`, so
 * `⟨∂W_i, ∂W_j⟩ = Σ_{r,s} (x_{ir}·x_{js})(g_{ir}·g_{js})`, and the bias adds `Σ_{r,s} g_{ir}·g_{js}`:
 * the product factor of the kept input and the output cotangent.
 */
export const linearRule: NtkRule = {
  layout: (node, n) => {
    const x = node.inputs[0]!;
    return { kind: 'product', dIn: lastOf(x), rows: sizeOf(x) / (n * lastOf(x)), dOut: lastOf(node.outputs[0]!) };
  },
  piece: (node, kept, [g], n) => {
    const x = kept('x');
    if (!x || !g) return undefined;
    const dIn = lastOf(x.shape);
    const dOut = lastOf(g.shape);
    return { kind: 'product', x: f64(x), dIn, rows: x.data.length / (n * dIn), bias: node.params.b !== undefined, g: f64(g), dOut };
  },
};

/**
 * `layernorm` through its parameters (`y = x̂ ∘ g + b`): per example `∂g = Σ_r x̂_r ∘ δ_r` and
 * `∂b = Σ_r δ_r`; the vector factor is the two side by side (2·d numbers per example and output).
 */
export const layerNormRule: NtkRule = {
  layout: (node) => ({ kind: 'vector', width: 2 * lastOf(node.inputs[0]!) }),
  piece: (_node, kept, [dy], n) => {
    const xhat = kept('xhat');
    if (!xhat || !dy) return undefined;
    const d = lastOf(xhat.shape);
    const rows = xhat.data.length / (n * d);
    const v = new Float64Array(n * 2 * d);
    for (let i = 0; i < n; i++)
      for (let r = 0; r < rows; r++) {
        const o = (i * rows + r) * d;
        for (let k = 0; k < d; k++) {
          const g = dy.data[o + k]!;
          v[i * 2 * d + k] += xhat.data[o + k]! * g;
          v[i * 2 * d + d + k] += g;
        }
      }
    return { kind: 'vector', v, width: 2 * d };
  },
};

/** The closed forms this library knows, by primitive name. Pass your own table in `NtkOptions.rules`. */
export const ntkRules: ReadonlyMap<string, NtkRule> = new Map([
  ['linear', linearRule],
  ['layernorm', layerNormRule],
]);
