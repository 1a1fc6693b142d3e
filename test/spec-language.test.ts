import { afterAll, describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import { PlanCodec, check, decodeTerm, loadSpec } from '../src/index';
import { run } from '../src/cli/run';
import type { Io } from '../src/cli/io';
import { readDataFile } from '../src/cli/data';

/**
 * docs/spec-language.md cannot drift from the codec: every JSON block on the page carries an
 * annotation saying what it is, and is checked as that — terms decode and check at the shapes given
 * (with the parameter paths given), errors are exactly what `catoptric check` prints, plans and data
 * decode, and each complete spec checks, plans and trains through the command line.
 */
const page = fs.readFileSync(path.join('docs', 'spec-language.md'), 'utf8');
const blocks = [...page.matchAll(/(?:<!--\s*([\s\S]*?)\s*-->\s*\n)?```json\n([\s\S]*?)```/g)].map((m) => ({ note: m[1], text: m[2]! }));

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'catoptric-speclang-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const cli = async (files: Record<string, string>, ...argv: string[]) => {
  let out = '';
  let err = '';
  const io: Io = {
    out: (s) => void (out += s),
    err: (s) => void (err += s),
    errIsTTY: false,
    readFile: (p) => files[p] ?? fs.readFileSync(p, 'utf8'),
    readBytes: (p) => (files[p] !== undefined ? new TextEncoder().encode(files[p]) : fs.readFileSync(p)),
    writeFile: (p, t) => fs.writeFileSync(p, t),
    now: () => performance.now(),
  };
  const code = await run(argv, io);
  return { code, out, err };
};

/** Random data for a spec: 2 batches of examples, inputs x0…, mean-squared-error targets y0… . */
const randomData = (inputs: number[][], outputs: number[][]): string => {
  let s = 1;
  const next = () => ((s = (s * 48271) % 2147483647) / 2147483647) * 2 - 1;
  const arr = (shape: number[]) => {
    const n = 2 * shape[0]!;
    const per = shape.slice(1).reduce((a, b) => a * b, 1);
    return { shape: [n, ...shape.slice(1)], data: Array.from({ length: n * per }, next) };
  };
  return JSON.stringify({ ...Object.fromEntries(inputs.map((x, i) => [`x${i}`, arr(x)])), ...Object.fromEntries(outputs.map((y, j) => [`y${j}`, arr(y)])) });
};

describe('docs/spec-language.md', () => {
  it('has annotated JSON blocks: three complete specs, terms, errors, a plan and data', () => {
    expect(blocks.filter((b) => !b.note)).toEqual([]);
    const kinds = blocks.map((b) => b.note!.split(/[:\s]/)[0]);
    expect(kinds.filter((k) => k === 'spec')).toHaveLength(3);
    expect(kinds).toEqual(expect.arrayContaining(['term', 'error', 'plan', 'data']));
  });
  it('is linked from the README', () => {
    expect(fs.readFileSync('README.md', 'utf8')).toContain('(docs/spec-language.md)');
  });

  blocks.forEach(({ note, text }, k) => {
    const kind = note?.split(/[:\s]/)[0];
    const json = () => JSON.parse(text) as unknown;
    if (kind === 'term') {
      const inputs = JSON.parse(/inputs (\[\[.*?\]\])/.exec(note!)![1]!) as number[][];
      const params = /params (\[.*\])/.exec(note!)?.[1];
      it(`block ${k + 1}: a term that decodes and checks at ${JSON.stringify(inputs)}`, () => {
        const t = decodeTerm(json());
        if (E.isLeft(t)) throw new Error(JSON.stringify(t.left));
        const m = check(t.right, inputs);
        if (E.isLeft(m)) throw m.left;
        if (params) expect([...m.right.params.keys()]).toEqual(JSON.parse(params));
      });
    } else if (kind === 'error') {
      const expected = note!.slice('error:'.length).trim();
      it(`block ${k + 1}: catoptric check prints exactly the error shown`, async () => {
        const r = await cli({ 'bad.json': text }, 'check', 'bad.json');
        expect(r.code).toBe(1);
        expect(r.err).toBe(`${expected}\n`);
      });
    } else if (kind === 'plan') {
      it(`block ${k + 1}: a plan that decodes`, () => {
        expect(E.isRight(PlanCodec.decode(json()))).toBe(true);
      });
    } else if (kind === 'data') {
      it(`block ${k + 1}: a data file that reads`, () => {
        const df = readDataFile('d.json', () => new TextEncoder().encode(text));
        expect(df.arrays.length).toBeGreaterThan(0);
      });
    } else if (kind === 'spec') {
      const withData = /--data/.test(note!);
      it(`block ${k + 1}: a complete spec that checks, plans and trains (${withData ? 'on generated data' : 'on its task'})`, async () => {
        const spec = loadSpec(text);
        if (E.isLeft(spec)) throw new Error(JSON.stringify(spec.left));
        const file = path.join(tmp, `${spec.right.doc.name}.json`);
        fs.writeFileSync(file, text);
        const c = await cli({}, 'check', file, '--quiet');
        expect([c.code, c.err]).toEqual([0, '']);
        const p = await cli({}, 'plan', file, '--json');
        expect(p.code).toBe(0);
        expect(JSON.parse(p.out).frontier.length).toBeGreaterThan(0);
        const how: string[] = [];
        if (withData) {
          const dataFile = path.join(tmp, `${spec.right.doc.name}.data.json`);
          fs.writeFileSync(dataFile, randomData(spec.right.doc.inputs.map((s) => [...s]), spec.right.model.root.outputs.map((s) => [...s])));
          how.push('--data', dataFile);
        } else expect(spec.right.doc.task).toBeDefined();
        const t = await cli({}, 'train', file, ...how, '--steps', '3', '--no-save', '--json');
        expect(t.err).toBe('');
        const s = JSON.parse(t.out);
        expect(s.losses).toHaveLength(3);
        expect(s.losses.every(Number.isFinite)).toBe(true);
      });
    } else it(`block ${k + 1}: has a known annotation`, () => expect(note).toMatch(/^(spec|term|error|plan|data)/));
  });
});
