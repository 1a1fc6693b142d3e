import { describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readDataFile, type DataFile } from '../src/cli/data';
import { dataMetrics, fitData } from '../src/cli/data-feed';
import { readNpy, readNpz, writeNpy, writeNpz, crc32 } from '../src/cli/npy';
import { UserError } from '../src/cli/args';

const fx = (f: string) => path.join('test', 'fixtures', 'data', f);
const read = (f: string) => readDataFile(f, (p) => fs.readFileSync(p));
const arr = (df: DataFile, name: string) => df.arrays.find((a) => a.name === name)!.array;
const errorOf = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(UserError);
    return (e as Error).message;
  }
  throw new Error('expected a UserError');
};

describe('arrays written by numpy (test/fixtures/data/make-fixtures.py)', () => {
  it('np.savez: names in order, float32 and int64 values exact', () => {
    const df = read(fx('savez.npz'));
    expect(df.arrays.map((a) => a.name)).toEqual(['x', 'y']);
    expect(arr(df, 'x').shape).toEqual([5, 3]);
    expect(Array.from(arr(df, 'x').data)).toEqual(Array.from({ length: 15 }, (_, i) => i / 4));
    expect(arr(df, 'y')).toEqual({ shape: [5], data: Float64Array.from([0, 1, 2, 1, 0]) });
  });
  it('np.savez_compressed: deflate, float64, Fortran order, big-endian, float16, uint8, bool, scalars, empty arrays', () => {
    const df = read(fx('savez-compressed.npz'));
    expect(df.arrays.map((a) => a.name)).toEqual(['f64', 'fortran', 'big', 'half', 'u8', 'b', 'scalar', 'empty']);
    expect(Array.from(arr(df, 'f64').data)).toEqual([1.5, -2.25, 3.0, 1e-300]);
    expect(arr(df, 'fortran')).toEqual({ shape: [2, 3], data: Float64Array.from([0, 1, 2, 3, 4, 5]) });
    expect(Array.from(arr(df, 'big').data)).toEqual([1, -0.5, 65504]);
    expect(Array.from(arr(df, 'half').data)).toEqual([1, -0.5, 65504, 2 ** -24]);
    expect(arr(df, 'u8')).toEqual({ shape: [1, 2], data: Float64Array.from([0, 255]) });
    expect(Array.from(arr(df, 'b').data)).toEqual([1, 0, 1]);
    expect(arr(df, 'scalar')).toEqual({ shape: [], data: Float64Array.from([7]) });
    expect(arr(df, 'empty').shape).toEqual([0, 4]);
  });
  it('np.save: one array, named x', () => {
    const df = read(fx('single.npy'));
    expect(df.arrays).toEqual([{ name: 'x', array: { shape: [4, 2], data: Float64Array.from({ length: 8 }, (_, i) => i - 3.5) } }]);
  });
  it('text arrays, damaged and truncated files are one clear error each', () => {
    expect(errorOf(() => read(fx('text.npy')))).toMatch(/^test\/fixtures\/data\/text\.npy: element type '<U1' is not supported; use numbers/);
    const npz = fs.readFileSync(fx('savez.npz'));
    const bad = Uint8Array.from(npz);
    bad[120] = bad[120]! ^ 0xff; // inside the first array's data
    expect(errorOf(() => readDataFile('bad.npz', () => bad))).toMatch(/bad\.npz: zip entry 'x\.npy' is damaged \(size or checksum does not match\)/);
    expect(errorOf(() => readDataFile('cut.npz', () => npz.subarray(0, 200)))).toMatch(/cut\.npz: not a \.npz file/);
    const npy = fs.readFileSync(fx('single.npy'));
    expect(errorOf(() => readDataFile('cut.npy', () => npy.subarray(0, 150)))).toMatch(/cut\.npy: shape \(4, 2\) needs 64 bytes of data, the file has 22/);
    expect(errorOf(() => readDataFile('x.parquet', () => npy))).toMatch(/unknown data format '\.parquet'; expected \.npz, \.npy, \.json or \.csv/);
    expect(errorOf(() => readDataFile('missing.npz', () => fs.readFileSync('no/such/file.npz')))).toBe('missing.npz: cannot read data: no such file');
  });
});

describe('writing .npy and .npz', () => {
  it('round trips through the reader, float32 and float64', () => {
    const a = { shape: [2, 3], data: Float64Array.from([1, -2, 0.5, 1e-3, 7, 8]) };
    expect(readNpy(writeNpy(a, 'float64'))).toEqual(a);
    expect(Array.from(readNpy(writeNpy(a, 'float32')).data)).toEqual(Array.from(Float32Array.from(a.data)));
    const z = readNpz(writeNpz([['p', a], ['q', { shape: [1], data: Float64Array.from([3]) }]], 'float64'));
    expect(z).toEqual([['p', a], ['q', { shape: [1], data: Float64Array.from([3]) }]]);
  });
  it('the header is padded to 64 bytes, as the format asks', () => {
    const b = writeNpy({ shape: [3], data: new Float64Array(3) });
    const hlen = b[8]! | (b[9]! << 8);
    expect((10 + hlen) % 64).toBe(0);
    expect(b.length).toBe(10 + hlen + 12);
    expect(new TextDecoder('latin1').decode(b.subarray(10, 10 + hlen))).toMatch(/^\{'descr': '<f4', 'fortran_order': False, 'shape': \(3,\), \} +\n$/);
  });
  it('crc32 is the zip checksum', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
  });
});

