import { describe, expect, it } from 'vitest';
import * as E from 'fp-ts/lib/Either.js';
import {
  add, checkOrThrow, initParams, jsBackend, lowerOrThrow, prim, randn, skip, rng, seq, wires, type Term,
} from '../src/index';
import { runPlan } from '../laws/index';

const built = (t: E.Either<Error, Term>): Term => {
  if (E.isLeft(t)) throw t.left;
  return t.right;
};

describe('named-wire builder', () => {
  it('builds the same function as the point-free residual block', () => {
    const f = seq(prim('layernorm'), prim('linear', { out: 6 }));
    const pointFree = checkOrThrow(skip(f), [[3, 6]]);
    const named = checkOrThrow(
      built(
        wires(1, (b, [x]) => {
          const [h] = b.apply('f', f, x!);
          return b.apply('join', add(2), h!, x!);
        }),
      ),
      [[3, 6]],
    );
    const be = jsBackend('float64');
    const x = randn([3, 6], rng(1));
    const dy = randn([3, 6], rng(2));
    const pa = initParams(pointFree, 5, 'float64');
    // Same parameters by value, under each term's own paths.
    const pb = { 'f.0.0.g': pa['1.0.0.g']!, 'f.0.0.b': pa['1.0.0.b']!, 'f.0.1.w': pa['1.0.1.w']!, 'f.0.1.b': pa['1.0.1.b']! };
    expect(Object.keys(pb).sort()).toEqual([...named.params.keys()].sort());
    const a = runPlan(pointFree, be, {}, pa, [x], [dy]);
    const b = runPlan(named, be, {}, pb, [x], [dy]);
    expect(b.outputs[0]!.data).toEqual(a.outputs[0]!.data);
    expect(b.dInputs[0]!.data).toEqual(a.dInputs[0]!.data);
  });
  it('routes reuse, reordering and unused wires', () => {
    const t = built(
      wires(3, (b, [x, y, z]) => {
        void z;
        const [s] = b.apply('s', add(2), y!, x!);
        return b.apply('t', add(3), s!, x!, x!);
      }),
    );
    const m = checkOrThrow(t, [[2], [2], [2]]);
    const be = jsBackend('float64');
    const { outputs } = lowerOrThrow(m, be).forward({}, [
      { shape: [2], data: new Float64Array([1, 2]) },
      { shape: [2], data: new Float64Array([10, 20]) },
      { shape: [2], data: new Float64Array([100, 200]) },
    ]);
    expect([...outputs[0]!.data]).toEqual([13, 26]);
  });
  it('reports arity mistakes with the label', () => {
    const r = wires(1, (b, [x]) => b.apply('bad', add(2), x!));
    expect(E.isLeft(r) && r.left.message).toBe('bad: box takes 2 wire(s), was given 1');
  });
});
