import { describe, expect, it } from 'vitest';
import { gauntTensorProduct, tensorProduct } from '../backends/js/kernels/tensor-product';
import { twoCellKey } from '../src/backend/backend';
import { tensorProductPaths, type TPPath } from '../src/equivariant/products';

/**
 * The JS tensor-product kernels called directly on [batch 2, channels 2, (l+1)²] inputs, against a
 * plain sum over each path's coupling tensor written here: y_r = Σ_p W(c, p) C^p(x1_r, x2_r) with c
 * the row's channel, W by weight mode, and the gradients of that trilinear form (parameters summed
 * over the rows of their channel). The coupling tables themselves are tested in coupling.test.ts;
 * these tests pin the kernels' layout (rows, channels, degree blocks), weights and residuals.
 * The Gaunt product (grids and FFTs) must equal the dense sum with real Gaunt coefficients.
 */
const t = (shape: number[], data: number[]) => ({ shape, data: Float64Array.from(data) });
const node = (attrs: Record<string, unknown>, inputs: number[][], outputs: number[][], variant: string) =>
  ({ attrs, inputs, outputs, path: [], variant }) as never;
const close = (got: ArrayLike<number>, want: number[], tol: number, what: string) => {
  expect(got.length, what).toBe(want.length);
  want.forEach((w, i) => expect(Math.abs(got[i]! - w), `${what} entry ${i}: ${got[i]} vs ${w}`).toBeLessThanOrEqual(tol));
};
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

const B = 2;
const C = 2;
const R = B * C;

type Weights = { kind: 'path'; w: number[] } | { kind: 'degree'; w1: number[]; w2: number[]; w3: number[] } | { kind: 'none' };

/** Output and gradients of y_r = Σ_p W(c, p) C^p(x1_r, x2_r), by plain sums. */
const dense = (paths: readonly TPPath[], L1: number, L2: number, L3: number, W: Weights, x1: number[], x2: number[], dy: number[]) => {
  const [n1, n2, n3, P] = [(L1 + 1) ** 2, (L2 + 1) ** 2, (L3 + 1) ** 2, paths.length];
  const weight = (c: number, p: number): number => {
    const { l1, l2, l3 } = paths[p]!;
    if (W.kind === 'path') return W.w[c * P + p]!;
    if (W.kind === 'degree') return W.w1[c * (L1 + 1) + l1]! * W.w2[c * (L2 + 1) + l2]! * W.w3[c * (L3 + 1) + l3]!;
    return 1;
  };
  const y = new Array<number>(R * n3).fill(0);
  const dx1 = new Array<number>(R * n1).fill(0);
  const dx2 = new Array<number>(R * n2).fill(0);
  const S = new Array<number>(C * P).fill(0); // S[c, p] = Σ_rows of c ⟨dy_r, C^p(x1_r, x2_r)⟩
  for (let r = 0; r < R; r++) {
    const c = r % C;
    paths.forEach(({ l1, l2, l3, coeffs }, p) => {
      const [d1, d2, d3] = [2 * l1 + 1, 2 * l2 + 1, 2 * l3 + 1];
      const wp = weight(c, p);
      for (let a = 0; a < d1; a++)
        for (let b = 0; b < d2; b++)
          for (let k = 0; k < d3; k++) {
            const cf = coeffs[(a * d2 + b) * d3 + k]!;
            const [i1, i2, i3] = [r * n1 + l1 * l1 + a, r * n2 + l2 * l2 + b, r * n3 + l3 * l3 + k];
            y[i3] += wp * cf * x1[i1]! * x2[i2]!;
            dx1[i1] += wp * cf * x2[i2]! * dy[i3]!;
            dx2[i2] += wp * cf * x1[i1]! * dy[i3]!;
            S[c * P + p] += cf * x1[i1]! * x2[i2]! * dy[i3]!;
          }
    });
  }
  let dParams: Record<string, number[]> = {};
  if (W.kind === 'path') dParams = { w: S };
  if (W.kind === 'degree') {
    const [dw1, dw2, dw3] = [new Array<number>(C * (L1 + 1)).fill(0), new Array<number>(C * (L2 + 1)).fill(0), new Array<number>(C * (L3 + 1)).fill(0)];
    for (let c = 0; c < C; c++)
      paths.forEach(({ l1, l2, l3 }, p) => {
        const [a1, a2, a3] = [W.w1[c * (L1 + 1) + l1]!, W.w2[c * (L2 + 1) + l2]!, W.w3[c * (L3 + 1) + l3]!];
        const s = S[c * P + p]!;
        dw1[c * (L1 + 1) + l1] += s * a2 * a3;
        dw2[c * (L2 + 1) + l2] += s * a1 * a3;
        dw3[c * (L3 + 1) + l3] += s * a1 * a2;
      });
    dParams = { w1: dw1, w2: dw2, w3: dw3 };
  }
  return { y, dx1, dx2, dParams };
};

