// The worker pool of the wasm backend: N − 1 workers, each with its own instance of the module,
// plus the calling thread. A kernel hands the pool a list of calls of one Rust export whose writes
// are disjoint (per head, per row block); the pool cuts the list into contiguous parts, sends each
// worker a copy of what its part reads, runs the first part itself, and copies what the workers
// wrote back into the caller's memory. Each call is the same serial code on the same floats, so
// the result is bit for bit that of the single-threaded backend.
import type { WasmRuntime } from '../runtime';
import type { Reply, Spawner, WorkerLink } from './link';
import { type Region, type SplitExport, extentOf, splitRules } from './regions';

/**
 * Flops below which a part is not worth a worker. Sending a part and taking its answer costs about
 * 65 µs on Node here (best of 1000 gemm calls of 16³ split in two; `npm run bench -- --only=pool` reports
 * it as 'pool round trip'), the time of 1–1.5 million flops; with 2 million flops a part, a split
 * gains: gemm 128³ (4.2 MFLOP) took 345 µs on one thread and 205 µs on two.
 */
export const DEFAULT_MIN_WORK = 2e6;

/** Milliseconds without an answer after which a worker is given up for lost. */
const REPLY_MS = 300_000;

export interface PoolOptions {
  /** Threads in all, the calling one included (1: no workers). */
  readonly threads: number;
  /** Flops a part must have at least (default `DEFAULT_MIN_WORK`). 0 splits every call list. */
  readonly minWork?: number;
}

interface Request {
  readonly kind: 'run';
  readonly id: number;
  readonly name: SplitExport;
  readonly ptrArgs: readonly number[];
  readonly calls: readonly (readonly number[])[];
  /**
   * Byte ranges of the caller's memory: with their bytes (`bytes`, or at byte `at` of `stage`), or
   * neither (`bytes` null, `at` −1) when they are written before they are read.
   */
  readonly blocks: readonly { start: number; length: number; bytes: ArrayBuffer | null; at: number }[];
  /** What the calls write; with a `stage`, the worker leaves each at byte `at` of it. */
  readonly outs: readonly { ptr: number; rows: number; cols: number; stride: number; at: number }[];
  /** Memory shared with the worker (Node): operands and results pass through it, not through fresh buffers. */
  readonly stage?: SharedArrayBuffer;
}

type Call = readonly number[];

/** A pool of workers for one runtime. Workers start on first use; `dispose()` stops them. */
export class WasmPool {
  readonly threads: number;
  readonly minWork: number;
  private readonly links: WorkerLink[] = [];
  /** Call lists split across workers so far, by export (what a law can check was really split). */
  readonly splitCounts = new Map<SplitExport, number>();
  /** Each worker's staging memory (Node), grown on demand and kept. */
  private readonly stages: SharedArrayBuffer[] = [];
  private nextId = 0;
  private disposed = false;

  constructor(
    private readonly module: WebAssembly.Module,
    private readonly spawner: Spawner | undefined,
    o: PoolOptions,
  ) {
    if (!Number.isInteger(o.threads) || o.threads < 1) throw new RangeError(`wasm pool: threads must be a whole number ≥ 1, got ${o.threads}`);
    if (o.minWork !== undefined && !(o.minWork >= 0)) throw new RangeError(`wasm pool: minWork must be ≥ 0, got ${o.minWork}`);
    this.threads = o.threads;
    this.minWork = o.minWork ?? DEFAULT_MIN_WORK;
  }

  /** Whether kernels split here: more than one thread, and a platform where this thread can wait. */
  get splits(): boolean {
    return !this.disposed && this.threads > 1 && this.spawner?.platform === 'node';
  }

  /** Workers started so far. */
  get started(): number {
    return this.links.length;
  }

  /** Parts to cut `work` flops into, over at most `units` independent units. */
  partsFor(work: number, units = Number.POSITIVE_INFINITY): number {
    if (!this.splits) return 1;
    const byWork = this.minWork === 0 ? this.threads : Math.floor(work / this.minWork);
    return Math.max(1, Math.min(this.threads, units, byWork));
  }

