/**
 * Architecture search over model strings, against random search and against the same genetic
 * algorithm over JSON specs mutated by hand.
 *
 * Every genome is evaluated the same way: check it (a JSON child may fail to), train it for a few
 * Adam steps on the task's training batches, and score held-out accuracy minus a parameter-count
 * penalty. Each method is charged one evaluation per new model it proposes, valid or not; a proposal
 * equal to a model it already evaluated is drawn again without charge (at most 20 times), so that
 * neutral mutations cost no budget in any method.
 */
import * as E from 'fp-ts/lib/Either.js';
import {
  TOKENS, adam, check, checkOrThrow, decodeWith, encodeModel, id, initParams, lowerOrThrow, par, prepareTask, prim, primitiveNames,
  rng, seq, tokenChar, withScope, train, type Backend, type HostTensor, type Rng, type Shape, type TaskBatch, type Term, type TypedModel,
} from '../../src/index';
import { argmaxAccuracy } from '../../src/train/metrics';
import { budgetProblem } from '../../laws/strings';

/** A task the search fits models to. */
export interface SearchTask {
  readonly name: 'spirals' | 'modular';
  readonly inputs: Shape[];
  /** The model's output: logits. */
  readonly output: Shape;
  /** Inputs holding ids (for the decoder). */
  readonly ids?: Record<number, number>;
  readonly options: Record<string, unknown>;
}

/** Two spirals, 128 training points; (a + b) mod 11 from token ids, 70% of the pairs for training. */
export const TASKS: Record<SearchTask['name'], SearchTask> = {
  spirals: { name: 'spirals', inputs: [[128, 2]], output: [128, 2], options: {} },
  modular: { name: 'modular', inputs: [[64, 2]], output: [64, 11], ids: { 0: 11 }, options: { op: 'add', trainFraction: 0.7 } },
};

/** Settings of one search run. */
export interface SearchSettings {
  /** Proposals per run (each costs one evaluation). */
  readonly budget: number;
  readonly population: number;
  /** Longest string of the initial population. */
  readonly maxTokens: number;
  /** Training steps per evaluation. */
  readonly steps: number;
  readonly lr: number;
  /** Fitness = held-out accuracy − penalty · parameters / 1000. */
  readonly penalty: number;
  /** Element budget of decoded models (and of valid JSON children). */
  readonly maxElems: number;
}

export const DEFAULT_SETTINGS: SearchSettings = { budget: 100, population: 10, maxTokens: 24, steps: 150, lr: 0.01, penalty: 0.01, maxElems: 1 << 14 };

/** What one evaluation found. */
export interface Evaluation {
  readonly valid: boolean;
  readonly fitness: number;
  readonly accuracy: number;
  readonly params: number;
  /** Why it is invalid (JSON children), or why training stopped. */
  readonly note?: string;
}

const INVALID = (note: string): Evaluation => ({ valid: false, fitness: 0, accuracy: 0, params: 0, note });

/**
 * A batch with its rows (axis 0 of every input and of the labels) in a random order. The spirals
 * task lays points out alternating by class in both its training and held-out batches, so a model
 * that mixes rows (a reshape across the batch axis) could read the label off the row's position:
 * random search found such models at once.
 */
const shuffled = (b: TaskBatch, r: Rng): TaskBatch => {
  const n = b.labels.shape[0]!;
  const perm = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = r.int(i + 1);
    [perm[i], perm[j]] = [perm[j]!, perm[i]!];
  }
  const rows = (t: HostTensor): HostTensor => {
    const w = t.data.length / n;
    const data = t.data.slice();
    perm.forEach((from, to) => data.set(t.data.subarray(from * w, from * w + w), to * w));
    return { shape: t.shape, data };
  };
  return { inputs: b.inputs.map(rows), labels: rows(b.labels) };
};

