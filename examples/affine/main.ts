/**
 * Affine-invariant classification of 2-D point-set shapes: a plain point-set network, the same network
 * with affine augmentation, and the GL⁺(2)-equivariant network (lifting over Haar samples of GL⁺(2),
 * a group convolution with kernels in the ξ-coordinates, group pooling), at matched parameter counts.
 * Trained on mildly transformed shapes; tested on affine transforms of growing strength, far outside the
 * training range (the affNIST protocol). Also measures the equivariant lifting's Monte Carlo invariance
 * error against the number of samples K.
 *
 *   npm run example:affine -- [--json] [--svg FILE] [--seeds 5] [--steps N] [--samples K] [--backend js|wasm] [--threads N] [--help]
 */
import { writeFileSync } from 'node:fs';
import {
  type Backend, type HostTensor, adam, checkOrThrow, initParams, lowerOrThrow, rng, train, type Rng,
} from '../../src/index';
import { uploadAll, withScope } from '../../src/backend/transfer';
import { linePlot } from '../../src/render/plot';
import { type AffineNetOpts, type Mat, affineInvariantNet, haarSamples, liftingInvariant, sampleGLPlus, sampleSO, sampleTensors } from '../../src/groups/index';
import { exitOnMissingKernel, loadBackend } from '../backend';
import { CLASS_NAMES, batchOf, transformOfStrength } from './shapes';
import { equivariantInputs, matchedPlainWidth, netParams, plainNet, withLoss } from './models';
import { parse, usage } from './options';

const parsed = parse(process.argv.slice(2));
if (typeof parsed === 'string') {
  console.error(`example:affine: ${parsed}`);
  process.exit(1);
}
const o = parsed;
if (o.help) {
  console.log(usage);
  process.exit(0);
}

const TRAIN_STRENGTH = 0.25;
const STRENGTHS = [0, 0.5, 1, 1.5, 2];
const INV_KS = [8, 32, 128, 512];
const C = CLASS_NAMES.length;
const W = { maxLogStretch: o.window };
const t0 = performance.now();
const progress = (m: string) => process.stderr.write(`[${((performance.now() - t0) / 1000).toFixed(0).padStart(4)} s] ${m}\n`);

const eqOpts = (K: number): AffineNetOpts => ({ samples: K, points: o.points, batch: o.batch, dim: 2, width: 16, kernelWidth: 8, classes: C, normalise: true });
const match = matchedPlainWidth(eqOpts(o.samples));

type ModelName = 'plain' | 'augmented' | 'equivariant';
const MODELS: readonly ModelName[] = ['plain', 'augmented', 'equivariant'];

const tensor = (shape: number[], data: Float64Array): HostTensor => ({ shape, data });

/**
 * Train one model for one seed; returns its network parameters (host). The equivariant network draws a
 * fresh Haar sample set every step (seeded by the step), so that what it learns does not hinge on one
 * sample set: its expected output is invariant, and training makes it robust to the Monte Carlo noise.
 */
const fit = (be: Backend<unknown>, name: ModelName, seed: number): Record<string, HostTensor> => {
  const B = o.batch, N = o.points;
  const eq = name === 'equivariant';
  const net = eq ? affineInvariantNet(eqOpts(o.samples)) : plainNet(match.width, C);
  const shapes = eq ? [...equivariantInputs(eqOpts(o.samples), B), [B]] : [[B, N, 2], [B]];
  const model = checkOrThrow(withLoss(net), shapes);
  const program = lowerOrThrow(model, be);
  const tf = name === 'augmented' ? (r: Rng) => sampleGLPlus(2, W, r) : (r: Rng) => transformOfStrength(TRAIN_STRENGTH, r);
  const dataRng = rng(seed).fork(`train-${name}`);
  const res = train({
    program,
    backend: be,
    optimizer: adam({ lr: 3e-3 }),
    params: initParams(model, seed, 'float32'),
    steps: o.steps,
    batch: (i) => {
      const { x, y } = batchOf(B, N, dataRng.fork(i), tf);
      const xs = tensor([B, N, 2], x);
      if (!eq) return [xs, tensor([B], y)];
      const G = sampleTensors(haarSamples('GL+', 2, o.samples, W, rng(seed).fork('train-samples').fork(i)));
      return [xs, G.inverses, G.coords, tensor([B], y)];
    },
  });
  const tail = res.losses.slice(-20);
  progress(`seed ${seed} ${name}: final loss ${(tail.reduce((s, l) => s + l, 0) / tail.length).toFixed(3)}`);
  return netParams(res.params);
};

/** Logits of a trained network on a set of inputs, in batches. */
const predict = (be: Backend<unknown>, name: ModelName, params: Record<string, HostTensor>, x: Float64Array, count: number, G?: { inverses: HostTensor; coords: HostTensor; K: number }): Int32Array =>
  // On the wasm backend everything allocated here is freed when the scope ends.
  withScope(be, () => predictIn(be, name, params, x, count, G));

