import { type Backend, type SomeKernel, kernelTable } from '../../src/backend/backend';
import type { HostTensor } from '../../src/tensor/tensor';
import { showShape, sizeOf, type Shape } from '../../src/tensor/shape';
import init, { initSync, initialised, instantiate, instantiateSync, type CatoptricWasmExports, type InitInput } from './pkg/catoptric_wasm.js';
import type { SomeWasmKernel } from './kernel';
import { wasmKernels } from './kernels';

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

  /** Kernels made on this runtime, by kernel value (so backends sharing the runtime share them). */
  private readonly made = new WeakMap<SomeWasmKernel, SomeKernel<WasmTensor>>();

  constructor(readonly exports: CatoptricWasmExports) {}

  /** `k` made on this runtime, once. */
  kernel(k: SomeWasmKernel): SomeKernel<WasmTensor> {
    let made = this.made.get(k);
    if (!made) {
      made = k.make(this);
      this.made.set(k, made);
    }
    return made;
  }

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

/**
 * The backend over one runtime with the kernels of `kernels` (default: every wasm kernel; pass
 * `[...wasmKernels, myKernel]` to add one). Kernels are made lazily, once per runtime.
 */
export const backendOn = (rt: WasmRuntime, kernels: readonly SomeWasmKernel[] = wasmKernels): WasmBackend => {
  const table = kernelTable(kernels, 'wasm backend');
  const names = [...table.keys()].sort();
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
    kernel: (prim): SomeKernel<WasmTensor> | undefined => {
      const k = table.get(prim);
      return k && rt.kernel(k);
    },
    kernelNames: () => [...names],
    mark: () => rt.mark(),
    resetTo: (m) => rt.resetTo(m),
    keep: (t) => rt.keep(t),
    scope: (f) => rt.scope(f),
  };
  return be;
};

// One runtime per instance (it tracks the instance's memory), and its default backend.
const runtimes = new WeakMap<CatoptricWasmExports, WasmRuntime>();
const defaults = new WeakMap<WasmRuntime, WasmBackend>();

const backendFor = (e: CatoptricWasmExports, kernels: readonly SomeWasmKernel[] | undefined): WasmBackend => {
  let rt = runtimes.get(e);
  if (!rt) {
    rt = new WasmRuntime(e);
    runtimes.set(e, rt);
  }
  if (kernels) return backendOn(rt, kernels);
  let be = defaults.get(rt);
  if (!be) {
    be = backendOn(rt);
    defaults.set(rt, be);
  }
  return be;
};

/**
 * Load and instantiate the shared module (idempotent): call once before `wasmBackend()`. With
 * `kernels`, the backend has those kernels instead of `wasmKernels`.
 */
export const initWasm = async (input?: InitInput, kernels?: readonly SomeWasmKernel[]): Promise<WasmBackend> => backendFor(await init(input), kernels);

/** `initWasm`, synchronously (Node, workers; browsers may refuse large synchronous compiles). */
export const initWasmSync = (input?: BufferSource | WebAssembly.Module, kernels?: readonly SomeWasmKernel[]): WasmBackend =>
  backendFor(initSync(input), kernels);

/**
 * The WebAssembly backend (float32, SIMD128) on the shared instance, with `kernels` (default: every
 * wasm kernel). Throws if `initWasm()` or `initWasmSync()` has not run.
 *
 * @example
 * await initWasm();
 * const be = wasmBackend();
 * const m = be.mark(); const { outputs } = prog.forward(params, xs); …; be.resetTo(m);
 */
export const wasmBackend = (kernels?: readonly SomeWasmKernel[]): WasmBackend => {
  const e = initialised();
  if (!e) throw new Error('wasmBackend: the WebAssembly module is not initialised; await initWasm() (or call initWasmSync()) first');
  return backendFor(e, kernels);
};

/** A backend on a new, independent instance with its own memory (for isolation and tests). */
export const freshWasmBackend = async (input?: InitInput, kernels?: readonly SomeWasmKernel[]): Promise<WasmBackend> =>
  backendOn(new WasmRuntime(await instantiate(input)), kernels);

/** `freshWasmBackend`, synchronously. */
export const freshWasmBackendSync = (input?: BufferSource | WebAssembly.Module, kernels?: readonly SomeWasmKernel[]): WasmBackend =>
  backendOn(new WasmRuntime(instantiateSync(input)), kernels);
