import { beforeAll, describe, expect, it } from 'vitest';
import { checkOrThrow, initParams, lowerOrThrow, named, planTwoCell, prim, recomputeAll, skip, rng, randn, seq, storeAll } from '../src/index';
import { plansAgree, planTwoCellValid } from '../laws/index';
import { matmul } from '../backends/js/index';
import { freshWasmBackendSync, gemm, initWasm, WasmMemoryError, type WasmBackend } from '../backends/wasm/index';
import { instantiateSync } from '../backends/wasm/pkg/catoptric_wasm.js';

let wasm: WasmBackend;
beforeAll(async () => {
  wasm = await initWasm();
});

const host = (shape: number[], seed: number) => randn(shape, rng(seed).fork('t'));

describe('wasm gemm (register-blocked SIMD) against a float64 reference', () => {
  // sizes cross the 4×8 tile, the 128-row and the 256-deep packing blocks, and odd edges
  const sizes: [number, number, number][] = [[1, 1, 1], [4, 8, 3], [37, 45, 300], [130, 17, 9], [64, 64, 64], [5, 259, 513]];
  for (const [m, n, k] of sizes) {
    for (const form of ['NN', 'NT', 'TN'] as const) {
      it(`${form} ${m}×${k} · ${k}×${n}`, () =>
        wasm.scope(() => {
          const rt = wasm.runtime;
          const a = host(form === 'TN' ? [k, m] : [m, k], 1);
          const b = host(form === 'NT' ? [n, k] : [k, n], 2);
          // reference in float64 on A and B laid out as NN
          const an = new Float64Array(m * k);
          const bn = new Float64Array(k * n);
          for (let i = 0; i < m; i++) for (let p = 0; p < k; p++) an[i * k + p] = form === 'TN' ? a.data[p * m + i]! : a.data[i * k + p]!;
          for (let p = 0; p < k; p++) for (let j = 0; j < n; j++) bn[p * n + j] = form === 'NT' ? b.data[j * k + p]! : b.data[p * n + j]!;
          const ref = new Float64Array(m * n);
          matmul(an, bn, ref, m, k, n);
          const da = wasm.upload(a);
          const db = wasm.upload(b);
          const c = wasm.zeros([m, n]);
          const [rsa, csa] = form === 'TN' ? [1, m] : [k, 1];
          const [rsb, csb] = form === 'NT' ? [1, k] : [n, 1];
          gemm(rt, m, n, k, rt.ptr(da), rsa, csa, rt.ptr(db), rsb, csb, rt.ptr(c), n);
          // accumulate once more: C = 2·A·B
          gemm(rt, m, n, k, rt.ptr(da), rsa, csa, rt.ptr(db), rsb, csb, rt.ptr(c), n, true);
          const got = wasm.download(c).data;
          let worst = 0;
          for (let i = 0; i < m * n; i++) worst = Math.max(worst, Math.abs(got[i]! - 2 * ref[i]!) / (1e-4 * Math.sqrt(k) + 1e-4 * Math.abs(2 * ref[i]!)));
          expect(worst).toBeLessThanOrEqual(1);
        }));
    }
  }
});

