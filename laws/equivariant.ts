/**
 * Laws of the equivariant tensor products and of the SO(3) machinery under them: SH
 * orthonormality under quadrature, D(R₁R₂) = D(R₁)D(R₂), Gaunt coefficients from 3j symbols equal
 * those from quadrature, equivariance TP(D x₁, D x₂) = D TP(x₁, x₂), the Gaunt product equals the
 * dense product with Gaunt coefficients, and the Gaunt product is symmetric.
 *
 * Errors are reported as numbers (largest absolute or relative deviation) so that tests can state
 * their tolerance, and that tolerance can be a function of the degree.
 */
import fc from 'fast-check';
import type { Backend } from '../src/backend/backend';
import { lowerOrThrow, type Program } from '../src/lower/program';
import { checkOrThrow } from '../src/term/check';
import { prim } from '../src/term/term';
import { rng, randn } from '../src/tensor/rng';
import type { HostTensor } from '../src/tensor/tensor';
import { initParams } from '../src/train/init';
import { realGaunt, realGauntByQuadrature } from '../src/equivariant/coupling';
import { sphereQuadrature } from '../src/equivariant/quadrature';
import { realSH, shDim } from '../src/equivariant/sh';
import { applyWignerD, matmul3, randomRotation, wignerD, type Rotation } from '../src/equivariant/wigner';
import type { ConformanceCase } from './conformance';
import { downloadAll, uploadAll } from '../src/backend/transfer';

/** Largest |∫ Y_a Y_b dΩ − δ_ab| over degrees ≤ L, with the product quadrature of degree 2L. */
export const shOrthonormalityError = (L: number): number => {
  const q = sphereQuadrature(2 * L);
  const n = shDim(L);
  const gram = new Float64Array(n * n);
  const y = new Float64Array(n);
  for (let k = 0; k < q.size; k++) {
    realSH(L, q.points[3 * k]!, q.points[3 * k + 1]!, q.points[3 * k + 2]!, y);
    for (let a = 0; a < n; a++) for (let b = 0; b < n; b++) gram[a * n + b] += q.weights[k]! * y[a]! * y[b]!;
  }
  let e = 0;
  for (let a = 0; a < n; a++) for (let b = 0; b < n; b++) e = Math.max(e, Math.abs(gram[a * n + b]! - (a === b ? 1 : 0)));
  return e;
};

/** Largest |D(R₁R₂) − D(R₁)D(R₂)| entry over degrees ≤ L. */
export const wignerHomomorphismError = (L: number, R1: Rotation, R2: Rotation): number => {
  const [A, B, AB] = [wignerD(L, R1), wignerD(L, R2), wignerD(L, matmul3(R1, R2))];
  let e = 0;
  for (let l = 0; l <= L; l++) {
    const d = 2 * l + 1;
    for (let i = 0; i < d; i++)
      for (let j = 0; j < d; j++) {
        let s = 0;
        for (let k = 0; k < d; k++) s += A[l]![i * d + k]! * B[l]![k * d + j]!;
        e = Math.max(e, Math.abs(s - AB[l]![i * d + j]!));
      }
  }
  return e;
};

/** Largest difference between real Gaunt coefficients from 3j symbols and from quadrature, all paths with l₁, l₂ ≤ L. */
export const gauntCoefficientError = (L: number): number => {
  let e = 0;
  for (let l1 = 0; l1 <= L; l1++)
    for (let l2 = 0; l2 <= L; l2++)
      for (let l3 = Math.abs(l1 - l2); l3 <= l1 + l2; l3++) {
        const a = realGaunt(l1, l2, l3);
        const b = realGauntByQuadrature(l1, l2, l3);
        e = Math.max(e, a.maxImag);
        for (let i = 0; i < b.length; i++) e = Math.max(e, Math.abs(a.tensor[i]! - b[i]!));
      }
  return e;
};

const forward = <T>(program: Program<T>, be: Backend<T>, params: Record<string, HostTensor>, inputs: readonly HostTensor[]): HostTensor => {
  const dev = uploadAll(be, params);
  return be.download(program.forward(dev, inputs.map((x) => be.upload(x))).outputs[0]!);
};

