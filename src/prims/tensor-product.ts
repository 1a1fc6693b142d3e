/**
 * Equivariant tensor products of irrep feature vectors (real SH convention of `src/equivariant/sh.ts`).
 *
 * Layout, for both primitives: `x1: [..., C, (l1+1)²]`, `x2: [..., C, (l2+1)²]` with the same leading
 * dimensions; output `[..., C, (lout+1)²]`. C is the channel axis — each channel is multiplied with
 * its own weights, channels never mix — and the other leading axes are batch axes sharing weights.
 *
 * Weights (attribute `weights`):
 * - `'path'` (dense only): `w: [C, P]`, one weight per channel and path, paths in the order of
 *   `tensorProductPaths`.
 * - `'degree'`: `w1: [C, l1+1]`, `w2: [C, l2+1]`, `w3: [C, lout+1]`; the path l₁⊗l₂→l₃ gets weight
 *   w1[l₁]·w2[l₂]·w3[l₃], the factorisation by degree of the Gaunt tensor product paper, which the
 *   Gaunt product computes as w3 ⊙ P(f(w1 ⊙ x1) · f(w2 ⊙ x2)).
 * - `'none'`: no parameters (every weight 1).
 * Weights start at 1.
 */
import * as t from 'io-ts';
import { definePrimitive } from '../term/primitive';
import { type Shape, shapeEq, showShape } from '../tensor/shape';
import { MAX_DENSE_COEFFICIENTS, denseCounts, gauntFlopsOf } from '../equivariant/products';
import { bad, cost, ok, sizeOf } from './util';

/** Largest degree accepted (coefficients are exact to float64 well beyond, costs are not). */
export const MAX_TP_DEGREE = 40;

const Degree = new t.Type<number, number, unknown>(
  `integer degree in [0, ${MAX_TP_DEGREE}]`,
  (u): u is number => typeof u === 'number' && Number.isInteger(u) && u >= 0 && u <= MAX_TP_DEGREE,
  (u, c) => (typeof u === 'number' && Number.isInteger(u) && u >= 0 && u <= MAX_TP_DEGREE ? t.success(u) : t.failure(u, c)),
  (a) => a,
);

const DenseAttrs = t.intersection([
  t.type({ l1: Degree, l2: Degree }),
  t.partial({
    lout: Degree,
    coupling: t.keyof({ cg: null, gaunt: null }),
    weights: t.keyof({ path: null, degree: null, none: null }),
  }),
]);
const GauntAttrs = t.intersection([
  t.type({ l1: Degree, l2: Degree }),
  t.partial({ lout: Degree, weights: t.keyof({ degree: null, none: null }) }),
]);

/** Decoded attributes of `tensor_product`. */
export type DenseTPAttrs = t.TypeOf<typeof DenseAttrs>;
/** Decoded attributes of `gaunt_tensor_product`. */
export type GauntTPAttrs = t.TypeOf<typeof GauntAttrs>;

/** Output degree (default l1 + l2). */
export const loutOf = (a: { l1: number; l2: number; lout?: number }): number => a.lout ?? a.l1 + a.l2;

/** Shared shape rule: message naming the input and attribute that disagree, or the leading shape. */
const checkInputs = (name: string, a: { l1: number; l2: number; lout?: number }, x1: Shape, x2: Shape): string | Shape => {
  const lo = loutOf(a);
  if (lo > a.l1 + a.l2) return `${name}: lout ${lo} exceeds l1 + l2 = ${a.l1 + a.l2} (the product has no higher degrees)`;
  if (x1.length < 2) return `${name}: x1 needs shape [..., C, (l1+1)²], got ${showShape(x1)}`;
  if (x2.length < 2) return `${name}: x2 needs shape [..., C, (l2+1)²], got ${showShape(x2)}`;
  if (x1[x1.length - 1] !== (a.l1 + 1) ** 2) return `${name}: x1's last axis must be (l1+1)² = ${(a.l1 + 1) ** 2} for l1 = ${a.l1}, got ${showShape(x1)}`;
  if (x2[x2.length - 1] !== (a.l2 + 1) ** 2) return `${name}: x2's last axis must be (l2+1)² = ${(a.l2 + 1) ** 2} for l2 = ${a.l2}, got ${showShape(x2)}`;
  const lead = x1.slice(0, -1);
  if (!shapeEq(lead, x2.slice(0, -1))) return `${name}: x1 ${showShape(x1)} and x2 ${showShape(x2)} must agree on every axis but the last`;
  return lead;
};

const degreeParams = (C: number, a: { l1: number; l2: number; lout?: number }): Record<string, Shape> => ({
  w1: [C, a.l1 + 1],
  w2: [C, a.l2 + 1],
  w3: [C, loutOf(a) + 1],
});

const ones = (_a: unknown, _p: string, shape: Shape) => new Float64Array(sizeOf(shape)).fill(1);

