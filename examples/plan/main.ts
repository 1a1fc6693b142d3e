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
import { frontierSvg, frontierTable, parseBytes, planForBudget, planFrontier } from '../../src/plan';
import { pmiStack, pmiStackInputs, transformer } from './model';

const args = process.argv.slice(2);
const flag = (name: string): boolean => args.includes(name);
const opt = (name: string): string | undefined => {
  const i = args.indexOf(name);
  if (i < 0) return undefined;
  const v = args[i + 1];
  if (v === undefined || v.startsWith('--')) throw new Error(`${name} needs a value`);
  return v;
};
const int = (name: string, d: number): number => {
  const v = opt(name);
  if (v === undefined) return d;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a positive integer, got '${v}'`);
  return n;
};

const main = (): void => {
  const kind = opt('--model') ?? 'transformer';
  if (kind !== 'transformer' && kind !== 'pmi') throw new Error(`--model must be transformer or pmi, got '${kind}'`);
  const blocks = int('--blocks', kind === 'pmi' ? 6 : 12);
  const T = int('--seq', kind === 'pmi' ? 64 : 32);
  const d = int('--width', 16);
  const model = kind === 'pmi' ? checkOrThrow(pmiStack(blocks, T, d), pmiStackInputs(T, d)) : checkOrThrow(transformer(blocks, d, 2), [[T, d]]);
  const name = kind === 'pmi' ? `${blocks}-layer PMI stack` : `${blocks}-block transformer`;
  const { frontier } = planFrontier(model);
  const storeAllPeak = frontier[frontier.length - 1]!.peakBytes;
  const budgetArg = opt('--budget');
  const budget = budgetArg !== undefined ? parseBytes(budgetArg) : Math.floor(storeAllPeak / 4);
  const r = planForBudget(model, budget);
  if (E.isLeft(r)) {
    console.error(r.left.message);
    process.exitCode = 1;
    return;
  }
  const { chosen, method } = r.right;
  const svgPath = opt('--svg');
  if (svgPath) writeFileSync(svgPath, frontierSvg(frontier, chosen, `${name}, T=${T}, d=${d}: peak memory against flops`));
  if (flag('--json')) {
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
