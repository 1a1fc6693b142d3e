import * as E from 'fp-ts/lib/Either.js';
import { twoCellKey, type Residual } from '../../../src/backend/backend';
import type { TypedPrim } from '../../../src/term/check';
import { spgemmDataflows, spgemmDef, spmmDef, sddmmDef, spgemmVariant } from '../../../src/prims/sparse';
import { type Csr, cotangentValues, nnzOf, packCotangent, packCsr, unpackCsr, withValues } from '../../../src/sparse/csr';
import { type Dataflow, spgemm as spgemmRun, spgemmPattern, spgemmVjp } from '../../../src/sparse/spgemm';
import { sddmm as sddmmRun, sddmmVjp, spmm as spmmRun, spmmVjp } from '../../../src/sparse/ops';
import { csrDims } from '../../../src/tensor/shape';
import { alloc, dtypeOf } from '../../../src/tensor/tensor';
import { type JsTensor, jsKernel } from '../kernel';

const at = <A>(node: TypedPrim<A>, what: string) => `${node.def.name} at ${node.path.length ? node.path.join('.') : '<root>'}, ${what}`;

/** Unpack a CSR wire, a clear error naming the node and input if it is malformed. */
const sparseIn = <A>(node: TypedPrim<A>, t: JsTensor, what: string): Csr => {
  const r = unpackCsr(t, at(node, what));
  if (E.isLeft(r)) throw new RangeError(r.left);
  return r.right;
};

const dense = (like: JsTensor, shape: readonly number[], values: ArrayLike<number>): JsTensor => {
  const data = alloc(dtypeOf(like.data), values.length);
  data.set(values);
  return { shape: [...shape], data };
};

const dataflowOf = (variant: string): Dataflow => variant.replace(/:keep$/, '') as Dataflow;

/** C's pattern as a dense residual tensor, padded to the output's bound (rowPtr, then colIdx). */
const patternTensor = <A>(node: TypedPrim<A>, c: Pick<Csr, 'rowPtr' | 'colIdx'>, like: JsTensor): JsTensor => {
  const d = csrDims(node.outputs[0]!)!;
  const data = alloc(dtypeOf(like.data), d.rows + 1 + d.nnz);
  data.set(c.rowPtr, 0);
  data.set(c.colIdx, d.rows + 1);
  return { shape: [d.rows + 1 + d.nnz], data };
};

/** The symbolic phase rerun on the kept A and B: C's pattern (the keep 2-cell's r). */
const recomputePattern = <A>(node: TypedPrim<A>, m: Residual<JsTensor>): JsTensor => {
  const a = sparseIn(node, m.a!, 'kept A');
  const b = sparseIn(node, m.b!, 'kept B');
  const { rowPtr, colIdx } = spgemmPattern(a, b);
  return patternTensor(node, { rowPtr, colIdx }, m.a!);
};

export const spgemm = jsKernel(spgemmDef, {
  forward: (node, _p, [x, y]) => {
    const a = sparseIn(node, x!, 'input 0 (A)');
    const b = sparseIn(node, y!, 'input 1 (B)');
    const c = spgemmRun(a, b, dataflowOf(node.variant));
    const bound = csrDims(node.outputs[0]!)!.nnz;
    if (nnzOf(c) > bound)
      throw new RangeError(`${at(node, 'output C')}: the product has ${nnzOf(c)} nonzeros, more than its bound ${bound} (raise attrs.nnz)`);
    const residual: Record<string, JsTensor> = { a: x!, b: y! };
    if (node.variant.endsWith(':keep')) residual.c = patternTensor(node, c, x!);
    return { outputs: [packCsr(c, bound, dtypeOf(x!.data))], residual };
  },
  backward: (node, _p, m, [dy]) => {
    const a = sparseIn(node, m.a!, 'kept A');
    const b = sparseIn(node, m.b!, 'kept B');
    const pt = (m.c ?? recomputePattern(node, m)).data;
    const rows = a.rows;
    const cRowPtr = Int32Array.from(pt.subarray(0, rows + 1));
    const cColIdx = Int32Array.from(pt.subarray(rows + 1, rows + 1 + cRowPtr[rows]!));
    const { dA, dB } = spgemmVjp(a, b, { rowPtr: cRowPtr, colIdx: cColIdx }, cotangentValues(dy!, cRowPtr[rows]!));
    const dt = dtypeOf(dy!.data);
    return { dInputs: [packCotangent(m.a!.shape, dA, dt), packCotangent(m.b!.shape, dB, dt)], dParams: {} };
  },
  twoCells: Object.fromEntries(
    spgemmDataflows.map((d) => [
      twoCellKey(spgemmVariant(d, false), spgemmVariant(d, true)),
      { r: (node: TypedPrim<{ nnz?: number }>, _p: unknown, m: Residual<JsTensor>) => ({ ...m, c: recomputePattern(node, m) }) },
    ]),
  ),
});

export const spmm = jsKernel(spmmDef, {
  forward: (node, _p, [x, y]) => {
    const a = sparseIn(node, x!, 'input 0 (A)');
    return { outputs: [dense(y!, node.outputs[0]!, spmmRun(a, y!.data, y!.shape[1]!))], residual: { a: x!, x: y! } };
  },
  backward: (node, _p, m, [dy]) => {
    const a = sparseIn(node, m.a!, 'kept A');
    const { dA, dX } = spmmVjp(a, m.x!.data, m.x!.shape[1]!, dy!.data);
    return { dInputs: [packCotangent(m.a!.shape, dA, dtypeOf(dy!.data)), dense(dy!, m.x!.shape, dX)], dParams: {} };
  },
});

export const sddmm = jsKernel(sddmmDef, {
  forward: (node, _p, [s, x, y]) => {
    const S = sparseIn(node, s!, 'input 0 (S)');
    const out = withValues(S, Float64Array.from(sddmmRun(S, x!.data, y!.data, x!.shape[1]!)));
    return { outputs: [packCsr(out, csrDims(s!.shape)!.nnz, dtypeOf(s!.data))], residual: { s: s!, x: x!, y: y! } };
  },
  backward: (node, _p, m, [dy]) => {
    const S = sparseIn(node, m.s!, 'kept S');
    const g = cotangentValues(dy!, nnzOf(S));
    const { dS, dX, dY } = sddmmVjp(S, m.x!.data, m.y!.data, m.x!.shape[1]!, g);
    return { dInputs: [packCotangent(m.s!.shape, dS, dtypeOf(dy!.data)), dense(dy!, m.x!.shape, dX), dense(dy!, m.y!.shape, dY)], dParams: {} };
  },
});
