// Sensitivity of the optic-core laws (laws/optic.ts): every law holds on hand-made lawful inputs, makes
// exactly the comparisons its statement lists, and answers false as soon as any ONE of them fails — so no
// comparison is skipped, and none is joined with "or". The comparisons are the law's `Eq`s; `judge(k)` wraps them so that the k-th
// comparison the law makes (in the order it makes them) answers false and every other one is exact.
// The implications (closure of valid 2-cells) are checked the other way round too: a failed premise
// makes them hold, a failed conclusion makes them fail; and with real invalid cells, not only judges.
import fc from 'fast-check';
import type { Eq } from 'fp-ts/lib/Eq.js';
import { MonoidSum } from 'fp-ts/lib/number.js';
import { describe, expect, it } from 'vitest';
import {
  coreCombinatorLaws, dataLensLaws, dataLensProperties, lensesAgree, lensLaws, lensProperties, observationallyEqual, opticLaws,
  opticProperties, strongLensLaws, twoCellLaws, twoCellProperties, type OpticEq, type TwoCellEq,
} from '../laws/optic';
import type { DataLens, Lens, Optic, Para, TwoCell } from '../src/optic';
import {
  checkpointed, composeLens, fromLensForm, identityCell, identityDataLens, identityLens, lens, optic, prop, recompute, seqOptics, twoCell, vertical,
} from '../src/optic';
import { deepEq, eqExact, pairEq, sinO, squareO, tanhO } from './optic-fixtures';

type Wrap = <T>(eq: Eq<T>) => Eq<T>;

/** Wraps every `Eq` of one law call so that its k-th comparison overall answers false (k = 0: none does); counts them. */
const judge = (k: number) => {
  let n = 0;
  const wrap: Wrap = <T>(eq: Eq<T>): Eq<T> => ({ equals: (x: T, y: T) => ++n !== k && eq.equals(x, y) });
  return { wrap, calls: () => n };
};

const E = (w: Wrap): OpticEq<number, number> => ({ output: w(eqExact), cotangent: w(eqExact) });
const E2 = (w: Wrap): OpticEq<[number, number], [number, number]> => ({
  output: w(pairEq(eqExact, eqExact)),
  cotangent: w(pairEq(eqExact, eqExact)),
});
const CE = (w: Wrap): TwoCellEq<unknown, number, number> => ({ residual: w(deepEq), output: w(eqExact), cotangent: w(eqExact) });
const sinL: Lens<number, number, number, number> = lens(Math.sin, (x: number, dy: number) => Math.cos(x) * dy);
const sqL: Lens<number, number, number, number> = lens((x: number) => x * x, (x: number, dy: number) => 2 * x * dy);
type Rec = { a: number; b: { c: number } };
const rec: Rec = { a: 1, b: { c: 2 } };
const recB: DataLens<Rec, { c: number }> = prop<Rec, 'b'>('b');
const objC: DataLens<{ c: number }, number> = prop<{ c: number }, 'c'>('c');
const eqAny = deepEq as { equals: <T>(x: T, y: T) => boolean };
// Parametrised scalars w·x and tanh(w·x), sharing the parameter w.
type P1 = Para<[number, number], number, number, number, number, number, number>;
const scale: P1 = optic(([w, x]) => [[w, x], w * x], ([w, x], dy) => [x * dy, w * dy]);
const scaleTanh: P1 = optic(
  ([w, x]) => [[w, x], Math.tanh(w * x)],
  ([w, x], dy) => [(1 - Math.tanh(w * x) ** 2) * x * dy, (1 - Math.tanh(w * x) ** 2) * w * dy],
);
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Cell = TwoCell<any, any, number, number, number, number>;
const stages = [sinO, squareO, tanhO];
const one = { numRuns: 1, seed: 1 };
/** A fast-check property of constants, run once: does it hold? */
const holds = (p: fc.IProperty<unknown[]>) => !fc.check(p, one).failed;
const c = fc.constant;

