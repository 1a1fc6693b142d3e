import { configDefaults, defineConfig } from 'vitest/config';

import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { SlowFirstSequencer } from './vitest.sequencer';

/**
 * Test files that register primitives of their own (named test_…) or otherwise change a global
 * registry: they run isolated, so that what they register is not seen by the files that list every
 * primitive (the schema, the kernel lists). wasm-hostile grows wasm memories to 4 GiB: in a worker
 * that had already made many wasm instances, that test took 50 s instead of 1 s (most likely: V8 reserves
 * address space per memory only up to a limit, and a memory without its reservation is copied on
 * every grow).
 */
export const isolatedFiles = [
  'test/kernel-lists.test.ts',
  'test/train-utils.test.ts',
  'test/wasm-hostile.test.ts',
  // These vi.mock a library module to feed a law a wrong decoder, ORT program or Gaunt path: the mock
  // must reach modules that a shared worker may already have loaded for another file.
  'test/laws-strings-mocked.test.ts',
  'test/laws-ort-mocked.test.ts',
  'test/laws-gaunt-paths.test.ts',
  // law-sensitivity-sparse mocks src/sparse modules the same way, to feed the sparse laws a wrong spgemm or validator.
  'test/law-sensitivity-sparse.test.ts',
];

/** Examples import the package by name, as users do; resolve it to the sources. */
export const alias = {
  'catoptric/laws': fileURLToPath(new URL('./laws/index.ts', import.meta.url)),
  catoptric: fileURLToPath(new URL('./src/index.ts', import.meta.url)),
};

export default defineConfig({
  resolve: { alias },
  test: {
    testTimeout: 60_000,
    // Forks rather than threads so that process.cpuUsage() in a timed test measures that test's
    // worker alone.
    pool: 'forks',
    // One worker more than cores: several files spend seconds waiting on child processes (the CLI,
    // the example scripts, the fuzz watchdog, worker pools), and the spare worker fills those gaps.
    // Measured on the 2-core machine: 55 s wall with 2 workers, 46 s with 3, 47 s with 4.
    maxWorkers: availableParallelism() + 1,
    // The slowest files first, even without vitest's results cache (vitest.sequencer.ts).
    sequence: { sequencer: SlowFirstSequencer },
    projects: [
      {
        extends: true,
        test: {
          name: 'shared',
          include: ['test/**/*.test.ts'],
          // Browser tests run in Chromium with `npm run test:browser` (vitest.browser.config.ts).
          exclude: [...configDefaults.exclude, 'test/browser/**', ...isolatedFiles],
          // Speed (CONTRIBUTING.md, "Test suite speed"): with isolation every test file re-imported
          // the whole library and @fast-check/vitest (whose `test` wrapper takes ~1.3 s to build under
          // vitest 4.1), ~70% of the run. Without it each worker imports them, and instantiates the
          // shared wasm module, once. The price: these files share module state (kernel tables, the
          // shared wasm instance), so a test must not rely on a fresh module graph and must restore
          // anything global it changes; a file that registers something goes in `isolatedFiles`.
          isolate: false,
        },
      },
      { extends: true, test: { name: 'isolated', include: isolatedFiles, isolate: true } },
    ],
  },
});
