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
  # -max_len: at least 8 KiB, and never shorter than the largest seed (a
  # model file's seed is 263 KB: cut at 8 KiB it reaches half the code).
  largest=$(find "$corpus" -type f -printf '%s\n' | sort -n | tail -1)
  max_len=$(( ${largest:-0} > 8192 ? ${largest:-0} : 8192 ))
  echo "== $name (${secs}s, max_len $max_len)"
  # Crashes (and UBSan findings, fatal in this build) are written to
  # fuzz-crashes/<target>/ so they can be kept as regression inputs.
  crashes="$root/fuzz-crashes/$name"
  mkdir -p "$crashes"
  if ! "$bin" -max_total_time="$secs" -max_len="$max_len" -timeout=10 -artifact_prefix="$crashes/" "$work" 2>&1 | tail -3; then
    echo "fuzz: $name found a crash: $(ls "$crashes")"
    status=1
  fi
  rmdir "$crashes" 2>/dev/null || true
  rm -rf "$work"
done
exit $status
