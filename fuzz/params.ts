/**
 * Corrupted parameter files for `catoptric train --resume`: transposed or negative optimiser state,
 * steps near and past 2^53, missing state, values a float32 cannot hold, prototype keys, deep nesting,
 * broken text; with hostile flags (absurd lr, steps and memory, unwritable outputs). Every run must
 * end with exit 0 and finite losses, or exit 1 and a short clean message.
 */
import '../src/prims'; // every primitive description
import type { Rng } from '../src/tensor/rng';
import type { Campaign, CaseResult } from './campaign';
import { MISSING_DIR, judgeCli, runCli, worse } from './cli-run';
import { DEPTHS, EDGE_NUMBERS, PROTO_NAMES, caseRng, chance, hostileScalar, jsonText, nest, objOf, pathsOf, pick, randomJson, setAt } from './gen';

const SPEC = 'tiny.json';
const specText = JSON.stringify({
  catoptric: 1,
  name: 'tiny',
  inputs: [[8, 2]],
  model: { op: 'seq', terms: [{ op: 'prim', prim: 'linear', attrs: { out: 4 }, name: 'h' }, { op: 'prim', prim: 'tanh' }, { op: 'prim', prim: 'linear', attrs: { out: 2 }, name: 'o' }] },
  task: 'spirals',
  train: { steps: 2, lr: 0.01, seed: 0 },
});

/** A genuine parameter file of the tiny spec (2 steps of Adam, or SGD), made once per process. */
const genuine = new Map<string, string>();
const baseFile = async (opt: 'adam' | 'sgd'): Promise<string> => {
  let t = genuine.get(opt);
  if (!t) {
    const r = await runCli(['train', SPEC, '--steps', '2', '--optimizer', opt, '--out', 'base.json', '--quiet'], new Map([[SPEC, specText]]));
    t = r.written.get('base.json');
    if (t === undefined) throw new Error(`fuzz params: could not make a base file: ${r.err}`);
    genuine.set(opt, t);
  }
  return t;
};

type Doc = Record<string, any>;

/** Targeted corruptions, each a known way a file goes wrong. */
const CORRUPTIONS: readonly [string, (d: Doc, r: Rng) => void][] = [
  ['transposed m', (d) => {
    const m = d.optimizer?.m?.['h.w'];
    if (m) m.shape = [...m.shape].reverse();
  }],
  ['negative v', (d, r) => {
    const v = d.optimizer?.v?.['h.w'];
    if (v) v.data[r.int(v.data.length)] = -pick(r, [1e-30, 1, 1e30]);
  }],
  ['t past step', (d, r) => {
    // (An earlier corruption may have made the step a deep array: no arithmetic on it.)
    if (d.optimizer) d.optimizer.t = pick(r, [typeof d.step === 'number' ? d.step + 1 : 3, 1e300, -1, 0.5, 2 ** 53]);
  }],
  ['step at the edge', (d, r) => {
    d.step = pick(r, [2 ** 53 - 1, 2 ** 53 - 2, 2 ** 53, 2 ** 53 + 2, 1e300, -1, 0.5, 1e21]);
  }],
  ['no optimiser', (d) => {
    delete d.optimizer;
  }],
  ['beyond float32', (d, r) => {
    const p = d.params['o.w'];
    p.data[r.int(p.data.length)] = pick(r, [1e39, -3.5e38, 1e308]);
  }],
  ['wrong length', (d) => {
    d.params['o.b'].data.push(1);
  }],
  ['missing parameter', (d) => {
    delete d.params['h.b'];
  }],
  ['prototype keys', (d, r) => {
    const k = pick(r, PROTO_NAMES);
    const where = pick(r, ['params', 'm', 'v', 'root']);
    const t = { shape: [2], data: [0, 0] };
    if (where === 'params') Object.defineProperty(d.params, k, { value: t, enumerable: true });
    else if (where === 'root') Object.defineProperty(d, k, { value: hostileScalar(r), enumerable: true });
    else if (d.optimizer?.[where]) Object.defineProperty(d.optimizer[where], k, { value: t, enumerable: true });
  }],
  ['hostile dims', (d, r) => {
    d.params['o.b'].shape = [pick(r, EDGE_NUMBERS)];
  }],
  ['deep nesting', (d, r) => {
    const at = pick(r, [['params'], ['params', 'o.b', 'data'], ['optimizer'], ['optimizer', 'm'], ['step']]);
    setAt(d, at, nest(r, 0, pick(r, DEPTHS)));
  }],
  ['other spec', (d) => {
    d.spec = 'other';
  }],
  ['other dtype', (d) => {
    d.dtype = 'float64';
  }],
  ['sgd state for adam', (d) => {
    if (d.optimizer?.name !== 'sgd') d.optimizer = { name: 'sgd', velocity: d.optimizer?.m ?? {} };
  }],
  ['random', (d, r) => {
    for (let i = 0; i < 3; i++) {
      const at = pick(r, pathsOf(d, 2000));
      if (at.length) setAt(d, at, chance(r, 0.5) ? hostileScalar(r) : randomJson(r, 3));
    }
  }],
];

