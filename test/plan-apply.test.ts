import { describe, expect, it } from 'vitest';
import * as E from 'fp-ts/lib/Either.js';
import { checkOrThrow, named, prim, seq, skip, SpecError } from '../src/index';
import { type Plan, applyPlan, applyPlanOrThrow, costOf, nodesByKey, plannedAt, plannedPrims, withVariant } from '../src/plan';
import type { TypedPrim } from '../src/term/check';

// A small term with a two-variant primitive (attention: probs, lse), a named residual block (seq, par,
// copy, id, add inside) and an unnamed last layer.
const term = seq(named('att', prim('attention', { heads: 1, dk: 2, dv: 2 })), named('blk', skip(seq(prim('linear', { out: 4 }), prim('tanh')))), prim('linear', { out: 3 }));
const model = checkOrThrow(term, [[5, 4]]);
const att = model.root.kind === 'seq' ? (model.root.children[0] as TypedPrim) : undefined!;

const problem = (plan: unknown): string => {
  const r = applyPlan(model, plan as Plan);
  if (E.isRight(r)) return 'no problem';
  expect(r.left).toBeInstanceOf(SpecError);
  expect(() => applyPlanOrThrow(model, plan as Plan)).toThrow(r.left.message);
  return r.left.message;
};

describe('applyPlan: a plan that does not fit names the node and what was expected', () => {
  it('lens nodes', () => {
    expect(problem({ remat: [3] })).toBe('<root>: plan.remat lists node paths (strings), got 3');
    expect(problem({ remat: ['blk', undefined] })).toBe('<root>: plan.remat lists node paths (strings), got undefined');
    expect(problem({ remat: ['blk.9'] })).toBe('blk.9: plan refers to a node that does not exist');
  });
  it('variants', () => {
    expect(problem({ variants: { nope: 'lse' } })).toBe('nope: plan refers to a node that does not exist');
    expect(problem({ variants: { blk: 'lse' } })).toBe('blk: plan gives a variant to a composite node; variants belong to primitives');
    expect(problem({ variants: { att: 'fast' } })).toBe("att (attention): plan asks for variant 'fast'; expected one of probs, lse");
    expect(problem({ variants: { att: 3 } })).toBe('att (attention): plan asks for variant of type number; expected one of probs, lse');
  });
  it('schedules', () => {
    expect(problem({ schedules: { 'blk.7': [0] } })).toBe('blk.7: plan refers to a node that does not exist');
    expect(problem({ schedules: { att: [0] } })).toBe('att: plan gives a checkpoint schedule to a primitive; schedules belong to seq nodes');
    expect(problem({ schedules: { 'blk.1': [0, 1] } })).toBe('blk.1: plan gives a checkpoint schedule to a par; schedules belong to seq nodes');
    expect(problem({ schedules: { '': [[0, 1]] } })).toBe('<root>: bad checkpoint schedule: schedule leaves must be 0..2 in order, got [0,1]');
    expect(problem({ schedules: { '': [[0, 1], 2] } })).toBe('no problem');
  });
});

