/**
 * Train a small MLP on two spirals and report accuracy.
 *
 *   npx tsx examples/spirals/main.ts [--steps N] [--seed S] [--backend js|wasm] [--json]
 */
import { runSpirals } from './spirals';
import { backendOption, exampleArgs, jsonOption, threadsOf, threadsOption } from '../args';
import { type BackendName, exitOnMissingKernel, loadBackend } from '../backend';

const o = exampleArgs({
  name: 'spirals',
  summary: 'Train a small MLP (2-64-64-2, tanh) on two spirals with Adam and report its accuracy.',
  options: {
    steps: { type: 'int', arg: 'N', doc: 'training steps (default 600)' },
    seed: { type: 'nat', arg: 'S', doc: 'seed of the data and the parameters (default 0)' },
    backend: backendOption('js'),
    threads: threadsOption,
    json: jsonOption,
  },
});
const json = o.json === true;
const steps = (o.steps as number | undefined) ?? 600;
const seed = (o.seed as number | undefined) ?? 0;
const backendName = (o.backend as BackendName | undefined) ?? 'js';
const backend = await loadBackend(backendName, threadsOf('spirals', o, backendName));

const t0 = Date.now();
const res = await exitOnMissingKernel('spirals', backendName, () =>
  runSpirals({
    steps,
    seed,
    backend,
    onStep: (i, loss) => {
      if (!json && (i % 100 === 0 || i === steps - 1)) process.stderr.write(`step ${String(i).padStart(5)}  loss ${loss.toFixed(5)}\n`);
    },
  }),
);
const seconds = (Date.now() - t0) / 1000;
if (json) {
  console.log(JSON.stringify({ task: 'spirals', backend: backend.name, seed, steps, finalLoss: res.losses[res.losses.length - 1], trainAccuracy: res.trainAccuracy, testAccuracy: res.testAccuracy, seconds }));
} else {
  console.log(`two spirals, MLP 2-64-64-2 (tanh), Adam, seed ${seed}, ${steps} steps, ${backend.name} backend, ${seconds.toFixed(1)} s`);
  console.log(`  train accuracy ${(100 * res.trainAccuracy).toFixed(1)}%   test accuracy ${(100 * res.testAccuracy).toFixed(1)}%`);
}
