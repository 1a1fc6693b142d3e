// The ort backend (the term exported to ONNX, run on onnxruntime-node's CPU provider) with 1 and 2
// intra-op threads, against the wasm backend measured side by side in this process: matmul, linear,
// attention and the chunkwise delta rule, forward+backward through the same programs users run
// (parameters and inputs fed, outputs, residual and gradients fetched on every call). Run by
// bench/main.ts (`npm run bench`, or `npx tsx bench/main.ts --only=ort`).
import * as E from 'fp-ts/lib/Either.js';
import { checkOrThrow, initParams, prim, randn, rng, type Term } from '../src/index';
import { encodeModel } from '../src/onnx/proto';
import { GraphBuilder } from '../src/onnx/graph';
import { ortProgram } from '../src/onnx/ort-program';
import { loadOrt, type OrtModule } from '../src/onnx/runtime';
import { gemm } from '../backends/wasm/index';
import { type BenchRow, fwdBwd, fwdBwdFlops, timeIt, wasmBe } from './wasm';

/** Seconds per call of an asynchronous `f`: best mean over `batches` batches of at least `minMs` each. */
export const timeItAsync = async (f: () => Promise<unknown>, minMs = 250, batches = 5): Promise<number> => {
  await f();
  let reps = 1;
  for (;;) {
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) await f();
    if (performance.now() - t0 >= minMs / batches || reps > 1e5) break;
    reps *= 2;
  }
  let best = Infinity;
  for (let b = 0; b < batches; b++) {
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) await f();
    best = Math.min(best, (performance.now() - t0) / reps);
  }
  return best / 1000;
};

const THREADS = [1, 2] as const;
const implOf = (t: number): string => (t === 1 ? 'ort' : `ort ${t}t`);

/**
 * A timer of forward+backward of a one-primitive program on ort (the program API, feeds and fetches
 * included): seconds per call, measured each time it is called.
 */
const ortFwdBwd = async (term: Term, inputs: number[][], threads: number, variant: string | undefined, heavy: boolean) => {
  const model = checkOrThrow(term, inputs);
  const p = await ortProgram(model, variant ? { variants: { '': variant } } : {}, { threads });
  if (E.isLeft(p)) throw p.left;
  const prog = p.right;
  const params = initParams(model, 1, 'float32');
  const xs = inputs.map((s, i) => randn(s, rng(2).fork(`x${i}`)));
  const dys = model.root.outputs.map((s, i) => randn(s, rng(3).fork(`dy${i}`)));
  const once = async () => {
    const { residual } = await prog.forward(params, xs);
    await prog.backward(residual, dys);
  };
  return { time: () => timeItAsync(once, heavy ? 100 : 200, heavy ? 1 : 3), release: () => prog.release() };
};

/**
 * The machine is shared, so its load changes while a benchmark runs: every implementation of a row
 * is measured in each of `ROUNDS` interleaved rounds and keeps its best, so a ratio compares times
 * taken moments apart rather than minutes apart.
 */
const ROUNDS = 3;

/** A session of one MatMul of two graph inputs. */
const matmulSession = async (ort: OrtModule, n: number, threads: number) => {
  const g = new GraphBuilder('matmul');
  g.output(g.matmul(g.input('a', [n, n]), g.input('b', [n, n])), 'c');
  const model = { irVersion: 10, opsets: [{ domain: '', version: 21 }], producerName: 'catoptric-bench', producerVersion: '', docString: '', metadata: [], graph: g.build() };
  return ort.InferenceSession.create(encodeModel(model), { intraOpNumThreads: threads, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all' });
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
  const push = (op: string, size: string, impl: string, gflops: number, wasm: number) => rows.push({ op, size, impl, gflops, ratioVsWasm: gflops / wasm });

  // matmul: wasm's gemm (output allocated per call) against one MatMul node (inputs fed, output fetched).
  for (const n of opts.quick ? [128, 256] : [128, 256, 512, 1024]) {
    const size = `${n}×${n}×${n}`;
    const flops = 2 * n * n * n;
    const a = randn([n, n], rng(1).fork('a'));
    const b = randn([n, n], rng(1).fork('b'));
    const rt = be.runtime;
    const wa = be.keep(be.upload(a));
    const wb = be.keep(be.upload(b));
    const sessions = await Promise.all(THREADS.map((t) => matmulSession(ort, n, t)));
    const feeds = { a: new ort.Tensor('float32', Float32Array.from(a.data), [n, n]), b: new ort.Tensor('float32', Float32Array.from(b.data), [n, n]) };
    let sw = Infinity;
    const so = THREADS.map(() => Infinity);
    for (let round = 0; round < ROUNDS; round++) {
      sw = Math.min(
        sw,
        timeIt(() => {
          const c = rt.tensor([n, n]);
          gemm(rt, n, n, n, rt.ptr(wa), n, 1, rt.ptr(wb), n, 1, c.buf.ptr, n);
          rt.release(c);
        }, 150, 3),
      );
      for (let i = 0; i < THREADS.length; i++) so[i] = Math.min(so[i]!, await timeItAsync(() => sessions[i]!.run(feeds), 150, 3));
    }
    be.release(wa);
    be.release(wb);
    for (const s of sessions) await s.release();
    THREADS.forEach((t, i) => push('matmul', size, implOf(t), flops / so[i]! / 1e9, flops / sw / 1e9));
    log(`ort matmul ${size} done`);
  }

  // Components through the program API, each against its wasm program measured just before.
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
  await import('../backends/js/kernels/attention');
  for (const [op, size, term0, inputs, variant] of cases) {
    const term = variant ? { ...term0, variant } : term0;
    // Attention's GFLOP/s use the 'probs' flops for both variants, as the wasm rows do.
    const flops = fwdBwdFlops(term0, inputs);
    const heavy = op.startsWith('delta');
    const timers = await Promise.all(THREADS.map((t) => ortFwdBwd(term0, inputs, t, variant, heavy)));
    let sw = Infinity;
    const so = THREADS.map(() => Infinity);
    for (let round = 0; round < ROUNDS; round++) {
      sw = Math.min(sw, be.scope(() => fwdBwd(be, term, inputs, be)));
      for (let i = 0; i < THREADS.length; i++) so[i] = Math.min(so[i]!, await timers[i]!.time());
    }
    for (const t of timers) await t.release();
    THREADS.forEach((t, i) => push(op, size, implOf(t), flops / so[i]! / 1e9, flops / sw / 1e9));
    log(`ort ${op} ${size} done`);
  }
  return rows;
}
