import { configDefaults, defineConfig } from 'vitest/config';

import { fileURLToPath } from 'node:url';

export default defineConfig({
  // Examples import the package by name, as users do; resolve it to the sources.
  resolve: {
    alias: {
      'catoptric/laws': fileURLToPath(new URL('./laws/index.ts', import.meta.url)),
      catoptric: fileURLToPath(new URL('./src/index.ts', import.meta.url)),
    },
  },
  test: {
    include: ['test/**/*.test.ts'],
    // Browser tests run in Chromium with `npm run test:browser` (vitest.browser.config.ts).
    exclude: [...configDefaults.exclude, 'test/browser/**'],
    testTimeout: 60_000,
    // Speed (CONTRIBUTING.md, "Test suite speed"): with isolation every test file re-imported the
    // whole library and @fast-check/vitest (whose `test` wrapper takes ~1.3 s to build under
    // vitest 4.1), ~70% of the run. Without isolation each worker imports them, and instantiates
    // the shared wasm module, once. The price is that test files share module state (kernel
    // registries, the shared wasm instance): a test must not depend on running in a fresh module
    // graph, and must restore anything global it changes. Forks rather than threads so that
    // process.cpuUsage() in a timed test measures that test's worker alone.
    pool: 'forks',
    isolate: false,
  },
});
