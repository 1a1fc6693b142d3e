/**
 * `catoptric schema`, `catoptric prims` and `catoptric tasks`: what a spec file may contain.
 */
import { lookupPrimitive, primitiveNames } from '../term/primitive';
import { specSchema } from '../term/schema';
import { attrKeys, nearest } from '../term/codec';
import { type PrimInfo, describePrimitive } from '../term/describe';
import '../tasks';
import { lookupTask, taskNames } from '../tasks/task';
import { type CommandSpec, UserError, parseArgs } from './args';
import { type Io, writeText } from './io';

export const schemaCommand: CommandSpec = {
  name: 'schema',
  summary: 'Print the JSON Schema of spec files (for editors), generated from the registered primitives.',
  positionals: [],
  options: { out: { type: 'string', arg: 'FILE', doc: 'write it to a file instead' } },
  notes: 'Point a spec at it with "$schema": "../../schema/catoptric-spec.schema.json".',
};

export const runSchema = (argv: readonly string[], io: Io): number => {
  const a = parseArgs(argv, schemaCommand);
  const text = JSON.stringify(specSchema(), null, 2) + '\n';
  if (a.opts.out) {
    writeText(io, a.opts.out as string, text);
    io.out(`${a.opts.out}: JSON Schema for ${primitiveNames().length} primitives\n`);
  } else io.out(text);
  return 0;
};

export const primsCommand: CommandSpec = {
  name: 'prims',
  summary: 'List the primitives a spec may use; with NAME, its attributes (type, required, default), arity, residual variants and 2-cells.',
  positionals: [{ name: 'name', doc: 'show one primitive in full', optional: true }],
  options: { json: { type: 'bool', doc: 'print the descriptions as JSON' } },
  notes: 'Example: catoptric prims mcb --json',
};

const showDefault = (v: unknown): string => JSON.stringify(v);

/** The full text of one primitive's description. */
const primText = (p: PrimInfo): string[] => {
  const lines = [p.name, `  ${p.doc}`];
  lines.push(`  arity: ${p.arity ? `${p.arity.inputs} input wire(s) → ${p.arity.outputs} output wire(s)${p.attrs.some((a) => !a.required) ? ' (optional attributes at their defaults)' : ''}` : 'set by its attributes'}`);
  if (p.attrs.length) {
    lines.push('  attributes:');
    const w = Math.max(...p.attrs.map((a) => a.name.length));
    for (const a of p.attrs) {
      const req = a.required ? 'required' : a.default !== undefined ? `default ${showDefault(a.default)}` : 'optional';
      lines.push(`    ${a.name.padEnd(w)}  ${a.type}; ${req}${a.doc ? ` — ${a.doc}` : ''}`);
    }
  } else lines.push('  attributes: none');
  lines.push(`  variants: ${p.variants.map((v, i) => (i === 0 ? `${v} (default)` : v)).join(', ')}`);
  for (const c of p.twoCells) lines.push(`  2-cell ${c.from} ⇒ ${c.to}: ${c.doc}`);
  return lines;
};

export const runPrims = (argv: readonly string[], io: Io): number => {
  const a = parseArgs(argv, primsCommand);
  const one = a.pos[0];
  const names = one !== undefined ? [one] : primitiveNames();
  const infos = names.map((n) => {
    const def = lookupPrimitive(n);
    if (!def) {
      const hint = nearest(n, primitiveNames());
      throw new UserError(`unknown primitive ${JSON.stringify(n)}${hint ? ` (did you mean '${hint}'?)` : ''}; see \`catoptric prims\``);
    }
    return describePrimitive(def);
  });
  if (a.opts.json) {
    io.out(JSON.stringify(one !== undefined ? infos[0] : infos, null, 2) + '\n');
    return 0;
  }
  if (one !== undefined) {
    io.out(primText(infos[0]!).join('\n') + '\n');
    return 0;
  }
  const lines: string[] = [];
  for (const p of infos) {
    lines.push(p.name, `  ${p.doc}`);
    const attrs = p.attrs.map((x) => (x.required ? x.name : `${x.name}?`));
    lines.push(`  attrs: ${attrs.length ? attrs.join(', ') : 'none'}   variants: ${p.variants.join(', ')}`);
  }
  lines.push('', 'Run `catoptric prims NAME` for types, defaults and 2-cells (an attribute marked ? is optional).');
  io.out(lines.join('\n') + '\n');
  return 0;
};

export const tasksCommand: CommandSpec = {
  name: 'tasks',
  summary: 'List the built-in synthetic tasks for `catoptric train`.',
  positionals: [],
  options: {},
};

export const runTasks = (argv: readonly string[], io: Io): number => {
  parseArgs(argv, tasksCommand);
  const lines = taskNames().map((n) => {
    const d = lookupTask(n)!;
    const keys = attrKeys(d.options as never);
    return `${n}\n  ${d.doc}${keys?.length ? `\n  options: ${keys.join(', ')}` : ''}`;
  });
  io.out(lines.join('\n') + '\n');
  return 0;
};
