/** Command-line options of the affine example, parsed strictly (unknown flags are refused). */
/** Options of the affine example. */
export interface Options {
  help: boolean; json: boolean; svg?: string; seeds: number; steps: number; samples: number; testSamples: number;
  points: number; batch: number; testSize: number; window: number; backend: 'js' | 'wasm'; threads: number;
}

export const usage = `Affine-invariant point-set classification: plain vs augmented vs GL⁺(2)-equivariant, at matched parameters.

usage: npm run example:affine -- [options]

  --seeds N          seeds (data, initialisation, sample sets) to average over (default 5)
  --steps N          Adam steps per model (default 800)
  --samples K        Haar samples of GL⁺(2) per step in the equivariant network while training (default 24)
  --test-samples K   Haar samples at test time (same parameters; default 96)
  --points N         points per shape (default 24)
  --batch N          training batch (default 32)
  --test-size N      test shapes per transform strength (default 400)
  --window M         Haar window: singular values of the samples in [e^-M, e^M] (default 1.5)
  --backend js|wasm  where to run (default wasm)
  --threads N        threads of the wasm backend's worker pool (default 1)
  --json             print one JSON document on stdout (progress stays on stderr)
  --svg FILE         write accuracy against transform strength as an SVG plot
  --help             this text`;

const ints = {
  '--seeds': 'seeds', '--steps': 'steps', '--samples': 'samples', '--test-samples': 'testSamples', '--points': 'points', '--batch': 'batch', '--test-size': 'testSize', '--threads': 'threads',
} as const;

/** Parse argv (without node and the script) strictly: a message for anything unknown or malformed. */
export const parse = (argv: readonly string[]): Options | string => {
  const o: Options = { help: false, json: false, seeds: 5, steps: 800, samples: 24, testSamples: 96, points: 24, batch: 32, testSize: 400, window: 1.5, backend: 'wasm', threads: 1 };
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
      const v = value();
      const n = Number(v);
      if (v === undefined || !Number.isInteger(n) || n < 1) return `${a} expects an integer ≥ 1, got ${v === undefined ? 'nothing' : JSON.stringify(v)}`;
      o[ints[a as keyof typeof ints]] = n;
    } else if (a === '--window') {
      const v = value();
      const m = Number(v);
      if (v === undefined || !(m > 0 && m <= 3)) return `--window expects a number in (0, 3], got ${v === undefined ? 'nothing' : JSON.stringify(v)}`;
      o.window = m;
    } else if (a === '--svg') {
      const v = value();
      if (v === undefined) return '--svg expects a file name';
      o.svg = v;
    } else if (a === '--backend') {
      const v = value();
      if (v !== 'js' && v !== 'wasm') return `--backend expects js or wasm, got ${v === undefined ? 'nothing' : JSON.stringify(v)}`;
      o.backend = v;
    } else return `unknown option ${JSON.stringify(a)} (see --help)`;
  }
  if (o.threads > 1 && o.backend !== 'wasm') return `--threads ${o.threads} applies to --backend wasm (its worker pool)`;
  return o;
};

