import { describe, expect, it } from 'vitest';
import {
  noneKeepsConstantState, outerMemoryMatchesSum, outerMemoryVariantsAgree, topkMargin, topkShapes, topkTiesToLowerIndex, topkVjpAwayFromTies,
} from '../laws/pmi';
import { centredPoints, jointInvarianceError, monteCarloInvarianceError, runInvariantNet, transformPoints } from '../laws/affine';
import { checkOrThrow, initParams, jsBackend, randn, rng, type Backend, type HostTensor, type SomeKernel } from '../src/index';
import { affineInvariantNet, haarSamples, liftingInvariant, sampleGLPlus, sampleSO, xiDim } from '../src/groups/index';
import { largestScaled, scaled, shifted, tampered, type Tampering } from './tampered';

/**
 * Law sensitivity for the PMI memory laws (laws/pmi.ts) and the group-equivariance laws
 * (laws/affine.ts): each law passes the kernels as they are and fails a kernel made subtly wrong —
 * one residual variant off by a rounding error, one output of two scaled, one residual tensor too
 * many, one input coordinate nudged before the lift — and the helpers give hand-worked values.
 */
const f64 = jsBackend('float64');

/** `be` with `prim`'s kernel tampered only on nodes whose residual variant is `variant`. */
const tamperedVariant = <T>(be: Backend<T>, prim: string, variant: string, how: Tampering): Backend<T> => {
  const bad = tampered(be, prim, how);
  return {
    ...be,
    kernel: (p) => {
      const good = be.kernel(p);
      if (!good || p !== prim) return good;
      const wrong = bad.kernel(p)!;
      const pick = (v: string): SomeKernel<T> => (v === variant ? wrong : good);
      return { ...good, forward: (n, ps, xs) => pick(n.variant).forward(n, ps, xs), backward: (n, ps, r, dy) => pick(n.variant).backward(n, ps, r, dy) };
    },
  };
};

/** Only output `which` scaled by `s`. */
const outputScaled = (which: number, s: number) => (t: HostTensor, i: number) => (i === which ? scaled(s)(t) : t);

