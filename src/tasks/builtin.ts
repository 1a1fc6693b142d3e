/**
 * The built-in tasks: spirals, parity, modular arithmetic and att-svm. Importing this module
 * registers them.
 */
import * as E from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';
import { closed, NatInt, PosInt, PosNumber } from '../term/codec';
import { rng } from '../tensor/rng';
import { type Shape, shapeEq, sizeOf } from '../tensor/shape';
import type { DType, HostTensor } from '../tensor/tensor';
import { twoSpirals } from './spirals';
import { type TaskBatch, type TaskEnv, type TaskInstance, defineTask, hostTensor, showShapes } from './task';

const NonNeg = new t.Type<number, number, unknown>(
  'non-negative number',
  (u): u is number => typeof u === 'number' && Number.isFinite(u) && u >= 0,
  (u, c) => (typeof u === 'number' && Number.isFinite(u) && u >= 0 ? t.success(u) : t.failure(u, c, `expected non-negative number, got ${JSON.stringify(u)}`)),
  (a) => a,
);
const Fraction = new t.Type<number, number, unknown>(
  'fraction in (0, 1)',
  (u): u is number => typeof u === 'number' && u > 0 && u < 1,
  (u, c) => (typeof u === 'number' && u > 0 && u < 1 ? t.success(u) : t.failure(u, c, `expected fraction in (0, 1), got ${JSON.stringify(u)}`)),
  (a) => a,
);

const classesOf = (env: TaskEnv): number => env.output[env.output.length - 1] ?? 0;
const labelShape = (env: TaskEnv): Shape => env.output.slice(0, -1);

/**
 * Model inputs after the task's own data inputs (initial recurrent states, say) are zeros. Their
 * shapes come from the spec.
 */
const withZeros = (data: readonly HostTensor[], env: TaskEnv): HostTensor[] => [
  ...data,
  ...env.inputs.slice(data.length).map((s) => hostTensor(s, new Float64Array(sizeOf(s)), env.dtype)),
];
const zerosNote = (n: number, env: TaskEnv): string =>
  env.inputs.length > n ? `; input(s) ${env.inputs.slice(n).map((_, i) => n + i).join(', ')} (${showShapes(env.inputs.slice(n))}) are zeros` : '';

const needOutput = (env: TaskEnv, classes: number, want: string): string | null =>
  env.output.length < 1 || classesOf(env) !== classes ? `the model's output must be logits ${want} (${classes} classes), got ${showShapes([env.output])}` : null;

// ---------------------------------------------------------------------------------------------

/** Two interleaved spirals: input `[N, 2]` points (N even), logits `[N, 2]`. Full-batch training. */
export const spiralsTask = defineTask({
  name: 'spirals',
  doc: 'Two interleaved spirals in the plane. Input [N, 2] points (N even), output logits [N, 2]. Every step uses the same N training points; evaluation uses N fresh ones.',
  options: closed('spirals options', {}, { turns: PosNumber, noise: NonNeg }),
  prepare(o, env) {
    const x = env.inputs[0];
    if (!x || x.length !== 2 || x[1] !== 2 || x[0]! % 2 !== 0)
      return E.left(`input 0 must be points [N, 2] with N even, got ${env.inputs.length ? showShapes([env.inputs[0]!]) : 'no inputs'}`);
    const n = x[0]!;
    const e = needOutput(env, 2, `[${n}, 2]`);
    if (e || !shapeEq(labelShape(env), [n])) return E.left(e ?? `the model's output must be [${n}, 2], got ${showShapes([env.output])}`);
    const make = (seed: number): TaskBatch => {
      const s = twoSpirals(n / 2, seed, o);
      return { inputs: withZeros([hostTensor(s.x.shape, s.x.data, env.dtype)], env), labels: hostTensor(s.y.shape, s.y.data, env.dtype) };
    };
    const trainSet = make(env.seed);
    const evalSet = make(env.seed + 1_000_003);
    return E.right<string, TaskInstance>({
      describe: `two spirals, ${n} training points (full batch), ${n} held-out points${zerosNote(1, env)}`,
      batch: () => trainSet,
      evalBatch: () => evalSet,
    });
  },
});

/**
 * Parity of bit strings: input `[B, T]` bits (0/1, as ids for an embedding or as values), or
 * `[B, T, 1]`; output `[B, 2]` (parity of the whole string) or `[B, T, 2]` (running parity).
 */
