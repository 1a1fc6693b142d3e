// Laws of the combinators the lowering functor targets: the forward-only view, shared-parameter
// composition (paraSeqs = paraSeq reparametrised by copy), checkpoint schedules (invariance, what a
// schedule keeps) and the 2-cells between checkpointed chains.
import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { MonoidSum } from 'fp-ts/lib/number.js';
import { coreCombinatorLaws, twoCellLaws } from '../laws/optic';
import type { Optic, Para, Schedule, TwoCell } from '../src/optic';
import { checkpointCells, checkpointed, fromLensForm, identityCell, optic, paraPars, paraSeqs, scheduleProblem, seqOptics, showSchedule } from '../src/optic';
import type { Scalar } from './optic-fixtures';
import { arbDX, arbScalar, arbX, CE, deepEq, E, eqExact, pairEq } from './optic-fixtures';

/** A random checkpoint schedule of `k` stages: consecutive runs, each a stage or a nested segment. */
const arbSchedule = (k: number): fc.Arbitrary<Schedule> =>
  fc.array(fc.integer({ min: 0, max: 1_000_000 }), { minLength: 3 * k, maxLength: 3 * k }).map((bits) => {
    let b = 0;
    const next = () => bits[b++ % bits.length]!;
    const build = (lo: number, hi: number, depth: number): Schedule => {
      const items: (number | Schedule)[] = [];
      let i = lo;
      while (i < hi) {
        const len = 1 + (next() % (hi - i));
        if (len === 1 && next() % 2 === 0) items.push(i);
        else items.push(depth < 3 ? build(i, i + len, depth + 1) : Array.from({ length: len }, (_, j) => i + j));
        i += len;
      }
      return items;
    };
    return build(0, k, 0);
  });

const arbChain = fc.array(arbScalar, { minLength: 1, maxLength: 6 });
const arbChainSchedule = arbChain.chain((stages) => fc.tuple(fc.constant(stages), arbSchedule(stages.length)));

describe('forward-only view', () => {
  test.prop([arbScalar, arbX])('view(o)(a) = o.fwd(a)[1]', (o, a) => {
    expect(coreCombinatorLaws.viewAgrees(o, eqExact)(a)).toBe(true);
  });
  test.prop([arbChainSchedule, arbX])('a checkpointed chain: view = fwd', ([stages, s], a) => {
    expect(coreCombinatorLaws.viewAgrees(checkpointed(stages, s), eqExact)(a)).toBe(true);
  });
});

describe('checkpoint schedules', () => {
  test.prop([arbChainSchedule])('generated schedules are valid', ([stages, s]) => {
    expect(scheduleProblem(s, stages.length)).toBeNull();
  });
  test.prop([arbChainSchedule, arbX, arbDX])('every schedule computes what flat composition does', ([stages, s], a, dz) => {
    expect(coreCombinatorLaws.scheduleInvariant(stages, s, E)(a, dz)).toBe(true);
  });
  test.prop([arbChainSchedule, arbX])('a schedule keeps one entry per item: taped residuals and segment inputs', ([stages, s], a) => {
    expect(coreCombinatorLaws.scheduleKeepsSegmentInputs(stages, s, deepEq)(a)).toBe(true);
  });
  test.prop([arbChainSchedule, arbX, arbDX, fc.array(fc.boolean(), { minLength: 6, maxLength: 6 })])(
    'checkpointCells of valid stage cells is a valid 2-cell',
    ([stages, s], a, dz, lensy) => {
      const cells = stages.map((o, i) => (lensy[i] ? fromLensForm(o) : identityCell(o))) as TwoCell<unknown, unknown, number, number, number, number>[];
      expect(twoCellLaws.valid(checkpointCells(cells, s), CE)(a, dz)).toBe(true);
    },
  );
  test('scheduleProblem names what is wrong', () => {
    expect(scheduleProblem([[0, 1], 3], 3)).toMatch(/leaves must be 0\.\.2 in order, got \[0,1,3\]/);
    expect(scheduleProblem([[]], 1)).toMatch(/segment is empty/);
    expect(scheduleProblem([0.5], 1)).toMatch(/integers/);
    expect(scheduleProblem('x', 1)).toMatch(/nested list/);
    expect(showSchedule([0, [1, [2]], 3])).toBe('[0 [1 [2]] 3]');
  });
});

