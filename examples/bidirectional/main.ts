/**
 * A lowered model inside a pipeline of hand-written optics (a data lens on a record of inputs, a loss
 * written as a plain optic), trained with Adam as a reparametrisation, with the optic laws checked on
 * the composite.
 *
 *   npm run example:bidirectional -- [--steps N] [--seed S] [--backend js|wasm] [--json]
 */
import { runBidirectional } from './bidirectional';
import { choiceOption, flag, intOption, threadsOption } from '../args';
import { exitOnMissingKernel, loadBackend } from '../backend';

if (flag('help')) {
  console.log('usage: npm run example:bidirectional -- [--steps N (300)] [--seed S (0)] [--backend js|wasm (js)] [--json]');
  process.exit(0);
}
const json = flag('json');
const steps = intOption('steps', 300);
const seed = intOption('seed', 0);
const backendName = choiceOption('backend', ['js', 'wasm'] as const, 'js');
const be = await loadBackend(backendName, threadsOption(backendName));
const t0 = Date.now();
const res = await exitOnMissingKernel('bidirectional', backendName, () =>
  runBidirectional({
    be,
    steps,
    seed,
    onStep: (i, loss) => {
      if (!json && (i % 100 === 0 || i === steps - 1)) process.stderr.write(`step ${String(i).padStart(5)}  loss ${loss.toFixed(5)}\n`);
    },
  }),
);
const seconds = (Date.now() - t0) / 1000;
if (json) console.log(JSON.stringify({ backend: be.name, seed, steps, finalLoss: res.losses[res.losses.length - 1], trainAccuracy: res.trainAccuracy, testAccuracy: res.testAccuracy, laws: res.laws, seconds }));
else {
  console.log(`record → data lens → lowered MLP ⊗ labels → hand-written cross-entropy; Adam; ${be.name}; ${steps} steps, ${seconds.toFixed(1)} s`);
  console.log(`  loss ${res.losses[0]!.toFixed(4)} → ${res.losses[res.losses.length - 1]!.toFixed(4)}; accuracy train ${(100 * res.trainAccuracy).toFixed(1)}%, test ${(100 * res.testAccuracy).toFixed(1)}%`);
  const l = res.laws;
  console.log(`  laws on the composite: plan 2-cell T1 ${l.t1}, T2 ${l.t2} (residuals differ: ${l.residualsDiffer}); field lens GetPut ${l.getPut}, PutGet ${l.putGet}, PutPut ${l.putPut}`);
}
if (!Object.values(res.laws).every(Boolean)) process.exitCode = 1;