/** Train a checked classifier on the task and score it. Deterministic for a seed. */
const trainAndScore = (task: SearchTask, model: TypedModel, term: Term, be: Backend<unknown>, s: SearchSettings, seed: number): Evaluation => {
  const labels = task.output.slice(0, -1);
  const env = { inputs: task.inputs, output: task.output, seed, dtype: 'float32' as const };
  const inst = prepareTask(task.name, task.options, env);
  if (E.isLeft(inst)) throw new Error(`search: ${task.name}: ${inst.left.map((i) => i.message).join('; ')}`);
  const lossModel = checkOrThrow(seq(par(term, id(task.inputs.length)), prim('softmax_xent')), [...task.inputs, labels]);
  const nParams = [...model.params.values()].reduce((a, p) => a + p.shape.reduce((x, y) => x * y, 1), 0);
  const penalty = (s.penalty * nParams) / 1000;
  let trained;
  try {
    trained = train({
      program: lowerOrThrow(lossModel, be),
      backend: be,
      optimizer: adam({ lr: s.lr }),
      params: initParams(lossModel, seed),
      steps: s.steps,
      batch: (i) => {
        const b = shuffled(inst.right.batch(i), rng(seed).fork(`train${i}`));
        return [...b.inputs, b.labels];
      },
    });
  } catch (e) {
    // A diverging loss stops training: the model scores no accuracy.
    return { valid: true, fitness: -penalty, accuracy: 0, params: nParams, note: (e as Error).message };
  }
  // The classifier's parameters sit under `0.0` in the loss model.
  const prefix = '0.0.';
  const ev = shuffled(inst.right.evalBatch(), rng(seed).fork('eval'));
  const accuracy = withScope(be, () => {
    const p = Object.fromEntries([...model.params.keys()].map((k) => [k, be.upload(trained.params[`${prefix}${k}`]!)]));
    const { outputs } = lowerOrThrow(model, be).forward(p, ev.inputs.map((x) => be.upload(x)));
    return argmaxAccuracy(be.download(outputs[0]!), ev.labels);
  });
  return { valid: true, fitness: accuracy - penalty, accuracy, params: nParams };
};

/** Check a term against the task: it must check, give the task's logits and fit the element budget. */
export const validFor = (task: SearchTask, term: Term, maxElems: number): E.Either<string, TypedModel> => {
  const c = check(term, task.inputs);
  if (E.isLeft(c)) return E.left(c.left.message);
  const out = c.right.root.outputs;
  if (out.length !== 1 || out[0]!.length !== task.output.length || out[0]!.some((d, i) => d !== task.output[i]))
    return E.left(`outputs ${JSON.stringify(out)}, not the task's logits ${JSON.stringify(task.output)}`);
  const b = budgetProblem(c.right, maxElems);
  return b ? E.left(b) : E.right(c.right);
};

/** Evaluate a term (the cache key is its canonical JSON). */
export class Evaluator {
  readonly cache = new Map<string, Evaluation>();
  evaluations = 0;
  constructor(readonly task: SearchTask, readonly be: Backend<unknown>, readonly s: SearchSettings, readonly seed: number) {}
  evaluate(term: Term): Evaluation {
    this.evaluations++;
    const key = JSON.stringify(term);
    const hit = this.cache.get(key);
    if (hit) return hit;
    const v = validFor(this.task, term, this.s.maxElems);
    const e = E.isLeft(v) ? INVALID(v.left) : trainAndScore(this.task, v.right, term, this.be, this.s, this.seed);
    this.cache.set(key, e);
    return e;
  }
}

// ---------------------------------------------------------------------------------------------
// Genomes

/** The decoding of a token string for a task: outputs fitted to the task's logits. */
export const decodeFor = (task: SearchTask, toks: readonly number[], maxElems: number): Term =>
  decodeWith(toks, task.inputs, { maxElems, output: task.output, ...(task.ids ? { ids: task.ids } : {}) }).term;

const randomTokens = (r: Rng, maxTokens: number): number[] => Array.from({ length: 1 + r.int(maxTokens) }, () => r.int(TOKENS));

/** A one-token mutation: replace, insert or delete one token (an empty string gets one). */
export const mutateTokens = (toks: readonly number[], r: Rng): number[] => {
  if (!toks.length) return [r.int(TOKENS)];
  const out = [...toks];
  const kind = r.int(3);
  if (kind === 0) out[r.int(out.length)] = r.int(TOKENS);
  else if (kind === 1) out.splice(r.int(out.length + 1), 0, r.int(TOKENS));
  else out.splice(r.int(out.length), 1);
  return out;
};

/** One-point crossover: the head of `a` before a cut, the tail of `b` after the same position. */
export const crossTokens = (a: readonly number[], b: readonly number[], r: Rng): number[] => {
  const cut = r.int(Math.min(a.length, b.length) + 1);
  return [...a.slice(0, cut), ...b.slice(cut)];
};

