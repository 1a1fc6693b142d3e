import { afterAll, describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { run } from '../src/cli/run';
import { type Io, fileIo } from '../src/cli/io';
import { type SaveFs, nodeSaveFs } from '../src/cli/save';

/**
 * The command line against every hostile input the reliability issue listed: each ends with exit 0,
 * or exit 1 and a short message, never a stack trace or "internal error"; parameter files are
 * validated in full; saves are atomic and a failed one leaves the previous file to resume from.
 */
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'catoptric-hostile-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const at = (name: string) => path.join(tmp, name);

const cli = async (argv: string[], files: Partial<Pick<Io, 'readFile' | 'writeFile' | 'checkWritable'>> = {}) => {
  let out = '';
  let err = '';
  const io: Io = { out: (s) => void (out += s), err: (s) => void (err += s), errIsTTY: false, ...fileIo(), ...files, now: () => performance.now() };
  const code = await run(argv, io);
  return { code, out, err };
};

/** Exit 1 with a short, clean message (the CLI's contract for bad input). */
const refused = (r: { code: number; err: string }, says: RegExp) => {
  expect(r.code, r.err).toBe(1);
  expect(r.err).toMatch(says);
  expect(r.err).not.toMatch(/internal error|\n\s+at |\[object \w+\]|\bundefined\b|\bNaN\b|Maximum call stack|Cannot read prop/);
  expect(r.err.trimEnd().split('\n').length).toBeLessThanOrEqual(6);
};

const spec = (model: unknown, more: Record<string, unknown> = {}, inputs: unknown = [[4, 3]]) => {
  const f = at(`spec-${Math.random().toString(36).slice(2)}.json`);
  fs.writeFileSync(f, JSON.stringify({ catoptric: 1, name: 'h', inputs, model, ...more }));
  return f;
};
const P = (prim: string, attrs?: object, extra: object = {}) => ({ op: 'prim', prim, ...(attrs ? { attrs } : {}), ...extra });
const S = (...terms: unknown[]) => ({ op: 'seq', terms });

describe('hostile specs: check and plan answer in a few lines', () => {
  it('a 120-byte spec asking for 10^8 wires is refused at once, naming the node and the limit', async () => {
    const f = spec(P('copy', { n: 1e8 }));
    expect(fs.statSync(f).size).toBeLessThan(130);
    const t0 = performance.now();
    for (const cmd of ['check', 'plan']) refused(await cli([cmd, f]), /model: copy \(node <root>\): has 1 input and 100000000 output wire\(s\); the limit is 65536 wires per box \(limits\.maxWires\)/);
    expect(performance.now() - t0).toBeLessThan(2000);
  });

  it('JSON nested 10,000 levels deep in inputs or train is a clean error, not a stack overflow', async () => {
    let deep: unknown = 1;
    for (let i = 0; i < 10_000; i++) deep = [deep];
    const f = at('deep.json');
    fs.writeFileSync(f, `{"catoptric":1,"name":"d","inputs":${JSON.stringify([[2]])},"model":{"op":"prim","prim":"relu"},"train":${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}}`);
    refused(await cli(['check', f]), /deep\.json: train\.a\.a\.a\.a\.a: arrays and objects nest more than 1000 levels deep below this point/);
    fs.writeFileSync(f, `{"catoptric":1,"name":"d","inputs":${'['.repeat(10_000)}${']'.repeat(10_000)},"model":{"op":"prim","prim":"relu"}}`);
    refused(await cli(['plan', f]), /deep\.json: inputs\.0\.0\.0\.0\.0: arrays and objects nest more than 1000 levels deep/);
    void deep;
  });

  it('a 3,000-step chain checks and plans', async () => {
    const f = spec({ op: 'seq', terms: Array.from({ length: 3000 }, (_, i) => P(i % 2 ? 'relu' : 'tanh')) });
    const c = await cli(['check', f, '--quiet']);
    expect(c.code, c.err).toBe(0);
    const p = await cli(['plan', f, '--json']);
    expect(p.code, p.err).toBe(0);
    expect(JSON.parse(p.out).frontier.length).toBeGreaterThan(3);
  }, 60_000);

  it('the dense tensor product at degree 32 is refused by check, naming the degrees; the Gaunt product checks', async () => {
    const dense = spec(P('tensor_product', { l1: 16, l2: 16, lout: 32 }), {}, [[2, 1, 289], [2, 1, 289]]);
    refused(await cli(['check', dense]), /tensor_product: degrees l1 = 16, l2 = 16, lout = 32 need \d+ coupling coefficients per channel, more than the dense product's limit of 1048576/);
    const gaunt = spec(P('gaunt_tensor_product', { l1: 32, l2: 32, lout: 32 }), {}, [[2, 1, 1089], [2, 1, 1089]]);
    const g = await cli(['check', gaunt, '--quiet']);
    expect(g.code, g.err).toBe(0);
  });

  it('mcb with a sketch of 2^31 − 1 buckets checks and plans at once (its FFT size no longer loops forever)', async () => {
    const f = spec(P('mcb', { d: 2 ** 31 - 1, seed: 0 }), {}, [[1, 4], [1, 3]]);
    const t0 = performance.now();
    for (const cmd of ['check', 'plan']) expect((await cli([cmd, f, '--json'])).code).toBe(0);
    expect(performance.now() - t0).toBeLessThan(2000);
  });

  it('nodes named __proto__, constructor and toString are ordinary names, in the model and in the plan', async () => {
    const f = spec(S(P('linear', { out: 3 }, { name: '__proto__' }), P('relu', undefined, { name: 'constructor' }), P('linear', { out: 2 }, { name: 'toString' })), {
      plan: { variants: { __proto__: 'input' }, remat: ['constructor'], schedules: { '': [[0, 1], 2] } },
    });
    // (JSON.stringify drops a "__proto__" key of an object literal; write it by hand.)
    fs.writeFileSync(f, fs.readFileSync(f, 'utf8').replace('"variants":{}', '"variants":{"__proto__":"input"}'));
    for (const cmd of ['check', 'plan', 'diagram']) {
      const r = await cli([cmd, f]);
      expect(r.code, r.err).toBe(0);
      expect(r.out).not.toMatch(/\[object \w+\]|is not a function/);
    }
    expect((await cli(['check', f, '--json'])).out).toContain('"__proto__.w"');
  });

  it('malformed schedules and variants are refused at their JSON path', async () => {
    const m = S(P('linear', { out: 3 }), P('relu'), P('linear', { out: 2 }));
    refused(await cli(['check', spec(m, { plan: { schedules: { '': [[[]]] } } })]), /plan\.schedules\.: not a schedule of the 3 children of seq '': a schedule segment is empty/);
    refused(await cli(['plan', spec(m, { plan: { schedules: { '': [1e9] } } })]), /plan\.schedules\.: not a schedule of the 3 children of seq '': schedule leaves must be 0\.\.2 in order, got \[1000000000\]/);
    refused(await cli(['check', spec(m, { plan: { variants: { constructor: 'x' } } })]), /plan\.variants\.constructor: no node at path 'constructor' in the model/);
  });

  it('dimensions up to 1e308 are refused by the decoder, huge tensors by check', async () => {
    refused(await cli(['check', spec(P('relu'), {}, [[4, 1e308]])]), /inputs\.0\.1: expected positive integer of at most 2\^53 − 1 \(9007199254740991\), got 1e\+308/);
    refused(await cli(['plan', spec(P('linear', { out: 2 ** 40 }))]), /output 0: \[4,1099511627776\] has more than 4294967296 elements, the limit per tensor \(limits\.maxElements\)/);
  });

  it('bad command lines are one line', async () => {
    refused(await cli(['plan', spec(P('relu')), '--budget', 'lots']), /^catoptric plan: --budget expects a size such as 64MiB, 512KiB or 1GB, got "lots"\n$/);
    refused(await cli(['check', spec(P('relu')), '--constructor']), /^catoptric check: unknown option --constructor; see `catoptric check --help`\n$/);
    refused(await cli(['train', spec(P('relu')), '--steps', '1e300']), /--steps expects a non-negative integer of at most 2\^53 − 1, got "1e300"/);
  });
});

describe('parameter files', () => {
  const spirals = 'examples/spirals/spirals.json';
  const trainTo = async (out: string, ...more: string[]) => {
    const r = await cli(['train', spirals, '--quiet', '--json', '--out', out, ...more]);
    expect(r.code, r.err).toBe(0);
    return JSON.parse(r.out) as { losses: number[] };
  };
  const edit = (file: string, f: (d: any) => void): string => {
    const d = JSON.parse(fs.readFileSync(file, 'utf8'));
    f(d);
    const out = at(`edited-${Math.random().toString(36).slice(2)}.json`);
    fs.writeFileSync(out, JSON.stringify(d));
    return out;
  };
  const resume = (file: string, ...more: string[]) => cli(['train', spirals, '--quiet', '--resume', file, '--steps', '1', '--no-save', ...more]);

  it('a corrupted Adam state, a missing one, and steps at the edge are refused before training', async () => {
    const base = at('base.params.json');
    await trainTo(base, '--steps', '2');
    refused(await resume(edit(base, (d) => (d.optimizer.m['hidden1.w'].shape = [64, 2]))), /optimizer\.m\.hidden1\.w\.shape: expected \[2,64\] \(the shape of params\.hidden1\.w\), got \[64,2\]/);
    refused(await resume(edit(base, (d) => (d.optimizer.v['head.b'].data[1] = -0.5))), /optimizer\.v\.head\.b\.data\.1: expected a non-negative number \(Adam's second moment is a mean of squares\), got -0\.5/);
    refused(await resume(edit(base, (d) => (d.optimizer.t = 7))), /optimizer\.t: expected at most 2 \(the file's step: Adam takes one update per step\), got 7/);
    const noOpt = edit(base, (d) => delete d.optimizer);
    refused(await resume(noOpt), /optimizer: missing, so resuming cannot continue the run bit for bit; pass --reset-optimizer/);
    expect((await resume(noOpt, '--reset-optimizer')).code).toBe(0);
    refused(await resume(edit(base, (d) => (d.step = 2 ** 53 - 1))), /step 9007199254740991 plus 1 steps passes 2\^53 − 1/);
    refused(await resume(edit(base, (d) => (d.step = 1e300))), /step: expected non-negative integer of at most 2\^53 − 1 \(9007199254740991\), got 1e\+300/);
    refused(await resume(edit(base, (d) => (d.params['head.w'].data[0] = 1e39))), /params\.head\.w\.data\.0: expected a number a float32 can hold/);
    refused(await resume(base, '--lr', '1e300'), /--lr: a learning rate of 1e\+300 is absurd; expected one in \(0, 1000\]/);
    refused(await cli(['train', spirals, '--steps', '2000000000', '--no-save']), /--steps: 2000000000 steps is absurd; expected at most 1000000000 per run/);
    // A spec given as the parameter file (found by npm run fuzz: one line per spec field before).
    const r = await resume(spirals);
    refused(r, /spirals\.json: <root>: not a catoptric parameter file \(no "catoptricParams" field; this looks like a spec file\)/);
    expect(r.err.trimEnd().split('\n')).toHaveLength(1);
  }, 60_000);

  it('an unwritable output is refused before training starts', async () => {
    const r = await cli(['train', spirals, '--steps', '5', '--out', '/no/such/dir/p.json']);
    refused(r, /^catoptric train: \/no\/such\/dir\/p\.json: cannot write the parameters there: no such directory \(ENOENT\)\n$/);
    expect(r.err).not.toMatch(/step \d/);
  });

  it('the default file name is the spec name made safe, in the working directory', async () => {
    const f = spec(S(P('linear', { out: 2 })), { name: '../x/..', task: 'spirals' }, [[8, 2]]);
    const written: string[] = [];
    const r = await cli(['train', f, '--steps', '1', '--quiet'], { writeFile: (p) => void written.push(p), checkWritable: () => undefined });
    expect(r.code, r.err).toBe(0);
    expect(written).toEqual(['__x_...params.json']);
  });

  it('a save that fails midway (no space left) leaves the previous file, and --resume continues from it bit for bit', async () => {
    const p = at('p.json');
    const straight = await trainTo(at('six.json'), '--steps', '6');
    await trainTo(p, '--steps', '3');
    const before = fs.readFileSync(p);
    // A file system that runs out of space 100 bytes into any write.
    const full: SaveFs = {
      ...nodeSaveFs,
      writeSync: (fd, buf, off = 0, len = buf.length - off) => {
        if (len > 100) {
          nodeSaveFs.writeSync(fd, buf, off, 100);
          throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
        }
        return nodeSaveFs.writeSync(fd, buf, off, len);
      },
    };
    const failed = await cli(['train', spirals, '--quiet', '--resume', p, '--out', p, '--steps', '3'], fileIo(full));
    refused(failed, new RegExp(`${p.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: cannot write: no space left on the device \\(ENOSPC\\); the file is unchanged`));
    expect(fs.readFileSync(p).equals(before)).toBe(true);
    expect(fs.readdirSync(tmp).filter((n) => n.includes('.tmp-'))).toEqual([]);
    // Resuming from the intact file gives exactly the straight six-step run.
    const rest = await trainTo(at('rest.json'), '--resume', p, '--steps', '3');
    expect(rest.losses).toEqual(straight.losses.slice(3));
    expect(JSON.parse(fs.readFileSync(at('rest.json'), 'utf8')).params).toEqual(JSON.parse(fs.readFileSync(at('six.json'), 'utf8')).params);
    // A save that succeeds over an existing file keeps the previous one as .bak.
    await trainTo(p, '--resume', p, '--steps', '1');
    expect(fs.readFileSync(`${p}.bak`).equals(before)).toBe(true);
    expect(JSON.parse(fs.readFileSync(p, 'utf8')).step).toBe(4);
  }, 60_000);
});
