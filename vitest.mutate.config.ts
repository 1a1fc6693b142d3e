import { configDefaults, defineConfig } from 'vitest/config';
import { fileURLToPath } from 'node:url';
import { alias } from './vitest.config';

// The suite as `npm run mutate` runs it (CONTRIBUTING.md, "Mutation testing"). One worker is reused
// for every test file and every mutant run (isolate: false): Stryker switches mutants on at run time
// through its global, so nothing needs a fresh process, and loading the library and
// @fast-check/vitest once instead of per file is what makes a run cheap. test/mutate-setup.ts
// re-evaluates the library's modules per file and switches the previous mutant off before they
// load. MUTATE_ISOLATE=1 restores isolated files (a fresh worker per file), to compare.
// Timed assertions are off: instrumented code is slower and the runner shares its process.
const isolate = process.env.MUTATE_ISOLATE === '1';

/**
 * End-to-end tests left out of mutation runs: the command line, examples that train to an accuracy,
 * docs, pictures, ONNX export and ONNX Runtime, spec strings, the server and the wasm memory limits.
 * They exercise the scoped code only through whole programs, take ~60 of the suite's ~96 s, and
 * every mutant they reach would run them. A mutant that only they kill shows up as a survivor: the
 * score is a lower bound, and such survivors are checked against the full suite by hand.
 */
export const endToEnd = [
  'active-learning', 'affine-example', 'attention-svm', 'cli', 'codec', 'delta-parity', 'fuzz', 'onnx-proto', 'ort-export', 'ort-laws',
  'playground', 'quickstart', 'render', 'repo-links', 'search', 'serve', 'smoke', 'spec-errors', 'spec-language',
  'spirals', 'strings', 'strings-cli', 'strings-laws', 'svg-bounds', 'train-data', 'wasm-runtime',
].map((name) => `test/${name}.test.ts`);
export default defineConfig({
  // test/mutate-fast-check.ts says why @fast-check/vitest is replaced in mutation runs.
  resolve: { alias: { ...alias, '@fast-check/vitest': fileURLToPath(new URL('./test/mutate-fast-check.ts', import.meta.url)) } },
  test: {
    include: ['test/**/*.test.ts'],
    exclude: [...configDefaults.exclude, 'test/browser/**', ...(process.env.MUTATE_ALL_TESTS === '1' ? [] : endToEnd)],
    // Instrumented code on a shared machine: a 10 s training test took over 60 s at load 17.
    testTimeout: 180_000,
    isolate,
    setupFiles: isolate ? [] : ['test/mutate-setup.ts'],
    env: { CATOPTRIC_NO_TIMING: '1' },
  },
});
