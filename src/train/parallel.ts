// Data-parallel training on one machine: each batch is cut into n shards along its first axis; the
// calling thread computes the loss and gradients of the first shard and n − 1 worker threads those of
// the others, each with its own copy of the parameters and its own backend; the gradients are
// combined in shard order and one optimiser step follows (what distributed data parallelism does
// with an all-reduce). Node only: the calling thread waits for its workers synchronously. Each step
// crosses to a worker through shared memory (src/train/shard-channel.ts), not messages, and both sides
// spin briefly rather than sleep between steps.
import type { Backend } from '../backend/backend';
import type { Program } from '../lower/program';
import type { Plan } from '../plan/plan';
import type { Term } from '../term/term';
import { showShape } from '../tensor/shape';
import type { HostTensor } from '../tensor/tensor';
import type { WorkerLink } from '../../backends/wasm/pool/link';
import { startNodeWorker } from '../../backends/wasm/pool/node-link';
import { lossAndGrad, type Batch } from './loop';
import type { HostParams } from './optim';
import { programCache } from './shard-serve';
import { awaitChange, spinBudget, CONTROL_INTS, DONE, FAILED, inputBytes, LAYOUT, layoutFits, makeLayout, readReply, REQ, STOP, writeRequest, type Layout } from './shard-channel';

/** Milliseconds a worker may take over one shard before it is given up for lost. */
const SHARD_MS = 600_000;
/**
 * Milliseconds a waiting thread spins before it sleeps (`DataParallelOptions.spinMs`): longer than the
 * gap between two steps (the optimiser step and the next batch), so neither side sleeps mid-training.
 */
const SPIN_MS = 5;

export interface DataParallelOptions {
  /** Threads in all, the calling one included (≥ 1). */
  readonly workers: number;
  /** The loss term (one scalar output, a mean over the first axis of the batch). */
  readonly term: Term;
  readonly plan?: Plan;
  /** The calling thread's backend; workers make their own of the same kind ('js' or 'wasm'), with the default kernels. */
  readonly backend: Backend<any>;
  /**
   * Milliseconds a thread waiting for the other side spins before sleeping (default 5; 0 sleeps at
   * once). Spinning keeps both threads awake across the short gaps of a training loop: a thread that
   * sleeps between steps wakes late and computes its next shard slower (src/train/shard-channel.ts).
   */
  readonly spinMs?: number;
  /** Milliseconds a worker may take over one shard before it is given up for lost (default 600,000). */
  readonly timeoutMs?: number;
}

/**
 * Shards of a batch: `n` (or fewer, if it has fewer rows) contiguous slices along the first axis of
 * every input, sizes differing by at most one, larger first.
 */
export const shardBatch = (batch: Batch, n: number): { rows: number; inputs: HostTensor[] }[] => {
  if (batch.length === 0) throw new RangeError('data-parallel training: a batch needs at least one input');
  const rows = batch[0]!.shape[0];
  batch.forEach((x, i) => {
    if (x.shape.length === 0 || x.shape[0] !== rows)
      throw new RangeError(
        `data-parallel training: input ${i} has shape ${showShape(x.shape)}; every input must have the batch's ${rows ?? '(none)'} rows on its first axis`,
      );
  });
  const N = rows!;
  const k = Math.max(1, Math.min(n, N));
  const out: { rows: number; inputs: HostTensor[] }[] = [];
  let start = 0;
  for (let j = 0; j < k; j++) {
    const r = Math.floor(N / k) + (j < N % k ? 1 : 0);
    out.push({
      rows: r,
      inputs: batch.map((x) => {
        const per = x.data.length / N;
        return { shape: [r, ...x.shape.slice(1)], data: x.data.slice(start * per, (start + r) * per) };
      }),
    });
    start += r;
  }
  return out;
};

/**
 * The loss and gradients of a batch from those of its shards: weights rows/N, summed in shard order
 * (in float64, rounded once to the gradients' type). One shard is returned as it is.
 */
