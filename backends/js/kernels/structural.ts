import { registerJsKernel, like, type JsTensor } from '../registry';

const addAll = (xs: readonly JsTensor[]): JsTensor => {
  const out = like(xs[0]!, xs[0]!.shape);
  for (const x of xs) for (let i = 0; i < out.data.length; i++) out.data[i] += x.data[i]!;
  return out;
};

registerJsKernel('id', {
  forward: (_n, _p, xs) => ({ outputs: [...xs], residual: {} }),
  backward: (_n, _p, _r, dys) => ({ dInputs: [...dys], dParams: {} }),
});

registerJsKernel('copy', {
  forward: (n, _p, [x]) => ({ outputs: n.outputs.map(() => x!), residual: {} }),
  backward: (_n, _p, _r, dys) => ({ dInputs: [addAll(dys)], dParams: {} }),
});

registerJsKernel('add', {
  forward: (_n, _p, xs) => ({ outputs: [addAll(xs)], residual: {} }),
  backward: (n, _p, _r, [dy]) => ({ dInputs: n.inputs.map(() => dy!), dParams: {} }),
});

registerJsKernel('discard', {
  forward: () => ({ outputs: [], residual: {} }),
  // The gradient of a dropped wire is zero; null says so without allocating.
  backward: () => ({ dInputs: [null], dParams: {} }),
});

registerJsKernel('permute', {
  forward: (n, _p, xs) => ({ outputs: (n.attrs.perm as number[]).map((p) => xs[p]!), residual: {} }),
  backward: (n, _p, _r, dys) => {
    const perm = n.attrs.perm as number[];
    const dInputs: JsTensor[] = new Array(perm.length);
    perm.forEach((p, i) => (dInputs[p] = dys[i]!));
    return { dInputs, dParams: {} };
  },
});

registerJsKernel('reshape', {
  forward: (n, _p, [x]) => ({ outputs: [{ shape: n.outputs[0]!, data: x!.data }], residual: {} }),
  backward: (n, _p, _r, [dy]) => ({ dInputs: [{ shape: n.inputs[0]!, data: dy!.data }], dParams: {} }),
});
