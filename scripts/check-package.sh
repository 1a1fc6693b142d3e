#!/usr/bin/env bash
# Check the built package the way a user sees it: by name, from ESM and CJS, with types.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
dir="$(mktemp -d)"
trap 'rm -rf "$dir"' EXIT
mkdir -p "$dir/node_modules"
ln -s "$root" "$dir/node_modules/catoptric"
cat > "$dir/esm.mts" <<'TS'
import { check, prim } from 'catoptric';
import { plansAgree } from 'catoptric/laws';
const r = check(prim('relu'), [[2]]);
if (r._tag !== 'Right' || typeof plansAgree !== 'function') throw new Error('esm: unexpected exports');
console.log('esm ok');
TS
cat > "$dir/cjs.cts" <<'TS'
import { check, prim } from 'catoptric';
import { conforms } from 'catoptric/laws';
const r = check(prim('relu'), [[2]]);
if (r._tag !== 'Right' || typeof conforms !== 'function') throw new Error('cjs: unexpected exports');
console.log('cjs ok');
TS
cat > "$dir/tsconfig.json" <<'JSON'
{ "compilerOptions": { "module": "node16", "moduleResolution": "node16", "target": "es2022", "strict": true,
  "skipLibCheck": true, "types": [], "outDir": "out" }, "files": ["esm.mts", "cjs.cts"] }
JSON
(cd "$dir" && "$root/node_modules/.bin/tsc" -p . && node out/esm.mjs && node out/cjs.cjs)

# The WebAssembly backend entry: the module is inlined, so it loads with no file access, and a term
# checked with the main entry runs on it.
cat > "$dir/wasm.mjs" <<'JS'
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
cat > "$dir/wasm.cjs" <<'JS'
const { initWasmSync, wasmBackend } = require('catoptric/wasm');
initWasmSync();
if (typeof wasmBackend().kernel('linear') === 'undefined') throw new Error('wasm cjs: no linear kernel');
console.log('wasm cjs ok');
JS
(cd "$dir" && node wasm.mjs && node wasm.cjs)

# Threads from the built package: a worker pool splits a matmul bit for bit as one thread computes it,
# data-parallel training starts its workers from dist/train-worker.js, and the process exits by itself.
cat > "$dir/threads.mjs" <<'JS'
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
(cd "$dir" && timeout 120 node threads.mjs)

# A bundler takes the "module" build: one copy of fp-ts, its ES build (the one io-ts's ES build uses too),
# and the bundle runs.
cat > "$dir/app.mjs" <<'JS'
import { check, prim } from 'catoptric';
import { initWasm } from 'catoptric/wasm';
const be = await initWasm();
if (check(prim('relu'), [[2]])._tag !== 'Right' || be.name !== 'wasm') throw new Error('bundled: unexpected result');
console.log('bundled ok');
JS
cat > "$dir/bundle.mjs" <<JS
import { createRequire } from 'node:module';
const esbuild = createRequire('$root/package.json')('esbuild');
const r = await esbuild.build({ entryPoints: ['$dir/app.mjs'], bundle: true, format: 'esm', platform: 'browser', outfile: '$dir/out/app.js', metafile: true, logLevel: 'error' });
const inputs = Object.keys(r.metafile.inputs);
const lib = inputs.filter((f) => /fp-ts\/lib\//.test(f));
const es6 = inputs.filter((f) => /fp-ts\/es6\//.test(f));
// Paths are relative and symlinks resolved: the package's files are those under its dist/.
const ours = inputs.filter((f) => /(^|\/)dist\//.test(f));
if (lib.length || !es6.length) throw new Error('bundler: expected only fp-ts/es6, got ' + lib.length + ' fp-ts/lib and ' + es6.length + ' fp-ts/es6 modules');
if (!ours.length || ours.some((f) => !/(^|\/)dist\/module\//.test(f))) throw new Error('bundler: expected dist/module, got ' + ours.join(', '));
console.log('bundler resolves fp-ts/es6 only (' + es6.length + ' modules) and dist/module');
JS
(cd "$dir" && node bundle.mjs && node out/app.js)

# The browser bundle: self-contained (no bare imports), and it runs.
if grep -qE "from ['\"](fp-ts|io-ts)" "$root"/dist/browser/*.js; then echo "dist/browser imports fp-ts or io-ts by name" >&2; exit 1; fi
cat > "$dir/browser.mjs" <<JS
const c = await import('$root/dist/browser/catoptric.js');
const be = await c.initWasm();
const m = c.checkOrThrow(c.seq(c.prim('linear', { out: 3 }), c.prim('relu')), [[2, 4]]);
if (c.lowerOrThrow(m, be).backend !== 'wasm') throw new Error('browser bundle: no wasm program');
console.log('browser bundle ok');
JS
node "$dir/browser.mjs"

# The ort backend: the term exported to ONNX by the built package and run on onnxruntime-node (an
# optional peer dependency, installed here as a dev dependency), from ESM and CJS.
cat > "$dir/ort.mjs" <<'JS'
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
cat > "$dir/ort.cjs" <<'JS'
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
(cd "$dir" && node ort.mjs && node ort.cjs)