describe('outer_memory: variants agree (bit for bit, or to 1e-9) and keep what the cost says', () => {
  const d = { B: 1, T: 5, H: 2, dk: 2, dv: 3 };
  it('the kernel as it is agrees exactly, worst 0', () => {
    const rep = outerMemoryVariantsAgree(f64, d, 2, 3);
    expect(rep).toEqual({ ok: true, worst: 0, detail: 'variants agree' });
  });
  it('one variant off by a rounding error fails the exact law and passes the 1e-9 one', () => {
    const be = tamperedVariant(f64, 'outer_memory', 'none', { output: outputScaled(1, 1 + 1e-13) });
    const exact = outerMemoryVariantsAgree(be, d, 2, 3);
    expect(exact.ok).toBe(false);
    expect(exact.detail).toMatch(/^none: tensor 1 differs from all-states \(closeness /);
    expect(exact.worst).toBeGreaterThan(0);
    expect(exact.worst).toBeLessThan(1);
    expect(outerMemoryVariantsAgree(be, d, 2, 3, false).ok).toBe(true);
  });
  it('a variant off by 1e-6 in one input gradient fails both, naming the variant and tensor', () => {
    const be = tamperedVariant(f64, 'outer_memory', 'chunk-states', { dInput: (t, i) => (i === 2 ? largestScaled(1 + 1e-6)(t) : t) });
    for (const exact of [true, false]) {
      const rep = outerMemoryVariantsAgree(be, d, 2, 3, exact);
      expect(rep.ok).toBe(false);
      // Tensors are the outputs (o, M_T), then dq, dk, dv, dM_0: dv is tensor 4.
      expect(rep.detail).toMatch(/^chunk-states: tensor 4 differs/);
      expect(rep.worst).toBeGreaterThan(1);
    }
  });
  it('a variant keeping one tensor more than its cost fails, with both counts', () => {
    const be = tamperedVariant(f64, 'outer_memory', 'all-states', { extraResidual: (xs) => ({ q: xs[0]! }) });
    const rep = outerMemoryVariantsAgree(be, d, 2, 3);
    expect(rep.ok).toBe(false);
    // all-states keeps q, k, v (5·2·(2+2+3) = 70) and T states of 2·2·3: 70 + 60; q is 20 more.
    expect(rep.detail).toBe('all-states keeps 150 elements, cost says 130');
    // Every variant keeping it: one note each, joined by '; '.
    const every = outerMemoryVariantsAgree(tampered(f64, 'outer_memory', { extraResidual: (xs) => ({ q: xs[0]! }) }), d, 2, 3);
    expect(every.detail).toMatch(/^all-states keeps 150 elements, cost says 130; chunk-states keeps \d+ elements, cost says \d+; none keeps \d+ elements, cost says \d+$/);
  });
});

describe('outer_memory: none keeps one state per head', () => {
  const d = { B: 2, H: 2, dk: 4, dv: 3 };
  it('the kernel as it is, with the counts in the detail', () => {
    const rep = noneKeepsConstantState(f64, d, [4, 9], 3);
    expect(rep).toEqual({ ok: true, worst: 48, detail: 'state elements kept at T = 4, 9: none 48, 48, all-states 192, 432 (one state = 48)' });
  });
  it('none keeping a T-long tensor more fails', () => {
    const be = tamperedVariant(f64, 'outer_memory', 'none', { extraResidual: (xs) => ({ v: xs[2]! }) });
    const rep = noneKeepsConstantState(be, d, [4, 9], 3);
    expect(rep.ok).toBe(false);
    expect(rep.detail).toContain('none 96, 156,');
  });
  it('an extra tensor only at the larger T fails, and the worst is the largest state part', () => {
    const late = { extraResidual: (xs: readonly HostTensor[]): Record<string, HostTensor> => (xs[0]!.shape[1]! > 4 ? { v: xs[2]! } : {}) };
    const none = noneKeepsConstantState(tamperedVariant(f64, 'outer_memory', 'none', late), d, [4, 9], 3);
    expect(none).toMatchObject({ ok: false, worst: 156 });
    expect(none.detail).toContain('none 48, 156,');
    const all = noneKeepsConstantState(tamperedVariant(f64, 'outer_memory', 'all-states', late), d, [4, 9], 3);
    expect(all.ok).toBe(false);
    expect(all.detail).toContain('all-states 192, 540');
  });
  it('one state too many, the same at every T, fails for none and for all-states each', () => {
    const extra = { extraResidual: (xs: readonly HostTensor[]) => ({ m0: xs[3]! }) };
    expect(noneKeepsConstantState(tamperedVariant(f64, 'outer_memory', 'none', extra), d, [4, 9], 3).ok).toBe(false);
    const all = noneKeepsConstantState(tamperedVariant(f64, 'outer_memory', 'all-states', extra), d, [4, 9], 3);
    expect(all.ok).toBe(false);
    expect(all.detail).toContain('all-states 240, 480');
  });
});

describe('outer_memory equals M_0 + Σ k vᵀ (plain loops, to 1e-10)', () => {
  const d = { B: 2, T: 4, H: 2, dk: 2, dv: 3 };
  it('the kernel as it is, to rounding', () => {
    const rep = outerMemoryMatchesSum(f64, d, 5);
    expect(rep.ok).toBe(true);
    expect(rep.worst).toBeLessThan(1e-14);
    expect(rep.detail).toBe(`max |kernel − Σ outer products| = ${rep.worst}`);
  });
  it('o alone or M_T alone off by 1e-8 fails; 1e-13 passes', () => {
    for (const which of [0, 1]) {
      const off = outerMemoryMatchesSum(tampered(f64, 'outer_memory', { output: outputScaled(which, 1 + 1e-8) }), d, 5);
      expect(off.ok, `output ${which}`).toBe(false);
      expect(off.worst).toBeGreaterThan(1e-10);
      expect(off.worst).toBeLessThan(1e-6);
    }
    expect(outerMemoryMatchesSum(tampered(f64, 'outer_memory', { output: outputScaled(0, 1 + 1e-13) }), d, 5).ok).toBe(true);
  });
  it('the last entry of each output, shifted by 1e-9, fails (every entry is compared)', () => {
    const last = (t: HostTensor) => shifted(t.data.length - 1, 1e-9)(t);
    for (const which of [0, 1]) expect(outerMemoryMatchesSum(tampered(f64, 'outer_memory', { output: (t, i) => (i === which ? last(t) : t) }), d, 5).ok).toBe(false);
  });
  it('a looser tolerance passes the shifted kernel', () => {
    expect(outerMemoryMatchesSum(tampered(f64, 'outer_memory', { output: outputScaled(0, 1 + 1e-8) }), d, 5, 1e-3).ok).toBe(true);
  });
});

describe('topk_write laws', () => {
  const host = (shape: number[], xs: number[]): HostTensor => ({ shape, data: Float64Array.from(xs) });
  it('topkMargin: the smallest gap between the K-th and (K+1)-th scores over every row, by hand', () => {
    // B = 1, S = 2 queries, N = 3 keys, H = 2 heads, dk = 1: scores q·k per (query, head).
    const d = { B: 1, S: 2, N: 3, H: 2, dk: 1, dv: 1 };
    // q[s, h]: s0 = (1, 2), s1 = (−1, 1); k[n, h]: n0 = (1, 1), n1 = (3, 0), n2 = (2.5, 2).
    const q = host([1, 2, 2], [1, 2, -1, 1]);
    const k = host([1, 3, 2], [1, 1, 3, 0, 2.5, 2]);
    const v = host([1, 3, 2], [0, 0, 0, 0, 0, 0]);
    // Rows (s, h): (0, 0) 1, 3, 2.5; (0, 1) 2, 0, 4; (1, 0) −1, −3, −2.5; (1, 1) 1, 0, 2.
    // Sorted: (3, 2.5, 1), (4, 2, 0), (−1, −2.5, −3), (2, 1, 0). K = 1: gaps .5, 2, 1.5, 1; K = 2: 1.5, 2, .5, 1.
    expect(topkMargin(d, 1, [q, k, v])).toBe(0.5);
    expect(topkMargin(d, 2, [q, k, v])).toBe(0.5);
    expect(topkMargin(d, 3, [q, k, v])).toBe(Infinity);
    expect(topkMargin(d, 4, [q, k, v])).toBe(Infinity);
    const q2 = host([1, 2, 2], [1, 2, -1, 1]);
    const k2 = host([1, 3, 2], [1, 1, 3, 0, 2.9, 2]);
    // (0, 0) is now 3, 2.9, 1 (K = 1 gap 0.1) and (1, 0) is −1, −2.9, −3 (K = 2 gap 0.1).
    expect(topkMargin(d, 1, [q2, k2, v])).toBeCloseTo(0.1, 12);
    expect(topkMargin(d, 2, [q2, k2, v])).toBeCloseTo(0.1, 12);
  });
  it('topkMargin divides the scores by √dk and reads the second batch element', () => {
    const d = { B: 2, S: 1, N: 2, H: 1, dk: 4, dv: 1 };
    const q = host([2, 1, 4], [1, 1, 1, 1, 1, 0, 0, 0]);
    // Batch 0: scores 4/2 and 2/2 (gap 1); batch 1: 3/2 and 2/2 (gap 0.5).
    const k = host([2, 2, 4], [1, 1, 1, 1, 1, 1, 0, 0, 3, 0, 0, 0, 2, 0, 0, 0]);
    expect(topkMargin(d, 1, [q, k, host([2, 2, 1], [0, 0, 0, 0])])).toBe(0.5);
  });
  it('topkMargin: a reading past a batch element\'s last key, or negated scores, would change the gap', () => {
    // Batch 0 scores 2, 1 (gap 1); batch 1 scores 1.9, 1 (gap 0.9). Batch 1's first key, read as a
    // third key of batch 0, would give a gap of 0.1 there.
    const d = { B: 2, S: 1, N: 2, H: 1, dk: 4, dv: 1 };
    const q = host([2, 1, 4], [1, 1, 1, 1, 1, 0, 0, 0]);
    const k = host([2, 2, 4], [1, 1, 1, 1, 1, 1, 0, 0, 3.8, 0, 0, 0, 2, 0, 0, 0]);
    expect(topkMargin(d, 1, [q, k, host([2, 2, 1], [0, 0, 0, 0])])).toBeCloseTo(0.9, 12);
    // Scores 3, 2.5, 0: K = 1 gap 0.5, K = 2 gap 2.5 (negated: 2.5 and 0.5).
    const d1 = { B: 1, S: 1, N: 3, H: 1, dk: 1, dv: 1 };
    const three = [host([1, 1, 1], [1]), host([1, 3, 1], [3, 2.5, 0]), host([1, 3, 1], [0, 0, 0])];
    expect([topkMargin(d1, 1, three), topkMargin(d1, 2, three)]).toEqual([0.5, 2.5]);
  });
  it('topkMargin against a brute force over every row: B = 2, S = 2, N = 4, H = 2, dk = 2', () => {
    const d = { B: 2, S: 2, N: 4, H: 2, dk: 2, dv: 1 };
    const [q, k, v] = topkShapes(d).map((s, i) => randn(s, rng(8).fork(`m${i}`)));
    for (const K of [1, 2, 3]) {
      let gap = Infinity;
      for (let b = 0; b < 2; b++)
        for (let s = 0; s < 2; s++)
          for (let h = 0; h < 2; h++) {
            const qv = [0, 1].map((i) => q!.data[b * 8 + s * 4 + h * 2 + i]!);
            const sc = [0, 1, 2, 3].map((n) => (qv[0]! * k!.data[b * 16 + n * 4 + h * 2]! + qv[1]! * k!.data[b * 16 + n * 4 + h * 2 + 1]!) / Math.SQRT2).sort((x, y) => y - x);
            gap = Math.min(gap, sc[K - 1]! - sc[K]!);
          }
      expect(topkMargin(d, K, [q!, k!, v!])).toBeCloseTo(gap, 14);
    }
  });
  const d = { B: 1, S: 2, N: 5, H: 1, dk: 2, dv: 2 };
  it('VJP away from ties: the kernel passes; one input-gradient entry ×(1+1e-4) fails', () => {
    const ok = topkVjpAwayFromTies(f64, d, 2, 4);
    expect(ok.ok, ok.detail).toBe(true);
    expect(ok.detail).toMatch(/ \(margin \d\.\d\de[-+]\d+\)$/);
    expect(ok.worst).toBeLessThan(1e-6);
    expect(topkVjpAwayFromTies(tampered(f64, 'topk_write', { dInput: largestScaled(1 + 1e-4) }), d, 2, 4).ok).toBe(false);
  });
  it('VJP away from ties gives up, failing, when no draw has the margin', () => {
    const rep = topkVjpAwayFromTies(f64, d, 2, 4, 1e6);
    expect(rep).toEqual({ ok: false, worst: Infinity, detail: 'no draw with margin ≥ 1000000 in 50 attempts' });
    // K = N: every draw has margin ∞, so the first is checked.
    expect(topkVjpAwayFromTies(f64, d, 5, 4, 1e6).ok).toBe(true);
  });
  it('ties to the lower index: the kernel passes; ties to fewer keys, or an output ×(1+1e-9), fail', () => {
    for (const K of [1, 2, 5, 7]) expect(topkTiesToLowerIndex(f64, K, 5, 1).ok, `K = ${K}`).toBe(true);
    const fewer = tampered(f64, 'topk_write', { node: (n) => ({ ...n, attrs: { ...(n.attrs as object), k: (n.attrs as { k: number }).k - 1 } }) as typeof n });
    const rep = topkTiesToLowerIndex(fewer, 3, 5, 1);
    expect(rep.ok).toBe(false);
    expect(rep.detail).toBe(`all scores tied: max |o − mean of the first 3 values| = ${rep.worst}`);
    expect(topkTiesToLowerIndex(tampered(f64, 'topk_write', { output: scaled(1 + 1e-9) }), 3, 5, 1).ok).toBe(false);
    expect(topkTiesToLowerIndex(tampered(f64, 'topk_write', { output: scaled(1 + 1e-9) }), 3, 5, 1, 1e-6).ok).toBe(true);
  });
  it('topkShapes', () => expect(topkShapes({ B: 2, S: 3, N: 4, H: 5, dk: 6, dv: 7 })).toEqual([[2, 3, 30], [2, 4, 30], [2, 4, 35]]));
});

describe('group-equivariance laws (laws/affine.ts)', () => {
  /** `be` whose `prim` sees its first input with entry 0 nudged: no longer a function of g⁻¹x alone. */
  const nudgedInput = <T>(be: Backend<T>, prim: string, by: number): Backend<T> => ({
    ...be,
    kernel: (p) => {
      const k = be.kernel(p);
      if (!k || p !== prim) return k;
      const nudge = (x: T) => be.upload(shifted(0, by)(be.download(x)));
      return { ...k, forward: (n, ps, xs) => k.forward(n, ps, [nudge(xs[0]!), ...xs.slice(1)]) };
    },
  });
  it('transformPoints applies the matrix to every point', () => {
    const x = { shape: [1, 3, 2], data: Float64Array.from([1, 0, 0, 1, 2, -1]) };
    const a = Float64Array.from([1, 2, 3, 4]);
    expect(transformPoints(x, a)).toEqual({ shape: [1, 3, 2], data: Float64Array.from([1, 3, 2, 4, 0, 2]) });
    const y = { shape: [2, 1, 3], data: Float64Array.from([1, 2, 3, 0, 0, 1]) };
    const b = Float64Array.from([0, 1, 0, 0, 0, 1, 1, 0, 0]);
    expect([...transformPoints(y, b).data]).toEqual([2, 3, 1, 0, 1, 0]);
  });
  it('centredPoints: the seeded normals minus each set\'s mean, per coordinate', () => {
    const x = centredPoints(2, 3, 2, 9);
    const raw = randn([2, 3, 2], rng(9).fork('points'));
    expect(x.shape).toEqual([2, 3, 2]);
    for (let b = 0; b < 2; b++)
      for (let j = 0; j < 2; j++) {
        const at = (i: number) => (b * 3 + i) * 2 + j;
        const mean = (raw.data[at(0)]! + raw.data[at(1)]! + raw.data[at(2)]!) / 3;
        for (let i = 0; i < 3; i++) expect(x.data[at(i)]).toBeCloseTo(raw.data[at(i)]! - mean, 14);
      }
  });
  const o = { samples: 3, points: 4, batch: 2, dim: 2 as const, width: 3, kernelWidth: 4, classes: 2 };
  const conv = checkOrThrow(affineInvariantNet(o), [[2, 4, 2], [3, 2, 2], [3, 3, xiDim(2)]]);
  const lift = checkOrThrow(liftingInvariant(o), [[2, 4, 2], [3, 2, 2]]);
  const samples = haarSamples('GL+', 2, 3, { maxLogStretch: 1 }, rng(3).fork('g'));
  const h = sampleGLPlus(2, { maxLogStretch: 1 }, rng(3).fork('h'));
  const x = centredPoints(2, 4, 2, 3);
  for (const [name, model] of [['with a group convolution', conv], ['lifting only', lift]] as const) {
    const params = initParams(model, 3, 'float64');
    it(`joint invariance (${name}): the net passes; a lift that sees x nudged by 1e-6 fails`, () => {
      expect(jointInvarianceError(model, f64, params, x, samples, h)).toBeLessThan(1e-10);
      const bad = jointInvarianceError(model, nudgedInput(f64, 'group_lift', 1e-6), params, x, samples, h);
      expect(bad).toBeGreaterThan(1e-10);
      expect(bad).toBeLessThan(1e-3);
    });
    it(`Monte Carlo invariance error (${name}): the RMS of f(h·x) − f(x), 0 for h = I`, () => {
      const a = runInvariantNet(model, f64, params, x, samples);
      const b = runInvariantNet(model, f64, params, transformPoints(x, h), samples);
      // Classes after the convolution net's head; the lifting-only net ends at the pooled width.
      expect(a.shape).toEqual([2, model === conv ? 2 : 3]);
      let sq = 0;
      for (let i = 0; i < a.data.length; i++) sq += (a.data[i]! - b.data[i]!) ** 2;
      const rms = Math.sqrt(sq / a.data.length);
      expect(rms).toBeGreaterThan(1e-4);
      expect(monteCarloInvarianceError(model, f64, params, x, samples, h)).toBeCloseTo(rms, 14);
      expect(monteCarloInvarianceError(model, f64, params, x, samples, Float64Array.from([1, 0, 0, 1]))).toBe(0);
    });
  }
  it('joint invariance uses the transformed samples: a rotation of x alone is not invisible', () => {
    const params = initParams(conv, 3, 'float64');
    const r = sampleSO(2, rng(4));
    expect(jointInvarianceError(conv, f64, params, x, samples, r)).toBeLessThan(1e-10);
    expect(monteCarloInvarianceError(conv, f64, params, x, samples, r)).toBeGreaterThan(1e-6);
  });
});
