import * as t from 'io-ts';
import { definePrimitive } from '../term/primitive';
import { shapeEq, showShape } from '../tensor/shape';
import { Dim, Epsilon, NoAttrs, allSame, bad, cost, fanInNormal, lastDim, needRank, ok, sizeOf } from './util';

/** `y = x W + b` over the last axis. Params `w: [in, out]`, `b: [out]`. */
export const linearDef = definePrimitive({
  name: 'linear',
  doc: 'Affine map over the last axis: y = x·w + b, w: [in, out], b: [out].',
  attrs: t.intersection([t.type({ out: Dim }), t.partial({ bias: t.boolean })]),
  attrDocs: {
    out: { doc: 'output width' },
    bias: { doc: 'add the bias b', default: true },
  },
  arity: () => ({ inputs: 1, outputs: 1 }),
  shape: (a, [x]) => {
    const e = needRank(x!, 1, 'linear input');
    if (e) return bad(e);
    const inDim = lastDim(x!);
    const params: Record<string, readonly number[]> = { w: [inDim, a.out] };
    if (a.bias !== false) params.b = [a.out];
    return ok([[...x!.slice(0, -1), a.out]], params);
  },
  variants: ['input'],
  cost: (a, [x]) => {
    const rows = sizeOf(x!) / lastDim(x!);
    const mac = rows * lastDim(x!) * a.out;
    return cost(2 * mac, 4 * mac, sizeOf(x!), lastDim(x!) * a.out + (a.bias !== false ? a.out : 0));
  },
  init: (_a, p, shape, rng) => (p === 'w' ? fanInNormal(shape[0]!, sizeOf(shape), rng) : new Float64Array(sizeOf(shape))),
});

/** Token embedding: ids (floats holding integers) to vectors. */
export const embeddingDef = definePrimitive({
  name: 'embedding',
  doc: 'Look up rows of a table: ids [...] (integers stored as floats) → [..., dim]. Param table: [vocab, dim].',
  attrs: t.type({ vocab: Dim, dim: Dim }),
  attrDocs: {
    vocab: { doc: 'number of ids (rows of the table)' },
    dim: { doc: 'width of each row' },
  },
  arity: () => ({ inputs: 1, outputs: 1 }),
  shape: (a, [ids]) => ok([[...ids!, a.dim]], { table: [a.vocab, a.dim] }),
  variants: ['input'],
  cost: (a, [ids]) => cost(0, sizeOf(ids!) * a.dim, sizeOf(ids!), a.vocab * a.dim),
  init: (_a, _p, shape, rng) => fanInNormal(1, sizeOf(shape), rng),
  nondiff: () => [0],
});

const unary = (name: string, doc: string, flopsPerElem: number) =>
  definePrimitive({
    name,
    doc,
    attrs: NoAttrs,
    arity: () => ({ inputs: 1, outputs: 1 }),
    shape: (_a, xs) => ok([xs[0]!]),
    variants: ['input'],
    cost: (_a, [x]) => cost(flopsPerElem * sizeOf(x!), (flopsPerElem + 1) * sizeOf(x!), sizeOf(x!)),
  });

export const reluDef = unary('relu', 'max(x, 0), elementwise.', 1);
export const geluDef = unary('gelu', 'GELU, tanh approximation, elementwise.', 12);
export const tanhDef = unary('tanh', 'tanh, elementwise.', 6);
export const sigmoidDef = unary('sigmoid', '1 / (1 + exp(-x)), elementwise.', 5);
export const siluDef = unary('silu', 'x · sigmoid(x), elementwise.', 6);

export const softmaxDef = definePrimitive({
  name: 'softmax',
  doc: 'Softmax over the last axis (max-subtracted). Keeps its output for the backward pass.',
  attrs: NoAttrs,
  arity: () => ({ inputs: 1, outputs: 1 }),
  shape: (_a, [x]) => {
    const e = needRank(x!, 1, 'softmax input');
    return e ? bad(e) : ok([x!]);
  },
  variants: ['output'],
  cost: (_a, [x]) => cost(5 * sizeOf(x!), 4 * sizeOf(x!), sizeOf(x!)),
});

