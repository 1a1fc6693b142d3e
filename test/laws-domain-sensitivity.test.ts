/**
 * The delta-rule, pooling and equivariance laws (laws/delta.ts, laws/pooling.ts,
 * laws/equivariant.ts) fed kernels made wrong on purpose — one algorithm or one variant off by 1e-4,
 * a kernel that ignores its initial state or doubles β, a Gaunt product that is not symmetric — and
 * each must reject them; and their helpers against values worked out by hand.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  chunkwiseMatchesRecurrent, deltaInputs, deltaProperty, deltaShapes, splitCarriesState, symmetricEigenvalues, transitionOf, transitionSpectrum,
  unitBetaRecalls, unitRows, variantsAgree, wyMatchesTransitionProduct, zeroBetaKeepsState, type DeltaDims,
} from '../laws/delta';
import { equalsMaterialised, factorisedOps, residualMatchesCost, runTerm, poolingCases } from '../laws/pooling';
import {
  equivarianceProperty, equivarianceSample, gauntCoefficientError, gauntMatchesDense, gauntSymmetryError, shOrthonormalityError, wignerHomomorphismError,
} from '../laws/equivariant';
import { randomRotation } from '../src/equivariant/wigner';
import { checkOrThrow, initParams, jsBackend, prim, randn, rng, type Backend, type TypedPrim } from '../src/index';
import type { HostTensor } from '../src/tensor/tensor';
import { largestScaled, scaled, shifted, tampered, type Tampering } from './tampered';

const f64 = jsBackend('float64');
type JsT = ReturnType<typeof f64.upload>;
const WRONG = 1 + 1e-4;

/** `be` with primitive `p`'s kernel tampered as `how` says only on nodes where `when` holds. */
const tamperedWhen = (be: Backend<JsT>, p: string, when: (n: TypedPrim) => boolean, how: Tampering): Backend<JsT> => {
  const bad = tampered(be, p, how);
  return {
    ...be,
    name: `${be.name} (${p} tampered on some nodes)`,
    kernel: (q) => {
      const k = be.kernel(q);
      if (!k || q !== p) return k;
      const w = bad.kernel(q)!;
      return {
        prim: k.prim,
        forward: (n, ps, xs) => (when(n) ? w : k).forward(n, ps, xs),
        backward: (n, ps, r, d) => (when(n) ? w : k).backward(n, ps, r, d),
      } as typeof k;
    },
  };
};
const attrsOf = (n: TypedPrim) => n.attrs as Record<string, unknown>;
const withAttrs = (n: TypedPrim, a: Record<string, unknown>): TypedPrim => ({ ...n, attrs: { ...attrsOf(n), ...a } as TypedPrim['attrs'] });

