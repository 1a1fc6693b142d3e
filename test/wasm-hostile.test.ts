import { describe, expect, it } from 'vitest';
import { checkOrThrow, initParams, jsBackend, lowerOrThrow, prim, randn, rng, seq } from '../src/index';
import { ShapeError } from '../src/tensor/shape';
import { freshWasmBackendSync, WasmMemoryError, type WasmBackend, type WasmTensor } from '../backends/wasm/index';

/**
 * The wasm runtime under hostile use: addresses past 2 GiB, memory exhaustion anywhere, invalid
 * shapes and host tensors handed to a program.
 */

const model = checkOrThrow(seq(prim('linear', { out: 8 }), prim('gelu'), prim('layernorm'), prim('linear', { out: 3 }), prim('softmax')), [[5, 6]]);
const hostParams = initParams(model, 7, 'float32');
const x = randn([5, 6], rng(1).fork('x'), 'float32');
const dy = randn([5, 3], rng(1).fork('dy'), 'float32');

/** One forward and backward on `be`; also returns where the input tensor lives. */
const runOn = (be: WasmBackend) => {
  const prog = lowerOrThrow(model, be);
  const params = Object.fromEntries(Object.entries(hostParams).map(([k, v]) => [k, be.upload(v)]));
  const xs = be.upload(x);
  const { outputs, residual } = prog.forward(params, [xs]);
  const g = prog.backward(residual, [be.upload(dy)]);
  return {
    y: Array.from(be.download(outputs[0]!).data),
    dw: Array.from(be.download(g.dParams['0.w']!).data),
    at: xs.buf.ptr,
    paramsAt: Math.min(...Object.values(params).map((t) => t.buf.ptr)),
  };
};

/** Fill an instance's memory with untouched tensors until `bytes` are taken (untouched pages cost no resident memory). */
const fill = (be: WasmBackend, bytes: number): WasmTensor[] => {
  const out: WasmTensor[] = [];
  const chunk = 2 ** 27; // 512 MiB
  for (let b = 0; b < bytes; b += chunk * 4) out.push(be.runtime.tensor([Math.min(chunk, (bytes - b) / 4)]));
  return out;
};

