import { describe, expect, it } from 'vitest';
import { conformanceSuites } from '../laws/index';
import { peakMatches, samplePlans } from '../laws/planner';
import { checkOrThrow, initParams, jsBackend, named, prim, randn, skip, rng, seq, type Plan } from '../src/index';
import type { ConformanceCase } from '../laws/conformance';

const f32 = jsBackend('float32');
const f64 = jsBackend('float64');

const runCase = (c: ConformanceCase, seed: number, extra: Plan[] = []) => {
  const model = checkOrThrow(c.term, c.inputs);
  const inputs = c.sample ? c.sample(seed) : c.inputs.map((s) => randn(s, rng(seed).fork('x'), 'float32'));
  const dys = model.root.outputs.map((s, i) => randn(s, rng(seed).fork(`dy${i}`), 'float32'));
  for (const be of [f32, f64])
    for (const plan of [...samplePlans(model), ...extra]) {
      const rep = peakMatches(model, be, plan, initParams(model, seed, be.dtype), inputs, dys);
      expect(rep.ok, `${c.name} under ${JSON.stringify(plan)} on ${be.name}: ${rep.detail}`).toBe(true);
    }
};

describe('predicted peak == measured peak', () => {
  for (const [family, cases] of Object.entries(conformanceSuites))
    for (const c of cases) it(`${family}: ${c.name}`, () => runCase(c, family === 'basic' ? 3 : 4));
  it('residual blocks with nested schedules and lens nodes', () => {
    const block = (i: number) => named(`b${i}`, skip(seq(prim('layernorm'), prim('linear', { out: 6 }), prim('gelu'), prim('linear', { out: 6 }))));
    const term = seq(prim('linear', { out: 6 }), block(0), block(1), block(2), block(3), prim('linear', { out: 2 }));
    runCase({ name: 'blocks', term, inputs: [[3, 5]] }, 5, [
      { schedules: { '': [0, [1, [2, 3]], 4, 5] } },
      { schedules: { '': [[0, 1], [[2], 3, 4], 5], 'b1.1.0': [[0, 1], [2], 3] }, remat: ['b3'] },
      { schedules: { '': [[[[0, 1, 2, 3, 4, 5]]]] } },
    ]);
  });
});
