/**
 * Encoding terms as model strings: the inverse of `decodeModel` on the terms it can produce.
 *
 * The encoder prints the normal form of a term (see `normal.ts`) with the tokens that name each step,
 * exact numbers in digits, and spaces between children for reading (the decoder skips them). It then
 * decodes the string and compares: `encodeModel` answers a string only if
 * `decodeModel(string, inputs, opts)` gives back exactly `normalForm(term)`.
 *
 * The fragment with a string form: every term in normal form whose attributes are integers, booleans
 * or names (so not `eps`, attention's `scale` or explicit MCB `hashes`), whose every new wire,
 * parameter and residual fits the element budget, and whose id-carrying inputs (given, or found by
 * {@link inferIds}) reach only routing boxes and the boxes that read ids.
 */
import * as E from 'fp-ts/lib/Either.js';
import type { Shape } from '../tensor/shape';
import { arityOf, check } from '../term/check';
import type { PrimTerm, Term } from '../term/term';
import { TOKENS, tokenChar, tokenize } from './alphabet';
import { type DecodeOptions, decodeSetup, decodeWith } from './decode';
import { inferIds } from './ids';
import { MAX_RESHAPE_RANK } from './constructors';
import { normalForm, termKey } from './normal';

/** Why a term has no string: where (node path in its normal form) and what. */
export interface EncodeIssue {
  readonly path: readonly string[];
  readonly message: string;
}

/** `3.1: message` */
export const showEncodeIssue = (i: EncodeIssue): string => `${i.path.length ? i.path.join('.') : '<root>'}: ${i.message}`;

/** The token of each primitive without attribute-dependent spelling. */
const CHAR: Readonly<Record<string, string>> = {
  relu: 'r', gelu: 'g', tanh: 't', sigmoid: 's', silu: 'w', softmax: 'x', layernorm: 'N', rmsnorm: 'n',
  signed_sqrt_l2: 'q', last_position: 'P', embedding: 'E', reshape: 'R', sum_pool: 'u', delta_rule: 'D',
  tensor_product: 'T', gaunt_tensor_product: 'G', mcb: 'M', bilinear: 'B', hadamard: '*', outer_product: 'o',
  add: '+', concat_last: 'k', mse: 'm', softmax_xent: 'X', id: 'I', copy: 'c', permute: '~', discard: 'd',
  outer_memory: 'H', topk_write: 'K',
};

/** Residual variant letters, aligned with each primitive's variant list. */
const VARIANT_CHARS: Readonly<Record<string, readonly [string, string][]>> = {
  attention: [['probs', 'p'], ['lse', 'l']],
  delta_rule: [['all-states', 'a'], ['chunk-states', 'c'], ['none', 'n']],
  outer_memory: [['all-states', 'a'], ['chunk-states', 'c'], ['none', 'n']],
  mcb: [['sketch', 'k'], ['input', 'i'], ['spectra', 's']],
  gaunt_tensor_product: [['inputs', 'i'], ['grids', 'g']],
};

class Unprintable extends Error {
  constructor(readonly path: readonly string[], message: string) {
    super(message);
  }
}

