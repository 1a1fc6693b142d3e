/**
 * Entry point of the `catoptric` command (built by tsup as `dist/cli.js` with a `#!/usr/bin/env node`
 * banner). In development: `npx tsx src/cli/main.ts <command> ...`.
 */
import { processIo } from './io';
import { run } from './run';

run(process.argv.slice(2), processIo()).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`catoptric: internal error: ${(e as Error)?.message ?? String(e)}\n`);
    process.exitCode = 1;
  },
);
