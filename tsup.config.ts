import { defineConfig } from 'tsup';
import { browserBuilds, fpTsEs6 } from './tsup.browser.config';

// fp-ts / io-ts stay external: they are dependencies, resolved by the user's node_modules.
const external = ['fp-ts', 'io-ts', /^fp-ts\//, /^io-ts\//, 'fast-check'];
// train-worker: the data-parallel training worker (src/train/parallel.ts starts it beside the chunk that holds it)
const entry = { index: 'src/index.ts', laws: 'laws/index.ts', wasm: 'backends/wasm/index.ts', 'train-worker': 'src/train/shard-worker.ts' };

// Declarations one entry at a time: built together, types shared between entries went to a common
// chunk, and the `groups` namespace of the index then declared its type-only members as values
// (`declare const index_Mat: typeof Mat`), which a consumer's tsc without skipLibCheck rejects.
const dtsOnly = (name: keyof typeof entry) => ({
  entry: { [name]: entry[name] },
  format: ['esm', 'cjs'] as ('esm' | 'cjs')[],
  dts: { only: true },
  clean: false,
  platform: 'neutral' as const,
  target: 'es2022',
  external,
});

export default defineConfig([
  dtsOnly('index'),
  dtsOnly('laws'),
  dtsOnly('wasm'),
  dtsOnly('train-worker'),
  {
    entry,
    format: ['esm', 'cjs'],
    dts: false,
    sourcemap: true,
    // The other builds below write into dist/ too, each cleaning its own folder.
    clean: ['!module/**', '!browser/**', '!playground/**'],
    platform: 'neutral',
    target: 'es2022',
    external,
    loader: { '.wasm': 'binary' },
  },
  {
    // The ESM build bundlers pick (the "module" export condition): the same code importing fp-ts's
    // ES build, so a bundle holds one copy of fp-ts and can tree-shake it. Node's loader ignores
    // "module" and takes dist/index.js, which imports fp-ts/lib (Node cannot load fp-ts/es6).
    entry,
    outDir: 'dist/module',
    format: ['esm'],
    dts: false,
    sourcemap: true,
    clean: true,
    platform: 'neutral',
    target: 'es2022',
    external,
    // Left to the plugin, which rewrites and externalises them (tsup would keep them as they are).
    noExternal: [/^fp-ts\/lib\//],
    esbuildPlugins: [fpTsEs6(true)],
    loader: { '.wasm': 'binary' },
  },
  {
    // The `catoptric` command: one ESM file for Node with a shebang (package.json "bin").
    entry: { cli: 'src/cli/main.ts' },
    format: ['esm'],
    dts: false,
    sourcemap: false,
    clean: false,
    platform: 'node',
    target: 'node20',
    banner: { js: '#!/usr/bin/env node' },
    external,
    loader: { '.wasm': 'binary' },
  },
  ...browserBuilds,
]);
