/**
 * A small, strict command-line parser: `--name value`, `--name=value`, boolean `--flag`, `--` ends
 * options. Unknown options are errors with a "did you mean" hint; values are checked by type.
 */
import { nearest } from '../term/codec';

/** Thrown for bad input from the user: printed as a message, exit code 1, never a stack trace. */
export class UserError extends Error {
  override readonly name = 'UserError';
  constructor(message: string) {
    super(message);
  }
}

export type OptType = 'string' | 'int' | 'nat' | 'number' | 'nonneg' | 'bool' | 'bytes';

/** One option of a command. */
export interface OptSpec {
  readonly type: OptType;
  readonly doc: string;
  /** Placeholder shown in help, e.g. `FILE`. */
  readonly arg?: string;
  /** A value restricted to these choices (for `string` options). */
  readonly choices?: readonly string[];
}

/** One positional argument. */
export interface PosSpec {
  readonly name: string;
  readonly doc: string;
  readonly optional?: boolean;
}

/** A command: its help and its options, for the parser and for `--help`. */
export interface CommandSpec {
  readonly name: string;
  /** How the command is invoked, for usage lines and hints (default `catoptric NAME`). */
  readonly program?: string;
  readonly summary: string;
  readonly positionals: readonly PosSpec[];
  readonly options: Readonly<Record<string, OptSpec>>;
  /** Extra help text (examples, notes). */
  readonly notes?: string;
}

export interface Parsed {
  readonly help: boolean;
  readonly pos: readonly string[];
  readonly opts: Readonly<Record<string, string | number | boolean>>;
}

const UNITS: Record<string, number> = { b: 1, kb: 1e3, mb: 1e6, gb: 1e9, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/** `64MiB`, `1.5GB`, `4096` → bytes, or undefined. */
export const parseBytes = (s: string): number | undefined => {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(s);
  if (!m) return undefined;
  const unit = m[2]!.toLowerCase();
  const mult = unit === '' ? 1 : UNITS[unit];
  if (mult === undefined) return undefined;
  const v = Number(m[1]) * mult;
  return Number.isFinite(v) && v > 0 ? Math.round(v) : undefined;
};

const convert = (name: string, spec: OptSpec, raw: string): string | number | boolean => {
  const bad = (what: string) => new UserError(`--${name} expects ${what}, got ${JSON.stringify(showArg(raw))}`);
  switch (spec.type) {
    case 'string':
      if (spec.choices && !spec.choices.includes(raw)) throw bad(`one of ${spec.choices.join(', ')}`);
      if (raw.includes('\u0000')) throw bad('text without NUL characters');
      return raw;
    case 'int': {
      const v = Number(raw);
      if (raw.trim() === '' || !Number.isInteger(v) || v <= 0) throw bad('a positive integer');
      if (!Number.isSafeInteger(v)) throw bad('a positive integer of at most 2^53 − 1');
      return v;
    }
    case 'nat': {
      const v = Number(raw);
      if (raw.trim() === '' || !Number.isInteger(v) || v < 0) throw bad('a non-negative integer');
      if (!Number.isSafeInteger(v)) throw bad('a non-negative integer of at most 2^53 − 1');
      return v;
    }
    case 'number': {
      const v = Number(raw);
      if (raw.trim() === '' || !Number.isFinite(v) || v <= 0) throw bad('a positive number');
      return v;
    }
    case 'nonneg': {
      const v = Number(raw);
      if (raw.trim() === '' || !Number.isFinite(v) || v < 0) throw bad('a number ≥ 0');
      return v;
    }
    case 'bytes': {
      const v = parseBytes(raw);
      if (v === undefined) throw bad('a size such as 64MiB, 512KiB or 1GB');
      return v;
    }
    case 'bool':
      if (raw === 'true') return true;
      if (raw === 'false') return false;
      throw bad('true or false');
  }
};

/**
 * Parse `argv` (without the command name) against a command's spec. Throws {@link UserError} with
 * a one-line message for anything unexpected.
 */
export const parseArgs = (argv: readonly string[], cmd: CommandSpec): Parsed => {
  const opts: Record<string, string | number | boolean> = {};
  const pos: string[] = [];
  let help = false;
  let rest = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (rest || !a.startsWith('-') || a === '-') {
      pos.push(a);
      continue;
    }
    if (a === '--') {
      rest = true;
      continue;
    }
    if (a === '-h' || a === '--help') {
      help = true;
      continue;
    }
    if (!a.startsWith('--')) throw new UserError(`unknown option ${a}; options are spelled --name (see \`${programOf(cmd)} --help\`)`);
    const eq = a.indexOf('=');
    const name = a.slice(2, eq < 0 ? undefined : eq);
    // Own keys only: `--constructor` is an unknown option, not Object's constructor.
    const spec = Object.hasOwn(cmd.options, name) ? cmd.options[name] : undefined;
    if (!spec) {
      const hint = nearest(name, Object.keys(cmd.options));
      throw new UserError(`unknown option --${showArg(name)}${hint ? ` (did you mean --${hint}?)` : ''}; see \`${programOf(cmd)} --help\``);
    }
    let raw: string;
    if (eq >= 0) raw = a.slice(eq + 1);
    else if (spec.type === 'bool') raw = 'true';
    else {
      const next = argv[i + 1];
      if (next === undefined || (next.startsWith('--') && next.length > 2)) throw new UserError(`--${name} needs a value (${spec.arg ?? spec.type})`);
      raw = next;
      i++;
    }
    opts[name] = convert(name, spec, raw);
  }
  if (!help) {
    const required = cmd.positionals.filter((p) => !p.optional).length;
    if (pos.length < required)
      throw new UserError(`missing ${cmd.positionals[pos.length]!.name}; usage: ${usageLine(cmd)}`);
    if (pos.length > cmd.positionals.length)
      throw new UserError(`unexpected argument ${JSON.stringify(showArg(pos[cmd.positionals.length]!))}; usage: ${usageLine(cmd)}`);
  }
  return { help, pos, opts };
};

/** How `cmd` is invoked: `catoptric train`, or its own `program`. */
export const programOf = (cmd: CommandSpec): string => cmd.program ?? `catoptric ${cmd.name}`;

/** An argument as typed, shortened for a one-line message. */
const showArg = (s: string): string => (s.length > 40 ? `${s.slice(0, 37)}...` : s);

/** `catoptric train <spec> [options]` */
export const usageLine = (cmd: CommandSpec): string =>
  `${programOf(cmd)}${cmd.positionals.map((p) => (p.optional ? ` [${p.name}]` : ` <${p.name}>`)).join('')}${Object.keys(cmd.options).length ? ' [options]' : ''}`;

/** The `--help` text of a command. */
export const helpText = (cmd: CommandSpec): string => {
  const lines = [`Usage: ${usageLine(cmd)}`, '', cmd.summary, ''];
  if (cmd.positionals.length) {
    lines.push('Arguments:');
    for (const p of cmd.positionals) lines.push(`  ${p.name.padEnd(22)} ${p.doc}`);
    lines.push('');
  }
  lines.push('Options:');
  const entries: [string, string][] = Object.entries(cmd.options).map(([n, s]) => [
    `--${n}${s.type === 'bool' ? '' : ` ${s.arg ?? s.type.toUpperCase()}`}`,
    `${s.doc}${s.choices ? ` (${s.choices.join(' | ')})` : ''}`,
  ]);
  entries.push(['-h, --help', 'show this help']);
  for (const [l, d] of entries) lines.push(`  ${l.padEnd(22)} ${d}`);
  if (cmd.notes) lines.push('', cmd.notes);
  return lines.join('\n') + '\n';
};
