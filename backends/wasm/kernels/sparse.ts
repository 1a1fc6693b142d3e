// Sparse (CSR) primitives on WebAssembly (src/sparse.rs). Packed CSR inputs are validated here, on
// a view of WebAssembly memory, before any Rust code reads them.
import * as E from 'fp-ts/lib/Either.js';
import { twoCellKey } from '../../../src/backend/backend';
import type { TypedPrim } from '../../../src/term/check';
import { spgemmDataflows, spgemmDef, spgemmVariant, spmmDef, sddmmDef } from '../../../src/prims/sparse';
import { type Csr, unpackCsr } from '../../../src/sparse/csr';
import type { Dataflow, SpgemmCounters } from '../../../src/sparse/spgemm';
import { csrDims } from '../../../src/tensor/shape';
import { wasmKernel } from '../kernel';
import type { WasmRuntime, WasmTensor } from '../runtime';

const at = <A>(node: TypedPrim<A>, what: string) => `${node.def.name} at ${node.path.length ? node.path.join('.') : '<root>'}, ${what}`;

/** Validate a packed CSR wire in WebAssembly memory; a clear error naming the node and input. */
const validate = <A>(rt: WasmRuntime, node: TypedPrim<A>, t: WasmTensor, what: string): Csr => {
  const r = unpackCsr({ shape: t.shape, data: rt.f32(t) }, at(node, what));
  if (E.isLeft(r)) throw new RangeError(r.left);
  return r.right;
};

const dataflowCode = (d: Dataflow): number => (d === 'inner' ? 1 : d === 'outer' ? 2 : 0);

/**
 * Run `cat_spgemm` on packed A and B already in WebAssembly memory (validated by the caller): the
 * packed C at bound `bound`, or null when C has more entries than that, and the kernel's counters.
 */
export const wasmSpgemm = (rt: WasmRuntime, a: WasmTensor, b: WasmTensor, dataflow: Dataflow, bound: number): { c: WasmTensor | null; counters: SpgemmCounters } => {
  const A = csrDims(a.shape)!, B = csrDims(b.shape)!;
  const c = rt.tensor([-1, A.rows, B.cols, bound], true);
  const cnt = rt.tensor([10], true); // five f64 counters
  const nnz = rt.exports.cat_spgemm(dataflowCode(dataflow), rt.ptr(a), rt.ptr(b), A.rows, A.cols, B.cols, A.nnz, B.nnz, c.buf.ptr, bound, cnt.buf.ptr);
  const v = new Float64Array(rt.exports.memory.buffer, cnt.buf.ptr, 5);
  const counters = { products: v[0]!, storedPartials: v[1]!, peakIntermediateBytes: v[2]!, bytesReadA: v[3]!, bytesReadB: v[4]! };
  rt.release(cnt);
  if (nnz < 0) {
    rt.release(c);
    return { c: null, counters };
  }
  return { c, counters };
};

/** C's pattern (row pointers, then column slots up to the output bound) recomputed from A and B. */
const pattern = <A>(rt: WasmRuntime, node: TypedPrim<A>, a: WasmTensor, b: WasmTensor): WasmTensor => {
  const A = csrDims(a.shape)!, B = csrDims(b.shape)!, C = csrDims(node.outputs[0]!)!;
  const pat = rt.tensor([C.rows + 1 + C.nnz], true);
  if (rt.exports.cat_spgemm_pattern(rt.ptr(a), rt.ptr(b), A.rows, A.cols, A.nnz, B.nnz, pat.buf.ptr, C.nnz) < 0)
    throw new RangeError(`${at(node, 'output C')}: the product has more nonzeros than its bound ${C.nnz}`);
  return pat;
};

