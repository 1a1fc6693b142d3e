/**
 * Empirical NTK: the closed-form linear-layer path against the per-example VJP path, on a 4-layer MLP
 * (16 → 32 → 32 → 32 → 4, SiLU) with a batch of 256, traced over the 4 outputs, JS backend in
 * float32. Both paths share the forward pass and the 4 backward passes; the closed form then forms
 * (X Xᵀ + 1) ∘ (G Gᵀ) per layer, the per-example path calls each layer's backward once per (example,
 * output) and takes inner products of the gradients. GFLOP/s divide the closed-form path's flops
 * (cost model forward + backward passes, plus the Gram products) by each path's time, so their
 * ratio is the ratio of wall times. Times (wall and CPU) are the fastest of a few runs.
 *
 *   npx tsx bench/ntk.ts [--json] [--quick]
 */
import { checkOrThrow, initParams, jsBackend, lowerOrThrow, ntkOrThrow, prim, randn, rng, seq, type TypedNode } from '../src/index';
import { relativeDifference } from '../laws/ntk';
import type { BenchRow as ComponentBenchRow } from './row';

/** One measurement: wall time (`ms`) and this process's CPU time (`cpuMs`). */
export interface BenchRow extends ComponentBenchRow {
  readonly cpuMs: number;
}

const flopsOf = (n: TypedNode, which: 'fwdFlops' | 'bwdFlops'): number => (n.kind === 'prim' ? n.cost[which] : n.children.reduce((s, c) => s + flopsOf(c, which), 0));

/** Run the benchmark and return its rows; progress goes to stderr unless `json`. */
export const run = async (opts: { json?: boolean; quick?: boolean } = {}): Promise<BenchRow[]> => {
  const be = jsBackend('float32');
  const N = opts.quick ? 64 : 256;
  const widths = [32, 32, 32];
  const C = 4;
  const layers = [...widths.flatMap((w) => [prim('linear', { out: w }), prim('silu')]), prim('linear', { out: C })];
  const model = checkOrThrow(seq(...layers), [[N, 16]]);
  const prog = lowerOrThrow(model, be);
  const params = initParams(model, 1, 'float32');
  const x = randn([N, 16], rng(2), 'float32');
  // Closed-form flops: one forward, C backward passes (the cost model's), and per linear layer the
  // Gram products X Xᵀ (2·N²·din) and G Gᵀ over the C outputs (2·N²·C·dout).
  const dims = [16, ...widths, C];
  const gram = dims.slice(0, -1).reduce((s, din, l) => s + 2 * N * N * (din + C * dims[l + 1]!), 0);
  const flops = flopsOf(model.root, 'fwdFlops') + C * flopsOf(model.root, 'bwdFlops') + gram;
  // Wall time and this process's CPU time (robust when other processes share the cores), fastest run.
  const time = (path: 'closed-form' | 'per-example', reps: number) => {
    let best = Infinity;
    let cpu = Infinity;
    let K: Float64Array = new Float64Array(0);
    for (let r = 0; r < reps; r++) {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      K = ntkOrThrow(prog, params, [x], { backend: be, path }).K;
      best = Math.min(best, performance.now() - t0);
      const c = process.cpuUsage(c0);
      cpu = Math.min(cpu, (c.user + c.system) / 1000);
    }
    return { ms: best, cpuMs: cpu, K };
  };
  time('closed-form', 1); // warm-up (JIT)
  const closed = time('closed-form', opts.quick ? 3 : 5);
  const perEx = time('per-example', opts.quick ? 1 : 2);
  const size = `B=${N} 16-${widths.join('-')}-${C}`;
  const rows: BenchRow[] = [
    { op: 'ntk trace, 4-layer MLP', size, impl: 'js closed-form', ms: closed.ms, cpuMs: closed.cpuMs, gflops: flops / (closed.ms * 1e6) },
    { op: 'ntk trace, 4-layer MLP', size, impl: 'js per-example', ms: perEx.ms, cpuMs: perEx.cpuMs, gflops: flops / (perEx.ms * 1e6) },
  ];
  if (!opts.json)
    process.stderr.write(
      `ntk ${size}: closed-form ${closed.ms.toFixed(1)} ms (cpu ${closed.cpuMs.toFixed(1)}), per-example ${perEx.ms.toFixed(1)} ms (cpu ${perEx.cpuMs.toFixed(1)}), ` +
        `ratio ${(perEx.ms / closed.ms).toFixed(1)}× wall, ${(perEx.cpuMs / closed.cpuMs).toFixed(1)}× cpu; max relative difference of K ${relativeDifference(closed.K, perEx.K).toExponential(2)}\n`,
    );
  return rows;
};

const isMain = process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].replace(/\\/g, '/').split('/').pop()!);
if (isMain) {
  const json = process.argv.includes('--json');
  void run({ json, quick: process.argv.includes('--quick') }).then((rows) => {
    if (json) console.log(JSON.stringify(rows));
  });
}
