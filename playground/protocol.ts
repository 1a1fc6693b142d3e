/** Messages between the playground page and its training worker. */

/** Page → worker: train a spec (its JSON text) on a task, or stop the run in progress. */
export type ToWorker =
  | {
      readonly type: 'train';
      readonly specText: string;
      readonly task: string;
      readonly backend: 'wasm' | 'js';
      readonly seed: number;
      readonly steps: number;
    }
  | { readonly type: 'stop' };

/** Worker → page. Losses come in chunks, in step order. */
export type FromWorker =
  | { readonly type: 'started'; readonly describe: string; readonly backend: string; readonly steps: number }
  | { readonly type: 'progress'; readonly step: number; readonly losses: readonly number[]; readonly stepsPerSecond: number }
  | {
      readonly type: 'done';
      /** False when stopped early. */
      readonly complete: boolean;
      readonly steps: number;
      readonly seconds: number;
      readonly evalLoss: number;
      readonly evalAccuracy: number;
    }
  | { readonly type: 'error'; readonly message: string };
