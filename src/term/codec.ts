/**
 * Model specs as files: an io-ts codec for JSON spec documents, and `checkSpec`, which shape-checks
 * a decoded document and reports every problem at its JSON path inside the file.
 *
 * A spec document:
 *
 * ```json
 * {
 *   "catoptric": 1,
 *   "name": "spirals-mlp",
 *   "inputs": [[400, 2]],
 *   "model": { "op": "seq", "terms": [{ "op": "prim", "prim": "linear", "attrs": { "out": 64 } }, ...] },
 *   "plan": { "variants": { "3": "lse" }, "remat": ["blocks"] },
 *   "task": { "name": "spirals" },
 *   "train": { "steps": 300, "lr": 0.01, "seed": 0 }
 * }
 * ```
 *
 * Terms are exactly those of `./term` (`op` = `prim` | `seq` | `par`), so `decodeTerm(encodeTerm(t))`
 * gives back `t` (see `test/codec.test.ts`).
 *
 * Problems are {@link DocIssue}s: a JSON path (`model.terms.2.attrs.out`) and a message
 * (`expected positive integer, got "wide"`); {@link formatIssues} prefixes the file name.
 *
 * @packageDocumentation
 */
import * as E from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';
import { type Shape, csrDims, csrShape, isValidShape } from '../tensor/shape';
import { type CheckOptions, type TypedModel, check } from './check';
import { type PlannedModel, applyPlan, nodesByKey } from '../plan/apply';
import { limitsOf, shapeProblem } from './limits';
import { scheduleProblem } from '../optic/checkpoint';
import { lookupPrimitive, primitiveNames } from './primitive';
import { MAX_JSON_DEPTH, findTooDeep, tooDeepIssue } from './json-depth';
import { showName, showValue } from './show';
import { mergeAlternatives } from './report';
import { type Attrs, type ParTerm, type PrimTerm, type SeqTerm, type Term, childKey } from './term';

// ---------------------------------------------------------------------------------------------
// Issues

/** One segment of a JSON path: an object key or an array index. */
export type JsonKey = string | number;

/** A problem in a spec document, located by its JSON path. */
export interface DocIssue {
  /** Where in the document, e.g. `["model", "terms", 2, "attrs", "out"]`; empty for the whole document. */
  readonly path: readonly JsonKey[];
  /** What is wrong, usually `expected X, got Y`. */
  readonly message: string;
}

/** `model.terms.2.attrs.out`, or `<root>` for the empty path. */
export const showJsonPath = (path: readonly JsonKey[]): string => (path.length ? path.join('.') : '<root>');

/** One line per issue: `file: model.terms.2.attrs.out: expected positive integer, got "wide"`. */
export const formatIssues = (issues: readonly DocIssue[], file?: string): string[] =>
  issues.map((i) => `${file ? `${file}: ` : ''}${showJsonPath(i.path)}: ${i.message}`);

export { showValue };

const fail = (u: unknown, c: t.Context, expected: string): t.Validation<never> =>
  t.failure(u, c, `expected ${expected}, got ${showValue(u)}`);

/** Exact, readonly and refined codecs validate through their inner codec without a context entry of their own. */
const unwrap = (c: t.Mixed): t.Mixed =>
  c instanceof t.ExactType || c instanceof t.ReadonlyType || c instanceof t.RefinementType ? unwrap(c.type as t.Mixed) : c;

/**
 * io-ts errors as issues. Keys io-ts adds for union and intersection members index codecs, not
 * data, and are skipped. Of a union's failures only those that got deepest are kept: they belong
 * to the branch the value was most likely meant for.
 */