describe('wasm memory', () => {
  it('10,000 forward/backward calls leave WebAssembly memory flat (mark/resetTo per step)', () => {
    const model = checkOrThrow(seq(prim('linear', { out: 16 }), prim('gelu'), prim('layernorm'), prim('linear', { out: 4 }), prim('softmax')), [[8, 12]]);
    const prog = lowerOrThrow(model, wasm);
    const params = Object.fromEntries(Object.entries(initParams(model, 3, 'float32')).map(([k, v]) => [k, wasm.upload(v)]));
    const x = host([8, 12], 4);
    const dy = host([8, 4], 5);
    const step = () => {
      const m = wasm.mark();
      const { outputs, residual } = prog.forward(params, [wasm.upload(x)]);
      const g = prog.backward(residual, [wasm.upload(dy)]);
      const out = wasm.download(outputs[0]!).data[0]! + wasm.download(g.dParams['0.w']!).data[0]!;
      wasm.resetTo(m);
      return out;
    };
    const first = step();
    for (let i = 0; i < 100; i++) step();
    const bytes = wasm.runtime.memoryBytes();
    const live = wasm.runtime.liveBytes;
    const allocated = wasm.runtime.exports.cat_live_bytes();
    for (let i = 0; i < 9_900; i++) expect(step()).toBe(first);
    expect(wasm.runtime.memoryBytes()).toBe(bytes);
    expect(wasm.runtime.liveBytes).toBe(live);
    expect(wasm.runtime.exports.cat_live_bytes()).toBe(allocated);
  });

  it('release frees at once, and using a released tensor is a clear error', () => {
    const before = wasm.runtime.exports.cat_live_bytes();
    const t = wasm.zeros([100]);
    expect(wasm.runtime.exports.cat_live_bytes()).toBeGreaterThan(before);
    wasm.release(t);
    expect(wasm.runtime.exports.cat_live_bytes()).toBe(before);
    expect(() => wasm.download(t)).toThrow(/after its memory was released/);
  });

  it('keep() survives resetTo until release', () => {
    const m = wasm.mark();
    const t = wasm.keep(wasm.upload({ shape: [3], data: new Float64Array([1, 2, 3]) }));
    wasm.zeros([10]);
    wasm.resetTo(m);
    expect(Array.from(wasm.download(t).data)).toEqual([1, 2, 3]);
    wasm.release(t);
  });

  it('a tensor larger than one WebAssembly allocation is a clear WasmMemoryError', () => {
    expect(() => wasm.zeros([1 << 20, 1 << 10])).toThrow(WasmMemoryError);
    expect(() => wasm.zeros([1 << 20, 1 << 10])).toThrow(/more than one WebAssembly allocation/);
    expect(() => wasm.zeros([-1])).toThrow(RangeError);
  });

  it('exhausting the 4 GiB address space is a clear WasmMemoryError, and the instance stays usable', () => {
    // An independent instance, so the shared one does not keep a grown memory. Pages that are
    // never touched cost (almost) no resident memory.
    const be = freshWasmBackendSync();
    const big: ReturnType<typeof be.zeros>[] = [];
    const n = 450 * 2 ** 20; // 1.76 GiB per tensor
    let err: unknown;
    try {
      for (let i = 0; i < 3; i++) big.push(be.runtime.tensor([n]));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(WasmMemoryError);
    expect(String(err)).toMatch(/out of memory allocating .* cannot grow past 4 GiB/);
    for (const t of big) be.release(t);
    const small = be.upload({ shape: [2], data: new Float64Array([5, 6]) });
    expect(Array.from(be.download(small).data)).toEqual([5, 6]);
  });

  it('the loader refuses a module that is not catoptric or speaks another ABI', () => {
    // (module) with no exports
    const empty = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]);
    expect(() => instantiateSync(empty)).toThrow(/not a catoptric WebAssembly module/);
  });

  it('a kernel input error (bad embedding id) is a RangeError naming the position', () => {
    const model = checkOrThrow(prim('embedding', { vocab: 5, dim: 2 }), [[3]]);
    const prog = lowerOrThrow(model, wasm);
    const p = Object.fromEntries(Object.entries(initParams(model, 1, 'float32')).map(([k, v]) => [k, wasm.upload(v)]));
    wasm.scope(() => expect(() => prog.forward(p, [wasm.upload({ shape: [3], data: new Float64Array([1, 7, 2]) })])).toThrow(/id 7 at position 1/));
  });
});

describe('plans on wasm', () => {
  const block = (i: number) => named(`b${i}`, skip(seq(prim('layernorm'), prim('linear', { out: 6 }), prim('gelu'))));
  const model = checkOrThrow(seq(block(0), block(1), block(2), prim('linear', { out: 2 })), [[3, 6]]);
  const plans = [storeAll, recomputeAll, { remat: ['b0', 'b2'] }, { remat: ['b1', 'b1.1'] }, { remat: ['', 'b0'] }];
  for (const seed of [1, 2]) {
    it(`every plan gives bit-identical outputs and gradients, and the plan 2-cell satisfies T1/T2 (seed ${seed})`, () =>
      wasm.scope(() => {
        const params = initParams(model, seed);
        const inputs = [randn([3, 6], rng(seed).fork('x'), 'float32')];
        const dys = [randn([3, 2], rng(seed).fork('dy'), 'float32')];
        expect(plansAgree(model, wasm, plans, params, inputs, dys)).toBe(true);
        const cell = planTwoCell(model, wasm, recomputeAll, storeAll);
        if (cell._tag === 'Left') throw cell.left;
        expect(planTwoCellValid(wasm, cell.right, params, inputs, dys)).toEqual({ t1: true, t2: true, differ: true });
      }));
  }
});
