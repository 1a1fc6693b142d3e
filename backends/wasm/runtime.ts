import { type Backend, type SomeKernel, kernelTable } from '../../src/backend/backend';
import type { HostTensor } from '../../src/tensor/tensor';
import { assertShape, showShape, sizeOf, type Shape } from '../../src/tensor/shape';
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
  /** The runtime (module instance) whose memory holds it. */
  readonly owner: number;
}

/** A float32 tensor living in WebAssembly memory. */
export interface WasmTensor {
  readonly shape: Shape;
  readonly size: number;
  readonly buf: WasmBuffer;
}

/**
 * Asking WebAssembly for memory it cannot give (over 2 GiB in one tensor, or over 4 GiB in all). Every
 * allocation failure of the wasm backend is one of these, with the sizes; the runtime stays usable
 * (release tensors or `resetTo` a mark, and allocate again).
 */
export class WasmMemoryError extends RangeError {
  override readonly name = 'WasmMemoryError';
}

/**
 * A byte address from the module: wasm32 addresses are unsigned 32-bit, but an `i32` result reaches
 * JavaScript signed, so every address at or above 2 GiB would come out negative.
 */
export const unsignedAddress = (p: number): number => p >>> 0;

let runtimeCount = 0;

const mib = (b: number): string => `${(b / 2 ** 20).toFixed(1)} MiB`;

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
  /** Distinguishes this instance's tensors from another instance's. */
  readonly id = ++runtimeCount;
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
      made = checkedKernel(this, k.make(this));
      this.made.set(k, made);
    }
    return made;
  }

  /** Current size of the module's memory in bytes (it only grows). */
  memoryBytes(): number {
    return this.exports.memory.buffer.byteLength;
  }

  /** The error for an allocation of `bytes` (for `what`) that WebAssembly could not give. */
  outOfMemory(what: string, bytes?: number): WasmMemoryError {
    return new WasmMemoryError(
      `wasm: out of memory ${bytes !== undefined ? `allocating ${mib(bytes)} ` : ''}for ${what} (module memory ${mib(this.memoryBytes())}, ` +
        `${mib(this.liveBytes)} in live tensors; WebAssembly memory cannot grow past 4 GiB): release tensors or use mark()/resetTo()`,
    );
  }

  /** The shadow stack's pointer, to restore after a trap (see {@link recover}). */
  stackPointer(): number {
    return this.exports.__stack_pointer.value as number;
  }

  /**
   * What a failed call into the module (started with the shadow stack at `sp`) should throw. A trap
   * leaves the stack pointer wherever the aborted call had moved it: put it back, so traps cannot
   * eat the stack. If Rust's allocator refused a request during the call (an abort, seen here as a
   * trap), the answer is a `WasmMemoryError` with its size; any other error is passed on. Scratch
   * the aborted call had already allocated is not given back.
   */
  recover(e: unknown, what: string, sp: number): unknown {
    if (!(e instanceof WebAssembly.RuntimeError)) return e;
    this.exports.__stack_pointer.value = sp;
    const failed = this.exports.cat_alloc_failure();
    return failed > 0 ? this.outOfMemory(what, failed) : e;
  }

  /**
   * Allocate `bytes` for a table that lives as long as the runtime (not a tensor: never freed).
   * Returns its unsigned address; throws `WasmMemoryError` when WebAssembly cannot give it.
   */
  allocBytes(bytes: number, what: string): number {
    if (!Number.isSafeInteger(bytes) || bytes < 0 || bytes > MAX_TENSOR_BYTES) throw this.outOfMemory(what, bytes);
    const ptr = unsignedAddress(this.exports.cat_alloc(bytes));
    if (ptr === 0) throw this.outOfMemory(what, bytes);
    return ptr;
  }

  /** Allocate `n` floats (zeroed if asked); throws `WasmMemoryError` when WebAssembly cannot give them. */
  allocBuffer(n: number, zero = false): WasmBuffer {
    if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`wasm: cannot allocate ${String(n)} floats; expected a whole number`);
    const bytes = n * 4;
    if (bytes > MAX_TENSOR_BYTES)
      throw new WasmMemoryError(
        `wasm: a tensor of ${n} floats (${(bytes / 2 ** 30).toFixed(2)} GiB) is more than one WebAssembly allocation can hold (2 GiB; wasm32 memory is at most 4 GiB)`,
      );
    const ptr = unsignedAddress(zero ? this.exports.cat_alloc_zeroed(bytes) : this.exports.cat_alloc(bytes));
    if (ptr === 0) throw this.outOfMemory(`a tensor of ${n} floats`, bytes);
    const buf: WasmBuffer = { ptr, bytes, seq: this.seq++, freed: false, pinned: false, owner: this.id };
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

  /**
   * Check that `t` is a live tensor of this runtime: not a host tensor (those must be uploaded), not
   * another instance's, not released. `where` names the use in the message.
   */
  own(t: WasmTensor, where = 'wasm'): WasmTensor {
    const buf = (t as { buf?: WasmBuffer } | null | undefined)?.buf;
    if (!buf) {
      const h = t as unknown as Partial<HostTensor> | null | undefined;
      if (h && ArrayBuffer.isView(h.data))
        throw new TypeError(
          `${where}: got a host tensor ${Array.isArray(h.shape) ? showShape(h.shape) : ''} (${h.data.constructor.name}); the wasm backend computes on tensors in WebAssembly memory: upload it first with be.upload(t)`,
        );
      throw new TypeError(`${where}: expected a wasm tensor (from this backend's upload, zeros or a kernel), got ${t === null ? 'null' : t === undefined ? 'nothing' : `a ${typeof t}`}`);
    }
    if (buf.owner !== this.id) throw new TypeError(`${where}: tensor ${showShape(t.shape)} lives in another WebAssembly instance's memory; download it and upload it here`);
    if (buf.freed) throw new Error(`${where}: tensor ${showShape(t.shape)} was used after its memory was released (release/resetTo)`);
    return t;
  }

  /** The byte address of `t`, checking that it is a live tensor of this runtime. */
  ptr(t: WasmTensor): number {
    return this.own(t).buf.ptr;
  }

  /** A fresh view of `t`'s floats. Valid only until the next call into the module. */
  f32(t: WasmTensor): Float32Array {
    return new Float32Array(this.exports.memory.buffer, this.ptr(t), t.size);
  }

  upload(h: HostTensor): WasmTensor {
    assertShape(h?.shape, 'upload');
    if (!ArrayBuffer.isView(h.data)) throw new TypeError(`upload: expected a host tensor's data as a Float32Array or Float64Array, got ${typeof h.data}`);
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

  /** Give back `t`'s memory now (and that of every view sharing it); releasing twice is harmless. */
  release(t: WasmTensor): void {
    if (!t?.buf?.freed) this.own(t, 'release');
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
    this.own(t, 'keep').buf.pinned = true;
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

/** Every tensor of a record or list, checked as this runtime's (a host tensor gets a message to upload it). */
const ownAll = (rt: WasmRuntime, ts: Readonly<Record<string, WasmTensor | null>> | readonly (WasmTensor | null)[], where: string): void => {
  for (const t of Array.isArray(ts) ? ts : Object.values(ts)) if (t !== null) rt.own(t as WasmTensor, where);
};

/** Run a call into the module, turning an out-of-memory abort into a `WasmMemoryError` (see `recover`). */
const guarded = <R>(rt: WasmRuntime, what: string, f: () => R): R => {
  const sp = rt.stackPointer();
  try {
    return f();
  } catch (e) {
    throw rt.recover(e, what, sp);
  }
};

/**
 * A kernel whose arguments are checked first (a host tensor or another instance's tensor passed to a
 * program gets a message naming the primitive, not an error from deep inside a kernel), and whose
 * out-of-memory aborts inside Rust become `WasmMemoryError`s.
 */
const checkedKernel = (rt: WasmRuntime, k: SomeKernel<WasmTensor>): SomeKernel<WasmTensor> => {
  const at = (node: { path: readonly string[] }) => `wasm ${k.prim} at ${node.path.length ? node.path.join('.') : '<root>'}`;
  return {
    ...k,
    forward: (node, params, inputs) => {
      ownAll(rt, inputs, `${at(node)}, input`);
      ownAll(rt, params, `${at(node)}, parameter`);
      return guarded(rt, `the ${k.prim} forward`, () => k.forward(node, params, inputs));
    },
    backward: (node, params, residual, dOutputs) => {
      ownAll(rt, dOutputs, `${at(node)}, output gradient`);
      ownAll(rt, params, `${at(node)}, parameter`);
      ownAll(rt, residual, `${at(node)}, residual`);
      return guarded(rt, `the ${k.prim} backward`, () => k.backward(node, params, residual, dOutputs));
    },
    ...(k.twoCells
      ? {
          twoCells: Object.fromEntries(
            Object.entries(k.twoCells).map(([key, cell]) => [key, { r: (node, params, m) => guarded(rt, `the ${k.prim} ${key} map`, () => cell.r(node, params, m)) }] as const),
          ) as typeof k.twoCells,
        }
      : {}),
  };
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
    zeros: (shape) => {
      assertShape(shape, 'zeros');
      return rt.tensor(shape, true);
    },
    add: (a, b) => {
      rt.own(a, 'wasm add');
      rt.own(b, 'wasm add');
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
