/**
 * The parity demo: DeltaNet with β ∈ [0, 1] versus β ∈ [0, 2], trained on bit strings of length
 * 3–40 and tested on lengths 40–256.
 *
 *   npx tsx examples/parity/main.ts [--json] [--steps N] [--seed S] [--batch B] [--lr X] [--wd X]
 *                                   [--schedule cosine|constant] [--warmup N] [--backend js|wasm] [--serial]
 *                                   [--threads N]
 *
 * Progress bars go to stderr; the table (or with --json one JSON document) to stdout. The two models
 * train in two worker threads (one per core) unless --serial; results are the same either way. With
 * --threads N (N > 1) the models train one after the other, each on N threads (data parallel: every
 * batch in N shards); its losses agree with one thread's to float32 rounding, not bit for bit.
 */
import { Worker } from 'node:worker_threads';
import { MissingKernelError } from '../../src/index';
import { backendOption, exampleArgs, jsonOption } from '../args';
import { checkParityModel, loadBackend, runParity, type BackendName, type BetaRange, type ParityOptions, type ParityResult } from './parity';

const o = exampleArgs({
  name: 'parity',
  summary: 'DeltaNet with β ∈ [0, 1] against β ∈ [0, 2] on parity: train on bit strings of length 3–40, test on 40–256.',
  options: {
    steps: { type: 'int', arg: 'N', doc: 'training steps per model (default 1000)' },
    seed: { type: 'nat', arg: 'S', doc: 'seed of the data and the parameters (default 0)' },
    batch: { type: 'int', arg: 'B', doc: 'sequences per batch (default 32)' },
    lr: { type: 'number', arg: 'X', doc: 'peak learning rate (default 0.01)' },
    wd: { type: 'nonneg', arg: 'X', doc: 'decoupled weight decay (default 0.01)' },
    schedule: { type: 'string', arg: 'NAME', doc: 'learning-rate schedule (default cosine)', choices: ['cosine', 'constant'] },
    warmup: { type: 'nat', arg: 'N', doc: 'warm-up steps (default 50)' },
    backend: backendOption('wasm'),
    serial: { type: 'bool', doc: 'train the two models one after the other in this thread (same results)' },
    threads: { type: 'int', arg: 'N', doc: 'train each model data-parallel on N threads (default 1; implies --serial)' },
    json: jsonOption,
  },
  notes: 'Also `npm start`. Progress bars go to stderr; the table (or with --json one JSON document) to stdout.',
});
const json = o.json === true;
const steps = (o.steps as number | undefined) ?? 1000;
const seed = (o.seed as number | undefined) ?? 0;
const batch = (o.batch as number | undefined) ?? 32;
const lr = (o.lr as number | undefined) ?? 1e-2;
const weightDecay = (o.wd as number | undefined) ?? 0.01;
const schedule = (o.schedule as 'cosine' | 'constant' | undefined) ?? 'cosine';
const warmup = (o.warmup as number | undefined) ?? 50;
const backend = (o.backend as BackendName | undefined) ?? 'wasm';

const threads = (o.threads as number | undefined) ?? 1;
if (threads < 1) {
  process.stderr.write(`parity: --threads expects an integer ≥ 1, got ${threads}\n`);
  process.exit(1);
}
const serial = o.serial === true || threads > 1;
const ranges: BetaRange[] = ['[0,1]', '[0,2]'];
const options: Omit<ParityOptions, 'onStep'> = { steps, seed, batch, lr, weightDecay, schedule, warmup, backend, workers: threads };

// Load the backend here first, so a missing backend or kernel is reported once, before any training.
try {
  checkParityModel(await loadBackend(backend));
} catch (e) {
  if (e instanceof MissingKernelError)
    console.error(`parity: the ${backend} backend has no kernel for primitive '${e.primitive}' (at ${e.path.join('.')}), which the DeltaNet parity model needs; use --backend js`);
  else console.error(`parity: cannot use the ${backend} backend: ${(e as Error).message}`);
  process.exit(1);
}

