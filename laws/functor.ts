/**
 * Functoriality of lowering: lowering `seq(a, b)` (or `par(a, b)`) gives, bit for bit, the same outputs,
 * residual contents, input gradients and parameter gradients as lowering `a` and `b` on their own and
 * composing the two programs with the core's combinators (`paraSeqs` / `paraPars`), each reparametrised
 * by the lens that focuses its part of the parameter record (`0.…`, `1.…`).
 *
 * @module
 */
import type { Monoid } from 'fp-ts/lib/Monoid.js';
import type { Backend, Params } from '../src/backend/backend';
import { downloadAll, uploadAll } from '../src/backend/transfer';
import type { Program, ProgramResidual } from '../src/lower/program';
import { lowerOrThrow } from '../src/lower/program';
import { lens } from '../src/optic/lens';
import { fromLens } from '../src/optic/optic';
import { reparam } from '../src/optic/para';
import { paraPars, paraSeqs } from '../src/optic/shared';
import type { Plan } from '../src/plan/plan';
import { checkOrThrow } from '../src/term/check';
import { type Term, par, seq } from '../src/term/term';
import type { Shape } from '../src/tensor/shape';
import type { HostTensor } from '../src/tensor/tensor';
import { rng as makeRng, type Rng } from '../src/tensor/rng';
import type { Schedule } from '../src/optic/checkpoint';
import type { TypedModel, TypedNode } from '../src/term/check';
import { identical } from './compare';

/** Move every key of a plan under a child path (`0`, `1`, …). */
export const planUnder = (prefix: string, p: Plan): Plan => {
  const k = (key: string) => (key === '' ? prefix : `${prefix}.${key}`);
  const rec = <V>(r: Readonly<Record<string, V>> | undefined) => (r ? Object.fromEntries(Object.entries(r).map(([key, v]) => [k(key), v])) : undefined);
  const variants = rec(p.variants);
  const schedules = rec(p.schedules);
  return { ...(variants ? { variants } : {}), ...(p.remat ? { remat: p.remat.map(k) } : {}), ...(schedules ? { schedules } : {}) };
};

/** Join plans of disjoint parts. */
export const joinPlans = (...ps: readonly Plan[]): Plan => ({
  variants: Object.assign({}, ...ps.map((p) => p.variants ?? {})),
  remat: ps.flatMap((p) => p.remat ?? []),
  schedules: Object.assign({}, ...ps.map((p) => p.schedules ?? {})),
});

/** The lens focusing the parameters under a child path: strips the prefix; backward puts it back. */
const focus = <T>(prefix: string) =>
  lens(
    (p: Params<T>): Params<T> => {
      const out: Record<string, T> = {};
      for (const [k, v] of Object.entries(p)) if (k.startsWith(`${prefix}.`)) out[k.slice(prefix.length + 1)] = v;
      return out;
    },
    (_p: Params<T>, g: Readonly<Record<string, T>>): Record<string, T> => Object.fromEntries(Object.entries(g).map(([k, v]) => [`${prefix}.${k}`, v])),
  );

const unionMonoid = <T>(): Monoid<Record<string, T>> => ({ empty: {}, concat: (a, b) => ({ ...a, ...b }) });

/** A residual entry's name in the composite term: `0.path:name`, or `0:name` / `0@…` at the part's root. */
const nameUnder = (prefix: string, n: string): string => (n.startsWith(':') || n.startsWith('@') ? `${prefix}${n}` : `${prefix}.${n}`);

/** What the functoriality law compares, each bit for bit. */
export interface FunctorReport {
  readonly outputs: boolean;
  /** Same kept tensors, in the same order, under the same names (moved under the part's path). */
  readonly residual: boolean;
  readonly dInputs: boolean;
  readonly dParams: boolean;
}

/**
 * Lower `op(a, b)` under `joinPlans(planUnder('0', planA), planUnder('1', planB))` and compare it with the
 * core composite of the separately lowered parts. `inputs` are the composite's input shapes.
 */