  private link(i: number): WorkerLink {
    while (this.links.length <= i) this.links.push(this.spawner!.spawn(this.module));
    return this.links[i]!;
  }

  /**
   * Run `calls` of export `name` on `rt`, in `parts` contiguous parts (the first on this thread).
   * `groups[i]` (default: i) names the unit of call i: consecutive calls of one unit stay in one
   * part (they write the same memory). Returns each call's return value, in order. Waits for the
   * workers synchronously: where this thread cannot (`splits` is false) it runs every call here.
   */
  run(rt: WasmRuntime, name: SplitExport, calls: readonly Call[], parts: number, groups?: readonly number[], meta: readonly number[] = []): (number | undefined)[] {
    if (!this.splits) return serial(rt, name, calls);
    const d = this.dispatch(rt, name, calls, parts, groups, meta);
    for (const s of d.sent) d.take(s, s.link.takeSync!(REPLY_MS));
    return d.finish();
  }

  /**
   * `run`, waiting for the workers asynchronously: works wherever workers can be started, a
   * browser's main thread included. Nothing else may use `rt` until it resolves (the workers'
   * results are written into its memory then).
   */
  async runAsync(
    rt: WasmRuntime,
    name: SplitExport,
    calls: readonly Call[],
    parts: number,
    groups?: readonly number[],
    meta: readonly number[] = [],
  ): Promise<(number | undefined)[]> {
    if (this.disposed || this.threads < 2 || !this.spawner) return serial(rt, name, calls);
    const d = this.dispatch(rt, name, calls, parts, groups, meta);
    for (const s of d.sent) d.take(s, await s.link.take());
    return d.finish();
  }

  /** Send parts 1… to workers, run part 0 here; `take` each answer, then `finish`. */
  private dispatch(rt: WasmRuntime, name: SplitExport, calls: readonly Call[], parts: number, groups: readonly number[] | undefined, meta: readonly number[]) {
    const units = unitsOf(calls.length, groups);
    const P = Math.max(1, Math.min(parts, units.length, this.threads));
    if (P > 1) this.splitCounts.set(name, (this.splitCounts.get(name) ?? 0) + 1);
    const cut = (j: number) => units[Math.floor((j * units.length) / P)] ?? calls.length;
    const slices = Array.from({ length: P }, (_, j) => calls.slice(cut(j), j + 1 < P ? cut(j + 1) : calls.length));
    const sent: { link: WorkerLink; req: Request }[] = [];
    for (let j = 1; j < P; j++) {
      const link = this.link(j - 1);
      const req = request(rt, name, slices[j]!, this.nextId++, meta, this.spawner?.platform === 'node' ? (n) => this.stage(j - 1, n) : undefined);
      link.post(req, req.blocks.flatMap((b) => (b.bytes ? [b.bytes] : [])));
      sent.push({ link, req });
    }
    let first: (number | undefined)[] = [];
    let failure: unknown;
    try {
      first = serial(rt, name, slices[0]!);
    } catch (e) {
      failure = e;
    }
    const rest: (number | undefined)[] = [];
    return {
      sent,
      // every answer is taken, even after a failure, so none is left for the next run to misread
      take: ({ req }: { req: Request }, r: Reply | undefined) => {
        if (!r) failure ??= new Error(`wasm pool: a worker did not answer ${name} within ${REPLY_MS / 1000} s`);
        else if (r.error !== undefined) failure ??= new Error(`wasm pool: ${name} failed in a worker: ${r.error}`);
        else if (r.id !== req.id) failure ??= new Error(`wasm pool: a worker answered request ${r.id}, expected ${req.id}`);
        else if (failure === undefined) {
          writeBack(rt, req, r.outs);
          rest.push(...r.rcs!);
        }
      },
      finish: (): (number | undefined)[] => {
        if (failure !== undefined) throw failure;
        return [...first, ...rest];
      },
    };
  }

  /** Worker `i`'s staging memory, at least `bytes` long (a larger one replaces a smaller). */
  private stage(i: number, bytes: number): SharedArrayBuffer {
    const have = this.stages[i];
    if (have && have.byteLength >= bytes) return have;
    const grown = new SharedArrayBuffer(Math.max(bytes, Math.ceil((have?.byteLength ?? 0) * 1.5), 1 << 16));
    this.stages[i] = grown;
    return grown;
  }

