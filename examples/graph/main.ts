/**
 * Node classification on seeded stochastic-block-model graphs: a 2-layer GCN with Â only (1-hop)
 * against one with Â and Â² (2-hop, Â² by spgemm on the sparse adjacency wire), over several seeds;
 * accuracy on the unlabelled nodes, and the planned memory of each model.
 *
 *   npx tsx examples/graph/main.ts [--seeds N] [--steps N] [--nodes N] [--backend js|wasm] [--threads N] [--json]
 *   (npm run example:graph -- --json)
 */
import { backendOption, exampleArgs, jsonOption, threadsOf, threadsOption } from '../args';
import { type BackendName, exitOnMissingKernel, loadBackend } from '../backend';
import { type GcnResult, sbm, squareCounts, trainGcn } from './graph';

const o = exampleArgs({
  name: 'graph',
  summary: 'Node classification on seeded SBM graphs: a 2-layer GCN with Â only against one with Â and Â² (spgemm on the sparse adjacency wire).',
  options: {
    seeds: { type: 'int', arg: 'N', doc: 'graphs (seeds) per model (default 5)' },
    steps: { type: 'int', arg: 'N', doc: 'training steps (default 150)' },
    nodes: { type: 'int', arg: 'N', doc: 'nodes per graph, at least 30 (default 600)' },
    backend: backendOption('js'),
    threads: threadsOption,
    json: jsonOption,
  },
});
const json = o.json === true;
const seeds = (o.seeds as number | undefined) ?? 5;
const steps = (o.steps as number | undefined) ?? 150;
const nodes = (o.nodes as number | undefined) ?? 600;
if (nodes < 30) {
  process.stderr.write(`graph: --nodes expects an integer ≥ 30, got ${nodes}\n`);
  process.exit(1);
}
const backendName = (o.backend as BackendName | undefined) ?? 'js';
const backend = await loadBackend(backendName, threadsOf('graph', o, backendName));

const graphOptions = { n: nodes - (nodes % 3), classes: 3, degreeIn: 2, degreeOut: 0.5, dim: 16, signal: 0.35, labelled: 5 };
const results: (GcnResult & { graphSeed: number })[] = [];
const counts: ReturnType<typeof squareCounts>[] = [];
const t0 = Date.now();
await exitOnMissingKernel('graph', backendName, async () => {
  for (let s = 0; s < seeds; s++) {
    const g = sbm({ ...graphOptions, seed: s });
    const sq = squareCounts(g);
    counts.push(sq);
    for (const which of ['1-hop', '2-hop'] as const) {
      const r = trainGcn(backend, g, which, { hidden: 16, steps, lr: 0.01, seed: 100 + s, nnz2: sq.actual });
      results.push({ ...r, graphSeed: s });
      if (!json) process.stderr.write(`seed ${s} ${which}: test accuracy ${(100 * r.testAccuracy).toFixed(1)}%\n`);
    }
  }
});
const mean = (which: string) => {
  const rs = results.filter((r) => r.model === which);
  return rs.reduce((s, r) => s + r.testAccuracy, 0) / rs.length;
};
const wins = results.filter((r, i) => r.model === '2-hop' && r.testAccuracy > results[i - 1]!.testAccuracy).length;
const summary = {
  example: 'graph',
  backend: backend.name,
  graph: { ...graphOptions, seeds: Array.from({ length: seeds }, (_, s) => s) },
  steps,
  meanTestAccuracy: { '1-hop': mean('1-hop'), '2-hop': mean('2-hop') },
  twoHopAhead: mean('2-hop') > mean('1-hop'),
  twoHopWinsOnSeeds: wins,
  square: counts.map((c, s) => ({ graphSeed: s, staticBound: c.staticBound, declared: c.actual, actual: c.actual })),
  plannedPeakBytes: { '1-hop': results.find((r) => r.model === '1-hop')!.plannedPeakBytes, '2-hop': results.find((r) => r.model === '2-hop')!.plannedPeakBytes },
  runs: results,
  seconds: (Date.now() - t0) / 1000,
};
if (json) console.log(JSON.stringify(summary));
else {
  console.log(`SBM graphs (${graphOptions.n} nodes, 3 blocks, ${graphOptions.labelled} labels per class), 2-layer GCN, ${steps} Adam steps, ${seeds} seeds, ${backend.name} backend`);
  console.log(`  mean test accuracy: 1-hop (Â) ${(100 * mean('1-hop')).toFixed(1)}%   2-hop (Â, Â² by spgemm) ${(100 * mean('2-hop')).toFixed(1)}%   (2-hop ahead on ${wins}/${seeds} seeds)`);
  console.log(`  Â² nonzeros: ${counts.map((c) => c.actual).join(', ')} (declared as spgemm's bound; the static bound from the types is ${counts[0]!.staticBound})`);
  console.log(`  planned peak memory (float32, store all): 1-hop ${summary.plannedPeakBytes['1-hop']} B, 2-hop ${summary.plannedPeakBytes['2-hop']} B`);
}
