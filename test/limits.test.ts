import { describe, expect, it } from 'vitest';
import * as E from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';
import { jsBackend } from '../backends/js/index';
import { lowerOrThrow } from '../src/lower/program';
import { check } from '../src/term/check';
import { DEFAULT_LIMITS } from '../src/term/limits';
import { lookupPrimitive, primitiveNames } from '../src/term/primitive';
import { type Attrs, prim } from '../src/term/term';
import { rng } from '../src/tensor/rng';
import { csrDims, csrShape, sizeOf } from '../src/tensor/shape';
import { packCsr } from '../src/sparse/csr';
import { erdosRenyi } from '../src/sparse/generate';
import { initParams } from '../src/train/init';
import '../src/prims';

/**
 * Every primitive at the largest attribute values its codec admits either runs or is refused by
 * `check` with a clean message naming it. The sweep reads each primitive's attribute codec, so a new
 * attribute whose limits this test cannot read fails it until its extremes are declared here.
 */

/** A configuration of each primitive that checks, and its input shapes for given attributes. */
const base: Readonly<Record<string, { attrs: Attrs; inputs: (a: Record<string, any>) => (readonly number[])[]; ints?: (a: Record<string, any>) => number[] }>> = {
  add: { attrs: { n: 2 }, inputs: (a) => Array.from({ length: Math.min(a.n ?? 2, 4) }, () => [2, 3]) },
  axis_pool: { attrs: { axis: 1, op: 'mean' }, inputs: () => [[2, 3, 4]] },
  attention: { attrs: { heads: 1, dk: 2, dv: 2 }, inputs: () => [[1, 4, 3]] },
  bilinear: { attrs: { out: 4 }, inputs: () => [[2, 4], [2, 4]] },
  concat_last: { attrs: { n: 2 }, inputs: (a) => Array.from({ length: Math.min(a.n ?? 2, 4) }, () => [2, 3]) },
  copy: { attrs: { n: 2 }, inputs: () => [[2, 3]] },
  delta_rule: { attrs: { heads: 1 }, inputs: () => [[1, 3, 2], [1, 3, 2], [1, 3, 2], [1, 3, 1], [1, 1, 2, 2]] },
  discard: { attrs: {}, inputs: () => [[2, 3]] },
  embedding: { attrs: { vocab: 5, dim: 2 }, inputs: () => [[3]], ints: (a) => [Math.min(a.vocab, 5)] },
  gaunt_tensor_product: { attrs: { l1: 1, l2: 1 }, inputs: (a) => [[1, 1, (a.l1 + 1) ** 2], [1, 1, (a.l2 + 1) ** 2]] },
  gelu: { attrs: {}, inputs: () => [[2, 3]] },
  group_conv: { attrs: {}, inputs: () => [[2, 3, 4], [3, 3, 4, 5]] },
  group_lift: { attrs: { out: 4 }, inputs: () => [[2, 5, 2], [3, 2, 2]] },
  hadamard: { attrs: {}, inputs: () => [[2, 3], [2, 3]] },
  id: { attrs: { n: 1 }, inputs: (a) => Array.from({ length: Math.min(a.n ?? 1, 4) }, () => [2, 3]) },
  last_position: { attrs: {}, inputs: () => [[2, 4, 3]] },
  layernorm: { attrs: {}, inputs: () => [[2, 3]] },
  linear: { attrs: { out: 2 }, inputs: () => [[2, 3]] },
  mcb: { attrs: { d: 8, seed: 1 }, inputs: () => [[2, 3], [2, 4]] },
  mse: { attrs: {}, inputs: () => [[2, 3], [2, 3]] },
  outer_memory: { attrs: { heads: 1 }, inputs: () => [[1, 3, 2], [1, 3, 2], [1, 3, 2], [1, 1, 2, 2]] },
  outer_product: { attrs: {}, inputs: () => [[2, 3], [2, 4]] },
  permute: { attrs: { perm: [1, 0] }, inputs: () => [[2], [3]] },
  relu: { attrs: {}, inputs: () => [[2, 3]] },
  reshape: { attrs: { shape: [3, 2] }, inputs: () => [[2, 3]] },
  rmsnorm: { attrs: {}, inputs: () => [[2, 3]] },
  sigmoid: { attrs: {}, inputs: () => [[2, 3]] },
  signed_sqrt_l2: { attrs: {}, inputs: () => [[2, 3]] },
  silu: { attrs: {}, inputs: () => [[2, 3]] },
  softmax: { attrs: {}, inputs: () => [[2, 3]] },
  softmax_xent: { attrs: {}, inputs: () => [[2, 3], [2]], ints: () => [3] },
  sddmm: { attrs: {}, inputs: () => [csrShape(3, 4, 12), [3, 2], [4, 2]] },
  spgemm: { attrs: {}, inputs: () => [csrShape(3, 4, 12), csrShape(4, 2, 8)] },
  spmm: { attrs: {}, inputs: () => [csrShape(3, 4, 12), [4, 2]] },
  sum_pool: { attrs: { k: 3 }, inputs: () => [[2, 6]] },
  topk_write: { attrs: { heads: 1, k: 2 }, inputs: () => [[1, 3, 2], [1, 4, 2], [1, 4, 2]] },
  tanh: { attrs: {}, inputs: () => [[2, 3]] },
  tensor_product: { attrs: { l1: 1, l2: 1 }, inputs: (a) => [[1, 1, (a.l1 + 1) ** 2], [1, 1, (a.l2 + 1) ** 2]] },
};

