import { describe, expect, it } from 'vitest';
import { realClebschGordan, realGaunt } from '../src/equivariant/coupling';
import {
  denseBackward, denseCounts, denseForward, denseMacs, fft2Flops, gauntBackward, gauntBackwardFlops, gauntFlopsOf, gauntForward,
  gauntForwardFlops, gauntPlan, gauntScratch, tensorProductPaths,
} from '../src/equivariant/products';
import { shDim } from '../src/equivariant/sh';
import { rng } from '../src/tensor/rng';

/**
 * The per-channel products of `src/equivariant/products.ts` on their own, against plain sums over
 * coupling tensors written here: at non-zero offsets (the kernels call them per channel inside
 * larger arrays), accumulating into what the caller passes, with the path list, caches and flop
 * counts pinned by hand-worked values.
 */
const normals = (n: number, seed: number) => {
  const r = rng(seed);
  return Float64Array.from({ length: n }, () => r.normal());
};

/** Plain forward and VJP of Σ_p w_p C^p(x1, x2) over full feature vectors of degrees L1, L2 → Lout. */
const reference = (paths: readonly { l1: number; l2: number; l3: number; coeffs: Float64Array }[], w: Float64Array, x1: Float64Array, x2: Float64Array, dout: Float64Array, Lout: number) => {
  const out = new Float64Array(shDim(Lout));
  const dx1 = new Float64Array(x1.length), dx2 = new Float64Array(x2.length), s = new Float64Array(paths.length);
  paths.forEach(({ l1, l2, l3, coeffs }, p) => {
    const [d1, d2, d3] = [2 * l1 + 1, 2 * l2 + 1, 2 * l3 + 1];
    for (let a = 0; a < d1; a++)
      for (let b = 0; b < d2; b++)
        for (let c = 0; c < d3; c++) {
          const C = coeffs[(a * d2 + b) * d3 + c]!;
          const [i, j, k] = [l1 * l1 + a, l2 * l2 + b, l3 * l3 + c];
          out[k] += w[p]! * C * x1[i]! * x2[j]!;
          dx1[i] += w[p]! * C * x2[j]! * dout[k]!;
          dx2[j] += w[p]! * C * x1[i]! * dout[k]!;
          s[p] += C * x1[i]! * x2[j]! * dout[k]!;
        }
  });
  return { out, dx1, dx2, s };
};

const expectClose = (got: ArrayLike<number>, want: ArrayLike<number>, where: string, digits = 12) => {
  expect(got.length, where).toBe(want.length);
  for (let i = 0; i < want.length; i++) expect(got[i], `${where} [${i}]`).toBeCloseTo(want[i]!, digits);
};

describe('dense product paths and counts', () => {
  it('denseCounts(1, 1, 1): 5 CG paths with 55 multiply-adds, 4 Gaunt paths with 28 (hand-counted)', () => {
    // (0,0,0): 1; (0,1,1), (1,0,1): 9 each; (1,1,0): 9; (1,1,1): 27 — odd, so not a Gaunt path.
    expect(denseCounts(1, 1, 1, 'cg')).toEqual({ paths: 5, macs: 55 });
    expect(denseCounts(1, 1, 1, 'gaunt')).toEqual({ paths: 4, macs: 28 });
    // Lout caps l3: (1,1,2) is left out at Lout = 1 and counted at Lout = 2 (3·3·5 = 45).
    expect(denseCounts(1, 1, 2, 'cg')).toEqual({ paths: 6, macs: 100 });
  });
  it('tensorProductPaths lists (l1, l2, l3) in order with their coupling tensors, matching denseCounts and denseMacs', () => {
    const cg = tensorProductPaths(1, 1, 2, 'cg');
    expect(cg.map((p) => [p.l1, p.l2, p.l3])).toEqual([[0, 0, 0], [0, 1, 1], [1, 0, 1], [1, 1, 0], [1, 1, 1], [1, 1, 2]]);
    cg.forEach((p) => expectClose(p.coeffs, realClebschGordan(p.l1, p.l2, p.l3), `cg ${p.l1}${p.l2}${p.l3}`, 15));
    expect(denseMacs(cg)).toBe(100);
    const g = tensorProductPaths(2, 1, 3, 'gaunt');
    expect(g.map((p) => [p.l1, p.l2, p.l3])).toEqual([[0, 0, 0], [0, 1, 1], [1, 0, 1], [1, 1, 0], [1, 1, 2], [2, 0, 2], [2, 1, 1], [2, 1, 3]]);
    g.forEach((p) => expectClose(p.coeffs, realGaunt(p.l1, p.l2, p.l3).tensor, `gaunt ${p.l1}${p.l2}${p.l3}`, 15));
    expect(denseCounts(2, 1, 3, 'gaunt')).toEqual({ paths: g.length, macs: denseMacs(g) });
  });
  it('caches the 16 most recently used path lists: a hit returns the same list, a refreshed key survives, the oldest is dropped', () => {
    const key = (i: number) => [i % 3, Math.floor(i / 3) % 3, 1 + Math.floor(i / 9)] as const;
    const get = (i: number) => tensorProductPaths(...key(i), 'cg');
    const first = get(0);
    expect(get(0)).toBe(first);
    const second = get(1);
    for (let i = 2; i <= 15; i++) get(i); // 16 keys now: 0 … 15
    expect(get(0)).toBe(first); // refreshed: key 1 is now the oldest
    get(16); // evicts key 1
    expect(get(0)).toBe(first);
    expect(get(1)).not.toBe(second);
    expect(get(1)).toEqual(second);
  });
});

