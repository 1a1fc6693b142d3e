// `initWasm({ threads })`: a wasm backend on its own instance whose large kernels split across a
// pool of workers. Plain `initWasm()` / `initWasm(input, kernels)` is unchanged (one thread).
import { embeddedBytes } from '../pkg/catoptric_wasm.js';
import type { SomeWasmKernel } from '../kernel';
import { type WasmBackend, WasmRuntime, backendOn, initWasm as initShared } from '../runtime';
import { instantiateSync } from '../pkg/catoptric_wasm.js';
import type { Spawner } from './link';
import { nodeSpawner } from './node-link';
import { WasmPool, attachPool } from './pool';
import { webSpawner } from './web-link';

/** Options of a threaded wasm backend. */
export interface WasmThreadOptions {
  /**
   * Threads in all, the calling one included (default: every core, `os.availableParallelism()` in
   * Node, `navigator.hardwareConcurrency` in browsers). 1 starts no worker.
   */
  readonly threads?: number;
  /** Flops a part of a split kernel must have at least (default `DEFAULT_MIN_WORK`; 0 splits everything, for tests). */
  readonly minWork?: number;
  /** The module (default: the embedded one). */
  readonly module?: WebAssembly.Module | BufferSource;
  /** The kernels (default: every wasm kernel). */
  readonly kernels?: readonly SomeWasmKernel[];
}

/** A wasm backend with a worker pool. */
export interface ThreadedWasmBackend extends WasmBackend {
  /** Threads in all (the calling one included). */
  readonly threads: number;
  /** The pool (started lazily, on the first large kernel call). */
  readonly pool: WasmPool;
  /** Stop the workers. The backend stays usable on the calling thread alone. */
  dispose(): Promise<void>;
}

/** This platform's worker spawner, if it has one. */
export const platformSpawner = (): Spawner | undefined => nodeSpawner() ?? webSpawner();

const compile = (m: WasmThreadOptions['module']): WebAssembly.Module =>
  m instanceof WebAssembly.Module ? m : new WebAssembly.Module(m ?? embeddedBytes());

/**
 * A threaded wasm backend, synchronously: its own module instance for the calling thread, and up to
 * `threads − 1` workers with theirs, started on first use. In Node, `matmul`/`linear` (row blocks),
 * attention (per batch and head), the delta rule (per batch and head), the Gaunt and dense tensor
 * products (by samples, or by channels for one sample; their backward sums weight gradients over
 * samples, so it splits only by channels) and MCB (by rows) split across them; results are bit for
 * bit those of one thread. A browser's main thread cannot wait for workers, so there the
 * kernels run on the calling thread (`pool.splits` says which).
 *
 * @example
 * const be = initWasmThreadsSync({ threads: 2 });
 * try { … lowerOrThrow(model, be) … } finally { await be.dispose(); }
 */
export const initWasmThreadsSync = (o: WasmThreadOptions = {}): ThreadedWasmBackend => threadedOn(compile(o.module), o);

const threadedOn = (module: WebAssembly.Module, o: WasmThreadOptions): ThreadedWasmBackend => {
  const spawner = platformSpawner();
  const threads = o.threads ?? spawner?.cores() ?? 1;
  const rt = new WasmRuntime(instantiateSync(module));
  const pool = new WasmPool(module, spawner, { threads, minWork: o.minWork });
  attachPool(rt, pool);
  return { ...backendOn(rt, o.kernels), threads, pool, dispose: () => pool.dispose() };
};

/** `initWasmThreadsSync`, compiling the module asynchronously (browsers refuse large synchronous compiles). */
export const initWasmThreads = async (o: WasmThreadOptions = {}): Promise<ThreadedWasmBackend> =>
  threadedOn(o.module instanceof WebAssembly.Module ? o.module : await WebAssembly.compile(o.module ?? embeddedBytes()), o);

const isThreadOptions = (x: unknown): x is WasmThreadOptions =>
  typeof x === 'object' && x !== null && Object.getPrototypeOf(x) === Object.prototype;

/**
 * Load the WebAssembly module and return a backend. `initWasm()` (or with a module source and a
 * kernel list) initialises the shared single-threaded instance, as before; `initWasm({ threads })`
 * returns a threaded backend on its own instance (see `initWasmThreadsSync`; `threads` defaults to
 * every core). Dispose a threaded backend with `be.dispose()`.
 */
export function initWasm(options: WasmThreadOptions): Promise<ThreadedWasmBackend>;
export function initWasm(input?: Parameters<typeof initShared>[0], kernels?: readonly SomeWasmKernel[]): Promise<WasmBackend>;
export function initWasm(input?: unknown, kernels?: readonly SomeWasmKernel[]): Promise<WasmBackend> {
  return isThreadOptions(input) ? initWasmThreads(input) : initShared(input as Parameters<typeof initShared>[0], kernels);
}
