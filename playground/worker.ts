/**
 * The playground's training worker: trains a spec on a built-in task with the same trainer as
 * `catoptric train` (so the same seed gives the same numbers), in chunks of about 50 ms, posting the
 * losses after each chunk and reading a `stop` message between chunks. The page never waits on it.
 */
import * as cat from 'catoptric/browser';
import { isLeft } from './either';
import type { FromWorker, ToWorker } from './protocol';

interface WorkerScope {
  onmessage: ((e: MessageEvent<ToWorker>) => void) | null;
  postMessage(m: FromWorker): void;
}
const scope = self as unknown as WorkerScope;
const post = (m: FromWorker) => scope.postMessage(m);

let stopRequested = false;
let running = false;

/** Let queued messages (a `stop`) run. */
const yieldToMessages = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

const train = async (m: ToWorker & { type: 'train' }): Promise<void> => {
  const loaded = cat.loadSpec(m.specText);
  if (isLeft(loaded)) return post({ type: 'error', message: cat.formatIssues(loaded.left).join('\n') });
  const spec = loaded.right;
  const { doc, model } = spec;
  const trainable = cat.withXentLoss(spec);
  if (isLeft(trainable)) return post({ type: 'error', message: trainable.left });
  // Task options and settings as `catoptric train` reads them from the spec.
  const options = doc.task?.name === m.task ? doc.task.options : {};
  const ti = cat.prepareTask(m.task, options, { inputs: doc.inputs, output: model.root.outputs[0]!, seed: m.seed, dtype: 'float32' });
  if (isLeft(ti)) return post({ type: 'error', message: `task ${m.task}: ${ti.left.map((i) => i.message).join('; ')}` });
  const be = m.backend === 'wasm' ? await cat.initWasm() : cat.jsBackend('float32');
  const lr = doc.train?.lr ?? cat.DEFAULT_LR;
  const optimizer = cat.specOptimizer(doc.train?.optimizer ?? 'adam', lr, doc.train?.weightDecay);
  const tr = cat.specTrainer(spec, { backend: be, task: ti.right, optimizer, params: cat.initParams(model, m.seed, 'float32') });
  if (isLeft(tr)) return post({ type: 'error', message: tr.left });
  const trainer = tr.right;
  post({ type: 'started', describe: ti.right.describe, backend: be.name, steps: m.steps });

  const t0 = performance.now();
  let s = 0;
  while (s < m.steps && !stopRequested) {
    const chunk: number[] = [];
    const c0 = performance.now();
    while (s < m.steps && performance.now() - c0 < 50) chunk.push(trainer.step(s++));
    post({ type: 'progress', step: s, losses: chunk, stepsPerSecond: s / ((performance.now() - t0) / 1000) });
    await yieldToMessages();
  }
  const seconds = (performance.now() - t0) / 1000;
  const { evalLoss, evalAccuracy } = trainer.evaluate();
  post({ type: 'done', complete: s === m.steps, steps: s, seconds, evalLoss, evalAccuracy });
};

scope.onmessage = (e) => {
  const m = e.data;
  if (m.type === 'stop') {
    stopRequested = true;
    return;
  }
  if (running) return post({ type: 'error', message: 'a run is already in progress; stop it first' });
  running = true;
  stopRequested = false;
  train(m)
    .catch((err: unknown) => post({ type: 'error', message: (err as Error)?.message ?? String(err) }))
    .finally(() => {
      running = false;
    });
};
