/**
 * The one formatter for a user's values in messages. Whatever it is given (deeply nested JSON, a
 * cyclic object, `NaN`, a class instance, a proxy that throws), it returns one short line and never
 * `[object Object]`, `undefined` or `NaN`.
 */

/** Nesting shown before `[…]` / `{…}`: a message names a value, it does not dump it. */
const SHOWN_DEPTH = 3;

const showNumber = (n: number): string =>
  Number.isNaN(n) ? 'not-a-number' : n === Infinity ? 'infinity' : n === -Infinity ? '-infinity' : String(n);

const article = (s: string): string => (/^[aeiou]/i.test(s) ? `an ${s}` : `a ${s}`);

/** A `class` instance's kind, e.g. `a Map`, or undefined for plain (and null-prototype) objects. */
const instanceKind = (o: object): string | undefined => {
  const proto = Object.getPrototypeOf(o) as { constructor?: { name?: unknown } } | null;
  if (proto === null || proto === Object.prototype) return undefined;
  const name = proto.constructor?.name;
  return typeof name === 'string' && name ? article(name) : 'an object';
};

/** Writes into `out` until `budget` characters are reached (then the caller cuts and adds `...`). */
const render = (v: unknown, depth: number, out: string[], budget: { left: number }, seen: Set<object>): void => {
  const put = (s: string) => {
    out.push(s);
    budget.left -= s.length;
  };
  if (budget.left <= 0) return;
  switch (typeof v) {
    case 'undefined':
      return put('nothing');
    case 'string':
      return put(JSON.stringify(v.length > 200 ? v.slice(0, 200) : v));
    case 'number':
      return put(showNumber(v));
    case 'bigint':
      return put(`${v}n`);
    case 'boolean':
      return put(String(v));
    case 'symbol':
      return put('a symbol');
    case 'function':
      return put('a function');
  }
  if (v === null) return put('null');
  const o = v as object;
  if (seen.has(o)) return put('(a cycle)');
  try {
    if (Array.isArray(o)) {
      if (depth >= SHOWN_DEPTH) return put(o.length ? '[…]' : '[]');
      seen.add(o);
      put('[');
      for (let i = 0; i < o.length && budget.left > 0; i++) {
        if (i) put(',');
        render(o[i], depth + 1, out, budget, seen);
      }
      put(']');
      seen.delete(o);
      return;
    }
    if (ArrayBuffer.isView(o)) return put(`${article((o as { constructor: { name: string } }).constructor.name)} of length ${(o as { length?: number }).length ?? '?'}`);
    const kind = instanceKind(o);
    if (kind) return put(kind);
    const keys = Object.keys(o);
    if (depth >= SHOWN_DEPTH) return put(keys.length ? '{…}' : '{}');
    seen.add(o);
    put('{');
    for (let i = 0; i < keys.length && budget.left > 0; i++) {
      if (i) put(',');
      put(`${JSON.stringify(keys[i])}:`);
      render((o as Record<string, unknown>)[keys[i]!], depth + 1, out, budget, seen);
    }
    put('}');
    seen.delete(o);
  } catch {
    // A proxy or getter that throws: say so instead of failing the message.
    put('(an unreadable value)');
  }
};

/**
 * A value as a short single line for a message: JSON for JSON values (strings quoted), `nothing`
 * for `undefined`, `not-a-number` / `infinity` for non-finite numbers, `a Map` for class instances;
 * nesting beyond three levels shows as `[…]`, and the whole is cut at `max` characters.
 *
 * @example
 * showValue({ out: 'wide' })   // '{"out":"wide"}'
 * showValue(undefined)        // 'nothing'
 */
export const showValue = (v: unknown, max = 60): string => {
  const out: string[] = [];
  render(v, 0, out, { left: max + 1 }, new Set());
  const s = out.join('');
  return s.length > max ? `${s.slice(0, Math.max(0, max - 3))}...` : s;
};

/** A name (a key, a node name, a primitive) quoted for a message: `'blocks'`, or showValue if it is not a string. */
export const showName = (k: unknown): string => (typeof k === 'string' ? `'${k.length > 80 ? `${k.slice(0, 77)}...` : k}'` : showValue(k));

/** A shape for a message: `[2,3]` for a valid one, else whatever it was, shown safely. */
export const showDims = (s: unknown): string =>
  Array.isArray(s) && s.length <= 16 && s.every((d) => typeof d === 'number' && Number.isFinite(d)) ? `[${s.join(',')}]` : showValue(s);
