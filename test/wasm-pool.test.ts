import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { firstBitDifference, runCase, splitCases, splitIdentical } from '../laws/index';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { freshWasmBackendSync, initWasm, platformSpawner, type ThreadedWasmBackend, type WasmBackend } from '../backends/wasm/index';
import { embeddedBytes } from '../backends/wasm/pkg/catoptric_wasm.js';
import { copyRows } from '../backends/wasm/pool/pool';
import { splitRules } from '../backends/wasm/pool/regions';
import { cli } from './cli-harness';

/**
 * The split law: with 1, 2, 3 and 4 threads, every kernel the pool splits (linear by row blocks,
 * attention and the delta rule by batch and head) gives outputs and gradients bit for bit those of
 * the single-threaded backend. minWork 0 makes the pool split even these small calls.
 */
let serial: WasmBackend;
const threaded: ThreadedWasmBackend[] = [];
beforeAll(async () => {
  serial = freshWasmBackendSync();
  for (const threads of [1, 2, 3, 4]) threaded.push(await initWasm({ threads, minWork: 0 }));
});
afterAll(async () => {
  for (const be of threaded) await be.dispose();
});

describe('wasm worker pool: split kernels are bit-identical to one thread', () => {
  for (const c of splitCases)
    it(c.name, () => {
      for (const be of threaded)
        for (const v of c.variants ?? [{}])
          be.scope(() => serial.scope(() => expect(splitIdentical(c, be, serial, 11, v), `${be.threads} threads, ${JSON.stringify(v)}`).toBeUndefined()));
    });

  it('the pool really ran parts in workers (threads − 1 of them), and split every export it has a rule for', () => {
    expect(threaded.map((be) => be.pool.started)).toEqual([0, 1, 2, 3]);
    for (const be of threaded.slice(1)) expect([...be.pool.splitCounts.keys()].sort(), `${be.threads} threads`).toEqual(Object.keys(splitRules).sort());
  });

  it('without minWork 0 a small call stays on the calling thread', async () => {
    const be = await initWasm({ threads: 2 });
    try {
      const c = splitCases[0]!;
      be.scope(() => serial.scope(() => expect(firstBitDifference(runCase(c, be, 3), runCase(c, serial, 3))).toBeUndefined()));
      expect(be.pool.started).toBe(0);
    } finally {
      await be.dispose();
    }
  });

  it('a worker reports a failing call by name, and a failure on the calling thread leaves the workers in step', () => {
    const link = platformSpawner()!.spawn(new WebAssembly.Module(embeddedBytes()));
    try {
      link.post({ kind: 'run', id: 7, name: 'cat_nope', ptrArgs: [], calls: [[]], blocks: [], outs: [] }, []);
      const r = link.takeSync!(30_000);
      expect(r?.id).toBe(7);
      expect(r?.error).toMatch(/no export cat_nope/);
    } finally {
      void link.terminate();
    }
    // three 4×4×4 gemms; the first (this thread's part) writes past the end of memory and traps,
    // the workers' parts succeed: their answers must still be taken, or the next split would read them
    const be = threaded[2]!;
    const rt = be.runtime;
    const a = rt.tensor([4, 4], true);
    const c3 = rt.tensor([3, 4, 4]);
    const gemmAt = (c: number) => [4, 4, 4, rt.ptr(a), 4, 1, rt.ptr(a), 4, 1, c, 4, 0];
    const beyond = rt.exports.memory.buffer.byteLength + 64;
    expect(() => be.pool.run(rt, 'cat_gemm', [gemmAt(beyond), gemmAt(c3.buf.ptr + 64), gemmAt(c3.buf.ptr + 128)], 3)).toThrow(/out of bounds/);
    const c = splitCases[0]!;
    be.scope(() => serial.scope(() => expect(splitIdentical(c, be, serial, 5)).toBeUndefined()));
  });
});

describe('wasm worker pool: handles', () => {
  it('a process that used a pool and never disposed it exits by itself', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./fixtures/pool-exits.ts', import.meta.url))], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(r.signal, 'killed by the timeout: the pool kept the process alive').toBeNull();
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe('split on 1 worker, identical');
  });
});

describe('--threads on the command line', () => {
  it('train --backend wasm --threads 2 gives the losses of one thread; --threads with js is refused', async () => {
    const args = ['train', 'examples/spirals/spirals.json', '--backend', 'wasm', '--steps', '3', '--no-save', '--json'];
    const one = await cli(...args);
    const two = await cli(...args, '--threads', '2');
    expect(two.code, two.err).toBe(0);
    expect(JSON.parse(two.out).losses).toEqual(JSON.parse(one.out).losses);
    const js = await cli('train', 'examples/spirals/spirals.json', '--threads', '2', '--steps', '1', '--no-save');
    expect(js.code).not.toBe(0);
    expect(js.err).toMatch(/--threads applies to --backend wasm or ort/);
  });
});

describe('copyRows (how operands and results cross between a worker and the caller)', () => {
  it('copies strided rows exactly, by loop (short rows) and by views (long rows), contiguous or not', () => {
    for (const [rows, cols, ss, ds] of [
      [1, 5, 5, 5],
      [7, 1, 4, 1],
      [5, 31, 40, 33],
      [5, 32, 40, 32],
      [3, 300, 301, 300],
      [4, 16, 16, 16],
    ] as const) {
      const src = Float32Array.from({ length: rows * ss + 3 }, (_, i) => i + 0.5);
      const dst = new Float32Array(rows * ds + 2).fill(-1);
      copyRows(src, 2, ss, dst, 1, ds, rows, cols);
      const want = new Float32Array(dst.length).fill(-1);
      for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) want[1 + r * ds + c] = src[2 + r * ss + c]!;
      expect(Array.from(dst), `${rows}×${cols}, strides ${ss}/${ds}`).toEqual(Array.from(want));
    }
  });
});
