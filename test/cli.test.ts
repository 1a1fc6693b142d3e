import { afterAll, describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { cli, exampleSpecs } from './cli-harness';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'catoptric-cli-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const tmpFile = (name: string) => path.join(tmp, name);


const examples = exampleSpecs();

type Json = any;
/** Paths (JSON keys) of every primitive term in a spec's model, with the term. */
const primsOf = (t: Json, at: (string | number)[] = ['model']): [(string | number)[], Json][] =>
  t.op === 'prim' ? [[at, t]] : t.terms.flatMap((c: Json, i: number) => primsOf(c, [...at, 'terms', i]));
const getAt = (doc: Json, p: (string | number)[]) => p.reduce((o, k) => o[k], doc);

describe('catoptric check', () => {
  it('finds the example specs', () => {
    expect(examples).toContain(path.join('examples', 'spirals', 'spirals.json'));
    expect(examples).toContain(path.join('examples', 'parity', 'parity.json'));
  });
  for (const file of examples) {
    it(`${file} checks`, async () => {
      const r = await cli('check', file);
      expect(r.err).toBe('');
      expect(r.code).toBe(0);
      expect(r.out).toMatch(/: ok/);
      expect(r.out).toMatch(/parameters +\d+ tensor/);
    });
    it(`broken copies of ${file} name the broken field`, async () => {
      const doc = JSON.parse(fs.readFileSync(file, 'utf8'));
      const prims = primsOf(doc.model);
      // 1. An integer attribute made a string.
      const withInt = prims.find(([, t]) => Object.values(t.attrs ?? {}).some((v) => Number.isInteger(v) && (v as number) > 0));
      if (withInt) {
        const [at, t] = withInt;
        const key = Object.keys(t.attrs).find((k) => Number.isInteger(t.attrs[k]) && t.attrs[k] > 0)!;
        const broken = structuredClone(doc);
        getAt(broken, at).attrs[key] = 'wide';
        fs.writeFileSync(tmpFile('broken.json'), JSON.stringify(broken));
        const r = await cli('check', tmpFile('broken.json'));
        expect(r.code).toBe(1);
        expect(r.err).toContain(`${tmpFile('broken.json')}: ${[...at, 'attrs', key].join('.')}: expected `);
        expect(r.err).toMatch(/: expected [^\n]+, got "wide"\n/);
      }
      // 2. A misspelt primitive.
      const [at2] = prims[prims.length - 1]!;
      const b2 = structuredClone(doc);
      getAt(b2, at2).prim += 'x';
      fs.writeFileSync(tmpFile('broken2.json'), JSON.stringify(b2));
      const r2 = await cli('check', tmpFile('broken2.json'));
      expect(r2.code).toBe(1);
      expect(r2.err).toContain(`: ${[...at2, 'prim'].join('.')}: unknown primitive`);
      // 3. A bad input shape; 4. one input too many (a wiring error at a node).
      const b3 = structuredClone(doc);
      b3.inputs[0][0] = -1;
      fs.writeFileSync(tmpFile('broken3.json'), JSON.stringify(b3));
      expect((await cli('check', tmpFile('broken3.json'))).err).toContain(': inputs.0.0: expected positive integer, got -1');
      const b4 = structuredClone(doc);
      b4.inputs.push([1]);
      fs.writeFileSync(tmpFile('broken4.json'), JSON.stringify(b4));
      const r4 = await cli('check', tmpFile('broken4.json'));
      expect(r4.code).toBe(1);
      expect(r4.err).toMatch(/: model[.\w]*: .*\(node [^)]+\): /);
      expect(r4.err).not.toMatch(/\n\s+at /);
    });
  }
  it('--json gives a machine-readable summary', async () => {
    const r = await cli('check', 'examples/spirals/spirals.json', '--json');
    const j = JSON.parse(r.out);
    expect(j.outputs).toEqual([[400, 2]]);
    expect(j.totals.params).toBe(2 * 64 + 64 + 64 * 64 + 64 + 64 * 2 + 2);
  });
  it('missing files, unknown options and commands are one-line errors', async () => {
    expect(await cli('check', 'nope.json')).toMatchObject({ code: 1, err: 'catoptric check: nope.json: cannot read spec: no such file\n' });
    expect((await cli('check', 'examples/spirals/spirals.json', '--jsn')).err).toMatch(/unknown option --jsn \(did you mean --json\?\)/);
    expect(await cli('frobnicate')).toMatchObject({ code: 1 });
    expect((await cli('check')).err).toMatch(/missing spec/);
  });
});