/** Each law (or property) as a function of how its comparisons are judged; all hold with exact judges. */
const laws: Record<string, (w: Wrap) => boolean> = {
  observationallyEqual: (w) => observationallyEqual(recompute(sinO), sinO, E(w))(0.3, 0.7),
  lensesAgree: (w) => lensesAgree(composeLens(identityLens<number, number>(), sinL), sinL, E(w))(0.3, 0.7),
  'opticLaws.leftIdentity': (w) => opticLaws.leftIdentity(sinO, E(w))(0.3, 0.7),
  'opticLaws.rightIdentity': (w) => opticLaws.rightIdentity(sinO, E(w))(0.3, 0.7),
  'opticLaws.associativity': (w) => opticLaws.associativity(sinO, squareO, tanhO, E(w))(0.3, 0.7),
  'opticLaws.flatAssociativity': (w) => opticLaws.flatAssociativity(sinO, squareO, tanhO, E(w), w(deepEq))(0.3, 0.7),
  'opticLaws.flatIdentity': (w) => opticLaws.flatIdentity(seqOptics(sinO, squareO), E(w), w(deepEq))(0.3, 0.7),
  'opticLaws.interchange': (w) => opticLaws.interchange(sinO, squareO, tanhO, sinO, E2(w))([0.3, -0.4], [0.7, 1.1]),
  'opticLaws.symmetryInvolutive': (w) => opticLaws.symmetryInvolutive(E2(w))([0.3, -0.4], [0.7, 1.1]),
  'opticLaws.symmetryNatural': (w) => opticLaws.symmetryNatural(sinO, squareO, E2(w))([0.3, -0.4], [0.7, 1.1]),
  'opticLaws.copyCounit': (w) => opticLaws.copyCounit(MonoidSum, w(eqExact), w(eqExact))(0.3, 0.7),
  'opticLaws.copyCommutative': (w) =>
    opticLaws.copyCommutative(MonoidSum, { output: w(pairEq(eqExact, eqExact)), cotangent: w(eqExact) })(0.3, [0.7, 1.1]),
  'opticLaws.recomputeAgrees': (w) => opticLaws.recomputeAgrees(squareO, E(w))(0.3, 0.7),
  'lensLaws.leftIdentity': (w) => lensLaws.leftIdentity(sinL, E(w))(0.3, 0.7),
  'lensLaws.rightIdentity': (w) => lensLaws.rightIdentity(sinL, E(w))(0.3, 0.7),
  'lensLaws.associativity': (w) => lensLaws.associativity(sinL, sqL, sinL, E(w))(0.3, 0.7),
  'twoCellLaws.t1': (w) => twoCellLaws.t1(fromLensForm(sinO), w(deepEq), w(eqExact))(0.3),
  'twoCellLaws.t2': (w) => twoCellLaws.t2(fromLensForm(sinO), w(eqExact))(0.3, 0.7),
  'twoCellLaws.valid': (w) => twoCellLaws.valid(twoCell(recompute(sinO), sinO, Math.cos), CE(w))(0.3, 0.7),
  'twoCellLaws.interchange': (w) =>
    twoCellLaws.interchange(fromLensForm(sinO), identityCell(sinO), fromLensForm(squareO), identityCell(squareO), {
      ...E(w),
      residual: w(pairEq(deepEq, deepEq)),
    })(0.3, 0.7),
  'dataLensLaws.getPut': (w) => dataLensLaws.getPut(recB, w(eqAny))(rec),
  'dataLensLaws.putGet': (w) => dataLensLaws.putGet(recB, w(eqAny))(rec, { c: 5 }),
  'dataLensLaws.putPut': (w) => dataLensLaws.putPut(recB, w(eqAny))(rec, { c: 5 }, { c: 6 }),
  'dataLensLaws.associativity': (w) =>
    dataLensLaws.associativity(recB, objC, identityDataLens<number>(), w(eqAny), w(eqAny))(rec, 3),
  'dataLensLaws.identity': (w) => dataLensLaws.identity(recB, w(eqAny), w(eqAny))(rec, { c: 5 }),
  'strongLensLaws.profunctorIdentity': (w) => strongLensLaws.profunctorIdentity(sinL, E(w))(0.3, 0.7),
  'strongLensLaws.profunctorComposition': (w) =>
    strongLensLaws.profunctorComposition(sinL, (x: number) => 2 * x, (t: number) => t - 1, (x: number) => x + 1, (t: number) => 3 * t, E(w))(0.3, 0.7),
  'strongLensLaws.firstViaSecond': (w) =>
    strongLensLaws.firstViaSecond<number, number, number, number, string>(sinL, { output: w(eqExact), cotangent: w(pairEq(eqExact, eqAny)) })(
      [0.3, 'c'],
      0.7,
    ),
  'strongLensLaws.fstNaturality': (w) => strongLensLaws.fstNaturality<number, number, number, number, string>(sinL, E(w))([0.3, 'c'], 0.7),
  'coreCombinatorLaws.viewAgrees': (w) => coreCombinatorLaws.viewAgrees(seqOptics(sinO, squareO), w(eqExact))(0.3),
  'coreCombinatorLaws.sharedSeqIsCopyReparam': (w) =>
    coreCombinatorLaws.sharedSeqIsCopyReparam(MonoidSum, scale, scaleTanh, { output: w(eqExact), cotangent: w(pairEq(eqExact, eqExact)) })(
      [0.8, 0.3],
      0.7,
    ),
  'coreCombinatorLaws.scheduleInvariant': (w) => coreCombinatorLaws.scheduleInvariant(stages, [0, [1, 2]], E(w))(0.3, 0.7),
  'coreCombinatorLaws.scheduleKeepsSegmentInputs': (w) => coreCombinatorLaws.scheduleKeepsSegmentInputs(stages, [0, [1, 2]], w(deepEq))(0.3),
  // The fast-check forms: a property of constants, run once.
  'opticProperties.leftIdentity': (w) => holds(opticProperties.leftIdentity(c(sinO), c(0.3), c(0.7), E(w))),
  'opticProperties.rightIdentity': (w) => holds(opticProperties.rightIdentity(c(sinO), c(0.3), c(0.7), E(w))),
  'opticProperties.associativity': (w) => holds(opticProperties.associativity(c(sinO), c(0.3), c(0.7), E(w))),
  'opticProperties.flatAssociativity': (w) => holds(opticProperties.flatAssociativity(c(sinO), c(0.3), c(0.7), E(w), w(deepEq))),
  'opticProperties.flatIdentity': (w) => holds(opticProperties.flatIdentity(c(sinO), c(0.3), c(0.7), E(w), w(deepEq))),
  'opticProperties.interchange': (w) => holds(opticProperties.interchange(c(sinO), c(0.3), c(0.7), E2(w))),
  'opticProperties.symmetryInvolutive': (w) =>
    holds(opticProperties.symmetryInvolutive(c<[number, number]>([0.3, -0.4]), c<[number, number]>([0.7, 1.1]), E2(w))),
  'opticProperties.symmetryNatural': (w) => holds(opticProperties.symmetryNatural(c(sinO), c(0.3), c(0.7), E2(w))),
  'opticProperties.copyCounit': (w) => holds(opticProperties.copyCounit(MonoidSum, c(0.3), c(0.7), w(eqExact), w(eqExact))),
  'opticProperties.copyCommutative': (w) =>
    holds(opticProperties.copyCommutative(MonoidSum, c(0.3), c(0.7), { output: w(pairEq(eqExact, eqExact)), cotangent: w(eqExact) })),
  'opticProperties.recomputeAgrees': (w) => holds(opticProperties.recomputeAgrees(c(squareO), c(0.3), c(0.7), E(w))),
  'lensProperties.identity': (w) => holds(lensProperties.identity(c(sinL), c(0.3), c(0.7), E(w))),
  'lensProperties.associativity': (w) => holds(lensProperties.associativity(c(sinL), c(0.3), c(0.7), E(w))),
  'twoCellProperties.valid': (w) => holds(twoCellProperties.valid(c(fromLensForm(sinO)), c(0.3), c(0.7), CE(w))),
  'twoCellProperties.interchange': (w) => {
    const pair = (o: Optic<number, number, number, number, number>) => c([fromLensForm(o), identityCell(o)] as const);
    return holds(twoCellProperties.interchange(pair(sinO), pair(squareO), c(0.3), c(0.7), { ...E(w), residual: w(pairEq(deepEq, deepEq)) }));
  },
  'dataLensProperties.getPut': (w) => holds(dataLensProperties.getPut(recB, c(rec), w(eqAny))),
  'dataLensProperties.putGet': (w) => holds(dataLensProperties.putGet(recB, c(rec), c({ c: 5 }), w(eqAny))),
  'dataLensProperties.putPut': (w) => holds(dataLensProperties.putPut(recB, c(rec), c({ c: 5 }), w(eqAny))),
  'dataLensProperties.lawful': (w) => holds(dataLensProperties.lawful(recB, c(rec), c({ c: 5 }), w(eqAny), w(eqAny))),
};

