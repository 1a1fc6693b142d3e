/** Command-line options of the active-learning example, parsed strictly (unknown flags are refused). */
import { type Strategy, strategies } from './active';

export interface CliOptions {
  readonly help: boolean;
  readonly json: boolean;
  readonly svg?: string;
  readonly seeds: number;
  readonly rounds: number;
  readonly perRound: number;
  readonly seedLabels: number;
  readonly steps: number;
  readonly backend: 'js' | 'wasm';
  /** Threads of the wasm backend's worker pool. */
  readonly threads: number;
  readonly strategies: Strategy[];
}

export const usage = `Pool-based active learning on imbalanced Gaussian clusters: random, entropy, core-set and KECOR.

usage: npm run example:active-learning -- [options]

  --seeds N          seeds (tasks, seed sets and initialisations) to average over (default 5)
  --rounds N         rounds of selection after the seed set (default 8)
  --per-round N      labels added per round (default 20)
  --seed-labels N    random labels to start from (default 20)
  --steps N          Adam steps to train the classifier each round (default 300)
  --strategies LIST  comma-separated subset of ${strategies.join(',')} (default all)
  --backend js|wasm  where to run (default js)
  --threads N        threads of the wasm backend's worker pool (default 1)
  --json             print one JSON document on stdout (progress stays on stderr)
  --svg FILE         write the accuracy curves as an SVG plot
  --help             this text`;

const ints = { '--seeds': 'seeds', '--rounds': 'rounds', '--per-round': 'perRound', '--seed-labels': 'seedLabels', '--steps': 'steps', '--threads': 'threads' } as const;
const mins: Record<string, number> = { seeds: 1, rounds: 0, perRound: 1, seedLabels: 1, steps: 1, threads: 1 };

/** Parse argv (without node and the script); a message for anything it does not know. */
export const parseOptions = (argv: readonly string[]): CliOptions | string => {
  const o: { -readonly [K in keyof CliOptions]: CliOptions[K] } = {
    help: false, json: false, seeds: 5, rounds: 8, perRound: 20, seedLabels: 20, steps: 300, backend: 'js', threads: 1, strategies: [...strategies],
  };
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
    else if (a in ints) {
      const key = ints[a as keyof typeof ints];
      const v = value();
      const n = Number(v);
      if (v === undefined || !Number.isInteger(n) || n < mins[key]!) return `${a} expects an integer ≥ ${mins[key]}, got ${v === undefined ? 'nothing' : JSON.stringify(v)}`;
      o[key] = n;
    } else if (a === '--svg') {
      const v = value();
      if (v === undefined) return '--svg expects a file name';
      o.svg = v;
    } else if (a === '--backend') {
      const v = value();
      if (v !== 'js' && v !== 'wasm') return `--backend expects js or wasm, got ${v === undefined ? 'nothing' : JSON.stringify(v)}`;
      o.backend = v;
    } else if (a === '--strategies') {
      const v = value();
      const list = (v ?? '').split(',').filter((s) => s !== '');
      const bad = list.find((s) => !(strategies as readonly string[]).includes(s));
      if (!list.length || bad !== undefined) return `--strategies expects a comma-separated subset of ${strategies.join(',')}, got ${JSON.stringify(v ?? '')}`;
      o.strategies = [...new Set(list)] as Strategy[];
    } else return `unknown option ${JSON.stringify(a)} (see --help)`;
  }
  if (o.threads > 1 && o.backend !== 'wasm') return `--threads ${o.threads} applies to --backend wasm (its worker pool)`;
  return o;
};