describe('--help everywhere', () => {
  it('top level and every command', async () => {
    const top = await cli('--help');
    expect(top.code).toBe(0);
    const names = [...top.out.matchAll(/^ {2}(\w+) /gm)].map((m) => m[1]!);
    expect(names).toEqual(expect.arrayContaining(['check', 'diagram', 'plan', 'train', 'bench']));
    for (const n of names) {
      const r = await cli(n, '--help');
      expect(r.code).toBe(0);
      expect(r.out).toMatch(new RegExp(`^Usage: catoptric ${n}`));
    }
  });
});

describe('catoptric diagram', () => {
  it('writes an SVG', async () => {
    const r = await cli('diagram', 'examples/spirals/spirals.json', '--svg', tmpFile('d.svg'));
    expect(r.code).toBe(0);
    const svg = fs.readFileSync(tmpFile('d.svg'), 'utf8');
    expect(svg).toMatch(/^<svg /);
    expect(svg).toContain('hidden1: linear');
  });
});

describe('catoptric plan, bench, prims, tasks, schema', () => {
  it('plan prints the frontier and picks a plan within a budget', async () => {
    const r = await cli('plan', 'examples/parity/parity.json', '--budget', '2MiB', '--svg', tmpFile('plan.svg'), '--write', tmpFile('planned.json'));
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/frontier of \d+ plan/);
    expect(r.out).toMatch(/within 2\.00 MiB: \* /);
    expect(fs.readFileSync(tmpFile('plan.svg'), 'utf8')).toMatch(/^<svg /);
    expect((await cli('check', tmpFile('planned.json'), '--quiet')).code).toBe(0);
    const tooSmall = await cli('plan', 'examples/parity/parity.json', '--budget', '1KiB');
    expect(tooSmall.code).toBe(1);
    expect(tooSmall.err).toMatch(/no plan fits in 1\.00 KiB; the least peak reachable is/);
    expect((await cli('plan', 'examples/parity/parity.json', '--budget', 'lots')).err).toMatch(/--budget expects a size such as 64MiB/);
    const j = await cli('plan', 'examples/parity/parity.json', '--json');
    const doc = JSON.parse(j.out) as { frontier: { peakBytes: number; flops: number }[]; chosen: { flops: number }; budget: null };
    expect(doc.budget).toBeNull();
    expect(doc.chosen.flops).toBe(Math.min(...doc.frontier.map((p) => p.flops)));
  });
  it('bench times forward and backward on each backend', async () => {
    const r = await cli('bench', 'examples/spirals/spirals.json', '--reps', '1', '--json');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.rows.map((x: { backend: string }) => x.backend)).toEqual(['js', 'wasm']);
    expect(j.rows.every((x: { forwardMs: number; backwardMs: number }) => x.forwardMs > 0 && x.backwardMs > 0)).toBe(true);
  });
  it('prims, tasks and schema describe what a spec may contain', async () => {
    expect((await cli('prims')).out).toMatch(/^linear\n.*\n  attrs: out, bias\? +variants: input$/m);
    expect((await cli('prims', 'linear')).out).toMatch(/bias +boolean; default true/);
    expect((await cli('prims', 'lineer')).code).toBe(1);
    expect((await cli('tasks')).out).toMatch(/^att-svm\n[\s\S]*^parity\n[\s\S]*^spirals\n/m);
    expect(JSON.parse((await cli('schema')).out).$defs.prim.properties.prim.enum).toContain('delta_rule');
  });
});

