import * as E from 'fp-ts/lib/Either.js';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compareRuns } from '../laws/conformance';
import { ORT_TOL, runReference } from '../laws/ort';
import { run } from '../src/cli/run';
import { jsBackend } from '../src/index';
import { decodeOnnxModel } from '../src/onnx/proto';
import type { OnnxManifest } from '../src/onnx/export';
import { loadOrt } from '../src/onnx/runtime';
import '../src/tasks';
import { prepareTask } from '../src/tasks/task';
import { loadSpec } from '../src/term/codec';
import { randn, rng } from '../src/tensor/rng';
import type { HostTensor } from '../src/tensor/tensor';
import { initParams } from '../src/train/init';
import { cli, exampleSpecs } from './cli-harness';

const ort = await loadOrt();
const skipReason = ort instanceof Error ? ` (skipped: ${ort.message})` : '';
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'catoptric-onnx-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));


const examples = exampleSpecs();

/** Valid inputs for a spec: its task's first batch, else standard normals. */
const inputsOf = (file: string): { spec: ReturnType<typeof loadSpec>; inputs: HostTensor[] } => {
  const spec = loadSpec(fs.readFileSync(file, 'utf8'));
  if (E.isLeft(spec)) throw new Error(`${file} does not load`);
  const { doc, model } = spec.right;
  if (doc.task) {
    const t = prepareTask(doc.task.name, doc.task.options, { inputs: doc.inputs, output: model.root.outputs[0]!, seed: 0, dtype: 'float32' });
    if (E.isLeft(t)) throw new Error(`${file}: task does not prepare`);
    return { spec, inputs: [...t.right.batch(0).inputs] };
  }
  return { spec, inputs: doc.inputs.map((s, i) => randn(s, rng(0).fork(`x${i}`))) };
};

