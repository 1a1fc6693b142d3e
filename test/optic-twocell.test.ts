// 2-cells: validity (T1, T2) of the oplaxator and of lens-form ⇒ optic,
// closure under vertical/horizontal composition, interchange, and
// counterexamples showing the checks reject invalid cells.
import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { twoCellLaws, twoCellProperties } from '../laws/optic';
import type { Optic, TwoCell } from '../src/optic';
import {
  fromLensForm,
  horizontal,
  identityCell,
  lens,
  oplaxator,
  parallelCells,
  recompute,
  toLens,
  twoCell,
  vertical,
  whiskerLeft,
  whiskerRight,
} from '../src/optic';
import type { Scalar } from './optic-fixtures';
import { arbDX, arbScalar, arbScalarLens, arbX, CE, deepEq, E, eqExact, pairEq, sinO, squareO } from './optic-fixtures';

const params = { numRuns: 100 };

/**
 * A second kind of valid 2-cell out of any optic: store the residual twice.
 * `o ⇒ dup(o)` with `r = m ↦ [m, m]`; used as the β/δ of vertical composites.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const duplicate = (o: Scalar): TwoCell<any, [unknown, unknown], number, number, number, number> => {
  const target: Optic<[unknown, unknown], number, number, number, number> = {
    fwd: (a) => {
      const [m, b] = o.fwd(a);
      return [[m, m], b];
    },
    bwd: ([m], db) => o.bwd(m, db),
  };
  return twoCell(o, target, (m: unknown): [unknown, unknown] => [m, m]);
};

// Composable pair lens-form ⇒ o ⇒ dup(o).
const arbVerticalPair = arbScalar.map((o) => [fromLensForm(o), duplicate(o)] as const);

describe('2-cell validity', () => {
  test('a hand-written cell: sin storing x ⇒ sin storing cos x', () => {
    const cell = twoCell(recompute(sinO), sinO, Math.cos);
    expect(twoCellLaws.valid(cell, CE)(0.4, 1)).toBe(true);
  });
  test('lens form ⇒ optic (fromLensForm) satisfies T1 and T2', () => {
    fc.assert(twoCellProperties.valid(arbScalar.map(fromLensForm), arbX, arbDX, CE), params);
  });
  test('the oplaxator F(l ; l\') ⇒ F(l) ; F(l\') satisfies T1 and T2', () => {
    const arbCell = fc.tuple(arbScalarLens, arbScalarLens).map(([l, l2]) => oplaxator(l, l2));
    fc.assert(twoCellProperties.valid(arbCell, arbX, arbDX, CE), params);
  });
  test('the oplaxator stores [a, get_l(a)]', () => {
    const sin = lens(Math.sin, (x: number, dy: number) => Math.cos(x) * dy);
    const cell = oplaxator(sin, sin);
    expect(cell.r(1)).toEqual([1, Math.sin(1)]);
    expect(cell.target.fwd(1)[0]).toEqual([1, Math.sin(1)]);
    expect(cell.source.fwd(1)[0]).toBe(1);
  });
  test('the lens form is initial: T1 forces r = a ↦ fwd(a)[0]', () => {
    // Any other r out of the lens form breaks T1.
    const wrong = twoCell(recompute(sinO), sinO, (x: number) => Math.cos(x) + 1e-9);
    expect(twoCellLaws.t1(wrong, eqExact, eqExact)(0.4)).toBe(false);
  });
});

describe('the 2-cell checks reject invalid cells', () => {
  test('T1 fails for a wrong residual map', () => {
    const bad = twoCell(recompute(sinO), sinO, Math.sin);
    expect(twoCellLaws.t1(bad, eqExact, eqExact)(0.4)).toBe(false);
    expect(twoCellLaws.valid(bad, CE)(0.4, 1)).toBe(false);
  });
  test('T2 fails when the target computes a different gradient', () => {
    const wrongBwd: Optic<number, number, number, number, number> = { fwd: sinO.fwd, bwd: (c, dy) => -c * dy };
    const bad = twoCell(recompute(sinO), wrongBwd, Math.cos);
    expect(twoCellLaws.t1(bad, eqExact, eqExact)(0.4)).toBe(true);
    expect(twoCellLaws.t2(bad, eqExact)(0.4, 1)).toBe(false);
  });
});

describe('composition of 2-cells', () => {
  test('vertical composites of valid cells are valid', () => {
    fc.assert(
      twoCellProperties.verticalValid(arbVerticalPair, arbX, arbDX, {
        ...E,
        residual2: deepEq,
        residual3: deepEq,
      }),
      params,
    );
  });
  test('vertical composition is r2 ∘ r1', () => {
    const [alpha, beta] = [fromLensForm(sinO), duplicate(sinO)];
    expect(vertical(alpha, beta).r(0)).toEqual([1, 1]);
    expect(vertical(identityCell(sinO), identityCell(sinO)).r(5)).toBe(5);
  });
  test('horizontal composites of valid cells are valid', () => {
    fc.assert(
      twoCellProperties.horizontalValid(
        arbScalar.map(fromLensForm),
        fc.tuple(arbScalarLens, arbScalarLens).map(([l, l2]) => oplaxator(l, l2)),
        arbX,
        arbDX,
        { alpha: CE, beta: CE },
      ),
      params,
    );
  });
  test('interchange: (α ; β) ∗ (γ ; δ) = (α ∗ γ) ; (β ∗ δ)', () => {
    fc.assert(
      twoCellProperties.interchange(arbVerticalPair, arbVerticalPair, arbX, arbDX, {
        ...E,
        residual: pairEq(deepEq, deepEq),
      }),
      params,
    );
  });
  test.prop([arbScalar, arbScalar, arbX, arbDX], params)('whiskering and parallel cells are valid', (f, g, x, dx) => {
    expect(twoCellLaws.valid(whiskerLeft(f, fromLensForm(g)), CE)(x, dx)).toBe(true);
    expect(twoCellLaws.valid(whiskerRight(fromLensForm(f), g), CE)(x, dx)).toBe(true);
    const par = parallelCells(fromLensForm(f), fromLensForm(g));
    expect(
      twoCellLaws.valid(par, { residual: deepEq, output: pairEq(eqExact, eqExact), cotangent: pairEq(eqExact, eqExact) })(
        [x, -x],
        [dx, 1],
      ),
    ).toBe(true);
  });
  test('checkpointing a chain: all-recompute ⇒ store-every-boundary, as a horizontal composite', () => {
    const cell = horizontal(horizontal(fromLensForm(sinO), fromLensForm(squareO)), fromLensForm(sinO));
    expect(twoCellLaws.valid(cell, CE)(0.7, 1)).toBe(true);
    // Source stores only inputs of each stage; target stores what each stage needs.
    const [m] = cell.source.fwd(0.7);
    expect(cell.r(m)).toEqual([[Math.cos(0.7), Math.sin(0.7)], Math.cos(Math.sin(0.7) ** 2)]);
  });
  test('oplaxator composed with lens-form cells: F(l ; l\') ⇒ F(l) ; F(l\') ⇒ stored optics', () => {
    const l = toLens(sinO);
    const l2 = toLens(squareO);
    const step2 = horizontal(fromLensForm(sinO), fromLensForm(squareO));
    // Targets of the oplaxator are fromLens(l) ; fromLens(l2) = recompute(sin) ; recompute(square) in value.
    const cell = vertical(oplaxator(l, l2), { ...step2, source: oplaxator(l, l2).target });
    expect(twoCellLaws.valid(cell, CE)(0.3, 1)).toBe(true);
  });
});
