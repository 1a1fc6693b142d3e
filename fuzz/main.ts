/**
 * `npm run fuzz -- [--n N] [--only NAME] [--seed S] [--json]`: run every campaign of
 * `fuzz/campaigns.ts` (N cases each, or each campaign's default), print what happened, exit code 1 if
 * any case failed. `--case I` reruns one case (with `--show`, prints its input) to debug a failure.
 */
import { type CommandSpec, UserError, helpText, parseArgs } from '../src/cli/args';
import { campaigns } from './campaigns';

const command: CommandSpec = {
  name: 'fuzz',
  summary: 'Run the fuzz campaigns (`npm run fuzz -- [options]`); long runs that never belong in npm test.',
  positionals: [],
  options: {
    n: { type: 'int', arg: 'N', doc: "cases per campaign (default: each campaign's own)" },
    only: { type: 'string', arg: 'NAME', doc: `run one campaign`, choices: campaigns.map((c) => c.name) },
    seed: { type: 'nat', arg: 'S', doc: 'seed of the generators (default 0)' },
    case: { type: 'nat', arg: 'I', doc: 'run only case I and print its verdict (needs --only)' },
    show: { type: 'bool', doc: 'with --case: print the generated input' },
    json: { type: 'bool', doc: 'print the summary as JSON on stdout' },
  },
  notes: `Campaigns:\n${campaigns.map((c) => `  ${c.name.padEnd(18)} ${c.doc} (default ${c.defaultCases} cases)`).join('\n')}`,
};

interface Summary {
  readonly campaign: string;
  readonly cases: number;
  readonly failed: number;
  readonly seconds: number;
  readonly metrics: Record<string, number>;
  readonly report: string[];
  readonly failures: { index: number; detail: string }[];
}

const main = async (): Promise<number> => {
  let a;
  try {
    a = parseArgs(process.argv.slice(2), command);
  } catch (e) {
    if (e instanceof UserError) {
      process.stderr.write(`fuzz: ${e.message.replace('catoptric fuzz', 'npm run fuzz --')}\n`);
      return 1;
    }
    throw e;
  }
  if (a.help) {
    process.stdout.write(helpText(command).replace('catoptric fuzz', 'npm run fuzz --'));
    return 0;
  }
  const o = a.opts as Record<string, number | string | boolean | undefined>;
  const seed = (o.seed as number | undefined) ?? 0;
  const chosen = o.only === undefined ? campaigns : campaigns.filter((c) => c.name === o.only);
  if (o.case !== undefined) {
    if (o.only === undefined) {
      process.stderr.write('fuzz: --case needs --only NAME\n');
      return 1;
    }
    const c = chosen[0]!;
    await c.setup?.();
    if (o.show) process.stdout.write(`${c.show?.(seed, o.case as number) ?? '(this campaign cannot show its input)'}\n`);
    const r = await c.run(seed, o.case as number);
    process.stdout.write(`${c.name} case ${o.case}: ${r.ok ? 'ok' : `FAILED: ${r.detail}`}\n`);
    return r.ok ? 0 : 1;
  }
  const summaries: Summary[] = [];
  for (const c of chosen) {
    const n = (o.n as number | undefined) ?? c.defaultCases;
    await c.setup?.();
    const metrics: Record<string, number> = {};
    const failures: { index: number; detail: string }[] = [];
    let failed = 0;
    const t0 = performance.now();
    let lastPct = -1;
    for (let i = 0; i < n; i++) {
      let r;
      try {
        r = await c.run(seed, i);
      } catch (e) {
        r = { ok: false, detail: `threw: ${(e as Error)?.message ?? String(e)}` };
      }
      for (const [k, v] of Object.entries(r.metrics ?? {})) metrics[k] = (metrics[k] ?? 0) + v;
      if (!r.ok) {
        failed++;
        if (failures.length < 50) failures.push({ index: i, detail: r.detail ?? '' });
      }
      const pct = Math.floor((100 * (i + 1)) / n);
      if (pct !== lastPct && (pct % 5 === 0 || i + 1 === n)) {
        lastPct = pct;
        const secs = (performance.now() - t0) / 1000;
        process.stderr.write(`${c.name}: ${i + 1}/${n} cases (${pct}%), ${failed} failed, ${secs.toFixed(0)} s\n`);
      }
    }
    summaries.push({ campaign: c.name, cases: n, failed, seconds: (performance.now() - t0) / 1000, metrics, report: c.report?.(metrics) ?? [], failures });
  }
  const failed = summaries.reduce((s, x) => s + x.failed, 0);
  if (o.json) {
    process.stdout.write(JSON.stringify({ seed, failed, campaigns: summaries }, null, 2) + '\n');
    return failed ? 1 : 0;
  }
  for (const s of summaries) {
    process.stdout.write(`${s.campaign}: ${s.cases} cases, ${s.failed} failed, ${s.seconds.toFixed(1)} s\n`);
    for (const line of s.report) process.stdout.write(`  ${line}\n`);
    for (const f of s.failures.slice(0, 10))
      process.stdout.write(`  case ${f.index}: ${f.detail}\n    rerun: npm run fuzz -- --only ${s.campaign} --seed ${seed} --case ${f.index} --show\n`);
  }
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
