import { describe, expect, it } from 'vitest';
import * as E from 'fp-ts/lib/Either.js';
import { lookupPrimitive } from '../src/index';
import { fftFlops } from '../src/prims/pooling';
import { csrShape, sizeOf } from '../src/tensor/shape';

/**
 * Every primitive's cost on a small shape, worked out by hand from the counts its documentation
 * states (multiply-adds as 2 flops, and so on): the planner ranks plans by these numbers, and before
 * this only the memory laws pinned the residual sizes, so a cost formula could drift unseen. Each case
 * also checks that the parameter count equals the parameter shapes the shape rule gives.
 */
type Shapes = readonly (readonly number[])[];
type Case = [name: string, attrs: Record<string, unknown>, inputs: Shapes, variant: string, cost: [fwd: number, bwd: number, residual: number, params: number], out?: Shapes];

const A = csrShape(3, 4, 5); // 3 × 4, 5 stored: 4 + 2·5 = 14 elements
const cases: Case[] = [
  // structural: copy's backward adds n − 1 gradients, add's forward n − 1 sums.
  ['id', { n: 2 }, [[2, 5], [3]], 'none', [0, 0, 0, 0], [[2, 5], [3]]],
  ['copy', {}, [[2, 5]], 'none', [0, 10, 0, 0], [[2, 5], [2, 5]]],
  ['copy', { n: 3 }, [[2, 5]], 'none', [0, 20, 0, 0], [[2, 5], [2, 5], [2, 5]]],
  ['add', {}, [[2, 5], [2, 5]], 'none', [10, 0, 0, 0], [[2, 5]]],
  ['add', { n: 3 }, [[2, 5], [2, 5], [2, 5]], 'none', [20, 0, 0, 0], [[2, 5]]],
  ['permute', { perm: [1, 0] }, [[2], [3]], 'none', [0, 0, 0, 0], [[3], [2]]],
  ['reshape', { shape: [5, 2] }, [[2, 5]], 'none', [0, 0, 0, 0], [[5, 2]]],
  // linear [2, 3] → 4: 24 multiply-adds; keeps x; w 3·4 and b 4.
  ['linear', { out: 4 }, [[2, 3]], 'input', [48, 96, 6, 16], [[2, 4]]],
  ['linear', { out: 4, bias: false }, [[2, 3]], 'input', [48, 96, 6, 12], [[2, 4]]],
  ['embedding', { vocab: 7, dim: 4 }, [[2, 3]], 'input', [0, 24, 6, 28], [[2, 3, 4]]],
  ['relu', {}, [[2, 3]], 'input', [6, 12, 6, 0]],
  ['gelu', {}, [[2, 3]], 'input', [72, 78, 6, 0]],
  ['tanh', {}, [[2, 3]], 'input', [36, 42, 6, 0]],
  ['sigmoid', {}, [[2, 3]], 'input', [30, 36, 6, 0]],
  ['silu', {}, [[2, 3]], 'input', [36, 42, 6, 0]],
  ['softmax', {}, [[2, 3]], 'output', [30, 24, 6, 0]],
  // norms keep the normalised rows and one statistic per row (2 rows).
  ['layernorm', {}, [[2, 3]], 'normalised', [48, 72, 8, 6]],
  ['rmsnorm', {}, [[2, 3]], 'input', [24, 48, 8, 3]],
  ['mse', {}, [[2, 3], [2, 3]], 'difference', [18, 12, 6, 0], [[]]],
  ['softmax_xent', {}, [[2, 3], [2]], 'probabilities', [36, 12, 8, 0], [[]]],
  // attention, heads 2, dk 3, dv 4, x [1, 5, 6]: projections 2·5·6·6 (q) + same (k) + 2·5·6·8 (v) + 2·5·8·6 (o) =
  // 1680; 50 (query, key) pairs at 2·3 + 2·4 + 5 = 19 flops, plus 2 per probability kept; backward 2·1680 + 50·31.
  ['attention', { heads: 2, dk: 3, dv: 4 }, [[1, 5, 6]], 'probs', [2730, 4910, 220, 168], [[1, 5, 6]]],
  // 'lse': no probabilities (2·50 fewer forward flops, 50 fewer residual, + lse 10), recomputes 50·(2·3 + 3) in backward.
  ['attention', { heads: 2, dk: 3, dv: 4 }, [[1, 5, 6]], 'lse', [2630, 5360, 180, 168]],
  // causal: 1 + 2 + … + 5 = 15 pairs per head.
  ['attention', { heads: 2, dk: 3, dv: 4, causal: true }, [[1, 5, 6]], 'lse', [2250, 4560, 180, 168]],
  // W form, cross, masked, no value or output projection: xq [1, 3, 4], xkv [1, 5, 6]; dkey = dv = 6; q = xq·W is 2·3·4·12.
  ['attention', { heads: 2, param: 'W', cross: true, mask: true, values: false, project: false }, [[1, 3, 4], [1, 5, 6], [1, 5]], 'probs', [1218, 2106, 149, 48], [[1, 3, 12]]],
  ['attention', { heads: 2, dk: 3, dv: 4, out: 7 }, [[1, 5, 6]], 'lse', [2630 + 80, 5360 + 160, 180, 168 + 8], [[1, 5, 7]]],
  // delta rule, heads 2: q, k [1, 5, 6] (dk 3), v [1, 5, 4] (dv 2). Normalising 5·2·(6·3 + 10) = 280; 6·dk·dv per step and head.
  ['delta_rule', { heads: 2 }, [[1, 5, 6], [1, 5, 6], [1, 5, 4], [1, 5, 2], [1, 2, 3, 2]], 'all-states', [640, 1000, 170, 0], [[1, 5, 4], [1, 2, 3, 2]]],
  ['delta_rule', { heads: 2, chunk: 2 }, [[1, 5, 6], [1, 5, 6], [1, 5, 4], [1, 5, 2], [1, 2, 3, 2]], 'chunk-states', [640, 1360, 146, 0]],
  ['delta_rule', { heads: 2 }, [[1, 5, 6], [1, 5, 6], [1, 5, 4], [1, 5, 2], [1, 2, 3, 2]], 'none', [640, 1360, 122, 0]],
  // chunkwise, chunk 2: two full chunks and one of 1 row, c²(2dk + 2dv) + c²dk + 6c·dk·dv = 124 and 49.
  ['delta_rule', { heads: 2, algorithm: 'chunkwise', chunk: 2 }, [[1, 5, 6], [1, 5, 6], [1, 5, 4], [1, 5, 2], [1, 2, 3, 2]], 'all-states', [874, 1468, 170, 0]],
  ['delta_rule', { heads: 2, algorithm: 'chunkwise', chunk: 5 }, [[1, 5, 6], [1, 5, 6], [1, 5, 4], [1, 5, 2], [1, 2, 3, 2]], 'all-states', [1290, 2300, 170, 0]],
  ['last_position', {}, [[2, 5, 3]], 'none', [0, 30, 0, 0], [[2, 3]]],
  // outer memory, same sizes: 4·dk·dv per step and head forward; backward (8 + 2·updates)·dk·dv.
  ['outer_memory', { heads: 2 }, [[1, 5, 6], [1, 5, 6], [1, 5, 4], [1, 2, 3, 2]], 'all-states', [240, 600, 140, 0], [[1, 5, 4], [1, 2, 3, 2]]],
  ['outer_memory', { heads: 2 }, [[1, 5, 6], [1, 5, 6], [1, 5, 4], [1, 2, 3, 2]], 'chunk-states', [240, 720, 92, 0]],
  ['outer_memory', { heads: 2, chunk: 2 }, [[1, 5, 6], [1, 5, 6], [1, 5, 4], [1, 2, 3, 2]], 'chunk-states', [240, 720, 116, 0]],
  ['outer_memory', { heads: 2 }, [[1, 5, 6], [1, 5, 6], [1, 5, 4], [1, 2, 3, 2]], 'none', [240, 840, 92, 0]],
  // top-k write, heads 2, k 3: q [1, 4, 6], k [1, 5, 6], v [1, 5, 4]; keeps q, k, v and 2·4·3 indices and weights per head.
  ['topk_write', { heads: 2, k: 3 }, [[1, 4, 6], [1, 5, 6], [1, 5, 4]], 'selected', [456, 480, 122, 0], [[1, 4, 4]]],
  ['topk_write', { heads: 2, k: 9 }, [[1, 4, 6], [1, 5, 6], [1, 5, 4]], 'selected', [600, 800, 154, 0]],
  // pooling
  ['outer_product', {}, [[2, 3], [2, 4]], 'input', [24, 96, 14, 0], [[2, 12]]],
  ['signed_sqrt_l2', {}, [[2, 3]], 'normalised', [36, 48, 8, 0]],
  // mcb d 8 (FFT 5·8·3 = 120): sketch 14, per row 2·120 + 10·8; backward per row 2·120 + 14·8, + 120 + 4·8 re-transforming, + 14 re-sketching.
  ['mcb', { d: 8, seed: 1 }, [[2, 3], [2, 4]], 'spectra', [654, 718, 40, 0], [[2, 8]]],
  ['mcb', { d: 8, seed: 1 }, [[2, 3], [2, 4]], 'sketch', [654, 1022, 32, 0]],
  ['mcb', { d: 8, seed: 1 }, [[2, 3], [2, 4]], 'input', [654, 1036, 14, 0]],
  // bilinear out 6 in 2 blocks: x [2, 4], y [2, 2] → cores [2, 2, 1, 3], 24 multiply-adds plus 8 products x_i y_j.
  ['bilinear', { out: 6, blocks: 2 }, [[2, 4], [2, 2]], 'input', [56, 128, 12, 12], [[2, 6]]],
  ['bilinear', { out: 6 }, [[2, 4], [2, 2]], 'input', [2 * 96 + 16, 4 * 96 + 64, 12, 48]],
  ['hadamard', {}, [[2, 3], [2, 3]], 'input', [6, 12, 12, 0]],
  ['sum_pool', { k: 3 }, [[2, 6]], 'none', [12, 12, 0, 0], [[2, 2]]],
  ['concat_last', {}, [[2, 3], [2, 4]], 'none', [0, 0, 0, 0], [[2, 7]]],
  ['concat_last', { n: 3 }, [[2, 3], [2, 4], [2, 1]], 'none', [0, 0, 0, 0], [[2, 8]]],
  // sparse: A 3 × 4 with 5 stored, B 4 × 6 with 7: 5·min(6, 7) = 30 partial products; C's bound min(18, 30, 7·3) = 18.
  ['spgemm', {}, [A, csrShape(4, 6, 7)], 'inner', [60, 150, 33, 0], [csrShape(3, 6, 18)]],
  ['spgemm', {}, [A, csrShape(4, 6, 7)], 'outer:keep', [60, 120, 33 + 4 + 18, 0]],
  ['spgemm', { nnz: 10 }, [A, csrShape(4, 6, 7)], 'rowwise-hash:keep', [60, 120, 33 + 4 + 10, 0], [csrShape(3, 6, 10)]],
  // B 4 × 6 with 3 stored: 5·3 = 15 products; bound min(18, 15, 3·3) = 9.
  ['spgemm', {}, [A, csrShape(4, 6, 3)], 'inner:keep', [30, 60, 14 + 11 + 4 + 9, 0], [csrShape(3, 6, 9)]],
  ['spmm', {}, [A, [4, 2]], 'none', [20, 40, 22, 0], [[3, 2]]],
  ['sddmm', {}, [A, [3, 2], [4, 2]], 'none', [20, 60, 28, 0], [A]],
  // group layers: x [2, 3, 4], 6 samples, out 5: transforming 2·2·6·3·4² = 1152, the linear map 2·2·6·3·4·5 = 1440.
  ['group_lift', { out: 5 }, [[2, 3, 4], [6, 4, 4]], 'input', [2592, 5184, 120, 25], [[2, 6, 3, 5]]],
  ['group_lift', { out: 5 }, [[2, 3, 4], [6, 4, 4]], 'points', [2592, 4032, 240, 25]],
  ['group_conv', {}, [[2, 3, 4], [3, 3, 4, 5]], 'input', [720, 1440, 204, 0], [[2, 3, 5]]],
  ['axis_pool', { axis: -2, op: 'max' }, [[2, 3, 4]], 'kept', [24, 24, 8, 0], [[2, 4]]],
  ['axis_pool', { axis: 0, op: 'max' }, [[2, 3, 4]], 'kept', [24, 24, 12, 0], [[3, 4]]],
  ['axis_pool', { axis: 2, op: 'mean' }, [[2, 3, 4]], 'kept', [24, 24, 0, 0], [[2, 3]]],
  // tensor products, l1 = l2 = 1 (lout 2 by default), x [2, 3, 4]: 6 rows of one channel each, C = 3.
  // Dense CG: 6 paths, 100 multiply-adds (test/products.test.ts counts them); Gaunt coupling: 5 paths, 73.
  ['tensor_product', { l1: 1, l2: 1 }, [[2, 3, 4], [2, 3, 4]], 'inputs', [1200, 3600, 48, 18], [[2, 3, 9]]],
  ['tensor_product', { l1: 1, l2: 1, weights: 'degree' }, [[2, 3, 4], [2, 3, 4]], 'inputs', [1200, 3600, 48, 21]],
  ['tensor_product', { l1: 1, l2: 1, weights: 'none', coupling: 'gaunt' }, [[2, 3, 4], [2, 3, 4]], 'inputs', [876, 2628, 48, 0]],
  ['tensor_product', { l1: 1, l2: 1, lout: 1 }, [[2, 3, 4], [2, 3, 4]], 'inputs', [660, 1980, 48, 15], [[2, 3, 4]]],
  // Gaunt: 5372 forward and 9236 backward flops per row (test/products.test.ts works them out); 'inputs' recomputes
  // the forward in backward; 'grids' keeps both grids (2·6·(9 + 9)) and, with degree weights, b (6·9).
  ['gaunt_tensor_product', { l1: 1, l2: 1, lout: 2 }, [[2, 3, 4], [2, 3, 4]], 'inputs', [32232, 87648, 48, 21], [[2, 3, 9]]],
  ['gaunt_tensor_product', { l1: 1, l2: 1, lout: 2 }, [[2, 3, 4], [2, 3, 4]], 'grids', [32232, 55416, 318, 21]],
  ['gaunt_tensor_product', { l1: 1, l2: 1, weights: 'none' }, [[2, 3, 4], [2, 3, 4]], 'grids', [32232, 55416, 264, 0]],
  // Batch 2 (terms that multiply by B), rank-3 and rank-1 inputs (rules that cut the last axis off).
  ['attention', { heads: 2, dk: 3, dv: 4 }, [[2, 5, 6]], 'probs', [5460, 9820, 440, 168], [[2, 5, 6]]],
  ['topk_write', { heads: 2, k: 3 }, [[2, 4, 6], [2, 5, 6], [2, 5, 4]], 'selected', [912, 960, 244, 0], [[2, 4, 4]]],
  // 'none' keeps one state whatever the chunk (chunk 2 would keep 3).
  ['delta_rule', { heads: 2, chunk: 2 }, [[1, 5, 6], [1, 5, 6], [1, 5, 4], [1, 5, 2], [1, 2, 3, 2]], 'none', [640, 1360, 122, 0]],
  ['outer_memory', { heads: 2, chunk: 2 }, [[1, 5, 6], [1, 5, 6], [1, 5, 4], [1, 2, 3, 2]], 'none', [240, 840, 92, 0]],
  ['outer_memory', { heads: 2 }, [[1, 1, 6], [1, 1, 6], [1, 1, 4], [1, 2, 3, 2]], 'all-states', [48, 120, 28, 0], [[1, 1, 4], [1, 2, 3, 2]]],
  ['softmax_xent', {}, [[2, 4, 3], [2, 4]], 'probabilities', [144, 48, 32, 0], [[]]],
  ['outer_product', {}, [[2, 2, 3], [2, 2, 4]], 'input', [48, 192, 28, 0], [[2, 2, 12]]],
  ['outer_product', {}, [[3], [4]], 'input', [12, 48, 7, 0], [[12]]],
  ['signed_sqrt_l2', {}, [[3]], 'normalised', [18, 24, 4, 0], [[3]]],
  ['mcb', { d: 8, seed: 1 }, [[2, 2, 3], [2, 2, 4]], 'input', [1308, 2072, 28, 0], [[2, 2, 8]]],
  ['bilinear', { out: 6, blocks: 2 }, [[2, 2, 4], [2, 2, 2]], 'input', [112, 256, 24, 12], [[2, 2, 6]]],
  ['hadamard', {}, [[2, 2, 3], [2, 2, 3]], 'input', [12, 24, 24, 0], [[2, 2, 3]]],
  ['sum_pool', { k: 3 }, [[2, 2, 6]], 'none', [24, 24, 0, 0], [[2, 2, 2]]],
  ['sum_pool', { k: 2 }, [[6]], 'none', [6, 6, 0, 0], [[3]]],
  ['concat_last', {}, [[2, 2, 3], [2, 2, 4]], 'none', [0, 0, 0, 0], [[2, 2, 7]]],
  ['concat_last', {}, [[3], [4]], 'none', [0, 0, 0, 0], [[7]]],
  // A 3 × 4 with 1 stored, B 4 × 6 with 7: bound min(18, 1·min(6, 7), 7·min(3, 1)) = 6.
  ['spgemm', {}, [csrShape(3, 4, 1), csrShape(4, 6, 7)], 'inner', [12, 30, 25, 0], [csrShape(3, 6, 6)]],
  ['tensor_product', { l1: 1, l2: 1, coupling: 'gaunt' }, [[2, 3, 4], [2, 3, 4]], 'inputs', [876, 2628, 48, 15], [[2, 3, 9]]],
  // l1 = 2, l2 = 1, lout 3: G = 3, N = 8; slots 61 + 16 and 28·7; rows 5, 3, 7: 6276 and 10380 flops per row.
  // Grids 2·6·(25 + 9), b 6·16.
  ['gaunt_tensor_product', { l1: 2, l2: 1 }, [[2, 3, 9], [2, 3, 4]], 'grids', [37656, 62280, 78 + 408 + 96, 27], [[2, 3, 16]]],
  // The same with the degrees swapped (l2 = 2: its grid is 5 × 5).
  ['gaunt_tensor_product', { l1: 1, l2: 2 }, [[2, 3, 4], [2, 3, 9]], 'grids', [37656, 62280, 78 + 408 + 96, 27], [[2, 3, 16]]],
];

