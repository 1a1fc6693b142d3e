/**
 * Reusable law suites for the optic core (`src/optic`), in the shape of
 * fp-ts-laws: pure predicates returning `boolean`, and thin fast-check
 * wrappers returning `fc.property(...)`, so that users can check their own
 * optics, 2-cells and data lenses.
 *
 * Optics are compared *observationally*: two optics are equal at `(a, db)`
 * when their forward outputs agree and their backward results agree (each
 * run on its own residual). Residuals are only compared where a law is
 * strict about them ({@link opticLaws.flatAssociativity},
 * {@link opticLaws.flatIdentity}, T1 of 2-cells). Equality of values is
 * always a supplied `Eq`, so floating-point tolerance is the caller's choice.
 *
 * Backprop lenses are not lawful data lenses: GetPut/PutGet/PutPut are only
 * stated for {@link DataLens} ({@link dataLensLaws}).
 *
 * @module
 */
import fc from 'fast-check';
import { LensStrong } from '../src/optic/instances';
import type { Eq } from 'fp-ts/lib/Eq.js';
import type { DataLens } from '../src/optic/datalens';
import { composeDataLens, identityDataLens } from '../src/optic/datalens';
import type { Lens } from '../src/optic/lens';
import { composeLens, identityLens } from '../src/optic/lens';
import type { AnyOptic, Chain, Concat, Empty, SomeOptic } from '../src/optic/optic';
import { copyOptic, discardOptic, identityOptic, parOptic, recompute, seqOptic, seqOptics, swapOptic, view } from '../src/optic/optic';
import type { Monoid } from 'fp-ts/lib/Monoid.js';
import type { Para } from '../src/optic/para';
import { paraSeq, reparam } from '../src/optic/para';
import { paraSeqs } from '../src/optic/shared';
import { type Schedule, checkpointed, scheduleLeaves } from '../src/optic/checkpoint';
import type { TwoCell } from '../src/optic/twocell';
import { horizontal, vertical } from '../src/optic/twocell';

/**
 * The two equalities needed to compare optics from `A` to `B`: on outputs
 * and on back-propagated values.
 *
 * @example
 * ```ts
 * import * as N from 'fp-ts/lib/number.js';
 * const E: OpticEq<number, number> = { output: N.Eq, cotangent: N.Eq };
 * ```
 */
export interface OpticEq<B, DA> {
  readonly output: Eq<B>;
  readonly cotangent: Eq<DA>;
}

/**
 * Observational equality of two optics at one input `a` and one incoming
 * cotangent `db`: same forward output, same backward result. Residuals may
 * differ in shape.
 *
 * @example
 * ```ts
 * observationallyEqual(recompute(sin), sin, E)(1, 1); // true
 * ```
 */
export const observationallyEqual =
  <A, B, DB, DA>(o1: SomeOptic<A, B, DB, DA>, o2: SomeOptic<A, B, DB, DA>, E: OpticEq<B, DA>) =>
  (a: A, db: DB): boolean => {
    const [m1, b1] = o1.fwd(a);
    const [m2, b2] = o2.fwd(a);
    return E.output.equals(b1, b2) && E.cotangent.equals(o1.bwd(m1, db), o2.bwd(m2, db));
  };

/**
 * Observational equality of two backprop lenses at `(a, db)`: same `get`,
 * same `put`.
 *
 * @example
 * ```ts
 * lensesAgree(composeLens(identityLens(), sq), sq, E)(2, 1); // true
 * ```
 */
export const lensesAgree =
  <A, B, DB, DA>(l1: Lens<A, B, DB, DA>, l2: Lens<A, B, DB, DA>, E: OpticEq<B, DA>) =>
  (a: A, db: DB): boolean =>
    E.output.equals(l1.get(a), l2.get(a)) && E.cotangent.equals(l1.put(a, db), l2.put(a, db));

/**
 * Category and symmetric-monoidal laws for optics. Binary {@link seqOptic}
 * and {@link parOptic} satisfy them up to the residual iso (compared
 * observationally); the flat {@link seqOptics} satisfies associativity and
 * (on chains) identity strictly, residuals included.
 *
 * @example
 * ```ts
 * opticLaws.associativity(sin, sin, sin, E)(0.3, 1); // true
 * ```
 */