const maxAbs = (a: ArrayLike<number>): number => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]!));
  return m;
};

/** Degrees of a two-input tensor-product program: inputs of degree ≤ l1 and ≤ l2, output ≤ lout. */
export interface TPDegrees {
  readonly l1: number;
  readonly l2: number;
  readonly lout: number;
}

/**
 * Equivariance: relative error max|TP(D x₁, D x₂) − D TP(x₁, x₂)| / max|TP(x₁, x₂)| of a program
 * with two irrep inputs [..., (l1+1)²], [..., (l2+1)²] and one output [..., (lout+1)²].
 */
export const tensorProductEquivarianceError = <T>(
  program: Program<T>,
  be: Backend<T>,
  params: Record<string, HostTensor>,
  x1: HostTensor,
  x2: HostTensor,
  R: Rotation,
  deg: TPDegrees,
): number => {
  const D = wignerD(Math.max(deg.l1, deg.l2, deg.lout), R);
  const rot = (x: HostTensor, L: number): HostTensor => ({ shape: x.shape, data: applyWignerD(D, L, x.data, x.data.length / shDim(L)) });
  const y = forward(program, be, params, [x1, x2]);
  const lhs = forward(program, be, params, [rot(x1, deg.l1), rot(x2, deg.l2)]);
  const rhs = rot(y, deg.lout).data;
  let e = 0;
  for (let i = 0; i < rhs.length; i++) e = Math.max(e, Math.abs(lhs.data[i]! - rhs[i]!));
  return e / Math.max(maxAbs(y.data), Number.MIN_VALUE);
};

/** Outputs and all gradients of one program run with a fixed output cotangent. */
const fullRun = <T>(program: Program<T>, be: Backend<T>, params: Record<string, HostTensor>, inputs: readonly HostTensor[], dy: HostTensor) => {
  const dev = uploadAll(be, params);
  const { outputs, residual } = program.forward(dev, inputs.map((x) => be.upload(x)));
  const g = program.backward(residual, [be.upload(dy)]);
  return {
    y: be.download(outputs[0]!),
    dx: g.dInputs.map((d) => be.download(d!)),
    dp: downloadAll(be, g.dParams),
  };
};

const relDiff = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let e = 0;
  for (let i = 0; i < a.length; i++) e = Math.max(e, Math.abs(a[i]! - b[i]!));
  return e / Math.max(maxAbs(b), Number.MIN_VALUE);
};

/**
 * The Gaunt product equals the dense product with Gaunt coupling and the same degree weights:
 * largest relative difference over the output, both input gradients and the three weight gradients,
 * on random inputs and weights from `seed`, for inputs [rows, C, ·].
 */
export const gauntMatchesDense = <T>(be: Backend<T>, deg: TPDegrees, lead: readonly number[], seed: number, variant: 'inputs' | 'grids' = 'inputs'): number => {
  const shapes = [[...lead, shDim(deg.l1)], [...lead, shDim(deg.l2)]];
  const gaunt = checkOrThrow(prim('gaunt_tensor_product', { ...deg }, { variant }), shapes);
  const dense = checkOrThrow(prim('tensor_product', { ...deg, coupling: 'gaunt', weights: 'degree' }), shapes);
  const r = rng(seed);
  // Random weights rather than the initial ones, so that the degree factorisation is exercised.
  const params = Object.fromEntries(Object.entries(initParams(gaunt, seed, 'float64')).map(([k, v]) => [k, randn(v.shape, r.fork(k))]));
  const xs = shapes.map((s, i) => randn(s, r.fork(`x${i}`)));
  const dy = randn([...lead, shDim(deg.lout)], r.fork('dy'));
  const a = fullRun(lowerOrThrow(gaunt, be), be, params, xs, dy);
  const b = fullRun(lowerOrThrow(dense, be), be, params, xs, dy);
  let e = relDiff(a.y.data, b.y.data);
  a.dx.forEach((d, i) => (e = Math.max(e, relDiff(d.data, b.dx[i]!.data))));
  for (const k of Object.keys(b.dp)) e = Math.max(e, relDiff(a.dp[k]!.data, b.dp[k]!.data));
  return e;
};

