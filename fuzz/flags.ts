/**
 * Hostile command lines for every `catoptric` command: unknown and misspelt options, prototype
 * names as options, values of the wrong kind, at the edges or absurd, stray positionals, missing
 * files and unwritable outputs. Every run must end with exit 0, or exit 1 and one short clean message.
 */
import '../src/prims'; // every primitive description
import type { Rng } from '../src/tensor/rng';
import type { Campaign, CaseResult } from './campaign';
import { MISSING_DIR, judgeCli, runCli } from './cli-run';
import { ODD_STRINGS, PROTO_NAMES, between, caseRng, chance, pick } from './gen';

const SPEC = 'spec.json';
const specText = JSON.stringify({
  catoptric: 1,
  name: 'flags',
  inputs: [[8, 2]],
  model: { op: 'seq', terms: [{ op: 'prim', prim: 'linear', attrs: { out: 4 }, name: 'h' }, { op: 'prim', prim: 'tanh' }, { op: 'prim', prim: 'linear', attrs: { out: 2 }, name: 'o' }] },
  task: 'spirals',
  train: { steps: 1 },
});
/** Arrays for `train --data`: 16 examples of the spec's input and class ids; and a broken CSV. */
const FILES = new Map([
  [SPEC, specText],
  ['data.json', JSON.stringify({ x: Array.from({ length: 16 }, (_, i) => [Math.sin(i), Math.cos(i)]), y: Array.from({ length: 16 }, (_, i) => i % 2) })],
  ['bad.csv', 'a,b\n1,\nNaN,2,3\n'],
]);

/** Each command's options and a few values for each (valid, edge and absurd). */
const COMMANDS: Readonly<Record<string, Readonly<Record<string, readonly string[]>>>> = {
  check: { json: ['true', 'false', 'maybe'], quiet: [], string: ['L16 r L2', '', '%&*#@!', '__proto__', 'A9999,9999,9999'] },
  diagram: { svg: ['d.svg', `${MISSING_DIR}/d.svg`, ''], 'no-plan': [] },
  plan: { budget: ['1KiB', '2MiB', '0', 'lots', '1e400', '-1'], svg: ['p.svg', `${MISSING_DIR}/p.svg`], dtype: ['float64', 'int8'], chain: ['', 'h', 'nope', '__proto__'], write: ['w.json', `${MISSING_DIR}/w.json`], json: [] },
  train: {
    task: ['spirals', 'parity', 'nope', 'constructor'],
    backend: ['js', 'wasm', 'gpu'],
    dtype: ['float32', 'float64', 'half'],
    steps: ['0', '1', '2', '-1', 'lots', '1e300', '9007199254740993', '1000000001'],
    seed: ['0', '7', '-3', '1.5', '1e300'],
    lr: ['0.01', '0', '-1', '1e300', '1001', 'NaN', 'Infinity'],
    optimizer: ['adam', 'sgd', 'lamb'],
    out: ['p.json', `${MISSING_DIR}/p.json`, ''],
    'no-save': [],
    resume: ['missing.json', SPEC],
    'reset-optimizer': [],
    'max-memory': ['1KiB', '4GiB', 'x'],
    'loss-svg': ['l.svg', `${MISSING_DIR}/l.svg`],
    data: ['data.json', 'missing.npz', SPEC, 'bad.csv'],
    valid: ['data.json', 'missing.npz'],
    loss: ['xent', 'mse', 'hinge'],
    threads: ['1', '0', '-2', '1e9'],
    json: [],
    quiet: [],
  },
  export: { onnx: ['out', `${MISSING_DIR}/out`, ''], plan: [SPEC, 'missing.json', 'data.json'] },
  decode: {
    inputs: ['[[8,2]]', '[[1e300]]', '[]', '{"__proto__":1}', '[[2,3],[4]]', 'nope'],
    ids: ['{"0":23}', '{"__proto__":2}', '{"0":-1}', '[]'],
    'max-elems': ['16', '0', '1e300', '9007199254740993'],
    output: ['[8,2]', '[0]', '[[1]]', 'x'],
    name: ['m', '', '__proto__', '../x'],
    json: [],
  },
  encode: { json: [] },
  prims: {},
  tasks: {},
  schema: { out: ['s.json', `${MISSING_DIR}/s.json`] },
};

/** A command line: a command (sometimes unknown), options and junk. */
const argvFor = (r: Rng): string[] => {
  if (chance(r, 0.05)) return [pick(r, ['frobnicate', '', '--help', '-h', 'help', '--version', ...PROTO_NAMES])];
  const name = pick(r, Object.keys(COMMANDS));
  const opts = COMMANDS[name]!;
  const argv: string[] = [name];
  if (name === 'decode') argv.push(pick(r, ['L16 r L2', '', '%&*#@!', 'A2,8,3 u1 r N', '\u0000\uffff']));
  else if (name !== 'prims' && name !== 'tasks' && name !== 'schema') argv.push(chance(r, 0.9) ? SPEC : pick(r, ['missing.json', '', ...ODD_STRINGS.slice(0, 6)]));
  else if (name === 'prims' && chance(r, 0.5)) argv.push(pick(r, ['linear', 'lineer', '__proto__', 'constructor']));
  const n = between(r, 0, 4);
  for (let i = 0; i < n; i++) {
    const k = r.int(10);
    if (k === 0) argv.push(`--${pick(r, [...PROTO_NAMES, 'jsn', 'step', 'x'])}`);
    else if (k === 1) argv.push(pick(r, ['-x', '--', '-', 'stray', '--=3']));
    else {
      const names = Object.keys(opts);
      if (!names.length) continue;
      const o = pick(r, names);
      const vals = opts[o]!;
      if (!vals.length) argv.push(`--${o}`);
      else if (chance(r, 0.3)) argv.push(`--${o}=${pick(r, vals)}`);
      else argv.push(`--${o}`, ...(chance(r, 0.95) ? [pick(r, vals)] : []));
    }
  }
  // Train runs stay short: a small step count unless the case is about the count itself.
  if (name === 'train' && !argv.includes('--steps')) argv.push('--steps', '1');
  return argv;
};

/** The `flags` campaign. */
export const flags: Campaign = {
  name: 'flags',
  defaultCases: 200,
  doc: 'hostile command lines for every catoptric command (unknown options, prototype names, bad and absurd values, unwritable outputs)',
  run: async (seed, index): Promise<CaseResult> => {
    const argv = argvFor(caseRng('flags', seed, index));
    return judgeCli(await runCli(argv, FILES), `catoptric ${argv.join(' ')}`, 3);
  },
  show: (seed, index) => `catoptric ${argvFor(caseRng('flags', seed, index)).map((a) => JSON.stringify(a)).join(' ')}`,
};
