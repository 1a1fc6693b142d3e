import * as E from 'fp-ts/lib/Either.js';
import type { Shape } from '../tensor/shape';
import { type TypedNode, check } from '../term/check';
import type { Term } from '../term/term';

/**
 * Which inputs of a term carry integer ids, and the bound each needs: an input that reaches (through
 * identities, copies and permutations only) an `embedding` gets its vocab, a `softmax_xent` label
 * wire its number of classes, an attention mask 2 — the smallest if several. These are the `ids`
 * options under which the term's string decodes back to it. A term that does not check has none.
 */
export const inferIds = (term: Term, inputs: readonly Shape[]): Record<number, number> => {
  const r = check(term, inputs);
  if (E.isLeft(r)) return {};
  const bound: Record<number, number> = {};
  const note = (o: number, cap: number) => {
    if (o >= 0) bound[o] = Math.min(bound[o] ?? Infinity, cap);
  };
  /** Origins of the output wires: the input index a wire is (routed from), or -1. */
  const walk = (n: TypedNode, origins: readonly number[]): number[] => {
    if (n.kind === 'seq') return n.children.reduce<readonly number[]>((o, c) => walk(c, o), origins) as number[];
    if (n.kind !== 'prim') {
      const out: number[] = [];
      let at = 0;
      for (const c of n.children) {
        out.push(...walk(c, origins.slice(at, at + c.inputs.length)));
        at += c.inputs.length;
      }
      return out;
    }
    const a = n.attrs as Record<string, unknown>;
    switch (n.def.name) {
      case 'id':
        return [...origins];
      case 'copy':
        return n.outputs.map(() => origins[0]!);
      case 'permute':
        return (a.perm as number[]).map((i) => origins[i]!);
      case 'discard':
        return [];
      case 'embedding':
        note(origins[0]!, a.vocab as number);
        break;
      case 'softmax_xent':
        note(origins[1]!, n.inputs[0]![n.inputs[0]!.length - 1]!);
        break;
      case 'attention':
        if (a.mask === true) note(origins[origins.length - 1]!, 2);
        break;
    }
    return n.outputs.map(() => -1);
  };
  walk(r.right.root, inputs.map((_, i) => i));
  return bound;
};
