#!/usr/bin/env bash
# Check the built package the way a user gets it: packed into a tarball (`npm pack`, so only the
# files users receive), installed into an empty project with its dependencies and its peer
# dependency fast-check, then loaded by name from ESM and CJS (catoptric, catoptric/laws,
# catoptric/wasm), type-checked by a strict consumer tsc without skipLibCheck, bundled, and run on
# the ort backend; the browser bundle is checked from dist/.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
dir="$(mktemp -d)"
trap 'rm -rf "$dir"' EXIT
export npm_config_fund=false npm_config_audit=false npm_config_update_notifier=false

tarball="$(cd "$root" && npm pack --silent --pack-destination "$dir" | tail -n 1)"
mkdir -p "$dir/consumer"
cd "$dir/consumer"
printf '{ "name": "consumer", "version": "1.0.0", "private": true }\n' > package.json
# npm installs the peer dependency (fast-check) too; the cache filled by `npm ci` serves it offline.
npm install --prefer-offline --no-save "$dir/$tarball" >/dev/null
for dep in fp-ts io-ts fast-check; do
  [ -d "node_modules/$dep" ] || { echo "check-package: $dep was not installed with the tarball" >&2; exit 1; }
done

cat > esm.mts <<'TS'
import { check, prim } from 'catoptric';
import { plansAgree } from 'catoptric/laws';
const r = check(prim('relu'), [[2]]);
if (r._tag !== 'Right' || typeof plansAgree !== 'function') throw new Error('esm: unexpected exports');
console.log('esm ok');
TS
cat > cjs.cts <<'TS'
import { check, prim } from 'catoptric';
import { conforms } from 'catoptric/laws';
const r = check(prim('relu'), [[2]]);
if (r._tag !== 'Right' || typeof conforms !== 'function') throw new Error('cjs: unexpected exports');
console.log('cjs ok');
TS
# Strict, and without skipLibCheck: the declarations catoptric ships (and those of its dependencies)
# must type-check in a user's project.
cat > tsconfig.json <<'JSON'
{ "compilerOptions": { "module": "node16", "moduleResolution": "node16", "target": "es2022", "strict": true,
  "skipLibCheck": false, "types": [], "outDir": "out" }, "files": ["esm.mts", "cjs.cts"] }
JSON
"$root/node_modules/.bin/tsc" -p .
node out/esm.mjs
node out/cjs.cjs

# The WebAssembly backend entry: the module is inlined, so it loads with no file access, and a term
# checked with the main entry runs on it.
cat > wasm.mjs <<'JS'
import { checkOrThrow, lowerOrThrow, prim, seq } from 'catoptric';
import { initWasm, wasmBackend } from 'catoptric/wasm';
await initWasm();
const be = wasmBackend();
const model = checkOrThrow(seq(prim('linear', { out: 3 }), prim('relu')), [[2, 4]]);
const prog = lowerOrThrow(model, be);
const p = { '0.w': be.upload({ shape: [4, 3], data: new Float32Array(12).fill(0.5) }), '0.b': be.upload({ shape: [3], data: new Float32Array(3) }) };
const { outputs } = prog.forward(p, [be.upload({ shape: [2, 4], data: new Float32Array(8).fill(1) })]);
const y = be.download(outputs[0]);
if (prog.backend !== be.name || y.data[0] !== 2) throw new Error(`wasm: unexpected output ${y.data}`);
console.log(`wasm esm ok (${prog.backend})`);
JS
cat > wasm.cjs <<'JS'
const { initWasmSync, wasmBackend } = require('catoptric/wasm');
initWasmSync();
if (typeof wasmBackend().kernel('linear') === 'undefined') throw new Error('wasm cjs: no linear kernel');
console.log('wasm cjs ok');
JS
node wasm.mjs
node wasm.cjs

# Threads from the built package: a worker pool splits a matmul bit for bit as one thread computes it,
# data-parallel training starts its workers from dist/train-worker.js, and the process exits by itself.
cat > threads.mjs <<'JS'
import { adam, checkOrThrow, id, initParams, lowerOrThrow, par, prim, seq, train } from 'catoptric';
import { initWasm, wasmBackend } from 'catoptric/wasm';
const pooled = await initWasm({ threads: 2, minWork: 0 });
await initWasm();
const one = wasmBackend();
const model = checkOrThrow(seq(par(prim('linear', { out: 5 }), id(1)), prim('mse')), [[9, 3], [9, 5]]);
const params = initParams(model, 1, 'float32');
const batch = (i) => [{ shape: [9, 3], data: Float32Array.from({ length: 27 }, (_, j) => Math.sin(i + j)) }, { shape: [9, 5], data: new Float32Array(45).fill(0.5) }];
const run = (be, workers) => train({ program: lowerOrThrow(model, be), backend: be, optimizer: adam({ lr: 0.01 }), params, steps: 3, batch, workers }).losses;
const a = run(pooled, 1), b = run(one, 1), c = run(one, 2);
if (pooled.pool.started !== 1 || a.join() !== b.join()) throw new Error(`threads: pooled ${a} vs one thread ${b}`);
if (c.some((l, i) => Math.abs(l - b[i]) > 1e-5 * b[i])) throw new Error(`threads: data-parallel ${c} vs ${b}`);
console.log('threads ok');
JS
timeout 120 node threads.mjs

