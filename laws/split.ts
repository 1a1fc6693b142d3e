// The split law of a threaded backend: a kernel cut into parts across workers gives, for a fixed
// partition, bit for bit what the single-threaded backend gives (each part runs the same serial
// code on the same floats). Generic over backends: pass the threaded one and the serial one.
import type { Backend } from '../src/backend/backend';
import { prim } from '../src/term/term';
import { rng, randn } from '../src/tensor/rng';
import { attentionCases, sampleKeyMask } from './attention';
import { identical } from './compare';
import { type CaseRun, type ConformanceCase, runCase } from './conformance';
import type { TypedModel } from '../src/term/check';
import type { HostTensor } from '../src/tensor/tensor';
import { deltaCases, deltaShapes } from './delta';

/** Where two runs of one case first differ in a bit, or undefined when they are identical. */
export const firstBitDifference = (a: CaseRun, b: CaseRun): string | undefined => {
  if (a.outputs.length !== b.outputs.length) return 'output count';
  for (let i = 0; i < a.outputs.length; i++) if (!identical(a.outputs[i]!, b.outputs[i]!)) return `output ${i}`;
  if (a.dInputs.length !== b.dInputs.length) return 'input gradient count';
  for (let i = 0; i < a.dInputs.length; i++) {
    const [g, h] = [a.dInputs[i], b.dInputs[i]];
    if ((g === null) !== (h === null)) return `input gradient ${i} presence`;
    if (g && h && !identical(g, h)) return `input gradient ${i}`;
  }
  const keys = Object.keys(b.dParams).sort();
  if (Object.keys(a.dParams).sort().join() !== keys.join()) return 'parameter gradient names';
  for (const k of keys) if (!identical(a.dParams[k]!, b.dParams[k]!)) return `parameter gradient ${k}`;
  return undefined;
};

/**
 * The split law on one case: `threaded` and `serial` give identical outputs and gradients for `seed`
 * under `variants`. Returns where they differ, or undefined.
 */
export const splitIdentical = <T, U>(
  c: ConformanceCase,
  threaded: Backend<T>,
  serial: Backend<U>,
  seed: number,
  variants: Readonly<Record<string, string>> = {},
): string | undefined => firstBitDifference(runCase(c, threaded, seed, variants), runCase(c, serial, seed, variants));

/** Random normal parameters (the Gaunt product's degree weights start at ones, the same in every channel). */
const randomParams = (model: TypedModel, seed: number): Record<string, HostTensor> =>
  Object.fromEntries([...model.params.values()].map((p) => [p.key, randn(p.shape, rng(seed).fork(p.key))]));

const delta = (algorithm: 'recurrent' | 'chunkwise', B: number, T: number, H: number, dk: number, dv: number, chunk: number): ConformanceCase => ({
  name: `delta_rule ${algorithm} B ${B} T ${T} H ${H} chunk ${chunk}`,
  term: prim('delta_rule', { heads: H, algorithm, chunk }),
  inputs: deltaShapes({ B, T, H, dk, dv }),
  variants: [{}, { '': 'chunk-states' }, { '': 'none' }, { '': 'all-states' }],
});

/**
 * Cases for the split law: every kernel a threaded wasm backend splits (linear and matmul by row
 * blocks, attention by batch and head (the forward also by query blocks when heads are few), the delta rule by batch and head, the Gaunt and dense tensor
 * products by samples or channels, MCB by rows) at awkward sizes (row
 * counts that are not multiples of the tile height or of the thread count, odd head counts, ragged
 * chunks), then the shared attention and delta-rule conformance cases.
 */