const predictIn = (be: Backend<unknown>, name: ModelName, params: Record<string, HostTensor>, x: Float64Array, count: number, G?: { inverses: HostTensor; coords: HostTensor; K: number }): Int32Array => {
  const EB = 100, N = o.points;
  const net = name === 'equivariant' ? affineInvariantNet(eqOpts(G!.K)) : plainNet(match.width, C);
  const model = checkOrThrow(net, name === 'equivariant' ? equivariantInputs(eqOpts(G!.K), EB) : [[EB, N, 2]]);
  const prog = lowerOrThrow(model, be);
  const dev = uploadAll(be, params);
  const out = new Int32Array(count);
  for (let s = 0; s < count; s += EB) {
    const xb = new Float64Array(EB * N * 2);
    xb.set(x.subarray(s * N * 2, Math.min(count, s + EB) * N * 2));
    const feed = name === 'equivariant' ? [tensor([EB, N, 2], xb), G!.inverses, G!.coords] : [tensor([EB, N, 2], xb)];
    const logits = be.download(prog.forward(dev, feed.map((t) => be.upload(t))).outputs[0]!).data;
    for (let b = 0; b < EB && s + b < count; b++) {
      let best = 0;
      for (let c = 1; c < C; c++) if (logits[b * C + c]! > logits[b * C + best]!) best = c;
      out[s + b] = best;
    }
  }
  return out;
};

const rmsDiff = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i]! - b[i]!) ** 2;
  return Math.sqrt(s / a.length);
};
const rms = (a: ArrayLike<number>): number => rmsDiff(a, new Float64Array(a.length));

/**
 * Invariance error of the trained lifting + group pooling against K: relative RMS change of the pooled
 * features between X and h·X (re-normalised), for h Haar on SO(2) (pure Monte Carlo error) and for h an
 * affine transform of strength 2 (also the window's boundary effect).
 */
const invariance = (be: Backend<unknown>, params: Record<string, HostTensor>, seed: number): Record<'rotation' | 'affine', number[]> => {
  const sets = 64, N = o.points;
  const lift = Object.fromEntries(Object.entries(params).filter(([k]) => k.startsWith('0.lift.')).map(([k, v]) => [k.slice(2), v]));
  const r = rng(seed).fork('invariance');
  const base = batchOf(sets, N, r.fork('x'), () => Float64Array.from([1, 0, 0, 1]));
  const moved = (h: (r: Rng) => Mat, label: string) => {
    const hr = r.fork(label);
    const x = new Float64Array(base.x.length);
    for (let b = 0; b < sets; b++) {
      const a = h(hr.fork(b));
      const xs = base.x.subarray(b * N * 2, (b + 1) * N * 2);
      const t = new Float64Array(N * 2);
      for (let i = 0; i < N; i++) [t[2 * i], t[2 * i + 1]] = [a[0]! * xs[2 * i]! + a[1]! * xs[2 * i + 1]!, a[2]! * xs[2 * i]! + a[3]! * xs[2 * i + 1]!];
      // re-centre and re-scale as the data pipeline does: a further similarity transform
      let s = 0;
      for (let i = 0; i < 2 * N; i++) s += t[i]! ** 2 / N;
      for (let i = 0; i < 2 * N; i++) t[i]! /= Math.sqrt(s);
      x.set(t, b * N * 2);
    }
    return x;
  };
  const xr = moved((q) => sampleSO(2, q), 'rot');
  const xa = moved((q) => transformOfStrength(2, q), 'aff');
  const out = { rotation: [] as number[], affine: [] as number[] };
  for (const K of INV_KS) {
    const model = checkOrThrow(liftingInvariant(eqOpts(K)), [[sets, N, 2], [K, 2, 2]]);
    const prog = lowerOrThrow(model, be);
    const G = sampleTensors(haarSamples('GL+', 2, K, W, r.fork(`G${K}`)));
    const run = (x: Float64Array) =>
      withScope(be, () => be.download(prog.forward(uploadAll(be, lift), [be.upload(tensor([sets, N, 2], x)), be.upload(G.inverses)]).outputs[0]!).data);
    const f0 = run(base.x);
    out.rotation.push(rmsDiff(run(xr), f0) / rms(f0));
    out.affine.push(rmsDiff(run(xa), f0) / rms(f0));
  }
  return out;
};