// y = w·x and y = sin(w + x): parametrised scalars with a shared parameter w.
type P1 = Para<[number, number], number, number, number, number, number, number>;
const scale: P1 = optic(([w, x]) => [[w, x], w * x], ([w, x], dy) => [x * dy, w * dy]);
const shift: P1 = optic(([w, x]) => [[w, x], Math.sin(w + x)], ([w, x], dy) => [Math.cos(w + x) * dy, Math.cos(w + x) * dy]);
const arbPara = fc.constantFrom(scale, shift);
const Ep = { output: eqExact, cotangent: pairEq(eqExact, eqExact) };

describe('shared-parameter composition', () => {
  test.prop([arbPara, arbPara, arbX, arbX, arbDX])('paraSeqs(M)(f, g) = reparam(paraSeq(f, g), copy)', (f, g, w, x, dy) => {
    expect(coreCombinatorLaws.sharedSeqIsCopyReparam(MonoidSum, f, g, Ep)([w, x], dy)).toBe(true);
  });
  test.prop([fc.array(arbPara, { minLength: 1, maxLength: 5 }), arbX, arbX, arbDX])('paraSeqs is associative: nesting gives the same optic', (fs, w, x, dy) => {
    const flat = paraSeqs(MonoidSum)<number>(...fs);
    const nested = paraSeqs(MonoidSum)<number>(paraSeqs(MonoidSum)<number>(...fs.slice(0, 1)), paraSeqs(MonoidSum)<number>(...fs.slice(1)));
    const [m1, y1] = flat.fwd([w, x]);
    const [m2, y2] = nested.fwd([w, x]);
    expect(y1).toBe(y2);
    expect(flat.bwd(m1, dy)).toEqual(nested.bwd(m2, dy));
  });
  test.prop([arbX, arbX, arbX, arbDX, arbDX])('paraPars: parts on consecutive wires, parameter cotangents summed', (w, a, b, da, db) => {
    const list = (p: P1): Para<unknown, number, readonly number[], number[], readonly number[], number, number[]> =>
      optic<unknown, [number, readonly number[]], number[], readonly number[], [number, number[]]>(([q, xs]) => {
        const [m, y] = p.fwd([q, xs[0]!]);
        return [m, [y]];
      }, (m, [dy]) => {
        const [dq, dx] = p.bwd(m as [number, number], dy!);
        return [dq, [dx]];
      });
    const both = paraPars(MonoidSum)([{ para: list(scale), inputs: 1, outputs: 1 }, { para: list(shift), inputs: 1, outputs: 1 }]);
    const [m, ys] = both.fwd([w, [a, b]]);
    expect(ys).toEqual([scale.fwd([w, a])[1], shift.fwd([w, b])[1]]);
    const [dw, dxs] = both.bwd(m, [da, db]);
    const [dw1, dx1] = scale.bwd([w, a], da);
    const [dw2, dx2] = shift.bwd([w, b], db);
    expect(dw).toBe(0 + dw1 + dw2);
    expect(dxs).toEqual([dx1, dx2]);
  });
});

// The lens form of a chain equals the schedule that checkpoints everything: [[0..k-1]].
describe('recompute is the one-segment schedule', () => {
  test.prop([arbChain, arbX, arbDX])('checkpointed(stages, [[0..k-1]]) keeps the input and agrees with seqOptics', (stages, a, dz) => {
    const all = checkpointed(stages, [stages.map((_, i) => i)]) as Optic<unknown[], number, number, number, number>;
    expect(all.fwd(a)[0]).toEqual([a]);
    expect(coreCombinatorLaws.scheduleInvariant(stages as Scalar[], [stages.map((_, i) => i)], E)(a, dz)).toBe(true);
    expect(seqOptics(...stages).fwd(a)[1]).toBe(all.fwd(a)[1]);
  });
});
