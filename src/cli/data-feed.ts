/**
 * Fitting a user's arrays to a spec for `catoptric train --data`: which array feeds which input and
 * which is the target of which output, the loss (softmax cross-entropy against class ids, or mean
 * squared error against values), seeded batches, and metrics over a whole data set.
 *
 * Every array's first axis runs over examples; the spec's inputs and outputs share a leading batch
 * axis B, and each step draws B examples (each epoch a fresh seeded permutation, so a batch is a pure
 * function of the seed and the step, and `--resume` continues exactly).
 *
 * Arrays are matched by name — inputs `x` or `x0`, `x1`, …; targets `y` (or `label`, `target`) or `y0`,
 * `y1`, … — or, when no array has such a name, by order: inputs first, then one target per output.
 * Inputs the data does not give (a recurrent initial state, say) are zeros.
 */
import { rng } from '../tensor/rng';
import { type Shape, shapeEq, showShape, sizeOf } from '../tensor/shape';
import type { DType, HostTensor } from '../tensor/tensor';
import { UserError } from './args';
import type { DataFile, NdArray } from './data';
import type { LossKind } from '../tasks/loss';


/** A data set fitted to a model. */
export interface DataFeed {
  readonly file: string;
  readonly loss: LossKind;
  /** Number of examples. */
  readonly examples: number;
  /** The batch size (the spec's leading axis). */
  readonly batchSize: number;
  /** One line: which array feeds what. */
  readonly describe: string;
  /** The model's inputs then one target per output for training step `step`. */
  batch(step: number): HostTensor[];
  /** Every example once, in order, in batches (the last one padded by wrapping); `rows` are real. */
  passes(): Array<{ readonly feed: HostTensor[]; readonly rows: number }>;
}

const isInputName = (n: string) => /^x\d*$/.test(n);
const isTargetName = (n: string) => /^(y\d*|labels?|targets?)$/.test(n);

/** The per-example target shape of an output under a loss. */
export const targetShape = (output: Shape, loss: LossKind): Shape => (loss === 'xent' ? output.slice(1, -1) : output.slice(1));

/**
 * Fit a data file to a model with input shapes `inputs` and output shapes `outputs`. `loss`
 * undefined infers it from the targets' shapes. Throws {@link UserError}s naming the file and array.
 */
