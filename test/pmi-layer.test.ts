import { describe, expect, it } from 'vitest';
import { plansAgree, runPlan, vjpMatchesFiniteDifferences } from '../laws/index';
import { checkOrThrow, initParams, jsBackend, lowerOrThrow, randn, rng, type TypedNode } from '../src/index';
import { pmiLayer, pmiMemoryShape, type PmiOptions } from '../src/models/pmi';
import { EQUILATERAL, NOT_EQUILATERAL, SORT_OF_CLEVR, TRIANGLES, bestRatio, randomScene, socAnswer, sortOfClevrBatch, trianglesBatch } from '../src/tasks/relational';
import { initWasm } from '../backends/wasm/index';
import { closeness } from '../laws/compare';

const f64 = jsBackend('float64');
/** Path of the first node of primitive `name`. */
const pathOf = (n: TypedNode, name: string): string | undefined =>
  n.kind === 'prim' ? (n.def.name === name ? n.path.join('.') : undefined) : n.children.map((c) => pathOf(c, name)).find((p) => p !== undefined);
const o: PmiOptions = { batch: 2, tokens: 5, slots: 3, width: 8, heads: 2, topk: 2, chunk: 2 };
const shapes = [[2, 5, 8], [2, 3, 8], pmiMemoryShape(o)];
const model = checkOrThrow(pmiLayer(o), shapes);
const inputs = (seed: number) => shapes.map((s, i) => randn(s, rng(seed).fork(`x${i}`)));
const dys = (seed: number) => model.root.outputs.map((s, i) => randn(s, rng(seed).fork(`dy${i}`)));

describe('pmiLayer (a composite of the term language and the two PMI primitives)', () => {
  it('checks to (y, M_w′, M_l′) with the input shapes', () => expect(model.root.outputs).toEqual(shapes));

  it('backward is the VJP (finite differences, float64), parameters and inputs', () => {
    for (const seed of [1, 2]) {
      const prog = lowerOrThrow(model, f64);
      const rep = vjpMatchesFiniteDifferences(prog, f64, initParams(model, seed, 'float64'), inputs(seed), seed, { rtol: 1e-5 });
      expect(rep.ok, rep.detail).toBe(true);
    }
  });

  it('the long-term memory variants and a lens-form layer give the same outputs and gradients bit for bit', () => {
    const ltm = pathOf(model.root, 'outer_memory')!;
    const plans = [{}, { variants: { [ltm]: 'chunk-states' } }, { variants: { [ltm]: 'none' } }, { remat: [''] }];
    expect(plansAgree(model, f64, plans, initParams(model, 3, 'float64'), inputs(3), dys(3))).toBe(true);
  });

  it('wasm agrees with js float64', async () => {
    const wasm = await initWasm();
    const params = initParams(model, 4, 'float32');
    const a = runPlan(model, f64, {}, params, inputs(4), dys(4));
    const b = wasm.scope(() => runPlan(model, wasm, { variants: { [pathOf(model.root, 'outer_memory')!]: 'none' } }, params, inputs(4), dys(4)));
    a.outputs.forEach((x, i) => expect(closeness(b.outputs[i]!, x, 1e-3, 1e-4)).toBeLessThanOrEqual(1));
    for (const k of Object.keys(a.dParams)) expect(closeness(b.dParams[k]!, a.dParams[k]!, 1e-3, 1e-4), k).toBeLessThanOrEqual(1);
  });
});

describe('relational task generators', () => {
  it('Sort-of-CLEVR: answers follow the scene (closest, furthest, count by brute force), seeded', () => {
    const r = rng(5);
    for (let i = 0; i < 50; i++) {
      const s = randomScene(r);
      const c = r.int(6);
      const d = (j: number) => Math.hypot(s.x[j]! - s.x[c]!, s.y[j]! - s.y[c]!);
      const others = [0, 1, 2, 3, 4, 5].filter((j) => j !== c).sort((a, b) => d(a) - d(b));
      expect(socAnswer(s, 3, c)).toBe(s.shape[others[0]!]);
      expect(socAnswer(s, 4, c)).toBe(s.shape[others[4]!]);
      expect(socAnswer(s, 5, c)).toBe(5 + s.shape.filter((x) => x === s.shape[c]).length);
      expect(socAnswer(s, 1, c)).toBe(s.x[c]! < 0.5 ? 2 : 3);
    }
    const a = sortOfClevrBatch(rng(9), 64);
    const b = sortOfClevrBatch(rng(9), 64);
    expect(a.features.data).toEqual(b.features.data);
    expect(a.features.shape).toEqual([64, SORT_OF_CLEVR.tokens, SORT_OF_CLEVR.features]);
    expect(a.labels.data.every((l) => l >= 0 && l < SORT_OF_CLEVR.classes)).toBe(true);
    const rel = a.relational.filter(Boolean).length;
    expect(rel).toBeGreaterThan(16);
    expect(rel).toBeLessThan(48);
  });

  it('triangles: positives are equilateral, negatives are not by a margin, about half each', () => {
    const b = trianglesBatch(rng(3), 200);
    const { tokens: N, features: F, points } = TRIANGLES;
    let pos = 0;
    for (let i = 0; i < 200; i++) {
      const px = Array.from({ length: points }, (_, t) => b.features.data[(i * N + t) * F]!);
      const py = Array.from({ length: points }, (_, t) => b.features.data[(i * N + t) * F + 1]!);
      const ratio = bestRatio(px, py);
      if (b.labels.data[i] === 1) {
        pos++;
        expect(ratio).toBeLessThan(EQUILATERAL);
      } else expect(ratio).toBeGreaterThanOrEqual(NOT_EQUILATERAL * (1 - 1e-6));
    }
    expect(pos).toBeGreaterThan(70);
    expect(pos).toBeLessThan(130);
  });
});
