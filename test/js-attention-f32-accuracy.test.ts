import { describe, expect, it } from 'vitest';
import { checkOrThrow, jsBackend, lowerOrThrow, prim, type Backend, type HostTensor } from '../src/index';

/**
 * Float32 attention gradients where rounding decides: a row saturated on one key, a key with
 * P ≈ 1e-9, keys sharing a large component. The JS kernel computes score gradients in float64 and
 * sets the heavy key's to minus the sum of the others (backends/js/kernels/attention.ts); each case
 * compares its float32 gradients with the float64 kernel's on the same float32-exact inputs. Identity
 * query and key projections keep q and k exact in float32, so the differences are the kernel's own.
 */
const f32 = jsBackend('float32');
const f64 = jsBackend('float64');
const d = 4;
const T = 4;
const t = (shape: number[], xs: number[]): HostTensor => ({ shape, data: Float64Array.from(xs) });
const eye = t([d, d], Array.from({ length: d * d }, (_, i) => (i % (d + 1) === 0 ? 1 : 0)));
const wv = t([d, 2], [0.5, -0.25, 1, 0.75, -0.5, 0.5, 0.25, 1]);
const dy = t([T, 2], [1, -0.5, 0.25, 0.75, -1, 0.5, 0.5, -0.25]);

const grads = (be: Backend<unknown>, variant: string, xq: HostTensor, xkv: HostTensor) => {
  const model = checkOrThrow(prim('attention', { heads: 1, dk: d, dv: 2, scale: 1, cross: true, project: false }, { variant }), [[T, d], [T, d]]);
  const p = lowerOrThrow(model, be);
  const ps = { wq: be.upload(eye), wk: be.upload(eye), wv: be.upload(wv) };
  const f = p.forward(ps, [be.upload(xq), be.upload(xkv)]);
  const g = p.backward(f.residual, [be.upload(dy)]);
  return { dxq: be.download(g.dInputs[0]!).data, dwk: be.download(g.dParams.wk!).data, dwq: be.download(g.dParams.wq!).data };
};
const relErr = (a: ArrayLike<number>, b: ArrayLike<number>, from = 0, to = b.length) => {
  let num = 0;
  let den = 0;
  for (let i = from; i < to; i++) {
    num += (a[i]! - b[i]!) ** 2;
    den += b[i]! ** 2;
  }
  return Math.sqrt(num / den);
};

describe('float32 attention gradients where rounding decides', () => {
  for (const variant of ['lse', 'probs']) {
    it(`${variant}: every row saturated (P of its key ≈ 1 − 1e-7): score gradients within 1e-5 of float64`, () => {
      // Query t matches key t with score 18; the others score 0. The true score gradients are
      // ~1e-7; P·(dp − D) at the heavy key would be rounding noise of D's float32 output.
      const x = t([T, d], Array.from({ length: T * d }, (_, i) => (i % (d + 1) === 0 ? 3 : 0)));
      const xq = t([T, d], Array.from(x.data, (v) => 2 * v));
      const a = grads(f32 as Backend<unknown>, variant, xq, x);
      const b = grads(f64 as Backend<unknown>, variant, xq, x);
      expect(relErr(a.dxq, b.dxq)).toBeLessThan(1e-5);
      expect(relErr(a.dwq, b.dwq)).toBeLessThan(1e-5);
      expect(relErr(a.dwk, b.dwk)).toBeLessThan(1e-5);
    });
    it(`${variant}: no heavy key, key 1 at P ≈ 1e-9: its key gradient within 1e-4 of float64`, () => {
      // Every query scores keys 0, 1, 2, 3 at 5, −15, 5, 3: P ≈ 0.47, 1e-9, 0.47, 0.06.
      const xkv = t([T, d], [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]);
      const xq = t([T, d], [5, -15, 5, 3, 5, -15, 5, 3, 5, -15, 5, 3, 5, -15, 5, 3]);
      const a = grads(f32 as Backend<unknown>, variant, xq, xkv);
      const b = grads(f64 as Backend<unknown>, variant, xq, xkv);
      // One-hot keys: row 1 of dwk is key 1's gradient alone.
      expect(relErr(a.dwk, b.dwk, d, 2 * d)).toBeLessThan(1e-4);
    });
    it(`${variant}: keys sharing a component of 1e4 that the queries ignore: dq within 1e-5 of float64`, () => {
      // dq = Σ ds_u k_u; along the shared axis the terms (~1e4·|ds|) cancel to zero exactly, so
      // accumulating dq in float32 would leave ~1e-3·|ds| there.
      const xkv = t([T, d], [1e4, 6, 0, 0, 1e4, 0, 1, 0, 1e4, 0, 0, 1, 1e4, 0, -1, 1]);
      const xq = t([T, d], [0, 3, 0, 0, 0, 3, 1, 0, 0, 3, 0, 1, 0, 3, -1, 0]);
      const a = grads(f32 as Backend<unknown>, variant, xq, xkv);
      const b = grads(f64 as Backend<unknown>, variant, xq, xkv);
      expect(relErr(a.dxq, b.dxq)).toBeLessThan(1e-5);
    });
  }
});
