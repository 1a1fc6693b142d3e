// Pool workers on Node's worker_threads. Requests go by postMessage; replies come back on a
// MessagePort that the main thread reads synchronously (`receiveMessageOnPort`), sleeping in
// `Atomics.wait` on a one-integer SharedArrayBuffer the worker bumps after each reply. Operands and
// results travel as copies in the messages: the shared integer is a doorbell, not shared data.
// Workers and ports are unref'ed, so an idle pool never keeps the process alive.
import type { Reply, Spawner, WorkerLink } from './link';
import { workerCore } from './worker-source';

type WorkerThreads = typeof import('node:worker_threads');
type Os = typeof import('node:os');

/** A Node built-in module without a static import (the browser bundle must not see one). */
const builtin = <T>(name: string): T | undefined =>
  (globalThis as { process?: { getBuiltinModule?: (n: string) => unknown } }).process?.getBuiltinModule?.(name) as T | undefined;

const nodeWorkerSource = `${workerCore}
const { parentPort, workerData } = require('node:worker_threads');
const port = workerData.port;
const bell = new Int32Array(workerData.bell);
const post = (msg, transfer) => {
  port.postMessage(msg, transfer);
  Atomics.add(bell, 0, 1);
  Atomics.notify(bell, 0);
};
parentPort.on('message', (m) => {
  handle(m, post);
  if (m.kind === 'init') post({ id: -1 }, []);
});
`;

/** Milliseconds a new worker may take to start and instantiate the module. */
const START_MS = 60_000;

/** Node's worker_threads and os modules, or undefined outside Node. */
const nodeModules = (): { wt: WorkerThreads; os: Os } | undefined => {
  const wt = builtin<WorkerThreads>('node:worker_threads');
  const os = builtin<Os>('node:os');
  return wt && os ? { wt, os } : undefined;
};

/**
 * Start a Node worker running `source` (JavaScript text, run as an `eval` worker) that speaks the
 * doorbell protocol: `workerData.port` is its reply port, `workerData.bell` the shared integer it
 * bumps (`Atomics.add` + `Atomics.notify`) after each reply, and it answers `init` with `{ id: -1 }`.
 * Sends `init`, waits for that answer, and returns the link. Throws where Node's modules are missing.
 */
export const startNodeWorker = (source: string, init: unknown, what = 'pool worker'): WorkerLink => {
  const node = nodeModules();
  if (!node) throw new Error(`${what}: worker threads need Node (process.getBuiltinModule, Node ≥ 20.16)`);
  const { wt } = node;
  const { port1, port2 } = new wt.MessageChannel();
  const bell = new Int32Array(new SharedArrayBuffer(4));
  const w = new wt.Worker(source, { eval: true, workerData: { port: port2, bell: bell.buffer }, transferList: [port2] });
  w.unref();
  port1.unref();
  let exited: string | undefined;
  w.on('error', (e) => (exited = `${what} failed: ${e.message}`));
  w.on('exit', (code) => (exited ??= `${what} exited with code ${code}`));
  const takeSync = (timeoutMs: number): Reply | undefined => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const seen = Atomics.load(bell, 0);
      const r = wt.receiveMessageOnPort(port1);
      if (r) return r.message as Reply;
      const left = deadline - Date.now();
      if (left <= 0) return undefined;
      Atomics.wait(bell, 0, seen, Math.min(left, 1000));
    }
  };
  w.postMessage(init);
  const ready = takeSync(START_MS);
  if (!ready || ready.id !== -1 || ready.error !== undefined) {
    void w.terminate();
    const why = ready?.error ?? exited;
    throw new Error(`${what}: a worker thread did not start within ${START_MS / 1000} s${why ? ` (${why})` : ''}`);
  }
  return {
    post: (msg, transfer) => w.postMessage(msg, transfer as never),
    takeSync,
    take: () => new Promise<Reply>((resolve) => port1.once('message', (m: Reply) => resolve(m))),
    terminate: async () => {
      port1.close();
      await w.terminate();
    },
  };
};

/** The Node spawner, or undefined outside Node (or on a Node without `process.getBuiltinModule`). */
export const nodeSpawner = (): Spawner | undefined => {
  const node = nodeModules();
  if (!node) return undefined;
  const { os } = node;
  return {
    platform: 'node',
    cores: () => (typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length),
    spawn: (module) => startNodeWorker(nodeWorkerSource, { kind: 'init', module }),
  };
};
