/**
 * 2-cells between optics: a map of residuals `r : M → M'` from an optic
 * `f` (residual `M`) to an optic `g` (residual `M'`) computing the same thing.
 *
 * Validity, for every input `a` and incoming `b'`:
 *
 * - (T1) `g.fwd(a) = [r(m), b]` where `[m, b] = f.fwd(a)`;
 * - (T2) `f.bwd(m, b') = g.bwd(r(m), b')`.
 *
 * Read operationally, the source keeps the smaller `M` and pays for `r` in the
 * backward pass; the target pays in the forward pass and keeps `M'`. A 2-cell
 * is one store-versus-recompute decision. Nothing here checks validity — the
 * predicates in `laws/optic.ts` do.
 *
 * @module
 */
import type { Lens } from './lens';
import { composeLens } from './lens';
import type { Optic } from './optic';
import { fromLens, parOptic, recompute, seqOptic } from './optic';

/**
 * A 2-cell from `source` (residual `M`) to `target` (residual `M2`), both
 * optics from `A` to `B`.
 *
 * @example
 * ```ts
 * // sin storing x  ⇒  sin storing cos x
 * const cell = twoCell(recompute(sin), sin, (x: number) => Math.cos(x));
 * ```
 */
export interface TwoCell<M, M2, A, B, DB, DA> {
  readonly source: Optic<M, A, B, DB, DA>;
  readonly target: Optic<M2, A, B, DB, DA>;
  readonly r: (m: M) => M2;
}

/**
 * Builds a {@link TwoCell}.
 *
 * @example
 * ```ts
 * const cell = twoCell(recompute(sin), sin, Math.cos);
 * ```
 */
export const twoCell = <M, M2, A, B, DB, DA>(
  source: Optic<M, A, B, DB, DA>,
  target: Optic<M2, A, B, DB, DA>,
  r: (m: M) => M2,
): TwoCell<M, M2, A, B, DB, DA> => ({ source, target, r });

/**
 * The identity 2-cell on an optic (`r` is the identity).
 *
 * @example
 * ```ts
 * identityCell(sin).r(0.5); // 0.5
 * ```
 */
export const identityCell = <M, A, B, DB, DA>(o: Optic<M, A, B, DB, DA>): TwoCell<M, M, A, B, DB, DA> => ({
  source: o,
  target: o,
  r: (m) => m,
});

/**
 * Vertical composition `α ; β` (first α, then β): `r = β.r ∘ α.r`.
 * `β.source` is expected to be `α.target` (the optic in the middle is not
 * kept, since the composite only needs the outer two).
 *
 * @example
 * ```ts
 * const lensToSin = vertical(twoCell(recompute(sin), sin, Math.cos), identityCell(sin));
 * ```
 */
export const vertical = <M1, M2, M3, A, B, DB, DA>(
  alpha: TwoCell<M1, M2, A, B, DB, DA>,
  beta: TwoCell<M2, M3, A, B, DB, DA>,
): TwoCell<M1, M3, A, B, DB, DA> => ({
  source: alpha.source,
  target: beta.target,
  r: (m) => beta.r(alpha.r(m)),
});

/**
 * Horizontal composition along sequential composition: from
 * `α : f ⇒ g` (A → B) and `β : f' ⇒ g'` (B → C) to
 * `α ∗ β : f ; f' ⇒ g ; g'` with `r = α.r ⊗ β.r` on the paired residual.
 *
 * @example
 * ```ts
 * const both = horizontal(twoCell(recompute(sin), sin, Math.cos), twoCell(recompute(sin), sin, Math.cos));
 * both.r([0, 0]); // [1, 1]
 * ```
 */
export const horizontal = <M, M2, N, N2, A, B, C, DC, DB, DA>(
  alpha: TwoCell<M, M2, A, B, DB, DA>,
  beta: TwoCell<N, N2, B, C, DC, DB>,
): TwoCell<[M, N], [M2, N2], A, C, DC, DA> => ({
  source: seqOptic(alpha.source, beta.source),
  target: seqOptic(alpha.target, beta.target),
  r: ([m, n]) => [alpha.r(m), beta.r(n)],
});

