// Bilinear-pooling primitives on WebAssembly (src/pool.rs + the SIMD gemm; `mcb` in src/mcb.rs).
import {
  type McbAttrs, bilinearDef, concatLastDef, hadamardDef, halfSpectrum, mcbDef, mcbHashesOf, outerProductDef, signedSqrtL2Def, sumPoolDef,
} from '../../../src/prims/pooling';
import { twoCellKey } from '../../../src/backend/backend';
import { sizeOf } from '../../../src/tensor/shape';
import { wasmKernel } from '../kernel';
import type { WasmRuntime, WasmTensor } from '../runtime';
import { gemm } from './basic';
import { pooledRows } from '../pool/split';

const lastOf = (t: WasmTensor): number => t.shape[t.shape.length - 1]!;
const rowsOf = (t: WasmTensor): number => (lastOf(t) === 0 ? 0 : sizeOf(t.shape) / lastOf(t));

export const outerProduct = wasmKernel(outerProductDef, (rt) => ({
  forward: (n, _p, [x, y]) => {
    const [dx, dy, rows] = [lastOf(x!), lastOf(y!), rowsOf(x!)];
    const z = rt.tensor(n.outputs[0]!);
    rt.exports.cat_outer_fwd(rt.ptr(x!), dx, rt.ptr(y!), dy, z.buf.ptr, dx * dy, rows, dx, dy);
    return { outputs: [z], residual: { x: x!, y: y! } };
  },
  backward: (_n, _p, r, [g]) => {
    const { x, y } = r as { x: WasmTensor; y: WasmTensor };
    const [dx, dy, rows] = [lastOf(x), lastOf(y), rowsOf(x)];
    const gx = rt.tensor(x.shape);
    const gy = rt.tensor(y.shape);
    rt.exports.cat_outer_bwd(rt.ptr(x), dx, rt.ptr(y), dy, rt.ptr(g!), dx * dy, gx.buf.ptr, gy.buf.ptr, rows, dx, dy);
    return { dInputs: [gx, gy], dParams: {} };
  },
}));

export const signedSqrtL2 = wasmKernel(signedSqrtL2Def, (rt) => ({
  forward: (n, _p, [v]) => {
    const eps = n.attrs.eps ?? 1e-8;
    const [c, rows] = [lastOf(v!), rowsOf(v!)];
    const s = rt.tensor(v!.shape);
    const rnorm = rt.tensor([rows]);
    const out = rt.tensor(v!.shape);
    rt.exports.cat_signed_sqrt_l2_fwd(rt.ptr(v!), s.buf.ptr, rnorm.buf.ptr, out.buf.ptr, rows, c, eps);
    return { outputs: [out], residual: { s, rnorm } };
  },
  backward: (n, _p, r, [g]) => {
    const eps = n.attrs.eps ?? 1e-8;
    const { s, rnorm } = r as { s: WasmTensor; rnorm: WasmTensor };
    const dv = rt.tensor(s.shape);
    rt.exports.cat_signed_sqrt_l2_bwd(rt.ptr(s), rt.ptr(rnorm), rt.ptr(g!), dv.buf.ptr, rowsOf(s), lastOf(s), eps);
    return { dInputs: [dv], dParams: {} };
  },
}));

/**
 * Learnt bilinear map, per block b: `T = vec(x_b y_bᵀ)` (rows × bx·by), `z_b = T · W_b` by gemm.
 * Backward: `dT = g_b W_bᵀ`, `dW_b = Tᵀ g_b`, and (gx_b, gy_b) from the outer product's backward.
 */
export const bilinear = wasmKernel(bilinearDef, (rt) => ({
  forward: (n, p, [x, y]) => {
    const nb = n.attrs.blocks ?? 1;
    const out = n.attrs.out;
    const [dx, dy, rows] = [lastOf(x!), lastOf(y!), rowsOf(x!)];
    const [bx, by, bo] = [dx / nb, dy / nb, out / nb];
    const z = rt.tensor(n.outputs[0]!);
    const t = rt.tensor([rows, bx * by]);
    for (let b = 0; b < nb; b++) {
      rt.exports.cat_outer_fwd(rt.ptr(x!) + 4 * b * bx, dx, rt.ptr(y!) + 4 * b * by, dy, t.buf.ptr, bx * by, rows, bx, by);
      gemm(rt, rows, bo, bx * by, t.buf.ptr, bx * by, 1, rt.ptr(p.w!) + 4 * b * bx * by * bo, bo, 1, z.buf.ptr + 4 * b * bo, out);
    }
    rt.release(t);
    return { outputs: [z], residual: { x: x!, y: y! } };
  },
  backward: (n, p, r, [g]) => {
    const { x, y } = r as { x: WasmTensor; y: WasmTensor };
    const nb = n.attrs.blocks ?? 1;
    const out = n.attrs.out;
    const [dx, dy, rows] = [lastOf(x), lastOf(y), rowsOf(x)];
    const [bx, by, bo] = [dx / nb, dy / nb, out / nb];
    const gx = rt.tensor(x.shape);
    const gy = rt.tensor(y.shape);
    const gw = rt.tensor(p.w!.shape);
    const t = rt.tensor([rows, bx * by]);
    const dt = rt.tensor([rows, bx * by]);
    for (let b = 0; b < nb; b++) {
      const [xb, yb, wb, gb] = [rt.ptr(x) + 4 * b * bx, rt.ptr(y) + 4 * b * by, rt.ptr(p.w!) + 4 * b * bx * by * bo, rt.ptr(g!) + 4 * b * bo];
      rt.exports.cat_outer_fwd(xb, dx, yb, dy, t.buf.ptr, bx * by, rows, bx, by);
      // dT = g_b · W_bᵀ, dW_b = Tᵀ · g_b
      gemm(rt, rows, bx * by, bo, gb, out, 1, wb, 1, bo, dt.buf.ptr, bx * by);
      gemm(rt, bx * by, bo, rows, t.buf.ptr, 1, bx * by, gb, out, 1, gw.buf.ptr + 4 * b * bx * by * bo, bo);
      rt.exports.cat_outer_bwd(xb, dx, yb, dy, dt.buf.ptr, bx * by, gx.buf.ptr + 4 * b * bx, gy.buf.ptr + 4 * b * by, rows, bx, by);
    }
    rt.release(t);
    rt.release(dt);
    return { dInputs: [gx, gy], dParams: { w: gw } };
  },
}));

