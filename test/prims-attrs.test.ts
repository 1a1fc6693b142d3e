import { describe, expect, it } from 'vitest';
import * as E from 'fp-ts/lib/Either.js';
import { lookupPrimitive } from '../src/index';
import { Dim, FiniteIn, fanInNormal } from '../src/prims/util';
import { poolSplit } from '../src/prims/affine';
import { mcbHashes, mcbHashesOf } from '../src/prims/pooling';
import { rng } from '../src/tensor/rng';

/**
 * What a primitive definition says besides its shapes and costs: attribute codecs at their edges
 * (both `decode` and `is`, which io-ts uses for intersections), arities, initialisers, the inputs
 * that carry no gradient, and the small helpers the kernels share. Hand-worked values throughout.
 */
const def = (name: string) => lookupPrimitive(name)!;

describe('attribute codecs at their edges', () => {
  it('Dim: positive safe integers; past 2^53 − 1 the message says so', () => {
    for (const u of [1, 7, 2 ** 53 - 1]) expect([Dim.is(u), E.isRight(Dim.decode(u))], `${u}`).toEqual([true, true]);
    for (const u of [0, -1, 1.5, '3', 2 ** 53, NaN]) expect([Dim.is(u), E.isRight(Dim.decode(u))], `${u}`).toEqual([false, false]);
    const big = Dim.decode(2 ** 53);
    expect(E.isLeft(big) && big.left[0]!.message).toBe('expected positive integer of at most 2^53 − 1, got 9007199254740992');
    for (const u of [0, -3, 1.5, 'x']) {
      const r = Dim.decode(u);
      expect(E.isLeft(r) && r.left[0]!.message, `${u}`).toBeUndefined();
    }
    // Through a primitive's codec, `is` as well (io-ts intersections call each part's `is`).
    expect(def('linear').attrs.is({ out: 3 })).toBe(true);
    expect(def('linear').attrs.is({ out: 0 })).toBe(false);
  });
  it('FiniteIn: finite and within [lo, hi], both ends included', () => {
    const c = FiniteIn('gain', -1, 2);
    expect(c.name).toBe('gain in [-1, 2]');
    for (const x of [-1, 0, 2]) expect(c.is(x), `${x}`).toBe(true);
    for (const x of [-1.0001, 2.0001, Infinity, -Infinity, NaN, '1']) expect(c.is(x), `${x}`).toBe(false);
  });
  it('tensor-product degrees are integers in [0, 40], by decode and by is', () => {
    const tp = def('tensor_product').attrs;
    for (const l of [0, 1, 40]) {
      expect(E.isRight(tp.decode({ l1: l, l2: 1 })), `${l}`).toBe(true);
      expect(tp.is({ l1: l, l2: 1 }), `${l}`).toBe(true);
    }
    for (const l of [-1, 41, 1.5, '1']) {
      expect(E.isRight(tp.decode({ l1: l, l2: 1 })), `${l}`).toBe(false);
      expect(tp.is({ l1: l, l2: 1 }), `${l}`).toBe(false);
    }
  });
  it("spgemm's nnz bound is a non-negative integer, 0 included, by decode and by is", () => {
    const sp = def('spgemm').attrs;
    for (const n of [0, 5]) expect([E.isRight(sp.decode({ nnz: n })), sp.is({ nnz: n })], `${n}`).toEqual([true, true]);
    for (const n of [-1, 1.5, '2']) expect([E.isRight(sp.decode({ nnz: n })), sp.is({ nnz: n })], `${n}`).toEqual([false, false]);
  });
});

describe('arities', () => {
  const cases: [string, Record<string, unknown>, number, number][] = [
    ['id', {}, 1, 1], ['id', { n: 3 }, 3, 3], ['copy', {}, 1, 2], ['copy', { n: 4 }, 1, 4], ['add', {}, 2, 1], ['add', { n: 3 }, 3, 1],
    ['concat_last', {}, 2, 1], ['concat_last', { n: 3 }, 3, 1], ['linear', { out: 1 }, 1, 1],
    ['attention', { heads: 1 }, 1, 1], ['attention', { heads: 1, cross: true }, 2, 1], ['attention', { heads: 1, mask: true }, 2, 1],
    ['attention', { heads: 1, cross: true, mask: true }, 3, 1], ['delta_rule', { heads: 1 }, 5, 2], ['last_position', {}, 1, 1],
    ['outer_memory', { heads: 1 }, 4, 2], ['topk_write', { heads: 1, k: 1 }, 3, 1], ['group_lift', { out: 1 }, 2, 1],
    ['group_conv', {}, 2, 1], ['axis_pool', { axis: 0, op: 'mean' }, 1, 1], ['spgemm', {}, 2, 1], ['spmm', {}, 2, 1], ['sddmm', {}, 3, 1],
    ['outer_product', {}, 2, 1], ['hadamard', {}, 2, 1], ['sum_pool', { k: 1 }, 1, 1], ['tensor_product', { l1: 0, l2: 0 }, 2, 1],
  ];
  for (const [name, attrs, inputs, outputs] of cases)
    it(`${name} ${JSON.stringify(attrs)}: ${inputs} in, ${outputs} out`, () => expect(def(name).arity(attrs)).toEqual({ inputs, outputs }));
});

