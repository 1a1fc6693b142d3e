import { describe, expect, it } from 'vitest';
import { mcb } from '../backends/js/kernels/pooling-mcb';
import { twoCellKey } from '../src/backend/backend';
import { mcbHashes } from '../src/prims/pooling';

/**
 * The JS mcb kernel called directly, against a plain reference written here: count sketches by their
 * definition, the circular convolution as an O(d²) sum, its adjoint as a sum, and the residuals of
 * each variant (sketches; half spectra by a plain DFT). Several rows, so a row past the first must
 * use its own offsets; even and odd d, so the Hermitian half of the spectrum is expanded both ways.
 */
const t = (shape: number[], data: number[]) => ({ shape, data: Float64Array.from(data) });
const node = (attrs: Record<string, unknown>, inputs: number[][], outputs: number[][], variant: string) =>
  ({ attrs, inputs, outputs, path: [], variant }) as never;
const close = (got: ArrayLike<number>, want: number[], tol = 1e-12, what = '') => {
  expect(got.length, what).toBe(want.length);
  want.forEach((w, i) => expect(Math.abs(got[i]! - w), `${what} entry ${i}: ${got[i]} vs ${w}`).toBeLessThanOrEqual(tol));
};
const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const mod = (a: number, d: number) => ((a % d) + d) % d;

interface H { h1: number[]; s1: number[]; h2: number[]; s2: number[] }

/** Ψ(x)_b = Σ_{i: h(i)=b} s(i) x_i for every row. */
const sketch = (x: number[], w: number, h: number[], s: number[], d: number): number[] =>
  range((x.length / w) * d).map((rb) => {
    const [r, b] = [Math.floor(rb / d), rb % d];
    return range(w).reduce((q, i) => q + (h[i] === b ? s[i]! * x[r * w + i]! : 0), 0);
  });
/** Per row: z_k = Σ_a ψ₁_a ψ₂_{k−a mod d}. */
const conv = (p1: number[], p2: number[], d: number): number[] =>
  p1.map((_, rk) => {
    const [r, k] = [Math.floor(rk / d), rk % d];
    return range(d).reduce((q, a) => q + p1[r * d + a]! * p2[r * d + mod(k - a, d)]!, 0);
  });
/** Per row, bins 0..⌊d/2⌋ of Σ_n p_n e^{−2πikn/d}. */
const halfDft = (p: number[], d: number): { re: number[]; im: number[] } => {
  const hs = Math.floor(d / 2) + 1;
  const re: number[] = [];
  const im: number[] = [];
  for (const r of range(p.length / d))
    for (const k of range(hs)) {
      re.push(range(d).reduce((q, n) => q + p[r * d + n]! * Math.cos((2 * Math.PI * k * n) / d), 0));
      im.push(range(d).reduce((q, n) => q - p[r * d + n]! * Math.sin((2 * Math.PI * k * n) / d), 0));
    }
  return { re, im };
};

/** Everything the kernel should give for (x, y, g) under hashes h. */
const reference = (x: number[], y: number[], g: number[], dx: number, dy: number, d: number, h: H) => {
  const p1 = sketch(x, dx, h.h1, h.s1, d);
  const p2 = sketch(y, dy, h.h2, h.s2, d);
  const rows = x.length / dx;
  // ∂x_i = s₁(i) Σ_k g_k ψ₂_{k − h₁(i)}, ∂y_j = s₂(j) Σ_k g_k ψ₁_{k − h₂(j)}.
  const gx = range(rows * dx).map((ri) => {
    const [r, i] = [Math.floor(ri / dx), ri % dx];
    return h.s1[i]! * range(d).reduce((q, k) => q + g[r * d + k]! * p2[r * d + mod(k - h.h1[i]!, d)]!, 0);
  });
  const gy = range(rows * dy).map((rj) => {
    const [r, j] = [Math.floor(rj / dy), rj % dy];
    return h.s2[j]! * range(d).reduce((q, k) => q + g[r * d + k]! * p1[r * d + mod(k - h.h2[j]!, d)]!, 0);
  });
  return { p1, p2, z: conv(p1, p2, d), gx, gy, a: halfDft(p1, d), b: halfDft(p2, d) };
};

const asH = (h: { h1: ArrayLike<number>; s1: ArrayLike<number>; h2: ArrayLike<number>; s2: ArrayLike<number> }): H => ({
  h1: Array.from(h.h1), s1: Array.from(h.s1), h2: Array.from(h.h2), s2: Array.from(h.s2),
});