export const hadamard = wasmKernel(hadamardDef, (rt) => ({
  forward: (_n, _p, [a, b]) => {
    const z = rt.tensor(a!.shape);
    rt.exports.cat_mul(rt.ptr(a!), rt.ptr(b!), z.buf.ptr, z.size);
    return { outputs: [z], residual: { a: a!, b: b! } };
  },
  backward: (_n, _p, r, [g]) => {
    const { a, b } = r as { a: WasmTensor; b: WasmTensor };
    const ga = rt.tensor(a.shape);
    const gb = rt.tensor(b.shape);
    rt.exports.cat_mul(rt.ptr(g!), rt.ptr(b), ga.buf.ptr, ga.size);
    rt.exports.cat_mul(rt.ptr(g!), rt.ptr(a), gb.buf.ptr, gb.size);
    return { dInputs: [ga, gb], dParams: {} };
  },
}));

export const sumPool = wasmKernel(sumPoolDef, (rt) => ({
  forward: (n, _p, [x]) => {
    const k = n.attrs.k;
    const z = rt.tensor(n.outputs[0]!);
    rt.exports.cat_sum_pool_fwd(rt.ptr(x!), z.buf.ptr, z.size, k);
    return { outputs: [z], residual: {} };
  },
  backward: (n, _p, _r, [g]) => {
    const k = n.attrs.k;
    const gx = rt.tensor(n.inputs[0]!);
    rt.exports.cat_sum_pool_bwd(rt.ptr(g!), gx.buf.ptr, g!.size, k);
    return { dInputs: [gx], dParams: {} };
  },
}));

export const concatLast = wasmKernel(concatLastDef, (rt) => ({
  forward: (n, _p, xs) => {
    const z = rt.tensor(n.outputs[0]!);
    const [total, rows] = [lastOf(z), rowsOf(z)];
    let off = 0;
    for (const x of xs) {
      const c = lastOf(x);
      rt.exports.cat_copy_rows(rt.ptr(x), c, z.buf.ptr + 4 * off, total, rows, c);
      off += c;
    }
    return { outputs: [z], residual: {} };
  },
  backward: (n, _p, _r, [g]) => {
    const [total, rows] = [lastOf(g!), rowsOf(g!)];
    let off = 0;
    const dInputs = n.inputs.map((s) => {
      const c = s[s.length - 1]!;
      const d = rt.tensor(s);
      rt.exports.cat_copy_rows(rt.ptr(g!) + 4 * off, total, d.buf.ptr, c, rows, c);
      off += c;
      return d;
    });
    return { dInputs, dParams: {} };
  },
}));

/**
 * Compact bilinear pooling (src/mcb.rs). The hashes (from the node's attributes, as in the JS
 * kernel) are uploaded once per runtime and attributes as u32 words `[h1, s1, h2, s2]`, kept for the
 * life of the runtime. Residuals: `input` {x, y}; `sketch` {psi1, psi2} (rows × d each); `spectra`
 * the half spectra {aRe, aIm, bRe, bIm} (rows × (⌊d/2⌋+1) each), exactly the JS kernel's.
 */
