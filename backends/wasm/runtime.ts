import type { Backend, SomeKernel } from '../../src/backend/backend';
import type { HostTensor } from '../../src/tensor/tensor';
import { showShape, sizeOf, type Shape } from '../../src/tensor/shape';
import init, { initSync, initialised, instantiate, instantiateSync, type CatoptricWasmExports, type InitInput } from './pkg/catoptric_wasm.js';

/** One allocation in WebAssembly memory; views made by `reshape`/`id`/`copy` share it. */
export interface WasmBuffer {
  /** Byte address in the module's memory. */
  readonly ptr: number;
  /** Bytes requested (floats × 4). */
  readonly bytes: number;
  /** Allocation order, for `mark`/`resetTo`. */
  readonly seq: number;
  freed: boolean;
  /** Kept by `keep`: survives `resetTo`, freed only by `release`. */
  pinned: boolean;
}

/** A float32 tensor living in WebAssembly memory. */
export interface WasmTensor {
  readonly shape: Shape;
  readonly size: number;
  readonly buf: WasmBuffer;
}

/** Asking WebAssembly for memory it cannot give (over 2 GiB in one tensor, or over 4 GiB in all). */
export class WasmMemoryError extends RangeError {
  override readonly name = 'WasmMemoryError';
}

/** Largest single allocation: wasm32 `isize::MAX`, rounded down to 16 bytes. */
export const MAX_TENSOR_BYTES = 2 ** 31 - 16;

/**
 * The state of one WebAssembly instance: its exports, the live allocations and the arena marks.
 * Kernels receive it to allocate outputs and call exports by pointer.
 *
 * Memory strategy. Every tensor the backend makes (uploads, kernel outputs, residuals, gradients)
 * is recorded in allocation order. Two ways to give memory back:
 * - `release(t)` frees one tensor's buffer (shared by its reshape/id/copy views) at once;
 * - `mark()` / `resetTo(mark)` treat everything allocated after the mark as an arena: a training
 *   step does `const m = rt.mark(); …forward, backward, download…; rt.resetTo(m)`, and tensors made
 *   before the mark (parameters) stay. `keep(t)` exempts one tensor from `resetTo`.
 * Using a tensor after its memory was given back is an error, not silent garbage.
 */
export class WasmRuntime {
  private seq = 0;
  private live: WasmBuffer[] = [];
  /** Bytes held by live tensors (ours; the allocator's own bookkeeping is not counted). */
  liveBytes = 0;

  constructor(readonly exports: CatoptricWasmExports) {}

  /** Current size of the module's memory in bytes (it only grows). */
  memoryBytes(): number {
    return this.exports.memory.buffer.byteLength;
  }

  /** Allocate `n` floats (zeroed if asked); throws `WasmMemoryError` when WebAssembly cannot give them. */
  allocBuffer(n: number, zero = false): WasmBuffer {
    if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`wasm: cannot allocate ${n} floats`);
    const bytes = n * 4;
    if (bytes > MAX_TENSOR_BYTES)
      throw new WasmMemoryError(
        `wasm: a tensor of ${n} floats (${(bytes / 2 ** 30).toFixed(2)} GiB) is more than one WebAssembly allocation can hold (2 GiB; wasm32 memory is at most 4 GiB)`,
      );
    const ptr = zero ? this.exports.cat_alloc_zeroed(bytes) : this.exports.cat_alloc(bytes);
    if (ptr === 0)
      throw new WasmMemoryError(
        `wasm: out of memory allocating ${(bytes / 2 ** 20).toFixed(1)} MiB (module memory ${(this.memoryBytes() / 2 ** 20).toFixed(1)} MiB, ` +
          `${(this.liveBytes / 2 ** 20).toFixed(1)} MiB in live tensors; WebAssembly memory cannot grow past 4 GiB): release tensors or use mark()/resetTo()`,
      );
    const buf: WasmBuffer = { ptr, bytes, seq: this.seq++, freed: false, pinned: false };
    this.live.push(buf);
    this.liveBytes += bytes;
    return buf;
  }

  /** A new tensor of `shape` (uninitialised unless `zero`). */
  tensor(shape: Shape, zero = false): WasmTensor {
    const size = sizeOf(shape);
    return { shape: [...shape], size, buf: this.allocBuffer(size, zero) };
  }

  /** A tensor sharing `t`'s memory with another shape of the same size. */
  view(t: WasmTensor, shape: Shape): WasmTensor {
    const size = sizeOf(shape);
    if (size !== t.size) throw new RangeError(`wasm: cannot view ${showShape(t.shape)} as ${showShape(shape)}`);
    return { shape: [...shape], size, buf: t.buf };
  }

  /** The byte address of `t`, checking that its memory is still live. */
  ptr(t: WasmTensor): number {
    if (t.buf.freed) throw new Error(`wasm: tensor ${showShape(t.shape)} was used after its memory was released (release/resetTo)`);
    return t.buf.ptr;
  }

  /** A fresh view of `t`'s floats. Valid only until the next call into the module. */
  f32(t: WasmTensor): Float32Array {
    return new Float32Array(this.exports.memory.buffer, this.ptr(t), t.size);
  }

  upload(h: HostTensor): WasmTensor {
    if (h.data.length !== sizeOf(h.shape)) throw new RangeError(`upload: shape ${showShape(h.shape)} does not match ${h.data.length} elements`);
    const t = this.tensor(h.shape);
    this.f32(t).set(h.data);
    return t;
  }

  download(t: WasmTensor): HostTensor {
    return { shape: [...t.shape], data: this.f32(t).slice() };
  }

  free(buf: WasmBuffer): void {
    if (buf.freed) return;
    buf.freed = true;
    this.liveBytes -= buf.bytes;
    this.exports.cat_free(buf.ptr, buf.bytes);
  }

  /** Give back `t`'s memory now (and that of every view sharing it). */
  release(t: WasmTensor): void {
    this.free(t.buf);
  }

  /** A point in allocation order; see `resetTo`. */
  mark(): number {
    return this.seq;
  }

  /** Free every tensor allocated since `mark` except those passed to `keep`. */
  resetTo(mark: number): void {
    const keep: WasmBuffer[] = [];
    while (this.live.length && this.live[this.live.length - 1]!.seq >= mark) {
      const b = this.live.pop()!;
      if (b.freed) continue;
      if (b.pinned) keep.push(b);
      else this.free(b);
    }
    // pinned buffers stay tracked (release frees them)
    for (let i = keep.length - 1; i >= 0; i--) this.live.push(keep[i]!);
    // drop freed entries lazily so the list does not grow with explicit releases
    if (this.live.length > 64 && this.live.some((b) => b.freed)) this.live = this.live.filter((b) => !b.freed);
  }

  /** Exempt `t` from `resetTo` (it stays until `release`). Returns `t`. */
  keep(t: WasmTensor): WasmTensor {
    t.buf.pinned = true;
    return t;
  }

  /** Run `f` with an arena: everything it allocates and does not `keep` is freed afterwards. */
  scope<R>(f: () => R): R {
    const m = this.mark();
    try {
      return f();
    } finally {
      this.resetTo(m);
    }
  }

  /** Number of live tensor buffers. */
  liveCount(): number {
    return this.live.filter((b) => !b.freed).length;
  }
}

