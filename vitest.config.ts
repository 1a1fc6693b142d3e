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
    pool: 'threads',
  },
});
