/**
 * `catoptric train <spec> --task NAME`: train a spec's model on a built-in task with Adam (or SGD),
 * with a progress bar on stderr, a summary on stdout, parameters (and optimiser state) saved to a
 * file that `--resume` continues from bit for bit.
 *
 * The spec's model outputs logits `[..., classes]`; training appends the softmax cross-entropy
 * against the task's labels: `seq(net: par(model, id), loss: softmax_xent)`.
 */
import * as E from 'fp-ts/lib/Either.js';
import type { Backend } from '../backend/backend';
import { lower, lowerPlanned } from '../lower/program';
import { argmaxAccuracy } from '../train/metrics';
import type { Plan } from '../plan/plan';
import { type TypedModel, check } from '../term/check';
import { formatIssues } from '../term/codec';
import { id, named, par, prim, seq } from '../term/term';
import { showShape } from '../tensor/shape';
import type { DType, HostTensor } from '../tensor/tensor';
import { scalarOf } from '../tensor/tensor';
import { initParams } from '../train/init';
import { lossAndGrad } from '../train/loop';
import { type AdamState, type Optimizer, adam, sgd } from '../train/optim';
import { linePlot } from '../render/plot';
import '../tasks';
import { type TaskBatch, prepareTask, taskNames } from '../tasks/task';
import { type CommandSpec, UserError, parseArgs } from './args';
import { BACKENDS, backendByName } from './backends';
import { bytes, grouped } from './format';
import { type Io, MAX_SHOWN_ISSUES, UserErrors, checkWritable, readSpec, readText, writeText } from './io';
import { simulate } from '../plan/memory';
import { sizeOf } from '../tensor/shape';
import { type OptState, checkParamsFit, decodeParamsFile, encodeParamsFile } from './params-file';
import { progressBar } from './progress';
import { uploadAll, withScope } from '../backend/transfer';

export const trainCommand: CommandSpec = {
  name: 'train',
  summary: 'Train a spec on a built-in task (spirals, parity, modular, att-svm); save parameters that --resume continues from.',
  positionals: [{ name: 'spec', doc: 'a JSON spec file whose model outputs logits [..., classes]' }],
  options: {
    task: { type: 'string', arg: 'NAME', doc: 'task (default: the spec\'s "task")' },
    backend: { type: 'string', arg: 'NAME', doc: 'backend (default js)', choices: BACKENDS },
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
    '',
    'Batches are a pure function of (seed, step), and the file keeps the optimiser state and the step,',
    'so training N steps and then M more with --resume gives the same parameters as N + M at once.',
    'Files are saved atomically (a temporary file, then a rename), so a failed save leaves the old one.',
  ].join('\n'),
};

const PREFIX = 'net.model';
const prefixed = (k: string): string => (k ? `${PREFIX}.${k}` : PREFIX);
const mapKeys = <A>(r: Readonly<Record<string, A>>, f: (k: string) => string): Record<string, A> =>
  Object.fromEntries(Object.entries(r).map(([k, v]) => [f(k), v]));
const unprefixed = (k: string): string => k.slice(PREFIX.length + 1);

/** The spec's plan, moved under the loss wrapper's path (`net.model`). */
const planUnder = (p: Plan): Plan => ({
  ...(p.variants ? { variants: mapKeys(p.variants, prefixed) } : {}),
  ...(p.remat ? { remat: p.remat.map(prefixed) } : {}),
  ...(p.schedules ? { schedules: mapKeys(p.schedules, prefixed) } : {}),
});

