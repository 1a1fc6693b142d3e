import { describe, expect, it } from 'vitest';
import * as E from 'fp-ts/lib/Either.js';
import { lookupPrimitive } from '../src/index';
import { attentionDims } from '../src/prims/attention';
import { csrShape } from '../src/tensor/shape';

/**
 * Each refusal of every primitive's shape rule, one condition at a time, with the message it must
 * give (naming the input or attribute and what was expected). The command-line and spec-file tests
 * see most of these through whole files; mutation runs leave those out, and a rule that lost one of
 * its conditions would pass every law.
 */
type Case = [name: string, attrs: Record<string, unknown>, inputs: readonly (readonly number[])[], message: string];

const A = csrShape(3, 4, 5);
const q = [1, 5, 6], v = [1, 5, 4], beta = [1, 5, 2], s0 = [1, 2, 3, 2];
const cases: Case[] = [
  ['add', {}, [[2, 5], [2, 4]], 'input 1 has shape [2,4] but input 0 has [2,5]'],
  ['add', { n: 3 }, [[2, 5], [2, 5], [5, 2]], 'input 2 has shape [5,2] but input 0 has [2,5]'],
  ['permute', { perm: [0, 0] }, [[1], [2]], 'is not a permutation of 0..1'],
  ['permute', { perm: [1, 2] }, [[1], [2]], 'is not a permutation of 0..1'],
  ['reshape', { shape: [3, 3] }, [[2, 5]], 'cannot reshape [2,5] to [3,3]'],
  ['linear', { out: 2 }, [[]], 'linear input needs rank ≥ 1, got []'],
  ['softmax', {}, [[]], 'softmax input needs rank ≥ 1, got []'],
  ['layernorm', {}, [[]], 'layernorm input needs rank ≥ 1, got []'],
  ['rmsnorm', {}, [[]], 'rmsnorm input needs rank ≥ 1, got []'],
  ['mse', {}, [[2, 3], [3, 2]], 'input 1 has shape [3,2] but input 0 has [2,3]'],
  ['softmax_xent', {}, [[], []], 'logits needs rank ≥ 1, got []'],
  ['softmax_xent', {}, [[2, 3], [3]], 'labels must have shape [2] (logits without the class axis), got [3]'],
  ['softmax_xent', {}, [[2, 4, 3], [2, 3]], 'labels must have shape [2,4] (logits without the class axis), got [2,3]'],
  // attention
  ['attention', { heads: 1, dk: 1, dv: 1 }, [[2, 3], [2, 3]], 'expects 1 input(s) (x), got 2'],
  ['attention', { heads: 1, dk: 1, dv: 1, cross: true, mask: true }, [[2, 3]], 'expects 3 input(s) (xq, xkv, mask), got 1'],
  ['attention', { heads: 1, dk: 1, dv: 1, mask: true }, [[2, 3]], 'expects 2 input(s) (x, mask), got 1'],
  ['attention', { heads: 1, dk: 1, dv: 1 }, [[5]], 'input x needs rank ≥ 2 ([..., T, d]), got [5]'],
  ['attention', { heads: 1, dk: 1, dv: 1, cross: true }, [[5], [2, 3]], 'input xq needs rank ≥ 2 ([..., T, d]), got [5]'],
  ['attention', { heads: 1, dk: 1, dv: 1, cross: true }, [[2, 3], [5]], 'input xkv needs rank ≥ 2 ([..., T, d]), got [5]'],
  ['attention', { heads: 1, dk: 1, dv: 1, cross: true }, [[2, 3, 4], [3, 5, 6]], 'batch dimensions of xq [2,3,4] and xkv [3,5,6] differ'],
  ['attention', { heads: 1, dk: 1, dv: 1, cross: true, mask: true }, [[2, 3, 4], [2, 5, 6], [2, 4]], 'mask must have shape [2,5] (batch dims, key length), got [2,4]'],
  ['attention', { heads: 1, dk: 1, dv: 1, mask: true }, [[2, 3, 4], [2, 2]], 'mask must have shape [2,3] (batch dims, key length), got [2,2]'],
  ['attention', { heads: 1, param: 'W', dk: 2, dv: 1 }, [[3, 4]], "attribute 'dk' is not used with param 'W' (W_h is [dkv, dq]); remove it"],
  ['attention', { heads: 1, dv: 1 }, [[3, 4]], "attribute 'dk' (key/query width per head) is required with param 'KQ'"],
  ['attention', { heads: 1, dk: 2 }, [[3, 4]], "attribute 'dv' (value width per head) is required unless values is false"],
  ['attention', { heads: 1, dk: 2, values: false, dv: 3 }, [[3, 4]], "attribute 'dv' = 3 must equal the key/value width 4 when values is false"],
  ['attention', { heads: 1, dk: 1, dv: 1, cross: true, causal: true }, [[3, 4], [5, 4]], 'causal attention needs equal query and key lengths, got Tq=3, Tk=5'],
  ['attention', { heads: 1, dk: 1, dv: 1, scale: Infinity }, [[3, 4]], "attribute 'scale' must be a finite number, got Infinity"],
  // delta rule: q, k [1, 5, 6], v [1, 5, 4], beta [1, 5, 2], S0 [1, 2, 3, 2] with 2 heads
  ['delta_rule', { heads: 2 }, [[5, 6], q, v, beta, s0], 'q must be [B, T, features], got [5,6]'],
  ['delta_rule', { heads: 2 }, [q, [5, 6], v, beta, s0], 'k must be [B, T, features], got [5,6]'],
  ['delta_rule', { heads: 2 }, [q, q, [5, 4], beta, s0], 'v must be [B, T, features], got [5,4]'],
  ['delta_rule', { heads: 2 }, [q, q, v, [5, 2], s0], 'beta must be [B, T, heads], got [5,2]'],
  ['delta_rule', { heads: 2 }, [q, [1, 4, 6], v, beta, s0], 'k has batch/time [1,4] but q has [1,5]'],
  ['delta_rule', { heads: 2 }, [q, q, [2, 5, 4], beta, s0], 'v has batch/time [2,5] but q has [1,5]'],
  ['delta_rule', { heads: 2 }, [q, q, v, [1, 4, 2], s0], 'beta has batch/time [1,4] but q has [1,5]'],
  ['delta_rule', { heads: 2 }, [q, [1, 5, 4], v, beta, s0], 'k has 4 features but q has 6'],
  ['delta_rule', { heads: 4 }, [q, q, v, [1, 5, 4], [1, 4, 1, 1]], 'q/k features 6 are not divisible by heads=4'],
  ['delta_rule', { heads: 2 }, [q, q, [1, 5, 5], beta, s0], 'v features 5 are not divisible by heads=2'],
  ['delta_rule', { heads: 2 }, [q, q, v, [1, 5, 3], s0], 'beta must have heads=2 entries per step, got 3'],
  ['delta_rule', { heads: 2 }, [q, q, v, beta, [1, 2, 2, 3]], 'initial state must be [1,2,3,2], got [1,2,2,3]'],
  ['delta_rule', { heads: 2 }, [q, q, v, beta, [1, 2, 3]], 'initial state must be [1,2,3,2], got [1,2,3]'],
  ['last_position', {}, [[2, 5]], 'last_position input needs rank ≥ 3, got [2,5]'],
  ['last_position', {}, [[1, 2, 5, 3]], 'last_position input must be [B, T, D], got [1,2,5,3]'],
  // outer memory
  ['outer_memory', { heads: 2 }, [q, q, [5, 4], s0], 'v must be [B, T, features], got [5,4]'],
  ['outer_memory', { heads: 2 }, [[1, 0, 6], [1, 0, 6], [1, 0, 4], s0], 'q must have at least one step, got [1,0,6]'],
  ['outer_memory', { heads: 2 }, [q, [1, 4, 6], v, s0], 'k has batch/time [1,4] but q has [1,5]'],
  ['outer_memory', { heads: 2 }, [q, q, [2, 5, 4], s0], 'v has batch/time [2,5] but q has [1,5]'],
  ['outer_memory', { heads: 2 }, [q, [1, 5, 4], v, s0], 'k has 4 features but q has 6'],
  ['outer_memory', { heads: 4 }, [q, q, v, s0], 'q/k features 6 are not divisible by heads=4'],
  ['outer_memory', { heads: 2 }, [q, q, [1, 5, 5], s0], 'v features 5 are not divisible by heads=2'],
  ['outer_memory', { heads: 2 }, [q, q, v, [1, 2, 2, 3]], 'initial memory must be [1,2,3,2], got [1,2,2,3]'],
  ['outer_memory', { heads: 2 }, [q, q, v, [1, 2, 3]], 'initial memory must be [1,2,3,2], got [1,2,3]'],
  ['outer_memory', { heads: 2 }, [q, q, v, [1, 2, 3, 2, 1]], 'initial memory must be [1,2,3,2], got [1,2,3,2,1]'],
  // top-k write: q [1, 4, 6], k [1, 5, 6], v [1, 5, 4]
  ['topk_write', { heads: 2, k: 2 }, [[1, 4, 6], [5, 6], v], 'k must be [B, rows, features], got [5,6]'],
  ['topk_write', { heads: 2, k: 2 }, [[1, 4, 6], [2, 5, 6], v], 'k and v must have batch 1, got [2,5,6] and [1,5,4]'],
  ['topk_write', { heads: 2, k: 2 }, [[1, 4, 6], [1, 5, 6], [2, 5, 4]], 'k and v must have batch 1, got [1,5,6] and [2,5,4]'],
  ['topk_write', { heads: 2, k: 2 }, [[1, 4, 6], [1, 5, 6], [1, 4, 4]], 'k has 5 keys but v has 4 values'],
  ['topk_write', { heads: 2, k: 2 }, [[1, 4, 6], [1, 5, 4], v], 'k has 4 features but q has 6'],
  ['topk_write', { heads: 4, k: 2 }, [[1, 4, 6], [1, 5, 6], v], 'q/k features 6 are not divisible by heads=4'],
  ['topk_write', { heads: 2, k: 2 }, [[1, 4, 6], [1, 5, 6], [1, 5, 5]], 'v features 5 are not divisible by heads=2'],
  // pooling
  ['outer_product', {}, [[], [2, 3]], 'outer_product: input x needs rank ≥ 1, got []'],
  ['outer_product', {}, [[2, 3], []], 'outer_product: input y needs rank ≥ 1, got []'],
  ['outer_product', {}, [[2, 3], [3, 4]], 'outer_product: inputs x [2,3] and y [3,4] must agree on all but the last axis'],
  ['signed_sqrt_l2', {}, [[]], 'signed_sqrt_l2: input needs rank ≥ 1, got []'],
  ['mcb', { d: 8 }, [[2, 3], [2, 4]], 'mcb: give exactly one of attributes seed or hashes'],
  ['mcb', { d: 8, seed: 1, hashes: { h1: [0, 1, 2], s1: [1, 1, 1], h2: [0, 1, 2, 3], s2: [1, 1, 1, 1] } }, [[2, 3], [2, 4]], 'mcb: give exactly one of attributes seed or hashes'],
  ['mcb', { d: 8, hashes: { h1: [0, 1], s1: [1, 1, 1], h2: [0, 1, 2, 3], s2: [1, 1, 1, 1] } }, [[2, 3], [2, 4]], 'mcb: attribute hashes.h1 has length 2, expected 3 (the width of x)'],
  ['mcb', { d: 8, hashes: { h1: [0, 1, 2], s1: [1, 1], h2: [0, 1, 2, 3], s2: [1, 1, 1, 1] } }, [[2, 3], [2, 4]], 'mcb: attribute hashes.s1 has length 2, expected 3 (the width of x)'],
  ['mcb', { d: 8, hashes: { h1: [0, 1, 2], s1: [1, 1, 1], h2: [0, 1, 2], s2: [1, 1, 1, 1] } }, [[2, 3], [2, 4]], 'mcb: attribute hashes.h2 has length 3, expected 4 (the width of y)'],
  ['mcb', { d: 8, hashes: { h1: [0, 1, 2], s1: [1, 1, 1], h2: [0, 1, 2, 3], s2: [1, 1, 1] } }, [[2, 3], [2, 4]], 'mcb: attribute hashes.s2 has length 3, expected 4 (the width of y)'],
  ['mcb', { d: 8, hashes: { h1: [0, 8, 2], s1: [1, 1, 1], h2: [0, 1, 2, 3], s2: [1, 1, 1, 1] } }, [[2, 3], [2, 4]], 'mcb: attribute hashes.h1 has a bucket outside [0, 8)'],
  ['mcb', { d: 8, hashes: { h1: [0, 7, 2], s1: [1, 1, 1], h2: [0, -1, 2, 3], s2: [1, 1, 1, 1] } }, [[2, 3], [2, 4]], 'mcb: attribute hashes.h2 has a bucket outside [0, 8)'],
  ['mcb', { d: 8, hashes: { h1: [0, 7, 2], s1: [1, 0, 1], h2: [0, 1, 2, 3], s2: [1, 1, 1, 1] } }, [[2, 3], [2, 4]], 'mcb: attribute hashes.s1 must hold only +1 and −1'],
  ['mcb', { d: 8, hashes: { h1: [0, 7, 2], s1: [1, -1, 1], h2: [0, 1, 2, 3], s2: [1, 1, 2, 1] } }, [[2, 3], [2, 4]], 'mcb: attribute hashes.s2 must hold only +1 and −1'],
  ['mcb', { d: 8, seed: 1 }, [[2, 3], [3, 4]], 'mcb: inputs x [2,3] and y [3,4] must agree on all but the last axis'],
  ['bilinear', { out: 6, blocks: 2 }, [[2, 3], [2, 4]], 'bilinear: x width 3 is not divisible by attribute blocks = 2'],
  ['bilinear', { out: 6, blocks: 2 }, [[2, 4], [2, 3]], 'bilinear: y width 3 is not divisible by attribute blocks = 2'],
  ['bilinear', { out: 5, blocks: 2 }, [[2, 4], [2, 2]], 'bilinear: attribute out 5 is not divisible by attribute blocks = 2'],
  ['bilinear', { out: 4 }, [[2, 4], [3, 2]], 'bilinear: inputs x [2,4] and y [3,2] must agree on all but the last axis'],
  ['hadamard', {}, [[2, 3], [2, 4]], 'hadamard: inputs must have the same shape, got [2,3] and [2,4]'],
  ['sum_pool', { k: 2 }, [[]], 'sum_pool: input needs rank ≥ 1, got []'],
  ['sum_pool', { k: 2 }, [[3, 5]], 'sum_pool: last axis 5 is not divisible by attribute k = 2'],
  ['concat_last', {}, [[2, 3], []], 'concat_last: input 1 needs rank ≥ 1, got []'],
  ['concat_last', { n: 3 }, [[2, 3], [2, 1], [3, 4]], 'concat_last: input 2 [3,4] and input 0 [2,3] must agree on all but the last axis'],
  // sparse
  ['spgemm', {}, [[3, 4], A], 'input 0 (A) must be a sparse (CSR) wire, got [3,4]'],
  ['spgemm', {}, [A, [4, 2]], 'input 1 (B) must be a sparse (CSR) wire, got [4,2]'],
  ['spgemm', {}, [A], 'input 1 (B) must be a sparse (CSR) wire, got nothing'],
  ['spgemm', {}, [A, csrShape(5, 6, 2)], 'A is 3 × 4 but B is 5 × 6: inner dimensions differ'],
  ['spmm', {}, [[3, 4], [4, 2]], 'input 0 (A) must be a sparse (CSR) wire, got [3,4]'],
  ['spmm', {}, [A, A], 'input 1 (X) must be a dense matrix [rows, cols], got csr[3,4;nnz≤5]'],
  ['spmm', {}, [A, [4, 2, 1]], 'input 1 (X) must be a dense matrix [rows, cols], got [4,2,1]'],
  ['spmm', {}, [A], 'input 1 (X) must be a dense matrix [rows, cols], got nothing'],
  ['spmm', {}, [A, [5, 2]], 'A is 3 × 4 but X is [5,2]: X needs 4 rows'],
  ['sddmm', {}, [[3, 4], [3, 2], [4, 2]], 'input 0 (S) must be a sparse (CSR) wire, got [3,4]'],
  ['sddmm', {}, [A, [3], [4, 2]], 'input 1 (X) must be a dense matrix [rows, cols], got [3]'],
  ['sddmm', {}, [A, [3, 2], [4, 2, 1]], 'input 2 (Y) must be a dense matrix [rows, cols], got [4,2,1]'],
  ['sddmm', {}, [A, [2, 2], [4, 2]], 'S is 3 × 4, so X must be [3, d] and Y [4, d] with one d; got X [2,2], Y [4,2]'],
  ['sddmm', {}, [A, [3, 2], [3, 2]], 'S is 3 × 4, so X must be [3, d] and Y [4, d] with one d; got X [3,2], Y [3,2]'],
  ['sddmm', {}, [A, [3, 2], [4, 3]], 'S is 3 × 4, so X must be [3, d] and Y [4, d] with one d; got X [3,2], Y [4,3]'],
  // group layers
  ['group_lift', { out: 2 }, [[3, 4], [6, 4, 4]], 'group_lift: input 0 (points) must be [B, N, d], got [3,4]'],
  ['group_lift', { out: 2 }, [[2, 3, 4], [6, 4]], 'group_lift: input 1 (group samples) must be [K, 4, 4] to act on points of dimension 4, got [6,4]'],
  ['group_lift', { out: 2 }, [[2, 3, 4], [6, 3, 4]], 'group_lift: input 1 (group samples) must be [K, 4, 4] to act on points of dimension 4, got [6,3,4]'],
  ['group_lift', { out: 2 }, [[2, 3, 4], [6, 4, 3]], 'group_lift: input 1 (group samples) must be [K, 4, 4] to act on points of dimension 4, got [6,4,3]'],
  ['group_lift', { out: 2 }, [[2, 3, 4], [6, 4, 4, 1]], 'group_lift: input 1 (group samples) must be [K, 4, 4] to act on points of dimension 4, got [6,4,4,1]'],
  ['group_conv', {}, [[3, 4], [3, 3, 4, 5]], 'group_conv: input 0 (features on the samples) must be [B, K, C], got [3,4]'],
  ['group_conv', {}, [[2, 3, 4], [3, 3, 4]], 'group_conv: input 1 (kernel values) must be [3, 3, 4, D] for features [2,3,4], got [3,3,4]'],
  ['group_conv', {}, [[2, 3, 4], [2, 3, 4, 5]], 'got [2,3,4,5]'],
  ['group_conv', {}, [[2, 3, 4], [3, 2, 4, 5]], 'got [3,2,4,5]'],
  ['group_conv', {}, [[2, 3, 4], [3, 3, 3, 5]], 'got [3,3,3,5]'],
  ['axis_pool', { axis: 3, op: 'mean' }, [[2, 3, 4]], 'axis_pool: axis 3 is out of range for an input of rank 3 [2,3,4]'],
  ['axis_pool', { axis: -4, op: 'max' }, [[2, 3, 4]], 'axis_pool: axis -4 is out of range for an input of rank 3 [2,3,4]'],
  ['axis_pool', { axis: -1, op: 'max' }, [[2, 0]], 'axis_pool: axis -1 of [2,0] is empty'],
  // tensor products
  ['tensor_product', { l1: 1, l2: 1, lout: 3 }, [[2, 4], [2, 4]], 'tensor_product: lout 3 exceeds l1 + l2 = 2 (the product has no higher degrees)'],
  ['tensor_product', { l1: 1, l2: 1 }, [[4], [2, 4]], 'tensor_product: x1 needs shape [..., C, (l1+1)²], got [4]'],
  ['tensor_product', { l1: 1, l2: 1 }, [[2, 4], [4]], 'tensor_product: x2 needs shape [..., C, (l2+1)²], got [4]'],
  ['tensor_product', { l1: 1, l2: 2 }, [[2, 9], [2, 9]], "tensor_product: x1's last axis must be (l1+1)² = 4 for l1 = 1, got [2,9]"],
  ['tensor_product', { l1: 1, l2: 2 }, [[2, 4], [2, 4]], "tensor_product: x2's last axis must be (l2+1)² = 9 for l2 = 2, got [2,4]"],
  ['tensor_product', { l1: 1, l2: 1 }, [[2, 3, 4], [3, 3, 4]], 'tensor_product: x1 [2,3,4] and x2 [3,3,4] must agree on every axis but the last'],
  ['tensor_product', { l1: 10, l2: 10, lout: 20 }, [[2, 121], [2, 121]], "coupling coefficients per channel, more than the dense product's limit of 1048576 (it grows as L⁶); use gaunt_tensor_product"],
  ['gaunt_tensor_product', { l1: 1, l2: 1, lout: 3 }, [[2, 4], [2, 4]], 'gaunt_tensor_product: lout 3 exceeds l1 + l2 = 2'],
  ['gaunt_tensor_product', { l1: 1, l2: 1 }, [[2, 4], [2, 3, 4]], 'gaunt_tensor_product: x1 [2,4] and x2 [2,3,4] must agree on every axis but the last'],
];

