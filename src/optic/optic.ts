/**
 * Optics with an explicit residual: the forward pass returns what it wants to
 * keep (`M`) next to its output, and the backward pass gets exactly that back.
 *
 * Composition stores residuals instead of recomputing, so a composite's
 * residual is the collection of its parts' residuals. Two shapes are offered:
 *
 * - {@link seqOptic} / {@link parOptic}: binary, residual is the pair `[m, n]`
 *   (as in the design notes). Associative and unital only up to the
 *   re-bracketing iso of residuals.
 * - {@link seqOptics}: n-ary and *flat*: the residual is one array with one
 *   entry per stage, and nested flat chains are spliced, so
 *   `seqOptics(seqOptics(f, g), h)` and `seqOptics(f, seqOptics(g, h))` are the
 *   same chain with the same residual — strictly associative.
 *
 * Structural optics ({@link swapOptic}, {@link copyOptic}, {@link discardOptic}, {@link mergeOptic})
 * keep nothing (`undefined` residual), because their backward maps need no
 * information about the input.
 *
 * Conversions to and from lenses live here too: {@link fromLens} stores the
 * input, {@link toLens}/{@link recompute} forget the residual and recompute it.
 *
 * @module
 */
import type { Lens } from './lens';

/**
 * An optic from `A` to `B` with residual `M`; `DB` flows back into `bwd` and
 * `DA` flows out of it.
 *
 * `fwd` must be deterministic (all randomness in the data), otherwise
 * recomputation does not reproduce the stored residual and 2-cells are invalid.
 *
 * @example
 * ```ts
 * // sin keeps cos(x), so backward is one multiplication.
 * const sin: Optic<number, number, number, number, number> =
 *   optic(x => [Math.cos(x), Math.sin(x)], (c, dy) => c * dy);
 * ```
 */
export interface Optic<M, A, B, DB, DA> {
  readonly fwd: (a: A) => [M, B];
  readonly bwd: (m: M, db: DB) => DA;
  /**
   * Optional forward pass that keeps nothing (for inference, or a sweep inside a recomputed
   * segment). When present it must equal `a ↦ fwd(a)[1]`; read it through {@link view}.
   */
  readonly get?: (a: A) => B;
}

/**
 * The forward pass of an optic without its residual: `o.get` when the optic has one, else
 * `a ↦ o.fwd(a)[1]`.
 *
 * @example
 * ```ts
 * view(sin)(0); // 0
 * ```
 */
export const view =
  <M, A, B, DB, DA>(o: Optic<M, A, B, DB, DA>): ((a: A) => B) =>
  (a) =>
    o.get ? o.get(a) : o.fwd(a)[1];

/**
 * An optic whose residual type is hidden (existential). `any` rather than
 * `unknown` because `M` occurs both in `fwd`'s result and `bwd`'s parameter,
 * so no proper type is a supertype of every `Optic<M, …>`.
 *
 * @example
 * ```ts
 * const pipeline: ReadonlyArray<SomeOptic<number, number, number, number>> = [sin, sin];
 * ```
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type SomeOptic<A, B, DB, DA> = Optic<any, A, B, DB, DA>;

/**
 * An optic whose cotangent types equal its primal types — the two-parameter
 * shape used by the fp-ts instances (`instances.ts`).
 *
 * @example
 * ```ts
 * const s: SimpleOptic<number, number> = sin;
 * ```
 */
export type SimpleOptic<A, B> = SomeOptic<A, B, B, A>;

/**
 * Builds an {@link Optic} from its two maps.
 *
 * @example
 * ```ts
 * const exp = optic((x: number) => { const y = Math.exp(x); return [y, y]; }, (y: number, dy: number) => y * dy);
 * ```
 */
export const optic = <M, A, B, DB, DA>(
  fwd: (a: A) => [M, B],
  bwd: (m: M, db: DB) => DA,
): Optic<M, A, B, DB, DA> => ({ fwd, bwd });

/**
 * Runs forward then backward: returns the output and the back-propagated value.
 *
 * @example
 * ```ts
 * runOptic(sin, 0, 1); // [0, 1]
 * ```
 */
export const runOptic = <M, A, B, DB, DA>(o: Optic<M, A, B, DB, DA>, a: A, db: DB): [B, DA] => {
  const [m, b] = o.fwd(a);
  return [b, o.bwd(m, db)];
};

/**
 * The identity optic; keeps nothing.
 *
 * @example
 * ```ts
 * runOptic(identityOptic<number, number>(), 3, 1); // [3, 1]
 * ```
 */
