/**
 * Para: parametrised optics. A parametrised optic from `A` to `B` with
 * parameters `P` is an ordinary optic from `[P, A]` to `B`; its backward pass
 * returns a cotangent for the parameters next to the one for the input.
 *
 * Composing `(P, f) ; (Q, g)` gives parameters `[P, Q]`. Reparametrising by a
 * lens or optic `Q → P` changes what is learned — an optimiser step is such a
 * lens, whose `put` turns a parameter gradient into new parameters.
 *
 * @module
 */
import type { Lens } from './lens';
import { lens } from './lens';
import type { Optic } from './optic';
import { fromLens } from './optic';

/**
 * A parametrised optic: parameters `P` (cotangent `DP`), input `A`
 * (cotangent `DA`), output `B` (cotangent `DB`), residual `M`.
 *
 * @example
 * ```ts
 * // y = w·x
 * const scale: Para<[number, number], number, number, number, number, number, number> =
 *   optic(([w, x]) => [[w, x], w * x], ([w, x], dy) => [x * dy, w * dy]);
 * ```
 */
export type Para<M, P, A, B, DB, DP, DA> = Optic<M, [P, A], B, DB, [DP, DA]>;

/**
 * Sequential composition of parametrised optics; parameters and their
 * cotangents are paired `[p, q]`, residuals are paired `[m, n]`.
 *
 * @example
 * ```ts
 * const twoLayers = paraSeq(scale, scale); // params [w1, w2], y = w2·(w1·x)
 * twoLayers.fwd([[2, 3], 1])[1]; // 6
 * ```
 */
export const paraSeq = <M, N, P, Q, A, B, C, DC, DB, DP, DQ, DA>(
  f: Para<M, P, A, B, DB, DP, DA>,
  g: Para<N, Q, B, C, DC, DQ, DB>,
): Para<[M, N], [P, Q], A, C, DC, [DP, DQ], DA> => ({
  fwd: ([[p, q], a]) => {
    const [m, b] = f.fwd([p, a]);
    const [n, c] = g.fwd([q, b]);
    return [[m, n], c];
  },
  bwd: ([m, n], dc) => {
    const [dq, db] = g.bwd(n, dc);
    const [dp, da] = f.bwd(m, db);
    return [[dp, dq], da];
  },
});

/**
 * Parallel composition: parameters `[p, q]`, inputs and outputs paired.
 *
 * @example
 * ```ts
 * const side = paraPar(scale, scale);
 * side.fwd([[2, 3], [1, 1]])[1]; // [2, 3]
 * ```
 */
export const paraPar = <M, N, P, Q, A, B, C, D, DB, DD, DP, DQ, DA, DC>(
  f: Para<M, P, A, B, DB, DP, DA>,
  g: Para<N, Q, C, D, DD, DQ, DC>,
): Para<[M, N], [P, Q], [A, C], [B, D], [DB, DD], [DP, DQ], [DA, DC]> => ({
  fwd: ([[p, q], [a, c]]) => {
    const [m, b] = f.fwd([p, a]);
    const [n, d] = g.fwd([q, c]);
    return [[m, n], [b, d]];
  },
  bwd: ([m, n], [db, dd]) => {
    const [dp, da] = f.bwd(m, db);
    const [dq, dc] = g.bwd(n, dd);
    return [[dp, dq], [da, dc]];
  },
});

/**
 * An unparametrised optic seen as a parametrised one with no parameters
 * (`P = undefined`, parameter cotangent `undefined`).
 *
 * @example
 * ```ts
 * const sinP = liftPara(sin);
 * sinP.fwd([undefined, 0])[1]; // 0
 * ```
 */
export const liftPara = <M, A, B, DB, DA>(o: Optic<M, A, B, DB, DA>): Para<M, undefined, A, B, DB, undefined, DA> => ({
  fwd: ([, a]) => o.fwd(a),
  bwd: (m, db) => [undefined, o.bwd(m, db)],
});

/**
 * Fixes the parameters: an optic from `A` to `B` that drops the parameter
 * cotangent (inference with frozen weights).
 *
 * @example
 * ```ts
 * const double = bindParams(scale, 2);
 * double.fwd(3)[1]; // 6
 * ```
 */
export const bindParams = <M, P, A, B, DB, DP, DA>(f: Para<M, P, A, B, DB, DP, DA>, p: P): Optic<M, A, B, DB, DA> => ({
  fwd: (a) => f.fwd([p, a]),
  bwd: (m, db) => f.bwd(m, db)[1],
});

/**
 * Reparametrisation by an optic `Q → P`: the new parameters are `Q`, the old
 * ones are computed from them, and the parameter cotangent is pulled back
 * through `h`. Residual is `[k, m]`.
 *
 * @example
 * ```ts
 * // share one weight w as both layers' weights
 * const tied = reparam(paraSeq(scale, scale), copyOptic<number, number>(MonoidSum));
 * tied.fwd([3, 1])[1]; // 9
 * ```
 */
export const reparam = <K, M, Q, P, A, B, DB, DP, DQ, DA>(
  f: Para<M, P, A, B, DB, DP, DA>,
  h: Optic<K, Q, P, DP, DQ>,
): Para<[K, M], Q, A, B, DB, DQ, DA> => ({
  fwd: ([q, a]) => {
    const [k, p] = h.fwd(q);
    const [m, b] = f.fwd([p, a]);
    return [[k, m], b];
  },
  bwd: ([k, m], db) => {
    const [dp, da] = f.bwd(m, db);
    return [h.bwd(k, dp), da];
  },
});

/**
 * Reparametrisation by a lens `Q → P` (stores `q`): `reparam(f, fromLens(l))`.
 * With an optimiser lens (see {@link gradientStep}) the parameter output of
 * `bwd` is the *updated* parameters instead of a gradient.
 *
 * @example
 * ```ts
 * const trained = reparamLens(scale, gradientStep((w: number, dw: number) => w - 0.1 * dw));
 * const [res] = trained.fwd([2, 1]);
 * trained.bwd(res, 1)[0]; // 2 - 0.1 · 1 = 1.9
 * ```
 */
export const reparamLens = <M, Q, P, A, B, DB, DP, DQ, DA>(
  f: Para<M, P, A, B, DB, DP, DA>,
  l: Lens<Q, P, DP, DQ>,
): Para<[Q, M], Q, A, B, DB, DQ, DA> => reparam(f, fromLens(l));

/**
 * An optimiser step as a lens `P → P`: `get` is the identity (use the current
 * parameters), `put(p, dp)` returns the next parameters. Stateful optimisers
 * (momentum, Adam) use a state type `S` that contains `P` — write their lens
 * with {@link lens} directly as `Lens<S, P, DP, S>`.
 *
 * @example
 * ```ts
 * const sgd = gradientStep((w: number, dw: number) => w - 0.01 * dw);
 * sgd.put(1, 10); // 0.9
 * ```
 */
export const gradientStep = <P, DP>(step: (p: P, dp: DP) => P): Lens<P, P, DP, P> => lens((p) => p, step);