export const combineShards = (parts: readonly { rows: number; loss: number; grads: HostParams }[]): { loss: number; grads: Record<string, HostTensor> } => {
  if (parts.length === 1) return { loss: parts[0]!.loss, grads: { ...parts[0]!.grads } };
  const N = parts.reduce((s, p) => s + p.rows, 0);
  let loss = 0;
  for (const p of parts) loss += (p.rows / N) * p.loss;
  const grads: Record<string, HostTensor> = {};
  for (const [k, g0] of Object.entries(parts[0]!.grads)) {
    const acc = new Float64Array(g0.data.length);
    for (const p of parts) {
      const g = p.grads[k];
      if (!g || g.data.length !== acc.length) throw new Error(`data-parallel training: shard gradients disagree on parameter '${k}'`);
      const w = p.rows / N;
      const gd = g.data; // a local: this loop runs over every parameter every step
      for (let i = 0; i < acc.length; i++) acc[i]! += w * gd[i]!;
    }
    const Ctor = g0.data.constructor as Float32ArrayConstructor | Float64ArrayConstructor;
    const out = new Ctor(acc.length);
    out.set(acc);
    grads[k] = { shape: g0.shape, data: out };
  }
  return { loss, grads };
};

/** Resolve the worker module and, when it is TypeScript (running from the sources), tsx's loader. */
const workerSource = (): string => {
  let url: URL;
  try {
    const here = import.meta.url;
    url = new URL(here.endsWith('.ts') ? './shard-worker.ts' : './train-worker.js', here);
  } catch {
    throw new Error('data-parallel training: cannot locate the worker module (import.meta.url is not available: use the ESM build)');
  }
  let tsx: string | null = null;
  if (url.pathname.endsWith('.ts')) {
    const mod = (globalThis as { process?: { getBuiltinModule?: (n: string) => unknown } }).process?.getBuiltinModule?.('node:module') as
      | typeof import('node:module')
      | undefined;
    const urlMod = (globalThis as { process?: { getBuiltinModule?: (n: string) => unknown } }).process?.getBuiltinModule?.('node:url') as
      | typeof import('node:url')
      | undefined;
    if (!mod || !urlMod) throw new Error('data-parallel training needs Node (≥ 20.16)');
    tsx = urlMod.pathToFileURL(mod.createRequire(url).resolve('tsx/esm/api')).href;
  }
  return `
const { workerData } = require('node:worker_threads');
const tsx = ${JSON.stringify(tsx)};
(tsx ? import(tsx).then((m) => m.register()) : Promise.resolve())
  .then(() => import(${JSON.stringify(url.href)}))
  .catch((e) => {
    workerData.port.postMessage({ id: -1, error: String((e && e.stack) || e) });
    const bell = new Int32Array(workerData.bell);
    Atomics.add(bell, 0, 1);
    Atomics.notify(bell, 0);
  });
`;
};

/** A data-parallel loss-and-gradient evaluator over `workers` threads. Dispose it when done. */
export class DataParallel {
  readonly workers: number;
  /** One per worker thread: its link, its control integers, and the layout its buffer has now. */
  private readonly peers: { readonly link: WorkerLink; readonly control: Int32Array; layout?: Layout }[] = [];
  private readonly programFor: (inputs: readonly HostTensor[]) => Program<any>;
  private readonly spinMs: number;
  private readonly timeoutMs: number;
  private disposed = false;
  private seq = 0;