/** Hand-written JSON mutations of a term, as a person editing a spec file might make them. */
const UNARY: readonly Term[] = [prim('relu'), prim('tanh'), prim('gelu'), prim('layernorm'), prim('linear', { out: 16 }), prim('linear', { out: 32 })];

const primPaths = (t: Term, at: number[] = []): number[][] => (t.op === 'prim' ? [at] : t.terms.flatMap((c, i) => primPaths(c, [...at, i])));
const getAt = (t: Term, p: readonly number[]): Term => p.reduce<Term>((n, i) => (n as { terms: readonly Term[] }).terms[i]!, t);
const replaceAt = (t: Term, p: readonly number[], f: (n: Term) => Term[]): Term => {
  if (!p.length) {
    const r = f(t);
    return r.length === 0 ? t : r.length === 1 ? r[0]! : seq(...r);
  }
  if (t.op === 'prim') return t;
  const [i, ...rest] = p;
  if (!rest.length) {
    const terms = [...t.terms.slice(0, i), ...f(t.terms[i!]!), ...t.terms.slice(i! + 1)];
    return terms.length ? { ...t, terms } : t;
  }
  return { ...t, terms: t.terms.map((c, j) => (j === i ? replaceAt(c, rest, f) : c)) };
};

/** A hand-written mutation: change a number, rename a primitive, delete, duplicate, insert or wrap a node. */
export const mutateJson = (t: Term, r: Rng): Term => {
  const paths = primPaths(t);
  const p = paths[r.int(paths.length)]!;
  const node = getAt(t, p) as Term & { op: 'prim' };
  switch (r.int(6)) {
    case 0: {
      const nums = Object.entries(node.attrs ?? {}).filter(([, v]) => typeof v === 'number');
      if (!nums.length) return mutateJson(t, r);
      const [k, v] = nums[r.int(nums.length)]!;
      const nv = [Math.max(1, Math.round((v as number) * 2)), Math.max(1, Math.round((v as number) / 2)), (v as number) + 1, Math.max(1, (v as number) - 1)][r.int(4)];
      return replaceAt(t, p, () => [{ ...node, attrs: { ...node.attrs, [k]: nv } }]);
    }
    case 1: {
      const names = primitiveNames();
      return replaceAt(t, p, () => [{ ...node, prim: names[r.int(names.length)]! }]);
    }
    case 2:
      return replaceAt(t, p, () => []);
    case 3:
      return replaceAt(t, p, () => [node, node]);
    case 4:
      return replaceAt(t, p, () => [node, UNARY[r.int(UNARY.length)]!]);
    default:
      return replaceAt(t, p, () => [seq(prim('copy'), par(node, id(1)), prim('add'))]);
  }
};

/** One-point crossover of the top-level sequences: the children of `a` before a cut, of `b` after another. */
export const crossJson = (a: Term, b: Term, r: Rng): Term => {
  const as = a.op === 'seq' ? a.terms : [a];
  const bs = b.op === 'seq' ? b.terms : [b];
  const terms = [...as.slice(0, r.int(as.length + 1)), ...bs.slice(r.int(bs.length + 1))];
  return terms.length === 0 ? a : terms.length === 1 ? terms[0]! : seq(...terms);
};

// ---------------------------------------------------------------------------------------------
// Methods

/** The record of one run: the best fitness after each evaluation, and what was found. */
export interface RunRecord {
  readonly curve: number[];
  readonly valid: number;
  readonly proposals: number;
  /** Children made by crossover and mutation (GA), or every proposal after the initial ones (random), and how many were valid. */
  readonly children: number;
  readonly validChildren: number;
  readonly best: { readonly fitness: number; readonly accuracy: number; readonly params: number; readonly term: Term; readonly string?: string };
}

class Recorder {
  /** The models this method evaluated (the evaluator's cache is shared by all methods). */
  readonly keys = new Set<string>();
  curve: number[] = [];
  valid = 0;
  children = 0;
  validChildren = 0;
  best: RunRecord['best'] | null = null;
  seen(term: Term): boolean {
    return this.keys.has(JSON.stringify(term));
  }
  note(e: Evaluation, term: Term, child: boolean, string?: string): void {
    this.keys.add(JSON.stringify(term));
    if (e.valid) this.valid++;
    if (child) {
      this.children++;
      if (e.valid) this.validChildren++;
    }
    if (e.valid && (!this.best || e.fitness > this.best.fitness)) this.best = { fitness: e.fitness, accuracy: e.accuracy, params: e.params, term, ...(string !== undefined ? { string } : {}) };
    this.curve.push(this.best ? this.best.fitness : 0);
  }
  record(): RunRecord {
    return { curve: this.curve, valid: this.valid, proposals: this.curve.length, children: this.children, validChildren: this.validChildren, best: this.best ?? { fitness: 0, accuracy: 0, params: 0, term: id(1) } };
  }
}

