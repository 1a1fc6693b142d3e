/**
 * The ONNX Runtime laws (laws/ort.ts) against ORT programs made wrong on purpose under one plan: the
 * programs the laws open are wrapped (`vi.mock` of src/onnx/ort-program) so that, for the plans a
 * test picks, an output or a gradient is scaled by 1 + 1e-3 (ORT_TOL's rtol is 2e-4), or by 1 + 2⁻²⁰
 * (within tolerance, not bit for bit). The exporter and ONNX Runtime themselves are untouched.
 * Skipped without onnxruntime-node.
 */
import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it, vi } from 'vitest';
import type { Plan } from '../src/plan/plan';
import type { HostTensor } from '../src/tensor/tensor';

const wrong = vi.hoisted(() => ({ when: (_p: unknown): boolean => false, out: 1, grad: 1, only: -1 }));
vi.mock('../src/onnx/ort-program', async (importOriginal) => {
  const m = await importOriginal<typeof import('../src/onnx/ort-program')>();
  // Scale by s: every tensor, or only the one at index `wrong.only`.
  const sc = (s: number) => (t: HostTensor, i: number): HostTensor => (s === 1 || (wrong.only >= 0 && i !== wrong.only) ? t : { shape: t.shape, data: t.data.map((v) => v * s) });
  const wrap = (p: import('../src/onnx/ort-program').OrtProgram, plan: unknown): import('../src/onnx/ort-program').OrtProgram => {
    if (!wrong.when(plan)) return p;
    const [out, grad] = [wrong.out, wrong.grad];
    return {
      backend: p.backend, model: p.model, plan: p.plan, manifest: p.manifest, exported: p.exported,
      forward: async (ps, xs) => {
        const r = await p.forward(ps, xs);
        return { ...r, outputs: r.outputs.map(sc(out)) };
      },
      backward: async (res, dys) => {
        const g = await p.backward(res, dys);
        return { dInputs: g.dInputs.map((d, i) => (d === null ? null : sc(grad)(d, i))), dParams: Object.fromEntries(Object.entries(g.dParams).map(([k, d]) => [k, wrong.only >= 0 ? d : sc(grad)(d, 0)])) };
      },
      release: () => p.release(),
    };
  };
  return {
    ...m,
    ortProgram: async (model: never, plan: Plan = {}, opts: never) => {
      const r = await m.ortProgram(model, plan, opts);
      return r._tag === 'Right' ? { _tag: 'Right' as const, right: wrap(r.right, plan) } : r;
    },
    ortProgramOf: async (ort: never, model: never, plan: Plan, ex: never, opts: never) => {
      const r = await m.ortProgramOf(ort, model, plan, ex, opts);
      return r._tag === 'Right' ? { _tag: 'Right' as const, right: wrap(r.right, plan) } : r;
    },
  };
});

const { ORT_TOL, ortPlansAgree, ortTwoCellValid } = await import('../laws/ort');
const { loadOrt, twoCellToOnnx } = await import('../src/onnx/index');
const { checkOrThrow, initParams, jsBackend, par, prim, randn, rng, seq } = await import('../src/index');

const ort = await loadOrt();
const skipReason = ort instanceof Error ? ` (skipped: ${ort.message})` : '';
const f64 = jsBackend('float64');
const model = checkOrThrow(seq(prim('linear', { out: 4 }, { name: 'a' }), prim('tanh', {}, { name: 'f' }), prim('linear', { out: 2 }, { name: 'b' })), [[3, 5]]);
const params = initParams(model, 1, 'float64');
const inputs = [randn([3, 5], rng(1).fork('x'))];
const dys = [randn([3, 2], rng(1).fork('dy'))];
const remat = (p: unknown) => ((p as Plan).remat ?? []).length > 0;
const set = (out: number, grad: number, when: (p: unknown) => boolean = remat) => Object.assign(wrong, { when, out, grad });
const OFF = 1 + 1e-3;
const reset = () => Object.assign(wrong, { when: () => false, out: 1, grad: 1, only: -1 });

describe.skipIf(ort instanceof Error)(`ortPlansAgree against a plan whose program is off${skipReason}`, () => {
  const plans: Plan[] = [{}, { remat: ['f'] }, { remat: [''] }];
  it('an output or a gradient off by 1e-3 under the remat plans: not ok, the first such plan named', async () => {
    for (const [out, grad, where] of [[OFF, 1, /^output 0 \(plan \{"remat":\["f"\]\}\)$/], [1, OFF, /^(input|parameter) gradient \S+ \(plan \{"remat":\["f"\]\}\)$/]] as const) {
      set(out, grad);
      const rep = await ortPlansAgree(model, plans, f64, params, inputs, dys, ORT_TOL);
      expect(rep.ok).toBe(false);
      expect(rep.layoutsMatch).toBe(true);
      expect(rep.bitIdentical).toBe(false);
      expect(rep.worst).toBeGreaterThan(1);
      expect(rep.where).toMatch(where);
    }
    reset();
  });
  it('within tolerance but not bit for bit (outputs only, or gradients only)', async () => {
    for (const [out, grad] of [[1 + 2 ** -20, 1], [1, 1 + 2 ** -20]]) {
      set(out!, grad!);
      const rep = await ortPlansAgree(model, plans, f64, params, inputs, dys, ORT_TOL);
      expect(rep).toMatchObject({ ok: true, layoutsMatch: true, bitIdentical: false });
    }
    // Only the middle plan off: a later plan that agrees does not hide it.
    set(OFF, 1, (p) => JSON.stringify(p) === '{"remat":["f"]}');
    expect((await ortPlansAgree(model, plans, f64, params, inputs, dys, ORT_TOL)).ok).toBe(false);
    // A difference of exactly the tolerance passes.
    set(OFF, 1);
    const m = (await ortPlansAgree(model, plans, f64, params, inputs, dys, { rtol: 0, atol: 1 })).worst;
    expect(await ortPlansAgree(model, plans, f64, params, inputs, dys, { rtol: 0, atol: m })).toMatchObject({ ok: true, worst: 1 });
    reset();
  });
});

