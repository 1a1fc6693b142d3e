// Optic core: category and monoidal laws on random scalar optics, flat-chain
// strictness, structural optics, lens form, and the fp-ts instances.
import { fc, test } from '@fast-check/vitest';
import { pipe } from 'fp-ts/lib/function.js';
import { MonoidSum } from 'fp-ts/lib/number.js';
import { describe, expect } from 'vitest';
import { observationallyEqual, opticLaws, opticProperties } from '../laws/optic';
import {
  andThen,
  copyOptic,
  discardOptic,
  first,
  fromLens,
  identityOptic,
  isChain,
  lens,
  mergeOptic,
  OpticCategory,
  parOptic,
  recompute,
  runOptic,
  second,
  seqOptic,
  seqOptics,
  swapOptic,
  toLens,
} from '../src/optic';
import { arbDX, arbScalar, arbX, deepEq, E, E2, eqExact, pairEq, sinO, squareO, tanhO } from './optic-fixtures';

const params = { numRuns: 100 };
const residualEq = { equals: (x: unknown[], y: unknown[]) => deepEq.equals(x, y) };

describe('sequential composition', () => {
  test('seqOptic follows the definition: residual [m, n], bwd = f.bwd(m, g.bwd(n, c\'))', () => {
    const [m, y] = seqOptic(sinO, squareO).fwd(0.5);
    expect(m).toEqual([Math.cos(0.5), Math.sin(0.5)]);
    expect(y).toBe(Math.sin(0.5) ** 2);
    expect(seqOptic(sinO, squareO).bwd(m, 1)).toBe(Math.cos(0.5) * (2 * Math.sin(0.5)));
  });

  test('andThen is data-last seqOptic', () => {
    expect(runOptic(pipe(sinO, andThen(tanhO)), 0.7, 1)).toEqual(runOptic(seqOptic(sinO, tanhO), 0.7, 1));
  });

  test('left identity', () => {
    fc.assert(opticProperties.leftIdentity(arbScalar, arbX, arbDX, E), params);
  });
  test('right identity', () => {
    fc.assert(opticProperties.rightIdentity(arbScalar, arbX, arbDX, E), params);
  });
  test('associativity (binary, up to the associator)', () => {
    fc.assert(opticProperties.associativity(arbScalar, arbX, arbDX, E), params);
  });
  test('associativity of flat chains is strict: equal residual arrays', () => {
    fc.assert(opticProperties.flatAssociativity(arbScalar, arbX, arbDX, E, residualEq), params);
  });
  test('the empty chain is a strict unit on chains', () => {
    fc.assert(opticProperties.flatIdentity(arbScalar, arbX, arbDX, E, residualEq), params);
  });

  test('flat chains splice nested chains: one residual entry per primitive stage', () => {
    const c = seqOptics(sinO, seqOptics(tanhO, seqOptics(squareO)), seqOptics());
    expect(isChain(c)).toBe(true);
    expect(c.stages).toEqual([sinO, tanhO, squareO]);
    const [m] = c.fwd(0.3);
    expect(m).toHaveLength(3);
  });

  test.prop([arbScalar, arbX], params)('backward is the derivative (central differences)', (f, x) => {
    const h = 1e-5;
    const [, dx] = runOptic(f, x, 1);
    const fd = (f.fwd(x + h)[1] - f.fwd(x - h)[1]) / (2 * h);
    expect(Math.abs(dx - fd)).toBeLessThanOrEqual(1e-4 * (1 + Math.abs(fd)));
  });
});

describe('parallel composition and symmetry', () => {
  test('parOptic pairs residuals and runs each side independently', () => {
    const [m, y] = parOptic(sinO, squareO).fwd([0.5, 3]);
    expect(m).toEqual([Math.cos(0.5), 3]);
    expect(y).toEqual([Math.sin(0.5), 9]);
    expect(parOptic(sinO, squareO).bwd(m, [2, 1])).toEqual([2 * Math.cos(0.5), 6]);
  });
  test('interchange (f ⊗ g) ; (h ⊗ k) = (f ; h) ⊗ (g ; k)', () => {
    fc.assert(opticProperties.interchange(arbScalar, arbX, arbDX, E2), params);
  });
  test('swap is involutive', () => {
    fc.assert(
      opticProperties.symmetryInvolutive(fc.tuple(arbX, fc.string()), fc.tuple(arbDX, fc.string()), {
        output: pairEq(eqExact, { equals: (a: string, b: string) => a === b }),
        cotangent: pairEq(eqExact, { equals: (a: string, b: string) => a === b }),
      }),
      params,
    );
  });
  test('swap is natural', () => {
    fc.assert(opticProperties.symmetryNatural(arbScalar, arbX, arbDX, E2), params);
  });
  test.prop([arbScalar, arbScalar, arbX, arbX, arbDX, arbDX], params)(
    'first distributes over composition (a Strong law, observationally)',
    (f, g, x, c, dx, dc) => {
      const F = first<number>();
      expect(observationallyEqual(F(seqOptic(f, g)), seqOptic(F(f), F(g)), E2)([x, c], [dx, dc])).toBe(true);
    },
  );
  test('first and second act on one component', () => {
    expect(runOptic(first<string>()(squareO), [3, 'x'], [1, 'dx'])).toEqual([
      [9, 'x'],
      [6, 'dx'],
    ]);
    expect(runOptic(second<string>()(squareO), ['x', 3], ['dx', 1])).toEqual([
      ['x', 9],
      ['dx', 6],
    ]);
  });
});

