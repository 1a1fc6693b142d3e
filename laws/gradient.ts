import fc from 'fast-check';
import type { Backend } from '../src/backend/backend';
import type { Program } from '../src/lower/program';
import { rng, randn } from '../src/tensor/rng';
import { csrDims } from '../src/tensor/shape';
import type { HostTensor } from '../src/tensor/tensor';
import { dot } from './compare';
import { FD_TOL } from './tolerance';

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

/**
 * A random direction in the tangent space of a wire: standard normals, except that a CSR wire moves
 * only its value slots (its pattern is discrete; see `csrShape`).
 */
const direction = (shape: readonly number[], r: ReturnType<typeof rng>): HostTensor => {
  const v = randn(shape, r);
  const c = csrDims(shape);
  if (c) v.data.fill(0, 0, c.rows + 1 + c.nnz);
  return v;
};

const run = <T>(program: Program<T>, be: Backend<T>, params: Record<string, HostTensor>, inputs: readonly HostTensor[]) => {
  const dev: Record<string, T> = {};
  for (const [k, p] of Object.entries(params)) dev[k] = be.upload(p);
  return program.forward(dev, inputs.map((x) => be.upload(x)));
};

/**
 * Backward equals the vector–Jacobian product, checked against central finite differences in
 * random directions: ⟨w, (f(x + εv) − f(x − εv)) / 2ε⟩ = ⟨backward(w), v⟩, with a random output
 * cotangent w, separately for each parameter and each differentiable input (those whose gradient
 * is not null), each with its own random direction v. Checking tensor by tensor names the tensor
 * whose gradient is wrong, and keeps a small error in one gradient from drowning in the others'
 * contributions to a single projection. The difference quotient is Richardson-extrapolated from
 * steps ε and ε/2, which removes its O(ε²) error: near a steep point (a signed square root close to
 * 0) the plain quotient is off by more than the tolerance. Use a float64 backend; defaults are
 * `FD_TOL`. The report carries the worst tensor's two sides.
 */
export const vjpMatchesFiniteDifferences = <T>(
  program: Program<T>,
  be: Backend<T>,
  params: Record<string, HostTensor>,
  inputs: readonly HostTensor[],
  seed: number,
  opts: { eps?: number; rtol?: number; atol?: number } = {},
): GradientReport => {
  const eps = opts.eps ?? FD_TOL.eps;
  const rtol = opts.rtol ?? FD_TOL.rtol;
  const atol = opts.atol ?? FD_TOL.atol;
  const r = rng(seed);
  const { outputs, residual } = run(program, be, params, inputs);
  const w = outputs.map((o) => randn(be.shapeOf(o), r.fork('w')));
  const { dInputs, dParams } = program.backward(residual, w.map((x) => be.upload(x)));
  /** ⟨w, (f(x + hv) − f(x − hv)) / 2h⟩ for a perturbation `at(h)` of the parameters and inputs. */
  const quotient = (at: (h: number) => { ps: Record<string, HostTensor>; xs: HostTensor[] }, h: number) => {
    const outs = (s: number) => {
      const { ps, xs } = at(s * h);
      return run(program, be, ps, xs).outputs.map((o) => be.download(o));
    };
    const plus = outs(1);
    const minus = outs(-1);
    let q = 0;
    w.forEach((wi, j) => {
      for (let i = 0; i < wi.data.length; i++) q += (wi.data[i]! * (plus[j]!.data[i]! - minus[j]!.data[i]!)) / (2 * h);
    });
    return q;
  };
  interface Target {
    readonly name: string;
    readonly grad: HostTensor;
    readonly v: HostTensor;
    readonly at: (h: number) => { ps: Record<string, HostTensor>; xs: HostTensor[] };
  }
  const targets: Target[] = [];
  for (const [k, p] of Object.entries(params)) {
    const v = randn(p.shape, r.fork(`p:${k}`));
    targets.push({ name: `parameter ${k}`, grad: be.download(dParams[k]!), v, at: (h) => ({ ps: { ...params, [k]: axpy(p, h, v) }, xs: [...inputs] }) });
  }
  inputs.forEach((x, i) => {
    if (dInputs[i] === null) return;
    const v = direction(x.shape, r.fork(`i:${i}`));
    targets.push({ name: `input ${i}`, grad: be.download(dInputs[i]!), v, at: (h) => ({ ps: params, xs: inputs.map((y, j) => (j === i ? axpy(y, h, v) : y)) }) });
  });
  let worst: GradientReport = { ok: true, lhs: 0, rhs: 0, detail: 'nothing to differentiate' };
  let worstRatio = -1;
  for (const t of targets) {
    const rhs = dot(t.grad.data, t.v.data);
    const half = quotient(t.at, eps / 2);
    const full = quotient(t.at, eps);
    const lhs = (4 * half - full) / 3;
    // Where the function is smooth the two quotients agree to O(eps²) and this term is negligible; near a
    // kink inside ±eps (signed square root at 0) finite differences themselves are unreliable, and the
    // disagreement of the two quotients measures by how much.
    const truncation = Math.abs(half - full);
    const bound = atol + rtol * Math.max(Math.abs(lhs), Math.abs(rhs)) + truncation;
    const ratio = Number.isFinite(lhs) && Number.isFinite(rhs) ? Math.abs(lhs - rhs) / bound : Infinity;
    if (ratio > worstRatio) {
      worstRatio = ratio;
      worst = { ok: ratio <= 1, lhs, rhs, detail: `${t.name}: finite differences ${lhs} vs backward ${rhs}` };
    }
  }
  return worst;
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
