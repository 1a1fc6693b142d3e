/**
 * The ONNX Runtime laws (laws/ort.ts) on one small model, fed wrong inputs on purpose: a reference
 * backend off by 1e-2 or keeping one tensor more than the plan says, an exported 2-cell whose `r`
 * belongs to another model, two exports of different plans. Skipped without onnxruntime-node, like
 * test/ort-laws.test.ts (which runs the laws on every conformance case and larger models).
 */
import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { exportDeterministic, ORT_TOL, ortConforms, ortPlansAgree, ortTwoCellValid, residualLayout, runReference } from '../laws/ort';
import { loadOrt, toOnnx, twoCellToOnnx } from '../src/onnx/index';
import { checkOrThrow, initParams, jsBackend, prim, randn, rng, seq } from '../src/index';
import { conformanceSuites } from '../laws/suites';
import { MissingKernelError } from '../src/backend/backend';
import type { Plan } from '../src/plan/plan';
import { scaled, tampered } from './tampered';

const ort = await loadOrt();
const skipReason = ort instanceof Error ? ` (skipped: ${ort.message})` : '';
const f64 = jsBackend('float64');

const mlp = (act: string) => seq(prim('linear', { out: 4 }, { name: 'a' }), prim(act, {}, { name: 'f' }), prim('linear', { out: 2 }, { name: 'b' }));
const model = checkOrThrow(mlp('tanh'), [[3, 5]]);
const params = initParams(model, 1, 'float64');
const inputs = [randn([3, 5], rng(1).fork('x'))];
const dys = [randn([3, 2], rng(1).fork('dy'))];

describe('residualLayout and runReference', () => {
  it('names and shapes in order', () => {
    expect(residualLayout([['a:x', { shape: [2, 3] }], ['s', { shape: [] }]])).toEqual(['a:x[2,3]', 's[]']);
  });
  it('downloads outputs, gradients and the kept residual of one run', () => {
    const r = runReference(model, f64, { remat: ['f'] }, params, inputs, dys);
    expect(r.outputs[0]!.shape).toEqual([3, 2]);
    expect(r.dInputs[0]!.shape).toEqual([3, 5]);
    expect(Object.keys(r.dParams).sort()).toEqual(['a.b', 'a.w', 'b.b', 'b.w']);
    // tanh keeps its input; the lens form of node f keeps the same tensor as f@:in0.
    expect(residualLayout(r.residual)).toEqual(['a:x[3,5]', 'f@:in0[3,4]', 'b:x[3,4]']);
    expect(residualLayout(runReference(model, f64, {}, params, inputs, dys).residual)).toEqual(['a:x[3,5]', 'f:x[3,4]', 'b:x[3,4]']);
  });
});