/** A kernel factory: kernels are made per runtime so they can call its exports. */
export type WasmKernelFactory = (rt: WasmRuntime) => Omit<SomeKernel<WasmTensor>, 'prim'>;

const factories = new Map<string, WasmKernelFactory>();

/** Register the WebAssembly kernel of a primitive (kernel modules call this when they load). */
export const registerWasmKernel = (prim: string, make: WasmKernelFactory): void => {
  if (factories.has(prim)) throw new Error(`registerWasmKernel: '${prim}' already has a wasm kernel`);
  factories.set(prim, make);
};

/** The WebAssembly backend, with the runtime's memory controls. */
export interface WasmBackend extends Backend<WasmTensor> {
  readonly runtime: WasmRuntime;
  /** See `WasmRuntime.mark`. */
  mark(): number;
  /** See `WasmRuntime.resetTo`. */
  resetTo(mark: number): void;
  /** See `WasmRuntime.keep`. */
  keep(t: WasmTensor): WasmTensor;
  /** See `WasmRuntime.scope`. */
  scope<R>(f: () => R): R;
}

const backends = new WeakMap<CatoptricWasmExports, WasmBackend>();

/** The backend over one runtime (kernels made lazily, once). */
export const backendOn = (rt: WasmRuntime): WasmBackend => {
  const made = new Map<string, SomeKernel<WasmTensor>>();
  const be: WasmBackend = {
    name: 'wasm',
    dtype: 'float32',
    runtime: rt,
    upload: (t) => rt.upload(t),
    download: (t) => rt.download(t),
    shapeOf: (t) => t.shape,
    zeros: (shape) => rt.tensor(shape, true),
    add: (a, b) => {
      if (a.size !== b.size) throw new RangeError(`wasm add: shapes ${showShape(a.shape)} and ${showShape(b.shape)} differ`);
      const out = rt.tensor(a.shape);
      rt.exports.cat_add(rt.ptr(a), rt.ptr(b), out.buf.ptr, a.size);
      return out;
    },
    release: (t) => rt.release(t),
    kernel: (prim) => {
      let k = made.get(prim);
      if (!k) {
        const f = factories.get(prim);
        if (!f) return undefined;
        k = { prim, ...f(rt) };
        made.set(prim, k);
      }
      return k;
    },
    kernelNames: () => [...factories.keys()].sort(),
    mark: () => rt.mark(),
    resetTo: (m) => rt.resetTo(m),
    keep: (t) => rt.keep(t),
    scope: (f) => rt.scope(f),
  };
  return be;
};

const backendFor = (e: CatoptricWasmExports): WasmBackend => {
  let be = backends.get(e);
  if (!be) {
    be = backendOn(new WasmRuntime(e));
    backends.set(e, be);
  }
  return be;
};

/** Load and instantiate the shared module (idempotent): call once before `wasmBackend()`. */
export const initWasm = async (input?: InitInput): Promise<WasmBackend> => backendFor(await init(input));

/** `initWasm`, synchronously (Node, workers; browsers may refuse large synchronous compiles). */
export const initWasmSync = (input?: BufferSource | WebAssembly.Module): WasmBackend => backendFor(initSync(input));

/**
 * The WebAssembly backend (float32, SIMD128) on the shared instance. Throws if `initWasm()` or
 * `initWasmSync()` has not run.
 *
 * @example
 * await initWasm();
 * const be = wasmBackend();
 * const m = be.mark(); const { outputs } = prog.forward(params, xs); …; be.resetTo(m);
 */
export const wasmBackend = (): WasmBackend => {
  const e = initialised();
  if (!e) throw new Error('wasmBackend: the WebAssembly module is not initialised; await initWasm() (or call initWasmSync()) first');
  return backendFor(e);
};

/** A backend on a new, independent instance with its own memory (for isolation and tests). */
export const freshWasmBackend = async (input?: InitInput): Promise<WasmBackend> => backendOn(new WasmRuntime(await instantiate(input)));

/** `freshWasmBackend`, synchronously. */
export const freshWasmBackendSync = (input?: BufferSource | WebAssembly.Module): WasmBackend =>
  backendOn(new WasmRuntime(instantiateSync(input)));
