/**
 * Train a small MLP on two spirals and report accuracy.
 *
 *   npx tsx examples/spirals/main.ts [--steps N] [--seed S] [--backend js|wasm] [--json]
 */
import { runSpirals } from './spirals';
import { choiceOption, flag, intOption, threadsOption } from '../args';
import { exitOnMissingKernel, loadBackend } from '../backend';

const opt = intOption;
const json = flag('json');
const steps = opt('steps', 600);
const seed = opt('seed', 0);
const backendName = choiceOption('backend', ['js', 'wasm'] as const, 'js');
const backend = await loadBackend(backendName, threadsOption(backendName));

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
