/**
 * Decoding model strings: a total map from strings to well-typed terms.
 *
 * The decoder reads tokens left to right (characters outside {@link ALPHABET} are skipped). Its state
 * is the checker's: a stack of open groups, each holding its open wires with their shapes (and
 * whether a wire carries ids). Each token picks one of the steps that are valid in that state:
 *
 * - a token that names a valid step takes it;
 * - any other token takes the valid step at position (token index mod number of valid steps), the
 *   valid steps listed in the order of their naming tokens in the alphabet.
 *
 * So no token is ever rejected, and every string decodes to a term that passes `check`. The steps
 * (see `grammar.ts` for the full table):
 *
 * - in a **seq** state (the root, a `(k` group, a `{` skip body) a step consumes all open wires: a
 *   primitive whose arity and shapes fit them, `I` identity, `c` copy (one wire), `~` permute, `[`
 *   to split the wires into a par, `{` to open a skip on a single wire, or a closing bracket;
 * - in a **par** state a step consumes the next open wire: a primitive that takes exactly one wire,
 *   `I`, `c`, `d` discard, `{`, `(k` to group the next k wires into a seq, or a closing bracket
 *   (the remaining wires pass through one identity). A par closes by itself when its wires are
 *   used; a `]` right after that is its own bracket and does nothing.
 *
 * Attributes come from the tokens after a constructor, as SELFIES reads branch and ring sizes: a
 * number is a run of digits (an optional `,` after it is consumed) made valid by taking the
 * largest valid value not above it (else the smallest valid value); a non-digit token in a number
 * position picks from a small menu of valid values by its index. An attribute the string ends
 * before takes its smallest valid value. After a primitive, `:` + key sets an optional attribute
 * and `/` + letter picks a residual variant.
 *
 * At the end of the string every open group is closed: a par passes its remaining wires through
 * an identity, a group ends, and a skip adds its body back if the body ends in one wire of the
 * skipped shape (`x ↦ x + f(x)`), else leaves the body's wires and the copy side by side
 * (`copy ; (f ⊗ id)`) — the same rule as a closing bracket. The open wires of the root are the
 * model's outputs, or, with the `output` option, are fitted to that one shape (see `Decoder.fitOutput`).
 *
 * Every new wire, parameter and residual stays within `maxElems` elements (the inputs may be
 * larger), so decoded models stay small enough to run; nesting stays within `maxDepth` groups.
 */
import * as E from 'fp-ts/lib/Either.js';
import type { Shape } from '../tensor/shape';
import { isValidShape } from '../tensor/shape';
import { DEFAULT_LIMITS, shapeProblem } from '../term/limits';
import type { Term } from '../term/term';
import { COMMA, isDigit, tokenChar, tokenIndex, tokenize } from './alphabet';
import { type AttrRecord, type ModKey, PRIM_CTORS, type PrimCtor, WIDTH_MENU, primDef } from './constructors';
import { type PrimitiveDef, lookupPrimitive } from '../term/primitive';
import { normalPar, normalPrim, normalSeq } from './normal';
import { type Reader, type Wire, divisors, elems, last, sameLead, sameShape } from './wire';

/** Options of {@link decodeModel}. */
export interface DecodeOptions {
  /**
   * Inputs that carry integer ids, by input index: `{ 0: 23 }` says input 0 holds ids below 23.
   * Only routing boxes, `embedding` (vocab ≥ the bound), `softmax_xent` labels (classes ≥ the
   * bound) and attention masks (bound ≤ 2) take such wires. Other inputs are real-valued.
   */
  readonly ids?: Readonly<Record<number, number>>;
  /** Largest number of elements of any new wire, parameter or residual (default 2²⁰). */
  readonly maxElems?: number;
  /** Largest number of nested groups (default 32). */
  readonly maxDepth?: number;
  /** Fit the outputs into this one shape at the end (see `Decoder.fitOutput`). */
  readonly output?: Shape;
  /** Primitives never offered, by name (routing boxes — id, copy, permute, discard — cannot be excluded). */
  readonly exclude?: readonly string[];
}

/** Default element budget of decoded models. */
export const DEFAULT_MAX_ELEMS = 1 << 20;
/** Default nesting limit. */
export const DEFAULT_MAX_DEPTH = 32;

