// A data-parallel training worker (Node worker_threads): rebuilds the loss program from its term on
// its own backend (js, or its own wasm instance), then serves requests over a shared-memory channel
// (src/train/shard-channel.ts): for each, the loss and parameter gradients of one shard of a batch at
// the parameters given. Started by src/train/parallel.ts. Its `init` is answered on `workerData.port`
// (then a ring of `workerData.bell`), as are errors; from then on it stays in its serving loop, off the
// event loop, until the trainer sets STOP. New layouts arrive as messages, read synchronously.
import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import type { MessagePort } from 'node:worker_threads';
import { jsBackend } from '../../backends/js/backend';
import { freshWasmBackendSync } from '../../backends/wasm/runtime';
import type { Backend } from '../backend/backend';
import { lowerOrThrow, type Program } from '../lower/program';
import type { Plan } from '../plan/plan';
import { checkOrThrow } from '../term/check';
import type { Term } from '../term/term';
import type { DType, HostTensor } from '../tensor/tensor';
import { lossAndGrad } from './loop';
import { awaitChange, spinBudget, DONE, FAILED, LAYOUT, readRequest, REQ, STOP, writeReply, type Layout } from './shard-channel';

interface Init {
  readonly kind: 'init';
  readonly backend: 'js' | 'wasm';
  readonly dtype: DType;
  readonly term: Term;
  readonly plan: Plan;
  /** The channel's control array (CONTROL_INTS int32s). */
  readonly control: SharedArrayBuffer;
  readonly spinMs: number;
}

/** Milliseconds to wait for a layout message announced in the control array (it is posted first). */
const LAYOUT_MS = 10_000;

const data = workerData as { port?: MessagePort; bell?: SharedArrayBuffer } | undefined;
if (parentPort && data?.port && data.bell) {
  const inbox = parentPort as unknown as MessagePort;
  const port = data.port;
  const bell = new Int32Array(data.bell);
  const post = (msg: unknown) => {
    port.postMessage(msg);
    Atomics.add(bell, 0, 1);
    Atomics.notify(bell, 0);
  };
  const serve = (init: Init, be: Backend<unknown>) => {
    const ctl = new Int32Array(init.control);
    const programs = new Map<string, Program<unknown>>();
    const programFor = (inputs: readonly HostTensor[]): Program<unknown> => {
      const key = JSON.stringify(inputs.map((x) => x.shape));
      let p = programs.get(key);
      if (!p) {
        p = lowerOrThrow(checkOrThrow(init.term, inputs.map((x) => x.shape)), be, init.plan);
        programs.set(key, p);
      }
      return p;
    };
    let layout: Layout | undefined;
    const layoutFor = (version: number): Layout => {
      const deadline = performance.now() + LAYOUT_MS;
      while (layout?.version !== version) {
        const m = receiveMessageOnPort(inbox)?.message as { kind?: string; layout?: Layout } | undefined;
        if (m?.kind === 'layout') layout = m.layout;
        else if (!m && performance.now() > deadline) throw new Error(`layout ${version} was announced but did not arrive within ${LAYOUT_MS / 1000} s`);
      }
      return layout;
    };
    let seen = 0;
    let lastMs = init.spinMs;
    for (;;) {
      const req = awaitChange(ctl, REQ, seen, spinBudget(init.spinMs, lastMs), Infinity, () => Atomics.load(ctl, STOP) === 1);
      const t0 = performance.now();
      if (req === undefined) return;
      seen = req;
      try {
        const l = layoutFor(Atomics.load(ctl, LAYOUT));
        const { params, inputs } = readRequest(l);
        const { loss, grads } = lossAndGrad(programFor(inputs), be, params, inputs);
        writeReply(l, loss, grads);
        Atomics.store(ctl, FAILED, 0);
      } catch (e) {
        // The text goes first, so the trainer finds it when it sees FAILED.
        post({ id: req, error: String((e as Error).stack ?? e) });
        Atomics.store(ctl, FAILED, 1);
      }
      lastMs = performance.now() - t0;
      Atomics.store(ctl, DONE, req);
      Atomics.notify(ctl, DONE);
    }
  };
  parentPort.once('message', (m: Init) => {
    let be: Backend<unknown>;
    try {
      be = (m.backend === 'wasm' ? freshWasmBackendSync() : jsBackend(m.dtype)) as Backend<unknown>;
    } catch (e) {
      post({ id: -1, error: String((e as Error).stack ?? e) });
      return;
    }
    post({ id: -1 });
    serve(m, be);
  });
}