export const issuesOf = (errors: t.Errors, prefix: readonly JsonKey[] = []): DocIssue[] => {
  const all = errors.map((e) => {
    const path: JsonKey[] = [...prefix];
    for (let i = 1; i < e.context.length; i++) {
      const parent = unwrap(e.context[i - 1]!.type as t.Mixed);
      if (parent instanceof t.UnionType || parent instanceof t.IntersectionType) continue;
      const key = e.context[i]!.key;
      path.push(Array.isArray(e.context[i - 1]!.actual) && /^\d+$/.test(key) ? Number(key) : key);
    }
    const last = e.context[e.context.length - 1];
    const message = e.message ?? `expected ${last?.type.name ?? 'a valid value'}, got ${showValue(e.value)}`;
    return { path, message };
  });
  const seen = new Set<string>();
  const out: DocIssue[] = [];
  for (const i of mergeAlternatives(all, (x) => showJsonPath(x.path))) {
    const k = `${showJsonPath(i.path)}\u0000${i.message}`;
    if (!seen.has(k)) {
      seen.add(k);
      out.push(i);
    }
  }
  return out;
};

/**
 * Decode `u` with `codec`, first refusing anything nested deeper than {@link MAX_JSON_DEPTH}, so
 * that no codec recurses without bound. Never throws: every problem is an issue.
 */
export const decodeBounded = <A>(codec: t.Decoder<unknown, A>, u: unknown, prefix: readonly JsonKey[] = []): E.Either<DocIssue[], A> => {
  const deep = findTooDeep(u, MAX_JSON_DEPTH);
  if (deep) {
    const i = tooDeepIssue(deep);
    return E.left([{ path: [...prefix, ...i.path], message: i.message }]);
  }
  const r = codec.decode(u);
  return E.isLeft(r) ? E.left(issuesOf(r.left, prefix)) : E.right(r.right);
};

// ---------------------------------------------------------------------------------------------
// Small codecs with readable names and messages

const isObj = (u: unknown): u is Record<string, unknown> => typeof u === 'object' && u !== null && !Array.isArray(u);

/** A JSON object with the given required and optional fields and no others (typos are errors). */
export const closed = <R extends t.Props, O extends t.Props>(
  name: string,
  required: R,
  optional: O,
): t.Type<t.TypeOf<t.TypeC<R>> & Partial<t.TypeOf<t.TypeC<O>>>, unknown, unknown> => {
  const known = [...Object.keys(required), ...Object.keys(optional)];
  type A = t.TypeOf<t.TypeC<R>> & Partial<t.TypeOf<t.TypeC<O>>>;
  const codec = new t.Type<A, unknown, unknown>(
    name,
    (u): u is A => isObj(u),
    (u, c) => {
      if (!isObj(u)) return fail(u, c, `${name} (an object)`);
      const errors: t.Errors = [];
      const out: Record<string, unknown> = {};
      for (const k of Object.keys(u)) {
        if (!known.includes(k)) {
          const hint = nearest(k, known);
          errors.push({
            value: u[k],
            context: [...c, { key: k, type: t.never, actual: u[k] }],
            message: `unknown field${hint ? ` (did you mean '${hint}'?)` : ''}; expected one of ${known.map((x) => `'${x}'`).join(', ')}`,
          });
        }
      }
      for (const [k, codec] of Object.entries(required)) {
        if (!Object.hasOwn(u, k)) {
          errors.push({ value: undefined, context: [...c, { key: k, type: codec, actual: undefined }], message: `missing required field '${k}' (${codec.name})` });
          continue;
        }
        const r = codec.validate(u[k], [...c, { key: k, type: codec, actual: u[k] }]);
        if (E.isLeft(r)) errors.push(...r.left);
        else out[k] = r.right;
      }
      for (const [k, codec] of Object.entries(optional)) {
        if (!Object.hasOwn(u, k)) continue;
        const r = codec.validate(u[k], [...c, { key: k, type: codec, actual: u[k] }]);
        if (E.isLeft(r)) errors.push(...r.left);
        else out[k] = r.right;
      }
      return errors.length ? t.failures(errors) : t.success(out as A);
    },
    (a) => {
      const o: Record<string, unknown> = {};
      for (const [k, codec] of Object.entries({ ...required, ...optional })) {
        const v = (a as Record<string, unknown>)[k];
        if (v !== undefined) o[k] = codec.encode(v);
      }
      return o;
    },
  );
  return Object.assign(codec, { fields: known });
};

