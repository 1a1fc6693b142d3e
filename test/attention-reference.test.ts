import { beforeAll, describe, expect, it } from 'vitest';
import { closeness, F32_TOL, WASM_TOL } from '../laws/index';
import { sampleKeyMask } from '../laws/attention';
import { checkOrThrow, jsBackend, lowerOrThrow, prim, randn, rng, type HostTensor } from '../src/index';
import { initWasm, type WasmBackend } from '../backends/wasm/index';
import { uploadAll } from '../src/backend/transfer';

/**
 * Attention against a plain reference written here from the primitive's documentation (one loop
 * per definition, float64, no blocking, no log-sum-exp tricks): causal, key-masked, cross, both
 * parametrisations, both residual variants, on every backend.
 */
interface Attrs {
  heads: number;
  dk?: number;
  dv?: number;
  param?: 'KQ' | 'W';
  values?: boolean;
  project?: boolean;
  out?: number;
  causal?: boolean;
  cross?: boolean;
  mask?: boolean;
  block?: number;
}

/** a [n, k] · b [k, m] */
const matmul = (a: ArrayLike<number>, b: ArrayLike<number>, n: number, k: number, m: number): Float64Array => {
  const o = new Float64Array(n * m);
  for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) for (let p = 0; p < k; p++) o[i * m + j] += a[i * k + p]! * b[p * m + j]!;
  return o;
};

/** y for one batch element: xq [Tq, dq], xkv [Tk, dkv], mask [Tk] (1 = attend) or null. */
const reference1 = (a: Attrs, ps: Record<string, HostTensor>, xq: Float64Array, xkv: Float64Array, mask: Float64Array | null, Tq: number, Tk: number, dq: number, dkv: number) => {
  const H = a.heads;
  const W = a.param === 'W';
  const dv = a.values === false ? dkv : a.dv!;
  const scale = W ? 1 : 1 / Math.sqrt(a.dk!);
  const v = a.values === false ? null : matmul(xkv, ps.wv!.data, Tk, dkv, H * dv);
  const o = new Float64Array(Tq * H * dv);
  for (let h = 0; h < H; h++) {
    // Scores s(t, u): scale · q_t · k_u with per-head column blocks, or scale · xkv_uᵀ W_h xq_t.
    const s = new Float64Array(Tq * Tk);
    if (W) {
      const w = ps.w!.data;
      for (let t = 0; t < Tq; t++)
        for (let u = 0; u < Tk; u++) {
          let acc = 0;
          for (let i = 0; i < dkv; i++) for (let j = 0; j < dq; j++) acc += xkv[u * dkv + i]! * w[(h * dkv + i) * dq + j]! * xq[t * dq + j]!;
          s[t * Tk + u] = scale * acc;
        }
    } else {
      const dk = a.dk!;
      const q = matmul(xq, ps.wq!.data, Tq, dq, H * dk);
      const k = matmul(xkv, ps.wk!.data, Tk, dkv, H * dk);
      for (let t = 0; t < Tq; t++)
        for (let u = 0; u < Tk; u++) {
          let acc = 0;
          for (let c = 0; c < dk; c++) acc += q[t * H * dk + h * dk + c]! * k[u * H * dk + h * dk + c]!;
          s[t * Tk + u] = scale * acc;
        }
    }
    for (let t = 0; t < Tq; t++) {
      const allowed = (u: number) => (!a.causal || u <= t) && (mask === null || mask[u] === 1);
      let z = 0;
      const p = new Float64Array(Tk);
      for (let u = 0; u < Tk; u++) if (allowed(u)) z += (p[u] = Math.exp(s[t * Tk + u]!));
      if (z === 0) continue; // no key to attend to: the output row is zero
      for (let u = 0; u < Tk; u++)
        for (let c = 0; c < dv; c++) {
          const val = v ? v[u * H * dv + h * dv + c]! : xkv[u * dkv + c]!;
          o[t * H * dv + h * dv + c] += (p[u]! / z) * val;
        }
    }
  }
  if (a.project === false) return o;
  const out = a.out ?? dq;
  return matmul(o, ps.wo!.data, Tq, H * dv, out);
};

/** The reference over all batch elements of inputs [B, T, d] (or unbatched [T, d]). */
const reference = (a: Attrs, ps: Record<string, HostTensor>, xs: readonly HostTensor[]): Float64Array => {
  const xq = xs[0]!;
  const xkv = a.cross ? xs[1]! : xq;
  const mask = a.mask ? xs[xs.length - 1]! : null;
  const [Tq, dq] = xq.shape.slice(-2) as [number, number];
  const [Tk, dkv] = xkv.shape.slice(-2) as [number, number];
  const B = xq.data.length / (Tq * dq);
  const rows: Float64Array[] = [];
  for (let b = 0; b < B; b++)
    rows.push(
      reference1(
        a, ps,
        Float64Array.from(xq.data.subarray(b * Tq * dq, (b + 1) * Tq * dq)),
        Float64Array.from(xkv.data.subarray(b * Tk * dkv, (b + 1) * Tk * dkv)),
        mask ? Float64Array.from(mask.data.subarray(b * Tk, (b + 1) * Tk)) : null,
        Tq, Tk, dq, dkv,
      ),
    );
  const out = new Float64Array(rows.reduce((n, r) => n + r.length, 0));
  let at = 0;
  for (const r of rows) {
    out.set(r, at);
    at += r.length;
  }
  return out;
};

