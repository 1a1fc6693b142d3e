/**
 * Plan a model for a memory budget: the Pareto frontier of peak memory against flops, as a table,
 * JSON (`--json`) or an SVG plot (`--svg out.svg`), with the chosen plan marked.
 *
 *   npx tsx examples/plan/main.ts [--json] [--budget 64MiB] [--svg out.svg] [--blocks 12] [--seq 32] [--width 16]
 *
 * The model is the 12-block transformer of ./model.ts (causal attention + MLP). Without `--budget`
 * the budget is a quarter of the store-all peak.
 */
import { writeFileSync } from 'node:fs';
import * as E from 'fp-ts/lib/Either.js';
import { checkOrThrow } from '../../src/index';
import { showPlan } from '../../src/plan/plan';
import { frontierSvg, frontierTable, planForBudget, planFrontier } from '../../src/plan';
import { exampleArgs, exitOnSpecError, jsonOption, writableOrExit } from '../args';
import { transformer } from './model';

const o = exampleArgs({
  name: 'plan',
  summary: 'Plan a transformer for a memory budget: the Pareto frontier of peak memory against flops, with the chosen plan marked.',
  options: {
    budget: { type: 'bytes', arg: 'SIZE', doc: 'memory budget, e.g. 64KiB or 2MiB (default: a quarter of the store-all peak)' },
    svg: { type: 'string', arg: 'FILE', doc: 'plot the frontier as SVG' },
    blocks: { type: 'int', arg: 'N', doc: 'transformer blocks (default 12)' },
    seq: { type: 'int', arg: 'T', doc: 'sequence length (default 32)' },
    width: { type: 'int', arg: 'D', doc: 'model width (default 16)' },
    json: jsonOption,
  },
});
const main = (): void => {
  const blocks = (o.blocks as number | undefined) ?? 12;
  const T = (o.seq as number | undefined) ?? 32;
  const d = (o.width as number | undefined) ?? 16;
  const svgPath = o.svg as string | undefined;
  if (svgPath) writableOrExit('plan', svgPath);
  const model = exitOnSpecError('plan', () => checkOrThrow(transformer(blocks, d, 2), [[T, d]]));
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
  if (svgPath) writeFileSync(svgPath, frontierSvg(frontier, chosen, `${blocks}-block transformer, T=${T}, d=${d}: peak memory against flops`));
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
  console.log(`${blocks}-block transformer on [${T}, ${d}], float32; chain planned ${method === 'uniform' ? "by Revolve's closed form" : method}`);
  console.log(`budget ${budget} bytes\n`);
  console.log(frontierTable(frontier, chosen));
  console.log(`\nchosen (*): ${chosen.label}\n${showPlan(chosen.plan)}`);
  if (svgPath) console.log(`\nwrote ${svgPath}`);
};

main();
