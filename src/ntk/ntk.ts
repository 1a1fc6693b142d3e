/**
 * The empirical neural tangent kernel of a lowered program, as one more interpretation of its term:
 * `K(x, x') = J(x) J(x')ᵀ`, with J the Jacobian of the outputs with respect to every parameter.
 *
 * It is computed from what the optic keeps and what flows backward. One forward pass keeps the
 * residual; then, per model output, one backward pass runs with that output's cotangent set to 1 for
 * every example, and an instrument of the lowering (the same hook the memory meter uses) sees each
 * primitive's residual and the cotangents at its outputs. A primitive with a closed form in the rule
 * table (`src/ntk/rules.ts`: linear, layer norm) turns those into its kernel contribution directly;
 * any other primitive with parameters gets per-example VJPs: its own backward, called once per
 * example with the cotangent restricted to that example. Residuals a plan chose to recompute are
 * rebuilt by the plan's own lens forms and checkpoint schedules before the primitive's backward sees
 * them, so any plan works and every plan gives the same K.
 *
 * Examples are the entries of axis 0 of every input and output, and the program must treat them
 * independently (no primitive mixes examples; losses that average over the batch are not allowed).
 *
 * @module
 */
import * as E from 'fp-ts/lib/Either.js';
import type { Backend, Params } from '../backend/backend';
import { uploadAll, withScope } from '../backend/transfer';
import { type Grads, flattenGrads } from '../lower/grads';
import type { Instrument, NodeOptic } from '../lower/instrument';
import { plainInstrument } from '../lower/instrument';
import type { KernelResidual } from '../lower/kernel-optic';
import { type Program, bytesPerElem, lowerPlanned } from '../lower/program';
import { applyPlan, plannedPrims } from '../plan/apply';
import { simulate } from '../plan/memory';
import { check, keyOf, type TypedModel, type TypedPrim } from '../term/check';
import { type Shape, showShape, sizeOf } from '../tensor/shape';
import type { HostTensor } from '../tensor/tensor';
import { type ChunkAt, type Factor, FactorBuilder, type Piece, addGramBlock, factorBytesPerExample, mirrorLower } from './factor';
import { type NtkRule, ntkRules } from './rules';

/** How the kernel treats several outputs per example. */
export type NtkOutputs = 'trace' | 'full';

/** Options of {@link ntk}. */
export interface NtkOptions<T> {
  /** The backend the program was lowered for. */
  readonly backend: Backend<T>;
  /**
   * `'trace'` (default): an N × N matrix, `K[i][j] = Σ_a ⟨∂f_a(x_i)/∂θ, ∂f_a(x_j)/∂θ⟩` summed over the
   * C outputs per example (every output wire flattened per example). `'full'`: the (N·C) × (N·C)
   * matrix over (example, output) pairs, row `i·C + a`.
   */
  readonly outputs?: NtkOutputs;
  /**
   * `'closed-form'` (default): use the rule table where a primitive has a rule; `'per-example'`:
   * per-example VJPs for every primitive (the reference the closed forms are checked against).
   */
  readonly path?: 'closed-form' | 'per-example';
  /**
   * Memory budget in bytes for one chunk's forward + backward under the program's plan (as
   * `simulate` predicts it), the parameters, the factors held and K itself. Without a budget the
   * whole batch is one chunk.
   */
  readonly budget?: number;
  /** Closed forms by primitive name (default {@link ntkRules}). */
  readonly rules?: ReadonlyMap<string, NtkRule>;
  /** Called after each chunk's forward and backward passes: chunks done, chunks to run. */
  readonly onProgress?: (done: number, total: number) => void;
}

/** How the batch was split to fit the budget. */
export type NtkStrategy =
  /** One chunk: the whole batch. */
  | 'whole'
  /** Chunks run once each; every chunk's factors are kept until the end. */
  | 'chunked'
  /** Only two chunks' factors at a time; a chunk's factors are recomputed for every block of K that needs them. */
  | 'recompute';