/**
 * Symmetry of the Gaunt product: TP_{l1,l2}(x₁, x₂; w1, w2, w3) = TP_{l2,l1}(x₂, x₁; w2, w1, w3) (the
 * pointwise product of functions commutes). Largest relative difference of the outputs.
 */
export const gauntSymmetryError = <T>(be: Backend<T>, deg: TPDegrees, lead: readonly number[], seed: number): number => {
  const s1 = [...lead, shDim(deg.l1)], s2 = [...lead, shDim(deg.l2)];
  const ab = checkOrThrow(prim('gaunt_tensor_product', { ...deg }), [s1, s2]);
  const ba = checkOrThrow(prim('gaunt_tensor_product', { l1: deg.l2, l2: deg.l1, lout: deg.lout }), [s2, s1]);
  const r = rng(seed);
  const C = lead[lead.length - 1]!;
  const w1 = randn([C, deg.l1 + 1], r.fork('w1')), w2 = randn([C, deg.l2 + 1], r.fork('w2')), w3 = randn([C, deg.lout + 1], r.fork('w3'));
  const x1 = randn(s1, r.fork('x1')), x2 = randn(s2, r.fork('x2'));
  const y = forward(lowerOrThrow(ab, be), be, { w1, w2, w3 }, [x1, x2]);
  const z = forward(lowerOrThrow(ba, be), be, { w1: w2, w2: w1, w3 }, [x2, x1]);
  return relDiff(z.data, y.data);
};

/** A random rotation and random inputs for a tensor-product primitive, all from one seed. */
export const equivarianceSample = (deg: TPDegrees, lead: readonly number[], seed: number) => {
  const r = rng(seed);
  return {
    R: randomRotation(r.fork('R')),
    x1: randn([...lead, shDim(deg.l1)], r.fork('x1')),
    x2: randn([...lead, shDim(deg.l2)], r.fork('x2')),
  };
};

/**
 * fast-check property: the primitive `name` with attributes `attrs` (degrees `deg`) is equivariant
 * to relative error ≤ tol under random rotations, inputs and weights.
 */
export const equivarianceProperty = <T>(be: Backend<T>, name: string, attrs: Record<string, unknown>, deg: TPDegrees, lead: readonly number[], tol: number) => {
  const model = checkOrThrow(prim(name, { ...deg, ...attrs }), [[...lead, shDim(deg.l1)], [...lead, shDim(deg.l2)]]);
  const program = lowerOrThrow(model, be);
  return fc.property(fc.integer({ min: 0, max: 2 ** 31 - 1 }), (seed) => {
    const { R, x1, x2 } = equivarianceSample(deg, lead, seed);
    const params = Object.fromEntries(Object.entries(initParams(model, seed, 'float64')).map(([k, v]) => [k, randn(v.shape, rng(seed).fork(k))]));
    return tensorProductEquivarianceError(program, be, params, x1, x2, R, deg) <= tol;
  });
};

/** Conformance cases for the tensor products (float32 against float64, every backend). */
export const tensorProductCases: readonly ConformanceCase[] = [
  { name: 'tensor_product cg/path', term: prim('tensor_product', { l1: 2, l2: 1 }), inputs: [[2, 3, 9], [2, 3, 4]] },
  { name: 'tensor_product gaunt/degree', term: prim('tensor_product', { l1: 2, l2: 2, lout: 3, coupling: 'gaunt', weights: 'degree' }), inputs: [[3, 9], [3, 9]] },
  { name: 'tensor_product none', term: prim('tensor_product', { l1: 1, l2: 3, lout: 2, weights: 'none' }), inputs: [[2, 4], [2, 16]] },
  {
    name: 'gaunt_tensor_product',
    term: prim('gaunt_tensor_product', { l1: 3, l2: 2, lout: 4 }),
    inputs: [[2, 2, 16], [2, 2, 9]],
    variants: [{ '': 'inputs' }, { '': 'grids' }],
  },
  { name: 'gaunt_tensor_product none', term: prim('gaunt_tensor_product', { l1: 2, l2: 2, weights: 'none' }), inputs: [[3, 9], [3, 9]], variants: [{ '': 'inputs' }, { '': 'grids' }] },
];
