import type { TypedModel, TypedNode } from '../term/check';
import type { Cost } from '../term/primitive';
import type { Plan } from './plan';
import { type PlannedModel, type PlannedNode, applyPlanOrThrow } from './apply';

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

const plannedOf = (model: TypedModel | PlannedModel, plan: Plan): PlannedModel => ('model' in model ? model : applyPlanOrThrow(model, plan));

/**
 * Cost tree of a model under a plan's variant choices (the plan resolved by `applyPlan`, or a model
 * already planned). Iterative, so very long chains are fine.
 *
 * @example
 * const c = costOf(model); // c.fwdFlops, c.bwdFlops, c.residualElems, c.paramElems
 */
export const costOf = (model: TypedModel | PlannedModel, plan: Plan = {}): NodeCost => {
  const root = plannedOf(model, plan).root;
  const done = new Map<PlannedNode, NodeCost>();
  const stack: { n: PlannedNode; open: boolean }[] = [{ n: root, open: false }];
  while (stack.length) {
    const top = stack[stack.length - 1]!;
    const n = top.n;
    if (n.kind !== 'prim' && !top.open) {
      top.open = true;
      for (const c of n.children) stack.push({ n: c, open: false });
      continue;
    }
    stack.pop();
    if (n.kind === 'prim') {
      const p = n.node;
      done.set(n, { path: n.key, kind: 'prim', prim: p.def.name, variant: p.variant, children: [], ...p.cost });
      continue;
    }
    const children = n.children.map((c) => done.get(c)!);
    const sum = (f: (c: Cost) => number) => children.reduce((s, c) => s + f(c), 0);
    done.set(n, {
      path: n.key,
      kind: n.kind as TypedNode['kind'],
      children,
      fwdFlops: sum((c) => c.fwdFlops),
      bwdFlops: sum((c) => c.bwdFlops),
      residualElems: sum((c) => c.residualElems),
      paramElems: sum((c) => c.paramElems),
    });
  }
  return done.get(root)!;
};

/** Totals in bytes for a dtype size: the four numbers the cost interpretation reports. */
export interface CostSummary {
  readonly fwdFlops: number;
  readonly bwdFlops: number;
  readonly paramBytes: number;
  /** Residual bytes of the store-all plan. */
  readonly residualBytes: number;
}

export const costSummary = (model: TypedModel | PlannedModel, bytesPerElem: number, plan: Plan = {}): CostSummary => {
  const c = costOf(model, plan);
  return { fwdFlops: c.fwdFlops, bwdFlops: c.bwdFlops, paramBytes: c.paramElems * bytesPerElem, residualBytes: c.residualElems * bytesPerElem };
};
