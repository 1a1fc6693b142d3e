/**
 * Training a spec's model on a task one step at a time. `catoptric train` and the playground's Web
 * Worker both drive this, so one spec, task, seed and backend give the same numbers in both.
 *
 * The spec's model outputs logits `[..., classes]`; training appends softmax cross-entropy against
 * the task's labels: `seq(net: par(model: M, id), loss: softmax_xent)`, so the model's parameter
 * `k` is the loss model's `net.model.k`.
 */
import * as E from 'fp-ts/lib/Either.js';
import type { Backend } from '../backend/backend';
import { uploadAll, withScope } from '../backend/transfer';
import type { Plan } from '../plan/plan';
import { lower, lowerPlanned } from '../lower/program';
import { type TypedModel, check } from '../term/check';
import type { CheckedSpec } from '../term/codec';
import { id, named, par, prim, seq } from '../term/term';
import { showShape } from '../tensor/shape';
import { type HostTensor, scalarOf } from '../tensor/tensor';
import { lossAndGrad } from '../train/loop';
import { argmaxAccuracy } from '../train/metrics';
import { type Optimizer, adam, sgd } from '../train/optim';
import type { TaskBatch, TaskInstance } from './task';

const PREFIX = 'net.model';

/** The loss model's key of the spec model's parameter `k`. */
export const lossParamKey = (k: string): string => (k ? `${PREFIX}.${k}` : PREFIX);
/** The spec model's key of the loss model's parameter `k` (inverse of {@link lossParamKey}). */
export const modelParamKey = (k: string): string => (k === PREFIX ? '' : k.slice(PREFIX.length + 1));

/** A record with its keys mapped. */
export const mapKeys = <A>(r: Readonly<Record<string, A>>, f: (k: string) => string): Record<string, A> =>
  Object.fromEntries(Object.entries(r).map(([k, v]) => [f(k), v]));

/** Steps and learning rate of a run when neither the caller nor the spec's `train` settings give them. */
export const DEFAULT_STEPS = 100;
export const DEFAULT_LR = 0.01;

/** The optimiser a spec's `train` settings name: Adam (the default), or SGD with momentum 0.9. */
export const specOptimizer = (name: 'adam' | 'sgd', lr: number, weightDecay?: number): Optimizer<any> =>
  name === 'sgd' ? sgd({ lr, momentum: 0.9, weightDecay }) : adam({ lr, weightDecay });

/** A spec's plan with its node paths moved under the loss model (`net.model.…`). */
export const planUnderLoss = (p: Plan): Plan => ({
  ...(p.variants ? { variants: mapKeys(p.variants, lossParamKey) } : {}),
  ...(p.remat ? { remat: p.remat.map(lossParamKey) } : {}),
  ...(p.schedules ? { schedules: mapKeys(p.schedules, lossParamKey) } : {}),
});

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
  const lossTerm = seq(named('net', par(named('model', doc.model), id(1))), named('loss', prim('softmax_xent')));
  const lm = check(lossTerm, [...doc.inputs, output.slice(0, -1)]);
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
}

const feed = (b: TaskBatch): HostTensor[] => [...b.inputs, b.labels];

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
  const lossModel = lm.right;
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
    lossModel,
    step(s) {
      const res = lossAndGrad(lossProg, be, o.optimizer.get([state, params]), feed(o.task.batch(s))); // frees its own wasm memory
      [state, params] = o.optimizer.put([state, params], res.grads) as [unknown, Record<string, HostTensor>];
      return res.loss;
    },
    evaluate() {
      const ev = o.task.evalBatch();
      return withScope(be, () => {
        const lo = lossProg.forward(uploadAll(be, params), feed(ev).map((x) => be.upload(x))).outputs[0]!;
        const logits = predProg.forward(uploadAll(be, modelParams()), ev.inputs.map((x) => be.upload(x))).outputs[0]!;
        return { evalLoss: scalarOf(be.download(lo)), evalAccuracy: argmaxAccuracy(be.download(logits), ev.labels) };
      });
    },
    params: modelParams,
    state: () => state,
  });
};
