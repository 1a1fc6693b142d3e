// Threads: the wasm backend on 1 thread against a worker pool of N threads, in one process, on
// matmul 1024, attention fwd+bwd (T 1024, 8 heads, d 64), the chunkwise delta rule fwd+bwd (T 4096,
// 4 heads) and the Gaunt product (L 8). Run by bench/main.ts (`--threads N`, default 2).
//
// A shared machine swings wall-clock ratios widely, so the implementations run round-robin: each
// round times every thread count once (the order alternating), the speedup of a round is its
// 1-thread time over its N-thread time, and a row reports the median of the rounds' speedups with
// their spread. Each row carries the load average (1 min) before and after it. Single-threaded rows
// also report CPU time. A threaded wall-clock speedup means something only when the threads have
// their cores: other load in this machine shows in the load average, but the host may also run
// this VM's vCPUs on one physical core for seconds at a time, which only a measurement shows. So a
// probe (a 512³ gemm split across the threads against one thread) runs between rounds, and only
// rounds with a clear probe on both sides count. When the load or the probe did not allow a
// measurement, the row says so and `speedupVs1Thread` is null (the figure measured anyway is kept
// as `speedupUnderLoad`; `speedupAllRounds` is every round's median either way).
import { availableParallelism, loadavg } from 'node:os';
import { adam, checkOrThrow, initParams, lowerOrThrow, prim, randn, rng, type Term, type TypedPrim } from '../src/index';
import { deltaShapes } from '../laws/delta';
import type { Shape } from '../src/tensor/shape';
import { shDim } from '../src/equivariant/sh';
import { gemm, initWasm, initWasmThreadsSync, type ThreadedWasmBackend } from '../backends/wasm/index';
import { DataParallel } from '../src/train/parallel';
import { deltaNetClassifierBody, deltaNetStateShape, withLoss } from '../src/models/deltanet';
import { parityBatch } from '../examples/parity/parity';
import { sizeOf } from '../src/tensor/shape';
import { costOf } from '../src/plan/cost';

