import type { Monoid } from 'fp-ts/lib/Monoid.js';

/**
 * Parameter cotangents while a backward pass runs: a binary tree of records. `concat` is O(1), so a
 * chain of n stages accumulates its parameter gradients in O(n); the tree is flattened once, at the
 * end. Each parameter belongs to one primitive, so keys are disjoint; a key seen twice is summed.
 */
export type Grads<T> = null | { readonly leaf: Readonly<Record<string, T>> } | { readonly l: Grads<T>; readonly r: Grads<T> };

/** The monoid of {@link Grads}: `empty` is no gradient, `concat` joins two trees. */
export const gradsMonoid = <T>(): Monoid<Grads<T>> => ({
  empty: null,
  concat: (a, b) => (a === null ? b : b === null ? a : { l: a, r: b }),
});

/** A record of gradients as a one-leaf tree. */
export const gradLeaf = <T>(g: Readonly<Record<string, T>>): Grads<T> => ({ leaf: g });

/** Flatten a gradient tree into one record (left to right; `add` sums a key seen twice). */
export const flattenGrads = <T>(g: Grads<T>, add: (a: T, b: T) => T): Record<string, T> => {
  const out: Record<string, T> = {};
  const stack: Grads<T>[] = [g];
  while (stack.length) {
    const x = stack.pop()!;
    if (x === null) continue;
    if ('leaf' in x) {
      for (const [k, v] of Object.entries(x.leaf)) out[k] = Object.prototype.hasOwnProperty.call(out, k) ? add(out[k]!, v) : v;
    } else {
      stack.push(x.r, x.l);
    }
  }
  return out;
};