export const opticLaws = {
  /** `id ; f = f` (observationally). */
  leftIdentity:
    <A, B, DB, DA>(f: SomeOptic<A, B, DB, DA>, E: OpticEq<B, DA>) =>
    (a: A, db: DB): boolean =>
      observationallyEqual(seqOptic(identityOptic<A, DA>(), f), f, E)(a, db),

  /** `f ; id = f` (observationally). */
  rightIdentity:
    <A, B, DB, DA>(f: SomeOptic<A, B, DB, DA>, E: OpticEq<B, DA>) =>
    (a: A, db: DB): boolean =>
      observationallyEqual(seqOptic(f, identityOptic<B, DB>()), f, E)(a, db),

  /** `(f ; g) ; h = f ; (g ; h)` (observationally, i.e. up to the associator). */
  associativity:
    <A, B, C, D, DD, DC, DB, DA>(
      f: SomeOptic<A, B, DB, DA>,
      g: SomeOptic<B, C, DC, DB>,
      h: SomeOptic<C, D, DD, DC>,
      E: OpticEq<D, DA>,
    ) =>
    (a: A, dd: DD): boolean =>
      observationallyEqual(seqOptic(seqOptic(f, g), h), seqOptic(f, seqOptic(g, h)), E)(a, dd),

  /**
   * Strict associativity of the flat composition: both bracketings agree
   * observationally *and* store equal residual arrays (`residual` compares
   * the two arrays).
   */
  flatAssociativity:
    <A, B, C, D, DD, DC, DB, DA>(
      f: SomeOptic<A, B, DB, DA>,
      g: SomeOptic<B, C, DC, DB>,
      h: SomeOptic<C, D, DD, DC>,
      E: OpticEq<D, DA>,
      residual: Eq<unknown[]>,
    ) =>
    (a: A, dd: DD): boolean => {
      const l = seqOptics(seqOptics(f, g), h);
      const r = seqOptics(f, seqOptics(g, h));
      return residual.equals(l.fwd(a)[0], r.fwd(a)[0]) && observationallyEqual(l, r, E)(a, dd);
    },

  /**
   * Strict unit laws of the flat composition on a chain `c`:
   * `seqOptics(seqOptics(), c) = c = seqOptics(c, seqOptics())`, residuals included.
   */
  flatIdentity:
    <A, B, DB, DA>(c: Chain<A, B, DB, DA>, E: OpticEq<B, DA>, residual: Eq<unknown[]>) =>
    (a: A, db: DB): boolean => {
      const l = seqOptics(seqOptics<A, DA>(), c);
      const r = seqOptics(c, seqOptics<B, DB>());
      const m = c.fwd(a)[0];
      return (
        residual.equals(l.fwd(a)[0], m) &&
        residual.equals(r.fwd(a)[0], m) &&
        observationallyEqual(l, c, E)(a, db) &&
        observationallyEqual(r, c, E)(a, db)
      );
    },

  /** Interchange: `(f ⊗ g) ; (h ⊗ k) = (f ; h) ⊗ (g ; k)` (observationally). */
  interchange:
    <A, B, C, D, E, F, DE, DF, DB, DD, DA, DC>(
      f: SomeOptic<A, B, DB, DA>,
      g: SomeOptic<C, D, DD, DC>,
      h: SomeOptic<B, E, DE, DB>,
      k: SomeOptic<D, F, DF, DD>,
      Eq: OpticEq<[E, F], [DA, DC]>,
    ) =>
    (ac: [A, C], def: [DE, DF]): boolean =>
      observationallyEqual(seqOptic(parOptic(f, g), parOptic(h, k)), parOptic(seqOptic(f, h), seqOptic(g, k)), Eq)(
        ac,
        def,
      ),

  /** Symmetry is involutive: `swap ; swap = id` on `A ⊗ B`. */
  symmetryInvolutive:
    <A, B, DA, DB>(E: OpticEq<[A, B], [DA, DB]>) =>
    (ab: [A, B], dab: [DA, DB]): boolean =>
      observationallyEqual(seqOptic(swapOptic<A, B, DA, DB>(), swapOptic<B, A, DB, DA>()), identityOptic<[A, B], [DA, DB]>(), E)(
        ab,
        dab,
      ),

  /** Naturality of symmetry: `(f ⊗ g) ; swap = swap ; (g ⊗ f)`. */
  symmetryNatural:
    <A, B, C, D, DB, DD, DA, DC>(f: SomeOptic<A, B, DB, DA>, g: SomeOptic<C, D, DD, DC>, E: OpticEq<[D, B], [DA, DC]>) =>
    (ac: [A, C], ddb: [DD, DB]): boolean =>
      observationallyEqual(
        seqOptic(parOptic(f, g), swapOptic<B, D, DB, DD>()),
        seqOptic(swapOptic<A, C, DA, DC>(), parOptic(g, f)),
        E,
      )(ac, ddb),

  /**
   * Counit law of copy/discard: `copy ; (id ⊗ discard)` is the identity
   * up to the right unitor `A ⊗ 1 ≅ A` — output `[a, undefined]`, and the
   * backward result of `[da, undefined]` is `da` (the zero must be a unit for
   * the addition).
   */
  copyCounit:
    <A, DA>(M: Concat<DA> & Empty<DA>, eqA: Eq<A>, eqDA: Eq<DA>) =>
    (a: A, da: DA): boolean => {
      const o = seqOptic(copyOptic<A, DA>(M), parOptic(identityOptic<A, DA>(), discardOptic<A, DA>(M)));
      const [m, [a2]] = o.fwd(a);
      return eqA.equals(a2, a) && eqDA.equals(o.bwd(m, [da, undefined]), da);
    },

  /** Cocommutativity: `copy ; swap = copy` (needs a commutative addition). */
  copyCommutative:
    <A, DA>(S: Concat<DA>, E: OpticEq<[A, A], DA>) =>
    (a: A, dd: [DA, DA]): boolean =>
      observationallyEqual(seqOptic(copyOptic<A, DA>(S), swapOptic<A, A, DA, DA>()), copyOptic<A, DA>(S), E)(a, dd),

  /** The lens form computes the same thing: `recompute(f) = f` observationally. */
  recomputeAgrees:
    <A, B, DB, DA>(f: SomeOptic<A, B, DB, DA>, E: OpticEq<B, DA>) =>
    (a: A, db: DB): boolean =>
      observationallyEqual(recompute(f), f, E)(a, db),
};

