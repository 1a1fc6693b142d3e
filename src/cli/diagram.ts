/**
 * `catoptric diagram <spec> [--svg out.svg]`: draw a spec's model as an SVG string diagram.
 */
import { diagramPlan, renderDiagram } from '../render/diagram';
import { type CommandSpec, parseArgs } from './args';
import { type Io, readSpec, writeText } from './io';

export const diagramCommand: CommandSpec = {
  name: 'diagram',
  summary: 'Draw a spec as an SVG string diagram: boxes, wires labelled with shapes, residuals as dashed tags.',
  positionals: [{ name: 'spec', doc: 'a JSON spec file' }],
  options: {
    svg: { type: 'string', arg: 'FILE', doc: 'write the SVG here (default: standard output)' },
    'no-plan': { type: 'bool', doc: "ignore the spec's plan (draw every primitive's default variant, nothing recomputed)" },
  },
};

export const runDiagram = (argv: readonly string[], io: Io): number => {
  const a = parseArgs(argv, diagramCommand);
  const file = a.pos[0]!;
  const { doc, model, planned } = readSpec(io, file);
  const d = renderDiagram(model, { title: doc.name, ...(a.opts['no-plan'] ? {} : diagramPlan(model, planned)) });
  const out = a.opts.svg as string | undefined;
  if (out) {
    writeText(io, out, d.svg);
    io.out(`${out}: ${d.width}×${d.height} string diagram of ${doc.name} (${d.residualTags} residual tag(s))\n`);
  } else io.out(d.svg);
  return 0;
};