/** Dense tensor product with real Clebsch–Gordan (default) or real Gaunt coupling. */
export const tensorProductDef = definePrimitive({
  name: 'tensor_product',
  doc:
    'Dense equivariant tensor product: x1 [..., C, (l1+1)²] ⊗ x2 [..., C, (l2+1)²] → [..., C, (lout+1)²], per channel, ' +
    'Σ over paths l1⊗l2→l3 of weight · (coupling tensor contracted with x1_l1 ⊗ x2_l2). coupling: cg (default) | gaunt; ' +
    'weights: path (default, w [C, paths]) | degree (w1, w2, w3) | none. O(L⁶).',
  attrs: DenseAttrs,
  attrDocs: {
    l1: { doc: 'largest degree of x1' },
    l2: { doc: 'largest degree of x2' },
    lout: { doc: 'largest output degree (default l1 + l2)' },
    coupling: { doc: 'real Clebsch–Gordan or real Gaunt coefficients', default: 'cg' },
    weights: { doc: 'path: one weight per channel and path; degree: w1[l1]·w2[l2]·w3[l3]; none', default: 'path' },
  },
  arity: () => ({ inputs: 2, outputs: 1 }),
  shape: (a, [x1, x2]) => {
    const lead = checkInputs('tensor_product', a, x1!, x2!);
    if (typeof lead === 'string') return bad(lead);
    const C = lead[lead.length - 1]!;
    const lo = loutOf(a);
    const { paths, macs } = denseCounts(a.l1, a.l2, lo, a.coupling ?? 'cg');
    if (macs > MAX_DENSE_COEFFICIENTS)
      return bad(
        `tensor_product: degrees l1 = ${a.l1}, l2 = ${a.l2}, lout = ${lo} need ${macs} coupling coefficients per channel, more than the dense product's limit of ${MAX_DENSE_COEFFICIENTS} (it grows as L⁶); use gaunt_tensor_product for high degrees`,
      );
    const w = a.weights ?? 'path';
    const params = w === 'path' ? { w: [C, paths] } : w === 'degree' ? degreeParams(C, a) : {};
    return ok([[...lead, (lo + 1) ** 2]], params);
  },
  variants: ['inputs'],
  cost: (a, [x1, x2]) => {
    const rows = sizeOf(x1!) / (a.l1 + 1) ** 2;
    const lo = loutOf(a);
    const { paths, macs } = denseCounts(a.l1, a.l2, lo, a.coupling ?? 'cg');
    const C = x1![x1!.length - 2]!;
    const w = a.weights ?? 'path';
    const pe = w === 'path' ? C * paths : w === 'degree' ? C * (a.l1 + a.l2 + lo + 3) : 0;
    return cost(2 * rows * macs, 6 * rows * macs, sizeOf(x1!) + sizeOf(x2!), pe);
  },
  init: ones,
});

/**
 * Residual elements of the Gaunt product's `grids` variant: both inputs, both inputs' compact
 * Fourier grids (real and imaginary parts) and, with degree weights, the unweighted product b.
 */
export const gauntResidualElems = (a: GauntTPAttrs, x1: Shape, x2: Shape, variant: string): number => {
  const rows = sizeOf(x1) / (a.l1 + 1) ** 2;
  const inputs = sizeOf(x1) + sizeOf(x2);
  if (variant === 'inputs') return inputs;
  const grids = 2 * rows * ((2 * a.l1 + 1) ** 2 + (2 * a.l2 + 1) ** 2);
  const b = (a.weights ?? 'degree') === 'degree' ? rows * (loutOf(a) + 1) ** 2 : 0;
  return inputs + grids + b;
};

/** Gaunt tensor product via 2-D Fourier grids and a zero-padded FFT convolution. */
export const gauntTensorProductDef = definePrimitive({
  name: 'gaunt_tensor_product',
  doc:
    'Gaunt tensor product: x1 [..., C, (l1+1)²], x2 [..., C, (l2+1)²] → [..., C, (lout+1)²], per channel the SH projection ' +
    'of the product of the two functions (Gaunt coefficients), via SH → 2-D Fourier grids, zero-padded FFT convolution, ' +
    'grid → SH. O(L³). weights: degree (default, w1, w2, w3) | none. Variants: inputs (keep x1, x2; recompute grids) | ' +
    'grids (also keep both Fourier grids and the unweighted product).',
  attrs: GauntAttrs,
  attrDocs: {
    l1: { doc: 'largest degree of x1' },
    l2: { doc: 'largest degree of x2' },
    lout: { doc: 'largest output degree (default l1 + l2)' },
    weights: { doc: 'degree: w1[l1]·w2[l2]·w3[l3] per channel; none', default: 'degree' },
  },
  arity: () => ({ inputs: 2, outputs: 1 }),
  shape: (a, [x1, x2]) => {
    const lead = checkInputs('gaunt_tensor_product', a, x1!, x2!);
    if (typeof lead === 'string') return bad(lead);
    const C = lead[lead.length - 1]!;
    return ok([[...lead, (loutOf(a) + 1) ** 2]], (a.weights ?? 'degree') === 'degree' ? degreeParams(C, a) : {});
  },
  variants: ['inputs', 'grids'],
  twoCells: [{ from: 'inputs', to: 'grids', doc: 'keep both inputs’ Fourier grids (and the unweighted product) instead of recomputing them in backward' }],
  cost: (a, [x1, x2], variant) => {
    const rows = sizeOf(x1!) / (a.l1 + 1) ** 2;
    const f = gauntFlopsOf(a.l1, a.l2, loutOf(a));
    const C = x1![x1!.length - 2]!;
    const pe = (a.weights ?? 'degree') === 'degree' ? C * (a.l1 + a.l2 + loutOf(a) + 3) : 0;
    const recompute = variant === 'inputs' ? f.forward : 0;
    return cost(rows * f.forward, rows * (f.backward + recompute), gauntResidualElems(a, x1!, x2!, variant), pe);
  },
  init: ones,
});
