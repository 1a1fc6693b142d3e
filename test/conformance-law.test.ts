// The conformance and split laws' own machinery, on hand-made runs and on an independent reference:
// what `runCase` computes (inputs, parameters and output gradients from the seed), how `compareRuns`
// ranks and names a difference, that `conforms` checks every variant at the closeness bound, where
// `firstBitDifference` says two runs first differ, and `closeness`, `identical`, `runPrim` themselves.
import { describe, expect, it } from 'vitest';
import { closeness, identical, dot } from '../laws/compare';
import { type CaseRun, type ConformanceCase, compareRuns, conforms, runCase } from '../laws/conformance';
import { runPrim } from '../laws/prim-run';
import { firstBitDifference, splitIdentical } from '../laws/split';
import { F32_EQUIVARIANCE_TOL } from '../laws/tolerance';
import { basicCases } from '../laws/cases';
import type { Backend, SomeKernel } from '../src/backend/backend';
import { checkOrThrow, initParams, jsBackend, prim, randn, rng } from '../src/index';
import type { HostTensor } from '../src/tensor/tensor';
import { scaled, tampered } from './tampered';

const f64 = jsBackend('float64');
const t = (...v: number[]): HostTensor => ({ shape: [v.length], data: Float64Array.from(v) });
const run = (o: Partial<CaseRun> = {}): CaseRun => ({
  outputs: [t(1, 2), t(3)],
  dInputs: [t(4, 5), null],
  dParams: { w: t(6), b: t(7, 8) },
  ...o,
});
const tol = { rtol: 0, atol: 0.5 };

describe('compareRuns', () => {
  it('identical runs: worst 0, nowhere', () => expect(compareRuns(run(), run(), tol)).toEqual({ worst: 0, where: '' }));
  it('names the worst entry: output, input gradient or parameter gradient, with the tag after a space', () => {
    expect(compareRuns(run({ outputs: [t(1, 2), t(4)] }), run(), tol, 'v')).toEqual({ worst: 2, where: 'output 1 v' });
    expect(compareRuns(run({ dInputs: [t(4, 6.5), null] }), run(), tol)).toEqual({ worst: 3, where: 'input gradient 0' });
    expect(compareRuns(run({ dParams: { w: t(6), b: t(7, 10) } }), run(), tol, 'x')).toEqual({ worst: 4, where: 'parameter gradient b x' });
    // The largest wins, whatever comes first; a tie keeps the first.
    expect(compareRuns(run({ outputs: [t(1.5, 2), t(3)], dParams: { w: t(7), b: t(7, 8) } }), run(), tol)).toEqual({ worst: 2, where: 'parameter gradient w' });
    expect(compareRuns(run({ outputs: [t(2, 2), t(3)], dParams: { w: t(6.5), b: t(7, 8) } }), run(), tol)).toEqual({ worst: 2, where: 'output 0' });
    // rtol scales by the reference (the second run).
    expect(compareRuns(run({ outputs: [t(1, 2), t(5)] }), run(), { rtol: 0.5, atol: 0.5 }).worst).toBe(1);
  });
  it('counts, presence and missing tensors are infinitely far', () => {
    expect(compareRuns(run({ outputs: [t(1, 2)] }), run(), tol)).toEqual({ worst: Infinity, where: 'output count' });
    expect(compareRuns(run({ outputs: [t(1, 2), t(3), t(0)] }), run(), tol, 'v')).toEqual({ worst: Infinity, where: 'output count v' });
    expect(compareRuns(run(), run({ outputs: [t(1, 2)] }), tol)).toEqual({ worst: Infinity, where: 'output count' });
    expect(compareRuns(run({ dInputs: [null, null] }), run(), tol)).toEqual({ worst: Infinity, where: 'input gradient 0 presence' });
    expect(compareRuns(run({ dInputs: [t(4, 5), t(1)] }), run(), tol)).toEqual({ worst: Infinity, where: 'input gradient 1 presence' });
    expect(compareRuns(run({ dInputs: [t(4, 5), t(1)] }), run({ dInputs: [t(4, 5)] }), tol)).toEqual({ worst: Infinity, where: 'input gradient 1 presence' });
    expect(compareRuns(run({ dInputs: [t(4, 5), null] }), run({ dInputs: [t(4, 5)] }), tol)).toEqual({ worst: 0, where: '' });
    expect(compareRuns(run({ dParams: { b: t(7, 8) } }), run(), tol, 'v')).toEqual({ worst: Infinity, where: 'parameter gradient w v' });
    expect(compareRuns(run({ outputs: [t(1, NaN), t(3)] }), run(), tol)).toEqual({ worst: Infinity, where: 'output 0' });
    expect(compareRuns(run({ outputs: [t(1, 2, 0), t(3)] }), run(), tol)).toEqual({ worst: Infinity, where: 'output 0' });
  });
});

