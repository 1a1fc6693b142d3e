import * as E from 'fp-ts/lib/Either.js';
import type { Schedule } from '../optic/checkpoint';
import { scheduleProblem } from '../optic/checkpoint';
import type { TypedComposite, TypedModel, TypedNode, TypedPrim } from '../term/check';
import { SpecError } from '../term/error';
import { type Plan, pathKey } from './plan';

/** A primitive with the plan's choices applied: its residual variant (and that variant's cost). */
export interface PlannedPrim {
  readonly kind: 'prim';
  /** Plan key (node path joined by '.'; the root is ''). */
  readonly key: string;
  /** The checked node with `variant` and `cost` set to the plan's variant. */
  readonly node: TypedPrim;
  /** Runs in lens form: keeps only its inputs, recomputes in the backward pass. */
  readonly lens: boolean;
}

/** A composite with the plan's choices applied. */
export interface PlannedComposite {
  readonly kind: 'seq' | 'par';
  readonly key: string;
  readonly node: TypedComposite;
  readonly lens: boolean;
  readonly children: readonly PlannedNode[];
  /** A `seq`'s checkpoint schedule, if the plan gives one. */
  readonly schedule?: Schedule;
}

export type PlannedNode = PlannedPrim | PlannedComposite;

/**
 * A checked model with a plan resolved once: every node knows its variant, whether it runs in lens
 * form, and its schedule. Lowering, cost, memory simulation, diagrams, the planner and the CLI all
 * read this instead of re-reading the plan.
 */
export interface PlannedModel {
  readonly model: TypedModel;
  readonly plan: Plan;
  readonly root: PlannedNode;
}

const own = <V>(rec: Readonly<Record<string, V>> | undefined, k: string): V | undefined =>
  rec !== undefined && Object.prototype.hasOwnProperty.call(rec, k) ? rec[k] : undefined;

const toPath = (k: string): string[] => (k === '' ? [] : k.split('.'));

/** Every node of a checked model by plan key (iteratively: terms may be very long). */
export const nodesByKey = (model: TypedModel): ReadonlyMap<string, TypedNode> => {
  const out = new Map<string, TypedNode>();
  const stack: TypedNode[] = [model.root];
  while (stack.length) {
    const n = stack.pop()!;
    out.set(pathKey(n.path), n);
    if (n.kind !== 'prim') for (const c of n.children) stack.push(c);
  }
  return out;
};

/** Why a plan does not fit a model (unknown node, variant on a composite or unknown, bad schedule), or null. */
export const planProblem = (model: TypedModel, plan: Plan, nodes: ReadonlyMap<string, TypedNode> = nodesByKey(model)): SpecError | null => {
  for (const k of plan.remat ?? []) {
    if (typeof k !== 'string') return new SpecError([], `plan.remat lists node paths (strings), got ${JSON.stringify(k) ?? typeof k}`);
    if (!nodes.has(k)) return new SpecError(toPath(k), 'plan refers to a node that does not exist');
  }
  for (const k of Object.keys(plan.variants ?? {})) {
    const n = nodes.get(k);
    if (!n) return new SpecError(toPath(k), 'plan refers to a node that does not exist');
    const v = own(plan.variants, k);
    if (n.kind !== 'prim') return new SpecError(n.path, 'plan gives a variant to a composite node; variants belong to primitives');
    if (typeof v !== 'string' || !n.def.variants.includes(v))
      return new SpecError(n.path, `plan asks for variant ${typeof v === 'string' ? `'${v}'` : `of type ${typeof v}`}; expected one of ${n.def.variants.join(', ')}`, n.def.name);
  }
  for (const k of Object.keys(plan.schedules ?? {})) {
    const n = nodes.get(k);
    if (!n) return new SpecError(toPath(k), 'plan refers to a node that does not exist');
    if (n.kind !== 'seq')
      return new SpecError(n.path, `plan gives a checkpoint schedule to a ${n.kind === 'prim' ? 'primitive' : 'par'}; schedules belong to seq nodes`);
    const p = scheduleProblem(own(plan.schedules, k), n.children.length);
    if (p) return new SpecError(n.path, `bad checkpoint schedule: ${p}`);
  }
  return null;
};

/** A primitive under a variant (its cost recomputed from its description). */
export const withVariant = (node: TypedPrim, variant: string): TypedPrim =>
  variant === node.variant ? node : { ...node, variant, cost: node.def.cost(node.attrs, node.inputs, variant) };

/**
 * Resolve a plan against a model once. Fails with a `SpecError` naming the node for a plan that
 * refers to a node that does not exist, gives a variant to a composite or an unknown variant, or
 * gives a bad schedule.
 *
 * @example
 * const planned = applyPlan(model, { remat: ['blocks.0'], variants: { 'blocks.1.attn': 'lse' } });
 */
export const applyPlan = (model: TypedModel, plan: Plan): E.Either<SpecError, PlannedModel> => {
  const nodes = nodesByKey(model);
  const problem = planProblem(model, plan, nodes);
  if (problem) return E.left(problem);
  const remat = new Set(plan.remat ?? []);
  // Children first (post-order without recursion), so a 100,000-step chain is fine.
  const done = new Map<TypedNode, PlannedNode>();
  const stack: { node: TypedNode; expanded: boolean }[] = [{ node: model.root, expanded: false }];
  while (stack.length) {
    const top = stack[stack.length - 1]!;
    const n = top.node;
    const key = pathKey(n.path);
    if (n.kind === 'prim') {
      stack.pop();
      const v = own(plan.variants, key);
      done.set(n, { kind: 'prim', key, node: v === undefined ? n : withVariant(n, v), lens: remat.has(key) });
      continue;
    }
    if (!top.expanded) {
      top.expanded = true;
      for (let i = n.children.length - 1; i >= 0; i--) stack.push({ node: n.children[i]!, expanded: false });
      continue;
    }
    stack.pop();
    const schedule = n.kind === 'seq' ? own(plan.schedules, key) : undefined;
    done.set(n, {
      kind: n.kind,
      key,
      node: n,
      lens: remat.has(key),
      children: n.children.map((c) => done.get(c)!),
      ...(schedule ? { schedule } : {}),
    });
  }
  return E.right({ model, plan, root: done.get(model.root)! });
};

/** `applyPlan`, throwing its error: for scripts and examples. */
export const applyPlanOrThrow = (model: TypedModel, plan: Plan): PlannedModel => {
  const r = applyPlan(model, plan);
  if (E.isLeft(r)) throw r.left;
  return r.right;
};

/** The planned node at a plan key, or undefined. */
export const plannedAt = (pm: PlannedModel, key: string): PlannedNode | undefined => {
  const stack: PlannedNode[] = [pm.root];
  while (stack.length) {
    const n = stack.pop()!;
    if (n.key === key) return n;
    if (n.kind !== 'prim' && (n.key === '' || key.startsWith(`${n.key}.`))) for (const c of n.children) stack.push(c);
  }
  return undefined;
};

/** Every planned primitive, in term order. */
export const plannedPrims = (pm: PlannedModel | PlannedNode): PlannedPrim[] => {
  const out: PlannedPrim[] = [];
  const stack: PlannedNode[] = ['root' in pm ? pm.root : pm];
  while (stack.length) {
    const n = stack.pop()!;
    if (n.kind === 'prim') out.push(n);
    else for (let i = n.children.length - 1; i >= 0; i--) stack.push(n.children[i]!);
  }
  return out;
};
