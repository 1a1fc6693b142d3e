/**
 * Training a spec's model on a task one step at a time. `catoptric train` and the playground's Web
 * Worker both drive this, so one spec, task, seed and backend give the same numbers in both.
 *
 * On a task the spec's model outputs logits `[..., classes]` and training appends softmax
 * cross-entropy against the task's labels: `seq(net: par(model: M, id), loss: softmax_xent)`, so the
 * model's parameter `k` is the loss model's `net.model.k`. On a user's arrays (`dataTrainer`) the loss
 * is softmax cross-entropy or mean squared error per output (see `./loss.ts`).
 */
import * as E from 'fp-ts/lib/Either.js';
import type { Backend } from '../backend/backend';
import { uploadAll, withScope } from '../backend/transfer';
import { lower, lowerPlanned } from '../lower/program';
import { type TypedModel, check } from '../term/check';
import type { CheckedSpec } from '../term/codec';
import { showShape } from '../tensor/shape';
import { type HostTensor, scalarOf } from '../tensor/tensor';
import { lossAndGrad } from '../train/loop';
import { argmaxAccuracy } from '../train/metrics';
import { type Optimizer, adam, sgd } from '../train/optim';
import type { TaskBatch, TaskInstance } from './task';
import { type LossKind, lossParamKey, mapKeys, planUnderLoss, targetShapes, withLossBox } from './loss';

export { lossParamKey, modelParamKey, mapKeys, planUnderLoss } from './loss';

/** Steps and learning rate of a run when neither the caller nor the spec's `train` settings give them. */
export const DEFAULT_STEPS = 100;
export const DEFAULT_LR = 0.01;

/** The optimiser a spec's `train` settings name: Adam (the default), or SGD with momentum 0.9. */
export const specOptimizer = (name: 'adam' | 'sgd', lr: number, weightDecay?: number): Optimizer<any> =>
  name === 'sgd' ? sgd({ lr, momentum: 0.9, weightDecay }) : adam({ lr, weightDecay });

/**
 * The spec's model followed by softmax cross-entropy, or why it cannot be trained (messages start
 * with `model:`, the part of the spec at fault).
 */
export const withXentLoss = ({ doc, model }: Pick<CheckedSpec, 'doc' | 'model'>): E.Either<string, TypedModel> => {
  if (model.root.outputs.length !== 1)
    return E.left(`model: train needs one output (logits [..., classes]), this model has ${model.root.outputs.length}: ${model.root.outputs.map(showShape).join(' ')}`);
  const output = model.root.outputs[0]!;
  if (output.length < 1)
    return E.left(`model: train needs logits [..., classes] as output, got a scalar ${showShape(output)} (leave the loss out of the spec: train adds softmax cross-entropy)`);
  return withLossModel({ doc, model }, 'xent');
};

/** The spec's model followed by `loss` on each output (see `./loss.ts`), or why it cannot take it. */
export const withLossModel = ({ doc, model }: Pick<CheckedSpec, 'doc' | 'model'>, loss: LossKind): E.Either<string, TypedModel> => {
  const lm = check(withLossBox(doc.model, loss, model.root.outputs.length), [...doc.inputs, ...targetShapes(model.root.outputs, loss)]);
  return E.isLeft(lm) ? E.left(`model: cannot add the loss: ${lm.left.message}`) : E.right(lm.right);
};

export interface TrainerOptions {
  readonly backend: Backend<any>;
  /** The task, prepared for this spec's shapes (see `prepareTask`). */
  readonly task: TaskInstance;
  readonly optimizer: Optimizer<any>;
  /** Starting parameters of the spec's model, by its own keys (e.g. from `initParams(model, seed)`). */
  readonly params: Readonly<Record<string, HostTensor>>;
  /** Starting optimiser state over the loss model's keys (default: the optimiser's initial state). */
  readonly state?: unknown;
}

/** A training run in progress. Each call of `step` is one optimiser step. */
export interface SpecTrainer {
  /** The model trained: the spec's model followed by softmax cross-entropy. */
  readonly lossModel: TypedModel;
  /** One step on the task's batch for `step` (a pure function of seed and step); returns its loss. Throws if the loss is not finite. */
  step(step: number): number;
  /** Loss and argmax accuracy on the task's held-out batch, at the current parameters. */
  evaluate(): { readonly evalLoss: number; readonly evalAccuracy: number };
  /** The current parameters, by the spec model's keys. */
  params(): Record<string, HostTensor>;
  /** The current optimiser state, over the loss model's keys. */
  state(): unknown;
  /** The spec model's outputs for a batch of its inputs, at the current parameters. */
  predict(inputs: readonly HostTensor[]): HostTensor[];
}

