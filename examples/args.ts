/**
 * The command line of an example script, declared once: `--help` prints the options and exits 0;
 * an unknown option, a missing value or a bad one prints one line and exits 1, before any work.
 * (The same parser as the `catoptric` command, src/cli/args.ts.)
 */
import { type OptSpec, UserError, helpText, parseArgs } from '../src/cli/args';
import { nodeSaveFs, probeWritable } from '../src/cli/save';
import { SpecError } from '../src/term/error';

/** An example's name (its `npm run example:NAME`), what it does, and its options. */
export interface ExampleSpec {
  readonly name: string;
  readonly summary: string;
  readonly options: Readonly<Record<string, OptSpec>>;
  readonly notes?: string;
  /** How it is invoked (default `npm run example:NAME --`). */
  readonly program?: string;
}

/** Parsed options: numbers, strings and booleans by option name (absent ones are undefined). */
export type ExampleOpts = Readonly<Record<string, string | number | boolean | undefined>>;

/** Parse `argv` (default: this process's) for an example; exits on `--help` or on bad input. */
export const exampleArgs = (spec: ExampleSpec, argv: readonly string[] = process.argv.slice(2)): ExampleOpts => {
  const cmd = { name: spec.name, program: spec.program ?? `npm run example:${spec.name} --`, summary: spec.summary, positionals: [], options: spec.options, ...(spec.notes ? { notes: spec.notes } : {}) };
  try {
    const a = parseArgs(argv, cmd);
    if (a.help) {
      process.stdout.write(helpText(cmd));
      process.exit(0);
    }
    return a.opts;
  } catch (e) {
    if (!(e instanceof UserError)) throw e;
    process.stderr.write(`${spec.name}: ${e.message}\n`);
    process.exit(1);
  }
};

/** `--backend js|wasm`, shared by the examples that run a model. */
export const backendOption = (dflt: 'js' | 'wasm'): OptSpec => ({ type: 'string', arg: 'NAME', doc: `backend (default ${dflt})`, choices: ['js', 'wasm'] });

/** `--json`, shared by every example. */
export const jsonOption: OptSpec = { type: 'bool', doc: 'print one JSON document instead of the table' };

/** Exit with one line unless `file` can be written (checked before the work, not after it). */
export const writableOrExit = (name: string, file: string): void => {
  try {
    probeWritable(nodeSaveFs, file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    process.stderr.write(`${name}: cannot write ${file}: ${code === 'ENOENT' ? 'no such directory' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'is a directory' : String((e as Error).message)}\n`);
    process.exit(1);
  }
};

/** A model the example builds from its options was refused by `check`: one line, exit 1. */
export const exitOnSpecError = <A>(name: string, f: () => A): A => {
  try {
    return f();
  } catch (e) {
    if (!(e instanceof SpecError)) throw e;
    process.stderr.write(`${name}: these options give a model check refuses: ${e.message}\n`);
    process.exit(1);
  }
};

/** `--threads N`, shared by the examples that run a model: the wasm backend's worker pool. */
export const threadsOption: OptSpec = { type: 'int', arg: 'N', doc: "threads for the wasm backend's worker pool (default 1; --backend wasm only)" };

/**
 * The thread count of parsed options (default 1). With a backend other than wasm, more than one is
 * a one-line message and exit 1: the JS backend has no pool.
 */
export const threadsOf = (name: string, o: ExampleOpts, backend: string): number => {
  const n = (o.threads as number | undefined) ?? 1;
  if (n < 1) {
    process.stderr.write(`${name}: --threads expects an integer ≥ 1, got ${n}\n`);
    process.exit(1);
  }
  if (n > 1 && backend !== 'wasm') {
    process.stderr.write(`${name}: --threads ${n} applies to --backend wasm (its worker pool), not ${backend}\n`);
    process.exit(1);
  }
  return n;
};
