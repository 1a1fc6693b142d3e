/**
 * The browser builds: the self-contained bundle (`dist/browser/`) and the playground
 * (`dist/playground/`). `npm run build` runs these after the package build; `npm run build:browser`
 * runs only these (the browser tests and `npm run playground` need nothing else).
 */
import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Plugin } from 'esbuild';
import { defineConfig, type Options } from 'tsup';

/**
 * The sources import fp-ts's CommonJS build (`fp-ts/lib/X.js`, what Node's ESM loader can read).
 * Bundled code should use its ES build (`fp-ts/es6/X.js`), which io-ts's ES build imports too:
 * otherwise a bundle holds both copies and cannot tree-shake either. With `external`, the import is
 * rewritten and left to the user's bundler; without, it is resolved and bundled.
 */
export const fpTsEs6 = (external: boolean): Plugin => ({
  name: 'fp-ts-es6',
  setup(build) {
    build.onResolve({ filter: /^fp-ts\/lib\// }, async (args) => {
      const path = args.path.replace(/^fp-ts\/lib\//, 'fp-ts/es6/');
      if (external) return { path, external: true };
      const r = await build.resolve(path, { kind: args.kind, resolveDir: args.resolveDir });
      return r.errors.length ? { errors: r.errors } : { path: r.path };
    });
  },
});

/** The playground imports the library as `catoptric/browser`: at run time, the bundle beside it. */
const browserBundle: Plugin = {
  name: 'catoptric-browser-bundle',
  setup(build) {
    build.onResolve({ filter: /^catoptric\/browser$/ }, () => ({ path: '../browser/catoptric.js', external: true }));
  },
};

/** Every example spec, `examples/NAME/FILE.json`, as `[{ file, text }]` sorted by file. */
const exampleSpecs = (): { file: string; text: string }[] =>
  readdirSync('examples', { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .flatMap((d) =>
      readdirSync(join('examples', d.name))
        .filter((f) => f.endsWith('.json'))
        .map((f) => ({ file: `examples/${d.name}/${f}`, text: readFileSync(join('examples', d.name, f), 'utf8') })),
    )
    .sort((a, b) => a.file.localeCompare(b.file));

export const browserBuilds: Options[] = [
  {
    // One file a page can import: the library, the wasm backend, fp-ts and io-ts. The laws are a
    // second entry sharing its chunk (one primitive registry); they carry fast-check, which the npm
    // package leaves to the user as a peer dependency but a plain page has no resolver for.
    entry: { catoptric: 'src/browser.ts', laws: 'laws/index.ts' },
    outDir: 'dist/browser',
    format: ['esm'],
    dts: false,
    sourcemap: true,
    clean: true,
    platform: 'browser',
    target: 'es2022',
    splitting: true,
    noExternal: [/^fp-ts/, /^io-ts/, /^fast-check/],
    esbuildPlugins: [fpTsEs6(false)],
    loader: { '.wasm': 'binary' },
  },
  {
    entry: { main: 'playground/main.ts', worker: 'playground/worker.ts' },
    outDir: 'dist/playground',
    format: ['esm'],
    dts: false,
    sourcemap: true,
    clean: true,
    platform: 'browser',
    target: 'es2022',
    splitting: false,
    esbuildPlugins: [browserBundle],
    async onSuccess() {
      mkdirSync('dist/playground', { recursive: true });
      for (const f of ['index.html', 'style.css']) copyFileSync(join('playground', f), join('dist/playground', f));
      writeFileSync('dist/playground/examples.json', JSON.stringify(exampleSpecs()));
    },
  },
];

export default defineConfig(browserBuilds);
