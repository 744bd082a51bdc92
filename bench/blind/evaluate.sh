#!/usr/bin/env bash
# bench/blind/evaluate.sh BUILD_DIR [SCALE] — the blind evaluation of issue 13.
#
# Generates each population of the two blind generators (bench/blind/*_gen.py,
# written by someone who never saw the detectors) with the held-out seeds
# of the current round (bench/blind/README.md: senders 1002, flows 2002; nobody
# looks at their output while tuning; 1001/2001 were round 1's), runs
# `rampart reputation replay` and `rampart flows detect` on them through the
# scorers (score_senders.py, score_flows.py, written from the format alone),
# and prints one table per detector. SCALE (default 1) shrinks the worlds for
# a quick look. Output files go to bench/out/blind (git-ignored).
set -euo pipefail
BUILD=${1:?usage: bench/blind/evaluate.sh BUILD_DIR [SCALE]}
SCALE=${2:-${BLIND_SCALE:-1}}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
RAMPART=$(cd "$ROOT" && cd "$BUILD" && pwd)/apps/rampart/rampart
[[ -x $RAMPART ]] || { echo "blind: $RAMPART not built" >&2; exit 2; }
OUT=$ROOT/bench/out/blind
mkdir -p "$OUT"
SENDERS_SEED=${BLIND_SENDERS_SEED:-1002}
FLOWS_SEED=${BLIND_FLOWS_SEED:-2002}
status=0

echo "-- sender classes (seed $SENDERS_SEED, scale $SCALE): macro-F1 goal >= 0.95, 0 bulk called spammer"
for pop in $(python3 "$ROOT/bench/blind/senders_gen.py" --list); do
  dir=$OUT/senders-$pop-$SENDERS_SEED
  python3 "$ROOT/bench/blind/senders_gen.py" --seed "$SENDERS_SEED" --population "$pop" --scale "$SCALE" --out "$dir"
  echo "population $pop:"
  python3 "$ROOT/bench/blind/score_senders.py" "$RAMPART" "$dir" || status=1
done

echo
echo "-- bots from flows (seed $FLOWS_SEED, scale $SCALE): F1 goal >= 0.97 per host and 2-minute window"
dirs=()
for pop in $(python3 "$ROOT/bench/blind/flows_gen.py" --list); do
  dir=$OUT/flows-$pop-$FLOWS_SEED
  python3 "$ROOT/bench/blind/flows_gen.py" --seed "$FLOWS_SEED" --population "$pop" --scale "$SCALE" --out "$dir"
  dirs+=("$dir")
done
python3 "$ROOT/bench/blind/score_flows.py" "$RAMPART" "${dirs[@]}" || status=1
exit $status
