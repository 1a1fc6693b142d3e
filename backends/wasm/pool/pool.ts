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
  /** Byte ranges of the caller's memory: with their bytes, or (`bytes` null) written before they are read. */
  readonly blocks: readonly { start: number; length: number; bytes: ArrayBuffer | null }[];
  readonly outs: readonly { ptr: number; rows: number; cols: number; stride: number }[];
}

type Call = readonly number[];

/** A pool of workers for one runtime. Workers start on first use; `dispose()` stops them. */
export class WasmPool {
  readonly threads: number;
  readonly minWork: number;
  private readonly links: WorkerLink[] = [];
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
    const cut = (j: number) => units[Math.floor((j * units.length) / P)] ?? calls.length;
    const slices = Array.from({ length: P }, (_, j) => calls.slice(cut(j), j + 1 < P ? cut(j + 1) : calls.length));
    const sent: { link: WorkerLink; req: Request }[] = [];
    for (let j = 1; j < P; j++) {
      const req = request(rt, name, slices[j]!, this.nextId++, meta);
      const link = this.link(j - 1);
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
          writeBack(rt, req, r.outs!);
          rest.push(...r.rcs!);
        }
      },
      finish: (): (number | undefined)[] => {
        if (failure !== undefined) throw failure;
        return [...first, ...rest];
      },
    };
  }

  /** Stop every worker; later calls run on the calling thread. */
  async dispose(): Promise<void> {
    this.disposed = true;
    const links = this.links.splice(0);
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

/** The request for one part: the merged byte ranges its calls touch, copied, and what they write. */
const request = (rt: WasmRuntime, name: SplitExport, calls: readonly Call[], id: number, meta: readonly number[]): Request => {
  // [start, end, whether its bytes must be sent (read by a call), not only written]
  const ranges: [number, number, boolean][] = [];
  const outs = new Map<string, { ptr: number; rows: number; cols: number; stride: number }>();
  let ptrArgs: number[] = [];
  for (const call of calls) {
    const regions = regionsOf(name, call, meta);
    ptrArgs = regions.map((r) => r.arg);
    for (const r of regions) {
      const ptr = call[r.arg]!;
      if (ptr === 0) continue;
      ranges.push([ptr, ptr + 4 * extentOf(r), r.mode !== 'out']);
      if (r.mode !== 'in' && extentOf(r) > 0) {
        const o = { ptr, rows: r.rows, cols: r.cols, stride: r.stride };
        outs.set(`${ptr}:${r.rows}:${r.cols}:${r.stride}`, o);
      }
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
  const mem = new Uint8Array(rt.exports.memory.buffer);
  // what the calls only write is not sent: a written region is copied back whole, row by row
  const blocks = merged.map(([s, e, read]) => ({ start: s, length: e - s, bytes: read ? mem.slice(s, e).buffer : null }));
  return { kind: 'run', id, name, ptrArgs, calls: calls.map((c) => [...c]), blocks, outs: [...outs.values()] };
};

/** Copy what a worker wrote into the caller's memory, row by row (only the floats it wrote). */
const writeBack = (rt: WasmRuntime, req: Request, outs: readonly ArrayBuffer[]): void => {
  const mem = new Float32Array(rt.exports.memory.buffer);
  req.outs.forEach((o, i) => {
    const data = new Float32Array(outs[i]!);
    const base = o.ptr / 4;
    for (let r = 0; r < o.rows; r++) mem.set(data.subarray(r * o.cols, (r + 1) * o.cols), base + r * o.stride);
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
