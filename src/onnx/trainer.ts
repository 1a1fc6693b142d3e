/**
 * Training a spec's model on a task on the `ort` backend, one step at a time: the asynchronous
 * counterpart of `specTrainer` (src/tasks/trainer.ts), with the same loss model, the same parameter
 * keys, the same optimiser lens and the same batches, so `catoptric train --backend ort` and
 * `--backend js` differ only in where the arithmetic runs.
 *
 * @module
 */
import * as E from 'fp-ts/lib/Either.js';
import type { TypedModel } from '../term/check';
import type { CheckedSpec } from '../term/codec';
import type { HostTensor } from '../tensor/tensor';
import { scalarOf } from '../tensor/tensor';
import { lossAndGradAsync } from '../train/loop-async';
import { argmaxAccuracy } from '../train/metrics';
import { type TrainerOptions, lossParamKey, mapKeys, planUnderLoss, withXentLoss } from '../tasks/trainer';
import type { TaskBatch } from '../tasks/task';
import { type OrtOptions, ortProgram } from './ort-program';

/** A training run in progress on an asynchronous backend; `release` gives back its sessions. */
export interface AsyncSpecTrainer {
  readonly lossModel: TypedModel;
  step(step: number): Promise<number>;
  evaluate(): Promise<{ readonly evalLoss: number; readonly evalAccuracy: number }>;
  params(): Record<string, HostTensor>;
  state(): unknown;
  release(): Promise<void>;
}

const feed = (b: TaskBatch): HostTensor[] => [...b.inputs, b.labels];

/**
 * A trainer for a checked spec on a prepared task on ONNX Runtime, or a message saying why it cannot
 * run (the model cannot take the loss, a primitive has no ONNX form, onnxruntime-node is missing).
 *
 * @example
 * const t = await ortSpecTrainer(spec, { task, optimizer: adam({ lr: 0.01 }), params: initParams(spec.model, 0) });
 * if (E.isRight(t)) for (let s = 0; s < 200; s++) await t.right.step(s);
 */
export const ortSpecTrainer = async (spec: CheckedSpec, o: Omit<TrainerOptions, 'backend'> & OrtOptions): Promise<E.Either<string, AsyncSpecTrainer>> => {
  const lm = withXentLoss(spec);
  if (E.isLeft(lm)) return lm;
  const lossModel = lm.right;
  const opts: OrtOptions = { ...(o.threads !== undefined ? { threads: o.threads } : {}), ...(o.optimization ? { optimization: o.optimization } : {}) };
  const lp = await ortProgram(lossModel, planUnderLoss(spec.planned.plan), opts);
  if (E.isLeft(lp)) return E.left(`cannot run on the ort backend: ${lp.left.message}`);
  const pp = await ortProgram(spec.model, spec.planned.plan, opts);
  if (E.isLeft(pp)) {
    await lp.right.release();
    return E.left(`cannot run on the ort backend: ${pp.left.message}`);
  }
  const lossProg = lp.right;
  const predProg = pp.right;
  let params: Record<string, HostTensor> = mapKeys(o.params, lossParamKey);
  let state: unknown = o.state ?? o.optimizer.init(params);
  const modelParams = () => Object.fromEntries([...spec.model.params.keys()].map((k) => [k, params[lossParamKey(k)]!]));
  return E.right({
    lossModel,
    async step(s) {
      const res = await lossAndGradAsync(lossProg, o.optimizer.get([state, params]), feed(o.task.batch(s)));
      [state, params] = o.optimizer.put([state, params], res.grads) as [unknown, Record<string, HostTensor>];
      return res.loss;
    },
    async evaluate() {
      const ev = o.task.evalBatch();
      const lo = (await lossProg.forward(params, feed(ev))).outputs[0]!;
      const logits = (await predProg.forward(modelParams(), ev.inputs)).outputs[0]!;
      return { evalLoss: scalarOf(lo), evalAccuracy: argmaxAccuracy(logits, ev.labels) };
    },
    params: modelParams,
    state: () => state,
    async release() {
      await lossProg.release();
      await predProg.release();
    },
  });
};
