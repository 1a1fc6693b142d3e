/**
 * The attention laws (laws/attention.ts) checked directly: each predicate on hand-made programs
 * whose answer is known (a row of P that sums to 1.5, an output that depends on the last token at
 * exactly one position, a difference of exactly `atol`), and each fed a wrong implementation it must
 * reject (a kernel that ignores the causal mask, an 'lse' variant that computes something else).
 * The helpers (`sampleKeyMask`, `permuteTokens`, `combineKQ`) against plain references.
 */
import { describe, expect, it } from 'vitest';
import {
  attentionCausalPrefix,
  attentionPermutationEquivariant,
  attentionRowsSumToOne,
  attentionVariantsAgree,
  attentionWMatchesKQ,
  combineKQ,
  permuteTokens,
  sampleKeyMask,
} from '../laws/attention';
import { checkOrThrow, initParams, jsBackend, lowerOrThrow, prim, randn, rng, type Backend, type Program, type TypedPrim } from '../src/index';
import type { HostTensor } from '../src/tensor/tensor';
import { tampered } from './tampered';

const f64 = jsBackend('float64');
type T = ReturnType<typeof f64.upload>;
const host = (shape: number[], data: number[]): HostTensor => ({ shape, data: Float64Array.from(data) });

/** A stand-in program: only `forward` (outputs from host inputs; residual entries as given). */
const fake = (
  f: (xs: HostTensor[]) => HostTensor[],
  residual: (xs: HostTensor[]) => Array<[string, HostTensor]> = () => [],
): Program<T> =>
  ({
    forward: (_p: unknown, xs: readonly T[]) => {
      const hs = xs.map((x) => f64.download(x));
      return {
        outputs: f(hs).map((y) => f64.upload(y)),
        residual: { value: null, params: {}, entries: () => residual(hs).map(([k, t]) => [k, f64.upload(t)] as [string, T]) },
      };
    },
  }) as unknown as Program<T>;

describe('sampleKeyMask', () => {
  it('equals a plain reference: the last batch element fully masked (B > 1), key 0 always visible, others with probability 0.7', () => {
    const ref = (B: number, Tk: number, seed: number) => {
      const r = rng(seed).fork('mask');
      const out: number[] = [];
      for (let b = 0; b < B; b++)
        for (let u = 0; u < Tk; u++) {
          if (B > 1 && b === B - 1) out.push(0);
          else if (u === 0) out.push(1);
          else out.push(r.uniform() < 0.7 ? 1 : 0);
        }
      return out;
    };
    for (const [B, Tk, seed] of [[3, 6, 1], [3, 6, 7], [1, 8, 2], [2, 5, 3]] as const) {
      const m = sampleKeyMask(B, Tk, seed);
      expect(m.shape).toEqual([B, Tk]);
      expect([...m.data]).toEqual(ref(B, Tk, seed));
    }
    // The draws are not all one way (the cases above exercise both outcomes).
    const all = [...sampleKeyMask(3, 6, 1).data.subarray(0, 12)];
    expect(all.filter((v) => v === 0).length).toBeGreaterThan(0);
    expect(all.filter((v) => v === 1).length).toBeGreaterThan(2);
    // One batch element: nothing is fully masked.
    expect(sampleKeyMask(1, 4, 5).data[0]).toBe(1);
  });
});

describe('permuteTokens', () => {
  it('reorders the token axis of every batch element; axisFromEnd 1 for a mask; refuses a wrong length', () => {
    const x = host([2, 3, 2], [0, 1, 2, 3, 4, 5, 10, 11, 12, 13, 14, 15]);
    expect([...permuteTokens(x, [2, 0, 1]).data]).toEqual([4, 5, 0, 1, 2, 3, 14, 15, 10, 11, 12, 13]);
    const m = host([2, 3], [1, 2, 3, 4, 5, 6]);
    expect([...permuteTokens(m, [1, 2, 0], 1).data]).toEqual([2, 3, 1, 5, 6, 4]);
    expect(() => permuteTokens(x, [1, 0])).toThrow('permuteTokens: permutation of length 2 for 3 tokens');
  });
});