/** How many comparisons each law above states (so makes, when they all hold): counted from its statement. */
const comparisons: Record<string, number> = {
  observationallyEqual: 2,
  lensesAgree: 2,
  'opticLaws.leftIdentity': 2,
  'opticLaws.rightIdentity': 2,
  'opticLaws.associativity': 2,
  'opticLaws.flatAssociativity': 3,
  'opticLaws.flatIdentity': 6,
  'opticLaws.interchange': 2,
  'opticLaws.symmetryInvolutive': 2,
  'opticLaws.symmetryNatural': 2,
  'opticLaws.copyCounit': 2,
  'opticLaws.copyCommutative': 2,
  'opticLaws.recomputeAgrees': 2,
  'lensLaws.leftIdentity': 2,
  'lensLaws.rightIdentity': 2,
  'lensLaws.associativity': 2,
  'twoCellLaws.t1': 2,
  'twoCellLaws.t2': 1,
  'twoCellLaws.valid': 3,
  'twoCellLaws.interchange': 5,
  'dataLensLaws.getPut': 1,
  'dataLensLaws.putGet': 1,
  'dataLensLaws.putPut': 1,
  'dataLensLaws.associativity': 2,
  'dataLensLaws.identity': 4,
  'strongLensLaws.profunctorIdentity': 2,
  'strongLensLaws.profunctorComposition': 2,
  'strongLensLaws.firstViaSecond': 2,
  'strongLensLaws.fstNaturality': 2,
  'coreCombinatorLaws.viewAgrees': 1,
  'coreCombinatorLaws.sharedSeqIsCopyReparam': 2,
  'coreCombinatorLaws.scheduleInvariant': 2,
  'coreCombinatorLaws.scheduleKeepsSegmentInputs': 2,
  'opticProperties.leftIdentity': 2,
  'opticProperties.rightIdentity': 2,
  'opticProperties.associativity': 2,
  'opticProperties.flatAssociativity': 3,
  'opticProperties.flatIdentity': 6,
  'opticProperties.interchange': 2,
  'opticProperties.symmetryInvolutive': 2,
  'opticProperties.symmetryNatural': 2,
  'opticProperties.copyCounit': 2,
  'opticProperties.copyCommutative': 2,
  'opticProperties.recomputeAgrees': 2,
  'lensProperties.identity': 4,
  'lensProperties.associativity': 2,
  'twoCellProperties.valid': 3,
  'twoCellProperties.interchange': 5,
  'dataLensProperties.getPut': 1,
  'dataLensProperties.putGet': 1,
  'dataLensProperties.putPut': 1,
  'dataLensProperties.lawful': 3,
};

