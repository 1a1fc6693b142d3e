/**
 * One training run of examples/pmi: a small Transformer, with or without a PMI layer, on one of the
 * generated relational tasks, for one seed. Deterministic for a fixed seed and backend.
 */
import { adam, checkOrThrow, initParams, lossAndGrad, lowerOrThrow, rng, type Backend, type HostTensor, type Program, type TypedModel } from '../../src/index';
import { type PmiClassifierOptions, pmiClassifierBody, pmiMemoryShape, pmiWithLoss, pmiWithoutLoss, transformerClassifierBody } from '../../src/models/pmi';
import { type RelationalBatch, SORT_OF_CLEVR, TRIANGLES, sortOfClevrBatch, trianglesBatch } from '../../src/tasks/relational';
import { uploadAll, withScope } from '../../src/backend/transfer';
import type { Rng } from '../../src/tensor/rng';

export type TaskName = 'sort-of-clevr' | 'triangles';
export type ModelName = 'baseline' | 'pmi';
export const TASKS: readonly TaskName[] = ['sort-of-clevr', 'triangles'];
export const MODELS: readonly ModelName[] = ['baseline', 'pmi'];

/** Settings shared by every run. */
export interface RunSettings {
  readonly steps: number;
  readonly batch: number;
  readonly lr: number;
  readonly width: number;
  readonly heads: number;
  readonly slots: number;
  readonly topk: number;
  /** Test examples per run. */
  readonly test: number;
}

export interface RunResult {
  readonly task: TaskName;
  readonly model: ModelName;
  readonly seed: number;
  readonly params: number;
  readonly accuracy: number;
  /** Sort-of-CLEVR only: accuracy on relational and non-relational questions. */
  readonly relational?: number;
  readonly nonRelational?: number;
  readonly finalLoss: number;
  readonly seconds: number;
}

const taskOf = (t: TaskName): { gen: (r: Rng, B: number) => RelationalBatch; tokens: number; features: number; classes: number } =>
  t === 'sort-of-clevr' ? { gen: sortOfClevrBatch, ...SORT_OF_CLEVR } : { gen: trianglesBatch, ...TRIANGLES };

const paramCount = (m: TypedModel): number => [...m.params.values()].reduce((s, p) => s + p.shape.reduce((a, b) => a * b, 1), 0);

/** Classifier options for a task and batch size; the baseline's MLP is widened to match the PMI model's parameter count. */
export const modelOptions = (s: RunSettings, task: TaskName, batch: number): { pmi: PmiClassifierOptions; baseline: PmiClassifierOptions } => {
  const t = taskOf(task);
  const pmi: PmiClassifierOptions = { batch, tokens: t.tokens, slots: s.slots, width: s.width, heads: s.heads, topk: s.topk, features: t.features, classes: t.classes, mlp: 2 * s.width };
  const target = paramCount(checkOrThrow(pmiWithLoss(pmiClassifierBody(pmi)), pmiShapes(pmi)));
  let best = pmi.mlp!;
  let gap = Infinity;
  for (let mlp = pmi.mlp!; mlp <= 64 * s.width; mlp++) {
    const n = paramCount(checkOrThrow(pmiWithLoss(transformerClassifierBody({ ...pmi, mlp })), baseShapes(pmi)));
    if (Math.abs(n - target) < gap) [best, gap] = [mlp, Math.abs(n - target)];
    if (n > target) break;
  }
  return { pmi, baseline: { ...pmi, mlp: best } };
};

const pmiShapes = (o: PmiClassifierOptions): number[][] => [[o.batch, o.tokens, o.features], [o.batch, o.slots], pmiMemoryShape(o), [o.batch]];
const baseShapes = (o: PmiClassifierOptions): number[][] => [[o.batch, o.tokens, o.features], [o.batch]];

