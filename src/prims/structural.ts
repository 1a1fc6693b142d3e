import * as t from 'io-ts';
import { definePrimitive } from '../term/primitive';
import { showShape } from '../tensor/shape';
import { showValue } from '../term/show';
import { Dim, NoAttrs, allSame, bad, cost, ok, sizeOf } from './util';

const N = t.exact(t.partial({ n: Dim }));

/** `n` identity wires. */
export const idDef = definePrimitive({
  name: 'id',
  doc: 'Identity on n wires.',
  attrs: N,
  attrDocs: { n: { doc: 'number of wires', default: 1 } },
  arity: (a) => ({ inputs: a.n ?? 1, outputs: a.n ?? 1 }),
  shape: (_a, xs) => ok(xs),
  sparse: true,
  variants: ['none'],
  cost: () => cost(0, 0, 0),
});

/** Fan-out: forward duplicates, backward sums the incoming gradients. */
export const copyDef = definePrimitive({
  name: 'copy',
  doc: 'Copy one wire to n wires; the backward pass adds their gradients.',
  attrs: N,
  attrDocs: { n: { doc: 'number of copies', default: 2 } },
  arity: (a) => ({ inputs: 1, outputs: a.n ?? 2 }),
  shape: (a, xs) => ok(Array.from({ length: a.n ?? 2 }, () => xs[0]!)),
  sparse: true,
  variants: ['none'],
  cost: (a, xs) => cost(0, ((a.n ?? 2) - 1) * sizeOf(xs[0]!), 0),
});

/** Join: sum of n wires of one shape. */
export const addDef = definePrimitive({
  name: 'add',
  doc: 'Add n wires of the same shape.',
  attrs: N,
  attrDocs: { n: { doc: 'number of wires added', default: 2 } },
  arity: (a) => ({ inputs: a.n ?? 2, outputs: 1 }),
  shape: (_a, xs) => {
    const e = allSame(xs);
    return e ? bad(e) : ok([xs[0]!]);
  },
  variants: ['none'],
  cost: (a, xs) => cost(((a.n ?? 2) - 1) * sizeOf(xs[0]!), 0, 0),
});

export const discardDef = definePrimitive({
  name: 'discard',
  doc: 'Drop a wire; its gradient is zero.',
  attrs: NoAttrs,
  arity: () => ({ inputs: 1, outputs: 0 }),
  shape: () => ok([]),
  sparse: true,
  variants: ['none'],
  cost: () => cost(0, 0, 0),
});

const Perm = t.exact(t.type({ perm: t.array(t.number) }));

export const permuteDef = definePrimitive({
  name: 'permute',
  doc: 'Reorder wires: output i is input perm[i] (a permutation of 0..n-1).',
  attrs: Perm,
  attrDocs: { perm: { doc: 'output i is input perm[i]; a permutation of 0..n-1 (n wires)' } },
  arity: (a) => ({ inputs: a.perm.length, outputs: a.perm.length }),
  shape: (a, xs) => {
    const sorted = [...a.perm].sort((x, y) => x - y);
    if (!sorted.every((v, i) => v === i)) return bad(`perm ${showValue(a.perm)} is not a permutation of 0..${a.perm.length - 1}`);
    return ok(a.perm.map((p) => xs[p]!));
  },
  sparse: true,
  variants: ['none'],
  cost: () => cost(0, 0, 0),
});

/** Change a wire's shape without moving data (same element count). */
export const reshapeDef = definePrimitive({
  name: 'reshape',
  doc: 'View a tensor with a different shape of the same size.',
  attrs: t.exact(t.type({ shape: t.array(Dim) })),
  attrDocs: { shape: { doc: 'the new shape, with as many elements as the input' } },
  arity: () => ({ inputs: 1, outputs: 1 }),
  shape: (a, xs) =>
    sizeOf(a.shape) === sizeOf(xs[0]!) ? ok([a.shape]) : bad(`cannot reshape ${showShape(xs[0]!)} to ${showShape(a.shape)}`),
  variants: ['none'],
  cost: () => cost(0, 0, 0),
});