describe('applyPlan: the planned tree', () => {
  const plan: Plan = { remat: ['blk', 'blk.1.0.1'], variants: { att: 'lse' }, schedules: { '': [[0, 1], 2] } };
  const pm = applyPlanOrThrow(model, plan);
  it('every node knows its key, kind, lens form, variant and schedule', () => {
    expect(pm.model).toBe(model);
    expect(pm.plan).toBe(plan);
    const show = (key: string) => {
      const n = plannedAt(pm, key)!;
      return [n.key, n.kind, n.lens, n.kind === 'prim' ? n.node.variant : 'schedule' in n ? JSON.stringify(n.schedule) : '-'];
    };
    expect(['', 'att', 'blk', 'blk.0', 'blk.1', 'blk.1.0', 'blk.1.0.1', 'blk.1.1', '2'].map(show)).toEqual([
      ['', 'seq', false, '[[0,1],2]'],
      ['att', 'prim', false, 'lse'],
      ['blk', 'seq', true, '-'],
      ['blk.0', 'prim', false, 'none'],
      ['blk.1', 'par', false, '-'],
      ['blk.1.0', 'seq', false, '-'],
      ['blk.1.0.1', 'prim', true, 'input'],
      ['blk.1.1', 'prim', false, 'none'],
      ['2', 'prim', false, 'input'],
    ]);
    expect(plannedAt(pm, 'blk.1.5')).toBeUndefined();
    expect(plannedAt(pm, 'bl')).toBeUndefined();
    // The variant's cost, not the term's: lse keeps B·H·Tq row sums instead of the Tq×Tk probabilities.
    const lse = plannedAt(pm, 'att')!.node as TypedPrim;
    expect(lse.cost).toEqual(att.def.cost(att.attrs, att.inputs, 'lse'));
    expect(lse.cost.residualElems).toBeLessThan(att.cost.residualElems);
  });
  it('primitives in term order, nodes by key', () => {
    expect(plannedPrims(pm).map((p) => p.key)).toEqual(['att', 'blk.0', 'blk.1.0.0', 'blk.1.0.1', 'blk.1.1', 'blk.2', '2']);
    expect(plannedPrims(plannedAt(pm, 'blk.1')!).map((p) => p.key)).toEqual(['blk.1.0.0', 'blk.1.0.1', 'blk.1.1']);
    expect([...nodesByKey(model).keys()].sort()).toEqual(['', '2', 'att', 'blk', 'blk.0', 'blk.1', 'blk.1.0', 'blk.1.0.0', 'blk.1.0.1', 'blk.1.1', 'blk.2']);
  });
  it('withVariant keeps the node when the variant is its own, and recomputes the cost otherwise', () => {
    expect(withVariant(att, att.variant)).toBe(att);
    const v = withVariant(att, 'lse');
    expect([v.variant, v.cost]).toEqual(['lse', att.def.cost(att.attrs, att.inputs, 'lse')]);
  });
  it('plan keys are own properties: a node named like an Object method takes no inherited variant', () => {
    const m = checkOrThrow(seq(named('toString', prim('tanh')), named('constructor', prim('tanh'))), [[2, 3]]);
    const p = applyPlanOrThrow(m, { variants: {}, schedules: {} });
    expect(plannedPrims(p).map((n) => [n.key, n.node.variant])).toEqual([['toString', 'input'], ['constructor', 'input']]);
    expect('schedule' in p.root).toBe(false);
  });
});

describe('costOf', () => {
  it('a tree of costs under the plan\'s variants, each composite the sum of its children', () => {
    const pm = applyPlanOrThrow(model, { variants: { att: 'lse' } });
    const c = costOf(pm);
    expect(costOf(model, { variants: { att: 'lse' } })).toEqual(c);
    expect([c.path, c.kind, c.prim, c.variant, c.children.map((k) => k.path)]).toEqual(['', 'seq', undefined, undefined, ['att', 'blk', '2']]);
    const [a, b] = c.children;
    expect([a!.kind, a!.prim, a!.variant, a!.residualElems]).toEqual(['prim', 'attention', 'lse', att.def.cost(att.attrs, att.inputs, 'lse').residualElems]);
    expect([b!.kind, b!.children.map((k) => [k.path, k.kind])]).toEqual(['seq', [['blk.0', 'prim'], ['blk.1', 'par'], ['blk.2', 'prim']]]);
    const prims = plannedPrims(pm).map((p) => p.node.cost);
    for (const k of ['fwdFlops', 'bwdFlops', 'residualElems', 'paramElems'] as const) {
      expect(c[k], k).toBe(prims.reduce((s, p) => s + p[k], 0));
      expect(b![k], k).toBe(b!.children.reduce((s, p) => s + p[k], 0));
    }
    expect(costOf(model).residualElems - c.residualElems).toBe(att.cost.residualElems - a!.residualElems);
  });
});
