// Equivariant tensor products on WebAssembly: `tensor_product` (src/tp.rs) and
// `gaunt_tensor_product` (src/gaunt.rs). The coupling coefficients and the SH ↔ Fourier tables come
// from src/equivariant (exactly the JS kernels' tables) and are copied into the module once per
// runtime and attribute set, as sparse tables of u32 words (see the Rust files); the contractions,
// grid conversions and FFTs run in Rust.
import { type Params, type Residual, twoCellKey } from '../../../src/backend/backend';
import { type DenseTPAttrs, type GauntTPAttrs, gauntTensorProductDef, loutOf, tensorProductDef } from '../../../src/prims/tensor-product';
import { gauntPlan, tensorProductPaths, type TPPath } from '../../../src/equivariant/products';
import type { FourierTable } from '../../../src/equivariant/fourier';
import { sizeOf } from '../../../src/tensor/shape';
import { wasmKernel } from '../kernel';
import type { WasmRuntime, WasmTensor } from '../runtime';
import { gauntBwdLayout, gauntFwdLayout, pooledRows } from '../pool/split';

/** Copy u32 words into a module allocation that lives as long as the runtime (a cached table). */
const uploadWords = (rt: WasmRuntime, w: Uint32Array): number => {
  const ptr = rt.allocBytes(w.length * 4, 'a tensor-product table');
  new Uint32Array(rt.exports.memory.buffer, ptr, w.length).set(w);
  return ptr;
};

/** Words of each uploaded table, by address (the worker pool copies a table to its workers). */
const wordsOfTables = new WeakMap<WasmRuntime, Map<number, number>>();

/** Per-runtime cache of uploaded tables: the table of `key`, built by `build` the first time. */
const tableCache = (rt: WasmRuntime) => {
  const m = new Map<string, number>();
  const words = wordsOfTables.get(rt) ?? new Map<number, number>();
  wordsOfTables.set(rt, words);
  return (key: string, build: () => Uint32Array): number => {
    let p = m.get(key);
    if (p === undefined) {
      const w = build();
      m.set(key, (p = uploadWords(rt, w)));
      words.set(p, w.length);
    }
    return p;
  };
};

const f32bits = (() => {
  const f = new Float32Array(1);
  const u = new Uint32Array(f.buffer);
  return (x: number): number => {
    f[0] = x;
    return u[0]!;
  };
})();

/**
 * `[P, nnz, poff[0..=P], (i1, i2, i3, coef) × nnz]` of the dense product's nonzero coefficients.
 * Counted first, then filled into one typed array: no intermediate JavaScript array (whose length V8
 * caps far below what high degrees need) and no spread of millions of arguments.
 */
const denseTable = (paths: readonly TPPath[]): Uint32Array => {
  let nnz = 0;
  for (const { coeffs } of paths) for (let i = 0; i < coeffs.length; i++) if (coeffs[i] !== 0) nnz++;
  const P = paths.length;
  const out = new Uint32Array(2 + (P + 1) + 4 * nnz);
  out[0] = P;
  out[1] = nnz;
  let e = 2 + P + 1;
  let k = 0;
  out[2] = 0;
  paths.forEach(({ l1, l2, l3, coeffs }, p) => {
    const [d1, d2, d3] = [2 * l1 + 1, 2 * l2 + 1, 2 * l3 + 1];
    for (let a = 0; a < d1; a++)
      for (let b = 0; b < d2; b++)
        for (let c = 0; c < d3; c++) {
          const v = coeffs[(a * d2 + b) * d3 + c]!;
          if (v === 0) continue;
          out[e++] = l1 * l1 + a;
          out[e++] = l2 * l2 + b;
          out[e++] = l3 * l3 + c;
          out[e++] = f32bits(v);
          k++;
        }
    out[2 + p + 1] = k;
  });
  return out;
};

/** Words of a Fourier table appended at `at` in `out`; returns the next free index. */
const putTable = (out: Uint32Array, at: number, t: FourierTable): number => {
  for (let e = 0; e < t.sh.length; e++) {
    out[at++] = t.sh[e]!;
    out[at++] = t.cell[e]!;
    out[at++] = f32bits(t.re[e]!);
    out[at++] = f32bits(t.im[e]!);
  }
  return at;
};

