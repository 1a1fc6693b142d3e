/**
 * Building blocks for hostile inputs, all drawn from an explicit seeded generator: numbers at and
 * past every edge, names that collide with `Object.prototype`, nesting far past any limit, and
 * random JSON.
 */
import { type Rng, rng } from '../src/tensor/rng';

/** The generator of case `index` of a campaign: independent of every other case. */
export const caseRng = (campaign: string, seed: number, index: number): Rng => rng(seed).fork(campaign).fork(index);

export const pick = <A>(r: Rng, xs: readonly A[]): A => xs[r.int(xs.length)]!;
export const chance = (r: Rng, p: number): boolean => r.uniform() < p;
/** An integer in [lo, hi]. */
export const between = (r: Rng, lo: number, hi: number): number => lo + r.int(hi - lo + 1);

/** Counts and dimensions at the edges: 0, negatives, fractions, powers of two ± 1, 2^53 ± 1, 1e308. */
export const EDGE_NUMBERS: readonly number[] = [
  0, -0, -1, 0.5, 1.5, 1, 2, 3, 7, 64, 1000, 65535, 65536, 65537, 1e6, 1e8, 2 ** 29, 2 ** 31 - 1, 2 ** 31, 2 ** 32, 2 ** 32 + 1,
  2 ** 53 - 1, 2 ** 53, 2 ** 53 + 2, 1e15, 1e21, 1e300, Number.MAX_VALUE, -Number.MAX_VALUE, 5e-324, 1e-300,
];

/** Property names that `Object.prototype` already has, and other names that trip naive code. */
export const PROTO_NAMES: readonly string[] = [
  '__proto__', 'constructor', 'toString', 'valueOf', 'hasOwnProperty', 'prototype', '__defineGetter__', 'isPrototypeOf', 'then', 'length',
];

/** Strings that are awkward in paths and messages. */
export const ODD_STRINGS: readonly string[] = ['', ' ', '.', 'a.b', '..', '../x', '/etc/passwd', '\u0000', '%s', '${x}', 'é∂漢', '\n', 'x'.repeat(300), 'null', 'NaN', 'undefined'];

/** A hostile scalar: an edge number, a prototype name, an odd string, or a plain JSON scalar. */
export const hostileScalar = (r: Rng): unknown => {
  switch (r.int(5)) {
    case 0:
    case 1:
      return pick(r, EDGE_NUMBERS);
    case 2:
      return pick(r, PROTO_NAMES);
    case 3:
      return pick(r, ODD_STRINGS);
    default:
      return pick(r, [null, true, false, 'relu', 'seq', 'prim', 1, 2, 4]);
  }
};

/** An object with exactly these own keys (so `__proto__` becomes an ordinary key, as JSON.parse makes it). */
export const objOf = (entries: readonly (readonly [string, unknown])[]): Record<string, unknown> => {
  const o: Record<string, unknown> = {};
  for (const [k, v] of entries) Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
  return o;
};

/** `v` wrapped `depth` times in arrays or single-key objects (iteratively, however deep). */
export const nest = (r: Rng, v: unknown, depth: number): unknown => {
  const style = r.int(3);
  let x = v;
  for (let i = 0; i < depth; i++) x = style === 0 || (style === 2 && i % 2 === 0) ? [x] : objOf([[pick(r, ['a', 'terms', 'op', '__proto__', '0']), x]]);
  return x;
};

/** Depths to try: around the limits (256 terms, 1000 JSON levels) and far past them. */
export const DEPTHS: readonly number[] = [3, 100, 255, 256, 257, 999, 1000, 1001, 5000, 20000];

/** Random JSON up to `depth` levels and about `size` leaves, with hostile scalars. */
export const randomJson = (r: Rng, depth: number, size = 6): unknown => {
  if (depth <= 0 || chance(r, 0.35)) return hostileScalar(r);
  const n = r.int(size);
  if (chance(r, 0.5)) return Array.from({ length: n }, () => randomJson(r, depth - 1, size));
  return objOf(Array.from({ length: n }, () => [chance(r, 0.3) ? pick(r, PROTO_NAMES) : pick(r, ['a', 'op', 'terms', 'prim', 'attrs', 'n', 'x']), randomJson(r, depth - 1, size)] as const));
};

/** Paths (keys) into a JSON value: up to `limit` of them, none longer than `maxDepth`. */
export const pathsOf = (v: unknown, limit = 5000, maxDepth = 64): (string | number)[][] => {
  const out: (string | number)[][] = [];
  const stack: [unknown, (string | number)[]][] = [[v, []]];
  while (stack.length && out.length < limit) {
    const [x, at] = stack.pop()!;
    out.push(at);
    if (at.length >= maxDepth) continue;
    if (Array.isArray(x)) x.forEach((c, i) => stack.push([c, [...at, i]]));
    else if (x && typeof x === 'object') for (const k of Object.keys(x)) stack.push([(x as Record<string, unknown>)[k], [...at, k]]);
  }
  return out;
};

/** Set (or with `undefined`, delete) the value at a path; the root is replaced by returning the value. */
export const setAt = (doc: unknown, at: readonly (string | number)[], value: unknown): unknown => {
  if (at.length === 0) return value;
  let cur = doc as Record<string | number, unknown>;
  for (const k of at.slice(0, -1)) cur = cur[k] as Record<string | number, unknown>;
  const last = at[at.length - 1]!;
  if (value === undefined) {
    if (Array.isArray(cur)) cur.splice(Number(last), 1);
    else delete cur[last];
  } else Object.defineProperty(cur, last, { value, enumerable: true, writable: true, configurable: true });
  return doc;
};

/** `JSON.stringify` without recursion, for documents nested deeper than the stack allows. */
export const jsonText = (v: unknown): string => {
  const out: string[] = [];
  // Work items: a value to write, or a literal piece of text.
  const stack: ({ v: unknown; inArray: boolean } | string)[] = [{ v, inArray: false }];
  while (stack.length) {
    const item = stack.pop()!;
    if (typeof item === 'string') {
      out.push(item);
      continue;
    }
    const x = item.v;
    if (x === undefined || typeof x === 'function' || typeof x === 'symbol') {
      out.push(item.inArray ? 'null' : 'null');
      continue;
    }
    if (x === null || typeof x !== 'object') {
      out.push(JSON.stringify(x));
      continue;
    }
    if (Array.isArray(x)) {
      stack.push(']');
      for (let i = x.length - 1; i >= 0; i--) {
        stack.push({ v: x[i], inArray: true });
        if (i > 0) stack.push(',');
      }
      out.push('[');
      continue;
    }
    const keys = Object.keys(x).filter((k) => {
      const c = (x as Record<string, unknown>)[k];
      return c !== undefined && typeof c !== 'function' && typeof c !== 'symbol';
    });
    stack.push('}');
    for (let i = keys.length - 1; i >= 0; i--) {
      stack.push({ v: (x as Record<string, unknown>)[keys[i]!], inArray: false });
      stack.push(`${i > 0 ? ',' : ''}${JSON.stringify(keys[i])}:`);
    }
    out.push('{');
  }
  return out.join('');
};
