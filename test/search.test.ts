import { describe, expect, it } from 'vitest';
import { jsBackend, decodeModel, type Backend } from '../src/index';
import { TASKS, crossJson, crossTokens, mutateJson, mutateTokens, runMethods, validFor } from '../examples/search/search';
import { rng, prim, seq } from '../src/index';
import * as E from 'fp-ts/lib/Either.js';
import * as fs from 'node:fs';
import { outOfBounds } from './svg-bounds';

const be = jsBackend('float32') as Backend<unknown>;
const tiny = { budget: 6, population: 3, maxTokens: 8, steps: 3, lr: 0.01, penalty: 0.01, maxElems: 1 << 14 };

describe('example:search (smoke test at a tiny budget; `npm run example:search` runs the real one)', () => {
  for (const task of [TASKS.spirals, TASKS.modular])
    it(`${task.name}: all three methods spend the same budget; every string child is a valid model`, () => {
      const r = runMethods(task, be, tiny, 0);
      for (const run of [r.gaStrings, r.random, r.gaJson]) {
        expect(run.curve).toHaveLength(tiny.budget);
        expect(run.curve.every((x, i) => i === 0 || x >= run.curve[i - 1]!)).toBe(true);
        expect(Number.isFinite(run.best.fitness)).toBe(true);
      }
      expect(r.gaStrings.validChildren).toBe(r.gaStrings.children);
      expect(r.random.validChildren).toBe(r.random.children);
      expect(r.gaStrings.children).toBeGreaterThan(0);
      expect(E.isRight(validFor(task, r.gaStrings.best.term, tiny.maxElems))).toBe(true);
    });
  it('the operators: one-token mutation, one-point crossover, hand-written JSON mutations', () => {
    const r = rng(1);
    const a = [1, 2, 3, 4];
    /** Is b a with one token replaced, inserted or deleted? */
    const oneEdit = (a: number[], b: number[]) => {
      if (a.length === b.length) return a.filter((t, i) => t !== b[i]).length <= 1;
      const [s, l] = a.length < b.length ? [a, b] : [b, a];
      return l.length === s.length + 1 && l.some((_, i) => [...l.slice(0, i), ...l.slice(i + 1)].every((t, j) => t === s[j]));
    };
    for (let i = 0; i < 50; i++) expect(oneEdit(a, mutateTokens(a, rng(i)))).toBe(true);
    expect(new Set(Array.from({ length: 50 }, (_, i) => mutateTokens(a, rng(i)).length))).toEqual(new Set([3, 4, 5]));
    const c = crossTokens(a, [9, 9, 9, 9, 9], r);
    expect(c.length === 4 || c.length === 5).toBe(true);
    const t = decodeModel('L16 r L2', TASKS.spirals.inputs);
    expect(crossJson(t, seq(prim('tanh'), prim('relu')), r).op).toBeDefined();
    const changed = Array.from({ length: 20 }, (_, i) => JSON.stringify(mutateJson(t, rng(i)))).filter((s) => s !== JSON.stringify(t));
    expect(changed.length).toBeGreaterThan(10);
  });
});

describe('example:search JSON mutations', () => {
  it('never produce an empty composite (a deleted root keeps the term)', () => {
    for (let i = 0; i < 300; i++) {
      let t = decodeModel('r', TASKS.spirals.inputs);
      for (let k = 0; k < 5; k++) t = mutateJson(t, rng(i).fork(k));
      const empty = (u: ReturnType<typeof decodeModel>): boolean => u.op !== 'prim' && (u.terms.length === 0 || u.terms.some(empty));
      expect(empty(t)).toBe(false);
    }
  });
});

describe('example:search committed diagrams', () => {
  for (const f of ['examples/search/best-spirals.svg', 'examples/search/best-modular.svg'])
    it(`${f}: every text lies inside the picture`, () => expect(outOfBounds(fs.readFileSync(f, 'utf8'))).toEqual([]));
});
