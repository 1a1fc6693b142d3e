// Equivariant tensor products on WebAssembly: `tensor_product` (src/tp.rs). The coupling
// coefficients come from src/equivariant (exactly the JS kernel's) and are copied into the module
// once per runtime and attribute set, as a sparse table of u32 words (see src/tp.rs); the
// contractions run in Rust. `gaunt_tensor_product` has no wasm kernel yet.
import '../../../src/prims/tensor-product';
import { loutOf, type DenseTPAttrs } from '../../../src/prims/tensor-product';
import { tensorProductPaths, type TPPath } from '../../../src/equivariant/products';
import { sizeOf } from '../../../src/tensor/shape';
import { registerWasmKernel, type WasmRuntime, type WasmTensor } from '../runtime';

type Fn = (...a: number[]) => number | void;
const fn = (rt: WasmRuntime, name: string): Fn => rt.exports[name] as Fn;

/** Copy u32 words into a module allocation that lives as long as the runtime (a cached table). */
const uploadWords = (rt: WasmRuntime, w: Uint32Array): number => {
  const ptr = rt.exports.cat_alloc(w.length * 4);
  if (ptr === 0) throw new Error('wasm: out of memory for a tensor-product table');
  new Uint32Array(rt.exports.memory.buffer, ptr, w.length).set(w);
  return ptr;
};

/** Per-runtime cache of uploaded tables, by key. */
const tableCache = (rt: WasmRuntime, build: (key: string) => Uint32Array) => {
  const m = new Map<string, number>();
  return (key: string): number => {
    let p = m.get(key);
    if (p === undefined) m.set(key, (p = uploadWords(rt, build(key))));
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

/** `[P, nnz, poff[0..=P], (i1, i2, i3, coef) × nnz]` of the dense product's nonzero coefficients. */
const denseTable = (paths: readonly TPPath[]): Uint32Array => {
  const ent: number[] = [];
  const poff = [0];
  for (const { l1, l2, l3, coeffs } of paths) {
    const [d1, d2, d3] = [2 * l1 + 1, 2 * l2 + 1, 2 * l3 + 1];
    for (let a = 0; a < d1; a++)
      for (let b = 0; b < d2; b++)
        for (let c = 0; c < d3; c++) {
          const v = coeffs[(a * d2 + b) * d3 + c]!;
          if (v !== 0) ent.push(l1 * l1 + a, l2 * l2 + b, l3 * l3 + c, f32bits(v));
        }
    poff.push(ent.length / 4);
  }
  return Uint32Array.from([paths.length, ent.length / 4, ...poff, ...ent]);
};

const layout = (a: { l1: number; l2: number; lout?: number }, x1: readonly number[]) => {
  const n1 = (a.l1 + 1) ** 2;
  return { rows: sizeOf(x1) / n1, C: x1[x1.length - 2]!, n1, n2: (a.l2 + 1) ** 2, n3: (loutOf(a) + 1) ** 2, L3: loutOf(a) };
};

registerWasmKernel('tensor_product', (rt) => {
  const table = tableCache(rt, (key) => {
    const [l1, l2, lo, cp] = key.split(',');
    return denseTable(tensorProductPaths(+l1!, +l2!, +lo!, cp as 'cg' | 'gaunt'));
  });
  const pathsOf = (a: DenseTPAttrs) => tensorProductPaths(a.l1, a.l2, loutOf(a), a.coupling ?? 'cg');
  const tableOf = (a: DenseTPAttrs) => table(`${a.l1},${a.l2},${loutOf(a)},${a.coupling ?? 'cg'}`);
  /** Effective per-(channel, path) weights [C, P]: p.w itself, products of degree weights, or ones. */
  const weff = (a: DenseTPAttrs, paths: readonly TPPath[], C: number, p: Record<string, WasmTensor>): { t: WasmTensor; temp: boolean } => {
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
      const a = n.attrs as DenseTPAttrs;
      const g = layout(a, x1!.shape);
      const paths = pathsOf(a);
      const tab = tableOf(a);
      const w = weff(a, paths, g.C, p);
      const y = rt.tensor(n.outputs[0]!);
      fn(rt, 'cat_tp_dense_fwd')(rt.ptr(x1!), rt.ptr(x2!), y.buf.ptr, g.rows, g.C, g.n1, g.n2, g.n3, rt.ptr(w.t), tab);
      if (w.temp) rt.release(w.t);
      return { outputs: [y], residual: { x1: x1!, x2: x2! } };
    },
    backward: (n, p, res, [dy]) => {
      const a = n.attrs as DenseTPAttrs;
      const { x1, x2 } = res as { x1: WasmTensor; x2: WasmTensor };
      const g = layout(a, x1.shape);
      const paths = pathsOf(a);
      const P = paths.length;
      const tab = tableOf(a);
      const w = weff(a, paths, g.C, p);
      const dx1 = rt.tensor(x1.shape);
      const dx2 = rt.tensor(x2.shape);
      const sp = rt.tensor([g.C, P]);
      fn(rt, 'cat_tp_dense_bwd')(rt.ptr(x1), rt.ptr(x2), rt.ptr(dy!), dx1.buf.ptr, dx2.buf.ptr, sp.buf.ptr, g.rows, g.C, g.n1, g.n2, g.n3, rt.ptr(w.t), tab);
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
