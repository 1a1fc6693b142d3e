/**
 * `catoptric train <spec> --task NAME` or `--data FILE [--valid FILE] [--loss xent|mse]`: train a
 * spec's model on a built-in task or on your arrays (.npz, .npy, .json, .csv; see `./data.ts`) with
 * Adam (or SGD), with a progress bar on stderr, a summary on stdout, parameters (and optimiser state)
 * saved to a file that `--resume` continues from bit for bit.
 *
 * Training appends a loss box to the spec's model (`src/tasks/loss.ts`): softmax cross-entropy of
 * logits `[..., classes]` against class ids (tasks, and `--loss xent`), or mean squared error.
 */
import * as E from 'fp-ts/lib/Either.js';
import { formatIssues } from '../term/codec';
import { showName } from '../term/show';
import type { DType, HostTensor } from '../tensor/tensor';
import { initParams } from '../train/init';
import type { AdamState } from '../train/optim';
import { lossPlot } from '../render/charts';
import '../tasks';
import { type TaskInstance, prepareTask, taskNames } from '../tasks/task';
import { type DataTrainer, type SpecTrainer, DEFAULT_LR, DEFAULT_STEPS, dataTrainer, lossParamKey, mapKeys, modelParamKey, planUnderLoss, specOptimizer, specTrainer, withLossModel, withXentLoss } from '../tasks/trainer';
import { type LossKind, LOSSES, targetShapes } from '../tasks/loss';
import { readDataFile } from './data';
import { type DataFeed, dataMetrics, fitData } from './data-feed';
import { type CommandSpec, UserError, parseArgs } from './args';
import { PROGRAM_BACKENDS, backendByName, disposeBackend } from './backends';
import { type AsyncSpecTrainer, ortSpecTrainer } from '../onnx/trainer';
import { bytes, grouped } from './format';
import { type Io, MAX_SHOWN_ISSUES, UserErrors, checkWritable, readSpec, readText, writeText } from './io';
import { simulate } from '../plan/memory';
import type { Plan } from '../plan/plan';
import type { TypedModel } from '../term/check';
import { type Shape, sizeOf } from '../tensor/shape';
import { type OptState, checkParamsFit, decodeParamsFile, encodeParamsFile } from './params-file';
import { progressBar } from './progress';

export const trainCommand: CommandSpec = {
  name: 'train',
  summary: 'Train a spec on a built-in task or on your arrays (--data); save parameters that --resume continues from.',
  positionals: [{ name: 'spec', doc: 'a JSON spec file (its model without a loss: train appends one)' }],
  options: {
    task: { type: 'string', arg: 'NAME', doc: 'task (default: the spec\'s "task")' },
    data: { type: 'string', arg: 'FILE', doc: 'train on arrays from a .npz, .npy, .json or .csv file instead of a task' },
    valid: { type: 'string', arg: 'FILE', doc: 'with --data: validation arrays to report metrics on (default: the training data)' },
    loss: { type: 'string', arg: 'LOSS', doc: 'with --data: the loss (default: from the targets\' shapes)', choices: LOSSES },
    backend: { type: 'string', arg: 'NAME', doc: 'backend (default js); ort exports the model to ONNX and runs it on ONNX Runtime', choices: PROGRAM_BACKENDS },
    threads: { type: 'int', arg: 'N', doc: 'threads: the wasm backend\'s worker pool (--backend wasm), or ONNX Runtime intra-op threads (--backend ort); default 1' },
    dtype: { type: 'string', arg: 'DTYPE', doc: 'precision (default float32)', choices: ['float32', 'float64'] },
    steps: { type: 'nat', arg: 'N', doc: 'steps to run (default: the spec\'s train.steps, else 100); with --resume, steps more' },
    seed: { type: 'nat', arg: 'S', doc: 'seed of the initial parameters and the data (default: spec, else 0)' },
    lr: { type: 'number', arg: 'LR', doc: 'learning rate (default: spec, else 0.01)' },
    optimizer: { type: 'string', arg: 'NAME', doc: 'optimiser (default adam)', choices: ['adam', 'sgd'] },
    out: { type: 'string', arg: 'FILE', doc: 'where to save parameters (default NAME.params.json in this directory); an existing file is kept as FILE.bak' },
    'no-save': { type: 'bool', doc: 'do not save parameters' },
    resume: { type: 'string', arg: 'FILE', doc: 'continue from a saved parameter file' },
    'reset-optimizer': { type: 'bool', doc: 'with --resume: start a fresh optimiser state (needed when the file has none)' },
    'max-memory': { type: 'bytes', arg: 'SIZE', doc: 'refuse runs whose predicted memory per step is larger (default 4GiB)' },
    'loss-svg': { type: 'string', arg: 'FILE', doc: 'write the loss curve as SVG' },
    json: { type: 'bool', doc: 'print the summary as JSON (losses included)' },
    quiet: { type: 'bool', doc: 'no progress bar' },
  },
  notes: [
    'Examples:',
    '  catoptric train examples/spirals/spirals.json --steps 300 --out spirals.params.json',
    '  catoptric train examples/spirals/spirals.json --resume spirals.params.json --steps 100',
    '  catoptric train examples/pooling/mcb-fusion.json --data examples/pooling/mcb-fusion.data.npz',
    '',
    'Data: every array\'s first axis runs over examples; inputs are named x or x0, x1, … and targets y or',
    'y0, … (else: by order, inputs then one target per output). --loss xent takes class ids [N, ...],',
    '--loss mse values shaped like the outputs. Inputs the data leaves out are zeros.',
    '',
    'Batches are a pure function of (seed, step), and the file keeps the optimiser state and the step,',
    'so training N steps and then M more with --resume gives the same parameters as N + M at once.',
    'Files are saved atomically (a temporary file, then a rename), so a failed save leaves the old one.',
  ].join('\n'),
};