/** One primitive placed by the decoder, for the locality law. */
export interface TraceEvent {
  readonly prim: string;
  readonly attrs: Readonly<Record<string, unknown>>;
  readonly variant?: string;
  readonly inputs: readonly Shape[];
  /** Position (in tokens) of the token that placed it; the token count for steps added at the end. */
  readonly first: number;
  /** Last token position it depends on, lookahead included (the token count if it read to the end). */
  readonly dep: number;
}

/** What {@link decodeWith} returns. */
export interface Decoded {
  readonly term: Term;
  /** The model's output wires. */
  readonly outputs: readonly Wire[];
  /** Every primitive placed, in order (only with `trace: true`). */
  readonly trace?: readonly TraceEvent[];
}

interface SeqFrame {
  readonly kind: 'seq';
  readonly role: 'root' | 'group' | 'skip';
  wires: Wire[];
  children: Term[];
  /** Wires the group consumed from its par (group), or the skipped wire (skip). */
  readonly width: number;
  readonly skipIn?: Wire;
}
interface ParFrame {
  readonly kind: 'par';
  readonly inputs: Wire[];
  pos: number;
  outs: Wire[];
  children: Term[];
}
type Frame = SeqFrame | ParFrame;

interface Pending {
  readonly ctor: PrimCtor;
  attrs: AttrRecord;
  variant: string | undefined;
  readonly ws: Wire[];
  readonly restore: () => void;
  readonly event: number;
  readonly first: number;
}

// Choice tokens.
const T = (ch: string): number => tokenIndex(ch);
const OPEN_PAR = T('[');
const OPEN_GROUP = T('(');
const OPEN_SKIP = T('{');
const CLOSE = T(')');
const CLOSES = new Set([T(')'), T(']'), T('}')]);
/** `]` right after a par closed by itself: its own bracket, which does nothing. */
const ECHO = T(']');
const ID = T('I');
const COPY = T('c');
const PERM = T('~');
const DISCARD = T('d');
const MOD = T(':');
const VARIANT = T('/');

const CTOR_AT: (PrimCtor | undefined)[] = [];
for (const c of PRIM_CTORS) {
  const i = T(c.ch);
  if (i < 0 || CTOR_AT[i]) throw new Error(`strings: constructor token '${c.ch}' is not a free alphabet token`);
  CTOR_AT[i] = c;
}
/** Every choice token (one per choice; `)` stands for all closing brackets), ascending. */
const CHOICES: number[] = [...PRIM_CTORS.map((c) => T(c.ch)), OPEN_PAR, OPEN_GROUP, OPEN_SKIP, CLOSE, ECHO, ID, COPY, PERM, DISCARD, MOD, VARIANT].sort((a, b) => a - b);
for (let i = 1; i < CHOICES.length; i++) if (CHOICES[i] === CHOICES[i - 1]) throw new Error('strings: two choices share a token');

const sortByToken = (names: string): string => [...names].sort((a, b) => T(a) - T(b)).join('');

const ID1 = normalPrim('id', {});
const mkId = (n: number): Term => normalPrim('id', { n });
const COPY2 = normalPrim('copy', {});
const ADD2 = normalPrim('add', {});
const DROP = normalPrim('discard', {});
const real = (shape: Shape): Wire => ({ shape, ids: 0 });

const pushSeq = (children: Term[], t: Term): void => {
  if (t.op === 'seq') children.push(...t.terms);
  else children.push(t);
};
const pushPar = (children: Term[], t: Term): void => {
  if (t.op === 'par') children.push(...t.terms);
  else children.push(t);
};

const defs = new Map<string, PrimitiveDef>();
const defByName = (name: string): PrimitiveDef => {
  let d = defs.get(name);
  if (!d) {
    d = lookupPrimitive(name);
    if (!d) throw new Error(`strings: primitive '${name}' is not registered`);
    defs.set(name, d);
  }
  return d;
};

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

class Decoder implements Reader {
  pos = 0;
  /** Highest token position looked at so far (the token count once the end was reached). */
  examined = -1;
  frames: Frame[];
  pending: Pending | null = null;
  /** A par has just closed by itself (so `]` is its bracket). */
  echo = false;
  readonly trace: TraceEvent[] | null;
  readonly maxElems: number;
  readonly maxDepth: number;
  readonly excluded: ReadonlySet<string>;