/** Closest known name within edit distance 2, for "did you mean" hints. */
export const nearest = (word: string, candidates: readonly string[]): string | undefined => {
  let best: string | undefined;
  let bestD = 3;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestD) {
      best = c;
      bestD = d;
    }
  }
  return best;
};

const editDistance = (a: string, b: string): number => {
  if (Math.abs(a.length - b.length) > 3) return 99;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++)
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length]!;
};

const refine = <A>(name: string, ok: (u: unknown) => u is A): t.Type<A, A, unknown> =>
  new t.Type<A, A, unknown>(name, ok, (u, c) => (ok(u) ? t.success(u) : fail(u, c, name)), (a) => a);

/**
 * An integer ≥ `min` that a double holds exactly (at most 2^53 − 1): larger "integers" such as 1e300
 * are refused by name, since counting with them silently stops (`x + 1 === x`).
 */
const safeInt = (name: string, min: number): t.Type<number, number, unknown> => {
  const ok = (u: unknown): u is number => typeof u === 'number' && Number.isSafeInteger(u) && u >= min;
  return new t.Type<number, number, unknown>(
    name,
    ok,
    (u, c) =>
      ok(u) ? t.success(u) : fail(u, c, typeof u === 'number' && Number.isInteger(u) && u >= min ? `${name} of at most 2^53 − 1 (${Number.MAX_SAFE_INTEGER})` : name),
    (a) => a,
  );
};

/** A positive integer (dimensions, counts), at most 2^53 − 1. */
export const PosInt = safeInt('positive integer', 1);
/** A non-negative integer (seeds, step counts), at most 2^53 − 1. */
export const NatInt = safeInt('non-negative integer', 0);
/** A finite positive number (learning rates). */
export const PosNumber = refine('positive number', (u): u is number => typeof u === 'number' && Number.isFinite(u) && u > 0);
/** A finite number. */
export const FiniteNumber = refine('finite number', (u): u is number => typeof u === 'number' && Number.isFinite(u));
/** Any string. */
export const Str = refine('string', (u): u is string => typeof u === 'string');
/** A box name: non-empty, without `.` (names are path segments). */
export const BoxName = refine("non-empty name without '.'", (u): u is string => typeof u === 'string' && u !== '' && !u.includes('.'));

/** An array of `item`, reporting each bad element at its index. */
export const arrayOf = <A>(item: t.Type<A, unknown, unknown>, name: string, nonEmpty = false): t.Type<A[], unknown, unknown> =>
  new t.Type<A[], unknown, unknown>(
    name,
    (u): u is A[] => Array.isArray(u) && u.every(item.is),
    (u, c) => {
      if (!Array.isArray(u)) return fail(u, c, name);
      if (nonEmpty && u.length === 0) return fail(u, c, `${name} (non-empty)`);
      const errors: t.Errors = [];
      const out: A[] = [];
      u.forEach((v, i) => {
        const r = item.validate(v, [...c, { key: String(i), type: item, actual: v }]);
        if (E.isLeft(r)) errors.push(...r.left);
        else out.push(r.right);
      });
      return errors.length ? t.failures(errors) : t.success(out);
    },
    (a) => a.map((x) => item.encode(x)),
  );

/**
 * An object without a prototype holding exactly these entries: user keys such as `__proto__`,
 * `constructor` or `toString` are ordinary keys, and looking up an absent one gives `undefined`.
 */
export const nullProto = <A>(entries: Iterable<readonly [string, A]>): Record<string, A> => {
  const o = Object.create(null) as Record<string, A>;
  for (const [k, v] of entries) o[k] = v;
  return o;
};

/** A record with string keys and `value` values; decoded records have no prototype (see {@link nullProto}). */
export const recordOf = <A>(value: t.Type<A, unknown, unknown>, name: string): t.Type<Record<string, A>, unknown, unknown> =>
  new t.Type<Record<string, A>, unknown, unknown>(
    name,
    (u): u is Record<string, A> => isObj(u) && Object.values(u).every(value.is),
    (u, c) => {
      if (!isObj(u)) return fail(u, c, name);
      const errors: t.Errors = [];
      // Entries, not assignment: a key such as `__proto__` stays an ordinary own property.
      const out: [string, A][] = [];
      for (const [k, v] of Object.entries(u)) {
        const r = value.validate(v, [...c, { key: k, type: value, actual: v }]);
        if (E.isLeft(r)) errors.push(...r.left);
        else out.push([k, r.right]);
      }
      return errors.length ? t.failures(errors) : t.success(nullProto(out) as Record<string, A>);
    },
    (a) => Object.fromEntries(Object.entries(a).map(([k, v]) => [k, value.encode(v)])),
  );

