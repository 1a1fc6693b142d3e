/**
 * A primitive's description as data, for `catoptric prims` and the docs: each attribute's type (read
 * off its io-ts codec), whether it is required, its default and meaning (the description's
 * `attrDocs`), the arity, the residual variants and the 2-cells between them.
 *
 * @example
 * describePrimitive(lookupPrimitive('mcb')!).attrs.map((a) => `${a.name}: ${a.type}`)
 */
import * as t from 'io-ts';
import type { Arity, PrimitiveDef, VariantTwoCell } from './primitive';

/** One attribute of a primitive. */
export interface AttrInfo {
  readonly name: string;
  /** Its type as a short phrase: `positive integer`, `"recurrent" | "chunkwise"`, `array of positive integer`. */
  readonly type: string;
  readonly required: boolean;
  /** The value an absent optional attribute stands for, when it is a fixed value. */
  readonly default?: unknown;
  readonly doc?: string;
}

/** Everything a spec writer needs to know about a primitive. */
export interface PrimInfo {
  readonly name: string;
  readonly doc: string;
  readonly attrs: readonly AttrInfo[];
  /** Wire counts with every optional attribute at its default; null when a required attribute decides them. */
  readonly arity: Arity | null;
  /** Residual variants; the first is the default. */
  readonly variants: readonly string[];
  /** Store-versus-recompute 2-cells between variants (store less ⇒ store more). */
  readonly twoCells: readonly VariantTwoCell[];
}

interface Field {
  readonly name: string;
  readonly codec: t.Mixed;
  readonly required: boolean;
}

/** The fields of an object codec (exact, readonly, intersections of type/partial), or undefined. */
export const codecFields = (c: t.Mixed): Field[] | undefined => {
  if (c instanceof t.ExactType || c instanceof t.ReadonlyType) return codecFields(c.type as t.Mixed);
  if (c instanceof t.RefinementType) return codecFields(c.type as t.Mixed);
  if (c instanceof t.InterfaceType || c instanceof t.PartialType) {
    const required = c instanceof t.InterfaceType;
    return Object.entries(c.props as Record<string, t.Mixed>).map(([name, codec]) => ({ name, codec, required }));
  }
  if (c instanceof t.IntersectionType) {
    const out: Field[] = [];
    for (const m of c.types as t.Mixed[]) {
      const f = codecFields(m);
      if (!f) return undefined;
      out.push(...f);
    }
    return out;
  }
  return undefined;
};

/** A codec's type as a short phrase. */
export const codecType = (c: t.Mixed): string => {
  if (c instanceof t.ExactType || c instanceof t.ReadonlyType) return codecType(c.type as t.Mixed);
  if (c instanceof t.LiteralType) return JSON.stringify(c.value);
  if (c instanceof t.KeyofType) return Object.keys(c.keys).map((k) => JSON.stringify(k)).join(' | ');
  if (c instanceof t.UnionType) return (c.types as t.Mixed[]).map(codecType).join(' | ');
  if (c instanceof t.ArrayType || c instanceof t.ReadonlyArrayType) return `array of ${codecType(c.type as t.Mixed)}`;
  if (c instanceof t.NumberType) return 'number';
  if (c instanceof t.StringType) return 'string';
  if (c instanceof t.BooleanType) return 'boolean';
  const fields = codecFields(c);
  if (fields) return `object {${fields.map((f) => `${f.name}${f.required ? '' : '?'}: ${codecType(f.codec)}`).join(', ')}}`;
  // Refinements and custom codecs carry a readable name ('positive integer', 'integer degree in [0, 40]').
  return c.name;
};

/** The description of a registered primitive as data. */
export const describePrimitive = (def: PrimitiveDef): PrimInfo => {
  const fields = codecFields(def.attrs) ?? [];
  const attrs: AttrInfo[] = fields.map((f) => {
    const d = def.attrDocs?.[f.name];
    return {
      name: f.name,
      type: codecType(f.codec),
      required: f.required,
      ...(d && d.default !== undefined ? { default: d.default } : {}),
      ...(d ? { doc: d.doc } : {}),
    };
  });
  const defaults = Object.fromEntries(attrs.filter((a) => a.default !== undefined).map((a) => [a.name, a.default]));
  // Arity from the defaults alone; a primitive whose wire count a required attribute sets (permute's
  // perm) cannot say it without one.
  let arity: Arity | null = null;
  try {
    const r = def.arity(defaults);
    if (Number.isInteger(r.inputs) && Number.isInteger(r.outputs)) arity = { inputs: r.inputs, outputs: r.outputs };
  } catch {
    arity = null;
  }
  return { name: def.name, doc: def.doc, attrs, arity, variants: [...def.variants], twoCells: [...(def.twoCells ?? [])] };
};
