import { beforeAll, describe, expect } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import { attentionCases, sampleKeyMask } from '../laws/attention';
import { variantCellValid } from '../laws/plan';
import { checkOrThrow, initParams, prim, randn, rng, type TypedPrim } from '../src/index';
import { attentionLseToProbs, initWasm, type WasmBackend } from '../backends/wasm/index';

/**
 * The attention 2-cell map `lse ⇒ probs` on wasm tensors (backends/wasm/kernels/attention.ts):
 * T1 (the 'probs' forward keeps exactly r(m), outputs equal) and T2 (the 'probs' backward on r(m)
 * equals the 'lse' backward on m), bit for bit, as test/attention.test.ts checks the JS one. Besides
 * the shared cases, sequences longer than one 64-row query block, causal and key-padded.
 */
let wasm: WasmBackend;
beforeAll(async () => {
  wasm = await initWasm();
});
const seedArb = fc.integer({ min: 0, max: 1_000_000 });

type Case = (typeof attentionCases)[number];
const long: Case[] = [
  { name: 'self causal + mask, T 150, 2 heads', term: prim('attention', { heads: 2, dk: 8, dv: 5, causal: true, mask: true }), inputs: [[2, 150, 6], [2, 150]], sample: (s: number) => [randn([2, 150, 6], rng(s).fork('x')), sampleKeyMask(2, 150, s)] },
  { name: 'cross KQ, Tq 70, Tk 130', term: prim('attention', { heads: 1, dk: 5, dv: 7, cross: true }), inputs: [[1, 70, 4], [1, 130, 6]] },
];
const inputsFor = (c: Case, seed: number) => (c.sample ? c.sample(seed) : c.inputs.map((s, i) => randn(s, rng(seed).fork(`x${i}`))));

describe('attention on wasm: the 2-cell lse ⇒ probs', () => {
  for (const c of [...attentionCases, ...long])
    test.prop([seedArb], { numRuns: 3 })(`${c.name}: r satisfies T1 and T2 bit for bit`, (seed) =>
      wasm.scope(() => {
        const src = checkOrThrow({ ...c.term, variant: 'lse' } as typeof c.term, c.inputs).root as TypedPrim;
        const params = initParams(checkOrThrow(c.term, c.inputs), seed, 'float32');
        const dy = src.outputs.map((s) => randn(s, rng(seed).fork('dy')));
        expect(variantCellValid(wasm, src, 'lse', 'probs', params, inputsFor(c, seed), dy)).toEqual({ t1: true, t2: true, differ: true });
      }),
    );
});