/** `[L1, L2, Lout, N, e1, e2, ef, (sh, cell, re, im) × …]` of a Gaunt plan. */
const gauntTable = (L1: number, L2: number, Lout: number): Uint32Array => {
  const p = gauntPlan(L1, L2, Lout);
  const out = new Uint32Array(7 + 4 * (p.to1.sh.length + p.to2.sh.length + p.from.sh.length));
  out.set([L1, L2, Lout, p.N, p.to1.sh.length, p.to2.sh.length, p.from.sh.length]);
  putTable(out, putTable(out, putTable(out, 7, p.to1), p.to2), p.from);
  return out;
};

const layout = (a: { l1: number; l2: number; lout?: number }, x1: readonly number[]) => {
  const n1 = (a.l1 + 1) ** 2;
  return { rows: sizeOf(x1) / n1, C: x1[x1.length - 2]!, n1, n2: (a.l2 + 1) ** 2, n3: (loutOf(a) + 1) ** 2, L3: loutOf(a) };
};

export const tensorProduct = wasmKernel(tensorProductDef, (rt) => {
  const table = tableCache(rt);
  const pathsOf = (a: DenseTPAttrs) => tensorProductPaths(a.l1, a.l2, loutOf(a), a.coupling ?? 'cg');
  const tableOf = (a: DenseTPAttrs) => table(`${a.l1},${a.l2},${loutOf(a)},${a.coupling ?? 'cg'}`, () => denseTable(pathsOf(a)));
  /** Effective per-(channel, path) weights [C, P]: p.w itself, products of degree weights, or ones. */
  const weff = (a: DenseTPAttrs, paths: readonly TPPath[], C: number, p: Params<WasmTensor>): { t: WasmTensor; temp: boolean } => {
    const mode = a.weights ?? 'path';
    if (mode === 'path') return { t: p.w!, temp: false };
    const P = paths.length;
    const h = new Float32Array(C * P).fill(1);
    if (mode === 'degree') {
      const [w1, w2, w3] = [rt.download(p.w1!), rt.download(p.w2!), rt.download(p.w3!)];
      const [d1, d2, d3] = [w1.shape[1]!, w2.shape[1]!, w3.shape[1]!];
      for (let c = 0; c < C; c++)
        for (let k = 0; k < P; k++) {
          const { l1, l2, l3 } = paths[k]!;
          h[c * P + k] = w1.data[c * d1 + l1]! * w2.data[c * d2 + l2]! * w3.data[c * d3 + l3]!;
        }
    }
    return { t: rt.upload({ shape: [C, P], data: h }), temp: true };
  };
  return {
    forward: (n, p, [x1, x2]) => {
      const a = n.attrs;
      const g = layout(a, x1!.shape);
      const paths = pathsOf(a);
      const tab = tableOf(a);
      const w = weff(a, paths, g.C, p);
      const y = rt.tensor(n.outputs[0]!);
      const args = [rt.ptr(x1!), rt.ptr(x2!), y.buf.ptr, g.rows, g.C, g.n1, g.n2, g.n3, rt.ptr(w.t), tab];
      const rowsOfTp = { rows: 3, ch: 4, perRow: [[0, g.n1], [1, g.n2], [2, g.n3]], perChannel: [[8, paths.length]] } as const;
      pooledRows(rt, 'cat_tp_dense_fwd', args, rowsOfTp, n.cost.fwdFlops, [paths.length, wordsOfTables.get(rt)!.get(tab)!]);
      if (w.temp) rt.release(w.t);
      return { outputs: [y], residual: { x1: x1!, x2: x2! } };
    },
    backward: (n, p, res, [dy]) => {
      const a = n.attrs;
      const { x1, x2 } = res as { x1: WasmTensor; x2: WasmTensor };
      const g = layout(a, x1.shape);
      const paths = pathsOf(a);
      const P = paths.length;
      const tab = tableOf(a);
      const w = weff(a, paths, g.C, p);
      const dx1 = rt.tensor(x1.shape);
      const dx2 = rt.tensor(x2.shape);
      const sp = rt.tensor([g.C, P]);
      const args = [rt.ptr(x1), rt.ptr(x2), rt.ptr(dy!), dx1.buf.ptr, dx2.buf.ptr, sp.buf.ptr, g.rows, g.C, g.n1, g.n2, g.n3, rt.ptr(w.t), tab];
      // sp sums over the rows of each channel: split only with one row per channel (blocks of channels)
      if (g.rows === g.C) {
        const rowsOfTp = { rows: 6, ch: 7, perRow: [[0, g.n1], [1, g.n2], [2, g.n3], [3, g.n1], [4, g.n2]], perChannel: [[5, P], [11, P]] } as const;
        pooledRows(rt, 'cat_tp_dense_bwd', args, rowsOfTp, n.cost.bwdFlops, [P, wordsOfTables.get(rt)!.get(tab)!]);
      } else rt.exports.cat_tp_dense_bwd(...(args as Parameters<typeof rt.exports.cat_tp_dense_bwd>));
      if (w.temp) rt.release(w.t);
      const mode = a.weights ?? 'path';
      const dParams: Record<string, WasmTensor> = {};
      if (mode === 'path') dParams.w = sp;
      else {
        if (mode === 'degree') {
          const s = rt.download(sp).data;
          const [w1, w2, w3] = [rt.download(p.w1!), rt.download(p.w2!), rt.download(p.w3!)];
          const [d1, d2, d3] = [w1.shape[1]!, w2.shape[1]!, w3.shape[1]!];
          const [g1, g2, g3] = [new Float64Array(w1.data.length), new Float64Array(w2.data.length), new Float64Array(w3.data.length)];
          for (let c = 0; c < g.C; c++)
            for (let k = 0; k < P; k++) {
              const { l1, l2, l3 } = paths[k]!;
              const v = s[c * P + k]!;
              const [a1, a2, a3] = [w1.data[c * d1 + l1]!, w2.data[c * d2 + l2]!, w3.data[c * d3 + l3]!];
              g1[c * d1 + l1] += v * a2 * a3;
              g2[c * d2 + l2] += v * a1 * a3;
              g3[c * d3 + l3] += v * a1 * a2;
            }
          dParams.w1 = rt.upload({ shape: w1.shape, data: Float32Array.from(g1) });
          dParams.w2 = rt.upload({ shape: w2.shape, data: Float32Array.from(g2) });
          dParams.w3 = rt.upload({ shape: w3.shape, data: Float32Array.from(g3) });
        }
        rt.release(sp);
      }
      return { dInputs: [dx1, dx2], dParams };
    },
  };
});

