/**
 * `catoptric diagram <spec> [--svg out.svg]`: draw a spec's model as an SVG string diagram.
 */
import * as E from 'fp-ts/lib/Either.js';
import { diagramPlan, renderDiagram } from '../render/diagram';
import { check } from '../term/check';
import { type LossKind, LOSSES, planUnderLoss, targetShapes, withLossBox } from '../tasks/loss';
import { type CommandSpec, UserError, parseArgs } from './args';
import { type Io, readSpec, writeText } from './io';

export const diagramCommand: CommandSpec = {
  name: 'diagram',
  summary: 'Draw a spec as an SVG string diagram: boxes, wires labelled with shapes, residuals as dashed tags.',
  positionals: [{ name: 'spec', doc: 'a JSON spec file' }],
  options: {
    svg: { type: 'string', arg: 'FILE', doc: 'write the SVG here (default: standard output)' },
    'no-plan': { type: 'bool', doc: "ignore the spec's plan (draw every primitive's default variant, nothing recomputed)" },
    loss: { type: 'string', arg: 'LOSS', doc: 'draw the model with the loss box `catoptric train` appends', choices: LOSSES },
  },
};

export const runDiagram = (argv: readonly string[], io: Io): number => {
  const a = parseArgs(argv, diagramCommand);
  const file = a.pos[0]!;
  const { doc, model, planned } = readSpec(io, file);
  const loss = a.opts.loss as LossKind | undefined;
  let d;
  if (loss) {
    const lm = check(withLossBox(doc.model, loss, model.root.outputs.length), [...doc.inputs, ...targetShapes(model.root.outputs, loss)]);
    if (E.isLeft(lm)) throw new UserError(`${file}: model: cannot add the ${loss} loss: ${lm.left.message}`);
    d = renderDiagram(lm.right, { title: `${doc.name} with its ${loss} loss`, ...(a.opts['no-plan'] ? {} : diagramPlan(lm.right, planUnderLoss(planned.plan))) });
  } else d = renderDiagram(model, { title: doc.name, ...(a.opts['no-plan'] ? {} : diagramPlan(model, planned)) });
  const out = a.opts.svg as string | undefined;
  if (out) {
    writeText(io, out, d.svg);
    io.out(`${out}: ${d.width}×${d.height} string diagram of ${doc.name} (${d.residualTags} residual tag(s))\n`);
  } else io.out(d.svg);
  return 0;
};
