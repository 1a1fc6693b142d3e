import { beforeAll, describe, expect, it } from 'vitest';
import * as t from 'io-ts';
import * as E from 'fp-ts/lib/Either.js';
import { checkOrThrow, definePrimitive, jsBackend, jsKernel, jsKernels, like, lowerOrThrow, MissingKernelError, prim, primitiveNames, primNodeOf } from '../src/index';
import { permuteDef, reluDef } from '../src/prims';
import { initWasm, wasmKernel, wasmKernels, type WasmBackend } from '../backends/wasm/index';

// A primitive only this test knows: y = scale · x, attribute typed by its codec.
const scaleDef = definePrimitive({
  name: 'test_scale',
  doc: 'y = scale · x (test only).',
  attrs: t.type({ scale: t.number }),
  arity: () => ({ inputs: 1, outputs: 1 }),
  shape: (_a, [x]) => E.right({ outputs: [x!], params: {} }),
  variants: ['none'],
  cost: () => ({ fwdFlops: 0, bwdFlops: 0, residualElems: 0, paramElems: 0 }),
});
const scaleJs = jsKernel(scaleDef, {
  forward: (n, _p, [x]) => {
    const y = like(x!, x!.shape);
    for (let i = 0; i < y.data.length; i++) y.data[i] = n.attrs.scale * x!.data[i]!;
    return { outputs: [y], residual: {} };
  },
  backward: (n, _p, _r, [dy]) => {
    const dx = like(dy!, dy!.shape);
    for (let i = 0; i < dx.data.length; i++) dx.data[i] = n.attrs.scale * dy!.data[i]!;
    return { dInputs: [dx], dParams: {} };
  },
});
const scaleWasm = wasmKernel(scaleDef, (rt) => ({
  forward: (n, _p, [x]) => {
    const y = rt.tensor(x!.shape);
    rt.exports.cat_scale(n.attrs.scale, rt.ptr(x!), y.buf.ptr, x!.size);
    return { outputs: [y], residual: {} };
  },
  backward: (n, _p, _r, [dy]) => {
    const dx = rt.tensor(dy!.shape);
    rt.exports.cat_scale(n.attrs.scale, rt.ptr(dy!), dx.buf.ptr, dy!.size);
    return { dInputs: [dx], dParams: {} };
  },
}));

const model = checkOrThrow(prim('test_scale', { scale: 3 }), [[2]]);
const x = { shape: [2], data: Float32Array.from([1, -2]) };

let wasm: WasmBackend;
beforeAll(async () => {
  await initWasm();
});

describe('kernel lists', () => {
  it('jsKernels covers every committed primitive (wasm gaps are listed in wasm-conformance)', () => {
    expect(jsBackend().kernelNames()).toEqual(primitiveNames().filter((n) => n !== 'test_scale'));
  });

  it('a kernel a user lists runs; without it lowering names the missing kernel', () => {
    expect(() => lowerOrThrow(model, jsBackend('float32'))).toThrow(MissingKernelError);
    const be = jsBackend('float32', [...jsKernels, scaleJs]);
    const { outputs } = lowerOrThrow(model, be).forward({}, [x]);
    expect([...outputs[0]!.data]).toEqual([3, -6]);
  });

  it('the same on wasm (initWasm / wasmBackend take a kernel list)', async () => {
    wasm = await initWasm(undefined, [...wasmKernels, scaleWasm]);
    const prog = lowerOrThrow(model, wasm);
    const out = wasm.scope(() => wasm.download(prog.forward({}, [wasm.upload(x)]).outputs[0]!));
    expect([...out.data]).toEqual([3, -6]);
    expect(wasm.kernel('test_scale')).toBe(wasm.kernel('test_scale'));
  });

  it('two kernels for one primitive is an error naming it', () => {
    const relu = jsKernels.find((k) => k.prim === reluDef.name)!;
    expect(() => jsBackend('float32', [...jsKernels, relu])).toThrow(/two kernels for primitive 'relu'/);
  });

  it('primNodeOf types a node by its primitive codec, and names a node of another primitive', () => {
    const perm = checkOrThrow(prim('permute', { perm: [1, 0] }), [[1], [2]]).root;
    if (perm.kind !== 'prim') throw new Error('expected a primitive');
    expect(E.map((n: { attrs: { perm: number[] } }) => n.attrs.perm)(primNodeOf(permuteDef, perm))).toEqual(E.right([1, 0]));
    expect(primNodeOf(reluDef, perm)).toEqual(E.left("<root>: expected a 'relu' node, got 'permute'"));
  });
});
