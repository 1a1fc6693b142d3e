/**
 * The `ort` backend: a term under a plan, exported to forward and backward ONNX graphs and run on
 * ONNX Runtime. It is asynchronous (`session.run` returns a promise), works on host tensors
 * (float32, what the graphs compute in) and keeps the residual the plan chose between the passes:
 * the forward session returns it, the backward session reads it.
 *
 * @module
 */
import * as E from 'fp-ts/lib/Either.js';
import type { Plan } from '../plan/plan';
import type { TypedModel } from '../term/check';
import { SpecError } from '../term/error';
import { type Shape, showShape, sizeOf } from '../tensor/shape';
import type { HostTensor } from '../tensor/tensor';
import { onnxEmitters } from './emitters';
import { type OnnxExport, type OnnxManifest, onnxNames, toOnnxWith } from './export';
import { encodeOnnxModel } from './proto';
import { type OrtModule, type OrtSession, type OrtSessionOptions, type OrtTensor, loadOrt } from './runtime';

/** What the `ort` program keeps between forward and backward: the kept tensors as ORT tensors, and the parameters. */
export interface OrtResidual {
  readonly params: Readonly<Record<string, HostTensor>>;
  /** Kept tensors by graph name (`flatResidual` names), as host tensors. */
  readonly entries: () => Array<[string, HostTensor]>;
  /** @internal the ORT tensors, fed back to the backward session without copies */
  readonly tensors: ReadonlyMap<string, OrtTensor>;
}

/** Options of an `ort` program. */
export interface OrtOptions {
  /** Intra-op threads of ONNX Runtime (default 1). */
  readonly threads?: number;
  /** ONNX Runtime graph optimisation level (default 'all'). */
  readonly optimization?: OrtSessionOptions['graphOptimizationLevel'];
}

/**
 * A model under a plan on ONNX Runtime: the asynchronous counterpart of `Program`.
 * `forward` returns the outputs and the residual the plan keeps; `backward` takes that residual and
 * the output cotangents and returns input gradients (`null` where an input carries none) and
 * parameter gradients.
 */
export interface OrtProgram {
  readonly backend: 'ort';
  readonly model: TypedModel;
  readonly plan: Plan;
  readonly manifest: OnnxManifest;
  readonly exported: OnnxExport;
  forward(params: Readonly<Record<string, HostTensor>>, inputs: readonly HostTensor[]): Promise<{ outputs: HostTensor[]; residual: OrtResidual }>;
  backward(residual: OrtResidual, dOutputs: readonly HostTensor[]): Promise<{ dInputs: (HostTensor | null)[]; dParams: Record<string, HostTensor> }>;
  /** Give back the two sessions. */
  release(): Promise<void>;
}

const f32 = (t: HostTensor): Float32Array => (t.data instanceof Float32Array ? t.data : Float32Array.from(t.data));

const checkShape = (what: string, t: HostTensor, want: Shape): void => {
  if (t.shape.length !== want.length || t.shape.some((d, i) => d !== want[i]) || t.data.length !== sizeOf(want))
    throw new SpecError([], `${what}: expected shape ${showShape(want)}, got ${showShape(t.shape)}`);
};

const hostOf = (t: OrtTensor): HostTensor => ({ shape: [...t.dims], data: t.data as Float32Array });

/**
 * Export `model` under `plan` and open forward and backward sessions on ONNX Runtime. Fails (never
 * throws) with the export's error (`SpecError`, `MissingKernelError`, `OnnxEmitError`), an
 * `OrtUnavailableError` if onnxruntime-node cannot be loaded, or ONNX Runtime's own error if it
 * rejects a graph.
 *
 * @example
 * const prog = await ortProgram(model, storeAll, { threads: 2 });
 * if (E.isRight(prog)) { const { outputs, residual } = await prog.right.forward(params, inputs); }
 */
