/**
 * ONNX export as an interpretation of a term under a plan.
 *
 * The term is lowered, with the plan resolved once (`applyPlan`), to the symbolic backend of
 * {@link onnxBackend}: the same lowering functor every backend uses. Running that program's forward
 * pass with graph inputs traces the **forward graph** (parameters and inputs in; outputs and every
 * kept residual tensor out, named as `flatResidual` names them); running its backward pass on graph
 * inputs traces the **backward graph** (parameters, residual and output cotangents in; input and
 * parameter gradients out). Lens-form nodes and checkpoint segments recompute inside the backward
 * pass, so their forward subgraph is emitted again there. A plan 2-cell's `r` is traced the same way
 * into a graph of its own ({@link twoCellToOnnx}).
 *
 * Parameters are graph inputs, not initializers, so one session serves every training step.
 *
 * @module
 */
import * as E from 'fp-ts/lib/Either.js';
import type { Params } from '../backend/backend';
import { planTwoCell } from '../lower/plan-cells';
import { type Program, type ProgramResidual, lowerPlanned } from '../lower/program';
import { applyPlan } from '../plan/apply';
import type { Plan } from '../plan/plan';
import type { TypedModel } from '../term/check';
import type { Shape } from '../tensor/shape';
import { type OnnxBackend, type SomeEmitter, onnxBackend } from './emitter';
import { GraphBuilder, OnnxEmitError, Sym } from './graph';
import { type ModelProto, encodeOnnxModel } from './proto';

/** The ONNX operator set the graphs use (ONNX Runtime 1.30 accepts up to 26). */
export const OPSET = 21;
/** IR version matching {@link OPSET}. */
export const IR_VERSION = 10;

/** A named tensor of a graph's interface. */
export interface TensorInfo {
  readonly name: string;
  readonly shape: readonly number[];
}

/** A kept residual tensor: its graph name (`path:name`, `path@:in0`, `path@a-b:in0`) and its node. */
export interface ResidualInfo extends TensorInfo {
  /** Plan key of the node that keeps it. */
  readonly node: string;
}

/**
 * The interface of exported graphs: what goes in and out, in order, with shapes. Written next to
 * the graphs as `manifest.json` by `catoptric export`.
 */
export interface OnnxManifest {
  readonly catoptric: 1;
  readonly opset: number;
  readonly plan: Plan;
  /** Parameters by path, in the model's order (inputs of both graphs). */
  readonly params: readonly TensorInfo[];
  /** The model's inputs (forward graph inputs after the parameters): `input:0`, `input:1`, … */
  readonly inputs: readonly TensorInfo[];
  /** The model's outputs (forward graph outputs first): `output:0`, … */
  readonly outputs: readonly TensorInfo[];
  /** Every kept tensor (forward graph outputs after the model's outputs; backward graph inputs). */
  readonly residual: readonly ResidualInfo[];
  /** Output cotangents (backward graph inputs after the residual): `grad:output:0`, … */
  readonly outputGrads: readonly TensorInfo[];
  /** Input gradients (backward graph outputs): `grad:input:0`, …; inputs without a gradient are left out. */
  readonly inputGrads: readonly (TensorInfo & { readonly input: number })[];
  /** Parameter gradients (backward graph outputs after the input gradients): `grad:PATH`. */
  readonly paramGrads: readonly (TensorInfo & { readonly param: string })[];
}

/** Forward and backward graphs of a term under a plan, and their interface. */
export interface OnnxExport {
  readonly forward: ModelProto;
  readonly backward: ModelProto;
  readonly manifest: OnnxManifest;
}

/** Graph names of the model's inputs, outputs and gradients. */
export const onnxNames = {
  input: (i: number): string => `input:${i}`,
  output: (i: number): string => `output:${i}`,
  outputGrad: (i: number): string => `grad:output:${i}`,
  inputGrad: (i: number): string => `grad:input:${i}`,
  paramGrad: (k: string): string => `grad:${k}`,
};

const modelOf = (g: GraphBuilder, doc: string, metadata: Record<string, string>): ModelProto => ({
  irVersion: IR_VERSION,
  opsets: [{ domain: '', version: OPSET }],
  producerName: 'catoptric',
  producerVersion: '',
  docString: '',
  graph: g.build(doc),
  metadata: Object.entries(metadata).map(([key, value]) => ({ key, value })),
});

const isPlain = (x: object): boolean => {
  const p = Object.getPrototypeOf(x);
  return p === Object.prototype || p === null;
};