// One progress bar per model, redrawn on one stderr line (or a line every 10 s when not a TTY).
const width = 20;
const progress = new Map<BetaRange, { step: number; loss: number }>();
const t0 = Date.now();
let lastDraw = 0;
const draw = (force = false): void => {
  const now = Date.now();
  if (!force && now - lastDraw < (process.stderr.isTTY ? 200 : 10_000)) return;
  lastDraw = now;
  const parts = ranges.map((r) => {
    const p = progress.get(r) ?? { step: -1, loss: NaN };
    const fill = Math.round(((p.step + 1) / steps) * width);
    return `β ∈ ${r} [${'#'.repeat(fill)}${'.'.repeat(width - fill)}] ${String(p.step + 1).padStart(4)}/${steps} loss ${Number.isNaN(p.loss) ? '  -  ' : p.loss.toFixed(3)}`;
  });
  const line = `${parts.join('   ')}   ${((now - t0) / 1000).toFixed(0)} s`;
  process.stderr.write(process.stderr.isTTY ? `\r${line}` : `${line}\n`);
};
const onStep = (range: BetaRange, step: number, loss: number): void => {
  progress.set(range, { step, loss });
  draw(step === steps - 1);
};

const inWorker = (range: BetaRange): Promise<ParityResult> =>
  new Promise((resolve, reject) => {
    // The worker is TypeScript: register tsx's loader inside it, then import the worker module.
    const url = new URL('./worker.ts', import.meta.url).href;
    const w = new Worker(`import { register } from 'tsx/esm/api'; register(); await import(${JSON.stringify(url)});`, {
      eval: true,
      workerData: { range, options },
    });
    w.on('message', (m: { kind: 'step'; range: BetaRange; step: number; loss: number } | { kind: 'done'; result: ParityResult }) => {
      if (m.kind === 'step') onStep(m.range, m.step, m.loss);
      else resolve(m.result);
    });
    w.on('error', reject);
    w.on('exit', (code) => code !== 0 && reject(new Error(`parity worker for β ∈ ${range} exited with code ${code}`)));
  });

const results: ParityResult[] = serial ? runParity({ ...options, ranges, onStep }) : await Promise.all(ranges.map(inWorker));
draw(true);
if (process.stderr.isTTY) process.stderr.write('\n');
const total = (Date.now() - t0) / 1000;

if (json) {
  console.log(
    JSON.stringify({
      task: 'parity',
      seed,
      steps,
      batch,
      lr,
      schedule,
      warmup,
      weightDecay,
      backend,
      trainLengths: [3, 40],
      testLengths: [40, 256],
      seconds: total,
      threads: threads > 1 ? threads : serial ? 1 : 2,
      results: results.map((r) => ({ beta: r.beta, trainAcc: r.trainAcc, testAcc: r.testAcc, finalLoss: r.losses[r.losses.length - 1], seconds: r.seconds, ...(serial ? { cpuSeconds: r.cpuSeconds } : {}), testByLength: r.testByLength })),
    }),
  );
} else {
  const sched = `${schedule === 'cosine' ? 'cosine-decayed ' : ''}lr ${lr}${warmup ? ` (${warmup} warm-up steps)` : ''}, weight decay ${weightDecay}`;
  console.log(`\nParity with one DeltaNet layer (width 32, 2 heads), AdamW ${sched}, batch ${batch}, ${steps} steps, seed ${seed}, ${backend} backend`);
  console.log('trained on lengths 3–40, tested on lengths 40–256\n');
  console.log('  β range   accuracy (3–40)   accuracy (40–256)   time');
  for (const r of results)
    console.log(`  ${r.beta.padEnd(8)}  ${(100 * r.trainAcc).toFixed(1).padStart(13)}%  ${(100 * r.testAcc).toFixed(1).padStart(17)}%   ${r.seconds.toFixed(0)} s`);
  console.log(`\ntotal ${total.toFixed(0)} s (${threads > 1 ? `each model on ${threads} threads, data parallel` : serial ? 'one thread' : 'two worker threads'})`);
}
