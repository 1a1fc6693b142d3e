#!/usr/bin/env bash
# Rebuild the WebAssembly module from source into a temporary directory and fail if it differs from
# the committed backends/wasm/pkg (run by .ci/run after installing rustc + libstd-rust-dev-wasm32).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
node "$here/build.mjs" "$tmp" >/dev/null
status=0
for f in catoptric_wasm_bg.wasm catoptric_wasm_bytes.js catoptric_wasm.d.ts; do
  if ! cmp "$tmp/$f" "$here/pkg/$f"; then
    echo "backends/wasm/pkg/$f differs from a rebuild of backends/wasm/src: run npm run build:wasm and commit pkg/" >&2
    status=1
  fi
done
[ "$status" -eq 0 ] && echo "backends/wasm/pkg matches a rebuild from source ($(wc -c <"$here/pkg/catoptric_wasm_bg.wasm") bytes)"
exit "$status"
