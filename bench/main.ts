// `npm run bench` (tsx bench/main.ts): the wasm-vs-js-vs-tfjs-wasm table, then every other
// bench/*.ts module that exports `run(opts)` (attention, delta, pooling, tensor products) if present.
// `--json` prints ONE JSON document: the list of rows. `--quick` uses smaller sizes.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { run as runWasm, withRatios, type BenchRow } from './wasm';
import { exampleArgs } from '../examples/args';

/** Other engineers' benchmark modules, run when their file exists. */
const modules = ['attention', 'delta', 'pooling', 'tensor-product', 'lowering', 'ntk', 'ort', 'pool', 'sparse'];

const o = exampleArgs({
  name: 'bench',
  program: 'npm run bench --',
  summary: 'Benchmark the wasm kernels against the JS backend and tfjs-wasm, then the component benchmarks.',
  options: {
    json: { type: 'bool', doc: 'print one JSON document: the list of rows' },
    quick: { type: 'bool', doc: 'smaller sizes' },
    only: { type: 'string', arg: 'LIST', doc: `comma-separated groups to run (wasm, ${modules.join(', ')})` },
    threads: { type: 'int', arg: 'N', doc: 'the thread count the pool rows compare with one thread (bench/pool.ts; default 2, at least 2)' },
    rows: { type: 'string', arg: 'LIST', doc: 'pool rows only: run just the rows whose name contains one of these (comma-separated), e.g. --only=pool --rows=parity' },
  },
});
const json = o.json === true;
const quick = o.quick === true;
const only = (o.only as string | undefined)?.split(',');
const unknown = only?.filter((g) => g !== 'wasm' && !modules.includes(g)) ?? [];
if (unknown.length) {
  process.stderr.write(`bench: --only: unknown group(s) ${unknown.join(', ')}; expected wasm, ${modules.join(', ')}\n`);
  process.exit(1);
}
const threads = (o.threads as number | undefined) ?? 2;
if (threads < 2) {
  process.stderr.write(`bench: --threads expects an integer ≥ 2, got ${threads}\n`);
  process.exit(1);
}
const ops = (o.rows as string | undefined)?.split(',').filter((x) => x !== '');
const here = dirname(fileURLToPath(import.meta.url));

const fmt = (x: number | undefined, d = 2) => (typeof x !== 'number' ? '' : x.toFixed(d));

/** The impl cell of a thread-pool row (bench/pool.ts): threads and speedup, or why there is none. */
const poolCell = (r: BenchRow & { ms?: number; threads?: number; speedupVs1Thread?: number | null; speedupUnderLoad?: number; load?: number[] }): string | undefined =>
  r.threads === undefined || r.threads === 1
    ? undefined
    : r.speedupVs1Thread === undefined && r.speedupUnderLoad === undefined
      ? `${r.impl}, ${r.threads} threads: ${r.ms?.toFixed(3)} ms a split costs` // the round-trip row: a cost, not a speedup
      : `${r.impl}, ${r.threads} threads: ${typeof r.speedupVs1Thread === 'number' ? `${r.speedupVs1Thread.toFixed(2)}× one thread` : `no measurement at load ${r.load?.[1]} (${r.speedupUnderLoad?.toFixed(2)}× under load)`}`;

const table = (rows: readonly BenchRow[]): string => {
  const head = ['op', 'size', 'impl', 'GFLOP/s', '× tfjs-wasm', '× js', '× wasm', 'of peak'];
  const body = rows.map((r) => [
    String(r.op),
    String(r.size),
    r.basis === 'cpu' ? `${r.impl} (CPU time)` : poolCell(r) ?? String(r.impl),
    fmt(typeof r.gflops === 'number' ? r.gflops : undefined),
    fmt(r.ratioVsTfjsWasm),
    fmt(r.ratioVsJs, 1),
    fmt(r.ratioVsWasm),
    r.fractionOfPeak === undefined ? '' : `${(100 * r.fractionOfPeak).toFixed(0)}%`,
  ]);
  const w = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(w[i]!)).join(' | ')} |`;
  return [line(head), `|${w.map((x) => '-'.repeat(x + 2)).join('|')}|`, ...body.map(line)].join('\n');
};

const main = async () => {
  const rows: BenchRow[] = [];
  // With --json, stdout carries exactly one JSON document: anything a module logs goes to stderr.
  const log = console.log;
  if (json) console.log = (...a: unknown[]) => console.error(...a);
  if (!only || only.includes('wasm')) rows.push(...(await runWasm({ json, quick })));
  const peak = rows.find((r) => r.op.startsWith('simd128 peak'))?.gflops;
  for (const m of modules) {
    if (only && !only.includes(m)) continue;
    const file = join(here, `${m}.ts`);
    if (!existsSync(file)) continue;
    const mod = (await import(pathToFileURL(file).href)) as { run?: (o: { json?: boolean; quick?: boolean; threads?: number[]; ops?: string[] }) => Promise<BenchRow[]> };
    if (typeof mod.run !== 'function') continue;
    try {
      rows.push(...withRatios(await mod.run({ json, quick, threads: [threads], ops }), peak));
    } catch (e) {
      // a RangeError is a bad option (say so in a line); anything else is a fault (show where)
      console.error(`bench/${m}.ts failed: ${e instanceof RangeError ? e.message : ((e as Error).stack ?? e)}`);
      process.exitCode = 1;
    }
  }
  console.log = log;
  // Every row has a gflops field; rows that measure memory, not time, say null (not applicable).
  if (json) console.log(JSON.stringify(rows.map((r) => ({ ...r, gflops: typeof r.gflops === 'number' ? r.gflops : null }))));
  else {
    console.log(`catoptric benchmarks (${process.platform} ${process.arch}, Node ${process.version}, single thread)\n`);
    console.log(table(rows));
  }
};

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
