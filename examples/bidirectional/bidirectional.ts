/**
 * A lowered model composed with hand-written optics, for library authors.
 *
 * The pipeline reads a *record* of inputs (points, labels and a note), focuses two of its fields with
 * data lenses, runs a lowered catoptric MLP on the points, passes the labels alongside, and ends in a
 * softmax cross-entropy written as a plain optic over host numbers. Every piece is a core optic, and
 * the whole is put together with the core's combinators only: `paraSeqs`, `paraPars`, `constPara`,
 * and for training `reparamLens` by the host↔backend transfer lens and by Adam. Then the optic laws
 * are checked on the composite: the plan 2-cell of the lowered model (recompute everything ⇒ store
 * everything), whiskered by the hand-written optics, still satisfies T1 and T2 bit for bit, and the
 * field lenses are lawful data lenses.
 */
import type { Eq } from 'fp-ts/lib/Eq.js';
import type { Monoid } from 'fp-ts/lib/Monoid.js';
import * as E from 'fp-ts/lib/Either.js';
import {
  adam, checkOrThrow, constPara, identityCell, initParams, lowerOrThrow, optic, paraParCells, paraPars, paraSeqCells, paraSeqs, planTwoCell, prim,
  prop, recomputeAll, reparamLens, seq, storeAll, transferLens, withScope, type Backend, type DataLens, type HostTensor, type Optic, type Params,
  type Program, type ProgramResidual, type TwoCell,
} from '../../src/index';
import { dataLensLaws, twoCellLaws } from '../../laws/index';
import { twoSpirals } from '../../src/tasks/spirals';
import { argmaxAccuracy } from '../../src/train/metrics';

/** A record of inputs, as an application would hold it: more than the model needs. */
export interface Batch {
  readonly points: HostTensor;
  readonly labels: HostTensor;
  readonly note: string;
}
/** What flows back to a batch: a gradient for the points (labels and note carry none). */
export interface BatchCotangent {
  readonly points: HostTensor | null;
}

/** The two fields the pipeline reads, as lawful data lenses. */
export const pointsLens: DataLens<Batch, HostTensor> = prop<Batch, 'points'>('points');
export const labelsLens: DataLens<Batch, HostTensor> = prop<Batch, 'labels'>('labels');

/** Parameter cotangents of disjoint parts: records joined. */
const union = <T>(): Monoid<Record<string, T>> => ({ empty: {}, concat: (a, b) => ({ ...a, ...b }) });

/** Record → [points, labels] on the backend; backward puts the points' gradient back into a record. */
const fields = <T>(be: Backend<T>): Optic<undefined, Batch, T[], readonly (T | null)[], BatchCotangent> =>
  optic(
    (b: Batch) => [undefined, [be.upload(pointsLens.get(b)), be.upload(labelsLens.get(b))]],
    (_m, [dp]) => ({ points: dp ? be.download(dp) : null }),
  );

/** Wires passed through unchanged (the labels beside the model). */
const wire = <T>(): Optic<undefined, readonly T[], T[], readonly (T | null)[], (T | null)[]> =>
  optic((xs: readonly T[]) => [undefined, [...xs]], (_m, ds) => [...ds]);

/** Mean softmax cross-entropy of logits [N, C] against labels [N], written by hand over host numbers. */
interface XentResidual {
  readonly probs: Float64Array;
  readonly labels: Float64Array;
  readonly n: number;
  readonly c: number;
}
export const crossEntropy = <T>(be: Backend<T>): Optic<XentResidual, readonly T[], number, number, (T | null)[]> =>
  optic<XentResidual, readonly T[], number, number, (T | null)[]>(
    ([logits, labels]: readonly T[]) => {
      const z = be.download(logits!);
      const y = be.download(labels!);
      const [n, c] = z.shape as [number, number];
      const probs = new Float64Array(n * c);
      let loss = 0;
      for (let i = 0; i < n; i++) {
        let mx = -Infinity;
        for (let j = 0; j < c; j++) mx = Math.max(mx, z.data[i * c + j]!);
        let s = 0;
        for (let j = 0; j < c; j++) s += probs[i * c + j] = Math.exp(z.data[i * c + j]! - mx);
        for (let j = 0; j < c; j++) probs[i * c + j]! /= s;
        loss -= Math.log(probs[i * c + y.data[i]!]!);
      }
      return [{ probs, labels: Float64Array.from(y.data), n, c }, loss / n];
    },
    ({ probs, labels, n, c }, dl) => {
      const g = new Float64Array(n * c);
      for (let i = 0; i < n; i++)
        for (let j = 0; j < c; j++) g[i * c + j] = (dl * (probs[i * c + j]! - (labels[i] === j ? 1 : 0))) / n;
      return [be.upload({ shape: [n, c], data: g }), null];
    },
  );

/** The classifier term: 2 → 32 → 32 → 2 with tanh. */
export const classifier = seq(prim('linear', { out: 32 }), prim('tanh'), prim('linear', { out: 32 }), prim('tanh'), prim('linear', { out: 2 }));

/** The whole pipeline for a program (any plan): record → fields → (model ⊗ labels) → loss. */
export const pipeline = <T>(be: Backend<T>, program: Program<T>) => {
  const U = union<T>();
  const lift = constPara(U);
  return paraSeqs(U)<Params<T>>(
    lift(fields(be)),
    paraPars(U)([
      { para: program, inputs: 1, outputs: 1 },
      { para: lift(wire<T>()), inputs: 1, outputs: 1 },
    ]),
    lift(crossEntropy(be)),
  );
};

