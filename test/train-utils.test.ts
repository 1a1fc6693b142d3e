import { describe, expect, it } from 'vitest';
import * as t_ from 'io-ts';
import * as E from 'fp-ts/lib/Either.js';
import { definePrimitive } from '../src/term/primitive';
import {
  argmaxAccuracy, checkOrThrow, initParams, jsBackend, lossAndGrad, lowerOrThrow, par, id, prim, seq, sgd, train, type HostTensor,
} from '../src/index';

const t = (shape: number[], xs: number[]): HostTensor => ({ shape, data: Float64Array.from(xs) });

describe('argmaxAccuracy', () => {
  it('counts rows whose largest logit is the label, ties to the lowest class', () => {
    // Row 0: argmax 2; row 1: tie between 0 and 1 → 0; row 2: argmax 1; row 3: all equal → 0.
    const logits = t([4, 3], [0.1, 0.2, 0.9, 5, 5, -1, -3, -1, -2, 7, 7, 7]);
    expect(argmaxAccuracy(logits, t([4], [2, 0, 1, 0]))).toBe(1);
    expect(argmaxAccuracy(logits, t([4], [2, 1, 1, 0]))).toBe(0.75);
    expect(argmaxAccuracy(logits, t([4], [0, 1, 0, 2]))).toBe(0);
    expect(argmaxAccuracy(t([2, 2], [1, 0, 0, 1]), t([2], [0, 0]))).toBe(0.5);
  });
  it('a shape mismatch is a clear error', () => {
    expect(() => argmaxAccuracy(t([2, 3], [1, 2, 3, 4, 5, 6]), t([3], [0, 1, 2]))).toThrow(
      'argmaxAccuracy: 3 labels need 9 logits, got 6',
    );
  });
});

describe('initParams', () => {
  const model = checkOrThrow(seq(prim('linear', { out: 4 }), prim('tanh'), prim('linear', { out: 2 })), [[3, 5]]);
  it('is float32 unless asked, and a pure function of (seed, path)', () => {
    const a = initParams(model, 7);
    expect(Object.values(a).every((p) => p.data instanceof Float32Array)).toBe(true);
    expect(Object.values(initParams(model, 7, 'float64')).every((p) => p.data instanceof Float64Array)).toBe(true);
    const b = initParams(model, 7);
    const c = initParams(model, 8);
    expect(Object.keys(a).sort()).toEqual(['0.b', '0.w', '2.b', '2.w']);
    for (const k of Object.keys(a)) expect([...b[k]!.data]).toEqual([...a[k]!.data]);
    expect([...c['0.w']!.data]).not.toEqual([...a['0.w']!.data]);
    // Adding a layer in front does not change the values of a parameter whose path is unchanged.
    const longer = checkOrThrow(seq(prim('linear', { out: 4 }), prim('tanh'), prim('linear', { out: 2 }), prim('tanh')), [[3, 5]]);
    expect([...initParams(longer, 7)['2.w']!.data]).toEqual([...a['2.w']!.data]);
  });
});

// Two primitives defined only here: one with a parameter and no `init` (the default N(0, 0.02²)),
// one whose `init` gives the wrong number of values.
const paramOnly = (name: string, init?: () => ArrayLike<number>) =>
  definePrimitive({
    name,
    doc: `test primitive ${name}`,
    attrs: t_.type({}),
    arity: () => ({ inputs: 1, outputs: 1 }),
    shape: (_a, [x]) => E.right({ outputs: [x!], params: { p: [40, 50] } }),
    variants: ['input'],
    cost: () => ({ fwdFlops: 0, bwdFlops: 0, residualElems: 0, paramElems: 2000 }),
    ...(init ? { init } : {}),
  });
paramOnly('test_default_init');
paramOnly('test_bad_init', () => new Float64Array(3));

describe('initParams for primitives without their own init', () => {
  it('draws N(0, 0.02²) from (seed, path)', () => {
    const m = checkOrThrow(prim('test_default_init', {}), [[2]]);
    const a = [...initParams(m, 3, 'float64').p!.data];
    expect(a).toHaveLength(2000);
    const mean = a.reduce((s, v) => s + v, 0) / a.length;
    const sd = Math.sqrt(a.reduce((s, v) => s + (v - mean) ** 2, 0) / a.length);
    expect(Math.abs(mean)).toBeLessThan(0.003);
    expect(sd).toBeGreaterThan(0.018);
    expect(sd).toBeLessThan(0.022);
    expect([...initParams(m, 3, 'float64').p!.data]).toEqual(a);
  });
  it('an init that gives the wrong number of values is a clear error', () => {
    const m = checkOrThrow(prim('test_bad_init', {}), [[2]]);
    expect(() => initParams(m, 1)).toThrow("initParams: test_bad_init gave 3 values for 'p', expected 2000");
  });
});

describe('the training loop', () => {
  const model = checkOrThrow(seq(par(prim('linear', { out: 1 }), id(1)), prim('mse')), [[4, 2], [4, 1]]);
  const be = jsBackend('float64');
  const prog = lowerOrThrow(model, be);
  const batch = [t([4, 2], [1, 0, 0, 1, 1, 1, -1, 2]), t([4, 1], [1, 2, 3, 1])];
  it('runs exactly `steps` steps and reports each loss', () => {
    const seen: number[] = [];
    const r = train({ program: prog, backend: be, params: initParams(model, 1, 'float64'), optimizer: sgd({ lr: 0.05 }), steps: 3, batch: () => batch, onStep: (i) => seen.push(i) });
    expect(r.losses).toHaveLength(3);
    expect(seen).toEqual([0, 1, 2]);
    expect(r.losses[2]!).toBeLessThan(r.losses[0]!);
    // onStep is optional, and leaving it out changes nothing else.
    const quiet = train({ program: prog, backend: be, params: initParams(model, 1, 'float64'), optimizer: sgd({ lr: 0.05 }), steps: 3, batch: () => batch });
    expect(quiet.losses).toEqual(r.losses);
  });
  it('lossAndGrad: a program with more than one output, or a non-finite loss, is a clear error', () => {
    const two = lowerOrThrow(checkOrThrow(par(prim('mse'), prim('mse')), [[2], [2], [2], [2]]), be);
    expect(() => lossAndGrad(two, be, {}, [t([2], [1, 2]), t([2], [0, 0]), t([2], [1, 1]), t([2], [0, 0])])).toThrow(
      'lossAndGrad: a loss program has one scalar output, this one has 2',
    );
    expect(() => lossAndGrad(prog, be, initParams(model, 1, 'float64'), [t([4, 2], [NaN, 0, 0, 1, 1, 1, -1, 2]), batch[1]!])).toThrow(
      'lossAndGrad: the loss is not a number; lower the learning rate or check the inputs',
    );
  });
});
