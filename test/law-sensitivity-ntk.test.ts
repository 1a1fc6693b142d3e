import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  closedFormMatchesPerExample, finiteDifferenceJacobian, gramOfJacobian, ntkChunkingAgrees, ntkIsPsd, ntkMatchesJacobian, ntkPlanInvariant, ntkProperty,
  relativeDifference,
} from '../laws/ntk';
import { checkOrThrow, id, initParams, jsBackend, lowerOrThrow, ntkOrThrow, par, prim, randn, recomputeAll, rng, seq, storeAll, type HostTensor } from '../src/index';
import { copy } from '../src/term/term';
import { largestScaled, scaled, tampered } from './tampered';

/**
 * Law sensitivity for the NTK laws (laws/ntk.ts): each law passes the kernels as they are and fails
 * one parameter gradient nudged, plans that keep the same residuals, a budget that forces nothing,
 * a model without a closed form; the helpers against values worked by hand.
 */
const f64 = jsBackend('float64');
const f32 = jsBackend('float32');
const t = (shape: number[], xs: number[]): HostTensor => ({ shape, data: Float64Array.from(xs) });

/**
 * f64 with its tanh changed after every run by `change(1 + 1e-9·n)` on the n-th call: a plan that
 * recomputes sees other values than one that stores.
 */
const driftingTanh = (change: (by: number) => (h: HostTensor) => HostTensor) => {
  let calls = 0;
  return {
    ...f64,
    kernel: (p: string) => {
      const k = f64.kernel(p);
      if (!k || p !== 'tanh') return k;
      return { ...k, forward: (n: Parameters<typeof k.forward>[0], ps: Parameters<typeof k.forward>[1], xs: Parameters<typeof k.forward>[2]) => {
        const r = k.forward(n, ps, xs);
        calls++;
        return { ...r, outputs: r.outputs.map((o) => f64.upload(change(1 + 1e-9 * calls)(f64.download(o)))) };
      } };
    },
  };
};

