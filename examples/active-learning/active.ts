/**
 * Pool-based active learning on the imbalanced-cluster task (./task.ts): start from a few random
 * labels, then add labels in rounds chosen by a strategy, retraining the classifier from the same
 * initialisation each round, and record the test accuracy against the number of labels.
 *
 * Strategies: `random`; `entropy` (largest predictive entropy of the classifier); `coreset`
 * (k-centre greedy on the classifier's penultimate features); `kecor` (the greedy kernel coding rate
 * of the empirical NTK of a proxy network, Linear–SiLU–Linear–SiLU–Linear on those features, trained
 * briefly with squared error to the one-hot labels as in the authors' code, plus the classifier's
 * entropy on the diagonal).
 */
import {
  type Backend, type HostTensor, type Term, adam, checkOrThrow, coresetSelect, entropySelect, id, initParams, kecorSelect, lowerOrThrow, named, ntkOrThrow,
  par, predictiveEntropy, prim, randomSelect, seq, train, uploadAll, withScope,
} from '../../src/index';
import { type ClusterTaskOptions, clusterTask } from './task';

export const strategies = ['random', 'entropy', 'coreset', 'kecor'] as const;
export type Strategy = (typeof strategies)[number];

/** Settings of one active-learning run (one seed). */
export interface ActiveOptions {
  readonly seed: number;
  readonly strategies: readonly Strategy[];
  /** Rounds of selection after the seed set. */
  readonly rounds: number;
  /** Labels added per round. */
  readonly perRound: number;
  /** Random labels to start from (the same for every strategy). */
  readonly seedLabels: number;
  /** Adam steps to train the classifier each round. */
  readonly steps: number;
  readonly backend: Backend<unknown>;
  readonly task?: ClusterTaskOptions;
  /** Hidden width of the classifier (two tanh layers). */
  readonly hidden?: number;
  /** KECOR's proxy network: hidden width, Adam steps and learning rate (default 32, 10, 0.02). */
  readonly proxy?: { readonly width?: number; readonly steps?: number; readonly lr?: number };
  readonly onProgress?: (message: string) => void;
}

/** What one seed gives: accuracy per strategy after each round, and where the time went. */
export interface SeedRun {
  readonly labels: number[];
  readonly accuracy: Record<string, number[]>;
  /** Seconds training the classifier, by strategy (summed over rounds). */
  readonly trainSeconds: Record<string, number>;
  /** Seconds choosing labels, by strategy (summed over rounds). */
  readonly selectSeconds: Record<string, number>;
  /** KECOR's selection time split into proxy training, NTK, and the greedy search. */
  readonly kecorSeconds: { readonly proxy: number; readonly ntk: number; readonly greedy: number };
}

const now = () => performance.now() / 1000;
const rowsOf = (t: HostTensor, rows: readonly number[]): HostTensor => {
  const per = t.data.length / t.shape[0]!;
  const data = new Float64Array(rows.length * per);
  rows.forEach((r, i) => data.set(t.data.subarray(r * per, (r + 1) * per), i * per));
  return { shape: [rows.length, ...t.shape.slice(1)], data };
};
const oneHot = (y: HostTensor, classes: number): HostTensor => {
  const data = new Float64Array(y.data.length * classes);
  y.data.forEach((c, i) => (data[i * classes + c] = 1));
  return { shape: [y.data.length, classes], data };
};
/** Parameters of a loss model `seq(par(net, id), loss)` as the bare net's (paths under `0.0.`). */
const netParams = (p: Record<string, HostTensor>): Record<string, HostTensor> =>
  Object.fromEntries(Object.entries(p).flatMap(([k, v]) => (k.startsWith('0.0.') ? [[k.slice(4), v]] : [])));

/** Train `net` with `loss` on (x, target) from a seeded initialisation; the net's parameters. */
const fit = (be: Backend<unknown>, net: Term, loss: string, x: HostTensor, target: HostTensor, steps: number, lr: number, seed: number) => {
  const model = checkOrThrow(seq(par(net, id(1)), prim(loss)), [x.shape, target.shape]);
  const { params } = train({ program: lowerOrThrow(model, be), backend: be, optimizer: adam({ lr }), params: initParams(model, seed), steps, batch: () => [x, target] });
  return netParams(params);
};

/** Run `net` forward on `x` (host in, host out). */
const apply = (be: Backend<unknown>, net: Term, params: Record<string, HostTensor>, x: HostTensor): HostTensor =>
  withScope(be, () => {
    const model = checkOrThrow(net, [x.shape]);
    const p = Object.fromEntries([...model.params.keys()].map((k) => [k, params[k]!]));
    return be.download(lowerOrThrow(model, be).forward(uploadAll(be, p), [be.upload(x)]).outputs[0]!);
  });