/** Summary of a run (what `--json` prints). */
export interface TrainSummary {
  readonly spec: string;
  readonly task: string;
  readonly backend: string;
  readonly dtype: DType;
  readonly seed: number;
  readonly firstStep: number;
  readonly steps: number;
  readonly losses: number[];
  readonly evalLoss: number;
  readonly evalAccuracy: number;
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
const stepBytes = (lossModel: TypedModel, plan: Plan, dtype: DType, inputs: readonly (readonly number[])[]): { total: number; peak: number; params: number } => {
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
  const { doc, model, planned } = readSpec(io, file);
  const o = a.opts as Record<string, string | number | boolean | undefined>;

  // The resume file decides seed, dtype and the first step.
  const resumeFile = o.resume as string | undefined;
  const resumed = resumeFile === undefined ? undefined : (() => {
    const r = decodeParamsFile(readText(io, resumeFile, 'parameter file'));
    if (E.isLeft(r)) throw new UserErrors(formatIssues(r.left.slice(0, MAX_SHOWN_ISSUES), resumeFile));
    return r.right;
  })();
  if (resumed) {
    if (resumed.spec !== doc.name) throw new UserError(`${resumeFile}: spec: trained for spec '${resumed.spec}', but ${file} is '${doc.name}'`);
    if (o.seed !== undefined && o.seed !== resumed.seed) throw new UserError(`${resumeFile} was trained with --seed ${resumed.seed}; drop --seed or pass --seed ${resumed.seed}`);
    if (o.dtype !== undefined && o.dtype !== resumed.dtype) throw new UserError(`${resumeFile} holds ${resumed.dtype} parameters; drop --dtype or pass --dtype ${resumed.dtype}`);
  }
  const seed = resumed?.seed ?? (o.seed as number | undefined) ?? doc.train?.seed ?? 0;
  const dtype: DType = resumed?.dtype ?? (o.dtype as DType | undefined) ?? doc.train?.dtype ?? 'float32';
  const steps = (o.steps as number | undefined) ?? doc.train?.steps ?? 100;
  const lr = (o.lr as number | undefined) ?? doc.train?.lr ?? 0.01;
  const optName = (o.optimizer as string | undefined) ?? doc.train?.optimizer ?? 'adam';
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

  // The task.
  const taskName = (o.task as string | undefined) ?? resumed?.task ?? doc.task?.name;
  if (!taskName) throw new UserError(`no task: pass --task NAME (one of ${taskNames().join(', ')}) or set "task" in ${file}`);
  if (model.root.outputs.length !== 1)
    throw new UserError(`${file}: model: train needs one output (logits [..., classes]), this model has ${model.root.outputs.length}: ${model.root.outputs.map(showShape).join(' ')}`);
  const output = model.root.outputs[0]!;
  if (output.length < 1) throw new UserError(`${file}: model: train needs logits [..., classes] as output, got a scalar ${showShape(output)} (leave the loss out of the spec: train adds softmax cross-entropy)`);
  // Loss model: the spec's model, then softmax cross-entropy against the labels.
  const labelShape = output.slice(0, -1);
  const lossTerm = seq(named('net', par(named('model', doc.model), id(1))), named('loss', prim('softmax_xent')));
  const lm = check(lossTerm, [...doc.inputs, labelShape]);
  if (E.isLeft(lm)) throw new UserError(`${file}: model: cannot add the loss: ${lm.left.message}`);
  const lossModel: TypedModel = lm.right;
  const maxMemory = (o['max-memory'] as number | undefined) ?? DEFAULT_MAX_MEMORY;
  const need = stepBytes(lossModel, planUnder(planned.plan), dtype, [...doc.inputs, labelShape]);
  if (need.total > maxMemory)
    throw new UserError(
      `${file}: one training step needs about ${bytes(need.total)} (forward and backward peak ${bytes(need.peak)}, parameters and optimiser state ${bytes(need.params)}), more than --max-memory ${bytes(maxMemory)}; use smaller inputs (batch) or a larger --max-memory`,
    );
  const backendName = (o.backend as string | undefined) ?? 'js';
  const be = await backendByName(backendName, dtype);
  const options = doc.task?.name === taskName ? doc.task.options : {};
  const fromSpec = o.task === undefined || doc.task?.name === taskName;
  const ti = prepareTask(taskName, options, { inputs: doc.inputs, output, seed, dtype });
  if (E.isLeft(ti))
    throw fromSpec
      ? new UserErrors(formatIssues(ti.left.slice(0, MAX_SHOWN_ISSUES), file))
      : new UserError(`--task ${taskName}: ${ti.left.map((i) => i.message).join('; ')}`);
  const task = ti.right;
  const lp = lower(lossModel, be, planUnder(planned.plan));
  if (E.isLeft(lp)) throw new UserError(`${file}: cannot run on the ${backendName} backend: ${lp.left.message}`);
  const pp = lowerPlanned(planned, be);
  if (E.isLeft(pp)) throw new UserError(`${file}: cannot run on the ${backendName} backend: ${pp.left.message}`);
  const lossProg = lp.right;
  const predProg = pp.right;

  // Parameters and optimiser state, under the loss model's paths.
  const shapes = new Map([...model.params.values()].map((p) => [p.key, p.shape] as const));
  if (resumed) checkParamsFit(resumeFile!, resumed, shapes);
  let params: Record<string, HostTensor> = mapKeys(resumed?.params ?? initParams(model, seed, dtype), prefixed);
  const optimizer: Optimizer<any> = optName === 'sgd' ? sgd({ lr, momentum: 0.9, weightDecay: doc.train?.weightDecay }) : adam({ lr, weightDecay: doc.train?.weightDecay });
  let state: unknown;
  if (resumed?.optimizer && !o['reset-optimizer']) {
    const ro = resumed.optimizer;
    if ((ro.name === 'sgd') !== (optName === 'sgd')) throw new UserError(`${resumeFile}: optimizer: holds ${ro.name} state, but this run uses ${optName}`);
    if (ro.name === 'sgd') state = mapKeys(ro.state, prefixed);
    else state = { t: ro.state.t, m: mapKeys(ro.state.m, prefixed), v: mapKeys(ro.state.v, prefixed) } satisfies AdamState;
    const keys = Object.keys(resumed.params).sort().join();
    const sk = Object.keys(ro.name === 'sgd' ? ro.state : ro.state.m).sort().join();
    if (keys !== sk) throw new UserError(`${resumeFile}: optimizer: its state does not cover the same parameters as params`);
  } else state = optimizer.init(params);

  const feed = (b: TaskBatch): HostTensor[] => [...b.inputs, b.labels];
  const quiet = Boolean(o.quiet) || Boolean(o.json);
  if (!quiet) io.err(`training ${doc.name} on ${taskName}: ${task.describe}\n`);
  const bar = quiet ? undefined : progressBar(io, first, steps);
  const losses: number[] = [];
  const t0 = io.now();
  for (let s = first; s < first + steps; s++) {
    const batch = feed(task.batch(s));
    let res: { loss: number; grads: Record<string, HostTensor> };
    try {
      res = lossAndGrad(lossProg, be, optimizer.get([state, params]), batch); // frees its own wasm memory
    } catch (e) {
      const msg = (e as Error).message ?? '';
      if (/the loss is/.test(msg) || (e as Error)?.name === 'WasmMemoryError') {
        bar?.done();
        throw new UserError(`step ${s + 1}: ${msg.replace(/^lossAndGrad: /, '')}`);
      }
      throw e;
    }
    [state, params] = optimizer.put([state, params], res.grads) as [unknown, Record<string, HostTensor>];
    losses.push(res.loss);
    bar?.update(s, res.loss);
  }
  bar?.done();
  const seconds = (io.now() - t0) / 1000;

  // Evaluation on the held-out batch.
  const ev = task.evalBatch();
  const modelParams = Object.fromEntries([...model.params.keys()].map((k) => [k, params[prefixed(k)]!]));
  const { evalLoss, evalAccuracy } = withScope(be, () => {
    const lo = lossProg.forward(uploadAll(be, params), feed(ev).map((x) => be.upload(x))).outputs[0]!;
    const logits = predProg.forward(uploadAll(be, modelParams), ev.inputs.map((x) => be.upload(x))).outputs[0]!;
    return { evalLoss: scalarOf(be.download(lo)), evalAccuracy: argmaxAccuracy(be.download(logits), ev.labels) };
  });

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
      encodeParamsFile({ spec: doc.name, task: taskName, seed, step: first + steps, dtype, backend: be.name, lr, params: modelParams, optimizer: optState }),
      { backup: true },
    );
  }
  if (lossSvg)
    writeText(
      io,
      lossSvg,
      linePlot([{ label: `${doc.name} on ${taskName}`, points: losses.map((l, i) => [first + i + 1, l] as const) }], {
        title: `training loss — ${doc.name} (${taskName}, ${be.name}/${dtype}, seed ${seed})`,
        xLabel: 'step',
        yLabel: 'loss (softmax cross-entropy)',
        logY: losses.every((l) => l > 0),
      }),
    );

  const summary: TrainSummary = {
    spec: doc.name, task: taskName, backend: be.name, dtype, seed, firstStep: first, steps, losses, evalLoss, evalAccuracy, seconds,
    ...(outFile ? { saved: outFile } : {}),
  };
  if (o.json) {
    io.out(JSON.stringify(summary) + '\n');
    return 0;
  }
  const nParams = [...model.params.values()].reduce((s, p) => s + p.shape.reduce((x, y) => x * y, 1), 0);
  const lines = [
    `trained ${doc.name} on ${taskName} — ${be.name}/${dtype}, ${optimizer.name} lr ${lr}, seed ${seed}`,
    `steps     ${first} → ${first + steps} in ${seconds.toFixed(2)} s${steps ? ` (${(steps / Math.max(seconds, 1e-9)).toFixed(1)} it/s)` : ''}`,
    ...(losses.length ? [`loss      ${losses[0]!.toPrecision(5)} → ${losses[losses.length - 1]!.toPrecision(5)} (training batches)`] : []),
    `held-out  loss ${evalLoss.toPrecision(5)}, accuracy ${(100 * evalAccuracy).toFixed(1)}%`,
    ...(outFile ? [`saved     ${outFile} (${grouped(nParams)} parameters, optimiser state, step ${first + steps})`] : []),
    ...(lossSvg ? [`loss plot ${lossSvg}`] : []),
  ];
  io.out(lines.join('\n') + '\n');
  return 0;
};