/** The attributes of a codec: name → codec, through exact, partial, interface and intersection codecs. */
const attributes = (c: t.Mixed): [string, t.Mixed][] => {
  if (c instanceof t.ExactType || c instanceof t.ReadonlyType) return attributes(c.type);
  if (c instanceof t.InterfaceType || c instanceof t.PartialType) return Object.entries(c.props as Record<string, t.Mixed>);
  if (c instanceof t.IntersectionType) return (c.types as t.Mixed[]).flatMap(attributes);
  throw new Error(`cannot read the attributes of codec ${c.name}`);
};

/**
 * The extreme values a codec admits, or 'skip' for choices that are not sizes (booleans, enums), or
 * undefined when this test cannot tell (then it fails: declare the attribute's limits).
 */
const extremes = (c: t.Mixed): unknown[] | 'skip' | undefined => {
  if (c instanceof t.BooleanType || c instanceof t.KeyofType || c instanceof t.LiteralType || c instanceof t.UnionType) return 'skip';
  const range = /in \[([-\d.e+]+), ([-\d.e+]+)\]/.exec(c.name);
  if (range) return [Number(range[1]), Number(range[2])];
  if (c.name === 'positive integer') return [Number.MAX_SAFE_INTEGER];
  // spgemm's declared nnz bound: the largest only (a bound below the data's product is a run-time
  // error naming the node, tested in test/sparse.test.ts, not something check can see)
  if (c.name === 'non-negative integer') return [Number.MAX_SAFE_INTEGER];
  if (/^integer of at most 2\^53/.test(c.name)) return [Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER];
  if (c instanceof t.ArrayType) {
    // The longest arrays matter (one wire per entry), and the largest entries.
    const inner = extremes(c.type as t.Mixed);
    if (c.type instanceof t.NumberType) return [Array.from({ length: DEFAULT_LIMITS.maxWires + 1 }, (_, i) => i), [Number.MAX_VALUE, 0]];
    return Array.isArray(inner) ? inner.map((v) => [v]) : inner;
  }
  if (c instanceof t.InterfaceType) return 'skip'; // mcb's explicit hashes: checked against the widths, not sizes
  return undefined;
};

/**
 * Inputs for a run: standard normals, valid class ids where the primitive reads integers, and a
 * valid packed CSR matrix (half its entries stored, seeded) on a sparse wire.
 */
const sample = (shapes: (readonly number[])[], ints: number[] | undefined, seed: number) => {
  const r = rng(seed);
  return shapes.map((s, i) => {
    const dims = csrDims(s);
    if (dims) return packCsr(erdosRenyi(dims.rows, dims.cols, 0.5, seed + i), dims.nnz);
    const data = new Float32Array(sizeOf(s));
    const k = ints && i === shapes.length - 1 ? ints[0]! : ints && shapes.length === 1 ? ints[0]! : undefined;
    for (let j = 0; j < data.length; j++) data[j] = k !== undefined ? r.int(k) : r.normal();
    return { shape: s, data };
  });
};

