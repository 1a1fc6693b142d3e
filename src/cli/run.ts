/**
 * The `catoptric` command line: dispatch to one module per command, turn user errors into messages
 * and exit code 1, never a stack trace.
 */
import '../prims'; // every committed primitive description (registered by definePrimitive)
import { type CommandSpec, UserError, helpText } from './args';
import { type Io, UserErrors } from './io';
import { checkCommand, runCheck } from './check';
import { trainCommand, runTrain } from './train';
import { diagramCommand, runDiagram } from './diagram';
import { planCommand, runPlan } from './plan';
import { benchCommand, runBench } from './bench';
import { exportCommand, runExport } from './export';
import { primsCommand, runPrims, runSchema, runTasks, schemaCommand, tasksCommand } from './info';
import { playgroundCommand, runPlayground } from './playground';
import { decodeCommand, encodeCommand, runDecode, runEncode } from './strings';

interface Command {
  readonly spec: CommandSpec;
  run(argv: readonly string[], io: Io): number | Promise<number>;
}

const commands: Command[] = [
  { spec: checkCommand, run: runCheck },
  { spec: diagramCommand, run: runDiagram },
  { spec: planCommand, run: runPlan },
  { spec: trainCommand, run: runTrain },
  { spec: benchCommand, run: runBench },
  { spec: decodeCommand, run: runDecode },
  { spec: encodeCommand, run: runEncode },
  { spec: exportCommand, run: runExport },
  { spec: primsCommand, run: runPrims },
  { spec: tasksCommand, run: runTasks },
  { spec: schemaCommand, run: runSchema },
  { spec: playgroundCommand, run: runPlayground },
];

/** Register another command (used by the command modules below; the order is the help order). */
export const addCommand = (spec: CommandSpec, run: Command['run']): void => {
  commands.push({ spec, run });
};

/** The version printed by `--version`. */
export const VERSION = '0.1.0';

const topHelp = (): string =>
  [
    'Usage: catoptric <command> [arguments] [options]',
    '',
    'Differentiable models as optics: check, draw, plan, train and benchmark model specs (JSON files).',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.spec.name.padEnd(10)} ${c.spec.summary}`),
    '',
    'Run `catoptric <command> --help` for a command\'s options.',
    'Exit codes: 0 success, 1 error (the message names the file, the JSON path and what was expected).',
    '',
  ].join('\n');

/**
 * Run the command line with `argv` (without `node` and the script). Returns the exit code; prints
 * through `io`. Never throws.
 */
export const run = async (argv: readonly string[], io: Io): Promise<number> => {
  const [name, ...rest] = argv;
  if (name === undefined || name === '-h' || name === '--help' || name === 'help') {
    const sub = name === 'help' ? commands.find((c) => c.spec.name === rest[0]) : undefined;
    io.out(sub ? helpText(sub.spec) : topHelp());
    return 0;
  }
  if (name === '--version' || name === '-v') {
    io.out(`catoptric ${VERSION}\n`);
    return 0;
  }
  const cmd = commands.find((c) => c.spec.name === name);
  if (!cmd) {
    io.err(`catoptric: unknown command ${JSON.stringify(name)}; commands: ${commands.map((c) => c.spec.name).join(', ')} (see \`catoptric --help\`)\n`);
    return 1;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.out(helpText(cmd.spec));
    return 0;
  }
  try {
    return await cmd.run(rest, io);
  } catch (e) {
    if (e instanceof UserErrors) {
      io.err(e.lines.join('\n') + '\n');
      return 1;
    }
    if (e instanceof UserError) {
      io.err(`catoptric ${name}: ${e.message}\n`);
      return 1;
    }
    // Not the user's fault: say so, without a stack trace unless asked for.
    const err = e as Error;
    io.err(`catoptric ${name}: internal error: ${err?.message ?? String(e)}\n`);
    if (typeof process !== 'undefined' && process.env.CATOPTRIC_DEBUG) io.err(`${err?.stack ?? ''}\n`);
    else io.err('(set CATOPTRIC_DEBUG=1 for a stack trace; please report this)\n');
    return 1;
  }
};
