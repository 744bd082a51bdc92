#!/usr/bin/env bash
# tests/demo_test.sh BUILD_DIR — `make run` (scripts/demo.sh) opens with the
# web console: it prints the console's URL and a one-time admin login before
# the scans, scans the demo messages (accepted, then refused), and says where
# to look. Run without a terminal, so the demo does not wait for Enter.
set -euo pipefail
BUILD=$(cd "${1:?usage: demo_test.sh BUILD_DIR}" && pwd)
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out=$(timeout 120 bash "$ROOT/scripts/demo.sh" "$BUILD" </dev/null 2>&1) || { echo "$out"; echo "FAIL: demo.sh exited $?"; exit 1; }
fail() { echo "$out"; echo "FAIL: $1"; exit 1; }
url_line=$(grep -n 'the web console: http://127\.0\.0\.1:[0-9]*/  (user admin, one-time password [A-Za-z0-9]\{8,\})' <<<"$out" | head -1) ||
  fail "no console URL with a one-time login"
first_scan=$(grep -n '/v1/scan' <<<"$out" | head -1 | cut -d: -f1)
[[ ${url_line%%:*} -lt $first_scan ]] || fail "the console URL comes after the scans"
grep -q '"action": "accept"' <<<"$out" || fail "no accepted scan"
grep -q '"action": "reject"' <<<"$out" || fail "no refused scan"
grep -q 'where to look: http://127\.0\.0\.1:[0-9]*/' <<<"$out" || fail "no 'where to look'"
grep -q 'Senders: look up 198.51.100.66' <<<"$out" || fail "no hint for the Senders page"
echo "PASS: demo_test (console URL with a one-time login first, scans accepted and refused, where to look)"
