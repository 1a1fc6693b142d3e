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
