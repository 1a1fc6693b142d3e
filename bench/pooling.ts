/**
 * Full bilinear vs compact (MCB) vs factorised (MFB) pooling: forward + backward time and memory on
 * the JS backend (float32), input sizes dx = dy ∈ {512, 1024, 2048}, sketch sizes up to 16000.
 *
 *   npx tsx bench/pooling.ts [--json] [--quick]
 *
 * Times are medians of wall clock (`ms`) and of this process's CPU time (`cpuMs`; robust when
 * other processes share the cores). Memory (`bytes`) is what one forward leaves alive for the backward pass: the output plus the
 * residual, both measured from the tensors the program holds (parameters excluded; MFB's are
 * listed in `paramBytes`). `gflops` divides the cost model's forward + backward flops by the time.
 */
import { pathToFileURL } from 'node:url';
import { mfb } from '../src/prims/pooling';
import { type Term, type TypedNode, checkOrThrow, initParams, jsBackend, lowerOrThrow, prim, randn, residualElems, rng } from '../src/index';
import type { BenchRow as ComponentBenchRow } from './row';

/** One benchmark measurement. */
export interface BenchRow extends ComponentBenchRow<number> {
  readonly paramBytes?: number;
  /** CPU time of this process (user + system) per run: robust when other processes share the cores. */
  readonly cpuMs?: number;
}

const flops = (n: TypedNode): number => (n.kind === 'prim' ? n.cost.fwdFlops + n.cost.bwdFlops : n.children.reduce((s, c) => s + flops(c), 0));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const measure = (op: string, term: Term, size: number, batch: number, reps: number, variant?: string): BenchRow => {
  const be = jsBackend('float32');
  const model = checkOrThrow(term, [[batch, size], [batch, size]]);
  const prog = lowerOrThrow(model, be, variant ? { variants: { '': variant } } : {});
  const params = Object.fromEntries(Object.entries(initParams(model, 1, 'float32')).map(([k, v]) => [k, be.upload(v)]));
  const r = rng(size);
  const xs = [randn([batch, size], r.fork('x'), 'float32'), randn([batch, size], r.fork('y'), 'float32')];
  const outShape = model.root.outputs[0]!;
  const g = randn(outShape, r.fork('g'), 'float32');
  const times: number[] = [];
  const cpus: number[] = [];
  let bytes = 0;
  const warm = 2;
  for (let i = 0; i < reps + warm; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const { outputs, residual } = prog.forward(params, xs);
    bytes = 4 * (residualElems(be, residual) + outputs[0]!.data.length);
    prog.backward(residual, [g]);
    // The first runs warm up the JIT and the FFT plan cache; they are not counted.
    if (i >= warm) {
      times.push(performance.now() - t0);
      const c = process.cpuUsage(c0);
      cpus.push((c.user + c.system) / 1000);
    }
  }
  const ms = median(times);
  const paramBytes = 4 * Object.values(params).reduce((s, p) => s + p.data.length, 0);
  return {
    op,
    size,
    impl: `js-f32 B=${batch}${variant ? ` ${variant}` : ''}`,
    ms: Math.round(ms * 10) / 10,
    cpuMs: Math.round(median(cpus) * 10) / 10,
    gflops: Math.round((flops(model.root) / (ms * 1e6)) * 1000) / 1000,
    bytes,
    ...(paramBytes ? { paramBytes } : {}),
  };
};

/** Run the benchmark; prints a table (or, with `json`, one JSON document) and returns the rows. */
export const run = async (opts: { json?: boolean; quick?: boolean } = {}): Promise<BenchRow[]> => {
  const sizes = opts.quick ? [512] : [512, 1024, 2048];
  const sketches = opts.quick ? [4096, 16000] : [4096, 8000, 16000, 16384];
  const batch = 4;
  const reps = opts.quick ? 1 : 5;
  const rows: BenchRow[] = [];
  const emit = (row: BenchRow) => {
    rows.push(row);
    if (!opts.json)
      console.log(
        `${row.op.padEnd(22)} ${String(row.size).padStart(5)} ${row.impl.padEnd(20)} ${row.ms.toFixed(1).padStart(9)} ms ${row.cpuMs!.toFixed(1).padStart(9)} ms ${String(row.gflops).padStart(7)} GF/s ${(row.bytes! / 2 ** 20).toFixed(2).padStart(9)} MiB${row.paramBytes ? `  params ${(row.paramBytes / 2 ** 20).toFixed(1)} MiB` : ''}`,
      );
  };
  if (!opts.json) console.log(`${'op'.padEnd(22)} ${'size'.padStart(5)} ${'impl'.padEnd(20)} ${'fwd+bwd wall'.padStart(12)} ${'cpu'.padStart(12)} ${'rate'.padStart(12)} ${'out+residual'.padStart(13)}`);
  for (const size of sizes) {
    emit(measure('full vec(xyᵀ)', prim('outer_product'), size, batch, reps));
    for (const d of sketches) {
      emit(measure(`mcb d=${d}`, prim('mcb', { d, seed: 1 }), size, batch, reps));
      if (d === 16000) emit(measure(`mcb d=${d}`, prim('mcb', { d, seed: 1 }), size, batch, reps, 'spectra'));
    }
    emit(measure('mfb k=5 o=1000', mfb({ k: 5, out: 1000 }), size, batch, opts.quick ? 1 : 3));
  }
  if (opts.json) console.log(JSON.stringify(rows));
  return rows;
};

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const args = process.argv.slice(2);
  void run({ json: args.includes('--json'), quick: args.includes('--quick') });
}
