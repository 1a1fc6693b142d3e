import * as t from 'io-ts';
import { showValue } from './show';

/**
 * Turn io-ts validation errors into one line each: `path: expected X, got Y`.
 * (The raw PathReporter output lists every union branch; this keeps the deepest, most useful one.)
 */
export const formatErrors = (errors: t.Errors, prefix: readonly string[] = []): string[] => {
  const issues: { path: string; message: string }[] = [];
  for (const e of errors) {
    // Skip keys io-ts adds for union / intersection members: they index codecs, not data.
    const path: string[] = [...prefix];
    for (let i = 1; i < e.context.length; i++) {
      const parent = unwrap(e.context[i - 1]!.type as t.Mixed);
      const key = e.context[i]!.key;
      if (parent instanceof t.UnionType || parent instanceof t.IntersectionType) continue;
      path.push(key);
    }
    const last = e.context[e.context.length - 1];
    issues.push({ path: path.length ? path.join('.') : '<root>', message: e.message ?? `expected ${last?.type.name ?? 'a valid value'}, got ${showValue(e.value)}` });
  }
  return [...new Set(mergeAlternatives(issues, (i) => i.path).map((i) => `${i.path}: ${i.message}`))];
};

/**
 * One problem, one line: the failures of a union's branches at one path (`expected "recurrent", got
 * "x"` and `expected "chunkwise", got "x"`) become `expected one of "recurrent", "chunkwise", got "x"`.
 * Other issues keep their order; `key` says which issues are at the same place.
 */
export const mergeAlternatives = <I extends { readonly message: string }>(issues: readonly I[], key: (i: I) => string): I[] => {
  const out: I[] = [];
  const groups = new Map<string, { index: number; expected: string[]; got: string }>();
  for (const i of issues) {
    const at = i.message.lastIndexOf(', got ');
    if (!i.message.startsWith('expected ') || at < 0) {
      out.push(i);
      continue;
    }
    const expected = i.message.slice('expected '.length, at);
    const got = i.message.slice(at + ', got '.length);
    const k = `${key(i)}\u0000${got}`;
    const g = groups.get(k);
    if (g) {
      if (!g.expected.includes(expected)) g.expected.push(expected);
      continue;
    }
    groups.set(k, { index: out.length, expected: [expected], got });
    out.push(i);
  }
  for (const g of groups.values())
    if (g.expected.length > 1) out[g.index] = { ...out[g.index]!, message: `expected one of ${g.expected.join(', ')}, got ${g.got}` };
  return out;
};

/** Exact, readonly and refined codecs validate through their inner codec without a context entry of their own. */
const unwrap = (c: t.Mixed): t.Mixed =>
  c instanceof t.ExactType || c instanceof t.ReadonlyType || c instanceof t.RefinementType ? unwrap(c.type as t.Mixed) : c;

/** Positive integer codec, for dimensions and counts. */
export interface PositiveIntBrand {
  readonly PositiveInt: unique symbol;
}
export const PositiveInt = t.brand(
  t.number,
  (n): n is t.Branded<number, PositiveIntBrand> => Number.isInteger(n) && n > 0,
  'PositiveInt',
);
