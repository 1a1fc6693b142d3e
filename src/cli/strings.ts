/**
 * `catoptric decode` and `catoptric encode`: model strings to spec files and back, and the options
 * `check --string` shares with them.
 */
import * as E from 'fp-ts/lib/Either.js';
import type { Shape } from '../tensor/shape';
import { type DecodeOptions, decodeSetup, decodeModel } from '../strings/decode';
import { encodeModel, showEncodeIssue } from '../strings/encode';
import { inferIds } from '../strings/ids';
import { grammarLines } from '../strings/grammar';
import type { SpecDoc } from '../term/codec';
import { type CommandSpec, type OptSpec, UserError, parseArgs } from './args';
import { type Io, readSpec } from './io';

/** Options every string command takes: the inputs the string is read against, and the decode options. */
export const stringOptions: Readonly<Record<string, OptSpec>> = {
  inputs: { type: 'string', arg: 'JSON', doc: "input shapes, e.g. '[[8,2]]' (default [[8,2]])" },
  ids: { type: 'string', arg: 'JSON', doc: 'inputs holding integer ids, by index: \'{"0": 23}\' (ids below 23)' },
  'max-elems': { type: 'int', arg: 'N', doc: 'element budget of every new wire and parameter (default 1048576)' },
  output: { type: 'string', arg: 'JSON', doc: "fit the outputs into this one shape, e.g. '[8,2]'" },
};

const parseJsonOption = (name: string, raw: string, what: string): unknown => {
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    throw new UserError(`--${name} expects ${what}, got ${JSON.stringify(raw.length > 60 ? `${raw.slice(0, 57)}...` : raw)} (not JSON)`);
  }
};

/** The decode options of parsed `stringOptions`; a UserError naming the option for bad values. */
export const decodeOptionsOf = (opts: Readonly<Record<string, unknown>>): { inputs: Shape[]; opts: DecodeOptions } => {
  const inputs = opts.inputs === undefined ? [[8, 2]] : parseJsonOption('inputs', opts.inputs as string, "a JSON array of shapes such as '[[8,2]]'");
  const ids = opts.ids === undefined ? undefined : parseJsonOption('ids', opts.ids as string, 'a JSON object such as \'{"0": 23}\'');
  const output = opts.output === undefined ? undefined : parseJsonOption('output', opts.output as string, "a JSON shape such as '[8,2]'");
  if (ids !== undefined && (typeof ids !== 'object' || ids === null || Array.isArray(ids)))
    throw new UserError(`--ids expects a JSON object from input index to id bound, such as '{"0": 23}'`);
  const o: DecodeOptions = {
    ...(ids !== undefined ? { ids: ids as Record<number, number> } : {}),
    ...(opts['max-elems'] !== undefined ? { maxElems: opts['max-elems'] as number } : {}),
    ...(output !== undefined ? { output: output as Shape } : {}),
  };
  const setup = decodeSetup(inputs as Shape[], o);
  if (E.isLeft(setup)) {
    const opt = /^ids/.test(setup.left) ? 'ids' : /^output/.test(setup.left) ? 'output' : /^maxElems/.test(setup.left) ? 'max-elems' : 'inputs';
    throw new UserError(`--${opt}: ${setup.left}`);
  }
  return { inputs: inputs as Shape[], opts: o };
};

/** The spec document of a decoded string (its canonical string in `doc`). */
export const specOfString = (str: string, inputs: Shape[], opts: DecodeOptions, name: string): SpecDoc => {
  const model = decodeModel(str, inputs, opts);
  const s = encodeModel(model, inputs, { ...opts, output: undefined });
  return { catoptric: 1, name, doc: `model string ${JSON.stringify(E.isRight(s) ? s.right : str)}`, inputs, model };
};

/** The spec file as printed: the document's fields in their usual order. */
export const specText = (d: SpecDoc, pretty: boolean): string => {
  const j = { catoptric: d.catoptric, name: d.name, ...(d.doc ? { doc: d.doc } : {}), inputs: d.inputs, model: d.model };
  if (!pretty) return JSON.stringify(j);
  // Arrays of numbers (shapes, permutations) on one line.
  return JSON.stringify(j, null, 1).replace(/\[[\d,\s]*\]/g, (m) => m.replace(/\s+/g, ''));
};

