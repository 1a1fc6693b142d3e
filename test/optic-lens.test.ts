// Backprop lenses: composition, and the recomputation counts that motivate
// optics. Counts are of real `get` calls made during one backward pass.
import { fc, test } from '@fast-check/vitest';
import { pipe } from 'fp-ts/lib/function.js';
import { describe, expect } from 'vitest';
import { lensProperties } from '../laws/optic';
import type { GetCounter, Lens } from '../src/optic';
import {
  andThenLens,
  composeLens,
  countGets,
  fromLens,
  identityLens,
  lens,
  LensCategory,
  leftNested,
  rightNested,
  seqLenses,
  seqOptic,
  seqOptics,
} from '../src/optic';
import type { Scalar } from './optic-fixtures';
import { arbDX, arbScalarLens, arbX, E } from './optic-fixtures';

const params = { numRuns: 100 };

// Stage i computes sin(x) + i/10: distinct stages, so a wrong wiring changes the result.
const stage = (i: number): Lens<number, number, number, number> =>
  lens(
    (x) => Math.sin(x) + i / 10,
    (x, dy) => Math.cos(x) * dy,
  );

const chainOf = (n: number, counter: GetCounter) => Array.from({ length: n }, (_, i) => countGets(stage(i), counter));

describe('lens composition', () => {
  test('composeLens recomputes f.get inside put', () => {
    const sq = lens(
      (x: number) => x * x,
      (x: number, dy: number) => 2 * x * dy,
    );
    const sin = lens(Math.sin, (x: number, dy: number) => Math.cos(x) * dy);
    const h = composeLens(sq, sin);
    expect(h.get(0.5)).toBe(Math.sin(0.25));
    expect(h.put(0.5, 1)).toBe(2 * 0.5 * Math.cos(0.25));
    expect(pipe(sq, andThenLens(sin)).put(0.5, 1)).toBe(h.put(0.5, 1));
  });
  test('identity laws', () => {
    fc.assert(lensProperties.identity(arbScalarLens, arbX, arbDX, E), params);
  });
  test('associativity', () => {
    fc.assert(lensProperties.associativity(arbScalarLens, arbX, arbDX, E), params);
  });
  test.prop([fc.array(arbScalarLens, { maxLength: 6 }), arbX, arbDX], params)(
    'seqLenses, leftNested and rightNested compute the same values',
    (ls, x, dx) => {
      const flat = seqLenses(...ls);
      for (const other of [leftNested(ls), rightNested(ls)]) {
        expect(other.get(x)).toBe(flat.get(x));
        expect(other.put(x, dx)).toBe(flat.put(x, dx));
      }
    },
  );
  test('LensCategory composes in fp-ts order', () => {
    const sq = lens(
      (x: number) => x * x,
      (x: number, dy: number) => 2 * x * dy,
    );
    const f = LensCategory.compose(sq, LensCategory.id<number>());
    expect(f.put(3, 1)).toBe(6);
    expect(identityLens<number, number>().put(1, 7)).toBe(7);
  });
});

describe('recomputation during one backward pass', () => {
  for (const n of [8, 32]) {
    test(`n = ${n}: left-nested n(n-1)/2, right-nested and flat n-1, optic 0`, () => {
      const counter: GetCounter = { gets: 0 };
      const ls = chainOf(n, counter);
      const x = 0.3;

      const backwardGets = (put: () => number): [number, number] => {
        counter.gets = 0;
        const g = put();
        return [counter.gets, g];
      };

      const left = leftNested(ls);
      const right = rightNested(ls);
      const flat = seqLenses(...ls);
      const [leftGets, gLeft] = backwardGets(() => left.put(x, 1));
      const [rightGets, gRight] = backwardGets(() => right.put(x, 1));
      const [flatGets, gFlat] = backwardGets(() => flat.put(x, 1));

      expect(leftGets).toBe((n * (n - 1)) / 2);
      expect(rightGets).toBe(n - 1);
      expect(flatGets).toBe(n - 1);

      // Optics: the forward pass calls each get once and stores; backward calls none.
      const flatOptic: Scalar = seqOptics(...ls.map(fromLens));
      const nestedOptic = ls.map((l): Scalar => fromLens(l)).reduce((acc, o) => seqOptic(acc, o));
      for (const o of [flatOptic, nestedOptic]) {
        counter.gets = 0;
        const [m] = o.fwd(x);
        expect(counter.gets).toBe(n);
        const [opticGets, gOptic] = backwardGets(() => o.bwd(m, 1));
        expect(opticGets).toBe(0);
        expect(gOptic).toBe(gFlat);
      }

      expect(gLeft).toBe(gFlat);
      expect(gRight).toBe(gFlat);
    });
  }
  test('literal counts: 28 and 496 (left), 7 and 31 (right)', () => {
    const counts = [8, 32].map((n) => {
      const c: GetCounter = { gets: 0 };
      const ls = chainOf(n, c);
      c.gets = 0;
      leftNested(ls).put(0.1, 1);
      const left = c.gets;
      c.gets = 0;
      rightNested(ls).put(0.1, 1);
      return [left, c.gets];
    });
    expect(counts).toEqual([
      [28, 7],
      [496, 31],
    ]);
  });
});