export const fitData = (
  df: DataFile,
  model: { readonly inputs: readonly Shape[]; readonly outputs: readonly Shape[] },
  o: { readonly loss?: LossKind; readonly seed: number; readonly dtype: DType },
): DataFeed => {
  const { file } = df;
  const all = [...model.inputs, ...model.outputs];
  if (!all.length || all.some((s) => s.length < 1) || all.some((s) => s[0] !== all[0]![0]))
    throw new UserError(
      `${file}: training on data needs the spec's inputs and outputs to share a leading batch axis; inputs ${model.inputs.map(showShape).join(' ')}, outputs ${model.outputs.map(showShape).join(' ')}`,
    );
  const B = all[0]![0]!;
  const n = model.inputs.length;
  const m = model.outputs.length;

  // Which array is which.
  const byName = df.arrays.some((a) => isInputName(a.name) || isTargetName(a.name));
  const inputArrays: (NdArray | undefined)[] = Array.from({ length: n }, () => undefined);
  const targetArrays: (NdArray | undefined)[] = Array.from({ length: m }, () => undefined);
  const inputNames: string[] = [];
  const targetNames: string[] = [];
  if (byName) {
    for (const { name, array } of df.arrays) {
      const digits = /\d+$/.exec(name)?.[0];
      const k = digits === undefined ? 0 : Number(digits);
      if (isInputName(name) && k < n && !inputArrays[k]) [inputArrays[k], inputNames[k]] = [array, name];
      else if (isTargetName(name) && k < m && !targetArrays[k]) [targetArrays[k], targetNames[k]] = [array, name];
      else
        throw new UserError(
          `${file}: array '${name}' matches no input or target of the spec (${n} input(s): x0…x${n - 1} or x; ${m} output(s): y0…y${m - 1} or y)`,
        );
    }
  } else {
    const k = df.arrays.length;
    if (k < m + 1 || k > n + m)
      throw new UserError(
        `${file}: ${k} array(s) (${df.arrays.map((a) => a.name).join(', ')}); by order they are the inputs then one target per output, so expected ${m + 1}${n > 1 ? `–${n + m}` : ''} for ${n} input(s) and ${m} output(s) — or name them x0, x1, …, y0, …`,
      );
    df.arrays.slice(0, k - m).forEach((a, i) => ([inputArrays[i], inputNames[i]] = [a.array, a.name]));
    df.arrays.slice(k - m).forEach((a, j) => ([targetArrays[j], targetNames[j]] = [a.array, a.name]));
  }
  if (!inputArrays.some(Boolean)) throw new UserError(`${file}: no input array (name it x, or x0 for the first input)`);
  const missingT = targetArrays.findIndex((t) => !t);
  if (missingT >= 0) throw new UserError(`${file}: no target for output ${missingT} ${showShape(model.outputs[missingT]!)} (name it ${m === 1 ? 'y' : `y${missingT}`})`);

  // Examples.
  const firstInput = inputArrays.findIndex(Boolean);
  const N = inputArrays[firstInput]!.shape[0] ?? 1;
  const named = (i: number, isTarget: boolean) => `${file}: ${isTarget ? targetNames[i] : inputNames[i]}`;
  [...inputArrays.map((a, i) => [a, i, false] as const), ...targetArrays.map((a, j) => [a, j, true] as const)].forEach(([a, i, t]) => {
    if (!a) return;
    if (a.shape.length < 1) throw new UserError(`${named(i, t)}: a scalar; the first axis of every array runs over examples`);
    if (a.shape[0] !== N) throw new UserError(`${named(i, t)}: ${a.shape[0]} examples, but ${inputNames[firstInput]} has ${N}; every array needs the same number of examples`);
  });
  if (N < 1) throw new UserError(`${file}: no examples (the arrays' first axis is 0)`);

  // Shapes: an example of input i is the spec's input shape without its batch axis.
  const fits = (a: NdArray, want: Shape): boolean => shapeEq(a.shape.slice(1), want) || (df.flat && a.shape.length === 2 && a.shape[1] === sizeOf(want));
  inputArrays.forEach((a, i) => {
    const want = model.inputs[i]!.slice(1);
    if (a && !fits(a, want))
      throw new UserError(
        `${named(i, false)}: examples of shape ${showShape(a.shape.slice(1))} do not fit input ${i} of the spec, ${showShape(model.inputs[i]!)} (each example ${showShape(want)}); the first axis of an array runs over examples`,
      );
  });
  let loss = o.loss;
  if (!loss) {
    const t0 = targetArrays[0]!;
    const out0 = model.outputs[0]!;
    if (out0.length >= 2 && fits(t0, targetShape(out0, 'xent')) && !fits(t0, targetShape(out0, 'mse'))) loss = 'xent';
    else if (fits(t0, targetShape(out0, 'mse'))) loss = 'mse';
    else
      throw new UserError(
        `${named(0, true)}: targets of shape ${showShape(t0.shape.slice(1))} fit output 0 ${showShape(out0)} neither as class ids ${showShape(targetShape(out0, 'xent'))} (--loss xent) nor as values ${showShape(targetShape(out0, 'mse'))} (--loss mse)`,
      );
  }
  targetArrays.forEach((a, j) => {
    const out = model.outputs[j]!;
    if (loss === 'xent' && out.length < 2) throw new UserError(`${file}: --loss xent needs logits [B, ..., classes] as output ${j}, got ${showShape(out)}`);
    const want = targetShape(out, loss!);
    if (!fits(a!, want))
      throw new UserError(
        `${named(j, true)}: targets of shape ${showShape(a!.shape.slice(1))} do not fit output ${j} ${showShape(out)} under --loss ${loss}: expected ${loss === 'xent' ? 'class ids' : 'values'} of shape ${showShape(want)} per example`,
      );
  });

  // Values: finite everywhere; class ids in range.
  const check = (a: NdArray, what: string, classes?: number) => {
    const per = a.data.length / N;
    for (let k = 0; k < a.data.length; k++) {
      const v = a.data[k]!;
      if (!Number.isFinite(v)) throw new UserError(`${what}: example ${Math.floor(k / per)} holds ${v}; every value must be finite`);
      if (classes !== undefined && !(Number.isInteger(v) && v >= 0 && v < classes))
        throw new UserError(`${what}: example ${Math.floor(k / per)} has label ${v}; with --loss xent a label is a class id 0…${classes - 1} (output ${showShape(model.outputs[0]!)} has ${classes} classes)`);
    }
  };
  inputArrays.forEach((a, i) => a && check(a, named(i, false)));
  targetArrays.forEach((a, j) => check(a!, named(j, true), loss === 'xent' ? model.outputs[j]!.at(-1) : undefined));

  // Batches.
  const shapes = [...model.inputs, ...model.outputs.map((s) => [B, ...targetShape(s, loss!)])];
  const sources = [...inputArrays, ...targetArrays];
  const gather = (idx: ArrayLike<number>): HostTensor[] =>
    sources.map((a, k) => {
      const shape = shapes[k]!;
      const per = sizeOf(shape) / B;
      const data = o.dtype === 'float64' ? new Float64Array(sizeOf(shape)) : new Float32Array(sizeOf(shape));
      if (a) for (let b = 0; b < B; b++) data.set(a.data.subarray(idx[b]! * per, (idx[b]! + 1) * per), b * per);
      return { shape: [...shape], data };
    });
  const perms = new Map<number, Uint32Array>();
  const perm = (epoch: number): Uint32Array => {
    let p = perms.get(epoch);
    if (!p) {
      const r = rng(o.seed).fork('data').fork(epoch);
      p = Uint32Array.from({ length: N }, (_, i) => i);
      for (let i = N - 1; i > 0; i--) {
        const j = r.int(i + 1);
        [p[i], p[j]] = [p[j]!, p[i]!];
      }
      if (perms.size > 4) perms.delete(perms.keys().next().value!);
      perms.set(epoch, p);
    }
    return p;
  };
  const zeros = model.inputs.map((s, i) => (inputArrays[i] ? '' : `input ${i} ${showShape(s)} is zeros`)).filter(Boolean);
  const describe = [
    `${N} example(s) from ${file}`,
    `inputs ${inputArrays.map((a, i) => (a ? `${inputNames[i]} → ${i}` : '')).filter(Boolean).join(', ')}`,
    `targets ${targetNames.map((t, j) => `${t} → output ${j}`).join(', ')}`,
    `loss ${loss === 'xent' ? 'softmax cross-entropy' : 'mean squared error'}`,
    `batches of ${B}`,
    ...zeros,
  ].join('; ');
  return {
    file,
    loss,
    examples: N,
    batchSize: B,
    describe,
    batch: (step) => {
      const idx = new Uint32Array(B);
      for (let b = 0; b < B; b++) {
        const j = step * B + b;
        idx[b] = perm(Math.floor(j / N))[j % N]!;
      }
      return gather(idx);
    },
    passes: () => {
      const out: Array<{ feed: HostTensor[]; rows: number }> = [];
      for (let start = 0; start < N; start += B)
        out.push({ feed: gather(Uint32Array.from({ length: B }, (_, b) => (start + b) % N)), rows: Math.min(B, N - start) });
      return out;
    },
  };
};

