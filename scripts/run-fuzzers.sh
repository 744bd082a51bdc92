#!/usr/bin/env bash
# run-fuzzers.sh BUILD SECONDS — run every libFuzzer target built in BUILD for
# SECONDS each, seeded from (and adding to a scratch copy of) fuzz/corpus/<target>.
set -euo pipefail
build=${1:-build-fuzz}
secs=${2:-60}
root=$(cd "$(dirname "$0")/.." && pwd)
status=0
for corpus in "$root"/fuzz/corpus/*/; do
  name=$(basename "$corpus")
  bin=$(find "$build" -type f -name "$name" -perm -u+x | head -1)
  [[ -n "$bin" ]] || { echo "fuzz: $name not built"; status=1; continue; }
  work=$(mktemp -d)
  cp -r "$corpus"/. "$work"/
  echo "== $name (${secs}s)"
  if ! "$bin" -max_total_time="$secs" -max_len=8192 -timeout=10 "$work" 2>&1 | tail -3; then status=1; fi
  rm -rf "$work"
done
exit $status
