/**
 * The parity demo: DeltaNet with β ∈ [0, 1] versus β ∈ [0, 2], trained on bit strings of length
 * 3–40 and tested on lengths 40–256.
 *
 *   npx tsx examples/parity/main.ts [--json] [--steps N] [--seed S] [--batch B] [--lr X] [--serial]
 *
 * Progress bars go to stderr; the table (or with --json one JSON document) to stdout. The two models
 * train in two worker threads (one per core) unless --serial; results are the same either way.
 */
import { Worker } from 'node:worker_threads';
import { runParity, type BetaRange, type ParityOptions, type ParityResult } from './parity';

const args = process.argv.slice(2);
const num = (name: string, dflt: number, integer = true): number => {
  const i = args.indexOf(`--${name}`);
  if (i < 0) return dflt;
  const v = Number(args[i + 1]);
  if (!Number.isFinite(v) || v <= 0 || (integer && !Number.isInteger(v))) {
    console.error(`parity: --${name} expects a positive ${integer ? 'integer' : 'number'}, got ${JSON.stringify(args[i + 1])}`);
    process.exit(1);
  }
  return v;
};
const json = args.includes('--json');
const steps = num('steps', 1000);
const seed = args.includes('--seed') ? Math.floor(Number(args[args.indexOf('--seed') + 1])) : 0;
if (!Number.isFinite(seed)) {
  console.error('parity: --seed expects an integer');
  process.exit(1);
}
const batch = num('batch', 32);
const lr = num('lr', 3e-3, false);

const serial = args.includes('--serial');
const ranges: BetaRange[] = ['[0,1]', '[0,2]'];
const options: Omit<ParityOptions, 'onStep'> = { steps, seed, batch, lr };

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
      trainLengths: [3, 40],
      testLengths: [40, 256],
      seconds: total,
      threads: serial ? 1 : 2,
      results: results.map((r) => ({ beta: r.beta, trainAcc: r.trainAcc, testAcc: r.testAcc, finalLoss: r.losses[r.losses.length - 1], seconds: r.seconds, ...(serial ? { cpuSeconds: r.cpuSeconds } : {}) })),
    }),
  );
} else {
  console.log(`\nParity with one DeltaNet layer (width 32, 2 heads), AdamW lr ${lr}, batch ${batch}, ${steps} steps, seed ${seed}`);
  console.log('trained on lengths 3–40, tested on lengths 40–256\n');
  console.log('  β range   accuracy (3–40)   accuracy (40–256)   time');
  for (const r of results)
    console.log(`  ${r.beta.padEnd(8)}  ${(100 * r.trainAcc).toFixed(1).padStart(13)}%  ${(100 * r.testAcc).toFixed(1).padStart(17)}%   ${r.seconds.toFixed(0)} s`);
  console.log(`\ntotal ${total.toFixed(0)} s (${serial ? 'one thread' : 'two worker threads'})`);
}