/**
 * Category laws for backprop lenses (observational: `get` and `put` results).
 * Deliberately no GetPut/PutGet: backprop lenses are not data lenses.
 *
 * @example
 * ```ts
 * lensLaws.associativity(sq, sq, sq, E)(0.5, 1); // true
 * ```
 */
export const lensLaws = {
  /** `id ; l = l`. */
  leftIdentity:
    <A, B, DB, DA>(l: Lens<A, B, DB, DA>, E: OpticEq<B, DA>) =>
    (a: A, db: DB): boolean =>
      lensesAgree(composeLens(identityLens<A, DA>(), l), l, E)(a, db),
  /** `l ; id = l`. */
  rightIdentity:
    <A, B, DB, DA>(l: Lens<A, B, DB, DA>, E: OpticEq<B, DA>) =>
    (a: A, db: DB): boolean =>
      lensesAgree(composeLens(l, identityLens<B, DB>()), l, E)(a, db),
  /** `(f ; g) ; h = f ; (g ; h)`. */
  associativity:
    <A, B, C, D, DD, DC, DB, DA>(
      f: Lens<A, B, DB, DA>,
      g: Lens<B, C, DC, DB>,
      h: Lens<C, D, DD, DC>,
      E: OpticEq<D, DA>,
    ) =>
    (a: A, dd: DD): boolean =>
      lensesAgree(composeLens(composeLens(f, g), h), composeLens(f, composeLens(g, h)), E)(a, dd),
};

/**
 * Equalities needed to check a 2-cell: on target residuals (T1), outputs
 * (T1) and backward results (T2).
 *
 * @example
 * ```ts
 * const E: TwoCellEq<number, number, number> = { residual: N.Eq, output: N.Eq, cotangent: N.Eq };
 * ```
 */
export interface TwoCellEq<M2, B, DA> extends OpticEq<B, DA> {
  readonly residual: Eq<M2>;
}

const t1 =
  <M, M2, A, B, DB, DA>(cell: TwoCell<M, M2, A, B, DB, DA>, residual: Eq<M2>, output: Eq<B>) =>
  (a: A): boolean => {
    const [m, b] = cell.source.fwd(a);
    const [m2, b2] = cell.target.fwd(a);
    return residual.equals(m2, cell.r(m)) && output.equals(b2, b);
  };

const t2 =
  <M, M2, A, B, DB, DA>(cell: TwoCell<M, M2, A, B, DB, DA>, cotangent: Eq<DA>) =>
  (a: A, db: DB): boolean => {
    const [m] = cell.source.fwd(a);
    return cotangent.equals(cell.source.bwd(m, db), cell.target.bwd(cell.r(m), db));
  };

const valid =
  <M, M2, A, B, DB, DA>(cell: TwoCell<M, M2, A, B, DB, DA>, E: TwoCellEq<M2, B, DA>) =>
  (a: A, db: DB): boolean =>
    t1(cell, E.residual, E.output)(a) && t2(cell, E.cotangent)(a, db);