/** A JSON value (what `JSON.parse` can give): no `undefined`, functions, non-finite numbers or cycles. */
export const JsonValue = new t.Type<unknown, unknown, unknown>(
  'JSON value',
  (u): u is unknown => isJson(u, 0),
  (u, c) => (isJson(u, 0) ? t.success(u) : fail(u, c, 'JSON value')),
  (a) => a,
);

const isJson = (u: unknown, depth: number): boolean => {
  if (depth > 200) return false;
  if (u === null || typeof u === 'string' || typeof u === 'boolean') return true;
  if (typeof u === 'number') return Number.isFinite(u);
  if (Array.isArray(u)) return u.every((x) => isJson(x, depth + 1));
  if (isObj(u) && Object.getPrototypeOf(u) === Object.prototype || isObj(u) && Object.getPrototypeOf(u) === null)
    return Object.values(u).every((x) => isJson(x, depth + 1));
  return false;
};

// ---------------------------------------------------------------------------------------------
// Terms

/** Attributes: a JSON object. Each primitive's own codec checks them in `checkSpec`. */
export const AttrsCodec = new t.Type<Attrs, unknown, unknown>(
  'attributes object',
  (u): u is Attrs => isObj(u) && isJson(u, 0),
  (u, c) => {
    if (!isObj(u)) return fail(u, c, 'attributes object');
    const r = recordOf(JsonValue, 'attributes object').validate(u, c);
    return E.isLeft(r) ? r : t.success(r.right as Attrs);
  },
  (a) => a,
);

const primFields = closed('prim term', { op: t.literal('prim'), prim: Str }, { attrs: AttrsCodec, variant: Str, name: BoxName });
const compositeFields = (op: 'seq' | 'par') =>
  closed(`${op} term`, { op: t.literal(op), terms: arrayOf(t.unknown, 'array of terms', true) }, { name: BoxName });
const seqFields = compositeFields('seq');
const parFields = compositeFields('par');

const MAX_DEPTH = 256;

const validateTerm = (u: unknown, c: t.Context, depth: number): t.Validation<Term> => {
  if (!isObj(u)) return fail(u, c, "a term (an object with op 'prim', 'seq' or 'par')");
  if (depth > MAX_DEPTH) return t.failure(u, c, `terms nest deeper than ${MAX_DEPTH} levels`);
  switch (u.op) {
    case 'prim': {
      const r = primFields.validate(u, c);
      if (E.isLeft(r)) return r;
      const { op, prim, attrs, variant, name } = r.right;
      const term: PrimTerm = {
        op,
        prim,
        ...(attrs !== undefined ? { attrs } : {}),
        ...(variant !== undefined ? { variant } : {}),
        ...(name !== undefined ? { name } : {}),
      };
      return t.success(term);
    }
    case 'seq':
    case 'par': {
      const r = (u.op === 'seq' ? seqFields : parFields).validate(u, c);
      if (E.isLeft(r)) return r;
      const errors: t.Errors = [];
      const terms: Term[] = [];
      const tc = [...c, { key: 'terms', type: TermCodec, actual: r.right.terms }];
      r.right.terms.forEach((child, i) => {
        const cr = validateTerm(child, [...tc, { key: String(i), type: TermCodec, actual: child }], depth + 1);
        if (E.isLeft(cr)) errors.push(...cr.left);
        else terms.push(cr.right);
      });
      if (errors.length) return t.failures(errors);
      const name = r.right.name;
      const term: SeqTerm | ParTerm = { op: u.op, terms, ...(name !== undefined ? { name } : {}) } as SeqTerm | ParTerm;
      return t.success(term);
    }
    default: {
      const ctx = [...c, { key: 'op', type: t.string, actual: u.op }];
      // A term without "op" is the usual first mistake: say what a term looks like.
      if (u.op === undefined)
        return t.failure(u.op, ctx, `missing "op": a term is {"op": "prim", "prim": NAME, ...}, {"op": "seq", "terms": [...]} or {"op": "par", "terms": [...]}${typeof u.prim === 'string' ? ' (this one names a primitive: add "op": "prim")' : ''}; see docs/spec-language.md`);
      return fail(u.op, ctx, "'prim', 'seq' or 'par'");
    }
  }
};

