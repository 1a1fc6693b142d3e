/**
 * The small data sets shipped beside the example specs that no built-in task fits, so that every
 * example spec trains from the command line (`catoptric train SPEC --data FILE`). Each is a pure
 * function of fixed seeds; `npm run example:datasets` writes them and `test/example-data.test.ts`
 * checks that the committed files are exactly these.
 */
import { checkOrThrow, initParams, jsBackend, lowerOrThrow, rng, type HostTensor, type Rng } from 'catoptric';
import * as fs from 'node:fs';
import { loadSpec } from '../../src/term/codec';
import type { NdArray } from '../../src/cli/npy';
import * as E from 'fp-ts/lib/Either.js';

const normals = (shape: number[], r: Rng): NdArray => {
  const n = shape.reduce((a, b) => a * b, 1);
  // Rounded to 1/64 so the stored float32 values are exact and the file reads the same everywhere.
  return { shape, data: Float64Array.from({ length: n }, () => Math.round(64 * r.normal()) / 64) };
};

/**
 * `examples/pooling/mcb-fusion.json`: pairs x [64], y [48] labelled by a hidden bilinear teacher,
 * label = argmax_k zᵀ M_k w over 10 classes, where x = P z and y = Q w come from 6-dimensional codes
 * z, w (plus a little noise) — an interaction of the two inputs that no sum of separate features of
 * x and y can express, which is what bilinear pooling is for. The training and validation splits
 * share the teacher and draw their own pairs.
 */
export const mcbFusionData = (n: number, split: 'train' | 'valid'): Array<[string, NdArray]> => {
  const r = rng('mcb-fusion-data');
  const code = 6;
  const rt = r.fork('teacher');
  const P = Float64Array.from({ length: 64 * code }, () => rt.normal() / Math.sqrt(code));
  const Q = Float64Array.from({ length: 48 * code }, () => rt.normal() / Math.sqrt(code));
  const M = Float64Array.from({ length: 10 * code * code }, () => rt.normal());
  const rs = r.fork(split);
  const x = new Float64Array(n * 64);
  const y = new Float64Array(n * 48);
  const labels = new Float64Array(n);
  const q = (v: number) => Math.round(64 * v) / 64; // exact in float32
  for (let i = 0; i < n; i++) {
    const z = Array.from({ length: code }, () => rs.normal());
    const w = Array.from({ length: code }, () => rs.normal());
    for (let a = 0; a < 64; a++) x[i * 64 + a] = q(z.reduce((s, zc, c) => s + P[a * code + c]! * zc, 0) + 0.1 * rs.normal());
    for (let b = 0; b < 48; b++) y[i * 48 + b] = q(w.reduce((s, wc, c) => s + Q[b * code + c]! * wc, 0) + 0.1 * rs.normal());
    let best = 0;
    let bestV = -Infinity;
    for (let k = 0; k < 10; k++) {
      let v = 0;
      for (let c = 0; c < code; c++) for (let d = 0; d < code; d++) v += z[c]! * M[(k * code + c) * code + d]! * w[d]!;
      if (v > bestV) [bestV, best] = [v, k];
    }
    labels[i] = best;
  }
  return [['x0', { shape: [n, 64], data: x }], ['x1', { shape: [n, 48], data: y }], ['y', { shape: [n], data: labels }]];
};

/**
 * `examples/tensor-product/gaunt.json`: four irrep features per example and, as targets, what the
 * same two products compute with hidden teacher weights (1 + 0.5·noise instead of the initial 1s),
 * so the model can fit them exactly and the loss goes to zero.
 */
export const gauntData = (n = 32): Array<[string, NdArray]> => {
  const text = fs.readFileSync(new URL('../tensor-product/gaunt.json', import.meta.url), 'utf8');
  const spec = loadSpec(text);
  if (E.isLeft(spec)) throw new Error(spec.left.map((i) => i.message).join('; '));
  const { doc } = spec.right;
  const B = doc.inputs[0]![0]!;
  const per = doc.inputs.map((s) => s.slice(1));
  const r = rng('gaunt-data');
  const xs = per.map((s, i) => normals([n, ...s], r.fork(`x${i}`)));
  const model = checkOrThrow(doc.model, doc.inputs);
  const rt = r.fork('teacher');
  const teacher = Object.fromEntries(
    Object.entries(initParams(model, 0, 'float64')).map(([k, p]) => [k, { shape: p.shape, data: p.data.map((v) => v + 0.5 * rt.normal()) } as HostTensor]),
  );
  const be = jsBackend('float64');
  const prog = lowerOrThrow(model, be);
  const outs = model.root.outputs.map((s) => ({ shape: [n, ...s.slice(1)], data: new Float64Array(n * (s.slice(1).reduce((a, b) => a * b, 1))) }));
  for (let start = 0; start < n; start += B) {
    const inputs = xs.map((x, i) => {
      const size = per[i]!.reduce((a, b) => a * b, 1);
      return { shape: [B, ...per[i]!], data: Float64Array.from(x.data.subarray(start * size, (start + B) * size)) };
    });
    const { outputs } = prog.forward(teacher, inputs.map((t) => be.upload(t)));
    outputs.forEach((o, j) => {
      const h = be.download(o);
      // Rounded like the inputs, so the float32 file holds the targets exactly.
      outs[j]!.data.set(Array.from(h.data, (v) => Math.round(4096 * v) / 4096), start * (h.data.length / B));
    });
  }
  return [...xs.map((x, i) => [`x${i}`, x] as [string, NdArray]), ...outs.map((o, j) => [`y${j}`, o] as [string, NdArray])];
};

/** Every shipped data set: where it goes and how it is made. */
export const datasets: ReadonlyArray<{ readonly file: string; readonly make: () => Array<[string, NdArray]> }> = [
  { file: 'examples/pooling/mcb-fusion.data.npz', make: () => mcbFusionData(256, 'train') },
  { file: 'examples/pooling/mcb-fusion.valid.npz', make: () => mcbFusionData(128, 'valid') },
  { file: 'examples/tensor-product/gaunt.data.npz', make: () => gauntData() },
];