  constructor(private readonly o: DataParallelOptions) {
    if (!Number.isInteger(o.workers) || o.workers < 1) throw new RangeError(`data-parallel training: workers must be a whole number ≥ 1, got ${o.workers}`);
    const spin = o.spinMs ?? SPIN_MS;
    if (!(spin >= 0) || !Number.isFinite(spin)) throw new RangeError(`data-parallel training: spinMs must be a finite number ≥ 0, got ${spin}`);
    this.spinMs = spin;
    const timeout = o.timeoutMs ?? SHARD_MS;
    if (!(timeout > 0)) throw new RangeError(`data-parallel training: timeoutMs must be a number > 0, got ${timeout}`);
    this.timeoutMs = timeout;
    const name = o.backend.name;
    // the JS backend is 'js' (float32) or 'js-f64'; workers make theirs from the dtype
    const kind = name === 'wasm' ? 'wasm' : name === 'js' || name === 'js-f64' ? 'js' : undefined;
    if (o.workers > 1 && kind === undefined)
      throw new RangeError(`data-parallel training: workers can make 'js', 'js-f64' or 'wasm' backends, not '${name}'`);
    this.workers = o.workers;
    this.programFor = programCache(o.term, o.backend, o.plan);
    if (o.workers > 1) {
      const source = workerSource();
      for (let i = 1; i < o.workers; i++) {
        const control = new SharedArrayBuffer(CONTROL_INTS * 4);
        const init = { kind: 'init', backend: kind, dtype: o.backend.dtype, term: o.term, plan: o.plan ?? {}, control, spinMs: spin };
        this.peers.push({ link: startNodeWorker(source, init, 'data-parallel training worker'), control: new Int32Array(control) });
      }
    }
  }

  /** Give worker `j` the request: a new layout first when the old one does not hold it. */
  private send(j: number, seq: number, params: HostParams, inputs: readonly HostTensor[]): void {
    const peer = this.peers[j]!;
    let layout = peer.layout;
    if (!layout || !layoutFits(layout, params, inputs)) {
      layout = makeLayout((layout?.version ?? 0) + 1, params, inputBytes(inputs));
      peer.layout = layout;
      peer.link.post({ kind: 'layout', layout }, []);
      Atomics.store(peer.control, LAYOUT, layout.version);
    }
    writeRequest(layout, params, inputs);
    Atomics.store(peer.control, REQ, seq);
    Atomics.notify(peer.control, REQ);
  }

  /** Loss and gradients of `batch` at `params`: shard 0 here, the others in the workers, combined in shard order. */
  lossAndGrad(params: HostParams, batch: Batch): { loss: number; grads: Record<string, HostTensor> } {
    if (this.disposed) throw new Error('data-parallel training: this DataParallel has been disposed');
    const shards = shardBatch(batch, this.workers);
    const seq = ++this.seq;
    shards.slice(1).forEach((s, j) => this.send(j, seq, params, s.inputs));
    let first: { loss: number; grads: Record<string, HostTensor> } | undefined;
    let failure: unknown;
    const t0 = performance.now();
    try {
      first = lossAndGrad(this.programFor(shards[0]!.inputs), this.o.backend, params, shards[0]!.inputs);
    } catch (e) {
      failure = e;
    }
    const ownMs = performance.now() - t0;
    const parts: { rows: number; loss: number; grads: HostParams }[] = first ? [{ rows: shards[0]!.rows, ...first }] : [];
    const deadline = performance.now() + this.timeoutMs;
    shards.slice(1).forEach((s, j) => {
      const { link, control: ctl, layout } = this.peers[j]!;
      let done = Atomics.load(ctl, DONE);
      const spin = spinBudget(this.spinMs, ownMs);
      while (done !== seq) {
        const v = awaitChange(ctl, DONE, done, spin, deadline);
        if (v === undefined) break;
        done = v;
      }
      if (done !== seq) failure ??= new Error(`data-parallel training: worker ${j + 1} did not answer within ${this.timeoutMs / 1000} s`);
      else if (Atomics.load(ctl, FAILED) === 1) {
        const r = link.takeSync!(1000);
        failure ??= new Error(`data-parallel training: worker ${j + 1} failed on shard ${j + 1}: ${r?.error ?? '(no message)'}`);
      } else parts.push({ rows: s.rows, ...readReply(layout!) });
    });
    if (failure !== undefined) throw failure;
    return combineShards(parts);
  }

  /** Stop the workers; resolves once their threads have ended. */
  async dispose(): Promise<void> {
    this.disposed = true;
    const peers = this.peers.splice(0);
    for (const { control } of peers) {
      Atomics.store(control, STOP, 1);
      Atomics.notify(control, REQ);
    }
    await Promise.all(peers.map((p) => p.link.terminate()));
  }
}
