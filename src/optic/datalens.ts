/**
 * Lawful data lenses (`get`/`set`), for focusing on part of an immutable
 * structure: a record field ({@link prop}), an array slot ({@link index}),
 * and compositions of those.
 *
 * Unlike backprop lenses these satisfy GetPut, PutGet and PutPut (checked in
 * `laws/optic.ts`). They convert to the backprop {@link Lens} shape in two
 * ways: as an updater ({@link toBackpropLens}: what flows back is a new
 * value) and as the gradient of a projection ({@link toGradientLens}: what
 * flows back is a cotangent, zero outside the focus).
 *
 * @module
 */
import type { Lens } from './lens';

/**
 * A data lens from a whole `S` to a part `A`. Lawful when, for all `s`, `a`:
 * GetPut `set(s, get(s)) = s`, PutGet `get(set(s, a)) = a`,
 * PutPut `set(set(s, a1), a2) = set(s, a2)`.
 *
 * @example
 * ```ts
 * const fst: DataLens<[number, string], number> = dataLens(([n]) => n, ([, s], n) => [n, s]);
 * ```
 */
export interface DataLens<S, A> {
  readonly get: (s: S) => A;
  readonly set: (s: S, a: A) => S;
}

/**
 * Builds a {@link DataLens}. Lawfulness is the caller's responsibility.
 *
 * @example
 * ```ts
 * const celsius = dataLens((k: { kelvin: number }) => k.kelvin - 273.15, (_, c) => ({ kelvin: c + 273.15 }));
 * ```
 */
export const dataLens = <S, A>(get: (s: S) => A, set: (s: S, a: A) => S): DataLens<S, A> => ({ get, set });

/**
 * The identity data lens (the whole is the part).
 *
 * @example
 * ```ts
 * identityDataLens<number>().set(1, 2); // 2
 * ```
 */
export const identityDataLens = <S>(): DataLens<S, S> => ({ get: (s) => s, set: (_s, a) => a });

/**
 * Focus on a field of a plain record. `set` copies the record with the field
 * replaced (spread), so prototypes and non-enumerable fields are not kept:
 * use it on plain data only.
 *
 * `S` cannot be inferred from a key alone; give it explicitly, or use
 * {@link propOf} to fix `S` once.
 *
 * @example
 * ```ts
 * type Person = { name: string; age: number };
 * const age = prop<Person, 'age'>('age');
 * age.set({ name: 'Ada', age: 36 }, 37); // { name: 'Ada', age: 37 }
 * ```
 */
export const prop = <S, K extends keyof S>(key: K): DataLens<S, S[K]> => ({
  get: (s) => s[key],
  set: (s, a) => ({ ...s, [key]: a }),
});

/**
 * Fixes the record type once, so keys are checked and the field type inferred.
 *
 * @example
 * ```ts
 * const age = propOf<Person>()('age'); // DataLens<Person, number>
 * ```
 */
export const propOf =
  <S>() =>
  <K extends keyof S>(key: K): DataLens<S, S[K]> =>
    prop<S, K>(key);

/**
 * Focus on slot `i` of an array. Lawful only for in-range indices, so both
 * `get` and `set` throw a `RangeError` out of range rather than invent a
 * value or grow the array. `set` copies the array.
 *
 * @example
 * ```ts
 * index<number>(1).set([1, 2, 3], 9); // [1, 9, 3]
 * ```
 */
export const index = <A>(i: number): DataLens<ReadonlyArray<A>, A> => {
  const check = (as: ReadonlyArray<A>): void => {
    if (!Number.isInteger(i) || i < 0 || i >= as.length) {
      throw new RangeError(`index(${i}) out of range for array of length ${as.length}`);
    }
  };
  return {
    get: (as) => {
      check(as);
      return as[i]!;
    },
    set: (as, a) => {
      check(as);
      const copy = as.slice();
      copy[i] = a;
      return copy;
    },
  };
};

/**
 * Composition in diagrammatic order: focus with `sa`, then with `ab`.
 *
 * @example
 * ```ts
 * type Shop = { owner: Person };
 * const ownerAge = composeDataLens(prop<Shop, 'owner'>('owner'), prop<Person, 'age'>('age'));
 * ```
 */
export const composeDataLens = <S, A, B>(sa: DataLens<S, A>, ab: DataLens<A, B>): DataLens<S, B> => ({
  get: (s) => ab.get(sa.get(s)),
  set: (s, b) => sa.set(s, ab.set(sa.get(s), b)),
});

/**
 * Data-last {@link composeDataLens}, for `pipe`.
 *
 * @example
 * ```ts
 * const ownerAge = pipe(prop<Shop, 'owner'>('owner'), andThenDataLens(prop<Person, 'age'>('age')));
 * ```
 */
export const andThenDataLens =
  <A, B>(ab: DataLens<A, B>) =>
  <S>(sa: DataLens<S, A>): DataLens<S, B> =>
    composeDataLens(sa, ab);

/**
 * Apply a function to the focus.
 *
 * @example
 * ```ts
 * modify(prop<Person, 'age'>('age'), (n) => n + 1)({ name: 'Ada', age: 36 }); // age 37
 * ```
 */
export const modify =
  <S, A>(l: DataLens<S, A>, f: (a: A) => A) =>
  (s: S): S =>
    l.set(s, f(l.get(s)));

/**
 * A data lens as a backprop lens whose backward pass carries *new values*:
 * `put(s, a) = set(s, a)`. Composes with other backprop lenses and optics
 * (e.g. as the updater in a bidirectional pipeline).
 *
 * @example
 * ```ts
 * const l = toBackpropLens(prop<Person, 'age'>('age'));
 * l.put({ name: 'Ada', age: 36 }, 40); // { name: 'Ada', age: 40 }
 * ```
 */
export const toBackpropLens = <S, A>(l: DataLens<S, A>): Lens<S, A, A, S> => ({ get: l.get, put: l.set });

/**
 * A data lens as the gradient of a projection: `get` projects, `put(_, da)`
 * puts `da` into an all-zero cotangent `zero` — the vector–Jacobian product
 * of a linear projection. `zero` must be the zero cotangent of `S` and must
 * have the same structure (e.g. same array length) as the inputs.
 *
 * @example
 * ```ts
 * const g = toGradientLens(index<number>(1), [0, 0, 0]);
 * g.put([5, 6, 7], 1); // [0, 1, 0]
 * ```
 */
export const toGradientLens = <S, A>(l: DataLens<S, A>, zero: S): Lens<S, A, A, S> => ({
  get: l.get,
  put: (_s, da) => l.set(zero, da),
});
