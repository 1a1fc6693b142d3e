import { describe, expect, it } from 'vitest';
import {
  embedding, gelu, layernorm, linear, mse, relu, rmsnorm, sigmoid, silu, softmax, softmaxXent, tanh,
} from '../backends/js/kernels/basic';

/**
 * The JS basic kernels called directly on small float64 tensors, against values worked out by hand or
 * closed forms written here (the law tests compare against finite differences and float32, which
 * miss defaults, messages and terms that vanish on their random cases).
 */
const t = (shape: number[], data: number[]) => ({ shape, data: Float64Array.from(data) });
const node = (attrs: Record<string, unknown>, outputs: number[][] = []) => ({ attrs, outputs, path: [], variant: 'none' }) as never;
const vals = (x: { data: ArrayLike<number> }) => [...(x.data as Float64Array)];
const close = (got: ArrayLike<number>, want: number[], tol = 1e-12) => {
  expect(got.length).toBe(want.length);
  want.forEach((w, i) => expect(Math.abs(got[i]! - w), `entry ${i}: ${got[i]} vs ${w}`).toBeLessThanOrEqual(tol));
};

describe('JS basic kernels by hand', () => {
  it('linear: y = x·w + b over two rows; dx = dy·wᵀ, dw = xᵀ·dy, db sums the rows', () => {
    const x = t([2, 2], [1, 2, 3, -1]);
    const w = t([2, 3], [1, 0, 2, 0, 1, 3]);
    const b = t([3], [1, -1, 0.5]);
    const n = node({ out: 3 }, [[2, 3]]);
    const f = linear.forward(n, { w, b }, [x]);
    expect(vals(f.outputs[0]!)).toEqual([2, 1, 8.5, 4, -2, 3.5]);
    expect(f.outputs[0]!.shape).toEqual([2, 3]);
    const dy = t([2, 3], [1, 2, 3, -1, 0, 1]);
    const g = linear.backward(n, { w, b }, f.residual, [dy]);
    expect(vals(g.dInputs[0]!)).toEqual([7, 11, 1, 3]);
    expect(vals(g.dParams.w!)).toEqual([-2, 2, 6, 3, 4, 5]);
    expect(vals(g.dParams.b!)).toEqual([0, 2, 4]);
    // Without a bias: no db, and y = x·w.
    const f2 = linear.forward(n, { w }, [x]);
    expect(vals(f2.outputs[0]!)).toEqual([1, 2, 8, 3, -1, 3]);
    expect(Object.keys(linear.backward(n, { w }, f2.residual, [dy]).dParams)).toEqual(['w']);
  });
  it('embedding: rows of the table by id; repeated ids accumulate; a bad id is an error naming it and its position', () => {
    const table = t([3, 2], [1, 2, 3, 4, 5, 6]);
    const n = node({ dim: 2, vocab: 3 }, [[3, 2]]);
    const f = embedding.forward(n, { table }, [t([3], [2, 0, 2])]);
    expect(vals(f.outputs[0]!)).toEqual([5, 6, 1, 2, 5, 6]);
    const g = embedding.backward(n, { table }, f.residual, [t([3, 2], [1, 2, 3, 4, 10, 20])]);
    expect(g.dInputs).toEqual([null]);
    expect(vals(g.dParams.table!)).toEqual([3, 4, 0, 0, 11, 22]);
    for (const bad of [3, -1, 0.5])
      expect(() => embedding.forward(n, { table }, [t([2], [0, bad])])).toThrow(
        `embedding: id ${bad} at position 1 is not an integer in [0, 3)`,
      );
    // The last valid id is fine.
    expect(vals(embedding.forward(node({ dim: 2, vocab: 3 }, [[1, 2]]), { table }, [t([1], [2])]).outputs[0]!)).toEqual([5, 6]);
  });
  it('elementwise activations and their derivatives against closed forms', () => {
    const xs = [-30, -2, -0.5, 0, 0.5, 2, 30];
    const sg = (x: number) => 1 / (1 + Math.exp(-x));
    const GC = Math.sqrt(2 / Math.PI);
    const cases: [string, typeof relu, (x: number) => number, (x: number) => number][] = [
      ['relu', relu, (x) => Math.max(x, 0), (x) => (x > 0 ? 1 : 0)],
      ['tanh', tanh, Math.tanh, (x) => 1 / Math.cosh(x) ** 2],
      ['sigmoid', sigmoid, sg, (x) => Math.exp(-x) / (1 + Math.exp(-x)) ** 2],
      ['silu', silu, (x) => x * sg(x), (x) => sg(x) + (x * Math.exp(-x)) / (1 + Math.exp(-x)) ** 2],
      [
        'gelu', gelu,
        (x) => 0.5 * x * (1 + Math.tanh(GC * (x + 0.044715 * x ** 3))),
        (x) => {
          // d/dx of 0.5·x·(1 + tanh u), u = GC·(x + 0.044715 x³): 0.5(1 + tanh u) + 0.5·x·sech²u·u'.
          const u = GC * (x + 0.044715 * x ** 3);
          return 0.5 * (1 + Math.tanh(u)) + (0.5 * x * GC * (1 + 0.134145 * x * x)) / Math.cosh(u) ** 2;
        },
      ],
    ];
    for (const [name, k, f, df] of cases) {
      const x = t([xs.length], xs);
      const out = k.forward(node({}), {}, [x]);
      close(out.outputs[0]!.data, xs.map(f), 1e-12);
      const dy = t([xs.length], xs.map((_, i) => i + 1));
      const back = k.backward(node({}), {}, out.residual, [dy]);
      close(back.dInputs[0]!.data, xs.map((v, i) => (i + 1) * df(v)), 1e-12);
      expect(back.dParams, name).toEqual({});
    }
    // sigmoid far out on both sides: no NaN, 0 and 1 to rounding.
    close(sigmoid.forward(node({}), {}, [t([2], [-800, 800])]).outputs[0]!.data, [0, 1], 0);
    // Deep in the lower tail the stable form exp(x)/(1 + exp(x)) keeps a subnormal value where
    // 1/(1 + exp(−x)) gives 0 (exp(720) overflows): sigmoid(−720) = exp(−720) to its precision.
    const tail = sigmoid.forward(node({}), {}, [t([1], [-720])]).outputs[0]!.data[0]!;
    expect(Math.abs(tail / Math.exp(-720) - 1)).toBeLessThan(1e-6);
  });
  it('softmax rows: [0, ln 2, ln 3] → [1/6, 2/6, 3/6]; huge logits do not overflow; backward y ⊙ (dy − ⟨dy, y⟩)', () => {
    const x = t([2, 3], [0, Math.log(2), Math.log(3), 1000, 1000 + Math.log(2), 1000 + Math.log(3)]);
    const f = softmax.forward(node({}), {}, [x]);
    close(f.outputs[0]!.data, [1 / 6, 2 / 6, 3 / 6, 1 / 6, 2 / 6, 3 / 6], 1e-12);
    const g = softmax.backward(node({}), {}, f.residual, [t([2, 3], [1, 0, 0, 0, 0, 6])]);
    // Row 0: dot = 1/6, dx = y ⊙ (dy − 1/6). Row 1: dot = 3, dx = y ⊙ (dy − 3).
    close(g.dInputs[0]!.data, [(1 / 6) * (5 / 6), (2 / 6) * (-1 / 6), (3 / 6) * (-1 / 6), -0.5, -1, 1.5], 1e-12);
  });
  it('layernorm: x = [1, 3] and [0, 0] with the default eps 1e-5; gradients by hand', () => {
    const g = t([2], [2, 1]);
    const b = t([2], [0.5, -0.5]);
    const x = t([2, 2], [1, 3, 0, 0]);
    const f = layernorm.forward(node({}), { g, b }, [x]);
    const rs = 1 / Math.sqrt(1 + 1e-5);
    close(f.outputs[0]!.data, [-rs * 2 + 0.5, rs - 0.5, 0.5, -0.5], 1e-15);
    const rs2 = 1 / Math.sqrt(1 + 0.01);
    close(layernorm.forward(node({ eps: 0.01 }), { g, b }, [x]).outputs[0]!.data, [-rs2 * 2 + 0.5, rs2 - 0.5, 0.5, -0.5], 1e-15);
    const back = layernorm.backward(node({}), { g, b }, f.residual, [t([2, 2], [1, 0, 1, 1])]);
    // Row 0: xhat = [−rs, rs], gh = [2, 0], s1 = 2, s2 = −2rs; dx = rs·(gh − 1 + xhat·rs) = rs·[1 − rs², −1 + rs²].
    // Row 1: xhat = 0, rstd = 1/√eps, gh = [2, 1], s1 = 3: dx = (1/√1e-5)·[0.5, −0.5].
    const r1 = 1 / Math.sqrt(1e-5);
    close(back.dInputs[0]!.data, [rs * (1 - rs * rs), rs * (-1 + rs * rs), r1 * 0.5, -r1 * 0.5], 1e-9);
    close(back.dParams.g!.data, [-rs, 0], 1e-15);
    close(back.dParams.b!.data, [2, 1], 0);
  });
  it('rmsnorm: x = [3, 4] with the default eps 1e-6; gradients by hand', () => {
    const g = t([2], [1, 2]);
    const x = t([1, 2], [3, 4]);
    const f = rmsnorm.forward(node({}), { g }, [x]);
    const r = 1 / Math.sqrt(12.5 + 1e-6);
    close(f.outputs[0]!.data, [3 * r, 8 * r], 1e-15);
    const r2 = 1 / Math.sqrt(12.5 + 0.5);
    close(rmsnorm.forward(node({ eps: 0.5 }), { g }, [x]).outputs[0]!.data, [3 * r2, 8 * r2], 1e-15);
    const back = rmsnorm.backward(node({}), { g }, f.residual, [t([1, 2], [1, -1])]);
    // dot = 1·1·3 − 1·2·4 = −5; dx_j = r·dy_j·g_j − r³·x_j·dot / 2.
    close(back.dInputs[0]!.data, [r + (r ** 3 * 3 * 5) / 2, -2 * r + (r ** 3 * 4 * 5) / 2], 1e-15);
    close(back.dParams.g!.data, [3 * r, -4 * r], 1e-15);
  });
  it('mse: mean of squared differences; da = 2·dy·diff/n, db = −da', () => {
    const f = mse.forward(node({}), {}, [t([2], [1, 2]), t([2], [0, -1])]);
    expect(vals(f.outputs[0]!)).toEqual([5]);
    expect(f.outputs[0]!.shape).toEqual([]);
    const g = mse.backward(node({}), {}, f.residual, [t([], [3])]);
    expect(vals(g.dInputs[0]!)).toEqual([3, 9]);
    expect(vals(g.dInputs[1]!)).toEqual([-3, -9]);
  });
  it('softmax_xent: mean −log p[label]; d = (p − onehot)·dy/m; a bad label is an error naming it and its row', () => {
    const logits = t([2, 3], [0, Math.log(2), Math.log(3), 0, 0, 0]);
    const labels = t([2], [2, 0]);
    const f = softmaxXent.forward(node({}), {}, [logits, labels]);
    close(f.outputs[0]!.data, [(-Math.log(0.5) + Math.log(3)) / 2], 1e-15);
    const g = softmaxXent.backward(node({}), {}, f.residual, [t([], [4])]);
    expect(g.dInputs[1]).toBeNull();
    close(g.dInputs[0]!.data, [2 / 6, 4 / 6, 6 / 6 - 2, 2 / 3 - 2, 2 / 3, 2 / 3], 1e-15);
    // A probability that underflows to 0 gives a finite loss (−log of the smallest double), not Infinity.
    const far = softmaxXent.forward(node({}), {}, [t([1, 2], [0, 1e6]), t([1], [0])]);
    expect(far.outputs[0]!.data[0]).toBeCloseTo(-Math.log(Number.MIN_VALUE), 6);
    for (const bad of [3, -1, 1.5])
      expect(() => softmaxXent.forward(node({}), {}, [logits, t([2], [0, bad])])).toThrow(
        `softmax_xent: label ${bad} at row 1 is not a class in [0, 3)`,
      );
  });
});