interface Case {
  readonly name: string;
  readonly attrs: Attrs;
  readonly inputs: (seed: number) => HostTensor[];
}

const cases: Case[] = [
  { name: 'causal self KQ, 2 heads, batch', attrs: { heads: 2, dk: 3, dv: 4, causal: true, block: 2 }, inputs: (s) => [randn([2, 7, 5], rng(s).fork('x'))] },
  { name: 'causal self KQ, unbatched, one key block', attrs: { heads: 1, dk: 4, dv: 3, causal: true }, inputs: (s) => [randn([6, 5], rng(s).fork('x'))] },
  {
    name: 'key-masked self KQ (one fully masked batch)',
    attrs: { heads: 2, dk: 2, dv: 3, mask: true, block: 3 },
    inputs: (s) => [randn([2, 6, 4], rng(s).fork('x')), sampleKeyMask(2, 6, s)],
  },
  {
    name: 'causal + masked, output width',
    attrs: { heads: 3, dk: 2, dv: 2, out: 4, causal: true, mask: true, block: 4 },
    inputs: (s) => [randn([2, 6, 5], rng(s).fork('x')), sampleKeyMask(2, 6, s)],
  },
  { name: 'cross KQ, Tq ≠ Tk', attrs: { heads: 2, dk: 3, dv: 2, cross: true, block: 2 }, inputs: (s) => [randn([2, 3, 4], rng(s).fork('q')), randn([2, 5, 6], rng(s).fork('kv'))] },
  {
    name: 'cross W, key mask',
    attrs: { heads: 2, param: 'W', dv: 3, cross: true, mask: true, block: 2 },
    inputs: (s) => [randn([2, 3, 4], rng(s).fork('q')), randn([2, 5, 6], rng(s).fork('kv')), sampleKeyMask(2, 5, s)],
  },
  {
    name: 'cross W, raw values, no projection',
    attrs: { heads: 1, param: 'W', values: false, project: false, cross: true },
    inputs: (s) => [randn([3, 2, 5], rng(s).fork('q')), randn([3, 6, 5], rng(s).fork('kv'))],
  },
];

/** Random parameters with entries of size ~1, so that softmax rows are far from uniform. */
const paramsFor = (c: Case, xs: readonly HostTensor[], seed: number) => {
  const model = checkOrThrow(prim('attention', { ...c.attrs }), xs.map((x) => x.shape));
  return { model, params: Object.fromEntries([...model.params].map(([k, p]) => [k, randn(p.shape, rng(seed).fork(k))])) };
};

describe('attention equals a plain reference', () => {
  let wasm: WasmBackend;
  beforeAll(async () => {
    wasm = await initWasm();
  });
  const f64 = jsBackend('float64');
  const f32 = jsBackend('float32');
  for (const c of cases)
    for (const variant of ['probs', 'lse'])
      it(`${c.name} [${variant}]`, () => {
        for (const seed of [1, 2]) {
          const xs = c.inputs(seed);
          const { model, params } = paramsFor(c, xs, seed);
          const ref = { shape: model.root.outputs[0]!, data: reference(c.attrs, params, xs) };
          const run = <T>(be: { upload(h: HostTensor): T; download(t: T): HostTensor } & Parameters<typeof lowerOrThrow<T>>[1]) => {
            const prog = lowerOrThrow(model, be, { variants: { '': variant } });
            return be.download(prog.forward(uploadAll(be, params), xs.map((x) => be.upload(x))).outputs[0]!);
          };
          expect(closeness(run(f64), ref, 1e-12, 1e-13), `float64, seed ${seed}`).toBeLessThanOrEqual(1);
          expect(closeness(run(f32), ref, F32_TOL.rtol, F32_TOL.atol), `float32, seed ${seed}`).toBeLessThanOrEqual(1);
          wasm.scope(() => expect(closeness(run(wasm), ref, WASM_TOL.rtol, WASM_TOL.atol), `wasm, seed ${seed}`).toBeLessThanOrEqual(1));
          // The reference is not vacuous: the causal/mask structure changes the answer.
          if (c.attrs.causal || c.attrs.mask) {
            const open = reference({ ...c.attrs, causal: false, mask: false }, params, c.attrs.mask ? xs.slice(0, -1) : xs);
            expect(closeness({ shape: ref.shape, data: open }, ref, 1e-6, 1e-6)).toBeGreaterThan(1);
          }
        }
      });
});