/** Tournament of two: the fitter of two random members. */
const pick = <G>(pop: readonly { g: G; f: number }[], r: Rng): G => {
  const a = pop[r.int(pop.length)]!;
  const b = pop[r.int(pop.length)]!;
  return (a.f >= b.f ? a : b).g;
};

/** Redraws of a proposal whose model was already evaluated. */
const REDRAWS = 20;

/**
 * A generational GA with elitism: tournament selection, one-point crossover (p = 0.5), one mutation
 * per child; a child whose model was already evaluated is drawn again (see the module comment).
 */
const ga = <G>(
  init: readonly G[],
  score: (g: G, child: boolean) => number,
  seen: (g: G) => boolean,
  cross: (a: G, b: G, r: Rng) => G,
  mutate: (g: G, r: Rng) => G,
  budget: number,
  r: Rng,
): void => {
  let pop = init.slice(0, budget).map((g) => ({ g, f: score(g, false) }));
  let spent = pop.length;
  while (spent < budget) {
    const best = pop.reduce((a, b) => (b.f > a.f ? b : a));
    const next = [best];
    while (next.length < pop.length && spent < budget) {
      let child: G;
      let tries = 0;
      do {
        const a = pick(pop, r);
        child = mutate(r.uniform() < 0.5 ? cross(a, pick(pop, r), r) : a, r);
      } while (seen(child) && ++tries < REDRAWS);
      next.push({ g: child, f: score(child, true) });
      spent++;
    }
    pop = next;
  }
};

/** The three methods on one task and seed, from the same initial random strings. */
export const runMethods = (task: SearchTask, be: Backend<unknown>, s: SearchSettings, seed: number, onEval?: () => void) => {
  const r = rng(seed).fork(task.name);
  const initial = Array.from({ length: s.population }, () => randomTokens(r, s.maxTokens));
  const ev = new Evaluator(task, be, s, seed);
  const asString = (toks: readonly number[]) => toks.map(tokenChar).join('');

  const gaStrings = new Recorder();
  ga(
    initial,
    (toks, child) => {
      const term = decodeFor(task, toks, s.maxElems);
      const e = ev.evaluate(term);
      gaStrings.note(e, term, child, asString(toks));
      onEval?.();
      return e.fitness;
    },
    (toks) => gaStrings.seen(decodeFor(task, toks, s.maxElems)),
    crossTokens,
    mutateTokens,
    s.budget,
    r.fork('ga-strings'),
  );

  const random = new Recorder();
  const rr = r.fork('random');
  for (let i = 0; i < s.budget; i++) {
    let toks = i < initial.length ? initial[i]! : randomTokens(rr, s.maxTokens);
    for (let tries = 1; i >= initial.length && random.seen(decodeFor(task, toks, s.maxElems)) && tries < REDRAWS; tries++) toks = randomTokens(rr, s.maxTokens);
    const term = decodeFor(task, toks, s.maxElems);
    random.note(ev.evaluate(term), term, i >= initial.length, asString(toks));
    onEval?.();
  }

  const gaJson = new Recorder();
  ga(
    initial.map((toks) => decodeFor(task, toks, s.maxElems)),
    (term, child) => {
      const e = ev.evaluate(term);
      gaJson.note(e, term, child);
      onEval?.();
      return e.valid ? e.fitness : -Infinity;
    },
    (term) => gaJson.seen(term),
    crossJson,
    mutateJson,
    s.budget,
    r.fork('ga-json'),
  );
  return { gaStrings: gaStrings.record(), random: random.record(), gaJson: gaJson.record() };
};

/** The string of a term found by search (every term the decoder gives has one). */
export const stringOf = (task: SearchTask, term: Term, maxElems: number): string => {
  const s = encodeModel(term, task.inputs, { maxElems: Number.MAX_SAFE_INTEGER, ...(task.ids ? { ids: task.ids } : {}) });
  return E.isRight(s) ? s.right : `(no string: ${s.left.message}; budget ${maxElems})`;
};
