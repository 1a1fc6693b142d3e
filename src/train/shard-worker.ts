// A data-parallel training worker (Node worker_threads): makes its own backend (js, or its own wasm
// instance), answers `init` on `workerData.port` (then a ring of `workerData.bell`), and from then on
// stays in its serving loop (src/train/shard-serve.ts), off the event loop, until the trainer sets
// STOP. New layouts arrive as messages, read synchronously. Started by src/train/parallel.ts.
import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import type { MessagePort } from 'node:worker_threads';
import { jsBackend } from '../../backends/js/backend';
import { freshWasmBackendSync } from '../../backends/wasm/runtime';
import type { Backend } from '../backend/backend';
import type { DType } from '../tensor/tensor';
import { serveShards, type ServeOptions } from './shard-serve';

interface Init extends ServeOptions {
  readonly kind: 'init';
  readonly backend: 'js' | 'wasm';
  readonly dtype: DType;
}

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
  parentPort.once('message', (m: Init) => {
    let be: Backend<unknown>;
    try {
      be = (m.backend === 'wasm' ? freshWasmBackendSync() : jsBackend(m.dtype)) as Backend<unknown>;
    } catch (e) {
      post({ id: -1, error: String((e as Error).stack ?? e) });
      return;
    }
    post({ id: -1 });
    serveShards(m, be, { nextMessage: () => receiveMessageOnPort(inbox)?.message, post });
  });
}
