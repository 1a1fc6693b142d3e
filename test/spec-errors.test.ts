import { describe, expect, it } from 'vitest';
import * as E from 'fp-ts/lib/Either.js';
import { SpecError, check, formatIssues, loadSpec, named, par, prim, seq } from '../src/index';

const errorOf = (term: unknown, inputs: number[][]): SpecError => {
  const r = check(term, inputs);
  if (E.isRight(r)) throw new Error('expected a SpecError');
  expect(r.left).toBeInstanceOf(SpecError);
  return r.left;
};

describe('SpecError names the node', () => {
  it('unknown primitive', () => {
    const e = errorOf(seq(prim('linear', { out: 3 }), named('head', prim('lineer', { out: 2 }))), [[4, 5]]);
    expect(e.path).toEqual(['head']);
    expect(e.message).toBe("head: unknown primitive 'lineer'");
  });
  it('wrong attribute type', () => {
    const e = errorOf(seq(named('blocks', seq(prim('tanh'), named('proj', prim('linear', { out: 'wide' }))))), [[4, 5]]);
    expect(e.path).toEqual(['blocks', 'proj']);
    expect(e.primitive).toBe('linear');
    expect(e.message).toMatch(/blocks\.proj \(linear\): bad attributes: attrs\.out: expected positive integer, got "wide"/);
  });
  it('mismatched shapes', () => {
    const e = errorOf(seq(prim('copy'), par(prim('linear', { out: 3 }), prim('tanh')), prim('add')), [[4, 5]]);
    expect(e.path).toEqual(['2']);
    expect(e.message).toMatch(/input 1 has shape \[4,5\] but input 0 has \[4,3\]/);
  });
  it('wrong number of wires', () => {
    const e = errorOf(seq(prim('tanh'), prim('mse')), [[4, 5]]);
    expect(e.message).toMatch(/^1 \(mse\): expects 2 input wire\(s\), got 1/);
  });
  it('malformed objects are errors, not exceptions', () => {
    expect(errorOf(null, [[1]]).message).toMatch(/expected a term object/);
    expect(errorOf({ op: 'loop' }, [[1]]).message).toMatch(/unknown op "loop"/);
    expect(errorOf({ op: 'seq', terms: [] }, [[1]]).message).toMatch(/non-empty array/);
    expect(errorOf(seq(prim('tanh', { extra: 1 })), [[1]]).message).toMatch(/0 \(tanh\): unknown attribute\(s\) 'extra'; expected none/);
    expect(errorOf(prim('softmax', {}, { variant: 'nope' }), [[2]]).message).toMatch(/unknown variant 'nope'/);
  });
  it('duplicate parameter paths', () => {
    const e = errorOf(par(named('a', prim('linear', { out: 2 })), named('a', prim('linear', { out: 2 }))), [[3, 2], [3, 2]]);
    expect(e.message).toMatch(/share the name 'a'|defined twice/);
  });
});

describe('one error per problem', () => {
  const deltaInputs = [[1, 2, 4], [1, 2, 4], [1, 2, 4], [1, 2, 1], [1, 1, 4, 4]];
  it('a bad choice among literals is one line listing the alternatives once', () => {
    const e = errorOf(prim('delta_rule', { heads: 1, algorithm: 'chunky' }), deltaInputs);
    expect(e.message).toBe('<root> (delta_rule): bad attributes: attrs.algorithm: expected one of "recurrent", "chunkwise", got "chunky"');
  });
  it('the same in a spec file, at the JSON path', () => {
    const doc = { catoptric: 1, name: 'd', inputs: deltaInputs, model: prim('delta_rule', { heads: 1, algorithm: 'chunky', betaRange: '[0,3]' }) };
    const r = loadSpec(JSON.stringify(doc));
    if (E.isRight(r)) throw new Error('expected issues');
    expect(formatIssues(r.left)).toEqual([
      'model.attrs.algorithm: expected one of "recurrent", "chunkwise", got "chunky"',
      'model.attrs.betaRange: expected one of "[0,1]", "[0,2]", got "[0,3]"',
    ]);
  });
  it('different problems at different places stay separate lines', () => {
    const doc = { catoptric: 1, name: 'd', inputs: [[2, 3]], model: seq(prim('linear', { out: 'wide', bias: 3 })) };
    const r = loadSpec(JSON.stringify(doc));
    if (E.isRight(r)) throw new Error('expected issues');
    expect(formatIssues(r.left)).toHaveLength(2);
  });
});