/** Plain JSON of a term: the same fields, children encoded in order. */
export const encodeTerm = (term: Term): unknown => {
  if (term.op === 'prim')
    return {
      op: 'prim',
      prim: term.prim,
      ...(term.attrs !== undefined ? { attrs: term.attrs } : {}),
      ...(term.variant !== undefined ? { variant: term.variant } : {}),
      ...(term.name !== undefined ? { name: term.name } : {}),
    };
  return { op: term.op, terms: term.terms.map(encodeTerm), ...(term.name !== undefined ? { name: term.name } : {}) };
};

/**
 * io-ts codec of terms. Decoding checks the term language's grammar (ops, fields, names); each
 * primitive's attributes are checked against its own codec by {@link checkSpec}.
 */
export const TermCodec: t.Type<Term, unknown, unknown> = new t.Type<Term, unknown, unknown>(
  'term',
  (u): u is Term => E.isRight(validateTerm(u, [], 0)),
  (u, c) => validateTerm(u, c, 0),
  encodeTerm,
);

/** Decode a term from JSON, or issues at JSON paths relative to the term. */
export const decodeTerm = (u: unknown, prefix: readonly JsonKey[] = []): E.Either<DocIssue[], Term> => decodeBounded(TermCodec, u, prefix);

// ---------------------------------------------------------------------------------------------
// Documents

/** A tensor shape: an array of positive integers (`[]` is a scalar). */
export const ShapeCodec = arrayOf(PosInt, 'shape (array of positive integers)');

const CsrTypeFields = closed('sparse wire type', { csr: arrayOf(PosInt, '[rows, cols]'), nnz: NatInt }, {});
/**
 * A wire type in a document: a dense shape, or `{ "csr": [rows, cols], "nnz": bound }` for a CSR
 * matrix with at most `bound` nonzeros (decoded to `csrShape(rows, cols, bound)`).
 */
export const WireTypeCodec = new t.Type<Shape, unknown, unknown>(
  'wire type (shape, or { "csr": [rows, cols], "nnz": bound })',
  (u): u is Shape => Array.isArray(u) && isValidShape(u as Shape),
  (u, c) => {
    if (!isObj(u)) return ShapeCodec.validate(u, c);
    const r = CsrTypeFields.validate(u, c);
    if (E.isLeft(r)) return r;
    const { csr, nnz } = r.right;
    if (csr.length !== 2) return fail(csr, [...c, { key: 'csr', type: ShapeCodec, actual: csr }], '[rows, cols] (two positive integers)');
    if (nnz > csr[0]! * csr[1]!)
      return fail(nnz, [...c, { key: 'nnz', type: NatInt, actual: nnz }], `a bound at most rows·cols = ${csr[0]! * csr[1]!}`);
    return t.success(csrShape(csr[0]!, csr[1]!, nnz));
  },
  (s) => {
    const d = csrDims(s);
    return d ? { csr: [d.rows, d.cols], nnz: d.nnz } : [...s];
  },
);

/** One item of a checkpoint schedule: a child index or a nested segment. */
export type ScheduleItemJson = number | readonly ScheduleItemJson[];
const ScheduleItemCodec: t.Type<ScheduleItemJson, unknown, unknown> = new t.Type<ScheduleItemJson, unknown, unknown>(
  'schedule item (child index or array of items)',
  (u): u is ScheduleItemJson => NatInt.is(u) || (Array.isArray(u) && u.every((x) => ScheduleItemCodec.is(x))),
  (u, c) => (Array.isArray(u) ? arrayOf(ScheduleItemCodec, 'schedule segment').validate(u, c) : NatInt.validate(u, c)),
  (a) => a,
);