export const parityTask = defineTask({
  name: 'parity',
  doc: 'Parity of random bit strings. Input [B, T] bits (ids for an embedding, or values) or [B, T, 1]; output logits [B, 2] for the parity of the whole string or [B, T, 2] for the running parity. Fresh strings every step.',
  options: closed('parity options', {}, { p: Fraction }),
  prepare(o, env) {
    const x = env.inputs[0];
    if (!x || !(x.length === 2 || (x.length === 3 && x[2] === 1)))
      return E.left(`input 0 must be bits [B, T] or [B, T, 1], got ${env.inputs.length ? showShapes([env.inputs[0]!]) : 'no inputs'}`);
    const [B, T] = [x[0]!, x[1]!];
    const running = env.output.length === 3;
    const e = needOutput(env, 2, `[${B}, 2] or [${B}, ${T}, 2]`);
    if (e) return E.left(e);
    if (!shapeEq(labelShape(env), running ? [B, T] : [B])) return E.left(`the model's output must be [${B}, 2] or [${B}, ${T}, 2], got ${showShapes([env.output])}`);
    const p1 = o.p ?? 0.5;
    const make = (r: ReturnType<typeof rng>): TaskBatch => {
      const bits = new Float64Array(B * T);
      const labels = new Float64Array(running ? B * T : B);
      for (let b = 0; b < B; b++) {
        let par = 0;
        for (let i = 0; i < T; i++) {
          const bit = r.uniform() < p1 ? 1 : 0;
          bits[b * T + i] = bit;
          par ^= bit;
          if (running) labels[b * T + i] = par;
        }
        if (!running) labels[b] = par;
      }
      return { inputs: withZeros([hostTensor(x, bits, env.dtype)], env), labels: hostTensor(labelShape(env), labels, env.dtype) };
    };
    const evalSet = make(rng(env.seed).fork('parity-eval'));
    return E.right<string, TaskInstance>({
      describe: `parity of ${T} bits (P(1) = ${p1}), ${B} fresh strings per step, ${running ? 'running parity at every position' : 'one label per string'}${zerosNote(1, env)}`,
      batch: (step) => make(rng(env.seed).fork('parity').fork(step)),
      evalBatch: () => evalSet,
    });
  },
});

const OPS = { add: (a: number, b: number, p: number) => (a + b) % p, sub: (a: number, b: number, p: number) => (a - b + p) % p, mul: (a: number, b: number, p: number) => (a * b) % p };

/**
 * Modular arithmetic `a ∘ b mod p` (grokking-style): input `[B, 2]` ids (for an embedding of
 * vocabulary p) or `[B, 2p]` one-hot; output `[B, p]`. Pairs split into train / held-out by seed.
 */
export const modularTask = defineTask({
  name: 'modular',
  doc: 'Modular arithmetic (a op b) mod p with op add | sub | mul. Input [B, 2] ids (embedding with vocab p) or [B, 2p] one-hot; output logits [B, p]. The p² pairs are split into training and held-out pairs by the seed (trainFraction, default 0.5).',
  options: closed('modular options', {}, { op: t.union([t.literal('add'), t.literal('sub'), t.literal('mul')]), trainFraction: Fraction }),
  prepare(o, env) {
    const x = env.inputs[0];
    const p = classesOf(env);
    if (env.output.length !== 2 || p < 2) return E.left(`the model's output must be logits [B, p] with p ≥ 2, got ${showShapes([env.output])}`);
    const B = env.output[0]!;
    const onehot = x !== undefined && shapeEq(x, [B, 2 * p]);
    if (!x || !(shapeEq(x, [B, 2]) || onehot)) return E.left(`input 0 must be ids [${B}, 2] or one-hot [${B}, ${2 * p}] (p = ${p} from the output), got ${x ? showShapes([x]) : 'no inputs'}`);
    const op = OPS[o.op ?? 'add'];
    const frac = o.trainFraction ?? 0.5;
    const pairs = Array.from({ length: p * p }, (_, i) => i);
    const r = rng(env.seed).fork('modular-split');
    for (let i = pairs.length - 1; i > 0; i--) {
      const j = r.int(i + 1);
      [pairs[i], pairs[j]] = [pairs[j]!, pairs[i]!];
    }
    const nTrain = Math.max(1, Math.min(pairs.length - 1, Math.round(frac * pairs.length)));
    const trainPairs = pairs.slice(0, nTrain);
    const heldOut = pairs.slice(nTrain);
    const make = (pick: (b: number) => number): TaskBatch => {
      const xs = new Float64Array(sizeOf(x));
      const ys = new Float64Array(B);
      for (let b = 0; b < B; b++) {
        const pr = pick(b);
        const a = Math.floor(pr / p);
        const c = pr % p;
        if (onehot) {
          xs[b * 2 * p + a] = 1;
          xs[b * 2 * p + p + c] = 1;
        } else {
          xs[2 * b] = a;
          xs[2 * b + 1] = c;
        }
        ys[b] = op(a, c, p);
      }
      return { inputs: withZeros([hostTensor(x, xs, env.dtype)], env), labels: hostTensor([B], ys, env.dtype) };
    };
    const evalSet = make((b) => heldOut[b % heldOut.length]!);
    return E.right<string, TaskInstance>({
      describe: `(a ${o.op ?? 'add'} b) mod ${p}, ${nTrain} training pairs, ${heldOut.length} held out, ${onehot ? 'one-hot' : 'id'} inputs, ${B} pairs per step${zerosNote(1, env)}`,
      batch: (step) => {
        const rs = rng(env.seed).fork('modular').fork(step);
        return make(() => trainPairs[rs.int(trainPairs.length)]!);
      },
      evalBatch: () => evalSet,
    });
  },
});