/**
 * Replace every graph value inside a residual (a nested structure of arrays and records, as the
 * optic core builds it) by its counterpart in another graph. A value with no counterpart means the
 * residual holds something that is neither a parameter nor a named kept tensor: an internal error.
 */
const substitute = (value: unknown, map: ReadonlyMap<Sym, Sym>, where: string): unknown => {
  const go = (v: unknown): unknown => {
    if (v instanceof Sym) {
      const s = map.get(v);
      if (!s) throw new OnnxEmitError(where, `internal: the residual holds value '${v.name}', which is neither a parameter nor a named kept tensor`);
      return s;
    }
    if (Array.isArray(v)) return v.map(go);
    if (v !== null && typeof v === 'object') {
      if (!isPlain(v)) throw new OnnxEmitError(where, `internal: the residual holds a ${Object.getPrototypeOf(v)?.constructor?.name ?? 'non-plain'} object`);
      const out: Record<string, unknown> = {};
      for (const k of Object.keys(v)) out[k] = go((v as Record<string, unknown>)[k]);
      return out;
    }
    return v;
  };
  return go(value);
};

const nodeOfEntry = (name: string): string => {
  const at = name.indexOf('@');
  const colon = name.lastIndexOf(':');
  return name.slice(0, at >= 0 ? at : colon >= 0 ? colon : name.length);
};

/** Graph inputs for every parameter of a model, by path. */
const paramInputs = (g: GraphBuilder, model: TypedModel): Record<string, Sym> => {
  const ps: Record<string, Sym> = {};
  for (const [k, info] of model.params) ps[k] = g.input(k, info.shape);
  return ps;
};

/** A residual of `prog` whose tensors are inputs of graph `g` (named as in the forward graph). */
const residualInputs = (
  g: GraphBuilder,
  prog: Program<Sym>,
  traced: ProgramResidual<Sym>,
  params: Params<Sym>,
  tracedParams: Params<Sym>,
  prefix = '',
): ProgramResidual<Sym> => {
  const map = new Map<Sym, Sym>();
  for (const [k, s] of Object.entries(tracedParams)) map.set(s, params[k]!);
  for (const [name, s] of traced.entries()) {
    const input = g.input(`${prefix}${name}`, s.shape, s.elem);
    if (!map.has(s)) map.set(s, input);
  }
  return prog.residual(substitute(traced.value, map, g.name), params);
};

/** Trace a program's forward pass into a scratch graph: its residual's structure and names. */
const traceForward = (be: OnnxBackend, prog: Program<Sym>, model: TypedModel, g: GraphBuilder) =>
  be.within(g, () => {
    const params = paramInputs(g, model);
    const inputs = model.root.inputs.map((s, i) => g.input(onnxNames.input(i), s));
    const [residual, outputs] = prog.fwd([params, inputs]);
    return { params, inputs, residual, outputs };
  });

/** Emitters of every primitive with an ONNX form (filled in by `./emitters`). */
export interface ExportOptions {
  readonly emitters: readonly SomeEmitter[];
  /** Extra `metadata_props` (e.g. the spec name). */
  readonly metadata?: Readonly<Record<string, string>>;
}

/**
 * The forward and backward ONNX graphs of a checked model under a plan. Fails (never throws) with a
 * `SpecError` for a plan that does not fit, a `MissingKernelError` naming a primitive that has no
 * emitter, or an `OnnxEmitError` naming the node whose emission failed.
 *
 * @example
 * const ex = toOnnxWith(model, { remat: ['blocks.0'] }, { emitters: onnxEmitters });
 * // E.isRight(ex): encodeOnnxModel(ex.right.forward) is forward.onnx
 */