/** A plan as data (see `src/plan/plan.ts`): residual variants and recomputed nodes by node path. */
export const PlanCodec = closed(
  'plan',
  {},
  {
    variants: recordOf(Str, 'object from node path to variant name'),
    remat: arrayOf(Str, 'array of node paths'),
    schedules: recordOf(arrayOf(ScheduleItemCodec, 'schedule'), 'object from node path to schedule'),
  },
);
export type SpecPlan = t.TypeOf<typeof PlanCodec>;

/** Training settings; the command line overrides them. */
export const TrainCodec = closed(
  'train settings',
  {},
  {
    steps: refine('number of steps in [0, 1e9]', (u): u is number => NatInt.is(u) && u <= 1e9),
    lr: refine('learning rate in (0, 1000]', (u): u is number => PosNumber.is(u) && u <= 1000),
    seed: NatInt,
    optimizer: t.union([t.literal('adam'), t.literal('sgd')]),
    weightDecay: refine('non-negative number', (u): u is number => typeof u === 'number' && Number.isFinite(u) && u >= 0),
    dtype: t.union([t.literal('float32'), t.literal('float64')]),
  },
);
export type SpecTrain = t.TypeOf<typeof TrainCodec>;

/** A task by name, or `{ name, ...options }` (options are checked by the task). */
export const TaskRefCodec = new t.Type<{ name: string; options: Record<string, unknown> }, unknown, unknown>(
  'task name or { "name": ..., options }',
  (u): u is { name: string; options: Record<string, unknown> } => isObj(u) && typeof u.name === 'string' && isObj(u.options),
  (u, c) => {
    if (typeof u === 'string') return u ? t.success({ name: u, options: {} }) : fail(u, c, 'task name');
    if (!isObj(u)) return fail(u, c, 'task name or { "name": ..., options }');
    if (typeof u.name !== 'string') return fail(u.name, [...c, { key: 'name', type: Str, actual: u.name }], 'task name (string)');
    const { name, ...options } = u;
    const j = recordOf(JsonValue, 'task options').validate(options, c);
    return E.isLeft(j) ? j : t.success({ name, options: j.right });
  },
  (a) => (Object.keys(a.options).length ? { name: a.name, ...a.options } : a.name),
);
export type SpecTask = t.TypeOf<typeof TaskRefCodec>;

/** The document's format version. */
export const SPEC_VERSION = 1;

const docFields = closed(
  'spec document',
  {
    catoptric: refine(`format version ${SPEC_VERSION}`, (u): u is 1 => u === SPEC_VERSION),
    name: Str,
    inputs: arrayOf(WireTypeCodec, 'array of input shapes'),
    model: TermCodec,
  },
  { $schema: Str, doc: Str, plan: PlanCodec, task: TaskRefCodec, train: TrainCodec },
);

/** A decoded spec document. */
export interface SpecDoc {
  readonly $schema?: string;
  readonly catoptric: 1;
  readonly name: string;
  readonly doc?: string;
  readonly inputs: readonly Shape[];
  readonly model: Term;
  readonly plan?: SpecPlan;
  readonly task?: SpecTask;
  readonly train?: SpecTrain;
}

/** io-ts codec of spec documents. */
export const SpecDocCodec = new t.Type<SpecDoc, unknown, unknown>(
  'spec document',
  (u): u is SpecDoc => E.isRight(docFields.validate(u, [])),
  (u, c) => docFields.validate(u, c) as t.Validation<SpecDoc>,
  (a) => docFields.encode(a as never),
);

/** Decode a parsed JSON document. Never throws: every problem is an issue. */
export const decodeSpec = (u: unknown): E.Either<DocIssue[], SpecDoc> => decodeBounded(SpecDocCodec, u);

/** A document back to plain JSON (`decodeSpec(encodeSpec(d))` gives `d`). */
export const encodeSpec = (d: SpecDoc): unknown => SpecDocCodec.encode(d);

