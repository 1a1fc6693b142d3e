/**
 * Parity with DeltaNet: two otherwise identical models, β ∈ [0, 1] and β ∈ [0, 2], trained on short
 * bit strings and tested on long ones. The negative-eigenvalue model can flip its state with a
 * reflection (β = 2) on every 1 and keep it (β = 0) on every 0, so it can count mod 2 at any length.
 */
import '../../backends/js/kernels/delta';
import { checkOrThrow, initParams, jsBackend, lossAndGrad, lowerOrThrow, adam, rng, type HostTensor, type Program, type Rng } from '../../src/index';
import { deltaNetClassifierBody, deltaNetStateShape, withLoss, withoutLoss, type DeltaNetClassifierOptions } from '../../src/models/deltanet';

export type BetaRange = '[0,1]' | '[0,2]';

export interface ParityOptions {
  readonly steps: number;
  readonly seed: number;
  readonly batch?: number;
  readonly lr?: number;
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
  /** Called after every training step. */
  onStep?(range: BetaRange, step: number, loss: number): void;
}

export interface ParityResult {
  readonly beta: BetaRange;
  readonly trainAcc: number;
  readonly testAcc: number;
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

/** Train and test one model; deterministic for a fixed seed. */
export const trainParity = (beta: BetaRange, o: ParityOptions): ParityResult => {
  const t0 = Date.now();
  const c0 = process.cpuUsage();
  const B = o.batch ?? 64;
  const [lo, hi] = o.trainLengths ?? [3, 40];
  const [tlo, thi] = o.testLengths ?? [40, 256];
  const be = jsBackend('float32');
  const opts: DeltaNetClassifierOptions = { width: o.width ?? 32, heads: o.heads ?? 2, betaRange: beta, vocab: 2, classes: 2, mlp: o.mlp ?? 32 };
  const body = deltaNetClassifierBody(opts);
  const lossTerm = withLoss(body);
  const predTerm = withoutLoss(body);
  const shapes = (b: number, T: number) => [[b, T], deltaNetStateShape(b, opts), [b]];
  const progs = new Map<string, Program<HostTensor>>();
  const program = (kind: 'loss' | 'pred', b: number, T: number): Program<HostTensor> => {
    const key = `${kind}:${b}:${T}`;
    let p = progs.get(key);
    if (!p) {
      p = lowerOrThrow(checkOrThrow(kind === 'loss' ? lossTerm : predTerm, shapes(b, T)), be);
      progs.set(key, p);
    }
    return p;
  };
  const zeros = (b: number): HostTensor => be.zeros(deltaNetStateShape(b, opts));
  // Same seed for both ranges: identical initial parameters and batches.
  let params: Record<string, HostTensor> = initParams(program('loss', B, lo).model, o.seed, 'float32');
  const opt = adam({ lr: o.lr ?? 1e-3, weightDecay: o.weightDecay ?? 0.01 });
  let state = opt.init(params);
  const data = rng(o.seed).fork('parity:train');
  const losses: number[] = [];
  for (let i = 0; i < o.steps; i++) {
    const T = lo + data.int(hi - lo + 1);
    const { ids, labels } = parityBatch(data, B, T);
    const { loss, grads } = lossAndGrad(program('loss', B, T), be, params, [ids, zeros(B), labels]);
    [state, params] = opt.put([state, params], grads) as [typeof state, Record<string, HostTensor>];
    losses.push(loss);
    o.onStep?.(beta, i, loss);
  }
  const accuracy = (lengths: number[], per: number, label: string): number => {
    const r = rng(o.seed).fork(label);
    let right = 0;
    let total = 0;
    const dev = Object.fromEntries(Object.entries(params).map(([k, v]) => [k, be.upload(v)]));
    for (const T of lengths) {
      const { ids, labels } = parityBatch(r, per, T);
      const [logits] = program('pred', per, T).forward(dev, [ids, zeros(per), labels]).outputs;
      for (let b = 0; b < per; b++) {
        const guess = logits!.data[2 * b + 1]! > logits!.data[2 * b]! ? 1 : 0;
        if (guess === labels.data[b]) right++;
        total++;
      }
    }
    return right / total;
  };
  const nEval = o.evalLengths ?? 16;
  const per = o.evalPerLength ?? 32;
  const trainAcc = accuracy(spread(lo, hi, nEval), per, 'parity:eval-train');
  const testAcc = accuracy(spread(tlo, thi, nEval), per, 'parity:eval-test');
  const c = process.cpuUsage(c0);
  return { beta, trainAcc, testAcc, losses, seconds: (Date.now() - t0) / 1000, cpuSeconds: (c.user + c.system) / 1e6 };
};

/** Train both models (β ∈ [0, 1] and β ∈ [0, 2] unless `ranges` says otherwise). */
export const runParity = (o: ParityOptions): ParityResult[] => (o.ranges ?? (['[0,1]', '[0,2]'] as const)).map((b) => trainParity(b, o));
