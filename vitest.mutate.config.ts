import { configDefaults, defineConfig } from 'vitest/config';
import { alias } from './vitest.config';

// The suite as `npm run mutate` runs it (CONTRIBUTING.md, "Mutation testing"). One worker is reused
// for every test file and every mutant run (isolate: false): Stryker switches mutants on at run time
// through its global, so nothing needs a fresh process, and loading the library and
// @fast-check/vitest once instead of per file is what makes a run cheap. test/mutate-setup.ts
// re-evaluates the library's modules per file and switches the previous mutant off before they
// load. MUTATE_ISOLATE=1 restores isolated files (a fresh worker per file), to compare.
// Timed assertions are off: instrumented code is slower and the runner shares its process.
const isolate = process.env.MUTATE_ISOLATE === '1';
export default defineConfig({
  resolve: { alias },
  test: {
    include: ['test/**/*.test.ts'],
    exclude: [...configDefaults.exclude, 'test/browser/**'],
    testTimeout: 60_000,
    isolate,
    setupFiles: isolate ? [] : ['test/mutate-setup.ts'],
    env: { CATOPTRIC_NO_TIMING: '1' },
  },
});
