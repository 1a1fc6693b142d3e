import type { Backend } from '../backend/backend';
import type { Program } from '../lower/program';
import type { HostTensor } from '../tensor/tensor';
import { scalarOf } from '../tensor/tensor';
import type { Optimizer } from './optim';
import { withScope } from '../backend/transfer';

/** One batch: the program's inputs (host tensors). The program's single output is the loss. */
export type Batch = readonly HostTensor[];

export interface TrainOptions<S> {
  readonly program: Program<any>;
  readonly backend: Backend<any>;
  readonly optimizer: Optimizer<S>;
  readonly params: Record<string, HostTensor>;
  readonly steps: number;
  /** The batch for step `i`; must be a pure function of `i` (and a seed) for reproducible runs. */
  batch(step: number): Batch;
  /** Called after every step with the loss. */
  onStep?(step: number, loss: number): void;
}

export interface TrainResult<S> {
  readonly params: Record<string, HostTensor>;
  readonly state: S;
  readonly losses: number[];
}

/** Loss and host gradients of a loss program at `params` for one batch. */
export const lossAndGrad = <T>(
  program: Program<T>,
  backend: Backend<T>,
  params: Readonly<Record<string, HostTensor>>,
  batch: Batch,
): { loss: number; grads: Record<string, HostTensor> } =>
  // On a backend that owns its memory, everything this step uploads or allocates is freed after it.
  withScope(backend, () => lossAndGradOnce(program, backend, params, batch));

const lossAndGradOnce = <T>(
  program: Program<T>,
  backend: Backend<T>,
  params: Readonly<Record<string, HostTensor>>,
  batch: Batch,
): { loss: number; grads: Record<string, HostTensor> } => {
  const dev: Record<string, T> = {};
  for (const [k, p] of Object.entries(params)) dev[k] = backend.upload(p);
  const { outputs, residual } = program.forward(dev, batch.map((b) => backend.upload(b)));
  if (outputs.length !== 1) throw new Error(`lossAndGrad: a loss program has one scalar output, this one has ${outputs.length}`);
  const loss = scalarOf(backend.download(outputs[0]!));
  if (!Number.isFinite(loss)) throw new Error(`lossAndGrad: the loss is ${loss}; lower the learning rate or check the inputs`);
  const one = backend.upload({ shape: [], data: new Float64Array([1]) });
  const { dParams } = program.backward(residual, [one]);
  const grads: Record<string, HostTensor> = {};
  for (const [k, g] of Object.entries(dParams)) grads[k] = backend.download(g);
  return { loss, grads };
};

/**
 * A deterministic training loop: the same program, parameters, batches and optimiser give
 * bit-identical losses.
 */
export const train = <S>(o: TrainOptions<S>): TrainResult<S> => {
  let state = o.optimizer.init(o.params);
  let params: Record<string, HostTensor> = o.params;
  const losses: number[] = [];
  for (let i = 0; i < o.steps; i++) {
    const { loss, grads } = lossAndGrad(o.program, o.backend, o.optimizer.get([state, params]), o.batch(i));
    [state, params] = o.optimizer.put([state, params], grads) as [S, Record<string, HostTensor>];
    losses.push(loss);
    o.onStep?.(i, loss);
  }
  return { params, state, losses };
};