/**
 * 2-cell laws: validity (T1, T2), closure of valid 2-cells under vertical and
 * horizontal composition, and the interchange law.
 *
 * The closure laws are implications (`premises ⇒ conclusion`), so they are
 * vacuously true on invalid inputs; check the premises with {@link twoCellLaws.valid}
 * too when the cells are generated.
 *
 * @example
 * ```ts
 * twoCellLaws.valid(fromLensForm(sin), E)(0.3, 1); // true
 * ```
 */
export const twoCellLaws = {
  /** (T1) `target.fwd(a) = [r(m), b]` where `[m, b] = source.fwd(a)`. */
  t1,
  /** (T2) `source.bwd(m, b') = target.bwd(r(m), b')`. */
  t2,
  /** T1 and T2 together. */
  valid,

  /** If `α : f ⇒ g` and `β : g ⇒ h` are valid, so is `α ; β : f ⇒ h`. */
  verticalValid:
    <M1, M2, M3, A, B, DB, DA>(
      alpha: TwoCell<M1, M2, A, B, DB, DA>,
      beta: TwoCell<M2, M3, A, B, DB, DA>,
      E: OpticEq<B, DA> & { readonly residual2: Eq<M2>; readonly residual3: Eq<M3> },
    ) =>
    (a: A, db: DB): boolean =>
      !(
        valid(alpha, { ...E, residual: E.residual2 })(a, db) &&
        valid(beta, { ...E, residual: E.residual3 })(a, db)
      ) || valid(vertical(alpha, beta), { ...E, residual: E.residual3 })(a, db),

  /**
   * If `α : f ⇒ g` (A → B) and `β : f' ⇒ g'` (B → C) are valid, so is
   * `α ∗ β : f ; f' ⇒ g ; g'`. The premise on β is checked at the
   * intermediate value `f.fwd(a)[1]` and at `f'.bwd`'s incoming `dc`.
   */
  horizontalValid:
    <M, M2, N, N2, A, B, C, DC, DB, DA>(
      alpha: TwoCell<M, M2, A, B, DB, DA>,
      beta: TwoCell<N, N2, B, C, DC, DB>,
      E: {
        readonly alpha: TwoCellEq<M2, B, DA>;
        readonly beta: TwoCellEq<N2, C, DB>;
      },
    ) =>
    (a: A, dc: DC): boolean => {
      // β is checked where the composite uses it: at the intermediate value b,
      // and α at the cotangent β sends back.
      const [, b] = alpha.source.fwd(a);
      const [n] = beta.source.fwd(b);
      const db = beta.source.bwd(n, dc);
      const premises = valid(alpha, E.alpha)(a, db) && valid(beta, E.beta)(b, dc);
      const composite = horizontal(alpha, beta);
      const residual: Eq<[M2, N2]> = {
        equals: ([x1, y1], [x2, y2]) => E.alpha.residual.equals(x1, x2) && E.beta.residual.equals(y1, y2),
      };
      return (
        !premises ||
        valid(composite, { residual, output: E.beta.output, cotangent: E.alpha.cotangent })(a, dc)
      );
    },

  /**
   * Interchange: `(α ; β) ∗ (γ ; δ) = (α ∗ γ) ; (β ∗ δ)` for
   * `α : f ⇒ g, β : g ⇒ h` (A → B) and `γ : f' ⇒ g', δ : g' ⇒ h'` (B → C).
   * Both sides must have observationally equal sources and targets, and
   * their `r` must agree on the residual the common source stores for `a`.
   */
  interchange:
    <M1, M2, M3, N1, N2, N3, A, B, C, DC, DB, DA>(
      alpha: TwoCell<M1, M2, A, B, DB, DA>,
      beta: TwoCell<M2, M3, A, B, DB, DA>,
      gamma: TwoCell<N1, N2, B, C, DC, DB>,
      delta: TwoCell<N2, N3, B, C, DC, DB>,
      E: OpticEq<C, DA> & { readonly residual: Eq<[M3, N3]> },
    ) =>
    (a: A, dc: DC): boolean => {
      const lhs = horizontal(vertical(alpha, beta), vertical(gamma, delta));
      const rhs = vertical(horizontal(alpha, gamma), horizontal(beta, delta));
      const [m] = lhs.source.fwd(a);
      const [m2] = rhs.source.fwd(a);
      return (
        E.residual.equals(lhs.r(m), rhs.r(m2)) &&
        observationallyEqual(lhs.source, rhs.source, E)(a, dc) &&
        observationallyEqual(lhs.target, rhs.target, E)(a, dc)
      );
    },
};

/**
 * Laws of lawful data lenses (GetPut, PutGet, PutPut) and of their category
 * (identity, associativity; strict).
 *
 * @example
 * ```ts
 * dataLensLaws.getPut(prop<Person, 'age'>('age'), eqPerson)({ name: 'Ada', age: 36 }); // true
 * ```
 */
