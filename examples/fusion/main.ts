/**
 * Compare concatenation + MLP with bilinear pooling operators on two synthetic two-modality tasks.
 *
 *   npx tsx examples/fusion/main.ts [--steps N] [--seed S] [--backend js|wasm] [--json]
 */
import { type FusionRow, runFusion } from './fusion';
import { backendOption, exampleArgs, jsonOption, threadsOf, threadsOption } from '../args';
import { type BackendName, exitOnMissingKernel, loadBackend } from '../backend';

const o = exampleArgs({
  name: 'fusion',
  summary: 'Compare concatenation + MLP with bilinear pooling operators on two synthetic two-modality tasks.',
  options: {
    steps: { type: 'int', arg: 'N', doc: 'Adam steps per model (default 400)' },
    seed: { type: 'nat', arg: 'S', doc: 'seed of the data and the parameters (default 0)' },
    backend: backendOption('js'),
    threads: threadsOption,
    json: jsonOption,
  },
});
const json = o.json === true;
const steps = (o.steps as number | undefined) ?? 400;
const seed = (o.seed as number | undefined) ?? 0;

const pad = (s: string, n: number) => s.padEnd(n);
const line = (r: FusionRow) =>
  `${pad(r.task, 15)} ${pad(r.model, 24)} ${String(r.params).padStart(7)} ${String(Math.round(r.flops)).padStart(9)} ${r.trainLoss.toFixed(3).padStart(10)} ${(100 * r.testAccuracy).toFixed(1).padStart(8)}% ${r.seconds.toFixed(1).padStart(6)}`;

if (!json) {
  console.log(`fusion of x [16] and y [16] into 4 classes; seed ${seed}, ${steps} Adam steps of batch 100, 4000 train / 2000 test examples`);
  console.log(`${pad('task', 15)} ${pad('model', 24)} ${'params'.padStart(7)} ${'flops/ex'.padStart(9)} ${'train loss'.padStart(10)} ${'test acc'.padStart(9)} ${'sec'.padStart(6)}`);
}
const backendName = (o.backend as BackendName | undefined) ?? 'js';
const backend = await loadBackend(backendName, threadsOf('fusion', o, backendName));
const rows = await exitOnMissingKernel('fusion', backendName, () =>
  runFusion({ seed, steps, backend, onRow: (r) => (json ? undefined : console.log(line(r))) }),
);
if (json) console.log(JSON.stringify({ example: 'fusion', seed, steps, rows }));
else
  // A summary computed from the rows above: the best pooling operator against concatenation, per task.
  for (const task of ['multiplicative', 'additive'] as const) {
    const rs = rows.filter((r) => r.task === task);
    const concat = rs.find((r) => r.model.startsWith('concat'))!;
    const best = rs.filter((r) => r !== concat).reduce((a, b) => (b.testAccuracy > a.testAccuracy ? b : a));
    const beaten = rs.filter((r) => r !== concat && r.testAccuracy > concat.testAccuracy).length;
    console.log(
      `${task}: concat + MLP ${(100 * concat.testAccuracy).toFixed(1)}%, best pooling ${best.model} ${(100 * best.testAccuracy).toFixed(1)}%; ${beaten} of ${rs.length - 1} pooling operators beat concatenation`,
    );
  }