/**
 * Parse JSON text, turning a syntax error into an issue with line and column.
 */
export const parseJson = (text: string): E.Either<DocIssue[], unknown> => {
  // A byte-order mark is an editor's habit, not an error.
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  try {
    return E.right(JSON.parse(body) as unknown);
  } catch (e) {
    const msg = String((e as Error)?.message ?? e);
    const m = /position (\d+)/.exec(msg);
    let where = '';
    if (m) {
      const pos = Number(m[1]);
      const before = body.slice(0, pos).split('\n');
      where = ` at line ${before.length}, column ${before[before.length - 1]!.length + 1}`;
    }
    // The engine's wording, without its position (given above) or its quote of the text.
    const what = msg
      .replace(/ in JSON at position \d+.*$/, '')
      .replace(/^Unexpected token '(.)',.*$/s, (_, c: string) => `unexpected character ${JSON.stringify(c)}`);
    return E.left([{ path: [], message: `invalid JSON${where}: ${what.length > 120 ? `${what.slice(0, 117)}...` : what}` }]);
  }
};

// ---------------------------------------------------------------------------------------------
// Checking a document: primitive attributes at their JSON paths, then shapes.

/** JSON path of the node at a node path (`["blocks", "3"]` → `["model", "terms", 1, "terms", 3]`). */
export const jsonPathOfNode = (model: Term, nodePath: readonly string[]): JsonKey[] => {
  const out: JsonKey[] = ['model'];
  let cur: Term | undefined = model;
  for (const seg of nodePath) {
    if (!cur || cur.op === 'prim') break;
    const i: number = cur.terms.findIndex((c, j) => childKey(c, j) === seg);
    if (i < 0) break;
    out.push('terms', i);
    cur = cur.terms[i];
  }
  return out;
};

/** Attribute names an io-ts object codec knows (objects, partials, exact, intersections), else undefined. */
export const attrKeys = (codec: t.Mixed): string[] | undefined => {
  const fields = (codec as { fields?: unknown }).fields;
  if (Array.isArray(fields)) return fields as string[];
  if (codec instanceof t.ExactType || codec instanceof t.RefinementType || codec instanceof t.ReadonlyType) return attrKeys(codec.type);
  if (codec instanceof t.InterfaceType || codec instanceof t.PartialType) return Object.keys(codec.props);
  if (codec instanceof t.IntersectionType) {
    const out: string[] = [];
    for (const m of codec.types as t.Mixed[]) {
      const k = attrKeys(m);
      if (!k) return undefined;
      out.push(...k);
    }
    return out;
  }
  return undefined;
};

/** Issues of every primitive node: unknown primitives, attributes, variants (all of them, not just the first). */
const primIssues = (term: Term, at: JsonKey[], out: DocIssue[]): void => {
  if (term.op !== 'prim') {
    term.terms.forEach((c, i) => primIssues(c, [...at, 'terms', i], out));
    return;
  }
  const def = lookupPrimitive(term.prim);
  if (!def) {
    const hint = nearest(term.prim, primitiveNames());
    out.push({ path: [...at, 'prim'], message: `unknown primitive ${showValue(term.prim)}${hint ? ` (did you mean '${hint}'?)` : ''}; see \`catoptric prims\`` });
    return;
  }
  const attrs = term.attrs ?? {};
  const known = attrKeys(def.attrs);
  if (known)
    for (const k of Object.keys(attrs))
      if (!known.includes(k)) {
        const hint = nearest(k, known);
        out.push({
          path: [...at, 'attrs', k],
          message: `unknown attribute of '${def.name}'${hint ? ` (did you mean '${hint}'?)` : ''}; expected ${known.length ? `one of ${known.map((x) => `'${x}'`).join(', ')}` : 'none'}`,
        });
      }
  const decoded = def.attrs.decode(attrs);
  if (E.isLeft(decoded)) out.push(...issuesOf(decoded.left, [...at, 'attrs']));
  if (term.variant !== undefined && !def.variants.includes(term.variant))
    out.push({ path: [...at, 'variant'], message: `expected one of ${def.variants.map((v) => `'${v}'`).join(', ')} (variants of '${def.name}'), got ${showValue(term.variant)}` });
};

