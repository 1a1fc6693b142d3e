import type { Backend } from '../src/backend/backend';
import { lowerOrThrow } from '../src/lower/program';
import type { TypedModel } from '../src/term/check';
import { prim } from '../src/term/term';
import { rng, randn } from '../src/tensor/rng';
import type { HostTensor } from '../src/tensor/tensor';
import { uploadAll } from '../src/backend/transfer';
import { type Mat, affineInvariantNet, dimOf, mul, sampleInverses, sampleTensors, apply } from '../src/groups/index';
import type { ConformanceCase } from './conformance';

/**
 * Laws of the group-equivariant layers: conformance cases for their primitives, exact invariance
 * under a joint transformation of the input and the sample set, and the Monte Carlo invariance
 * error of a fixed sample set.
 */

const both = [{ '': 'input' }, { '': 'points' }];

/** A small invariant network (GL⁺(2), K = 3 samples) as a conformance case. */
// GELU and mean pooling: with ReLU a row of zeros meets a zero-initialised bias exactly at the kink,
// where finite differences disagree with any subgradient.
const netOpts = { samples: 3, points: 4, batch: 2, dim: 2 as const, width: 3, kernelWidth: 4, classes: 2, pointPool: 'mean' as const, act: 'gelu' as const };

/** Conformance cases for `group_lift`, `group_conv`, `axis_pool` and a whole invariant network. */
export const affineCases: readonly ConformanceCase[] = [
  { name: 'group_lift d=2', term: prim('group_lift', { out: 4 }), inputs: [[2, 5, 2], [3, 2, 2]], variants: both },
  { name: 'group_lift d=3', term: prim('group_lift', { out: 3 }), inputs: [[1, 4, 3], [5, 3, 3]], variants: both },
  { name: 'group_conv', term: prim('group_conv'), inputs: [[2, 3, 4], [3, 3, 4, 5]] },
  { name: 'axis_pool mean axis 1', term: prim('axis_pool', { axis: 1, op: 'mean' }), inputs: [[2, 3, 4]] },
  { name: 'axis_pool max axis -2', term: prim('axis_pool', { axis: -2, op: 'max' }), inputs: [[2, 3, 5, 2]] },
  { name: 'axis_pool max axis 0', term: prim('axis_pool', { axis: 0, op: 'max' }), inputs: [[4, 3]] },
  {
    name: 'GL⁺(2)-invariant net (K=3)',
    term: affineInvariantNet(netOpts),
    inputs: [[2, 4, 2], [3, 2, 2], [3, 3, 4]],
    variants: [{ '0.lift.in': 'input' }, { '0.lift.in': 'points' }],
  },
];

/** x ↦ a·x for every point of a [B, N, n] tensor. */
export const transformPoints = (x: HostTensor, a: Mat): HostTensor => {
  const n = dimOf(a);
  const out = new Float64Array(x.data.length);
  for (let p = 0; p < x.data.length / n; p++) out.set(apply(a, Float64Array.from(x.data.subarray(p * n, p * n + n))), p * n);
  return { shape: [...x.shape], data: out };
};

/** Run a lowered invariant network on points and a sample set; returns the outputs on the host. */
export const runInvariantNet = <T>(model: TypedModel, be: Backend<T>, params: Record<string, HostTensor>, x: HostTensor, samples: readonly Mat[]): HostTensor => {
  const { inverses, coords } = model.root.inputs.length > 2 ? sampleTensors(samples) : { ...sampleInverses(samples), coords: undefined as unknown as HostTensor };
  const prog = lowerOrThrow(model, be);
  // A lifting-only network takes (x, m); a network with a group convolution also takes the coordinates.
  const feed = [x, inverses, coords].slice(0, model.root.inputs.length);
  const { outputs } = prog.forward(uploadAll(be, params), feed.map((t) => be.upload(t)));
  return be.download(outputs[0]!);
};

/**
 * Exact invariance under the joint transformation: outputs on (h·x, {h·g_k}) minus outputs on
 * (x, {g_k}), the largest absolute difference. Zero up to rounding for an equivariant network.
 */
export const jointInvarianceError = <T>(
  model: TypedModel,
  be: Backend<T>,
  params: Record<string, HostTensor>,
  x: HostTensor,
  samples: readonly Mat[],
  h: Mat,
): number => {
  const a = runInvariantNet(model, be, params, x, samples);
  const b = runInvariantNet(model, be, params, transformPoints(x, h), samples.map((g) => mul(h, g)));
  let e = 0;
  for (let i = 0; i < a.data.length; i++) e = Math.max(e, Math.abs(a.data[i]! - b.data[i]!));
  return e;
};

/**
 * Monte Carlo invariance error of a fixed sample set: the RMS over outputs of f(h·x) − f(x), with
 * the samples not transformed. For a Haar sample set this shrinks like 1/√K until the window's
 * boundary effect (the part of h·W outside W) dominates.
 */
export const monteCarloInvarianceError = <T>(
  model: TypedModel,
  be: Backend<T>,
  params: Record<string, HostTensor>,
  x: HostTensor,
  samples: readonly Mat[],
  h: Mat,
): number => {
  const a = runInvariantNet(model, be, params, x, samples);
  const b = runInvariantNet(model, be, params, transformPoints(x, h), samples);
  let s = 0;
  for (let i = 0; i < a.data.length; i++) s += (a.data[i]! - b.data[i]!) ** 2;
  return Math.sqrt(s / a.data.length);
};

/** Seeded normal points [B, N, n] centred per set (the networks assume centred inputs). */
export const centredPoints = (B: number, N: number, n: number, seed: number): HostTensor => {
  const x = randn([B, N, n], rng(seed).fork('points'));
  for (let b = 0; b < B; b++)
    for (let j = 0; j < n; j++) {
      let m = 0;
      for (let i = 0; i < N; i++) m += x.data[(b * N + i) * n + j]!;
      for (let i = 0; i < N; i++) x.data[(b * N + i) * n + j] -= m / N;
    }
  return x;
};