export const identityOptic = <A, DA>(): Optic<undefined, A, A, DA, DA> => ({
  fwd: (a) => [undefined, a],
  bwd: (_m, da) => da,
});

/**
 * Binary sequential composition, first `f` then `g`; the residual is the pair
 * of residuals and nothing is recomputed backwards.
 *
 * `(f ; g).fwd(a) = let [m, b] = f.fwd(a); [n, c] = g.fwd(b) in [[m, n], c]`,
 * `(f ; g).bwd([m, n], c') = f.bwd(m, g.bwd(n, c'))`.
 *
 * @example
 * ```ts
 * const sinsin = seqOptic(sin, sin);
 * sinsin.fwd(1); // [[cos 1, cos(sin 1)], sin(sin 1)]
 * ```
 */
export const seqOptic = <M, N, A, B, C, DC, DB, DA>(
  f: Optic<M, A, B, DB, DA>,
  g: Optic<N, B, C, DC, DB>,
): Optic<[M, N], A, C, DC, DA> => ({
  fwd: (a) => {
    const [m, b] = f.fwd(a);
    const [n, c] = g.fwd(b);
    return [[m, n], c];
  },
  bwd: ([m, n], dc) => f.bwd(m, g.bwd(n, dc)),
});

/**
 * Data-last {@link seqOptic}, for `pipe`.
 *
 * @example
 * ```ts
 * import { pipe } from 'fp-ts/lib/function.js';
 * const sinsin = pipe(sin, andThen(sin));
 * ```
 */
export const andThen =
  <N, B, C, DC, DB>(g: Optic<N, B, C, DC, DB>) =>
  <M, A, DA>(f: Optic<M, A, B, DB, DA>): Optic<[M, N], A, C, DC, DA> =>
    seqOptic(f, g);

/**
 * A flat chain of optics: an optic whose residual is an array with one entry
 * per stage, and which remembers its stages so that {@link seqOptics} can
 * splice it into a longer chain.
 *
 * @example
 * ```ts
 * const c: Chain<number, number, number, number> = seqOptics(sin, sin, sin);
 * c.stages.length;     // 3
 * c.fwd(1)[0].length;  // 3
 * ```
 */
export interface Chain<A, B, DB, DA> extends Optic<unknown[], A, B, DB, DA> {
  readonly stages: ReadonlyArray<AnyOptic>;
}

const chainTag: unique symbol = Symbol('catoptric.chain');

/**
 * Is this optic a flat chain built by {@link seqOptics}?
 *
 * @example
 * ```ts
 * isChain(seqOptics(sin)); // true
 * isChain(sin);            // false
 * ```
 */
export const isChain = <A, B, DB, DA>(o: SomeOptic<A, B, DB, DA>): o is Chain<A, B, DB, DA> =>
  (o as { [chainTag]?: true })[chainTag] === true;

/**
 * An optic with every type hidden; the element type of {@link Chain.stages}.
 *
 * @example
 * ```ts
 * const stages: AnyOptic[] = [sin, swapOptic()];
 * ```
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyOptic = SomeOptic<any, any, any, any>;

/**
 * Flat n-ary sequential composition. Chains among the arguments are spliced
 * (their stages inlined), so the result depends only on the sequence of
 * non-chain stages: composition of chains is strictly associative and the
 * empty chain `seqOptics()` is a strict two-sided unit *on chains*. A bare
 * optic `f` and the one-stage chain `seqOptics(f)` differ only in residual
 * shape (`m` versus `[m]`).
 *
 * Up to five stages are fully type-checked; longer calls fall back to `any`
 * for the intermediate types (annotate the result).
 *
 * @example
 * ```ts
 * const c = seqOptics(sin, seqOptics(sin, sin));
 * const [res, y] = c.fwd(1); // res = [cos 1, cos(sin 1), cos(sin(sin 1))]
 * c.bwd(res, 1);             // d/dx sin(sin(sin x)) at 1
 * ```
 */
