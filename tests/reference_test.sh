#!/usr/bin/env bash
# tests/reference_test.sh RAMPARTD — the operator's reference pages
# (docs/reference/: configuration keys, HTTP endpoints, metrics) must be what
# the code says: regenerate them with scripts/gen-reference.py and compare.
# On a difference: run the command printed, review, commit.
set -euo pipefail
RAMPARTD=${1:?usage: reference_test.sh RAMPARTD}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 "$ROOT/scripts/gen-reference.py" "$RAMPARTD" "$tmp"
if ! diff -u "$ROOT/docs/reference" "$tmp"; then
  echo "FAIL: docs/reference/ disagrees with the code; regenerate it:"
  echo "  scripts/gen-reference.py build/apps/rampartd/rampartd docs/reference"
  exit 1
fi
echo "PASS: docs/reference/ matches the code ($(cat "$tmp"/*.md | grep -c '^| `') entries)"
