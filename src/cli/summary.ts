/**
 * Per-node and total costs of a checked spec under its plan, for `check` and `bench`.
 */
import type { TypedNode, TypedPrim } from '../term/check';
import type { Cost } from '../term/primitive';
import type { PlannedModel, PlannedNode } from '../plan/apply';
import { showShape, sizeOf } from '../tensor/shape';

/** One primitive node with the cost of the variant the plan picks. */
export interface NodeRow {
  readonly path: string;
  readonly prim: string;
  readonly variant: string;
  readonly inputs: string;
  readonly outputs: string;
  readonly cost: Cost;
  /** Inside a node the plan recomputes (lens form). */
  readonly recomputed: boolean;
}

export interface Totals {
  readonly params: number;
  readonly paramTensors: number;
  readonly fwdFlops: number;
  /** Backward flops, including forward recomputation of nodes the plan runs in lens form. */
  readonly bwdFlops: number;
  /** Elements kept between forward and backward under the plan. */
  readonly residualElems: number;
}

export const primNodes = (n: TypedNode): TypedPrim[] => (n.kind === 'prim' ? [n] : n.children.flatMap(primNodes));

/** Rows for every primitive, in term order, under the resolved plan. */
export const nodeRows = (pm: PlannedModel): NodeRow[] => {
  const rows: NodeRow[] = [];
  const stack: [PlannedNode, boolean][] = [[pm.root, false]];
  while (stack.length) {
    const [n, inRemat] = stack.pop()!;
    const here = inRemat || n.lens;
    if (n.kind !== 'prim') {
      for (let i = n.children.length - 1; i >= 0; i--) stack.push([n.children[i]!, here]);
      continue;
    }
    const p = n.node;
    rows.push({
      path: p.path.length ? p.path.join('.') : '<root>',
      prim: p.def.name,
      variant: p.variant,
      inputs: p.inputs.map(showShape).join(' '),
      outputs: p.outputs.map(showShape).join(' '),
      cost: p.cost,
      recomputed: here,
    });
  }
  return rows;
};

/** Totals under the plan: a recomputed node keeps only its inputs and runs its forward again in backward. */
export const totals = (pm: PlannedModel): Totals => {
  let fwd = 0;
  let bwd = 0;
  let res = 0;
  const stack: [PlannedNode, boolean][] = [[pm.root, false]];
  while (stack.length) {
    const [n, inRemat] = stack.pop()!;
    const start = !inRemat && n.lens;
    if (start) res += n.node.inputs.reduce((s, x) => s + sizeOf(x), 0);
    const here = inRemat || start;
    if (n.kind !== 'prim') {
      for (const c of n.children) stack.push([c, here]);
      continue;
    }
    const cost = n.node.cost;
    fwd += cost.fwdFlops;
    bwd += cost.bwdFlops + (here ? cost.fwdFlops : 0);
    if (!here) res += cost.residualElems;
  }
  let params = 0;
  for (const p of pm.model.params.values()) params += sizeOf(p.shape);
  return { params, paramTensors: pm.model.params.size, fwdFlops: fwd, bwdFlops: bwd, residualElems: res };
};