# A bundler takes the "module" build: one copy of fp-ts, its ES build (the one io-ts's ES build uses too),
# and the bundle runs.
cat > app.mjs <<'JS'
import { check, prim } from 'catoptric';
import { initWasm } from 'catoptric/wasm';
const be = await initWasm();
if (check(prim('relu'), [[2]])._tag !== 'Right' || be.name !== 'wasm') throw new Error('bundled: unexpected result');
console.log('bundled ok');
JS
cat > bundle.mjs <<JS
import { createRequire } from 'node:module';
const esbuild = createRequire('$root/package.json')('esbuild');
const r = await esbuild.build({ entryPoints: ['$dir/consumer/app.mjs'], bundle: true, format: 'esm', platform: 'browser', outfile: '$dir/consumer/bundle/app.mjs', metafile: true, logLevel: 'error' });
const inputs = Object.keys(r.metafile.inputs);
const lib = inputs.filter((f) => /fp-ts\/lib\//.test(f));
const es6 = inputs.filter((f) => /fp-ts\/es6\//.test(f));
// Paths are relative and symlinks resolved: the package's files are those under its dist/.
const ours = inputs.filter((f) => /(^|\/)dist\//.test(f));
if (lib.length || !es6.length) throw new Error('bundler: expected only fp-ts/es6, got ' + lib.length + ' fp-ts/lib and ' + es6.length + ' fp-ts/es6 modules');
if (!ours.length || ours.some((f) => !/(^|\/)dist\/module\//.test(f))) throw new Error('bundler: expected dist/module, got ' + ours.join(', '));
console.log('bundler resolves fp-ts/es6 only (' + es6.length + ' modules) and dist/module');
JS
node bundle.mjs
node bundle/app.mjs

# The browser bundle: self-contained (no bare imports), and it runs.
if grep -qE "from ['\"](fp-ts|io-ts)" "$root"/dist/browser/*.js; then echo "dist/browser imports fp-ts or io-ts by name" >&2; exit 1; fi
cat > browser.mjs <<JS
const c = await import('$root/dist/browser/catoptric.js');
const be = await c.initWasm();
const m = c.checkOrThrow(c.seq(c.prim('linear', { out: 3 }), c.prim('relu')), [[2, 4]]);
if (c.lowerOrThrow(m, be).backend !== 'wasm') throw new Error('browser bundle: no wasm program');
console.log('browser bundle ok');
JS
node browser.mjs

# The ort backend: the term exported to ONNX by the installed package and run on onnxruntime-node (an
# optional peer dependency, which npm does not install; the user adds it, as this link to the root's
# dev dependency does), from ESM and CJS.
ln -s "$root/node_modules/onnxruntime-node" node_modules/onnxruntime-node
cat > ort.mjs <<'JS'
import { checkOrThrow, ortProgram, prim, seq } from 'catoptric';
const model = checkOrThrow(seq(prim('linear', { out: 3 }), prim('relu')), [[2, 4]]);
const p = await ortProgram(model);
if (p._tag !== 'Right') throw new Error(`ort esm: ${p.left.message}`);
const params = { '0.w': { shape: [4, 3], data: new Float32Array(12).fill(0.5) }, '0.b': { shape: [3], data: new Float32Array(3) } };
const { outputs, residual } = await p.right.forward(params, [{ shape: [2, 4], data: new Float32Array(8).fill(1) }]);
const { dParams } = await p.right.backward(residual, [{ shape: [2, 3], data: new Float32Array(6).fill(1) }]);
if (outputs[0].data[0] !== 2 || dParams['0.w'].data[0] !== 2) throw new Error(`ort esm: unexpected ${outputs[0].data} / ${dParams['0.w'].data}`);
await p.right.release();
console.log('ort esm ok');
JS
cat > ort.cjs <<'JS'
const { checkOrThrow, ortProgram, prim } = require('catoptric');
(async () => {
  const p = await ortProgram(checkOrThrow(prim('tanh'), [[2]]));
  if (p._tag !== 'Right') throw new Error(`ort cjs: ${p.left.message}`);
  const { outputs } = await p.right.forward({}, [{ shape: [2], data: new Float32Array([0, 1]) }]);
  if (Math.abs(outputs[0].data[1] - Math.tanh(1)) > 1e-6) throw new Error(`ort cjs: unexpected ${outputs[0].data}`);
  await p.right.release();
  console.log('ort cjs ok');
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
JS
node ort.mjs
node ort.cjs