export function seqOptics<A, DA>(): Chain<A, A, DA, DA>;
export function seqOptics<M1, A, B, DB, DA>(o1: Optic<M1, A, B, DB, DA>): Chain<A, B, DB, DA>;
export function seqOptics<M1, M2, A, B, C, DC, DB, DA>(
  o1: Optic<M1, A, B, DB, DA>,
  o2: Optic<M2, B, C, DC, DB>,
): Chain<A, C, DC, DA>;
export function seqOptics<M1, M2, M3, A, B, C, D, DD, DC, DB, DA>(
  o1: Optic<M1, A, B, DB, DA>,
  o2: Optic<M2, B, C, DC, DB>,
  o3: Optic<M3, C, D, DD, DC>,
): Chain<A, D, DD, DA>;
export function seqOptics<M1, M2, M3, M4, A, B, C, D, E, DE, DD, DC, DB, DA>(
  o1: Optic<M1, A, B, DB, DA>,
  o2: Optic<M2, B, C, DC, DB>,
  o3: Optic<M3, C, D, DD, DC>,
  o4: Optic<M4, D, E, DE, DD>,
): Chain<A, E, DE, DA>;
export function seqOptics<M1, M2, M3, M4, M5, A, B, C, D, E, F, DF, DE, DD, DC, DB, DA>(
  o1: Optic<M1, A, B, DB, DA>,
  o2: Optic<M2, B, C, DC, DB>,
  o3: Optic<M3, C, D, DD, DC>,
  o4: Optic<M4, D, E, DE, DD>,
  o5: Optic<M5, E, F, DF, DE>,
): Chain<A, F, DF, DA>;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function seqOptics(...os: ReadonlyArray<AnyOptic>): Chain<any, any, any, any>;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function seqOptics(...os: ReadonlyArray<AnyOptic>): Chain<any, any, any, any> {
  const stages: AnyOptic[] = [];
  for (const o of os) {
    if (isChain(o)) stages.push(...o.stages);
    else stages.push(o);
  }
  const n = stages.length;
  return {
    [chainTag]: true,
    stages,
    fwd: (a) => {
      const residual: unknown[] = new Array(n);
      let x: unknown = a;
      for (let i = 0; i < n; i++) {
        const [m, y] = stages[i]!.fwd(x);
        residual[i] = m;
        x = y;
      }
      return [residual, x];
    },
    bwd: (residual, d) => {
      let g: unknown = d;
      for (let i = n - 1; i >= 0; i--) g = stages[i]!.bwd(residual[i], g);
      return g;
    },
    get: (a) => {
      let x: unknown = a;
      for (let i = 0; i < n; i++) {
        const st = stages[i]!;
        x = st.get ? st.get(x) : st.fwd(x)[1];
      }
      return x;
    },
  } as Chain<unknown, unknown, unknown, unknown> & { [chainTag]: true };
}

/**
 * Parallel (tensor) composition: `f` on the first component, `g` on the
 * second; residuals are paired.
 *
 * @example
 * ```ts
 * const both = parOptic(sin, sin);
 * runOptic(both, [0, 0], [1, 2]); // [[0, 0], [1, 2]]
 * ```
 */
export const parOptic = <M, N, A, B, C, D, DB, DD, DA, DC>(
  f: Optic<M, A, B, DB, DA>,
  g: Optic<N, C, D, DD, DC>,
): Optic<[M, N], [A, C], [B, D], [DB, DD], [DA, DC]> => ({
  fwd: ([a, c]) => {
    const [m, b] = f.fwd(a);
    const [n, d] = g.fwd(c);
    return [[m, n], [b, d]];
  },
  bwd: ([m, n], [db, dd]) => [f.bwd(m, db), g.bwd(n, dd)],
  get: ([a, c]) => [view(f)(a), view(g)(c)],
});

/**
 * `f ⊗ id`: act on the first component of a pair (the `first` of a strong
 * profunctor). See `instances.ts` for why there is no fp-ts `Strong` instance.
 *
 * @example
 * ```ts
 * runOptic(first<number>()(sin), [0, 'x'], [1, 'dx']); // [[0, 'x'], [1, 'dx']]
 * ```
 */
export const first =
  <C, DC = C>() =>
  <M, A, B, DB, DA>(f: Optic<M, A, B, DB, DA>): Optic<[M, undefined], [A, C], [B, C], [DB, DC], [DA, DC]> =>
    parOptic(f, identityOptic<C, DC>());

/**
 * `id ⊗ f`: act on the second component of a pair.
 *
 * @example
 * ```ts
 * runOptic(second<string>()(sin), ['x', 0], ['dx', 1]); // [['x', 0], ['dx', 1]]
 * ```
 */
export const second =
  <C, DC = C>() =>
  <M, A, B, DB, DA>(f: Optic<M, A, B, DB, DA>): Optic<[undefined, M], [C, A], [C, B], [DC, DB], [DC, DA]> =>
    parOptic(identityOptic<C, DC>(), f);

