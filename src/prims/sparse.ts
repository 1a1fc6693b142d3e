import * as t from 'io-ts';
import { definePrimitive } from '../term/primitive';
import { type Shape, csrDims, csrShape, isCsrShape, showShape } from '../tensor/shape';
import { bad, cost, ok, sizeOf } from './util';

const NnzBound = new t.Type<number, number, unknown>(
  'non-negative integer',
  (u): u is number => typeof u === 'number' && Number.isInteger(u) && u >= 0,
  (u, c) => (typeof u === 'number' && Number.isInteger(u) && u >= 0 ? t.success(u) : t.failure(u, c)),
  (a) => a,
);
const SpgemmAttrs = t.exact(t.partial({ nnz: NnzBound }));
const None = t.exact(t.type({}));

/** The SpGEMM dataflows, each with a variant that also keeps C's pattern. */
export const spgemmDataflows = ['rowwise-hash', 'inner', 'outer'] as const;
/** The variant of `dataflow` that keeps C's pattern (`…:keep`) or recomputes it (`…`). */
export const spgemmVariant = (dataflow: string, keep: boolean): string => (keep ? `${dataflow}:keep` : dataflow);

const needCsr = (s: Shape | undefined, what: string): string | null => (s && isCsrShape(s) ? null : `${what} must be a sparse (CSR) wire, got ${s ? showShape(s) : 'nothing'}`);
const needMatrix = (s: Shape | undefined, what: string): string | null =>
  s && !isCsrShape(s) && s.length === 2 ? null : `${what} must be a dense matrix [rows, cols], got ${s ? showShape(s) : 'nothing'}`;

/**
 * The static nonzero bound of A·B from the types alone: each stored a_ik meets at most
 * min(cols, nnz(B)) entries of row k of B, and symmetrically; never more than rows·cols.
 */
export const spgemmBound = (a: Shape, b: Shape, declared?: number): number => {
  const A = csrDims(a)!, B = csrDims(b)!;
  const bound = Math.min(A.rows * B.cols, A.nnz * Math.min(B.cols, B.nnz), B.nnz * Math.min(A.rows, A.nnz));
  return declared === undefined ? bound : Math.min(bound, declared);
};

/** Sparse × sparse → sparse. */
export const spgemmDef = definePrimitive({
  name: 'spgemm',
  doc:
    'C = A·B for CSR A (m × k) and B (k × n), a CSR output; differentiable in the values, the patterns fixed. ' +
    "The variant picks the dataflow ('rowwise-hash', 'inner' or 'outer'; all give the same C bit for bit) and, " +
    "with ':keep', keeps C's pattern for the backward pass instead of recomputing it (the symbolic phase). " +
    "C's nonzero bound is min(m·n, nnz(A)·min(n, nnz(B)), nnz(B)·min(m, nnz(A)), attrs.nnz); a run whose product exceeds it is an error.",
  attrs: SpgemmAttrs,
  attrDocs: { nnz: { doc: 'declared bound on the nonzeros of C (default: the static bound from the input types; a declared one tightens it and is checked at run time)' } },
  arity: () => ({ inputs: 2, outputs: 1 }),
  sparse: true,
  shape: (a, [x, y]) => {
    const e = needCsr(x, 'input 0 (A)') ?? needCsr(y, 'input 1 (B)');
    if (e) return bad(e);
    const A = csrDims(x!)!, B = csrDims(y!)!;
    if (A.cols !== B.rows) return bad(`A is ${A.rows} × ${A.cols} but B is ${B.rows} × ${B.cols}: inner dimensions differ`);
    return ok([csrShape(A.rows, B.cols, spgemmBound(x!, y!, a.nnz))]);
  },
  variants: spgemmDataflows.flatMap((d) => [spgemmVariant(d, false), spgemmVariant(d, true)]),
  twoCells: [
    ...spgemmDataflows.map((d) => ({
      from: spgemmVariant(d, false),
      to: spgemmVariant(d, true),
      doc: `r reruns the symbolic phase (row counts and column sets of A·B) on the kept A and B to recover C's pattern: keeps m + 1 + nnz(C) fewer elements and pays the symbolic phase in the backward pass.`,
    })),
  ],
  cost: (a, [x, y], variant) => {
    const A = csrDims(x!)!, B = csrDims(y!)!;
    const products = A.nnz * Math.min(B.cols, B.nnz);
    const bound = spgemmBound(x!, y!, a.nnz);
    const keep = variant.endsWith(':keep');
    // The recomputing variants rerun the symbolic phase in the backward pass: one hash probe per partial product.
    return cost(2 * products, 4 * products + (keep ? 0 : products), sizeOf(x!) + sizeOf(y!) + (keep ? A.rows + 1 + bound : 0));
  },
  // The pattern slots of a CSR wire carry no gradient; the wire as a whole does (its values).
});

/** Sparse × dense → dense. */
export const spmmDef = definePrimitive({
  name: 'spmm',
  doc: 'C = A·X for CSR A (m × k) and dense X [k, d]: dense [m, d]. Differentiable in A\'s values and X.',
  attrs: None,
  arity: () => ({ inputs: 2, outputs: 1 }),
  sparse: true,
  shape: (_a, [x, y]) => {
    const e = needCsr(x, 'input 0 (A)') ?? needMatrix(y, 'input 1 (X)');
    if (e) return bad(e);
    const A = csrDims(x!)!;
    if (y![0] !== A.cols) return bad(`A is ${A.rows} × ${A.cols} but X is ${showShape(y!)}: X needs ${A.cols} rows`);
    return ok([[A.rows, y![1]!]]);
  },
  variants: ['none'],
  cost: (_a, [x, y]) => {
    const A = csrDims(x!)!;
    return cost(2 * A.nnz * y![1]!, 4 * A.nnz * y![1]!, sizeOf(x!) + sizeOf(y!));
  },
});

/** Sampled dense–dense product. */
export const sddmmDef = definePrimitive({
  name: 'sddmm',
  doc: 'out = S ⊙ (X·Yᵀ) at S\'s pattern, for CSR S (m × n), X [m, d], Y [n, d]: a CSR output with S\'s pattern. Differentiable in S\'s values, X and Y.',
  attrs: None,
  arity: () => ({ inputs: 3, outputs: 1 }),
  sparse: true,
  shape: (_a, [s, x, y]) => {
    const e = needCsr(s, 'input 0 (S)') ?? needMatrix(x, 'input 1 (X)') ?? needMatrix(y, 'input 2 (Y)');
    if (e) return bad(e);
    const S = csrDims(s!)!;
    if (x![0] !== S.rows || y![0] !== S.cols || x![1] !== y![1])
      return bad(`S is ${S.rows} × ${S.cols}, so X must be [${S.rows}, d] and Y [${S.cols}, d] with one d; got X ${showShape(x!)}, Y ${showShape(y!)}`);
    return ok([s!]);
  },
  variants: ['none'],
  cost: (_a, [s, x, y]) => {
    const S = csrDims(s!)!;
    return cost(2 * S.nnz * x![1]!, 6 * S.nnz * x![1]!, sizeOf(s!) + sizeOf(x!) + sizeOf(y!));
  },
});
