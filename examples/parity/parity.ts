/**
 * Parity with DeltaNet: two otherwise identical models, β ∈ [0, 1] and β ∈ [0, 2], trained on short
 * bit strings and tested on long ones. The negative-eigenvalue model can flip its state with a
 * reflection (β = 2) on every 1 and keep it (β = 0) on every 0, so it can count mod 2 at any length.
 */
import {
  DataParallel,
  adam,
  checkOrThrow,
  initParams,
  lossAndGrad,
  lowerOrThrow,
  rng,
  type Backend,
  type HostTensor,
  type Program,
  type Rng,
} from '../../src/index';
import { deltaNetClassifierBody, deltaNetStateShape, withLoss, withoutLoss, type DeltaNetClassifierOptions } from '../../src/models/deltanet';
import { type BackendName, loadBackend, loadedBackend } from '../backend';
import { uploadAll, withScope } from '../../src/backend/transfer';

export type BetaRange = '[0,1]' | '[0,2]';
export { loadBackend, type BackendName };

export interface ParityOptions {
  readonly steps: number;
  readonly seed: number;
  readonly batch?: number;
  /** Peak learning rate of AdamW (default 1e-3). */
  readonly lr?: number;
  /** Learning-rate schedule after the warm-up: constant, or cosine decay to `lr/100` (default constant). */
  readonly schedule?: 'constant' | 'cosine';
  /** Linear warm-up steps (default 0). */
  readonly warmup?: number;
  readonly weightDecay?: number;
  readonly width?: number;
  readonly heads?: number;
  /** Hidden size of the MLP after the DeltaNet layer (0: none; default 32). */
  readonly mlp?: number;
  /** Training lengths, inclusive (default [3, 40]). */
  readonly trainLengths?: readonly [number, number];
  /** Test lengths, inclusive (default [40, 256]). */
  readonly testLengths?: readonly [number, number];
  /** Evaluation: number of distinct lengths and sequences per length (defaults 16 × 32). */
  readonly evalLengths?: number;
  readonly evalPerLength?: number;
  readonly ranges?: readonly BetaRange[];
  /** Backend to train and test on (default 'js'; 'wasm' needs `loadBackend('wasm')` first). */
  readonly backend?: BackendName;
  /**
   * Data-parallel threads per model (default 1): each batch is cut into this many shards, trained on
   * this thread and `workers − 1` worker threads (`DataParallel`, src/train/parallel.ts).
   */
  readonly workers?: number;
  /** Called after every training step. */
  onStep?(range: BetaRange, step: number, loss: number): void;
}

export interface ParityResult {
  readonly beta: BetaRange;
  readonly trainAcc: number;
  /** Accuracy on the test lengths (40–256 by default). */
  readonly testAcc: number;
  /** Test accuracy per length. */
  readonly testByLength: readonly { readonly length: number; readonly acc: number }[];
  readonly losses: number[];
  readonly seconds: number;
  /** CPU seconds of the whole process while this model trained and was tested (all threads). */
  readonly cpuSeconds: number;
}

/** A batch of `B` random bit strings of length `T` with their parities. */
export const parityBatch = (r: Rng, B: number, T: number): { ids: HostTensor; labels: HostTensor } => {
  const ids = new Float32Array(B * T);
  const labels = new Float32Array(B);
  for (let b = 0; b < B; b++) {
    let p = 0;
    for (let t = 0; t < T; t++) {
      const bit = r.int(2);
      ids[b * T + t] = bit;
      p ^= bit;
    }
    labels[b] = p;
  }
  return { ids: { shape: [B, T], data: ids }, labels: { shape: [B], data: labels } };
};

/** Evaluation lengths: `n` lengths spread evenly over [lo, hi]. */
const spread = (lo: number, hi: number, n: number): number[] =>
  [...new Set(Array.from({ length: n }, (_, i) => Math.round(lo + ((hi - lo) * i) / Math.max(1, n - 1))))];

/** Learning rate at step `i` of `steps`: linear warm-up, then constant or cosine decay to lr/100. */
export const learningRate = (o: Pick<ParityOptions, 'lr' | 'schedule' | 'warmup' | 'steps'>, i: number): number => {
  const lr = o.lr ?? 1e-3;
  const wu = Math.min(o.warmup ?? 0, o.steps);
  if (i < wu) return (lr * (i + 1)) / wu;
  if (o.schedule !== 'cosine') return lr;
  const f = (i - wu) / Math.max(1, o.steps - wu);
  return lr * (0.01 + 0.99 * 0.5 * (1 + Math.cos(Math.PI * f)));
};

const backendNamed = (name: BackendName): Backend<unknown> => loadedBackend(name, 'parity');

const modelOptions = (o: Pick<ParityOptions, 'width' | 'heads' | 'mlp'>, beta: BetaRange): DeltaNetClassifierOptions => ({
  width: o.width ?? 32,
  heads: o.heads ?? 2,
  betaRange: beta,
  vocab: 2,
  classes: 2,
  mlp: o.mlp ?? 32,
});

