/**
 * Pool-based active learning with KECOR against random, entropy and core-set selection, on the
 * imbalanced-cluster task of ./task.ts (why that task: see its header).
 *
 *   npm run example:active-learning -- [--json] [--svg curves.svg] [--seeds 5] [--backend js|wasm] [--help]
 *
 * Fixed before any run: 20 random seed labels, 8 rounds of 20 labels (20 … 180), a classifier
 * 8 → 32 → 32 → 4 (tanh) trained from the same seeded initialisation each round with Adam (lr 0.01,
 * 300 full-batch steps), 5 seeds (each seed draws its own task, seed set and initialisation).
 * KECOR: proxy 32 → 32 → 32 → 4 (Linear–SiLU–Linear–SiLU–Linear) on the classifier's penultimate
 * features, 10 Adam steps (lr 0.02) of squared error to the one-hot labels; its empirical NTK over
 * the pool (traced over the 4 outputs); α = 100 on the kernel normalised to unit mean diagonal,
 * entropy weight λ = 0.1, conditioned on the labelled points.
 */
import { writeFileSync } from 'node:fs';
import { linePlot } from '../../src/render/plot';
import { loadBackend, exitOnMissingKernel } from '../backend';
import { type SeedRun, runSeed, summarise } from './active';
import { parseOptions, usage } from './options';

const parsed = parseOptions(process.argv.slice(2));
if (typeof parsed === 'string') {
  console.error(`active-learning: ${parsed}`);
  process.exit(1);
}
const o = parsed;
if (o.help) {
  console.log(usage);
  process.exit(0);
}
const backend = await loadBackend(o.backend, o.threads);
const t0 = performance.now();
const runs: SeedRun[] = [];
await exitOnMissingKernel('active-learning', o.backend, () => {
  for (let seed = 0; seed < o.seeds; seed++)
    runs.push(
      runSeed({
        seed,
        strategies: o.strategies,
        rounds: o.rounds,
        perRound: o.perRound,
        seedLabels: o.seedLabels,
        steps: o.steps,
        backend,
        onProgress: (m) => process.stderr.write(`[${((performance.now() - t0) / 1000).toFixed(0).padStart(4)} s] ${m}\n`),
      }),
    );
});
const seconds = (performance.now() - t0) / 1000;
const curves = Object.fromEntries(o.strategies.map((s) => [s, summarise(runs, s)]));
const sum = (f: (r: SeedRun) => number) => runs.reduce((t, r) => t + f(r), 0);
const timing = {
  totalSeconds: seconds,
  trainSeconds: Object.fromEntries(o.strategies.map((s) => [s, sum((r) => r.trainSeconds[s]!)])),
  selectSeconds: Object.fromEntries(o.strategies.map((s) => [s, sum((r) => r.selectSeconds[s]!)])),
  kecorSelectSplit: { proxy: sum((r) => r.kecorSeconds.proxy), ntk: sum((r) => r.kecorSeconds.ntk), greedy: sum((r) => r.kecorSeconds.greedy) },
};
if (o.svg)
  writeFileSync(
    o.svg,
    linePlot(
      // Error rather than accuracy: the curves then fall away from the legend in the top right corner.
      o.strategies.map((s) => ({ label: s, points: curves[s]!.labels.map((l, i) => [l, 100 * (1 - curves[s]!.mean[i]!)] as const), markers: true })),
      { title: `Active learning on imbalanced clusters: test error (mean of ${o.seeds} seeds)`, xLabel: 'labels', yLabel: 'cluster-balanced test error (%)' },
    ),
  );
if (o.json) {
  console.log(JSON.stringify({ strategies: curves, seeds: o.seeds, backend: backend.name, timing }));
} else {
  const pct = (x: number) => (100 * x).toFixed(1).padStart(5);
  console.log(`active learning on imbalanced clusters, ${o.seeds} seeds, ${backend.name} backend, ${seconds.toFixed(0)} s`);
  console.log(`test accuracy (%), mean ± std over seeds\n`);
  const labels = curves[o.strategies[0]!]!.labels;
  console.log(`${'labels'.padEnd(8)}${o.strategies.map((s) => s.padStart(16)).join('')}`);
  labels.forEach((l, i) => console.log(`${String(l).padEnd(8)}${o.strategies.map((s) => `${pct(curves[s]!.mean[i]!)} ± ${pct(curves[s]!.std[i]!)}`.padStart(16)).join('')}`));
  console.log(`\nseconds training the classifier / selecting, summed over rounds and seeds:`);
  for (const s of o.strategies) console.log(`  ${s.padEnd(8)} ${timing.trainSeconds[s]!.toFixed(1).padStart(7)} / ${timing.selectSeconds[s]!.toFixed(1)}`);
  if (o.strategies.includes('kecor'))
    console.log(`  kecor selection: proxy ${timing.kecorSelectSplit.proxy.toFixed(1)} s, NTK ${timing.kecorSelectSplit.ntk.toFixed(1)} s, greedy ${timing.kecorSelectSplit.greedy.toFixed(1)} s`);
  if (o.svg) console.log(`\nwrote ${o.svg}`);
}
