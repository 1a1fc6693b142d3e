import { beforeAll, describe, expect, it } from 'vitest';
import { twoCellLaws } from '../laws/optic';
import { cellArgs, kernelCellEq } from '../laws/plan';
import { conformanceSuites, type ConformanceCase } from '../laws/index';
import { deltaShapes } from '../laws/delta';
import { identical } from '../laws/compare';
import { type Backend, type Residual, checkOrThrow, initParams, jsBackend, jsKernels, lookupPrimitive, prim, primitiveNames, randn, rng, type TypedPrim } from '../src/index';
import { variantTwoCell } from '../src/lower/kernel-optic';
import { initWasm, wasmKernels, type WasmBackend } from '../backends/wasm/index';

/**
 * Every variant 2-cell a primitive declares (`PrimitiveDef.twoCells`) has its map `r` on every backend
 * that has the primitive, and the one T1/T2 law of `laws/optic.ts` holds for it bit for bit on the
 * core `TwoCell` between the two variants' kernel optics: the target's forward keeps exactly r(m) and
 * gives the same outputs (T1), and its backward on r(m) gives the source's parameter and input
 * gradients on m (T2). Cases: every conformance case whose term is one primitive with declared
 * 2-cells, plus more delta-rule shapes (ragged, single-step and oversized chunks).
 */

/** Delta-rule shapes beyond the conformance cases: ragged last chunks, chunk 1, chunk ≥ T, T a multiple of C. */
const deltaExtra: ConformanceCase[] = (['recurrent', 'chunkwise'] as const).flatMap((algorithm) =>
  [
    { B: 1, T: 7, H: 1, dk: 4, dv: 3, chunk: 3 },
    { B: 2, T: 8, H: 2, dk: 3, dv: 5, chunk: 4 },
    { B: 1, T: 5, H: 2, dk: 2, dv: 2, chunk: 1 },
    { B: 2, T: 5, H: 1, dk: 5, dv: 4, chunk: 16 },
    { B: 1, T: 13, H: 1, dk: 8, dv: 8, chunk: 5 },
  ].map(({ chunk, ...d }) => ({
    name: `delta_rule ${algorithm} T=${d.T} C=${chunk} dk=${d.dk} dv=${d.dv}`,
    term: prim('delta_rule', { heads: d.H, algorithm, chunk, betaRange: '[0,2]' }),
    inputs: deltaShapes(d),
  })),
);

const cases = [...Object.values(conformanceSuites).flat(), ...deltaExtra];

/** Declared 2-cells of every registered primitive. */
const declared = primitiveNames().flatMap((name) => (lookupPrimitive(name)!.twoCells ?? []).map((c) => ({ prim: name, from: c.from, to: c.to })));

/** The checked single-primitive root of a case, or null if the case is a composite. */
const rootOf = (c: ConformanceCase): TypedPrim | null => {
  const root = checkOrThrow(c.term, c.inputs).root;
  return root.kind === 'prim' ? root : null;
};

/** Why a 2-cell failed, for the message: which kept entries, outputs or gradients differ. */
const diagnose = <T>(be: Backend<T>, s: { kept: Residual<T> }, t: { kept: Residual<T> }, rm: { kept: Residual<T> }): string => {
  const keys = (r: Residual<T>) => Object.keys(r).sort().join(',');
  if (keys(t.kept) !== keys(rm.kept)) return `target keeps {${keys(t.kept)}}, r(m) has {${keys(rm.kept)}} (source keeps {${keys(s.kept)}})`;
  const bad = Object.keys(t.kept).filter((k) => !identical(be.download(t.kept[k]!), be.download(rm.kept[k]!)));
  return bad.length ? `r(m) differs from the target's residual in ${bad.join(', ')}` : 'residuals agree';
};

