/**
 * The token table of model strings, generated from the constructors themselves (for `catoptric decode
 * --help` and the docs), so it cannot drift from what the decoder does.
 */
import { PRIM_CTORS, primDef } from './constructors';

/** Routing and structure tokens (handled by the decoder, not by a primitive constructor). */
const STRUCTURE: readonly [string, string][] = [
  ['I', 'identity on the wires the step takes'],
  ['c[n]', 'copy one wire to n wires (n = 2 unless digits follow)'],
  ['~perm', 'permute all open wires (seq state); entries as single tokens, the last implied'],
  ['d', 'discard the next wire (par state)'],
  ['[', 'split the open wires into a par: each step then takes the next wire'],
  ['(k', 'inside a par, group the next k wires into a seq'],
  ['{', 'a skip x ↦ x + f(x) on one wire'],
  [') ] }', 'close the innermost group; ] right after a par closed itself is its own bracket'],
];

/** One line per token: what it places, the attribute tokens it reads, its modifiers and variants. */
export const grammarLines = (): string[] => {
  const out: string[] = [];
  for (const c of PRIM_CTORS) {
    const head = `${c.ch}${c.syntax}`.padEnd(16);
    const variants = c.variants ? primDef(c).variants.map((v, i) => `/${c.variants![i]} ${v}`).join(', ') : '';
    out.push(`  ${head} ${c.prim}${c.ch === 'l' ? ' (no bias)' : c.ch === 'W' ? " (param 'W')" : ''}`);
    for (const k of c.keys ?? []) out.push(`  ${''.padEnd(16)}   :${k.doc}`);
    if (variants) out.push(`  ${''.padEnd(16)}   ${variants}`);
  }
  for (const [t, d] of STRUCTURE) out.push(`  ${t.padEnd(16)} ${d}`);
  return out;
};