export const toOnnxWith = (model: TypedModel, plan: Plan, opts: ExportOptions): E.Either<Error, OnnxExport> => {
  const planned = applyPlan(model, plan);
  if (E.isLeft(planned)) return planned;
  const be = onnxBackend(opts.emitters);
  const lowered = lowerPlanned(planned.right, be);
  if (E.isLeft(lowered)) return lowered;
  const prog = lowered.right;
  const meta = { plan: JSON.stringify(plan), ...(opts.metadata ?? {}) };
  try {
    // Forward graph.
    const F = new GraphBuilder('forward');
    const fw = traceForward(be, prog, model, F);
    const entries = fw.residual.entries();
    be.within(F, () => {
      fw.outputs.forEach((o, i) => F.output(o, onnxNames.output(i)));
      for (const [name, s] of entries) F.output(s, name);
    });
    // Backward graph.
    const B = new GraphBuilder('backward');
    const bw = be.within(B, () => {
      const params = paramInputs(B, model);
      const residual = residualInputs(B, prog, fw.residual, params, fw.params);
      const dys = model.root.outputs.map((s, i) => B.input(onnxNames.outputGrad(i), s));
      const [dParams, dInputs] = prog.bwd(residual, dys);
      const inputGrads: (TensorInfo & { input: number })[] = [];
      dInputs.forEach((d, i) => {
        if (d === null) return;
        B.output(d, onnxNames.inputGrad(i));
        inputGrads.push({ name: onnxNames.inputGrad(i), shape: [...d.shape], input: i });
      });
      const paramGrads: (TensorInfo & { param: string })[] = [];
      for (const k of model.params.keys()) {
        const d = dParams[k]!;
        B.output(d, onnxNames.paramGrad(k));
        paramGrads.push({ name: onnxNames.paramGrad(k), shape: [...d.shape], param: k });
      }
      return { inputGrads, paramGrads };
    });
    const info = (name: string, s: Shape): TensorInfo => ({ name, shape: [...s] });
    const manifest: OnnxManifest = {
      catoptric: 1,
      opset: OPSET,
      plan,
      params: [...model.params.values()].map((p) => info(p.key, p.shape)),
      inputs: model.root.inputs.map((s, i) => info(onnxNames.input(i), s)),
      outputs: model.root.outputs.map((s, i) => info(onnxNames.output(i), s)),
      residual: entries.map(([name, s]) => ({ name, shape: [...s.shape], node: nodeOfEntry(name) })),
      outputGrads: model.root.outputs.map((s, i) => info(onnxNames.outputGrad(i), s)),
      inputGrads: bw.inputGrads,
      paramGrads: bw.paramGrads,
    };
    return E.right({
      forward: modelOf(F, 'catoptric forward pass: parameters and inputs in; outputs and the kept residual out', meta),
      backward: modelOf(B, 'catoptric backward pass: parameters, residual and output cotangents in; input and parameter gradients out', meta),
      manifest,
    });
  } catch (e) {
    return E.left(e as Error);
  }
};

/** Prefix of the source residual's names as inputs of an `r` graph (its outputs carry the target's names). */
export const TWO_CELL_INPUT_PREFIX = 'source:';

/** The graph of a plan 2-cell's `r`, and the names it reads and writes. */
export interface OnnxTwoCell {
  /** Parameters and the source plan's residual (names prefixed `source:`) in; the target plan's residual out. */
  readonly r: ModelProto;
  readonly source: OnnxExport;
  readonly target: OnnxExport;
}

/**
 * The 2-cell between two plans of a model (see `planTwoCell`) as ONNX: the source and target
 * exports, and the graph of `r`, which maps the source's residual (with the parameters) to the
 * target's. (T1): the target's forward graph keeps exactly what `r` gives; (T2): both backward
 * graphs give the same gradients.
 */
export const twoCellToOnnxWith = (model: TypedModel, source: Plan, target: Plan, opts: ExportOptions): E.Either<Error, OnnxTwoCell> => {
  const be = onnxBackend(opts.emitters);
  const cell = planTwoCell(model, be, source, target);
  if (E.isLeft(cell)) return cell;
  const s = toOnnxWith(model, source, opts);
  if (E.isLeft(s)) return s;
  const t = toOnnxWith(model, target, opts);
  if (E.isLeft(t)) return t;
  try {
    const scratch = new GraphBuilder('trace');
    const fw = traceForward(be, cell.right.source, model, scratch);
    const R = new GraphBuilder('r');
    be.within(R, () => {
      const params = paramInputs(R, model);
      const m = residualInputs(R, cell.right.source, fw.residual, params, fw.params, TWO_CELL_INPUT_PREFIX);
      const out = cell.right.r(m);
      for (const [name, x] of out.entries()) R.output(x, name);
    });
    const meta = { source: JSON.stringify(source), target: JSON.stringify(target), ...(opts.metadata ?? {}) };
    return E.right({ r: modelOf(R, 'catoptric plan 2-cell r: parameters and the source residual in; the target residual out', meta), source: s.right, target: t.right });
  } catch (e) {
    return E.left(e as Error);
  }
};

/** Bytes of an export: `forward.onnx`, `backward.onnx` and `manifest.json` (deterministic). */
export const exportFiles = (ex: OnnxExport): Record<'forward.onnx' | 'backward.onnx' | 'manifest.json', Uint8Array> => ({
  'forward.onnx': encodeOnnxModel(ex.forward),
  'backward.onnx': encodeOnnxModel(ex.backward),
  'manifest.json': new TextEncoder().encode(`${JSON.stringify(ex.manifest, null, 1)}\n`),
});
