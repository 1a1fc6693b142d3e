/**
 * `npm run fuzz -- [--n N] [--only NAME[,NAME…]] [--seed S] [--json]`: run the campaigns of
 * `fuzz/campaigns.ts` (N cases each, or each campaign's default), every case in a watchdog process
 * with a time and memory budget, and print what happened. Exit code 1 if any case failed. `--case I`
 * reruns one case in this process (with `--show`, prints its input) to debug a failure.
 */
import { type CommandSpec, UserError, helpText, parseArgs } from '../src/cli/args';
import { table } from '../src/cli/format';
import { campaigns } from './campaigns';
import { type Budget, type Campaign, DEFAULT_BUDGET, FAILURES } from './campaign';
import { type Outcome, Watchdog } from './watchdog';

const names = campaigns.map((c) => c.name);

const command: CommandSpec = {
  name: 'fuzz',
  program: 'npm run fuzz --',
  summary: 'Attack catoptric with generated inputs; every case runs in a watchdog process with a time and memory budget.',
  positionals: [],
  options: {
    n: { type: 'int', arg: 'N', doc: "cases per campaign (default: each campaign's own)" },
    only: { type: 'string', arg: 'NAMES', doc: 'run these campaigns only (comma-separated)' },
    seed: { type: 'nat', arg: 'S', doc: 'seed of the generators (default 0)' },
    'timeout-ms': { type: 'int', arg: 'MS', doc: `CPU-time budget per case, for every campaign (default ${DEFAULT_BUDGET.timeoutMs}, or the campaign's own)` },
    'memory-mb': { type: 'int', arg: 'MB', doc: `budget of resident-memory growth per case, for every campaign (default ${DEFAULT_BUDGET.memoryBytes / 2 ** 20}, or the campaign's own)` },
    case: { type: 'nat', arg: 'I', doc: 'run only case I, in this process, and print its verdict (needs --only NAME)' },
    show: { type: 'bool', doc: 'with --case: print the generated input' },
    json: { type: 'bool', doc: 'print the summary as JSON' },
  },
  notes: [
    'Campaigns:',
    ...campaigns.map((c) => `  ${c.name.padEnd(18)} ${c.doc} (default ${c.defaultCases} cases${c.budget ? `; budget ${c.budget.timeoutMs} ms of CPU, ${c.budget.memoryBytes / 2 ** 20} MB: ${c.budget.why}` : ''})`),
    '',
    'Interrupted (SIGINT, SIGTERM), it stops after the current case and reports the cases run.',
    'Example: npm run fuzz -- --n 20000 --only specs,terms,params,flags --json',
  ].join('\n'),
};

interface Summary {
  readonly campaign: string;
  readonly doc: string;
  readonly cases: number;
  readonly budget: Budget;
  readonly verdicts: Record<string, number>;
  readonly seconds: number;
  /** CPU time per case (the budget's measure), and the longest wall-clock time. */
  readonly maxCpuMs: number;
  readonly meanCpuMs: number;
  readonly maxWallMs: number;
  readonly maxPeakMiB: number;
  readonly metrics: Record<string, number>;
  readonly report: string[];
  readonly failures: readonly Outcome[];
}

