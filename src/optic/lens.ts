/**
 * Backprop-style lenses: a forward map `get` and a backward map `put` that
 * receives the *original input* again, never anything computed on the way
 * forward.
 *
 * A lens stores only its input, so composing lenses means the backward pass
 * has to recompute every intermediate value it needs. That is the "lens
 * form" of a pipeline (see `optic.ts` for the form with an explicit residual,
 * and `twocell.ts` for the maps between the two). The helpers here make the
 * recomputation cost visible: {@link countGets} instruments a lens, and
 * {@link leftNested}, {@link rightNested} and {@link seqLenses} build the three
 * shapes of an n-step chain whose backward passes re-run `get` n(n-1)/2,
 * n-1 and n-1 times respectively.
 *
 * Nothing here assumes tensors: `DB` and `DA` are simply "what flows back".
 * For backprop they are cotangents; for a data lens (see `datalens.ts`) they
 * are new values.
 *
 * @module
 */

/**
 * A backprop lens from `A` to `B`: `get` runs forward, `put(a, db)` maps an
 * incoming `DB` (e.g. the gradient of the loss with respect to the output)
 * back to a `DA` (the gradient with respect to the input), given the input `a`.
 *
 * Backprop lenses are *not* lawful data lenses: GetPut/PutGet do not apply.
 *
 * @example
 * ```ts
 * const sq: Lens<number, number, number, number> = lens(x => x * x, (x, dy) => 2 * x * dy);
 * sq.get(3);    // 9
 * sq.put(3, 1); // 6
 * ```
 */
export interface Lens<A, B, DB, DA> {
  readonly get: (a: A) => B;
  readonly put: (a: A, db: DB) => DA;
}

/**
 * Builds a {@link Lens} from its two maps.
 *
 * @example
 * ```ts
 * const sin = lens(Math.sin, (x: number, dy: number) => Math.cos(x) * dy);
 * ```
 */
export const lens = <A, B, DB, DA>(
  get: (a: A) => B,
  put: (a: A, db: DB) => DA,
): Lens<A, B, DB, DA> => ({ get, put });

/**
 * The identity lens: `get` is the identity and `put` passes the incoming
 * value straight back.
 *
 * @example
 * ```ts
 * identityLens<number, number>().put(5, 2); // 2
 * ```
 */
export const identityLens = <A, DA>(): Lens<A, A, DA, DA> => ({
  get: (a) => a,
  put: (_a, da) => da,
});

/**
 * Sequential composition in diagrammatic order: first `f`, then `g`.
 *
 * `put` recomputes `f.get(a)` because a lens keeps nothing from its forward
 * pass — that single call is the whole cost difference with an optic.
 *
 * @example
 * ```ts
 * const h = composeLens(sq, sin); // x ↦ sin(x²)
 * h.put(1, 1); // cos(1) * 2
 * ```
 */
export const composeLens = <A, B, C, DC, DB, DA>(
  f: Lens<A, B, DB, DA>,
  g: Lens<B, C, DC, DB>,
): Lens<A, C, DC, DA> => ({
  get: (a) => g.get(f.get(a)),
  put: (a, dc) => f.put(a, g.put(f.get(a), dc)),
});

/**
 * Data-last {@link composeLens}, for `pipe`.
 *
 * @example
 * ```ts
 * import { pipe } from 'fp-ts/lib/function.js';
 * const h = pipe(sq, andThenLens(sin)); // x ↦ sin(x²)
 * ```
 */
export const andThenLens =
  <B, C, DC, DB>(g: Lens<B, C, DC, DB>) =>
  <A, DA>(f: Lens<A, B, DB, DA>): Lens<A, C, DC, DA> =>
    composeLens(f, g);

/** A lens whose intermediate types are not tracked; used by the n-ary builders. */
// `any` rather than `unknown`: the fields are functions, so `unknown` would make
// every concrete lens unassignable (parameters are contravariant).
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyLens = Lens<any, any, any, any>;

/**
 * Flat n-ary composition `l1 ; l2 ; … ; ln`.
 *
 * The backward pass recomputes the n-1 intermediate values once each (one
 * forward sweep, stored in a local array), then runs the `put`s from last to
 * first: O(n) recomputation, the same count as {@link rightNested} but without
 * n levels of closure nesting. With no arguments it is the identity.
 *
 * Up to four stages are fully type-checked; longer chains fall back to
 * {@link AnyLens} (annotate the result).
 *
 * @example
 * ```ts
 * const h: Lens<number, number, number, number> = seqLenses(sq, sin, sq);
 * ```
 */