describe('firstBitDifference', () => {
  it('says where two runs first differ in a bit', () => {
    expect(firstBitDifference(run(), run())).toBeUndefined();
    expect(firstBitDifference(run({ outputs: [t(1, 2), t(3), t(4)] }), run())).toBe('output count');
    expect(firstBitDifference(run({ outputs: [t(1, 2), t(3 + 2 ** -51)] }), run())).toBe('output 1');
    expect(firstBitDifference(run({ outputs: [t(-0, 2), t(3)] }), run({ outputs: [t(0, 2), t(3)] }))).toBe('output 0');
    expect(firstBitDifference(run({ outputs: [t(NaN, 2), t(3)] }), run({ outputs: [t(NaN, 2), t(3)] }))).toBeUndefined();
    expect(firstBitDifference(run({ dInputs: [t(4, 5)] }), run())).toBe('input gradient count');
    expect(firstBitDifference(run({ dInputs: [null, null] }), run())).toBe('input gradient 0 presence');
    expect(firstBitDifference(run({ dInputs: [t(4, 5), t(0)] }), run())).toBe('input gradient 1 presence');
    expect(firstBitDifference(run({ dInputs: [t(4, 5.5), null] }), run())).toBe('input gradient 0');
    expect(firstBitDifference(run({ dInputs: [t(4, 5), t(1)] }), run({ dInputs: [t(4, 5), t(2)] }))).toBe('input gradient 1');
    expect(firstBitDifference(run({ dParams: { w: t(6) } }), run())).toBe('parameter gradient names');
    expect(firstBitDifference(run({ dParams: { w: t(6), b: t(7, 8), c: t(0) } }), run())).toBe('parameter gradient names');
    expect(firstBitDifference(run({ dParams: { w: t(6), c: t(7, 8) } }), run())).toBe('parameter gradient names');
    expect(firstBitDifference(run({ dParams: { b: t(7, 8), w: t(6.5) } }), run())).toBe('parameter gradient w');
    expect(firstBitDifference(run({ dParams: { w: t(6), b: t(7, 9) } }), run())).toBe('parameter gradient b');
    // Earlier differences are reported first.
    expect(firstBitDifference(run({ outputs: [t(0, 2), t(3)], dParams: {} }), run())).toBe('output 0');
  });
  it('splitIdentical: a backend against itself, and against one whose output is off by one part in 1e16', () => {
    const c = basicCases.find((x) => x.name === 'linear')!;
    expect(splitIdentical(c, f64, f64, 3)).toBeUndefined();
    expect(splitIdentical(c, tampered(f64, 'linear', { output: scaled(1 + 2 ** -50) }), f64, 3)).toBe('output 0');
    // The variants reach both runs: an unknown one is refused.
    expect(() => splitIdentical(c, f64, f64, 3, { '': 'nope' })).toThrow(/plan asks for variant 'nope'/);
  });
});

