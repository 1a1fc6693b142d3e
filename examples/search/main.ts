/**
 * `npm run example:search -- [options]`: evolutionary architecture search over model strings on the
 * spirals and modular tasks, against random search over strings and the same GA over JSON specs
 * mutated by hand, at the same number of evaluations, over several seeds. See README.md, "Model strings".
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { type CommandSpec, UserError, helpText, parseArgs } from '../../src/cli/args';
import { checkOrThrow, renderDiagram } from '../../src/index';
import { type BackendName, loadBackend } from '../backend';
import { DEFAULT_SETTINGS, type RunRecord, type SearchSettings, TASKS, runMethods, stringOf } from './search';

const command: CommandSpec = {
  name: 'example:search',
  summary: 'Architecture search over model strings (GA) against random search and a GA over hand-mutated JSON specs.',
  positionals: [],
  options: {
    task: { type: 'string', arg: 'NAME', doc: 'which task (default both)', choices: ['spirals', 'modular', 'both'] },
    seeds: { type: 'int', arg: 'N', doc: 'seeds 0..N−1 (default 5)' },
    budget: { type: 'int', arg: 'N', doc: `evaluations per method and seed (default ${DEFAULT_SETTINGS.budget})` },
    population: { type: 'int', arg: 'N', doc: `population size (default ${DEFAULT_SETTINGS.population})` },
    steps: { type: 'int', arg: 'N', doc: `Adam steps per evaluation (default ${DEFAULT_SETTINGS.steps})` },
    tokens: { type: 'int', arg: 'N', doc: `longest initial string (default ${DEFAULT_SETTINGS.maxTokens})` },
    penalty: { type: 'number', arg: 'X', doc: `fitness = held-out accuracy − X · parameters / 1000 (default ${DEFAULT_SETTINGS.penalty})` },
    backend: { type: 'string', arg: 'NAME', doc: 'where to train (default wasm)', choices: ['js', 'wasm'] },
    threads: { type: 'int', arg: 'N', doc: 'threads of the wasm backend\'s worker pool (default 1)' },
    out: { type: 'string', arg: 'DIR', doc: 'where to write the best models\' diagrams (default examples/search)' },
    json: { type: 'bool', doc: 'print one JSON document on stdout (progress stays on stderr)' },
  },
  notes: 'Example: npm run example:search -- --task spirals --seeds 2 --budget 30',
};

const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
const sd = (xs: readonly number[]): number => Math.sqrt(mean(xs.map((x) => (x - mean(xs)) ** 2)));
const METHODS = ['gaStrings', 'random', 'gaJson'] as const;
type Method = (typeof METHODS)[number];
const LABEL: Record<Method, string> = { gaStrings: 'GA over strings', random: 'random strings', gaJson: 'GA over JSON specs' };

const main = async (): Promise<number> => {
  let a;
  try {
    a = parseArgs(process.argv.slice(2), command);
  } catch (e) {
    if (e instanceof UserError) {
      process.stderr.write(`example:search: ${e.message.replace('catoptric example:search', 'npm run example:search --')}\n`);
      return 1;
    }
    throw e;
  }
  if (a.help) {
    process.stdout.write(helpText(command).replace('catoptric example:search', 'npm run example:search --'));
    return 0;
  }
  const o = a.opts as Record<string, string | number | boolean | undefined>;
  const s: SearchSettings = {
    ...DEFAULT_SETTINGS,
    ...(o.budget !== undefined ? { budget: o.budget as number } : {}),
    ...(o.population !== undefined ? { population: o.population as number } : {}),
    ...(o.steps !== undefined ? { steps: o.steps as number } : {}),
    ...(o.tokens !== undefined ? { maxTokens: o.tokens as number } : {}),
    ...(o.penalty !== undefined ? { penalty: o.penalty as number } : {}),
  };
  const seeds = Array.from({ length: (o.seeds as number | undefined) ?? 5 }, (_, i) => i);
  const tasks = o.task === undefined || o.task === 'both' ? [TASKS.spirals, TASKS.modular] : [TASKS[o.task as 'spirals' | 'modular']];
  const backendName = (o.backend as BackendName | undefined) ?? 'wasm';
  const threads = (o.threads as number | undefined) ?? 1;
  if (threads < 1 || (threads > 1 && backendName !== 'wasm')) {
    process.stderr.write(`example:search: --threads ${threads}: expected 1, or more with --backend wasm\n`);
    return 1;
  }
  const be = await loadBackend(backendName, threads);
  const outDir = (o.out as string | undefined) ?? path.join('examples', 'search');

  const t0 = performance.now();
  const total = tasks.length * seeds.length * 3 * s.budget;
  let done = 0;
  let lastTenth = -1;
  const tick = () => {
    done++;
    const tenth = Math.floor((20 * done) / total);
    if (tenth !== lastTenth) {
      lastTenth = tenth;
      process.stderr.write(`search: ${done}/${total} evaluations, ${((performance.now() - t0) / 1000).toFixed(0)} s\n`);
    }
  };

  const results: Record<string, Record<Method, RunRecord[]>> = {};
  for (const task of tasks) {
    results[task.name] = { gaStrings: [], random: [], gaJson: [] };
    for (const seed of seeds) {
      const r = runMethods(task, be, s, seed, tick);
      for (const m of METHODS) results[task.name]![m].push(r[m]);
    }
  }
  const seconds = (performance.now() - t0) / 1000;

  /** Valid children over all children of these methods, all tasks and seeds. */
  const validFraction = (ms: readonly Method[]) => {
    const runs = Object.values(results).flatMap((r) => ms.flatMap((m) => r[m]));
    return runs.reduce((x, r) => x + r.validChildren, 0) / Math.max(1, runs.reduce((x, r) => x + r.children, 0));
  };
  const summary = Object.fromEntries(
    tasks.map((task) => {
      const r = results[task.name]!;
      const methods = Object.fromEntries(
        METHODS.map((m) => {
          const finals = r[m].map((x) => x.best.fitness);
          return [m, { finalBestFitness: { mean: mean(finals), sd: sd(finals), perSeed: finals }, bestAccuracy: mean(r[m].map((x) => x.best.accuracy)), bestParams: mean(r[m].map((x) => x.best.params)), validChildren: r[m].reduce((x, y) => x + y.validChildren, 0) / Math.max(1, r[m].reduce((x, y) => x + y.children, 0)) }];
        }),
      );
      const gaWins = seeds.filter((_, i) => r.gaStrings[i]!.best.fitness > r.random[i]!.best.fitness).length;
      const ties = seeds.filter((_, i) => r.gaStrings[i]!.best.fitness === r.random[i]!.best.fitness).length;
      const all = METHODS.flatMap((m) => r[m].map((x) => ({ m, ...x.best })));
      const best = all.reduce((p, q) => (q.fitness > p.fitness ? q : p));
      const string = best.string ?? stringOf(task, best.term, s.maxElems);
      return [task.name, { methods, gaBeatsRandom: { seeds: gaWins, ties, of: seeds.length }, best: { method: best.m, string, fitness: best.fitness, accuracy: best.accuracy, params: best.params, term: best.term } }];
    }),
  );

  // Diagrams of the best models.
  const diagrams: Record<string, string> = {};
  fs.mkdirSync(outDir, { recursive: true });
  for (const task of tasks) {
    const b = summary[task.name]!.best;
    const file = path.join(outDir, `best-${task.name}.svg`);
    fs.writeFileSync(file, renderDiagram(checkOrThrow(b.term, task.inputs), { title: `${task.name}: ${b.string}` }).svg);
    diagrams[task.name] = file;
  }

  const curves = Object.fromEntries(
    tasks.map((task) => [
      task.name,
      Object.fromEntries(METHODS.map((m) => {
        const runs = results[task.name]![m];
        return [m, { perSeed: runs.map((x) => x.curve), mean: runs[0]!.curve.map((_, i) => mean(runs.map((x) => x.curve[i]!))) }];
      })),
    ]),
  );

  if (o.json) {
    process.stdout.write(
      JSON.stringify({
        settings: { ...s, seeds: seeds.length, backend: backendName },
        validFraction: { strings: validFraction(['gaStrings', 'random']), json: validFraction(['gaJson']) },
        best: Object.fromEntries(Object.entries(summary).map(([k, v]) => [k, { ...v.best, diagram: diagrams[k] }])),
        tasks: Object.fromEntries(Object.entries(summary).map(([k, v]) => [k, { methods: v.methods, gaBeatsRandom: v.gaBeatsRandom }])),
        curves,
        seconds,
      }) + '\n',
    );
    return 0;
  }
  const lines: string[] = [];
  lines.push(`${seeds.length} seed(s) × ${s.budget} evaluations per method; ${s.steps} Adam steps each; fitness = held-out accuracy − ${s.penalty} · params/1000; ${backendName}, ${seconds.toFixed(0)} s`);
  for (const task of tasks) {
    const v = summary[task.name]!;
    lines.push('', `${task.name}:`);
    lines.push(`  ${'method'.padEnd(20)} ${'final best fitness'.padEnd(20)} ${'accuracy'.padEnd(9)} ${'params'.padEnd(8)} valid children`);
    for (const m of METHODS) {
      const x = v.methods[m]!;
      lines.push(`  ${LABEL[m].padEnd(20)} ${`${x.finalBestFitness.mean.toFixed(3)} ± ${x.finalBestFitness.sd.toFixed(3)}`.padEnd(20)} ${x.bestAccuracy.toFixed(3).padEnd(9)} ${x.bestParams.toFixed(0).padEnd(8)} ${(100 * x.validChildren).toFixed(1)}%`);
    }
    lines.push(`  GA over strings beats random strings on ${v.gaBeatsRandom.seeds} of ${v.gaBeatsRandom.of} seeds (${v.gaBeatsRandom.ties} ties)`);
    lines.push(`  best: ${JSON.stringify(v.best.string)} (${LABEL[v.best.method as Method]}, accuracy ${v.best.accuracy.toFixed(3)}, ${v.best.params} params) → ${diagrams[task.name]}`);
  }
  process.stdout.write(lines.join('\n') + '\n');
  return 0;
};

main().then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`example:search: ${(e as Error)?.message ?? String(e)}\n`);
    process.exitCode = 1;
  },
);
