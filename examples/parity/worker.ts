/**
 * Worker thread for the parity demo: trains one model (one β range) and posts progress and the
 * result back, so the two models train on two cores at once.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { loadBackend, trainParity, type BetaRange, type ParityOptions } from './parity';

const { range, options } = workerData as { range: BetaRange; options: Omit<ParityOptions, 'onStep'> };
await loadBackend(options.backend ?? 'js');
const result = trainParity(range, {
  ...options,
  onStep: (_r, step, loss) => parentPort!.postMessage({ kind: 'step', range, step, loss }),
});
parentPort!.postMessage({ kind: 'done', result });
