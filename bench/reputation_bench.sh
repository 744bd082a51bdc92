#!/usr/bin/env bash
# bench/reputation_bench.sh BUILD_DIR -- the reputation store benchmark
# (bench/reputation_bench.cc) for the memory, RocksDB and Redis Cluster stores.
#
# Starts its own Redis Cluster (3 masters + 3 replicas, Debian redis-server,
# never the system service) on free loopback ports in a temporary directory,
# runs reputation_bench against it, and stops every server on exit. Every
# wait polls with a deadline. Without redis-server/redis-cli the Redis row is
# left out.
#
# Environment: REP_BENCH_IDENTITIES (10000000), REP_BENCH_UPDATES (5000000),
# REP_BENCH_REDIS_IDENTITIES (as many, lowered when MemAvailable cannot hold
# the cluster's copy: ~900 bytes per identity over masters and replicas).
set -euo pipefail
BUILD=${1:?usage: bench/reputation_bench.sh BUILD_DIR}
BIN=$BUILD/bench/reputation_bench
[[ -x $BIN ]] || { echo "reputation_bench.sh: $BIN missing (ninja -C $BUILD reputation_bench)" >&2; exit 2; }
TMP=$(mktemp -d /tmp/rampart-rep-bench.XXXXXX)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do
    for _ in $(seq 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.05; done
    kill -9 "$p" 2>/dev/null || true
  done
  rm -rf "$TMP"
}
trap cleanup EXIT

IDS=${REP_BENCH_IDENTITIES:-10000000}
ARGS=(--identities "$IDS" --updates "${REP_BENCH_UPDATES:-5000000}" --rocksdb "$TMP/rocks")
if command -v redis-server >/dev/null && command -v redis-cli >/dev/null; then
  PORTS=()
  port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
  while (( ${#PORTS[@]} < 6 )); do
    p=$((20000 + RANDOM % 25000))
    if port_free "$p" && port_free $((p + 10000)); then PORTS+=("$p"); fi
  done
  for p in "${PORTS[@]}"; do
    redis-server --port "$p" --bind 127.0.0.1 --cluster-enabled yes --cluster-config-file "$TMP/nodes-$p.conf" \
      --cluster-node-timeout 2000 --appendonly no --save "" --dir "$TMP" --daemonize no \
      --logfile "$TMP/redis-$p.log" &
    PIDS+=($!)
  done
  for p in "${PORTS[@]}"; do
    for i in $(seq 200); do [[ $(redis-cli -p "$p" ping 2>/dev/null) == PONG ]] && break; sleep 0.05
      (( i == 200 )) && { echo "reputation_bench.sh: redis on $p did not start" >&2; exit 1; }; done
  done
  SEEDS=$(printf '127.0.0.1:%s ' "${PORTS[@]}")
  redis-cli --cluster create $SEEDS --cluster-replicas 1 --cluster-yes >"$TMP/create.log" 2>&1
  for i in $(seq 600); do
    ok=1
    for p in "${PORTS[@]}"; do
      redis-cli -p "$p" cluster info | grep -q cluster_state:ok || ok=0
      if redis-cli -p "$p" info replication | grep -q role:slave; then
        redis-cli -p "$p" info replication | grep -q master_link_status:up || ok=0
      fi
    done
    (( ok )) && break; sleep 0.1
    (( i == 600 )) && { echo "reputation_bench.sh: cluster not healthy" >&2; exit 1; }
  done
  ARGS+=(--redis "$(printf '127.0.0.1:%s,' "${PORTS[@]}" | sed 's/,$//')")
  REDIS_IDS=${REP_BENCH_REDIS_IDENTITIES:-$IDS}
  avail_kb=$(awk '/^MemAvailable:/ {print $2}' /proc/meminfo)
  fit=$(( avail_kb * 1024 / 2 / 900 ))  # half of what is available, beside the benchmark's own copy
  if (( REDIS_IDS > fit )); then
    echo "reputation_bench.sh: Redis Cluster limited to $fit identities (MemAvailable $((avail_kb / 1024)) MB)" >&2
    REDIS_IDS=$fit
  fi
  ARGS+=(--redis-identities "$REDIS_IDS")
fi
"$BIN" "${ARGS[@]}"
