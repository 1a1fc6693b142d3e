/**
 * Per-node and total costs of a checked spec under its plan, for `check` and `bench`.
 */
import type { TypedModel, TypedNode, TypedPrim } from '../term/check';
import type { Cost } from '../term/primitive';
import type { SpecPlan } from '../term/codec';
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

const costOf = (p: TypedPrim, plan: SpecPlan | undefined): { variant: string; cost: Cost } => {
  const v = plan?.variants?.[p.path.join('.')];
  if (v === undefined || v === p.variant || !p.def.variants.includes(v)) return { variant: p.variant, cost: p.cost };
  return { variant: v, cost: p.def.cost(p.attrs, p.inputs, v) };
};

/** Rows for every primitive, in term order. */
export const nodeRows = (model: TypedModel, plan?: SpecPlan): NodeRow[] => {
  const remat = new Set(plan?.remat ?? []);
  const rows: NodeRow[] = [];
  const walk = (n: TypedNode, inRemat: boolean): void => {
    const here = inRemat || remat.has(n.path.join('.'));
    if (n.kind !== 'prim') return n.children.forEach((c) => walk(c, here));
    const { variant, cost } = costOf(n, plan);
    rows.push({
      path: n.path.length ? n.path.join('.') : '<root>',
      prim: n.def.name,
      variant,
      inputs: n.inputs.map(showShape).join(' '),
      outputs: n.outputs.map(showShape).join(' '),
      cost,
      recomputed: here,
    });
  };
  walk(model.root, false);
  return rows;
};

/** Totals under the plan: a recomputed node keeps only its inputs and runs its forward again in backward. */
export const totals = (model: TypedModel, plan?: SpecPlan): Totals => {
  const remat = new Set(plan?.remat ?? []);
  let fwd = 0;
  let bwd = 0;
  let res = 0;
  const walk = (n: TypedNode, inRemat: boolean): void => {
    const start = !inRemat && remat.has(n.path.join('.'));
    if (start) res += n.inputs.reduce((s, x) => s + sizeOf(x), 0);
    const here = inRemat || start;
    if (n.kind !== 'prim') return n.children.forEach((c) => walk(c, here));
    const { cost } = costOf(n, plan);
    fwd += cost.fwdFlops;
    bwd += cost.bwdFlops + (here ? cost.fwdFlops : 0);
    if (!here) res += cost.residualElems;
  };
  walk(model.root, false);
  let params = 0;
  for (const p of model.params.values()) params += sizeOf(p.shape);
  return { params, paramTensors: model.params.size, fwdFlops: fwd, bwdFlops: bwd, residualElems: res };
};
