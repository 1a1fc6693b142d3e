import * as E from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';
import { Shape, isCsrShape, isValidShape, shapeEq, showShape } from '../tensor/shape';
import { SpecError } from './error';
import { formatErrors } from './report';
import { Arity, Cost, PrimitiveDef, lookupPrimitive } from './primitive';
import { PrimTerm, Term, childKey } from './term';

/**
 * A primitive node after checking: decoded attributes, shapes, parameters and cost. `A` is the type
 * its primitive's io-ts codec decodes to, so a kernel written against that primitive (see
 * `defineKernel`) reads typed attributes; in a checked model it is `unknown` until a kernel's
 * primitive fixes it.
 */
export interface TypedPrim<A = unknown> {
  readonly kind: 'prim';
  readonly path: readonly string[];
  readonly term: PrimTerm;
  readonly def: PrimitiveDef<A>;
  readonly attrs: A;
  readonly variant: string;
  readonly inputs: readonly Shape[];
  readonly outputs: readonly Shape[];
  readonly params: Readonly<Record<string, Shape>>;
  readonly cost: Cost;
}

/**
 * `node` as a node of the primitive `def`, its attributes decoded again by `def`'s codec so that they
 * are typed (`A`) without a cast; a message naming the node if it belongs to another primitive or its
 * attributes do not decode.
 *
 * @example
 * const perm = pipe(primNodeOf(permuteDef, node), E.map((n) => n.attrs.perm));
 */
export const primNodeOf = <A>(def: PrimitiveDef<A>, node: TypedPrim): E.Either<string, TypedPrim<A>> => {
  const at = node.path.length ? node.path.join('.') : '<root>';
  if (node.def.name !== def.name) return E.left(`${at}: expected a '${def.name}' node, got '${node.def.name}'`);
  const decoded = def.attrs.decode(node.attrs);
  if (E.isLeft(decoded)) return E.left(`${at} (${def.name}): bad attributes: ${formatErrors(decoded.left, ['attrs']).join('; ')}`);
  return E.right({ ...node, def, attrs: decoded.right });
};

/** {@link primNodeOf}, throwing a `TypeError` with its message. */
export const primNodeOrThrow = <A>(def: PrimitiveDef<A>, node: TypedPrim): TypedPrim<A> => {
  const r = primNodeOf(def, node);
  if (E.isLeft(r)) throw new TypeError(r.left);
  return r.right;
};

export interface TypedComposite {
  readonly kind: 'seq' | 'par';
  readonly path: readonly string[];
  readonly term: Term;
  readonly children: readonly TypedNode[];
  readonly inputs: readonly Shape[];
  readonly outputs: readonly Shape[];
}

export type TypedNode = TypedPrim | TypedComposite;

/** A parameter of a checked model: its full path (`blocks.3.attn.wq`), shape and owner. */
export interface ParamInfo {
  readonly key: string;
  readonly shape: Shape;
  readonly node: TypedPrim;
  readonly local: string;
}

/** A checked term: every node annotated, and the flat parameter map. */
export interface TypedModel {
  readonly root: TypedNode;
  readonly params: ReadonlyMap<string, ParamInfo>;
}

/** Join a node path and a local name into a parameter / residual key. */
export const keyOf = (path: readonly string[], local: string): string => [...path, local].join('.');

const isObj = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

const structure = (term: unknown, path: string[]): E.Either<SpecError, Term> => {
  if (!isObj(term)) return E.left(new SpecError(path, `expected a term object, got ${JSON.stringify(term) ?? String(term)}`));
  if (term.name !== undefined && (typeof term.name !== 'string' || term.name === '' || term.name.includes('.')))
    return E.left(new SpecError(path, `name must be a non-empty string without '.', got ${JSON.stringify(term.name)}`));
  switch (term.op) {
    case 'prim':
      if (typeof term.prim !== 'string') return E.left(new SpecError(path, `prim must be a string, got ${JSON.stringify(term.prim)}`));
      if (term.attrs !== undefined && !isObj(term.attrs)) return E.left(new SpecError(path, 'attrs must be an object', term.prim));
      if (term.variant !== undefined && typeof term.variant !== 'string')
        return E.left(new SpecError(path, 'variant must be a string', term.prim));
      return E.right(term as unknown as Term);
    case 'seq':
    case 'par':
      if (!Array.isArray(term.terms) || term.terms.length === 0)
        return E.left(new SpecError(path, `${term.op} needs a non-empty array 'terms'`));
      return E.right(term as unknown as Term);
    default:
      return E.left(new SpecError(path, `unknown op ${JSON.stringify(term.op)}; expected 'prim', 'seq' or 'par'`));
  }
};

