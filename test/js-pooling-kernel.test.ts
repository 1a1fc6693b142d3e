import { describe, expect, it } from 'vitest';
import { bilinear, concatLast, hadamard, outerProduct, signedSqrtL2, sumPool } from '../backends/js/kernels/pooling';

/**
 * The JS bilinear-pooling kernels (all but mcb) called directly on small float64 tensors with two or
 * more rows, against plain sums written here by index (the law tests compare backward with finite
 * differences of forward, so they miss a forward that is wrong consistently, and their random rows
 * never hold a zero or a row past the first with its own offset).
 */
const t = (shape: number[], data: number[]) => ({ shape, data: Float64Array.from(data) });
const node = (attrs: Record<string, unknown>, inputs: number[][], outputs: number[][]) =>
  ({ attrs, inputs, outputs, path: [], variant: 'input' }) as never;
const vals = (x: { data: ArrayLike<number> }) => [...(x.data as Float64Array)];
const close = (got: ArrayLike<number>, want: number[], tol = 1e-12) => {
  expect(got.length).toBe(want.length);
  want.forEach((w, i) => expect(Math.abs(got[i]! - w), `entry ${i}: ${got[i]} vs ${w}`).toBeLessThanOrEqual(tol));
};
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

describe('JS pooling kernels against plain sums', () => {
  it('outer_product over 3 rows: z[r,i,j] = x[r,i]·y[r,j]; gx = Σ_j g·y, gy = Σ_i g·x', () => {
    const [R, X, Y] = [3, 2, 3];
    const x = range(R * X).map((i) => i - 2);
    const y = range(R * Y).map((i) => (i % 4) - 1 + i);
    const n = node({}, [[R, X], [R, Y]], [[R, X, Y]]);
    const f = outerProduct.forward(n, {}, [t([R, X], x), t([R, Y], y)]);
    expect(f.outputs[0]!.shape).toEqual([R, X, Y]);
    const z: number[] = [];
    for (const r of range(R)) for (const i of range(X)) for (const j of range(Y)) z.push(x[r * X + i]! * y[r * Y + j]!);
    expect(vals(f.outputs[0]!)).toEqual(z);
    const g = range(R * X * Y).map((i) => ((i * 7) % 5) - 2);
    const b = outerProduct.backward(n, {}, f.residual, [t([R, X, Y], g)]);
    const gx = range(R * X).map((ri) => {
      const [r, i] = [Math.floor(ri / X), ri % X];
      return range(Y).reduce((s, j) => s + g[(r * X + i) * Y + j]! * y[r * Y + j]!, 0);
    });
    const gy = range(R * Y).map((rj) => {
      const [r, j] = [Math.floor(rj / Y), rj % Y];
      return range(X).reduce((s, i) => s + g[(r * X + i) * Y + j]! * x[r * X + i]!, 0);
    });
    expect(vals(b.dInputs[0]!)).toEqual(gx);
    expect(vals(b.dInputs[1]!)).toEqual(gy);
    expect(b.dParams).toEqual({});
  });

  it('signed_sqrt_l2 over 3 rows (one zero), default and explicit eps, against the closed form and its Jacobian', () => {
    const C = 3;
    const v = [4, -9, 0.25, 0, 0, 0, -1e-6, 2, 1e-7];
    const rows = v.length / C;
    for (const eps of [undefined, 1e-8, 0.01]) {
      const e = eps ?? 1e-8;
      const n = node(eps === undefined ? {} : { eps }, [[rows, C]], [[rows, C]]);
      const f = signedSqrtL2.forward(n, {}, [t([rows, C], v)]);
      const s = v.map((a) => Math.sign(a) * (Math.sqrt(Math.abs(a) + e) - Math.sqrt(e)));
      const rn = range(rows).map((r) => 1 / Math.sqrt(range(C).reduce((q, i) => q + s[r * C + i]! ** 2, 0) + e));
      close(f.outputs[0]!.data, s.map((si, k) => si * rn[Math.floor(k / C)]!), 1e-12);
      close(f.residual.rnorm!.data, rn, 1e-9 * Math.max(...rn));
      expect(f.residual.rnorm!.shape).toEqual([rows]);
      close(f.residual.s!.data, s, 0);
      const g = [1, -2, 3, 0.5, -1, 2, 3, 1, -1];
      const b = signedSqrtL2.backward(n, {}, f.residual, [t([rows, C], g)]);
      // dv_j = Σ_i g_i ∂out_i/∂s_j · ds_j/dv_j, ∂out_i/∂s_j = rn(δ_ij − rn² s_i s_j), ds/dv = 1/(2√(|v| + ε)).
      const want = range(rows * C).map((k) => {
        const r = Math.floor(k / C);
        const R = rn[r]!;
        const dout = range(C).reduce((q, i) => q + g[r * C + i]! * R * ((r * C + i === k ? 1 : 0) - R * R * s[r * C + i]! * s[k]!), 0);
        return dout / (2 * Math.sqrt(Math.abs(v[k]!) + e));
      });
      const scale = Math.max(...want.map(Math.abs));
      close(b.dInputs[0]!.data, want, 1e-9 * scale);
      expect(b.dParams).toEqual({});
    }
  });

  it('bilinear, one block and two, over 2 rows with zeros in x: z_k = Σ_ij w_ijk x_i y_j; gradients by plain sums', () => {
    for (const nb of [1, 2]) {
      const [R, X, Y, O] = [2, 4, 2, 4];
      const [bx, by, bo] = [X / nb, Y / nb, O / nb];
      const x = [1, 0, -2, 3, 0, 2, 1, -1];
      const y = [2, -1, 3, 1];
      const w = range(nb * bx * by * bo).map((i) => ((i * 5) % 7) - 3);
      const W = (b: number, i: number, j: number, k: number) => w[((b * bx + i) * by + j) * bo + k]!;
      const n = node({ out: O, ...(nb > 1 ? { blocks: nb } : {}) }, [[R, X], [R, Y]], [[R, O]]);
      const p = { w: t([nb, bx, by, bo], w) };
      const f = bilinear.forward(n, p, [t([R, X], x), t([R, Y], y)]);
      const z = range(R * O).map((rk) => {
        const [r, kk] = [Math.floor(rk / O), rk % O];
        const [b, k] = [Math.floor(kk / bo), kk % bo];
        let s = 0;
        for (const i of range(bx)) for (const j of range(by)) s += W(b, i, j, k) * x[r * X + b * bx + i]! * y[r * Y + b * by + j]!;
        return s;
      });
      expect(vals(f.outputs[0]!), `blocks ${nb}`).toEqual(z);
      const g = [1, -1, 2, 3, -2, 1, 0, 1];
      const back = bilinear.backward(n, p, f.residual, [t([R, O], g)]);
      const gx = range(R * X).map((ri) => {
        const [r, ii] = [Math.floor(ri / X), ri % X];
        const [b, i] = [Math.floor(ii / bx), ii % bx];
        let s = 0;
        for (const j of range(by)) for (const k of range(bo)) s += W(b, i, j, k) * y[r * Y + b * by + j]! * g[r * O + b * bo + k]!;
        return s;
      });
      const gy = range(R * Y).map((rj) => {
        const [r, jj] = [Math.floor(rj / Y), rj % Y];
        const [b, j] = [Math.floor(jj / by), jj % by];
        let s = 0;
        for (const i of range(bx)) for (const k of range(bo)) s += W(b, i, j, k) * x[r * X + b * bx + i]! * g[r * O + b * bo + k]!;
        return s;
      });
      const gw = range(w.length).map((q) => {
        const k = q % bo, j = Math.floor(q / bo) % by, i = Math.floor(q / (bo * by)) % bx, b = Math.floor(q / (bo * by * bx));
        return range(R).reduce((s, r) => s + x[r * X + b * bx + i]! * y[r * Y + b * by + j]! * g[r * O + b * bo + k]!, 0);
      });
      expect(vals(back.dInputs[0]!), `gx, blocks ${nb}`).toEqual(gx);
      expect(vals(back.dInputs[1]!), `gy, blocks ${nb}`).toEqual(gy);
      expect(vals(back.dParams.w!), `gw, blocks ${nb}`).toEqual(gw);
      expect(back.dParams.w!.shape).toEqual([nb, bx, by, bo]);
    }
  });

  it('hadamard, sum_pool and concat_last forward and backward by hand', () => {
    const a = t([2, 2], [1, 2, 3, 4]);
    const b = t([2, 2], [-1, 5, 2, 0.5]);
    const h = hadamard.forward(node({}, [[2, 2], [2, 2]], [[2, 2]]), {}, [a, b]);
    expect(vals(h.outputs[0]!)).toEqual([-1, 10, 6, 2]);
    const hb = hadamard.backward(node({}, [[2, 2], [2, 2]], [[2, 2]]), {}, h.residual, [t([2, 2], [1, 2, 3, 4])]);
    expect(vals(hb.dInputs[0]!)).toEqual([-1, 10, 6, 2]);
    expect(vals(hb.dInputs[1]!)).toEqual([1, 4, 9, 16]);

    const sp = node({ k: 3 }, [[2, 6]], [[2, 2]]);
    const s = sumPool.forward(sp, {}, [t([2, 6], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12])]);
    expect(vals(s.outputs[0]!)).toEqual([6, 15, 24, 33]);
    const sb = sumPool.backward(sp, {}, s.residual, [t([2, 2], [1, -2, 3, 4])]);
    expect(vals(sb.dInputs[0]!)).toEqual([1, 1, 1, -2, -2, -2, 3, 3, 3, 4, 4, 4]);
    expect(sb.dInputs[0]!.shape).toEqual([2, 6]);

    const cn = node({ n: 3 }, [[2, 2], [2, 1], [2, 3]], [[2, 6]]);
    const c = concatLast.forward(cn, {}, [t([2, 2], [1, 2, 3, 4]), t([2, 1], [5, 6]), t([2, 3], [7, 8, 9, 10, 11, 12])]);
    expect(vals(c.outputs[0]!)).toEqual([1, 2, 5, 7, 8, 9, 3, 4, 6, 10, 11, 12]);
    const cb = concatLast.backward(cn, {}, c.residual, [t([2, 6], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12])]);
    expect(cb.dInputs.map((d) => vals(d!))).toEqual([[1, 2, 7, 8], [3, 9], [4, 5, 6, 10, 11, 12]]);
    expect(cb.dInputs.map((d) => d!.shape)).toEqual([[2, 2], [2, 1], [2, 3]]);
  });
});
