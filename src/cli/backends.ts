/**
 * Backends by name for the command line: `js` (float32 or float64) and `wasm` (float32, SIMD128).
 */
import type { Backend } from '../backend/backend';
import type { DType } from '../tensor/tensor';
import { jsBackend } from '../../backends/js';
import { initWasm } from '../../backends/wasm';
import { UserError } from './args';

export const BACKENDS = ['js', 'wasm'] as const;
export type BackendName = (typeof BACKENDS)[number];

/** A backend by name, or a {@link UserError} naming what is available. */
export const backendByName = async (name: string, dtype: DType): Promise<Backend<any>> => {
  if (name === 'js') return jsBackend(dtype);
  if (name === 'wasm') {
    if (dtype !== 'float32') throw new UserError(`the wasm backend computes in float32; drop --dtype ${dtype} or use --backend js`);
    return initWasm();
  }
  throw new UserError(`unknown backend ${JSON.stringify(name)}; expected one of ${BACKENDS.join(', ')}`);
};
