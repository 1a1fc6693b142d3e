import { afterAll, describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { writeNpz } from '../src/cli/npy';
import { datasets } from '../examples/datasets/datasets';
import { cli, exampleSpecs } from './cli-harness';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'catoptric-data-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const tmpFile = (name: string) => path.join(tmp, name);

const trainJson = async (...argv: string[]) => {
  const r = await cli('train', ...argv, '--json');
  if (r.code !== 0) throw new Error(r.err);
  return JSON.parse(r.out);
};

/** Every example spec: examples/NAME/*.json (data files are .npz). */
const examples = exampleSpecs();

describe('every example spec trains from the command line', () => {
  it('finds them', () => {
    expect(examples.length).toBeGreaterThanOrEqual(6);
  });
  for (const spec of examples) {
    const doc = JSON.parse(fs.readFileSync(spec, 'utf8'));
    const data = spec.replace(/\.json$/, '.data.npz');
    const how = doc.task ? ['--steps', '2'] : ['--data', data, '--steps', '2'];
    it(`${spec} (${doc.task ? `task ${typeof doc.task === 'string' ? doc.task : doc.task.name}` : path.basename(data)})`, async () => {
      expect(doc.task !== undefined || fs.existsSync(data), `${spec} has a task or a data file beside it`).toBe(true);
      const s = await trainJson(spec, ...how, '--no-save');
      expect(s.losses).toHaveLength(2);
      expect(s.losses.every(Number.isFinite)).toBe(true);
      expect(Number.isFinite(s.evalLoss)).toBe(true);
    });
  }
});

describe('the shipped data sets', () => {
  for (const d of datasets)
    it(`${d.file} is exactly what examples/datasets makes`, () => {
      expect(Buffer.compare(fs.readFileSync(d.file), Buffer.from(writeNpz(d.make())))).toBe(0);
    });
  it('mcb-fusion learns from its data: the loss falls, validation metrics are reported', async () => {
    const s = await trainJson('examples/pooling/mcb-fusion.json', '--data', 'examples/pooling/mcb-fusion.data.npz', '--valid', 'examples/pooling/mcb-fusion.valid.npz', '--steps', '30', '--no-save');
    expect(s.loss).toBe('xent');
    expect(s.evalOn).toBe('validation data examples/pooling/mcb-fusion.valid.npz, 128 examples');
    expect(s.losses[29]).toBeLessThan(0.8 * s.losses[0]);
    expect(s.evalAccuracy).toBeGreaterThanOrEqual(0);
  });
  it('the tensor-product spec fits its teacher: mse falls by orders of magnitude', async () => {
    const s = await trainJson('examples/tensor-product/gaunt.json', '--data', 'examples/tensor-product/gaunt.data.npz', '--steps', '30', '--lr', '0.05', '--no-save');
    expect(s.loss).toBe('mse');
    expect(s.evalAccuracy).toBeUndefined();
    expect(s.losses[29]).toBeLessThan(0.05 * s.losses[0]);
  });
});

describe('catoptric train --data', () => {
  // A small linear classifier: 3 features, 4 classes, batches of 8.
  const spec = tmpFile('lin.json');
  fs.writeFileSync(spec, JSON.stringify({ catoptric: 1, name: 'lin', inputs: [[8, 3]], model: { op: 'prim', prim: 'linear', attrs: { out: 4 }, name: 'head' } }));
  const rows = Array.from({ length: 20 }, (_, i) => [Math.sin(i), Math.cos(i), (i % 3) - 1, i % 4]);
  fs.writeFileSync(tmpFile('d.csv'), `a,b,c,label\n${rows.map((r) => r.join(',')).join('\n')}\n`);
  fs.writeFileSync(tmpFile('d.json'), JSON.stringify({ x: rows.map((r) => r.slice(0, 3)), y: rows.map((r) => r[3]) }));

  it('CSV and JSON holding the same numbers train identically', async () => {
    const a = await trainJson(spec, '--data', tmpFile('d.csv'), '--steps', '5', '--no-save');
    const b = await trainJson(spec, '--data', tmpFile('d.json'), '--steps', '5', '--no-save');
    expect(a.losses).toEqual(b.losses);
    expect(a.evalOn).toBe('training data, 20 examples');
  });
  it('N steps then M more with --resume equals N + M at once, bit for bit', async () => {
    const all = await trainJson(spec, '--data', tmpFile('d.csv'), '--steps', '6', '--out', tmpFile('all.json'));
    await trainJson(spec, '--data', tmpFile('d.csv'), '--steps', '3', '--out', tmpFile('half.json'));
    const rest = await trainJson(spec, '--data', tmpFile('d.csv'), '--steps', '3', '--resume', tmpFile('half.json'), '--out', tmpFile('rest.json'));
    expect(rest.losses).toEqual(all.losses.slice(3));
    expect(JSON.parse(fs.readFileSync(tmpFile('rest.json'), 'utf8')).params).toEqual(JSON.parse(fs.readFileSync(tmpFile('all.json'), 'utf8')).params);
  });
  it('--loss mse against values, and a loss plot', async () => {
    fs.writeFileSync(tmpFile('r.json'), JSON.stringify({ x: rows.map((r) => r.slice(0, 3)), y: rows.map((r) => [r[0]! + r[1]!, 0, r[2]!, 1]) }));
    const r = await cli('train', spec, '--data', tmpFile('r.json'), '--steps', '4', '--no-save', '--loss-svg', tmpFile('loss.svg'));
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/loss mean squared error; batches of 8/);
    expect(r.out).toMatch(/^train set loss [\d.e-]+ \(training data, 20 examples\)$/m);
    expect(fs.readFileSync(tmpFile('loss.svg'), 'utf8')).toContain('mean squared error');
  });
  it('problems are one message each, exit code 1', async () => {
    const both = await cli('train', spec, '--data', tmpFile('d.csv'), '--task', 'spirals');
    expect([both.code, both.err]).toEqual([1, 'catoptric train: pass either --task or --data, not both\n']);
    const valid = await cli('train', spec, '--valid', tmpFile('d.csv'));
    expect(valid.err).toBe('catoptric train: --valid goes with --data FILE (tasks bring their own held-out data and loss)\n');
    fs.writeFileSync(tmpFile('wide.csv'), 'a,b,y\n1,2,0\n');
    const wide = await cli('train', spec, '--data', tmpFile('wide.csv'));
    expect(wide.err).toBe(
      `catoptric train: ${tmpFile('wide.csv')}: x: examples of shape [2] do not fit input 0 of the spec, [8,3] (each example [3]); the first axis of an array runs over examples\n`,
    );
    const bad = await cli('train', spec, '--data', tmpFile('d.csv'), '--loss', 'hinge');
    expect(bad.err).toBe('catoptric train: --loss expects one of xent, mse, got "hinge"\n');
  });
});

describe('catoptric diagram --loss', () => {
  it('draws the loss box train appends', async () => {
    const r = await cli('diagram', 'examples/pooling/mcb-fusion.json', '--loss', 'xent');
    expect(r.code).toBe(0);
    expect(r.out).toContain('data-prim="softmax_xent"');
    expect(r.out).toContain('mcb-fusion with its xent loss');
    const g = await cli('diagram', 'examples/tensor-product/gaunt.json', '--loss', 'mse');
    expect(g.out.match(/data-prim="mse"/g)).toHaveLength(2);
  });
});
