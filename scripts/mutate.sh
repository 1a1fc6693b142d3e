#!/usr/bin/env bash
# Mutation testing with StrykerJS, one folder at a time (npm run mutate [-- options] [folder...]).
# Not part of npm test or CI: a full run takes tens of minutes on 2 cores. See CONTRIBUTING.md.
set -euo pipefail
cd "$(dirname "$0")/.."

usage() {
  cat <<'USAGE'
Usage: npm run mutate -- [--concurrency N] [--incremental] [--tests FILES] [--json] [folder or file.ts...]

Mutates the TypeScript files under each folder, or one file (default: the numerical heart —
backends/js src/prims src/plan src/train src/equivariant src/fft laws), runs the tests that
cover each mutant (Stryker's per-test coverage), and writes .mutation/<folder>/
(mutation.json, mutation.html). Ends with the score per folder (--json: as JSON).

  --concurrency N   test processes Stryker runs at once (default 2; the machine has 2 cores)
  --incremental     reuse the last run's results for this folder (.mutation/<folder>/incremental.json):
                    only mutants whose code or covering tests changed since are run again
  --tests FILES     run only these test files (comma-separated, globs allowed), e.g. a folder's
                    own unit tests: faster, and the score is then a lower bound
  --json            print the summary as JSON
  --help            this text
USAGE
}

concurrency=2
json=0
incremental=0
tests=""
folders=()
while [ $# -gt 0 ]; do
  case "$1" in
    --help | -h) usage; exit 0 ;;
    --concurrency) [ $# -ge 2 ] || { echo "mutate: --concurrency needs a number" >&2; exit 2; }; concurrency="$2"; shift 2 ;;
    --json) json=1; shift ;;
    --incremental) incremental=1; shift ;;
    --tests) [ $# -ge 2 ] || { echo "mutate: --tests needs a comma-separated list of test files" >&2; exit 2; }; tests="$2"; shift 2 ;;
    -*) echo "mutate: unknown option '$1' (see --help)" >&2; exit 2 ;;
    *) [ -d "$1" ] || [[ -f "$1" && "$1" == *.ts ]] || { echo "mutate: '$1' is neither a folder nor a .ts file" >&2; exit 2; }; folders+=("${1%/}"); shift ;;
  esac
done
[ ${#folders[@]} -gt 0 ] || folders=(backends/js src/prims src/plan src/train src/equivariant src/fft laws)

reports=()
for f in "${folders[@]}"; do
  out=".mutation/${f//\//-}"
  echo "mutate: $f -> $out" >&2
  extra=()
  [ "$incremental" -eq 0 ] || extra=(--incremental --incrementalFile "$out/incremental.json")
  [ -z "$tests" ] || extra+=(--testFiles "$tests")
  MUTATE_FOLDER="$f" MUTATE_REPORT_DIR="$out" npx stryker run stryker.config.mjs --concurrency "$concurrency" "${extra[@]}" >&2
  reports+=("$f=$out/mutation.json")
done
if [ "$json" -eq 1 ]; then node scripts/mutation-summary.mjs --json "${reports[@]}"; else node scripts/mutation-summary.mjs "${reports[@]}"; fi
