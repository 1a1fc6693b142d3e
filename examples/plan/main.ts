/**
 * Plan a model for a memory budget: the Pareto frontier of peak memory against flops, as a table,
 * JSON (`--json`) or an SVG plot (`--svg out.svg`), with the chosen plan marked.
 *
 *   npx tsx examples/plan/main.ts [--json] [--budget 64MiB] [--svg out.svg] [--model transformer|pmi]
 *                                 [--blocks 12] [--seq 32] [--width 16]
 *
 * The model is the 12-block transformer of ./model.ts (causal attention + MLP), or with `--model pmi`
 * a stack of `--blocks` PMI layers (default 6, sequence 64), whose long-term memories' residual
 * variants (all states, chunk starts, none) are frontier points of their own next to checkpointing.
 * Without `--budget` the budget is a quarter of the store-all peak.
 */
import { writeFileSync } from 'node:fs';
import * as E from 'fp-ts/lib/Either.js';
import { checkOrThrow } from '../../src/index';
import { showPlan } from '../../src/plan/plan';
import { frontierSvg, frontierTable, planForBudget, planFrontier } from '../../src/plan';
import { exampleArgs, exitOnSpecError, jsonOption, writableOrExit } from '../args';
import { pmiStack, pmiStackInputs, transformer } from './model';

const o = exampleArgs({
  name: 'plan',
  summary: 'Plan a transformer for a memory budget: the Pareto frontier of peak memory against flops, with the chosen plan marked.',
  options: {
    budget: { type: 'bytes', arg: 'SIZE', doc: 'memory budget, e.g. 64KiB or 2MiB (default: a quarter of the store-all peak)' },
    svg: { type: 'string', arg: 'FILE', doc: 'plot the frontier as SVG' },
    model: { type: 'string', arg: 'KIND', doc: 'the model to plan (default transformer)', choices: ['transformer', 'pmi'] },
    blocks: { type: 'int', arg: 'N', doc: 'transformer blocks or PMI layers (default 12, or 6 for pmi)' },
    seq: { type: 'int', arg: 'T', doc: 'sequence length (default 32, or 64 for pmi)' },
    width: { type: 'int', arg: 'D', doc: 'model width (default 16)' },
    json: jsonOption,
  },
});
const main = (): void => {
  const kind = (o.model as 'transformer' | 'pmi' | undefined) ?? 'transformer';
  const blocks = (o.blocks as number | undefined) ?? (kind === 'pmi' ? 6 : 12);
  const T = (o.seq as number | undefined) ?? (kind === 'pmi' ? 64 : 32);
  const d = (o.width as number | undefined) ?? 16;
  const svgPath = o.svg as string | undefined;
  if (svgPath) writableOrExit('plan', svgPath);
  const model = exitOnSpecError('plan', () => (kind === 'pmi' ? checkOrThrow(pmiStack(blocks, T, d), pmiStackInputs(T, d)) : checkOrThrow(transformer(blocks, d, 2), [[T, d]])));
  const name = kind === 'pmi' ? `${blocks}-layer PMI stack` : `${blocks}-block transformer`;
  const { frontier } = planFrontier(model);
  const storeAllPeak = frontier[frontier.length - 1]!.peakBytes;
  const budget = (o.budget as number | undefined) ?? Math.floor(storeAllPeak / 4);
  const r = planForBudget(model, budget);
  if (E.isLeft(r)) {
    console.error(r.left.message);
    process.exitCode = 1;
    return;
  }
  const { chosen, method } = r.right;
  if (svgPath) writeFileSync(svgPath, frontierSvg(frontier, chosen, `${name}, T=${T}, d=${d}: peak memory against flops`));
  if (o.json) {
    console.log(
      JSON.stringify({
        frontier: frontier.map((p) => ({ peakBytes: p.peakBytes, flops: p.flops, label: p.label })),
        chosen: { peakBytes: chosen.peakBytes, flops: chosen.flops, recomputeFlops: chosen.recomputeFlops, label: chosen.label, plan: chosen.plan },
        budgetBytes: budget,
        method,
      }),
    );
    return;
  }
  console.log(`${name} on [${T}, ${d}], float32; chain planned ${method === 'uniform' ? "by Revolve's closed form" : method}`);
  console.log(`budget ${budget} bytes\n`);
  console.log(frontierTable(frontier, chosen));
  console.log(`\nchosen (*): ${chosen.label}\n${showPlan(chosen.plan)}`);
  if (svgPath) console.log(`\nwrote ${svgPath}`);
};

try {
  main();
} catch (e) {
  // A bad option is a message and exit code 1, not a stack trace.
  console.error(`plan: ${(e as Error).message}`);
  process.exitCode = 1;
}
