// A data-parallel worker's serving loop (src/train/shard-worker.ts runs it in a worker thread): wait
// for a request on the shared-memory channel (src/train/shard-channel.ts), compute the loss and the
// parameter gradients of its shard, write them back, repeat until STOP. Kept apart from the worker's
// wiring so that the main thread can run it too: tests drive one request through it synchronously.
import type { Backend } from '../backend/backend';
import { lowerOrThrow, type Program } from '../lower/program';
import type { Plan } from '../plan/plan';
import { checkOrThrow } from '../term/check';
import type { Term } from '../term/term';
import type { HostTensor } from '../tensor/tensor';
import { lossAndGrad } from './loop';
import { awaitChange, DONE, FAILED, LAYOUT, readRequest, REQ, spinBudget, STOP, writeReply, type Layout } from './shard-channel';

export interface ServeOptions {
  readonly term: Term;
  readonly plan: Plan;
  /** The channel's control array (CONTROL_INTS int32s). */
  readonly control: SharedArrayBuffer;
  readonly spinMs: number;
  /** Milliseconds to wait for a layout announced in the control array (it is posted before). Default 10,000. */
  readonly layoutMs?: number;
}

/** How the loop reaches its trainer besides shared memory. */
export interface ServeIO {
  /** The next message from the trainer, if one is waiting (new layouts). */
  nextMessage(): unknown;
  /** Send the trainer a message (an error's text, before FAILED is set). */
  post(msg: unknown): void;
}

/**
 * The loss program for a shard's input shapes, lowered once per distinct shapes (a batch's last shard,
 * or a new sequence length, has its own).
 */
export const programCache = <T>(term: Term, be: Backend<T>, plan: Plan | undefined): ((inputs: readonly HostTensor[]) => Program<T>) => {
  const programs = new Map<string, Program<T>>();
  return (inputs) => {
    const key = JSON.stringify(inputs.map((x) => x.shape));
    let p = programs.get(key);
    if (!p) {
      p = lowerOrThrow(checkOrThrow(term, inputs.map((x) => x.shape)), be, plan ?? {});
      programs.set(key, p);
    }
    return p;
  };
};

/** Serve shard requests on `be` until the trainer sets STOP. */
export const serveShards = (o: ServeOptions, be: Backend<unknown>, io: ServeIO): void => {
  const ctl = new Int32Array(o.control);
  const layoutMs = o.layoutMs ?? 10_000;
  const programFor = programCache(o.term, be, o.plan);
  let layout: Layout | undefined;
  const layoutFor = (version: number): Layout => {
    const deadline = performance.now() + layoutMs;
    while (layout?.version !== version) {
      const m = io.nextMessage() as { kind?: string; layout?: Layout } | undefined;
      if (m?.kind === 'layout') layout = m.layout;
      else if (!m && performance.now() > deadline) throw new Error(`layout ${version} was announced but did not arrive within ${layoutMs / 1000} s`);
    }
    return layout;
  };
  let seen = 0;
  let lastMs = o.spinMs;
  for (;;) {
    const req = awaitChange(ctl, REQ, seen, spinBudget(o.spinMs, lastMs), Infinity, () => Atomics.load(ctl, STOP) === 1);
    if (req === undefined) return;
    const t0 = performance.now();
    seen = req;
    try {
      const l = layoutFor(Atomics.load(ctl, LAYOUT));
      const { params, inputs } = readRequest(l);
      const { loss, grads } = lossAndGrad(programFor(inputs), be, params, inputs);
      writeReply(l, loss, grads);
      Atomics.store(ctl, FAILED, 0);
    } catch (e) {
      // The text goes first, so the trainer finds it when it sees FAILED.
      io.post({ id: req, error: String((e as Error).stack ?? e) });
      Atomics.store(ctl, FAILED, 1);
    }
    lastMs = performance.now() - t0;
    Atomics.store(ctl, DONE, req);
    Atomics.notify(ctl, DONE);
  }
};
