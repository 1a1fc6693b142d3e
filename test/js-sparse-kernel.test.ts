import { describe, expect, it } from 'vitest';
import { spgemm, spmm, sddmm } from '../backends/js/kernels/sparse';
import { spgemmDef, spmmDef, sddmmDef } from '../src/prims/sparse';
import { fromDense, packCsr } from '../src/sparse/csr';
import { csrShape } from '../src/tensor/shape';
import { twoCellKey } from '../src/backend/backend';

/**
 * The JS sparse kernels called directly: what the ':keep' variants keep (C's pattern, as a tensor
 * of rowPtr then colIdx padded to the bound), the keep 2-cell's r, and every error naming the node
 * and the input or kept tensor that is malformed. A = [[1, 0, 2], [0, 3, 0]], B = [[1, 0], [0, 1],
 * [4, 0]], so C = A·B = [[9, 0], [0, 3]]: rowPtr [0, 1, 2], colIdx [0, 1].
 */
const A = packCsr(fromDense(2, 3, [1, 0, 2, 0, 3, 0]), 3, 'float64');
const B = packCsr(fromDense(3, 2, [1, 0, 0, 1, 4, 0]), 3, 'float64');
// C's bound from the types: min(2·2, 3·min(2, 3), 3·min(2, 3)) = 4.
const node = (def: unknown, variant: string, outputs: unknown[], path: string[] = []) => ({ def, variant, outputs, path }) as never;
const spgemmAt = (variant: string, bound = 4, path: string[] = []) => node(spgemmDef, variant, [csrShape(2, 2, bound)], path);
/** A copy of a packed CSR tensor whose first column index is 1.5. */
const broken = (t: typeof A, rows: number) => {
  const data = t.data.slice();
  data[rows + 1] = 1.5;
  return { shape: t.shape, data };
};

describe('JS sparse kernels', () => {
  it("spgemm keeps C's pattern only under ':keep', as rowPtr then colIdx padded to the bound", () => {
    const plain = spgemm.forward(spgemmAt('inner'), {}, [A, B]);
    expect(Object.keys(plain.residual).sort()).toEqual(['a', 'b']);
    const kept = spgemm.forward(spgemmAt('inner:keep'), {}, [A, B]);
    expect(Object.keys(kept.residual).sort()).toEqual(['a', 'b', 'c']);
    expect(kept.residual.c!.shape).toEqual([7]);
    expect([...kept.residual.c!.data]).toEqual([0, 1, 2, 0, 1, 0, 0]);
    expect([...kept.outputs[0]!.data]).toEqual([0, 1, 2, 0, 1, 0, 0, 9, 3, 0, 0]);
  });
  it("the keep 2-cell's r adds exactly that pattern to the plain residual", () => {
    const m = spgemm.forward(spgemmAt('outer'), {}, [A, B]).residual;
    const r = spgemm.twoCells![twoCellKey('outer', 'outer:keep')]!.r(spgemmAt('outer'), {}, m);
    expect(Object.keys(r).sort()).toEqual(['a', 'b', 'c']);
    expect(r.a).toBe(A);
    expect([...r.c!.data]).toEqual([0, 1, 2, 0, 1, 0, 0]);
  });
  it('a product over its bound is an error naming the node and output C', () => {
    expect(() => spgemm.forward(spgemmAt('inner', 1), {}, [A, B])).toThrow(
      'spgemm at <root>, output C: the product has 2 nonzeros, more than its bound 1 (raise attrs.nnz)',
    );
  });
  it('malformed inputs and kept tensors are errors naming the node path and which one', () => {
    const bA = broken(A, 2), bB = broken(B, 3);
    expect(() => spgemm.forward(spgemmAt('inner', 4, ['enc', 'mix']), {}, [bA, B])).toThrow(/^spgemm at enc\.mix, input 0 \(A\): colIdx\[0\] = 1\.5/);
    expect(() => spgemm.forward(spgemmAt('inner'), {}, [A, bB])).toThrow(/^spgemm at <root>, input 1 \(B\): /);
    const dy = { shape: csrShape(2, 2, 4), data: new Float64Array(11) };
    expect(() => spgemm.backward(spgemmAt('inner'), {}, { a: bA, b: B }, [dy])).toThrow(/^spgemm at <root>, kept A: /);
    expect(() => spgemm.backward(spgemmAt('inner'), {}, { a: A, b: bB }, [dy])).toThrow(/^spgemm at <root>, kept B: /);
    const r = spgemm.twoCells![twoCellKey('inner', 'inner:keep')]!.r;
    expect(() => r(spgemmAt('inner'), {}, { a: bA, b: B })).toThrow(/^spgemm at <root>, kept A: /);
    expect(() => r(spgemmAt('inner'), {}, { a: A, b: bB })).toThrow(/^spgemm at <root>, kept B: /);
    const X = { shape: [3, 2], data: new Float64Array(6) };
    expect(() => spmm.forward(node(spmmDef, 'none', [[2, 2]]), {}, [bA, X])).toThrow(/^spmm at <root>, input 0 \(A\): /);
    expect(() => spmm.backward(node(spmmDef, 'none', [[2, 2]]), {}, { a: bA, x: X }, [{ shape: [2, 2], data: new Float64Array(4) }])).toThrow(/^spmm at <root>, kept A: /);
    const U = { shape: [2, 1], data: new Float64Array(2) }, V = { shape: [3, 1], data: new Float64Array(3) };
    expect(() => sddmm.forward(node(sddmmDef, 'none', [A.shape]), {}, [bA, U, V])).toThrow(/^sddmm at <root>, input 0 \(S\): /);
    expect(() => sddmm.backward(node(sddmmDef, 'none', [A.shape]), {}, { s: bA, x: U, y: V }, [A])).toThrow(/^sddmm at <root>, kept S: /);
  });
});