  constructor(
    readonly toks: ArrayLike<number>,
    inputs: readonly Wire[],
    opts: { maxElems: number; maxDepth: number; trace: boolean; exclude: readonly string[] },
  ) {
    this.excluded = new Set(opts.exclude);
    this.frames = [{ kind: 'seq', role: 'root', wires: [...inputs], children: [], width: inputs.length }];
    this.maxElems = opts.maxElems;
    this.maxDepth = opts.maxDepth;
    this.trace = opts.trace ? [] : null;
  }

  // -------------------------------------------------------------------------------------------
  // Reading tokens

  private peek(): number {
    if (this.pos >= this.toks.length) {
      this.examined = this.toks.length;
      return -1;
    }
    if (this.pos > this.examined) this.examined = this.pos;
    return this.toks[this.pos]!;
  }

  /** A run of digit tokens (the next token is one), saturating at 10⁹; then an optional `,`. */
  private digits(): number {
    let v = 0;
    for (let t = this.peek(); t >= 0 && isDigit(t); t = this.peek()) {
      v = Math.min(1e9, v * 10 + t);
      this.pos++;
    }
    if (this.peek() === COMMA) this.pos++;
    return v;
  }

  width(fits: (v: number) => boolean, lo = 1, menu: readonly number[] = WIDTH_MENU): number {
    const t = this.peek();
    if (t < 0) return lo;
    if (isDigit(t)) {
      const v = this.digits();
      if (v <= lo) return lo;
      if (v <= this.maxElems && fits(v)) return v;
      // The largest valid value below v (fits is true at lo and downward closed).
      let ok = lo;
      let bad = Math.min(v, this.maxElems + 1);
      while (bad - ok > 1) {
        const mid = Math.floor((ok + bad) / 2);
        if (fits(mid)) ok = mid;
        else bad = mid;
      }
      return ok;
    }
    this.pos++;
    let n = 0;
    const vals: number[] = [];
    for (const m of menu) {
      if (m < lo) continue;
      if (m > this.maxElems || !fits(m)) break;
      vals.push(m);
      n++;
    }
    return n ? vals[t % n]! : lo;
  }

  oneOf(values: readonly number[]): number {
    const t = this.peek();
    if (t < 0) return values[0]!;
    if (isDigit(t)) {
      const v = this.digits();
      let lo = 0;
      let hi = values.length - 1;
      if (values[0]! > v) return values[0]!;
      while (lo < hi) {
        const mid = Math.ceil((lo + hi) / 2);
        if (values[mid]! <= v) lo = mid;
        else hi = mid - 1;
      }
      return values[lo]!;
    }
    this.pos++;
    return values[t % values.length]!;
  }

  range(lo: number, hi: number): number {
    const t = this.peek();
    if (t < 0) return lo;
    if (isDigit(t)) return Math.max(lo, Math.min(hi, this.digits()));
    this.pos++;
    return lo + (t % (hi - lo + 1));
  }

  optCount(lo: number, hi: number, dflt: number): number {
    const t = this.peek();
    return t >= 0 && isDigit(t) ? Math.max(lo, Math.min(hi, this.digits())) : dflt;
  }

  pick(names: string): string {
    const sorted = sortByToken(names);
    const t = this.peek();
    if (t < 0) return sorted[0]!;
    this.pos++;
    const ch = tokenChar(t);
    return sorted.includes(ch) ? ch : sorted[t % sorted.length]!;
  }

  // -------------------------------------------------------------------------------------------
  // The state

  private top(): Frame {
    return this.frames[this.frames.length - 1]!;
  }

  /** The wires a step consumes: all of a seq state's, or the next wire of a par. */
  private stepWires(): Wire[] {
    const f = this.top();
    return f.kind === 'seq' ? f.wires : [f.inputs[f.pos]!];
  }

  private validKeys(p: Pending): ModKey[] {
    return (p.ctor.keys ?? []).filter((k) => k.valid(p.attrs, p.ws, this.maxElems));
  }

