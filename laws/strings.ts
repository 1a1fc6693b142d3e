/**
 * Laws of model strings, and `arbitraryModel`: random well-typed models for fuzzing other laws.
 *
 * - Totality: every string (any characters, random bytes) decodes to a term that passes `check`,
 *   and, when the inputs fit the element budget, every wire and parameter of it does too.
 * - Round trip: `decodeModel(encodeModel(t)) = normalForm(t)` for every term with a string form,
 *   and every decoded term is in normal form and has one.
 * - Locality of a one-token mutation: every primitive decoded from tokens before the mutated
 *   position — it and everything it looked at (its attribute tokens, and the token after it
 *   that ended them) lie before it — is decoded identically, in the same order, as a prefix of
 *   both decodings' primitives.
 */
import fc from 'fast-check';
import * as E from 'fp-ts/lib/Either.js';
import { TOKENS, tokenChar, tokenize } from '../src/strings/alphabet';
import { type DecodeOptions, type TraceEvent, decodeWith } from '../src/strings/decode';
import { encodeModel, showEncodeIssue } from '../src/strings/encode';
import { normalForm, termKey } from '../src/strings/normal';
import { type TypedModel, type TypedNode, check } from '../src/term/check';
import type { Term } from '../src/term/term';
import { type Shape, sizeOf } from '../src/tensor/shape';
import { rng, randn } from '../src/tensor/rng';
import type { DType, HostTensor } from '../src/tensor/tensor';

/** A law's verdict with what went wrong. */
export interface StringLawReport {
  readonly ok: boolean;
  readonly detail: string;
}

const pass: StringLawReport = { ok: true, detail: '' };
const fail = (detail: string): StringLawReport => ({ ok: false, detail });

const largestWire = (n: TypedNode): { elems: number; where: string } => {
  let best = { elems: 0, where: '' };
  const visit = (m: TypedNode) => {
    if (m.kind === 'prim') {
      for (const s of [...m.outputs, ...Object.values(m.params)])
        if (sizeOf(s) > best.elems) best = { elems: sizeOf(s), where: `${m.path.join('.') || '<root>'} (${m.def.name})` };
    } else m.children.forEach(visit);
  };
  visit(n);
  return best;
};

/**
 * Totality: the string decodes (under these inputs and options) to a term that passes `check`; if
 * every input fits `maxElems`, so does every wire and parameter.
 */
export const decodesWellTyped = (str: string | ArrayLike<number>, inputs: readonly Shape[], opts: DecodeOptions = {}): StringLawReport => {
  let term: Term;
  try {
    term = decodeWith(typeof str === 'string' ? tokenize(str) : str, inputs, opts).term;
  } catch (e) {
    return fail(`decoding threw: ${(e as Error).message}`);
  }
  const c = check(term, inputs);
  if (E.isLeft(c)) return fail(`decoded term does not check: ${c.left.message}`);
  const M = opts.maxElems ?? 1 << 20;
  if (inputs.every((s) => sizeOf(s) <= M)) {
    const w = largestWire(c.right.root);
    if (w.elems > M) return fail(`${w.where} has ${w.elems} elements, over the budget of ${M}`);
  }
  return pass;
};

/** Round trip of a term: it has a string, and the string decodes to its normal form. */
export const termRoundTrips = (term: Term, inputs: readonly Shape[], opts: DecodeOptions = {}): StringLawReport => {
  const s = encodeModel(term, inputs, opts);
  return E.isRight(s) ? pass : fail(showEncodeIssue(s.left));
};

/**
 * Round trip of a string's term: the decoded term is in normal form, and encoding it gives a string
 * that decodes to it again.
 */
export const decodedRoundTrips = (str: string | ArrayLike<number>, inputs: readonly Shape[], opts: DecodeOptions = {}): StringLawReport => {
  const t = decodeWith(typeof str === 'string' ? tokenize(str) : str, inputs, opts).term;
  if (termKey(normalForm(t)) !== termKey(t)) return fail('the decoded term is not in normal form');
  const s = encodeModel(t, inputs, opts);
  if (E.isLeft(s)) return fail(`the decoded term has no string: ${showEncodeIssue(s.left)}`);
  const back = decodeWith(tokenize(s.right), inputs, opts).term;
  return termKey(back) === termKey(t) ? pass : fail(`'${s.right}' decodes to a different term`);
};