/** Loss (and, for cross-entropy, accuracy) over whole data sets, from the model's outputs. */
export interface DataMetrics {
  readonly loss: number;
  readonly accuracy?: number;
}

/**
 * Metrics of a model over every example of a feed: `predict` maps a batch of inputs to the model's
 * outputs. Cross-entropy and squared error are computed on the host in float64 over the real rows
 * only (the last batch's padding is left out); the loss is summed over outputs, as in training.
 */
export const dataMetrics = (feed: DataFeed, nInputs: number, predict: (inputs: HostTensor[]) => HostTensor[]): DataMetrics => {
  let loss = 0;
  let right = 0;
  const B = feed.batchSize;
  const sums: number[] = [];
  const counts: number[] = [];
  for (const { feed: f, rows } of feed.passes()) {
    const outs = predict(f.slice(0, nInputs));
    outs.forEach((out, j) => {
      const target = f[nInputs + j]!;
      const per = target.data.length / B; // targets per example
      if (feed.loss === 'xent') {
        const C = out.shape[out.shape.length - 1]!;
        for (let r = 0; r < rows * per; r++) {
          let mx = -Infinity;
          let best = 0;
          for (let c = 0; c < C; c++) {
            const v = out.data[r * C + c]!;
            if (v > mx) [mx, best] = [v, c];
          }
          let s = 0;
          for (let c = 0; c < C; c++) s += Math.exp(out.data[r * C + c]! - mx);
          const label = target.data[r]!;
          sums[j] = (sums[j] ?? 0) + (Math.log(s) + mx - out.data[r * C + label]!);
          counts[j] = (counts[j] ?? 0) + 1;
          if (best === label) right++;
        }
      } else {
        for (let k = 0; k < rows * per; k++) {
          const d = out.data[k]! - target.data[k]!;
          sums[j] = (sums[j] ?? 0) + d * d;
        }
        counts[j] = (counts[j] ?? 0) + rows * per;
      }
    });
  }
  sums.forEach((s, j) => (loss += s / counts[j]!));
  const total = counts.reduce((a, b) => a + b, 0);
  return feed.loss === 'xent' ? { loss, accuracy: right / total } : { loss };
};
