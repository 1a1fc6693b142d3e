/**
 * fp-ts type-class instances, only where the laws hold.
 *
 * | instance | laws |
 * |---|---|
 * | {@link DataLensCategory} (`Semigroupoid2`, `Category2`) | associativity and identities hold strictly: both sides give the same `get` and the same `set` results |
 * | {@link LensCategory} on `Lens<A, B, B, A>` | associativity and identities hold strictly on `get`/`put` results; left-nested and right-nested composites differ only in how often `get` is recomputed |
 * | {@link OpticCategory} on `SimpleOptic<A, B>` (residual hidden) | outputs and backward results agree strictly. Residuals: composition is the flat {@link seqOptics}, so associativity holds *strictly* (both bracketings give the same chain and residual array); identity laws hold strictly when the other optic is itself a chain, and otherwise only up to the residual iso `m ≅ [m]` |
 *
 * | {@link LensProfunctor}, {@link LensStrong} (`Profunctor4`, `Strong4`) on `Lens<S, X, DX, T>` as a profunctor in its *outer* pair `(S, T)` with the focus `(X, DX)` fixed | profunctor identity and composition, and the Strong laws (`first`/`second` agree through `swap`; `lmap fst = rmap fst ∘ first`), strictly on `get`/`put` results |
 *
 * Not provided, deliberately:
 *
 * - `Profunctor` in the *arrow* direction (source `A`, target `B`) for optics,
 *   lenses or data lenses: `promap(p, f, g)` takes plain functions, but the
 *   backward pass (and a data lens's `set`) would need their inverses. No
 *   lawful — indeed no total — definition exists. That strength is available
 *   as {@link first} and {@link second} (parallel composition with the
 *   identity); `first(f ; g) = first(f) ; first(g)` holds observationally
 *   (residuals differ by re-bracketing), as tested in `test/optic.test.ts`.
 *   What *is* lawful is the profunctor on the outer pair (the "shop"
 *   encoding of a lens: `promap` pre-composes `get`'s input and
 *   post-composes `put`'s output), given above.
 *
 * @module
 */
import type { Category2 } from 'fp-ts/lib/Category.js';
import type { Profunctor4 } from 'fp-ts/lib/Profunctor.js';
import type { Strong4 } from 'fp-ts/lib/Strong.js';
import type { Semigroupoid2 } from 'fp-ts/lib/Semigroupoid.js';
import type { DataLens } from './datalens';
import { composeDataLens, identityDataLens } from './datalens';
import type { Lens } from './lens';
import { composeLens, identityLens, lens } from './lens';
import type { SimpleOptic } from './optic';
import { first, second, seqOptics } from './optic';

export { first, second };

/**
 * URI for {@link DataLens} in fp-ts's `URItoKind2`.
 *
 * @example
 * ```ts
 * import type { Kind2 } from 'fp-ts/lib/HKT';
 * type L = Kind2<DataLensURI, Person, number>; // DataLens<Person, number>
 * ```
 */
export const DataLensURI = 'catoptric/DataLens';
/** Type of {@link DataLensURI}. @example `const u: DataLensURI = DataLensURI;` */
export type DataLensURI = typeof DataLensURI;

/**
 * URI for two-parameter backprop lenses `Lens<A, B, B, A>`.
 *
 * @example
 * ```ts
 * type L = Kind2<SimpleLensURI, number, number>;
 * ```
 */
export const SimpleLensURI = 'catoptric/SimpleLens';
/** Type of {@link SimpleLensURI}. @example `const u: SimpleLensURI = SimpleLensURI;` */
export type SimpleLensURI = typeof SimpleLensURI;

/**
 * URI for {@link SimpleOptic} (residual hidden, cotangents = primals).
 *
 * @example
 * ```ts
 * type O = Kind2<SimpleOpticURI, number, number>; // SimpleOptic<number, number>
 * ```
 */
export const SimpleOpticURI = 'catoptric/SimpleOptic';
/** Type of {@link SimpleOpticURI}. @example `const u: SimpleOpticURI = SimpleOpticURI;` */
export type SimpleOpticURI = typeof SimpleOpticURI;

/**
 * A backprop lens with cotangent types equal to primal types.
 *
 * @example
 * ```ts
 * const sq: SimpleLens<number, number> = lens(x => x * x, (x, dy) => 2 * x * dy);
 * ```
 */
export type SimpleLens<A, B> = Lens<A, B, B, A>;

// 'fp-ts/lib/HKT' (no .js): lib/HKT is a directory whose package.json points at
// fp-ts/HKT.d.ts, the same file fp-ts's own lib/*.d.ts import as './HKT'.
/**
 * URI for a backprop lens seen as a profunctor in its outer pair:
 * `Kind4<LensFocusURI, X, DX, S, T> = Lens<S, X, DX, T>`.
 *
 * @example
 * ```ts
 * type L = Kind4<LensFocusURI, number, number, Person, Person>;
 * ```
 */
export const LensFocusURI = 'catoptric/LensFocus';
/** Type of {@link LensFocusURI}. @example `const u: LensFocusURI = LensFocusURI;` */
export type LensFocusURI = typeof LensFocusURI;

