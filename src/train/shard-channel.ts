// The shared-memory channel between the data-parallel trainer (src/train/parallel.ts) and one of its
// workers (src/train/shard-serve.ts, run by src/train/shard-worker.ts): each step's parameters and shard
// go into a SharedArrayBuffer, the worker's loss and gradients come back in it, and two counters in a
// small shared Int32Array say whose turn it is. No message is posted per step. Both sides spin on the
// counters for a while before sleeping: on this machine a message took 0.25–0.5 ms to arrive, and a
// thread that sleeps between steps (Atomics.wait, or an idle event loop) computes its next shard ~35%
// slower (a B 16 parity shard: 1.45 ms with the thread kept busy, 2.0 ms after a 0.5 ms sleep), which
// cost more than the shard split saved.
import { shapeEq, sizeOf } from '../tensor/shape';
import { dtypeOf, type DType, type FArray, type HostTensor } from '../tensor/tensor';

/** Slots of the control array. */
export const REQ = 0; // the sequence number of the last request (the trainer writes it last)
export const DONE = 1; // the sequence number of the last request the worker finished
export const FAILED = 2; // 1 when that request failed (the error text follows as a port message)
export const STOP = 3; // 1: the worker leaves its loop
export const LAYOUT = 4; // the layout version the request needs
export const CONTROL_INTS = 8;

/** Bytes at the start of the data buffer for the inputs' descriptors (int32s), then the loss (float64). */
const HEADER_BYTES = 1024;
const LOSS_AT = HEADER_BYTES;
const FIRST_AT = HEADER_BYTES + 8;
/** Descriptor ints per input: dtype, rank, byte offset, then up to MAX_RANK dims. */
const MAX_RANK = 8;
const DESC_INTS = 3 + MAX_RANK;
export const MAX_INPUTS = Math.floor((HEADER_BYTES / 4 - 1) / DESC_INTS);

/** Where the parameters and their gradients live in a data buffer, and where the inputs begin. */
export interface Layout {
  readonly version: number;
  readonly data: SharedArrayBuffer;
  readonly params: readonly { readonly name: string; readonly shape: readonly number[]; readonly dtype: DType; readonly at: number; readonly grad: number }[];
  /** Byte offset where the inputs begin. */
  readonly inputsAt: number;
}

const bytesOf = (dtype: DType): number => (dtype === 'float64' ? 8 : 4);
const align8 = (n: number): number => Math.ceil(n / 8) * 8;
const view = (buf: SharedArrayBuffer, dtype: DType, at: number, n: number): FArray =>
  dtype === 'float64' ? new Float64Array(buf, at, n) : new Float32Array(buf, at, n);

/** Bytes the inputs of one request take. */
export const inputBytes = (inputs: readonly HostTensor[]): number =>
  inputs.reduce((s, x) => s + align8(x.data.length * bytesOf(dtypeOf(x.data))), 0);

/**
 * A layout for `params` with room for `inputBytes` bytes of inputs (doubled, so that longer batches
 * rarely need a new buffer).
 */
export const makeLayout = (version: number, params: Readonly<Record<string, HostTensor>>, inputBytesNeeded: number): Layout => {
  let at = FIRST_AT;
  // Gradients travel as float64 whatever the parameters' dtype: a float64 backend's gradients of float32
  // parameters lose nothing, and float32 ones convert exactly.
  const entries = Object.entries(params).map(([name, t]) => {
    const dtype = dtypeOf(t.data);
    const n = align8(t.data.length * bytesOf(dtype));
    const e = { name, shape: [...t.shape], dtype, at, grad: at + n };
    at += n + t.data.length * 8;
    return e;
  });
  return { version, data: new SharedArrayBuffer(at + 2 * inputBytesNeeded + 64), params: entries, inputsAt: at };
};

/** Whether `layout` holds `params` (same names, shapes and dtypes, in order) and `inputs`. */
export const layoutFits = (layout: Layout, params: Readonly<Record<string, HostTensor>>, inputs: readonly HostTensor[]): boolean => {
  const names = Object.keys(params);
  if (names.length !== layout.params.length) return false;
  const same = layout.params.every((p, i) => {
    const t = params[names[i]!]!;
    return p.name === names[i] && p.dtype === dtypeOf(t.data) && shapeEq(p.shape, t.shape);
  });
  return same && layout.inputsAt + inputBytes(inputs) <= layout.data.byteLength;
};