const inputsFor = (L1: number, L2: number, L3: number) => ({
  x1: range(R * (L1 + 1) ** 2).map((i) => Math.sin(1.3 * i + 0.2)),
  x2: range(R * (L2 + 1) ** 2).map((i) => Math.cos(0.7 * i - 0.4) + 0.1),
  dy: range(R * (L3 + 1) ** 2).map((i) => Math.sin(0.9 * i + 1)),
});
/** Per-channel degree weights that differ by channel and degree. */
const degreeWeights = (L1: number, L2: number, L3: number) => ({
  w1: range(C * (L1 + 1)).map((i) => 1 + 0.5 * i),
  w2: range(C * (L2 + 1)).map((i) => 2 - 0.3 * i),
  w3: range(C * (L3 + 1)).map((i) => 0.5 + 0.25 * i * i),
});
type T = ReturnType<typeof t>;
const paramsOf = (W: Weights, L1: number, L2: number, L3: number, P: number): Record<string, T> =>
  W.kind === 'path'
    ? { w: t([C, P], W.w) }
    : W.kind === 'degree'
      ? { w1: t([C, L1 + 1], W.w1), w2: t([C, L2 + 1], W.w2), w3: t([C, L3 + 1], W.w3) }
      : {};

describe('JS tensor_product kernel against plain sums over the coupling tensors', () => {
  const cases: { l1: number; l2: number; lout?: number; coupling?: 'cg' | 'gaunt'; weights?: 'path' | 'degree' | 'none' }[] = [
    { l1: 1, l2: 1 },
    { l1: 2, l2: 1, lout: 2, coupling: 'cg', weights: 'degree' },
    { l1: 1, l2: 2, coupling: 'gaunt', weights: 'none' },
    { l1: 2, l2: 2, lout: 3, coupling: 'gaunt', weights: 'path' },
  ];
  for (const a of cases)
    it(`${JSON.stringify(a)}: forward, input gradients and weight gradients`, () => {
      const L3 = a.lout ?? a.l1 + a.l2;
      const paths = tensorProductPaths(a.l1, a.l2, L3, a.coupling ?? 'cg');
      const P = paths.length;
      const kind = a.weights ?? 'path';
      const W: Weights = kind === 'path' ? { kind, w: range(C * P).map((i) => 1 + ((i * 3) % 5) / 4) } : kind === 'degree' ? { kind, ...degreeWeights(a.l1, a.l2, L3) } : { kind };
      const { x1, x2, dy } = inputsFor(a.l1, a.l2, L3);
      const ref = dense(paths, a.l1, a.l2, L3, W, x1, x2, dy);
      const [n1, n2, n3] = [(a.l1 + 1) ** 2, (a.l2 + 1) ** 2, (L3 + 1) ** 2];
      const n = node(a, [[B, C, n1], [B, C, n2]], [[B, C, n3]], 'input');
      const p = paramsOf(W, a.l1, a.l2, L3, P);
      const f = tensorProduct.forward(n, p, [t([B, C, n1], x1), t([B, C, n2], x2)]);
      close(f.outputs[0]!.data, ref.y, 1e-12, 'y');
      expect(f.outputs[0]!.shape).toEqual([B, C, n3]);
      const g = tensorProduct.backward(n, p, f.residual, [t([B, C, n3], dy)]);
      close(g.dInputs[0]!.data, ref.dx1, 1e-12, 'dx1');
      close(g.dInputs[1]!.data, ref.dx2, 1e-12, 'dx2');
      expect(Object.keys(g.dParams).sort()).toEqual(Object.keys(ref.dParams).sort());
      for (const [k, v] of Object.entries(ref.dParams)) {
        close(g.dParams[k]!.data, v, 1e-12, k);
        expect(g.dParams[k]!.shape).toEqual(p[k]!.shape);
      }
    });
});

