import { defineConfig, mergeConfig } from 'vitest/config';
import base from './vitest.config';

// The suite as `npm run mutate` runs it. Isolated: Stryker activates a mutant by a global that
// module-level code reads when it loads, so each run must load the modules afresh (with the shared
// module graph of npm test, mutants in code that runs at import would never switch on and would
// survive falsely). Timed assertions are off: instrumented code is slower and the runner shares
// its process.
export default mergeConfig(
  base,
  defineConfig({
    test: { isolate: true, env: { CATOPTRIC_NO_TIMING: '1' } },
  }),
);