describe('combineKQ', () => {
  it('W_h = scale · K_h Q_hᵀ, by hand for two heads', () => {
    // dq = 2, dkv = 1, H = 2, dk = 1: W_h[0, b] = scale · wk[0, h] · wq[b, h].
    const wq = host([2, 2], [1, 2, 3, 4]);
    const wk = host([1, 2], [5, 7]);
    const w = combineKQ(wq, wk, 2, 0.5);
    expect(w.shape).toEqual([2, 1, 2]);
    expect([...w.data]).toEqual([0.5 * 5 * 1, 0.5 * 5 * 3, 0.5 * 7 * 2, 0.5 * 7 * 4]);
  });
});

describe('attentionRowsSumToOne on hand-made residuals', () => {
  const run = (entries: Array<[string, HostTensor]>, tol: number) => attentionRowsSumToOne(f64, fake(() => [], () => entries), {}, [], tol);
  it('counts rows and fully masked rows, and reads only entries named …:p', () => {
    const p = host([2, 2, 2], [0.25, 0.75, 0, 0, 1, 0, 0.5, 0.5]);
    // A decoy whose rows do not sum to 1 and a name that starts with ':p' but is not P.
    const rep = run([['3:p', p], ['3:lse', host([2], [9, 9])], [':pq', host([1, 2], [5, 5])]], 1e-12);
    expect(rep).toEqual({ ok: true, worst: 0, rows: 4, zeroRows: 1, negative: 0 });
  });
  it('the worst row sum, the tolerance at equality, and no rows at all', () => {
    const p = host([2, 2], [0.75, 0.75, 0.5, 0.5]);
    expect(run([['a.b:p', p]], 0.5)).toEqual({ ok: true, worst: 0.5, rows: 2, zeroRows: 0, negative: 0 });
    expect(run([['a.b:p', p]], 0.25).ok).toBe(false);
    expect(run([], 1)).toEqual({ ok: false, worst: 0, rows: 0, zeroRows: 0, negative: 0 });
  });
  it('a negative or NaN entry fails even when the sums are fine', () => {
    const neg = run([['0:p', host([1, 3], [1.25, -0.25, 0])]], 1e-12);
    expect(neg).toEqual({ ok: false, worst: 0, rows: 1, zeroRows: 0, negative: 1 });
    const nan = run([['0:p', host([2, 2], [NaN, 1, 0.5, 0.5])]], 1e-12);
    expect(nan).toEqual({ ok: false, worst: Infinity, rows: 2, zeroRows: 0, negative: 1 });
  });
  it('the real kernel passes; a kernel whose P rows are scaled by 1 + 1e-4 does not', () => {
    const model = checkOrThrow(prim('attention', { heads: 2, dk: 3, dv: 2, mask: true }), [[2, 5, 4], [2, 5]]);
    const prog = lowerOrThrow(model, f64, { variants: { '': 'probs' } });
    const params = initParams(model, 3, 'float64');
    const inputs = [randn([2, 5, 4], rng(3)), sampleKeyMask(2, 5, 3)];
    const good = attentionRowsSumToOne(f64, prog, params, inputs, 1e-12);
    expect(good.ok).toBe(true);
    expect(good.rows).toBe(2 * 2 * 5);
    expect(good.zeroRows).toBe(2 * 5); // the fully masked batch element
    const scaledP = fake(
      (xs) => prog.forward(params, xs.map((x) => f64.upload(x))).outputs.map((o) => f64.download(o)),
      (xs) =>
        prog
          .forward(params, xs.map((x) => f64.upload(x)))
          .residual.entries()
          .map(([k, t]) => [k, { shape: f64.download(t).shape, data: f64.download(t).data.map((v) => v * (1 + 1e-4)) }] as [string, HostTensor]),
    );
    const bad = attentionRowsSumToOne(f64, scaledP, params, inputs, 1e-12);
    expect(bad.ok).toBe(false);
    expect(bad.worst).toBeCloseTo(1e-4, 10);
  });
});