const check = <T>(be: Backend<T>, c: ConformanceCase, node: TypedPrim, from: string, to: string, seed: number) => {
  const kernel = be.kernel(node.def.name);
  if (!kernel) throw new Error(`backend '${be.name}' has no kernel for '${node.def.name}'`);
  const cell = variantTwoCell(kernel, node, from, to);
  if (!cell) throw new Error(`backend '${be.name}': kernel '${node.def.name}' has no map for ${from} ⇒ ${to}`);
  const model = checkOrThrow(c.term, c.inputs);
  const inputs = c.sample ? c.sample(seed) : c.inputs.map((s, i) => randn(s, rng(seed).fork(`x${i}`)));
  const dOutputs = node.outputs.map((s, i) => randn(s, rng(seed).fork(`dy${i}`)));
  const { a, db } = cellArgs(be, initParams(model, seed, be.dtype), inputs, dOutputs);
  const E = kernelCellEq(be);
  const t1 = twoCellLaws.t1(cell, E.residual, E.output)(a);
  const t2 = twoCellLaws.t2(cell, E.cotangent)(a, db);
  const [m] = cell.source.fwd(a);
  const [m2] = cell.target.fwd(a);
  // Non-vacuity: the two variants' residuals differ exactly when their costs say they keep different
  // amounts (they coincide only in degenerate shapes, e.g. chunk 1 or a chunk longer than T).
  const keepsMore = node.def.cost(node.attrs, node.inputs, from).residualElems !== node.def.cost(node.attrs, node.inputs, to).residualElems;
  const differ = !E.residual.equals(m, m2) === keepsMore;
  return { t1, t2, differ, detail: t1 ? '' : diagnose(be, m, m2, cell.r(m)) };
};

const backends: { name: string; get: () => Backend<unknown> }[] = [];
let wasm: WasmBackend;
beforeAll(async () => {
  wasm = await initWasm();
});
const f32 = jsBackend('float32');
const f64 = jsBackend('float64');
backends.push({ name: 'js', get: () => f32 as Backend<unknown> }, { name: 'js-f64', get: () => f64 as Backend<unknown> }, { name: 'wasm', get: () => wasm as Backend<unknown> });

describe('every declared variant 2-cell has its map on every backend', () => {
  it('there are declared 2-cells to check', () => expect(declared.length).toBeGreaterThan(0));
  for (const { prim: p, from, to } of declared) {
    it(`${p}: ${from} ⇒ ${to} on js`, () => {
      const k = jsKernels.find((x) => x.prim === p);
      expect(k, `js has no kernel for '${p}'`).toBeDefined();
      expect(k!.twoCells?.[`${from}⇒${to}`], `js kernel '${p}' lacks r for ${from} ⇒ ${to}`).toBeDefined();
    });
    it(`${p}: ${from} ⇒ ${to} on wasm`, () => {
      // A primitive the wasm backend lacks is a listed gap in wasm-conformance; one it has needs every map.
      if (!wasmKernels.some((x) => x.prim === p)) return;
      expect(wasm.kernel(p)!.twoCells?.[`${from}⇒${to}`], `wasm kernel '${p}' lacks r for ${from} ⇒ ${to}`).toBeDefined();
    });
    it(`${p}: ${from} ⇒ ${to} is exercised by at least one case where the two variants keep different amounts`, () => {
      const keepsMore = (n: TypedPrim) => n.def.cost(n.attrs, n.inputs, from).residualElems !== n.def.cost(n.attrs, n.inputs, to).residualElems;
      expect(cases.some((c) => { const n = rootOf(c); return n?.def.name === p && keepsMore(n); })).toBe(true);
    });
  }
});

describe('(T1) and (T2) hold bit for bit for every declared variant 2-cell, and the residuals differ where the costs do', () => {
  for (const c of cases) {
    const node = rootOf(c);
    const cells = node?.def.twoCells ?? [];
    for (const { from, to } of cells)
      for (const { name, get } of backends)
        it(`${c.name}: ${from} ⇒ ${to} on ${name}`, () => {
          const be = get();
          for (const seed of [1, 29]) {
            const rep = be.scope ? be.scope(() => check(be, c, node!, from, to, seed)) : check(be, c, node!, from, to, seed);
            expect(rep, `seed ${seed}: ${rep.detail}`).toEqual({ t1: true, t2: true, differ: true, detail: '' });
          }
        });
  }
});