export function seqLenses<A, DA>(): Lens<A, A, DA, DA>;
export function seqLenses<A, B, DB, DA>(l1: Lens<A, B, DB, DA>): Lens<A, B, DB, DA>;
export function seqLenses<A, B, C, DC, DB, DA>(l1: Lens<A, B, DB, DA>, l2: Lens<B, C, DC, DB>): Lens<A, C, DC, DA>;
export function seqLenses<A, B, C, D, DD, DC, DB, DA>(
  l1: Lens<A, B, DB, DA>,
  l2: Lens<B, C, DC, DB>,
  l3: Lens<C, D, DD, DC>,
): Lens<A, D, DD, DA>;
export function seqLenses<A, B, C, D, E, DE, DD, DC, DB, DA>(
  l1: Lens<A, B, DB, DA>,
  l2: Lens<B, C, DC, DB>,
  l3: Lens<C, D, DD, DC>,
  l4: Lens<D, E, DE, DD>,
): Lens<A, E, DE, DA>;
export function seqLenses(...ls: ReadonlyArray<AnyLens>): AnyLens;
export function seqLenses(...ls: ReadonlyArray<AnyLens>): AnyLens {
  const stages = ls.slice();
  return {
    get: (a) => stages.reduce((x, l) => l.get(x), a),
    put: (a, d) => {
      // Inputs to each stage; the last stage's output is never needed backwards.
      const inputs: unknown[] = new Array(stages.length);
      let x: unknown = a;
      for (let i = 0; i < stages.length; i++) {
        inputs[i] = x;
        if (i + 1 < stages.length) x = stages[i]!.get(x);
      }
      let g: unknown = d;
      for (let i = stages.length - 1; i >= 0; i--) g = stages[i]!.put(inputs[i], g);
      return g;
    },
  };
}

/**
 * Left-nested binary composition `((l1 ; l2) ; l3) ; … ; ln`.
 *
 * Provided to demonstrate the cost of naive lens chaining: each level's `put`
 * recomputes the whole prefix, so one backward pass calls component `get`s
 * n(n-1)/2 times (n = 8: 28; n = 32: 496).
 *
 * @example
 * ```ts
 * const h = leftNested([sq, sin, sq]); // same values as seqLenses(sq, sin, sq)
 * ```
 */
export const leftNested = (ls: ReadonlyArray<AnyLens>): AnyLens =>
  ls.reduce<AnyLens>((acc, l) => composeLens(acc, l), identityLens());

/**
 * Right-nested binary composition `l1 ; (l2 ; ( … ; ln))`.
 *
 * Each level recomputes only its own first stage, so one backward pass calls
 * component `get`s n-1 times.
 *
 * @example
 * ```ts
 * const h = rightNested([sq, sin, sq]);
 * ```
 */
export const rightNested = (ls: ReadonlyArray<AnyLens>): AnyLens =>
  ls.length === 0
    ? identityLens()
    : ls.slice(0, -1).reduceRight<AnyLens>((acc, l) => composeLens(l, acc), ls[ls.length - 1]!);

/**
 * A mutable tally shared by instrumented lenses (see {@link countGets}).
 *
 * @example
 * ```ts
 * const c: GetCounter = { gets: 0 };
 * ```
 */
export interface GetCounter {
  gets: number;
}

/**
 * Wraps a lens so that every call of its `get` increments `counter.gets`.
 * `put` is passed through untouched; a `put` that internally calls the
 * *original* `get` is not counted, since only recomputation driven by
 * composition is of interest.
 *
 * @example
 * ```ts
 * const c: GetCounter = { gets: 0 };
 * const chain = leftNested(Array.from({ length: 8 }, () => countGets(sq, c)));
 * c.gets = 0;
 * chain.put(0.5, 1);
 * c.gets; // 28
 * ```
 */
export const countGets = <A, B, DB, DA>(l: Lens<A, B, DB, DA>, counter: GetCounter): Lens<A, B, DB, DA> => ({
  get: (a) => {
    counter.gets++;
    return l.get(a);
  },
  put: l.put,
});