describe.skipIf(ort instanceof Error)(`bit-for-bit comparisons look at every output and input gradient${skipReason}`, () => {
  // Two inputs and two outputs: tanh and relu side by side; only output 1, or only input gradient 1, is a little off.
  const two = checkOrThrow(par(prim('tanh', {}, { name: 's' }), prim('relu', {}, { name: 'r' })), [[2, 3], [2, 3]]);
  const xs = [randn([2, 3], rng(4)), randn([2, 3], rng(5))];
  const ds = [randn([2, 3], rng(6)), randn([2, 3], rng(7))];
  it('ortPlansAgree: one output or one input gradient not identical is not bit for bit', async () => {
    for (const [out, grad] of [[1 + 2 ** -20, 1], [1, 1 + 2 ** -20]]) {
      Object.assign(wrong, { when: remat, out, grad, only: 1 });
      const rep = await ortPlansAgree(two, [{}, { remat: ['s'] }], f64, {}, xs, ds, ORT_TOL);
      expect(rep).toMatchObject({ ok: true, bitIdentical: false });
    }
    reset();
  });
  it('ortTwoCellValid: one input gradient not identical is not exact', async () => {
    const c = twoCellToOnnx(two, { remat: ['s'] }, {});
    if (E.isLeft(c)) throw c.left;
    Object.assign(wrong, { when: (p: unknown) => !remat(p), out: 1, grad: 1 + 2 ** -20, only: 1 });
    const rep = await ortTwoCellValid(c.right, two, {}, xs, ds, ORT_TOL);
    expect(rep).toMatchObject({ t1: true, t2: true, exact: false });
    reset();
  });
  it('inputs without gradients (ids) count as the same on both sides', async () => {
    const emb = checkOrThrow(seq(prim('embedding', { vocab: 5, dim: 3 }), prim('tanh', {}, { name: 't' })), [[4]]);
    const ps = initParams(emb, 2, 'float64');
    const ids = [{ shape: [4], data: Float64Array.from([0, 3, 1, 4]) }];
    const dy = [randn([4, 3], rng(8))];
    const rep = await ortPlansAgree(emb, [{}, { remat: ['t'] }], f64, ps, ids, dy, ORT_TOL);
    expect(rep).toMatchObject({ ok: true, bitIdentical: true, layoutsMatch: true });
    const c = twoCellToOnnx(emb, { remat: ['t'] }, {});
    if (E.isLeft(c)) throw c.left;
    expect(await ortTwoCellValid(c.right, emb, ps, ids, dy, ORT_TOL)).toMatchObject({ t1: true, t2: true, exact: true });
  });
});

describe.skipIf(ort instanceof Error)(`ortTwoCellValid against a target whose program is off${skipReason}`, () => {
  const cellOf = (s: Plan, t: Plan) => {
    const c = twoCellToOnnx(model, s, t);
    if (E.isLeft(c)) throw c.left;
    return c.right;
  };
  // The cell {remat: ['f']} ⇒ {}: its target is the plan {}, which the mock makes wrong.
  const plain = (p: unknown) => !remat(p);
  const cell = () => cellOf({ remat: ['f'] }, {});
  it('T1 fails on an output off by 1e-3; T2 on a gradient off by 1e-3; tiny differences are not exact', async () => {
    set(OFF, 1, plain);
    const t1 = await ortTwoCellValid(cell(), model, params, inputs, dys, ORT_TOL);
    expect(t1).toMatchObject({ t1: false, t2: true, exact: false });
    expect(t1.where).toBe('T1 output 0');
    set(1, OFF, plain);
    const t2 = await ortTwoCellValid(cell(), model, params, inputs, dys, ORT_TOL);
    expect(t2).toMatchObject({ t1: true, t2: false, exact: false });
    expect(t2.where).toMatch(/^(input|parameter) gradient \S+ \(T2\)$/);
    expect(t2.worst).toBeGreaterThan(1);
    // Differences of exactly the tolerance pass, in T1 and in T2.
    for (const [out, grad, law] of [[OFF, 1, 't1'], [1, OFF, 't2']] as const) {
      set(out, grad, plain);
      const m = (await ortTwoCellValid(cell(), model, params, inputs, dys, { rtol: 0, atol: 1 })).worst;
      const r = await ortTwoCellValid(cell(), model, params, inputs, dys, { rtol: 0, atol: m });
      expect([r[law], r.worst]).toEqual([true, 1]);
    }
    for (const [out, grad] of [[1 + 2 ** -20, 1], [1, 1 + 2 ** -20]]) {
      set(out!, grad!, plain);
      const rep = await ortTwoCellValid(cell(), model, params, inputs, dys, ORT_TOL);
      expect(rep).toMatchObject({ t1: true, t2: true, exact: false });
    }
    reset();
  });
});
