import { beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { adam, checkOrThrow, combineShards, id, initParams, lowerOrThrow, par, prim, randn, rng, seq, shardBatch, train, type Batch } from '../src/index';
import { initWasm, type WasmBackend } from '../backends/wasm/index';
import { jsBackend } from '../backends/js/backend';
import { serveShards } from '../src/train/shard-serve';
import { DataParallel } from '../src/train/parallel';
import { lossAndGrad } from '../src/train/loop';
import { awaitChange, spinBudget, MAX_INPUTS, CONTROL_INTS, DONE, FAILED, LAYOUT, REQ, STOP, inputBytes, layoutFits, makeLayout, readReply, readRequest, writeReply, writeRequest } from '../src/train/shard-channel';

/**
 * Data-parallel training (`train({ workers })`, src/train/parallel.ts): the same seed and worker count
 * give bit-identical losses, and the losses match single-thread training within float32 tolerance.
 * The bound: 5 Adam steps on a small MLP with an MSE loss. One thread and two differ only in how the
 * batch gradient is summed (two shard means weighted by rows/N against one mean), a few float32 ulps;
 * measured losses differed by at most 1.3e-7 relative, so the law allows 1e-5 relative per step.
 */
const term = seq(par(seq(prim('linear', { out: 16 }), prim('tanh'), prim('linear', { out: 1 })), id(1)), prim('mse'));
const B = 13; // shards of 7 and 6 with two workers
const batch = (step: number): Batch => {
  const x = randn([B, 4], rng(step).fork('x'), 'float32');
  const y = { shape: [B, 1], data: Float32Array.from({ length: B }, (_, i) => Math.sin(x.data[4 * i]! + 2 * x.data[4 * i + 1]!)) };
  return [x, y];
};
const model = checkOrThrow(term, [[B, 4], [B, 1]]);
const params = initParams(model, 3, 'float32');

let wasm: WasmBackend;
beforeAll(async () => {
  wasm = await initWasm();
});

/** This process's OS threads (Linux): a Node worker thread adds two, and they end when it is terminated. */
const osThreads = (): number => Number(/Threads:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))![1]);
const hasProc = existsSync('/proc/self/status');
/**
 * The thread count once it has stopped changing (five equal readings 20 ms apart, at most 3 s): threads
 * of workers disposed by earlier tests end asynchronously, and must not be counted as a baseline.
 */