describe('primitive costs, worked out by hand', () => {
  for (const [name, attrs, inputs, variant, [fwd, bwd, res, params], out] of cases)
    it(`${name} ${JSON.stringify(attrs)} on ${JSON.stringify(inputs)} (${variant})`, () => {
      const def = lookupPrimitive(name)!;
      expect(def.variants, name).toContain(variant);
      const shapes = def.shape(attrs, inputs);
      if (E.isLeft(shapes)) throw new Error(`${name}: ${shapes.left}`);
      if (out) expect(shapes.right.outputs).toEqual(out);
      const c = def.cost(attrs, inputs, variant);
      expect({ fwdFlops: c.fwdFlops, bwdFlops: c.bwdFlops, residualElems: c.residualElems, paramElems: c.paramElems }).toEqual({
        fwdFlops: fwd,
        bwdFlops: bwd,
        residualElems: res,
        paramElems: params,
      });
      const declared = Object.values(shapes.right.params).reduce((s, p) => s + sizeOf(p), 0);
      expect(declared, `${name}: parameter shapes`).toBe(params);
    });

  it('attention on shapes its rule refuses costs nothing (the checker reports the error instead)', () => {
    const c = lookupPrimitive('attention')!.cost({ heads: 1, dk: 1, dv: 1 }, [[5]], 'probs');
    expect([c.fwdFlops, c.bwdFlops, c.residualElems, c.paramElems]).toEqual([0, 0, 0, 0]);
  });

  it('fftFlops: 0 up to length 1, 5·n·log₂n for powers of two, three padded FFTs (Bluestein) otherwise', () => {
    expect([fftFlops(0), fftFlops(1), fftFlops(2), fftFlops(8)]).toEqual([0, 0, 10, 120]);
    // n = 5: m = 16 ≥ 2·5 − 1; 3·5·16·4 + 12·5 + 6·16. n = 9: m = 32 ≥ 17 (not 16).
    expect(fftFlops(5)).toBe(960 + 60 + 96);
    expect(fftFlops(9)).toBe(3 * 5 * 32 * 5 + 12 * 9 + 6 * 32);
  });
});