  /** Is the choice with this token valid in the current state? */
  private valid(t: number): boolean {
    const f = this.top();
    const ws = this.stepWires();
    const c = CTOR_AT[t];
    if (c) return c.valid(ws, this.maxElems) && !this.excluded.has(c.prim);
    const depthOk = this.frames.length < this.maxDepth;
    switch (t) {
      case OPEN_PAR:
        return f.kind === 'seq' && ws.length >= 2 && depthOk;
      case OPEN_GROUP:
        return f.kind === 'par' && depthOk;
      case OPEN_SKIP:
        return ws.length === 1 && ws[0]!.ids === 0 && depthOk;
      case CLOSE:
        return this.frames.length > 1;
      case ECHO:
        return this.echo;
      case ID:
        return true;
      case COPY:
        return ws.length === 1;
      case PERM:
        return f.kind === 'seq' && ws.length >= 2;
      case DISCARD:
        return f.kind === 'par' && (f.outs.length >= 1 || f.inputs.length - f.pos >= 2);
      case MOD:
        return this.pending !== null && this.validKeys(this.pending).length > 0;
      case VARIANT:
        return this.pending !== null && (this.pending.ctor.variants?.length ?? 0) > 1;
      default:
        return false;
    }
  }

  /** The valid choices, in token order. */
  choices(): number[] {
    const out: number[] = [];
    for (const t of CHOICES) if (this.valid(t)) out.push(t);
    return out;
  }

  // -------------------------------------------------------------------------------------------
  // Steps

  step(): void {
    const at = this.pos;
    const t = this.peek();
    this.pos++;
    const named = t === ECHO && this.echo ? ECHO : CLOSES.has(t) ? CLOSE : t;
    let choice = named;
    if (!this.valid(named)) {
      const cs = this.choices();
      choice = cs[t % cs.length]!;
    }
    if (choice === MOD || choice === VARIANT) {
      this.modify(choice);
      return;
    }
    this.echo = false;
    this.settle();
    if (choice !== ECHO) this.apply(choice, at);
  }

  /** The pending primitive can no longer change: record what it depended on. */
  settle(): void {
    const p = this.pending;
    if (!p) return;
    this.pending = null;
    if (this.trace) this.trace[p.event] = { ...this.trace[p.event]!, dep: this.examined };
  }

  private apply(t: number, at: number): void {
    const ws = this.stepWires();
    const c = CTOR_AT[t];
    if (c) {
      const attrs = c.read(ws, this);
      const restore = c.keys || c.variants ? this.snapshot() : null;
      const event = this.placePrim(c.prim, attrs, undefined, ws, at);
      if (restore) this.pending = { ctor: c, attrs, variant: undefined, ws, restore, event, first: at };
      else if (this.trace) this.trace[event] = { ...this.trace[event]!, dep: this.examined };
      return;
    }
    const f = this.top();
    switch (t) {
      case OPEN_PAR:
        this.frames.push({ kind: 'par', inputs: ws, pos: 0, outs: [], children: [] });
        return;
      case OPEN_GROUP: {
        const rest = (f as ParFrame).inputs.length - (f as ParFrame).pos;
        const k = this.range(1, rest);
        const p = f as ParFrame;
        this.frames.push({ kind: 'seq', role: 'group', wires: p.inputs.slice(p.pos, p.pos + k), children: [], width: k });
        return;
      }
      case OPEN_SKIP:
        this.frames.push({ kind: 'seq', role: 'skip', wires: [ws[0]!], children: [], width: 1, skipIn: ws[0]! });
        return;
      case CLOSE:
        this.closeTop();
        return;
      case ID:
        this.routed(ws.length === 1 ? ID1 : mkId(ws.length), ws, ws, at);
        return;
      case COPY: {
        const n = this.optCount(1, 16, 2);
        this.routed(normalPrim('copy', { n }), ws, Array.from({ length: n }, () => ws[0]!), at);
        return;
      }
      case PERM: {
        const rem = ws.map((_, i) => i);
        const perm: number[] = [];
        while (rem.length > 1) {
          const u = this.peek();
          let k = 0;
          if (u >= 0) {
            this.pos++;
            k = isDigit(u) && rem.includes(u) ? rem.indexOf(u) : u % rem.length;
          }
          perm.push(rem[k]!);
          rem.splice(k, 1);
        }
        perm.push(rem[0]!);
        this.routed(normalPrim('permute', { perm }), ws, perm.map((i) => ws[i]!), at);
        return;
      }
      case DISCARD:
        this.routed(DROP, ws, [], at);
        return;
    }
    throw new Error(`strings: internal: no step for token ${t}`);
  }

