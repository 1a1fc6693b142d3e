import { describe, expect, it } from 'vitest';
import { axisPool, groupConv, groupLift, transformedPoints } from '../backends/js/kernels/affine';
import { twoCellKey } from '../src/backend/backend';

/**
 * The JS kernels of the group-equivariant layers called directly on small float64 tensors of small
 * integers (every sum exact), against values worked by hand and plain loops written here: the law
 * tests draw normal inputs and compare with finite differences, which miss ties, index offsets that
 * agree on their shapes, and the residual each variant keeps.
 */
const t = (shape: number[], data: number[]) => ({ shape, data: Float64Array.from(data) });
const node = (attrs: Record<string, unknown>, inputs: number[][], outputs: number[][], variant = 'input') => ({ attrs, inputs, outputs, path: [], variant }) as never;
const vals = (x: { data: ArrayLike<number> }) => [...(x.data as Float64Array)];
/** Small integers from a seed: −3..3. */
const ints = (n: number, seed: number) => Array.from({ length: n }, (_, i) => ((i * 7 + seed * 13 + ((i * i) % 5)) % 7) - 3);

describe('group_lift', () => {
  it('by hand: u = m_k x_n, y = u·w + b; dx = Σ_k m_kᵀ (w·dy), dw = Σ uᵀ dy, db = Σ dy; both variants', () => {
    // B = 1, N = 2 points in 2-D, K = 2 samples, C = 1 channel.
    const x = t([1, 2, 2], [1, 2, 0, 1]);
    const m = t([2, 2, 2], [1, 0, 0, 1, 0, -1, 2, 0]); // I, then [[0, −1], [2, 0]]
    const w = t([2, 1], [3, -1]);
    const b = t([1], [0.5]);
    // u: (k0) (1, 2), (0, 1); (k1) (−2, 2), (−1, 0). y = 3u₀ − u₁ + 0.5.
    expect(vals(transformedPoints(x, m))).toEqual([1, 2, 0, 1, -2, 2, -1, 0]);
    const dy = t([1, 2, 2, 1], [1, 2, -1, 1]);
    for (const variant of ['input', 'points']) {
      const n = node({ out: 1 }, [[1, 2, 2], [2, 2, 2]], [[1, 2, 2, 1]], variant);
      const f = groupLift.forward(n, { w, b }, [x, m]);
      expect(vals(f.outputs[0]!)).toEqual([1.5, -0.5, -7.5, -2.5]);
      expect(f.outputs[0]!.shape).toEqual([1, 2, 2, 1]);
      expect(Object.keys(f.residual).sort()).toEqual(variant === 'points' ? ['m', 'u'] : ['m', 'x']);
      const g = groupLift.backward(n, { w, b }, f.residual, [dy]);
      // du = w·dy per row: (3, −1)·g. dx_0 = du(k0,n0) + m1ᵀ du(k1,n0) = (3, −1) + [[0, 2], [−1, 0]]·(−3, 1) = (5, 2);
      // dx_1 = 2·(3, −1) + [[0, 2], [−1, 0]]·(3, −1) = (4, −5).
      expect(vals(g.dInputs[0]!)).toEqual([5, 2, 4, -5]);
      expect(g.dInputs[1]).toBeNull();
      // dw = Σ_rows u·g: (1 + 0 + 2 − 1, 2 + 2 − 2 + 0) = (2, 2); db = 1 + 2 − 1 + 1 = 3.
      expect(vals(g.dParams.w!)).toEqual([2, 2]);
      expect(vals(g.dParams.b!)).toEqual([3]);
    }
  });
  it('against plain loops: B = 2, K = 3, N = 2, d = 3, C = 2 (every index in play)', () => {
    const [B, K, N, d, C] = [2, 3, 2, 3, 2];
    const x = t([B, N, d], ints(B * N * d, 1));
    const m = t([K, d, d], ints(K * d * d, 2));
    const w = t([d, C], ints(d * C, 3));
    const b = t([C], [1, -2]);
    const dy = t([B, K, N, C], ints(B * K * N * C, 4));
    const X = (bb: number, n: number, j: number) => x.data[(bb * N + n) * d + j]!;
    const M = (k: number, i: number, j: number) => m.data[(k * d + i) * d + j]!;
    const W = (i: number, c: number) => w.data[i * C + c]!;
    const G = (bb: number, k: number, n: number, c: number) => dy.data[((bb * K + k) * N + n) * C + c]!;
    const U = (bb: number, k: number, n: number, i: number) => [0, 1, 2].reduce((s, j) => s + M(k, i, j) * X(bb, n, j), 0);
    const y: number[] = [], dx = new Array(B * N * d).fill(0), dw = new Array(d * C).fill(0), db = [0, 0];
    for (let bb = 0; bb < B; bb++)
      for (let k = 0; k < K; k++)
        for (let n = 0; n < N; n++)
          for (let c = 0; c < C; c++) {
            y.push(b.data[c]! + [0, 1, 2].reduce((s, i) => s + U(bb, k, n, i) * W(i, c), 0));
            db[c] += G(bb, k, n, c);
            for (let i = 0; i < d; i++) {
              dw[i * C + c] += U(bb, k, n, i) * G(bb, k, n, c);
              for (let j = 0; j < d; j++) dx[(bb * N + n) * d + j] += M(k, i, j) * W(i, c) * G(bb, k, n, c);
            }
          }
    for (const variant of ['input', 'points']) {
      const n = node({ out: C }, [[B, N, d], [K, d, d]], [[B, K, N, C]], variant);
      const f = groupLift.forward(n, { w, b }, [x, m]);
      expect(vals(f.outputs[0]!)).toEqual(y);
      const g = groupLift.backward(n, { w, b }, f.residual, [dy]);
      expect(vals(g.dInputs[0]!)).toEqual(dx);
      expect(vals(g.dParams.w!)).toEqual(dw);
      expect(vals(g.dParams.b!)).toEqual(db);
    }
    // The 2-cell input ⇒ points computes the points the 'points' variant keeps.
    const r = groupLift.twoCells![twoCellKey('input', 'points')]!.r(node({ out: C }, [], []), { w, b }, { x, m });
    expect(Object.keys(r).sort()).toEqual(['m', 'u']);
    expect(r.u!.shape).toEqual([B, K, N, d]);
    expect(vals(r.u!)).toEqual(vals(groupLift.forward(node({ out: C }, [[B, N, d], [K, d, d]], [[B, K, N, C]], 'points'), { w, b }, [x, m]).residual.u!));
    expect(r.m).toBe(m);
  });
});

