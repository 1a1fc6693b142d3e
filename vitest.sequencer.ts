import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * Files that take longest (most wait on child processes or worker threads), longest first, measured
 * on the 2-core machine. Vitest starts the longest files first only once its results cache has
 * timings; a fresh clone has none, and started these late by file size, so the run ended with one
 * long file alone (60 s on a fresh clone against 54 s once cached).
 */
export const slowFirst = [
  'test/examples-cli.test.ts',
  'test/ort-export.test.ts',
  'test/strings.test.ts',
  'test/spirals.test.ts',
  'test/ort-laws.test.ts',
  'test/train-parallel.test.ts',
  'test/cli.test.ts',
  'test/train-data.test.ts',
  'test/fuzz-watchdog.test.ts',
  'test/svg-bounds.test.ts',
  'test/limits.test.ts',
  'test/wasm-pool.test.ts',
  'test/chain-hostile.test.ts',
];

/** Vitest's order, with the files of {@link slowFirst} moved to the front in that order. */
export class SlowFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const rank = (f: TestSpecification) => {
      const i = slowFirst.findIndex((s) => f.moduleId.endsWith(`/${s}`));
      return i < 0 ? slowFirst.length : i;
    };
    // Array.prototype.sort is stable: the other files keep vitest's order.
    return sorted.sort((a, b) => rank(a) - rank(b));
  }
}