/** Attribute names a codec knows (object, partial, exact and intersections of them), else undefined. */
const knownKeys = (codec: t.Mixed): Set<string> | undefined => {
  if (codec instanceof t.ExactType) return knownKeys(codec.type);
  if (codec instanceof t.InterfaceType || codec instanceof t.PartialType) return new Set(Object.keys(codec.props));
  if (codec instanceof t.IntersectionType) {
    const out = new Set<string>();
    for (const m of codec.types as t.Mixed[]) {
      const k = knownKeys(m);
      if (!k) return undefined;
      k.forEach((x) => out.add(x));
    }
    return out;
  }
  if (codec instanceof t.RefinementType) return knownKeys(codec.type);
  return undefined;
};

interface Resolved {
  readonly def: PrimitiveDef;
  readonly attrs: unknown;
  readonly arity: Arity;
}

const resolvePrim = (term: PrimTerm, path: string[]): E.Either<SpecError, Resolved> => {
  const def = lookupPrimitive(term.prim);
  if (!def) return E.left(new SpecError(path, `unknown primitive '${term.prim}'`, term.prim));
  const known = knownKeys(def.attrs);
  if (known) {
    const extra = Object.keys(term.attrs ?? {}).filter((k) => !known.has(k));
    if (extra.length)
      return E.left(
        new SpecError(path, `unknown attribute(s) ${extra.map((k) => `'${k}'`).join(', ')}; expected ${known.size ? [...known].map((k) => `'${k}'`).join(', ') : 'none'}`, term.prim),
      );
  }
  const decoded = def.attrs.decode(term.attrs ?? {});
  if (E.isLeft(decoded))
    return E.left(new SpecError(path, `bad attributes: ${formatErrors(decoded.left, ['attrs']).join('; ')}`, term.prim));
  return E.right({ def, attrs: decoded.right, arity: def.arity(decoded.right) });
};

/** Static wire counts of a term, or the first structural error. */
export const arityOf = (term: unknown, path: string[] = []): E.Either<SpecError, Arity> => {
  const s = structure(term, path);
  if (E.isLeft(s)) return s;
  const t = s.right;
  if (t.op === 'prim') return E.map((r: Resolved) => r.arity)(resolvePrim(t, path));
  const arities: Arity[] = [];
  for (let i = 0; i < t.terms.length; i++) {
    const a = arityOf(t.terms[i], [...path, childKey(t.terms[i] as Term, i)]);
    if (E.isLeft(a)) return a;
    arities.push(a.right);
  }
  if (t.op === 'par')
    return E.right({ inputs: arities.reduce((s, a) => s + a.inputs, 0), outputs: arities.reduce((s, a) => s + a.outputs, 0) });
  for (let i = 1; i < arities.length; i++) {
    if (arities[i - 1]!.outputs !== arities[i]!.inputs) {
      const k = childKey(t.terms[i]!, i);
      return E.left(
        new SpecError([...path, k], `expects ${arities[i]!.inputs} input wire(s) but the previous box gives ${arities[i - 1]!.outputs}`),
      );
    }
  }
  return E.right({ inputs: arities[0]!.inputs, outputs: arities[arities.length - 1]!.outputs });
};

