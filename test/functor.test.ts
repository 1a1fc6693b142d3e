// Lowering is a functor: lower(seq(a, b)) and lower(par(a, b)) equal the core composites of the
// separately lowered parts, bit for bit (outputs, residual contents and names, input and parameter
// gradients), for random terms with attention, the delta rule, MCB and Gaunt nodes under random plans
// (variants, lens-form nodes, checkpoint schedules), on js and wasm.
import { beforeAll, describe, expect } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import { loweringIsFunctorial, randomPlan } from '../laws/functor';
import { checkOrThrow, copy, deltaNetLayer, id, initParams, jsBackend, par, prim, randn, rng, seq, skip, type Term } from '../src/index';
import { initWasm, type WasmBackend } from '../backends/wasm/index';
import type { Backend } from '../src/backend/backend';

// Every block maps (x [2, 4, 8], S [2, 2, 4, 4]) to the same two wires.
const X = [2, 4, 8];
const S = [2, 2, 4, 4];
const blocks: Record<string, Term> = {
  mlp: par(seq(prim('linear', { out: 8 }), prim('gelu')), id(1)),
  norm: par(prim('layernorm'), id(1)),
  attention: par(prim('attention', { heads: 2, dk: 4, dv: 4, causal: true }), id(1)),
  'skip attention': par(skip(seq(prim('layernorm'), prim('attention', { heads: 2, dk: 4, dv: 4 }))), id(1)),
  'delta chunkwise': deltaNetLayer({ width: 8, heads: 2, algorithm: 'chunkwise', chunk: 3, betaRange: '[0,2]' }),
  'delta recurrent': deltaNetLayer({ width: 8, heads: 2, variant: 'none' }),
  mcb: par(seq(copy(2), prim('mcb', { d: 8, seed: 3 })), id(1)),
  gaunt: par(seq(prim('reshape', { shape: [2, 4, 2, 4] }), copy(2), prim('gaunt_tensor_product', { l1: 1, l2: 1, lout: 1, weights: 'degree' }), prim('reshape', { shape: X })), id(1)),
};
const names = Object.keys(blocks);
const arbPart = fc.array(fc.constantFrom(...names), { minLength: 1, maxLength: 3 }).map((ns) => ({ ns, term: ns.length === 1 ? blocks[ns[0]!]! : seq(...ns.map((n) => blocks[n]!)) }));
const arbCase = fc.record({ a: arbPart, b: arbPart, op: fc.constantFrom<'seq' | 'par'>('seq', 'par'), seed: fc.integer({ min: 0, max: 1_000_000 }) });

type Case = typeof arbCase extends fc.Arbitrary<infer C> ? C : never;
const runCase = <T>(be: Backend<T>, c: Case) => {
  const inputs = c.op === 'seq' ? [X, S] : [X, S, X, S];
  const ma = checkOrThrow(c.a.term, [X, S]);
  const mb = checkOrThrow(c.b.term, [X, S]);
  const whole = checkOrThrow(c.op === 'seq' ? seq(c.a.term, c.b.term) : par(c.a.term, c.b.term), inputs);
  const params = initParams(whole, c.seed, be.dtype);
  const xs = inputs.map((s, i) => randn(s, rng(c.seed).fork(`x${i}`), be.dtype));
  const dys = whole.root.outputs.map((s, i) => randn(s, rng(c.seed).fork(`dy${i}`), be.dtype));
  return loweringIsFunctorial(be, c.op, c.a.term, c.b.term, inputs, randomPlan(ma, c.seed), randomPlan(mb, c.seed + 1), params, xs, dys);
};
const all = { outputs: true, residual: true, dInputs: true, dParams: true };

describe('lowering is functorial', () => {
  test.prop([arbCase], { numRuns: 15 })('on js: lower(op(a, b)) = core composite of lower(a), lower(b)', (c) => {
    expect(runCase(jsBackend('float32'), c)).toEqual(all);
  });
  let wasm: WasmBackend;
  beforeAll(async () => {
    wasm = await initWasm();
  });
  test.prop([arbCase], { numRuns: 8 })('on wasm: lower(op(a, b)) = core composite of lower(a), lower(b)', (c) => {
    wasm.scope(() => expect(runCase(wasm, c)).toEqual(all));
  });
});