describe('delta-rule laws reject wrong kernels', () => {
  const d: DeltaDims = { B: 1, T: 5, H: 1, dk: 2, dv: 2 };
  const chunkwise = (n: TypedPrim) => attrsOf(n).algorithm === 'chunkwise';
  it('chunkwise ≡ recurrent: the chunkwise output or one of its input gradients off by 1e-4', () => {
    expect(chunkwiseMatchesRecurrent(f64, d, 2, '[0,1]', 1).ok).toBe(true);
    const out = chunkwiseMatchesRecurrent(tamperedWhen(f64, 'delta_rule', chunkwise, { output: scaled(WRONG) }), d, 2, '[0,1]', 1);
    expect(out.ok).toBe(false);
    expect(out.detail).toMatch(/^chunkwise C=2 vs recurrent \(T=5, \[0,1\]\): worst closeness /);
    const grad = chunkwiseMatchesRecurrent(tamperedWhen(f64, 'delta_rule', chunkwise, { dInput: (t, i) => (i === 2 ? largestScaled(WRONG)(t) : t) }), d, 2, '[0,1]', 1);
    expect(grad.ok).toBe(false);
  });
  it('splitting carries the state: a kernel that ignores S_0, or whose final state is off by 1e-4', () => {
    const attrs = { heads: 1 };
    expect(splitCarriesState(f64, d, 2, attrs, 3).ok).toBe(true);
    const noS0: Backend<JsT> = {
      ...f64,
      kernel: (q) => {
        const k = f64.kernel(q);
        if (!k || q !== 'delta_rule') return k;
        const zero = (x: JsT) => f64.upload({ shape: f64.download(x).shape, data: new Float64Array(f64.download(x).data.length) });
        return { ...k, forward: (n, ps, xs) => k.forward(n, ps, [...xs.slice(0, 4), zero(xs[4]!)]) } as typeof k;
      },
    };
    const rep = splitCarriesState(noS0, d, 2, attrs, 3);
    expect(rep.ok).toBe(false);
    expect(rep.detail).toMatch(/^split at 2 of 5: worst closeness /);
    expect(splitCarriesState(tampered(f64, 'delta_rule', { output: (t, i) => (i === 1 ? scaled(WRONG)(t) : t) }), d, 2, attrs, 3).ok).toBe(false);
    // Only the last output row differs: the final state is compared too, not just the outputs.
    expect(splitCarriesState(tampered(f64, 'delta_rule', { output: (t, i) => (i === 0 ? t : shifted(t.data.length - 1, 1e-6)(t)) }), d, 4, attrs, 3).ok).toBe(false);
  });
  it('the spectrum, β = 1 recall and β = 0 laws: a kernel that doubles β (or halves it), one state entry or output off', () => {
    const k = Float64Array.from([0.6, -0.8, 0]);
    expect(transitionSpectrum(f64, k, 0.3, '[0,1]').ok).toBe(true);
    const flip = (n: TypedPrim) => withAttrs(n, { betaRange: attrsOf(n).betaRange === '[0,2]' ? '[0,1]' : '[0,2]' });
    const rep = transitionSpectrum(tampered(f64, 'delta_rule', { node: flip }), k, 0.3, '[0,1]');
    expect(rep.ok).toBe(false);
    expect(rep.detail).toMatch(/^β = 0\.57\d+: eigenvalues \[.*\], expected \{1 ×2, 0\.42\d+\}$/);
    const dd: DeltaDims = { B: 1, T: 3, H: 2, dk: 2, dv: 2 };
    expect(unitBetaRecalls(f64, dd, 2).ok).toBe(true);
    expect(unitBetaRecalls(tampered(f64, 'delta_rule', { node: flip }), dd, 2).ok).toBe(false);
    expect(zeroBetaKeepsState(f64, dd, 2)).toMatchObject({ ok: true });
    expect(zeroBetaKeepsState(tampered(f64, 'delta_rule', { output: (t, i) => (i === 1 ? shifted(3, t.data[3]! * Number.EPSILON)(t) : t) }), dd, 2).ok).toBe(false);
    const out = zeroBetaKeepsState(tampered(f64, 'delta_rule', { output: (t, i) => (i === 0 ? shifted(t.data.length - 1, 1e-9)(t) : t) }), dd, 2);
    expect(out.ok).toBe(false);
    expect(out.worst).toBeCloseTo(1e-9, 15);
  });
  it('residual variants: one variant off by 1e-4, or keeping one tensor more than its cost', () => {
    const attrs = { heads: 1, algorithm: 'chunkwise' as const, chunk: 2 };
    expect(variantsAgree(f64, d, attrs, 4).ok).toBe(true);
    const none = (n: TypedPrim) => n.variant === 'none';
    expect(variantsAgree(tamperedWhen(f64, 'delta_rule', none, { output: scaled(WRONG) }), d, attrs, 4).ok).toBe(false);
    expect(variantsAgree(tamperedWhen(f64, 'delta_rule', none, { dInput: largestScaled(WRONG) }), d, attrs, 4).ok).toBe(false);
    const extra = variantsAgree(tamperedWhen(f64, 'delta_rule', none, { extraResidual: (xs) => ({ q: xs[0]! }) }), d, attrs, 4);
    expect(extra.ok).toBe(false);
    expect(extra.detail).toMatch(/none keeps (\d+) elements, cost says (\d+)/);
    const [, kept, says] = /none keeps (\d+) elements, cost says (\d+)/.exec(extra.detail)!;
    expect(Number(kept) - Number(says)).toBe(1 * 5 * 2);
  });
  it('deltaProperty holds for a law that holds and fails for one that does not', () => {
    fc.assert(deltaProperty(() => ({ ok: true, worst: 0, detail: '' })), { numRuns: 2, seed: 1 });
    expect(() => fc.assert(deltaProperty((s) => ({ ok: s < 0, worst: 1, detail: '' })), { numRuns: 2, seed: 1 })).toThrow(/Property failed/);
  });
});