export const dataLensLaws = {
  /** GetPut: `set(s, get(s)) = s`. */
  getPut:
    <S, A>(l: DataLens<S, A>, eqS: Eq<S>) =>
    (s: S): boolean =>
      eqS.equals(l.set(s, l.get(s)), s),
  /** PutGet: `get(set(s, a)) = a`. */
  putGet:
    <S, A>(l: DataLens<S, A>, eqA: Eq<A>) =>
    (s: S, a: A): boolean =>
      eqA.equals(l.get(l.set(s, a)), a),
  /** PutPut: `set(set(s, a1), a2) = set(s, a2)`. */
  putPut:
    <S, A>(l: DataLens<S, A>, eqS: Eq<S>) =>
    (s: S, a1: A, a2: A): boolean =>
      eqS.equals(l.set(l.set(s, a1), a2), l.set(s, a2)),
  /** `(f ; g) ; h = f ; (g ; h)`: same `get` and same `set` results. */
  associativity:
    <S, A, B, C>(f: DataLens<S, A>, g: DataLens<A, B>, h: DataLens<B, C>, eqS: Eq<S>, eqC: Eq<C>) =>
    (s: S, c: C): boolean => {
      const l = composeDataLens(composeDataLens(f, g), h);
      const r = composeDataLens(f, composeDataLens(g, h));
      return eqC.equals(l.get(s), r.get(s)) && eqS.equals(l.set(s, c), r.set(s, c));
    },
  /** `id ; l = l = l ; id`. */
  identity:
    <S, A>(l: DataLens<S, A>, eqS: Eq<S>, eqA: Eq<A>) =>
    (s: S, a: A): boolean => {
      const left = composeDataLens(identityDataLens<S>(), l);
      const right = composeDataLens(l, identityDataLens<A>());
      return (
        eqA.equals(left.get(s), l.get(s)) &&
        eqA.equals(right.get(s), l.get(s)) &&
        eqS.equals(left.set(s, a), l.set(s, a)) &&
        eqS.equals(right.set(s, a), l.set(s, a))
      );
    },
};

/**
 * fast-check wrappers around {@link opticLaws}: each takes arbitraries and
 * returns an `fc.property`, to be run with `fc.assert`.
 *
 * @example
 * ```ts
 * fc.assert(opticProperties.associativity(arbOptic, arbOptic, arbOptic, fc.double(), fc.double(), E));
 * ```
 */