const prefixed = lossParamKey;
const unprefixed = modelParamKey;

/** Summary of a run (what `--json` prints). */
export interface TrainSummary {
  readonly spec: string;
  readonly task: string;
  /** The training data file, when not a task. */
  readonly data?: string;
  readonly loss: LossKind;
  /** What the eval metrics are measured on: the task's held-out batch, the --valid file or the training data. */
  readonly evalOn: string;
  readonly backend: string;
  readonly dtype: DType;
  readonly seed: number;
  readonly firstStep: number;
  readonly steps: number;
  readonly losses: number[];
  readonly evalLoss: number;
  /** Classification accuracy (cross-entropy runs only). */
  readonly evalAccuracy?: number;
  readonly seconds: number;
  readonly saved?: string;
}

/** Largest learning rate accepted: beyond it, training only produces overflow. */
export const MAX_LR = 1000;
/** Most steps in one run (more is a typo, not a plan; runs can always be resumed). */
export const MAX_STEPS = 1e9;
/** Default of --max-memory. */
const DEFAULT_MAX_MEMORY = 4 * 2 ** 30;

/**
 * The default parameter file of a spec: its name made safe as a file name in the working directory
 * (path separators, dots at the start and control characters replaced), so `"name": "../x"` cannot
 * write anywhere else.
 */
export const defaultParamsFile = (specName: string): string => {
  const safe = specName
    .replace(/[^A-Za-z0-9._-]/g, '_')
    .replace(/^[.]+/, '_')
    .slice(0, 100);
  return `${safe || 'model'}.params.json`;
};

/** Predicted bytes of one training step: the metered peak of forward and backward plus host copies. */
const stepBytes = (lossModel: TypedModel, plan: Plan, dtype: DType, inputs: readonly Shape[]): { total: number; peak: number; params: number } => {
  const bpe = dtype === 'float64' ? 8 : 4;
  const peak = simulate(lossModel, plan, bpe).peakBytes;
  let p = 0;
  for (const x of lossModel.params.values()) p += sizeOf(x.shape);
  const ins = inputs.reduce((a, s) => a + sizeOf(s), 0);
  // Parameters on the host and the backend, their gradients and up to two optimiser moments; a
  // training and a held-out batch on the host.
  const params = 5 * p * bpe;
  return { total: peak + params + 2 * ins * bpe, peak, params };
};