/**
 * The symmetry `A ⊗ B → B ⊗ A`; backward swaps the cotangents back.
 *
 * @example
 * ```ts
 * runOptic(swapOptic<number, string, number, string>(), [1, 'a'], ['da', 1]); // [['a', 1], [1, 'da']]
 * ```
 */
export const swapOptic = <A, B, DA = A, DB = B>(): Optic<undefined, [A, B], [B, A], [DB, DA], [DA, DB]> => ({
  fwd: ([a, b]) => [undefined, [b, a]],
  bwd: (_m, [db, da]) => [da, db],
});

/**
 * Something that can add cotangents (an fp-ts `Semigroup` fits).
 *
 * @example
 * ```ts
 * const add: Concat<number> = { concat: (x, y) => x + y };
 * ```
 */
export interface Concat<D> {
  readonly concat: (x: D, y: D) => D;
}

/**
 * Something with a zero cotangent (an fp-ts `Monoid` fits).
 *
 * @example
 * ```ts
 * const zero: Empty<number> = { empty: 0 };
 * ```
 */
export interface Empty<D> {
  readonly empty: D;
}

/**
 * Copy (diagonal): forward duplicates, backward adds the two cotangents —
 * a value used twice receives the sum of both gradients.
 *
 * @example
 * ```ts
 * import { MonoidSum } from 'fp-ts/lib/number.js';
 * runOptic(copyOptic<number, number>(MonoidSum), 3, [1, 2]); // [[3, 3], 3]
 * ```
 */
export const copyOptic = <A, DA>(S: Concat<DA>): Optic<undefined, A, [A, A], [DA, DA], DA> => ({
  fwd: (a) => [undefined, [a, a]],
  bwd: (_m, [d1, d2]) => S.concat(d1, d2),
});

/**
 * Discard (counit): forward drops the value, backward returns the zero
 * cotangent — a value that is not used has zero gradient.
 *
 * @example
 * ```ts
 * runOptic(discardOptic<number, number>({ empty: 0 }), 3, undefined); // [undefined, 0]
 * ```
 */
export const discardOptic = <A, DA>(Z: Empty<DA>): Optic<undefined, A, undefined, unknown, DA> => ({
  fwd: () => [undefined, undefined],
  bwd: () => Z.empty,
});

/**
 * Merge (addition, the transpose of {@link copyOptic}): forward adds two values,
 * backward hands the same cotangent to both.
 *
 * @example
 * ```ts
 * runOptic(mergeOptic<number, number>(MonoidSum), [1, 2], 5); // [3, [5, 5]]
 * ```
 */
export const mergeOptic = <A, DA>(S: Concat<A>): Optic<undefined, [A, A], A, DA, [DA, DA]> => ({
  fwd: ([a1, a2]) => [undefined, S.concat(a1, a2)],
  bwd: (_m, d) => [d, d],
});

/**
 * Lens ↦ optic: store the input as residual, `bwd` is the lens's `put`.
 *
 * @example
 * ```ts
 * const o = fromLens(lens(Math.sin, (x: number, dy: number) => Math.cos(x) * dy));
 * o.fwd(1); // [1, sin 1]
 * ```
 */
export const fromLens = <A, B, DB, DA>(l: Lens<A, B, DB, DA>): Optic<A, A, B, DB, DA> => ({
  fwd: (a) => [a, l.get(a)],
  bwd: l.put,
  get: l.get,
});

/**
 * Optic ↦ lens: forget the residual; `put` re-runs `fwd` to get it back.
 *
 * @example
 * ```ts
 * toLens(sin).put(0, 1); // 1 (= cos 0 · 1, recomputing cos 0)
 * ```
 */
export const toLens = <M, A, B, DB, DA>(o: Optic<M, A, B, DB, DA>): Lens<A, B, DB, DA> => ({
  get: view(o),
  put: (a, db) => o.bwd(o.fwd(a)[0], db),
});

/**
 * The *lens form* of an optic: residual is the input, and `bwd` re-runs `fwd`
 * to rebuild the original residual. Same outputs and gradients, minimal
 * storage, one extra forward pass. `fromLens(toLens(o))`.
 *
 * There is a unique 2-cell from `recompute(o)` to `o` (`fromLensForm` in
 * `twocell.ts`): the lens form is initial.
 *
 * @example
 * ```ts
 * recompute(sin).fwd(1); // [1, sin 1] — keeps x, not cos x
 * ```
 */
export const recompute = <M, A, B, DB, DA>(o: Optic<M, A, B, DB, DA>): Optic<A, A, B, DB, DA> =>
  fromLens(toLens(o));