export const decodeCommand: CommandSpec = {
  name: 'decode',
  summary: 'Decode a model string into a spec file: every string decodes to a model that passes `check`.',
  positionals: [{ name: 'string', doc: 'the model string (quote it); characters outside the alphabet are skipped', optional: true }],
  options: {
    ...stringOptions,
    stdin: { type: 'bool', doc: 'decode every line of standard input; print one spec per line' },
    name: { type: 'string', arg: 'NAME', doc: 'the spec\'s name (default "decoded")' },
    json: { type: 'bool', doc: 'print the spec on one line' },
  },
  notes: [
    'Examples:',
    "  catoptric decode 'L16 r L2' --inputs '[[8,2]]'",
    "  catoptric decode '[E2,32] {n L32 g L32} n P L2' --inputs '[[32,16]]' --ids '{\"0\":2}'",
    '',
    'Tokens (any other character is skipped; a token that names no valid step picks one by its index):',
    ...grammarLines(),
    'Numbers are digits (a "," after them is consumed). See README.md, "Model strings".',
  ].join('\n'),
};

export const runDecode = (argv: readonly string[], io: Io): number => {
  const a = parseArgs(argv, decodeCommand);
  const { inputs, opts } = decodeOptionsOf(a.opts);
  const name = (a.opts.name as string | undefined) ?? 'decoded';
  if (a.opts.stdin) {
    if (a.pos.length) throw new UserError('give either a string or --stdin, not both');
    if (!io.readStdin) throw new UserError('--stdin: standard input is not available here');
    const text = io.readStdin();
    const lines = text.split('\n');
    if (lines.length && lines[lines.length - 1] === '') lines.pop();
    const t0 = io.now();
    let lastTenth = 0;
    lines.forEach((line, i) => {
      io.out(specText(specOfString(line.replace(/\r$/, ''), inputs, opts, `${name}-${i + 1}`), false) + '\n');
      const tenth = Math.floor((10 * (i + 1)) / lines.length);
      if (lines.length >= 1000 && tenth > lastTenth) {
        lastTenth = tenth;
        io.err(`decode: ${i + 1}/${lines.length} lines, ${((io.now() - t0) / 1000).toFixed(1)} s\n`);
      }
    });
    return 0;
  }
  if (!a.pos.length) throw new UserError('missing string; usage: catoptric decode <string> [options], or --stdin');
  io.out(specText(specOfString(a.pos[0]!, inputs, opts, name), !a.opts.json) + '\n');
  return 0;
};

export const encodeCommand: CommandSpec = {
  name: 'encode',
  summary: "Print a spec's model as a model string (deterministic; `decode` gives back its normal form).",
  positionals: [{ name: 'spec', doc: 'a JSON spec file' }],
  options: {
    ids: stringOptions.ids!,
    'max-elems': stringOptions['max-elems']!,
    json: { type: 'bool', doc: 'print {"string", "inputs", "ids"} as JSON' },
  },
  notes: [
    'Ids default to the inputs that reach an embedding, softmax_xent labels or an attention mask.',
    'Decode with the same inputs and ids: catoptric decode "$(catoptric encode f.json)" --inputs ... --ids ...',
    'The normal form drops names, default attributes and variants, and flattens nested seq/par.',
  ].join('\n'),
};

export const runEncode = (argv: readonly string[], io: Io): number => {
  const a = parseArgs(argv, encodeCommand);
  const file = a.pos[0]!;
  const { doc } = readSpec(io, file);
  const given = decodeOptionsOf({ ...a.opts, inputs: JSON.stringify(doc.inputs) }).opts;
  const ids = given.ids ?? inferIds(doc.model, doc.inputs);
  const s = encodeModel(doc.model, doc.inputs, { ...given, ids });
  if (E.isLeft(s)) throw new UserError(`${file}: model (normal form) at ${showEncodeIssue(s.left)}`);
  if (a.opts.json) io.out(JSON.stringify({ string: s.right, inputs: doc.inputs, ids }) + '\n');
  else io.out(`${s.right}\n`);
  return 0;
};
