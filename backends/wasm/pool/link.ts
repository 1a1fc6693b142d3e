// The one interface between the pool and a platform's threads. Node (worker_threads) and browsers
// (Web Workers) each implement it in their own module; the pool sees nothing else.

/** A worker's answer to one `run` message. */
export interface Reply {
  readonly id: number;
  readonly rcs?: readonly (number | undefined)[];
  /** The written regions, rows packed, in the order the request listed them (absent when the worker left them in the request's shared stage). */
  readonly outs?: readonly ArrayBuffer[];
  readonly error?: string;
}

/** One worker thread running the pool's worker code. */
export interface WorkerLink {
  /** Send a message (the buffers in `transfer` move to the worker). */
  post(msg: unknown, transfer: Transferable[]): void;
  /**
   * The next reply, blocking this thread until it comes or `timeoutMs` pass (then undefined).
   * Absent where the platform does not let this thread block (a browser's main thread).
   */
  readonly takeSync?: (timeoutMs: number) => Reply | undefined;
  /** The next reply, asynchronously. */
  take(): Promise<Reply>;
  /** Stop the worker. */
  terminate(): Promise<void>;
}

/** Starts workers on one platform. */
export interface Spawner {
  readonly platform: 'node' | 'browser';
  /** Start a worker and send it `module` to instantiate. */
  spawn(module: WebAssembly.Module): WorkerLink;
  /** Hardware threads available (the default pool size). */
  cores(): number;
}
