/**
 * The normal form of terms that model strings round-trip to.
 *
 * `normalForm(t)` is the same model with:
 * - names dropped (a string has no names, so parameters live at index paths such as `3.1.w`);
 * - attributes equal to their default dropped (`copy {n: 2}` is `copy {}`, `linear {bias: true}` is
 *   `linear {out}`, a tensor product's `lout = l1 + l2` is dropped), attention's `dv` dropped when
 *   `values` is false (it must equal the key/value width then), attribute keys sorted;
 * - the default residual variant dropped;
 * - a `seq` directly inside a `seq` spliced into it, likewise `par` inside `par`, and a `seq` or
 *   `par` with one child replaced by that child.
 *
 * None of these changes what the model computes; only parameter paths change (by the names and
 * the flattening). `decodeModel` only ever produces terms in normal form.
 */
import { lookupPrimitive } from '../term/primitive';
import type { Attrs, PrimTerm, Term } from '../term/term';

/** Attribute values that are the primitive's default, by primitive. */
const DEFAULTS: Readonly<Record<string, Readonly<Record<string, unknown>>>> = {
  id: { n: 1 },
  copy: { n: 2 },
  add: { n: 2 },
  concat_last: { n: 2 },
  linear: { bias: true },
  attention: { param: 'KQ', values: true, project: true, causal: false, cross: false, mask: false, block: 64 },
  delta_rule: { algorithm: 'recurrent', chunk: 64, betaRange: '[0,1]' },
  tensor_product: { coupling: 'cg', weights: 'path' },
  gaunt_tensor_product: { weights: 'degree' },
  bilinear: { blocks: 1 },
};

/** Attributes without defaults, keys sorted (so equal attributes print equally). */
export const canonicalAttrs = (prim: string, attrs: Attrs | undefined): Record<string, unknown> => {
  const d = DEFAULTS[prim] ?? {};
  const a: Record<string, unknown> = { ...(attrs ?? {}) };
  for (const [k, v] of Object.entries(d)) if (a[k] === v) delete a[k];
  if ((prim === 'tensor_product' || prim === 'gaunt_tensor_product') && typeof a.l1 === 'number' && typeof a.l2 === 'number' && a.lout === a.l1 + a.l2)
    delete a.lout;
  if (prim === 'attention' && a.values === false) delete a.dv;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(a).sort()) if (a[k] !== undefined) out[k] = a[k];
  return out;
};

/** A primitive term in normal form: canonical attributes, the variant only if not the default. */
export const normalPrim = (prim: string, attrs: Attrs | undefined, variant?: string): PrimTerm => {
  const def = lookupPrimitive(prim);
  const v = variant !== undefined && def && variant === def.variants[0] ? undefined : variant;
  return { op: 'prim', prim, attrs: canonicalAttrs(prim, attrs), ...(v !== undefined ? { variant: v } : {}) };
};

/** A `seq` of already normal children: nested seqs spliced, one child unwrapped. */
export const normalSeq = (children: readonly Term[]): Term => {
  const flat: Term[] = [];
  for (const c of children) if (c.op === 'seq') flat.push(...c.terms);
  else flat.push(c);
  return flat.length === 1 ? flat[0]! : { op: 'seq', terms: flat };
};

/** A `par` of already normal children: nested pars spliced, one child unwrapped. */
export const normalPar = (children: readonly Term[]): Term => {
  const flat: Term[] = [];
  for (const c of children) if (c.op === 'par') flat.push(...c.terms);
  else flat.push(c);
  return flat.length === 1 ? flat[0]! : { op: 'par', terms: flat };
};

/**
 * The normal form of a term (see the module comment). Idempotent; the model it describes computes
 * the same function with the same parameter shapes.
 */
export const normalForm = (t: Term): Term => {
  if (t.op === 'prim') return normalPrim(t.prim, t.attrs, t.variant);
  const children = t.terms.map(normalForm);
  return t.op === 'seq' ? normalSeq(children) : normalPar(children);
};

/** Canonical JSON of a term (keys in a fixed order), for comparing terms. */
export const termKey = (t: Term): string => JSON.stringify(t, (_k, v) => (v && typeof v === 'object' && !Array.isArray(v) ? sortKeys(v) : v));

const sortKeys = (o: Record<string, unknown>): Record<string, unknown> => {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(o).sort()) out[k] = o[k];
  return out;
};

/** Structural equality of two terms (attribute key order ignored). */
export const termEquals = (a: Term, b: Term): boolean => termKey(a) === termKey(b);