/** One seed of the experiment: every strategy from the same task, seed set and initialisation. */
export const runSeed = (o: ActiveOptions): SeedRun => {
  const be = o.backend;
  const task = clusterTask(o.seed, o.task);
  const { classes } = task;
  const H = o.hidden ?? 32;
  const body = seq(prim('linear', { out: H }), prim('tanh'), prim('linear', { out: H }), prim('tanh'));
  const classifier = seq(named('body', body), named('head', prim('linear', { out: classes })));
  const features = seq(named('body', body), id(1));
  const pw = o.proxy?.width ?? 32;
  const proxy = seq(prim('linear', { out: pw }), prim('silu'), prim('linear', { out: pw }), prim('silu'), prim('linear', { out: classes }));
  const n = task.pool.x.shape[0]!;
  const seedSet = randomSelect([...Array(n).keys()], o.seedLabels, o.seed * 7919 + 1);
  const labels: number[] = [];
  const accuracy: Record<string, number[]> = {};
  const trainSeconds: Record<string, number> = {};
  const selectSeconds: Record<string, number> = {};
  const kecorSeconds = { proxy: 0, ntk: 0, greedy: 0 };
  for (const s of o.strategies) {
    const labelled = [...seedSet];
    accuracy[s] = [];
    trainSeconds[s] = 0;
    selectSeconds[s] = 0;
    for (let round = 0; round <= o.rounds; round++) {
      if (s === o.strategies[0]) labels.push(labelled.length);
      let t0 = now();
      const params = fit(be, classifier, 'softmax_xent', rowsOf(task.pool.x, labelled), rowsOf(task.pool.y, labelled), o.steps, 0.01, o.seed);
      trainSeconds[s] += now() - t0;
      const logits = apply(be, classifier, params, task.test.x);
      let right = 0;
      for (let i = 0; i < task.test.y.data.length; i++) {
        let best = 0;
        for (let c = 1; c < classes; c++) if (logits.data[i * classes + c]! > logits.data[i * classes + best]!) best = c;
        if (best === task.test.y.data[i]) right++;
      }
      accuracy[s]!.push(right / task.test.y.data.length);
      o.onProgress?.(`seed ${o.seed} ${s}: ${labelled.length} labels, test accuracy ${(accuracy[s]!.at(-1)! * 100).toFixed(1)}%`);
      if (round === o.rounds) break;
      t0 = now();
      const taken = new Set(labelled);
      const candidates = [...Array(n).keys()].filter((i) => !taken.has(i));
      let picked: number[];
      if (s === 'random') picked = randomSelect(candidates, o.perRound, o.seed * 7919 + 100 + round);
      else if (s === 'entropy') picked = entropySelect(predictiveEntropy(apply(be, classifier, params, task.pool.x)), candidates, o.perRound);
      else if (s === 'coreset') {
        const emb = apply(be, features, params, task.pool.x);
        picked = coresetSelect(emb.data, H, labelled, candidates, o.perRound);
      } else {
        const emb = apply(be, features, params, task.pool.x);
        const entropy = predictiveEntropy(apply(be, classifier, params, task.pool.x));
        let t1 = now();
        const lab = rowsOf(emb, labelled);
        const pp = fit(be, proxy, 'mse', lab, oneHot(rowsOf(task.pool.y, labelled), classes), o.proxy?.steps ?? 10, o.proxy?.lr ?? 0.02, o.seed * 7919 + 200 + round);
        kecorSeconds.proxy += now() - t1;
        t1 = now();
        const prog = lowerOrThrow(checkOrThrow(proxy, [emb.shape]), be);
        const K = ntkOrThrow(prog, pp, [emb], { backend: be });
        kecorSeconds.ntk += now() - t1;
        t1 = now();
        picked = kecorSelect(K, { k: o.perRound, labelled, candidates, entropy }).selected;
        kecorSeconds.greedy += now() - t1;
      }
      selectSeconds[s] += now() - t0;
      labelled.push(...picked);
    }
  }
  return { labels, accuracy, trainSeconds, selectSeconds, kecorSeconds };
};

/** Mean and (population) standard deviation over seeds, per point of the curve. */
export const summarise = (runs: readonly SeedRun[], s: string) => {
  const curves = runs.map((r) => r.accuracy[s]!);
  const mean = curves[0]!.map((_, i) => curves.reduce((t, c) => t + c[i]!, 0) / curves.length);
  const std = mean.map((m, i) => Math.sqrt(curves.reduce((t, c) => t + (c[i]! - m) ** 2, 0) / curves.length));
  return { labels: runs[0]!.labels, mean, std };
};
