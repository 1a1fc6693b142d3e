import { describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as E from 'fp-ts/lib/Either.js';
import { run } from '../src/cli/run';
import type { Io } from '../src/cli/io';
import { loadSpec } from '../src/term/codec';
import { normalForm, rng, termEquals } from '../src/index';

/** Run the CLI in-process with an in-memory file system and standard input. */
const cli = async (argv: string[], stdin = '', files = new Map<string, string>()) => {
  let out = '';
  let err = '';
  const io: Io = {
    out: (s) => void (out += s),
    err: (s) => void (err += s),
    errIsTTY: false,
    readFile: (p) => files.get(p) ?? fs.readFileSync(p, 'utf8'),
    writeFile: (p, t) => void files.set(p, t),
    now: () => performance.now(),
    readStdin: () => stdin,
  };
  const code = await run(argv, io);
  return { code, out, err };
};

/** A random line: bytes other than line breaks. */
const randomLine = (seed: number): string => {
  const r = rng(seed);
  let s = '';
  for (let i = r.int(201); i > 0; i--) {
    const c = r.int(254);
    s += String.fromCharCode(c >= 10 ? (c >= 12 ? c + 2 : c + 1) : c);
  }
  return s;
};

describe('catoptric decode / encode / check --string', () => {
  it('decode prints a spec file that checks', async () => {
    const r = await cli(['decode', 'L16 r L2', '--inputs', '[[8,2]]']);
    expect(r.code).toBe(0);
    const spec = loadSpec(r.out);
    expect(E.isRight(spec) && spec.right.model.root.outputs).toEqual([[8, 2]]);
    expect(r.out).toContain('"doc": "model string \\"L16 r L2\\""');
    const one = await cli(['decode', 'L16 r L2', '--json']);
    expect(one.out.trim().split('\n')).toHaveLength(1);
  });
  it('decode --stdin --json: one spec per line, each accepted by catoptric check', async () => {
    const lines = Array.from({ length: 100 }, (_, i) => randomLine(i));
    const r = await cli(['decode', '--stdin', '--json', '--inputs', '[[4,3],[4]]', '--ids', '{"1": 3}'], lines.join('\n') + '\n');
    expect(r.code).toBe(0);
    const specs = r.out.trim().split('\n');
    expect(specs).toHaveLength(100);
    for (const [i, s] of specs.entries()) {
      const files = new Map([['s.json', s]]);
      const c = await cli(['check', 's.json', '--quiet'], '', files);
      expect(c.out, `line ${i} ${JSON.stringify(lines[i])}: ${c.err}`).toBe('s.json: ok\n');
    }
  });
  it('encode prints the string; decoding it gives the normal form back', async () => {
    const e = await cli(['encode', 'examples/modular/modular.json', '--json']);
    expect(e.code).toBe(0);
    const { string, inputs, ids } = JSON.parse(e.out);
    expect(string).toBe('E23,32 R2,128 L128 r L23');
    expect(ids).toEqual({ 0: 23 });
    const d = await cli(['decode', string, '--inputs', JSON.stringify(inputs), '--ids', JSON.stringify(ids)]);
    const doc = JSON.parse(fs.readFileSync('examples/modular/modular.json', 'utf8'));
    expect(termEquals(JSON.parse(d.out).model, normalForm(doc.model))).toBe(true);
    expect((await cli(['encode', 'examples/spirals/spirals.json'])).out).toBe('L64 t L64 t L2\n');
  });
  it('check --string prints the usual summary', async () => {
    const r = await cli(['check', '--string', 'L16 r {L16 t}', '--inputs', '[[4,3]]']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^string "L16 r \{L16 t\}": ok/);
    expect(r.out).toMatch(/parameters +4 tensor\(s\), 336 elements/);
    const j = await cli(['check', '--string', 'L16', '--json']);
    expect(JSON.parse(j.out).outputs).toEqual([[8, 16]]);
  });
  it('bad options are one-line errors naming the option', async () => {
    const cases: [string[], RegExp][] = [
      [['decode', 'L2', '--inputs', '[[8,'], /^catoptric decode: --inputs expects a JSON array of shapes such as '\[\[8,2\]\]', got "\[\[8," \(not JSON\)\n$/],
      [['decode', 'L2', '--inputs', '[[8,-2]]'], /^catoptric decode: --inputs: input 0 has an invalid shape \[8,-2\]; dimensions must be positive integers\n$/],
      // (Found by npm run fuzz: a dimension of 1e300 is an integer, and the decoder never finished.)
      [['decode', 'L2', '--inputs', '[[1e300]]'], /^catoptric decode: --inputs: input 0: dimensions must be positive integers of at most 2\^53 − 1, got \[1e\+300\]\n$/],
      [['decode', 'L2', '--output', '[65536,65537]'], /^catoptric decode: --output: output: \[65536,65537\] has more than 4294967296 elements/],
      [['decode', 'L2', '--ids', '{"5": 2}'], /^catoptric decode: --ids: ids: "5" is not an input index \(0\.\.0\)\n$/],
      [['decode', 'L2', '--ids', '[2]'], /^catoptric decode: --ids expects a JSON object/],
      [['decode', 'L2', '--max-elems', '0'], /^catoptric decode: --max-elems expects a positive integer, got "0"\n$/],
      [['decode', 'L2', '--stdin'], /^catoptric decode: give either a string or --stdin, not both\n$/],
      [['decode'], /^catoptric decode: missing string/],
      [['decode', 'L2', '--input', '[[2]]'], /unknown option --input \(did you mean --inputs\?\)/],
      [['check', '--string', 'L2', 'examples/spirals/spirals.json'], /give either a spec file or --string, not both/],
      [['check', 'examples/spirals/spirals.json', '--inputs', '[[2,2]]'], /--inputs goes with --string/],
      [['encode', 'nope.json'], /^catoptric encode: nope\.json: cannot read spec: no such file\n$/],
    ];
    for (const [argv, re] of cases) {
      const r = await cli(argv);
      expect(r.code, argv.join(' ')).toBe(1);
      expect(r.err, argv.join(' ')).toMatch(re);
    }
  });
  it('encode names where a spec leaves the fragment with a string form', async () => {
    const doc = { catoptric: 1, name: 'eps', inputs: [[2, 3]], model: { op: 'seq', terms: [{ op: 'prim', prim: 'relu' }, { op: 'prim', prim: 'layernorm', attrs: { eps: 0.001 } }] } };
    const r = await cli(['encode', 'eps.json'], '', new Map([['eps.json', JSON.stringify(doc)]]));
    expect(r.code).toBe(1);
    expect(r.err).toBe("catoptric encode: eps.json: model (normal form) at 1: layernorm: attribute(s) 'eps' = 0.001 have no string form\n");
  });
  it('--help for each command', async () => {
    for (const c of ['decode', 'encode', 'check']) {
      const r = await cli([c, '--help']);
      expect(r.code).toBe(0);
      expect(r.out).toMatch(new RegExp(`^Usage: catoptric ${c}`));
    }
    expect((await cli(['decode', '--help'])).out).toMatch(/--stdin/);
    expect((await cli(['check', '--help'])).out).toMatch(/--string S/);
  });
});
