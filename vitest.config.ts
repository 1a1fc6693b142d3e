import { defineConfig } from 'vitest/config';

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
    testTimeout: 60_000,
    pool: 'threads',
  },
});
