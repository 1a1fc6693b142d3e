import { describe, expect, it } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import { conforms, F32_EQUIVARIANCE_TOL, F32_TOL, plansAgree, vjpMatchesFiniteDifferences } from '../laws/index';
import {
  equivarianceProperty, equivarianceSample, gauntCoefficientError, gauntMatchesDense, gauntSymmetryError, shOrthonormalityError,
  tensorProductCases, tensorProductEquivarianceError, wignerHomomorphismError,
} from '../laws/equivariant';
import { check, checkOrThrow, flatResidual, initParams, jsBackend, lowerOrThrow, prim, randn, residualElems, rng } from '../src/index';
import { randomRotation, realSH, shDim, wigner3j, wignerD } from '../src/equivariant/index';
import * as E from 'fp-ts/lib/Either.js';

const f64 = jsBackend('float64');
const f32 = jsBackend('float32');
const seedArb = fc.integer({ min: 0, max: 1_000_000 });

const tol32 = F32_EQUIVARIANCE_TOL;

describe('SO(3) machinery', () => {
  it('real SH are orthonormal under the product quadrature, L ≤ 6 (and 10)', () => {
    for (const L of [0, 1, 2, 6, 10]) expect(shOrthonormalityError(L)).toBeLessThan(1e-13);
  });
  it('Y_1 is sqrt(3/4π)·(y, z, x): the documented convention', () => {
    const y = realSH(1, 0.48, 0.6, 0.64);
    const c = Math.sqrt(3 / (4 * Math.PI));
    expect([...y.slice(1)].map((v) => v / c)).toEqual([0.6, 0.64, 0.48].map((v) => expect.closeTo(v, 14)));
  });
  test.prop([seedArb], { numRuns: 4 })('D(R₁R₂) = D(R₁)D(R₂) at L = 6', (seed) => {
    const r = rng(seed);
    expect(wignerHomomorphismError(6, randomRotation(r.fork(1)), randomRotation(r.fork(2)))).toBeLessThan(1e-12);
  });
  it('D(R) is orthogonal and Y(R x) = D(R) Y(x)', () => {
    const R = randomRotation(rng(5));
    const D = wignerD(4, R);
    const [x, y, z] = [0.36, 0.48, 0.8];
    const Y = realSH(4, x, y, z);
    const RY = realSH(4, R[0]! * x + R[1]! * y + R[2]! * z, R[3]! * x + R[4]! * y + R[5]! * z, R[6]! * x + R[7]! * y + R[8]! * z);
    for (let l = 0; l <= 4; l++) {
      const d = 2 * l + 1;
      for (let a = 0; a < d; a++) {
        let s = 0;
        for (let b = 0; b < d; b++) s += D[l]![a * d + b]! * Y[l * l + b]!;
        expect(Math.abs(s - RY[l * l + a]!)).toBeLessThan(1e-13);
        for (let c = 0; c < d; c++) {
          let o = 0;
          for (let b = 0; b < d; b++) o += D[l]![a * d + b]! * D[l]![c * d + b]!;
          expect(Math.abs(o - (a === c ? 1 : 0))).toBeLessThan(1e-13);
        }
      }
    }
  });
  it('3j symbols: known values and orthogonality', () => {
    expect(wigner3j(1, 1, 0, 0, 0, 0)).toBeCloseTo(-1 / Math.sqrt(3), 14);
    expect(wigner3j(1, 1, 2, 0, 0, 0)).toBeCloseTo(Math.sqrt(2 / 15), 14);
    expect(wigner3j(1, 1, 1, 0, 0, 0)).toBe(0);
    const [l1, l2, l3] = [4, 3, 5];
    for (const m3 of [-2, 0, 3]) {
      let s = 0;
      for (let m1 = -l1; m1 <= l1; m1++) for (let m2 = -l2; m2 <= l2; m2++) s += wigner3j(l1, l2, l3, m1, m2, m3) ** 2;
      expect(s * (2 * l3 + 1)).toBeCloseTo(1, 13);
    }
  });
  it('real Gaunt coefficients from 3j symbols equal those from quadrature, L ≤ 6', () => {
    expect(gauntCoefficientError(6)).toBeLessThan(1e-13);
  });
});

