/**
 * `npm run fuzz -- [--n N] [--only NAME] [--seed S] [--json]`: run every campaign of
 * `fuzz/campaigns.ts`, N cases each, every case in a watchdog process with a time and memory budget,
 * and print what happened. Exit code 1 if any case failed. `--case I` reruns one case in-process
 * (with `--show`, prints its input) to debug a failure.
 */
import { type CommandSpec, UserError, helpText, parseArgs } from '../src/cli/args';
import { table } from '../src/cli/format';
import { campaigns } from './campaigns';
import { FAILURES } from './campaign';
import { type Outcome, Watchdog } from './watchdog';

const command: CommandSpec = {
  name: 'fuzz',
  program: 'npm run fuzz --',
  summary: 'Attack catoptric with generated hostile inputs; every case runs in a watchdog process with a time and memory budget.',
  positionals: [],
  options: {
    n: { type: 'int', arg: 'N', doc: 'cases per campaign (default 200)' },
    only: { type: 'string', arg: 'NAME', doc: `run one campaign (${campaigns.map((c) => c.name).join(', ')})`, choices: campaigns.map((c) => c.name) },
    seed: { type: 'nat', arg: 'S', doc: 'seed of the generators (default 0)' },
    'timeout-ms': { type: 'int', arg: 'MS', doc: 'time budget per case (default 2000)' },
    'memory-mb': { type: 'int', arg: 'MB', doc: 'memory budget per case: growth of resident memory (default 200)' },
    case: { type: 'nat', arg: 'I', doc: 'run only case I, in this process, and print its verdict (needs --only)' },
    show: { type: 'bool', doc: 'with --case: print the generated input' },
    json: { type: 'bool', doc: 'print the summary as JSON' },
  },
  notes: 'Example: npm run fuzz -- --n 20000 --json',
};

interface Summary {
  readonly campaign: string;
  readonly doc: string;
  readonly cases: number;
  readonly verdicts: Record<string, number>;
  readonly maxMs: number;
  readonly meanMs: number;
  readonly maxPeakMiB: number;
  readonly failures: readonly Outcome[];
}

const main = async (): Promise<number> => {
  const a = (() => {
    try {
      return parseArgs(process.argv.slice(2), command);
    } catch (e) {
      if (e instanceof UserError) {
        process.stderr.write(`fuzz: ${e.message}\n`);
        process.exit(1);
      }
      throw e;
    }
  })();
  if (a.help) {
    process.stdout.write(helpText(command));
    return 0;
  }
  const o = a.opts as Record<string, number | string | boolean | undefined>;
  const n = (o.n as number | undefined) ?? 200;
  const seed = (o.seed as number | undefined) ?? 0;
  const chosen = o.only === undefined ? campaigns : campaigns.filter((c) => c.name === o.only);

  if (o.case !== undefined) {
    if (o.only === undefined) {
      process.stderr.write('fuzz: --case needs --only NAME\n');
      return 1;
    }
    const c = chosen[0]!;
    if (o.show) process.stdout.write(`${(await c.show?.(seed, o.case as number)) ?? '(this campaign cannot show its input)'}\n`);
    const r = await c.run(seed, o.case as number);
    process.stdout.write(`${c.name} case ${o.case}: ${r.verdict}${r.detail ? `: ${r.detail}` : ''}\n`);
    return r.verdict === 'ok' || r.verdict === 'refused' ? 0 : 1;
  }

  const dog = new Watchdog({ timeoutMs: (o['timeout-ms'] as number | undefined) ?? 2000, memoryBytes: ((o['memory-mb'] as number | undefined) ?? 200) * 2 ** 20, heapMb: 1024 });
  const summaries: Summary[] = [];
  try {
    for (const c of chosen) {
      const verdicts: Record<string, number> = {};
      const failures: Outcome[] = [];
      let maxMs = 0;
      let sumMs = 0;
      let maxPeak = 0;
      const t0 = performance.now();
      let lastTenth = 0;
      for (let i = 0; i < n; i++) {
        const out = await dog.run({ campaign: c.name, seed, index: i });
        verdicts[out.verdict] = (verdicts[out.verdict] ?? 0) + 1;
        if (out.verdict !== 'ok' && out.verdict !== 'refused') failures.push(out);
        maxMs = Math.max(maxMs, out.ms);
        sumMs += out.ms;
        maxPeak = Math.max(maxPeak, out.peakBytes);
        const tenth = Math.floor((10 * (i + 1)) / n);
        if (tenth > lastTenth || i + 1 === n) {
          lastTenth = tenth;
          const secs = (performance.now() - t0) / 1000;
          process.stderr.write(`${c.name}: ${i + 1}/${n} cases, ${failures.length} failure(s), ${((i + 1) / secs).toFixed(1)} cases/s\n`);
        }
      }
      summaries.push({ campaign: c.name, doc: c.doc, cases: n, verdicts, maxMs, meanMs: sumMs / n, maxPeakMiB: maxPeak / 2 ** 20, failures });
    }
  } finally {
    dog.close();
  }

  const failed = summaries.reduce((s, x) => s + x.failures.length, 0);
  if (o.json) {
    process.stdout.write(JSON.stringify({ seed, n, failed, campaigns: summaries.map((s) => ({ ...s, failures: s.failures.slice(0, 50) })) }, null, 2) + '\n');
    return failed ? 1 : 0;
  }
  const cols = ['ok', 'refused', ...FAILURES];
  const rows = summaries.map((s) => [s.campaign, String(s.cases), ...cols.map((k) => String(s.verdicts[k] ?? 0)), s.maxMs.toFixed(0), s.meanMs.toFixed(1), s.maxPeakMiB.toFixed(1)]);
  process.stdout.write(`${table([['campaign', 'cases', ...cols, 'max ms', 'mean ms', 'max MiB'], ...rows], rows[0]?.map((_, j) => j).filter((j) => j > 0) ?? [])}\n`);
  for (const s of summaries)
    for (const f of s.failures.slice(0, 10))
      process.stdout.write(`\n${s.campaign} case ${f.index}: ${f.verdict} (${f.ms.toFixed(0)} ms)${f.detail ? `: ${f.detail}` : ''}\n  rerun: npm run fuzz -- --only ${s.campaign} --seed ${seed} --case ${f.index} --show\n`);
  return failed ? 1 : 0;
};

main().then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`fuzz: ${String((e as Error)?.stack ?? e)}\n`);
    process.exitCode = 2;
  },
);