const isFailure = (o: Outcome) => o.verdict !== 'ok' && o.verdict !== 'refused';

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
  const seed = (o.seed as number | undefined) ?? 0;
  const only = o.only === undefined ? undefined : String(o.only).split(',').map((s) => s.trim());
  const unknown = only?.filter((n) => !names.includes(n)) ?? [];
  if (unknown.length) {
    process.stderr.write(`fuzz: --only: no campaign ${unknown.map((n) => JSON.stringify(n)).join(', ')}; expected some of ${names.join(', ')}\n`);
    return 1;
  }
  const chosen: Campaign[] = only === undefined ? [...campaigns] : only.map((n) => campaigns.find((c) => c.name === n)!);

  if (o.case !== undefined) {
    if (chosen.length !== 1 || only === undefined) {
      process.stderr.write('fuzz: --case needs --only NAME (one campaign)\n');
      return 1;
    }
    const c = chosen[0]!;
    await c.setup?.();
    if (o.show) process.stdout.write(`${(await c.show?.(seed, o.case as number)) ?? '(this campaign cannot show its input)'}\n`);
    const r = await c.run(seed, o.case as number);
    process.stdout.write(`${c.name} case ${o.case}: ${r.verdict}${r.detail ? `: ${r.detail}` : ''}\n`);
    return r.verdict === 'ok' || r.verdict === 'refused' ? 0 : 1;
  }

  const budgetOf = (c: Campaign): Budget => ({
    timeoutMs: (o['timeout-ms'] as number | undefined) ?? c.budget?.timeoutMs ?? DEFAULT_BUDGET.timeoutMs,
    memoryBytes: o['memory-mb'] !== undefined ? (o['memory-mb'] as number) * 2 ** 20 : (c.budget?.memoryBytes ?? DEFAULT_BUDGET.memoryBytes),
  });
  const dog = new Watchdog({ heapMb: 1024 });
  let stop = false;
  for (const sig of ['SIGINT', 'SIGTERM'] as const)
    process.on(sig, () => {
      stop = true;
    });
  const summaries: Summary[] = [];
  try {
    for (const c of chosen) {
      if (stop) break;
      const n = (o.n as number | undefined) ?? c.defaultCases;
      const budget = budgetOf(c);
      const verdicts: Record<string, number> = {};
      const metrics: Record<string, number> = {};
      const failures: Outcome[] = [];
      let maxCpu = 0;
      let sumCpu = 0;
      let maxWall = 0;
      let run = 0;
      let maxPeak = 0;
      const t0 = performance.now();
      let lastTenth = 0;
      for (let i = 0; i < n && !stop; i++) {
        const out = await dog.run({ campaign: c.name, seed, index: i }, budget);
        verdicts[out.verdict] = (verdicts[out.verdict] ?? 0) + 1;
        for (const [k, v] of Object.entries(out.metrics ?? {})) metrics[k] = (metrics[k] ?? 0) + v;
        if (isFailure(out)) failures.push(out);
        maxCpu = Math.max(maxCpu, out.cpuMs);
        sumCpu += out.cpuMs;
        maxWall = Math.max(maxWall, out.ms);
        run++;
        maxPeak = Math.max(maxPeak, out.peakBytes);
        const tenth = Math.floor((10 * (i + 1)) / n);
        if (tenth > lastTenth || i + 1 === n) {
          lastTenth = tenth;
          const secs = (performance.now() - t0) / 1000;
          process.stderr.write(`${c.name}: ${i + 1}/${n} cases, ${failures.length} failure(s), ${((i + 1) / secs).toFixed(1)} cases/s\n`);
        }
      }
      summaries.push({
        campaign: c.name, doc: c.doc, cases: run, budget, verdicts, seconds: (performance.now() - t0) / 1000, maxCpuMs: maxCpu, meanCpuMs: run ? sumCpu / run : 0, maxWallMs: maxWall,
        maxPeakMiB: maxPeak / 2 ** 20, metrics, report: Object.keys(metrics).length ? (c.report?.(metrics) ?? []) : [], failures,
      });
    }
  } finally {
    dog.close();
  }

  const failed = summaries.reduce((s, x) => s + x.failures.length, 0);
  if (o.json) {
    process.stdout.write(JSON.stringify({ seed, failed, campaigns: summaries.map((s) => ({ ...s, failures: s.failures.slice(0, 50) })) }, null, 2) + '\n');
    return failed ? 1 : 0;
  }
  const cols = ['ok', 'refused', ...FAILURES];
  const rows = summaries.map((s) => [s.campaign, String(s.cases), ...cols.map((k) => String(s.verdicts[k] ?? 0)), s.maxCpuMs.toFixed(0), s.meanCpuMs.toFixed(1), s.maxWallMs.toFixed(0), s.maxPeakMiB.toFixed(1)]);
  process.stdout.write(`${table([['campaign', 'cases', ...cols, 'max CPU ms', 'mean CPU ms', 'max wall ms', 'max MiB'], ...rows], rows[0]?.map((_, j) => j).filter((j) => j > 0) ?? [])}\n`);
  for (const s of summaries) for (const line of s.report) process.stdout.write(`${s.campaign}: ${line}\n`);
  for (const s of summaries)
    for (const f of s.failures.slice(0, 10))
      process.stdout.write(`\n${s.campaign} case ${f.index}: ${f.verdict} (${f.cpuMs.toFixed(0)} ms CPU, ${f.ms.toFixed(0)} ms wall)${f.detail ? `: ${f.detail}` : ''}\n  rerun: npm run fuzz -- --only ${s.campaign} --seed ${seed} --case ${f.index} --show\n`);
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