describe('JSON and CSV', () => {
  it('JSON: nested lists or {shape, data}, in order', () => {
    const df = read(fx('arrays.json'));
    expect(df.arrays.map((a) => [a.name, a.array.shape])).toEqual([['x', [3, 2]], ['y', [3]]]);
    expect(Array.from(arr(df, 'y').data)).toEqual([0, 1, 1]);
    const enc = (o: unknown) => new TextEncoder().encode(JSON.stringify(o));
    expect(errorOf(() => readDataFile('r.json', () => enc({ x: [[1, 2], [3]] })))).toMatch(/^r\.json: x\[1\]: expected a list of 2 \(the arrays are ragged\)/);
    expect(errorOf(() => readDataFile('s.json', () => enc({ x: [[1, 'a']] })))).toMatch(/^s\.json: x\[0\]\[1\]: expected a finite number, got "a"/);
    expect(errorOf(() => readDataFile('t.json', () => enc({ x: { shape: [2, 2], data: [1, 2, 3] } })))).toBe('t.json: x.data: shape [2,2] needs 4 numbers, got 3');
    expect(errorOf(() => readDataFile('u.json', () => enc([1, 2])))).toMatch(/^u\.json: expected an object of named arrays/);
  });
  it('CSV with a header: the label column is the target; comments and blank lines are skipped', () => {
    const df = read(fx('table.csv'));
    expect(df.flat).toBe(true);
    expect(arr(df, 'x')).toEqual({ shape: [3, 3], data: Float64Array.from([0.5, 1, 2, -1, 0.25, 3, 2, 2, 2]) });
    expect(arr(df, 'y')).toEqual({ shape: [3], data: Float64Array.from([1, 0, 2]) });
  });
  it('CSV without a header: the last column is the target', () => {
    const df = read(fx('noheader.csv'));
    expect(arr(df, 'x')).toEqual({ shape: [2, 2], data: Float64Array.from([1, 2, 3, 4]) });
    expect(arr(df, 'y').shape).toEqual([2]);
  });
  it('CSV problems name the line and column', () => {
    const enc = (s: string) => new TextEncoder().encode(s);
    expect(errorOf(() => readDataFile('a.csv', () => enc('a,y\n1,2\n3\n')))).toBe('a.csv: line 3: expected 2 values, got 1');
    expect(errorOf(() => readDataFile('b.csv', () => enc('a,y\n1,x\n')))).toBe("b.csv: line 2, column 'y': expected a number, got \"x\"");
    expect(errorOf(() => readDataFile('c.csv', () => enc('a,b\n1,2\n')))).toMatch(/^c\.csv: no target column; name it y, label or target/);
  });
});

