/**
 * Parameter files: the trained parameters, the optimiser state and the step, as JSON. Numbers are
 * written with full precision (a float32 widened to a double prints exactly and parses back to
 * the same float32), so a run resumed from a file continues bit for bit as if never stopped.
 *
 * ```json
 * { "catoptricParams": 1, "spec": "spirals-mlp", "task": "spirals", "seed": 0, "step": 300,
 *   "dtype": "float32", "params": { "hidden1.w": { "shape": [2, 64], "data": [...] } },
 *   "optimizer": { "name": "adam", "t": 300, "m": {...}, "v": {...} } }
 * ```
 */
import * as E from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';
import type { AdamState } from '../train/optim';
import type { DType, HostTensor } from '../tensor/tensor';
import { sizeOf } from '../tensor/shape';
import { type DocIssue, FiniteNumber, NatInt, ShapeCodec, Str, arrayOf, closed, decodeBounded, nullProto, formatIssues, parseJson, recordOf } from '../term/codec';
import { showName } from '../term/show';
import { UserErrors } from './io';

const TensorJson = closed('tensor', { shape: ShapeCodec, data: arrayOf(FiniteNumber, 'array of numbers') }, {});
const TensorsJson = recordOf(TensorJson, 'object from parameter path to tensor');
const DTypeCodec = t.union([t.literal('float32'), t.literal('float64')]);

const OptimizerJson = t.union([
  closed('adam state', { name: t.union([t.literal('adam'), t.literal('adamw')]), t: NatInt, m: TensorsJson, v: TensorsJson }, {}),
  closed('sgd state', { name: t.literal('sgd'), velocity: TensorsJson }, {}),
]);

const ParamsFileCodec = closed(
  'parameter file',
  { catoptricParams: t.literal(1), spec: Str, seed: NatInt, step: NatInt, dtype: DTypeCodec, params: TensorsJson },
  { task: Str, optimizer: OptimizerJson, backend: Str, lr: FiniteNumber },
);

type TensorJsonT = t.TypeOf<typeof TensorJson>;

/** Optimiser state in a file. */
export type OptState = { readonly name: 'adam' | 'adamw'; readonly state: AdamState } | { readonly name: 'sgd'; readonly state: Record<string, HostTensor> };

/** A parameter file, decoded. */
export interface ParamsFile {
  readonly spec: string;
  readonly task?: string;
  readonly seed: number;
  /** Steps trained so far; a resumed run continues with batch `step`. */
  readonly step: number;
  readonly dtype: DType;
  readonly backend?: string;
  readonly lr?: number;
  readonly params: Record<string, HostTensor>;
  readonly optimizer?: OptState;
}

const toHost = (tj: TensorJsonT, dtype: DType): HostTensor => {
  const data = dtype === 'float64' ? new Float64Array(tj.data.length) : new Float32Array(tj.data.length);
  data.set(tj.data);
  return { shape: tj.shape, data };
};
const toJson = (h: HostTensor): TensorJsonT => ({ shape: [...h.shape], data: Array.from(h.data) });
const mapT = <A, B>(r: Readonly<Record<string, A>>, f: (a: A) => B): Record<string, B> => nullProto(Object.entries(r).map(([k, v]) => [k, f(v)] as const));

/** Parameters (and optimiser state) as JSON text. */
export const encodeParamsFile = (p: ParamsFile): string =>
  JSON.stringify({
    catoptricParams: 1,
    spec: p.spec,
    ...(p.task !== undefined ? { task: p.task } : {}),
    seed: p.seed,
    step: p.step,
    dtype: p.dtype,
    ...(p.backend !== undefined ? { backend: p.backend } : {}),
    ...(p.lr !== undefined ? { lr: p.lr } : {}),
    params: mapT(p.params, toJson),
    ...(p.optimizer
      ? {
          optimizer:
            p.optimizer.name === 'sgd'
              ? { name: 'sgd', velocity: mapT(p.optimizer.state, toJson) }
              : { name: p.optimizer.name, t: p.optimizer.state.t, m: mapT(p.optimizer.state.m, toJson), v: mapT(p.optimizer.state.v, toJson) },
        }
      : {}),
  });

/** Largest float32 value: a number beyond it would silently become Infinity in a float32 file. */
const F32_MAX = 3.4028234663852886e38;

/**
 * Problems of the optimiser state against the parameters: the same paths, the same shapes, Adam's
 * second moment `v` never negative, and its update count `t` at most the file's step (one update per
 * step; fewer after `--reset-optimizer`). A state that breaks any of these would train into NaN or
 * silently differ from the run that wrote it.
 */
