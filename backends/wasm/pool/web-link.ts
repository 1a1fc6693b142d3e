// Pool workers on Web Workers, started from a Blob URL (no file to serve, no COOP/COEP headers, no
// SharedArrayBuffer). A browser's main thread cannot block, so these links only answer
// asynchronously: the pool's synchronous kernel splitting stays on the calling thread there.
import type { Reply, Spawner, WorkerLink } from './link';
import { workerCore } from './worker-source';

const webWorkerSource = `${workerCore}
self.onmessage = (ev) => {
  handle(ev.data, (msg, transfer) => self.postMessage(msg, transfer));
  if (ev.data.kind === 'init') self.postMessage({ id: -1 });
};
`;

/** The Web Worker spawner, or undefined where there are no Web Workers. */
export const webSpawner = (): Spawner | undefined => {
  if (typeof Worker === 'undefined' || typeof Blob === 'undefined' || typeof URL === 'undefined' || typeof URL.createObjectURL !== 'function')
    return undefined;
  let url: string | undefined;
  return {
    platform: 'browser',
    cores: () => (typeof navigator !== 'undefined' && navigator.hardwareConcurrency > 0 ? navigator.hardwareConcurrency : 1),
    spawn: (module) => {
      url ??= URL.createObjectURL(new Blob([webWorkerSource], { type: 'text/javascript' }));
      const w = new Worker(url);
      const queue: Reply[] = [];
      const waiting: ((r: Reply) => void)[] = [];
      let failed: string | undefined;
      const deliver = (r: Reply) => {
        const f = waiting.shift();
        if (f) f(r);
        else queue.push(r);
      };
      w.onmessage = (ev: MessageEvent<Reply>) => {
        if (ev.data.id !== -1) deliver(ev.data);
      };
      w.onerror = (ev) => {
        failed = `pool worker failed: ${ev.message}`;
        deliver({ id: -2, error: failed });
      };
      w.postMessage({ kind: 'init', module });
      return {
        post: (msg, transfer) => w.postMessage(msg, transfer),
        take: () => {
          const r = queue.shift();
          if (r) return Promise.resolve(r);
          if (failed) return Promise.resolve({ id: -2, error: failed });
          return new Promise<Reply>((resolve) => waiting.push(resolve));
        },
        terminate: async () => w.terminate(),
      } satisfies WorkerLink;
    },
  };
};
