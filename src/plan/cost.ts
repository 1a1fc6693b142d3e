import type { TypedModel, TypedNode, TypedPrim } from '../term/check';
import type { Cost } from '../term/primitive';
import { type Plan, pathKey } from './plan';

/**
 * The cost interpretation of a checked term, by structural recursion: flops and elements for every
 * node, summed over composites. Residual elements are those of the store-all plan (every primitive
 * keeps its residual) under the chosen variants; what a plan actually holds over time is `simulate`'s job.
 */
export interface NodeCost extends Cost {
  readonly path: string;
  readonly kind: TypedNode['kind'];
  /** The primitive's name and variant, for primitives. */
  readonly prim?: string;
  readonly variant?: string;
  readonly children: readonly NodeCost[];
}

/** A primitive with the plan's variant applied (its `cost` recomputed from its description). */
export const primUnderPlan = (node: TypedPrim, plan: Plan): TypedPrim => {
  const v = plan.variants?.[pathKey(node.path)];
  if (v === undefined || v === node.variant) return node;
  if (!node.def.variants.includes(v)) throw new Error(`${pathKey(node.path)} (${node.def.name}): plan asks for variant '${v}'; expected one of ${node.def.variants.join(', ')}`);
  return { ...node, variant: v, cost: node.def.cost(node.attrs, node.inputs, v) };
};

/**
 * Cost tree of a model (or any node) under a plan's variant choices.
 *
 * @example
 * const c = costOf(model); // c.fwdFlops, c.bwdFlops, c.residualElems, c.paramElems
 */
export const costOf = (model: TypedModel | TypedNode, plan: Plan = {}): NodeCost => {
  const node = 'root' in model ? model.root : model;
  if (node.kind === 'prim') {
    const p = primUnderPlan(node, plan);
    return { path: pathKey(p.path), kind: 'prim', prim: p.def.name, variant: p.variant, children: [], ...p.cost };
  }
  const children = node.children.map((c) => costOf(c, plan));
  const sum = (f: (c: Cost) => number) => children.reduce((s, c) => s + f(c), 0);
  return {
    path: pathKey(node.path),
    kind: node.kind,
    children,
    fwdFlops: sum((c) => c.fwdFlops),
    bwdFlops: sum((c) => c.bwdFlops),
    residualElems: sum((c) => c.residualElems),
    paramElems: sum((c) => c.paramElems),
  };
};

/** Totals in bytes for a dtype size: the four numbers the cost interpretation reports. */
export interface CostSummary {
  readonly fwdFlops: number;
  readonly bwdFlops: number;
  readonly paramBytes: number;
  /** Residual bytes of the store-all plan. */
  readonly residualBytes: number;
}

export const costSummary = (model: TypedModel, bytesPerElem: number, plan: Plan = {}): CostSummary => {
  const c = costOf(model, plan);
  return { fwdFlops: c.fwdFlops, bwdFlops: c.bwdFlops, paramBytes: c.paramElems * bytesPerElem, residualBytes: c.residualElems * bytesPerElem };
};
