import type { TypedModel } from '../term/check';
import { rng } from '../tensor/rng';
import { type DType, type HostTensor, alloc } from '../tensor/tensor';
import { sizeOf } from '../tensor/shape';

/**
 * Initial parameters of a checked model from an explicit seed. Each parameter draws from its own
 * generator derived from (seed, path), so adding a layer does not change the others' values.
 *
 * @example
 * const params = initParams(model, 42);
 */
export const initParams = (model: TypedModel, seed: number, dtype: DType = 'float32'): Record<string, HostTensor> => {
  const out: Record<string, HostTensor> = {};
  for (const [key, info] of model.params) {
    const r = rng(seed).fork(key);
    const n = sizeOf(info.shape);
    const values = info.node.def.init ? info.node.def.init(info.node.attrs, info.local, info.shape, r) : defaultInit(n, r);
    if (values.length !== n) throw new Error(`initParams: ${info.node.def.name} gave ${values.length} values for '${key}', expected ${n}`);
    const data = alloc(dtype, n);
    data.set(values);
    out[key] = { shape: [...info.shape], data };
  }
  return out;
};

const defaultInit = (n: number, r: { normal(): number }): Float64Array => {
  const a = new Float64Array(n);
  for (let i = 0; i < n; i++) a[i] = 0.02 * r.normal();
  return a;
};
