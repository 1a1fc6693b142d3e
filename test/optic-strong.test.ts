import { describe, expect } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import { strongLensLaws, type OpticEq } from '../laws/optic';
import { LensStrong, lens, type Lens } from '../src/optic';
import { deepEq, eqExact } from './optic-fixtures';

// A backprop lens x ↦ sin(x)·k with its derivative; k varies so the laws see different lenses.
const scaledSin = (k: number): Lens<number, number, number, number> => lens((x) => k * Math.sin(x), (x, dy) => k * Math.cos(x) * dy);
const E: OpticEq<number, number> = { output: eqExact, cotangent: eqExact };
const EPair: OpticEq<number, [number, string]> = { output: eqExact, cotangent: deepEq };
const x = fc.double({ min: -10, max: 10, noNaN: true });
const k = fc.double({ min: -3, max: 3, noNaN: true });

describe('LensStrong: the lens as a profunctor in its outer pair', () => {
  test.prop([k, x, x])('promap by identities is the identity', (kk, s, dx) => {
    expect(strongLensLaws.profunctorIdentity(scaledSin(kk), E)(s, dx)).toBe(true);
  });
  test.prop([k, x, x, fc.double({ min: -2, max: 2, noNaN: true })])('promap composes', (kk, s, dx, a) => {
    const law = strongLensLaws.profunctorComposition(
      scaledSin(kk),
      (u: number) => u + a,
      (t: number) => 2 * t,
      (u: number) => u * 3,
      (t: number) => t - a,
      E,
    );
    expect(law(s, dx)).toBe(true);
  });
  test.prop([k, x, fc.string(), x])('first = promap(second, swap, swap)', (kk, s, c, dx) => {
    expect(strongLensLaws.firstViaSecond<number, number, number, number, string>(scaledSin(kk), EPair)([s, c], dx)).toBe(true);
  });
  test.prop([k, x, fc.string(), x])('lmap fst = rmap fst ∘ first', (kk, s, c, dx) => {
    expect(strongLensLaws.fstNaturality<number, number, number, number, string>(scaledSin(kk), E)([s, c], dx)).toBe(true);
  });
  test.prop([k, x, fc.string(), x])('first carries the context past the lens', (kk, s, c, dx) => {
    const l = LensStrong.first<number, number, number, number, string>(scaledSin(kk));
    expect(l.get([s, c])).toBe(scaledSin(kk).get(s));
    expect(l.put([s, c], dx)).toEqual([scaledSin(kk).put(s, dx), c]);
  });
});