/**
 * Lower the parity model (loss and prediction programs) on `be`: throws a `MissingKernelError` naming
 * the first primitive `be` has no kernel for.
 */
export const checkParityModel = (be: Backend<unknown>, o: Pick<ParityOptions, 'width' | 'heads' | 'mlp'> = {}): void => {
  const opts = modelOptions(o, '[0,2]');
  const body = deltaNetClassifierBody(opts);
  for (const term of [withLoss(body), withoutLoss(body)]) lowerOrThrow(checkOrThrow(term, [[2, 3], deltaNetStateShape(2, opts), [2]]), be);
};

/** Train and test one model; deterministic for a fixed seed (and backend). */
export const trainParity = (beta: BetaRange, o: ParityOptions): ParityResult => {
  const t0 = Date.now();
  const c0 = process.cpuUsage();
  const B = o.batch ?? 64;
  const [lo, hi] = o.trainLengths ?? [3, 40];
  const [tlo, thi] = o.testLengths ?? [40, 256];
  const be = backendNamed(o.backend ?? 'js');
  const opts = modelOptions(o, beta);
  const body = deltaNetClassifierBody(opts);
  const lossTerm = withLoss(body);
  const predTerm = withoutLoss(body);
  const shapes = (b: number, T: number) => [[b, T], deltaNetStateShape(b, opts), [b]];
  const progs = new Map<string, Program<unknown>>();
  const program = (kind: 'loss' | 'pred', b: number, T: number): Program<unknown> => {
    const key = `${kind}:${b}:${T}`;
    let p = progs.get(key);
    if (!p) {
      p = lowerOrThrow(checkOrThrow(kind === 'loss' ? lossTerm : predTerm, shapes(b, T)), be);
      progs.set(key, p);
    }
    return p;
  };
  const zeros = (b: number): HostTensor => {
    const shape = deltaNetStateShape(b, opts);
    return { shape, data: new Float32Array(shape.reduce((x, y) => x * y, 1)) };
  };
  // Same seed for both ranges: identical initial parameters and batches.
  let params: Record<string, HostTensor> = initParams(program('loss', B, lo).model, o.seed, 'float32');
  const wd = o.weightDecay ?? 0.01;
  let state = adam({ lr: learningRate(o, 0), weightDecay: wd }).init(params);
  const data = rng(o.seed).fork('parity:train');
  const losses: number[] = [];
  const dp = (o.workers ?? 1) > 1 ? new DataParallel({ workers: o.workers!, term: lossTerm, backend: be }) : undefined;
  for (let i = 0; i < o.steps; i++) {
    const T = lo + data.int(hi - lo + 1);
    const { ids, labels } = parityBatch(data, B, T);
    const inputs = [ids, zeros(B), labels];
    // (lossAndGrad frees its own wasm memory)
    const { loss, grads } = dp ? dp.lossAndGrad(params, inputs) : lossAndGrad(program('loss', B, T), be, params, inputs);
    // AdamW's moments do not depend on the learning rate, so a schedule is a new lr on the same state.
    const opt = adam({ lr: learningRate(o, i), weightDecay: wd });
    [state, params] = opt.put([state, params], grads) as [typeof state, Record<string, HostTensor>];
    losses.push(loss);
    o.onStep?.(beta, i, loss);
  }
  void dp?.dispose();
  const accuracy = (lengths: number[], per: number, label: string): { length: number; acc: number }[] => {
    const r = rng(o.seed).fork(label);
    return withScope(be, () => {
      const dev = uploadAll(be, params);
      return lengths.map((T) => {
        const { ids, labels } = parityBatch(r, per, T);
        const inputs = [ids, zeros(per), labels].map((x) => be.upload(x));
        const logits = withScope(be, () => be.download(program('pred', per, T).forward(dev, inputs).outputs[0]!));
        let right = 0;
        for (let b = 0; b < per; b++) if ((logits.data[2 * b + 1]! > logits.data[2 * b]! ? 1 : 0) === labels.data[b]) right++;
        return { length: T, acc: right / per };
      });
    });
  };
  const mean = (xs: { acc: number }[]): number => xs.reduce((s, x) => s + x.acc, 0) / xs.length;
  const nEval = o.evalLengths ?? 16;
  const per = o.evalPerLength ?? 32;
  const trainAcc = mean(accuracy(spread(lo, hi, nEval), per, 'parity:eval-train'));
  const testByLength = accuracy(spread(tlo, thi, nEval), per, 'parity:eval-test');
  const c = process.cpuUsage(c0);
  return { beta, trainAcc, testAcc: mean(testByLength), testByLength, losses, seconds: (Date.now() - t0) / 1000, cpuSeconds: (c.user + c.system) / 1e6 };
};

/** Train both models (β ∈ [0, 1] and β ∈ [0, 2] unless `ranges` says otherwise). */
export const runParity = (o: ParityOptions): ParityResult[] => (o.ranges ?? (['[0,1]', '[0,2]'] as const)).map((b) => trainParity(b, o));