/** A checked document: the decoded spec and its typed model. */
export interface CheckedSpec {
  readonly doc: SpecDoc;
  readonly model: TypedModel;
  /** The spec's plan (or the empty plan) resolved against the model once. */
  readonly planned: PlannedModel;
}

const planIssues = (doc: SpecDoc, model: TypedModel): DocIssue[] => {
  const out: DocIssue[] = [];
  const plan = doc.plan;
  if (!plan) return out;
  const nodes = nodesByKey(model);
  const at = (key: string) => nodes.get(key);
  for (const [key, variant] of Object.entries(plan.variants ?? {})) {
    const n = at(key);
    if (!n) out.push({ path: ['plan', 'variants', key], message: `no node at path ${showName(key)} in the model` });
    else if (n.kind !== 'prim') out.push({ path: ['plan', 'variants', key], message: `node ${showName(key)} is a ${n.kind}; variants belong to primitives` });
    else if (!n.def.variants.includes(variant))
      out.push({ path: ['plan', 'variants', key], message: `expected one of ${n.def.variants.map((v) => `'${v}'`).join(', ')} (variants of '${n.def.name}'), got ${showValue(variant)}` });
  }
  (plan.remat ?? []).forEach((key, i) => {
    if (!at(key)) out.push({ path: ['plan', 'remat', i], message: `no node at path ${showName(key)} in the model` });
  });
  for (const [key, schedule] of Object.entries(plan.schedules ?? {})) {
    const n = at(key);
    if (!n) out.push({ path: ['plan', 'schedules', key], message: `no node at path ${showName(key)} in the model` });
    else if (n.kind !== 'seq') out.push({ path: ['plan', 'schedules', key], message: `node ${showName(key)} is a ${n.kind}; schedules belong to seq nodes` });
    else {
      const why = scheduleProblem(schedule, n.children.length);
      if (why) out.push({ path: ['plan', 'schedules', key], message: `not a schedule of the ${n.children.length} children of seq ${showName(key)}: ${why}` });
    }
  }
  return out;
};

/**
 * Shape-check a decoded document: every primitive's attributes and variant against its own codec
 * (all problems, at their JSON paths), then shapes through the whole term (the first problem,
 * at the JSON path of the node `check` names), then the plan's node paths. Never throws.
 */
export const checkSpec = (doc: SpecDoc, opts: CheckOptions = {}): E.Either<DocIssue[], CheckedSpec> => {
  const issues: DocIssue[] = [];
  let limits;
  try {
    limits = limitsOf(opts.limits);
  } catch (e) {
    return E.left([{ path: [], message: (e as Error).message }]);
  }
  doc.inputs.forEach((s, i) => {
    const p = shapeProblem(s, limits);
    if (p) issues.push({ path: ['inputs', i], message: p });
  });
  primIssues(doc.model, ['model'], issues);
  if (issues.length) return E.left(issues);
  const r = check(doc.model, doc.inputs, opts);
  if (E.isLeft(r)) {
    const e = r.left;
    const at = jsonPathOfNode(doc.model, e.path);
    const node = e.path.length ? e.path.join('.') : '<root>';
    return E.left([{ path: at, message: `${e.primitive ? `${e.primitive} ` : ''}(node ${node}): ${e.detail}` }]);
  }
  const p = planIssues(doc, r.right);
  if (p.length) return E.left(p);
  const planned = applyPlan(r.right, doc.plan ?? {});
  if (E.isLeft(planned)) return E.left([{ path: ['plan'], message: planned.left.message }]);
  return E.right({ doc, model: r.right, planned: planned.right });
};

/** Parse, decode and check JSON text. */
export const loadSpec = (text: string, opts: CheckOptions = {}): E.Either<DocIssue[], CheckedSpec> => {
  const j = parseJson(text);
  if (E.isLeft(j)) return j;
  const d = decodeSpec(j.right);
  if (E.isLeft(d)) return d;
  return checkSpec(d.right, opts);
};
