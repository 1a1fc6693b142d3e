// Plan 2-cells across residual variants: a plan that keeps less (a leaner variant, lens-form nodes) ⇒
// one that keeps more, with each primitive moved along its declared variant 2-cells by its kernel's map
// (composed vertically when it takes several, e.g. delta none ⇒ chunk-states ⇒ all-states), inside a
// composite with lens nodes; T1/T2 by the one law, on js and wasm.
import { beforeAll, describe, expect, it } from 'vitest';
import * as E from 'fp-ts/lib/Either.js';
import { planTwoCellValid } from '../laws/plan';
import { checkOrThrow, copy, deltaNetLayer, id, initParams, jsBackend, named, par, planTwoCell, prim, randn, rng, seq, type Backend, type Plan } from '../src/index';
import { initWasm, type WasmBackend } from '../backends/wasm/index';

const X = [2, 6, 8];
const S = [2, 2, 4, 4];
const term = seq(
  named('attn', par(prim('attention', { heads: 2, dk: 4, dv: 4, causal: true }), id(1))),
  named('delta', deltaNetLayer({ width: 8, heads: 2, algorithm: 'chunkwise', chunk: 4 })),
  named('mcb', par(seq(copy(2), prim('mcb', { d: 8, seed: 5 })), id(1))),
  named('gaunt', par(seq(prim('reshape', { shape: [2, 6, 2, 4] }), copy(2), prim('gaunt_tensor_product', { l1: 1, l2: 1, lout: 1 }), prim('reshape', { shape: X })), id(1))),
);
const model = checkOrThrow(term, [X, S]);
const keys = { attn: 'attn.0', delta: 'delta.rule', mcb: 'mcb.0.1', gaunt: 'gaunt.0.2' };
const lean: Plan = { variants: { [keys.attn]: 'lse', [keys.delta]: 'none', [keys.mcb]: 'input', [keys.gaunt]: 'inputs' } };
const rich: Plan = { variants: { [keys.attn]: 'probs', [keys.delta]: 'all-states', [keys.mcb]: 'spectra', [keys.gaunt]: 'grids' } };
const middle: Plan = { variants: { [keys.attn]: 'lse', [keys.delta]: 'chunk-states', [keys.mcb]: 'sketch', [keys.gaunt]: 'grids' } };

const run = <T>(be: Backend<T>, source: Plan, target: Plan, seed: number) => {
  const cell = planTwoCell(model, be, source, target);
  if (E.isLeft(cell)) throw cell.left;
  const params = initParams(model, seed, be.dtype);
  const xs = [X, S].map((s, i) => randn(s, rng(seed).fork(`x${i}`), be.dtype));
  const dys = model.root.outputs.map((s, i) => randn(s, rng(seed).fork(`dy${i}`), be.dtype));
  return planTwoCellValid(be, cell.right, params, xs, dys);
};
const pairs: [string, Plan, Plan][] = [
  ['lean ⇒ rich (delta two steps)', lean, rich],
  ['lean ⇒ middle', lean, middle],
  ['middle ⇒ rich', middle, rich],
  ['lean + lens nodes ⇒ rich', { ...lean, remat: ['mcb', 'delta.1'] }, rich],
];
const valid = { t1: true, t2: true, differ: true };

describe('plan 2-cells across variants', () => {
  for (const [name, s, t] of pairs) it(`js: ${name}`, () => expect(run(jsBackend('float32'), s, t, 1)).toEqual(valid));
  let wasm: WasmBackend;
  beforeAll(async () => {
    wasm = await initWasm();
  });
  for (const [name, s, t] of pairs) it(`wasm: ${name}`, () => wasm.scope(() => expect(run(wasm, s, t, 2)).toEqual(valid)));
  it('a variant change against the declared 2-cells is refused with a message', () => {
    const back = planTwoCell(model, jsBackend(), rich, lean);
    expect(E.isLeft(back) && back.left.message).toMatch(/no declared 2-cell from variant 'probs' to 'lse'/);
  });
});