describe('catoptric train', () => {
  const spec = 'examples/spirals/spirals.json';
  const train = async (...args: string[]) => {
    const r = await cli('train', spec, '--json', ...args);
    if (r.code !== 0) throw new Error(r.err);
    return JSON.parse(r.out);
  };
  it('N steps then M more with --resume equals N + M at once, bit for bit', async () => {
    const all = await train('--steps', '6', '--out', tmpFile('all.json'));
    const half = await train('--steps', '3', '--out', tmpFile('half.json'));
    const rest = await train('--steps', '3', '--resume', tmpFile('half.json'), '--out', tmpFile('rest.json'));
    expect([...half.losses, ...rest.losses]).toEqual(all.losses);
    expect(rest.evalLoss).toBe(all.evalLoss);
    const a = JSON.parse(fs.readFileSync(tmpFile('all.json'), 'utf8'));
    const b = JSON.parse(fs.readFileSync(tmpFile('rest.json'), 'utf8'));
    expect(b.params).toEqual(a.params);
    expect(b.optimizer).toEqual(a.optimizer);
    expect(b.step).toBe(6);
    // Loading the file without training reproduces the evaluation exactly.
    const again = await train('--steps', '0', '--resume', tmpFile('all.json'), '--no-save');
    expect(again.evalLoss).toBe(all.evalLoss);
    expect(again.evalAccuracy).toBe(all.evalAccuracy);
  });
  it('shows a progress bar on stderr, writes a loss plot', async () => {
    const r = await cli('train', spec, '--steps', '4', '--no-save', '--loss-svg', tmpFile('loss.svg'));
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/step 4\/4 \[#+\] loss \d/);
    expect(r.out).toMatch(/held-out +loss/);
    expect(fs.readFileSync(tmpFile('loss.svg'), 'utf8')).toMatch(/^<svg /);
  });
  it('parity with the DeltaNet spec trains and resumes identically', async () => {
    const p = async (...args: string[]) => {
      const r = await cli('train', 'examples/parity/parity.json', '--task', 'parity', '--json', ...args);
      if (r.code !== 0) throw new Error(r.err);
      return JSON.parse(r.out);
    };
    const all = await p('--steps', '2', '--out', tmpFile('p-all.json'));
    await p('--steps', '1', '--out', tmpFile('p-half.json'));
    const rest = await p('--steps', '1', '--resume', tmpFile('p-half.json'), '--out', tmpFile('p-rest.json'));
    expect(rest.losses).toEqual(all.losses.slice(1));
    expect(JSON.parse(fs.readFileSync(tmpFile('p-rest.json'), 'utf8')).params).toEqual(JSON.parse(fs.readFileSync(tmpFile('p-all.json'), 'utf8')).params);
  });
  it('user errors are messages with exit code 1', async () => {
    const wrongTask = await cli('train', spec, '--task', 'att-svm', '--steps', '1', '--no-save');
    expect(wrongTask.code).toBe(1);
    expect(wrongTask.err).toMatch(/--task att-svm: att-svm: input 0 must be sequences \[B, T, d\], got \[400,2\]/);
    const noTask = JSON.parse(fs.readFileSync(spec, 'utf8'));
    delete noTask.task;
    fs.writeFileSync(tmpFile('notask.json'), JSON.stringify(noTask));
    expect((await cli('train', tmpFile('notask.json'))).err).toMatch(/no task: pass --task NAME/);
    fs.writeFileSync(tmpFile('bad-params.json'), JSON.stringify({ catoptricParams: 1, spec: 'spirals-mlp', seed: 0, step: 1, dtype: 'float32', params: { 'head.w': { shape: [64, 3], data: [1] } } }));
    const bad = await cli('train', spec, '--resume', tmpFile('bad-params.json'), '--steps', '1', '--no-save');
    expect(bad.code).toBe(1);
    expect(bad.err).toContain(`${tmpFile('bad-params.json')}: params.head.w.data: expected 192 numbers for shape [64,3], got 1`);
    expect((await cli('train', spec, '--steps', 'many')).err).toMatch(/--steps expects a non-negative integer, got "many"/);
  });
});

describe('the built command entry', () => {
  it('runs as a process: exit 0 with output, exit 1 with a message and no stack trace', () => {
    // tsx's command (what node_modules/.bin/tsx links to), found by module resolution: a mutation
    // sandbox (.stryker-tmp/…) has no node_modules of its own when the checkout's is a symlink.
    const tsxCli = createRequire(import.meta.url).resolve('tsx/cli');
    const tsx = (...args: string[]): [string, string[]] => [process.execPath, [tsxCli, ...args]];
    const ok = execFileSync(...tsx('src/cli/main.ts', 'check', 'examples/spirals/spirals.json', '--quiet'), { encoding: 'utf8' });
    expect(ok).toBe('examples/spirals/spirals.json: ok\n');
    let err = '';
    let status = 0;
    try {
      execFileSync(...tsx('src/cli/main.ts', 'check', 'missing.json'), { encoding: 'utf8', stdio: 'pipe' });
    } catch (e) {
      status = (e as { status: number }).status;
      err = String((e as { stderr: string }).stderr);
    }
    expect(status).toBe(1);
    expect(err).toBe('catoptric check: missing.json: cannot read spec: no such file\n');
  });
});