describe('every shape rule refusal names what is wrong', () => {
  for (const [name, attrs, inputs, message] of cases)
    it(`${name} ${JSON.stringify(attrs)} on ${JSON.stringify(inputs)}`, () => {
      const r = lookupPrimitive(name)!.shape(attrs, inputs);
      expect(E.isLeft(r) ? r.left : 'accepted').toContain(message);
    });

  it('tensor_product names the coefficient count of degrees 10, 10 → 20 and accepts 8, 8 → 16', () => {
    const r = lookupPrimitive('tensor_product')!.shape({ l1: 10, l2: 10, lout: 20 }, [[2, 121], [2, 121]]);
    expect(E.isLeft(r) && r.left).toMatch(/^tensor_product: degrees l1 = 10, l2 = 10, lout = 20 need \d+ coupling/);
    expect(E.isRight(lookupPrimitive('tensor_product')!.shape({ l1: 8, l2: 8, lout: 16 }, [[2, 81], [2, 81]]))).toBe(true);
  });

  it('attention resolves its defaults: out = dq, scale 1/√dk (KQ) or 1 (W), block min(64, Tk), values and projection on', () => {
    const kq = attentionDims({ heads: 2, dk: 4, dv: 3 }, [[2, 5, 6]]);
    if (typeof kq === 'string') throw new Error(kq);
    expect({ out: kq.out, scale: kq.scale, block: kq.block, values: kq.values, project: kq.project, causal: kq.causal, B: kq.B, dkey: kq.dkey, dv: kq.dv }).toEqual({
      out: 6, scale: 0.5, block: 5, values: true, project: true, causal: false, B: 2, dkey: 4, dv: 3,
    });
    const w = attentionDims({ heads: 1, param: 'W', values: false, project: false, causal: true, block: 2 }, [[3, 7, 6]]);
    if (typeof w === 'string') throw new Error(w);
    expect({ scale: w.scale, block: w.block, values: w.values, project: w.project, causal: w.causal, dkey: w.dkey, dv: w.dv, combined: w.combined }).toEqual({
      scale: 1, block: 2, values: false, project: false, causal: true, dkey: 6, dv: 6, combined: true,
    });
    const many = attentionDims({ heads: 1, dk: 1, dv: 1, block: 200 }, [[100, 6]]);
    expect(typeof many !== 'string' && many.block).toBe(100);
    const given = attentionDims({ heads: 1, dk: 4, scale: 0.3, out: 2, values: false, dv: 6 }, [[3, 6]]);
    expect(typeof given !== 'string' && [given.scale, given.out, given.dv]).toEqual([0.3, 2, 6]);
  });
});
