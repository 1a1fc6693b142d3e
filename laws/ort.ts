/**
 * Laws for the ONNX interpretation run on ONNX Runtime (the `ort` backend). They are asynchronous
 * (a session run is a promise) and compare against a synchronous reference backend (the JS backend
 * in float64):
 *
 * - conformance: outputs and gradients within a tolerance, and the residual keeps the same tensors
 *   (names and shapes) as the reference under the same plan;
 * - plan invariance: every plan gives the same outputs and gradients, and each plan's residual is
 *   what the plan says (the reference's layout under that plan);
 * - the exported `r` graph of a plan 2-cell satisfies (T1) and (T2);
 * - export is deterministic: the same term and plan give the same bytes.
 *
 * @module
 */
import * as E from 'fp-ts/lib/Either.js';
import type { Backend } from '../src/backend/backend';
import { downloadAll, uploadAll } from '../src/backend/transfer';
import { lowerOrThrow } from '../src/lower/program';
import type { OnnxTwoCell } from '../src/onnx/export';
import { TWO_CELL_INPUT_PREFIX, exportFiles } from '../src/onnx/export';
import { type OrtOptions, type OrtProgram, ortProgram, ortProgramOf } from '../src/onnx/ort-program';
import { decodeOnnxModel, encodeOnnxModel } from '../src/onnx/proto';
import { type OrtModule, requireOrt } from '../src/onnx/runtime';
import type { Plan } from '../src/plan/plan';
import { type TypedModel, checkOrThrow } from '../src/term/check';
import { randn, rng } from '../src/tensor/rng';
import type { HostTensor } from '../src/tensor/tensor';
import { initParams } from '../src/train/init';
import { closeness, identical } from './compare';
import { type ConformanceCase, type ConformanceReport, compareRuns } from './conformance';

/**
 * The tolerance of the `ort` backend's conformance: the same as the wasm backend's (float32 against
 * the float64 JS reference), |ort − ref| ≤ atol + rtol·|ref|.
 */
export const ORT_TOL = { rtol: 2e-4, atol: 2e-5 } as const;

/** One forward and backward on ORT, downloaded: outputs, gradients and the kept residual. */
export interface OrtRun {
  readonly outputs: HostTensor[];
  readonly dInputs: (HostTensor | null)[];
  readonly dParams: Record<string, HostTensor>;
  readonly residual: Array<[string, HostTensor]>;
}

/** Run an `ort` program forward and backward. */
export const runOrt = async (
  prog: OrtProgram,
  params: Readonly<Record<string, HostTensor>>,
  inputs: readonly HostTensor[],
  dOutputs: readonly HostTensor[],
): Promise<OrtRun> => {
  const { outputs, residual } = await prog.forward(params, inputs);
  const { dInputs, dParams } = await prog.backward(residual, dOutputs);
  return { outputs, dInputs, dParams, residual: residual.entries() };
};

const mustProgram = async (model: TypedModel, plan: Plan, opts: OrtOptions): Promise<OrtProgram> => {
  const p = await ortProgram(model, plan, opts);
  if (E.isLeft(p)) throw p.left;
  return p.right;
};

/** Names and shapes of kept tensors, `name[d0,d1]` in order. */
export const residualLayout = (entries: ReadonlyArray<readonly [string, { readonly shape: readonly number[] }]>): string[] =>
  entries.map(([k, t]) => `${k}[${t.shape.join(',')}]`);

/** Forward and backward of a model on a synchronous backend under a plan, downloaded. */
export const runReference = <T>(
  model: TypedModel,
  be: Backend<T>,
  plan: Plan,
  params: Readonly<Record<string, HostTensor>>,
  inputs: readonly HostTensor[],
  dOutputs: readonly HostTensor[],
): OrtRun => {
  const prog = lowerOrThrow(model, be, plan);
  const { outputs, residual } = prog.forward(uploadAll(be, params), inputs.map((x) => be.upload(x)));
  const { dInputs, dParams } = prog.backward(residual, dOutputs.map((x) => be.upload(x)));
  return {
    outputs: outputs.map((o) => be.download(o)),
    dInputs: dInputs.map((g) => (g === null ? null : be.download(g))),
    dParams: downloadAll(be, dParams),
    residual: residual.entries().map(([k, t]) => [k, be.download(t)]),
  };
};

/**
 * Conformance of the `ort` backend on one case: outputs and gradients within `tol` of `reference`
 * (for each of the case's variant choices), and the same residual layout as the reference keeps.
 */
