/**
 * Hostile spec files for `catoptric check`, `plan` and `diagram`: deep nesting in every field, huge
 * counts and dimensions, long chains, prototype names, malformed plans and schedules, mutated
 * examples and broken JSON text. Every run must end with exit 0, or exit 1 and a short clean message.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import '../src/prims'; // every primitive description
import type { Rng } from '../src/tensor/rng';
import type { Campaign, CaseResult } from './campaign';
import { MISSING_DIR, judgeCli, runCli, worse } from './cli-run';
import { DEPTHS, EDGE_NUMBERS, PROTO_NAMES, ODD_STRINGS, between, caseRng, chance, hostileScalar, jsonText, nest, objOf, pathsOf, pick, randomJson, setAt } from './gen';

type Json = unknown;
const P = (prim: string, attrs?: Record<string, unknown>, extra: Record<string, unknown> = {}): Json => ({ op: 'prim', prim, ...(attrs ? { attrs } : {}), ...extra });
const S = (...terms: Json[]): Json => ({ op: 'seq', terms });
const Par = (...terms: Json[]): Json => ({ op: 'par', terms });
const doc = (inputs: Json, model: Json, more: Record<string, unknown> = {}): Record<string, unknown> => ({ catoptric: 1, name: 'fuzz', inputs, model, ...more });

/** The example specs shipped with catoptric, parsed (mutation seeds). */
const examples: readonly Json[] = (() => {
  const root = path.join(path.dirname(new URL(import.meta.url).pathname), '..', 'examples');
  return fs
    .readdirSync(root, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .flatMap((d) => fs.readdirSync(path.join(root, d.name)).filter((f) => f.endsWith('.json')).map((f) => JSON.parse(fs.readFileSync(path.join(root, d.name, f), 'utf8')) as Json));
})();

// ---------------------------------------------------------------------------------------------
// Strategies

/** A random, mostly well-formed MLP-like chain on [B, d] (so that deeper code runs). */
const randomModel = (r: Rng): Record<string, unknown> => {
  const B = pick(r, [1, 2, 4, 8]);
  let d = pick(r, [1, 2, 4, 8, 16]);
  const steps: Json[] = [];
  const n = between(r, 1, 12);
  for (let i = 0; i < n; i++) {
    switch (r.int(9)) {
      case 0: {
        d = pick(r, [1, 2, 3, 4, 8, 16]);
        steps.push(P('linear', { out: d, ...(chance(r, 0.2) ? { bias: false } : {}) }, chance(r, 0.3) ? { name: `l${i}` } : {}));
        break;
      }
      case 1:
        steps.push(P(pick(r, ['relu', 'tanh', 'gelu', 'sigmoid', 'silu'])));
        break;
      case 2:
        steps.push(P(pick(r, ['layernorm', 'rmsnorm']), chance(r, 0.3) ? { eps: pick(r, [1e-5, 1e-3, 1]) } : {}));
        break;
      case 3:
        steps.push(S(P('copy'), Par(S(P('linear', { out: d }, { name: `s${i}` }), P('relu')), P('id')), P('add')));
        break;
      case 4:
        steps.push(S(P('copy', { n: 3 }), Par(P('relu'), P('tanh'), P('id')), P('concat_last', { n: 3 })));
        d *= 3;
        break;
      case 5:
        steps.push(P('softmax'));
        break;
      case 6:
        if (d % 2 === 0) {
          steps.push(P('sum_pool', { k: 2 }));
          d /= 2;
        }
        break;
      case 7:
        steps.push(P('reshape', { shape: [B, d] }));
        break;
      default:
        steps.push(S(P('copy'), P('permute', { perm: [1, 0] }), P('add')));
    }
  }
  const model = steps.length === 1 ? steps[0] : S(...steps);
  const out: Record<string, unknown> = doc([[B, d === 0 ? 1 : pick(r, [d, d, d, 1, 2])]], model);
  if (chance(r, 0.3)) out.plan = { remat: [pick(r, ['', '0', '1', '2'])] };
  return out;
};

/** One example spec with a few hostile edits at random places. */
const mutated = (r: Rng): Json => {
  let d: Json = structuredClone(pick(r, examples));
  const k = between(r, 1, 4);
  for (let i = 0; i < k; i++) {
    const paths = pathsOf(d);
    const at = pick(r, paths);
    const v = r.int(6);
    if (v === 0 && at.length) d = setAt(d, at, undefined);
    else if (v === 1) d = setAt(d, at, nest(r, hostileScalar(r), pick(r, DEPTHS)));
    else if (v === 2) d = setAt(d, at, randomJson(r, 4));
    else if (v === 3 && at.length) {
      // a sibling under a prototype name
      const parentPath = at.slice(0, -1);
      const parent = parentPath.reduce<any>((o, kk) => o[kk], d);
      if (parent && typeof parent === 'object' && !Array.isArray(parent)) setAt(d, [...parentPath, pick(r, PROTO_NAMES)], hostileScalar(r));
    } else d = setAt(d, at, hostileScalar(r));
  }
  return d;
};

/** Fields of a document that hold nested JSON, where deep nesting goes. */
const deepInField = (r: Rng): Json => {
  const depth = pick(r, DEPTHS);
  const base = doc([[2, 3]], S(P('linear', { out: 2 }), P('relu')), { task: 'spirals', train: { steps: 1 }, plan: {} });
  switch (r.int(10)) {
    case 0:
      return { ...base, inputs: nest(r, 1, depth) };
    case 1:
      return { ...base, inputs: [nest(r, 2, depth)] };
    case 2: {
      // terms nested inside terms: seq(seq(seq(…)))
      let m: Json = P('relu');
      for (let i = 0; i < depth; i++) m = chance(r, 0.5) ? S(m) : Par(m);
      return { ...base, model: m };
    }
    case 3:
      return { ...base, model: P('linear', { out: nest(r, 2, depth) }) };
    case 4:
      return { ...base, train: nest(r, 1, depth) };
    case 5:
      return { ...base, task: objOf([['name', 'spirals'], ['turns', nest(r, 1, depth)]]) };
    case 6:
      return { ...base, plan: { variants: objOf([['0', nest(r, 'input', depth)]]) } };
    case 7:
      return { ...base, plan: { schedules: objOf([['', [nest(r, 0, depth), 1]]]) } };
    case 8:
      return { ...base, plan: { remat: nest(r, '0', depth) } };
    default:
      return nest(r, base, depth);
  }
};

/** One primitive with one attribute (or an input dimension) at an edge value. */
const hugeCounts = (r: Rng): Json => {
  const v = (): unknown => (chance(r, 0.85) ? pick(r, EDGE_NUMBERS) : hostileScalar(r));
  const B = pick(r, [1, 2, 4]);
  const cases: (() => Json)[] = [
    () => doc([[B, 4]], P(pick(r, ['copy', 'id']), { n: v() })),
    () => doc([[B, 4], [B, 4]], P(pick(r, ['add', 'concat_last']), { n: v() })),
    () => doc([[B, 4]], S(P('copy', { n: v() }), P('add', { n: v() }))),
    () => doc([[B, 4], [B, 4]], P('permute', { perm: chance(r, 0.5) ? [1, v()] : Array.from({ length: pick(r, [3, 1000, 70000]) }, (_, i) => i) })),
    () => doc([[B, 4]], P('reshape', { shape: [v(), v()] })),
    () => doc([[B, 4]], P('linear', { out: v() })),
    () => doc([[B, 4]], S(P('linear', { out: v() }), P('linear', { out: 2 }))),
    () => doc([[B, 3]], P('embedding', { vocab: v(), dim: v() })),
    () => doc([[B, 4]], P('sum_pool', { k: v() })),
    () => doc([[B, 8, 4]], P('attention', objOf([['heads', v()], ['dk', v()], ['dv', v()], ...(chance(r, 0.3) ? [['block', v()] as const] : []), ...(chance(r, 0.3) ? [['scale', v()] as const] : [])]))),
    () => doc([[B, 8, 4], [B, 8, 4], [B, 8, 4], [B, 8, 2], [B, 2, 2, 2]], P('delta_rule', objOf([['heads', v()], ['chunk', v()], ['algorithm', pick(r, ['recurrent', 'chunkwise'])]]))),
    () => doc([[B, 4], [B, 3]], P('mcb', objOf([['d', v()], ['seed', v()]]))),
    () => doc([[B, 4], [B, 6]], P('bilinear', objOf([['out', v()], ['blocks', v()]]))),
    () => {
      const l1 = pick(r, [0, 1, 2, 8, 16, 24, 32, 40, 41, 100, 2 ** 53]);
      const l2 = pick(r, [0, 1, 2, 8, 16, 32, 40]);
      const sq = (l: number) => (Number.isSafeInteger(l) && l <= 100 ? (l + 1) ** 2 : 1);
      return doc([[B, 1, sq(l1)], [B, 1, sq(l2)]], P(pick(r, ['tensor_product', 'gaunt_tensor_product']), objOf([['l1', l1], ['l2', l2], ...(chance(r, 0.5) ? [['lout', v()] as const] : [])])));
    },
    () => doc([[B, 4]], P(pick(r, ['layernorm', 'rmsnorm']), { eps: v() })),
    () => doc([[v(), v()]], P('relu')),
    () => doc([[v(), 2, v(), 2]], S(P('linear', { out: 2 }), P('softmax'))),
    () => doc(Array.from({ length: pick(r, [100, 70000]) }, () => [1]), P('id', { n: v() })),
  ];
  return pick(r, cases)();
};

/** A long chain (flat or grouped), sometimes with a schedule, remat or variants. */
const longChain = (r: Rng): Json => {
  // (Up to 2,000 steps here, so that planning fits the 2 s budget; test/chain-hostile.test.ts runs 100,000.)
  const n = pick(r, [100, 300, 1000, 2000]);
  const cheap = () => P(pick(r, ['relu', 'tanh', 'id']));
  const grouped = chance(r, 0.3);
  const terms: Json[] = grouped ? Array.from({ length: Math.ceil(n / 10) }, () => S(...Array.from({ length: 10 }, cheap))) : Array.from({ length: n }, cheap);
  if (chance(r, 0.3)) terms.splice(r.int(terms.length), 0, P('linear', { out: 4 }, { name: 'lin' }));
  const plan: Record<string, unknown> = {};
  const k = terms.length;
  if (chance(r, 0.3)) plan.schedules = objOf([['', chance(r, 0.5) ? [Array.from({ length: k }, (_, i) => i)] : Array.from({ length: k }, (_, i) => (i % 7 === 0 ? [i] : i))]]);
  if (chance(r, 0.2)) plan.remat = [String(r.int(k))];
  return doc([[2, 4]], S(...terms), Object.keys(plan).length ? { plan } : {});
};

/** Prototype names in every place a name can go. */
const protoNames = (r: Rng): Json => {
  const nm = () => pick(r, PROTO_NAMES);
  const m = S(P('linear', { out: 3 }, { name: nm() }), P('relu', undefined, { name: nm() }), S(P('tanh'), P('linear', { out: 2 }, { name: nm() })));
  const d: Record<string, unknown> = doc([[4, 2]], m);
  switch (r.int(7)) {
    case 0:
      d.plan = { variants: objOf([[nm(), 'input']]) };
      break;
    case 1:
      d.plan = { schedules: objOf([[nm(), [0, 1]]]), remat: [nm()] };
      break;
    case 2:
      (m as { terms: Json[] }).terms[0] = P('linear', objOf([['out', 3], [nm(), 1]]));
      break;
    case 3:
      d.task = objOf([['name', chance(r, 0.5) ? 'spirals' : nm()], [nm(), 1]]);
      break;
    case 4:
      d.train = objOf([[nm(), 1], ['steps', 1]]);
      break;
    case 5:
      d.plan = { variants: objOf([[`${nm()}.${nm()}`, nm()]]) };
      break;
    default:
      Object.defineProperty(d, nm(), { value: hostileScalar(r), enumerable: true });
  }
  return d;
};

/** Plans with malformed schedules, variants and remat lists. */
const badPlans = (r: Rng): Json => {
  const k = pick(r, [1, 2, 3, 5]);
  const m = S(...Array.from({ length: k }, (_, i) => P(i % 2 ? 'relu' : 'linear', i % 2 ? undefined : { out: 2 })));
  const schedules: Json[] = [[[[]]], [1e9], [-1], [0.5], [], [[]], [0, 0], [[0], [0]], [k], ['0'], [null], [[0, 2], 1], [Array.from({ length: k }, (_, i) => k - 1 - i)], [nest(r, 0, pick(r, DEPTHS))], randomJson(r, 5), [Number.MAX_VALUE], [[0, [1, [2]]]]];
  const plan = objOf(
    [
      ...(chance(r, 0.7) ? [['schedules', objOf([[pick(r, ['', '', '0', '1', 'x', '__proto__']), pick(r, schedules)]])] as const] : []),
      ...(chance(r, 0.4) ? [['variants', objOf([[pick(r, ['0', '1', '', 'x', 'constructor']), pick(r, ['input', 'probs', 'nope', '', 'toString'])]])] as const] : []),
      ...(chance(r, 0.4) ? [['remat', pick(r, [[''], ['0', '0'], ['x'], [1], 'all', [['']]])] as const] : []),
      ...(chance(r, 0.1) ? [[pick(r, ['schedule', 'variant', '__proto__']), 1] as const] : []),
    ],
  );
  return doc([[2, 3]], m, { plan });
};

/** JSON text broken in the ways files break: cut short, stray bytes, huge numbers, duplicate keys. */
const brokenText = (r: Rng): string => {
  const text = JSON.stringify(chance(r, 0.5) ? pick(r, examples) : randomModel(r));
  switch (r.int(7)) {
    case 0:
      return text.slice(0, r.int(text.length));
    case 1: {
      const i = r.int(text.length);
      return text.slice(0, i) + pick(r, ['\u0000', '}', ']', ',', '"', '\\', 'NaN', '\ufeff', '1e999']) + text.slice(i);
    }
    case 2:
      return text.replace(/\d+/g, (m) => (chance(r, 0.3) ? pick(r, ['1e999', '-1e999', '9007199254740993', '1e-999', '0.0000001', '-0']) : m));
    case 3:
      return text.replace('"catoptric":1', '"catoptric":1,"catoptric":2');
    case 4:
      return '\ufeff' + text;
    case 5:
      return '['.repeat(pick(r, DEPTHS)) + ']'.repeat(r.int(3) === 0 ? 3 : pick(r, DEPTHS));
    default:
      return pick(r, ['', ' ', 'null', '[]', '{}', '"x"', '0', 'true', ...ODD_STRINGS.map((s) => JSON.stringify(s))]);
  }
};

const STRATEGIES: readonly [string, number, (r: Rng) => Json][] = [
  ['random', 18, randomModel],
  ['mutated', 18, mutated],
  ['deep', 12, deepInField],
  ['huge', 18, hugeCounts],
  ['chain', 6, longChain],
  ['proto', 10, protoNames],
  ['plan', 12, badPlans],
  ['json', 6, (r) => randomJson(r, 6, 8)],
];
const TOTAL = STRATEGIES.reduce((s, x) => s + x[1], 0);

/** Case `i`: the strategy's name and the file's text. */
export const specCase = (seed: number, index: number): { strategy: string; text: string; r: Rng } => {
  const r = caseRng('specs', seed, index);
  if (chance(r, 0.05)) return { strategy: 'text', text: brokenText(r), r };
  let x = r.int(TOTAL);
  for (const [name, w, gen] of STRATEGIES) {
    if (x < w) return { strategy: name, text: jsonText(gen(r)), r };
    x -= w;
  }
  throw new Error('unreachable');
};

const BUDGETS = ['1', '1KiB', '64KiB', '64MiB', '1GB', '0', '-5', 'lots', '1e400', '9007199254740993', '1.5', '2TiB'];

/** The commands run on a case's file. */
const commandsFor = (r: Rng, file: string): string[][] => {
  const check = ['check', file, ...pick(r, [[], [], ['--json'], ['--quiet'], ['--jsn'], ['--json=maybe']])];
  const planFlags = pick(r, [
    [],
    ['--json'],
    ['--budget', pick(r, BUDGETS)],
    ['--chain', pick(r, ['', '0', '1', 'x', '__proto__', 'constructor'])],
    ['--budget', pick(r, BUDGETS), '--write', pick(r, ['planned.json', `${MISSING_DIR}/p.json`])],
    ['--svg', pick(r, ['plan.svg', `${MISSING_DIR}/p.svg`])],
    ['--dtype', pick(r, ['float64', 'float16'])],
    ['--write', 'x.json'],
  ]);
  const cmds = [check, ['plan', file, ...planFlags]];
  if (chance(r, 0.15)) cmds.push(['diagram', file, ...pick(r, [[], ['--svg', 'd.svg'], ['--no-plan']])]);
  return cmds;
};

/** Run case `i`: check and plan (sometimes diagram) on the generated file, each judged. */
export const runSpecCase = async (seed: number, index: number): Promise<CaseResult> => {
  const { strategy, text, r } = specCase(seed, index);
  const file = `case-${index}.json`;
  const files = new Map([[file, text]]);
  let res: CaseResult = { verdict: 'ok' };
  for (const argv of commandsFor(r, file)) {
    const out = judgeCli(await runCli(argv, files), `[${strategy}] catoptric ${argv.join(' ')}`);
    res = worse(res, out);
  }
  return res;
};

/** The `specs` campaign. */
export const specs: Campaign = {
  name: 'specs',
  defaultCases: 200,
  doc: 'hostile spec files (deep nesting, huge counts, long chains, prototype names, bad plans, broken JSON) through catoptric check, plan and diagram',
  run: runSpecCase,
  show: (seed, index) => {
    const { strategy, text } = specCase(seed, index);
    return `[${strategy}] ${text.length > 2000 ? `${text.slice(0, 2000)}… (${text.length} characters)` : text}`;
  },
};