/** The pool's meta for the Gaunt product's exports: [plan words, n1, n2, n3, W1, W2, weights per channel of w1, w2, w3]. */
const gauntMeta = (rt: WasmRuntime, a: GauntTPAttrs, g: ReturnType<typeof layout>, plan: number): number[] => [
  wordsOfTables.get(rt)!.get(plan)!, g.n1, g.n2, g.n3, 2 * a.l1 + 1, 2 * a.l2 + 1, a.l1 + 1, a.l2 + 1, g.L3 + 1,
];

export const gauntTensorProduct = wasmKernel(gauntTensorProductDef, (rt) => {
  const table = tableCache(rt);
  const tableOf = (a: GauntTPAttrs) => table(`${a.l1},${a.l2},${loutOf(a)}`, () => gauntTable(a.l1, a.l2, loutOf(a)));
  /** Grids of the weighted inputs and the unweighted product b (and y when asked), all rows. */
  const state = (a: GauntTPAttrs, p: Params<WasmTensor>, x1: WasmTensor, x2: WasmTensor, y: WasmTensor | null, work: number) => {
    const g = layout(a, x1.shape);
    const lead = x1.shape.slice(0, -1);
    const W1 = 2 * a.l1 + 1, W2 = 2 * a.l2 + 1;
    const st = {
      f1re: rt.tensor([...lead, W1, W1]),
      f1im: rt.tensor([...lead, W1, W1]),
      f2re: rt.tensor([...lead, W2, W2]),
      f2im: rt.tensor([...lead, W2, W2]),
      b: rt.tensor([...lead, g.n3]),
    };
    const yy = y ?? rt.tensor([...lead, g.n3]);
    const degreeW = (a.weights ?? 'degree') === 'degree';
    const [w1, w2, w3] = degreeW ? [rt.ptr(p.w1!), rt.ptr(p.w2!), rt.ptr(p.w3!)] : [0, 0, 0];
    const plan = tableOf(a);
    const args = [plan, rt.ptr(x1), rt.ptr(x2), w1, w2, w3, g.rows, g.C, st.f1re.buf.ptr, st.f1im.buf.ptr, st.f2re.buf.ptr, st.f2im.buf.ptr, st.b.buf.ptr, yy.buf.ptr];
    // by blocks of rows across the runtime's worker pool, if it has one and the product is large
    const perChannel = [a.l1 + 1, a.l2 + 1, g.L3 + 1] as const;
    pooledRows(rt, 'cat_gaunt_fwd', args, gauntFwdLayout(perChannel, [g.n1, g.n2, W1 * W1, W2 * W2, g.n3]), work, gauntMeta(rt, a, g, plan));
    if (!y) rt.release(yy);
    return st;
  };
  /** What the `grids` variant keeps: the inputs, both Fourier grids and, with degree weights, b. */
  const gridsResidual = (a: GauntTPAttrs, x1: WasmTensor, x2: WasmTensor, st: ReturnType<typeof state>): Residual<WasmTensor> => {
    const degreeW = (a.weights ?? 'degree') === 'degree';
    if (!degreeW) rt.release(st.b);
    const { f1re, f1im, f2re, f2im, b } = st;
    return { x1, x2, f1re, f1im, f2re, f2im, ...(degreeW ? { b } : {}) };
  };
  return {
    forward: (n, p, [x1, x2]) => {
      const a = n.attrs;
      const y = rt.tensor(n.outputs[0]!);
      const st = state(a, p, x1!, x2!, y, n.cost.fwdFlops);
      if (n.variant === 'grids') return { outputs: [y], residual: gridsResidual(a, x1!, x2!, st) };
      for (const t of Object.values(st)) rt.release(t);
      return { outputs: [y], residual: { x1: x1!, x2: x2! } };
    },
    backward: (n, p, res, [dy]) => {
      const a = n.attrs;
      const x1 = res.x1!, x2 = res.x2!;
      const g = layout(a, x1.shape);
      const degreeW = (a.weights ?? 'degree') === 'degree';
      const fresh = n.variant !== 'grids';
      const st = fresh ? state(a, p, x1, x2, null, n.cost.fwdFlops) : { f1re: res.f1re!, f1im: res.f1im!, f2re: res.f2re!, f2im: res.f2im!, b: res.b };
      const dx1 = rt.tensor(x1.shape);
      const dx2 = rt.tensor(x2.shape);
      const dw = degreeW ? { w1: rt.tensor(p.w1!.shape), w2: rt.tensor(p.w2!.shape), w3: rt.tensor(p.w3!.shape) } : null;
      const [w1, w2, w3] = degreeW ? [rt.ptr(p.w1!), rt.ptr(p.w2!), rt.ptr(p.w3!)] : [0, 0, 0];
      const plan = tableOf(a);
      const args = [
        plan, rt.ptr(x1), rt.ptr(x2), w1, w2, w3, g.rows, g.C,
        rt.ptr(st.f1re), rt.ptr(st.f1im), rt.ptr(st.f2re), rt.ptr(st.f2im), degreeW ? rt.ptr(st.b!) : 0, rt.ptr(dy!),
        dx1.buf.ptr, dx2.buf.ptr, dw ? dw.w1.buf.ptr : 0, dw ? dw.w2.buf.ptr : 0, dw ? dw.w3.buf.ptr : 0,
      ];
      // The weight gradients sum over the rows of each channel: split only where a block's sums are
      // whole (one row per channel, blocks of channels) or there are none (no weights).
      if (g.rows === g.C || !degreeW) {
        const W1 = 2 * a.l1 + 1, W2 = 2 * a.l2 + 1;
        const rowsOfG = gauntBwdLayout([a.l1 + 1, a.l2 + 1, g.L3 + 1], [g.n1, g.n2, W1 * W1, W2 * W2, g.n3]);
        pooledRows(rt, 'cat_gaunt_bwd', args, rowsOfG, n.cost.bwdFlops, gauntMeta(rt, a, g, plan));
      } else rt.exports.cat_gaunt_bwd(...(args as Parameters<typeof rt.exports.cat_gaunt_bwd>));
      if (fresh) for (const t of Object.values(st)) if (t) rt.release(t);
      return { dInputs: [dx1, dx2], dParams: dw ?? {} };
    },
    twoCells: {
      // r recomputes the grids (and b) from the kept inputs by the forward's own routine (cat_gaunt_fwd).
      [twoCellKey('inputs', 'grids')]: { r: (n, p, m) => gridsResidual(n.attrs, m.x1!, m.x2!, state(n.attrs, p, m.x1!, m.x2!, null, n.cost.fwdFlops)) },
    },
  };
});
