/** Command-line options shared by the example scripts. */
const args = process.argv.slice(2);

/** The raw value after `--name`, or undefined. */
export const stringOption = (name: string): string | undefined => {
  const i = args.indexOf(`--${name}`);
  return i < 0 ? undefined : args[i + 1];
};

/** True when `--name` is present. */
export const flag = (name: string): boolean => args.includes(`--${name}`);

/**
 * The integer ≥ `min` after `--name`, or `dflt`. A malformed value ends the process with a message
 * naming the option (exit code 1), never a stack trace.
 */
export const intOption = (name: string, dflt: number, min = 0): number => {
  const i = args.indexOf(`--${name}`);
  if (i < 0) return dflt;
  const v = Number(args[i + 1]);
  if (!Number.isInteger(v) || v < min) {
    console.error(`--${name} expects an integer ≥ ${min}, got ${JSON.stringify(args[i + 1])}`);
    process.exit(1);
  }
  return v;
};

/** One of `options` after `--name`, or `dflt`; anything else ends the process with a message. */
export const choiceOption = <C extends string>(name: string, options: readonly C[], dflt: C): C => {
  const v = stringOption(name);
  if (v === undefined) return dflt;
  if (!(options as readonly string[]).includes(v)) {
    console.error(`--${name} expects one of ${options.join(', ')}, got ${JSON.stringify(v)}`);
    process.exit(1);
  }
  return v as C;
};

/**
 * `--threads N` (default 1): threads for the wasm backend's worker pool (`initWasm({ threads })`).
 * With `--backend js` it ends the process with a message: the JS backend has no pool.
 */
export const threadsOption = (backend: string): number => {
  const n = intOption('threads', 1, 1);
  if (n > 1 && backend !== 'wasm') {
    console.error(`--threads ${n} applies to --backend wasm (its worker pool), not ${backend}`);
    process.exit(1);
  }
  return n;
};
