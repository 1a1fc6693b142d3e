import * as t from 'io-ts';
import { definePrimitive } from '../term/primitive';
import { showShape } from '../tensor/shape';
import { Dim, NoAttrs, SafeInt, bad, cost, fanInNormal, ok, sizeOf } from './util';

// Layers of group-equivariant point-set networks (Monte Carlo over sampled group elements, as in
// Mironenco & Forré 2024). The group elements enter as data (input wires), so that transforming the
// sample set together with the input is an exact symmetry of the term.

/**
 * Lifting with the first layer of the point encoder fused in: points x [B, N, d] and K matrices
 * m [K, d, d] (the inverses g_k⁻¹ of the sampled group elements) give
 * y[b, k, n, :] = (m_k · x_{b,n}) · w + b, shape [B, K, N, out]. The transformed points
 * u = m_k · x_{b,n} are either kept (variant 'points', B·K·N·d elements) or recomputed from x and m in
 * the backward pass (variant 'input', B·N·d + K·d² elements): a real store-versus-recompute choice.
 */
export const groupLiftDef = definePrimitive({
  name: 'group_lift',
  doc:
    'Lift a point set to the sampled group: x [B, N, d], m [K, d, d] (the inverse samples g_k⁻¹, no gradient) → ' +
    '[B, K, N, out] = (m_k x_n)·w + b. Params w: [d, out], b: [out]. Variants: input (recompute the transformed points) or points (keep them).',
  attrs: t.exact(t.type({ out: Dim })),
  attrDocs: { out: { doc: 'output width per point and group element' } },
  arity: () => ({ inputs: 2, outputs: 1 }),
  shape: (a, [x, m]) => {
    if (x!.length !== 3) return bad(`group_lift: input 0 (points) must be [B, N, d], got ${showShape(x!)}`);
    const d = x![2]!;
    if (m!.length !== 3 || m![1] !== d || m![2] !== d)
      return bad(`group_lift: input 1 (group samples) must be [K, ${d}, ${d}] to act on points of dimension ${d}, got ${showShape(m!)}`);
    return ok([[x![0]!, m![0]!, x![1]!, a.out]], { w: [d, a.out], b: [a.out] });
  },
  variants: ['input', 'points'],
  twoCells: [
    {
      from: 'input',
      to: 'points',
      doc: 'r recomputes the transformed points u = m_k·x_n (B·K·N·d elements) from the kept x and m (B·N·d + K·d²): the source pays 2·B·K·N·d² flops in the backward pass.',
    },
  ],
  cost: (a, [x, m], variant) => {
    const [B, N, d] = x as [number, number, number];
    const K = m![0]!;
    const act = 2 * B * K * N * d * d;
    const lin = 2 * B * K * N * d * a.out;
    const keep = variant === 'points' ? B * K * N * d + K * d * d : sizeOf(x!) + K * d * d;
    return cost(act + lin, (variant === 'points' ? 0 : act) + 2 * lin + act, keep, d * a.out + a.out);
  },
  init: (_a, p, shape, rng) => (p === 'w' ? fanInNormal(shape[0]!, sizeOf(shape), rng) : new Float64Array(sizeOf(shape))),
  nondiff: () => [1],
});

/**
 * Monte Carlo group convolution over K sampled elements: f [B, K, C] (a function on the samples) and
 * kernel values psi [K, K, C, D], psi[i, j] = ψ(g_j⁻¹ g_i), give
 * y[b, i, :] = (1/K) Σ_j f[b, j, :] · psi[i, j]  ([B, K, D]). ψ itself is computed by a small network on
 * the ξ-coordinates of g_j⁻¹ g_i (a composite term), so it is learnt in the paper's parametrisation.
 */
export const groupConvDef = definePrimitive({
  name: 'group_conv',
  doc:
    'Monte Carlo group convolution: f [B, K, C], kernel values psi [K, K, C, D] (psi[i, j] = ψ(g_j⁻¹ g_i)) → ' +
    '[B, K, D], y[b, i] = (1/K) Σ_j f[b, j]·psi[i, j]. Keeps both inputs.',
  attrs: NoAttrs,
  arity: () => ({ inputs: 2, outputs: 1 }),
  shape: (_a, [f, psi]) => {
    if (f!.length !== 3) return bad(`group_conv: input 0 (features on the samples) must be [B, K, C], got ${showShape(f!)}`);
    const [, K, C] = f as [number, number, number];
    if (psi!.length !== 4 || psi![0] !== K || psi![1] !== K || psi![2] !== C)
      return bad(`group_conv: input 1 (kernel values) must be [${K}, ${K}, ${C}, D] for features ${showShape(f!)}, got ${showShape(psi!)}`);
    return ok([[f![0]!, K, psi![3]!]]);
  },
  variants: ['input'],
  cost: (_a, [f, psi]) => {
    const mac = f![0]! * sizeOf(psi!);
    return cost(2 * mac, 4 * mac, sizeOf(f!) + sizeOf(psi!));
  },
});

/** Mean or max over one axis (points of a set, or group samples: the invariant group pooling). */
export const axisPoolDef = definePrimitive({
  name: 'axis_pool',
  doc: 'Pool over one axis: mean, or max (keeping the argmax for the backward pass). [..., n, ...] → [..., ...].',
  attrs: t.exact(t.type({ axis: SafeInt, op: t.keyof({ mean: null, max: null }) })),
  attrDocs: {
    axis: { doc: 'the axis pooled away (negative counts from the end)' },
    op: { doc: "'mean' or 'max'" },
  },
  arity: () => ({ inputs: 1, outputs: 1 }),
  shape: (a, [x]) => {
    const r = x!.length;
    const ax = a.axis < 0 ? a.axis + r : a.axis;
    if (ax < 0 || ax >= r) return bad(`axis_pool: axis ${a.axis} is out of range for an input of rank ${r} ${showShape(x!)}`);
    if (x![ax] === 0) return bad(`axis_pool: axis ${a.axis} of ${showShape(x!)} is empty`);
    return ok([x!.filter((_, i) => i !== ax)]);
  },
  variants: ['kept'],
  cost: (a, [x]) => {
    const r = x!.length;
    const ax = a.axis < 0 ? a.axis + r : a.axis;
    return cost(sizeOf(x!), sizeOf(x!), a.op === 'max' ? sizeOf(x!) / (x![ax] ?? 1) : 0);
  },
});

/** The pooled axis as a non-negative index, and the sizes before, along and after it. */
export const poolSplit = (shape: readonly number[], axis: number): { outer: number; n: number; inner: number } => {
  const ax = axis < 0 ? axis + shape.length : axis;
  const outer = shape.slice(0, ax).reduce((p, q) => p * q, 1);
  const inner = shape.slice(ax + 1).reduce((p, q) => p * q, 1);
  return { outer, n: shape[ax]!, inner };
};