const checkNode = (term: unknown, path: string[], inputs: readonly Shape[]): E.Either<SpecError, TypedNode> => {
  const s = structure(term, path);
  if (E.isLeft(s)) return s;
  const t = s.right;
  if (t.op === 'prim') {
    const r = resolvePrim(t, path);
    if (E.isLeft(r)) return r;
    const { def, attrs, arity } = r.right;
    if (inputs.length !== arity.inputs)
      return E.left(new SpecError(path, `expects ${arity.inputs} input wire(s), got ${inputs.length}`, t.prim));
    const dense = def.sparse ? -1 : inputs.findIndex(isCsrShape);
    if (dense >= 0)
      return E.left(new SpecError(path, `input ${dense} is a sparse wire ${showShape(inputs[dense]!)}, but '${t.prim}' takes dense wires only`, t.prim));
    const variant = t.variant ?? def.variants[0]!;
    if (!def.variants.includes(variant))
      return E.left(new SpecError(path, `unknown variant '${variant}'; expected one of ${def.variants.join(', ')}`, t.prim));
    let shaped: E.Either<string, { outputs: readonly Shape[]; params: Readonly<Record<string, Shape>> }>;
    try {
      shaped = def.shape(attrs, inputs);
    } catch (e) {
      // A shape rule must not throw; if one does, still answer with a located error.
      shaped = E.left(`shape rule failed: ${(e as Error).message}`);
    }
    if (E.isLeft(shaped))
      return E.left(new SpecError(path, `${shaped.left} (inputs ${inputs.map(showShape).join(', ')})`, t.prim));
    const { outputs, params } = shaped.right;
    if (outputs.length !== arity.outputs)
      return E.left(new SpecError(path, `internal: shape rule gave ${outputs.length} outputs, arity says ${arity.outputs}`, t.prim));
    return E.right({ kind: 'prim', path, term: t, def, attrs, variant, inputs, outputs, params, cost: def.cost(attrs, inputs, variant) });
  }
  const children: TypedNode[] = [];
  if (t.op === 'seq') {
    let wires = inputs;
    for (let i = 0; i < t.terms.length; i++) {
      const c = checkNode(t.terms[i], [...path, childKey(t.terms[i]!, i)], wires);
      if (E.isLeft(c)) return c;
      children.push(c.right);
      wires = c.right.outputs;
    }
    return E.right({ kind: 'seq', path, term: t, children, inputs, outputs: wires });
  }
  let offset = 0;
  const outputs: Shape[] = [];
  for (let i = 0; i < t.terms.length; i++) {
    const cp = [...path, childKey(t.terms[i]!, i)];
    const a = arityOf(t.terms[i], cp);
    if (E.isLeft(a)) return a;
    if (offset + a.right.inputs > inputs.length)
      return E.left(new SpecError(cp, `needs ${a.right.inputs} input wire(s) but only ${inputs.length - offset} remain`));
    const c = checkNode(t.terms[i], cp, inputs.slice(offset, offset + a.right.inputs));
    if (E.isLeft(c)) return c;
    offset += a.right.inputs;
    children.push(c.right);
    outputs.push(...c.right.outputs);
  }
  if (offset !== inputs.length) return E.left(new SpecError(path, `uses ${offset} input wire(s), got ${inputs.length}`));
  return E.right({ kind: 'par', path, term: t, children, inputs, outputs });
};

const collectParams = (node: TypedNode, out: Map<string, ParamInfo>): E.Either<SpecError, void> => {
  if (node.kind === 'prim') {
    for (const [local, shape] of Object.entries(node.params)) {
      const key = keyOf(node.path, local);
      if (out.has(key)) return E.left(new SpecError(node.path, `parameter '${key}' is defined twice; give the boxes distinct names`));
      out.set(key, { key, shape, node, local });
    }
    return E.right(undefined);
  }
  const seen = new Set<string>();
  for (const c of node.children) {
    const k = c.path[c.path.length - 1]!;
    if (seen.has(k)) return E.left(new SpecError(c.path, `two children share the name '${k}'`));
    seen.add(k);
    const r = collectParams(c, out);
    if (E.isLeft(r)) return r;
  }
  return E.right(undefined);
};

/**
 * Shape checking as an interpretation: given input shapes, annotate every node with its shapes,
 * parameters and cost, or return a `SpecError` naming the node.
 *
 * @example
 * const m = check(seq(prim('linear', { out: 4 }), prim('relu')), [[8, 2]]);
 */
export const check = (term: unknown, inputs: readonly Shape[]): E.Either<SpecError, TypedModel> => {
  for (let i = 0; i < inputs.length; i++)
    if (!isValidShape(inputs[i]!) && !(Array.isArray(inputs[i]) && inputs[i]!.length === 0))
      return E.left(new SpecError([], `input ${i} has an invalid shape ${JSON.stringify(inputs[i])}; dimensions must be positive integers (a CSR type needs 0 ≤ nnz ≤ rows·cols)`));
  const root = checkNode(term, [], inputs);
  if (E.isLeft(root)) return root;
  const params = new Map<string, ParamInfo>();
  const p = collectParams(root.right, params);
  if (E.isLeft(p)) return p;
  return E.right({ root: root.right, params });
};

/** `check`, throwing the `SpecError` — for scripts and examples. */
export const checkOrThrow = (term: unknown, inputs: readonly Shape[]): TypedModel => {
  const r = check(term, inputs);
  if (E.isLeft(r)) throw r.left;
  return r.right;
};

export const sameShapes = (a: readonly Shape[], b: readonly Shape[]): boolean =>
  a.length === b.length && a.every((s, i) => shapeEq(s, b[i]!));
