/**
 * A lowered model inside a pipeline of hand-written optics (a data lens on a record of inputs, a loss
 * written as a plain optic), trained with Adam as a reparametrisation, with the optic laws checked on
 * the composite.
 *
 *   npm run example:bidirectional -- [--steps N] [--seed S] [--backend js|wasm] [--json]
 */
import { runBidirectional } from './bidirectional';
import { backendOption, exampleArgs, jsonOption, threadsOf, threadsOption } from '../args';
import { type BackendName, exitOnMissingKernel, loadBackend } from '../backend';

const o = exampleArgs({
  name: 'bidirectional',
  summary: 'A lowered model inside a pipeline of hand-written optics, trained with Adam as a reparametrisation, with the optic laws checked on the composite.',
  options: {
    steps: { type: 'int', arg: 'N', doc: 'training steps (default 300)' },
    seed: { type: 'nat', arg: 'S', doc: 'seed of the data and the parameters (default 0)' },
    backend: backendOption('js'),
    threads: threadsOption,
    json: jsonOption,
  },
});
const json = o.json === true;
const steps = (o.steps as number | undefined) ?? 300;
const seed = (o.seed as number | undefined) ?? 0;
const backendName = (o.backend as BackendName | undefined) ?? 'js';
const be = await loadBackend(backendName, threadsOf('bidirectional', o, backendName));
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
