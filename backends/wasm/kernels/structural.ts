// Structural primitives over WebAssembly tensors: routing only, except copy's backward (a sum).
import { addDef, copyDef, discardDef, idDef, permuteDef, reshapeDef } from '../../../src/prims/structural';
import { wasmKernel } from '../kernel';
import type { WasmRuntime, WasmTensor } from '../runtime';

const addAll = (rt: WasmRuntime, xs: readonly WasmTensor[]): WasmTensor => {
  const out = rt.tensor(xs[0]!.shape);
  rt.exports.cat_copy(rt.ptr(xs[0]!), out.buf.ptr, out.size);
  for (const x of xs.slice(1)) rt.exports.cat_add(out.buf.ptr, rt.ptr(x), out.buf.ptr, out.size);
  return out;
};

export const id = wasmKernel(idDef, () => ({
  forward: (_n, _p, xs) => ({ outputs: [...xs], residual: {} }),
  backward: (_n, _p, _r, dys) => ({ dInputs: [...dys], dParams: {} }),
}));

export const copy = wasmKernel(copyDef, (rt) => ({
  forward: (n, _p, [x]) => ({ outputs: n.outputs.map(() => x!), residual: {} }),
  backward: (_n, _p, _r, dys) => ({ dInputs: [addAll(rt, dys)], dParams: {} }),
}));

export const add = wasmKernel(addDef, (rt) => ({
  forward: (_n, _p, xs) => ({ outputs: [addAll(rt, xs)], residual: {} }),
  backward: (n, _p, _r, [dy]) => ({ dInputs: n.inputs.map(() => dy!), dParams: {} }),
}));

export const discard = wasmKernel(discardDef, () => ({
  forward: () => ({ outputs: [], residual: {} }),
  backward: () => ({ dInputs: [null], dParams: {} }),
}));

export const permute = wasmKernel(permuteDef, () => ({
  forward: (n, _p, xs) => ({ outputs: n.attrs.perm.map((p) => xs[p]!), residual: {} }),
  backward: (n, _p, _r, dys) => {
    const perm = n.attrs.perm;
    const dInputs: WasmTensor[] = new Array(perm.length);
    perm.forEach((p, i) => (dInputs[p] = dys[i]!));
    return { dInputs, dParams: {} };
  },
}));

export const reshape = wasmKernel(reshapeDef, (rt) => ({
  forward: (n, _p, [x]) => ({ outputs: [rt.view(x!, n.outputs[0]!)], residual: {} }),
  backward: (n, _p, _r, [dy]) => ({ dInputs: [rt.view(dy!, n.inputs[0]!)], dParams: {} }),
}));
