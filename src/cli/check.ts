/**
 * `catoptric check <spec>`: decode and shape-check a spec file; print shapes, parameters and costs.
 */
import { showShape } from '../tensor/shape';
import { type CommandSpec, parseArgs } from './args';
import { bytes, grouped, si, table } from './format';
import { type Io, readSpec } from './io';
import { nodeRows, totals } from './summary';

export const checkCommand: CommandSpec = {
  name: 'check',
  summary: 'Decode and shape-check a spec file; print its shapes, parameters and per-node costs.',
  positionals: [{ name: 'spec', doc: 'a JSON spec file (see examples/)' }],
  options: {
    json: { type: 'bool', doc: 'print the summary as JSON' },
    quiet: { type: 'bool', doc: 'print only "ok" (or the errors)' },
  },
  notes: 'Errors name the file, the JSON path of the broken field and what was expected; exit code 1.',
};

/** Run `check`; returns the exit code. */
export const runCheck = (argv: readonly string[], io: Io): number => {
  const a = parseArgs(argv, checkCommand);
  const file = a.pos[0]!;
  const { doc, model, planned } = readSpec(io, file);
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