/** Flags of a resumed run: mostly short and valid, some absurd. */
const flagsFor = (r: Rng): string[] => {
  const f: string[] = ['--steps', pick(r, ['0', '1', '2', '1', '3'])];
  if (chance(r, 0.3)) f.push('--reset-optimizer');
  if (chance(r, 0.5)) f.push('--no-save');
  else f.push('--out', pick(r, ['out.json', 'base.json', `${MISSING_DIR}/p.json`]));
  if (chance(r, 0.15)) f.push('--lr', pick(r, ['1e300', '0.001', '1001', '1e-300']));
  if (chance(r, 0.1)) f.splice(0, 2, '--steps', pick(r, ['1e15', '9007199254740991', '1000000001', '-1', 'lots']));
  if (chance(r, 0.1)) f.push('--max-memory', pick(r, ['1KiB', '1', '1GB']));
  if (chance(r, 0.1)) f.push('--optimizer', pick(r, ['sgd', 'adam']));
  if (chance(r, 0.1)) f.push('--seed', pick(r, ['0', '3']));
  if (chance(r, 0.1)) f.push('--dtype', pick(r, ['float32', 'float64']));
  if (chance(r, 0.1)) f.push('--backend', 'wasm');
  if (chance(r, 0.5)) f.push('--json');
  return f;
};

/** Case `i`: a corrupted file's text and the flags it is resumed with. */
export const paramsCase = async (seed: number, index: number): Promise<{ what: string; text: string; flags: string[] }> => {
  const r = caseRng('params', seed, index);
  const base = await baseFile(chance(r, 0.8) ? 'adam' : 'sgd');
  const flags = flagsFor(r);
  if (chance(r, 0.08)) {
    const cut = r.int(base.length);
    return { what: 'text', text: chance(r, 0.5) ? base.slice(0, cut) : base.replace(/-?\d\.\d+e?-?\d*/, pick(r, ['1e999', 'NaN', '-1e999'])), flags };
  }
  const d = JSON.parse(base) as Doc;
  const n = chance(r, 0.7) ? 1 : 2;
  const names: string[] = [];
  for (let i = 0; i < n; i++) {
    const [name, f] = pick(r, CORRUPTIONS);
    // A second corruption may find the structure the first one changed (a deep array where a tensor
    // was): then it does not apply. (An error here is the generator's, not catoptric's.)
    try {
      f(d, r);
      names.push(name);
    } catch {
      names.push(`(${name}: does not apply)`);
    }
  }
  return { what: names.join(' + '), text: jsonText(d), flags };
};

/** Run case `i`: resume the tiny spec from the corrupted file; losses must be finite when it trains. */
export const runParamsCase = async (seed: number, index: number): Promise<CaseResult> => {
  const { what, text, flags } = await paramsCase(seed, index);
  const files = new Map([[SPEC, specText], ['base.json', text]]);
  const argv = ['train', SPEC, '--resume', 'base.json', '--quiet', ...flags];
  const res = await runCli(argv, files);
  let out = judgeCli(res, `[${what}] catoptric ${argv.join(' ')}`);
  if (out.verdict === 'ok' && flags.includes('--json')) {
    const j = JSON.parse(res.out) as { losses: number[]; evalLoss: number };
    if (![...j.losses, j.evalLoss].every(Number.isFinite)) out = worse(out, { verdict: 'messy', detail: `[${what}] trained into a non-finite loss: ${res.out.slice(0, 200)}` });
  }
  return out;
};

/** The `params` campaign. */
export const params: Campaign = {
  name: 'params',
  defaultCases: 200,
  doc: 'corrupted parameter files (optimiser state, steps near 2^53, missing state, float32 overflow, prototype keys, deep nesting) resumed with hostile flags',
  run: runParamsCase,
  show: async (seed, index) => {
    const { what, text, flags } = await paramsCase(seed, index);
    return `[${what}] flags: ${flags.join(' ')}\n${text.length > 2000 ? `${text.slice(0, 2000)}…` : text}`;
  },
};