describe('tensor products: equivariance (float64, L up to 6)', () => {
  const lead = [2, 3];
  for (const [name, attrs, deg] of [
    ['tensor_product', {}, { l1: 3, l2: 2, lout: 5 }],
    ['tensor_product', {}, { l1: 6, l2: 6, lout: 6 }],
    ['tensor_product', { coupling: 'gaunt', weights: 'degree' }, { l1: 4, l2: 4, lout: 8 }],
    ['gaunt_tensor_product', {}, { l1: 6, l2: 6, lout: 12 }],
    ['gaunt_tensor_product', {}, { l1: 6, l2: 3, lout: 6 }],
    ['gaunt_tensor_product', { weights: 'none' }, { l1: 0, l2: 5, lout: 5 }],
  ] as const)
    test.prop([seedArb], { numRuns: 3 })(`${name} ${JSON.stringify({ ...attrs, ...deg })}`, (seed) => {
      const model = checkOrThrow(prim(name, { ...deg, ...attrs }), [[...lead, shDim(deg.l1)], [...lead, shDim(deg.l2)]]);
      const { R, x1, x2 } = equivarianceSample(deg, lead, seed);
      const params = Object.fromEntries(Object.entries(initParams(model, seed, 'float64')).map(([k, v]) => [k, randn(v.shape, rng(seed).fork(k))]));
      expect(tensorProductEquivarianceError(lowerOrThrow(model, f64), f64, params, x1, x2, R, deg)).toBeLessThan(1e-13);
    });
  it('float32: relative equivariance error ≤ 4·ε₃₂·(L+1), L = 1, 3, 6', () => {
    for (const L of [1, 3, 6]) {
      const deg = { l1: L, l2: L, lout: L };
      fc.assert(equivarianceProperty(f32, 'gaunt_tensor_product', {}, { ...deg, lout: 2 * L }, [2, 4], tol32(L)), { numRuns: 2, seed: L });
      fc.assert(equivarianceProperty(f32, 'tensor_product', {}, deg, [2, 4], tol32(L)), { numRuns: 2, seed: L });
    }
  });
});

describe('Gaunt product', () => {
  it('equals the dense product with Gaunt coefficients (outputs and gradients), L up to 6, both variants', () => {
    for (const deg of [{ l1: 0, l2: 2, lout: 2 }, { l1: 3, l2: 5, lout: 8 }, { l1: 6, l2: 6, lout: 6 }, { l1: 6, l2: 6, lout: 12 }])
      for (const v of ['inputs', 'grids'] as const) expect(gauntMatchesDense(f64, deg, [2, 2], 11, v)).toBeLessThan(1e-12);
  });
  test.prop([seedArb], { numRuns: 3 })('is symmetric: TP(x₁, x₂) = TP(x₂, x₁) with swapped weights', (seed) => {
    expect(gauntSymmetryError(f64, { l1: 6, l2: 4, lout: 10 }, [2, 3], seed)).toBeLessThan(1e-13);
    expect(gauntSymmetryError(f64, { l1: 5, l2: 5, lout: 5 }, [3], seed)).toBeLessThan(1e-13);
  });
  it('residual variants: bit-identical outputs and gradients; residual elements equal the cost model', () => {
    const shapes = [[2, 3, 16], [2, 3, 25]];
    for (const weights of ['degree', 'none']) {
      const term = prim('gaunt_tensor_product', { l1: 3, l2: 4, lout: 5, weights });
      const model = checkOrThrow(term, shapes);
      const params = initParams(model, 1, 'float32');
      const xs = shapes.map((s, i) => randn(s, rng(2).fork(i), 'float32'));
      const dy = [randn([2, 3, 36], rng(3), 'float32')];
      expect(plansAgree(model, f32, [{ variants: { '': 'inputs' } }, { variants: { '': 'grids' } }], params, xs, dy)).toBe(true);
      for (const variant of ['inputs', 'grids']) {
        const prog = lowerOrThrow(model, f32, { variants: { '': variant } });
        const dev = Object.fromEntries(Object.entries(params).map(([k, v]) => [k, f32.upload(v)]));
        const { residual } = prog.forward(dev, xs);
        const expected = checkOrThrow(prim('gaunt_tensor_product', { l1: 3, l2: 4, lout: 5, weights }, { variant }), shapes);
        const node = expected.root as { cost: { residualElems: number } };
        expect(residualElems(f32, residual)).toBe(node.cost.residualElems);
        if (variant === 'grids') expect(Object.keys(flatResidual(residual)).length).toBe(weights === 'degree' ? 7 : 6);
      }
    }
  });
});

