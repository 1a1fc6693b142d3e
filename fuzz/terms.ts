/**
 * Terms built in code rather than read from a file, with what JSON cannot carry: cycles, getters
 * that throw, NaN and Infinity, symbols, sparse arrays, nesting far past any limit, prototype names.
 * `check` must answer Right or Left (a clean `SpecError`), never throw; and for every term it accepts,
 * cost, simulate, the planner, the diagram and the JS program must run without an exception.
 */
import * as E from 'fp-ts/lib/Either.js';
import '../src/prims'; // every primitive description
import { jsBackend } from '../backends/js/index';
import { lower } from '../src/lower/program';
import { costOf } from '../src/plan/cost';
import { simulate } from '../src/plan/memory';
import { planFrontier } from '../src/plan/planner';
import { renderDiagram } from '../src/render/diagram';
import { type TypedModel, check } from '../src/term/check';
import { primitiveNames } from '../src/term/primitive';
import { randn, type Rng } from '../src/tensor/rng';
import { sizeOf } from '../src/tensor/shape';
import { initParams } from '../src/train/init';
import type { Campaign, CaseResult } from './campaign';
import { clip, messProblem } from './campaign';
import { DEPTHS, EDGE_NUMBERS, PROTO_NAMES, between, caseRng, chance, hostileScalar, objOf, pick } from './gen';

type AnyTerm = unknown;
const P = (prim: unknown, attrs?: unknown, extra: Record<string, unknown> = {}): AnyTerm => ({ op: 'prim', prim, ...(attrs !== undefined ? { attrs } : {}), ...extra });
const S = (terms: unknown): AnyTerm => ({ op: 'seq', terms });
const Par = (terms: unknown): AnyTerm => ({ op: 'par', terms });

/** Values JSON cannot hold. */
const JS_ONLY: readonly (() => unknown)[] = [
  () => Number.NaN,
  () => Infinity,
  () => -Infinity,
  () => undefined,
  () => Symbol('s'),
  () => 10n,
  () => () => 1,
  () => new Map(),
  () => new Date(0),
  () => new Float32Array(3),
  () => Object.create(null),
  // eslint-disable-next-line no-sparse-arrays
  () => [1, , 3],
  () =>
    new Proxy(
      {},
      {
        get: () => {
          throw new Error('proxy get');
        },
        ownKeys: () => {
          throw new Error('proxy keys');
        },
      },
    ),
];

const jsValue = (r: Rng): unknown => (chance(r, 0.5) ? pick(r, JS_ONLY)() : hostileScalar(r));

/** A small valid chain on [B, d] to build around. */
const smallChain = (r: Rng, d: number): AnyTerm[] =>
  Array.from({ length: between(r, 1, 5) }, (_, i) => (i % 2 ? P(pick(r, ['relu', 'tanh', 'gelu'])) : P('linear', { out: d }, chance(r, 0.3) ? { name: pick(r, [...PROTO_NAMES, `n${i}`]) } : {})));

const STRATEGIES: readonly [string, (r: Rng) => { term: unknown; inputs: unknown }][] = [
  [
    'js values',
    (r) => {
      const t = smallChain(r, 3) as Record<string, unknown>[];
      const victim = t[r.int(t.length)]!;
      const field = pick(r, ['op', 'prim', 'attrs', 'name', 'variant', 'terms']);
      victim[field] = chance(r, 0.5) ? jsValue(r) : objOf([['out', jsValue(r)]]);
      return { term: S(t), inputs: [[2, 3]] };
    },
  ],
  [
    'cycle',
    (r) => {
      const t = S([P('relu')]) as { terms: unknown[] };
      t.terms.push(chance(r, 0.5) ? t : Par([t]));
      return { term: t, inputs: [[2, 3]] };
    },
  ],
  [
    'deep',
    (r) => {
      let t: unknown = P('relu');
      const depth = pick(r, DEPTHS);
      for (let i = 0; i < depth; i++) t = chance(r, 0.5) ? S([t]) : Par([t]);
      return { term: t, inputs: [[2, 3]] };
    },
  ],
  [
    'shared wide',
    (r) => {
      // A term shared at every level: 2^depth boxes when expanded.
      let t: unknown = P('relu');
      // 2^8..2^12 boxes (checked, interpreted and run), or 2^25 and more (refused at maxNodes).
      const depth = chance(r, 0.5) ? between(r, 8, 12) : pick(r, [25, 40, 60]);
      for (let i = 0; i < depth; i++) t = S([t, t]);
      return { term: t, inputs: [[2, 3]] };
    },
  ],
  [
    'inputs',
    (r) => ({
      term: P('relu'),
      inputs: pick(r, [[[Number.NaN]], [[Infinity, 2]], [[2 ** 53, 2 ** 53]], 'x', null, [[2, 3], 'y'], [[1.5]], [[-1]], [[]], Array.from({ length: 70000 }, () => [1]), [new Float32Array(2)], [[1e308, 1e308]]]),
    }),
  ],
  [
    'attrs',
    (r) => {
      const name = pick(r, primitiveNames());
      const attrs = objOf(Array.from({ length: between(r, 0, 3) }, () => [pick(r, ['n', 'out', 'heads', 'dk', 'dv', 'd', 'k', 'l1', 'l2', 'lout', 'eps', 'scale', 'perm', 'shape', 'seed', 'block', 'chunk', ...PROTO_NAMES]), chance(r, 0.6) ? pick(r, EDGE_NUMBERS) : jsValue(r)] as const));
      return { term: P(name, attrs), inputs: pick(r, [[[2, 4]], [[2, 4], [2, 4]], [[1, 2, 4]], [[2, 8, 4]]]) };
    },
  ],
  [
    'names',
    (r) => {
      const ts = Array.from({ length: between(r, 1, 4) }, () => P('linear', { out: 3 }, { name: pick(r, [...PROTO_NAMES, 'a', 'a']) }));
      return { term: chance(r, 0.5) ? S(ts) : S([P('copy', { n: ts.length }), Par(ts), P('concat_last', { n: ts.length })]), inputs: [[2, 3]] };
    },
  ],
  [
    'chain',
    (r) => {
      const n = pick(r, [100, 300, 1000]);
      return { term: S(Array.from({ length: n }, (_, i) => (i % 50 === 0 ? P('linear', { out: 3 }) : P(pick(r, ['relu', 'tanh']))))), inputs: [[2, 3]] };
    },
  ],
];

