/**
 * PMI against a plain Transformer at matched parameter counts, on generated relational tasks
 * (Sort-of-CLEVR in state-vector form, equilateral-triangle detection), over several seeds.
 *
 *   npx tsx examples/pmi/main.ts [--json] [--steps N] [--seeds K] [--batch B] [--lr X] [--test N]
 *                                [--tasks sort-of-clevr,triangles] [--backend js|wasm] [--serial]
 *
 * Progress goes to stderr; the table (or with --json one JSON document,
 * `{ "tasks": { "<task>": { "baseline": {...}, "pmi": {...} } } }`) to stdout. The runs are shared out
 * over two worker threads unless --serial; each run is deterministic for its seed.
 */
import { Worker } from 'node:worker_threads';
import { backendOption, exampleArgs, jsonOption } from '../args';
import { exitOnMissingKernel, loadBackend, type BackendName } from '../backend';
import { MODELS, TASKS, models, runOne, type ModelName, type RunResult, type RunSettings, type TaskName } from './run';

const o = exampleArgs({
  name: 'pmi',
  summary: 'Trains a small Transformer and the same Transformer with a PMI memory layer (matched parameter counts) on generated relational tasks, over several seeds, and reports test accuracy (mean ± std).',
  options: {
    steps: { type: 'int', arg: 'N', doc: 'training steps per run (default 1200)' },
    seeds: { type: 'int', arg: 'K', doc: 'seeds per task and model (default 5)' },
    batch: { type: 'int', arg: 'B', doc: 'batch size (default 32)' },
    lr: { type: 'number', arg: 'X', doc: 'peak AdamW learning rate (default 0.01)' },
    test: { type: 'int', arg: 'N', doc: 'test examples per run (default 1024)' },
    tasks: { type: 'string', arg: 'LIST', doc: `comma-separated subset of ${TASKS.join(', ')} (default both)` },
    backend: backendOption('wasm'),
    serial: { type: 'bool', doc: 'run in this thread instead of two workers' },
    json: jsonOption,
  },
});
const lr = (o.lr as number | undefined) ?? 1e-2;
if (!(lr > 0)) {
  process.stderr.write(`pmi: --lr expects a positive number, got ${lr}\n`);
  process.exit(1);
}
const tasks = ((o.tasks as string | undefined) ?? TASKS.join(',')).split(',') as TaskName[];
for (const t of tasks)
  if (!TASKS.includes(t)) {
    process.stderr.write(`pmi: --tasks expects a comma-separated subset of ${TASKS.join(', ')}, got ${JSON.stringify(t)}\n`);
    process.exit(1);
  }
const settings: RunSettings = {
  steps: (o.steps as number | undefined) ?? 1200,
  batch: (o.batch as number | undefined) ?? 32,
  lr,
  width: 16,
  heads: 2,
  slots: 4,
  topk: 3,
  test: (o.test as number | undefined) ?? 1024,
};
const nSeeds = (o.seeds as number | undefined) ?? 5;
const backend = (o.backend as BackendName | undefined) ?? 'wasm';
const json = o.json === true;

// Lower every model once here, so a missing kernel is one message before any training.
await exitOnMissingKernel('pmi', backend, async () => {
  const { lowerOrThrow } = await import('../../src/index');
  const be = await loadBackend(backend);
  for (const t of tasks) for (const m of MODELS) lowerOrThrow(models(settings, t, m, 2).loss, be);
});

const jobs = tasks.flatMap((task) => MODELS.flatMap((model) => Array.from({ length: nSeeds }, (_, seed) => ({ task, model, seed }))));
const withIds = jobs.map((j, id) => ({ ...j, id }));
const steps = new Map<number, number>();
const t0 = Date.now();
let lastDraw = 0;
const done: RunResult[] = [];
const draw = (force = false): void => {
  const now = Date.now();
  if (!force && now - lastDraw < (process.stderr.isTTY ? 250 : 15_000)) return;
  lastDraw = now;
  const total = jobs.length * settings.steps;
  const sofar = [...steps.values()].reduce((a, b) => a + b, 0);
  const fill = Math.round((sofar / total) * 30);
  const line = `pmi [${'#'.repeat(fill)}${'.'.repeat(30 - fill)}] ${done.length}/${jobs.length} runs, ${((now - t0) / 1000).toFixed(0)} s`;
  process.stderr.write(process.stderr.isTTY ? `\r${line}` : `${line}\n`);
};

