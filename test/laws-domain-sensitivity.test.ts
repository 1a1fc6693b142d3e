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
import {
  sketchIdentity,
  equalsMaterialised, factorisedOps, injectiveSketchPreservesInnerProducts, isBilinear, mcbVariantTwoCells, poolingCases, residualMatchesCost, runTerm,
  sketchInnerProductUnbiased,
} from '../laws/pooling';
import {
  equivarianceProperty, equivarianceSample, gauntCoefficientError, gauntMatchesDense, gauntSymmetryError, shOrthonormalityError, wignerHomomorphismError,
} from '../laws/equivariant';
import { matmul3, randomRotation, wignerD } from '../src/equivariant/wigner';
import { realGaunt, realGauntByQuadrature } from '../src/equivariant/coupling';
import { wyFactors } from '../backends/js/kernels/delta-core';
import { sphereQuadrature } from '../src/equivariant/quadrature';
import { realSH, shDim } from '../src/equivariant/sh';
import { checkOrThrow, copy, initParams, jsBackend, par, prim, randn, rng, seq, type Backend, type TypedNode, type TypedPrim } from '../src/index';
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
    expect(rep.detail).toMatch(/^β = 0\.57\d+: eigenvalues \[-?\d\.\d{6}, -?\d\.\d{6}, -?\d\.\d{6}\], expected \{1 ×2, 0\.42\d+\}$/);
    const dd: DeltaDims = { B: 1, T: 3, H: 2, dk: 2, dv: 2 };
    expect(unitBetaRecalls(f64, dd, 2).ok).toBe(true);
    const half = unitBetaRecalls(tampered(f64, 'delta_rule', { node: flip }), dd, 2);
    expect(half.ok).toBe(false);
    expect(half.detail).toMatch(/^β = 1: max \|S_tᵀk_t − v_t\| = \d/);
    expect(zeroBetaKeepsState(f64, dd, 2)).toMatchObject({ ok: true });
    expect(zeroBetaKeepsState(tampered(f64, 'delta_rule', { output: (t, i) => (i === 1 ? shifted(3, t.data[3]! * Number.EPSILON)(t) : t) }), dd, 2).ok).toBe(false);
    const out = zeroBetaKeepsState(tampered(f64, 'delta_rule', { output: (t, i) => (i === 0 ? shifted(t.data.length - 1, 1e-9)(t) : t) }), dd, 2);
    expect(out.ok).toBe(false);
    expect(out.worst).toBeCloseTo(1e-9, 15);
    expect(out.detail).toBe(`β = 0: state changed or output differs by ${out.worst}`);
  });
  it('residual variants: one variant off by 1e-4, or keeping one tensor more than its cost', () => {
    const attrs = { heads: 1, algorithm: 'chunkwise' as const, chunk: 2 };
    expect(variantsAgree(f64, d, attrs, 4)).toEqual({ ok: true, worst: 0, detail: 'residual variants: worst closeness 0 ' });
    const none = (n: TypedPrim) => n.variant === 'none';
    expect(variantsAgree(tamperedWhen(f64, 'delta_rule', none, { output: scaled(WRONG) }), d, attrs, 4).ok).toBe(false);
    expect(variantsAgree(tamperedWhen(f64, 'delta_rule', none, { dInput: largestScaled(WRONG) }), d, attrs, 4).ok).toBe(false);
    const extra = variantsAgree(tamperedWhen(f64, 'delta_rule', none, { extraResidual: (xs) => ({ q: xs[0]! }) }), d, attrs, 4);
    expect(extra.ok).toBe(false);
    expect(extra.detail).toMatch(/none keeps (\d+) elements, cost says (\d+)/);
    const [, kept, says] = /none keeps (\d+) elements, cost says (\d+)/.exec(extra.detail)!;
    expect(Number(kept) - Number(says)).toBe(1 * 5 * 2);
    // Every variant keeping one tensor more: one note each, joined by '; '.
    const all = variantsAgree(tampered(f64, 'delta_rule', { extraResidual: (xs) => ({ q: xs[0]! }) }), d, attrs, 4);
    expect(all.detail).toBe('residual variants: worst closeness Infinity all-states keeps 75 elements, cost says 65; chunk-states keeps 67 elements, cost says 57; none keeps 59 elements, cost says 49');
    expect(all.detail).toMatch(/ all-states keeps \d+ elements, cost says \d+; chunk-states keeps \d+ elements, cost says \d+; none keeps \d+ elements, cost says \d+$/);
  });
  it('splitting carries the state on float32 too (the time slices keep the dtype)', () => {
    const f32 = jsBackend('float32');
    expect(splitCarriesState(f32, { B: 2, T: 6, H: 1, dk: 2, dv: 3 }, 4, { heads: 1 }, 5, { rtol: 1e-6, atol: 1e-7 }).ok).toBe(true);
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
  it('bilinearity is checked in each argument: x ⊙ (y ⊙ y) and (x ⊙ x) ⊙ y fail, x ⊙ y holds', () => {
    const sq = seq(copy(2), prim('hadamard'));
    expect(isBilinear(f64, prim('hadamard'), [2, 3], [2, 3], 1).ok).toBe(true);
    const quadY = isBilinear(f64, seq(par(prim('id'), sq), prim('hadamard')), [2, 3], [2, 3], 1);
    expect(quadY.ok).toBe(false);
    expect(quadY.detail).toBe(`relative deviation from bilinearity ${quadY.err}`);
    expect(isBilinear(f64, seq(par(sq, prim('id')), prim('hadamard')), [2, 3], [2, 3], 1).ok).toBe(false);
  });
  it('the injective-hash law: refuses d < dx·dy; its error is relative ((1 + 1e-4)² − 1 for an output off by 1e-4)', () => {
    expect(() => injectiveSketchPreservesInnerProducts(f64, 4, 5, 19, 1)).toThrow('injectiveSketchPreservesInnerProducts: d = 19 < dx·dy = 20, no injective hash exists');
    expect(injectiveSketchPreservesInnerProducts(f64, 4, 5, 20, 1).ok).toBe(true);
    const rep = injectiveSketchPreservesInnerProducts(tampered(f64, 'mcb', { output: scaled(WRONG) }), 4, 5, 20, 1);
    expect(rep.ok).toBe(false);
    expect(rep.err).toBeCloseTo(WRONG ** 2 - 1, 10);
    expect(rep.detail).toMatch(/^⟨Φ\(x,y\), Φ\(x′,y′\)⟩ = \S+ vs ⟨x,x′⟩⟨y,y′⟩ = \S+$/);
  });
  it('unbiasedness: the band is 6σ with σ² = A·B/(d·N) from the variance bound, computed here', () => {
    const v = { x: Float64Array.from([1, -2, 0.5]), x2: Float64Array.from([0.5, 1, -1]), y: Float64Array.from([2, 1]), y2: Float64Array.from([-1, 3]) };
    const seeds = [1, 2, 3, 4, 5];
    const rep = sketchInnerProductUnbiased(f64, v, 8, seeds);
    const dot = (a: Float64Array, b: Float64Array) => a.reduce((s, ai, i) => s + ai * b[i]!, 0);
    const absDot = (a: Float64Array, b: Float64Array) => a.reduce((s, ai, i) => s + Math.abs(ai) * Math.abs(b[i]!), 0);
    // ⟨x,x′⟩ = 0.5 − 2 − 0.5 = −2, ⟨y,y′⟩ = −2 + 3 = 1; A = 5.25·2.25 + 2·(0.5 + 2 + 0.5)², B = 5·10 + 2·(2 + 3)².
    expect(rep.target).toBe(-2);
    const A = 5.25 * 2.25 + 2 * 9;
    const B = 50 + 2 * 25;
    expect(dot(v.x, v.x) * dot(v.x2, v.x2) + 2 * absDot(v.x, v.x2) ** 2).toBe(A);
    expect(rep.sigma).toBeCloseTo(Math.sqrt((A * B) / (8 * 5)), 12);
    expect(rep.band).toBeCloseTo(6 * rep.sigma, 12);
    expect(rep.err).toBeCloseTo(Math.abs(rep.mean - rep.target), 12);
    expect(rep.ok).toBe(rep.err <= rep.band);
    expect(rep.detail).toBe(`mean over 5 seeds ${rep.mean} vs ⟨x,x′⟩⟨y,y′⟩ -2: |Δ| = ${rep.err}, 6σ = ${6 * rep.sigma}`);
    expect(sketchInnerProductUnbiased(f64, v, 8, seeds, 1e-9).ok).toBe(false);
  });
  it("residual accounting reads the plan's variant at a nested node (MCB + norm)", () => {
    const pool = poolingCases.find((x) => x.name === 'MCB + norm')!;
    const c = { ...pool, name: 'tanh, then MCB + norm', term: seq(par(prim('tanh'), prim('tanh')), pool.term) };
    const model = checkOrThrow(c.term, c.inputs);
    const find = (n: TypedNode): string[] => (n.kind === 'prim' ? (n.def.name === 'mcb' ? [n.path.join('.')] : []) : n.children.flatMap(find));
    const [path] = find(model.root);
    expect(path).toContain('.');
    for (const v of ['input', 'sketch', 'spectra']) expect(residualMatchesCost(f64, c, { variants: { [path!]: v } }, 3).ok).toBe(true);
  });
  it('mcbVariantTwoCells names a missing kernel or a kernel without the 2-cell maps', () => {
    const x = randn([2, 3], rng(1));
    const y = randn([2, 4], rng(2));
    const g = randn([2, 8], rng(3));
    const good = mcbVariantTwoCells(f64, 8, 1, x, y, g);
    expect(good).toEqual({ inputToSketch: { t1: true, t2: true }, sketchToSpectra: { t1: true, t2: true } });
    const none: Backend<JsT> = { ...f64, kernel: (p) => (p === 'mcb' ? undefined : f64.kernel(p)) };
    expect(() => mcbVariantTwoCells(none, 8, 1, x, y, g)).toThrow(`mcbVariantTwoCells: backend '${f64.name}' has no kernel for 'mcb'`);
    const bare = tampered(f64, 'mcb', {});
    expect(() => mcbVariantTwoCells(bare, 8, 1, x, y, g)).toThrow(`mcbVariantTwoCells: backend '${bare.name}' has no map for the mcb 2-cell input ⇒ sketch`);
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
    // An output off by 1e-4 everywhere is off by exactly 1e-4 relative to the largest output.
    expect(gauntMatchesDense(tampered(f64, 'gaunt_tensor_product', { output: scaled(WRONG) }), deg, [2, 2], 1)).toBeCloseTo(1e-4, 12);
    const grids = (n: TypedPrim) => n.variant === 'grids';
    expect(gauntMatchesDense(tamperedWhen(f64, 'gaunt_tensor_product', grids, { output: scaled(WRONG) }), deg, [2, 2], 1)).toBeLessThan(1e-12);
    expect(gauntMatchesDense(tamperedWhen(f64, 'gaunt_tensor_product', grids, { output: scaled(WRONG) }), deg, [2, 2], 1, 'grids')).toBeCloseTo(1e-4, 12);
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
  it('the SO(3) errors equal their definitions, computed here over every degree and path', () => {
    const L = 3;
    // ∫ Y_a Y_b dΩ by the product rule of degree 2L.
    const q = sphereQuadrature(2 * L);
    const n = shDim(L);
    let orth = 0;
    const ys = Array.from({ length: q.size }, (_, k) => realSH(L, q.points[3 * k]!, q.points[3 * k + 1]!, q.points[3 * k + 2]!));
    for (let a = 0; a < n; a++)
      for (let b = 0; b < n; b++) {
        let s = 0;
        for (let k = 0; k < q.size; k++) s += q.weights[k]! * ys[k]![a]! * ys[k]![b]!;
        orth = Math.max(orth, Math.abs(s - (a === b ? 1 : 0)));
      }
    expect(shOrthonormalityError(L)).toBeCloseTo(orth, 15);
    const [R1, R2] = [randomRotation(rng(1)), randomRotation(rng(2))];
    const [A, B, AB] = [wignerD(L, R1), wignerD(L, R2), wignerD(L, matmul3(R1, R2))];
    let hom = 0;
    for (let l = 0; l <= L; l++) {
      const d = 2 * l + 1;
      for (let i = 0; i < d; i++)
        for (let j = 0; j < d; j++) {
          let s = 0;
          for (let k = 0; k < d; k++) s += A[l]![i * d + k]! * B[l]![k * d + j]!;
          hom = Math.max(hom, Math.abs(s - AB[l]![i * d + j]!));
        }
    }
    expect(wignerHomomorphismError(L, R1, R2)).toBe(hom);
    let gaunt = 0;
    for (let l1 = 0; l1 <= 2; l1++)
      for (let l2 = 0; l2 <= 2; l2++)
        for (let l3 = Math.abs(l1 - l2); l3 <= l1 + l2; l3++) {
          const a = realGaunt(l1, l2, l3);
          const b = realGauntByQuadrature(l1, l2, l3);
          gaunt = Math.max(gaunt, a.maxImag, ...b.map((v, i) => Math.abs(a.tensor[i]! - v)));
        }
    expect(gauntCoefficientError(2)).toBe(gaunt);
  });
  it('the SO(3) errors are rounding: positive, and far below any tolerance', () => {
    for (const e of [shOrthonormalityError(3), wignerHomomorphismError(3, randomRotation(rng(1)), randomRotation(rng(2))), gauntCoefficientError(2)]) {
      expect(e).toBeGreaterThan(0);
      expect(e).toBeLessThan(1e-12);
    }
  });
});

describe('each law accepts a difference of exactly its tolerance (≤, not <)', () => {
  // A first run with rtol 0 and atol 1 reports the largest difference m itself; with atol = m the
  // same comparison gives exactly 1 (or m ≤ tol), which passes.
  const at = <R extends { ok: boolean; worst: number }>(run: (tol: { rtol: number; atol: number }) => R) => {
    const m = run({ rtol: 0, atol: 1 }).worst;
    expect(m).toBeGreaterThan(0);
    const r = run({ rtol: 0, atol: m });
    expect(r.worst).toBe(1);
    return r.ok;
  };
  const d: DeltaDims = { B: 1, T: 5, H: 1, dk: 2, dv: 2 };
  const chunkOff = tamperedWhen(f64, 'delta_rule', (n) => attrsOf(n).algorithm === 'chunkwise', { output: scaled(WRONG) });
  it('delta: chunkwise ≡ recurrent, split, variants, β = 1, spectrum, WY', () => {
    expect(at((tol) => chunkwiseMatchesRecurrent(chunkOff, d, 2, '[0,1]', 1, tol))).toBe(true);
    expect(at((tol) => splitCarriesState(tampered(f64, 'delta_rule', { output: (t, i) => (i === 1 ? scaled(WRONG)(t) : t) }), d, 2, { heads: 1 }, 3, tol))).toBe(true);
    const noneOff = tamperedWhen(f64, 'delta_rule', (n) => n.variant === 'none', { output: scaled(WRONG) });
    expect(at((tol) => variantsAgree(noneOff, d, { heads: 1 }, 4, tol))).toBe(true);
    const flip = (n: TypedPrim) => withAttrs(n, { betaRange: attrsOf(n).betaRange === '[0,2]' ? '[0,1]' : '[0,2]' });
    const dd: DeltaDims = { B: 1, T: 3, H: 2, dk: 2, dv: 2 };
    const recall = unitBetaRecalls(tampered(f64, 'delta_rule', { node: flip }), dd, 2);
    expect(unitBetaRecalls(tampered(f64, 'delta_rule', { node: flip }), dd, 2, recall.worst).ok).toBe(true);
    const k = Float64Array.from([0.6, -0.8, 0]);
    const spec = transitionSpectrum(tampered(f64, 'delta_rule', { node: flip }), k, 0.3, '[0,1]');
    expect(transitionSpectrum(tampered(f64, 'delta_rule', { node: flip }), k, 0.3, '[0,1]', spec.worst).ok).toBe(true);
    const beta = Float64Array.from([0.3, 1.2, 0.7, 1.9]);
    const wy = wyMatchesTransitionProduct(unitRows(4, 3, 2), beta, 4, 3);
    expect(wyMatchesTransitionProduct(unitRows(4, 3, 2), beta, 4, 3, wy.worst).ok).toBe(true);
  });
  it('pooling: bilinearity, the sketch identity, injective inner products, materialised tensors', () => {
    const quadY = seq(par(prim('id'), seq(copy(2), prim('hadamard'))), prim('hadamard'));
    const e = isBilinear(f64, quadY, [2, 3], [2, 3], 1).err;
    expect(isBilinear(f64, quadY, [2, 3], [2, 3], 1, e).ok).toBe(true);
    const off = tampered(f64, 'mcb', { output: scaled(WRONG) });
    const x = randn([2, 7], rng(1));
    const y = randn([2, 5], rng(2));
    const sk = sketchIdentity(off, 13, 3, x, y);
    expect(sk.ok).toBe(false);
    expect(sk.detail).toBe(`max |IFFT(FFT Ψ₁ ⊙ FFT Ψ₂) − CS_{H,S}(x⊗y)| = ${sk.err}`);
    expect(sketchIdentity(off, 13, 3, x, y, sk.err).ok).toBe(true);
    const inj = injectiveSketchPreservesInnerProducts(off, 4, 5, 20, 1);
    expect(injectiveSketchPreservesInnerProducts(off, 4, 5, 20, 1, inj.err).ok).toBe(true);
    const mfb = factorisedOps().find((o) => o.name === 'MFB')!;
    const had = tampered(f64, 'hadamard', { output: scaled(WRONG) });
    const m = equalsMaterialised(had, mfb, 2, 3, 4, 1);
    expect(equalsMaterialised(had, mfb, 2, 3, 4, 1, m.err).ok).toBe(true);
  });
  it('the WY law compares every entry: its error is the largest |(I − KᵀW) − Π(I − β k kᵀ)| computed here', () => {
    const [c, dk] = [4, 3];
    const k = unitRows(c, dk, 2);
    const beta = Float64Array.from([0.3, 1.2, 0.7, 1.9]);
    const A = new Float64Array(c * c);
    const W = new Float64Array(c * dk);
    wyFactors({ T: c, dk, dv: 1, q: new Float64Array(c * dk), k, v: new Float64Array(c), beta }, 0, c, c, A, W, new Float64Array(c));
    // Π(I − β_i k_i k_iᵀ), i = 1..c, applied to the identity one factor at a time.
    let P: number[][] = Array.from({ length: dk }, (_, i) => Array.from({ length: dk }, (_, j) => (i === j ? 1 : 0)));
    for (let i = 0; i < c; i++) {
      const ki = Array.from(k.subarray(i * dk, (i + 1) * dk));
      P = P.map((_, x) => P[x]!.map((__, yy) => P[x]![yy]! - beta[i]! * ki[x]! * ki.reduce((s, kz, z) => s + kz * P[z]![yy]!, 0)));
    }
    let worst = 0;
    for (let x = 0; x < dk; x++)
      for (let yy = 0; yy < dk; yy++) {
        let a = x === yy ? 1 : 0;
        for (let i = 0; i < c; i++) a -= k[i * dk + x]! * W[i * dk + yy]!;
        worst = Math.max(worst, Math.abs(a - P[x]![yy]!));
      }
    const rep = wyMatchesTransitionProduct(k, beta, c, dk);
    expect(rep.worst).toBeCloseTo(worst, 15);
    expect(rep.worst / worst).toBeGreaterThan(0.5);
    expect(rep.detail).toBe(`max |(I − KᵀW) − Π(I − β k kᵀ)| = ${rep.worst}`);
  });
});
