import { configDefaults, defineConfig } from 'vitest/config';
import { alias } from './vitest.config';

// The suite as `npm run mutate` runs it: every file isolated. Stryker switches a mutant on through
// a global that module-level code reads when it loads, so each run must load the modules afresh
// (with the shared module graph of npm test, mutants in code that runs at import would never
// switch on and would survive falsely). Timed assertions are off: instrumented code is slower and
// the runner shares its process.
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