describe('runCase', () => {
  const c: ConformanceCase = { name: 'linear', term: prim('linear', { out: 3 }), inputs: [[2, 4]] };
  it('is forward and backward of the case on seeded inputs, float64 parameters and seeded output gradients (against plain loops)', () => {
    const seed = 5;
    const model = checkOrThrow(c.term, c.inputs);
    const p = initParams(model, seed, 'float64');
    const x = randn([2, 4], rng(seed).fork('x'));
    const dy = randn([2, 3], rng(seed).fork('dy0'));
    const [w, b] = [p.w!.data, p.b!.data];
    const y = new Float64Array(6);
    const dw = new Float64Array(12);
    const dx = new Float64Array(8);
    const db = new Float64Array(3);
    for (let i = 0; i < 2; i++)
      for (let j = 0; j < 3; j++) {
        y[i * 3 + j] = b[j]!;
        for (let k = 0; k < 4; k++) y[i * 3 + j]! += x.data[i * 4 + k]! * w[k * 3 + j]!;
        for (let k = 0; k < 4; k++) {
          dw[k * 3 + j]! += x.data[i * 4 + k]! * dy.data[i * 3 + j]!;
          dx[i * 4 + k]! += w[k * 3 + j]! * dy.data[i * 3 + j]!;
        }
        db[j]! += dy.data[i * 3 + j]!;
      }
    const r = runCase(c, f64, seed);
    const close = (a: HostTensor, want: Float64Array) => expect(closeness(a, { shape: a.shape, data: want }, 1e-12, 1e-14)).toBeLessThanOrEqual(1);
    expect(r.outputs.map((o) => o.shape)).toEqual([[2, 3]]);
    close(r.outputs[0]!, y);
    expect(r.dInputs.length).toBe(1);
    close(r.dInputs[0]!, dx);
    expect(Object.keys(r.dParams).sort()).toEqual(['b', 'w']);
    close(r.dParams.w!, dw);
    close(r.dParams.b!, db);
  });
  it('uses the case\'s own parameters and inputs when it has them, and the variants given', () => {
    const ones = (shape: number[]) => ({ shape, data: new Float64Array(shape.reduce((a, b) => a * b, 1)).fill(1) });
    const own: ConformanceCase = { ...c, params: () => ({ w: ones([4, 3]), b: ones([3]) }), sample: () => [ones([2, 4])] };
    expect(Array.from(runCase(own, f64, 1).outputs[0]!.data)).toEqual([5, 5, 5, 5, 5, 5]);
    expect(() => runCase(c, f64, 1, { '': 'nope' })).toThrow(/plan asks for variant 'nope'/);
  });
});

/** `be` with the kernel of `name` off by 1 + 1e-3 in its outputs under variant `variant` only. */
const wrongInVariant = <T>(be: Backend<T>, name: string, variant: string, how: (h: HostTensor) => HostTensor): Backend<T> => ({
  ...be,
  kernel: (p) => {
    const k = be.kernel(p);
    if (!k || p !== name) return k;
    const w: SomeKernel<T> = {
      ...k,
      forward(node, params, inputs) {
        const r = k.forward(node, params, inputs);
        return node.variant !== variant ? r : { ...r, outputs: r.outputs.map((o) => be.upload(how(be.download(o)))) };
      },
    };
    return w;
  },
});

describe('conforms', () => {
  const attn: ConformanceCase = {
    name: 'attention',
    term: prim('attention', { heads: 1, dk: 2, dv: 2 }),
    inputs: [[1, 3, 2]],
    variants: [{ '': 'probs' }, { '': 'lse' }],
  };
  it('checks every variant of the case: a kernel wrong only in its second variant fails, and the report names it', () => {
    expect(conforms(attn, f64, f64, 2, tol)).toEqual({ name: 'attention', ok: true, worst: 0, where: '' });
    const rep = conforms(attn, wrongInVariant(f64, 'attention', 'lse', scaled(1.001)), f64, 2, { rtol: 1e-6, atol: 1e-9 });
    expect(rep.ok).toBe(false);
    expect(rep.where).toBe('output 0 {"":"lse"}');
    // Wrong only in the first: the worse report stays, the second variant's (worst 0) does not replace it.
    const first = conforms(attn, wrongInVariant(f64, 'attention', 'probs', scaled(1.001)), f64, 2, { rtol: 1e-6, atol: 1e-9 });
    expect(first.ok).toBe(false);
    expect(first.worst).toBeGreaterThan(1);
    expect(first.where).toBe('output 0 {"":"probs"}');
  });
  it('a tie keeps the first variant\'s report; with no variants the term\'s own is checked', () => {
    const nan = (h: HostTensor) => ({ shape: h.shape, data: h.data.map(() => NaN) });
    const both = tampered(f64, 'attention', { output: nan });
    expect(conforms(attn, both, f64, 2, tol)).toMatchObject({ ok: false, worst: Infinity, where: 'output 0 {"":"probs"}' });
    expect(conforms({ ...attn, variants: undefined }, both, f64, 2, tol)).toMatchObject({ ok: false, where: 'output 0 {}' });
  });
  it('passes at closeness exactly 1 (the bound is ≤ 1), fails just above', () => {
    const c = basicCases.find((x) => x.name === 'linear')!;
    const off = tampered(f64, 'linear', { output: scaled(1 + 1e-3) });
    const worstAbs = conforms(c, off, f64, 4, { rtol: 0, atol: 1 }).worst;
    expect(worstAbs).toBeGreaterThan(0);
    const at = conforms(c, off, f64, 4, { rtol: 0, atol: worstAbs });
    expect(at).toMatchObject({ ok: true, worst: 1 });
    expect(conforms(c, off, f64, 4, { rtol: 0, atol: worstAbs * (1 - 1e-9) }).ok).toBe(false);
  });
  it('is not vacuous: a kernel that returns zeros fails even against itself', () => {
    // A Gaunt product without weights that returned zeros passed every law that compares a kernel
    // with itself (CONTRIBUTING, "backends/js pooling and tensor-product kernels").
    const c = basicCases.find((x) => x.name === 'linear')!;
    const zeros = tampered(f64, 'linear', { output: (h) => ({ shape: h.shape, data: h.data.map(() => 0) }) });
    const rep = conforms(c, zeros, zeros, 4, tol);
    expect(rep).toMatchObject({ ok: false, worst: Infinity });
    expect(rep.where).toBe("outputs {}: the reference's are all zero, so the case cannot tell a kernel that returns zeros");
    expect(conforms(c, f64, f64, 4, tol).ok).toBe(true);
  });
});

