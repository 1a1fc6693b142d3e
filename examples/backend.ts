/**
 * Backends for the example scripts, chosen by `--backend js|wasm`. Both run in float32; the wasm
 * backend must have a kernel for every primitive of a model — a missing one is a
 * `MissingKernelError` naming it, never a silent fallback to JS.
 */
import { type Backend, MissingKernelError, jsBackend } from '../src/index';

export type BackendName = 'js' | 'wasm';

const loaded = new Map<BackendName, Backend<unknown>>();

/**
 * The float32 backend `name`, instantiating the WebAssembly module on first use; with `threads` > 1
 * (wasm only) a backend whose large kernels split across that many threads (`initWasm({ threads })`).
 */
export const loadBackend = async (name: BackendName, threads = 1): Promise<Backend<unknown>> => {
  let be = loaded.get(name);
  if (!be) {
    if (name === 'js') be = jsBackend('float32') as Backend<unknown>;
    else {
      const wasm = await import('../backends/wasm/index');
      be = (threads > 1 ? await wasm.initWasm({ threads }) : wasm.initWasmSync()) as unknown as Backend<unknown>;
    }
    loaded.set(name, be);
  }
  return be;
};

/** A backend already loaded with `loadBackend` (the JS one is always available). */
export const loadedBackend = (name: BackendName, who: string): Backend<unknown> => {
  if (name === 'js') return jsBackend('float32') as Backend<unknown>;
  const be = loaded.get(name);
  if (!be) throw new Error(`${who}: the ${name} backend is not loaded; await loadBackend('${name}') first`);
  return be;
};

/** Run `f`, turning a missing kernel into a one-line message and exit code 1. */
export const exitOnMissingKernel = async <A>(who: string, name: BackendName, f: () => A | Promise<A>): Promise<A> => {
  try {
    return await f();
  } catch (e) {
    if (!(e instanceof MissingKernelError)) throw e;
    console.error(`${who}: the ${name} backend has no kernel for primitive '${e.primitive}' (at ${e.path.join('.') || '<root>'}); use --backend js`);
    process.exit(1);
  }
};
