/**
 * Delta-rule benchmark: recurrent versus chunkwise forward+backward at T ∈ {256, 1024, 4096} with
 * d_k = d_v = 64 (one sequence, one head, float32 JS backend), for each residual variant: wall time,
 * the cost model's flops, and the residual's bytes as measured on the program's residual.
 *
 *   npx tsx bench/delta.ts [--json] [--quick]
 */
import { checkOrThrow, jsBackend, lowerOrThrow, prim, residualElems, type TypedPrim } from '../src/index';
import { deltaInputs, deltaShapes } from '../laws/delta';

export type { BenchRow } from './row';
import type { BenchRow } from './row';

// The fastest repetition: on a shared machine the slower ones measure other processes, not this code.
const fastest = (xs: number[]): number => Math.min(...xs);

const show = (r: BenchRow): string =>
  `${r.size.padEnd(18)} ${r.impl.padEnd(28)} ${r.ms.toFixed(1).padStart(9)} ms  ${r.gflops!.toFixed(2).padStart(6)} GFLOP/s  residual ${(r.bytes! / 1024).toFixed(0).padStart(7)} KiB`;

/**
 * Run the benchmark and return its rows. Prints nothing on stdout (bench/main.ts prints the combined
 * table or JSON); progress lines go to stderr unless `json`.
 */
export const run = async (opts: { json?: boolean; quick?: boolean } = {}): Promise<BenchRow[]> => {
  const be = jsBackend('float32');
  const rows: BenchRow[] = [];
  // Warm-up pass at T = 64 over every configuration, so no configuration pays for the JIT of the
  // shared loops (otherwise whichever runs first looks slow).
  const lengths = opts.quick ? [64, 256] : [64, 256, 1024, 4096];
  for (const T of lengths) {
    const warm = T === 64;
    const d = { B: 1, T, H: 1, dk: 64, dv: 64 };
    const inputs = deltaInputs(d, 1).map((x) => be.upload(x));
    const reps = T <= 1024 ? 3 : 1;
    for (const algorithm of ['recurrent', 'chunkwise'] as const)
      for (const variant of ['all-states', 'chunk-states', 'none']) {
        const model = checkOrThrow(prim('delta_rule', { heads: 1, algorithm, chunk: 64, betaRange: '[0,2]' }, { variant }), deltaShapes(d));
        const prog = lowerOrThrow(model, be);
        const cost = (model.root as TypedPrim).cost;
        const dOut = model.root.outputs.map((s) => be.zeros(s));
        for (const x of dOut) x.data.fill(1e-2);
        const times: number[] = [];
        let bytes = 0;
        // One untimed warm-up run so the JIT has compiled the loops.
        for (let r = 0; r <= reps; r++) {
          const t0 = performance.now();
          const { residual } = prog.forward({}, inputs);
          bytes = residualElems(be, residual) * 4;
          prog.backward(residual, dOut);
          if (r > 0) times.push(performance.now() - t0);
        }
        const ms = fastest(times);
        if (warm) continue;
        rows.push({
          op: 'delta_rule fwd+bwd',
          size: `T=${T} dk=dv=64`,
          impl: `js ${algorithm} ${variant}`,
          ms,
          gflops: (cost.fwdFlops + cost.bwdFlops) / (ms * 1e6),
          bytes,
        });
        if (!opts.json) process.stderr.write(`${show(rows[rows.length - 1]!)}\n`);
      }
  }
  return rows;
};

const isMain = process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].replace(/\\/g, '/').split('/').pop()!);
if (isMain) {
  const json = process.argv.includes('--json');
  void run({ json, quick: process.argv.includes('--quick') }).then((rows) => {
    if (json) console.log(JSON.stringify(rows));
  });
}