describe('JS gaunt_tensor_product kernel equals the dense sum with real Gaunt coefficients', () => {
  const cases: { l1: number; l2: number; lout?: number; weights?: 'degree' | 'none' }[] = [
    { l1: 1, l2: 1 },
    { l1: 2, l2: 1, lout: 2, weights: 'degree' },
    { l1: 1, l2: 2, weights: 'none' },
  ];
  for (const a of cases)
    it(`${JSON.stringify(a)}: both variants' forward, residual, backward, and the inputs ⇒ grids map`, () => {
      const L3 = a.lout ?? a.l1 + a.l2;
      const paths = tensorProductPaths(a.l1, a.l2, L3, 'gaunt');
      const kind = a.weights ?? 'degree';
      const W: Weights = kind === 'degree' ? { kind, ...degreeWeights(a.l1, a.l2, L3) } : { kind };
      const { x1, x2, dy } = inputsFor(a.l1, a.l2, L3);
      const ref = dense(paths, a.l1, a.l2, L3, W, x1, x2, dy);
      const [n1, n2, n3] = [(a.l1 + 1) ** 2, (a.l2 + 1) ** 2, (L3 + 1) ** 2];
      const p = paramsOf(W, a.l1, a.l2, L3, paths.length);
      const ins = [t([B, C, n1], x1), t([B, C, n2], x2)];
      const [W1, W2] = [2 * a.l1 + 1, 2 * a.l2 + 1];
      const kept: Record<string, ReturnType<typeof gauntTensorProduct.forward>['residual']> = {};
      for (const v of ['inputs', 'grids']) {
        const n = node(a, [[B, C, n1], [B, C, n2]], [[B, C, n3]], v);
        const f = gauntTensorProduct.forward(n, p, ins);
        close(f.outputs[0]!.data, ref.y, 1e-12, `${v} y`);
        expect(f.outputs[0]!.shape).toEqual([B, C, n3]);
        const res = f.residual;
        kept[v] = res;
        expect(res.x1).toBe(ins[0]);
        expect(res.x2).toBe(ins[1]);
        const keys = v === 'inputs' ? ['x1', 'x2'] : ['f1im', 'f1re', 'f2im', 'f2re', 'x1', 'x2', ...(kind === 'degree' ? ['b'] : [])];
        expect(Object.keys(res).sort(), v).toEqual(keys.sort());
        if (v === 'grids') {
          expect(res.f1re!.shape).toEqual([B, C, W1, W1]);
          expect(res.f2im!.shape).toEqual([B, C, W2, W2]);
          if (kind === 'degree') {
            // b is the unweighted product of the weighted inputs: y = w3[deg] · b.
            const deg = range(n3).map((i) => Math.floor(Math.sqrt(i)));
            const w3 = (W as { w3: number[] }).w3;
            close(res.b!.data.map((bv, i) => bv * w3[(Math.floor(i / n3) % C) * (L3 + 1) + deg[i % n3]!]!), ref.y, 1e-12, 'w3 · b');
            expect(res.b!.shape).toEqual([B, C, n3]);
          }
        }
        const g = gauntTensorProduct.backward(n, p, res, [t([B, C, n3], dy)]);
        close(g.dInputs[0]!.data, ref.dx1, 1e-12, `${v} dx1`);
        close(g.dInputs[1]!.data, ref.dx2, 1e-12, `${v} dx2`);
        expect(Object.keys(g.dParams).sort()).toEqual(Object.keys(ref.dParams).sort());
        for (const [k, val] of Object.entries(ref.dParams)) {
          close(g.dParams[k]!.data, val, 1e-12, `${v} ${k}`);
          expect(g.dParams[k]!.shape).toEqual(p[k]!.shape);
        }
      }
      const n = node(a, [[B, C, n1], [B, C, n2]], [[B, C, n3]], 'inputs');
      const m = gauntTensorProduct.twoCells![twoCellKey('inputs', 'grids')]!.r(n, p, kept.inputs!);
      expect(Object.keys(m).sort()).toEqual(Object.keys(kept.grids!).sort());
      for (const k of Object.keys(m)) expect([...m[k]!.data], k).toEqual([...kept.grids![k]!.data]);
    });
});
