import type { Kernel, Params, Residual } from '../backend/backend';
import type { TypedPrim } from '../term/check';
import type { Para } from '../optic/para';
import type { TwoCell } from '../optic/twocell';
import { twoCellKey } from '../backend/backend';

/**
 * What a kernel optic keeps: the kernel's own residual record, and the parameters it ran with (held by
 * reference, so that the backward pass can use them; never counted as residual memory).
 */
export interface KernelResidual<T> {
  readonly params: Params<T>;
  readonly kept: Residual<T>;
}

/** Cotangent of a kernel optic's parameters: gradients by the primitive's local parameter names. */
export type LocalGrads<T> = Record<string, T>;

/**
 * A kernel at one node as a core parametrised optic (`Para`): parameters by local name and input
 * wires in, output wires out; the backward pass returns local parameter gradients and input
 * gradients (`null` for an input that carries no gradient). This is the generator the lowering
 * functor sends a primitive node to.
 *
 * @example
 * const o = kernelOptic(be.kernel('relu')!, node);
 * const [m, ys] = o.fwd([{}, [x]]);
 * const [dp, dxs] = o.bwd(m, [dy]);
 */
export const kernelOptic = <T, A>(
  kernel: Kernel<T, A>,
  node: TypedPrim<A>,
): Para<KernelResidual<T>, Params<T>, readonly T[], T[], readonly T[], LocalGrads<T>, (T | null)[]> => ({
  fwd: ([params, inputs]) => {
    const { outputs, residual } = kernel.forward(node, params, inputs);
    return [{ params, kept: residual }, outputs];
  },
  bwd: ({ params, kept }, dOutputs) => {
    const { dInputs, dParams } = kernel.backward(node, params, kept, dOutputs);
    return [dParams, dInputs];
  },
});

/**
 * A primitive's variant 2-cell `from ⇒ to` at one node on one backend, as a core `TwoCell` between the
 * two variants' kernel optics; `undefined` if the kernel has no map for it.
 *
 * @example
 * const cell = variantTwoCell(be.kernel('attention')!, node, 'lse', 'probs');
 */
export const variantTwoCell = <T, A>(
  kernel: Kernel<T, A>,
  node: TypedPrim<A>,
  from: string,
  to: string,
):
  | TwoCell<KernelResidual<T>, KernelResidual<T>, [Params<T>, readonly T[]], T[], readonly T[], [LocalGrads<T>, (T | null)[]]>
  | undefined => {
  const map = kernel.twoCells?.[twoCellKey(from, to)];
  if (!map) return undefined;
  const source = { ...node, variant: from, cost: node.def.cost(node.attrs, node.inputs, from) };
  const target = { ...node, variant: to, cost: node.def.cost(node.attrs, node.inputs, to) };
  return {
    source: kernelOptic(kernel, source),
    target: kernelOptic(kernel, target),
    r: (m) => ({ params: m.params, kept: map.r(source, m.params, m.kept) }),
  };
};
