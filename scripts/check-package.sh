#!/usr/bin/env bash
# Check the built package the way a user gets it: packed into a tarball (`npm pack`, so only the
# files users receive), installed into an empty project with its dependencies and its peer
# dependency fast-check, then loaded by name from ESM and CJS (catoptric, catoptric/laws,
# catoptric/wasm) and type-checked by a strict consumer tsc without skipLibCheck.
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
