/**
 * `catoptric schema`, `catoptric prims` and `catoptric tasks`: what a spec file may contain.
 */
import { lookupPrimitive, primitiveNames } from '../term/primitive';
import { specSchema } from '../term/schema';
import { attrKeys } from '../term/codec';
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
  summary: 'List the primitives a spec may use, with attributes and residual variants.',
  positionals: [{ name: 'name', doc: 'show one primitive', optional: true }],
  options: {},
};

export const runPrims = (argv: readonly string[], io: Io): number => {
  const a = parseArgs(argv, primsCommand);
  const names = a.pos[0] !== undefined ? [a.pos[0]] : primitiveNames();
  const lines: string[] = [];
  for (const n of names) {
    const def = lookupPrimitive(n);
    if (!def) throw new UserError(`unknown primitive ${JSON.stringify(n)}; see \`catoptric prims\``);
    const keys = attrKeys(def.attrs);
    lines.push(`${n}`);
    lines.push(`  ${def.doc}`);
    lines.push(`  attrs: ${keys === undefined ? def.attrs.name : keys.length ? keys.join(', ') : 'none'}   variants: ${def.variants.join(', ')}`);
  }
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