describe.skipIf(ort instanceof Error)(`ortConforms${skipReason}`, () => {
  const c = { name: 'mlp', term: mlp('tanh'), inputs: [[3, 5]] };
  it('passes against the true reference; fails against one off by 1e-2 or one that keeps a tensor more', async () => {
    expect((await ortConforms(c, f64, 3, ORT_TOL)).ok).toBe(true);
    const off = await ortConforms(c, tampered(f64, 'linear', { output: scaled(1 + 1e-2) }), 3, ORT_TOL);
    expect(off.ok).toBe(false);
    expect(off.worst).toBeGreaterThan(1);
    expect(off.where).toMatch(/^(output 0|input gradient 0|parameter gradient \S+) \{\}$/);
    const extra = await ortConforms(c, tampered(f64, 'tanh', { extraResidual: (xs) => ({ copy: xs[0]! }) }), 3, ORT_TOL);
    expect(extra).toMatchObject({ ok: false, worst: Infinity });
    expect(extra.where).toBe('residual layout {}: ort keeps a:x[3,5] f:x[3,4] b:x[3,4], the reference a:x[3,5] f:x[3,4] f:tampered:copy[3,4] b:x[3,4]');
  });
  it('a difference of exactly the tolerance passes; a primitive without an emitter is a MissingKernelError', async () => {
    const off = tampered(f64, 'linear', { output: scaled(1 + 1e-2) });
    const m = (await ortConforms(c, off, 3, { rtol: 0, atol: 1 })).worst;
    expect(await ortConforms(c, off, 3, { rtol: 0, atol: m })).toMatchObject({ ok: true, worst: 1 });
    const sparse = conformanceSuites.sparse!.find((x) => JSON.stringify(x.term).includes('spmm'))!;
    await expect(ortConforms(sparse, f64, 1, ORT_TOL)).rejects.toBeInstanceOf(MissingKernelError);
  });
  it('a model that keeps nothing, against a reference that keeps something', async () => {
    const add = { name: 'add', term: prim('add'), inputs: [[2, 3], [2, 3]] };
    expect((await ortConforms(add, f64, 1, ORT_TOL)).ok).toBe(true);
    const rep = await ortConforms(add, tampered(f64, 'add', { extraResidual: (xs) => ({ copy: xs[0]! }) }), 1, ORT_TOL);
    expect(rep.where).toBe('residual layout {}: ort keeps nothing, the reference :tampered:copy[2,3]');
    const m = checkOrThrow(prim('add'), [[2, 3], [2, 3]]);
    const xs = [randn([2, 3], rng(1)), randn([2, 3], rng(2))];
    const plans = await ortPlansAgree(m, [{}], tampered(f64, 'add', { extraResidual: (ys) => ({ copy: ys[0]! }) }), {}, xs, [randn([2, 3], rng(3))], ORT_TOL);
    expect(plans.where).toBe('plan {} keeps nothing; it says :tampered:copy[2,3]');
  });
  it('the worst variant is kept: a wrong reference under the first variant only', async () => {
    const att = { name: 'att', term: prim('attention', { heads: 1, dk: 2, dv: 2 }), inputs: [[2, 3, 4]], variants: [{ '': 'probs' }, { '': 'lse' }] };
    const wrongProbs = tampered(f64, 'attention', { node: (n) => (n.variant === 'probs' ? { ...n, attrs: { ...(n.attrs as object), causal: true } } : n) });
    const rep = await ortConforms(att, wrongProbs, 2, ORT_TOL);
    expect(rep.ok).toBe(false);
    expect(rep.where).toMatch(/\{"":"probs"\}$/);
  });
  it('every variant of the case is compared (a wrong reference under the second variant only)', async () => {
    const att = { name: 'att', term: prim('attention', { heads: 1, dk: 2, dv: 2 }), inputs: [[2, 3, 4]], variants: [{ '': 'probs' }, { '': 'lse' }] };
    expect((await ortConforms(att, f64, 2, ORT_TOL)).ok).toBe(true);
    const wrongLse = tampered(f64, 'attention', { node: (n) => (n.variant === 'lse' ? { ...n, attrs: { ...(n.attrs as object), causal: true } } : n) });
    const rep = await ortConforms(att, wrongLse, 2, ORT_TOL);
    expect(rep.ok).toBe(false);
    expect(rep.where).toMatch(/\{"":"lse"\}/);
  });
});

describe.skipIf(ort instanceof Error)(`ortPlansAgree${skipReason}`, () => {
  const plans: Plan[] = [{}, { remat: ['f'] }, { remat: [''] }];
  it('the plans agree bit for bit, keep what they say, and keep different amounts', async () => {
    const rep = await ortPlansAgree(model, plans, f64, params, inputs, dys, ORT_TOL);
    expect(rep).toMatchObject({ ok: true, worst: 0, layoutsMatch: true, bitIdentical: true, where: '' });
    // a:x 3·5, f:x (or f@:in0) 3·4, b:x 3·4; with the whole model recomputed only its input 3·5.
    expect(rep.residualElems).toEqual([39, 39, 15]);
  });
  it('a reference that keeps one tensor more than the plan says fails the layout check, naming the plan', async () => {
    const extra = tampered(f64, 'tanh', { extraResidual: (xs) => ({ copy: xs[0]! }) });
    const rep = await ortPlansAgree(model, plans, extra, params, inputs, dys, ORT_TOL);
    expect(rep.layoutsMatch).toBe(false);
    expect(rep.ok).toBe(false);
    expect(rep.where).toMatch(/^plan \{"remat":\["f"\]\}|^plan \{\} keeps .*; it says .*tampered:copy/);
  });
});