export const mcb = wasmKernel(mcbDef, (rt: WasmRuntime) => {
  const cache = new Map<string, number>();
  const hashesFor = (a: McbAttrs, dx: number, dy: number): number => {
    const key = a.hashes ? JSON.stringify(a) + `|${dx}|${dy}` : `${a.seed}|${a.d}|${dx}|${dy}`;
    let ptr = cache.get(key);
    if (ptr === undefined) {
      const { h1, s1, h2, s2 } = mcbHashesOf(a, dx, dy);
      const w = new Int32Array(2 * (dx + dy));
      w.set(h1, 0);
      w.set(s1, dx);
      w.set(h2, 2 * dx);
      w.set(s2, 2 * dx + dy);
      ptr = rt.allocBytes(w.length * 4, 'the mcb hashes');
      new Int32Array(rt.exports.memory.buffer, ptr, w.length).set(w);
      cache.set(key, ptr);
    }
    return ptr;
  };
  return {
    forward: (n, _p, [x, y]) => {
      const a = n.attrs;
      const d = a.d;
      const [dx, dy, rows] = [lastOf(x!), lastOf(y!), rowsOf(x!)];
      const hs = hashesFor(a, dx, dy);
      const lead = x!.shape.slice(0, -1);
      const psi1 = rt.tensor([...lead, d]);
      const psi2 = rt.tensor([...lead, d]);
      const spectra = n.variant === 'spectra';
      const spec = spectra ? [0, 1, 2, 3].map(() => rt.tensor([...lead, halfSpectrum(d)])) : [];
      const z = rt.tensor(n.outputs[0]!);
      const sp = spectra ? spec.map((t) => t.buf.ptr) : [0, 0, 0, 0];
      const args = [rt.ptr(x!), rt.ptr(y!), rows, dx, dy, d, hs, psi1.buf.ptr, psi2.buf.ptr, sp[0]!, sp[1]!, sp[2]!, sp[3]!, z.buf.ptr];
      const h = halfSpectrum(d);
      pooledRows(rt, 'cat_mcb_fwd', args, { rows: 2, perRow: [[0, dx], [1, dy], [7, d], [8, d], [9, h], [10, h], [11, h], [12, h], [13, d]] }, n.cost.fwdFlops);
      if (n.variant === 'sketch') return { outputs: [z], residual: { psi1, psi2 } };
      rt.release(psi1);
      rt.release(psi2);
      const residual: Record<string, WasmTensor> = spectra ? { aRe: spec[0]!, aIm: spec[1]!, bRe: spec[2]!, bIm: spec[3]! } : { x: x!, y: y! };
      return { outputs: [z], residual };
    },
    backward: (n, _p, r, [g]) => {
      const a = n.attrs;
      const [xs, ys] = n.inputs as [number[], number[]];
      const [dx, dy] = [xs[xs.length - 1]!, ys[ys.length - 1]!];
      const rows = dx === 0 ? 0 : sizeOf(xs) / dx;
      const hs = hashesFor(a, dx, dy);
      const gx = rt.tensor(xs);
      const gy = rt.tensor(ys);
      const res = r as Record<string, WasmTensor>;
      const p = (k: string): number => (res[k] ? rt.ptr(res[k]!) : 0);
      const mode = n.variant === 'sketch' ? 0 : n.variant === 'input' ? 1 : 2;
      const args = [mode, p('x'), p('y'), p('psi1'), p('psi2'), p('aRe'), p('aIm'), p('bRe'), p('bIm'), rt.ptr(g!), gx.buf.ptr, gy.buf.ptr, rows, dx, dy, a.d, hs];
      const [d, h] = [a.d, halfSpectrum(a.d)];
      const perRow = [[1, dx], [2, dy], [3, d], [4, d], [5, h], [6, h], [7, h], [8, h], [9, d], [10, dx], [11, dy]] as const;
      pooledRows(rt, 'cat_mcb_bwd', args, { rows: 12, perRow }, n.cost.bwdFlops);
      return { dInputs: [gx, gy], dParams: {} };
    },
    twoCells: {
      // Both maps run the forward's own Rust routines (sketch; real-pair FFT and f32 half spectra).
      [twoCellKey('input', 'sketch')]: {
        r: (n, _p, m) => {
          const [x, y] = [m.x!, m.y!];
          const [dx, dy, rows] = [lastOf(x), lastOf(y), rowsOf(x)];
          const lead = x.shape.slice(0, -1);
          const psi1 = rt.tensor([...lead, n.attrs.d]);
          const psi2 = rt.tensor([...lead, n.attrs.d]);
          rt.exports.cat_mcb_sketch(rt.ptr(x), rt.ptr(y), rows, dx, dy, n.attrs.d, hashesFor(n.attrs, dx, dy), psi1.buf.ptr, psi2.buf.ptr);
          return { psi1, psi2 };
        },
      },
      [twoCellKey('sketch', 'spectra')]: {
        r: (n, _p, m) => {
          const [psi1, psi2] = [m.psi1!, m.psi2!];
          const lead = psi1.shape.slice(0, -1);
          const [aRe, aIm, bRe, bIm] = [0, 1, 2, 3].map(() => rt.tensor([...lead, halfSpectrum(n.attrs.d)])) as [WasmTensor, WasmTensor, WasmTensor, WasmTensor];
          rt.exports.cat_mcb_spectra(rt.ptr(psi1), rt.ptr(psi2), rowsOf(psi1), n.attrs.d, aRe.buf.ptr, aIm.buf.ptr, bRe.buf.ptr, bIm.buf.ptr);
          return { aRe, aIm, bRe, bIm };
        },
      },
    },
  };
});