describe('copyOptic, discardOptic, mergeOptic', () => {
  test('copy adds the two cotangents with the supplied semigroup', () => {
    expect(runOptic(copyOptic<number, number>(MonoidSum), 3, [1, 2])).toEqual([[3, 3], 3]);
    // A non-numeric cotangent type works just as well.
    const concat = { concat: (x: string, y: string) => x + y };
    expect(runOptic(copyOptic<number, string>(concat), 1, ['a', 'b'])).toEqual([[1, 1], 'ab']);
  });
  test('discard sends back the supplied zero', () => {
    expect(runOptic(discardOptic<number, number>(MonoidSum), 3, undefined)).toEqual([undefined, 0]);
  });
  test('merge is the transpose of copy', () => {
    expect(runOptic(mergeOptic<number, number>(MonoidSum), [1, 2], 5)).toEqual([3, [5, 5]]);
  });
  test('copy ; (id ⊗ discard) = id (counit)', () => {
    fc.assert(opticProperties.copyCounit(MonoidSum, arbX, arbDX, eqExact, eqExact), params);
  });
  test('copy ; swap = copy (cocommutative)', () => {
    fc.assert(
      opticProperties.copyCommutative(MonoidSum, arbX, arbDX, { output: pairEq(eqExact, eqExact), cotangent: eqExact }),
      params,
    );
  });
  test('using a value twice sums its gradients: d/dx (sin x · ... ) via copy ; (sin ⊗ square) ; merge', () => {
    const f = seqOptics(copyOptic<number, number>(MonoidSum), parOptic(sinO, squareO), mergeOptic<number, number>(MonoidSum));
    const [y, dx] = runOptic(f, 0.5, 1);
    expect(y).toBe(Math.sin(0.5) + 0.25);
    expect(dx).toBe(Math.cos(0.5) + 1);
  });
});

describe('lens form', () => {
  test('fromLens stores the input and uses put', () => {
    const l = lens(Math.sin, (x: number, dy: number) => Math.cos(x) * dy);
    expect(fromLens(l).fwd(0.5)).toEqual([0.5, Math.sin(0.5)]);
    expect(fromLens(l).bwd(0.5, 2)).toBe(2 * Math.cos(0.5));
  });
  test('recompute(f) keeps only the input and agrees with f', () => {
    fc.assert(opticProperties.recomputeAgrees(arbScalar, arbX, arbDX, E), params);
    expect(recompute(sinO).fwd(0.5)[0]).toBe(0.5);
  });
  test('toLens re-runs fwd inside put', () => {
    let calls = 0;
    const counted = { fwd: (x: number): [number, number] => (calls++, sinO.fwd(x)), bwd: sinO.bwd };
    toLens(counted).put(0.5, 1);
    expect(calls).toBe(1);
  });
});

describe('fp-ts instances', () => {
  const C = OpticCategory;
  test.prop([arbScalar, arbScalar, arbScalar, arbX, arbDX], params)(
    'OpticCategory: associativity is strict, residuals included',
    (f, g, h, x, dx) => {
      const l = C.compose(h, C.compose(g, f));
      const r = C.compose(C.compose(h, g), f);
      expect(deepEq.equals(l.fwd(x)[0], r.fwd(x)[0])).toBe(true);
      expect(observationallyEqual(l, r, E)(x, dx)).toBe(true);
    },
  );
  test.prop([arbScalar, arbX, arbDX], params)('OpticCategory: identities (observationally)', (f, x, dx) => {
    expect(observationallyEqual(C.compose(C.id<number>(), f), f, E)(x, dx)).toBe(true);
    expect(observationallyEqual(C.compose(f, C.id<number>()), f, E)(x, dx)).toBe(true);
  });
  test('OpticCategory: identities are strict on chains', () => {
    const c = seqOptics(sinO, tanhO);
    expect(C.compose(C.id<number>(), c).fwd(0.2)).toEqual(c.fwd(0.2));
    expect(C.compose(c, C.id<number>()).fwd(0.2)).toEqual(c.fwd(0.2));
  });
  test('compose(bc, ab) runs ab first', () => {
    expect(runOptic(C.compose(squareO, sinO), 0.5, 1)[0]).toBe(Math.sin(0.5) ** 2);
  });
  test('opticLaws predicates are usable directly', () => {
    expect(opticLaws.leftIdentity(sinO, E)(0.1, 1)).toBe(true);
    expect(opticLaws.associativity(identityOptic<number, number>(), sinO, squareO, E)(0.1, 1)).toBe(true);
  });
});

describe('the laws have teeth', () => {
  // A broken "composition" that forgets g's backward pass must be caught.
  const badSeq = { fwd: seqOptic(sinO, squareO).fwd, bwd: ([m]: [number, number], dy: number) => sinO.bwd(m, dy) };
  test('observational equality separates a wrong backward pass', () => {
    expect(observationallyEqual(badSeq, seqOptic(sinO, squareO), E)(0.5, 1)).toBe(false);
  });
  test('a non-involutive swap is caught', () => {
    const badSwap = { fwd: swapOptic<number, number>().fwd, bwd: (_: undefined, [a]: [number, number]): [number, number] => [a, a] };
    const twice = seqOptic(badSwap, badSwap);
    expect(observationallyEqual(twice, identityOptic<[number, number], [number, number]>(), E2)([1, 2], [3, 4])).toBe(
      false,
    );
  });
});