export const ortProgram = async (model: TypedModel, plan: Plan = {}, opts: OrtOptions = {}): Promise<E.Either<Error, OrtProgram>> => {
  const ex = toOnnxWith(model, plan, { emitters: onnxEmitters });
  if (E.isLeft(ex)) return ex;
  const ort = await loadOrt();
  if (ort instanceof Error) return E.left(ort);
  return ortProgramOf(ort, model, plan, ex.right, opts);
};

/** Open sessions for an export that is already made (see {@link ortProgram}). */
export const ortProgramOf = async (ort: OrtModule, model: TypedModel, plan: Plan, ex: OnnxExport, opts: OrtOptions = {}): Promise<E.Either<Error, OrtProgram>> => {
  const so: OrtSessionOptions = {
    intraOpNumThreads: opts.threads ?? 1,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: opts.optimization ?? 'all',
    logSeverityLevel: 3,
  };
  let fs: OrtSession;
  let bs: OrtSession;
  try {
    fs = await ort.InferenceSession.create(encodeOnnxModel(ex.forward), so);
    bs = await ort.InferenceSession.create(encodeOnnxModel(ex.backward), so);
  } catch (e) {
    return E.left(new Error(`onnxruntime rejected the exported graphs: ${(e as Error).message}`));
  }
  const m = ex.manifest;
  const tensor = (t: HostTensor): OrtTensor => new ort.Tensor('float32', f32(t), t.shape);
  const feedParams = (params: Readonly<Record<string, HostTensor>>, feeds: Record<string, OrtTensor>): void => {
    for (const p of m.params) {
      const t = params[p.name];
      if (!t) throw new SpecError(p.name.split('.').slice(0, -1), `missing parameter '${p.name}'`);
      checkShape(`parameter '${p.name}'`, t, p.shape);
      feeds[p.name] = tensor(t);
    }
  };
  return E.right({
    backend: 'ort',
    model,
    plan,
    manifest: m,
    exported: ex,
    forward: async (params, inputs) => {
      if (inputs.length !== m.inputs.length) throw new SpecError([], `input: expected ${m.inputs.length} tensor(s), got ${inputs.length}`);
      const feeds: Record<string, OrtTensor> = {};
      feedParams(params, feeds);
      m.inputs.forEach((x, i) => {
        checkShape(`input ${i}`, inputs[i]!, x.shape);
        feeds[x.name] = tensor(inputs[i]!);
      });
      const out = await fs.run(feeds);
      const tensors = new Map<string, OrtTensor>(m.residual.map((r) => [r.name, out[r.name]!]));
      return {
        outputs: m.outputs.map((o) => hostOf(out[o.name]!)),
        residual: { params, tensors, entries: () => m.residual.map((r) => [r.name, hostOf(tensors.get(r.name)!)]) },
      };
    },
    backward: async (residual, dOutputs) => {
      if (dOutputs.length !== m.outputGrads.length) throw new SpecError([], `output gradient: expected ${m.outputGrads.length} tensor(s), got ${dOutputs.length}`);
      const feeds: Record<string, OrtTensor> = {};
      feedParams(residual.params, feeds);
      for (const r of m.residual) {
        const t = residual.tensors.get(r.name);
        if (!t) throw new SpecError([], `residual: no kept tensor '${r.name}' (a residual of another program?)`);
        feeds[r.name] = t;
      }
      m.outputGrads.forEach((x, i) => {
        checkShape(`output gradient ${i}`, dOutputs[i]!, x.shape);
        feeds[x.name] = tensor(dOutputs[i]!);
      });
      const out = await bs.run(feeds);
      const dInputs: (HostTensor | null)[] = m.inputs.map(() => null);
      for (const g of m.inputGrads) dInputs[g.input] = hostOf(out[g.name]!);
      const dParams: Record<string, HostTensor> = {};
      for (const g of m.paramGrads) dParams[g.param] = hostOf(out[g.name]!);
      return { dInputs, dParams };
    },
    release: async () => {
      await fs.release();
      await bs.release();
    },
  });
};

export { onnxNames };