describe('helpers by hand', () => {
  it('relativeDifference: max |a − b| / max |b|; absolute when b = 0; ∞ for sizes or non-finite', () => {
    expect(relativeDifference(Float64Array.from([1, 2, 3]), Float64Array.from([1, -4, 3.5]))).toBe(6 / 4);
    expect(relativeDifference(Float64Array.from([0.5, 0]), Float64Array.from([0, 0]))).toBe(0.5);
    expect(relativeDifference(Float64Array.from([1]), Float64Array.from([1, 2]))).toBe(Infinity);
    expect(relativeDifference(Float64Array.from([NaN, 1]), Float64Array.from([1, 1]))).toBe(Infinity);
    expect(relativeDifference(Float64Array.from([1, Infinity]), Float64Array.from([1, 1]))).toBe(Infinity);
  });
  it('gramOfJacobian: J Jᵀ over (example, output) rows, or summed over outputs', () => {
    // 2 examples × 2 outputs, 2 parameters: rows (0,0) = [1, 2], (0,1) = [0, 1], (1,0) = [3, 0], (1,1) = [1, 1].
    const jac = { J: Float64Array.from([1, 2, 0, 1, 3, 0, 1, 1]), rows: 4, cols: 2 };
    expect([...gramOfJacobian(jac, 2, 'full')]).toEqual([5, 2, 3, 3, 2, 1, 0, 1, 3, 0, 9, 3, 3, 1, 3, 2]);
    // trace: K[i, j] = Σ_a J(i,a)·J(j,a): K00 = 5 + 1, K01 = 3 + 1, K11 = 9 + 2.
    expect([...gramOfJacobian(jac, 2, 'trace')]).toEqual([6, 4, 4, 11]);
  });
  it('finiteDifferenceJacobian: forward differences with h = step · max(1, |θ|), rows per example', () => {
    // y = tanh(x·w + b), one output, two examples; w = [3, 0.5] (so |θ| > 1 for one entry), b = 0.2.
    const m = checkOrThrow(seq(prim('linear', { out: 1 }), prim('tanh')), [[2, 2]]);
    const keys = [...m.params.keys()];
    expect(keys).toEqual(['0.w', '0.b']);
    const params = { '0.w': t([2, 1], [3, 0.5]), '0.b': t([1], [0.2]) };
    const x = t([2, 2], [0.1, -0.4, 0.3, 0.2]);
    const step = 0.1;
    const jac = finiteDifferenceJacobian(m, f64, params, [x], step);
    expect([jac.rows, jac.cols]).toEqual([2, 3]);
    const theta = [3, 0.5, 0.2];
    for (let i = 0; i < 2; i++) {
      const xs = [x.data[2 * i]!, x.data[2 * i + 1]!, 1];
      const z = xs[0]! * 3 + xs[1]! * 0.5 + 0.2;
      for (let c = 0; c < 3; c++) {
        const h = step * Math.max(1, Math.abs(theta[c]!));
        expect(jac.J[i * 3 + c]).toBeCloseTo((Math.tanh(z + xs[c]! * h) - Math.tanh(z)) / h, 12);
      }
    }
  });
  it('finiteDifferenceJacobian: the outputs of several wires laid out example by example', () => {
    // y = x w (w = [2, −1]), then the wires y and tanh(y): example i's rows are [y_i0, y_i1, tanh y_i0, tanh y_i1].
    const m = checkOrThrow(seq(prim('linear', { out: 2, bias: false }), copy(2), par(id(1), prim('tanh'))), [[2, 1]]);
    const params = { '0.w': t([1, 2], [2, -1]) };
    expect([...m.params.keys()]).toEqual(['0.w']);
    const xs = [0.3, -0.5];
    const jac = finiteDifferenceJacobian(m, f64, params, [t([2, 1], xs)]);
    expect([jac.rows, jac.cols]).toEqual([8, 2]);
    // dy[i, a]/dw[0, c] = x_i δ(a, c); d tanh(y_ia)/dw[0, c] = (1 − tanh² y_ia) x_i δ(a, c).
    xs.forEach((xi, i) => {
      const y = [2 * xi, -xi];
      const want = [xi, 0, 0, xi, (1 - Math.tanh(y[0]!) ** 2) * xi, 0, 0, (1 - Math.tanh(y[1]!) ** 2) * xi];
      want.forEach((v, k) => expect(jac.J[i * 8 + k], `example ${i}, entry ${k}`).toBeCloseTo(v, 6));
    });
  });
  it('finiteDifferenceJacobian refuses a float32 reference, naming it', () => {
    const m = checkOrThrow(prim('linear', { out: 1 }), [[2, 2]]);
    expect(() => finiteDifferenceJacobian(m, f32, initParams(m, 1, 'float64'), [randn([2, 2], rng(1))])).toThrow(
      /^finiteDifferenceJacobian: the reference backend must compute in float64, 'js' is float32$/,
    );
  });
  it('ntkIsPsd: the eigenvalue bound relative to the trace, and a zero trace', () => {
    const almost = { K: Float64Array.from([1, 0, 0, -1e-11]), size: 2 };
    const rep = ntkIsPsd(almost);
    expect(rep.ok).toBe(true);
    expect(rep.worst).toBeCloseTo(1e-11 / (1 - 1e-11), 20);
    expect(rep.detail).toBe(`smallest eigenvalue ${-1e-11}, trace ${1 - 1e-11} (allowed ${-1e-10 * (1 - 1e-11)})`);
    expect(ntkIsPsd(almost, 1e-12).ok).toBe(false);
    // Trace 4: the bound is −eps · 4 and the worst −min / 4.
    const four = ntkIsPsd({ K: Float64Array.from([4 + 2e-10, 0, 0, -2e-10]), size: 2 });
    expect(four.ok).toBe(true);
    expect(four.worst).toBe(2e-10 / 4);
    const zero = ntkIsPsd({ K: new Float64Array(4), size: 2 });
    expect(zero.ok).toBe(false);
    expect(zero.worst).toBe(Infinity);
    expect(ntkIsPsd({ K: Float64Array.from([1, 0, -0, 1]), size: 2 })).toMatchObject({ ok: false, worst: Infinity, detail: 'K[1,0] = 0 but K[0,1] = 0' });
    // 3 × 3: the asymmetry in the last row is found.
    expect(ntkIsPsd({ K: Float64Array.from([2, 0, 0, 0, 2, 1, 0, 1.5, 2]), size: 3 }).detail).toBe('K[2,1] = 1.5 but K[1,2] = 1');
  });
});