describe('group_conv', () => {
  it('against plain loops: y = (1/K) Σ_j Σ_c f ψ; df, dψ the matching sums', () => {
    const [B, K, C, D] = [2, 3, 2, 2];
    const f = t([B, K, C], ints(B * K * C, 5));
    const psi = t([K, K, C, D], ints(K * K * C * D, 6));
    const dy = t([B, K, D], ints(B * K * D, 7));
    const F = (b: number, j: number, c: number) => f.data[(b * K + j) * C + c]!;
    const P = (i: number, j: number, c: number, e: number) => psi.data[((i * K + j) * C + c) * D + e]!;
    const G = (b: number, i: number, e: number) => dy.data[(b * K + i) * D + e]!;
    const y: number[] = [], df: number[] = [], dpsi: number[] = [];
    for (let b = 0; b < B; b++)
      for (let i = 0; i < K; i++)
        for (let e = 0; e < D; e++) {
          let s = 0;
          for (let j = 0; j < K; j++) for (let c = 0; c < C; c++) s += F(b, j, c) * P(i, j, c, e);
          y.push(s / K);
        }
    for (let b = 0; b < B; b++)
      for (let j = 0; j < K; j++)
        for (let c = 0; c < C; c++) {
          let s = 0;
          for (let i = 0; i < K; i++) for (let e = 0; e < D; e++) s += P(i, j, c, e) * G(b, i, e);
          df.push(s / K);
        }
    for (let i = 0; i < K; i++)
      for (let j = 0; j < K; j++)
        for (let c = 0; c < C; c++)
          for (let e = 0; e < D; e++) {
            let s = 0;
            for (let b = 0; b < B; b++) s += F(b, j, c) * G(b, i, e);
            dpsi.push(s / K);
          }
    const n = node({}, [[B, K, C], [K, K, C, D]], [[B, K, D]]);
    const out = groupConv.forward(n, {}, [f, psi]);
    expect(vals(out.outputs[0]!)).toEqual(y);
    const g = groupConv.backward(n, {}, out.residual, [dy]);
    expect(vals(g.dInputs[0]!)).toEqual(df);
    expect(vals(g.dInputs[1]!)).toEqual(dpsi);
  });
});

describe('axis_pool', () => {
  // x [2, 3, 2]: outer 2, pooled axis 3, inner 2.
  const x = t([2, 3, 2], [1, 5, 4, 5, 4, -1, -2, 0, -3, 0, -2, -1]);
  const dy = t([2, 2], [1, 2, 3, 4]);
  it('mean over axis 1, and its backward spreads dy / n', () => {
    const n = node({ axis: 1, op: 'mean' }, [[2, 3, 2]], [[2, 2]]);
    const f = axisPool.forward(n, {}, [x]);
    expect(vals(f.outputs[0]!)).toEqual([3, 3, -7 / 3, -1 / 3]);
    expect(f.residual).toEqual({});
    expect(vals(axisPool.backward(n, {}, f.residual, [dy]).dInputs[0]!)).toEqual([1 / 3, 2 / 3, 1 / 3, 2 / 3, 1 / 3, 2 / 3, 1, 4 / 3, 1, 4 / 3, 1, 4 / 3]);
  });
  it('max over axis 1: ties go to the first, and the backward routes dy there only', () => {
    const n = node({ axis: 1, op: 'max' }, [[2, 3, 2]], [[2, 2]]);
    const f = axisPool.forward(n, {}, [x]);
    // Columns: (1, 4, 4) → 4 at 1; (5, 5, −1) → 5 at 0; (−2, −3, −2) → −2 at 0; (0, 0, −1) → 0 at 0.
    expect(vals(f.outputs[0]!)).toEqual([4, 5, -2, 0]);
    expect(vals(f.residual.argmax!)).toEqual([1, 0, 0, 0]);
    expect(vals(axisPool.backward(n, {}, f.residual, [dy]).dInputs[0]!)).toEqual([0, 2, 1, 0, 0, 0, 3, 4, 0, 0, 0, 0]);
  });
  it('max over the last axis of a [3, 2] tensor (inner 1), the largest last', () => {
    const y = t([3, 2], [1, 2, 7, -1, -5, -4]);
    const n = node({ axis: 1, op: 'max' }, [[3, 2]], [[3]]);
    const f = axisPool.forward(n, {}, [y]);
    expect(vals(f.outputs[0]!)).toEqual([2, 7, -4]);
    expect(vals(axisPool.backward(n, {}, f.residual, [t([3], [1, 2, 3])]).dInputs[0]!)).toEqual([0, 1, 2, 0, 0, 3]);
  });
});
