/**
 * The three models of the affine example, at matched parameter counts: a plain point-set network
 * (PointNet-style: per-point MLP, max over points, MLP head), the same network trained with affine
 * augmentation, and the GL⁺(2)-equivariant network of src/groups/layers.ts (lifting over K Haar
 * samples, one group convolution, mean over the samples, linear head).
 */
import { type Term, checkOrThrow, id, par, prim, seq, type TypedModel } from '../../src/index';
import { type AffineNetOpts, affineInvariantNet } from '../../src/groups/index';

/** The plain point-set network on points [B, N, 2] → logits [B, classes]. */
export const plainNet = (width: number, classes: number): Term =>
  seq(
    prim('linear', { out: width }, { name: 'p1' }),
    prim('relu'),
    prim('linear', { out: width }, { name: 'p2' }),
    prim('relu'),
    prim('axis_pool', { axis: 1, op: 'max' }, { name: 'pool' }),
    prim('linear', { out: width }, { name: 'h1' }),
    prim('relu'),
    prim('linear', { out: classes }, { name: 'head' }),
  );

/** Number of parameters of a checked model. */
export const paramCount = (m: TypedModel): number =>
  [...m.params.values()].reduce((s, p) => s + p.shape.reduce((a, b) => a * b, 1), 0);

/** A classifier's loss term: (inputs…, labels) → mean cross-entropy. */
export const withLoss = (net: Term): Term => seq(par(net, id(1)), prim('softmax_xent'));

/** The network's own parameters from the loss model's (whose keys carry the `0.0.` of the seq and the par). */
export const netParams = <V>(lossParams: Readonly<Record<string, V>>): Record<string, V> =>
  Object.fromEntries(Object.entries(lossParams).map(([k, v]) => [k.replace(/^0\.0\./, ''), v]));

/** Shapes of the equivariant network's inputs for batch B. */
export const equivariantInputs = (o: AffineNetOpts, B: number): number[][] => [[B, o.points, 2], [o.samples, 2, 2], [o.samples, o.samples, 4]];

/** The plain width whose parameter count is closest to the equivariant network's. */
export const matchedPlainWidth = (o: AffineNetOpts): { width: number; plain: number; equivariant: number } => {
  const eq = paramCount(checkOrThrow(affineInvariantNet(o), equivariantInputs(o, 1)));
  let best = { width: 1, plain: 0, equivariant: eq };
  for (let w = 2; w <= 256; w++) {
    const p = paramCount(checkOrThrow(plainNet(w, o.classes), [[1, o.points, 2]]));
    if (Math.abs(p - eq) < Math.abs(best.plain - eq)) best = { width: w, plain: p, equivariant: eq };
  }
  return best;
};