describe('delta-rule law helpers', () => {
  it('deltaShapes and deltaInputs', () => {
    const d: DeltaDims = { B: 2, T: 3, H: 2, dk: 4, dv: 5 };
    expect(deltaShapes(d)).toEqual([[2, 3, 8], [2, 3, 8], [2, 3, 10], [2, 3, 2], [2, 2, 4, 5]]);
    const xs = deltaInputs(d, 7);
    expect(xs.map((x) => x.shape)).toEqual(deltaShapes(d));
    const r = rng(7);
    xs.forEach((x, i) => expect([...x.data]).toEqual([...randn(deltaShapes(d)[i]!, r.fork(`delta:${i}`)).data]));
  });
  it('symmetricEigenvalues on matrices with known spectra', () => {
    const close = (a: number[], b: number[]) => a.forEach((v, i) => expect(v).toBeCloseTo(b[i]!, 12));
    close(symmetricEigenvalues([2, 1, 1, 2], 2), [1, 3]);
    close(symmetricEigenvalues([3, 0, 0, 0, 1, 0, 0, 0, 2], 3), [1, 2, 3]);
    close(symmetricEigenvalues([2, -1, 0, -1, 2, -1, 0, -1, 2], 3), [2 - Math.SQRT2, 2, 2 + Math.SQRT2]);
    close(symmetricEigenvalues([0, 1, 1, 0], 2), [-1, 1]);
    close(symmetricEigenvalues([5, 2, 0, 0, 2, 5, 0, 0, 0, 0, 1, 1e-3, 0, 0, 1e-3, 1], 4), [1 - 1e-3, 1 + 1e-3, 3, 7]);
  });
  it('transitionOf: S_1 = I − β k̂ k̂ᵀ and β = range · σ(logit), for logits of both signs', () => {
    const k = Float64Array.from([3, 4]);
    for (const [logit, range, scale] of [[-2, '[0,1]', 1], [1.5, '[0,2]', 2], [-30, '[0,2]', 2]] as const) {
      const { M, beta } = transitionOf(f64, k, logit, range);
      const sig = 1 / (1 + Math.exp(-logit));
      expect(beta).toBeCloseTo(scale * sig, 15);
      expect(beta / (scale * sig)).toBeCloseTo(1, 12);
      const kh = [0.6, 0.8];
      for (let i = 0; i < 2; i++) for (let j = 0; j < 2; j++) expect(M[i * 2 + j]).toBeCloseTo((i === j ? 1 : 0) - beta * kh[i]! * kh[j]!, 12);
    }
  });
  it('unitRows: normal draws, each row scaled to norm 1', () => {
    const u = unitRows(3, 4, 5);
    const r = rng(5);
    for (let i = 0; i < 3; i++) {
      const row = Array.from({ length: 4 }, () => r.normal());
      const n = Math.hypot(...row);
      for (let x = 0; x < 4; x++) expect(u[i * 4 + x]).toBeCloseTo(row[x]! / n, 14);
    }
  });
  it('the WY identity holds to rounding, and a tolerance below the error it measured fails', () => {
    const c = 4;
    const dk = 3;
    const beta = Float64Array.from([0.3, 1.2, 0.7, 1.9]);
    const rep = wyMatchesTransitionProduct(unitRows(c, dk, 2), beta, c, dk);
    expect(rep.ok).toBe(true);
    expect(rep.worst).toBeGreaterThan(0);
    expect(rep.worst).toBeLessThan(1e-14);
    expect(wyMatchesTransitionProduct(unitRows(c, dk, 2), beta, c, dk, rep.worst / 2).ok).toBe(false);
    // One transition, by hand: k = e₁, β = 0.5 gives diag(0.5, 1, 1) both ways, exactly.
    const one = wyMatchesTransitionProduct(Float64Array.from([1, 0, 0]), Float64Array.from([0.5]), 1, 3, 0);
    expect(one).toMatchObject({ ok: true, worst: 0 });
  });
});

describe('pooling laws reject wrong kernels', () => {
  it('a factorised operator whose Hadamard product is off by 1e-4, or a bilinear kernel off by 1e-4, is not its materialised tensor', () => {
    const mfb = factorisedOps().find((o) => o.name === 'MFB')!;
    expect(equalsMaterialised(f64, mfb, 2, 3, 4, 1).ok).toBe(true);
    const had = equalsMaterialised(tampered(f64, 'hadamard', { output: scaled(WRONG) }), mfb, 2, 3, 4, 1);
    expect(had.ok).toBe(false);
    expect(had.err).toBeCloseTo(1e-4, 6);
    expect(had.detail).toMatch(/^MFB: relative deviation from the materialised tensor /);
    const bil = equalsMaterialised(tampered(f64, 'bilinear', { output: scaled(WRONG) }), mfb, 2, 3, 4, 1);
    expect(bil.ok).toBe(false);
    expect(bil.err).toBeCloseTo(1e-4, 6);
  });
  it('materialising needs the parameters it names', () => {
    const mfb = factorisedOps().find((o) => o.name === 'MFB')!;
    expect(() => mfb.materialise({}, 3, 4)).toThrow(`paramEnding: expected one parameter ending in 'u.w', found []`);
  });
  it('residual accounting under a variant; a kernel that keeps one tensor more under it fails', () => {
    const c = poolingCases.find((x) => x.name === 'mcb d=13 (Bluestein)')!;
    const plan = { variants: { '': 'spectra' } };
    expect(residualMatchesCost(f64, c, plan, 2).ok).toBe(true);
    const spectra = (n: TypedPrim) => n.variant === 'spectra';
    const rep = residualMatchesCost(tamperedWhen(f64, 'mcb', spectra, { extraResidual: (xs) => ({ x: xs[0]! }) }), c, plan, 2);
    expect(rep).toMatchObject({ ok: false, err: 2 * 7 });
    expect(rep.detail).toMatch(/^mcb d=13 \(Bluestein\): cost says (\d+) residual elements, forward kept (\d+)$/);
    // Under the default variant the same kernel keeps what its cost says.
    expect(residualMatchesCost(tamperedWhen(f64, 'mcb', spectra, { extraResidual: (xs) => ({ x: xs[0]! }) }), c, {}, 2).ok).toBe(true);
  });
  it('runTerm: a forward with initial parameters from seed 0 unless given', () => {
    const x = randn([2, 3], rng(1));
    const model = checkOrThrow(prim('linear', { out: 2 }), [[2, 3]]);
    const ps = initParams(model, 0, 'float64');
    const [y] = runTerm(f64, prim('linear', { out: 2 }), [x]);
    const [z] = runTerm(f64, prim('linear', { out: 2 }), [x], ps);
    expect([...y!.data]).toEqual([...z!.data]);
    const w = ps.w!.data;
    const b = ps.b!.data;
    expect(y!.data[1]).toBeCloseTo(x.data[0]! * w[1]! + x.data[1]! * w[3]! + x.data[2]! * w[5]! + b[1]!, 14);
  });
});