/**
 * The attention-SVM task: sequences of `T` Gaussian tokens in `d` dimensions, one of which (at a
 * random position) carries the label along a fixed direction μ; input `[B, T, d]`, output `[B, 2]`.
 * One-layer attention should learn to select that token (Tarzanagh et al., "Transformers as
 * support vector machines").
 */
export const attSvmTask = defineTask({
  name: 'att-svm',
  doc: 'Token selection: T Gaussian tokens in d dims per sequence, one of which (random position) is ±snr·μ + noise for a fixed unit μ; the label is its sign. Input [B, T, d], output logits [B, 2]. Fresh sequences every step.',
  options: closed('att-svm options', {}, { snr: PosNumber, noise: NonNeg, seedMu: NatInt }),
  prepare(o, env) {
    const x = env.inputs[0];
    if (!x || x.length !== 3) return E.left(`input 0 must be sequences [B, T, d], got ${x ? showShapes([x]) : 'no inputs'}`);
    const [B, T, d] = [x[0]!, x[1]!, x[2]!];
    const e = needOutput(env, 2, `[${B}, 2]`);
    if (e || !shapeEq(labelShape(env), [B])) return E.left(e ?? `the model's output must be [${B}, 2], got ${showShapes([env.output])}`);
    const snr = o.snr ?? 2;
    const noise = o.noise ?? 1;
    const rm = rng(o.seedMu ?? env.seed).fork('att-svm-mu');
    const mu = Array.from({ length: d }, () => rm.normal());
    const norm = Math.hypot(...mu) || 1;
    for (let i = 0; i < d; i++) mu[i]! /= norm;
    const make = (r: ReturnType<typeof rng>): TaskBatch => {
      const xs = new Float64Array(B * T * d);
      const ys = new Float64Array(B);
      const s = noise / Math.sqrt(d);
      for (let b = 0; b < B; b++) {
        for (let i = 0; i < T * d; i++) xs[b * T * d + i] = s * r.normal();
        const y = r.uniform() < 0.5 ? 0 : 1;
        const pos = r.int(T);
        for (let j = 0; j < d; j++) xs[(b * T + pos) * d + j]! += (y ? 1 : -1) * snr * mu[j]!;
        ys[b] = y;
      }
      return { inputs: withZeros([hostTensor(x, xs, env.dtype)], env), labels: hostTensor([B], ys, env.dtype) };
    };
    const evalSet = make(rng(env.seed).fork('att-svm-eval'));
    return E.right<string, TaskInstance>({
      describe: `token selection, ${B} sequences of ${T} tokens in ${d} dims per step, snr ${snr}, noise ${noise}${zerosNote(1, env)}`,
      batch: (step) => make(rng(env.seed).fork('att-svm').fork(step)),
      evalBatch: () => evalSet,
    });
  },
});

/** The dtype-independent label check used by the trainer: labels must be class ids in range. */
export const labelsInRange = (labels: HostTensor, classes: number): boolean =>
  Array.prototype.every.call(labels.data, (v: number) => Number.isInteger(v) && v >= 0 && v < classes) as boolean;

export type { DType };
