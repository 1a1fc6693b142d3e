import * as E from 'fp-ts/lib/Either.js';
import {
  adam, check, checkOrThrow, id, initParams, jsBackend, lowerOrThrow, par, planTwoCell, prim, recomputeAll,
  skip, residualElems, seq, storeAll, train,
} from 'catoptric';

// A model is a term: an MLP block with a skip connection, a classifier head, and a loss.
const block = skip(seq(prim('layernorm'), prim('linear', { out: 16 }), prim('gelu')));
const classifier = seq(prim('linear', { out: 16 }), block, prim('linear', { out: 3 }));
const withLoss = seq(par(classifier, id(1)), prim('softmax_xent'));

// Shape checking is one interpretation: every node gets its shapes, or a SpecError names the node.
const bad = check(seq(prim('linear', { out: 4 }), prim('add')), [[8, 2]]);
if (E.isLeft(bad)) console.log(`rejected: ${bad.left.message}`);
const model = checkOrThrow(withLoss, [[8, 2], [8]]);

// A program is another: the term on a backend under a plan (store every residual, or recompute).
const be = jsBackend('float32');
const params = initParams(model, 42);
const x = { shape: [8, 2], data: Float32Array.from({ length: 16 }, (_, i) => Math.sin(i)) };
const y = { shape: [8], data: Float32Array.from({ length: 8 }, (_, i) => i % 3) };
for (const plan of [storeAll, recomputeAll]) {
  const { residual: kept } = lowerOrThrow(model, be, plan).forward(params, [x, y]);
  console.log(`plan ${JSON.stringify(plan)} keeps ${residualElems(be, kept)} floats`);
}

// The choice between the two plans is a 2-cell: a map from the small residual to the large one.
const cell = planTwoCell(model, be, recomputeAll, storeAll);
if (E.isRight(cell)) console.log(`2-cell r maps ${residualElems(be, cell.right.source.forward(params, [x, y]).residual)} floats to the stored form`);

// Training: Adam as a reparametrisation, deterministic for a seed.
const { losses } = train({
  program: lowerOrThrow(model, be), backend: be, optimizer: adam({ lr: 0.01 }), params,
  steps: 100, batch: () => [x, y],
});
console.log(`loss ${losses[0]!.toFixed(3)} → ${losses[99]!.toFixed(3)}`);
