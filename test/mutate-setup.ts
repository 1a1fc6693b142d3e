// Setup for `npm run mutate` only (vitest.mutate.config.ts); runs before every test file, after
// Stryker's own setup file.
//
// The mutate config shares one worker between test files and between mutant runs (isolate: false),
// so the library and @fast-check/vitest load once instead of once per file. Two things would then
// leak from one mutant run into the next, and this file stops both:
// - Stryker switches a mutant on in a beforeAll hook and leaves it on after the run. A module first
//   imported by a later run would evaluate its top-level code with the previous mutant on and keep
//   it. Setting the switch here, before the test file's imports, to this run's mutant (or none in the
//   initial run) keeps module loading consistent.
// - The library's own modules hold caches (FFT plans, twiddles, Clebsch–Gordan paths) and registries.
//   A table cached by an earlier, unmutated run would hide a mutant in the code that builds it.
//   Resetting the module registry makes every test file evaluate the library afresh; node_modules
//   (fast-check, fp-ts, io-ts), which vitest leaves to Node, stay loaded.
import { inject, vi } from 'vitest';

// Stryker provides these values (outside a mutation run they are undefined).
const strykerGlobal = inject('globalNamespace' as never) as string | undefined;
const mode = inject('mode' as never) as string | undefined;
const ns = strykerGlobal === undefined ? undefined : (globalThis as unknown as Record<string, { activeMutant?: string } | undefined>)[strykerGlobal];
// The mutant is switched on here, before the test file and the library load, not only in Stryker's
// beforeAll: test files compute fixtures while they are collected (describe bodies that plan a model
// and loop over the plans), which runs before any beforeAll and would see the unmutated code. With
// the library evaluated afresh per file (below), this is Stryker's 'static' activation at no cost.
if (ns !== undefined) ns.activeMutant = mode === 'mutant' ? (inject('activeMutant' as never) as string) : undefined;
vi.resetModules();