const optimizerIssues = (f: { step: number; params: Record<string, TensorJsonT>; optimizer?: t.TypeOf<typeof OptimizerJson> }): DocIssue[] => {
  const o = f.optimizer;
  if (!o) return [];
  const issues: DocIssue[] = [];
  const same = (rec: Record<string, TensorJsonT>, field: string) => {
    for (const k of Object.keys(f.params))
      if (!Object.hasOwn(rec, k)) issues.push({ path: ['optimizer', field], message: `missing the state of parameter ${showName(k)}` });
    for (const [k, v] of Object.entries(rec)) {
      const p = Object.hasOwn(f.params, k) ? f.params[k] : undefined;
      if (!p) issues.push({ path: ['optimizer', field, k], message: 'there is no parameter at this path in params' });
      else if (p.shape.length !== v.shape.length || p.shape.some((d, i) => d !== v.shape[i]))
        issues.push({ path: ['optimizer', field, k, 'shape'], message: `expected [${p.shape.join(',')}] (the shape of params.${k}), got [${v.shape.join(',')}]` });
    }
  };
  if (o.name === 'sgd') same(o.velocity, 'velocity');
  else {
    same(o.m, 'm');
    same(o.v, 'v');
    for (const [k, v] of Object.entries(o.v)) {
      const i = v.data.findIndex((x) => x < 0);
      if (i >= 0) issues.push({ path: ['optimizer', 'v', k, 'data', i], message: `expected a non-negative number (Adam's second moment is a mean of squares), got ${v.data[i]}` });
    }
    if (o.t > f.step) issues.push({ path: ['optimizer', 't'], message: `expected at most ${f.step} (the file's step: Adam takes one update per step), got ${o.t}` });
  }
  return issues;
};

/** Decode parameter-file text; every problem is an issue at its JSON path. */
export const decodeParamsFile = (text: string): E.Either<DocIssue[], ParamsFile> => {
  const j = parseJson(text);
  if (E.isLeft(j)) return j;
  // Not a parameter file at all (a spec, some other JSON): one line saying so, not one per field.
  const v = j.right;
  if (v === null || typeof v !== 'object' || Array.isArray(v) || !Object.hasOwn(v, 'catoptricParams'))
    return E.left([
      {
        path: [],
        message: `not a catoptric parameter file (no "catoptricParams" field${v !== null && typeof v === 'object' && Object.hasOwn(v, 'catoptric') ? '; this looks like a spec file' : ''}); train --out writes one`,
      },
    ]);
  const r = decodeBounded(ParamsFileCodec, j.right);
  if (E.isLeft(r)) return r;
  const f = r.right;
  const issues: DocIssue[] = [];
  const checkSizes = (rec: Record<string, TensorJsonT>, at: (string | number)[]) => {
    for (const [k, v] of Object.entries(rec)) {
      if (sizeOf(v.shape) !== v.data.length) issues.push({ path: [...at, k, 'data'], message: `expected ${sizeOf(v.shape)} numbers for shape [${v.shape.join(',')}], got ${v.data.length}` });
      else if (f.dtype === 'float32') {
        const i = v.data.findIndex((x) => Math.abs(x) > F32_MAX);
        if (i >= 0) issues.push({ path: [...at, k, 'data', i], message: `expected a number a float32 can hold (|x| ≤ ${F32_MAX}), got ${v.data[i]}` });
      }
    }
  };
  checkSizes(f.params, ['params']);
  const o = f.optimizer;
  if (o && o.name === 'sgd') checkSizes(o.velocity, ['optimizer', 'velocity']);
  if (o && o.name !== 'sgd') {
    checkSizes(o.m, ['optimizer', 'm']);
    checkSizes(o.v, ['optimizer', 'v']);
  }
  if (!issues.length) issues.push(...optimizerIssues(f));
  if (issues.length) return E.left(issues);
  const dt = f.dtype;
  const optimizer: OptState | undefined = !o
    ? undefined
    : o.name === 'sgd'
      ? { name: 'sgd', state: mapT(o.velocity, (x) => toHost(x, dt)) }
      : { name: o.name, state: { t: o.t, m: mapT(o.m, (x) => toHost(x, dt)), v: mapT(o.v, (x) => toHost(x, dt)) } };
  return E.right({
    spec: f.spec,
    ...(f.task !== undefined ? { task: f.task } : {}),
    seed: f.seed,
    step: f.step,
    dtype: dt,
    ...(f.backend !== undefined ? { backend: f.backend } : {}),
    ...(f.lr !== undefined ? { lr: f.lr } : {}),
    params: mapT(f.params, (x) => toHost(x, dt)),
    ...(optimizer ? { optimizer } : {}),
  });
};

/**
 * Check that a file's parameters are exactly the model's (same paths, same shapes); throws
 * {@link UserErrors} naming each difference at its JSON path.
 */
export const checkParamsFit = (file: string, p: ParamsFile, expected: ReadonlyMap<string, readonly number[]>): void => {
  const issues: DocIssue[] = [];
  for (const [k, shape] of expected) {
    const have = Object.hasOwn(p.params, k) ? p.params[k] : undefined;
    if (!have) issues.push({ path: ['params'], message: `missing parameter '${k}' of shape [${shape.join(',')}]` });
    else if (have.shape.length !== shape.length || have.shape.some((d, i) => d !== shape[i]))
      issues.push({ path: ['params', k, 'shape'], message: `expected [${shape.join(',')}] (from the spec), got [${have.shape.join(',')}]` });
  }
  for (const k of Object.keys(p.params)) if (!expected.has(k)) issues.push({ path: ['params', k], message: 'the spec has no parameter at this path' });
  if (issues.length) throw new UserErrors(formatIssues(issues.slice(0, 20), file));
};