export const ortConforms = async <R>(
  c: ConformanceCase,
  reference: Backend<R>,
  seed: number,
  tol: { rtol: number; atol: number },
  opts: OrtOptions = {},
): Promise<ConformanceReport> => {
  const model = checkOrThrow(c.term, c.inputs);
  const params = initParams(model, seed, 'float64');
  const r = rng(seed);
  const inputs = c.sample ? c.sample(seed) : c.inputs.map((s) => randn(s, r.fork('x')));
  let worst = 0;
  let where = '';
  for (const variants of c.variants ?? [{}]) {
    const plan: Plan = { variants };
    const prog = await mustProgram(model, plan, opts);
    const dys = model.root.outputs.map((s, i) => randn(s, rng(seed).fork(`dy${i}`)));
    try {
      const a = await runOrt(prog, params, inputs, dys);
      const b = runReference(model, reference, plan, params, inputs, dys);
      const cmp = compareRuns(a, b, tol, JSON.stringify(variants));
      if (cmp.worst > worst) ({ worst, where } = cmp);
      const la = residualLayout(a.residual).join(' ');
      const lb = residualLayout(b.residual).join(' ');
      if (la !== lb) {
        worst = Infinity;
        where = `residual layout ${JSON.stringify(variants)}: ort keeps ${la || 'nothing'}, the reference ${lb || 'nothing'}`;
      }
    } finally {
      await prog.release();
    }
  }
  return { name: c.name, ok: worst <= 1, worst, where };
};

/** Report of plan invariance on ORT. */
export interface OrtPlanReport {
  readonly ok: boolean;
  /** Worst closeness between any plan's run and the first plan's (≤ 1 passes). */
  readonly worst: number;
  readonly where: string;
  /** Elements each plan's residual keeps on ORT. */
  readonly residualElems: readonly number[];
  /** Every plan keeps what the reference keeps under that plan (names and shapes). */
  readonly layoutsMatch: boolean;
  /** Every plan's outputs and gradients equal the first plan's bit for bit. */
  readonly bitIdentical: boolean;
}

const elems = (r: OrtRun['residual']): number => r.reduce((s, [, t]) => s + t.data.length, 0);

/**
 * Plan invariance on ORT: every plan gives the same outputs and gradients (within `tol` of the first
 * plan's; whether they are bit-identical is reported), and each plan keeps exactly the residual the
 * plan says (the reference backend's layout under the same plan).
 */
export const ortPlansAgree = async <R>(
  model: TypedModel,
  plans: readonly Plan[],
  reference: Backend<R>,
  params: Readonly<Record<string, HostTensor>>,
  inputs: readonly HostTensor[],
  dOutputs: readonly HostTensor[],
  tol: { rtol: number; atol: number },
  opts: OrtOptions = {},
): Promise<OrtPlanReport> => {
  const runs: OrtRun[] = [];
  let layoutsMatch = true;
  let where = '';
  for (const plan of plans) {
    const prog = await mustProgram(model, plan, opts);
    try {
      runs.push(await runOrt(prog, params, inputs, dOutputs));
    } finally {
      await prog.release();
    }
    const ref = lowerOrThrow(model, reference, plan).forward(uploadAll(reference, params), inputs.map((x) => reference.upload(x))).residual;
    const want = residualLayout(ref.entries().map(([k, t]) => [k, { shape: reference.shapeOf(t) }] as const)).join(' ');
    const got = residualLayout(runs[runs.length - 1]!.residual).join(' ');
    if (want !== got) {
      layoutsMatch = false;
      where = `plan ${JSON.stringify(plan)} keeps ${got || 'nothing'}; it says ${want || 'nothing'}`;
    }
  }
  let worst = 0;
  let bitIdentical = true;
  runs.slice(1).forEach((r, i) => {
    const c = compareRuns(r, runs[0]!, tol, `(plan ${JSON.stringify(plans[i + 1])})`);
    if (c.worst > worst) ({ worst } = c), (where ||= c.where);
    const same =
      r.outputs.every((o, j) => identical(o, runs[0]!.outputs[j]!)) &&
      Object.entries(r.dParams).every(([k, g]) => identical(g, runs[0]!.dParams[k]!)) &&
      r.dInputs.every((g, j) => (g === null ? runs[0]!.dInputs[j] === null : identical(g, runs[0]!.dInputs[j]!)));
    bitIdentical &&= same;
  });
  return { ok: worst <= 1 && layoutsMatch, worst, where, residualElems: runs.map((r) => elems(r.residual)), layoutsMatch, bitIdentical };
};

/** Report of (T1)/(T2) of an exported plan 2-cell on ORT. */
export interface OrtTwoCellReport {
  /** (T1): the target's forward graph keeps what `r` gives (names, shapes; values within tolerance) and gives the same outputs. */
  readonly t1: boolean;
  /** (T2): the source's backward on m equals the target's backward on r(m). */
  readonly t2: boolean;
  /** Both held bit for bit. */
  readonly exact: boolean;
  /** The source and target residuals differ (the premise that makes the law mean something). */
  readonly differ: boolean;
  readonly worst: number;
  readonly where: string;
}