describe('tensor products: gradients and conformance', () => {
  const vjpCases = [
    ...tensorProductCases.map((c) => ({ name: c.name, term: c.term, inputs: c.inputs, variants: c.variants })),
    { name: 'gaunt L=6', term: prim('gaunt_tensor_product', { l1: 6, l2: 6, lout: 6 }), inputs: [[1, 2, 49], [1, 2, 49]], variants: [{ '': 'inputs' }, { '': 'grids' }] },
    { name: 'dense L=6', term: prim('tensor_product', { l1: 6, l2: 4, lout: 6 }), inputs: [[2, 49], [2, 25]], variants: undefined },
  ];
  for (const c of vjpCases)
    test.prop([seedArb], { numRuns: 2 })(`${c.name}: backward is the VJP (float64)`, (seed) => {
      const model = checkOrThrow(c.term, c.inputs);
      for (const variants of c.variants ?? [{}]) {
        const prog = lowerOrThrow(model, f64, { variants });
        const params = Object.fromEntries(Object.entries(initParams(model, seed, 'float64')).map(([k, v]) => [k, randn(v.shape, rng(seed).fork(k))]));
        const inputs = c.inputs.map((s, i) => randn(s, rng(seed).fork(`x${i}`)));
        const rep = vjpMatchesFiniteDifferences(prog, f64, params, inputs, seed);
        expect(rep.ok, rep.detail).toBe(true);
      }
    });
  for (const c of tensorProductCases)
    it(`${c.name}: float32 conforms to float64 within F32_TOL`, () => {
      const rep = conforms(c, f32, f64, 7, F32_TOL);
      expect(rep.ok, `${rep.where}: ${rep.worst}`).toBe(true);
    });
});

describe('bad input is a clear error', () => {
  const msg = (term: ReturnType<typeof prim>, shapes: number[][]) => {
    const r = check(term, shapes);
    return E.isLeft(r) ? r.left.message : 'no error';
  };
  it('names the primitive and the attribute or input', () => {
    expect(msg(prim('gaunt_tensor_product', { l1: 2, l2: 1, lout: 4 }), [[3, 9], [3, 4]])).toMatch(/gaunt_tensor_product: lout 4 exceeds l1 \+ l2 = 3/);
    expect(msg(prim('tensor_product', { l1: 2, l2: 1 }), [[3, 8], [3, 4]])).toMatch(/x1's last axis must be \(l1\+1\)² = 9 for l1 = 2, got \[3,8\]/);
    expect(msg(prim('tensor_product', { l1: 1, l2: 1 }), [[3, 4], [2, 4]])).toMatch(/must agree on every axis but the last/);
    expect(msg(prim('gaunt_tensor_product', { l1: 1, l2: 1 }), [[4], [4]])).toMatch(/x1 needs shape \[\.\.\., C, \(l1\+1\)²\]/);
    expect(msg(prim('gaunt_tensor_product', { l1: 1, l2: 1, weights: 'path' }), [[2, 4], [2, 4]])).toMatch(/gaunt_tensor_product/);
    expect(msg(prim('tensor_product', { l1: -1, l2: 1 }), [[2, 4], [2, 4]])).toMatch(/tensor_product/);
  });
});
