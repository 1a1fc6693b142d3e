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
import type { Backend } from '../src/backend/backend';
import { lowerOrThrow } from '../src/lower/program';
import { initParams } from '../src/train/init';
import { closeness } from './compare';
import { downloadAll, uploadAll } from '../src/backend/transfer';
import { vjpMatchesFiniteDifferences } from './gradient';
import { plansAgree } from './plan';
import { peakMatches, samplePlans } from './planner';

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
 * Input configurations under which every primitive can appear in decoded models: a matrix, a
 * sequence, the delta rule's five wires, two irrep wires, ids with labels, and a sequence with a mask.
 */
export const DECODE_CONFIGS: readonly { readonly name: string; readonly inputs: readonly Shape[]; readonly ids?: Readonly<Record<number, number>> }[] = [
  { name: 'matrix', inputs: [[8, 2]] },
  { name: 'sequence', inputs: [[2, 6, 8]] },
  { name: 'delta', inputs: [[2, 3, 4], [2, 3, 4], [2, 3, 4], [2, 3, 2], [2, 2, 2, 2]] },
  { name: 'irreps', inputs: [[3, 4, 9], [3, 4, 4]] },
  { name: 'ids and labels', inputs: [[4, 3], [4, 5], [4]], ids: { 0: 10, 2: 3 } },
  { name: 'mask', inputs: [[2, 5, 4], [2, 5]], ids: { 1: 2 } },
];

/** The same families with small shapes, for running decoded models many times (with a small budget). */
export const RUN_CONFIGS: typeof DECODE_CONFIGS = [
  { name: 'matrix', inputs: [[3, 4]] },
  { name: 'sequence', inputs: [[2, 4, 6]] },
  { name: 'delta rule', inputs: [[1, 3, 4], [1, 3, 4], [1, 3, 4], [1, 3, 2], [1, 2, 2, 2]] },
  { name: 'irreps', inputs: [[2, 3, 9], [2, 3, 4]] },
  { name: 'ids and labels', inputs: [[3, 2], [3, 4], [3]], ids: { 0: 5, 2: 3 } },
  { name: 'mask', inputs: [[2, 3, 4], [2, 3]], ids: { 1: 2 } },
];

