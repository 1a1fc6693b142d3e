// The ort backend (the term exported to ONNX, run on onnxruntime-node's CPU provider) with 1 and 2
// intra-op threads, against the wasm backend measured side by side in this process: matmul, linear,
// attention and the chunkwise delta rule, forward+backward through the program API on both sides
// (parameters and inputs fed, outputs, residual and gradients fetched on every call). Run by
// bench/main.ts (`npm run bench`, or `npx tsx bench/main.ts --only=ort`).
import * as E from 'fp-ts/lib/Either.js';
import { checkOrThrow, initParams, lowerOrThrow, prim, randn, rng, type Term, uploadAll } from '../src/index';
import { encodeOnnxModel } from '../src/onnx/proto';
import { GraphBuilder } from '../src/onnx/graph';
import { ortProgram } from '../src/onnx/ort-program';
import { loadOrt, type OrtModule } from '../src/onnx/runtime';
import { gemm } from '../backends/wasm/index';
import { type BenchRow, fwdBwdFlops, wasmBe } from './wasm';

const THREADS = [1, 2] as const;
const implOf = (t: number): string => (t === 1 ? 'ort' : `ort ${t}t`);

/** Wall and CPU seconds per call (CPU time of the whole process: every thread it runs). */
interface Timing {
  readonly wall: number;
  readonly cpu: number;
}

const timed = async (f: () => unknown, reps: number): Promise<Timing> => {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) await f();
  const wall = (performance.now() - t0) / 1000 / reps;
  const c = process.cpuUsage(c0);
  return { wall, cpu: (c.user + c.system) / 1e6 / reps };
};

/** How many calls of `f` take about `ms` of wall time (at least one). */
const repsFor = async (f: () => unknown, ms: number): Promise<number> => {
  await f();
  const t0 = performance.now();
  await f();
  return Math.max(1, Math.round(ms / Math.max(performance.now() - t0, 1e-3)));
};

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

/**
 * The machine is shared and loaded, so the implementations of a row are measured round-robin, in
 * `ROUNDS` rounds, and a ratio is the median of the per-round ratios. One-thread rows compare CPU
 * time (what a core spends per call; wall-clock time swings with the load): their GFLOP/s are per
 * CPU-second. Two-thread rows can only be compared in wall-clock time (their point is a second core):
 * GFLOP/s from the best wall time over the rounds, ratio to wasm's wall time in the same round.
 */
const ROUNDS = 5;

const compare = async (op: string, size: string, flops: number, wasm: () => unknown, ort: readonly (() => Promise<unknown>)[], ms: number): Promise<BenchRow[]> => {
  const fs = [wasm, ...ort];
  const reps: number[] = [];
  for (const f of fs) reps.push(await repsFor(f, ms));
  const runs: Timing[][] = fs.map(() => []);
  for (let round = 0; round < ROUNDS; round++) for (let i = 0; i < fs.length; i++) runs[i]!.push(await timed(fs[i]!, reps[i]!));
  const w = runs[0]!;
  return THREADS.map((t, k): BenchRow => {
    const mine = runs[k + 1]!;
    return t === 1
      ? { op, size, impl: implOf(t), basis: 'cpu', gflops: flops / median(mine.map((m) => m.cpu)) / 1e9, ratioVsWasm: median(mine.map((m, r) => w[r]!.cpu / m.cpu)) }
      : { op, size, impl: implOf(t), basis: 'wall', gflops: flops / Math.min(...mine.map((m) => m.wall)) / 1e9, ratioVsWasm: median(mine.map((m, r) => w[r]!.wall / m.wall)) };
  });
};

/** Forward+backward of a one-primitive program on ort (the program API: feeds and fetches included), as a call. */
const ortFwdBwd = async (term: Term, inputs: number[][], threads: number, variant: string | undefined) => {
  const model = checkOrThrow(term, inputs);
  const p = await ortProgram(model, variant ? { variants: { '': variant } } : {}, { threads });
  if (E.isLeft(p)) throw p.left;
  const prog = p.right;
  const params = initParams(model, 1, 'float32');
  const xs = inputs.map((s, i) => randn(s, rng(2).fork(`x${i}`)));
  const dys = model.root.outputs.map((s, i) => randn(s, rng(3).fork(`dy${i}`)));
  return {
    call: async () => {
      const { residual } = await prog.forward(params, xs);
      await prog.backward(residual, dys);
    },
    release: () => prog.release(),
  };
};

