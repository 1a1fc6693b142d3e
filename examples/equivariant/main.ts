/**
 * A small rotation-invariant model trained with the Gaunt tensor product.
 *
 * Task: for random anisotropic point clouds (12 points), predict the shape anisotropy
 * Tr(S²)/Tr(S)² of the second-moment matrix S = (1/n) Σ p pᵀ, a rotation-invariant number in [1/3, 1].
 * Model: points → per-channel SH embedding x_c = (1/n) Σᵢ φ_c(|pᵢ|) Y(p̂ᵢ) (Gaussian radial
 * channels, degrees ≤ L), then h = Gaunt(x, x) (degrees ≤ L), s = Gaunt(h, x) (degree 0 only: an
 * invariant per channel), then an MLP on the C invariants. Every step before the MLP is equivariant,
 * so the prediction must not change when the cloud is rotated; the example measures how much it
 * does (float32), and how far layer 1 is from rotating its features by D(R).
 *
 *   npx tsx examples/equivariant/main.ts [--steps N] [--seed S] [--backend js|wasm] [--json]
 */
import '../../backends/js/kernels/tensor-product';
import {
  adam, checkOrThrow, copy, id, initParams, lowerOrThrow, par, prim, rng, seq, train, type HostTensor, type Rng,
} from '../../src/index';
import { applyWignerD, randomRotation, realSH, rotate3, shDim, wignerD, type Rotation } from '../../src/equivariant/index';
import { choiceOption, flag, intOption } from '../args';
import { exitOnMissingKernel, loadBackend } from '../backend';

const opt = intOption;
const json = flag('json');
const steps = opt('steps', 300);
const seed = opt('seed', 0);

const L = 3; // SH degree of the features
const C = 6; // radial channels
const P = 12; // points per cloud
const B = 32; // clouds per batch
const centres = Array.from({ length: C }, (_, c) => 0.4 + (2.4 * c) / (C - 1));

/** A random anisotropic Gaussian cloud: P points, scales in [0.2, 1.5] along random axes. */
const cloud = (r: Rng): Float64Array => {
  const R = randomRotation(r);
  const s = [0, 1, 2].map(() => 0.2 + 1.3 * r.uniform());
  const pts = new Float64Array(3 * P);
  for (let i = 0; i < P; i++) {
    const [x, y, z] = rotate3(R, s[0]! * r.normal(), s[1]! * r.normal(), s[2]! * r.normal());
    pts.set([x, y, z], 3 * i);
  }
  return pts;
};

/** Tr(S²)/Tr(S)², S the second-moment matrix: rotation invariant. */
const anisotropy = (pts: Float64Array): number => {
  const S = new Float64Array(9);
  for (let i = 0; i < P; i++) for (let a = 0; a < 3; a++) for (let b = 0; b < 3; b++) S[3 * a + b] += pts[3 * i + a]! * pts[3 * i + b]!;
  const tr = S[0]! + S[4]! + S[8]!;
  let tr2 = 0;
  for (let k = 0; k < 9; k++) tr2 += S[k]! * S[k]!;
  return tr2 / (tr * tr);
};

/** Equivariant embedding [C, (L+1)²] of one cloud, written at `out[o …]`. */
const embed = (pts: Float64Array, out: Float32Array | Float64Array, o: number): void => {
  const y = new Float64Array(shDim(L));
  for (let i = 0; i < P; i++) {
    const [px, py, pz] = [pts[3 * i]!, pts[3 * i + 1]!, pts[3 * i + 2]!];
    const r = Math.hypot(px, py, pz);
    realSH(L, px / r, py / r, pz / r, y);
    for (let c = 0; c < C; c++) {
      const w = Math.exp(-((r - centres[c]!) ** 2) / (2 * 0.35 ** 2)) / Math.sqrt(P);
      for (let k = 0; k < y.length; k++) out[o + c * shDim(L) + k] += w * y[k]!;
    }
  }
};

const batchOf = (clouds: Float64Array[]): HostTensor => {
  const x = new Float32Array(B * C * shDim(L));
  clouds.forEach((p, b) => embed(p, x, b * C * shDim(L)));
  return { shape: [B, C, shDim(L)], data: x };
};

const n = shDim(L);
const layer1 = prim('gaunt_tensor_product', { l1: L, l2: L, lout: L });
const model = seq(
  copy(3),
  par(layer1, id(1)),
  prim('gaunt_tensor_product', { l1: L, l2: L, lout: 0 }),
  prim('reshape', { shape: [B, C] }),
  prim('linear', { out: 32 }),
  prim('silu'),
  prim('linear', { out: 1 }),
);
const lossTerm = seq(par(model, id(1)), prim('mse'));
const backendName = choiceOption('backend', ['js', 'wasm'] as const, 'js');
const be = await loadBackend(backendName);
const lossModel = checkOrThrow(lossTerm, [[B, C, n], [B, 1]]);
const lossProg = await exitOnMissingKernel('equivariant', backendName, () => lowerOrThrow(lossModel, be));

const data = (label: string | number) => {
  const r = rng(seed).fork(label);
  const clouds = Array.from({ length: B }, () => cloud(r));
  return { clouds, x: batchOf(clouds), y: { shape: [B, 1], data: Float32Array.from(clouds, anisotropy) } as HostTensor };
};

