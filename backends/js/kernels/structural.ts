// JS kernels of the structural primitives: routing only, except copy's backward (a sum).
import { addDef, copyDef, discardDef, idDef, permuteDef, reshapeDef } from '../../../src/prims/structural';
import { jsKernel, like, type JsTensor } from '../kernel';

const addAll = (xs: readonly JsTensor[]): JsTensor => {
  const out = like(xs[0]!, xs[0]!.shape);
  for (const x of xs) for (let i = 0; i < out.data.length; i++) out.data[i] += x.data[i]!;
  return out;
};

export const id = jsKernel(idDef, {
  forward: (_n, _p, xs) => ({ outputs: [...xs], residual: {} }),
  backward: (_n, _p, _r, dys) => ({ dInputs: [...dys], dParams: {} }),
});

export const copy = jsKernel(copyDef, {
  forward: (n, _p, [x]) => ({ outputs: n.outputs.map(() => x!), residual: {} }),
  backward: (_n, _p, _r, dys) => ({ dInputs: [addAll(dys)], dParams: {} }),
});

export const add = jsKernel(addDef, {
  forward: (_n, _p, xs) => ({ outputs: [addAll(xs)], residual: {} }),
  backward: (n, _p, _r, [dy]) => ({ dInputs: n.inputs.map(() => dy!), dParams: {} }),
});

export const discard = jsKernel(discardDef, {
  forward: () => ({ outputs: [], residual: {} }),
  // The gradient of a dropped wire is zero; null says so without allocating.
  backward: () => ({ dInputs: [null], dParams: {} }),
});

export const permute = jsKernel(permuteDef, {
  forward: (n, _p, xs) => ({ outputs: n.attrs.perm.map((p) => xs[p]!), residual: {} }),
  backward: (n, _p, _r, dys) => {
    const perm = n.attrs.perm;
    const dInputs: JsTensor[] = new Array(perm.length);
    perm.forEach((p, i) => (dInputs[p] = dys[i]!));
    return { dInputs, dParams: {} };
  },
});

export const reshape = jsKernel(reshapeDef, {
  forward: (n, _p, [x]) => ({ outputs: [{ shape: n.outputs[0]!, data: x!.data }], residual: {} }),
  backward: (n, _p, _r, [dy]) => ({ dInputs: [{ shape: n.inputs[0]!, data: dy!.data }], dParams: {} }),
});
