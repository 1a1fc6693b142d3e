/** Command-line options of the active-learning example, parsed strictly (unknown flags are refused). */
import { type Strategy, strategies } from './active';
import { parseStrict } from '../strict-options';

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

/** Parse argv (without node and the script); a message for anything it does not know. */
export const parseOptions = (argv: readonly string[]): CliOptions | string =>
  parseStrict<{ -readonly [K in keyof CliOptions]: CliOptions[K] }>(
    argv,
    { help: false, json: false, seeds: 5, rounds: 8, perRound: 20, seedLabels: 20, steps: 300, backend: 'js', threads: 1, strategies: [...strategies] },
    {
      '--seeds': ['seeds', 1], '--rounds': ['rounds', 0], '--per-round': ['perRound', 1], '--seed-labels': ['seedLabels', 1], '--steps': ['steps', 1],
      '--threads': ['threads', 1],
    },
    (a, value, o) => {
      if (a !== '--strategies') return false;
      const v = value();
      const list = (v ?? '').split(',').filter((s) => s !== '');
      const bad = list.find((s) => !(strategies as readonly string[]).includes(s));
      if (!list.length || bad !== undefined) return `--strategies expects a comma-separated subset of ${strategies.join(',')}, got ${JSON.stringify(v ?? '')}`;
      o.strategies = [...new Set(list)] as Strategy[];
    },
  );