/** A session of one MatMul of two graph inputs. */
const matmulSession = async (ort: OrtModule, n: number, threads: number) => {
  const g = new GraphBuilder('matmul');
  g.output(g.matmul(g.input('a', [n, n]), g.input('b', [n, n])), 'c');
  const model = { irVersion: 10, opsets: [{ domain: '', version: 21 }], producerName: 'catoptric-bench', producerVersion: '', docString: '', metadata: [], graph: g.build() };
  return ort.InferenceSession.create(encodeOnnxModel(model), { intraOpNumThreads: threads, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all' });
};

export async function run(opts: { json?: boolean; quick?: boolean } = {}): Promise<BenchRow[]> {
  const log = (s: string) => (opts.json ? undefined : console.error(s));
  const ort = await loadOrt();
  if (ort instanceof Error) {
    log(`ort rows skipped: ${ort.message}`);
    return [];
  }
  const be = await wasmBe();
  const rows: BenchRow[] = [];

  // matmul: wasm's gemm (output allocated per call) against one MatMul node (inputs fed, output fetched).
  for (const n of opts.quick ? [128, 256] : [128, 256, 512, 1024]) {
    const size = `${n}×${n}×${n}`;
    const a = randn([n, n], rng(1).fork('a'));
    const b = randn([n, n], rng(1).fork('b'));
    const rt = be.runtime;
    const wa = be.keep(be.upload(a));
    const wb = be.keep(be.upload(b));
    const sessions = await Promise.all(THREADS.map((t) => matmulSession(ort, n, t)));
    const feeds = { a: new ort.Tensor('float32', Float32Array.from(a.data), [n, n]), b: new ort.Tensor('float32', Float32Array.from(b.data), [n, n]) };
    const wasm = () => {
      const c = rt.tensor([n, n]);
      gemm(rt, n, n, n, rt.ptr(wa), n, 1, rt.ptr(wb), n, 1, c.buf.ptr, n);
      rt.release(c);
    };
    rows.push(...(await compare('matmul', size, 2 * n * n * n, wasm, sessions.map((s) => () => s.run(feeds)), 60)));
    be.release(wa);
    be.release(wb);
    for (const s of sessions) await s.release();
    log(`ort matmul ${size} done`);
  }

  // Components through the program API on both sides.
  const R = opts.quick ? 256 : 1024;
  const d = 64;
  const delta = (T: number): [Term, number[][]] => [
    prim('delta_rule', { heads: 1, algorithm: 'chunkwise', chunk: 64 }, { variant: 'chunk-states' }),
    [[1, T, d], [1, T, d], [1, T, d], [1, T, 1], [1, 1, d, d]],
  ];
  const cases: [string, string, Term, number[][], string | undefined][] = [
    ['linear fwd+bwd', `${R}×512`, prim('linear', { out: 512 }), [[R, 512]], undefined],
    ...(opts.quick ? [128] : [128, 512, 1024]).flatMap((T) =>
      (['probs', 'lse'] as const).map((v): [string, string, Term, number[][], string] => [
        `attention fwd+bwd (${v})`,
        `T=${T} d=${d}`,
        prim('attention', { heads: 1, dk: d, dv: d, project: false }),
        [[T, d]],
        v,
      ]),
    ),
    ...(opts.quick ? [256] : [1024, 4096]).map((T): [string, string, Term, number[][], undefined] => ['delta_rule chunkwise fwd+bwd', `T=${T} dk=dv=${d}`, ...delta(T), undefined]),
  ];
  for (const [op, size, term0, inputs, variant] of cases) {
    const term = variant ? { ...term0, variant } : term0;
    // Attention's GFLOP/s use the 'probs' flops for both variants, as the wasm rows do.
    const flops = fwdBwdFlops(term0, inputs);
    const model = checkOrThrow(term, inputs);
    const prog = lowerOrThrow(model, be);
    const params = uploadAll(be, initParams(model, 1, 'float32'));
    for (const p of Object.values(params)) be.keep(p);
    const xs = inputs.map((s, i) => randn(s, rng(2).fork(`x${i}`)));
    const dys = model.root.outputs.map((s, i) => randn(s, rng(3).fork(`dy${i}`)));
    // wasm: inputs uploaded and gradients downloaded, as the ort program feeds and fetches; memory reset after each call.
    const wasm = () =>
      be.scope(() => {
        const { residual } = prog.forward(params, xs.map((x) => be.upload(x)));
        const { dParams, dInputs } = prog.backward(residual, dys.map((x) => be.upload(x)));
        for (const g of [...Object.values(dParams), ...dInputs]) if (g) be.download(g);
      });
    const ortCalls = await Promise.all(THREADS.map((t) => ortFwdBwd(term0, inputs, t, variant)));
    rows.push(...(await compare(op, size, flops, wasm, ortCalls.map((c) => c.call), op.startsWith('delta') ? 150 : 60)));
    for (const c of ortCalls) await c.release();
    for (const p of Object.values(params)) be.release(p);
    log(`ort ${op} ${size} done`);
  }
  return rows;
}
