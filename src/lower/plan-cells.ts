/**
 * Plan 2-cells: the lowering functor on 2-cells. Between two plans of one model, a node that the
 * source runs in lens form and the target stores becomes the core's `fromLensForm` cell; a primitive
 * whose variant changes becomes the vertical composite of its declared variant 2-cells (their maps
 * come from the backend's kernel); composites combine their children's cells with the core's n-ary
 * horizontal (`paraSeqCells`), parallel (`paraParCells`) and checkpoint (`checkpointCells`) forms.
 *
 * @module
 */
import * as E from 'fp-ts/lib/Either.js';
import type { Backend, Params } from '../backend/backend';
import { twoCellKey } from '../backend/backend';
import { checkpointCells } from '../optic/checkpoint';
import { paraParCells, paraSeqCells, threaded } from '../optic/shared';
import type { TwoCell } from '../optic/twocell';
import { fromLensForm, identityCell, vertical } from '../optic/twocell';
import { type PlannedNode, applyPlan, nodesByKey, withVariant } from '../plan/apply';
import type { Plan } from '../plan/plan';
import type { TypedModel, TypedPrim } from '../term/check';
import { SpecError } from '../term/error';
import { gradsMonoid } from './grads';
import type { NodeOptic } from './instrument';
import type { KernelResidual } from './kernel-optic';
import { type Program, type ProgramResidual, lowerPlanned } from './program';

/**
 * The 2-cell between two plans of one model, as a core `TwoCell` between the two programs: from a
 * plan that keeps less (`source`) to one that keeps more (`target`). Its `r` turns a source residual
 * into the target's residual; (T1) and (T2) hold bit for bit (`laws/optic.ts`, `twoCellLaws`).
 */
export type PlanTwoCell<T> = TwoCell<ProgramResidual<T>, ProgramResidual<T>, [Params<T>, readonly T[]], T[], readonly T[], [Record<string, T>, (T | null)[]]> & {
  readonly source: Program<T>;
  readonly target: Program<T>;
};

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type NodeCell = TwoCell<any, any, any, any, any, any>;

const toPath = (k: string): string[] => (k === '' ? [] : k.split('.'));

/** The declared variant 2-cells leading from one variant to another (a path in `def.twoCells`), or null. */
export const variantPath = (node: TypedPrim, from: string, to: string): string[] | null => {
  const cells = node.def.twoCells ?? [];
  const prev = new Map<string, string>([[from, from]]);
  const queue = [from];
  while (queue.length) {
    const v = queue.shift()!;
    if (v === to) {
      const path = [to];
      while (path[0] !== from) path.unshift(prev.get(path[0]!)!);
      return path;
    }
    for (const c of cells) if (c.from === v && !prev.has(c.to)) (prev.set(c.to, v), queue.push(c.to));
  }
  return null;
};

const cellBetween = <T>(
  backend: Backend<T>,
  s: PlannedNode,
  t: PlannedNode,
  sOptic: (n: PlannedNode) => NodeOptic<T>,
  tOptic: (n: PlannedNode) => NodeOptic<T>,
): E.Either<Error, NodeCell> => {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const at = (r: (m: any) => unknown): NodeCell => ({ source: sOptic(s), target: tOptic(t), r });
  if (!s.lens && t.lens)
    return E.left(new SpecError(toPath(s.key), `target plan recomputes '${s.key}' but the source stores it: no 2-cell in this direction`));
  if (s.lens && t.lens) return E.right(at((m) => m));
  // Lens form ⇒ stored: the lens form is initial; its unique 2-cell reruns the target's forward.
  if (s.lens) return E.right(at(fromLensForm(tOptic(t)).r));
  if (s.kind === 'prim' && t.kind === 'prim') {
    const from = s.node.variant;
    const to = t.node.variant;
    if (from === to) return E.right(at(identityCell(tOptic(t)).r));
    const path = variantPath(s.node, from, to);
    if (!path)
      return E.left(
        new SpecError(s.node.path, `no declared 2-cell from variant '${from}' to '${to}'; a plan 2-cell only moves a primitive along its variant 2-cells`, s.node.def.name),
      );
    const kernel = backend.kernel(s.node.def.name)!;
    const steps: ((m: unknown) => unknown)[] = [];
    for (let i = 1; i < path.length; i++) {
      const map = kernel.twoCells?.[twoCellKey(path[i - 1]!, path[i]!)];
      if (!map)
        return E.left(new SpecError(s.node.path, `backend '${backend.name}' has no map for the 2-cell ${path[i - 1]} ⇒ ${path[i]}`, s.node.def.name));
      const node = withVariant(s.node, path[i - 1]!);
      // The leaf's residual is [focused parameters, kernel residual] (a reparametrised kernel optic).
      steps.push((m) => {
        const [k, kr] = m as [unknown, KernelResidual<T>];
        return [k, { params: kr.params, kept: map.r(node, kr.params, kr.kept) }];
      });
    }
    const cells = steps.map((r) => at(r));
    return E.right(at(cells.reduce((a, b) => vertical(a, b)).r));
  }
  if (s.kind === 'prim' || t.kind === 'prim') return E.left(new Error('internal: plans of one model disagree on a node kind'));
  const kids: NodeCell[] = [];
  for (let i = 0; i < s.children.length; i++) {
    const c = cellBetween(backend, s.children[i]!, t.children[i]!, sOptic, tOptic);
    if (E.isLeft(c)) return c;
    kids.push(c.right);
  }
  const M = gradsMonoid<T>();
  if (s.kind === 'par')
    return E.right(at(paraParCells(M)(kids.map((cell, i) => ({ cell, inputs: s.children[i]!.node.inputs.length, outputs: s.children[i]!.node.outputs.length }))).r));
  if (JSON.stringify(s.schedule ?? null) !== JSON.stringify(t.schedule ?? null))
    return E.left(new SpecError(toPath(s.key), 'the two plans give this seq different checkpoint schedules; a plan 2-cell keeps schedules fixed'));
  if (!s.schedule) return E.right(at(paraSeqCells(M)(kids).r));
  const th = threaded(M);
  return E.right(at(checkpointCells(kids.map((c) => ({ source: th(c.source), target: th(c.target), r: c.r })), s.schedule).r));
};

