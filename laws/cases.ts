import { id, par, prim, seq } from '../src/term/term';
import { rng, randn } from '../src/tensor/rng';
import type { ConformanceCase } from './conformance';

const ints = (n: number, k: number, seed: number, label: string) => {
  const r = rng(seed).fork(label);
  return Float64Array.from({ length: n }, () => r.int(k));
};

/** Conformance cases for the basic primitives, shared by every backend's test. */
export const basicCases: readonly ConformanceCase[] = [
  { name: 'linear', term: prim('linear', { out: 7 }), inputs: [[5, 6]] },
  { name: 'linear (no bias, rank 3)', term: prim('linear', { out: 3, bias: false }), inputs: [[2, 4, 5]] },
  {
    name: 'embedding',
    term: prim('embedding', { vocab: 11, dim: 4 }),
    inputs: [[3, 5]],
    sample: (s) => [{ shape: [3, 5], data: ints(15, 11, s, 'ids') }],
  },
  ...['relu', 'gelu', 'tanh', 'sigmoid', 'silu', 'softmax', 'layernorm', 'rmsnorm'].map(
    (p): ConformanceCase => ({ name: p, term: prim(p), inputs: [[4, 9]] }),
  ),
  { name: 'mse', term: prim('mse'), inputs: [[3, 4], [3, 4]] },
  {
    name: 'softmax_xent',
    term: prim('softmax_xent'),
    inputs: [[6, 5], [6]],
    sample: (s) => [randn([6, 5], rng(s).fork('x')), { shape: [6], data: ints(6, 5, s, 'labels') }],
  },
  { name: 'copy/add', term: seq(prim('copy', { n: 3 }), par(prim('tanh'), id(1), prim('relu')), prim('add', { n: 3 })), inputs: [[2, 3]] },
  { name: 'permute', term: seq(prim('permute', { perm: [1, 0] }), par(prim('linear', { out: 2 }), prim('discard'))), inputs: [[2, 3], [4]] },
  { name: 'reshape', term: seq(prim('reshape', { shape: [3, 4] }), prim('linear', { out: 2 })), inputs: [[2, 6]] },
];