describe('attentionCausalPrefix', () => {
  const [B, T, d, e] = [2, 5, 2, 3];
  const x = randn([B, T, d], rng(11));
  /** y[b, t, j] = x[b, t, j mod d]; plus `leak` at (batch `lb`, position `lt`, feature `lj`) when the last token differs from x's. */
  const leaky = (lb: number, lt: number, lj: number, leak = (a: number, b: number) => a - b) =>
    fake(([z]) => {
      const y = new Float64Array(B * T * e);
      for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) for (let j = 0; j < e; j++) y[(b * T + t) * e + j] = z!.data[(b * T + t) * d + (j % d)]!;
      const last = (lb * T + T - 1) * d;
      y[(lb * T + lt) * e + lj] += leak(z!.data[last]!, x.data[last]!);
      return [{ shape: [B, T, e], data: y }];
    });
  it('a causal map passes at every t; the perturbation changes the outputs after t', () => {
    for (let t = 0; t < T; t++) expect(attentionCausalPrefix(f64, leaky(0, T - 1, 0), {}, x, t, 4)).toEqual({ ok: true, changedAfter: true });
  });
  it('rejects an output at position t, in the last batch element, last feature, that reads the last token', () => {
    for (const t of [0, 2, 3]) {
      expect(attentionCausalPrefix(f64, leaky(B - 1, t, e - 1), {}, x, t, 4).ok).toBe(false);
      expect(attentionCausalPrefix(f64, leaky(0, t, 1), {}, x, t, 4).ok).toBe(false);
    }
  });
  it('with a tolerance: a difference of exactly atol passes, one above it fails', () => {
    const step = (a: number, b: number) => (a === b ? 0 : 0.5);
    expect(attentionCausalPrefix(f64, leaky(B - 1, 1, 2, step), {}, x, 1, 4, { rtol: 0, atol: 0.5 }).ok).toBe(true);
    expect(attentionCausalPrefix(f64, leaky(B - 1, 1, 2, step), {}, x, 1, 4, { rtol: 0, atol: 0.25 }).ok).toBe(false);
  });
  it('reports when the perturbation changed nothing (an output that ignores its input)', () => {
    const constant = fake(() => [{ shape: [B, T, e], data: new Float64Array(B * T * e) }]);
    expect(attentionCausalPrefix(f64, constant, {}, x, 1, 4)).toEqual({ ok: true, changedAfter: false });
    expect(attentionCausalPrefix(f64, constant, {}, x, T - 1, 4)).toEqual({ ok: true, changedAfter: true });
  });
  it('rejects an attention kernel that ignores the causal mask', () => {
    const model = checkOrThrow(prim('attention', { heads: 2, dk: 3, dv: 2, causal: true }), [[2, 6, 5]]);
    const params = initParams(model, 2, 'float64');
    const x6 = randn([2, 6, 5], rng(2));
    const open = tampered(f64, 'attention', { node: (n: TypedPrim) => ({ ...n, attrs: { ...(n.attrs as object), causal: false } }) });
    expect(attentionCausalPrefix(f64, lowerOrThrow(model, f64), params, x6, 2, 2).ok).toBe(true);
    expect(attentionCausalPrefix(open, lowerOrThrow(model, open), params, x6, 2, 2).ok).toBe(false);
  });
});