describe('optic-core laws make every comparison they state', () => {
  for (const [name, law] of Object.entries(laws))
    it(`${name}: holds, and fails when any one comparison fails`, () => {
      const exact = judge(0);
      expect(law(exact.wrap)).toBe(true);
      const n = exact.calls();
      // Each comparison the law states, made once: a law that skips one makes fewer.
      expect(n).toBe(comparisons[name]);
      for (let k = 1; k <= n; k++) expect(law(judge(k).wrap), `comparison ${k} of ${n} failed`).toBe(false);
    });
});

/** sin storing cos x, but a different forward output: T1 fails on the output alone, T2 holds. */
const sinOffByOne: Optic<number, number, number, number, number> = optic(
  (x: number) => [Math.cos(x), Math.sin(x) + 1],
  (c: number, dy: number) => c * dy,
);
/** sin stored as its lens form ⇒ sin storing cos x, with r = sin: T1 fails (the residual), and with it T2. */
const wrongR = twoCell(recompute(sinO), sinO, Math.sin);

describe('scheduleKeepsSegmentInputs against another implementation of schedules', () => {
  it('one residual entry more than the schedule has items is refused, even when the others are right', () => {
    const extra: typeof checkpointed = (st, sch) => {
      const o = checkpointed(st, sch);
      return { ...o, fwd: (a: unknown) => { const [m, y] = o.fwd(a) as [unknown[], unknown]; return [[...m, 0], y]; } } as typeof o;
    };
    expect(coreCombinatorLaws.scheduleKeepsSegmentInputs(stages, [0, [1, 2]], deepEq, checkpointed)(0.3)).toBe(true);
    expect(coreCombinatorLaws.scheduleKeepsSegmentInputs(stages, [0, [1, 2]], deepEq, extra)(0.3)).toBe(false);
  });
});

