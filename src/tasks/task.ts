/**
 * Built-in synthetic tasks: seeded data generators that fit a model's input and output shapes.
 *
 * A task is a classification problem. Given the model's input shapes and its output (logits
 * `[..., classes]`), `prepare` checks that they fit and returns an instance whose batches are pure
 * functions of (seed, step), so a run can be resumed at any step with identical results.
 */
import * as E from 'fp-ts/lib/Either.js';
import type * as t from 'io-ts';
import type { Shape } from '../tensor/shape';
import type { DType, HostTensor } from '../tensor/tensor';
import { type DocIssue, issuesOf } from '../term/codec';

/** One batch: the model's inputs and the class labels (class ids stored as floats). */
export interface TaskBatch {
  readonly inputs: readonly HostTensor[];
  /** Shape of the model's output without the class axis. */
  readonly labels: HostTensor;
}

/** A task fitted to one model. */
export interface TaskInstance {
  /** One line describing the data, for the summary. */
  readonly describe: string;
  /** The batch of training step `step` (a pure function of the seed and `step`). */
  batch(step: number): TaskBatch;
  /** A held-out batch for evaluation. */
  evalBatch(): TaskBatch;
}

/** What a task needs to know about the model and the run. */
export interface TaskEnv {
  readonly inputs: readonly Shape[];
  /** The model's single output: logits `[..., classes]`. */
  readonly output: Shape;
  readonly seed: number;
  readonly dtype: DType;
}

/** A built-in task. */
export interface TaskDef<O = any> {
  readonly name: string;
  readonly doc: string;
  /** Options codec (a closed object: unknown options are errors). */
  readonly options: t.Type<O, unknown, unknown>;
  /** Fit the task to the model, or say which shape does not fit and what was expected. */
  prepare(options: O, env: TaskEnv): E.Either<string, TaskInstance>;
}

const registry = new Map<string, TaskDef>();

/** Register a task. */
export const defineTask = <O>(def: TaskDef<O>): TaskDef<O> => {
  if (registry.has(def.name)) throw new Error(`defineTask: '${def.name}' is already registered`);
  registry.set(def.name, def as TaskDef);
  return def;
};

export const lookupTask = (name: string): TaskDef | undefined => registry.get(name);
export const taskNames = (): string[] => [...registry.keys()].sort();

/**
 * Decode a task's options and fit it to a model. Issues carry JSON paths under `prefix` (e.g.
 * `["task"]` for the spec's `task` field).
 */
export const prepareTask = (
  name: string,
  options: Readonly<Record<string, unknown>>,
  env: TaskEnv,
  prefix: readonly (string | number)[] = ['task'],
): E.Either<DocIssue[], TaskInstance> => {
  const def = lookupTask(name);
  if (!def) return E.left([{ path: [...prefix, 'name'], message: `unknown task ${JSON.stringify(name)}; expected one of ${taskNames().join(', ')}` }]);
  const o = def.options.decode(options);
  if (E.isLeft(o)) return E.left(issuesOf(o.left, prefix));
  const r = def.prepare(o.right, env);
  return E.isLeft(r) ? E.left([{ path: prefix, message: `${name}: ${r.left}` }]) : r;
};

/** A host tensor of the given dtype. */
export const hostTensor = (shape: Shape, values: ArrayLike<number>, dtype: DType): HostTensor => {
  const data = dtype === 'float64' ? new Float64Array(values.length) : new Float32Array(values.length);
  data.set(values);
  return { shape: [...shape], data };
};

/** `[a,b,c]` */
export const showShapes = (ss: readonly Shape[]): string => ss.map((s) => `[${s.join(',')}]`).join(', ');