describe('the laws reject a wrong kernel', () => {
  const mlp = checkOrThrow(seq(prim('linear', { out: 3 }), prim('tanh'), prim('linear', { out: 2 })), [[3, 2]]);
  const params = initParams(mlp, 2, 'float64');
  const x = [randn([3, 2], rng(2).fork('x'))];
  // K's closed forms read the cotangents reaching each linear layer (a wrong dInput changes them); the
  // per-example path reads each layer's own parameter gradient (a wrong dParam changes that alone).
  const nudged = tampered(f64, 'linear', { dInput: scaled(1 + 1e-4) });
  const nudgedParam = tampered(f64, 'linear', { dParam: largestScaled(1 + 1e-4) });
  it('K = J Jᵀ: passes, then fails with the input gradients of linear ×(1+1e-4) (float64 rtol 1e-5)', () => {
    for (const outputs of ['trace', 'full'] as const) {
      const ok = ntkMatchesJacobian(mlp, f64, f64, params, x, { outputs });
      expect(ok.ok, ok.detail).toBe(true);
      expect(ok.detail).toMatch(new RegExp(`^max \\|K − J Jᵀ\\| / max \\|J Jᵀ\\| = .* \\(rtol 0\\.00001\\); ${outputs === 'full' ? 6 : 3}×${outputs === 'full' ? 6 : 3}, \\{"0":"closed-form","2":"closed-form"\\}$`));
      const bad = ntkMatchesJacobian(mlp, nudged, f64, params, x, { outputs });
      expect(bad.ok).toBe(false);
      expect(bad.worst).toBeGreaterThan(1e-5);
      expect(bad.worst).toBeLessThan(1e-3);
      // float32's default tolerance (2e-3) lets the same error through.
      expect(ntkMatchesJacobian(mlp, tampered(f32, 'linear', { dInput: scaled(1 + 1e-4) }), f64, params, x, { outputs }).ok).toBe(true);
    }
  });
  it('K = J Jᵀ needs a nonzero J Jᵀ', () => {
    // No biases and zero weights: every parameter's derivative is 0, so K = J Jᵀ = 0 exactly.
    const flat = checkOrThrow(seq(prim('linear', { out: 3, bias: false }), prim('tanh'), prim('linear', { out: 2, bias: false })), [[3, 2]]);
    const zero = { '0.w': t([2, 3], [0, 0, 0, 0, 0, 0]), '2.w': t([3, 2], [0, 0, 0, 0, 0, 0]) };
    const rep = ntkMatchesJacobian(flat, f64, f64, zero, x, { outputs: 'full' });
    expect(rep.worst).toBe(0);
    expect(rep.ok).toBe(false);
  });
  it('closed forms = per-example: fails when the per-example VJPs are nudged, or when no closed form was used', () => {
    const ok = closedFormMatchesPerExample(mlp, f64, params, x, { outputs: 'full' });
    expect(ok.ok, ok.detail).toBe(true);
    expect(ok.detail).toBe(`closed form vs per-example: ${ok.worst} (rtol 1e-12); paths {"0":"closed-form","2":"closed-form"}`);
    expect(closedFormMatchesPerExample(mlp, nudged, params, x, { outputs: 'full' }).ok).toBe(true);
    const bad = closedFormMatchesPerExample(mlp, nudgedParam, params, x, { outputs: 'full' });
    expect(bad.ok).toBe(false);
    expect(bad.worst).toBeGreaterThan(1e-12);
    expect(closedFormMatchesPerExample(mlp, nudgedParam, params, x, { outputs: 'full', rtol: 1e-3 }).ok).toBe(true);
    const rms = checkOrThrow(prim('rmsnorm'), [[3, 4]]);
    const none = closedFormMatchesPerExample(rms, f64, initParams(rms, 1, 'float64'), [randn([3, 4], rng(1))]);
    expect(none.worst).toBe(0);
    expect(none.ok).toBe(false);
  });
  it('plan invariance: fails when a plan changes K, or when the plans keep the same residuals', () => {
    const ok = ntkPlanInvariant(mlp, f64, [storeAll, recomputeAll], params, x);
    expect(ok).toMatchObject({ ok: true, worst: 0, detail: '2 plans: K agrees bit for bit; residuals differ' });
    expect(ntkPlanInvariant(mlp, f64, [storeAll, recomputeAll], params, x, { rtol: 1e-12 })).toMatchObject({ ok: true, detail: '2 plans: K agrees within 1e-12; residuals differ' });
    const same = ntkPlanInvariant(mlp, f64, [storeAll, {}], params, x);
    expect(same).toMatchObject({ ok: false, detail: '2 plans: K agrees bit for bit; residuals do not all differ from the first plan' });
    // A tanh whose every run drifts by 1e-9 more: a recomputing plan sees other values than a storing one.
    const drifting = driftingTanh(scaled);
    const differs = ntkPlanInvariant(mlp, drifting, [storeAll, recomputeAll], params, x);
    expect(differs.ok).toBe(false);
    expect(differs.worst).toBeGreaterThan(0);
    expect(differs.detail).toBe(`2 plans: K differs by ${differs.worst} (wanted bit for bit); residuals differ`);
    expect(ntkPlanInvariant(mlp, drifting, [storeAll, recomputeAll], params, x, { rtol: 1e-3 }).ok).toBe(true);
    expect(ntkPlanInvariant(mlp, drifting, [storeAll, recomputeAll], params, x, { rtol: 1e-15 }).ok).toBe(false);
    // Three plans, the third keeping what the first keeps.
    expect(ntkPlanInvariant(mlp, f64, [storeAll, recomputeAll, {}], params, x).ok).toBe(false);
    // A drift in example 0 only: K differs in its row and column, and agrees everywhere else; the law
    // must ask every entry to agree, not some.
    const rowDrift = driftingTanh((by) => (h) => {
      const width = h.shape[h.shape.length - 1]!;
      const data = h.data.slice();
      for (let j = 0; j < width; j++) data[j] = data[j]! * by;
      return { shape: h.shape, data };
    });
    const oneRow = ntkPlanInvariant(mlp, rowDrift, [storeAll, recomputeAll], params, x);
    expect(oneRow.ok).toBe(false);
    expect(oneRow.detail).toBe(`2 plans: K differs by ${oneRow.worst} (wanted bit for bit); residuals differ`);
    // Chunking on the drifting kernel: the chunked K is not the whole batch's.
    const whole = ntkOrThrow(lowerOrThrow(mlp, f64), params, x, { backend: f64 });
    const chunked = ntkChunkingAgrees(mlp, drifting, params, x, whole.plannedBytes - 1);
    expect(chunked.worst).toBeGreaterThan(1e-12);
    expect(chunked.ok).toBe(false);
  });
  it('chunking: passes under a budget that forces chunks, fails under one that does not', () => {
    const whole = ntkOrThrow(lowerOrThrow(mlp, f64), params, x, { backend: f64, outputs: 'full' });
    const ok = ntkChunkingAgrees(mlp, f64, params, x, whole.plannedBytes - 1, { outputs: 'full' });
    expect(ok.ok, ok.detail).toBe(true);
    expect(ok.strategy).not.toBe('whole');
    expect(ok.plannedBytes).toBeLessThan(whole.plannedBytes);
    expect(ok.detail).toMatch(new RegExp(`^${ok.strategy} in chunks of \\d+ \\(\\d+ runs, ${ok.plannedBytes} of ${whole.plannedBytes - 1} bytes\\): ${ok.worst} from the whole batch$`));
    // The plan is passed on: its chunk runs' bytes are planned under it.
    const rec = ntkChunkingAgrees(mlp, f64, params, x, whole.plannedBytes - 1, { outputs: 'full', plan: recomputeAll });
    const direct = ntkOrThrow(lowerOrThrow(mlp, f64, recomputeAll), params, x, { backend: f64, outputs: 'full', budget: whole.plannedBytes - 1 });
    expect(rec.plannedBytes).toBe(direct.plannedBytes);
    expect(rec.plannedBytes).not.toBe(ok.plannedBytes);
    expect(() => ntkChunkingAgrees(mlp, f64, params, x, 10)).toThrow(/budget of 10 bytes is too small/);
    const loose = ntkChunkingAgrees(mlp, f64, params, x, whole.plannedBytes, { outputs: 'full' });
    expect(loose.strategy).toBe('whole');
    expect(loose.ok).toBe(false);
  });
  it('ntkProperty: holds for the kernel, fails for the nudged one', () => {
    const sample = (s: number) => ({ params: initParams(mlp, s, 'float64'), inputs: [randn([3, 2], rng(s).fork('x'))] });
    expect(fc.check(ntkProperty(mlp, f64, f64, sample), { numRuns: 1, seed: 3 }).failed).toBe(false);
    expect(fc.check(ntkProperty(mlp, nudged, f64, sample), { numRuns: 1, seed: 3 }).failed).toBe(true);
    // PSD half: a float32 backend is held to eps 1e-5, and its K passes.
    expect(fc.check(ntkProperty(mlp, f32, f64, sample), { numRuns: 1, seed: 3 }).failed).toBe(false);
  });
});
