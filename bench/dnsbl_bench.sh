#!/usr/bin/env bash
# bench/dnsbl_bench.sh BUILD_DIR [ENTRIES...] -- `rampart dnsbl serve` beside
# Debian's rbldnsd on the same ip4set (issue 14), driven by dnsperf in one run.
#
# For each size (default 1000000 10000000): writes an ip4set of that many
# random /32 entries (fixed seed; 1 in 16 with its own TXT), and a dnsperf
# query file of 200,000 names, half listed, half not. Then for rbldnsd and for
# rampart with one thread (--udp asio, the default, and --udp blocking) and
# with DNSBL_BENCH_THREADS (default 2):
# start it on 127.0.0.1, wait until it answers SOA, run dnsperf for
# DNSBL_BENCH_SECONDS (default 10) and print
#   qps          dnsperf's queries per second (completed)
#   cpu/query    server utime+stime over the run / queries completed
#   rss/entry    (RSS loaded - RSS of the same server with an empty set) / entries
#   load_s       wall/CPU seconds to load the set: rbldnsd's own "zones
#                reloaded" figures (elapsed/user), rampart's `rampart dnsbl
#                check` under bash's time (elapsed/user+system)
# Both servers and dnsperf share the machine: figures are relative; run it
# on an idle host. Every loop is bounded; servers are stopped on exit.
set -euo pipefail