describe('equivariance laws reject wrong kernels', () => {
  it('gauntMatchesDense: the Gaunt kernel off by 1e-4 in its output, an input gradient or a weight gradient', () => {
    const deg = { l1: 2, l2: 1, lout: 2 };
    expect(gauntMatchesDense(f64, deg, [2, 2], 1)).toBeLessThan(1e-12);
    for (const how of [{ output: scaled(WRONG) }, { dInput: (t: HostTensor, i: number) => (i === 1 ? largestScaled(WRONG)(t) : t) }, { dParam: (t: HostTensor, k: string) => (k === 'w3' ? largestScaled(WRONG)(t) : t) }] as Tampering[]) {
      const e = gauntMatchesDense(tampered(f64, 'gaunt_tensor_product', how), deg, [2, 2], 1);
      expect(e).toBeGreaterThan(1e-6);
    }
  });
  it('gauntSymmetryError: a Gaunt kernel off by 1e-4 only when l1 > l2 is not symmetric', () => {
    const deg = { l1: 2, l2: 1, lout: 2 };
    expect(gauntSymmetryError(f64, deg, [2, 2], 3)).toBeLessThan(1e-12);
    const lopsided = tamperedWhen(f64, 'gaunt_tensor_product', (n) => (attrsOf(n).l1 as number) > (attrsOf(n).l2 as number), { output: scaled(WRONG) });
    const e = gauntSymmetryError(lopsided, deg, [2, 2], 3);
    expect(e).toBeGreaterThan(0.5e-4);
    expect(e).toBeLessThan(2e-4);
  });
  it('equivarianceProperty holds for the kernel and fails for one component off by 1e-4', () => {
    const deg = { l1: 1, l2: 1, lout: 2 };
    fc.assert(equivarianceProperty(f64, 'tensor_product', {}, deg, [2], 1e-12), { numRuns: 2, seed: 1 });
    const bad = tampered(f64, 'tensor_product', { output: (t) => shifted(1, 1e-4 * Math.max(...t.data.map(Math.abs)))(t) });
    expect(() => fc.assert(equivarianceProperty(bad, 'tensor_product', {}, deg, [2], 1e-12), { numRuns: 2, seed: 1 })).toThrow(/Property failed/);
  });
  it('equivarianceSample draws R, x1, x2 from forks of one seed', () => {
    const s = equivarianceSample({ l1: 1, l2: 2, lout: 1 }, [3], 4);
    expect(s.x1.shape).toEqual([3, 4]);
    expect(s.x2.shape).toEqual([3, 9]);
    const r = rng(4);
    expect(s.R).toEqual(randomRotation(r.fork('R')));
    expect([...s.x1.data]).toEqual([...randn([3, 4], r.fork('x1')).data]);
    expect([...s.x2.data]).toEqual([...randn([3, 9], r.fork('x2')).data]);
  });
  it('the SO(3) errors are rounding: positive, and far below any tolerance', () => {
    for (const e of [shOrthonormalityError(3), wignerHomomorphismError(3, randomRotation(rng(1)), randomRotation(rng(2))), gauntCoefficientError(2)]) {
      expect(e).toBeGreaterThan(0);
      expect(e).toBeLessThan(1e-12);
    }
  });
});