/** Structural equality of residuals and cotangents, downloading backend tensors, bit for bit. */
const deepEq = <T>(be: Backend<T>): Eq<unknown> => {
  // Host tensors carry their data; anything else with a shape is a backend tensor, downloaded to compare.
  const isHost = (x: unknown): x is HostTensor => typeof x === 'object' && x !== null && 'shape' in x && 'data' in x;
  const isTensor = (x: unknown): x is T => typeof x === 'object' && x !== null && 'shape' in x;
  const eq = (a: unknown, b: unknown): boolean => {
    if (a === b) return true;
    if (typeof a === 'number' && typeof b === 'number') return Object.is(a, b);
    if (a instanceof Float64Array && b instanceof Float64Array) return a.length === b.length && a.every((v, i) => Object.is(v, b[i]));
    if (isTensor(a) && isTensor(b)) {
      const x = isHost(a) ? a : be.download(a);
      const y = isHost(b) ? b : be.download(b);
      return x.shape.join() === y.shape.join() && x.data.every((v, i) => Object.is(v, y.data[i]));
    }
    if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((v, i) => eq(v, b[i]));
    if (typeof a === 'object' && a !== null && typeof b === 'object' && b !== null) {
      if ('entries' in a && 'entries' in b) return eq((a as ProgramResidual<T>).entries(), (b as ProgramResidual<T>).entries());
      const ka = Object.keys(a).sort();
      const kb = Object.keys(b).sort();
      return eq(ka, kb) && ka.every((k) => eq((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
    }
    return false;
  };
  return { equals: eq };
};

export interface BidirectionalResult {
  readonly losses: number[];
  readonly trainAccuracy: number;
  readonly testAccuracy: number;
  /** The laws checked on the composite. */
  readonly laws: { readonly t1: boolean; readonly t2: boolean; readonly residualsDiffer: boolean; readonly getPut: boolean; readonly putGet: boolean; readonly putPut: boolean };
}

/** Train the composite on two spirals with Adam, then check the laws on it. */
export const runBidirectional = <T>(o: { be: Backend<T>; steps: number; seed: number; onStep?: (i: number, loss: number) => void }): BidirectionalResult => {
  const { be } = o;
  const trainSet = twoSpirals(150, o.seed);
  const testSet = twoSpirals(150, o.seed + 1_000_003);
  const batch: Batch = { points: trainSet.x, labels: trainSet.y, note: `two spirals, seed ${o.seed}` };
  const model = checkOrThrow(classifier, [trainSet.x.shape]);
  const program = lowerOrThrow(model, be);
  // Training: the composite reparametrised by the transfer lens and by Adam (core reparamLens only).
  const opt = adam({ lr: 0.01 });
  const step = reparamLens(reparamLens(pipeline(be, program), transferLens(be)), opt);
  const p0 = initParams(model, o.seed);
  let sp: readonly [ReturnType<typeof opt.init>, Record<string, HostTensor>] = [opt.init(p0), p0];
  const losses: number[] = [];
  for (let i = 0; i < o.steps; i++) {
    const loss = withScope(be, () => {
      const [m, l] = step.fwd([sp, batch]);
      [sp] = step.bwd(m, 1);
      return l;
    });
    losses.push(loss);
    o.onStep?.(i, loss);
  }
  const params = sp[1];
  const accuracy = (set: { x: HostTensor; y: HostTensor }) =>
    withScope(be, () => {
      const m = checkOrThrow(classifier, [set.x.shape]);
      const { outputs } = lowerOrThrow(m, be).forward(
        Object.fromEntries(Object.entries(params).map(([k, v]) => [k, be.upload(v)])),
        [be.upload(set.x)],
      );
      return argmaxAccuracy(be.download(outputs[0]!), set.y);
    });
  // Laws on the composite: the model's plan 2-cell, whiskered by the hand-written optics.
  const laws = withScope(be, () => {
    const cell = planTwoCell(model, be, recomputeAll, storeAll);
    if (E.isLeft(cell)) throw cell.left;
    const U = union<T>();
    const lift = constPara(U);
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const id = (x: any): TwoCell<any, any, any, any, any, any> => identityCell(x);
    const whole = paraSeqCells(U)<Params<T>>([
      id(lift(fields(be))),
      paraParCells(U)([
        { cell: cell.right, inputs: 1, outputs: 1 },
        { cell: id(lift(wire<T>())), inputs: 1, outputs: 1 },
      ]),
      id(lift(crossEntropy(be))),
    ]);
    const eq = deepEq(be);
    const a: [Params<T>, Batch] = [Object.fromEntries(Object.entries(params).map(([k, v]) => [k, be.upload(v)])), batch];
    const E2 = { residual: eq, output: eq, cotangent: eq };
    const residualsDiffer = !eq.equals(whole.source.fwd(a)[0], whole.target.fwd(a)[0]);
    const strEq: Eq<HostTensor> = { equals: (x, y) => eq.equals(x, y) };
    const batchEq: Eq<Batch> = { equals: (x, y) => strEq.equals(x.points, y.points) && strEq.equals(x.labels, y.labels) && x.note === y.note };
    const other = testSet.x;
    return {
      t1: twoCellLaws.t1(whole, E2.residual, E2.output)(a),
      t2: twoCellLaws.t2(whole, E2.cotangent)(a, 1),
      residualsDiffer,
      getPut: dataLensLaws.getPut(pointsLens, batchEq)(batch),
      putGet: dataLensLaws.putGet(pointsLens, strEq)(batch, other),
      putPut: dataLensLaws.putPut(pointsLens, batchEq)(batch, other, trainSet.x),
    };
  });
  return { losses, trainAccuracy: accuracy(trainSet), testAccuracy: accuracy(testSet), laws };
};