export const runTrain = async (argv: readonly string[], io: Io): Promise<number> => {
  const a = parseArgs(argv, trainCommand);
  const file = a.pos[0]!;
  const spec = readSpec(io, file);
  const { doc, model } = spec;
  const o = a.opts as Record<string, string | number | boolean | undefined>;

  // The resume file decides seed, dtype and the first step.
  const resumeFile = o.resume as string | undefined;
  const resumed = resumeFile === undefined ? undefined : (() => {
    const r = decodeParamsFile(readText(io, resumeFile, 'parameter file'));
    if (E.isLeft(r)) throw new UserErrors(formatIssues(r.left.slice(0, MAX_SHOWN_ISSUES), resumeFile));
    return r.right;
  })();
  if (resumed) {
    if (resumed.spec !== doc.name) throw new UserError(`${resumeFile}: spec: trained for spec ${showName(resumed.spec)}, but ${file} is ${showName(doc.name)}`);
    if (o.seed !== undefined && o.seed !== resumed.seed) throw new UserError(`${resumeFile} was trained with --seed ${resumed.seed}; drop --seed or pass --seed ${resumed.seed}`);
    if (o.dtype !== undefined && o.dtype !== resumed.dtype) throw new UserError(`${resumeFile} holds ${resumed.dtype} parameters; drop --dtype or pass --dtype ${resumed.dtype}`);
  }
  const seed = resumed?.seed ?? (o.seed as number | undefined) ?? doc.train?.seed ?? 0;
  const dtype: DType = resumed?.dtype ?? (o.dtype as DType | undefined) ?? doc.train?.dtype ?? 'float32';
  const steps = (o.steps as number | undefined) ?? doc.train?.steps ?? DEFAULT_STEPS;
  const lr = (o.lr as number | undefined) ?? doc.train?.lr ?? DEFAULT_LR;
  const optName = (o.optimizer as 'adam' | 'sgd' | undefined) ?? doc.train?.optimizer ?? 'adam';
  const first = resumed?.step ?? 0;
  const from = (flag: string, field: string) => (o[flag] !== undefined ? `--${flag}` : `${file}: train.${field}`);
  if (!(lr > 0 && lr <= MAX_LR)) throw new UserError(`${from('lr', 'lr')}: a learning rate of ${lr} is absurd; expected one in (0, ${MAX_LR}]`);
  if (steps > MAX_STEPS) throw new UserError(`${from('steps', 'steps')}: ${steps} steps is absurd; expected at most ${MAX_STEPS} per run (resume to train longer)`);
  if (first + steps > Number.MAX_SAFE_INTEGER)
    throw new UserError(`${resumeFile}: step ${first} plus ${steps} steps passes 2^53 − 1, where the step counter stops counting`);
  if (o['reset-optimizer'] && !resumed) throw new UserError('--reset-optimizer needs --resume FILE (a fresh run always starts a fresh optimiser state)');
  if (resumed && !resumed.optimizer && !o['reset-optimizer'])
    throw new UserError(
      `${resumeFile}: optimizer: missing, so resuming cannot continue the run bit for bit; pass --reset-optimizer to start a fresh optimiser state from these parameters`,
    );

  // Where results go, checked before any work so a long run is never thrown away at the end.
  const outFile = o['no-save'] ? undefined : ((o.out as string | undefined) ?? defaultParamsFile(doc.name));
  if (outFile) checkWritable(io, outFile, 'the parameters');
  const lossSvg = o['loss-svg'] as string | undefined;
  if (lossSvg) checkWritable(io, lossSvg, 'the loss plot');

  // Where batches come from: a built-in task, or the user's arrays.
  const dataFile = o.data as string | undefined;
  const validFile = o.valid as string | undefined;
  if (dataFile === undefined && (validFile !== undefined || o.loss !== undefined))
    throw new UserError(`--${validFile !== undefined ? 'valid' : 'loss'} goes with --data FILE (tasks bring their own held-out data and loss)`);
  if (dataFile !== undefined && o.task !== undefined) throw new UserError('pass either --task or --data, not both');
  const readBytes = (f: string) => (io.readBytes ? io.readBytes(f) : new TextEncoder().encode(io.readFile(f)));
  let taskName: string | undefined;
  let task: TaskInstance | undefined;
  let feed: DataFeed | undefined;
  let validFeed: DataFeed | undefined;
  if (dataFile !== undefined) {
    feed = fitData(readDataFile(dataFile, readBytes), model.root, { ...(o.loss !== undefined ? { loss: o.loss as LossKind } : {}), seed, dtype });
    validFeed = validFile === undefined ? undefined : fitData(readDataFile(validFile, readBytes), model.root, { loss: feed.loss, seed, dtype });
  } else {
    taskName = (o.task as string | undefined) ?? resumed?.task ?? doc.task?.name;
    if (!taskName) throw new UserError(`no task: pass --task NAME (one of ${taskNames().join(', ')}), --data FILE (your arrays), or set "task" in ${file}`);
    // The model must take the loss (one output of logits) before the task is fitted to that output.
    const trainable = withXentLoss({ doc, model });
    if (E.isLeft(trainable)) throw new UserError(`${file}: ${trainable.left}${model.root.outputs.length !== 1 ? '; train it on your arrays with --data' : ''}`);
    const options = doc.task?.name === taskName ? doc.task.options : {};
    const fromSpec = o.task === undefined || doc.task?.name === taskName;
    const ti = prepareTask(taskName, options, { inputs: doc.inputs, output: model.root.outputs[0]!, seed, dtype });
    if (E.isLeft(ti))
      throw fromSpec
        ? new UserErrors(formatIssues(ti.left.slice(0, MAX_SHOWN_ISSUES), file))
        : new UserError(`--task ${taskName}: ${ti.left.map((i) => i.message).join('; ')}`);
    task = ti.right;
  }
  const loss: LossKind = feed?.loss ?? 'xent';
  const source = taskName ?? dataFile!;

  // Refuse a step that cannot fit before allocating anything for it.
  const lossModel = withLossModel({ doc, model }, loss);
  if (E.isRight(lossModel)) {
    const maxMemory = (o['max-memory'] as number | undefined) ?? DEFAULT_MAX_MEMORY;
    const need = stepBytes(lossModel.right, planUnderLoss(spec.planned.plan), dtype, [...doc.inputs, ...targetShapes(model.root.outputs, loss)]);
    if (need.total > maxMemory)
      throw new UserError(
        `${file}: one training step needs about ${bytes(need.total)} (forward and backward peak ${bytes(need.peak)}, parameters and optimiser state ${bytes(need.params)}), more than --max-memory ${bytes(maxMemory)}; use smaller inputs (batch) or a larger --max-memory`,
      );
  }

  // Parameters and optimiser state (the trainer keeps the state under the loss model's paths).
  const shapes = new Map([...model.params.values()].map((p) => [p.key, p.shape] as const));
  if (resumed) checkParamsFit(resumeFile!, resumed, shapes);
  const optimizer = specOptimizer(optName, lr, doc.train?.weightDecay);
  let resumedState: unknown;
  if (resumed?.optimizer && !o['reset-optimizer']) {
    const ro = resumed.optimizer;
    if ((ro.name === 'sgd') !== (optName === 'sgd')) throw new UserError(`${resumeFile}: optimizer: holds ${ro.name} state, but this run uses ${optName}`);
    if (ro.name === 'sgd') resumedState = mapKeys(ro.state, prefixed);
    else resumedState = { t: ro.state.t, m: mapKeys(ro.state.m, prefixed), v: mapKeys(ro.state.v, prefixed) } satisfies AdamState;
    const keys = Object.keys(resumed.params).sort().join();
    const sk = Object.keys(ro.name === 'sgd' ? ro.state : ro.state.m).sort().join();
    if (keys !== sk) throw new UserError(`${resumeFile}: optimizer: its state does not cover the same parameters as params`);
  }
  const backendName = (o.backend as string | undefined) ?? 'js';
  const threads = o.threads as number | undefined;
  if (threads !== undefined && backendName === 'js') throw new UserError('--threads applies to --backend wasm or ort');
  if (threads !== undefined && threads < 1) throw new UserError(`--threads must be at least 1, got ${threads}`);
  const common = { optimizer, params: resumed?.params ?? initParams(model, seed, dtype), ...(resumedState !== undefined ? { state: resumedState } : {}) };
  let trainer: AsyncSpecTrainer;
  // The synchronous trainer, when there is one (its `predict` evaluates on the user's arrays).
  let local: SpecTrainer | DataTrainer | undefined;
  let beName: string;
  let disposeLater = async (): Promise<void> => undefined;
  if (backendName === 'ort') {
    if (!task) throw new UserError('--backend ort trains on built-in tasks only for now; use --backend js or wasm with --data');
    if (dtype !== 'float32') throw new UserError(`the ort backend computes in float32; drop --dtype ${dtype} or use --backend js`);
    const tr = await ortSpecTrainer(spec, { ...common, task, ...(threads !== undefined ? { threads } : {}) });
    if (E.isLeft(tr)) throw new UserError(`${file}: ${tr.left}`);
    trainer = tr.right;
    beName = 'ort';
  } else {
    const be = await backendByName(backendName, dtype, threads);
    disposeLater = () => disposeBackend(be);
    const tr: E.Either<string, SpecTrainer | DataTrainer> = task
      ? specTrainer(spec, { ...common, backend: be, task })
      : dataTrainer(spec, { ...common, backend: be, data: { loss, batch: (s) => feed!.batch(s) } });
    if (E.isLeft(tr)) throw new UserError(`${file}: ${tr.left}`);
    const t = tr.right;
    local = t;
    // The synchronous trainer seen through the asynchronous interface.
    trainer = {
      lossModel: t.lossModel,
      step: async (s) => t.step(s),
      evaluate: async () => {
        if (!('evaluate' in t)) throw new Error('internal: a data trainer is evaluated on its arrays');
        return t.evaluate();
      },
      params: t.params,
      state: t.state,
      release: async () => undefined,
    };
    beName = be.name;
  }

  const quiet = Boolean(o.quiet) || Boolean(o.json);
  if (!quiet) io.err(`training ${doc.name} on ${source}: ${task?.describe ?? feed!.describe}\n`);
  const bar = quiet ? undefined : progressBar(io, first, steps);
  const losses: number[] = [];
  const t0 = io.now();
  for (let s = first; s < first + steps; s++) {
    let loss: number;
    try {
      loss = await trainer.step(s);
    } catch (e) {
      const msg = (e as Error).message ?? '';
      if (/the loss is/.test(msg) || (e as Error)?.name === 'WasmMemoryError') {
        bar?.done();
        throw new UserError(`step ${s + 1}: ${msg.replace(/^lossAndGrad: /, '')}`);
      }
      throw e;
    }
    losses.push(loss);
    bar?.update(s, loss);
  }
  bar?.done();
  const seconds = (io.now() - t0) / 1000;

  // Evaluation: the task's held-out batch, or every example of the validation (else training) data.
  let evalLoss: number;
  let evalAccuracy: number | undefined;
  let evalOn: string;
  if (feed) {
    const on = validFeed ?? feed;
    ({ loss: evalLoss, accuracy: evalAccuracy } = dataMetrics(on, doc.inputs.length, (xs) => local!.predict(xs)));
    evalOn = validFeed ? `validation data ${validFile}, ${on.examples} examples` : `training data, ${on.examples} examples`;
  } else {
    ({ evalLoss, evalAccuracy } = await trainer.evaluate());
    evalOn = 'held-out batch';
  }
  const modelParams = trainer.params();
  const state = trainer.state();
  await trainer.release();
  await disposeLater();

  // Save: atomically, keeping the previous file as .bak.
  if (outFile) {
    const st = state as AdamState | Record<string, HostTensor>;
    const optState: OptState =
      optName === 'sgd'
        ? { name: 'sgd', state: mapKeys(st as Record<string, HostTensor>, unprefixed) }
        : { name: optimizer.name as 'adam' | 'adamw', state: { t: (st as AdamState).t, m: mapKeys((st as AdamState).m, unprefixed), v: mapKeys((st as AdamState).v, unprefixed) } };
    writeText(
      io,
      outFile,
      encodeParamsFile({ spec: doc.name, ...(taskName !== undefined ? { task: taskName } : {}), seed, step: first + steps, dtype, backend: beName, lr, params: modelParams, optimizer: optState }),
      { backup: true },
    );
  }
  if (lossSvg)
    writeText(
      io,
      lossSvg,
      lossPlot(losses, {
        label: `${doc.name} on ${source}`,
        title: `training loss — ${doc.name} (${source}, ${beName}/${dtype}, seed ${seed})`,
        lossName: loss === 'xent' ? 'softmax cross-entropy' : 'mean squared error',
        firstStep: first + 1,
      }),
    );

  const summary: TrainSummary = {
    spec: doc.name, task: taskName ?? 'data', ...(dataFile !== undefined ? { data: dataFile } : {}), loss, evalOn,
    backend: beName, dtype, seed, firstStep: first, steps, losses, evalLoss, ...(evalAccuracy !== undefined ? { evalAccuracy } : {}), seconds,
    ...(outFile ? { saved: outFile } : {}),
  };
  if (o.json) {
    io.out(JSON.stringify(summary) + '\n');
    return 0;
  }
  const nParams = [...model.params.values()].reduce((s, p) => s + p.shape.reduce((x, y) => x * y, 1), 0);
  const lines = [
    `trained ${doc.name} on ${source} — ${beName}${threads ? ` (${threads} threads)` : ''}/${dtype}, ${optimizer.name} lr ${lr}, seed ${seed}`,
    `steps     ${first} → ${first + steps} in ${seconds.toFixed(2)} s${steps ? ` (${(steps / Math.max(seconds, 1e-9)).toFixed(1)} it/s)` : ''}`,
    ...(losses.length ? [`loss      ${losses[0]!.toPrecision(5)} → ${losses[losses.length - 1]!.toPrecision(5)} (training batches)`] : []),
    `${(feed ? (validFeed ? 'valid' : 'train set') : 'held-out').padEnd(9)} loss ${evalLoss.toPrecision(5)}${evalAccuracy !== undefined ? `, accuracy ${(100 * evalAccuracy).toFixed(1)}%` : ''} (${evalOn})`,
    ...(outFile ? [`saved     ${outFile} (${grouped(nParams)} parameters, optimiser state, step ${first + steps})`] : []),
    ...(lossSvg ? [`loss plot ${lossSvg}`] : []),
  ];
  io.out(lines.join('\n') + '\n');
  return 0;
};
