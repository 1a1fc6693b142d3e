/** Command-line options of the affine example, parsed strictly (unknown flags are refused). */
import { type StrictOptions, parseStrict } from '../strict-options';

/** Options of the affine example. */
export interface Options extends StrictOptions {
  seeds: number; steps: number; samples: number; testSamples: number; points: number; batch: number; testSize: number; window: number;
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

/** Parse argv (without node and the script) strictly: a message for anything unknown or malformed. */
export const parse = (argv: readonly string[]): Options | string =>
  parseStrict<Options>(
    argv,
    { help: false, json: false, seeds: 5, steps: 800, samples: 24, testSamples: 96, points: 24, batch: 32, testSize: 400, window: 1.5, backend: 'wasm', threads: 1 },
    {
      '--seeds': ['seeds', 1], '--steps': ['steps', 1], '--samples': ['samples', 1], '--test-samples': ['testSamples', 1], '--points': ['points', 1],
      '--batch': ['batch', 1], '--test-size': ['testSize', 1], '--threads': ['threads', 1],
    },
    (a, value, o) => {
      if (a !== '--window') return false;
      const v = value();
      const m = Number(v);
      if (v === undefined || !(m > 0 && m <= 3)) return `--window expects a number in (0, 3], got ${v === undefined ? 'nothing' : JSON.stringify(v)}`;
      o.window = m;
    },
  );