export const spgemm = wasmKernel(spgemmDef, (rt) => ({
  forward: (node, _p, [x, y]) => {
    validate(rt, node, x!, 'input 0 (A)');
    validate(rt, node, y!, 'input 1 (B)');
    const bound = csrDims(node.outputs[0]!)!.nnz;
    const { c } = wasmSpgemm(rt, x!, y!, node.variant.replace(/:keep$/, '') as Dataflow, bound);
    if (!c) throw new RangeError(`${at(node, 'output C')}: the product has more nonzeros than its bound ${bound} (raise attrs.nnz)`);
    const residual: Record<string, WasmTensor> = { a: x!, b: y! };
    if (node.variant.endsWith(':keep')) residual.c = pattern(rt, node, x!, y!);
    return { outputs: [c], residual };
  },
  backward: (node, _p, m, [dy]) => {
    const a = m.a!, b = m.b!;
    const A = csrDims(a.shape)!, B = csrDims(b.shape)!, C = csrDims(node.outputs[0]!)!;
    const pat = m.c ?? pattern(rt, node, a, b);
    const da = rt.tensor(a.shape, true);
    const db = rt.tensor(b.shape, true);
    rt.exports.cat_spgemm_vjp(rt.ptr(a), rt.ptr(b), A.rows, A.cols, B.cols, A.nnz, B.nnz, rt.ptr(pat), rt.ptr(dy!) + 4 * (C.rows + 1 + C.nnz), da.buf.ptr, db.buf.ptr);
    return { dInputs: [da, db], dParams: {} };
  },
  twoCells: Object.fromEntries(
    spgemmDataflows.map((d) => [
      twoCellKey(spgemmVariant(d, false), spgemmVariant(d, true)),
      { r: (node: TypedPrim<{ nnz?: number }>, _p: unknown, m: Readonly<Record<string, WasmTensor>>) => ({ ...m, c: pattern(rt, node, m.a!, m.b!) }) },
    ]),
  ),
}));

export const spmm = wasmKernel(spmmDef, (rt) => ({
  forward: (node, _p, [a, x]) => {
    validate(rt, node, a!, 'input 0 (A)');
    const A = csrDims(a!.shape)!;
    const y = rt.tensor(node.outputs[0]!);
    rt.exports.cat_spmm(rt.ptr(a!), A.rows, A.cols, A.nnz, rt.ptr(x!), x!.shape[1]!, y.buf.ptr);
    return { outputs: [y], residual: { a: a!, x: x! } };
  },
  backward: (_node, _p, m, [dy]) => {
    const A = csrDims(m.a!.shape)!;
    const da = rt.tensor(m.a!.shape, true);
    const dx = rt.tensor(m.x!.shape);
    rt.exports.cat_spmm_vjp(rt.ptr(m.a!), A.rows, A.cols, A.nnz, rt.ptr(m.x!), m.x!.shape[1]!, rt.ptr(dy!), da.buf.ptr, dx.buf.ptr);
    return { dInputs: [da, dx], dParams: {} };
  },
}));

export const sddmm = wasmKernel(sddmmDef, (rt) => ({
  forward: (node, _p, [s, x, y]) => {
    validate(rt, node, s!, 'input 0 (S)');
    const S = csrDims(s!.shape)!;
    const out = rt.tensor(s!.shape, true);
    // Copy S's pattern slots, then fill the values.
    rt.f32(out).set(rt.f32(s!).subarray(0, S.rows + 1 + S.nnz));
    rt.exports.cat_sddmm(rt.ptr(s!), S.rows, S.cols, S.nnz, rt.ptr(x!), rt.ptr(y!), x!.shape[1]!, out.buf.ptr);
    return { outputs: [out], residual: { s: s!, x: x!, y: y! } };
  },
  backward: (_node, _p, m, [g]) => {
    const S = csrDims(m.s!.shape)!;
    const ds = rt.tensor(m.s!.shape, true);
    const dx = rt.tensor(m.x!.shape);
    const dy = rt.tensor(m.y!.shape);
    rt.exports.cat_sddmm_vjp(rt.ptr(m.s!), S.rows, S.cols, S.nnz, rt.ptr(m.x!), rt.ptr(m.y!), m.x!.shape[1]!, rt.ptr(g!) + 4 * (S.rows + 1 + S.nnz), ds.buf.ptr, dx.buf.ptr, dy.buf.ptr);
    return { dInputs: [ds, dx, dy], dParams: {} };
  },
}));