describe('initialisers and inputs without gradient', () => {
  const init = (name: string, attrs: Record<string, unknown>, p: string, shape: number[], seed = 3) => Array.from(def(name).init!(attrs, p, shape, rng(seed)));
  /** n normals from rng(seed), each divided by √fanIn. */
  const scaled = (fanIn: number, n: number, seed = 3) => {
    const r = rng(seed);
    return Array.from({ length: n }, () => r.normal() / Math.sqrt(fanIn));
  };
  it('fanInNormal draws n normals scaled by 1/√fanIn', () => {
    expect([...fanInNormal(4, 5, rng(3))].map((v) => v.toFixed(12))).toEqual(scaled(4, 5).map((v) => v.toFixed(12)));
  });
  it('linear, group_lift: w by fan-in, b zeros; layernorm: g ones, b zeros; rmsnorm: ones', () => {
    expect(init('linear', { out: 2 }, 'w', [3, 2]).map((v) => v.toFixed(12))).toEqual(scaled(3, 6).map((v) => v.toFixed(12)));
    expect(init('linear', { out: 2 }, 'b', [2])).toEqual([0, 0]);
    expect(init('group_lift', { out: 2 }, 'w', [4, 2]).map((v) => v.toFixed(12))).toEqual(scaled(4, 8).map((v) => v.toFixed(12)));
    expect(init('group_lift', { out: 2 }, 'b', [2])).toEqual([0, 0]);
    expect(init('layernorm', {}, 'g', [3])).toEqual([1, 1, 1]);
    expect(init('layernorm', {}, 'b', [3])).toEqual([0, 0, 0]);
    expect(init('rmsnorm', {}, 'g', [2])).toEqual([1, 1]);
  });
  it('attention: the combined w by fan-in dkv·dq, the projections by their input width; bilinear by dx·dy per block', () => {
    expect(init('attention', { heads: 2 }, 'w', [2, 3, 4]).map((v) => v.toFixed(12))).toEqual(scaled(12, 24).map((v) => v.toFixed(12)));
    expect(init('attention', { heads: 2 }, 'wq', [5, 4]).map((v) => v.toFixed(12))).toEqual(scaled(5, 20).map((v) => v.toFixed(12)));
    expect(init('bilinear', { out: 4 }, 'w', [2, 3, 2, 2]).map((v) => v.toFixed(12))).toEqual(scaled(6, 24).map((v) => v.toFixed(12)));
  });
  it('nondiff: ids, labels, group samples and the attention mask carry no gradient', () => {
    const nd = (name: string, attrs: Record<string, unknown>) => def(name).nondiff?.(attrs) ?? 'none';
    expect(nd('embedding', { vocab: 2, dim: 2 })).toEqual([0]);
    expect(nd('softmax_xent', {})).toEqual([1]);
    expect(nd('group_lift', { out: 1 })).toEqual([1]);
    expect(nd('attention', { heads: 1 })).toEqual([]);
    expect(nd('attention', { heads: 1, mask: true })).toEqual([1]);
    expect(nd('attention', { heads: 1, mask: true, cross: true })).toEqual([2]);
    for (const name of ['delta_rule', 'outer_memory', 'topk_write']) expect(nd(name, { heads: 1, k: 1 }), name).toEqual([]);
  });
});

describe('helpers the kernels share', () => {
  it('poolSplit: sizes before, along and after the pooled axis (negative axes from the end)', () => {
    expect(poolSplit([2, 3, 4], -2)).toEqual({ outer: 2, n: 3, inner: 4 });
    expect(poolSplit([2, 3, 4], 0)).toEqual({ outer: 1, n: 2, inner: 12 });
    expect(poolSplit([2, 3, 4], 2)).toEqual({ outer: 6, n: 4, inner: 1 });
    expect(poolSplit([2, 3, 4, 5], -1)).toEqual({ outer: 24, n: 5, inner: 1 });
  });
  it('mcbHashesOf: explicit hashes as typed arrays, or those drawn from the seed', () => {
    const h = mcbHashesOf({ d: 4, hashes: { h1: [3, 0], s1: [1, -1], h2: [2, 2, 1], s2: [-1, 1, 1] } }, 2, 3);
    expect(h.h1).toEqual(Int32Array.from([3, 0]));
    expect(h.s1).toEqual(Int8Array.from([1, -1]));
    expect(h.h2).toEqual(Int32Array.from([2, 2, 1]));
    expect(h.s2).toEqual(Int8Array.from([-1, 1, 1]));
    expect(mcbHashesOf({ d: 4, seed: 9 }, 2, 3)).toEqual(mcbHashes(9, 2, 3, 4));
  });
});
