/**
 * Attention residual variants: time of forward and backward, residual bytes and floats allocated,
 * for 'probs' (keeps P) and 'lse' (keeps the row log-sum-exp, recomputes P blockwise), at
 * T ∈ {128, 512, 2048}, d = 64, one head of width 64, float32 on the JS backend.
 *
 *   npx tsx bench/attention.ts [--json] [--quick]
 */
import { fileURLToPath } from 'node:url';
import { attentionAllocStats, resetAttentionAllocStats } from '../backends/js/kernels/attention';
import { checkOrThrow, initParams, jsBackend, lowerOrThrow, prim, rng, randn, residualElems } from '../src/index';

export type { BenchRow } from './row';
import type { BenchRow } from './row';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Run the attention benchmark; prints a table (or nothing with `json`) and returns the rows. */
export const run = async (opts: { json?: boolean; quick?: boolean } = {}): Promise<BenchRow[]> => {
  const be = jsBackend('float32');
  const d = 64;
  const rows: BenchRow[] = [];
  for (const T of opts.quick ? [128, 512] : [128, 512, 2048]) {
    for (const variant of ['probs', 'lse']) {
      const model = checkOrThrow(prim('attention', { heads: 1, dk: 64, dv: 64, block: 64 }, { variant }), [[T, d]]);
      const prog = lowerOrThrow(model, be);
      const params = initParams(model, 1, 'float32');
      const x = randn([T, d], rng(2), 'float32');
      const dy = randn([T, d], rng(3), 'float32');
      const reps = T >= 2048 ? 2 : T >= 512 ? 3 : 7;
      const fwd: number[] = [];
      const bwd: number[] = [];
      let resBytes = 0;
      let fwdAlloc = 0;
      let bwdAlloc = 0;
      for (let i = 0; i < reps + 1; i++) {
        resetAttentionAllocStats();
        const t0 = performance.now();
        const { residual } = prog.forward(params, [x]);
        const t1 = performance.now();
        fwdAlloc = attentionAllocStats().floats;
        resetAttentionAllocStats();
        prog.backward(residual, [dy]);
        const t2 = performance.now();
        bwdAlloc = attentionAllocStats().floats;
        resBytes = residualElems(be, residual) * 4;
        if (i > 0) {
          // the first run warms the JIT
          fwd.push(t1 - t0);
          bwd.push(t2 - t1);
        }
      }
      const node = model.root;
      const cost = node.kind === 'prim' ? node.cost : undefined;
      const size = `T=${T},d=${d}`;
      const fm = median(fwd);
      const bm = median(bwd);
      rows.push({ op: 'attention.forward', size, impl: `js-${variant}`, ms: fm, gflops: cost ? cost.fwdFlops / fm / 1e6 : undefined, bytes: fwdAlloc * 4 });
      rows.push({ op: 'attention.backward', size, impl: `js-${variant}`, ms: bm, gflops: cost ? cost.bwdFlops / bm / 1e6 : undefined, bytes: bwdAlloc * 4 });
      rows.push({ op: 'attention.residual', size, impl: `js-${variant}`, ms: 0, bytes: resBytes });
      if (!opts.json)
        process.stderr.write(
          `T=${String(T).padStart(4)} ${variant.padEnd(5)}  fwd ${fm.toFixed(1).padStart(8)} ms  bwd ${bm.toFixed(1).padStart(8)} ms  residual ${(resBytes / 2 ** 20).toFixed(2).padStart(7)} MiB  allocated fwd ${((fwdAlloc * 4) / 2 ** 20).toFixed(2)} MiB / bwd ${((bwdAlloc * 4) / 2 ** 20).toFixed(2)} MiB\n`,
        );
    }
  }
  return rows;
};

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const json = process.argv.includes('--json');
  const rows = await run({ json, quick: process.argv.includes('--quick') });
  if (json) process.stdout.write(JSON.stringify(rows, null, 2) + '\n');
}
