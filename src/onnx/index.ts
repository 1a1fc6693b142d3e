/**
 * ONNX: a term under a plan as forward and backward ONNX graphs (residuals as graph outputs), the
 * graph of a plan 2-cell's `r`, a hand-written protobuf writer/reader for the subset model files
 * need, and the `ort` backend that runs the graphs on ONNX Runtime.
 *
 * @module
 */
import type * as E from 'fp-ts/lib/Either.js';
import type { Plan } from '../plan/plan';
import type { TypedModel } from '../term/check';
import { onnxEmitters } from './emitters';
import { type OnnxExport, type OnnxTwoCell, toOnnxWith, twoCellToOnnxWith } from './export';

export * from './proto';
export { ProtoDecodeError } from './wire';
export * from './graph';
export * from './emitter';
export * from './export';
export * from './emitters';
export * from './runtime';
export * from './ort-program';

/**
 * The forward and backward ONNX graphs of a checked model under a plan (every primitive's emitter
 * from {@link onnxEmitters}). See {@link toOnnxWith}.
 *
 * @example
 * const ex = toOnnx(model, { remat: ['blocks.0'] });
 */
export const toOnnx = (model: TypedModel, plan: Plan = {}, metadata?: Readonly<Record<string, string>>): E.Either<Error, OnnxExport> =>
  toOnnxWith(model, plan, { emitters: onnxEmitters, ...(metadata ? { metadata } : {}) });

/** The graph of the 2-cell between two plans (see {@link twoCellToOnnxWith}). */
export const twoCellToOnnx = (model: TypedModel, source: Plan, target: Plan): E.Either<Error, OnnxTwoCell> =>
  twoCellToOnnxWith(model, source, target, { emitters: onnxEmitters });