const backend = await loadBackend(o.backend, o.threads);
progress(`matched parameters: plain width ${match.width} → ${match.plain} parameters, equivariant (K=${o.samples}) ${match.equivariant}`);
const acc: Record<ModelName, number[][]> = { plain: [], augmented: [], equivariant: [] };
const accTestK: number[][] = [];
const inv: { rotation: number[][]; affine: number[][] } = { rotation: [], affine: [] };
await exitOnMissingKernel('example:affine', o.backend, () => {
  for (let seed = 0; seed < o.seeds; seed++) {
    const G = sampleTensors(haarSamples('GL+', 2, o.samples, W, rng(seed).fork('samples')));
    const Gt = { ...sampleTensors(haarSamples('GL+', 2, o.testSamples, W, rng(seed).fork('test-samples'))), K: o.testSamples };
    const params = Object.fromEntries(MODELS.map((m) => [m, fit(backend, m, seed)])) as Record<ModelName, Record<string, HostTensor>>;
    const accs: Record<ModelName, number[]> = { plain: [], augmented: [], equivariant: [] };
    const testK: number[] = [];
    for (const t of STRENGTHS) {
      const { x, y } = batchOf(o.testSize, o.points, rng(seed).fork(`test-${t}`), (r) => transformOfStrength(t, r));
      const score = (pred: Int32Array) => pred.reduce((s, p, i) => s + (p === y[i] ? 1 : 0), 0) / o.testSize;
      for (const m of MODELS) accs[m].push(score(predict(backend, m, params[m], x, o.testSize, m === 'equivariant' ? { ...G, K: o.samples } : undefined)));
      testK.push(score(predict(backend, 'equivariant', params.equivariant, x, o.testSize, Gt)));
    }
    for (const m of MODELS) acc[m].push(accs[m]);
    accTestK.push(testK);
    const e = invariance(backend, params.equivariant, seed);
    inv.rotation.push(e.rotation);
    inv.affine.push(e.affine);
    progress(`seed ${seed}: accuracy at strength ${STRENGTHS.join('/')}: ${MODELS.map((m) => `${m} ${accs[m].map((a) => (100 * a).toFixed(0)).join('/')}`).join(', ')}; equivariant K=${o.testSamples} ${testK.map((a) => (100 * a).toFixed(0)).join('/')}`);
  }
});

const meanStd = (rows: number[][]) =>
  rows[0]!.map((_, j) => {
    const v = rows.map((r) => r[j]!);
    const m = v.reduce((s, x) => s + x, 0) / v.length;
    const sd = Math.sqrt(v.reduce((s, x) => s + (x - m) ** 2, 0) / Math.max(1, v.length - 1));
    return { mean: m, std: sd };
  });
const seconds = (performance.now() - t0) / 1000;
const summary = {
  models: Object.fromEntries(
    MODELS.map((m) => [m, { parameters: m === 'equivariant' ? match.equivariant : match.plain, strengths: STRENGTHS, accuracy: meanStd(acc[m]) }]),
  ) as Record<ModelName, unknown>,
  equivariantTestSamples: { samples: o.testSamples, accuracy: meanStd(accTestK) },
  invarianceError: { samples: INV_KS, rotation: meanStd(inv.rotation), affineStrength2: meanStd(inv.affine) },
  setup: {
    seeds: o.seeds, steps: o.steps, trainSamples: o.samples, points: o.points, batch: o.batch, testSize: o.testSize, window: o.window,
    trainStrength: TRAIN_STRENGTH, classes: CLASS_NAMES, backend: backend.name, seconds,
  },
};
if (o.svg)
  writeFileSync(
    o.svg,
    linePlot(
      [
        ...MODELS.map((m) => ({ label: m, points: STRENGTHS.map((t, j) => [t, 100 * meanStd(acc[m])[j]!.mean] as const), markers: true })),
        { label: `equivariant, K=${o.testSamples} at test`, points: STRENGTHS.map((t, j) => [t, 100 * meanStd(accTestK)[j]!.mean] as const), markers: true },
      ],
      { title: `Affine-transformed shapes: test accuracy (mean of ${o.seeds} seeds; trained at strength ${TRAIN_STRENGTH})`, xLabel: 'transform strength', yLabel: 'accuracy (%)' },
    ),
  );
if (o.json) console.log(JSON.stringify(summary));
else {
  const pct = (x: { mean: number; std: number }) => `${(100 * x.mean).toFixed(1)} ± ${(100 * x.std).toFixed(1)}`.padStart(13);
  console.log(`affine point-set classification, ${C} classes, ${o.seeds} seeds, ${backend.name} backend, ${seconds.toFixed(0)} s`);
  console.log(`parameters: plain/augmented ${match.plain}, equivariant ${match.equivariant}\n`);
  console.log(`accuracy (%) against transform strength (train: ${TRAIN_STRENGTH})`);
  console.log(`${'model'.padEnd(22)}${STRENGTHS.map((t) => String(t).padStart(13)).join('')}`);
  for (const m of MODELS) console.log(`${m.padEnd(22)}${meanStd(acc[m]).map(pct).join('')}`);
  console.log(`${`equivariant K=${o.testSamples}`.padEnd(22)}${meanStd(accTestK).map(pct).join('')}`);
  console.log(`\ninvariance error of lifting + group pooling (relative RMS), against K`);
  console.log(`${'K'.padEnd(22)}${INV_KS.map((k) => String(k).padStart(18)).join('')}`);
  const e = (x: { mean: number; std: number }) => `${x.mean.toFixed(4)} ± ${x.std.toFixed(4)}`.padStart(18);
  console.log(`${'rotations'.padEnd(22)}${meanStd(inv.rotation).map(e).join('')}`);
  console.log(`${'affine, strength 2'.padEnd(22)}${meanStd(inv.affine).map(e).join('')}`);
  if (o.svg) console.log(`\nwrote ${o.svg}`);
}