/** Write a request: the parameters, then the inputs and their descriptors. The caller then bumps REQ. */
export const writeRequest = (layout: Layout, params: Readonly<Record<string, HostTensor>>, inputs: readonly HostTensor[]): void => {
  if (inputs.length > MAX_INPUTS) throw new RangeError(`data-parallel training: at most ${MAX_INPUTS} inputs, got ${inputs.length}`);
  for (const p of layout.params) view(layout.data, p.dtype, p.at, sizeOf(p.shape)).set(params[p.name]!.data);
  const head = new Int32Array(layout.data, 0, HEADER_BYTES / 4);
  head[0] = inputs.length;
  let at = layout.inputsAt;
  inputs.forEach((x, i) => {
    if (x.shape.length > MAX_RANK) throw new RangeError(`data-parallel training: input ${i} has rank ${x.shape.length}; at most ${MAX_RANK}`);
    const dtype = dtypeOf(x.data);
    const d = 1 + i * DESC_INTS;
    head[d] = dtype === 'float64' ? 1 : 0;
    head[d + 1] = x.shape.length;
    head[d + 2] = at;
    x.shape.forEach((n, j) => (head[d + 3 + j] = n));
    view(layout.data, dtype, at, x.data.length).set(x.data);
    at += align8(x.data.length * bytesOf(dtype));
  });
};

/** Read a request (copies: the trainer overwrites the buffer on the next step). */
export const readRequest = (layout: Layout): { params: Record<string, HostTensor>; inputs: HostTensor[] } => {
  const params: Record<string, HostTensor> = {};
  for (const p of layout.params) params[p.name] = { shape: p.shape, data: view(layout.data, p.dtype, p.at, sizeOf(p.shape)).slice() };
  const head = new Int32Array(layout.data, 0, HEADER_BYTES / 4);
  const inputs: HostTensor[] = [];
  for (let i = 0; i < head[0]!; i++) {
    const d = 1 + i * DESC_INTS;
    const shape = Array.from(head.subarray(d + 3, d + 3 + head[d + 1]!));
    inputs.push({ shape, data: view(layout.data, head[d] === 1 ? 'float64' : 'float32', head[d + 2]!, sizeOf(shape)).slice() });
  }
  return { params, inputs };
};

/** Write a reply: the loss and the gradients (as float64), in the parameters' layout. */
export const writeReply = (layout: Layout, loss: number, grads: Readonly<Record<string, HostTensor>>): void => {
  new Float64Array(layout.data, LOSS_AT, 1)[0] = loss;
  for (const p of layout.params) {
    const g = grads[p.name];
    if (!g || g.data.length !== sizeOf(p.shape)) throw new Error(`data-parallel training: no gradient of the right size for parameter '${p.name}'`);
    new Float64Array(layout.data, p.grad, g.data.length).set(g.data);
  }
};

/** Read a reply (float64 views into the buffer: use them before the next request). */
export const readReply = (layout: Layout): { loss: number; grads: Record<string, HostTensor> } => {
  const grads: Record<string, HostTensor> = {};
  for (const p of layout.params) grads[p.name] = { shape: p.shape, data: new Float64Array(layout.data, p.grad, sizeOf(p.shape)) };
  return { loss: new Float64Array(layout.data, LOSS_AT, 1)[0]!, grads };
};

/**
 * How long a thread spins before it sleeps: `spinMs`, but no longer than the last shard took (at least
 * 0.5 ms). A healthy wait is a fraction of a shard. A longer one means the other thread has lost its
 * core (a host that runs both threads on one for a while, seen here for tens of seconds at a time), and
 * spinning then takes the time the other thread needs: in such a spell a parity step took 8 ms with 5 ms
 * of spin and 4.5–6 ms with this budget, against 3 ms on one thread.
 */
export const spinBudget = (spinMs: number, lastShardMs: number): number => Math.min(spinMs, Math.max(0.5, lastShardMs));

/**
 * Wait until `ctl[slot]` is no longer `seen`, or `stop()` holds, or `deadline` (ms, performance.now)
 * passes: spinning for `spinMs`, then sleeping in Atomics.wait a second at a time. Returns the new
 * value, or undefined at the deadline or on stop.
 */
export const awaitChange = (
  ctl: Int32Array,
  slot: number,
  seen: number,
  spinMs: number,
  deadline: number,
  stop: () => boolean = () => false,
): number | undefined => {
  const spinUntil = performance.now() + spinMs;
  for (let i = 0; ; i++) {
    const v = Atomics.load(ctl, slot);
    if (v !== seen) return v;
    // the clock and the stop flag every 64 turns: the loop is then mostly loads of the counter
    if ((i & 63) !== 0) continue;
    if (stop()) return undefined;
    const now = performance.now();
    if (now >= deadline) return undefined;
    if (now >= spinUntil) Atomics.wait(ctl, slot, seen, Math.min(1000, deadline - now));
  }
};