describe('compare', () => {
  it('closeness: worst |a − b| / (atol + rtol·|b|), NaN against a number and a length mismatch infinitely far', () => {
    expect(closeness(t(1, 2, 3.5), t(1, 2.5, 2), 0.5, 0.5)).toBe(1);
    expect(closeness(t(1, 5), t(1, 4), 1, 0)).toBe(0.25);
    expect(closeness(t(0, 3), t(0, 1), 0, 0.5)).toBe(4);
    expect(closeness(t(NaN), t(NaN), 0, 1)).toBe(Infinity);
    expect(closeness(t(1), t(NaN), 0, 1)).toBe(Infinity);
    expect(closeness(t(NaN, 1), t(1, 1), 0, 1)).toBe(Infinity);
    expect(closeness(t(1, 2), t(1), 0, 1)).toBe(Infinity);
    expect(closeness(t(1), t(1, 2), 0, 1)).toBe(Infinity);
    expect(closeness(t(1, 1), t(1, 1), 0, 0)).toBe(Infinity);
  });
  it('identical: shapes and values bit for bit, NaN equal to NaN, −0 not 0', () => {
    expect(identical(t(1, NaN), t(1, NaN))).toBe(true);
    expect(identical(t(0), t(-0))).toBe(false);
    expect(identical(t(1, 2), { shape: [1, 2], data: Float64Array.of(1, 2) })).toBe(false);
    expect(identical({ shape: [2, 1], data: Float64Array.of(1, 2) }, { shape: [1, 2], data: Float64Array.of(1, 2) })).toBe(false);
    expect(identical(t(1, 2), t(1, 2, 3))).toBe(false);
    expect(identical({ shape: [2], data: Float64Array.of(1, 2, 3) }, { shape: [2], data: Float64Array.of(1, 2) })).toBe(false);
    expect(identical({ shape: [2], data: Float64Array.of(1, 2) }, { shape: [2], data: Float64Array.of(1, 2, 3) })).toBe(false);
    const six = Float64Array.of(1, 2, 3, 4, 5, 6);
    expect(identical({ shape: [1, 2, 3], data: six }, { shape: [1, 3, 2], data: six })).toBe(false);
    expect(identical(t(1, 2), t(1, 3))).toBe(false);
    expect(dot([1, 2, 3], [4, 5, 6])).toBe(32);
  });
  it('F32_EQUIVARIANCE_TOL is 4·ε₃₂·(L + 1)', () => {
    expect(F32_EQUIVARIANCE_TOL(0)).toBe(4 * 1.1920929e-7);
    expect(F32_EQUIVARIANCE_TOL(3)).toBe(16 * 1.1920929e-7);
  });
});

describe('runPrim', () => {
  it('one tanh node: outputs, input gradients, and the residual it keeps against its cost', () => {
    const x = t(0.5, -1);
    const r = runPrim(f64, 'tanh', {}, 'input', [x], [t(2, 3)]);
    expect(Array.from(r.outputs[0]!.data)).toEqual([Math.tanh(0.5), Math.tanh(-1)]);
    expect(Array.from(r.dInputs[0]!.data)).toEqual([(1 - Math.tanh(0.5) ** 2) * 2, (1 - Math.tanh(-1) ** 2) * 3]);
    expect(r.residualElems).toBe(2);
    expect(r.predictedResidualElems).toBe(2);
    expect(runPrim(f64, 'tanh', {}, 'input', [x]).dInputs).toEqual([]);
    expect(() => runPrim(f64, 'tanh', {}, 'nope', [x])).toThrow(/unknown variant 'nope'/);
  });
});
