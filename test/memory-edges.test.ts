import { describe, expect, it } from 'vitest';
import { peakMatches } from '../laws/planner';
import { checkOrThrow, copy, discard, id, initParams, jsBackend, named, par, prim, randn, rng, seq, skip, tensor } from '../src/index';
import { type Plan, simulate, sweepCache } from '../src/plan';
import type { TypedModel } from '../src/term/check';
import type { HostTensor } from '../src/tensor/tensor';

// The corners of `simulate` that the peak law's usual models and plans do not reach (src/plan/memory.ts
// survivors of a mutation run): the sweep table's argmax, a checkpoint schedule inside a lens node, and
// backward passes that carry no gradient (a discarded wire, a non-differentiable input in mid-chain).
// Each prediction is checked against a metered run of the real program (laws/planner.ts, peakMatches).
const be = jsBackend('float32');

const agrees = (model: TypedModel, plans: readonly Plan[], inputs: readonly HostTensor[], seed = 1) => {
  const dys = model.root.outputs.map((s, i) => randn(s, rng(seed).fork(`dy${i}`), 'float32'));
  for (const plan of plans) {
    const rep = peakMatches(model, be, plan, initParams(model, seed, 'float32'), inputs, dys);
    expect(rep.ok, `${JSON.stringify(plan)}: ${rep.detail}`).toBe(true);
  }
};

describe('the sweep table of a seq', () => {
  it('argmax(a, b) is the first i in a..b with the largest before[i] + peakAbove[i], for every range', () => {
    // Widths rise and fall, so maxima sit inside ranges, and the largest value is reached twice in
    // some ranges (at children 1 and 4), once in each half the table looks at.
    const widths = [3, 9, 2, 9, 3, 1, 7, 9, 4, 2, 6];
    const model = checkOrThrow(seq(...widths.map((w) => prim('linear', { out: w }))), [[2, 4]]);
    const cache = sweepCache();
    // One segment over the whole chain: simulate builds the root's table.
    simulate(model, { schedules: { '': [widths.map((_, i) => i)] } }, 4, cache);
    const r = cache.ranges.get(model.root)!;
    expect(r).toBeDefined();
    const k = widths.length;
    // The table from the widths, by hand: sweeping linear i frees its input (2 × width before it) and
    // leaves its output (2 × w[i]), at 4 bytes an element; its peak above the start is its output.
    const wBefore = (i: number) => (i === 0 ? 4 : widths[i - 1]!);
    expect([...r.before]).toEqual([0, ...widths.map((w) => 8 * (w - 4))]);
    expect([...r.peakAbove]).toEqual(widths.map((w) => 8 * w));
    // Flops: a linear from n to w features on 2 rows is 2·(2·n·w) forward.
    expect([...r.flops]).toEqual([0, ...widths.map((_, i) => widths.slice(0, i + 1).reduce((s, w, j) => s + 4 * wBefore(j) * w, 0))]);
    const v = (i: number) => r.before[i]! + r.peakAbove[i]!;
    let ranges = 0;
    for (let a = 0; a < k; a++)
      for (let b = a; b < k; b++) {
        let best = a;
        for (let i = a + 1; i <= b; i++) if (v(i) > v(best)) best = i;
        expect(r.argmax(a, b), `argmax(${a}, ${b})`).toBe(best);
        ranges++;
      }
    expect(ranges).toBe((k * (k + 1)) / 2);
  });
});

describe('keep-nothing forwards during the backward pass', () => {
  it('with gradients live, a re-run sweep can set the peak: lens inside lens, a segment inside a segment', () => {
    const lin = (w: number) => prim('linear', { out: w });
    // Both cases peak while gradients are held (found by a search over random chains; a simulation
    // that left the live gradients out of the total at a sweep predicted 64 and 24 bytes too few).
    const nested = checkOrThrow(seq(lin(37), named('s', seq(lin(16), lin(1))), lin(9)), [[2, 5]]);
    agrees(nested, [{ remat: ['', 's'] }], [randn([2, 5], rng(5).fork('x'), 'float32')]);
    const chain = checkOrThrow(seq(lin(14), lin(1), lin(13)), [[2, 6]]);
    agrees(chain, [{ schedules: { '': [[[0, 1], 2]] } }], [randn([2, 6], rng(6).fork('x'), 'float32')]);
  });
});

