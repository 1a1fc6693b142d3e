import { configDefaults, defineConfig } from 'vitest/config';
import { alias } from './vitest.config';

// The suite as `npm run mutate` runs it: every file isolated, so each mutant run loads the modules
// afresh and sees no other run's module state. Timed assertions are off: instrumented code is
// slower and the runner shares its process.
export default defineConfig({
  resolve: { alias },
  test: {
    include: ['test/**/*.test.ts'],
    exclude: [...configDefaults.exclude, 'test/browser/**'],
    testTimeout: 60_000,
    isolate: true,
    env: { CATOPTRIC_NO_TIMING: '1' },
  },
});