/** A cotangent of 0.5 for an output: on a sparse wire, 0.5 in its value slots and zero pattern slots. */
const halves = (o: { shape: readonly number[]; data: ArrayLike<number> }) => {
  const dims = csrDims(o.shape);
  const data = new Float32Array(o.data.length).fill(0.5);
  if (dims) data.fill(0, 0, dims.rows + 1 + dims.nnz);
  return { shape: o.shape, data };
};

const clean = (m: string) => expect(m).not.toMatch(/\[object \w+\]|\bundefined\b|\bNaN\b|Maximum call stack|is not a function/);

describe('every primitive at the extremes of its attributes', () => {
  it('covers every registered primitive', () => {
    expect(primitiveNames().filter((n) => !(n in base))).toEqual([]);
  });

  for (const name of primitiveNames()) {
    const def = lookupPrimitive(name)!;
    const b = base[name];
    if (!b) continue;
    it(`${name}: every attribute at its largest (and smallest) admitted value runs or is refused by check`, () => {
      const results: string[] = [];
      const tried: [string, unknown][] = [['(base)', undefined]];
      for (const [key, codec] of attributes(def.attrs)) {
        const xs = extremes(codec);
        if (xs === undefined) throw new Error(`${name}.${key}: no known extremes for codec '${codec.name}'; declare them in test/limits.test.ts`);
        if (xs === 'skip') continue;
        for (const v of xs) tried.push([key, v]);
      }
      for (const [key, v] of tried) {
        const attrs: Record<string, unknown> = key === '(base)' ? { ...b.attrs } : { ...b.attrs, [key]: v };
        expect(def.attrs.is(attrs) || key === '(base)', `${name}.${key} = ${String(v).slice(0, 20)} is admitted by its codec`).toBe(true);
        const inputs = b.inputs(attrs);
        const r = check(prim(name, attrs), inputs);
        if (E.isLeft(r)) {
          // Refused: a clean message naming the primitive (the base configuration must check).
          expect(key, `${name} base: ${r.left.message}`).not.toBe('(base)');
          expect(r.left.primitive ?? r.left.message).toContain(name);
          clean(r.left.message);
          results.push(`${key}: refused`);
          continue;
        }
        // Accepted: it runs, forward and backward, with finite results.
        const model = r.right;
        const elems = [...inputs, ...model.root.outputs, ...[...model.params.values()].map((p) => p.shape)].reduce((s, x) => s + sizeOf(x), 0);
        expect(elems, `${name}.${key}: accepted with ${elems} elements`).toBeLessThan(1e7);
        const be = jsBackend('float32');
        const prog = lowerOrThrow(model, be);
        const { outputs, residual } = prog.forward(initParams(model, 1, 'float32'), sample(inputs, b.ints?.(attrs), 2));
        for (const o of outputs) expect(o.data.every(Number.isFinite), `${name}.${key} forward`).toBe(true);
        const { dInputs } = prog.backward(residual, outputs.map(halves));
        for (const d of dInputs) if (d) expect(d.data.every(Number.isFinite), `${name}.${key} backward`).toBe(true);
        results.push(`${key}: runs`);
      }
      expect(results.length).toBe(tried.length);
    }, 60_000);
  }
});

describe('terms built in code whose reads throw', () => {
  // Found by npm run fuzz (terms campaign, case 2269): attrs that are a proxy whose key listing
  // throws made check throw instead of returning a SpecError.
  const throwing = new Proxy({}, { get: () => { throw new Error('proxy get'); }, ownKeys: () => { throw new Error('proxy keys'); } });
  it('check answers with a located SpecError, never an exception', () => {
    const attrs = check({ op: 'seq', terms: [prim('relu'), { op: 'prim', prim: 'tanh', attrs: throwing }] }, [[2]]);
    expect(E.isLeft(attrs) && attrs.left.message).toMatch(/^1 \(tanh\): attrs could not be read: reading it threw "proxy keys"/);
    const term = check({ op: 'seq', terms: [prim('relu'), throwing] }, [[2]]);
    expect(E.isLeft(term) && term.left.message).toMatch(/^1: the term could not be read: reading it threw "proxy get"/);
  });
});