describe('catoptric export', () => {
  it('has --help and refuses unknown flags', async () => {
    expect((await cli('export', '--help')).out).toMatch(/--onnx DIR/);
    const r = await cli('export', 'examples/spirals/spirals.json', '--onnx', tmp, '--frobnicate');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/unknown option/);
  });

  it('names the plan file and the node for a plan that does not fit', async () => {
    const p = path.join(tmp, 'bad-plan.json');
    fs.writeFileSync(p, JSON.stringify({ remat: ['nope'] }));
    const r = await cli('export', 'examples/spirals/spirals.json', '--onnx', path.join(tmp, 'bad'), '--plan', p);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`${p}: plan: cannot export: nope: plan refers to a node that does not exist`);
  });

  for (const file of examples)
    describe.skipIf(ort instanceof Error)(`${file}${skipReason}`, () => {
      it('exports; the forward graph loads in onnxruntime-node and matches the js backend; the backward graph too', async () => {
        if (ort instanceof Error) return;
        const dir = path.join(tmp, path.basename(file, '.json'));
        const r = await cli('export', file, '--onnx', dir, '--json');
        expect(r.err).toBe('');
        expect(r.code).toBe(0);
        const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as OnnxManifest;
        const { spec, inputs } = inputsOf(file);
        if (E.isLeft(spec)) return;
        const { doc, model } = spec.right;
        const params = initParams(model, 0, 'float64');
        const f32 = (t: HostTensor) => new ort.Tensor('float32', Float32Array.from(t.data), t.shape);
        // Forward: the files as written, read back from disk.
        const fwdBytes = new Uint8Array(fs.readFileSync(path.join(dir, 'forward.onnx')));
        expect(decodeOnnxModel(fwdBytes).graph.outputs.map((o) => o.name)).toEqual([...manifest.outputs, ...manifest.residual].map((o) => o.name));
        const fs_ = await ort.InferenceSession.create(fwdBytes);
        const feeds = Object.fromEntries([...manifest.params.map((p) => [p.name, f32(params[p.name]!)]), ...manifest.inputs.map((x, i) => [x.name, f32(inputs[i]!)])]);
        const out = await fs_.run(feeds);
        const dys = model.root.outputs.map((s, i) => randn(s, rng(1).fork(`dy${i}`)));
        const ref = runReference(model, jsBackend('float64'), (doc.plan ?? {}) as never, params, inputs, dys);
        const host = (t: { dims: readonly number[]; data: unknown }): HostTensor => ({ shape: [...t.dims], data: t.data as Float32Array });
        // Backward, fed the forward graph's residual outputs by name.
        const bs = await ort.InferenceSession.create(new Uint8Array(fs.readFileSync(path.join(dir, 'backward.onnx'))));
        const bfeeds = Object.fromEntries([
          ...manifest.params.map((p) => [p.name, f32(params[p.name]!)]),
          ...manifest.residual.map((x) => [x.name, out[x.name]!]),
          ...manifest.outputGrads.map((x, i) => [x.name, f32(dys[i]!)]),
        ]);
        const bout = await bs.run(bfeeds);
        const dInputs: (HostTensor | null)[] = manifest.inputs.map(() => null);
        for (const g of manifest.inputGrads) dInputs[g.input] = host(bout[g.name]!);
        const got = {
          outputs: manifest.outputs.map((o) => host(out[o.name]!)),
          dInputs,
          dParams: Object.fromEntries(manifest.paramGrads.map((g) => [g.param, host(bout[g.name]!)])),
        };
        // Inputs that carry no gradient on the reference (ids, labels) have none in the manifest either.
        ref.dInputs.forEach((d, i) => expect(d === null, `input ${i} gradient presence`).toBe(dInputs[i] === null));
        // Outputs: within the wasm tolerance of float64 JS.
        const co = compareRuns({ outputs: got.outputs, dInputs: [], dParams: {} }, { outputs: ref.outputs, dInputs: [], dParams: {} }, ORT_TOL);
        expect(co.worst, co.where).toBeLessThanOrEqual(1);
        // Gradients: the same tolerance, unless float32 itself cannot meet it on this model (mcb-fusion's
        // signed square root at ε = 1e-8 amplifies float32 rounding near 0 by 1/(2√ε)); then within 4×
        // the JS backend's own float32 error.
        const js32 = compareRuns(runReference(model, jsBackend('float32'), (doc.plan ?? {}) as never, params, inputs, dys), ref, ORT_TOL);
        const c = compareRuns(got, ref, ORT_TOL);
        expect(c.worst, `${c.where} (js float32: ${js32.worst} at ${js32.where})`).toBeLessThanOrEqual(Math.max(1, 4 * js32.worst));
        await fs_.release();
        await bs.release();
      });
    });
});

describe.skipIf(ort instanceof Error)(`catoptric train --backend ort${skipReason}`, () => {
  const final = async (spec: string, task: string, backend: string) => {
    const r = await cli('train', spec, '--task', task, '--backend', backend, '--steps', '50', '--no-save', '--json');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const s = JSON.parse(r.out) as { losses: number[]; backend: string };
    expect(s.backend).toBe(backend);
    return s.losses[s.losses.length - 1]!;
  };
  for (const [spec, task] of [
    ['examples/spirals/spirals.json', 'spirals'],
    ['examples/parity/parity.json', 'parity'],
  ] as const)
    it(`${spec} --task ${task} --steps 50 ends within 1e-3 relative of --backend js`, async () => {
      const js = await final(spec, task, 'js');
      const o = await final(spec, task, 'ort');
      expect(Math.abs(o - js) / Math.abs(js)).toBeLessThan(1e-3);
    });

  it('--threads needs --backend ort or wasm; --dtype float64 is refused with a reason', async () => {
    const a = await cli('train', 'examples/spirals/spirals.json', '--steps', '1', '--threads', '2', '--no-save');
    expect(a.code).toBe(1);
    expect(a.err).toMatch(/--threads applies to --backend wasm or ort/);
    const b = await cli('train', 'examples/spirals/spirals.json', '--steps', '1', '--backend', 'ort', '--dtype', 'float64', '--no-save');
    expect(b.code).toBe(1);
    expect(b.err).toMatch(/ort backend computes in float32/);
  });
});