export const opticProperties = {
  leftIdentity: <A, B, DB, DA>(
    f: fc.Arbitrary<SomeOptic<A, B, DB, DA>>,
    a: fc.Arbitrary<A>,
    db: fc.Arbitrary<DB>,
    E: OpticEq<B, DA>,
  ) => fc.property(f, a, db, (f, a, db) => opticLaws.leftIdentity(f, E)(a, db)),
  rightIdentity: <A, B, DB, DA>(
    f: fc.Arbitrary<SomeOptic<A, B, DB, DA>>,
    a: fc.Arbitrary<A>,
    db: fc.Arbitrary<DB>,
    E: OpticEq<B, DA>,
  ) => fc.property(f, a, db, (f, a, db) => opticLaws.rightIdentity(f, E)(a, db)),
  /** Endo-optics on one type, so one arbitrary serves all three positions. */
  associativity: <A, DA>(
    o: fc.Arbitrary<SomeOptic<A, A, DA, DA>>,
    a: fc.Arbitrary<A>,
    da: fc.Arbitrary<DA>,
    E: OpticEq<A, DA>,
  ) => fc.property(o, o, o, a, da, (f, g, h, a, da) => opticLaws.associativity(f, g, h, E)(a, da)),
  flatAssociativity: <A, DA>(
    o: fc.Arbitrary<SomeOptic<A, A, DA, DA>>,
    a: fc.Arbitrary<A>,
    da: fc.Arbitrary<DA>,
    E: OpticEq<A, DA>,
    residual: Eq<unknown[]>,
  ) => fc.property(o, o, o, a, da, (f, g, h, a, da) => opticLaws.flatAssociativity(f, g, h, E, residual)(a, da)),
  flatIdentity: <A, DA>(
    o: fc.Arbitrary<SomeOptic<A, A, DA, DA>>,
    a: fc.Arbitrary<A>,
    da: fc.Arbitrary<DA>,
    E: OpticEq<A, DA>,
    residual: Eq<unknown[]>,
  ) =>
    fc.property(fc.array(o, { maxLength: 4 }), a, da, (os, a, da) =>
      opticLaws.flatIdentity(seqOptics(...os), E, residual)(a, da),
    ),
  interchange: <A, DA>(
    o: fc.Arbitrary<SomeOptic<A, A, DA, DA>>,
    a: fc.Arbitrary<A>,
    da: fc.Arbitrary<DA>,
    E: OpticEq<[A, A], [DA, DA]>,
  ) =>
    fc.property(o, o, o, o, fc.tuple(a, a), fc.tuple(da, da), (f, g, h, k, ac, dd) =>
      opticLaws.interchange(f, g, h, k, E)(ac, dd),
    ),
  symmetryInvolutive: <A, B, DA, DB>(
    ab: fc.Arbitrary<[A, B]>,
    dab: fc.Arbitrary<[DA, DB]>,
    E: OpticEq<[A, B], [DA, DB]>,
  ) => fc.property(ab, dab, (ab, dab) => opticLaws.symmetryInvolutive(E)(ab, dab)),
  symmetryNatural: <A, DA>(
    o: fc.Arbitrary<SomeOptic<A, A, DA, DA>>,
    a: fc.Arbitrary<A>,
    da: fc.Arbitrary<DA>,
    E: OpticEq<[A, A], [DA, DA]>,
  ) =>
    fc.property(o, o, fc.tuple(a, a), fc.tuple(da, da), (f, g, ac, dd) =>
      opticLaws.symmetryNatural(f, g, E)(ac, dd),
    ),
  copyCounit: <A, DA>(M: Concat<DA> & Empty<DA>, a: fc.Arbitrary<A>, da: fc.Arbitrary<DA>, eqA: Eq<A>, eqDA: Eq<DA>) =>
    fc.property(a, da, (a, da) => opticLaws.copyCounit(M, eqA, eqDA)(a, da)),
  copyCommutative: <A, DA>(S: Concat<DA>, a: fc.Arbitrary<A>, da: fc.Arbitrary<DA>, E: OpticEq<[A, A], DA>) =>
    fc.property(a, fc.tuple(da, da), (a, dd) => opticLaws.copyCommutative(S, E)(a, dd)),
  recomputeAgrees: <A, B, DB, DA>(
    f: fc.Arbitrary<SomeOptic<A, B, DB, DA>>,
    a: fc.Arbitrary<A>,
    db: fc.Arbitrary<DB>,
    E: OpticEq<B, DA>,
  ) => fc.property(f, a, db, (f, a, db) => opticLaws.recomputeAgrees(f, E)(a, db)),
};

/**
 * fast-check wrappers around {@link lensLaws} (endo-lenses on one type).
 *
 * @example
 * ```ts
 * fc.assert(lensProperties.associativity(arbLens, fc.double(), fc.double(), E));
 * ```
 */
export const lensProperties = {
  identity: <A, DA>(l: fc.Arbitrary<Lens<A, A, DA, DA>>, a: fc.Arbitrary<A>, da: fc.Arbitrary<DA>, E: OpticEq<A, DA>) =>
    fc.property(l, a, da, (l, a, da) => lensLaws.leftIdentity(l, E)(a, da) && lensLaws.rightIdentity(l, E)(a, da)),
  associativity: <A, DA>(
    l: fc.Arbitrary<Lens<A, A, DA, DA>>,
    a: fc.Arbitrary<A>,
    da: fc.Arbitrary<DA>,
    E: OpticEq<A, DA>,
  ) => fc.property(l, l, l, a, da, (f, g, h, a, da) => lensLaws.associativity(f, g, h, E)(a, da)),
};

/**
 * fast-check wrappers around {@link twoCellLaws}. Cells are generated by the
 * caller (e.g. from generated optics via `fromLensForm` or `oplaxator`).
 *
 * @example
 * ```ts
 * fc.assert(twoCellProperties.valid(arbCell, fc.double(), fc.double(), E));
 * ```
 */
