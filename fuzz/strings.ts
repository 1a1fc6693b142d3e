/**
 * Fuzz campaigns of model strings:
 * - `strings`: random byte strings (lengths ≤ 200) decode to models that pass `check` and stay
 *   within the element budget; 1000 strings per case, 1000 cases by default (10⁶ strings), with the
 *   time per decode and per check;
 * - `strings-roundtrip`: random token strings round-trip through encode, and one-token mutations are
 *   local; 100 strings per case;
 * - `strings-laws`: plan invariance, predicted = measured memory, wasm ≡ js and backward = VJP on
 *   one random well-typed model per case (`modelLawFailures`).
 */
import * as E from 'fp-ts/lib/Either.js';
import '../src/index';
import { DECODE_CONFIGS, ILL_CONDITIONED, RUN_CONFIGS, budgetProblem, decodedRoundTrips, modelLawFailures, mutationIsLocal } from '../laws/strings';
import { TOKENS, tokenChar, tokenize } from '../src/strings/alphabet';
import { DEFAULT_MAX_ELEMS, decodeWith } from '../src/strings/decode';
import { check } from '../src/term/check';
import { rng } from '../src/tensor/rng';
import { jsBackend } from '../backends/js';
import { type WasmBackend, initWasm } from '../backends/wasm/index';
import type { Campaign, CaseResult } from './campaign';
import type { Io } from '../src/cli/io';
import { run as runCli } from '../src/cli/run';

const BATCH = 1000;

/** String `j` of the totality campaign: random bytes, length uniform in [0, 200]. */
const byteString = (seed: number, j: number): string => {
  const r = rng(seed).fork(j);
  const n = r.int(201);
  let s = '';
  for (let i = 0; i < n; i++) s += String.fromCharCode(r.int(256));
  return s;
};

const tokenString = (seed: number, j: number, maxLen: number): number[] => {
  const r = rng(seed).fork(`tokens${j}`);
  return Array.from({ length: r.int(maxLen + 1) }, () => r.int(TOKENS));
};

const optsOf = (c: (typeof DECODE_CONFIGS)[number]) => (c.ids ? { ids: c.ids } : {});

const totality: Campaign = {
  name: 'strings',
  doc: `random byte strings (lengths ≤ 200) decode to models that pass check, within the budget; ${BATCH} strings per case`,
  defaultCases: 1000,
  budget: { timeoutMs: 20_000, memoryBytes: 200 * 2 ** 20, why: `a case is ${BATCH} strings` },
  run(seed, index) {
    let decodeUs = 0;
    let checkUs = 0;
    let tokens = 0;
    for (let k = 0; k < BATCH; k++) {
      const j = index * BATCH + k;
      const s = byteString(seed, j);
      const c = DECODE_CONFIGS[j % DECODE_CONFIGS.length]!;
      const where = () => `string ${j} ${JSON.stringify(s)} on ${c.name}`;
      const t0 = performance.now();
      const toks = tokenize(s);
      let term;
      try {
        term = decodeWith(toks, c.inputs, optsOf(c)).term;
      } catch (e) {
        return { verdict: 'wrong', detail: `${where()}: decoding threw: ${(e as Error).message}` };
      }
      const t1 = performance.now();
      const r = check(term, c.inputs);
      const t2 = performance.now();
      decodeUs += 1000 * (t1 - t0);
      checkUs += 1000 * (t2 - t1);
      tokens += toks.length;
      if (E.isLeft(r)) return { verdict: 'wrong', detail: `${where()}: does not check: ${r.left.message}` };
      const b = budgetProblem(r.right, DEFAULT_MAX_ELEMS);
      if (b) return { verdict: 'wrong', detail: `${where()}: ${b}` };
    }
    return { verdict: 'ok', metrics: { strings: BATCH, tokens, decodeUs, checkUs } };
  },
  show: (seed, index) => Array.from({ length: BATCH }, (_, k) => JSON.stringify(byteString(seed, index * BATCH + k))).join('\n'),
  report: (m) => [
    `${m.strings} strings (${(m.tokens! / m.strings!).toFixed(1)} tokens on average): ${(m.decodeUs! / m.strings!).toFixed(1)} µs per decode, ${(m.checkUs! / m.strings!).toFixed(1)} µs per check (wall clock)`,
  ],
};

const roundTrip: Campaign = {
  name: 'strings-roundtrip',
  doc: 'random token strings (≤ 200 tokens) round-trip through encode and one-token mutations are local; 100 strings per case',
  defaultCases: 200,
  budget: { timeoutMs: 20_000, memoryBytes: 200 * 2 ** 20, why: 'a case is 100 strings, each round-tripped and mutated' },
  run(seed, index): CaseResult {
    for (let k = 0; k < 100; k++) {
      const j = index * 100 + k;
      const toks = tokenString(seed, j, 200);
      const c = DECODE_CONFIGS[j % DECODE_CONFIGS.length]!;
      const opts = { maxElems: 1 << 14, ...optsOf(c) };
      const where = `'${toks.map(tokenChar).join('')}' on ${c.name}`;
      const rt = decodedRoundTrips(toks, c.inputs, opts);
      if (!rt.ok) return { verdict: 'wrong', detail: `${where}: round trip: ${rt.detail}` };
      if (toks.length) {
        const r = rng(seed).fork(`mutation${j}`);
        const at = r.int(toks.length);
        const loc = mutationIsLocal(toks, at, r.int(TOKENS), c.inputs, opts);
        if (!loc.ok) return { verdict: 'wrong', detail: `${where}: locality at token ${at}: ${loc.detail}` };
      }
    }
    return { verdict: 'ok', metrics: { strings: 100 } };
  },
};