  /** Stop every worker; later calls run on the calling thread. */
  async dispose(): Promise<void> {
    this.disposed = true;
    const links = this.links.splice(0);
    this.stages.splice(0);
    await Promise.all(links.map((l) => l.terminate()));
  }
}

/** The index of the first call of each unit (a run of equal groups). */
const unitsOf = (n: number, groups?: readonly number[]): number[] => {
  const starts: number[] = [];
  for (let i = 0; i < n; i++) if (!groups || i === 0 || groups[i] !== groups[i - 1]) starts.push(i);
  return starts;
};

const serial = (rt: WasmRuntime, name: SplitExport, calls: readonly Call[]): (number | undefined)[] => {
  const f = rt.exports[name] as (...a: number[]) => number | undefined;
  return calls.map((a) => f(...a));
};

const regionsOf = (name: SplitExport, call: Call, meta: readonly number[]): readonly Region[] => splitRules[name](call, meta);

/** Round `n` up to a multiple of 16 (staged blocks keep 16-byte alignment). */
const align16 = (n: number): number => (n + 15) & ~15;

/**
 * The request for one part: the merged byte ranges its calls touch, copied, and what they write.
 * With `stage` (Node), the bytes go into staging memory shared with the worker, which leaves the
 * written regions there too; otherwise each block is a fresh buffer, transferred.
 */
const request = (
  rt: WasmRuntime,
  name: SplitExport,
  calls: readonly Call[],
  id: number,
  meta: readonly number[],
  stage?: (bytes: number) => SharedArrayBuffer,
): Request => {
  // [start, end, whether its bytes must be sent (read by a call), not only written]
  const ranges: [number, number, boolean][] = [];
  const written = new Map<string, { ptr: number; rows: number; cols: number; stride: number }>();
  let ptrArgs: number[] = [];
  for (const call of calls) {
    const regions = regionsOf(name, call, meta);
    ptrArgs = regions.map((r) => r.arg);
    for (const r of regions) {
      const ptr = call[r.arg]!;
      if (ptr === 0) continue;
      ranges.push([ptr, ptr + 4 * extentOf(r), r.mode !== 'out']);
      if (r.mode !== 'in' && extentOf(r) > 0) written.set(`${ptr}:${r.rows}:${r.cols}:${r.stride}`, { ptr, rows: r.rows, cols: r.cols, stride: r.stride });
    }
  }
  ranges.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const merged: [number, number, boolean][] = [];
  for (const [s, e, read] of ranges) {
    const last = merged[merged.length - 1];
    if (last && s <= last[1]) {
      last[1] = Math.max(last[1], e);
      last[2] ||= read;
    } else merged.push([s, e, read]);
  }
  const outs = sideBySide([...written.values()]);
  const mem = new Uint8Array(rt.exports.memory.buffer);
  if (!stage) {
    // what the calls only write is not sent: a written region is copied back whole, row by row
    const blocks = merged.map(([s, e, read]) => ({ start: s, length: e - s, bytes: read ? mem.slice(s, e).buffer : null, at: -1 }));
    return { kind: 'run', id, name, ptrArgs, calls: calls.map((c) => [...c]), blocks, outs: outs.map((o) => ({ ...o, at: -1 })) };
  }
  let inBytes = 0;
  const at = merged.map(([s, e, read]) => {
    if (!read) return -1;
    const a = inBytes;
    inBytes += align16(e - s);
    return a;
  });
  let outBytes = 0;
  const staged = outs.map((o) => {
    const a = outBytes;
    outBytes += align16(4 * o.rows * o.cols);
    return { ...o, at: a };
  });
  const sab = stage(Math.max(inBytes, outBytes));
  const st = new Uint8Array(sab);
  const blocks = merged.map(([s, e], i) => {
    if (at[i]! >= 0) st.set(mem.subarray(s, e), at[i]!);
    return { start: s, length: e - s, bytes: null, at: at[i]! };
  });
  return { kind: 'run', id, name, ptrArgs, calls: calls.map((c) => [...c]), blocks, outs: staged, stage: sab };
};

