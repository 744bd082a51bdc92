#!/usr/bin/env bash
# bench/classify/protocol.sh [--params P] [--orders N] [--parts "first second whole"] [BUILD_DIR]
#
# The honest protocol for a change to the SMS model (src/classify/README.md):
# the SMS Spam Collection split in file order into a first half (2,787
# messages, 381 spam: the development half, tune here only) and a second half
# (2,787, 366 spam: held out, run once per kept candidate), and the whole
# corpus. For each part: TREC immediate feedback in file order and in N seeded
# random orders (`rampart classify eval --shuffle 1..N`, the same orders on
# every build), printing 1-ROCA% and FPR@99 (the share of ham flagged when 99%
# of the spam is caught) in file order and as the mean (range) over the orders.
# With `--params P` each line also shows the default beside it.
#   bash bench/classify/protocol.sh --params ppm_d=0.3 --parts first build
# BUILD_DIR (default build) must hold apps/rampart/rampart; nothing is built.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
PARAMS=""
ORDERS=10
PARTS="first second whole"
BUILD=""
while [[ $# -gt 0 ]]; do
  case $1 in
    --params) PARAMS=$2; shift 2 ;;
    --orders) ORDERS=$2; shift 2 ;;
    --parts) PARTS=$2; shift 2 ;;
    -*) echo "usage: bench/classify/protocol.sh [--params P] [--orders N] [--parts LIST] [BUILD_DIR]" >&2; exit 2 ;;
    *) BUILD=$1; shift ;;
  esac
done
BUILD=${BUILD:-$ROOT/build}
RAMPART=$BUILD/apps/rampart/rampart
[[ -x $RAMPART ]] || { echo "bench/classify/protocol.sh: $RAMPART missing (build the rampart target)" >&2; exit 2; }
[[ $ORDERS =~ ^[0-9]+$ ]] || { echo "bench/classify/protocol.sh: --orders takes a number" >&2; exit 2; }

TMP=$(mktemp -d /tmp/rampart-classify-protocol.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
python3 - "$ROOT/bench/data/sms-spam-collection/SMSSpamCollection" "$TMP" <<'PY'
import sys
src, tmp = sys.argv[1], sys.argv[2]
rows = []
with open(src, encoding='utf-8', errors='surrogateescape') as fh:
    for line in fh:
        line = line.rstrip('\r\n')
        if '\t' in line:
            rows.append(line)
half = len(rows) // 2
for name, part in (('first', rows[:half]), ('second', rows[half:]), ('whole', rows)):
    with open('%s/%s.tsv' % (tmp, name), 'w', encoding='utf-8', errors='surrogateescape') as out:
        out.writelines(r + '\n' for r in part)
PY

# run PART PARAMS: one JSON line per order (file order first).
run() {
  local part=$1 params=$2 o
  for ((o = 0; o <= ORDERS; o++)); do
    local args=(classify eval --json --corpus "$TMP/$part.tsv" --format tsv --channel sms)
    [[ -n $params ]] && args+=(--params "$params")
    ((o > 0)) && args+=(--shuffle "$o")
    "$RAMPART" "${args[@]}"
  done
}
for part in $PARTS; do
  [[ -f $TMP/$part.tsv ]] || { echo "bench/classify/protocol.sh: unknown part $part (first, second, whole)" >&2; exit 2; }
  run "$part" "" >"$TMP/$part.default.jsonl"
  [[ -n $PARAMS ]] && run "$part" "$PARAMS" >"$TMP/$part.params.jsonl"
done

# shellcheck disable=SC2086 # one argument per part
python3 - "$TMP" "$PARAMS" "$ORDERS" $PARTS <<'PY'
import json, os, sys
tmp, params, orders, parts = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4:]
def fig(path):
    r = [json.loads(l) for l in open(path)]
    out = '%.3f / %.4f' % (r[0]['roca_pct'], r[0]['fpr_at_99_tpr'])
    if len(r) > 1:
        o = r[1:]
        def span(k):
            v = [x[k] for x in o]
            return '%.3f' % (sum(v) / len(v)) if k == 'roca_pct' else '%.4f (%.4f-%.4f)' % (sum(v) / len(v), min(v), max(v))
        out += '   %d orders: %s / %s' % (len(o), span('roca_pct'), span('fpr_at_99_tpr'))
    return out
print('SMS Spam Collection, TREC immediate feedback; 1-ROCA% / FPR@99 in file order'
      + (', then the mean (FPR@99 range) over --shuffle 1..%d' % orders if orders else ''))
for part in parts:
    print('%-7s default   %s' % (part, fig(os.path.join(tmp, part + '.default.jsonl'))))
    if params:
        print('%-7s %-9s %s' % (part, params if len(params) <= 9 else 'params', fig(os.path.join(tmp, part + '.params.jsonl'))))
if params and len(params) > 9:
    print('params: ' + params)
PY