  /** Place a routing box: its outputs are its inputs rearranged (ids stay ids). */
  private routed(term: Term, ws: Wire[], outs: Wire[], at: number): void {
    const event = this.record(term as { prim: string; attrs?: Record<string, unknown> }, ws, at);
    this.place(term, ws.length, outs);
    if (this.trace) this.trace[event] = { ...this.trace[event]!, dep: this.examined };
  }

  private record(term: { prim: string; attrs?: Record<string, unknown>; variant?: string }, ws: readonly Wire[], at: number): number {
    if (!this.trace) return -1;
    this.trace.push({
      prim: term.prim,
      attrs: term.attrs ?? {},
      ...(term.variant !== undefined ? { variant: term.variant } : {}),
      inputs: ws.map((w) => w.shape),
      first: at,
      dep: this.toks.length,
    });
    return this.trace.length - 1;
  }

  /** Place a primitive on `ws` with its real outputs from the registered shape rule. */
  private placePrim(prim: string, attrs: AttrRecord, variant: string | undefined, ws: readonly Wire[], at: number, event = -1): number {
    const term = normalPrim(prim, attrs, variant);
    const def = defByName(prim);
    const r = def.shape(term.attrs, ws.map((w) => w.shape));
    if (r._tag === 'Left') throw new Error(`strings: internal: ${prim} ${JSON.stringify(term.attrs)} on ${JSON.stringify(ws.map((w) => w.shape))}: ${r.left}`);
    if (this.trace) {
      const e = { prim, attrs: term.attrs ?? {}, ...(term.variant !== undefined ? { variant: term.variant } : {}), inputs: ws.map((w) => w.shape), first: at, dep: this.toks.length };
      if (event >= 0) this.trace[event] = e;
      else {
        this.trace.push(e);
        event = this.trace.length - 1;
      }
    }
    this.place(term, ws.length, r.right.outputs.map(real));
    return event;
  }

  /** Modifier (`:` key ...) or variant (`/` letter) of the pending primitive; it is placed again. */
  private modify(choice: number): void {
    const p = this.pending!;
    if (choice === MOD) {
      const keys = this.validKeys(p);
      const ch = this.pick(keys.map((k) => k.ch).join(''));
      p.attrs = keys.find((k) => k.ch === ch)!.apply(p.attrs, p.ws, this);
    } else {
      const names = p.ctor.variants!;
      const ch = this.pick(names);
      p.variant = primDef(p.ctor).variants[names.indexOf(ch)];
    }
    p.restore();
    this.placePrim(p.ctor.prim, p.attrs, p.variant, p.ws, p.first, p.event);
  }

  /** Undo the next placement (the two innermost groups and the group stack are all it can change). */
  private snapshot(): () => void {
    const frames = this.frames.slice();
    const saved = frames.slice(Math.max(0, frames.length - 2)).map((f) => ({ f, copy: fieldsOf(f) }));
    return () => {
      this.echo = false;
      this.frames = frames.slice();
      for (const { f, copy } of saved) Object.assign(f, fieldsOf({ ...f, ...copy } as Frame));
    };
  }

  /** Put a placed term and its output wires into the innermost group. */
  private place(term: Term, consumed: number, outs: Wire[]): void {
    const f = this.top();
    if (f.kind === 'seq') {
      pushSeq(f.children, term);
      f.wires = outs;
      return;
    }
    pushPar(f.children, term);
    f.pos += consumed;
    f.outs.push(...outs);
    if (f.pos === f.inputs.length) {
      this.closeTop();
      this.echo = true;
    }
  }

