/**
 * GL⁺(n)-equivariant point-set layers as terms, and the host-side tensors of a sample set.
 *
 * A network sees three input wires: the (centred) points x [B, N, n], the inverse samples
 * m [K, n, n] (m_k = g_k⁻¹) and the ξ-coordinates of the relative elements g_j⁻¹·g_i [K, K, xiDim].
 * Lifting: f(g_k) = pool_n MLP(g_k⁻¹·x_n) (a shared point encoder); group convolution:
 * (f ⋆ ψ)(g_i) = (1/K) Σ_j f(g_j) ψ(g_j⁻¹ g_i), ψ an MLP of the ξ-coordinates (the paper's kernel
 * parametrisation); group pooling: the mean over the samples, a Monte Carlo estimate of the Haar
 * integral, hence an (approximate) invariant.
 *
 * Exactness: replacing every g_k by h·g_k and x by h·x leaves every layer's values unchanged (the
 * relative elements are the same and (h g_k)⁻¹ h x = g_k⁻¹ x), so the output is exactly invariant under
 * that joint transformation; with a fixed sample set it is invariant only up to Monte Carlo error.
 */
import { type Term, named, par, prim, seq, id } from '../term/term';
import type { HostTensor } from '../tensor/tensor';
import { type Mat, dimOf, inv, mul } from './mat';
import { xiCoords, xiDim } from './groups';

/** Sizes of the equivariant network. */
export interface AffineNetOpts {
  /** Group samples K. */
  readonly samples: number;
  /** Points per set N. */
  readonly points: number;
  /** Batch size B. */
  readonly batch: number;
  /** Point dimension n (2 or 3). */
  readonly dim: 2 | 3;
  /** Width of the point encoder. */
  readonly width: number;
  /** Hidden width of the kernel network ψ. */
  readonly kernelWidth: number;
  /** Number of classes. */
  readonly classes: number;
  /** Pooling over the points of a set (default 'max'). */
  readonly pointPool?: 'max' | 'mean';
  /** Activation of the point encoder (default 'relu'). */
  readonly act?: 'relu' | 'gelu' | 'tanh';
  /**
   * Layer-normalise each lifted feature vector f(g_k) (default false). Under the Haar measure of a
   * window most samples stretch by nearly e^{±m}, and without it their larger features dominate the
   * Monte Carlo mean; normalising per sample keeps the joint invariance exact (it acts pointwise in g).
   */
  readonly normalise?: boolean;
}

/** The lifting layer: (x [B, N, n], m [K, n, n]) → [B, K, width]. */
export const liftingLayer = (o: AffineNetOpts): Term =>
  named(
    'lift',
    seq(
      prim('group_lift', { out: o.width }, { name: 'in' }),
      prim(o.act ?? 'relu'),
      prim('linear', { out: o.width }, { name: 'mix' }),
      prim(o.act ?? 'relu'),
      prim('axis_pool', { axis: 2, op: o.pointPool ?? 'max' }, { name: 'pool' }),
      ...(o.normalise ? [prim('layernorm', {}, { name: 'norm' })] : []),
    ),
  );

/** The group convolution: (f [B, K, C], coords [K, K, xiDim]) → [B, K, C], its kernel an MLP of the coordinates. */
export const groupConvLayer = (o: AffineNetOpts): Term =>
  named(
    'gconv',
    seq(
      par(
        id(1),
        named(
          'psi',
          seq(
            prim('linear', { out: o.kernelWidth }, { name: 'k1' }),
            prim('tanh'),
            prim('linear', { out: o.width * o.width }, { name: 'k2' }),
            prim('reshape', { shape: [o.samples, o.samples, o.width, o.width] }),
          ),
        ),
      ),
      prim('group_conv'),
    ),
  );

/**
 * The invariant classifier: (x, m, coords) → logits [B, classes]: lifting, one group convolution with
 * a residual connection, ReLU, mean over the samples (group pooling), a linear head.
 */
export const affineInvariantNet = (o: AffineNetOpts): Term =>
  seq(
    par(liftingLayer(o), id(1)),
    named('block', seq(par(prim('copy', { n: 2 }), id(1)), par(id(1), groupConvLayer(o)), prim('add', { n: 2 }))),
    prim('relu'),
    prim('axis_pool', { axis: 1, op: 'mean' }, { name: 'gpool' }),
    prim('linear', { out: o.classes }, { name: 'head' }),
  );

/** Lifting then group pooling, no convolution: (x, m) → invariant features [B, width]. */
export const liftingInvariant = (o: AffineNetOpts): Term => seq(liftingLayer(o), prim('axis_pool', { axis: 1, op: 'mean' }, { name: 'gpool' }));

/** The inverse samples g_k⁻¹ as a host tensor [K, n, n]. */
export const sampleInverses = (samples: readonly Mat[]): { inverses: HostTensor } => {
  if (samples.length === 0) throw new RangeError('sampleInverses: need at least one group sample');
  const n = dimOf(samples[0]!, 'sampleInverses');
  const inverses = new Float64Array(samples.length * n * n);
  samples.forEach((g, k) => inverses.set(inv(g, `sampleInverses: sample ${k}`), k * n * n));
  return { inverses: { shape: [samples.length, n, n], data: inverses } };
};

/** The host tensors a sample set feeds to the network: inverse samples [K, n, n] and relative ξ-coordinates [K, K, xiDim]. */
export const sampleTensors = (samples: readonly Mat[]): { inverses: HostTensor; coords: HostTensor } => {
  if (samples.length === 0) throw new RangeError('sampleTensors: need at least one group sample');
  const n = dimOf(samples[0]!, 'sampleTensors');
  const K = samples.length;
  const inverses = new Float64Array(K * n * n);
  const invs = samples.map((g, k) => {
    const gi = inv(g, `sampleTensors: sample ${k}`);
    inverses.set(gi, k * n * n);
    return gi;
  });
  const q = xiDim(n);
  const coords = new Float64Array(K * K * q);
  for (let i = 0; i < K; i++) for (let j = 0; j < K; j++) coords.set(xiCoords(mul(invs[j]!, samples[i]!)), (i * K + j) * q);
  return { inverses: { shape: [K, n, n], data: inverses }, coords: { shape: [K, K, q], data: coords } };
};