export const twoCellProperties = {
  valid: <M, M2, A, B, DB, DA>(
    cell: fc.Arbitrary<TwoCell<M, M2, A, B, DB, DA>>,
    a: fc.Arbitrary<A>,
    db: fc.Arbitrary<DB>,
    E: TwoCellEq<M2, B, DA>,
  ) => fc.property(cell, a, db, (cell, a, db) => twoCellLaws.valid(cell, E)(a, db)),
  /** Given a generator of composable pairs `[α, β]` (β.source = α.target). */
  verticalValid: <M1, M2, M3, A, B, DB, DA>(
    cells: fc.Arbitrary<readonly [TwoCell<M1, M2, A, B, DB, DA>, TwoCell<M2, M3, A, B, DB, DA>]>,
    a: fc.Arbitrary<A>,
    db: fc.Arbitrary<DB>,
    E: OpticEq<B, DA> & { readonly residual2: Eq<M2>; readonly residual3: Eq<M3> },
  ) => fc.property(cells, a, db, ([alpha, beta], a, db) => twoCellLaws.verticalValid(alpha, beta, E)(a, db)),
  horizontalValid: <M, M2, N, N2, A, B, C, DC, DB, DA>(
    alpha: fc.Arbitrary<TwoCell<M, M2, A, B, DB, DA>>,
    beta: fc.Arbitrary<TwoCell<N, N2, B, C, DC, DB>>,
    a: fc.Arbitrary<A>,
    dc: fc.Arbitrary<DC>,
    E: { readonly alpha: TwoCellEq<M2, B, DA>; readonly beta: TwoCellEq<N2, C, DB> },
  ) => fc.property(alpha, beta, a, dc, (alpha, beta, a, dc) => twoCellLaws.horizontalValid(alpha, beta, E)(a, dc)),
  interchange: <M1, M2, M3, N1, N2, N3, A, B, C, DC, DB, DA>(
    left: fc.Arbitrary<readonly [TwoCell<M1, M2, A, B, DB, DA>, TwoCell<M2, M3, A, B, DB, DA>]>,
    right: fc.Arbitrary<readonly [TwoCell<N1, N2, B, C, DC, DB>, TwoCell<N2, N3, B, C, DC, DB>]>,
    a: fc.Arbitrary<A>,
    dc: fc.Arbitrary<DC>,
    E: OpticEq<C, DA> & { readonly residual: Eq<[M3, N3]> },
  ) =>
    fc.property(left, right, a, dc, ([alpha, beta], [gamma, delta], a, dc) =>
      twoCellLaws.interchange(alpha, beta, gamma, delta, E)(a, dc),
    ),
};

/**
 * fast-check wrappers around {@link dataLensLaws}.
 *
 * @example
 * ```ts
 * fc.assert(dataLensProperties.putPut(prop<Person, 'age'>('age'), arbPerson, fc.integer(), eqPerson));
 * ```
 */
export const dataLensProperties = {
  getPut: <S, A>(l: DataLens<S, A>, s: fc.Arbitrary<S>, eqS: Eq<S>) =>
    fc.property(s, (s) => dataLensLaws.getPut(l, eqS)(s)),
  putGet: <S, A>(l: DataLens<S, A>, s: fc.Arbitrary<S>, a: fc.Arbitrary<A>, eqA: Eq<A>) =>
    fc.property(s, a, (s, a) => dataLensLaws.putGet(l, eqA)(s, a)),
  putPut: <S, A>(l: DataLens<S, A>, s: fc.Arbitrary<S>, a: fc.Arbitrary<A>, eqS: Eq<S>) =>
    fc.property(s, a, a, (s, a1, a2) => dataLensLaws.putPut(l, eqS)(s, a1, a2)),
  /** All three lens laws at once. */
  lawful: <S, A>(l: DataLens<S, A>, s: fc.Arbitrary<S>, a: fc.Arbitrary<A>, eqS: Eq<S>, eqA: Eq<A>) =>
    fc.property(s, a, a, (s, a1, a2) =>
      dataLensLaws.getPut(l, eqS)(s) && dataLensLaws.putGet(l, eqA)(s, a1) && dataLensLaws.putPut(l, eqS)(s, a1, a2),
    ),
};

/**
 * Profunctor and Strong laws for {@link LensStrong}, the lens as a profunctor in its outer pair.
 * Each law compares two lenses with {@link lensesAgree} at one point.
 *
 * @example
 * ```ts
 * strongLensLaws.profunctorIdentity(sq, E)(2, 1); // true
 * ```
 */