/** The loss and prediction models of one kind for a batch size. */
export const models = (s: RunSettings, task: TaskName, model: ModelName, batch: number): { loss: TypedModel; pred: TypedModel; inputs: (b: RelationalBatch) => HostTensor[] } => {
  const o = modelOptions(s, task, batch)[model];
  const body = model === 'pmi' ? pmiClassifierBody(o) : transformerClassifierBody(o);
  const shapes = model === 'pmi' ? pmiShapes(o) : baseShapes(o);
  const slotIds: HostTensor = { shape: [batch, o.slots], data: Float32Array.from({ length: batch * o.slots }, (_, i) => i % o.slots) };
  const memory: HostTensor = { shape: pmiMemoryShape(o), data: new Float32Array(pmiMemoryShape(o).reduce((a, b) => a * b, 1)) };
  return {
    loss: checkOrThrow(pmiWithLoss(body), shapes),
    pred: checkOrThrow(pmiWithoutLoss(body), shapes),
    inputs: (b) => (model === 'pmi' ? [b.features, slotIds, memory, b.labels] : [b.features, b.labels]),
  };
};

/** Learning rate at step i: 50 warm-up steps, then cosine decay to lr/100. */
const lrAt = (s: RunSettings, i: number): number => {
  const wu = Math.min(50, s.steps);
  if (i < wu) return (s.lr * (i + 1)) / wu;
  const f = (i - wu) / Math.max(1, s.steps - wu);
  return s.lr * (0.01 + 0.99 * 0.5 * (1 + Math.cos(Math.PI * f)));
};

/** Train one model on one task with one seed and test it on `s.test` fresh examples. */
export const runOne = (be: Backend<unknown>, s: RunSettings, task: TaskName, model: ModelName, seed: number, onStep?: (step: number, loss: number) => void): RunResult => {
  const t0 = Date.now();
  const t = taskOf(task);
  const train = models(s, task, model, s.batch);
  const lossProg: Program<unknown> = lowerOrThrow(train.loss, be);
  let params: Record<string, HostTensor> = initParams(train.loss, seed, 'float32');
  let state = adam({ lr: lrAt(s, 0), weightDecay: 0.01 }).init(params);
  const data = rng(seed).fork(`pmi:${task}:train`);
  let loss = NaN;
  for (let i = 0; i < s.steps; i++) {
    const b = t.gen(data, s.batch);
    const step = lossAndGrad(lossProg, be, params, train.inputs(b));
    // AdamW's moments do not depend on the learning rate, so a schedule is a new lr on the same state.
    [state, params] = adam({ lr: lrAt(s, i), weightDecay: 0.01 }).put([state, params], step.grads) as [typeof state, Record<string, HostTensor>];
    loss = step.loss;
    if (!Number.isFinite(loss)) throw new Error(`pmi example: ${model} on ${task} (seed ${seed}) diverged at step ${i}: loss ${loss}`);
    onStep?.(i, loss);
  }
  // Test on fresh examples from a generator no training batch used (the same for both models).
  const testB = 128;
  const test = models(s, task, model, testB);
  const predProg = lowerOrThrow(test.pred, be);
  const r = rng(seed).fork(`pmi:${task}:test`);
  let right = 0;
  let n = 0;
  const split = { rel: [0, 0], non: [0, 0] };
  withScope(be, () => {
    const dev = uploadAll(be, params);
    for (let done = 0; done < s.test; done += testB) {
      const b = t.gen(r, testB);
      const logits = withScope(be, () => be.download(predProg.forward(dev, test.inputs(b).map((x) => be.upload(x))).outputs[0]!));
      for (let i = 0; i < testB; i++) {
        let arg = 0;
        for (let c = 1; c < t.classes; c++) if (logits.data[i * t.classes + c]! > logits.data[i * t.classes + arg]!) arg = c;
        const ok = arg === b.labels.data[i] ? 1 : 0;
        right += ok;
        n++;
        const bucket = b.relational[i] ? split.rel : split.non;
        bucket[0]! += ok;
        bucket[1]! += 1;
      }
    }
  });
  const params_ = paramCount(train.loss);
  return {
    task,
    model,
    seed,
    params: params_,
    accuracy: right / n,
    ...(task === 'sort-of-clevr' ? { relational: split.rel[0]! / split.rel[1]!, nonRelational: split.non[0]! / split.non[1]! } : {}),
    finalLoss: loss,
    seconds: (Date.now() - t0) / 1000,
  };
};
