/**
 * Backends by name for the command line: `js` (float32 or float64) and `wasm` (float32, SIMD128);
 * `ort` is handled by the commands that accept it (see `ortFor`).
 */
import type { Backend } from '../backend/backend';
import type { DType } from '../tensor/tensor';
import { jsBackend } from '../../backends/js';
import { initWasm } from '../../backends/wasm';
import { UserError } from './args';
import * as E from 'fp-ts/lib/Either.js';
import type { Plan } from '../plan/plan';
import type { TypedModel } from '../term/check';
import { type OrtProgram, ortProgram } from '../onnx/ort-program';

export const BACKENDS = ['js', 'wasm'] as const;
export type BackendName = (typeof BACKENDS)[number];

/**
 * Backends `train` and `bench` accept: the synchronous ones and `ort` (the term exported to ONNX
 * and run on ONNX Runtime, asynchronous; needs the optional `onnxruntime-node`).
 */
export const PROGRAM_BACKENDS = [...BACKENDS, 'ort'] as const;

/** A backend by name, or a {@link UserError} naming what is available. */
export const backendByName = async (name: string, dtype: DType, threads?: number): Promise<Backend<any>> => {
  if (threads !== undefined && threads > 1 && name !== 'wasm') throw new UserError(`--threads ${threads} applies to --backend wasm (a worker pool) or ort, not ${name}`);
  if (name === 'js') return jsBackend(dtype);
  if (name === 'wasm') {
    if (dtype !== 'float32') throw new UserError(`the wasm backend computes in float32; drop --dtype ${dtype} or use --backend js`);
    // more than one thread: a backend of its own whose large kernels split across worker threads
    return threads !== undefined && threads > 1 ? initWasm({ threads }) : initWasm();
  }
  if (name === 'ort') throw new UserError(`the ort backend runs whole exported graphs; this command needs a kernel backend (${BACKENDS.join(', ')})`);
  throw new UserError(`unknown backend ${JSON.stringify(name)}; expected one of ${BACKENDS.join(', ')}`);
};

/**
 * The `ort` program of a model under a plan, or a {@link UserError} saying why it cannot run (no
 * float64, onnxruntime-node missing, a primitive without an ONNX form).
 */
export const ortFor = async (model: TypedModel, plan: Plan, dtype: DType, threads: number | undefined, what: string): Promise<OrtProgram> => {
  if (dtype !== 'float32') throw new UserError(`the ort backend computes in float32; drop --dtype ${dtype} or use --backend js`);
  const p = await ortProgram(model, plan, threads === undefined ? {} : { threads });
  if (E.isLeft(p)) throw new UserError(`${what}: cannot run on the ort backend: ${p.left.message}`);
  return p.right;
};

/** Stop a backend's worker threads, if it has any (a threaded wasm backend). */
export const disposeBackend = async (be: Backend<any>): Promise<void> => {
  const d = (be as { dispose?: () => Promise<void> }).dispose;
  if (typeof d === 'function') await d.call(be);
};