describe('2-cell laws on invalid cells', () => {
  it('valid needs T1 and T2: a cell whose target is off in its output only (T2 holds) is not valid', () => {
    const cell = twoCell(recompute(sinO), sinOffByOne, Math.cos);
    expect(twoCellLaws.t2(cell, eqExact)(0.3, 0.7)).toBe(true);
    expect(twoCellLaws.t1(cell, deepEq, eqExact)(0.3)).toBe(false);
    expect(twoCellLaws.valid(cell, CE((e) => e))(0.3, 0.7)).toBe(false);
  });

  const VE = { output: eqExact, cotangent: eqExact, residual2: deepEq, residual3: deepEq };
  it('verticalValid: valid composable cells give true; valid cells that do not compose (β.source ≠ α.target) give false', () => {
    expect(twoCellLaws.verticalValid(fromLensForm(sinO), identityCell(sinO), VE)(0.3, 0.7)).toBe(true);
    // α : recompute(sin) ⇒ sin and β : recompute(square) ⇒ square are each valid, but β starts where α does not end.
    const alpha = fromLensForm(sinO) as Cell;
    const beta = fromLensForm(squareO) as Cell;
    expect(twoCellLaws.valid(alpha, CE((e) => e))(0.3, 0.7)).toBe(true);
    expect(twoCellLaws.valid(beta, CE((e) => e))(0.3, 0.7)).toBe(true);
    expect(twoCellLaws.valid(vertical(alpha, beta), CE((e) => e))(0.3, 0.7)).toBe(false);
    expect(twoCellLaws.verticalValid(alpha, beta, VE)(0.3, 0.7)).toBe(false);
    expect(
      fc.check(twoCellProperties.verticalValid(c([alpha, beta] as const), c(0.3), c(0.7), VE), one).failed,
    ).toBe(true);
    expect(fc.check(twoCellProperties.verticalValid(c([alpha, identityCell(sinO) as Cell] as const), c(0.3), c(0.7), VE), one).failed).toBe(false);
  });
  it('verticalValid is vacuous when either premise fails: an invalid α, or an invalid β, gives true', () => {
    const badAlpha = vertical(wrongR, identityCell(sinO));
    expect(twoCellLaws.valid(badAlpha, CE((e) => e))(0.3, 0.7)).toBe(false);
    expect(twoCellLaws.verticalValid(wrongR, identityCell(sinO), VE)(0.3, 0.7)).toBe(true);
    const badBeta = twoCell(sinO, sinO, Math.sin);
    expect(twoCellLaws.valid(vertical(fromLensForm(sinO), badBeta), CE((e) => e))(0.3, 0.7)).toBe(false);
    expect(twoCellLaws.verticalValid(fromLensForm(sinO), badBeta, VE)(0.3, 0.7)).toBe(true);
  });
  it('horizontalValid: a failed premise comparison gives true, a failed conclusion comparison false', () => {
    const law = (w: Wrap) =>
      twoCellLaws.horizontalValid(fromLensForm(sinO), fromLensForm(squareO), { alpha: CE(w), beta: CE(w) })(0.3, 0.7);
    const exact = judge(0);
    expect(law(exact.wrap)).toBe(true);
    // The premises make six comparisons (T1: residual, output; T2: cotangent; for α then β), the conclusion the rest.
    expect(exact.calls()).toBe(10);
    for (let k = 1; k <= 10; k++) expect(law(judge(k).wrap), `comparison ${k}`).toBe(k <= 6);
    const prop = (w: Wrap) =>
      holds(twoCellProperties.horizontalValid(c(fromLensForm(sinO)), c(fromLensForm(squareO)), c(0.3), c(0.7), { alpha: CE(w), beta: CE(w) }));
    expect(prop((e) => e)).toBe(true);
    expect(prop(judge(7).wrap)).toBe(false);
  });
  it('horizontalValid is vacuous for an invalid α (its composite is invalid too)', () => {
    const CEx = CE((e) => e);
    expect(twoCellLaws.horizontalValid(wrongR, fromLensForm(squareO), { alpha: CEx, beta: CEx })(0.3, 0.7)).toBe(true);
    expect(twoCellLaws.horizontalValid(fromLensForm(sinO), twoCell(recompute(squareO), squareO, (x: number) => x + 1), { alpha: CEx, beta: CEx })(0.3, 0.7)).toBe(true);
  });
});