/** A trainer on batches that are not a task's: no held-out batch of its own. */
export type DataTrainer = Omit<SpecTrainer, 'evaluate'>;

/** Batches for {@link dataTrainer}: the model's inputs then one target per output, a pure function of the step. */
export interface DataSource {
  readonly loss: LossKind;
  batch(step: number): readonly HostTensor[];
}

const feed = (b: TaskBatch): HostTensor[] => [...b.inputs, b.labels];

type CoreOptions = Omit<TrainerOptions, 'task'>;

/** The loss program, the prediction program and the optimiser loop shared by both trainers. */
const trainerCore = (spec: CheckedSpec, lossModel: TypedModel, o: CoreOptions, batch: (step: number) => readonly HostTensor[]) => {
  const be = o.backend;
  const lp = lower(lossModel, be, planUnderLoss(spec.planned.plan));
  if (E.isLeft(lp)) return E.left(`cannot run on the ${be.name} backend: ${lp.left.message}`);
  const pp = lowerPlanned(spec.planned, be);
  if (E.isLeft(pp)) return E.left(`cannot run on the ${be.name} backend: ${pp.left.message}`);
  const lossProg = lp.right;
  const predProg = pp.right;
  let params: Record<string, HostTensor> = mapKeys(o.params, lossParamKey);
  let state: unknown = o.state ?? o.optimizer.init(params);
  const modelParams = () => Object.fromEntries([...spec.model.params.keys()].map((k) => [k, params[lossParamKey(k)]!]));
  return E.right({
    lossProg,
    predProg,
    lossParams: () => params,
    trainer: {
      lossModel,
      step(s: number) {
        const res = lossAndGrad(lossProg, be, o.optimizer.get([state, params]), batch(s)); // frees its own wasm memory
        [state, params] = o.optimizer.put([state, params], res.grads) as [unknown, Record<string, HostTensor>];
        return res.loss;
      },
      params: modelParams,
      state: () => state,
      predict: (inputs: readonly HostTensor[]) =>
        withScope(be, () => predProg.forward(uploadAll(be, modelParams()), inputs.map((x) => be.upload(x))).outputs.map((y) => be.download(y))),
    } satisfies DataTrainer,
  });
};

/**
 * A trainer for a checked spec on a prepared task, or a message saying why it cannot run (the model
 * cannot take the loss, or the backend lacks a kernel).
 *
 * @example
 * const t = specTrainer(spec, { backend: be, task, optimizer: adam({ lr: 0.01 }), params: initParams(spec.model, 0) });
 * if (E.isRight(t)) for (let s = 0; s < 200; s++) t.right.step(s);
 */
export const specTrainer = (spec: CheckedSpec, o: TrainerOptions): E.Either<string, SpecTrainer> => {
  const lm = withXentLoss(spec);
  if (E.isLeft(lm)) return lm;
  const c = trainerCore(spec, lm.right, o, (s) => feed(o.task.batch(s)));
  if (E.isLeft(c)) return c;
  const { lossProg, predProg, lossParams, trainer } = c.right;
  const be = o.backend;
  return E.right({
    ...trainer,
    evaluate() {
      const ev = o.task.evalBatch();
      return withScope(be, () => {
        const lo = lossProg.forward(uploadAll(be, lossParams()), feed(ev).map((x) => be.upload(x))).outputs[0]!;
        const logits = predProg.forward(uploadAll(be, trainer.params()), ev.inputs.map((x) => be.upload(x))).outputs[0]!;
        return { evalLoss: scalarOf(be.download(lo)), evalAccuracy: argmaxAccuracy(be.download(logits), ev.labels) };
      });
    },
  });
};

/**
 * A trainer for a checked spec on batches of a user's data (`catoptric train --data`): the spec's
 * model followed by the source's loss on every output. Evaluation is the caller's, through `predict`.
 *
 * @example
 * const t = dataTrainer(spec, { backend: be, data: { loss: 'mse', batch }, optimizer: adam({ lr: 0.01 }), params });
 */
export const dataTrainer = (spec: CheckedSpec, o: CoreOptions & { readonly data: DataSource }): E.Either<string, DataTrainer> => {
  const lm = withLossModel(spec, o.data.loss);
  if (E.isLeft(lm)) return lm;
  const c = trainerCore(spec, lm.right, o, (s) => o.data.batch(s));
  return E.isLeft(c) ? c : E.right(c.right.trainer);
};