BUILD=${1:?usage: bench/dnsbl_bench.sh BUILD_DIR [ENTRIES...]}
shift
SIZES=("$@")
((${#SIZES[@]})) || SIZES=(1000000 10000000)
SECONDS_RUN=${DNSBL_BENCH_SECONDS:-10}
THREADS=${DNSBL_BENCH_THREADS:-2}
RAMPART=$BUILD/apps/rampart/rampart
for tool in rbldnsd dnsperf /usr/bin/python3 dig; do
  command -v "$tool" >/dev/null || { echo "dnsbl bench: $tool missing (scripts/install-deps.sh)" >&2; exit 2; }
done
[[ -x $RAMPART ]] || { echo "dnsbl bench: $RAMPART not built" >&2; exit 2; }

TMP=$(mktemp -d /tmp/rampart-dnsbl-bench.XXXXXX)
chmod 755 "$TMP"
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do
    for _ in $(seq 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$p" 2>/dev/null || true
  done
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
  /usr/bin/python3 -c 'import socket
for _ in range(50):
    t = socket.socket(); t.bind(("127.0.0.1", 0)); p = t.getsockname()[1]
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        u.bind(("127.0.0.1", p)); print(p); break
    except OSError: pass
    finally: u.close(); t.close()'
}

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }

wait_ready() {  # port pid
  for _ in $(seq 1200); do
    kill -0 "$2" 2>/dev/null || { echo "dnsbl bench: server exited" >&2; return 1; }
    if dig +tries=1 +time=1 -p "$1" @127.0.0.1 bl.bench SOA 2>/dev/null | grep -q 'status: NOERROR'; then return 0; fi
    sleep 0.5
  done
  echo "dnsbl bench: server not ready after 600 s" >&2
  return 1
}

# start NAME FILE THREADS UDPMODE -> sets SPID, SPORT; logs in $TMP/NAME.log
start() {
  local name=$1 file=$2 threads=$3 mode=${4:-asio}
  SPORT=$(free_port)
  if [[ $name == rbldnsd ]]; then
    local user=()
    [[ $(id -u) -eq 0 ]] && user=(-u nobody)
    rbldnsd -n "${user[@]}" -b "127.0.0.1/$SPORT" "bl.bench:ip4set:$file" >"$TMP/$name.log" 2>&1 &
  else
    "$RAMPART" dnsbl serve --listen "127.0.0.1:$SPORT" --threads "$threads" --udp "$mode" --check 0 \
      "bl.bench:ip4set:$file" \
      >"$TMP/$name.log" 2>&1 &
  fi
  SPID=$!
  PIDS+=("$SPID")
  wait_ready "$SPORT" "$SPID"
}

stop() {
  kill "$1" 2>/dev/null || true
  for _ in $(seq 100); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done
  kill -9 "$1" 2>/dev/null || true
}

printf '$SOA 1h ns1.bl.bench hostmaster.bl.bench 1 1h 10m 1w 5m\n127.0.0.2\n' >"$TMP/empty.txt"
HZ=$(getconf CLK_TCK)
printf '%-10s %-22s %10s %12s %10s %10s %12s\n' entries server qps cpu/query_us rss_MB B/entry load_s
for n in "${SIZES[@]}"; do
  /usr/bin/python3 - "$n" "$TMP/bl.txt" "$TMP/queries.txt" <<'PY'
import random, sys
n, data, queries = int(sys.argv[1]), sys.argv[2], sys.argv[3]
rnd = random.Random(14)
addrs = [rnd.getrandbits(32) | 0x01000000 for _ in range(n)]
with open(data, "w", buffering=1 << 20) as f:
    f.write("$SOA 1h ns1.bl.bench hostmaster.bl.bench 1 1h 10m 1w 5m\n:2:Listed, see https://bl.bench/q?$\n127.0.0.2\n")
    for i, a in enumerate(addrs):
        ip = "%d.%d.%d.%d" % (a >> 24, a >> 16 & 255, a >> 8 & 255, a & 255)
        f.write(ip + (" :3:Own text for entry %d $\n" % i if i % 16 == 0 else "\n"))
with open(queries, "w") as f:
    for k in range(200000):
        a = rnd.choice(addrs) if k % 2 == 0 else rnd.getrandbits(32)
        f.write("%d.%d.%d.%d.bl.bench %s\n" % (a & 255, a >> 8 & 255, a >> 16 & 255, a >> 24, "A" if k % 4 else "TXT"))
PY
  for server in rbldnsd rampart-1-asio rampart-1-blocking "rampart-$THREADS-asio"; do
    [[ $server == "rampart-$THREADS-asio" && $THREADS == 1 ]] && continue
    IFS=- read -r name threads mode <<<"$server"
    start "$name" "$TMP/empty.txt" "${threads:-1}" "$mode"
    base_rss=$(rss_kb "$SPID")
    stop "$SPID"
    start "$name" "$TMP/bl.txt" "${threads:-1}" "$mode"
    rss=$(rss_kb "$SPID")
    c0=$(cpu_ticks "$SPID")
    out=$(dnsperf -s 127.0.0.1 -p "$SPORT" -d "$TMP/queries.txt" -l "$SECONDS_RUN" -c 4 -q 200 -t 2 2>&1 || true)
    c1=$(cpu_ticks "$SPID")
    done_q=$(awk '/Queries completed:/ {print $3}' <<<"$out")
    qps=$(awk '/Queries per second:/ {print $4}' <<<"$out")
    lost=$(awk '/Queries lost:/ {print $3}' <<<"$out")
    # Load: wall seconds / CPU seconds (user+system) of loading the set.
    if [[ $name == rbldnsd ]]; then
      load=$(grep -oP 'zones reloaded, time \K[0-9.]+e/[0-9.]+u' "$TMP/$name.log" | head -1)
      load="${load%%e/*}/${load##*e/}"
      load=${load%u}
    elif [[ $server == rampart-1-asio ]]; then
      load=$( { TIMEFORMAT='%R/%U/%S'; time "$RAMPART" dnsbl check "bl.bench:ip4set:$TMP/bl.txt" >/dev/null; } 2>&1 |
        tail -1 | awk -F/ '{printf "%s/%.2f", $1, $2 + $3}')
    else
      load=-
    fi
    stop "$SPID"
    /usr/bin/python3 - "$n" "$server" "$qps" "$done_q" "$c0" "$c1" "$HZ" "$rss" "$base_rss" "$load" "$lost" <<'PY'
import sys
n, server, qps, done, c0, c1, hz, rss, base, load, lost = sys.argv[1:]
done = int(done or 0)
cpu_us = (int(c1) - int(c0)) / int(hz) * 1e6 / done if done else float("nan")
per_entry = (int(rss) - int(base)) * 1024 / int(n)
print("%-10s %-22s %10.0f %12.2f %10.1f %10.1f %12s   (lost %s)" %
      (n, server, float(qps or 0), cpu_us, int(rss) / 1024, per_entry, load, lost))
PY
  done
done