const Eps = t.exact(t.partial({ eps: Epsilon }));

/** Layer norm over the last axis, with gain and bias. */
export const layerNormDef = definePrimitive({
  name: 'layernorm',
  doc: 'Layer normalisation over the last axis: (x − mean)/sqrt(var + eps) · g + b. Params g, b: [d].',
  attrs: Eps,
  attrDocs: { eps: { doc: 'added to the variance', default: 1e-5 } },
  arity: () => ({ inputs: 1, outputs: 1 }),
  shape: (_a, [x]) => {
    const e = needRank(x!, 1, 'layernorm input');
    return e ? bad(e) : ok([x!], { g: [lastDim(x!)], b: [lastDim(x!)] });
  },
  variants: ['normalised'],
  cost: (_a, [x]) => cost(8 * sizeOf(x!), 12 * sizeOf(x!), sizeOf(x!) + sizeOf(x!) / lastDim(x!), 2 * lastDim(x!)),
  init: (_a, p, shape) => new Float64Array(sizeOf(shape)).fill(p === 'g' ? 1 : 0),
});

/** RMS norm over the last axis, with gain. */
export const rmsNormDef = definePrimitive({
  name: 'rmsnorm',
  doc: 'RMS normalisation over the last axis: x / sqrt(mean(x²) + eps) · g. Param g: [d].',
  attrs: Eps,
  attrDocs: { eps: { doc: 'added to the mean square', default: 1e-6 } },
  arity: () => ({ inputs: 1, outputs: 1 }),
  shape: (_a, [x]) => {
    const e = needRank(x!, 1, 'rmsnorm input');
    return e ? bad(e) : ok([x!], { g: [lastDim(x!)] });
  },
  variants: ['input'],
  cost: (_a, [x]) => cost(4 * sizeOf(x!), 8 * sizeOf(x!), sizeOf(x!) + sizeOf(x!) / lastDim(x!), lastDim(x!)),
  init: (_a, _p, shape) => new Float64Array(sizeOf(shape)).fill(1),
});

/** Mean squared error, a scalar. */
export const mseDef = definePrimitive({
  name: 'mse',
  doc: 'Mean squared error of (prediction, target) of equal shapes → scalar [].',
  attrs: NoAttrs,
  arity: () => ({ inputs: 2, outputs: 1 }),
  shape: (_a, xs) => {
    const e = allSame(xs);
    return e ? bad(e) : ok([[]]);
  },
  variants: ['difference'],
  cost: (_a, [x]) => cost(3 * sizeOf(x!), 2 * sizeOf(x!), sizeOf(x!)),
});

/** Softmax cross-entropy against integer labels, averaged over rows. */
export const softmaxXentDef = definePrimitive({
  name: 'softmax_xent',
  doc: 'Softmax cross-entropy of logits [..., C] against labels [...] (class ids as floats), mean over rows → scalar [].',
  attrs: NoAttrs,
  arity: () => ({ inputs: 2, outputs: 1 }),
  shape: (_a, [logits, labels]) => {
    const e = needRank(logits!, 1, 'logits');
    if (e) return bad(e);
    if (!shapeEq(logits!.slice(0, -1), labels!))
      return bad(`labels must have shape ${showShape(logits!.slice(0, -1))} (logits without the class axis), got ${showShape(labels!)}`);
    return ok([[]]);
  },
  variants: ['probabilities'],
  // Residual: the probabilities and the labels.
  cost: (_a, [x]) => cost(6 * sizeOf(x!), 2 * sizeOf(x!), sizeOf(x!) + sizeOf(x!) / lastDim(x!)),
  nondiff: () => [1],
});