export const loweringIsFunctorial = <T>(
  be: Backend<T>,
  op: 'seq' | 'par',
  a: Term,
  b: Term,
  inputs: readonly Shape[],
  planA: Plan,
  planB: Plan,
  params: Record<string, HostTensor>,
  xs: readonly HostTensor[],
  dys: readonly HostTensor[],
): FunctorReport => {
  const whole = checkOrThrow(op === 'seq' ? seq(a, b) : par(a, b), inputs);
  const ma = checkOrThrow(a, op === 'seq' ? inputs : inputs.slice(0, whole.root.kind === 'prim' ? 0 : (whole.root.children[0]!.inputs.length)));
  const mb = checkOrThrow(b, op === 'seq' ? ma.root.outputs : inputs.slice(ma.root.inputs.length));
  const pw = lowerOrThrow(whole, be, joinPlans(planUnder('0', planA), planUnder('1', planB)));
  const pa = lowerOrThrow(ma, be, planA);
  const pb = lowerOrThrow(mb, be, planB);
  const M = unionMonoid<T>();
  const A = reparam(pa, fromLens(focus<T>('0')));
  const B = reparam(pb, fromLens(focus<T>('1')));
  const composite =
    op === 'seq'
      ? paraSeqs(M)<Params<T>>(A, B)
      : paraPars(M)([
          { para: A, inputs: ma.root.inputs.length, outputs: ma.root.outputs.length },
          { para: B, inputs: mb.root.inputs.length, outputs: mb.root.outputs.length },
        ]);
  const p = uploadAll(be, params);
  const x = xs.map((t) => be.upload(t));
  const [rw, yw] = pw.fwd([p, x]);
  const [rc, yc] = composite.fwd([p, x]) as [unknown[], T[]];
  const same = (u: T | null, v: T | null | undefined) => (u === null ? v === null : v != null && identical(be.download(u), be.download(v)));
  const outputs = yw.length === yc.length && yw.every((y, i) => same(y, yc[i]));
  const partEntries = (prefix: string, m: unknown): Array<[string, T]> =>
    (m as [unknown, ProgramResidual<T>])[1].entries().map(([n, t]) => [nameUnder(prefix, n), t]);
  const ew = rw.entries();
  const ec = [...partEntries('0', rc[0]), ...partEntries('1', rc[1])];
  const residual = ew.length === ec.length && ew.every(([n, t], i) => n === ec[i]![0] && same(t, ec[i]![1]));
  const dy = dys.map((t) => be.upload(t));
  const [gw, dxw] = pw.bwd(rw, dy);
  const [gc, dxc] = composite.bwd(rc, dy) as [Record<string, T>, (T | null)[]];
  const dInputs = dxw.length === dxc.length && dxw.every((g, i) => same(g, dxc[i]));
  const hw = downloadAll(be, gw);
  const hc = downloadAll(be, gc);
  const kw = Object.keys(hw).sort();
  const kc = Object.keys(hc).sort();
  const dParams = kw.length === kc.length && kw.every((k, i) => k === kc[i] && identical(hw[k]!, hc[k]!));
  return { outputs, residual, dInputs, dParams };
};

/** A random checkpoint schedule of `k` stages (consecutive runs: a stage, or a nested segment). */
export const randomSchedule = (k: number, r: Rng): Schedule => {
  const build = (lo: number, hi: number, depth: number): Schedule => {
    const items: (number | Schedule)[] = [];
    let i = lo;
    while (i < hi) {
      const len = 1 + Math.floor(r.uniform() * (hi - i));
      if (len === 1 && r.uniform() < 0.5) items.push(i);
      else items.push(depth < 2 ? build(i, i + len, depth + 1) : Array.from({ length: len }, (_, j) => i + j));
      i += len;
    }
    return items;
  };
  return build(0, k, 0);
};

/**
 * A random plan for a checked model, from a seed: each primitive a random residual variant, each node in
 * lens form with probability `lens`, each `seq` of two or more children a random schedule with
 * probability `schedule`.
 */
export const randomPlan = (model: TypedModel, seed: number, o: { lens?: number; schedule?: number } = {}): Plan => {
  const r = makeRng(seed).fork('plan');
  const variants: Record<string, string> = {};
  const remat: string[] = [];
  const schedules: Record<string, Schedule> = {};
  const stack: TypedNode[] = [model.root];
  while (stack.length) {
    const n = stack.pop()!;
    const key = n.path.join('.');
    if (n.kind === 'prim') {
      const vs = n.def.variants;
      if (vs.length > 1) variants[key] = vs[Math.floor(r.uniform() * vs.length)]!;
    } else {
      for (const c of n.children) stack.push(c);
      if (n.kind === 'seq' && n.children.length >= 2 && r.uniform() < (o.schedule ?? 0.3)) schedules[key] = randomSchedule(n.children.length, r);
    }
    if (r.uniform() < (o.lens ?? 0.2)) remat.push(key);
  }
  return { variants, remat, schedules };
};