const settledThreads = async (): Promise<number> => {
  const end = Date.now() + 3000;
  let last = osThreads();
  for (let same = 0; same < 5 && Date.now() < end; ) {
    await new Promise((r) => setTimeout(r, 20));
    const n = osThreads();
    same = n === last ? same + 1 : 0;
    last = n;
  }
  return last;
};
/** Wait up to 5 s for the thread count to fall to `n` or below; the count it reached. */
const threadsFallTo = async (n: number): Promise<number> => {
  const end = Date.now() + 5000;
  while (osThreads() > n && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
  return osThreads();
};

const run = (workers: number) =>
  train({ program: lowerOrThrow(model, wasm), backend: wasm, optimizer: adam({ lr: 1e-2 }), params, steps: 5, batch, workers }).losses;

describe('data-parallel training', () => {
  it('shards a batch along its first axis, larger shards first, and refuses inputs without those rows', () => {
    const s = shardBatch(batch(0), 3);
    expect(s.map((x) => x.rows)).toEqual([5, 4, 4]);
    expect(s.map((x) => x.inputs[0]!.shape)).toEqual([[5, 4], [4, 4], [4, 4]]);
    expect(Array.from(s[1]!.inputs[1]!.data)).toEqual(Array.from(batch(0)[1]!.data.slice(5, 9)));
    expect(shardBatch(batch(0), 20)).toHaveLength(13);
    expect(() => shardBatch([batch(0)[0]!, { shape: [3], data: new Float32Array(3) }], 2)).toThrow(/input 1 has shape \[3\].*13 rows/);
  });

  it('combines shard gradients weighted by rows, in shard order', () => {
    const g = (v: number) => ({ w: { shape: [2], data: Float32Array.of(v, 2 * v) } });
    const c = combineShards([{ rows: 3, loss: 1, grads: g(1) }, { rows: 1, loss: 5, grads: g(5) }]);
    expect(c.loss).toBe(2);
    expect(Array.from(c.grads.w!.data)).toEqual([2, 4]);
  });

  it('two workers: bit-identical losses on a second run, and within 1e-5 of one thread; train stops its worker thread when it returns', async () => {
    const one = run(1);
    const two = run(2);
    expect(two).toHaveLength(5);
    const before = hasProc ? await settledThreads() : 0;
    expect(run(2)).toEqual(two);
    if (hasProc) expect(await threadsFallTo(before)).toBeLessThanOrEqual(before);
    two.forEach((l, i) => expect(Math.abs(l - one[i]!) / one[i]!, `step ${i}: ${l} vs ${one[i]}`).toBeLessThan(1e-5));
    if (process.env.SHOW_DP) console.log(two.map((l, i) => Math.abs(l - one[i]!) / one[i]!));
  });
});

describe('data-parallel training: refusals and edges', () => {
  const other = { ...({} as object), name: 'onnx', dtype: 'float32' } as unknown as WasmBackend;

  it('refuses bad worker counts, timeouts, a backend it cannot copy, an empty batch and inputs without a batch axis', () => {
    expect(() => new DataParallel({ workers: 0, term, backend: wasm })).toThrow(/workers must be a whole number ≥ 1, got 0/);
    expect(() => new DataParallel({ workers: 1.5, term, backend: wasm })).toThrow(/whole number ≥ 1, got 1.5/);
    expect(() => new DataParallel({ workers: 1, term, backend: wasm, timeoutMs: 0 })).toThrow(/timeoutMs must be a number > 0, got 0/);
    expect(() => new DataParallel({ workers: 2, term, backend: { ...wasm, name: 'onnx' } })).toThrow(/workers can make 'js', 'js-f64' or 'wasm' backends, not 'onnx'/);
    expect(() =>
      train({ program: lowerOrThrow(model, wasm), backend: { ...wasm, name: 'onnx' }, optimizer: adam({ lr: 1e-2 }), params, steps: 1, batch, workers: 2 }),
    ).toThrow(/not 'onnx'/);
    // one thread copies no backend, and spinning may be turned off
    expect(new DataParallel({ workers: 1, term, backend: other }).workers).toBe(1);
    expect(new DataParallel({ workers: 1, term, backend: wasm, spinMs: 0 }).workers).toBe(1);
    expect(() => shardBatch([], 2)).toThrow(/a batch needs at least one input/);
    expect(() => shardBatch([{ shape: [], data: Float32Array.of(1) }], 2)).toThrow(/input 0 has shape \[\]; every input must have the batch's \(none\) rows/);
  });

  it('returns one shard as it is (a fresh record), and refuses shards whose gradients disagree', () => {
    const grads = { w: { shape: [2], data: Float32Array.of(1, 2) } };
    const c = combineShards([{ rows: 4, loss: 0.5, grads }]);
    expect(c.loss).toBe(0.5);
    expect(c.grads).toEqual(grads);
    expect(c.grads).not.toBe(grads);
    const part = (g: Record<string, { shape: number[]; data: Float32Array }>) => ({ rows: 1, loss: 0, grads: g });
    expect(() => combineShards([part(grads), part({})])).toThrow(/shard gradients disagree on parameter 'w'/);
    expect(() => combineShards([part(grads), part({ w: { shape: [3], data: new Float32Array(3) } })])).toThrow(/disagree on parameter 'w'/);
  });

  it('a js backend trains in its workers too, one worker per extra thread; a disposed trainer refuses work', async () => {
    const js = jsBackend('float64');
    const before = hasProc ? await settledThreads() : 0;
    const dp = new DataParallel({ workers: 2, term, backend: js });
    const during = hasProc ? osThreads() : 0;
    try {
      expect((dp as unknown as { peers: unknown[] }).peers).toHaveLength(1);
      const b = batch(2);
      const one = lossAndGrad(lowerOrThrow(checkOrThrow(term, b.map((x) => x.shape)), js), js, params, b);
      const two = dp.lossAndGrad(params, b);
      expect(Math.abs(two.loss - one.loss) / one.loss).toBeLessThan(1e-12);
      const w = Object.keys(one.grads)[0]!;
      Array.from(two.grads[w]!.data).forEach((g, i) => expect(g).toBeCloseTo(one.grads[w]!.data[i]!, 12));
    } finally {
      await dp.dispose();
    }
    expect(() => dp.lossAndGrad(params, batch(2))).toThrow(/has been disposed/);
    if (hasProc) {
      // dispose resolves once the thread has ended: the OS threads it added are already gone (STOP
      // alone would end a serving worker's thread too, but only later).
      expect(during).toBeGreaterThan(before);
      expect(osThreads()).toBeLessThanOrEqual(before);
    }
  });

  it("each worker's shard is bit for bit the calling thread's on the same backend kind; a failing first shard is reported and the trainer goes on", async () => {
    const dp = new DataParallel({ workers: 2, term, backend: wasm });
    try {
      const b = batch(6);
      const shards = shardBatch(b, 2);
      const parts = shards.map((s) => ({ rows: s.rows, ...lossAndGrad(lowerOrThrow(checkOrThrow(term, s.inputs.map((x) => x.shape)), wasm), wasm, params, s.inputs) }));
      const want = combineShards(parts);
      const got = dp.lossAndGrad(params, b);
      expect(got.loss).toBe(want.loss);
      for (const [k, g] of Object.entries(want.grads)) expect(Array.from(got.grads[k]!.data)).toEqual(Array.from(g.data));
      const bad = { shape: b[1]!.shape, data: b[1]!.data.slice() };
      bad.data[0] = Number.NaN; // a row of the first shard, computed on this thread
      expect(() => dp.lossAndGrad(params, [b[0]!, bad])).toThrow(/lossAndGrad: the loss is not a number/);
      expect(dp.lossAndGrad(params, b).loss).toBe(want.loss);
    } finally {
      await dp.dispose();
    }
  });

  it('gives up on a worker that does not answer within timeoutMs', async () => {
    const dp = new DataParallel({ workers: 2, term, backend: wasm, timeoutMs: 300 });
    try {
      await (dp as unknown as { peers: { link: { terminate(): Promise<void> } }[] }).peers[0]!.link.terminate();
      const t0 = performance.now();
      expect(() => dp.lossAndGrad(params, batch(3))).toThrow(/worker 1 did not answer within 0.3 s/);
      expect(performance.now() - t0).toBeLessThan(5000);
    } finally {
      await dp.dispose();
    }
  });
});

describe('the shared-memory channel of data-parallel training', () => {
  it('carries parameters, inputs of either dtype, the loss and gradients through its buffer unchanged', () => {
    const params = { a: { shape: [2, 3], data: Float32Array.of(1, 2, 3, 4, 5, 6) }, b: { shape: [1], data: Float64Array.of(Math.PI) } };
    const inputs = [
      { shape: [2, 2], data: Float64Array.of(0.1, -0.2, 1e-300, 7) },
      { shape: [3], data: Float32Array.of(9, 8, 7) },
    ];
    const layout = makeLayout(1, params, inputBytes(inputs));
    expect(layoutFits(layout, params, inputs)).toBe(true);
    writeRequest(layout, params, inputs);
    const got = readRequest(layout);
    expect(got.params).toEqual(params);
    expect(got.inputs).toEqual(inputs);
    expect(got.inputs[0]!.data).toBeInstanceOf(Float64Array);
    writeReply(layout, 0.25, { a: { shape: [2, 3], data: Float32Array.of(6, 5, 4, 3, 2, 1) }, b: { shape: [1], data: Float64Array.of(-1) } });
    const reply = readReply(layout);
    expect(reply.loss).toBe(0.25);
    expect(Array.from(reply.grads.a!.data)).toEqual([6, 5, 4, 3, 2, 1]);
    expect(Array.from(reply.grads.b!.data)).toEqual([-1]);
    // a parameter of another shape, or inputs beyond the buffer, need a new layout
    expect(layoutFits(layout, { ...params, a: { shape: [3, 2], data: params.a.data } }, inputs)).toBe(false);
    expect(layoutFits(layout, params, [{ shape: [10_000], data: new Float32Array(10_000) }])).toBe(false);
    expect(() => writeReply(layout, 0, { a: params.a })).toThrow(/no gradient of the right size for parameter 'b'/);
    expect(() => writeReply(layout, 0, { a: params.a, b: { shape: [2], data: new Float64Array(2) } })).toThrow(/no gradient of the right size for parameter 'b'/);
  });

  it('a layout holds only the same parameters (names, order, dtypes, shapes) and inputs that fit', () => {
    const p = { a: { shape: [2, 3], data: new Float32Array(6) }, b: { shape: [4], data: new Float32Array(4) } };
    const x = [{ shape: [5], data: new Float32Array(5) }];
    const layout = makeLayout(1, p, inputBytes(x));
    expect(layoutFits(layout, p, x)).toBe(true);
    expect(layoutFits(layout, { a: p.a }, x)).toBe(false);
    expect(layoutFits(layout, { b: p.b, a: p.a }, x)).toBe(false);
    expect(layoutFits(layout, { a: p.a, c: p.b }, x)).toBe(false);
    expect(layoutFits(layout, { a: p.a, b: { shape: [4], data: new Float64Array(4) } }, x)).toBe(false);
    expect(layoutFits(layout, { a: p.a, b: { shape: [4, 1], data: p.b.data } }, x)).toBe(false);
    expect(layoutFits(layout, { a: { shape: [3, 2], data: p.a.data }, b: p.b }, x)).toBe(false);
    // inputs that fill the room exactly fit; 8 bytes more do not
    const room = layout.data.byteLength - layout.inputsAt;
    expect(layoutFits(layout, p, [{ shape: [room / 4], data: new Float32Array(room / 4) }])).toBe(true);
    expect(layoutFits(layout, p, [{ shape: [room / 4 + 2], data: new Float32Array(room / 4 + 2) }])).toBe(false);
  });

  it('takes up to MAX_INPUTS inputs of rank up to 8, and reads copies, not views of the buffer', () => {
    const p = { a: { shape: [1], data: Float32Array.of(1) } };
    const many = Array.from({ length: MAX_INPUTS }, () => ({ shape: [1], data: Float32Array.of(2) }));
    const layout = makeLayout(1, p, inputBytes([...many, ...many]));
    writeRequest(layout, p, many);
    expect(readRequest(layout).inputs).toHaveLength(MAX_INPUTS);
    expect(() => writeRequest(layout, p, [...many, many[0]!])).toThrow(new RegExp(`at most ${MAX_INPUTS} inputs, got ${MAX_INPUTS + 1}`));
    const rank8 = { shape: [1, 1, 1, 1, 1, 1, 1, 2], data: Float32Array.of(3, 4) };
    writeRequest(layout, p, [rank8]);
    const got = readRequest(layout);
    expect(got.inputs[0]).toEqual(rank8);
    expect(() => writeRequest(layout, p, [{ shape: [1, 1, 1, 1, 1, 1, 1, 1, 2], data: Float32Array.of(3, 4) }])).toThrow(/input 0 has rank 9; at most 8/);
    writeRequest(layout, { a: { shape: [1], data: Float32Array.of(9) } }, [{ shape: [1, 1, 1, 1, 1, 1, 1, 2], data: Float32Array.of(7, 7) }]);
    expect(Array.from(got.params.a!.data)).toEqual([1]);
    expect(Array.from(got.inputs[0]!.data)).toEqual([3, 4]);
  });

  it('a worker that fails reports its error and keeps serving; larger batches get a new buffer', async () => {
    const dp = new DataParallel({ workers: 2, term, backend: wasm });
    try {
      const prog = lowerOrThrow(model, wasm);
      const [x, y] = batch(1);
      const bad = { shape: y!.shape, data: y!.data.slice() };
      bad.data[B - 1] = Number.NaN; // a row of the second shard only
      expect(() => dp.lossAndGrad(params, [x!, bad])).toThrow(/worker 1 failed on shard 1: .*not a number/s);
      // the next request is served, and agrees with one thread on the same batch
      const one = lossAndGrad(prog, wasm, params, [x!, y!]);
      const two = dp.lossAndGrad(params, [x!, y!]);
      expect(Math.abs(two.loss - one.loss) / one.loss).toBeLessThan(1e-5);
      // 40 times the rows: the inputs outgrow the first buffer
      const big = 40 * B;
      const xb = randn([big, 4], rng(9).fork('x'), 'float32');
      const yb = randn([big, 1], rng(9).fork('y'), 'float32');
      const oneBig = lossAndGrad(lowerOrThrow(checkOrThrow(term, [[big, 4], [big, 1]]), wasm), wasm, params, [xb, yb]);
      const twoBig = dp.lossAndGrad(params, [xb, yb]);
      expect(Math.abs(twoBig.loss - oneBig.loss) / oneBig.loss).toBeLessThan(1e-5);
    } finally {
      await dp.dispose();
    }
  });

  it('spins no longer than the last shard took, and a wait ends at its deadline or when the counter moves', () => {
    expect(spinBudget(5, 1.6)).toBe(1.6);
    expect(spinBudget(5, 0.1)).toBe(0.5);
    expect(spinBudget(5, 30)).toBe(5);
    expect(spinBudget(0, 30)).toBe(0);
    const ctl = new Int32Array(new SharedArrayBuffer(8));
    const t0 = performance.now();
    expect(awaitChange(ctl, 0, 0, 0.2, t0 + 5)).toBeUndefined();
    expect(performance.now() - t0).toBeGreaterThanOrEqual(5);
    expect(performance.now() - t0).toBeLessThan(500); // it sleeps no further than the deadline
    // a sleeping wait ends at its deadline too, and stops when told to
    const t1 = performance.now();
    expect(awaitChange(ctl, 0, 0, 0, t1 + 20)).toBeUndefined();
    expect(performance.now() - t1).toBeLessThan(500);
    expect(awaitChange(ctl, 0, 0, 0.2, performance.now() + 60_000, () => true)).toBeUndefined();
    ctl[0] = 3;
    expect(awaitChange(ctl, 0, 0, 0.2, t0 + 5)).toBe(3);
  });

  it('refuses a negative or infinite spin', () => {
    expect(() => new DataParallel({ workers: 1, term, backend: wasm, spinMs: -1 })).toThrow(/spinMs must be a finite number ≥ 0, got -1/);
    expect(() => new DataParallel({ workers: 1, term, backend: wasm, spinMs: Infinity })).toThrow(/spinMs/);
  });
});

describe("a data-parallel worker's serving loop, run on this thread", () => {
  const request = (version: number, b: Batch) => {
    const control = new SharedArrayBuffer(CONTROL_INTS * 4);
    const ctl = new Int32Array(control);
    const layout = makeLayout(version, params, inputBytes(b));
    writeRequest(layout, params, b);
    ctl[LAYOUT] = version;
    ctl[REQ] = 7;
    ctl[STOP] = 1; // serve this request, then leave
    return { control, ctl, layout };
  };

  it('answers a request with the loss and gradients one thread computes, bit for bit, and leaves at STOP', () => {
    const b = batch(4);
    const { control, ctl, layout } = request(3, b);
    const inbox: unknown[] = [{ kind: 'other' }, { kind: 'layout', layout: makeLayout(2, params, inputBytes(b)) }, { kind: 'layout', layout }];
    const posted: unknown[] = [];
    serveShards({ term, plan: {}, control, spinMs: 0 }, wasm, { nextMessage: () => inbox.shift(), post: (m) => posted.push(m) });
    expect([ctl[DONE], ctl[FAILED], posted.length, inbox.length]).toEqual([7, 0, 0, 0]);
    const got = readReply(layout);
    const want = lossAndGrad(lowerOrThrow(model, wasm), wasm, params, b);
    expect(got.loss).toBe(want.loss);
    for (const [k, g] of Object.entries(want.grads)) expect(Array.from(got.grads[k]!.data)).toEqual(Array.from(g.data));
  });

  it('reports a failed shard (its text first, then FAILED) and a layout that never came', () => {
    const b = batch(5);
    const bad = { shape: b[1]!.shape, data: b[1]!.data.slice() };
    bad.data[0] = Number.NaN;
    const one = request(1, [b[0]!, bad]);
    const posted: { id: number; error: string }[] = [];
    serveShards({ term, plan: {}, control: one.control, spinMs: 0 }, wasm, {
      nextMessage: (() => {
        const q: unknown[] = [{ kind: 'layout', layout: one.layout }];
        return () => q.shift();
      })(),
      post: (m) => posted.push(m as { id: number; error: string }),
    });
    expect([one.ctl[DONE], one.ctl[FAILED]]).toEqual([7, 1]);
    expect(posted).toHaveLength(1);
    expect(posted[0]!.id).toBe(7);
    expect(posted[0]!.error).toMatch(/loss is not a number/);
    const two = request(4, b);
    const late: { error: string }[] = [];
    const t0 = performance.now();
    serveShards({ term, plan: {}, control: two.control, spinMs: 0, layoutMs: 30 }, wasm, { nextMessage: () => undefined, post: (m) => late.push(m as { error: string }) });
    expect(performance.now() - t0).toBeGreaterThanOrEqual(30);
    expect([two.ctl[DONE], two.ctl[FAILED]]).toEqual([7, 1]);
    expect(late[0]!.error).toMatch(/layout 4 was announced but did not arrive within 0.03 s/);
  });
});

