// A backend with one primitive's kernel made subtly wrong, for checking that a law can tell (the
// sensitivity tests). Works on any backend: tensors go through download/upload to be changed.
import type { Backend, Residual, SomeKernel } from '../src/backend/backend';
import type { TypedPrim } from '../src/term/check';
import type { HostTensor } from '../src/tensor/tensor';

/** How to get one kernel wrong; every part is optional and defaults to "as is". */
export interface Tampering {
  /** Change output `i` of the forward pass. */
  readonly output?: (t: HostTensor, i: number) => HostTensor;
  /** Change the gradient of input `i` (non-null ones only). */
  readonly dInput?: (t: HostTensor, i: number) => HostTensor;
  /** Change the gradient of the parameter with local name `name`. */
  readonly dParam?: (t: HostTensor, name: string) => HostTensor;
  /** Extra residual entries to keep (on top of the kernel's own), from the inputs. */
  readonly extraResidual?: (inputs: readonly HostTensor[]) => Record<string, HostTensor>;
  /** Run the kernel on a changed node (other attributes than the term says). */
  readonly node?: (n: TypedPrim) => TypedPrim;
}

const EXTRA = 'tampered:';

/** `be` with the kernel of primitive `prim` changed as `how` says; every other kernel as is. */
export const tampered = <T>(be: Backend<T>, prim: string, how: Tampering): Backend<T> => {
  const via = (t: T, f: (h: HostTensor) => HostTensor): T => be.upload(f(be.download(t)));
  const wrap = (k: SomeKernel<T>): SomeKernel<T> => ({
    prim: k.prim,
    forward(node, params, inputs) {
      const n = how.node ? how.node(node) : node;
      const { outputs, residual } = k.forward(n, params, inputs);
      const extra = how.extraResidual ? how.extraResidual(inputs.map((x) => be.download(x))) : {};
      const kept: Record<string, T> = { ...residual };
      for (const [name, t] of Object.entries(extra)) kept[EXTRA + name] = be.upload(t);
      return { outputs: how.output ? outputs.map((o, i) => via(o, (h) => how.output!(h, i))) : outputs, residual: kept };
    },
    backward(node, params, residual, dOutputs) {
      const n = how.node ? how.node(node) : node;
      const own: Record<string, T> = {};
      for (const [name, t] of Object.entries(residual as Residual<T>)) if (!name.startsWith(EXTRA)) own[name] = t;
      const g = k.backward(n, params, own, dOutputs);
      const dInputs = how.dInput ? g.dInputs.map((d, i) => (d === null ? null : via(d, (h) => how.dInput!(h, i)))) : g.dInputs;
      const dParams = how.dParam ? Object.fromEntries(Object.entries(g.dParams).map(([name, d]) => [name, via(d, (h) => how.dParam!(h, name))])) : g.dParams;
      return { dInputs, dParams };
    },
  });
  return {
    ...be,
    name: `${be.name} (${prim} tampered)`,
    kernel: (p) => {
      const k = be.kernel(p);
      return k && p === prim ? wrap(k) : k;
    },
  };
};

/** Every entry times `s` (e.g. 1 + 1e-4). */
export const scaled =
  (s: number) =>
  (t: HostTensor): HostTensor => ({ shape: t.shape, data: t.data.map((v) => v * s) });

/** The entry of largest magnitude times `s`: one gradient entry nudged. */
export const largestScaled =
  (s: number) =>
  (t: HostTensor): HostTensor => {
    let at = 0;
    for (let i = 1; i < t.data.length; i++) if (Math.abs(t.data[i]!) > Math.abs(t.data[at]!)) at = i;
    const data = t.data.slice();
    data[at] = data[at]! * s;
    return { shape: t.shape, data };
  };

/** Entry `i` plus `by`. */
export const shifted =
  (i: number, by: number) =>
  (t: HostTensor): HostTensor => {
    const data = t.data.slice();
    data[i] = data[i]! + by;
    return { shape: t.shape, data };
  };
