import type { Backend, Params } from '../backend/backend';
import type { Program, ProgramResidual } from '../lower/program';
import type { Lens } from '../optic/lens';
import { lens } from '../optic/lens';
import type { Para } from '../optic/para';
import { reparamLens } from '../optic/para';
import type { HostTensor } from '../tensor/tensor';
import { scalarOf } from '../tensor/tensor';
import type { HostParams, Optimizer } from './optim';
import { downloadAll, uploadAll, withScope } from '../backend/transfer';
import { DataParallel } from './parallel';

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
  /**
   * Threads for data-parallel training (default 1): each batch is cut into this many shards along its
   * first axis (the loss must be a mean over it), computed on this thread and `workers − 1` worker
   * threads, their gradients combined in shard order (weights rows/N), then one optimiser step. The
   * same seed and worker count give bit-identical losses. Node only; workers make their own 'js' or
   * 'wasm' backend with the default kernels. See `DataParallel` (src/train/parallel.ts).
   */
  readonly workers?: number;
}

export interface TrainResult<S> {
  readonly params: Record<string, HostTensor>;
  readonly state: S;
  readonly losses: number[];
}

/**
 * Moving parameters between the host and a backend, as a core lens: `get` uploads host parameters,
 * `put` downloads the backend's parameter gradients. Reparametrising a program by it gives a program
 * over host parameters.
 */
export const transferLens = <T>(backend: Backend<T>): Lens<HostParams, Params<T>, Record<string, T>, Record<string, HostTensor>> =>
  lens(
    (p) => uploadAll(backend, p),
    (_p, g) => downloadAll(backend, g),
  );

/**
 * One training step as a parametrised optic, built only from the core's reparametrisation: the program,
 * reparametrised by the host ↔ backend transfer lens and then by the optimiser lens. Its parameters are
 * `[optimiser state, host parameters]`; its forward pass is the model's, and its backward pass returns
 * the *next* `[state, parameters]` where a plain program returns gradients.
 *
 * @example
 * const step = trainingStep(program, be, adam({ lr: 1e-3 }));
 * const [m, [loss]] = step.fwd([[state, params], inputs]);
 * const [[state2, params2]] = step.bwd(m, [one]);
 */
export const trainingStep = <T, S>(
  program: Program<T>,
  backend: Backend<T>,
  optimizer: Optimizer<S>,
): Para<
  [readonly [S, HostParams], [HostParams, ProgramResidual<T>]],
  readonly [S, HostParams],
  readonly T[],
  T[],
  readonly T[],
  readonly [S, Record<string, HostTensor>],
  (T | null)[]
> => reparamLens(reparamLens(program, transferLens(backend)), optimizer);

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
  const host = reparamLens(program, transferLens(backend));
  const [m, outputs] = host.fwd([params, batch.map((b) => backend.upload(b))]);
  const loss = lossValue(backend, outputs);
  const [grads] = host.bwd(m, [backend.upload({ shape: [], data: new Float64Array([1]) })]);
  return { loss, grads };
};

const lossValue = <T>(backend: Backend<T>, outputs: readonly T[]): number => {
  if (outputs.length !== 1) throw new Error(`lossAndGrad: a loss program has one scalar output, this one has ${outputs.length}`);
  const loss = scalarOf(backend.download(outputs[0]!));
  if (!Number.isFinite(loss))
    throw new Error(`lossAndGrad: the loss is ${Number.isNaN(loss) ? 'not a number' : 'infinite'}; lower the learning rate or check the inputs`);
  return loss;
};

/**
 * A deterministic training loop: the same program, parameters, batches and optimiser give
 * bit-identical losses.
 */
export const train = <S>(o: TrainOptions<S>): TrainResult<S> => {
  if ((o.workers ?? 1) !== 1) return trainDataParallel(o);
  const be = o.backend;
  const step = trainingStep(o.program, be, o.optimizer);
  let sp: readonly [S, Record<string, HostTensor>] = [o.optimizer.init(o.params), o.params];
  const losses: number[] = [];
  for (let i = 0; i < o.steps; i++) {
    const loss = withScope(be, () => {
      const [m, outputs] = step.fwd([sp, o.batch(i).map((b) => be.upload(b))]);
      const l = lossValue(be, outputs);
      [sp] = step.bwd(m, [be.upload({ shape: [], data: new Float64Array([1]) })]);
      return l;
    });
    losses.push(loss);
    o.onStep?.(i, loss);
  }
  return { params: sp[1], state: sp[0], losses };
};

/** `train` with `workers` threads (data parallel; see `TrainOptions.workers`). */
const trainDataParallel = <S>(o: TrainOptions<S>): TrainResult<S> => {
  const dp = new DataParallel({ workers: o.workers!, term: o.program.model.root.term, plan: o.program.plan, backend: o.backend });
  try {
    let sp: readonly [S, Record<string, HostTensor>] = [o.optimizer.init(o.params), o.params];
    const losses: number[] = [];
    for (let i = 0; i < o.steps; i++) {
      const { loss, grads } = dp.lossAndGrad(sp[1], o.batch(i));
      sp = o.optimizer.put(sp, grads);
      losses.push(loss);
      o.onStep?.(i, loss);
    }
    return { params: sp[1], state: sp[0], losses };
  } finally {
    void dp.dispose();
  }
};
