/**
 * The failure reports of the decoder's own laws (laws/strings.ts: `decodedRoundTrips`,
 * `mutationIsLocal`), which a correct decoder never triggers: here `decodeWith` is mocked to return
 * chosen terms and traces for chosen token strings (and the real decoding otherwise), so each law
 * meets a decoder that breaks it and must say how.
 */
import { describe, expect, it, vi } from 'vitest';
import type { TraceEvent } from '../src/strings/decode';

const script = vi.hoisted(() => ({ fn: undefined as undefined | ((toks: ArrayLike<number>, opts: { trace?: boolean; ids?: Readonly<Record<number, number>> }) => unknown) }));
vi.mock('../src/strings/decode', async (importOriginal) => {
  const m = await importOriginal<typeof import('../src/strings/decode')>();
  return {
    ...m,
    decodeWith: (toks: ArrayLike<number>, inputs: never, opts: { trace?: boolean; ids?: Readonly<Record<number, number>> } = {}) => script.fn?.(toks, opts) ?? m.decodeWith(toks, inputs, opts),
  };
});

const { decodedRoundTrips, decodesWellTyped, mutationIsLocal } = await import('../laws/strings');
const { prim, seq } = await import('../src/term/term');
const { tokenize } = await import('../src/strings/alphabet');

const ev = (p: string, dep: number, variant?: string): TraceEvent => ({ prim: p, attrs: {}, ...(variant ? { variant } : {}), inputs: [[3, 4]], first: dep, dep });
/** Decode token strings starting with `marker` to `term` (with `trace`), everything else for real. */
const when = (marker: number, term: unknown, trace: (toks: ArrayLike<number>) => TraceEvent[] = () => []) => {
  script.fn = (toks, opts) => (toks[0] === marker ? { term, outputs: [], ...(opts.trace ? { trace: trace(toks) } : {}) } : undefined);
};

describe('decodesWellTyped reports a decoder that breaks it', () => {
  const q = tokenize('q')[0]!;
  it('a decoded term that does not check', () => {
    when(q, prim('softmax_xent'));
    const rep = decodesWellTyped('q', [[3, 4]]);
    expect(rep.ok).toBe(false);
    expect(rep.detail).toMatch(/^decoded term does not check: /);
  });
  it('a wire over the budget: the default 2^20, or maxElems when the inputs fit it (an input of exactly maxElems fits)', () => {
    when(q, prim('linear', { out: 1 << 21 }));
    expect(decodesWellTyped('q', [[1, 1]])).toEqual({ ok: false, detail: '<root> (linear) has 2097152 elements, over the budget of 1048576' });
    when(q, prim('linear', { out: 3 }));
    expect(decodesWellTyped('q', [[2, 2]], { maxElems: 4 })).toEqual({ ok: false, detail: '<root> (linear) has 6 elements, over the budget of 4' });
    expect(decodesWellTyped('q', [[2, 2]], { maxElems: 3 }).ok).toBe(true);
    script.fn = undefined;
  });
});

describe('decodedRoundTrips reports a decoder that breaks it', () => {
  const q = tokenize('q')[0]!;
  it('a decoded term not in normal form', () => {
    when(q, seq(seq(prim('tanh'), prim('relu')), prim('tanh')));
    expect(decodedRoundTrips('q', [[3, 4]])).toEqual({ ok: false, detail: 'the decoded term is not in normal form' });
  });
  it('a decoded term without a string', () => {
    when(q, prim('softmax_xent'));
    const rep = decodedRoundTrips('q', [[3, 4]]);
    expect(rep.ok).toBe(false);
    expect(rep.detail).toMatch(/^the decoded term has no string: <root>: the term does not check: /);
  });
  it('a string that decodes to another term the second time', () => {
    // encodeModel checks its own string, decoding 'r' with the ids it infers; the law decodes 'r' again
    // with the options it was given (no ids) and, from this decoder, gets tanh.
    const r = tokenize('r')[0]!;
    script.fn = (toks, opts) => (toks[0] === q ? { term: prim('relu'), outputs: [] } : toks[0] === r && !('ids' in opts) ? { term: prim('tanh'), outputs: [] } : undefined);
    expect(decodedRoundTrips('q', [[3, 4]])).toEqual({ ok: false, detail: `'r' decodes to a different term` });
  });
  it('passes a token array as it is', () => {
    script.fn = undefined;
    expect(decodedRoundTrips(tokenize('L16 r'), [[8, 2]])).toEqual({ ok: true, detail: '' });
  });
});

describe('mutationIsLocal reports a decoder that breaks it', () => {
  // Token 0 is the marker of the original string; the mutated one has token 0 too (only token 2 changes).
  const toks = [...tokenize('abcd')];
  const a = toks[0]!;
  const trace = (ta: TraceEvent[], tb: TraceEvent[]) => (t: ArrayLike<number>) => (t[2] === toks[2] ? ta : tb);
  it('the primitives before the mutated token differ (prim, variant, or one more)', () => {
    for (const [ta, tb] of [
      [[ev('tanh', 0)], [ev('relu', 0)]],
      [[ev('attention', 1, 'probs')], [ev('attention', 1, 'lse')]],
      [[ev('tanh', 0)], [ev('tanh', 0), ev('relu', 1)]],
      [[ev('tanh', 0), ev('relu', 1)], [ev('tanh', 0)]],
      [[ev('tanh', 0), ev('relu', 1)], [ev('tanh', 0), ev('gelu', 1)]],
    ] as const) {
      when(a, prim('tanh'), trace([...ta], [...tb]));
      const rep = mutationIsLocal(toks, 2, tokenize('z')[0]!, [[3, 4]]);
      expect(rep.ok).toBe(false);
      expect(rep.detail).toMatch(/^the primitives decoded before token 2 differ: \[.*\] vs \[.*\]$/);
    }
  });
  it('the same primitives before it, but not first in one decoding', () => {
    for (const [ta, tb] of [
      [[ev('relu', 3), ev('tanh', 0)], [ev('tanh', 0)]],
      [[ev('tanh', 0)], [ev('relu', 3), ev('tanh', 0)]],
      [[ev('tanh', 0), ev('gelu', 3), ev('relu', 1)], [ev('tanh', 0), ev('relu', 1)]],
    ] as const) {
      when(a, prim('tanh'), trace([...ta], [...tb]));
      expect(mutationIsLocal(toks, 2, tokenize('z')[0]!, [[3, 4]])).toEqual({ ok: false, detail: 'the primitives decoded before token 2 are not a prefix of the decoding' });
    }
  });
  it('later primitives may change', () => {
    when(a, prim('tanh'), trace([ev('tanh', 0), ev('relu', 2)], [ev('tanh', 0), ev('gelu', 3)]));
    expect(mutationIsLocal(toks, 2, tokenize('z')[0]!, [[3, 4]])).toEqual({ ok: true, detail: '' });
    script.fn = undefined;
  });
});
