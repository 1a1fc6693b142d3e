import fc from 'fast-check';
import type { Backend } from '../src/backend/backend';
import type { Program } from '../src/lower/program';
import { rng, randn } from '../src/tensor/rng';
import type { HostTensor } from '../src/tensor/tensor';
import { dot } from './compare';

/** What a gradient law saw: the two sides it compared. */
export interface GradientReport {
  readonly ok: boolean;
  readonly lhs: number;
  readonly rhs: number;
  readonly detail: string;
}

const axpy = (x: HostTensor, a: number, v: HostTensor): HostTensor => {
  const data = x.data.slice();
  for (let i = 0; i < data.length; i++) data[i] += a * v.data[i]!;
  return { shape: x.shape, data };
};

const run = <T>(program: Program<T>, be: Backend<T>, params: Record<string, HostTensor>, inputs: readonly HostTensor[]) => {
  const dev: Record<string, T> = {};
  for (const [k, p] of Object.entries(params)) dev[k] = be.upload(p);
  return program.forward(dev, inputs.map((x) => be.upload(x)));
};

/**
 * Backward equals the vector–Jacobian product, checked against central finite differences in a
 * random direction: ⟨w, (f(x + εv) − f(x − εv)) / 2ε⟩ = ⟨backward(w), v⟩, with random output
 * cotangent w and a random direction v over parameters and the differentiable inputs (those
 * whose gradient is not null). Use a float64 backend.
 */
export const vjpMatchesFiniteDifferences = <T>(
  program: Program<T>,
  be: Backend<T>,
  params: Record<string, HostTensor>,
  inputs: readonly HostTensor[],
  seed: number,
  opts: { eps?: number; rtol?: number; atol?: number } = {},
): GradientReport => {
  const eps = opts.eps ?? 1e-6;
  const rtol = opts.rtol ?? 1e-5;
  const atol = opts.atol ?? 1e-7;
  const r = rng(seed);
  const { outputs, residual } = run(program, be, params, inputs);
  const w = outputs.map((o) => randn(be.shapeOf(o), r.fork('w')));
  const { dInputs, dParams } = program.backward(residual, w.map((x) => be.upload(x)));
  const vP: Record<string, HostTensor> = {};
  for (const [k, p] of Object.entries(params)) vP[k] = randn(p.shape, r.fork(`p:${k}`));
  const vI = inputs.map((x, i) => (dInputs[i] === null ? null : randn(x.shape, r.fork(`i:${i}`))));
  let rhs = 0;
  for (const [k, v] of Object.entries(vP)) rhs += dot(be.download(dParams[k]!).data, v.data);
  vI.forEach((v, i) => {
    if (v) rhs += dot(be.download(dInputs[i]!).data, v.data);
  });
  const shifted = (s: number) => {
    const ps: Record<string, HostTensor> = {};
    for (const [k, p] of Object.entries(params)) ps[k] = axpy(p, s * eps, vP[k]!);
    const xs = inputs.map((x, i) => (vI[i] ? axpy(x, s * eps, vI[i]!) : x));
    return run(program, be, ps, xs).outputs.map((o) => be.download(o));
  };
  const plus = shifted(1);
  const minus = shifted(-1);
  let lhs = 0;
  w.forEach((wi, j) => {
    for (let i = 0; i < wi.data.length; i++) lhs += (wi.data[i]! * (plus[j]!.data[i]! - minus[j]!.data[i]!)) / (2 * eps);
  });
  const ok = Number.isFinite(lhs) && Number.isFinite(rhs) && Math.abs(lhs - rhs) <= atol + rtol * Math.max(Math.abs(lhs), Math.abs(rhs));
  return { ok, lhs, rhs, detail: `finite differences ${lhs} vs backward ${rhs}` };
};

/**
 * Backward is linear in the incoming gradient: backward(a·u + b·w) = a·backward(u) + b·backward(w),
 * compared as inner products with a random probe.
 */
export const backwardIsLinear = <T>(
  program: Program<T>,
  be: Backend<T>,
  params: Record<string, HostTensor>,
  inputs: readonly HostTensor[],
  seed: number,
  rtol = 1e-9,
): GradientReport => {
  const r = rng(seed);
  const { outputs, residual } = run(program, be, params, inputs);
  const u = outputs.map((o) => randn(be.shapeOf(o), r.fork('u')));
  const w = outputs.map((o) => randn(be.shapeOf(o), r.fork('w')));
  const a = r.normal();
  const b = r.normal();
  const comb = u.map((ui, j) => {
    const data = ui.data.slice();
    for (let i = 0; i < data.length; i++) data[i] = a * ui.data[i]! + b * w[j]!.data[i]!;
    return { shape: ui.shape, data };
  });
  const grad = (ct: HostTensor[]) => program.backward(residual, ct.map((x) => be.upload(x))).dParams;
  const gu = grad(u);
  const gw = grad(w);
  const gc = grad(comb);
  let lhs = 0;
  let rhs = 0;
  for (const k of Object.keys(gc)) {
    const probe = randn(be.shapeOf(gc[k]!), r.fork(k));
    lhs += dot(be.download(gc[k]!).data, probe.data);
    rhs += a * dot(be.download(gu[k]!).data, probe.data) + b * dot(be.download(gw[k]!).data, probe.data);
  }
  const ok = Math.abs(lhs - rhs) <= 1e-12 + rtol * Math.max(Math.abs(lhs), Math.abs(rhs));
  return { ok, lhs, rhs, detail: `backward(a·u + b·w) ${lhs} vs a·backward(u) + b·backward(w) ${rhs}` };
};

/** fast-check property: the VJP law over random seeds. */
export const vjpProperty = <T>(
  program: Program<T>,
  be: Backend<T>,
  sample: (seed: number) => { params: Record<string, HostTensor>; inputs: HostTensor[] },
  opts?: { eps?: number; rtol?: number; atol?: number },
) =>
  fc.property(fc.integer({ min: 0, max: 2 ** 31 - 1 }), (seed) => {
    const { params, inputs } = sample(seed);
    return vjpMatchesFiniteDifferences(program, be, params, inputs, seed, opts).ok;
  });