const runSession = async (ort: OrtModule, bytes: Uint8Array, feeds: Record<string, HostTensor>, opts: OrtOptions) => {
  const s = await ort.InferenceSession.create(bytes, { intraOpNumThreads: opts.threads ?? 1, graphOptimizationLevel: opts.optimization ?? 'all', logSeverityLevel: 3 });
  try {
    const out = await s.run(Object.fromEntries(Object.entries(feeds).map(([k, t]) => [k, new ort.Tensor('float32', Float32Array.from(t.data), t.shape)])));
    return Object.fromEntries(s.outputNames.map((n) => [n, { shape: [...out[n]!.dims], data: out[n]!.data as Float32Array } satisfies HostTensor]));
  } finally {
    await s.release();
  }
};

/**
 * (T1) and (T2) of an exported plan 2-cell, run on ORT: with `[m, b] = source.forward(a)`, the
 * target's forward gives `[r(m), b]` and `source.backward(m, db) = target.backward(r(m), db)`,
 * within `tol` (and `exact` says whether bit for bit).
 */
export const ortTwoCellValid = async (
  cell: OnnxTwoCell,
  model: TypedModel,
  params: Readonly<Record<string, HostTensor>>,
  inputs: readonly HostTensor[],
  dOutputs: readonly HostTensor[],
  tol: { rtol: number; atol: number },
  opts: OrtOptions = {},
): Promise<OrtTwoCellReport> => {
  const ort = await requireOrt();
  const open = async (ex: OnnxTwoCell['source']) => {
    const p = await ortProgramOf(ort, model, ex.manifest.plan, ex, opts);
    if (E.isLeft(p)) throw p.left;
    return p.right;
  };
  const S = await open(cell.source);
  const T = await open(cell.target);
  try {
    const sf = await S.forward(params, inputs);
    const m = sf.residual.entries();
    const rm = await runSession(ort, encodeOnnxModel(cell.r), { ...params, ...Object.fromEntries(m.map(([k, t]) => [`${TWO_CELL_INPUT_PREFIX}${k}`, t])) }, opts);
    const tf = await T.forward(params, inputs);
    const mt = tf.residual.entries();
    let worst = 0;
    let where = '';
    let exact = true;
    const note = (e: number, w: string) => {
      if (e > worst || Number.isNaN(e)) (worst = Number.isNaN(e) ? Infinity : e), (where = w);
    };
    // T1: names and shapes as the target keeps them, values as r computes them.
    const rNames = cell.r.graph.outputs.map((o) => o.name);
    let t1 = rNames.join(' ') === mt.map(([k]) => k).join(' ');
    if (!t1) where = `r gives ${rNames.join(' ')}, the target keeps ${mt.map(([k]) => k).join(' ')}`;
    for (const [k, t] of mt) {
      const x = rm[k];
      if (!x) continue;
      note(closeness(x, t, tol.rtol, tol.atol), `T1 residual ${k}`);
      exact &&= identical(x, t);
    }
    tf.outputs.forEach((o, i) => {
      note(closeness(o, sf.outputs[i]!, tol.rtol, tol.atol), `T1 output ${i}`);
      exact &&= identical(o, sf.outputs[i]!);
    });
    t1 &&= worst <= 1;
    const worstT1 = worst;
    // T2: the target's backward runs on r(m), fed through its session.
    const sb = await S.backward(sf.residual, dOutputs);
    const rmResidual = { ...tf.residual, tensors: new Map(Object.entries(rm).map(([k, t]) => [k, new ort.Tensor('float32', t.data as Float32Array, t.shape)])) };
    const tb = await T.backward(rmResidual, dOutputs);
    const c = compareRuns({ outputs: [], ...tb }, { outputs: [], ...sb }, tol, '(T2)');
    note(c.worst, c.where);
    exact &&= Object.entries(sb.dParams).every(([k, g]) => identical(g, tb.dParams[k]!)) && sb.dInputs.every((g, i) => (g === null ? tb.dInputs[i] === null : identical(g, tb.dInputs[i]!)));
    const t2 = c.worst <= 1;
    const differ = m.map(([k, t]) => `${k}[${t.shape.join(',')}]`).join(' ') !== mt.map(([k, t]) => `${k}[${t.shape.join(',')}]`).join(' ');
    return { t1, t2, exact: exact && t1 && t2, differ, worst: Math.max(worst, worstT1), where };
  } finally {
    await S.release();
    await T.release();
  }
};

/** Exporting twice gives byte-identical files, and decoding then re-encoding a graph changes nothing. */
export const exportDeterministic = (ex1: Parameters<typeof exportFiles>[0], ex2: Parameters<typeof exportFiles>[0]): boolean => {
  const a = exportFiles(ex1);
  const b = exportFiles(ex2);
  const same = (x: Uint8Array, y: Uint8Array) => x.length === y.length && x.every((v, i) => v === y[i]);
  return (
    (Object.keys(a) as (keyof typeof a)[]).every((k) => same(a[k], b[k])) &&
    same(encodeOnnxModel(decodeOnnxModel(a['forward.onnx'])), a['forward.onnx']) &&
    same(encodeOnnxModel(decodeOnnxModel(a['backward.onnx'])), a['backward.onnx'])
  );
};
