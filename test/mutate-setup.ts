// Setup for `npm run mutate` only (vitest.mutate.config.ts); runs before every test file, after
// Stryker's own setup file.
//
// The mutate config shares one worker between test files and between mutant runs (isolate: false),
// so the library and @fast-check/vitest load once instead of once per file. Two things would then
// leak from one mutant run into the next, and this file stops both:
// - Stryker switches a mutant on in a beforeAll hook and leaves it on after the run. A module first
//   imported by a later run would evaluate its top-level code with the previous mutant on and keep
//   it. Switching it off here, before the test file's imports, keeps module loading clean.
// - The library's own modules hold caches (FFT plans, twiddles, Clebsch–Gordan paths) and registries.
//   A table cached by an earlier, unmutated run would hide a mutant in the code that builds it.
//   Resetting the module registry makes every test file evaluate the library afresh; node_modules
//   (fast-check, fp-ts, io-ts), which vitest leaves to Node, stay loaded.
import { inject, vi } from 'vitest';

// Stryker provides these two values (outside a mutation run both are undefined).
const strykerGlobal = inject('globalNamespace' as never) as string | undefined;
const activation = inject('mutantActivation' as never) as string | undefined;
const ns = strykerGlobal === undefined ? undefined : (globalThis as unknown as Record<string, { activeMutant?: string } | undefined>)[strykerGlobal];
// 'static' activation (only without ignoreStatic) switches the mutant on at load time on purpose.
if (ns !== undefined && activation !== 'static') ns.activeMutant = undefined;
vi.resetModules();