describe('denseForward and denseBackward', () => {
  for (const coupling of ['cg', 'gaunt'] as const)
    it(`${coupling}: equal a plain sum over the coupling tensors, at offsets, accumulating`, () => {
      const [L1, L2, Lout] = [2, 1, 2];
      const paths = tensorProductPaths(L1, L2, Lout, coupling);
      const w = normals(paths.length, 1);
      const x1 = normals(shDim(L1), 2), x2 = normals(shDim(L2), 3), dout = normals(shDim(Lout), 4);
      const want = reference(paths, w, x1, x2, dout, Lout);
      const [o1, o2, o3] = [3, 5, 2];
      const pad = (x: Float64Array, o: number) => Float64Array.from([...new Array<number>(o).fill(7), ...x, 7]);
      const out = new Float64Array(o3 + shDim(Lout) + 1).fill(1);
      denseForward(paths, w, pad(x1, o1), o1, pad(x2, o2), o2, out, o3);
      expectClose(out.subarray(o3, o3 + shDim(Lout)), want.out.map((v) => v + 1), 'out');
      expect([out[0], out[1], out[o3 + shDim(Lout)]]).toEqual([1, 1, 1]);
      const dx1 = new Float64Array(o1 + shDim(L1)).fill(0.5), dx2 = new Float64Array(o2 + shDim(L2)).fill(0.5);
      const s = new Float64Array(paths.length);
      denseBackward(paths, w, pad(x1, o1), o1, pad(x2, o2), o2, pad(dout, o3), o3, dx1, dx2, s);
      expectClose(dx1.subarray(o1), want.dx1.map((v) => v + 0.5), 'dx1');
      expectClose(dx2.subarray(o2), want.dx2.map((v) => v + 0.5), 'dx2');
      expect(dx1[0]).toBe(0.5);
      expectClose(s, want.s, 's');
    });
});