const inWorker = (share: typeof withIds): Promise<RunResult[]> =>
  new Promise((resolve, reject) => {
    const url = new URL('./worker.ts', import.meta.url).href;
    const w = new Worker(`import { register } from 'tsx/esm/api'; register(); await import(${JSON.stringify(url)});`, { eval: true, workerData: { jobs: share, settings, backend } });
    const mine: RunResult[] = [];
    w.on('message', (m: { kind: 'step'; id: number; step: number } | { kind: 'done'; id: number; result: RunResult }) => {
      if (m.kind === 'step') steps.set(m.id, m.step + 1);
      else {
        steps.set(m.id, settings.steps);
        mine.push(m.result);
        done.push(m.result);
        if (mine.length === share.length) resolve(mine);
      }
      draw();
    });
    w.on('error', reject);
    w.on('exit', (code) => code !== 0 && reject(new Error(`pmi worker exited with code ${code}`)));
  });

let results: RunResult[];
if (o.serial === true) {
  const be = await loadBackend(backend);
  results = withIds.map((j) => {
    const r = runOne(be, settings, j.task, j.model, j.seed, (step) => {
      steps.set(j.id, step + 1);
      draw();
    });
    done.push(r);
    return r;
  });
} else {
  // Alternate jobs between the two workers so each gets both models and both tasks.
  const shares = [withIds.filter((_, i) => i % 2 === 0), withIds.filter((_, i) => i % 2 === 1)];
  results = (await Promise.all(shares.map(inWorker))).flat();
}
draw(true);
if (process.stderr.isTTY) process.stderr.write('\n');
const seconds = (Date.now() - t0) / 1000;

const stats = (xs: number[]) => {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const std = xs.length > 1 ? Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1)) : 0;
  return { mean, std };
};
const summary = (task: TaskName, model: ModelName) => {
  const rs = results.filter((r) => r.task === task && r.model === model).sort((a, b) => a.seed - b.seed);
  return {
    params: rs[0]!.params,
    accuracy: stats(rs.map((r) => r.accuracy)),
    ...(task === 'sort-of-clevr' ? { relational: stats(rs.map((r) => r.relational!)), nonRelational: stats(rs.map((r) => r.nonRelational!)) } : {}),
    seeds: rs.map((r) => ({ seed: r.seed, accuracy: r.accuracy, ...(r.relational !== undefined ? { relational: r.relational, nonRelational: r.nonRelational } : {}), finalLoss: r.finalLoss, seconds: r.seconds })),
  };
};
const out = Object.fromEntries(tasks.map((t) => [t, { baseline: summary(t, 'baseline'), pmi: summary(t, 'pmi') }]));

if (json) console.log(JSON.stringify({ settings: { ...settings, seeds: nSeeds, backend }, seconds, tasks: out }));
else {
  const pct = (s: { mean: number; std: number }) => `${(100 * s.mean).toFixed(1)} ± ${(100 * s.std).toFixed(1)}`;
  console.log(`\nTest accuracy (%), mean ± std over ${nSeeds} seeds; ${settings.steps} steps of batch ${settings.batch}, width ${settings.width}, ${backend} backend\n`);
  console.log('task            model      params   accuracy       relational     non-relational');
  for (const t of tasks)
    for (const m of MODELS) {
      const s = out[t]![m];
      const rel = 'relational' in s && s.relational ? `${pct(s.relational).padEnd(14)} ${pct(s.nonRelational!)}` : '';
      console.log(`${t.padEnd(15)} ${m.padEnd(9)} ${String(s.params).padStart(7)}   ${pct(s.accuracy).padEnd(14)} ${rel}`);
    }
  console.log(`\ntotal ${seconds.toFixed(0)} s (${o.serial === true ? 'one thread' : 'two worker threads'})`);
}