export const strongLensLaws = {
  /** `promap(l, id, id) = l`. */
  profunctorIdentity:
    <S, X, DX, T>(l: Lens<S, X, DX, T>, E: OpticEq<X, T>) =>
    (s: S, dx: DX): boolean =>
      lensesAgree(LensStrong.promap(l, (x: S) => x, (t: T) => t), l, E)(s, dx),
  /** `promap(promap(l, f1, g1), f2, g2) = promap(l, f1 ∘ f2, g2 ∘ g1)`. */
  profunctorComposition:
    <S, X, DX, T, S1, T1, S2, T2>(
      l: Lens<S, X, DX, T>,
      f1: (s: S1) => S,
      g1: (t: T) => T1,
      f2: (s: S2) => S1,
      g2: (t: T1) => T2,
      E: OpticEq<X, T2>,
    ) =>
    (s: S2, dx: DX): boolean =>
      lensesAgree(
        LensStrong.promap(LensStrong.promap(l, f1, g1), f2, g2),
        LensStrong.promap(l, (x: S2) => f1(f2(x)), (t: T) => g2(g1(t))),
        E,
      )(s, dx),
  /** `first = promap(second, swap, swap)`. */
  firstViaSecond:
    <S, X, DX, T, C>(l: Lens<S, X, DX, T>, E: OpticEq<X, [T, C]>) =>
    (sc: [S, C], dx: DX): boolean =>
      lensesAgree(
        LensStrong.first<X, DX, S, T, C>(l),
        LensStrong.promap(LensStrong.second<X, DX, C, S, T>(l), ([s, c]: [S, C]): [C, S] => [c, s], ([c, t]: [C, T]): [T, C] => [t, c]),
        E,
      )(sc, dx),
  /** `lmap fst l = rmap fst (first l)`. */
  fstNaturality:
    <S, X, DX, T, C>(l: Lens<S, X, DX, T>, E: OpticEq<X, T>) =>
    (sc: [S, C], dx: DX): boolean =>
      lensesAgree(
        LensStrong.promap(l, ([s]: [S, C]) => s, (t: T) => t),
        LensStrong.promap(LensStrong.first<X, DX, S, T, C>(l), (x: [S, C]) => x, ([t]: [T, C]) => t),
        E,
      )(sc, dx),
};

/**
 * Laws of the forward-only pass, shared-parameter composition and checkpoint schedules (the combinators
 * the lowering functor maps terms to).
 *
 * @example
 * ```ts
 * coreCombinatorLaws.viewAgrees(seqOptics(sin, sin), N.Eq)(0.3); // true
 * ```
 */
export const coreCombinatorLaws = {
  /** `view(o)(a) = o.fwd(a)[1]`: an optic's `get`, when it has one, is its forward pass without residual. */
  viewAgrees:
    <A, B, DB, DA>(o: SomeOptic<A, B, DB, DA>, E: Eq<B>) =>
    (a: A): boolean =>
      E.equals(view(o)(a), o.fwd(a)[1]),

  /**
   * `paraSeqs(M)(f, g)` is `paraSeq(f, g)` reparametrised by the copy `P → [P, P]` (whose backward pass
   * is `M.concat`): same outputs, same parameter and input cotangents.
   */
  sharedSeqIsCopyReparam:
    <P, A, B, C, DC, DB, DP, DA>(
      M: Monoid<DP>,
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      f: Para<any, P, A, B, DB, DP, DA>,
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      g: Para<any, P, B, C, DC, DP, DB>,
      E: OpticEq<C, [DP, DA]>,
    ) =>
    (pa: [P, A], dc: DC): boolean =>
      observationallyEqual(
        paraSeqs(M)<P>(f, g) as SomeOptic<[P, A], C, DC, [DP, DA]>,
        reparam(paraSeq(f, g), copyOptic<P, DP>(M)) as SomeOptic<[P, A], C, DC, [DP, DA]>,
        E,
      )(pa, dc),

  /**
   * Every checkpoint schedule of a chain computes what flat composition does: same outputs, same
   * backward result (plan invariance, at the level of the core).
   */
  scheduleInvariant:
    <A, Z, DZ, DA>(stages: ReadonlyArray<AnyOptic>, schedule: Schedule, E: OpticEq<Z, DA>) =>
    (a: A, dz: DZ): boolean =>
      observationallyEqual(checkpointed(stages, schedule) as SomeOptic<A, Z, DZ, DA>, seqOptics(...stages) as SomeOptic<A, Z, DZ, DA>, E)(a, dz),

  /**
   * A schedule's residual has one entry per top-level item, and a segment keeps exactly its input:
   * what the schedule stores is what it says. `run` replaces `checkpointed` (to check another
   * implementation of schedules).
   */
  scheduleKeepsSegmentInputs:
    <A>(stages: ReadonlyArray<AnyOptic>, schedule: Schedule, E: Eq<unknown>, run: typeof checkpointed = checkpointed) =>
    (a: A): boolean => {
      const [ms] = run(stages, schedule).fwd(a) as [unknown[], unknown];
      if (ms.length !== schedule.length) return false;
      let x: unknown = a;
      let ok = true;
      schedule.forEach((it, i) => {
        if (typeof it === 'number') {
          const [m, y] = stages[it]!.fwd(x);
          ok = ok && E.equals(ms[i], m);
          x = y;
        } else {
          ok = ok && E.equals(ms[i], x);
          for (const j of scheduleLeaves(it)) x = stages[j]!.fwd(x)[1];
        }
      });
      return ok;
    },
};
