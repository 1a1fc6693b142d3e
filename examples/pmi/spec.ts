/**
 * Writes examples/pmi/pmi.json, the PMI spec file: `npx tsx examples/pmi/spec.ts`.
 *
 * The model: an embedding of bits, four PMI layers (src/models/pmi.ts) carrying the working and
 * long-term memories from layer to layer, and a head on the last position. It names the built-in
 * parity task so that it trains from the command line (the task fills the two memory inputs with
 * zeros: slot ids 0 and an empty long-term memory); it is here for `catoptric plan`, `diagram` and
 * `train`, not as a result.
 */
import { writeFileSync } from 'node:fs';
import { pmiLayer, pmiMemoryShape, type PmiOptions } from '../../src/models/pmi';
import { discard, id, named, par, prim, seq } from '../../src/term/term';

const o: PmiOptions = { batch: 8, tokens: 32, slots: 4, width: 16, heads: 2, topk: 3, chunk: 8 };
const layers = 4;
const model = seq(
  par(named('embed', prim('embedding', { vocab: 2, dim: o.width })), named('slots', prim('embedding', { vocab: o.slots, dim: o.width })), id(1)),
  ...Array.from({ length: layers }, (_, i) => named(`pmi${i}`, pmiLayer(o))),
  par(named('head', seq(prim('rmsnorm'), prim('last_position'), prim('linear', { out: 2 }))), discard(), discard()),
);
const doc = {
  $schema: '../../schema/catoptric-spec.schema.json',
  catoptric: 1,
  name: 'pmi-parity',
  doc:
    'Four PMI memory layers (src/models/pmi.ts: a competitive top-k write into a 4-slot working memory, cross-attention retrieval, an outer-product long-term memory read at every step, a gated merge) on 32 bits of width 16, with a parity head. ' +
    'Inputs: bits [8, 32], slot ids [8, 4] (the parity task gives zeros), the long-term memory M_l [8, 2, 8, 8] (zeros). Each layer\u2019s long-term memory keeps all its states; `catoptric plan` prices keeping chunk starts or none (rebuilt in backward) against checkpointing. Written by examples/pmi/spec.ts.',
  inputs: [[o.batch, o.tokens], [o.batch, o.slots], pmiMemoryShape(o)],
  model,
  task: 'parity',
  train: { steps: 100, lr: 0.003, seed: 0 },
};
writeFileSync(new URL('./pmi.json', import.meta.url), JSON.stringify(doc, null, 1) + '\n');
