/**
 * `catoptric plan <spec> [--budget 64MiB] [--svg FILE]`: the planner's Pareto frontier of predicted
 * peak memory against flops, the least-flops plan within a budget, and the spec's own plan.
 */
import { type PlanPoint, planFrontier, chooseWithin } from '../plan/planner';
import { simulate } from '../plan/memory';
import { encodeSpec } from '../term/codec';
import { frontierPlot } from '../render/charts';
import { type CommandSpec, UserError, parseArgs } from './args';
import { bytes, si, table } from './format';
import { type Io, readSpec, writeText } from './io';

export const planCommand: CommandSpec = {
  name: 'plan',
  summary: 'Plan store-versus-recompute: the frontier of predicted peak memory against flops, and the best plan within a budget.',
  positionals: [{ name: 'spec', doc: 'a JSON spec file' }],
  options: {
    budget: { type: 'bytes', arg: 'SIZE', doc: 'memory budget, e.g. 64MiB, 512KiB, 1GB: pick the least-flops plan whose peak fits' },
    svg: { type: 'string', arg: 'FILE', doc: 'plot the candidates and the frontier (flops against peak memory) as SVG' },
    dtype: { type: 'string', arg: 'DTYPE', doc: 'element size for bytes (default float32)', choices: ['float32', 'float64'] },
    chain: { type: 'string', arg: 'PATH', doc: 'node path of the seq to checkpoint (default: the root seq, else the first seq)' },
    write: { type: 'string', arg: 'FILE', doc: 'with --budget: write a copy of the spec with the chosen plan' },
    json: { type: 'bool', doc: 'print the frontier (and the choice) as JSON' },
  },
  notes: 'Peaks and flops are predictions from shapes and each primitive\'s cost (src/plan), equal to what a metered run measures.',
};

export const runPlan = (argv: readonly string[], io: Io): number => {
  const a = parseArgs(argv, planCommand);
  const file = a.pos[0]!;
  const { doc, model, planned } = readSpec(io, file);
  const bpe = a.opts.dtype === 'float64' ? 8 : 4;
  const budget = a.opts.budget as number | undefined;
  if (a.opts.write !== undefined && budget === undefined) throw new UserError('--write needs --budget (the plan to write is the one chosen for the budget)');
  let frontier: PlanPoint[];
  let method: string | null;
  try {
    ({ frontier, method } = planFrontier(model, { bytesPerElem: bpe, ...(a.opts.chain !== undefined ? { chain: a.opts.chain as string } : {}) }));
  } catch (e) {
    throw new UserError(`${file}: ${(e as Error).message}`);
  }
  const own = simulate(planned, planned.plan, bpe);
  // Without a budget the choice is the least-flops plan of the whole frontier.
  const chosen = chooseWithin(frontier, budget ?? Infinity);
  const within = budget !== undefined ? `within ${bytes(budget)}` : 'with no budget';
  if (!chosen)
    throw new UserError(`${file}: no plan fits in ${bytes(budget ?? Infinity)}; the least peak reachable is ${bytes(frontier[0]!.peakBytes)} (${frontier[0]!.label})`);

  if (a.opts.svg)
    writeText(
      io,
      a.opts.svg as string,
      frontierPlot(frontier, { title: `${doc.name}: flops against peak memory`, own, chosen: { point: chosen, label: `chosen ${within}` } }),
    );
  if (a.opts.write) {
    const spec = { ...(encodeSpec(doc) as Record<string, unknown>), plan: chosen.plan };
    writeText(io, a.opts.write as string, JSON.stringify(spec, null, 1) + '\n');
  }
  if (a.opts.json) {
    io.out(JSON.stringify({ file, method, frontier, spec: { peakBytes: own.peakBytes, flops: own.flops }, budget: budget ?? null, chosen }, null, 2) + '\n');
    return 0;
  }
  const lines: string[] = [`${file}: ${doc.name} — frontier of ${frontier.length} plan(s) (chain planning: ${method ?? 'no chain'})`, ''];
  const rows = frontier.map((p, i) => [
    p === chosen ? `${i + 1} *` : String(i + 1),
    p.label,
    bytes(p.peakBytes),
    si(p.flops),
    si(p.recomputeFlops),
  ]);
  lines.push(table([['#', 'plan', 'peak', 'flops', 'recompute'], ...rows], [2, 3, 4]));
  lines.push('');
  lines.push(`the spec's plan: peak ${bytes(own.peakBytes)}, ${si(own.flops)} flops (${si(own.recomputeFlops)} recomputed)`);
  if (chosen) {
    lines.push(`${within}: * ${chosen.label} — peak ${bytes(chosen.peakBytes)}, ${si(chosen.flops)} flops`);
    lines.push(`  "plan": ${JSON.stringify(chosen.plan)}`);
    if (a.opts.write) lines.push(`  written to ${a.opts.write}`);
  }
  if (a.opts.svg) lines.push(`plot: ${a.opts.svg}`);
  io.out(lines.join('\n') + '\n');
  return 0;
};
