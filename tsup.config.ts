import { defineConfig } from 'tsup';

export default defineConfig({
  entry: { index: 'src/index.ts', laws: 'laws/index.ts' },
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  platform: 'neutral',
  target: 'es2022',
  // fp-ts / io-ts stay external: they are dependencies, resolved by the user's node_modules.
  external: ['fp-ts', 'io-ts', /^fp-ts\//, /^io-ts\//, 'fast-check'],
  loader: { '.wasm': 'binary' },
});