/** The kernel and how it was computed. */
export interface NtkResult {
  /** `size × size`, row-major, exactly symmetric. */
  readonly K: Float64Array;
  readonly size: number;
  /** N: examples (axis 0 of the inputs). */
  readonly examples: number;
  /** C: outputs per example. */
  readonly outputs: number;
  readonly mode: NtkOutputs;
  readonly strategy: NtkStrategy;
  /** Examples per chunk (the last chunk may be smaller). */
  readonly chunk: number;
  /** Forward passes over chunks. */
  readonly chunkRuns: number;
  /** Backward passes of the whole program (one per chunk run and output). */
  readonly backwardPasses: number;
  /** Backward calls of single primitives with one example's cotangent (the per-example path). */
  readonly perExampleVjps: number;
  /** Predicted bytes for the chosen chunking (see `NtkOptions.budget`): the sum of `memory`'s parts as the strategy holds them. */
  readonly plannedBytes: number;
  /**
   * What the plan is made of: K itself, the parameters, the factors one example holds, and one
   * chunk's forward + backward under the program's plan (as `simulate` predicts it).
   */
  readonly memory: { readonly kernelBytes: number; readonly paramBytes: number; readonly factorBytesPerExample: number; readonly chunkRunBytes: number };
  /** How each primitive with parameters contributed, by node path. */
  readonly paths: Readonly<Record<string, 'closed-form' | 'per-example'>>;
}

/** Why `ntk` cannot run on this program, batch or budget; `path` names the node when one is at fault. */
export class NtkError extends Error {
  override readonly name = 'NtkError';
  constructor(
    readonly path: readonly string[] | undefined,
    readonly detail: string,
  ) {
    super(`ntk${path ? ` (node ${path.length ? path.join('.') : '<root>'})` : ''}: ${detail}`);
  }
}

const fail = (msg: string, path?: readonly string[]): E.Either<Error, never> => E.left(new NtkError(path, msg));

const withBatch = (shapes: readonly Shape[], n: number): Shape[] => shapes.map((s) => [n, ...s.slice(1)]);

const sliceRows = (t: HostTensor, offset: number, n: number): HostTensor => {
  const per = t.data.length / t.shape[0]!;
  return { shape: [n, ...t.shape.slice(1)], data: t.data.slice(offset * per, (offset + n) * per) };
};

const paramNodes = (model: TypedModel): TypedPrim[] => {
  const out: TypedPrim[] = [];
  for (const info of model.params.values()) if (!out.includes(info.node)) out.push(info.node);
  return out;
};

/** Why the program cannot give an NTK over axis 0, or null. */
const shapeProblem = (model: TypedModel): E.Either<Error, number> => {
  const ins = model.root.inputs;
  if (ins.length === 0) return fail('the model has no inputs');
  const B = ins[0]![0];
  for (const [i, s] of ins.entries())
    if (s.length === 0 || s[0] !== B) return fail(`examples lie along axis 0 of every input; model input ${i} has shape ${showShape(s)} but input 0 has ${showShape(ins[0]!)}`);
  for (const [i, s] of model.root.outputs.entries())
    if (s.length === 0 || s[0] !== B)
      return fail(`every output needs the example axis first (${B}); output ${i} has shape ${showShape(s)} (a loss averaged over the batch has no per-example Jacobian)`);
  for (const node of paramNodes(model))
    for (const [i, s] of node.outputs.entries())
      if (s.length === 0 || s[0] !== B)
        return fail(`a primitive with parameters needs the example axis first on its outputs; output ${i} has shape ${showShape(s)}`, node.path);
  return E.right(B!);
};

/**
 * The empirical NTK Gram matrix of a lowered program at `params` on the batch `inputs` (host
 * tensors; examples along axis 0, any batch size). Fails with a message naming the input, output,
 * parameter or node for bad input, and for a budget no chunking fits.
 *
 * @example
 * const prog = lowerOrThrow(checkOrThrow(mlp, [[64, 8]]), be);
 * const r = ntk(prog, params, [x], { backend: be });           // E.right({ K, size: 64, ... })
 * const full = ntk(prog, params, [x], { backend: be, outputs: 'full', budget: 4 << 20 });
 */