describe('a checkpoint schedule inside a lens node', () => {
  it('the keep-nothing forward of a lens seq keeps no checkpoint for its segments', () => {
    // The lens form's forward sweeps the node's schedule without storing; its backward re-runs it,
    // checkpointing then. A checkpoint kept in the first sweep would still be held at the end.
    const block = named('b', skip(seq(prim('layernorm'), prim('linear', { out: 6 }), prim('gelu'))));
    const model = checkOrThrow(seq(prim('linear', { out: 6 }), block, prim('linear', { out: 2 })), [[3, 4]]);
    const plans: Plan[] = [
      { remat: ['b.1.0'], schedules: { 'b.1.0': [[0, 1], 2] } },
      { remat: [''], schedules: { '': [[0, 1], 2] } },
    ];
    agrees(model, plans, [randn([3, 4], rng(2).fork('x'), 'float32')]);
    // By hand: the lens seq's own input is its one checkpoint in the forward; the segment's comes later.
    expect(simulate(model, plans[1]!, 4).residualBytes).toBe(3 * 4 * 4);
  });
});

describe('backward passes that carry no gradient', () => {
  it('a discarded wire: its gradient is a zero the size of the wire, made before the fan-out', () => {
    // copy, then drop the first copy: discard has no outputs, so its backward hands back no gradient
    // and the copy's backward is given zeros for that wire.
    const model = checkOrThrow(seq(copy(2), par(discard(), prim('linear', { out: 2 }))), [[8, 16]]);
    agrees(model, [{}, { remat: [''] }, { remat: ['1'] }], [randn([8, 16], rng(3).fork('x'), 'float32')]);
  });
  it('labels, a non-differentiable input in mid-chain: no gradient for them, then zeros at the id', () => {
    const model = checkOrThrow(seq(par(prim('linear', { out: 5 }), id(1)), prim('softmax_xent')), [[6, 4], [6]]);
    const labels = tensor([6], [0, 4, 1, 3, 2, 0]);
    agrees(model, [{}, { remat: [''] }, { remat: ['0'] }, { schedules: { '': [[0], 1] } }], [randn([6, 4], rng(4).fork('x'), 'float32'), labels]);
  });
});

describe('a sweep that reaches exactly the earlier peak keeps the earlier split', () => {
  // Found by a search over random chains and plans (3,000 chains, 12 plans each): in these, a
  // keep-nothing re-run in the backward pass reaches the peak total again with a different split by
  // kind. The meter records the first time the peak is reached; so must the prediction.
  it('a segment sweep (a checkpoint schedule with a lens node inside)', () => {
    const model = checkOrThrow(seq(prim('relu'), prim('linear', { out: 1 }), prim('tanh'), prim('relu'), prim('linear', { out: 3 }), prim('tanh')), [[1, 3]]);
    agrees(model, [{ schedules: { '': [[[[[[0], 1], 2], 3], 4], 5] }, remat: ['4'] }], [randn([1, 3], rng(1), 'float32')]);
  });
  it('a node sweep (nested lens nodes)', () => {
    const model = checkOrThrow(seq(seq(seq(prim('tanh'), seq(prim('linear', { out: 1 }), prim('relu'))), prim('relu')), prim('linear', { out: 2 })), [[1, 2]]);
    agrees(model, [{ remat: ['', '0', '0.0.1', '0.0.1.1'] }], [randn([1, 2], rng(1), 'float32')]);
  });
});
