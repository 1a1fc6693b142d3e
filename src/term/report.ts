import * as t from 'io-ts';
import { showValue } from './show';

/**
 * Turn io-ts validation errors into one line each: `path: expected X, got Y`.
 * (The raw PathReporter output lists every union branch; this keeps the deepest, most useful one.)
 */
export const formatErrors = (errors: t.Errors, prefix: readonly string[] = []): string[] => {
  const lines = new Set<string>();
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
    const expected = e.message ?? `expected ${last?.type.name ?? 'a valid value'}`;
    lines.add(`${path.length ? path.join('.') : '<root>'}: ${e.message ? expected : `${expected}, got ${showValue(e.value)}`}`);
  }
  return [...lines];
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
