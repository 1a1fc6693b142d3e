// One primitive node, run on its own: what the delta-rule and PMI laws compare across variants and
// backends (outputs, input gradients, and the residual's measured and predicted sizes).
import type { Backend } from '../src/backend/backend';
import { lowerOrThrow, residualElems } from '../src/lower/program';
import { checkOrThrow, type TypedPrim } from '../src/term/check';
import { prim } from '../src/term/term';
import type { HostTensor } from '../src/tensor/tensor';

/** One forward (+ backward) of a single primitive: outputs, input gradients, residual sizes. */
export interface PrimRun {
  readonly outputs: HostTensor[];
  readonly dInputs: HostTensor[];
  readonly residualElems: number;
  readonly predictedResidualElems: number;
}

/** Run one primitive node forward and, with cotangents, backward. */
export const runPrim = <T>(be: Backend<T>, name: string, attrs: Record<string, unknown>, variant: string, inputs: readonly HostTensor[], dOut?: readonly HostTensor[]): PrimRun => {
  const model = checkOrThrow(prim(name, attrs, { variant }), inputs.map((x) => x.shape));
  const prog = lowerOrThrow(model, be);
  const { outputs, residual } = prog.forward({}, inputs.map((x) => be.upload(x)));
  const dInputs = dOut ? prog.backward(residual, dOut.map((x) => be.upload(x))).dInputs.map((g) => be.download(g!)) : [];
  return {
    outputs: outputs.map((o) => be.download(o)),
    dInputs,
    residualElems: residualElems(be, residual),
    predictedResidualElems: (model.root as TypedPrim).cost.residualElems,
  };
};