  /** Close the innermost group (see the module comment for each kind). */
  closeTop(): void {
    const f = this.frames.pop()!;
    if (f.kind === 'par') {
      if (f.pos < f.inputs.length) {
        const rest = f.inputs.slice(f.pos);
        f.children.push(rest.length === 1 ? ID1 : mkId(rest.length));
        f.outs.push(...rest);
      }
      this.place(normalPar(f.children), f.inputs.length, f.outs);
      return;
    }
    if (f.role === 'group') {
      this.place(f.children.length ? normalSeq(f.children) : mkId(f.width), f.width, f.wires);
      return;
    }
    // A skip.
    const body = f.children.length ? normalSeq(f.children) : ID1;
    const w = f.wires;
    const inner = normalPar([body, ID1]);
    if (w.length === 1 && w[0]!.ids === 0 && sameShape(w[0]!.shape, f.skipIn!.shape))
      this.place({ op: 'seq', terms: [COPY2, inner, ADD2] }, 1, [f.skipIn!]);
    else this.place({ op: 'seq', terms: [COPY2, inner] }, 1, [...w, f.skipIn!]);
  }

  /**
   * Fit the root's open wires into one output shape (the `output` option): keep the first real wire
   * (discard the others; an ids wire is embedded), then
   * - the same shape: nothing;
   * - the same leading axes: `linear` to the last axis;
   * - the same size: `reshape`;
   * - else, if the size divides by the target's leading axes: `reshape` to them, then `linear`;
   * - else, with g = gcd of the sizes: `reshape` to [g, ·], `linear` to [g, size/g], `reshape`.
   * A `linear` whose weight would exceed the budget is preceded by a `sum_pool` over the fewest
   * features that bring it within, so these steps stay within the budget whenever the output does.
   */
  fitOutput(s: Shape): void {
    const n = this.toks.length;
    const M = this.maxElems;
    const root = this.frames[0] as SeqFrame;
    const W = root.wires;
    if (W.length > 1) {
      let i = W.findIndex((w) => w.ids === 0);
      if (i < 0) i = 0;
      const kept = W[i]!;
      this.place(normalPar(W.map((_, j) => (j === i ? ID1 : DROP))), W.length, [kept]);
    }
    const w = root.wires[0]!;
    const step = (prim: string, attrs: AttrRecord) => this.placePrim(prim, attrs, undefined, root.wires, n);
    if (w.ids > 0) {
      const dim = s.length && w.ids * last(s) <= M && elems(w.shape) * last(s) <= M ? last(s) : 1;
      step('embedding', { vocab: w.ids, dim });
    }
    const linearTo = (out: number) => {
      const width = last(root.wires[0]!.shape);
      if (width * out > M) {
        const k = divisors(width).find((d) => (width / d) * out <= M) ?? width;
        step('sum_pool', { k });
      }
      step('linear', { out });
    };
    const u = root.wires[0]!.shape;
    if (sameShape(u, s)) return;
    if (s.length >= 1 && sameLead(u, s)) linearTo(last(s));
    else if (elems(u) === elems(s)) step('reshape', { shape: [...s] });
    else if (s.length >= 1 && elems(u) % (elems(s) / last(s)) === 0) {
      const v = [...s.slice(0, -1), elems(u) / (elems(s) / last(s))];
      if (!sameShape(u, v)) step('reshape', { shape: v });
      linearTo(last(s));
    } else {
      const g = gcd(elems(u), elems(s));
      const v = [g, elems(u) / g];
      if (!sameShape(u, v)) step('reshape', { shape: v });
      linearTo(elems(s) / g);
      if (!sameShape([g, elems(s) / g], s)) step('reshape', { shape: [...s] });
    }
  }

  /** Read every token, close every group and return the term. */
  run(output: Shape | undefined, nInputs: number): Term {
    while (this.pos < this.toks.length) this.step();
    this.peek();
    this.settle();
    while (this.frames.length > 1) this.closeTop();
    if (output) this.fitOutput(output);
    const root = this.frames[0] as SeqFrame;
    return root.children.length ? normalSeq(root.children) : nInputs === 1 ? ID1 : mkId(nInputs);
  }

  outputs(): Wire[] {
    return (this.frames[0] as SeqFrame).wires;
  }
}

const fieldsOf = (f: Frame): Partial<Frame> =>
  f.kind === 'seq' ? { wires: f.wires, children: f.children.slice() } : { pos: f.pos, outs: f.outs.slice(), children: f.children.slice() };