describe('attentionPermutationEquivariant', () => {
  const model = checkOrThrow(prim('attention', { heads: 2, dk: 3, dv: 2, mask: true, block: 3 }), [[2, 7, 4], [2, 7]]);
  const perm = [3, 0, 6, 1, 5, 2, 4];
  const inputs = [randn([2, 7, 4], rng(6).fork('x')), host([2, 7], [1, 0, 1, 1, 0, 1, 1, 1, 1, 1, 0, 1, 1, 1])];
  const params = initParams(model, 6, 'float64');
  const tol = { rtol: 1e-10, atol: 1e-12 };
  it('fails when the key mask is not permuted with the tokens (maskInput left out)', () => {
    const prog = lowerOrThrow(model, f64);
    expect(attentionPermutationEquivariant(f64, prog, params, inputs, perm, tol, 1).ok).toBe(true);
    expect(attentionPermutationEquivariant(f64, prog, params, inputs, perm, tol).ok).toBe(false);
  });
  it('a difference of exactly atol passes', () => {
    const x = host([1, 3, 1], [1, 2, 3]);
    // y = x, plus 0.5 at entry 0 when the input is not x itself.
    const off = fake(([z]) => [{ shape: z!.shape, data: z!.data.map((v, i) => v + (i === 0 && z!.data.some((w, k) => w !== x.data[k]) ? 0.5 : 0)) }]);
    expect(attentionPermutationEquivariant(f64, off, {}, [x], [2, 0, 1], { rtol: 0, atol: 0.5 })).toEqual({ ok: true, worst: 1 });
    expect(attentionPermutationEquivariant(f64, off, {}, [x], [2, 0, 1], { rtol: 0, atol: 0.25 }).ok).toBe(false);
  });
});

describe('attentionVariantsAgree', () => {
  // An 'lse' variant that computes another function (the causal mask flipped): the variants disagree.
  const wrongLse = tampered(f64, 'attention', {
    node: (n: TypedPrim) => (n.variant === 'lse' ? { ...n, attrs: { ...(n.attrs as object), causal: !(n.attrs as { causal?: boolean }).causal } } : n),
  });
  for (const variant of [undefined, 'lse', 'probs']) {
    it(`rejects an 'lse' variant that differs (the term's own variant ${variant ?? 'default'})`, () => {
      const term = prim('attention', { heads: 1, dk: 2, dv: 2, causal: true }, variant ? { variant } : undefined);
      const model = checkOrThrow(term, [[2, 4, 3]]);
      const params = initParams(model, 1, 'float64');
      const xs = [randn([2, 4, 3], rng(1))];
      const dy = [randn([2, 4, 3], rng(2))];
      expect(attentionVariantsAgree(model, f64, params, xs, dy)).toBe(true);
      expect(attentionVariantsAgree(model, wrongLse as Backend<T>, params, xs, dy)).toBe(false);
    });
  }
});

describe('attentionWMatchesKQ', () => {
  it('rejects W computed with the wrong scale; a difference of exactly atol passes', () => {
    const shapes = [[2, 6, 5]];
    const kq = checkOrThrow(prim('attention', { heads: 2, dk: 3, dv: 2 }), shapes);
    const w = checkOrThrow(prim('attention', { heads: 2, param: 'W', dv: 2 }), shapes);
    const inputs = [randn([2, 6, 5], rng(4))];
    const tol = { rtol: 1e-10, atol: 1e-12 };
    const args = [f64, lowerOrThrow(kq, f64), lowerOrThrow(w, f64), initParams(kq, 4, 'float64'), 2] as const;
    expect(attentionWMatchesKQ(...args, 1 / Math.sqrt(3), inputs, tol).ok).toBe(true);
    expect(attentionWMatchesKQ(...args, (1 + 1e-4) / Math.sqrt(3), inputs, tol).ok).toBe(false);
    const zero = fake(() => [host([1], [0])]);
    const half = fake(() => [host([1], [0.5])]);
    const ps = { wq: host([1, 1], [1]), wk: host([1, 1], [1]) };
    expect(attentionWMatchesKQ(f64, zero, half, ps, 1, 1, [], { rtol: 0, atol: 0.5 })).toEqual({ ok: true, worst: 1 });
  });
});
