import type { HostTensor } from '../tensor/tensor';
import { scalarOf } from '../tensor/tensor';
import type { Batch, TrainResult } from './loop';
import type { Optimizer } from './optim';

/**
 * A program whose passes are asynchronous (ONNX Runtime's `session.run` returns a promise), on host
 * tensors: `forward` gives the outputs and a residual `R`, `backward` the parameter gradients. The
 * `ort` program (`ortProgram`) is one.
 */
export interface AsyncProgram<R> {
  forward(params: Readonly<Record<string, HostTensor>>, inputs: readonly HostTensor[]): Promise<{ outputs: HostTensor[]; residual: R }>;
  backward(residual: R, dOutputs: readonly HostTensor[]): Promise<{ dParams: Record<string, HostTensor> }>;
}

/** Loss and parameter gradients of an asynchronous loss program (one scalar output) for one batch. */
export const lossAndGradAsync = async <R>(
  program: AsyncProgram<R>,
  params: Readonly<Record<string, HostTensor>>,
  batch: Batch,
): Promise<{ loss: number; grads: Record<string, HostTensor> }> => {
  const { outputs, residual } = await program.forward(params, batch);
  if (outputs.length !== 1) throw new Error(`lossAndGrad: a loss program has one scalar output, this one has ${outputs.length}`);
  const loss = scalarOf(outputs[0]!);
  if (!Number.isFinite(loss)) throw new Error(`lossAndGrad: the loss is ${loss}; lower the learning rate or check the inputs`);
  const { dParams } = await program.backward(residual, [{ shape: [], data: new Float32Array([1]) }]);
  return { loss, grads: dParams };
};

export interface TrainAsyncOptions<S> {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly program: AsyncProgram<any>;
  readonly optimizer: Optimizer<S>;
  readonly params: Record<string, HostTensor>;
  readonly steps: number;
  /** The batch for step `i`; must be a pure function of `i` (and a seed) for reproducible runs. */
  batch(step: number): Batch;
  /** Called after every step with the loss. */
  onStep?(step: number, loss: number): void;
}

/**
 * The training loop of {@link train} for asynchronous programs (the `ort` backend): the same
 * optimiser lens, the same batches, one awaited forward and backward per step. Deterministic for a
 * deterministic program.
 *
 * @example
 * const prog = await ortProgram(model); // E.isRight(prog)
 * const { losses } = await trainAsync({ program: prog.right, optimizer: adam({ lr: 0.01 }), params, steps: 100, batch });
 */
export const trainAsync = async <S>(o: TrainAsyncOptions<S>): Promise<TrainResult<S>> => {
  let state = o.optimizer.init(o.params);
  let params: Record<string, HostTensor> = o.params;
  const losses: number[] = [];
  for (let i = 0; i < o.steps; i++) {
    const { loss, grads } = await lossAndGradAsync(o.program, o.optimizer.get([state, params]), o.batch(i));
    [state, params] = o.optimizer.put([state, params], grads) as [S, Record<string, HostTensor>];
    losses.push(loss);
    o.onStep?.(i, loss);
  }
  return { params, state, losses };
};