/** Pieces of a string; a number followed by a digit gets a `,` between them. */
class Out {
  private s = '';
  private afterNumber = false;
  put(p: string): this {
    if (this.afterNumber && /^[0-9]/.test(p)) this.s += ',';
    this.s += p;
    this.afterNumber = false;
    return this;
  }
  num(n: number): this {
    this.put(String(n));
    this.afterNumber = true;
    return this;
  }
  space(): this {
    if (this.s !== '' && !/[\s[({]$/.test(this.s)) this.s += ' ';
    this.afterNumber = false;
    return this;
  }
  toString(): string {
    return this.s;
  }
}

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);

/** A child of a seq that is a skip: copy, par(f, id), add, all with default attributes. */
const isSkipAt = (ts: readonly Term[], i: number): boolean => {
  const [a, b, c] = [ts[i], ts[i + 1], ts[i + 2]];
  return (
    a?.op === 'prim' && a.prim === 'copy' && Object.keys(a.attrs ?? {}).length === 0 &&
    b?.op === 'par' && b.terms.length === 2 && isId1(b.terms[1]!) &&
    c?.op === 'prim' && c.prim === 'add' && Object.keys(c.attrs ?? {}).length === 0
  );
};
const isId1 = (t: Term): boolean => t.op === 'prim' && t.prim === 'id' && Object.keys(t.attrs ?? {}).length === 0 && t.variant === undefined;
const isId = (t: Term): boolean => t.op === 'prim' && t.prim === 'id';

class Printer {
  readonly out = new Out();

  /** Children of a seq state, each consuming all open wires. */
  seqBody(ts: readonly Term[], path: readonly string[]): void {
    for (let i = 0; i < ts.length; ) {
      this.out.space();
      if (isSkipAt(ts, i)) {
        this.skip((ts[i + 1] as { terms: readonly Term[] }).terms[0]!, [...path, String(i + 1), '0']);
        i += 3;
      } else {
        this.inSeq(ts[i]!, [...path, String(i)]);
        i++;
      }
    }
  }

  private skip(f: Term, path: readonly string[]): void {
    this.out.put('{');
    if (f.op === 'seq') this.seqBody(f.terms, path);
    else if (!isId1(f)) this.inSeq(f, path);
    this.out.put('}');
  }

  /** A term consuming every open wire of a seq state. */
  inSeq(t: Term, path: readonly string[]): void {
    if (t.op === 'prim') return this.prim(t, path);
    if (t.op === 'par') {
      this.out.put('[');
      const last = t.terms.length - 1;
      t.terms.forEach((c, i) => {
        if (i === last && isId(c)) return;
        if (i > 0) this.out.space();
        this.inPar(c, [...path, String(i)]);
      });
      this.out.put(']');
      return;
    }
    this.seqBody(t.terms, path);
  }

  /** A term consuming the next wires of a par state. */
  private inPar(t: Term, path: readonly string[]): void {
    if (t.op === 'seq' && t.terms.length === 3 && isSkipAt(t.terms, 0)) {
      this.skip((t.terms[1] as { terms: readonly Term[] }).terms[0]!, [...path, '1', '0']);
      return;
    }
    const a = arityOf(t);
    if (E.isLeft(a)) throw new Unprintable(path, a.left.message);
    const k = a.right.inputs;
    if (t.op === 'prim' && k === 1) return this.prim(t, path);
    this.out.put('(').num(k);
    if (t.op === 'seq') this.seqBody(t.terms, path);
    else if (!(t.op === 'prim' && t.prim === 'id')) {
      this.out.space();
      this.inSeq(t, path);
    }
    this.out.put(')');
  }

  private prim(t: PrimTerm, path: readonly string[]): void {
    const a: Record<string, unknown> = { ...(t.attrs ?? {}) };
    const take = (k: string): unknown => {
      const v = a[k];
      delete a[k];
      return v;
    };
    const int = (k: string, min = 1): number => {
      const v = take(k);
      if (!isInt(v) || v < min) throw new Unprintable(path, `${t.prim}: attribute '${k}' = ${JSON.stringify(v)} has no string form (expected an integer ≥ ${min})`);
      return v;
    };
    const o = this.out;
    const mods: string[] = [];
    const mod = (k: string, s: string | false) => {
      take(k);
      if (s) mods.push(s);
    };
    switch (t.prim) {
      case 'linear':
        o.put(take('bias') === false ? 'l' : 'L').num(int('out'));
        break;
      case 'embedding':
        o.put('E').num(int('vocab')).num(int('dim'));
        break;
      case 'reshape': {
        const s = take('shape');
        if (!Array.isArray(s) || s.length > MAX_RESHAPE_RANK)
          throw new Unprintable(path, `reshape: a target shape of rank ${Array.isArray(s) ? s.length : '?'} has no string form (at most ${MAX_RESHAPE_RANK})`);
        o.put('R').num(s.length);
        for (const d of s.slice(0, -1)) o.num(d as number);
        break;
      }
      case 'sum_pool':
        o.put('u').num(int('k'));
        break;
      case 'attention': {
        const w = take('param') === 'W';
        const values = take('values') !== false;
        o.put(w ? 'W' : 'A').num(int('heads'));
        if (!w) o.num(int('dk'));
        o.num(values ? int('dv') : 1);
        take('cross');
        take('mask');
        // In this order every intermediate configuration is no larger than the final one (so within
        // the budget): dv is the placeholder 1 until :n, and :o after :p is unused.
        if (a.block !== undefined) mods.push(`:b${int('block')}`);
        mod('causal', a.causal === true && ':c');
        mod('project', a.project === false && ':p');
        if (a.out !== undefined) mods.push(`:o${int('out')}`);
        if (!values) mods.push(':n');
        break;
      }
      case 'delta_rule':
        o.put('D');
        take('heads');
        mod('betaRange', a.betaRange === '[0,2]' && ':b');
        mod('algorithm', a.algorithm === 'chunkwise' && ':c');
        if (a.chunk !== undefined) mods.push(`:k${int('chunk')}`);
        break;
      case 'outer_memory':
        o.put('H');
        take('heads');
        if (a.chunk !== undefined) mods.push(`:k${int('chunk')}`);
        break;
      case 'topk_write':
        o.put('K').num(int('heads')).num(int('k'));
        break;
      case 'tensor_product':
      case 'gaunt_tensor_product':
        o.put(CHAR[t.prim]!);
        take('l1');
        take('l2');
        if (t.prim === 'tensor_product') {
          mod('weights', a.weights === 'degree' ? ':d' : a.weights === 'none' ? ':n' : false);
          mod('coupling', a.coupling === 'gaunt' && ':g');
        } else mod('weights', a.weights === 'none' && ':n');
        if (a.lout !== undefined) mods.push(`:o${int('lout', 0)}`);
        break;
      case 'mcb':
        o.put('M').num(int('d')).num(int('seed', 0));
        break;
      case 'bilinear':
        o.put('B').num(int('out'));
        if (a.blocks !== undefined) mods.push(`:b${int('blocks')}`);
        break;
      case 'copy': {
        o.put('c');
        const n = a.n === undefined ? 2 : int('n');
        take('n');
        if (n !== 2) o.num(n);
        break;
      }
      case 'permute': {
        const perm = take('perm');
        if (!Array.isArray(perm)) throw new Unprintable(path, 'permute: no perm');
        o.put('~');
        const rem = perm.map((_, i) => i);
        for (const p of perm.slice(0, -1)) {
          const k = rem.indexOf(p as number);
          if (k < 0) throw new Unprintable(path, `permute: ${JSON.stringify(perm)} is not a permutation`);
          o.put(tokenFor(p as number, k, rem));
          rem.splice(k, 1);
        }
        break;
      }
      case 'id':
      case 'add':
      case 'concat_last':
        take('n');
        o.put(CHAR[t.prim]!);
        break;
      default: {
        const ch = CHAR[t.prim];
        if (!ch) throw new Unprintable(path, `primitive '${t.prim}' has no token`);
        o.put(ch);
      }
    }
    const left = Object.keys(a).filter((k) => a[k] !== undefined);
    if (left.length) throw new Unprintable(path, `${t.prim}: attribute(s) ${left.map((k) => `'${k}' = ${JSON.stringify(a[k])}`).join(', ')} have no string form`);
    for (const m of mods) o.put(m);
    if (t.variant !== undefined) {
      const v = VARIANT_CHARS[t.prim]?.find(([name]) => name === t.variant);
      if (!v) throw new Unprintable(path, `${t.prim}: variant '${t.variant}' has no string form`);
      o.put(`/${v[1]}`);
    }
  }
}

/** A token for permutation entry `value`, at position `k` of the remaining indices `rem`. */
const tokenFor = (value: number, k: number, rem: readonly number[]): string => {
  if (value < 10) return String(value);
  // Any token that is not a digit naming a remaining index, with index ≡ k (mod |rem|).
  for (let t = 10; t < TOKENS; t++) if (t % rem.length === k) return tokenChar(t);
  throw new RangeError(`permute: an entry among ${rem.length} remaining wires has no token`);
};

/** Print the normal form of a term, without checking that it decodes back (see {@link encodeModel}). */
export const printModel = (term: Term): E.Either<EncodeIssue, string> => {
  try {
    const p = new Printer();
    p.inSeq(normalForm(term), []);
    return E.right(p.out.toString());
  } catch (e) {
    if (e instanceof Unprintable) return E.left({ path: e.path, message: e.message });
    throw e;
  }
};

/** Path and description of the first node where two terms differ. */
const firstDifference = (a: Term, b: Term, path: string[] = []): { path: string[]; got: string; want: string } | null => {
  if (termKey(a) === termKey(b)) return null;
  if (a.op !== 'prim' && a.op === b.op && a.terms.length === b.terms.length)
    for (let i = 0; i < a.terms.length; i++) {
      const d = firstDifference(a.terms[i]!, b.terms[i]!, [...path, String(i)]);
      if (d) return d;
    }
  const show = (t: Term) => (t.op === 'prim' ? `${t.prim} ${JSON.stringify(t.attrs ?? {})}${t.variant ? `/${t.variant}` : ''}` : `${t.op} of ${t.terms.length}`);
  return { path, got: show(a), want: show(b) };
};

/**
 * The string of a term: `decodeModel(string, inputs, opts)` gives back exactly `normalForm(term)`,
 * or an issue saying where the term leaves the fragment with a string form (see the module comment).
 * `opts.ids` defaults to {@link inferIds}; pass the same options to `decodeModel`. Deterministic.
 *
 * @example
 * encodeModel(seq(prim('linear', { out: 16 }), prim('relu')), [[8, 2]]) // right('L16 r')
 */
export const encodeModel = (term: Term, inputs: readonly Shape[], opts: DecodeOptions = {}): E.Either<EncodeIssue, string> => {
  const o = { ...opts, ids: opts.ids ?? inferIds(term, inputs) };
  const setup = decodeSetup(inputs, o);
  if (E.isLeft(setup)) return E.left({ path: [], message: setup.left });
  const c = check(term, inputs);
  if (E.isLeft(c)) return E.left({ path: [...c.left.path], message: `the term does not check: ${c.left.message}` });
  const printed = printModel(term);
  if (E.isLeft(printed)) return printed;
  const want = normalForm(term);
  const got = decodeWith(tokenize(printed.right), inputs, o).term;
  const d = firstDifference(got, want);
  if (d)
    return E.left({
      path: d.path,
      message: `has no string form under these inputs and options: its string decodes to ${d.got} where the term has ${d.want} (outside the element budget, ids reaching a real-valued box, or a step the grammar does not offer here)`,
    });
  return E.right(printed.right);
};
