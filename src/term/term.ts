/**
 * Model terms: string diagrams as plain, JSON-serialisable objects.
 *
 * A term is a box with a list of input wires and a list of output wires. `seq` plugs one box's
 * outputs into the next one's inputs; `par` places boxes side by side, concatenating their wire
 * lists; every other box is a primitive (structural ones — `id`, `copy`, `add`, `permute`,
 * `discard` — included). Children are addressed by `name` if given, else by index, so a parameter
 * lives at a path like `blocks.3.attn.wq`.
 */
export type Attrs = Readonly<Record<string, unknown>>;

export interface PrimTerm {
  readonly op: 'prim';
  /** Registered primitive name, e.g. `linear`. */
  readonly prim: string;
  readonly attrs?: Attrs;
  /** Residual variant (a 2-cell choice inside the primitive); the primitive's default if absent. */
  readonly variant?: string;
  readonly name?: string;
}

export interface SeqTerm {
  readonly op: 'seq';
  readonly terms: readonly Term[];
  readonly name?: string;
}

export interface ParTerm {
  readonly op: 'par';
  readonly terms: readonly Term[];
  readonly name?: string;
}

export type Term = PrimTerm | SeqTerm | ParTerm;

/** A primitive box. @example prim('linear', { out: 16 }) */
export const prim = (name: string, attrs: Attrs = {}, opts: { name?: string; variant?: string } = {}): PrimTerm => ({
  op: 'prim',
  prim: name,
  attrs,
  ...(opts.variant !== undefined ? { variant: opts.variant } : {}),
  ...(opts.name !== undefined ? { name: opts.name } : {}),
});

/** Sequential composition, n-ary and flat. @example seq(prim('linear', {out: 8}), prim('relu')) */
export const seq = (...terms: Term[]): SeqTerm => ({ op: 'seq', terms });

/** Parallel composition: wire lists concatenate. */
export const par = (...terms: Term[]): ParTerm => ({ op: 'par', terms });

/**
 * `seq` of an array: for long chains, where spreading the array into `seq(...)` would pass more
 * arguments than a JavaScript engine accepts (about 10⁵).
 */
export const seqOf = (terms: readonly Term[]): SeqTerm => ({ op: 'seq', terms: [...terms] });

/** `par` of an array (see {@link seqOf}). */
export const parOf = (terms: readonly Term[]): ParTerm => ({ op: 'par', terms: [...terms] });

/** Give a term a name, used in paths instead of its index. */
export const named = <T extends Term>(name: string, t: T): T => ({ ...t, name });

/** `n` parallel identity wires. */
export const id = (n = 1): PrimTerm => prim('id', { n });
/** Fan one wire out to `n` copies (its backward adds the gradients). */
export const copy = (n = 2): PrimTerm => prim('copy', { n });
/** Add `n` wires of the same shape (a residual connection's join). */
export const add = (n = 2): PrimTerm => prim('add', { n });
/** Drop one wire. */
export const discard = (): PrimTerm => prim('discard');
/** Reorder wires: output `i` is input `perm[i]`. */
export const permute = (perm: readonly number[]): PrimTerm => prim('permute', { perm: [...perm] });
/** Swap two wires. */
export const swap = (): PrimTerm => permute([1, 0]);

/**
 * A skip connection, `x ↦ x + f(x)`: copy, run `f` on one branch, add. (Not called `residual`: in
 * catoptric a residual is what a forward pass keeps for its backward pass.)
 */
export const skip = (f: Term): SeqTerm => seq(copy(2), par(f, id(1)), add(2));

/** The path segment of child `i` of a composite. */
export const childKey = (t: Term, i: number): string => t.name ?? String(i);
