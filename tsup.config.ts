import { defineConfig } from 'tsup';

// fp-ts / io-ts stay external: they are dependencies, resolved by the user's node_modules.
const external = ['fp-ts', 'io-ts', /^fp-ts\//, /^io-ts\//, 'fast-check'];

export default defineConfig([
  {
    entry: { index: 'src/index.ts', laws: 'laws/index.ts', wasm: 'backends/wasm/index.ts' },
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    clean: true,
    platform: 'neutral',
    target: 'es2022',
    external,
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
]);