const eventKey = (e: TraceEvent): string => JSON.stringify([e.prim, e.attrs, e.variant ?? null, e.inputs, e.first, e.dep]);

/**
 * Locality: replace token `at` of `tokens` by `tok`. The primitives of each decoding whose
 * dependencies end before `at` are the same list, and a prefix of that decoding's primitives.
 */
export const mutationIsLocal = (
  tokens: readonly number[],
  at: number,
  tok: number,
  inputs: readonly Shape[],
  opts: DecodeOptions = {},
): StringLawReport => {
  const mutated = [...tokens];
  mutated[at] = tok;
  const a = decodeWith(tokens, inputs, { ...opts, trace: true }).trace!;
  const b = decodeWith(mutated, inputs, { ...opts, trace: true }).trace!;
  const before = (es: readonly TraceEvent[]) => es.filter((e) => e.dep < at).map(eventKey);
  const pa = before(a);
  const pb = before(b);
  if (pa.length !== pb.length || pa.some((k, i) => k !== pb[i])) return fail(`the primitives decoded before token ${at} differ: ${JSON.stringify(pa)} vs ${JSON.stringify(pb)}`);
  const prefix = (es: readonly TraceEvent[], p: readonly string[]) => p.every((k, i) => eventKey(es[i]!) === k);
  if (!prefix(a, pa) || !prefix(b, pb)) return fail(`the primitives decoded before token ${at} are not a prefix of the decoding`);
  return pass;
};

/** What {@link arbitraryModel} generates. */
export interface ArbitraryModelOptions {
  /** Longest token string. */
  readonly maxTokens: number;
  /** The model's input shapes. */
  readonly inputs: readonly Shape[];
  /** Inputs that hold ids, as in `DecodeOptions`. */
  readonly ids?: Readonly<Record<number, number>>;
  /** Element budget (default 4096, so that models run quickly). */
  readonly maxElems?: number;
}

/** A random model: its string, the term it decodes to, and the options it was decoded with. */
export interface ArbitraryModel {
  readonly string: string;
  readonly term: Term;
  readonly inputs: readonly Shape[];
  readonly opts: DecodeOptions;
}

/**
 * fast-check arbitrary of well-typed models: uniformly random token strings of up to `maxTokens`
 * tokens, decoded. Shrinks by shrinking the string.
 *
 * @example
 * fc.assert(fc.property(arbitraryModel({ maxTokens: 30, inputs: [[3, 4]] }), (m) => E.isRight(check(m.term, m.inputs))));
 */
export const arbitraryModel = (o: ArbitraryModelOptions): fc.Arbitrary<ArbitraryModel> => {
  const opts: DecodeOptions = { maxElems: o.maxElems ?? 4096, ...(o.ids ? { ids: o.ids } : {}) };
  return fc.array(fc.integer({ min: 0, max: TOKENS - 1 }), { maxLength: o.maxTokens }).map((toks) => ({
    string: toks.map(tokenChar).join(''),
    term: decodeWith(toks, o.inputs, opts).term,
    inputs: o.inputs,
    opts,
  }));
};

/**
 * Inputs for running a model: standard normals, except integer ids below the bound for the inputs
 * `opts.ids` names (uniform), all from `seed`.
 */
export const sampleModelInputs = (inputs: readonly Shape[], opts: DecodeOptions, seed: number, dtype: DType = 'float64'): HostTensor[] =>
  inputs.map((s, i) => {
    const r = rng(seed).fork(`input${i}`);
    const bound = opts.ids?.[i];
    if (bound === undefined) return randn(s, r, dtype);
    const n = sizeOf(s);
    const data = dtype === 'float64' ? new Float64Array(n) : new Float32Array(n);
    for (let k = 0; k < n; k++) data[k] = r.int(bound);
    return { shape: [...s], data };
  });

/** Check a decoded model (it always checks: see {@link decodesWellTyped}). */
export const checkModel = (m: ArbitraryModel): TypedModel => {
  const c = check(m.term, m.inputs);
  if (E.isLeft(c)) throw new Error(`arbitraryModel: '${m.string}' does not check: ${c.left.message}`);
  return c.right;
};