describe('Gaunt product of one channel', () => {
  it('refuses lout > l1 + l2, naming both; plans N = the power of two ≥ 2(l1 + l2) + 1 and caches the plan', () => {
    expect(() => gauntPlan(1, 2, 4)).toThrow('gauntPlan: lout 4 exceeds l1 + l2 = 3');
    const p = gauntPlan(1, 2, 3);
    expect([p.L1, p.L2, p.Lout, p.N]).toEqual([1, 2, 3, 8]);
    expect(gauntPlan(2, 2, 2).N).toBe(16);
    expect(gauntPlan(1, 2, 3)).toBe(p);
    // Rows u = −L … L modulo N.
    expect(p.rows1).toEqual([7, 0, 1]);
    expect(p.rows2).toEqual([6, 7, 0, 1, 2]);
    expect(p.rowsG).toEqual([5, 6, 7, 0, 1, 2, 3]);
  });
  for (const [L1, L2, Lout] of [[2, 1, 3], [2, 2, 2], [0, 2, 2], [3, 3, 4]] as const)
    it(`(${L1}, ${L2} → ${Lout}): forward and backward equal the dense product with every Gaunt path at weight 1`, () => {
      const plan = gauntPlan(L1, L2, Lout);
      const s = gauntScratch(plan);
      const paths = tensorProductPaths(L1, L2, Lout, 'gaunt');
      const x1 = normals(shDim(L1), 11), x2 = normals(shDim(L2), 12), db = normals(shDim(Lout), 13);
      const want = reference(paths, new Float64Array(paths.length).fill(1), x1, x2, db, Lout);
      const [o1, o2, ob, g1, g2] = [2, 1, 3, 4, 5];
      const a1 = new Float64Array(o1 + x1.length); a1.set(x1, o1);
      const a2 = new Float64Array(o2 + x2.length); a2.set(x2, o2);
      const [W1, W2] = [(2 * L1 + 1) ** 2, (2 * L2 + 1) ** 2];
      const grids = () => ({ F1re: new Float64Array(g1 + W1).fill(9), F1im: new Float64Array(g1 + W1).fill(9), F2re: new Float64Array(g2 + W2).fill(9), F2im: new Float64Array(g2 + W2).fill(9) });
      // Without b: only the grids are written (b = null must not fail).
      const only = grids();
      gauntForward(plan, s, a1, o1, a2, o2, only.F1re, only.F1im, g1, only.F2re, only.F2im, g2, null, 0);
      const G = grids();
      const b = new Float64Array(ob + shDim(Lout) + 1).fill(9);
      gauntForward(plan, s, a1, o1, a2, o2, G.F1re, G.F1im, g1, G.F2re, G.F2im, g2, b, ob);
      expect(only).toEqual(G);
      expect(G.F1re[0]).toBe(9);
      expectClose(b.subarray(ob, ob + shDim(Lout)), want.out, 'b');
      expect([b[0], b[ob + shDim(Lout)]]).toEqual([9, 9]);
      const dbAt = new Float64Array(ob + db.length); dbAt.set(db, ob);
      const da1 = new Float64Array(o1 + x1.length).fill(0.25), da2 = new Float64Array(o2 + x2.length).fill(0.25);
      gauntBackward(plan, s, G.F1re, G.F1im, g1, G.F2re, G.F2im, g2, dbAt, ob, da1, o1, da2, o2);
      expectClose(da1.subarray(o1), want.dx1.map((v) => v + 0.25), 'da1');
      expectClose(da2.subarray(o2), want.dx2.map((v) => v + 0.25), 'da2');
      expect(da1[0]).toBe(0.25);
    });
});

describe('flop counts', () => {
  it('fft2Flops is 5·N·log₂N per 1-D FFT over rows + N of them', () => {
    expect(fft2Flops(8, 3)).toBe(5 * 8 * 3 * 11);
    expect(fft2Flops(16, 16)).toBe(5 * 16 * 4 * 32);
  });
  it('gauntFlopsOf(1, 1, 2) by hand: 5372 forward, 9236 backward', () => {
    // G = 2, N = 8; SH → grid slots 16 per input, grid → SH slots 5·(1 + 5 + 9) = 75; rows 3, 3, 5.
    // forward 4·32 + 120·11 + 120·11 + 6·64 + 120·16 + 4·75; backward 4·75 + 120·13 + 2·120·11 + 2·(384 + 1920) + 4·32.
    expect(gauntFlopsOf(1, 1, 2)).toEqual({ forward: 5372, backward: 9236 });
  });
  it('from a plan, the same terms with table nonzeros in place of slots', () => {
    for (const [L1, L2, Lout] of [[1, 1, 2], [3, 2, 4]] as const) {
      const p = gauntPlan(L1, L2, Lout);
      const of = gauntFlopsOf(L1, L2, Lout);
      let toSlots = 0;
      for (const L of [L1, L2]) for (let l = 0; l <= L; l++) toSlots += (2 * l + 1) * (4 * l + 1);
      let fromSlots = 0;
      for (let l = 0; l <= Lout; l++) fromSlots += (4 * l + 1) * (2 * (L1 + L2) + 1);
      const slack = 4 * (toSlots - p.to1.sh.length - p.to2.sh.length) + 4 * (fromSlots - p.from.sh.length);
      expect(slack, `(${L1}, ${L2}, ${Lout})`).toBeGreaterThanOrEqual(0);
      expect(of.forward - gauntForwardFlops(p)).toBe(slack);
      expect(of.backward - gauntBackwardFlops(p)).toBe(slack);
    }
  });
});
