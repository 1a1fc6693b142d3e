import * as t from 'io-ts';
import type { Either } from 'fp-ts/lib/Either.js';
import type { Shape } from '../tensor/shape';
import type { Rng } from '../tensor/rng';

/** Static wire counts of a box. */
export interface Arity {
  readonly inputs: number;
  readonly outputs: number;
}

/** Shapes a primitive produces for given input shapes. */
export interface PrimShapes {
  readonly outputs: readonly Shape[];
  /** Parameter shapes by local name (`w`, `b`, ...). */
  readonly params: Readonly<Record<string, Shape>>;
}

/**
 * Cost of one node under one residual variant, in elements (multiply by the dtype's size for bytes).
 * Flops count a multiply-add as 2.
 */
export interface Cost {
  readonly fwdFlops: number;
  readonly bwdFlops: number;
  /** Elements held in the residual between forward and backward (parameters excluded). */
  readonly residualElems: number;
  /** Elements of parameters. */
  readonly paramElems: number;
}

/** A store-versus-recompute choice between two residual variants of one primitive. */
export interface VariantTwoCell {
  /** Variant that keeps less (the 2-cell's source). */
  readonly from: string;
  /** Variant that keeps more. */
  readonly to: string;
  /** What it means, for docs and diagrams. */
  readonly doc: string;
}

/** One attribute explained: what it means and, for an optional one with a fixed default, that default. */
export interface AttrDoc {
  readonly doc: string;
  /** The value an absent optional attribute stands for (a computed default is described in `doc`). */
  readonly default?: unknown;
}

/**
 * A primitive's backend-independent description: attribute codec, arity, shape rule, parameters,
 * residual variants and cost. Kernels live in backends and are looked up by `name`.
 */
// `any` as the default stands for "some attribute type" (an existential): a registry holds
// descriptions of many primitives, each with its own codec.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export interface PrimitiveDef<A = any> {
  readonly name: string;
  readonly doc: string;
  /** io-ts codec validating the attributes. */
  readonly attrs: t.Type<A, unknown, unknown>;
  /** Each attribute's meaning and default, by name (`catoptric prims NAME` prints them with the codec's types). */
  readonly attrDocs?: Readonly<Record<string, AttrDoc>>;
  /** Names of the input wires (for messages and diagrams); length may depend on attrs via `arity`. */
  arity(attrs: A): Arity;
  /** Output and parameter shapes, or a message saying which inputs disagree and how. */
  shape(attrs: A, inputs: readonly Shape[]): Either<string, PrimShapes>;
  /** Residual variants; the first is the default. */
  readonly variants: readonly string[];
  /** 2-cells between variants (store less ⇒ store more). */
  readonly twoCells?: readonly VariantTwoCell[];
  cost(attrs: A, inputs: readonly Shape[], variant: string): Cost;
  /** Initial value of a parameter (row-major), from an explicit generator. */
  init?(attrs: A, param: string, shape: Shape, rng: Rng): ArrayLike<number>;
  /** Input wires that carry no gradient (integer ids, labels). */
  readonly nondiff?: (attrs: A) => readonly number[];
  /**
   * True if the primitive takes CSR wires (see `csrShape`); `check` refuses a CSR wire into any
   * other primitive, so a dense shape rule never misreads a sparse type.
   */
  readonly sparse?: boolean;
}

const registry = new Map<string, PrimitiveDef>();

/** Register a primitive description (components call this when their module loads). */
export const definePrimitive = <A>(def: PrimitiveDef<A>): PrimitiveDef<A> => {
  if (registry.has(def.name)) throw new Error(`definePrimitive: '${def.name}' is already registered`);
  if (def.variants.length === 0) throw new Error(`definePrimitive: '${def.name}' needs at least one residual variant`);
  registry.set(def.name, def as PrimitiveDef);
  return def;
};

export const lookupPrimitive = (name: string): PrimitiveDef | undefined => registry.get(name);

export const primitiveNames = (): string[] => [...registry.keys()].sort();