/**
 * Parallel composition of 2-cells along `⊗`: `α ⊗ β : f ⊗ f' ⇒ g ⊗ g'`.
 *
 * @example
 * ```ts
 * const side = parallelCells(twoCell(recompute(sin), sin, Math.cos), identityCell(sin));
 * ```
 */
export const parallelCells = <M, M2, N, N2, A, B, C, D, DB, DD, DA, DC>(
  alpha: TwoCell<M, M2, A, B, DB, DA>,
  beta: TwoCell<N, N2, C, D, DD, DC>,
): TwoCell<[M, N], [M2, N2], [A, C], [B, D], [DB, DD], [DA, DC]> => ({
  source: parOptic(alpha.source, beta.source),
  target: parOptic(alpha.target, beta.target),
  r: ([m, n]) => [alpha.r(m), beta.r(n)],
});

/**
 * Left whiskering `h ◁ α = id_h ∗ α : h ; f ⇒ h ; g` — the decision α
 * applied after a fixed prefix `h`.
 *
 * @example
 * ```ts
 * const w = whiskerLeft(sin, twoCell(recompute(sin), sin, Math.cos)); // sin ; (lens-sin ⇒ sin)
 * ```
 */
export const whiskerLeft = <K, M, M2, A, B, C, DC, DB, DA>(
  h: Optic<K, A, B, DB, DA>,
  alpha: TwoCell<M, M2, B, C, DC, DB>,
): TwoCell<[K, M], [K, M2], A, C, DC, DA> => horizontal(identityCell(h), alpha);

/**
 * Right whiskering `α ▷ h = α ∗ id_h : f ; h ⇒ g ; h`.
 *
 * @example
 * ```ts
 * const w = whiskerRight(twoCell(recompute(sin), sin, Math.cos), sin);
 * ```
 */
export const whiskerRight = <M, M2, K, A, B, C, DC, DB, DA>(
  alpha: TwoCell<M, M2, A, B, DB, DA>,
  h: Optic<K, B, C, DC, DB>,
): TwoCell<[M, K], [M2, K], A, C, DC, DA> => horizontal(alpha, identityCell(h));

/**
 * The oplaxator of the lens-to-optic functor `F = fromLens`:
 * `F(l ; l') ⇒ F(l) ; F(l')`, with `r = a ↦ [a, l.get(a)]`.
 *
 * The source stores only `a` and recomputes the intermediate `l.get(a)`
 * during backward; the target stores it. This is exactly "recompute the
 * intermediate" as a 2-cell.
 *
 * @example
 * ```ts
 * const sinL = lens(Math.sin, (x: number, dy: number) => Math.cos(x) * dy);
 * const cell = oplaxator(sinL, sinL);
 * cell.r(1); // [1, sin 1]
 * ```
 */
export const oplaxator = <A, B, C, DC, DB, DA>(
  l: Lens<A, B, DB, DA>,
  l2: Lens<B, C, DC, DB>,
): TwoCell<A, [A, B], A, C, DC, DA> => ({
  source: fromLens(composeLens(l, l2)),
  target: seqOptic(fromLens(l), fromLens(l2)),
  r: (a) => [a, l.get(a)],
});

/**
 * The 2-cell from the lens form `recompute(o)` (residual = input) to `o`,
 * with `r = a ↦ o.fwd(a)[0]`.
 *
 * It is the only one: (T1) forces `r(a) = o.fwd(a)[0]` for any 2-cell out of
 * the lens form, so the lens form is initial among optics reachable from it.
 *
 * @example
 * ```ts
 * const cell = fromLensForm(sin);
 * cell.r(0); // 1 (= cos 0, what sin stores)
 * ```
 */
export const fromLensForm = <M, A, B, DB, DA>(o: Optic<M, A, B, DB, DA>): TwoCell<A, M, A, B, DB, DA> => ({
  source: recompute(o),
  target: o,
  r: (a) => o.fwd(a)[0],
});