describe('wasm memory past 2 GiB', () => {
  it('holds live tensors above 2 GiB and computes exactly what an instance with low addresses computes', () => {
    const low = runOn(freshWasmBackendSync());
    expect(low.at).toBeLessThan(2 ** 31);
    const be = freshWasmBackendSync();
    const filler = fill(be, 2.5 * 2 ** 30);
    const high = runOn(be);
    // Every tensor of this run lives above 2 GiB: addresses are unsigned all the way through.
    expect(high.paramsAt).toBeGreaterThanOrEqual(2 ** 31);
    expect(high.at).toBeGreaterThanOrEqual(2 ** 31);
    expect(be.runtime.memoryBytes()).toBeGreaterThan(2.5 * 2 ** 30);
    expect(high.y).toEqual(low.y);
    expect(high.dw).toEqual(low.dw);
    for (const t of filler) be.release(t);
  });

  it('out of memory is a WasmMemoryError with sizes wherever it happens, and the arena works afterwards', () => {
    const be = freshWasmBackendSync();
    const rt = be.runtime;
    // A sketch model run once first, so its FFT plan and hashes are cached; then memory is filled.
    const d = 2 ** 16;
    const mcb = lowerOrThrow(checkOrThrow(prim('mcb', { d, seed: 3 }, { variant: 'sketch' }), [[1, 8], [1, 8]]), be);
    const xy = [randn([1, 8], rng(2).fork('x'), 'float32'), randn([1, 8], rng(2).fork('y'), 'float32')];
    const sketch = () => be.scope(() => Array.from(be.download(mcb.forward({}, xy.map((t) => be.upload(t))).outputs[0]!).data));
    const expected = sketch();
    const m = be.mark();
    const filler: WasmTensor[] = [];
    const grab = (n: number): unknown => {
      try {
        for (;;) filler.push(rt.tensor([n]));
      } catch (e) {
        return e;
      }
    };
    // Up to the 4 GiB wall in 512 MiB pieces, then in 256 KiB pieces: each failure a WasmMemoryError.
    const big = grab(2 ** 27);
    expect(big).toBeInstanceOf(WasmMemoryError);
    expect(String(big)).toMatch(/out of memory allocating 512\.0 MiB for a tensor of 134217728 floats \(module memory \d+\.\d MiB/);
    // (Smaller pieces in steps: every piece grows the memory, and a grow near 4 GiB is slow.)
    for (const n of [2 ** 22, 2 ** 18, 2 ** 16]) expect(grab(n)).toBeInstanceOf(WasmMemoryError);
    // Uploads, zeros and runtime tables fail the same way.
    expect(() => be.upload({ shape: [2 ** 18], data: new Float32Array(2 ** 18) })).toThrow(WasmMemoryError);
    expect(() => be.zeros([2 ** 18])).toThrow(WasmMemoryError);
    expect(() => rt.allocBytes(2 ** 20, 'a test table')).toThrow(/out of memory allocating 1\.0 MiB for a test table/);
    // Leave 2 MiB: enough for the kernel's tensors (768 KiB), not for the scratch Rust allocates inside
    // the call (about 4.5 MiB), where running out aborts; the runtime reports it as out of memory.
    const mib = filler.filter((t) => t.size === 2 ** 18);
    expect(mib.length).toBeGreaterThanOrEqual(2);
    for (const t of mib.slice(-2)) be.release(t);
    const sp = rt.stackPointer();
    let inside: unknown;
    try {
      sketch();
    } catch (e) {
      inside = e;
    }
    expect(inside).toBeInstanceOf(WasmMemoryError);
    expect(String(inside)).toMatch(/out of memory allocating \d+\.\d MiB for the mcb forward/);
    expect(rt.stackPointer()).toBe(sp);
    // After resetTo the instance computes as before.
    be.resetTo(m);
    expect(sketch()).toEqual(expected);
    const again = runOn(be);
    const low = runOn(freshWasmBackendSync());
    expect(again.y).toEqual(low.y);
  });
});

describe('invalid shapes and host tensors', () => {
  const js = jsBackend('float32');
  const wasm = freshWasmBackendSync();
  const bad: unknown[] = [[-1], [1.5], [Number.NaN], [2, -3], [2 ** 53], [2 ** 20, 2 ** 20], 'x', null, [Infinity]];
  for (const shape of bad) {
    it(`zeros and upload refuse ${JSON.stringify(shape)} with the same ShapeError on js and wasm`, () => {
      const err = (f: () => unknown): Error => {
        try {
          f();
        } catch (e) {
          return e as Error;
        }
        throw new Error('expected a refusal');
      };
      for (const make of [(be: typeof js | typeof wasm) => be.zeros(shape as number[]), (be: typeof js | typeof wasm) => be.upload({ shape: shape as number[], data: new Float32Array(1) })]) {
        const a = err(() => make(js));
        const b = err(() => make(wasm));
        expect(a).toBeInstanceOf(ShapeError);
        expect(b).toBeInstanceOf(ShapeError);
        expect(b.message).toBe(a.message);
        expect(a.message).not.toMatch(/NaN|undefined|object Object/);
      }
    });
  }

  it('a host tensor handed to a wasm program gets a message to upload it, naming the primitive', () => {
    const prog = lowerOrThrow(model, wasm);
    const params = Object.fromEntries(Object.entries(hostParams).map(([k, v]) => [k, wasm.upload(v)]));
    expect(() => prog.forward(params, [x as never])).toThrow(/wasm linear at 0, input: got a host tensor \[5,6\] \(Float32Array\).*upload it first/);
    expect(() => prog.forward(hostParams as never, [wasm.upload(x)])).toThrow(/parameter: got a host tensor .*upload it first/);
    expect(() => wasm.download(x as never)).toThrow(/got a host tensor \[5,6\].*upload it first/);
    const other = freshWasmBackendSync();
    expect(() => prog.forward(params, [other.upload(x)])).toThrow(/lives in another WebAssembly instance's memory/);
  });
});
