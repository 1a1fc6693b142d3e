import { defineConfig } from 'vitest/config';
import { fileURLToPath } from 'node:url';

// `npm run test:browser`: Node-side tests that drive Debian's Chromium with playwright-core against
// the built bundle (dist/browser) and playground (dist/playground). One file at a time: each opens
// its own browser, and the machine has two cores.
export default defineConfig({
  resolve: {
    alias: {
      'catoptric/laws': fileURLToPath(new URL('./laws/index.ts', import.meta.url)),
      catoptric: fileURLToPath(new URL('./src/index.ts', import.meta.url)),
    },
  },
  test: {
    include: ['test/browser/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 60_000,
    fileParallelism: false,
    pool: 'forks',
  },
});