describe('JS mcb kernel against a plain reference', () => {
  const rows = 3;
  const cases: { d: number; dx: number; dy: number; h: H }[] = [
    // Buckets collide (two x entries in bucket 1) and some stay empty.
    { d: 4, dx: 5, dy: 3, h: { h1: [1, 3, 1, 0, 2], s1: [1, -1, -1, 1, 1], h2: [2, 0, 3], s2: [-1, 1, 1] } },
    { d: 5, dx: 4, dy: 4, h: { h1: [4, 0, 2, 4], s1: [1, 1, -1, -1], h2: [1, 3, 3, 0], s2: [1, -1, 1, 1] } },
    { d: 6, dx: 3, dy: 5, h: { h1: [5, 2, 3], s1: [-1, 1, 1], h2: [0, 1, 4, 5, 1], s2: [1, 1, -1, 1, -1] } },
  ];
  for (const { d, dx, dy, h } of cases)
    it(`d = ${d}: forward, each variant's residual, backward, and the 2-cell maps`, () => {
      const x = range(rows * dx).map((i) => ((i * 3) % 7) - 3 + i / 4);
      const y = range(rows * dy).map((i) => ((i * 5) % 6) - 2 - i / 8);
      const g = range(rows * d).map((i) => ((i * 2) % 5) - 1.5);
      const ref = reference(x, y, g, dx, dy, d, h);
      const hs = Math.floor(d / 2) + 1;
      const attrs = { d, hashes: h };
      const ins = [t([rows, dx], x), t([rows, dy], y)];
      const outs: Record<string, ReturnType<typeof mcb.forward>> = {};
      for (const v of ['input', 'sketch', 'spectra']) {
        const n = node(attrs, [[rows, dx], [rows, dy]], [[rows, d]], v);
        const f = mcb.forward(n, {}, ins);
        outs[v] = f;
        close(f.outputs[0]!.data, ref.z, 1e-12, `${v} z`);
        expect(f.outputs[0]!.shape).toEqual([rows, d]);
        const res = f.residual;
        if (v === 'input') {
          expect(Object.keys(res).sort()).toEqual(['x', 'y']);
          expect(res.x).toBe(ins[0]);
          expect(res.y).toBe(ins[1]);
        } else if (v === 'sketch') {
          expect(Object.keys(res).sort()).toEqual(['psi1', 'psi2']);
          close(res.psi1!.data, ref.p1, 0, 'psi1');
          close(res.psi2!.data, ref.p2, 0, 'psi2');
          expect(res.psi1!.shape).toEqual([rows, d]);
        } else {
          expect(Object.keys(res).sort()).toEqual(['aIm', 'aRe', 'bIm', 'bRe']);
          close(res.aRe!.data, ref.a.re, 1e-12, 'aRe');
          close(res.aIm!.data, ref.a.im, 1e-12, 'aIm');
          close(res.bRe!.data, ref.b.re, 1e-12, 'bRe');
          close(res.bIm!.data, ref.b.im, 1e-12, 'bIm');
          expect(res.aRe!.shape).toEqual([rows, hs]);
        }
        const b = mcb.backward(n, {}, res, [t([rows, d], g)]);
        close(b.dInputs[0]!.data, ref.gx, 1e-12, `${v} gx`);
        close(b.dInputs[1]!.data, ref.gy, 1e-12, `${v} gy`);
        expect(b.dInputs.map((q) => q!.shape)).toEqual([[rows, dx], [rows, dy]]);
        expect(b.dParams).toEqual({});
      }
      // The 2-cell maps give exactly what the richer variant's forward keeps.
      const nIn = node(attrs, [[rows, dx], [rows, dy]], [[rows, d]], 'input');
      const sk = mcb.twoCells![twoCellKey('input', 'sketch')]!.r(nIn, {}, outs.input!.residual);
      expect(Object.keys(sk).sort()).toEqual(['psi1', 'psi2']);
      expect([...sk.psi1!.data]).toEqual([...outs.sketch!.residual.psi1!.data]);
      expect([...sk.psi2!.data]).toEqual([...outs.sketch!.residual.psi2!.data]);
      expect(sk.psi2!.shape).toEqual([rows, d]);
      const nSk = node(attrs, [[rows, dx], [rows, dy]], [[rows, d]], 'sketch');
      const sp = mcb.twoCells![twoCellKey('sketch', 'spectra')]!.r(nSk, {}, sk);
      for (const k of ['aRe', 'aIm', 'bRe', 'bIm']) {
        expect([...sp[k]!.data], k).toEqual([...outs.spectra!.residual[k]!.data]);
        expect(sp[k]!.shape).toEqual([rows, hs]);
      }
    });

  it('seeded hashes are mcbHashes(seed, dx, dy, d), per width and per seed (the hash cache keeps them apart)', () => {
    const d = 7;
    for (const [seed, dx, dy] of [[3, 6, 4], [3, 5, 4], [3, 6, 5], [4, 6, 4], [3, 6, 4]] as const) {
      const x = range(2 * dx).map((i) => Math.sin(i + 1));
      const y = range(2 * dy).map((i) => Math.cos(2 * i));
      const g = range(2 * d).map((i) => 1 + (i % 3));
      const ref = reference(x, y, g, dx, dy, d, asH(mcbHashes(seed, dx, dy, d)));
      const n = node({ d, seed }, [[2, dx], [2, dy]], [[2, d]], 'sketch');
      const f = mcb.forward(n, {}, [t([2, dx], x), t([2, dy], y)]);
      close(f.outputs[0]!.data, ref.z, 1e-12, `seed ${seed} ${dx}×${dy} z`);
      const b = mcb.backward(n, {}, f.residual, [t([2, d], g)]);
      close(b.dInputs[0]!.data, ref.gx, 1e-12, 'gx');
      close(b.dInputs[1]!.data, ref.gy, 1e-12, 'gy');
    }
  });

  it('two explicit hash tables of one d and widths are not confused (the hash cache keys on the tables)', () => {
    const d = 4;
    const hA: H = { h1: [0, 1, 2], s1: [1, 1, 1], h2: [0, 1], s2: [1, 1] };
    const hB: H = { h1: [3, 3, 0], s1: [-1, 1, -1], h2: [2, 1], s2: [1, -1] };
    const x = [1, 2, 3];
    const y = [4, -5];
    for (const h of [hA, hB, hA]) {
      const ref = reference(x, y, [1, 0, 0, 0], 3, 2, d, h);
      const f = mcb.forward(node({ d, hashes: h }, [[3], [2]], [[d]], 'input'), {}, [t([3], x), t([2], y)]);
      close(f.outputs[0]!.data, ref.z, 1e-12, JSON.stringify(h));
    }
  });
});
