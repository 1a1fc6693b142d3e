import type { Params } from '../backend/backend';
import type { LensForm } from '../optic/checkpoint';
import { recompute } from '../optic/optic';
import type { TypedPrim } from '../term/check';
import type { Shape } from '../tensor/shape';
import type { Grads } from './grads';
import type { Para } from '../optic/para';

/** The optic every node of a term lowers to: parameters and input wires in, output wires out. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type NodeOptic<T> = Para<any, Params<T>, readonly T[], T[], readonly (T | null)[], Grads<T>, (T | null)[]>;

/**
 * How a lowering is observed, as optic transformers: what wraps each primitive's optic, which lens
 * form recomputed nodes and checkpoint segments use, and how a missing (`null`) output cotangent
 * becomes a zero tensor. The plain lowering uses the identity, the core's `recompute` and the
 * backend's `zeros`; a memory meter (`meteredLowering`) counts every residual entry and wire through
 * the same three hooks, without touching the interpreter.
 */
export interface Instrument<T> {
  readonly leaf: (node: TypedPrim, o: NodeOptic<T>) => NodeOptic<T>;
  readonly lensForm: LensForm;
  readonly zeros: (shape: Shape) => T;
}

/** The instrument of a plain run. */
export const plainInstrument = <T>(zeros: (shape: Shape) => T): Instrument<T> => ({ leaf: (_n, o) => o, lensForm: recompute, zeros });