/** Check the inputs and options of a decode; a message naming the bad one, or the input wires. */
export const decodeSetup = (inputs: readonly Shape[], opts: DecodeOptions = {}): E.Either<string, Wire[]> => {
  if (!Array.isArray(inputs) || inputs.length === 0) return E.left('a model string needs at least one input shape');
  for (let i = 0; i < inputs.length; i++) {
    const s = inputs[i]!;
    if (!Array.isArray(s) || !(s.length === 0 || isValidShape(s)))
      return E.left(`input ${i} has an invalid shape ${JSON.stringify(s)}; dimensions must be positive integers`);
    // Within the language's limits (a dimension of 1e300 is an integer, and the decoder's fitting
    // and factorising loops never end on it).
    const p = shapeProblem(s, DEFAULT_LIMITS);
    if (p) return E.left(`input ${i}: ${p}`);
  }
  const ids = opts.ids ?? {};
  for (const [k, v] of Object.entries(ids)) {
    const i = Number(k);
    if (!Number.isInteger(i) || i < 0 || i >= inputs.length) return E.left(`ids: ${JSON.stringify(k)} is not an input index (0..${inputs.length - 1})`);
    if (!Number.isSafeInteger(v) || v < 1) return E.left(`ids: input ${i} needs a positive integer bound of at most 2^53 − 1, got ${JSON.stringify(v)}`);
  }
  if (opts.maxElems !== undefined && (!Number.isSafeInteger(opts.maxElems) || opts.maxElems < 1 || opts.maxElems > DEFAULT_LIMITS.maxElements))
    return E.left(`maxElems must be a positive integer of at most ${DEFAULT_LIMITS.maxElements} (limits.maxElements), got ${JSON.stringify(opts.maxElems)}`);
  if (opts.maxDepth !== undefined && (!Number.isSafeInteger(opts.maxDepth) || opts.maxDepth < 1))
    return E.left(`maxDepth must be a positive integer, got ${JSON.stringify(opts.maxDepth)}`);
  if (opts.exclude !== undefined && (!Array.isArray(opts.exclude) || opts.exclude.some((x) => typeof x !== 'string')))
    return E.left(`exclude must be a list of primitive names, got ${JSON.stringify(opts.exclude)}`);
  if (opts.output !== undefined && (!Array.isArray(opts.output) || !(opts.output.length === 0 || isValidShape(opts.output))))
    return E.left(`output has an invalid shape ${JSON.stringify(opts.output)}; dimensions must be positive integers`);
  if (opts.output !== undefined && opts.output.length) {
    const p = shapeProblem(opts.output, DEFAULT_LIMITS);
    if (p) return E.left(`output: ${p}`);
  }
  return E.right(inputs.map((s, i) => ({ shape: [...s], ids: ids[i] ?? 0 })));
};

/**
 * Decode token indices (see {@link tokenize}) with inputs and options; `trace` records every
 * primitive placed. Throws a `RangeError` only for bad inputs or options, never for the tokens.
 */
export const decodeWith = (toks: ArrayLike<number>, inputs: readonly Shape[], opts: DecodeOptions & { trace?: boolean } = {}): Decoded => {
  const setup = decodeSetup(inputs, opts);
  if (E.isLeft(setup)) throw new RangeError(`decodeModel: ${setup.left}`);
  const d = new Decoder(toks, setup.right, {
    maxElems: opts.maxElems ?? DEFAULT_MAX_ELEMS,
    maxDepth: opts.maxDepth ?? DEFAULT_MAX_DEPTH,
    trace: opts.trace === true,
    exclude: opts.exclude ?? [],
  });
  const term = d.run(opts.output, inputs.length);
  return { term, outputs: d.outputs(), ...(d.trace ? { trace: d.trace } : {}) };
};

/**
 * Decode a model string into a term that passes `check(term, inputs)`, for every string: characters
 * outside the alphabet are skipped, and every token picks a valid step (see the module comment).
 * Throws a `RangeError` only if `inputs` or `opts` are invalid.
 *
 * @example
 * decodeModel('L16 r L2', [[8, 2]]) // seq(linear {out: 16}, relu, linear {out: 2})
 */
export const decodeModel = (str: string, inputs: readonly Shape[], opts: DecodeOptions = {}): Term =>
  decodeWith(tokenize(str), inputs, opts).term;