export const splitCases: readonly ConformanceCase[] = [
  { name: 'linear 37×19 → 23', term: prim('linear', { out: 23 }), inputs: [[37, 19]] },
  { name: 'linear rank 3, 3×13×11 → 9, no bias', term: prim('linear', { out: 9, bias: false }), inputs: [[3, 13, 11]] },
  { name: 'linear 5×3 → 70 (fewer row blocks than threads)', term: prim('linear', { out: 70 }), inputs: [[5, 3]] },
  {
    name: 'attention self, 3 heads, batch 2, T 13',
    term: prim('attention', { heads: 3, dk: 5, dv: 3, out: 7 }),
    inputs: [[2, 13, 6]],
    variants: [{ '': 'probs' }, { '': 'lse' }],
  },
  {
    name: 'attention self causal + mask, 1 head, batch 3, T 70 (more than one query block)',
    term: prim('attention', { heads: 1, dk: 4, dv: 4, causal: true, mask: true }),
    inputs: [[3, 70, 5], [3, 70]],
    sample: (s: number) => [randn([3, 70, 5], rng(s).fork('x')), sampleKeyMask(3, 70, s)],
    variants: [{ '': 'probs' }, { '': 'lse' }],
  },
  {
    name: 'attention causal + mask, 1 head, T 150 (the forward split by query blocks: 64, 64, 22)',
    term: prim('attention', { heads: 1, dk: 3, dv: 2, causal: true, mask: true }),
    inputs: [[1, 150, 4], [1, 150]],
    sample: (s: number) => [randn([1, 150, 4], rng(s).fork('x')), sampleKeyMask(1, 150, s)],
    variants: [{ '': 'probs' }, { '': 'lse' }],
  },
  {
    name: 'attention cross W, raw values, 5 heads share the keys (grouped by batch)',
    term: prim('attention', { heads: 5, param: 'W', values: false, cross: true }),
    inputs: [[3, 7, 4], [3, 9, 6]],
    variants: [{ '': 'probs' }, { '': 'lse' }],
  },
  delta('recurrent', 3, 11, 3, 4, 5, 4),
  delta('chunkwise', 3, 11, 3, 4, 5, 4),
  delta('chunkwise', 1, 23, 5, 3, 2, 8),
  {
    name: 'gaunt_tensor_product, one sample of 7 channels (split by channel)',
    term: prim('gaunt_tensor_product', { l1: 3, l2: 2, lout: 4 }),
    inputs: [[7, 16], [7, 9]],
    params: randomParams,
    variants: [{ '': 'inputs' }, { '': 'grids' }],
  },
  {
    name: 'gaunt_tensor_product, 5 samples × 3 channels (split by sample)',
    term: prim('gaunt_tensor_product', { l1: 2, l2: 2, lout: 3 }),
    inputs: [[5, 3, 9], [5, 3, 9]],
    params: randomParams,
    variants: [{ '': 'inputs' }, { '': 'grids' }],
  },
  { name: 'gaunt_tensor_product none, 2 × 4 rows', term: prim('gaunt_tensor_product', { l1: 2, l2: 1, weights: 'none' }), inputs: [[2, 4, 9], [2, 4, 4]] },
  {
    name: 'tensor_product cg/path, one sample of 7 channels (forward and backward by channel)',
    term: prim('tensor_product', { l1: 2, l2: 1 }),
    inputs: [[7, 9], [7, 4]],
    params: randomParams,
  },
  {
    name: 'tensor_product gaunt/degree, 5 samples × 3 channels (forward by sample; backward sums channels: one call)',
    term: prim('tensor_product', { l1: 2, l2: 2, lout: 3, coupling: 'gaunt', weights: 'degree' }),
    inputs: [[5, 3, 9], [5, 3, 9]],
    params: randomParams,
  },
  { name: 'tensor_product none, 11 rows', term: prim('tensor_product', { l1: 1, l2: 3, lout: 2, weights: 'none' }), inputs: [[11, 4], [11, 16]] },
  {
    name: 'mcb d=16, 13 rows (by rows)',
    term: prim('mcb', { d: 16, seed: 3 }),
    inputs: [[13, 5], [13, 6]],
    variants: [{}, { '': 'input' }, { '': 'spectra' }],
  },
  { name: 'mcb d=13 (Bluestein), rank 3, 3 × 3 rows', term: prim('mcb', { d: 13, seed: 11 }), inputs: [[3, 3, 7], [3, 3, 4]], variants: [{}, { '': 'spectra' }] },
  ...attentionCases,
  ...deltaCases,
];

