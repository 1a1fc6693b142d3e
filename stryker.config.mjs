// Mutation testing (npm run mutate; not part of npm test or CI). See CONTRIBUTING.md, "Mutation testing".
// scripts/mutate.sh runs one folder (or file) at a time: MUTATE_FOLDER (default src/train) and MUTATE_REPORT_DIR.
const folder = process.env.MUTATE_FOLDER ?? 'src/train';
const reportDir = process.env.MUTATE_REPORT_DIR ?? `.mutation/${folder.replaceAll('/', '-')}`;

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  mutate: [folder.endsWith('.ts') ? folder : `${folder}/**/*.ts`],
  jsonReporter: { fileName: `${reportDir}/mutation.json` },
  htmlReporter: { fileName: `${reportDir}/mutation.html` },
  testRunner: 'vitest',
  // related: false — per-test coverage already names each mutant's test files; vitest's "related" search
  // walks every test file's imports again on each mutant run.
  vitest: { configFile: 'vitest.mutate.config.ts', related: false },
  plugins: ['@stryker-mutator/vitest-runner'],
  // Per-test coverage: each mutant runs only the tests that reach it.
  coverageAnalysis: 'perTest',
  // Two cores, shared: one or two test processes.
  concurrency: 2,
  // Module-level constants reach every test; mutating them needs a full run each. Counted as ignored.
  ignoreStatic: true,
  // Nothing type-checks the sandbox (vitest strips types), and the README test compares a file verbatim.
  disableTypeChecks: false,
  reporters: ['clear-text', 'progress', 'json', 'html'],
  timeoutMS: 30000,
  // The initial run is the whole related suite, instrumented, on a shared machine.
  dryRunTimeoutMinutes: 40,
  tempDirName: '.stryker-tmp',
  cleanTempDir: true,
};