/** One row: `op` at `size` on `threads` threads. */
export interface PoolBenchRow {
  op: string;
  size: string;
  impl: string;
  threads: number;
  /** Median wall milliseconds per call over the rounds. */
  ms: number;
  gflops: number;
  /** Median CPU milliseconds per call (single-threaded rows: this thread's work, no one else's). */
  cpuMs?: number;
  /** GFLOP/s on CPU time (single-threaded rows). */
  gflopsCpu?: number;
  /** Threaded rows: median CPU milliseconds per call of every thread of the process (what the split costs in all). */
  cpuMsAllThreads?: number;
  /** Median over rounds of (1-thread time ÷ this row's time), when the load allowed a measurement. */
  speedupVs1Thread?: number | null;
  /** Lowest and highest per-round speedup. */
  speedupSpread?: [number, number];
  /** The median speedup measured while other load held the cores (not a measurement of the pool). */
  speedupUnderLoad?: number;
  rounds: number;
  /** Load average (1 min) before and after the row's rounds. */
  load: [number, number];
  cores: number;
  /** Why the speedup is null. */
  note?: string;
  /**
   * Rounds in which the host gave the threads their cores, out of those run: a probe (a 512³ gemm
   * split across the threads, against one thread) before and after the round read at least 0.8 ×
   * threads. Only these rounds count towards `speedupVs1Thread`.
   */
  roundsClear?: [number, number];
  /** The median speedup over every round run, clear or not. */
  speedupAllRounds?: number;
  basis: 'wall';
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/** A call to time on one backend: `run` does one fwd(+bwd); `flops` is its work. */
interface Case {
  readonly op: string;
  readonly size: string;
  readonly flops: number;
  /** A call on `be` (the backend of `threads` threads; `one` is the 1-thread backend). */
  readonly make: (be: ThreadedWasmBackend, threads: number, one: ThreadedWasmBackend) => () => void;
  /** What the threads do (default: the wasm backend's worker pool). */
  readonly impl?: string;
  /** Untimed calls at the start of each round (default 1). */
  readonly settleCalls?: number;
  /** Milliseconds of calls per round (default 120; 60 with --quick). */
  readonly roundMs?: number;
  /** Milliseconds of round-robin warm-up before the rounds (default 600; 150 with --quick). */
  readonly warmMs?: number;
}

const programCase = (op: string, size: string, term: Term, inputs: readonly Shape[], backward: boolean): Case => {
  const model = checkOrThrow(term, inputs);
  const root = model.root as TypedPrim;
  return {
    op,
    size,
    flops: root.cost.fwdFlops + (backward ? root.cost.bwdFlops : 0),
    make: (be) => {
      const prog = lowerOrThrow(model, be);
      const params = Object.fromEntries(Object.entries(initParams(model, 1, 'float32')).map(([k, v]) => [k, be.keep(be.upload(v))]));
      const xs = inputs.map((s, i) => be.keep(be.upload(randn(s, rng(2).fork(`x${i}`), 'float32'))));
      const dys = model.root.outputs.map((s, i) => be.keep(be.upload(randn(s, rng(3).fork(`dy${i}`), 'float32'))));
      return () =>
        be.scope(() => {
          const { residual } = prog.forward(params, xs);
          if (backward) prog.backward(residual, dys);
        });
    },
  };
};

const matmulCase = (n: number): Case => ({
  op: 'matmul',
  size: `${n}`,
  flops: 2 * n * n * n,
  make: (be) => {
    const rt = be.runtime;
    const a = be.keep(rt.upload(randn([n, n], rng(1).fork('a'), 'float32')));
    const b = be.keep(rt.upload(randn([n, n], rng(1).fork('b'), 'float32')));
    const c = be.keep(rt.tensor([n, n]));
    return () => gemm(rt, n, n, n, rt.ptr(a), n, 1, rt.ptr(b), n, 1, c.buf.ptr, n);
  },
});

/** The parity demo's loss model (DeltaNet width 32, 2 heads, MLP 32) at batch B and length T, and a zero initial state. */
const parityModel = (B: number, T: number) => {
  const opts = { width: 32, heads: 2, betaRange: '[0,2]' as const, vocab: 2, classes: 2, mlp: 32 };
  const term = withLoss(deltaNetClassifierBody(opts));
  const model = checkOrThrow(term, [[B, T], deltaNetStateShape(B, opts), [B]]);
  const zeros = () => ({ shape: deltaNetStateShape(B, opts), data: new Float32Array(sizeOf(deltaNetStateShape(B, opts))) });
  return { term, model, zeros };
};

/**
 * One training step (loss and gradients) of the parity demo's model (examples/parity: DeltaNet width
 * 32, 2 heads, MLP 32) on a batch of B bit strings of length T: on one thread, or data parallel on
 * `threads` threads (`DataParallel`, plain wasm backends in every thread).
 */
const parityStepCase = (B: number, T: number): Case => {
  const { term, model, zeros } = parityModel(B, T);
  const params = initParams(model, 1, 'float32');
  const { ids, labels } = parityBatch(rng(5), B, T);
  const inputs = [ids, zeros(), labels];
  const c = costOf(model);
  const flops = c.fwdFlops + c.bwdFlops;
  return {
    op: 'parity train step',
    size: `B=${B} T=${T}`,
    flops,
    impl: 'data parallel',
    // as the row below: steps follow each other without pause in training
    settleCalls: 20,
    roundMs: 500,
    make: (_be, threads, one) => {
      const dp = new DataParallel({ workers: threads, term, backend: one });
      disposers.push(() => dp.dispose());
      return () => void dp.lossAndGrad(params, inputs);
    },
  };
};

/**
 * One whole training step of the parity demo as it trains (examples/parity: batch B, a length drawn
 * from 3–T each step, loss and gradients, then an AdamW step on the parameters), each thread count
 * with its own parameters and data stream: training steps per second, not a repeated call on one batch.
 */
const parityTrainCase = (B: number, T: number): Case => {
  const { term, model, zeros } = parityModel(B, T);
  const c = costOf(model);
  return {
    op: 'parity training step (AdamW)',
    size: `B=${B} T=3–${T}`,
    // the work of a step at the mean length (costs are linear in T)
    flops: ((c.fwdFlops + c.bwdFlops) * (3 + T)) / 2 / T,
    impl: 'data parallel',
    // A training run steps without pause; a round here follows the other thread count's round, in
    // which these threads slept, and a woken thread runs its first steps late and slow (a few of ~40
    // in a 120 ms round). So each round settles for 20 steps and then times ~0.5 s of them.
    settleCalls: 20,
    roundMs: 500,
    // Each length T has its own program, and a step's speed settles only once the steps have met every
    // length a few times: in the demo, two-thread steps took 2.4–3.1 ms over steps 100–300 and 1.7–2.2 ms
    // after, one-thread steps 2.9–3.3 ms throughout. So 4 s of warm-up (about 700 steps each).
    warmMs: 4000,
    make: (_be, threads, one) => {
      const dp = new DataParallel({ workers: threads, term, backend: one });
      disposers.push(() => dp.dispose());
      let params = initParams(model, 1, 'float32');
      let state = adam({ lr: 1e-3, weightDecay: 0.01 }).init(params);
      const data = rng(6).fork('parity');
      return () => {
        const t = 3 + data.int(T - 2);
        const { ids, labels } = parityBatch(data, B, t);
        const { grads } = dp.lossAndGrad(params, [ids, zeros(), labels]);
        [state, params] = adam({ lr: 1e-3, weightDecay: 0.01 }).put([state, params], grads) as [typeof state, typeof params];
      };
    },
  };
};

const disposers: (() => Promise<void>)[] = [];

const cases = (quick: boolean): Case[] => {
  const T = quick ? 256 : 1024;
  const Td = quick ? 1024 : 4096;
  const L = quick ? 5 : 8;
  return [
    matmulCase(quick ? 384 : 1024),
    programCase('attention fwd+bwd', `T=${T} H=8 d=64`, prim('attention', { heads: 8, dk: 64, dv: 64, project: false }), [[T, 8 * 64]], true),
    programCase(
      'delta chunkwise fwd+bwd (chunk-states)',
      `T=${Td} H=4 d=64`,
      prim('delta_rule', { heads: 4, algorithm: 'chunkwise', chunk: 64, betaRange: '[0,2]' }, { variant: 'chunk-states' }),
      deltaShapes({ B: 1, T: Td, H: 4, dk: 64, dv: 64 }),
      true,
    ),
    programCase('gaunt', `L=${L} C=16`, prim('gaunt_tensor_product', { l1: L, l2: L, lout: L }), [[16, shDim(L)], [16, shDim(L)]], false),
    parityStepCase(32, quick ? 20 : 40),
    parityTrainCase(32, quick ? 20 : 40),
  ];
};

/** Seconds of CPU this process has used. */
const cpuSeconds = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

/** Calls of `f` in one timing: enough for about `minMs`. */
const repsFor = (f: () => void, minMs: number): number => {
  const t0 = performance.now();
  f();
  const dt = performance.now() - t0;
  return Math.max(1, Math.min(1000, Math.ceil(minMs / Math.max(dt, 1e-3))));
};

export interface PoolBenchOptions {
  json?: boolean;
  quick?: boolean;
  /** Thread counts to compare with 1 (default [2]). */
  threads?: readonly number[];
  rounds?: number;
  /** Run only the rows whose op contains one of these strings (default: every row). */
  ops?: readonly string[];
}

/**
 * Whether other load leaves `threads` threads their cores: the 1-minute load average less this
 * process's own one running thread, plus the threads asked for, fits in the cores with a quarter
 * core to spare.
 */
export const loadAllows = (load: number, threads: number, cores: number): boolean => Math.max(0, load - 1) + threads <= cores + 0.25;

/** Run the benchmark and return its rows (progress on stderr unless `json`). */
export const run = async (opts: PoolBenchOptions = {}): Promise<PoolBenchRow[]> => {
  const counts = [1, ...(opts.threads ?? [2]).filter((t) => t > 1)];
  const rounds = opts.rounds ?? (opts.quick ? 3 : 7);
  // short rounds: the host's clear windows last seconds, and a round counts only when it fits in one
  const minMs = opts.quick ? 60 : 120;
  const cores = availableParallelism();
  const log = (s: string) => {
    if (!opts.json) process.stderr.write(`${s}\n`);
  };
  const all = cases(!!opts.quick);
  const chosen = all.filter((c) => !opts.ops || opts.ops.some((o) => c.op.includes(o)));
  if (chosen.length === 0) throw new RangeError(`--rows ${opts.ops!.join(',')} names no row; the rows are: ${all.map((c) => c.op).join('; ')}`);
  const bes = await Promise.all(counts.map((threads) => initWasm({ threads })));
  const top = counts[counts.length - 1]!;
  const probe = capacityProbe(bes[0]!, initWasmThreadsSync({ threads: top, minWork: 0 }));
  disposers.push(() => probe.dispose());
  const rows: PoolBenchRow[] = [];
  try {
    for (const c of chosen) {
      const fs = bes.map((be, i) => c.make(be, counts[i]!, bes[0]!));
      // warm-up, round-robin for a while: worker start, scratch growth, and every thread's JIT
      // reaching its top tier (a worker's code warms only as it runs; a call or two leaves it cold)
      const warmUntil = performance.now() + (opts.quick ? 150 : (c.warmMs ?? 600));
      do fs.forEach((f) => f());
      while (performance.now() < warmUntil);
      const reps = repsFor(fs[0]!, c.roundMs ?? minMs);
      const wall: number[][] = counts.map(() => []);
      const cpu: number[][] = counts.map(() => []);
      const load0 = loadavg()[0]!;
      // Rounds run until `rounds` of them are clear (the probe saw the threads on cores of their
      // own before and after), or six times that many have run.
      const clear: boolean[] = [];
      let before = probe();
      for (let r = 0; clear.filter(Boolean).length < rounds && r < 6 * rounds; r++) {
        for (let j = 0; j < counts.length; j++) {
          const i = r % 2 ? counts.length - 1 - j : j;
          // untimed calls first (settleCalls, default 1): its threads slept while the other count ran,
          // and a thread that wakes from sleep runs its first calls late and slow (src/train/shard-channel.ts)
          for (let k = 0; k < (c.settleCalls ?? 1); k++) fs[i]!();
          const c0 = cpuSeconds();
          const t0 = performance.now();
          for (let k = 0; k < reps; k++) fs[i]!();
          wall[i]!.push((performance.now() - t0) / reps);
          cpu[i]!.push((1000 * (cpuSeconds() - c0)) / reps);
        }
        const after = probe();
        clear.push(Math.min(before, after) >= 0.8 * top);
        before = after;
      }
      const load1 = loadavg()[0]!;
      const load: [number, number] = [round2(load0), round2(load1)];
      counts.forEach((threads, i) => {
        const ms = median(wall[i]!);
        const row: PoolBenchRow = { op: c.op, size: c.size, impl: threads === 1 ? 'wasm' : (c.impl ?? 'wasm pool'), threads, ms, gflops: c.flops / ms / 1e6, rounds, load, cores, basis: 'wall' };
        if (threads === 1) {
          row.cpuMs = median(cpu[i]!);
          row.gflopsCpu = c.flops / row.cpuMs / 1e6;
        } else {
          row.cpuMsAllThreads = median(cpu[i]!);
          const all = wall[0]!.map((t1, r) => t1 / wall[i]![r]!);
          const ratios = all.filter((_, r) => clear[r]);
          const n = ratios.length;
          row.speedupAllRounds = median(all);
          row.roundsClear = [n, all.length];
          row.speedupSpread = n ? [Math.min(...ratios), Math.max(...ratios)] : [Math.min(...all), Math.max(...all)];
          if (!loadAllows(Math.max(load0, load1), threads, cores)) {
            row.speedupVs1Thread = null;
            row.speedupUnderLoad = median(all);
            row.note = `load ${Math.max(load0, load1).toFixed(2)} on ${cores} cores leaves ${threads} threads no free cores: no measurement`;
          } else if (n < Math.min(3, rounds)) {
            row.speedupVs1Thread = null;
            row.speedupUnderLoad = median(all);
            row.note = `in ${all.length - n} of ${all.length} rounds the host ran the ${top} threads with less than ${0.8 * top} cores between them (probe): no measurement`;
          } else row.speedupVs1Thread = median(ratios);
        }
        rows.push(row);
      });
      const sp = rows[rows.length - 1]!;
      log(
        `${c.op} ${c.size}: 1 thread ${median(wall[0]!).toFixed(1)} ms (CPU ${rows[rows.length - counts.length]!.cpuMs!.toFixed(1)} ms), ` +
          `${sp.threads} threads ${sp.ms.toFixed(1)} ms, speedup ${sp.speedupVs1Thread?.toFixed(2) ?? `— (${sp.speedupUnderLoad!.toFixed(2)} under load)`} ` +
          `[${sp.speedupSpread!.map((x) => x.toFixed(2)).join('–')}], clear rounds ${sp.roundsClear!.join('/')}, load ${load.join('→')}`,
      );
    }
    rows.push(roundTrip(bes[0]!, counts[1] ?? 2, rounds, cores));
    log(`pool round trip: ${rows[rows.length - 1]!.ms.toFixed(3)} ms`);
  } finally {
    for (const be of bes) await be.dispose();
    for (const d of disposers.splice(0)) await d();
  }
  return rows;
};

const round2 = (x: number) => Math.round(100 * x) / 100;

/**
 * The parallel capacity the host gives right now: a 512³ gemm cut across `split`'s threads (every
 * part on a thread of its own) against the same gemm on `one`, best of three calls each. Near the
 * thread count when each thread has a core; near 1 when the host runs them on one (a load average
 * inside a virtual machine cannot see that: its vCPUs may share a physical core for seconds at a time).
 */
const capacityProbe = (one: ThreadedWasmBackend, split: ThreadedWasmBackend): (() => number) & { dispose: () => Promise<void> } => {
  const n = 512;
  const timer = (be: ThreadedWasmBackend) => {
    const rt = be.runtime;
    const a = be.keep(rt.upload(randn([n, n], rng(4).fork('a'), 'float32')));
    const c = be.keep(rt.tensor([n, n]));
    const f = () => gemm(rt, n, n, n, rt.ptr(a), n, 1, rt.ptr(a), n, 1, c.buf.ptr, n);
    return () => {
      let best = Infinity;
      for (let i = 0; i < 3; i++) {
        const t0 = performance.now();
        f();
        best = Math.min(best, performance.now() - t0);
      }
      return best;
    };
  };
  const t1 = timer(one);
  const tn = timer(split);
  for (let i = 0; i < 5; i++) t1(), tn();
  return Object.assign(() => t1() / tn(), { dispose: () => split.dispose() });
};

/**
 * What a split costs beyond its compute: a 16³ gemm (8 thousand flops) forced across `threads`
 * threads (minWork 0) less the same gemm on one thread, best of `rounds` × 1000 calls each.
 */
const roundTrip = (one: ThreadedWasmBackend, threads: number, rounds: number, cores: number): PoolBenchRow => {
  const n = 16;
  const load0 = loadavg()[0]!;
  const forced = initWasmThreadsSync({ threads, minWork: 0 });
  const time = (be: ThreadedWasmBackend) => {
    const rt = be.runtime;
    const a = be.keep(rt.upload(randn([n, n], rng(1).fork('a'), 'float32')));
    const c = be.keep(rt.tensor([n, n]));
    const f = () => gemm(rt, n, n, n, rt.ptr(a), n, 1, rt.ptr(a), n, 1, c.buf.ptr, n);
    for (let i = 0; i < 50; i++) f();
    let best = Infinity;
    for (let r = 0; r < rounds; r++) {
      const t0 = performance.now();
      for (let i = 0; i < 1000; i++) f();
      best = Math.min(best, (performance.now() - t0) / 1000);
    }
    return best;
  };
  const ms = time(forced) - time(one);
  void forced.dispose();
  return { op: 'pool round trip', size: `gemm ${n}³ split in ${threads}`, impl: 'wasm pool', threads, ms, gflops: 0, rounds, load: [round2(load0), round2(loadavg()[0]!)], cores, basis: 'wall' };
};