/** A wire or parameter of a checked model over `maxElems` elements (where and how big), or null. */
export const budgetProblem = (model: TypedModel, maxElems: number): string | null => {
  const w = largestWire(model.root);
  return w.elems > maxElems ? `${w.where} has ${w.elems} elements, over the budget of ${maxElems}` : null;
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
  const b = inputs.every((s) => sizeOf(s) <= M) ? budgetProblem(c.right, M) : null;
  return b ? fail(b) : pass;
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
  /** Primitives the models never contain (`DecodeOptions.exclude`). */
  readonly exclude?: readonly string[];
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
  const opts: DecodeOptions = { maxElems: o.maxElems ?? 4096, ...(o.ids ? { ids: o.ids } : {}), ...(o.exclude ? { exclude: o.exclude } : {}) };
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

// ---------------------------------------------------------------------------------------------
// The other laws on one random model

/** One law that failed on a model, with what went wrong. */
export interface ModelLawFailure {
  readonly law: string;
  readonly detail: string;
}

/** Backends for {@link modelLawFailures}. */
export interface ModelLawBackends {
  /** Plan invariance and predicted = measured memory run on each. */
  readonly plans: readonly Backend<any>[];
  /** float64 reference: conformance compares against it, and the VJP law runs on it. */
  readonly reference: Backend<any>;
  /** A backend checked for conformance against `reference` (within `tol`). */
  readonly candidate?: Backend<any>;
  readonly tol?: { readonly rtol: number; readonly atol: number };
  /**
   * A float32 implementation of the same kernels (the JS backend in float32): where the candidate
   * misses `tol` on a composite model, it still conforms if it is within {@link YARDSTICK_FACTOR} of
   * this backend's own distance to the reference (float32 rounding that the model amplifies).
   */
  readonly float32?: Backend<any>;
}

/** How much further from the float64 reference than the float32 yardstick a candidate may be. */
export const YARDSTICK_FACTOR = 10;

/** Primitives whose slopes are too steep for finite differences and float32 comparisons (see {@link modelLawFailures}). */
export const ILL_CONDITIONED: readonly string[] = ['signed_sqrt_l2'];

const containsPrim = (t: Term, names: readonly string[]): boolean => (t.op === 'prim' ? names.includes(t.prim) : t.terms.some((c) => containsPrim(c, names)));

/**
 * Initial parameters plus 0.1 of a standard normal each, from `seed`: zero biases and unit gains of
 * the initial values put many values of random models exactly on a kink (a relu after a width-1
 * layernorm outputs exactly its bias), while plain normal weights blow activations up along chains
 * of linear maps.
 */
export const perturbedParams = (model: TypedModel, seed: number, dtype: DType = 'float64'): Record<string, HostTensor> => {
  const out: Record<string, HostTensor> = {};
  for (const [k, p] of Object.entries(initParams(model, seed, dtype))) {
    const r = rng(seed).fork(`perturb:${k}`);
    for (let i = 0; i < p.data.length; i++) p.data[i] += 0.1 * r.normal();
    out[k] = p;
  }
  return out;
};

/**
 * Backend conformance of a whole model at given parameters and inputs: forward outputs, input and
 * parameter gradients of `candidate` within `tol` of `reference` (the elementwise closeness of
 * `conforms`; a parameter gradient that is zero by symmetry with {@link zeroGradientAtol}); the worst
 * closeness and where.
 */
export const backendsAgree = <T, R>(
  model: TypedModel,
  candidate: Backend<T>,
  reference: Backend<R>,
  params: Record<string, HostTensor>,
  inputs: readonly HostTensor[],
  seed: number,
  tol: { rtol: number; atol: number },
): { ok: boolean; worst: number; where: string } => {
  const run = <U>(be: Backend<U>) => {
    const prog = lowerOrThrow(model, be);
    const { outputs, residual } = prog.forward(uploadAll(be, params), inputs.map((x) => be.upload(x)));
    const dys = outputs.map((o, i) => randn(be.shapeOf(o), rng(seed).fork(`dy${i}`)));
    const g = prog.backward(residual, dys.map((x) => be.upload(x)));
    return { outputs: outputs.map((o) => be.download(o)), dInputs: g.dInputs.map((x) => (x === null ? null : be.download(x))), dParams: downloadAll(be, g.dParams) };
  };
  const a = run(candidate);
  const b = run(reference);
  let worst = 0;
  let where = '';
  const note = (e: number, w: string) => {
    if (!(e <= worst)) {
      worst = Number.isNaN(e) ? Infinity : e;
      where = w;
    }
  };
  a.outputs.forEach((o, i) => note(closeness(o, b.outputs[i]!, tol.rtol, tol.atol), `output ${i}`));
  a.dInputs.forEach((g, i) => {
    const h = b.dInputs[i];
    if ((g === null) !== (h === null || h === undefined)) note(Infinity, `input gradient ${i} presence`);
    else if (g && h) note(closeness(g, h, tol.rtol, tol.atol), `input gradient ${i}`);
  });
  const scales = nodeGradientScales(b.dParams);
  for (const [k, g] of Object.entries(b.dParams))
    note(a.dParams[k] ? closeness(a.dParams[k]!, g, tol.rtol, zeroGradientAtol(g, scales.get(nodeOfParam(k)) ?? 0, tol.atol)) : Infinity, `parameter gradient ${k}`);
  return { ok: worst <= 1, worst, where };
};

/** The node of a parameter key (`15.wq` → `15`; a root primitive's `w` → ``). */
const nodeOfParam = (k: string): string => (k.includes('.') ? k.slice(0, k.lastIndexOf('.')) : '');

/** The largest |gradient| over each node's parameters. */
const nodeGradientScales = (g: Readonly<Record<string, HostTensor>>): Map<string, number> => {
  const out = new Map<string, number>();
  for (const [k, t] of Object.entries(g)) {
    let m = out.get(nodeOfParam(k)) ?? 0;
    for (let i = 0; i < t.data.length; i++) m = Math.max(m, Math.abs(t.data[i]!));
    out.set(nodeOfParam(k), m);
  }
  return out;
};

/** Float32 roundings a gradient that is zero in exact arithmetic may show, in units of its node's gradient scale. */
export const ZERO_GRADIENT_ULPS = 100;

/**
 * The absolute tolerance for a parameter gradient whose float64 reference is zero (to float64
 * rounding: at most 1e-12 of `nodeScale`, the largest gradient of any parameter of the same node):
 * {@link ZERO_GRADIENT_ULPS} float32 roundings of `nodeScale`. Such a gradient is zero by symmetry
 * (attention over identical tokens: uniform rows, so the score gradient cancels exactly), there is
 * no relative error to measure, and a float32 kernel that sums in another order leaves rounding
 * noise of the size of the products it summed, which the node's other gradients show. Any other
 * gradient keeps `atol`.
 */
export const zeroGradientAtol = (ref: HostTensor, nodeScale: number, atol: number): number => {
  let m = 0;
  for (let i = 0; i < ref.data.length; i++) m = Math.max(m, Math.abs(ref.data[i]!));
  return m <= 1e-12 * nodeScale ? Math.max(atol, ZERO_GRADIENT_ULPS * 2 ** -23 * nodeScale) : atol;
};

/** What {@link modelLawFailures} found: the laws that failed, and the ones it could not apply. */
export interface ModelLawReport {
  readonly failures: readonly ModelLawFailure[];
  readonly skipped: readonly string[];
}

/**
 * Run the library's laws on one decoded model:
 * - plan invariance: every plan of `samplePlans` gives bit-identical outputs and gradients;
 * - predicted = measured memory (`peakMatches`) under every such plan;
 * - backend conformance of `candidate` against `reference` ({@link backendsAgree}), within `tol` or,
 *   for this composite model, within {@link YARDSTICK_FACTOR} × the distance of `float32` (random
 *   composites amplify float32 rounding past a per-kernel tolerance: JS float32 itself misses it);
 * - backward = VJP against finite differences on `reference`, for models without id inputs
 *   (finite differences would move ids off the integers);
 * the last two at {@link perturbedParams} (both laws hold at any parameters).
 * The last two are skipped for models with an {@link ILL_CONDITIONED} primitive: `signed_sqrt_l2`'s
 * slope at 0 is 1/(2√ε) = 5000, so float32 rounding and a finite-difference step across an exact
 * zero (a relu output) are magnified past any fixed tolerance.
 */
export const modelLawFailures = (m: ArbitraryModel, seed: number, bes: ModelLawBackends): ModelLawReport => {
  const out: ModelLawFailure[] = [];
  const skipped: string[] = [];
  const model = checkModel(m);
  for (const be of bes.plans) {
    const params = initParams(model, seed, be.dtype);
    const inputs = sampleModelInputs(m.inputs, m.opts, seed, be.dtype);
    const dys = model.root.outputs.map((s, i) => randn(s, rng(seed).fork(`dy${i}`), be.dtype));
    const plans = samplePlans(model);
    if (!plansAgree(model, be, plans, params, inputs, dys)) out.push({ law: 'plan invariance', detail: `on ${be.name}` });
    for (const plan of plans) {
      const rep = peakMatches(model, be, plan, params, inputs, dys);
      if (!rep.ok) out.push({ law: 'predicted = measured memory', detail: `${JSON.stringify(plan)} on ${be.name}: ${rep.detail}` });
    }
  }
  const illConditioned = containsPrim(m.term, ILL_CONDITIONED);
  if (bes.candidate) {
    if (illConditioned) skipped.push('backend conformance');
    else {
      const tol = bes.tol ?? { rtol: 2e-4, atol: 2e-5 };
      const params = perturbedParams(model, seed);
      const inputs = sampleModelInputs(m.inputs, m.opts, seed);
      const rep = backendsAgree(model, bes.candidate, bes.reference, params, inputs, seed, tol);
      const yard = rep.ok || !bes.float32 ? undefined : backendsAgree(model, bes.float32, bes.reference, params, inputs, seed, tol);
      if (!rep.ok && !(yard && rep.worst <= YARDSTICK_FACTOR * Math.max(1, yard.worst)))
        out.push({
          law: 'backend conformance',
          detail: `${bes.candidate.name}: ${rep.where}: worst closeness ${rep.worst}${yard ? ` (${bes.float32!.name}: ${yard.worst} at ${yard.where})` : ''}`,
        });
    }
  }
  if (illConditioned || (m.opts.ids && Object.keys(m.opts.ids).length)) skipped.push('backward = VJP');
  else {
    const rep = vjpMatchesFiniteDifferences(lowerOrThrow(model, bes.reference), bes.reference, perturbedParams(model, seed), sampleModelInputs(m.inputs, m.opts, seed), seed);
    if (!rep.ok) out.push({ law: 'backward = VJP', detail: rep.detail });
  }
  return { failures: out, skipped };
};
