/**
 * `catoptric check <spec>`: decode and shape-check a spec file; print shapes, parameters and costs.
 */
import { showShape } from '../tensor/shape';
import { type CommandSpec, UserError, parseArgs } from './args';
import { bytes, grouped, si, table } from './format';
import * as E from 'fp-ts/lib/Either.js';
import { checkSpec, formatIssues } from '../term/codec';
import { type Io, UserErrors, readSpec } from './io';
import { decodeOptionsOf, specOfString, stringOptions } from './strings';
import { nodeRows, totals } from './summary';

export const checkCommand: CommandSpec = {
  name: 'check',
  summary: 'Decode and shape-check a spec file (or a model string); print its shapes, parameters and per-node costs.',
  positionals: [{ name: 'spec', doc: 'a JSON spec file (see examples/); not with --string', optional: true }],
  options: {
    string: { type: 'string', arg: 'S', doc: 'check the model a model string decodes to, instead of a file' },
    ...stringOptions,
    json: { type: 'bool', doc: 'print the summary as JSON' },
    quiet: { type: 'bool', doc: 'print only "ok" (or the errors)' },
  },
  notes: [
    'Errors name the file, the JSON path of the broken field and what was expected; exit code 1.',
    "With --string, --inputs (default [[8,2]]), --ids, --max-elems and --output are read as by `catoptric decode`.",
  ].join('\n'),
};

/** Decode a string with the command's options and check its spec (it always checks: strings are total). */
const checkString = (str: string, opts: Readonly<Record<string, unknown>>) => {
  const { inputs, opts: o } = decodeOptionsOf(opts);
  const r = checkSpec(specOfString(str, inputs, o, 'decoded'));
  if (E.isLeft(r)) throw new UserErrors(formatIssues(r.left, 'string'));
  return r.right;
};

/** Run `check`; returns the exit code. */
export const runCheck = (argv: readonly string[], io: Io): number => {
  const a = parseArgs(argv, checkCommand);
  const str = a.opts.string as string | undefined;
  if (str === undefined && a.pos[0] === undefined) throw new UserError('missing spec; usage: catoptric check <spec> [options], or --string S');
  if (str !== undefined && a.pos[0] !== undefined) throw new UserError('give either a spec file or --string, not both');
  if (str === undefined)
    for (const k of Object.keys(stringOptions)) if (a.opts[k] !== undefined) throw new UserError(`--${k} goes with --string (a spec file has its own inputs)`);
  const file = str === undefined ? a.pos[0]! : `string ${JSON.stringify(str)}`;
  const { doc, model, planned } = str === undefined ? readSpec(io, file) : checkString(str, a.opts);
  const rows = nodeRows(planned);
  const tot = totals(planned);
  if (a.opts.json) {
    io.out(
      JSON.stringify(
        {
          file,
          name: doc.name,
          inputs: model.root.inputs,
          outputs: model.root.outputs,
          params: Object.fromEntries([...model.params.values()].map((p) => [p.key, p.shape])),
          nodes: rows,
          totals: tot,
        },
        null,
        2,
      ) + '\n',
    );
    return 0;
  }
  if (a.opts.quiet) {
    io.out(`${file}: ok\n`);
    return 0;
  }
  const lines: string[] = [];
  lines.push(`${file}: ok — ${doc.name}${doc.doc ? `: ${doc.doc}` : ''}`);
  lines.push(`inputs   ${model.root.inputs.map(showShape).join(' ')}`);
  lines.push(`outputs  ${model.root.outputs.map(showShape).join(' ')}`);
  lines.push('');
  const header = ['node', 'primitive', 'variant', 'inputs', 'outputs', 'params', 'fwd flops', 'bwd flops', 'residual'];
  // Identity wires carry nothing worth a row.
  const body = rows.filter((r) => r.prim !== 'id').map((r) => [
    r.path + (r.recomputed ? ' ↺' : ''),
    r.prim,
    r.variant,
    r.inputs,
    r.outputs,
    r.cost.paramElems ? si(r.cost.paramElems) : '',
    si(r.cost.fwdFlops),
    si(r.cost.bwdFlops),
    si(r.cost.residualElems),
  ]);
  body.push(['total', '', '', '', '', si(tot.params), si(tot.fwdFlops), si(tot.bwdFlops), si(tot.residualElems)]);
  lines.push(table([header, ...body], [5, 6, 7, 8]));
  lines.push('');
  lines.push(`parameters  ${tot.paramTensors} tensor(s), ${grouped(tot.params)} elements (${bytes(4 * tot.params)} as float32)`);
  lines.push(`residual    ${grouped(tot.residualElems)} elements kept between forward and backward (${bytes(4 * tot.residualElems)} as float32)`);
  if (rows.some((r) => r.recomputed)) lines.push('            ↺ = recomputed in the backward pass (plan.remat); its backward flops include the recomputation');
  if (doc.plan?.schedules && Object.keys(doc.plan.schedules).length)
    lines.push('            (plan.schedules are not counted here; see `catoptric plan`)');
  if (model.params.size) {
    lines.push('');
    lines.push(table([['parameter', 'shape'], ...[...model.params.values()].map((p) => [p.key, showShape(p.shape)])]));
  }
  io.out(lines.join('\n') + '\n');
  return 0;
};
