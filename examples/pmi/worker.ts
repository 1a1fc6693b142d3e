/**
 * Worker thread of examples/pmi: runs its share of the (task, model, seed) jobs and posts progress
 * and results back, so the runs use both cores.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { loadBackend, type BackendName } from '../backend';
import { runOne, type ModelName, type RunSettings, type TaskName } from './run';

const { jobs, settings, backend } = workerData as { jobs: { task: TaskName; model: ModelName; seed: number; id: number }[]; settings: RunSettings; backend: BackendName };
const be = await loadBackend(backend);
for (const j of jobs) {
  const result = runOne(be, settings, j.task, j.model, j.seed, (step, loss) => {
    if (step % 25 === 0 || step === settings.steps - 1) parentPort!.postMessage({ kind: 'step', id: j.id, step, loss });
  });
  parentPort!.postMessage({ kind: 'done', id: j.id, result });
}