/**
 * The 2-cell between two plans of one model: from a plan that recomputes more (`source`) to one that
 * stores more (`target`). Plans may differ in lens-form nodes (source ⊇ target) and in primitives'
 * variants (along their declared 2-cells), and must give the same checkpoint schedules. Inside a
 * checkpointed segment both plans keep only the segment's input, so anything may differ there.
 *
 * @example
 * const cell = planTwoCell(model, jsBackend(), recomputeAll, storeAll);
 * // E.isRight(cell): cell.right.r(cell.right.source.forward(params, xs).residual) is the store-all residual
 */
export const planTwoCell = <T>(model: TypedModel, backend: Backend<T>, source: Plan, target: Plan): E.Either<Error, PlanTwoCell<T>> => {
  const sp = applyPlan(model, source);
  if (E.isLeft(sp)) return sp;
  const tp = applyPlan(model, target);
  if (E.isLeft(tp)) return tp;
  const sProg = lowerPlanned(sp.right, backend);
  if (E.isLeft(sProg)) return sProg;
  const tProg = lowerPlanned(tp.right, backend);
  if (E.isLeft(tProg)) return tProg;
  const S = sProg.right;
  const T_ = tProg.right;
  const cell = cellBetween(
    backend,
    sp.right.root,
    tp.right.root,
    (n) => S.nodeOptic(n.key)!,
    (n) => T_.nodeOptic(n.key)!,
  );
  if (E.isLeft(cell)) return cell;
  const r = cell.right.r;
  return E.right({ source: S, target: T_, r: (m: ProgramResidual<T>) => T_.residual(r(m.value), m.params) });
};

/**
 * A plan as a composite of 2-cells out of its all-recompute form, one store-versus-recompute decision
 * per step. The all-recompute form keeps only the model's inputs: the root runs in lens form, and so
 * (without changing what is kept) do every ancestor of the plan's lens-form nodes and each child of
 * those ancestors. Each step then stores one more segment (removes one node from the lens-form set,
 * outermost first) until the plan itself is reached. `composite` is the direct 2-cell; the core's
 * vertical composite of the steps equals it (a law in `laws/plan.ts`).
 *
 * @example
 * const d = planDecomposition(model, jsBackend(), { remat: ['b1'] });
 * // d.right.plans: {'' b0 b1 b2 3} ⇒ {b0 b1 b2 3} ⇒ {b1 b2 3} ⇒ {b1 3} ⇒ {b1}
 */
export const planDecomposition = <T>(
  model: TypedModel,
  backend: Backend<T>,
  plan: Plan,
): E.Either<Error, { readonly plans: readonly Plan[]; readonly steps: readonly PlanTwoCell<T>[]; readonly composite: PlanTwoCell<T> }> => {
  const nodes = nodesByKey(model);
  const target = [...new Set(plan.remat ?? [])];
  for (const k of target) if (!nodes.has(k)) return E.left(new SpecError(toPath(k), 'plan refers to a node that does not exist'));
  const depth = (k: string): number => (k === '' ? 0 : k.split('.').length);
  const ancestors = new Set<string>(['']);
  for (const k of target) {
    const parts = toPath(k);
    for (let i = 0; i < parts.length; i++) ancestors.add(parts.slice(0, i).join('.'));
  }
  const start = new Set<string>([...target, ...ancestors]);
  for (const a of ancestors) {
    const n = nodes.get(a);
    if (n && n.kind !== 'prim') for (const c of n.children) start.add(c.path.join('.'));
  }
  const removable = [...start].filter((k) => !target.includes(k)).sort((a, b) => depth(a) - depth(b) || a.localeCompare(b));
  const withRemat = (remat: readonly string[]): Plan => ({
    ...(plan.variants ? { variants: plan.variants } : {}),
    ...(plan.schedules ? { schedules: plan.schedules } : {}),
    remat,
  });
  let current = [...start].sort((a, b) => depth(a) - depth(b) || a.localeCompare(b));
  const plans: Plan[] = [withRemat(current)];
  for (const k of removable) {
    current = current.filter((x) => x !== k);
    plans.push(withRemat(current));
  }
  const steps: PlanTwoCell<T>[] = [];
  for (let i = 1; i < plans.length; i++) {
    const c = planTwoCell(model, backend, plans[i - 1]!, plans[i]!);
    if (E.isLeft(c)) return c;
    steps.push(c.right);
  }
  const composite = planTwoCell(model, backend, plans[0]!, plans[plans.length - 1]!);
  if (E.isLeft(composite)) return composite;
  return E.right({ plans, steps, composite: composite.right });
};