describe.skipIf(ort instanceof Error)(`ortTwoCellValid${skipReason}`, () => {
  const cellOf = (m: typeof model, s: Plan, t: Plan) => {
    const c = twoCellToOnnx(m, s, t);
    if (E.isLeft(c)) throw c.left;
    return c.right;
  };
  it('the exported remat ⇒ store 2-cell holds bit for bit', async () => {
    const rep = await ortTwoCellValid(cellOf(model, { remat: [''] }, {}), model, params, inputs, dys, ORT_TOL);
    expect(rep).toEqual({ t1: true, t2: true, exact: true, differ: true, worst: 0, where: '' });
  });
  it('the identity 2-cell (a plan to itself) holds and says the residuals do not differ', async () => {
    for (const p of [{}, { remat: ['f'] }] as Plan[]) {
      const rep = await ortTwoCellValid(cellOf(model, p, p), model, params, inputs, dys, ORT_TOL);
      expect(rep).toEqual({ t1: true, t2: true, exact: true, differ: false, worst: 0, where: '' });
    }
  });
  it("fails when r is another model's (sigmoid for tanh): the kept values, and so the gradients, are wrong", async () => {
    const other = checkOrThrow(mlp('sigmoid'), [[3, 5]]);
    const good = cellOf(model, { remat: [''] }, {});
    const wrong = { ...good, r: cellOf(other, { remat: [''] }, {}).r };
    const rep = await ortTwoCellValid(wrong, model, params, inputs, dys, ORT_TOL);
    expect(rep.t1).toBe(false);
    expect(rep.exact).toBe(false);
    expect(rep.worst).toBeGreaterThan(1);
    expect(rep.where).toMatch(/^(T1 residual f:x|\(T2\)|input gradient 0 \(T2\)|parameter gradient \S+ \(T2\))$/);
  });
  it('fails T1 when r gives the tensors in another order than the target keeps them, and says so', async () => {
    const good = cellOf(model, { remat: [''] }, {});
    const wrong = { ...good, r: { ...good.r, graph: { ...good.r.graph, outputs: [...good.r.graph.outputs].reverse() } } };
    const rep = await ortTwoCellValid(wrong, model, params, inputs, dys, ORT_TOL);
    expect(rep.t1).toBe(false);
    expect(rep.t2).toBe(true);
    expect(rep.exact).toBe(false);
    expect(rep.where).toBe('r gives b:x f:x a:x, the target keeps a:x f:x b:x');
  });
});

describe('exportDeterministic', () => {
  it('two exports of one plan are byte-identical; of two plans they are not', () => {
    const ex = (p: Plan) => {
      const r = toOnnx(checkOrThrow(mlp('tanh'), [[3, 5]]), p);
      if (E.isLeft(r)) throw r.left;
      return r.right;
    };
    expect(exportDeterministic(ex({ remat: ['f'] }), ex({ remat: ['f'] }))).toBe(true);
    expect(exportDeterministic(ex({ remat: ['f'] }), ex({}))).toBe(false);
    expect(exportDeterministic(ex({}), ex({ remat: [''] }))).toBe(false);
    // The same graphs with another manifest: one file of three differs.
    const a = ex({});
    expect(exportDeterministic(a, { ...a, manifest: { ...a.manifest, plan: { remat: ['f'] } } })).toBe(false);
    // Files of the same length that differ in one byte ('f' against 'g').
    const f = ex({ remat: ['f'] });
    expect(exportDeterministic(f, { ...f, manifest: { ...f.manifest, plan: { remat: ['g'] } } })).toBe(false);
  });
});
