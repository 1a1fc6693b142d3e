// The strict option parser of the examples whose parsers are plain functions (testable without a
// process): `--help`, `--json`, `--svg FILE`, `--backend js|wasm`, `--threads N` and integer flags
// with a floor, one message for anything unknown or malformed; each example adds its own flags.

/** What every strict example parses. */
export interface StrictOptions {
  help: boolean;
  json: boolean;
  svg?: string;
  backend: 'js' | 'wasm';
  threads: number;
}

/**
 * An example's own flag: given the flag and a reader of its value (undefined when none follows),
 * return a message when the value is bad, `false` when the flag is not the example's, else nothing.
 */
export type OwnFlag<O> = (flag: string, value: () => string | undefined, o: O) => string | false | void;

/**
 * Parse `argv` (without node and the script) into `defaults` (changed in place and returned), or return
 * a message. `ints` maps integer flags to their option and least value.
 */
export const parseStrict = <O extends StrictOptions>(
  argv: readonly string[],
  defaults: O,
  ints: Readonly<Record<string, readonly [key: keyof O, least: number]>>,
  own: OwnFlag<O> = () => false,
): O | string => {
  const o = defaults;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = (): string | undefined => {
      const v = argv[i + 1];
      if (v === undefined || v.startsWith('--')) return undefined;
      i++;
      return v;
    };
    if (a === '--help' || a === '-h') o.help = true;
    else if (a === '--json') o.json = true;
    else if (Object.prototype.hasOwnProperty.call(ints, a)) {
      const [key, least] = ints[a]!;
      const v = value();
      const n = Number(v);
      if (v === undefined || !Number.isInteger(n) || n < least) return `${a} expects an integer ≥ ${least}, got ${v === undefined ? 'nothing' : JSON.stringify(v)}`;
      (o as Record<keyof O, unknown>)[key] = n;
    } else if (a === '--svg') {
      const v = value();
      if (v === undefined) return '--svg expects a file name';
      o.svg = v;
    } else if (a === '--backend') {
      const v = value();
      if (v !== 'js' && v !== 'wasm') return `--backend expects js or wasm, got ${v === undefined ? 'nothing' : JSON.stringify(v)}`;
      o.backend = v;
    } else {
      const r = own(a, value, o);
      if (typeof r === 'string') return r;
      if (r === false) return `unknown option ${JSON.stringify(a)} (see --help)`;
    }
  }
  if (o.threads > 1 && o.backend !== 'wasm') return `--threads ${o.threads} applies to --backend wasm (its worker pool)`;
  return o;
};
