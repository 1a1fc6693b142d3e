// `@fast-check/vitest` as `npm run mutate` sees it (aliased in vitest.mutate.config.ts; never in
// `npm test`). Two reasons, both about mutant runs, which each start a fresh vitest worker:
// - importing the real module builds its `test` wrapper over every chain of vitest 4.1's modifiers,
//   ~1.3 s on a quiet machine and 5 s at load 11: most of a mutant run;
// - the real `test.prop` names each test `… (with seed=S)` with a fresh random S per run, and
//   Stryker picks a mutant's tests by the names it saw in its initial run, so in mutant runs every
//   property test was filtered out and mutants only they reach "survived". Here the seed is fixed
//   (MUTATE_SEED, default 1): the same names, and the same cases, in every run.
// Only what the tests use is provided: `fc`, and `test`/`it` as vitest's plus `.prop([arbs], params)`.
import * as fc from 'fast-check';
import { test as vitestTest } from 'vitest';

const seed = Number(process.env.MUTATE_SEED ?? 1);

const prop =
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  (arbitraries: fc.Arbitrary<any>[], params: fc.Parameters<any> = {}) =>
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    (name: string, body: (...xs: any[]) => unknown, timeout?: number): void => {
      const s = params.seed ?? seed;
      vitestTest(
        `${name} (with seed=${s})`,
        async () => {
          // eslint-disable-next-line @typescript-eslint/no-explicit-any
          const property = (fc.asyncProperty as (...a: any[]) => fc.IAsyncProperty<any[]>)(...arbitraries, async (...xs: unknown[]) => body(...xs));
          await fc.assert(property, { ...params, seed: s });
        },
        timeout,
      );
    };

const test = Object.assign((...args: Parameters<typeof vitestTest>) => vitestTest(...args), { prop });
export { fc, test, test as it };