let wasm: WasmBackend | undefined;
const f32 = jsBackend('float32');
const f64 = jsBackend('float64');

const modelOf = (seed: number, index: number) => {
  const c = RUN_CONFIGS[index % RUN_CONFIGS.length]!;
  const toks = tokenString(seed, index, 40);
  // Every other model leaves out the ill-conditioned primitives, so the numeric laws run on it too.
  const opts = { maxElems: 512, ...optsOf(c), ...(Math.floor(index / RUN_CONFIGS.length) % 2 ? { exclude: ILL_CONDITIONED } : {}) };
  return { c, string: toks.map(tokenChar).join(''), term: decodeWith(toks, c.inputs, opts).term, inputs: c.inputs, opts };
};

const laws: Campaign = {
  name: 'strings-laws',
  doc: 'plan invariance, predicted = measured memory, wasm ≡ js and backward = VJP on one random model (≤ 40 tokens) per case',
  defaultCases: 2400,
  budget: { timeoutMs: 10_000, memoryBytes: 200 * 2 ** 20, why: 'a case runs four laws on three backends, finite differences included' },
  async setup() {
    wasm ??= await initWasm();
  },
  run(seed, index) {
    const m = modelOf(seed, index);
    const rep = wasm!.scope(() => modelLawFailures(m, index, { plans: [f32, f64], reference: f64, candidate: wasm!, float32: f32, tol: { rtol: 2e-4, atol: 2e-5 } }));
    const metrics = { models: 1, conformanceSkipped: rep.skipped.includes('backend conformance') ? 1 : 0, vjpSkipped: rep.skipped.includes('backward = VJP') ? 1 : 0 };
    return rep.failures.length
      ? { verdict: 'wrong', detail: `'${m.string}' on ${m.c.name}: ${rep.failures.map((f) => `${f.law}: ${f.detail}`).join('; ')}`, metrics }
      : { verdict: 'ok', metrics };
  },
  report: (m) => [
    `${m.models} models; conformance skipped on ${m.conformanceSkipped} (signed_sqrt_l2), the VJP law on ${m.vjpSkipped} (signed_sqrt_l2 or id inputs)`,
  ],
  show: (seed, index) => {
    const m = modelOf(seed, index);
    return `${JSON.stringify(m.string)} on ${m.c.name} ${JSON.stringify(m.inputs)}\n${JSON.stringify(m.term)}`;
  },
};


/** Line `j` of the CLI campaign: random bytes without line breaks, length uniform in [0, 200]. */
const randomLine = (seed: number, j: number): string => {
  const r = rng(seed).fork(`line${j}`);
  const n = r.int(201);
  let s = '';
  for (let i = 0; i < n; i++) {
    const c = r.int(254);
    s += String.fromCharCode(c >= 10 ? (c >= 12 ? c + 2 : c + 1) : c); // skip \n (10) and \r (13)
  }
  return s;
};

/** An in-memory Io: standard input, files by name, captured output. */
const memoryIo = (stdin: string, files: Map<string, string>) => {
  let out = '';
  let err = '';
  const io: Io = {
    out: (s) => void (out += s),
    err: (s) => void (err += s),
    errIsTTY: false,
    readFile: (p) => {
      const t = files.get(p);
      if (t === undefined) throw Object.assign(new Error('no such file'), { code: 'ENOENT' });
      return t;
    },
    writeFile: (p, t) => void files.set(p, t),
    now: () => performance.now(),
    readStdin: () => stdin,
  };
  return { io, out: () => out, err: () => err };
};

const CLI_BATCH = 1000;



const cli: Campaign = {
  name: 'strings-cli',
  doc: `\`catoptric decode --stdin --json\` on random lines gives one spec per line that \`catoptric check\` accepts; ${CLI_BATCH} lines per case`,
  defaultCases: 10,
  budget: { timeoutMs: 120_000, memoryBytes: 200 * 2 ** 20, why: `a case is ${CLI_BATCH} lines, decoded and each checked by the CLI` },
  async run(seed, index) {
    const lines = Array.from({ length: CLI_BATCH }, (_, k) => randomLine(seed, index * CLI_BATCH + k));
    const dec = memoryIo(lines.join('\n') + '\n', new Map());
    const inputs = '[[8,2]]';
    const code = await runCli(['decode', '--stdin', '--json', '--inputs', inputs], dec.io);
    if (code !== 0) return { verdict: 'wrong', detail: `decode exited ${code}: ${dec.err()}` };
    const specs = dec.out().split('\n').filter((l) => l !== '');
    if (specs.length !== lines.length) return { verdict: 'wrong', detail: `${lines.length} lines gave ${specs.length} specs` };
    for (let k = 0; k < specs.length; k++) {
      const files = new Map([['line.json', specs[k]!]]);
      const chk = memoryIo('', files);
      const c = await runCli(['check', 'line.json', '--quiet'], chk.io);
      if (c !== 0 || chk.out() !== 'line.json: ok\n') return { verdict: 'wrong', detail: `line ${index * CLI_BATCH + k} ${JSON.stringify(lines[k])}: check says ${chk.err() || chk.out()}` };
    }
    return { verdict: 'ok', metrics: { lines: specs.length } };
  },
  show: (seed, index) => Array.from({ length: CLI_BATCH }, (_, k) => JSON.stringify(randomLine(seed, index * CLI_BATCH + k))).join('\n'),
  report: (m) => [`${m.lines ?? 0} random lines decoded, every spec accepted by catoptric check`],
};

export const stringCampaigns: readonly Campaign[] = [totality, roundTrip, laws, cli];