/**
 * Written regions with regions beside them in the same rows (one call per head writes one band of
 * columns) joined into one, so they copy as wider rows.
 */
const sideBySide = (
  regions: { ptr: number; rows: number; cols: number; stride: number }[],
): { ptr: number; rows: number; cols: number; stride: number }[] => {
  const sorted = [...regions].sort((a, b) => a.ptr - b.ptr);
  const out: { ptr: number; rows: number; cols: number; stride: number }[] = [];
  for (const r of sorted) {
    const last = out[out.length - 1];
    if (last && last.rows === r.rows && last.stride === r.stride && r.rows > 1 && last.ptr + 4 * last.cols === r.ptr && last.cols + r.cols <= r.stride)
      last.cols += r.cols;
    else out.push({ ...r });
  }
  return out;
};

/**
 * Copy `rows` rows of `cols` floats from `src` (row r at `s0 + r·ss`) to `dst` (at `d0 + r·ds`).
 * Rows under 32 floats go by a plain loop: there a view per row costs more than the copy (measured
 * with Node 20: 4096 rows of 8 floats 0.06 ms by loop, 0.19 ms by views; of 64 floats 0.38 against 0.21).
 */
export const copyRows = (src: Float32Array, s0: number, ss: number, dst: Float32Array, d0: number, ds: number, rows: number, cols: number): void => {
  if (rows === 1 || (ss === cols && ds === cols)) dst.set(src.subarray(s0, s0 + rows * cols), d0);
  else if (cols >= 32) for (let r = 0; r < rows; r++) dst.set(src.subarray(s0 + r * ss, s0 + r * ss + cols), d0 + r * ds);
  else
    for (let r = 0; r < rows; r++) {
      const a = s0 + r * ss;
      const b = d0 + r * ds;
      for (let c = 0; c < cols; c++) dst[b + c] = src[a + c]!;
    }
};

/** Copy what a worker wrote into the caller's memory, row by row (only the floats it wrote). */
const writeBack = (rt: WasmRuntime, req: Request, outs: readonly ArrayBuffer[] | undefined): void => {
  const mem = new Float32Array(rt.exports.memory.buffer);
  const staged = req.stage ? new Float32Array(req.stage) : undefined;
  req.outs.forEach((o, i) => {
    const [data, d0] = staged ? [staged, o.at / 4] : [new Float32Array(outs![i]!), 0];
    copyRows(data, d0, o.cols, mem, o.ptr / 4, o.stride, o.rows, o.cols);
  });
};

// The pool of each runtime that has one (kernels find it from the runtime they were made on).
const pools = new WeakMap<WasmRuntime, WasmPool>();

/** Make `pool` the pool of `rt`'s kernels. */
export const attachPool = (rt: WasmRuntime, pool: WasmPool): void => {
  pools.set(rt, pool);
};

/** The pool of `rt`, if it has one. */
export const poolOf = (rt: WasmRuntime): WasmPool | undefined => pools.get(rt);

/** Parts `rt`'s pool would cut `work` flops into (1 without a pool, or when small). */
export const partsFor = (rt: WasmRuntime, work: number, units?: number): number => pools.get(rt)?.partsFor(work, units) ?? 1;

/**
 * Run `calls` of export `name` on `rt`: across its pool when the calls hold `work` flops in all and
 * it has one, else one after another here. Calls must write disjoint memory except within a group
 * (see `WasmPool.run`); what one call writes, no call of another group may read.
 */
export const runCalls = (
  rt: WasmRuntime,
  name: SplitExport,
  calls: readonly Call[],
  work: number,
  groups?: readonly number[],
  meta: readonly number[] = [],
): (number | undefined)[] => {
  const pool = pools.get(rt);
  const parts = pool ? pool.partsFor(work, unitsOf(calls.length, groups).length) : 1;
  return parts < 2 ? serial(rt, name, calls) : pool!.run(rt, name, calls, parts, groups, meta);
};