/** Inputs of a checked model as random normals (small models only). */
const inputsFor = (m: TypedModel, r: Rng) => m.root.inputs.map((s) => randn(s, r.fork('x'), 'float32'));

/** Every interpretation of a checked model; the first exception, if any. */
const interpret = (m: TypedModel, r: Rng): string | null => {
  const steps: [string, () => unknown][] = [
    ['costOf', () => costOf(m)],
    ['simulate store-all', () => simulate(m, {}, 4)],
    ['simulate recompute-all', () => simulate(m, { remat: [''] }, 4)],
    ['planFrontier', () => planFrontier(m)],
    ['renderDiagram', () => renderDiagram(m)],
  ];
  const elems = m.root.inputs.reduce((s, x) => s + sizeOf(x), 0) + [...m.params.values()].reduce((s, p) => s + sizeOf(p.shape), 0);
  if (elems < 1e5)
    steps.push([
      'lower and run on js',
      () => {
        const be = jsBackend('float32');
        const prog = lower(m, be, {});
        if (E.isLeft(prog)) return;
        const ps = initParams(m, 1, 'float32');
        const { outputs, residual } = prog.right.forward(ps, inputsFor(m, r));
        prog.right.backward(residual, outputs.map((o) => ({ shape: o.shape, data: new Float32Array(o.data.length).fill(1) })));
      },
    ]);
  for (const [name, f] of steps) {
    try {
      f();
    } catch (e) {
      return `${name} threw: ${String((e as Error)?.message ?? e).slice(0, 300)}`;
    }
  }
  return null;
};

/** Case `i`. */
export const termCase = (seed: number, index: number) => {
  const r = caseRng('terms', seed, index);
  const [strategy, gen] = pick(r, STRATEGIES);
  return { strategy, r, ...gen(r) };
};

/** Run case `i`: check must answer, and an accepted model must survive every interpretation. */
export const runTermCase = (seed: number, index: number): CaseResult => {
  const { strategy, r, term, inputs } = termCase(seed, index);
  let res: ReturnType<typeof check>;
  try {
    res = check(term, inputs as never);
  } catch (e) {
    return { verdict: 'uncaught', detail: `[${strategy}] check threw: ${clip(String((e as Error)?.stack ?? e))}` };
  }
  if (E.isLeft(res)) {
    const bad = messProblem(res.left.message, 3);
    return bad ? { verdict: 'messy', detail: `[${strategy}] ${bad}` } : { verdict: 'refused', detail: clip(res.left.message, 160) };
  }
  const problem = interpret(res.right, r);
  return problem ? { verdict: 'uncaught', detail: `[${strategy}] ${problem}` } : { verdict: 'ok' };
};

/** The `terms` campaign. */
export const terms: Campaign = {
  name: 'terms',
  defaultCases: 200,
  doc: 'terms built in code (cycles, throwing getters, NaN, symbols, deep and shared nesting, prototype names) through check and every interpretation',
  run: runTermCase,
  show: (seed, index) => {
    const { strategy } = termCase(seed, index);
    return `[${strategy}] (a term built in code; see fuzz/terms.ts)`;
  },
};
