import * as E from 'fp-ts/lib/Either.js';
import { arityOf } from './check';
import { SpecError } from './error';
import { type Term, copy, discard, id, named, par, permute, seq } from './term';

/** A wire inside a `wires` builder: an opaque handle. */
export interface Wire {
  readonly _wire: number;
}

/** The builder handed to a `wires` body. */
export interface WireBuilder {
  /**
   * Apply a box to wires and get its output wires. `label` names the box in parameter paths
   * (`label.w`, or `label.0.w` when other wires run alongside it).
   */
  apply(label: string, box: Term, ...inputs: Wire[]): Wire[];
}

interface Step {
  readonly label: string;
  readonly box: Term;
  readonly inputs: readonly number[];
  readonly outputs: readonly number[];
}

/**
 * Build a term with named wires, the way do-notation names intermediate results. The term, not
 * the builder, is what gets checked, drawn, planned and lowered: the builder only routes wires with
 * `copy`, `discard` and `permute` so each box sees its inputs first.
 *
 * @example
 * // x ↦ x + linear(layernorm(x))
 * const block = wires(1, (b, [x]) => {
 *   const [h] = b.apply('norm', prim('layernorm'), x);
 *   const [y] = b.apply('proj', prim('linear', { out: 6 }), h);
 *   return b.apply('join', add(2), x, y);
 * });
 */
export const wires = (nInputs: number, body: (b: WireBuilder, inputs: Wire[]) => Wire[]): E.Either<SpecError, Term> => {
  let next = 0;
  const fresh = (): number => next++;
  const inputs = Array.from({ length: nInputs }, fresh);
  const steps: Step[] = [];
  const labels = new Set<string>();
  let failure: SpecError | null = null;
  const b: WireBuilder = {
    apply(label, box, ...ins) {
      const ar = arityOf(box, [label]);
      if (E.isLeft(ar)) failure ??= ar.left;
      else if (ar.right.inputs !== ins.length)
        failure ??= new SpecError([label], `box takes ${ar.right.inputs} wire(s), was given ${ins.length}`);
      if (labels.has(label)) failure ??= new SpecError([label], `label '${label}' is used twice`);
      labels.add(label);
      for (const w of ins) if (!(w && typeof w._wire === 'number' && w._wire < next)) failure ??= new SpecError([label], 'input is not a wire of this builder');
      const outs = Array.from({ length: E.isRight(ar) ? ar.right.outputs : 0 }, fresh);
      steps.push({ label, box, inputs: ins.map((w) => w._wire), outputs: outs });
      return outs.map((w) => ({ _wire: w }));
    },
  };
  const result = body(b, inputs.map((w) => ({ _wire: w }))).map((w) => w._wire);
  if (failure) return E.left(failure);

  // Wires each later step (and the result) still needs, so routing keeps exactly those.
  const uses = (from: number): number[] => [...steps.slice(from).flatMap((s) => s.inputs), ...result];

  const terms: Term[] = [];
  let live = inputs;
  steps.forEach((s, i) => {
    const later = new Set(uses(i + 1));
    const rest = live.filter((w) => later.has(w));
    const route = routing(live, [...s.inputs, ...new Set(rest)]);
    if (route) terms.push(named(`route${i}`, route));
    const restN = new Set(rest).size;
    terms.push(restN === 0 ? named(s.label, s.box) : named(s.label, par(s.box, id(restN))));
    live = [...s.outputs, ...new Set(rest)];
  });
  const final = routing(live, result);
  if (final) terms.push(named('route_out', final));
  if (terms.length === 0) return E.right(id(nInputs));
  return E.right(terms.length === 1 ? terms[0]! : seq(...terms));
};

/**
 * A box taking wires `from` to wires `to` (each `to` wire must be in `from`): per source wire a
 * copy, identity or discard, then a permutation. `null` when it is the identity.
 */
const routing = (from: readonly number[], to: readonly number[]): Term | null => {
  if (from.length === to.length && from.every((w, i) => w === to[i])) return null;
  const count = new Map<number, number>();
  for (const w of to) {
    if (!from.includes(w)) throw new Error(`internal: wire ${w} is not live`);
    count.set(w, (count.get(w) ?? 0) + 1);
  }
  const fan: Term[] = [];
  const laid: number[] = [];
  for (const w of from) {
    const k = count.get(w) ?? 0;
    fan.push(k === 0 ? discard() : k === 1 ? id(1) : copy(k));
    for (let j = 0; j < k; j++) laid.push(w);
  }
  // Output i of the permutation is the first unused position of to[i] in `laid`.
  const used = new Array<boolean>(laid.length).fill(false);
  const perm = to.map((w) => {
    const p = laid.findIndex((x, j) => x === w && !used[j]);
    used[p] = true;
    return p;
  });
  const isId = perm.every((p, i) => p === i);
  const fanIsId = fan.every((t) => t.op === 'prim' && t.prim === 'id');
  const fanTerm = fanIsId ? null : par(...fan);
  const permTerm = isId ? null : permute(perm);
  if (fanTerm && permTerm) return seq(fanTerm, permTerm);
  return fanTerm ?? permTerm ?? id(from.length);
};