declare module 'fp-ts/lib/HKT' {
  interface URItoKind4<S, R, E, A> {
    readonly [LensFocusURI]: Lens<E, S, R, A>;
  }
  interface URItoKind2<E, A> {
    readonly [DataLensURI]: DataLens<E, A>;
    readonly [SimpleLensURI]: SimpleLens<E, A>;
    readonly [SimpleOpticURI]: SimpleOptic<E, A>;
  }
}

/**
 * `Semigroupoid2` for data lenses. fp-ts's `compose(bc, ab)` is in
 * applicative order (second arrow first); laws hold strictly.
 *
 * @example
 * ```ts
 * const ownerAge = DataLensSemigroupoid.compose(prop<Person, 'age'>('age'), prop<Shop, 'owner'>('owner'));
 * ```
 */
export const DataLensSemigroupoid: Semigroupoid2<DataLensURI> = {
  URI: DataLensURI,
  compose: (bc, ab) => composeDataLens(ab, bc),
};

/**
 * `Category2` for data lenses: {@link DataLensSemigroupoid} plus the identity
 * lens. Laws hold strictly.
 *
 * @example
 * ```ts
 * const same = DataLensCategory.compose(DataLensCategory.id<Person>(), prop<Person, 'age'>('age'));
 * ```
 */
export const DataLensCategory: Category2<DataLensURI> = {
  ...DataLensSemigroupoid,
  id: identityDataLens,
};

/**
 * `Category2` for {@link SimpleLens}. Laws hold strictly on `get`/`put`
 * results; only the recomputation count depends on bracketing.
 *
 * @example
 * ```ts
 * const f = LensCategory.compose(sq, sq); // x ↦ x⁴
 * ```
 */
export const LensCategory: Category2<SimpleLensURI> = {
  URI: SimpleLensURI,
  compose: (bc, ab) => composeLens(ab, bc),
  id: identityLens,
};

/**
 * `Semigroupoid2` for {@link SimpleOptic}: composition is the flat
 * {@link seqOptics}, so associativity holds strictly, residuals included.
 *
 * @example
 * ```ts
 * const f = OpticSemigroupoid.compose(sin, sin); // sin ∘ sin
 * ```
 */
export const OpticSemigroupoid: Semigroupoid2<SimpleOpticURI> = {
  URI: SimpleOpticURI,
  compose: (bc, ab) => seqOptics(ab, bc),
};

/**
 * `Category2` for {@link SimpleOptic}; `id` is the empty chain. Identity laws
 * hold strictly on outputs and backward results; on residuals strictly for
 * chains and up to `m ≅ [m]` for bare optics.
 *
 * @example
 * ```ts
 * const same = OpticCategory.compose(OpticCategory.id<number>(), sin);
 * ```
 */
export const OpticCategory: Category2<SimpleOpticURI> = {
  ...OpticSemigroupoid,
  id: () => seqOptics(),
};

const promapLens = <X, DX, S, T, S2, T2>(l: Lens<S, X, DX, T>, f: (s: S2) => S, g: (t: T) => T2): Lens<S2, X, DX, T2> =>
  lens(
    (s2: S2) => l.get(f(s2)),
    (s2: S2, dx: DX) => g(l.put(f(s2), dx)),
  );

/**
 * `Profunctor4` for a backprop lens `Lens<S, X, DX, T>` in its outer pair `(S, T)`: `promap(l, f, g)`
 * reads through `f` before `get` and maps `put`'s result with `g`. Identity and composition hold
 * strictly.
 *
 * @example
 * ```ts
 * // Focus on x of a pair by pre-composing with fst.
 * const sqOfFst = LensProfunctor.promap(sq, ([x]: [number, string]) => x, (dx: number) => dx);
 * ```
 */
export const LensProfunctor: Profunctor4<LensFocusURI> = {
  URI: LensFocusURI,
  map: (l, g) => promapLens(l, (s) => s, g),
  promap: promapLens,
};

/**
 * `Strong4` for {@link LensProfunctor}: `first(l)` carries a context `C` past the lens —
 * `get([s, c]) = get(s)`, `put([s, c], dx) = [put(s, dx), c]` — which is how a lens on a part lifts
 * to a lens on a product. The Strong laws hold strictly (see `test/optic-strong.test.ts`).
 *
 * @example
 * ```ts
 * const onFirst = LensStrong.first<number, number, number, number, string>(sq);
 * onFirst.put([3, 'kept'], 1); // [6, 'kept']
 * ```
 */
export const LensStrong: Strong4<LensFocusURI> = {
  ...LensProfunctor,
  first: <X, DX, S, T, C>(l: Lens<S, X, DX, T>): Lens<[S, C], X, DX, [T, C]> =>
    lens(
      ([s]: [S, C]) => l.get(s),
      ([s, c]: [S, C], dx: DX): [T, C] => [l.put(s, dx), c],
    ),
  second: <X, DX, C, S, T>(l: Lens<S, X, DX, T>): Lens<[C, S], X, DX, [C, T]> =>
    lens(
      ([, s]: [C, S]) => l.get(s),
      ([c, s]: [C, S], dx: DX): [C, T] => [c, l.put(s, dx)],
    ),
};