export const ntk = <T>(program: Program<T>, params: Readonly<Record<string, HostTensor>>, inputs: readonly HostTensor[], options: NtkOptions<T>): E.Either<Error, NtkResult> => {
  const be = options.backend;
  if (program.backend !== be.name) return fail(`the program was lowered for backend '${program.backend}' but options.backend is '${be.name}'`);
  const mode = options.outputs ?? 'trace';
  if (mode !== 'trace' && mode !== 'full') return fail(`options.outputs must be 'trace' or 'full', got ${JSON.stringify(mode)}`);
  const path = options.path ?? 'closed-form';
  if (path !== 'closed-form' && path !== 'per-example') return fail(`options.path must be 'closed-form' or 'per-example', got ${JSON.stringify(path)}`);
  const rules = options.rules ?? ntkRules;
  const base = program.model;
  const B = shapeProblem(base);
  if (E.isLeft(B)) return B;

  // The batch.
  const want = base.root.inputs;
  if (inputs.length !== want.length) return fail(`the model takes ${want.length} input(s), got ${inputs.length}`);
  const N = inputs[0]!.shape[0];
  if (N === undefined || !Number.isInteger(N) || N < 1) return fail(`input 0 must have at least one example along axis 0, got shape ${showShape(inputs[0]!.shape)}`);
  for (const [i, x] of inputs.entries()) {
    const s = x.shape;
    const w = want[i]!;
    if (s.length !== w.length || s[0] !== N || s.some((d, k) => k > 0 && d !== w[k]))
      return fail(`input ${i} must have shape ${showShape([N, ...w.slice(1)])} (N examples, then the model's input ${i} shape ${showShape(w)} after axis 0), got ${showShape(s)}`);
    if (x.data.length !== sizeOf(s)) return fail(`input ${i} has ${x.data.length} numbers for shape ${showShape(s)}`);
  }
  for (const [k, info] of base.params) {
    const p = params[k];
    if (!p) return fail(`missing parameter '${k}'`, info.node.path);
    if (p.shape.length !== info.shape.length || p.shape.some((d, i) => d !== info.shape[i]))
      return fail(`parameter '${k}' must have shape ${showShape(info.shape)}, got ${showShape(p.shape)}`, info.node.path);
  }

  // Models and programs at a chunk size (same term, same plan; shapes along axis 0 change only).
  const models = new Map<number, TypedModel>([[B.right, base]]);
  const modelAt = (n: number): TypedModel => {
    let m = models.get(n);
    if (!m) {
      const r = check(base.root.term, withBatch(want, n));
      if (E.isLeft(r)) throw r.left;
      m = r.right;
      models.set(n, m);
    }
    return m;
  };
  const model = modelAt(N);
  const C = model.root.outputs.reduce((s, o) => s + sizeOf(o) / N, 0);
  const M = mode === 'full' ? N * C : N;
  const nodes = paramNodes(model);
  const keyOfNode = (n: TypedPrim): string => n.path.join('.');
  const ruleFor = (n: TypedPrim): NtkRule | undefined => (path === 'closed-form' ? rules.get(n.def.name) : undefined);

  // Memory plan: what one chunk of c examples needs, and which chunking fits the budget.
  const bpe = bytesPerElem(be.dtype);
  const paramBytes = [...base.params.values()].reduce((s, p) => s + sizeOf(p.shape) * bpe, 0);
  const factorBytes = nodes.reduce((s, n) => {
    const rule = ruleFor(n);
    const layout = rule ? rule.layout(n, N) : { kind: 'vector' as const, width: Object.values(n.params).reduce((t, sh) => t + sizeOf(sh), 0) };
    return s + factorBytesPerExample(layout, C);
  }, 0);
  const kBytes = 8 * M * M;
  const runOnly = (c: number): number => simulate(modelAt(c), program.plan, bpe).peakBytes;
  const runBytes = (c: number): number => runOnly(c) + paramBytes;
  const needs = {
    whole: () => runBytes(N) + N * factorBytes + kBytes,
    chunked: (c: number) => runBytes(c) + N * factorBytes + kBytes,
    recompute: (c: number) => runBytes(c) + 2 * c * factorBytes + kBytes,
  };
  // The largest chunk that fits (needs grow with the chunk size).
  const largest = (need: (c: number) => number, budget: number): number => {
    if (need(1) > budget) return 0;
    let lo = 1;
    let hi = N;
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      if (need(mid) <= budget) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  };
  let strategy: NtkStrategy = 'whole';
  let chunk = N;
  let plannedBytes: number;
  const budget = options.budget;
  if (budget === undefined) plannedBytes = needs.whole();
  else {
    if (!(typeof budget === 'number' && budget > 0)) return fail(`options.budget must be a positive number of bytes, got ${JSON.stringify(budget)}`);
    if ((plannedBytes = needs.whole()) <= budget) strategy = 'whole';
    else if ((chunk = largest(needs.chunked, budget)) > 0) {
      strategy = 'chunked';
      plannedBytes = needs.chunked(chunk);
    } else if ((chunk = largest(needs.recompute, budget)) > 0) {
      strategy = 'recompute';
      plannedBytes = needs.recompute(chunk);
    } else
      return fail(
        `a budget of ${budget} bytes is too small: even one example at a time needs ${needs.recompute(1)} bytes ` +
          `(one example's forward + backward under the plan ${runOnly(1)}, parameters ${paramBytes}, factors of two examples ${2 * factorBytes}, K ${kBytes})`,
      );
  }

  // The capturing instrument: sees each parametrised primitive's residual and output cotangents.
  const stats = { backward: 0, perExample: 0, runs: 0 };
  const used: Record<string, 'closed-form' | 'per-example'> = {};
  let run: { n: number; a: number; builders: Map<string, FactorBuilder> } | undefined;
  const perExample = (node: TypedPrim, o: NodeOptic<T>, m: unknown, dys: readonly HostTensor[], n: number): Piece => {
    const full = Object.keys(node.params).map((l) => keyOf(node.path, l));
    const sizes = Object.values(node.params).map(sizeOf);
    const P = sizes.reduce((s, x) => s + x, 0);
    const v = new Float64Array(n * P);
    for (let i = 0; i < n; i++) {
      const slices = dys.map((d) => {
        const per = d.data.length / n;
        return { d, per, part: d.data.subarray(i * per, (i + 1) * per) };
      });
      // A zero cotangent has a zero VJP: nothing to run.
      if (slices.every(({ part }) => part.every((x) => x === 0))) continue;
      withScope(be, () => {
        const masked = slices.map(({ d, per, part }) => {
          const data = new Float64Array(d.data.length);
          data.set(part, i * per);
          return be.upload({ shape: d.shape, data });
        });
        const [g] = o.bwd(m, masked) as [Grads<T>, unknown];
        const flat = flattenGrads(g, (a, b) => be.add(a, b));
        let off = i * P;
        full.forEach((k, j) => {
          const t = flat[k];
          if (t) v.set(be.download(t).data, off);
          off += sizes[j]!;
        });
      });
      stats.perExample++;
    }
    return { kind: 'vector', v, width: P };
  };
  const capture = (node: TypedPrim, o: NodeOptic<T>, m: unknown, dys: readonly (T | null)[]): void => {
    const r = run;
    if (!r) return;
    const key = keyOfNode(node);
    const host = dys.map((d, j) => (d === null ? { shape: node.outputs[j]!, data: new Float64Array(sizeOf(node.outputs[j]!)) } : be.download(d)));
    let piece: Piece | undefined;
    const rule = ruleFor(node);
    if (rule) {
      const [, { kept }] = m as [unknown, KernelResidual<T>];
      const cache = new Map<string, HostTensor>();
      piece = rule.piece(
        node,
        (name) => {
          if (!Object.prototype.hasOwnProperty.call(kept, name)) return undefined;
          let t = cache.get(name);
          if (!t) cache.set(name, (t = be.download(kept[name]!)));
          return t;
        },
        host,
        r.n,
      );
    }
    used[key] = piece ? 'closed-form' : 'per-example';
    piece ??= perExample(node, o, m, host, r.n);
    let b = r.builders.get(key);
    if (!b) r.builders.set(key, (b = new FactorBuilder(r.n, C)));
    b.add(r.a, piece, key || '<root>');
  };
  const inst: Instrument<T> = {
    ...plainInstrument((s) => be.zeros(s)),
    leaf: (node, o) =>
      Object.keys(node.params).length === 0
        ? o
        : {
            fwd: o.fwd,
            ...(o.get ? { get: o.get } : {}),
            bwd: (m, dys) => {
              capture(node, o, m, dys);
              return o.bwd(m, dys);
            },
          },
  };
  const programs = new Map<number, Program<T>>();
  const programAt = (n: number): Program<T> => {
    let p = programs.get(n);
    if (!p) {
      const planned = applyPlan(modelAt(n), program.plan);
      if (E.isLeft(planned)) throw planned.left;
      const lowered = lowerPlanned(planned.right, be, inst);
      if (E.isLeft(lowered)) throw lowered.left;
      programs.set(n, (p = lowered.right));
    }
    return p;
  };
  // Output `a`'s cotangent: 1 at that output for every example, 0 elsewhere.
  const perExampleOut = model.root.outputs.map((s) => sizeOf(s) / N);
  const cotangent = (a: number, n: number): HostTensor[] => {
    let rest = a;
    return perExampleOut.map((c, k) => {
      const data = new Float64Array(n * c);
      if (rest >= 0 && rest < c) for (let i = 0; i < n; i++) data[i * c + rest] = 1;
      rest -= c;
      return { shape: [n, ...model.root.outputs[k]!.slice(1)], data };
    });
  };

  const chunks: ChunkAt[] = [];
  for (let off = 0; off < N; off += chunk) chunks.push({ offset: off, n: Math.min(chunk, N - off) });
  const totalRuns = strategy === 'recompute' ? (chunks.length * (chunks.length + 1)) / 2 : chunks.length;
  const evalChunk = (at: ChunkAt): Map<string, Factor> => {
    const prog = programAt(at.n);
    const builders = new Map<string, FactorBuilder>();
    withScope(be, () => {
      const dev: Params<T> = uploadAll(be, params);
      const xs = inputs.map((x) => be.upload(sliceRows(x, at.offset, at.n)));
      const { residual } = prog.forward(dev, xs);
      for (let a = 0; a < C; a++) {
        run = { n: at.n, a, builders };
        try {
          withScope(be, () => void prog.backward(residual, cotangent(a, at.n).map((t) => be.upload(t))));
        } finally {
          run = undefined;
        }
        stats.backward++;
      }
    });
    stats.runs++;
    options.onProgress?.(stats.runs, totalRuns);
    return new Map([...builders].map(([k, b]) => [k, b.done(k || '<root>')]));
  };

  // K, accumulated node by node in term order so that every plan sums in the same order.
  const order = plannedPrims(program.planned)
    .map((p) => p.key)
    .filter((k) => nodes.some((n) => keyOfNode(n) === k));
  const K = new Float64Array(M * M);
  const gram = (fi: Map<string, Factor>, I: ChunkAt, fj: Map<string, Factor>, J: ChunkAt) => {
    for (const k of order) {
      const a = fi.get(k);
      const b = fj.get(k);
      if (!a || !b) throw new Error(`ntk: node ${k || '<root>'} saw no backward pass (is it cut off from the outputs?)`);
      addGramBlock(K, M, a, I, b, J, mode === 'full');
    }
  };
  if (strategy === 'recompute') {
    chunks.forEach((I, ii) => {
      const fi = evalChunk(I);
      gram(fi, I, fi, I);
      for (let jj = 0; jj < ii; jj++) gram(fi, I, evalChunk(chunks[jj]!), chunks[jj]!);
    });
  } else {
    const fs = chunks.map(evalChunk);
    chunks.forEach((I, ii) => {
      for (let jj = 0; jj <= ii; jj++) gram(fs[ii]!, I, fs[jj]!, chunks[jj]!);
    });
  }
  mirrorLower(K, M);
  for (let i = 0; i < K.length; i++)
    if (!Number.isFinite(K[i]!))
      return fail(`the kernel is not finite at [${Math.floor(i / M)}, ${i % M}] (${K[i]}): the outputs or their gradients are not finite at these parameters and inputs`);
  return E.right({
    K,
    size: M,
    examples: N,
    outputs: C,
    mode,
    strategy,
    chunk,
    chunkRuns: stats.runs,
    backwardPasses: stats.backward,
    perExampleVjps: stats.perExample,
    plannedBytes,
    memory: { kernelBytes: kBytes, paramBytes, factorBytesPerExample: factorBytes, chunkRunBytes: runOnly(chunk) },
    paths: used,
  });
};

/** {@link ntk}, throwing its error: for scripts and examples. */
export const ntkOrThrow = <T>(program: Program<T>, params: Readonly<Record<string, HostTensor>>, inputs: readonly HostTensor[], options: NtkOptions<T>): NtkResult => {
  const r = ntk(program, params, inputs, options);
  if (E.isLeft(r)) throw r.left;
  return r.right;
};
