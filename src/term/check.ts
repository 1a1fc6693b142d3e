import * as E from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';
import { Shape, isCsrShape, shapeEq, showShape } from '../tensor/shape';
import { SpecError } from './error';
import { formatErrors } from './report';
import { Arity, Cost, PrimitiveDef, lookupPrimitive } from './primitive';
import { PrimTerm, Term } from './term';
import { type Limits, limitsOf, shapeProblem } from './limits';
import { showName, showValue } from './show';

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

/** A term built in code may hold objects whose property reads throw (proxies, getters): a located error, not an exception. */
const unreadable = (path: string[], what: string, e: unknown, prim?: string): SpecError =>
  new SpecError(path, `${what} could not be read: reading it threw ${showValue((e as Error)?.message ?? e, 120)}`, prim);

const structure = (term: unknown, path: string[]): E.Either<SpecError, Term> => {
  try {
    return structureOf(term, path);
  } catch (e) {
    return E.left(unreadable(path, 'the term', e));
  }
};

const structureOf = (term: unknown, path: string[]): E.Either<SpecError, Term> => {
  if (!isObj(term)) return E.left(new SpecError(path, `expected a term object, got ${showValue(term)}`));
  if (term.name !== undefined && (typeof term.name !== 'string' || term.name === '' || term.name.includes('.')))
    return E.left(new SpecError(path, `name must be a non-empty string without '.', got ${showValue(term.name)}`));
  switch (term.op) {
    case 'prim':
      if (typeof term.prim !== 'string') return E.left(new SpecError(path, `prim must be a string, got ${showValue(term.prim)}`));
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
      return E.left(new SpecError(path, `unknown op ${showValue(term.op)}; expected 'prim', 'seq' or 'par'`));
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

/** What one `check` call carries: its limits, and wire counts already worked out (terms may be shared). */
interface Ctx {
  readonly limits: Limits;
  readonly arities: WeakMap<object, Arity>;
}

const newCtx = (limits: Limits): Ctx => ({ limits, arities: new WeakMap() });

const wiresProblem = (a: Arity, limits: Limits): string | null => {
  const bad = (n: number) => !Number.isSafeInteger(n) || n < 0;
  if (bad(a.inputs) || bad(a.outputs)) return `internal: wire counts ${showValue(a.inputs)} in, ${showValue(a.outputs)} out are not counts`;
  if (a.inputs > limits.maxWires || a.outputs > limits.maxWires)
    return `has ${a.inputs} input and ${a.outputs} output wire(s); the limit is ${limits.maxWires} wires per box (limits.maxWires)`;
  return null;
};

const resolvePrim = (term: PrimTerm, path: string[], ctx: Ctx): E.Either<SpecError, Resolved> => {
  const def = lookupPrimitive(term.prim);
  // (Not named again as the node's primitive: a name like 'undefined' would show unquoted there.)
  if (!def) return E.left(new SpecError(path, `unknown primitive ${showName(term.prim)}`));
  const known = knownKeys(def.attrs);
  let keys: string[];
  let decoded: t.Validation<unknown>;
  try {
    keys = Object.keys(term.attrs ?? {});
    decoded = def.attrs.decode(term.attrs ?? {});
  } catch (e) {
    return E.left(unreadable(path, 'attrs', e, term.prim));
  }
  if (known) {
    const extra = keys.filter((k) => !known.has(k));
    if (extra.length)
      return E.left(
        new SpecError(path, `unknown attribute(s) ${extra.map((k) => showName(k)).join(', ')}; expected ${known.size ? [...known].map((k) => `'${k}'`).join(', ') : 'none'}`, term.prim),
      );
  }
  if (E.isLeft(decoded))
    return E.left(new SpecError(path, `bad attributes: ${formatErrors(decoded.left, ['attrs']).join('; ')}`, term.prim));
  const arity = def.arity(decoded.right);
  const w = wiresProblem(arity, ctx.limits);
  if (w) return E.left(new SpecError(path, w, term.prim));
  return E.right({ def, attrs: decoded.right, arity });
};

const arityIn = (term: unknown, path: string[], ctx: Ctx): E.Either<SpecError, Arity> => {
  const memo = isObj(term) ? ctx.arities.get(term) : undefined;
  if (memo) return E.right(memo);
  const s = structure(term, path);
  if (E.isLeft(s)) return s;
  const t = s.right;
  let out: Arity;
  if (t.op === 'prim') {
    const r = resolvePrim(t, path, ctx);
    if (E.isLeft(r)) return r;
    out = r.right.arity;
  } else {
    const arities: Arity[] = [];
    for (let i = 0; i < t.terms.length; i++) {
      const a = arityIn(t.terms[i], [...path, segmentOf(t.terms[i], i)], ctx);
      if (E.isLeft(a)) return a;
      arities.push(a.right);
    }
    if (t.op === 'par') {
      out = { inputs: arities.reduce((s, a) => s + a.inputs, 0), outputs: arities.reduce((s, a) => s + a.outputs, 0) };
      const w = wiresProblem(out, ctx.limits);
      if (w) return E.left(new SpecError(path, w));
    } else {
      for (let i = 1; i < arities.length; i++) {
        if (arities[i - 1]!.outputs !== arities[i]!.inputs) {
          const k = segmentOf(t.terms[i], i);
          return E.left(
            new SpecError([...path, k], `expects ${arities[i]!.inputs} input wire(s) but the previous box gives ${arities[i - 1]!.outputs}`),
          );
        }
      }
      out = { inputs: arities[0]!.inputs, outputs: arities[arities.length - 1]!.outputs };
    }
  }
  ctx.arities.set(t, out);
  return E.right(out);
};

/** The path segment of child `i`, even for a malformed child (its own error comes later). */
const segmentOf = (c: unknown, i: number): string => {
  try {
    return isObj(c) && typeof c.name === 'string' ? c.name : String(i);
  } catch {
    return String(i); // its own error comes when the child is checked
  }
};

/** Shown length of a path in a too-deep message. */
const SHOWN_SEGMENTS = 8;

/**
 * Nesting depth and box count, found without recursion before anything recursive runs: a term
 * nested deeper than `maxDepth` (or cyclic) or with more than `maxNodes` boxes is refused.
 */
const sizeProblem = (term: unknown, limits: Limits): SpecError | null => {
  const stack: { t: unknown; depth: number; path: string[] }[] = [{ t: term, depth: 1, path: [] }];
  let nodes = 0;
  while (stack.length) {
    const { t, depth, path } = stack.pop()!;
    if (++nodes > limits.maxNodes) return new SpecError([], `the term has more than ${limits.maxNodes} boxes, the limit (limits.maxNodes)`);
    if (depth > limits.maxDepth)
      return new SpecError(
        path.slice(0, SHOWN_SEGMENTS),
        `terms nest more than ${limits.maxDepth} levels deep ${path.length > SHOWN_SEGMENTS ? 'below this node' : 'here'}; the limit is ${limits.maxDepth} (limits.maxDepth)`,
      );
    let kids: unknown[];
    try {
      if (!isObj(t) || (t.op !== 'seq' && t.op !== 'par') || !Array.isArray(t.terms)) continue;
      kids = t.terms as unknown[];
    } catch {
      continue; // an unreadable node: checking it says so, at its path
    }
    for (let i = kids.length - 1; i >= 0; i--)
      stack.push({ t: kids[i], depth: depth + 1, path: path.length <= SHOWN_SEGMENTS ? [...path, segmentOf(kids[i], i)] : path });
  }
  return null;
};

/** Public wire counts of a term (default limits), or the first structural error. */
export const arityOf = (term: unknown, path: string[] = []): E.Either<SpecError, Arity> => {
  const ctx = newCtx(limitsOf());
  try {
    const size = sizeProblem(term, ctx.limits);
    return size ? E.left(size) : arityIn(term, path, ctx);
  } catch (e) {
    return E.left(unreadable(path, 'the term', e));
  }
};

const costProblem = (c: Cost): string | null => {
  for (const k of ['fwdFlops', 'bwdFlops', 'residualElems', 'paramElems'] as const)
    if (typeof c[k] !== 'number' || !Number.isFinite(c[k]) || c[k] < 0) return `internal: the cost rule gave ${k} = ${showValue(c[k])}; expected a finite count`;
  return null;
};

const checkPrim = (t: PrimTerm, path: string[], inputs: readonly Shape[], ctx: Ctx): E.Either<SpecError, TypedNode> => {
  const r = resolvePrim(t, path, ctx);
  if (E.isLeft(r)) return r;
  const { def, attrs, arity } = r.right;
  if (inputs.length !== arity.inputs)
    return E.left(new SpecError(path, `expects ${arity.inputs} input wire(s), got ${inputs.length}`, t.prim));
  const dense = def.sparse ? -1 : inputs.findIndex(isCsrShape);
  if (dense >= 0)
    return E.left(new SpecError(path, `input ${dense} is a sparse wire ${showShape(inputs[dense]!)}, but '${t.prim}' takes dense wires only`, t.prim));
  const variant = t.variant ?? def.variants[0]!;
  if (!def.variants.includes(variant))
    return E.left(new SpecError(path, `unknown variant ${showName(variant)}; expected one of ${def.variants.join(', ')}`, t.prim));
  let shaped: E.Either<string, { outputs: readonly Shape[]; params: Readonly<Record<string, Shape>> }>;
  try {
    shaped = def.shape(attrs, inputs);
  } catch (e) {
    // A shape rule must not throw; if one does, still answer with a located error.
    shaped = E.left(`shape rule failed: ${showValue((e as Error)?.message ?? e, 200)}`);
  }
  if (E.isLeft(shaped))
    return E.left(new SpecError(path, `${shaped.left} (inputs ${inputs.map(showShape).join(', ')})`, t.prim));
  const { outputs, params } = shaped.right;
  if (outputs.length !== arity.outputs)
    return E.left(new SpecError(path, `internal: shape rule gave ${outputs.length} outputs, arity says ${arity.outputs}`, t.prim));
  for (let j = 0; j < outputs.length; j++) {
    const p = shapeProblem(outputs[j], ctx.limits);
    if (p) return E.left(new SpecError(path, `output ${j}: ${p}`, t.prim));
  }
  for (const [k, sh] of Object.entries(params)) {
    const p = shapeProblem(sh, ctx.limits);
    if (p) return E.left(new SpecError(path, `parameter '${k}': ${p}`, t.prim));
  }
  let cost: Cost;
  try {
    cost = def.cost(attrs, inputs, variant);
  } catch (e) {
    return E.left(new SpecError(path, `internal: the cost rule failed: ${showValue((e as Error)?.message ?? e, 200)}`, t.prim));
  }
  const c = costProblem(cost);
  if (c) return E.left(new SpecError(path, c, t.prim));
  return E.right({ kind: 'prim', path, term: t, def, attrs, variant, inputs, outputs, params, cost });
};

const checkNode = (term: unknown, path: string[], inputs: readonly Shape[], ctx: Ctx): E.Either<SpecError, TypedNode> => {
  const s = structure(term, path);
  if (E.isLeft(s)) return s;
  const t = s.right;
  if (t.op === 'prim') return checkPrim(t, path, inputs, ctx);
  const children: TypedNode[] = [];
  if (t.op === 'seq') {
    let wires = inputs;
    for (let i = 0; i < t.terms.length; i++) {
      const c = checkNode(t.terms[i], [...path, segmentOf(t.terms[i], i)], wires, ctx);
      if (E.isLeft(c)) return c;
      children.push(c.right);
      wires = c.right.outputs;
    }
    return E.right({ kind: 'seq', path, term: t, children, inputs, outputs: wires });
  }
  let offset = 0;
  const outputs: Shape[] = [];
  for (let i = 0; i < t.terms.length; i++) {
    const cp = [...path, segmentOf(t.terms[i], i)];
    const a = arityIn(t.terms[i], cp, ctx);
    if (E.isLeft(a)) return a;
    if (offset + a.right.inputs > inputs.length)
      return E.left(new SpecError(cp, `needs ${a.right.inputs} input wire(s) but only ${inputs.length - offset} remain`));
    const c = checkNode(t.terms[i], cp, inputs.slice(offset, offset + a.right.inputs), ctx);
    if (E.isLeft(c)) return c;
    offset += a.right.inputs;
    children.push(c.right);
    for (const o of c.right.outputs) outputs.push(o);
    if (outputs.length > ctx.limits.maxWires) return E.left(new SpecError(path, `has more than ${ctx.limits.maxWires} output wires, the limit (limits.maxWires)`));
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

/** Options of {@link check}. */
export interface CheckOptions {
  /** Limits to apply instead of the defaults (`DEFAULT_LIMITS`), e.g. `{ maxElements: 2 ** 34 }`. */
  readonly limits?: Partial<Limits>;
}

/**
 * Shape checking as an interpretation: given input shapes, annotate every node with its shapes,
 * parameters and cost, or return a `SpecError` naming the node. Terms, wires and tensors beyond
 * the limits (`DEFAULT_LIMITS`, or `opts.limits`) are refused with a message naming the limit.
 *
 * @example
 * const m = check(seq(prim('linear', { out: 4 }), prim('relu')), [[8, 2]]);
 */
export const check = (term: unknown, inputs: readonly Shape[], opts: CheckOptions = {}): E.Either<SpecError, TypedModel> => {
  let limits: Limits;
  try {
    limits = limitsOf(opts.limits);
  } catch (e) {
    return E.left(new SpecError([], (e as Error).message));
  }
  if (!Array.isArray(inputs)) return E.left(new SpecError([], `expected an array of input shapes, got ${showValue(inputs)}`));
  if (inputs.length > limits.maxWires) return E.left(new SpecError([], `${inputs.length} inputs; the limit is ${limits.maxWires} wires (limits.maxWires)`));
  for (let i = 0; i < inputs.length; i++) {
    const p = shapeProblem(inputs[i], limits);
    if (p) return E.left(new SpecError([], `input ${i}: ${p}`));
  }
  try {
    const size = sizeProblem(term, limits);
    if (size) return E.left(size);
    const ctx = newCtx(limits);
    const root = checkNode(term, [], inputs, ctx);
    if (E.isLeft(root)) return root;
    const params = new Map<string, ParamInfo>();
    const p = collectParams(root.right, params);
    if (E.isLeft(p)) return p;
    return E.right({ root: root.right, params });
  } catch (e) {
    // Nodes and attributes are read where it can be located (see `unreadable`); a term built in code
    // can still throw from a read elsewhere, and check promises an Either.
    return E.left(unreadable([], 'the term', e));
  }
};

/** `check`, throwing the `SpecError` — for scripts and examples. */
export const checkOrThrow = (term: unknown, inputs: readonly Shape[], opts: CheckOptions = {}): TypedModel => {
  const r = check(term, inputs, opts);
  if (E.isLeft(r)) throw r.left;
  return r.right;
};

export const sameShapes = (a: readonly Shape[], b: readonly Shape[]): boolean =>
  a.length === b.length && a.every((s, i) => shapeEq(s, b[i]!));
