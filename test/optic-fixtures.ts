// Shared fixtures for the optic-core tests: scalar optics with known
// derivatives, random compositions of them, and structural equalities.
import fc from 'fast-check';
import type { Eq } from 'fp-ts/lib/Eq.js';
import type { OpticEq, TwoCellEq } from '../laws/optic';
import type { Lens, Optic, SomeOptic } from '../src/optic';
import { optic, recompute, seqOptic, seqOptics, toLens } from '../src/optic';

/** Exact equality on numbers, with NaN equal to itself (composition reorders nothing, so bits must match). */
export const eqExact: Eq<number> = { equals: (x, y) => Object.is(x, y) || x === y };

/** Structural equality over numbers, undefined, strings and (nested) arrays/records. */
export const deepEq: Eq<unknown> = {
  equals: (x, y) => {
    if (typeof x === 'number' && typeof y === 'number') return eqExact.equals(x, y);
    if (Array.isArray(x) && Array.isArray(y))
      return x.length === y.length && x.every((v, i) => deepEq.equals(v, y[i]));
    if (x !== null && y !== null && typeof x === 'object' && typeof y === 'object') {
      const kx = Object.keys(x);
      const ky = Object.keys(y);
      return (
        kx.length === ky.length &&
        kx.every((k) => deepEq.equals((x as Record<string, unknown>)[k], (y as Record<string, unknown>)[k]))
      );
    }
    return x === y;
  },
};

export const pairEq = <A, B>(ea: Eq<A>, eb: Eq<B>): Eq<[A, B]> => ({
  equals: ([a1, b1], [a2, b2]) => ea.equals(a1, a2) && eb.equals(b1, b2),
});

export const E: OpticEq<number, number> = { output: eqExact, cotangent: eqExact };
export const E2: OpticEq<[number, number], [number, number]> = {
  output: pairEq(eqExact, eqExact),
  cotangent: pairEq(eqExact, eqExact),
};
export const CE: TwoCellEq<unknown, number, number> = { residual: deepEq, output: eqExact, cotangent: eqExact };

export type Scalar = SomeOptic<number, number, number, number>;

/** Give an optic a readable name in fast-check counterexamples. */
const named = <T extends object>(o: T, name: string): T => Object.assign(o, { [fc.toStringMethod]: () => name });

// Primitives keep different kinds of residual on purpose: a number (cos x),
// the output (tanh), the input (square) and nothing (affine).
export const sinO: Optic<number, number, number, number, number> = named(
  optic(
    (x: number) => [Math.cos(x), Math.sin(x)],
    (c: number, dy: number) => c * dy,
  ),
  'sin',
);
export const tanhO: Optic<number, number, number, number, number> = named(
  optic(
    (x: number) => {
      const y = Math.tanh(x);
      return [y, y];
    },
    (y: number, dy: number) => (1 - y * y) * dy,
  ),
  'tanh',
);
export const squareO: Optic<number, number, number, number, number> = named(
  optic(
    (x: number) => [x, x * x],
    (x: number, dy: number) => 2 * x * dy,
  ),
  'square',
);
export const affineO = (c: number, d: number): Optic<undefined, number, number, number, number> =>
  named(
    optic(
      (x: number) => [undefined, c * x + d],
      (_: undefined, dy: number) => c * dy,
    ),
    `affine(${c}, ${d})`,
  );

/** Scalars kept small so nested squares stay finite and finite differences meaningful. */
export const arbX = fc.double({ min: -2, max: 2, noNaN: true });
export const arbDX = fc.double({ min: -2, max: 2, noNaN: true });

const arbLeaf: fc.Arbitrary<Scalar> = fc.oneof(
  fc.constantFrom<Scalar>(sinO, tanhO, squareO),
  fc
    .tuple(fc.double({ min: -1.5, max: 1.5, noNaN: true }), fc.double({ min: -1, max: 1, noNaN: true }))
    .map(([c, d]) => affineO(c, d)),
);

/**
 * Random scalar optics: primitives, binary and flat sequential composites,
 * and lens forms of those, nested a few levels.
 */
export const arbScalar: fc.Arbitrary<Scalar> = fc.letrec<{ node: Scalar }>((tie) => ({
  node: fc.oneof(
    { maxDepth: 3, depthIdentifier: 'scalar-optic' },
    arbLeaf,
    fc.tuple(tie('node'), tie('node')).map(([f, g]) => named(seqOptic(f, g), `seq(${String(f)}, ${String(g)})`)),
    fc.array(tie('node'), { maxLength: 3 }).map((os) => named(seqOptics(...os), `chain(${os.map(String).join(', ')})`)),
    tie('node').map((f) => named(recompute(f), `recompute(${String(f)})`)),
  ),
})).node;

/** Random scalar backprop lenses (the lens view of random optics). */
export const arbScalarLens: fc.Arbitrary<Lens<number, number, number, number>> = arbScalar.map((o) =>
  named(toLens(o), `toLens(${String(o)})`),
);