describe('fitting arrays to a spec', () => {
  const nd = (shape: number[], f: (i: number) => number = (i) => i) => ({ shape, data: Float64Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => f(i)) });
  const file = (arrays: [string, ReturnType<typeof nd>][], flat = false): DataFile => ({ file: 'd.npz', arrays: arrays.map(([name, array]) => ({ name, array })), flat });
  const mlp = { inputs: [[4, 3]], outputs: [[4, 5]] };
  const opts = { seed: 0, dtype: 'float64' as const };

  it('by name: x/y, the loss inferred from the targets (class ids → xent, values → mse)', () => {
    const xent = fitData(file([['y', nd([10], (i) => i % 5)], ['x', nd([10, 3])]]), mlp, opts);
    expect(xent.loss).toBe('xent');
    expect(xent.describe).toMatch(/10 example\(s\) from d\.npz; inputs x → 0; targets y → output 0; loss softmax cross-entropy; batches of 4/);
    expect(fitData(file([['x', nd([10, 3])], ['y', nd([10, 5])]]), mlp, opts).loss).toBe('mse');
  });
  it('by order when no array has an x/y name; inputs left out are zeros', () => {
    const two = { inputs: [[2, 3], [2, 1, 4]], outputs: [[2, 2]] };
    const f = fitData(file([['feat', nd([6, 3])], ['lab', nd([6], (i) => i % 2)]]), two, opts);
    expect(f.describe).toMatch(/inputs feat → 0; targets lab → output 0; .*input 1 \[2,1,4\] is zeros/);
    const [x, s, y] = f.batch(0);
    expect(x!.shape).toEqual([2, 3]);
    expect(Array.from(s!.data)).toEqual(new Array(8).fill(0));
    expect(y!.shape).toEqual([2]);
  });
  it('batches are a pure function of (seed, step), and each epoch visits every example once', () => {
    const f = fitData(file([['x', nd([10, 3], (i) => Math.floor(i / 3))], ['y', nd([10], (i) => i % 5)]]), mlp, opts);
    const g = fitData(file([['x', nd([10, 3], (i) => Math.floor(i / 3))], ['y', nd([10], (i) => i % 5)]]), mlp, opts);
    expect(f.batch(7)).toEqual(g.batch(7));
    // Steps 0..4 draw 20 examples: two epochs of 10, each a permutation.
    const ids = [0, 1, 2, 3, 4].flatMap((s) => Array.from({ length: 4 }, (_, b) => f.batch(s)[0]!.data[3 * b]!));
    expect([...ids.slice(0, 10)].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect([...ids.slice(10)].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(ids.slice(0, 10)).not.toEqual(ids.slice(10));
    expect(fitData(file([['x', nd([10, 3])], ['y', nd([10], (i) => i % 5)]]), mlp, { ...opts, seed: 1 }).batch(0)).not.toEqual(f.batch(0));
  });
  it('passes cover every example once, the last batch padded', () => {
    const f = fitData(file([['x', nd([10, 3], (i) => Math.floor(i / 3))], ['y', nd([10], (i) => i % 5)]]), mlp, opts);
    const p = f.passes();
    expect(p.map((b) => b.rows)).toEqual([4, 4, 2]);
    expect(Array.from(p[2]!.feed[0]!.data).filter((_, i) => i % 3 === 0)).toEqual([8, 9, 0, 1]);
  });
  it('CSV rows are reshaped to the input shape when the sizes agree', () => {
    const f = fitData(file([['x', nd([3, 6])], ['y', nd([3], () => 1)]], true), { inputs: [[1, 2, 3]], outputs: [[1, 2]] }, opts);
    expect(f.batch(0)[0]!.shape).toEqual([1, 2, 3]);
  });
  it('metrics on the host: cross-entropy and accuracy over the real rows only', () => {
    const f = fitData(file([['x', nd([5, 3])], ['y', nd([5], (i) => i % 5)]]), mlp, opts);
    // A predictor that puts logit 1 on class 0 and 0 elsewhere: right on examples 0 only of 0..4.
    const m = dataMetrics(f, 1, () => [{ shape: [4, 5], data: Float64Array.from({ length: 20 }, (_, i) => (i % 5 === 0 ? 1 : 0)) }]);
    expect(m.accuracy).toBeCloseTo(1 / 5, 12);
    const ce0 = Math.log(Math.E + 4) - 1;
    const ceOther = Math.log(Math.E + 4);
    expect(m.loss).toBeCloseTo((ce0 + 4 * ceOther) / 5, 12);
  });
  it('shape and value problems name the file, the array and what was expected', () => {
    expect(errorOf(() => fitData(file([['x', nd([10, 4])], ['y', nd([10])]]), mlp, opts))).toBe(
      'd.npz: x: examples of shape [4] do not fit input 0 of the spec, [4,3] (each example [3]); the first axis of an array runs over examples',
    );
    expect(errorOf(() => fitData(file([['x', nd([10, 3])], ['y', nd([10, 2])]]), mlp, opts))).toBe(
      'd.npz: y: targets of shape [2] fit output 0 [4,5] neither as class ids [] (--loss xent) nor as values [5] (--loss mse)',
    );
    expect(errorOf(() => fitData(file([['x', nd([10, 3])], ['y', nd([10, 5])]]), mlp, { ...opts, loss: 'xent' }))).toBe(
      'd.npz: y: targets of shape [5] do not fit output 0 [4,5] under --loss xent: expected class ids of shape [] per example',
    );
    expect(errorOf(() => fitData(file([['x', nd([10, 3])], ['y', nd([10], (i) => i)]]), mlp, opts))).toBe(
      'd.npz: y: example 5 has label 5; with --loss xent a label is a class id 0…4 (output [4,5] has 5 classes)',
    );
    expect(errorOf(() => fitData(file([['x', nd([10, 3], (i) => (i === 7 ? NaN : i))], ['y', nd([10], () => 0)]]), mlp, opts))).toBe(
      'd.npz: x: example 2 holds NaN; every value must be finite',
    );
    expect(errorOf(() => fitData(file([['x', nd([10, 3])], ['y', nd([9], () => 0)]]), mlp, opts))).toBe(
      'd.npz: y: 9 examples, but x has 10; every array needs the same number of examples',
    );
    expect(errorOf(() => fitData(file([['x', nd([10, 3])], ['z', nd([10])]]), mlp, opts))).toMatch(/^d\.npz: array 'z' matches no input or target of the spec/);
    expect(errorOf(() => fitData(file([['x', nd([10, 3])]]), mlp, opts))).toBe('d.npz: no target for output 0 [4,5] (name it y)');
    expect(errorOf(() => fitData(file([['x', nd([10, 3])], ['y', nd([10])]]), { inputs: [[4, 3]], outputs: [[]] }, opts))).toMatch(
      /^d\.npz: training on data needs the spec's inputs and outputs to share a leading batch axis/,
    );
  });
});