const t0 = Date.now();
const result = train({
  program: lossProg,
  backend: be,
  optimizer: adam({ lr: 1e-2 }),
  params: initParams(lossModel, seed),
  steps,
  batch: (i) => {
    const d = data(`train${i}`);
    return [d.x, d.y];
  },
  onStep: (i, loss) => {
    if (!json && (i % 50 === 0 || i === steps - 1)) process.stderr.write(`step ${String(i).padStart(4)}  mse ${loss.toExponential(3)}\n`);
  },
});
const trainSeconds = (Date.now() - t0) / 1000;

// The prediction program shares the loss program's parameters (same paths under node 0).
const predModel = checkOrThrow(model, [[B, C, n]]);
const predProg = lowerOrThrow(predModel, be);
const predParams = Object.fromEntries(
  Object.entries(result.params).filter(([k]) => k.startsWith('0.0.')).map(([k, v]) => [k.slice('0.0.'.length), be.upload(v)]),
);
const predict = (x: HostTensor): Float32Array => be.download(predProg.forward(predParams, [be.upload(x)]).outputs[0]!).data as Float32Array;

// Held-out error against the variance of the target (what predicting the mean would score).
let mse = 0, mean = 0, sq = 0, count = 0;
const testBatches = 4;
for (let t = 0; t < testBatches; t++) {
  const d = data(`test${t}`);
  const p = predict(d.x);
  for (let b = 0; b < B; b++) {
    const y = d.y.data[b]!;
    mse += (p[b]! - y) ** 2;
    mean += y;
    sq += y * y;
    count++;
  }
}
mse /= count;
mean /= count;
const variance = sq / count - mean * mean;

// Invariance of the prediction and equivariance of layer 1 under random rotations (float32).
const l1Model = checkOrThrow(seq(copy(2), layer1), [[B, C, n]]);
const l1Prog = lowerOrThrow(l1Model, be);
const l1Params = { '1.w1': predParams['1.0.w1']!, '1.w2': predParams['1.0.w2']!, '1.w3': predParams['1.0.w3']! };
const layerOne = (x: HostTensor) => be.download(l1Prog.forward(l1Params, [be.upload(x)]).outputs[0]!).data;
let invAbs = 0, invScale = 0, eqAbs = 0, eqScale = 0;
for (let t = 0; t < 4; t++) {
  const d = data(`rot${t}`);
  const Rs: Rotation[] = d.clouds.map((_, b) => randomRotation(rng(seed).fork(`R${t}:${b}`)));
  const rotated = d.clouds.map((p, b) => {
    const q = new Float64Array(p.length);
    for (let i = 0; i < P; i++) q.set(rotate3(Rs[b]!, p[3 * i]!, p[3 * i + 1]!, p[3 * i + 2]!), 3 * i);
    return q;
  });
  const xr = batchOf(rotated);
  const p0 = predict(d.x), p1 = predict(xr);
  for (let b = 0; b < B; b++) {
    invAbs = Math.max(invAbs, Math.abs(p1[b]! - p0[b]!));
    invScale = Math.max(invScale, Math.abs(p0[b]!));
  }
  const h0 = layerOne(d.x), h1 = layerOne(xr);
  for (let b = 0; b < B; b++) {
    const Dh = applyWignerD(wignerD(L, Rs[b]!), L, h0.subarray(b * C * n, (b + 1) * C * n), C);
    for (let k = 0; k < C * n; k++) {
      eqAbs = Math.max(eqAbs, Math.abs(h1[b * C * n + k]! - Dh[k]!));
      eqScale = Math.max(eqScale, Math.abs(Dh[k]!));
    }
  }
}

const report = {
  example: 'equivariant',
  task: 'predict Tr(S²)/Tr(S)² of random anisotropic 12-point clouds (rotation invariant)',
  model: `SH embedding (L=${L}, C=${C} radial channels) → gaunt_tensor_product(x, x; L→${L}) → gaunt_tensor_product(h, x; →0) → MLP`,
  backend: be.name,
  seed,
  steps,
  batch: B,
  trainSeconds,
  firstLoss: result.losses[0],
  lastLoss: result.losses[result.losses.length - 1],
  testMse: mse,
  targetVariance: variance,
  testMseOverVariance: mse / variance,
  invarianceMaxAbsError: invAbs,
  invarianceMaxRelError: invAbs / invScale,
  layer1EquivarianceMaxAbsError: eqAbs,
  layer1EquivarianceMaxRelError: eqAbs / eqScale,
  largestEquivarianceError: Math.max(invAbs / invScale, eqAbs / eqScale),
  float32Epsilon: 2 ** -23,
};
if (json) console.log(JSON.stringify(report));
else {
  console.log(`test MSE ${mse.toExponential(3)} vs target variance ${variance.toExponential(3)} (ratio ${(mse / variance).toFixed(3)})`);
  console.log(`rotating the clouds changes the prediction by at most ${invAbs.toExponential(2)} (relative ${(invAbs / invScale).toExponential(2)})`);
  console.log(`layer 1: |h(Rx) − D(R)h(x)| ≤ ${eqAbs.toExponential(2)} (relative ${(eqAbs / eqScale).toExponential(2)}); float32 ε = ${(2 ** -23).toExponential(2)}`);
}
