// A data-parallel training worker (Node worker_threads): rebuilds the loss program from its term on
// its own backend (js, or its own wasm instance), then for each request computes the loss and the
// parameter gradients of one shard of a batch at the parameters sent. Started by src/train/parallel.ts,
// which also gives the message protocol (replies on `workerData.port`, then a ring of `workerData.bell`).
import { parentPort, workerData } from 'node:worker_threads';
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

interface Init {
  readonly kind: 'init';
  readonly backend: 'js' | 'wasm';
  readonly dtype: DType;
  readonly term: Term;
  readonly plan: Plan;
}
interface Step {
  readonly kind: 'step';
  readonly id: number;
  readonly params: Record<string, HostTensor>;
  readonly inputs: HostTensor[];
}

const data = workerData as { port?: MessagePort; bell?: SharedArrayBuffer } | undefined;
if (parentPort && data?.port && data.bell) {
  const port = data.port;
  const bell = new Int32Array(data.bell);
  const post = (msg: unknown, transfer: ArrayBuffer[] = []) => {
    port.postMessage(msg, transfer);
    Atomics.add(bell, 0, 1);
    Atomics.notify(bell, 0);
  };
  let be: Backend<unknown> | undefined;
  let init: Init | undefined;
  const programs = new Map<string, Program<unknown>>();
  const programFor = (inputs: readonly HostTensor[]): Program<unknown> => {
    const key = JSON.stringify(inputs.map((x) => x.shape));
    let p = programs.get(key);
    if (!p) {
      p = lowerOrThrow(checkOrThrow(init!.term, inputs.map((x) => x.shape)), be!, init!.plan);
      programs.set(key, p);
    }
    return p;
  };
  parentPort.on('message', (m: Init | Step) => {
    if (m.kind === 'init') {
      try {
        init = m;
        be = (m.backend === 'wasm' ? freshWasmBackendSync() : jsBackend(m.dtype)) as Backend<unknown>;
        post({ id: -1 });
      } catch (e) {
        post({ id: -1, error: String((e as Error).stack ?? e) });
      }
      return;
    }
    try {
      const { loss, grads } = lossAndGrad(programFor(m.inputs), be!, m.params, m.inputs);
      const buffers = Object.values(grads).map((g) => g.data.buffer as ArrayBuffer);
      post({ id: m.id, loss, grads }, buffers);
    } catch (e) {
      post({ id: m.id, error: String((e as Error).stack ?? e) });
    }
  });
}
