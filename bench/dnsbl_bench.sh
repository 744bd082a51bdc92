#!/usr/bin/env bash
# bench/dnsbl_bench.sh BUILD_DIR [ENTRIES...] -- `rampart dnsbl serve` beside
# Debian's rbldnsd on the same ip4set (issue 14), driven by dnsperf in one run.
#
# For each size (default 1000000 10000000): writes an ip4set of that many
# random /32 entries (fixed seed; 1 in 16 with its own TXT), and a dnsperf
# query file of 200,000 names, half listed, half not (1 in 4 TXT). Servers:
#   rbldnsd              Debian's, single-threaded
#   rampart-1            rampart dnsbl serve --threads 1 (UDP: --udp blocking, the default)
#   rampart-1-asio       the same with --udp asio (UDP through the io_context)
#   rampart-1-nogso      rampart-1 with --udp-gso off (one send per answer)
#   rampart-2            --threads 2 (--udp-spread shared, the default: one
#                        socket, the second thread reads it while the first
#                        falls behind)
#   rampart-2-id         --threads 2 --udp-spread id (two SO_REUSEPORT sockets,
#                        each query to the socket of its ID modulo 2)
#   rampart-2-hash       --threads 2 --udp-spread hash (two SO_REUSEPORT
#                        sockets, the kernel's choice by the client's address
#                        and port, as before)
#   main-1, main-2       with DNSBL_BENCH_BASE=PATH (another build's `rampart`,
#                        e.g. main's): that binary with --threads 1 and 2, its
#                        defaults otherwise, so that a change is measured beside
#                        the code it changes in the same run
# Each server is started once with an empty set (its base RSS) and once with
# the data; then DNSBL_BENCH_ROUNDS (default 3) rounds run dnsperf for
# DNSBL_BENCH_SECONDS (default 8) against each server in turn, so that the
# servers see the same machine load, round by round. Printed per server (the
# median over the rounds):
#   qps          dnsperf's queries per second (completed)
#   cpu_us/q     server CPU (user+system, every thread, from schedstat) per query
#   q/cpu_s      queries per server CPU second (1e6 / cpu_us/q)
#   vs_rbl       the median of the per-round ratios cpu_us/q / rbldnsd's
#                cpu_us/q of the same round
#   rss_MB       resident memory with the data
#   B/entry      (RSS with the data - RSS with an empty set) / entries
#   load_s       wall/CPU seconds to load the set: rbldnsd's own "zones
#                reloaded" figures (elapsed/user), rampart's `rampart dnsbl
#                check` under bash's time (elapsed/user+system)
#   load         the 1-minute load average (uptime) when the server's last
#                round ended
# The two-thread servers also print the CPU split between their two UDP
# threads (threads named dnsbl-udp): whether both threads worked.
# Resolver-like traffic (a second table, the same servers but the -asio and
# -nogso ones): dnsperf -c 256 -q 256, 256 client sockets with at most 256
# queries outstanding, about one per socket, as a recursive resolver that
# takes a new source port per query (RFC 5452): the answers of one read
# batch go to as many client sockets, so UDP GSO never groups them (checked:
# rampart's sends equal its queries on this traffic) and each answer is a
# send of its own. The same rounds, alternating, vs_rbl against rbldnsd on
# the same traffic.
# Scaling with threads, on the first size, when the cgroup v1 cpu controller
# is writable (root; else skipped with a note): with two cores shared with
# dnsperf, giving the servers more threads cannot show more throughput. So
# each dnsbl-udp thread of rampart-1 and rampart-2 is put in a cgroup of its
# own capped at DNSBL_BENCH_CAP percent of a core (default 5: 1 ms of CPU in
# every 20 ms; 1 to 100), standing for a core of its own that is slower than
# the driver; dnsperf drives them with 32 client sockets and 2000 queries
# outstanding, so the capped threads are the bottleneck (the kernel spreads
# flows over SO_REUSEPORT sockets by hash: 4 flows over two sockets are
# 32 flows split 19:13 by hash is typical; rampart-2 and rampart-2-id do
# not split by flow).
# Printed: capped qps (the median over the rounds) and the median per-round
# ratio of each two-thread server's qps to its one-thread twin's
# (rampart-2 and rampart-2-hash to rampart-1, main-2 to main-1): 2.0 is
# linear scaling, and each UDP thread's CPU over the run in % of a core (at
# the cap: the thread was the bottleneck; below it, dnsperf or the split
# was).
# Then, on the largest size, a reload under load: rampart-1 serving the set,
# dnsperf running, SIGHUP; printed: seconds from the signal to the log line
# "reloaded" (the new set is built beside the old one and swapped), the load
# time rampart reports, and dnsperf's lost queries and response codes over
# the run (queries in flight must not fail: no SERVFAIL, nothing lost).
# Both servers and dnsperf share the machine: figures are relative; run it
# on an idle host. Every loop is bounded; servers are stopped on exit.
set -euo pipefail

BUILD=${1:?usage: bench/dnsbl_bench.sh BUILD_DIR [ENTRIES...]}
shift
SIZES=("$@")
((${#SIZES[@]})) || SIZES=(1000000 10000000)
SECONDS_RUN=${DNSBL_BENCH_SECONDS:-8}
ROUNDS=${DNSBL_BENCH_ROUNDS:-3}
RAMPART=$BUILD/apps/rampart/rampart
MAINBIN=${DNSBL_BENCH_BASE:-}
[[ -z $MAINBIN || -x $MAINBIN ]] || { echo "dnsbl bench: DNSBL_BENCH_BASE=$MAINBIN is not executable" >&2; exit 2; }
for tool in rbldnsd dnsperf /usr/bin/python3 dig; do
  command -v "$tool" >/dev/null || { echo "dnsbl bench: $tool missing (scripts/install-deps.sh)" >&2; exit 2; }
done
[[ -x $RAMPART ]] || { echo "dnsbl bench: $RAMPART not built" >&2; exit 2; }

TMP=$(mktemp -d /tmp/rampart-dnsbl-bench.XXXXXX)
chmod 755 "$TMP"
PIDS=()
CGROOT=/sys/fs/cgroup/cpu
CAP=${DNSBL_BENCH_CAP:-5}
CGROUPS=()
uncap_all() {
  local g t
  for g in "${CGROUPS[@]}"; do
    [[ -d $g ]] || continue
    while read -r t; do echo "$t" >"$CGROOT/tasks" 2>/dev/null || true; done <"$g/tasks"
    rmdir "$g" 2>/dev/null || true
  done
  CGROUPS=()
}
cleanup() {
  uncap_all
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

# CPU nanoseconds of every thread of a process (first field of schedstat).
cpu_ns() {
  local s=0 f a
  for f in /proc/"$1"/task/*/schedstat; do
    read -r a _ <"$f" 2>/dev/null || continue
    s=$((s + a))
  done
  echo "$s"
}
# The same for the threads named $2, space-separated, one figure per thread.
thread_cpu_ns() {
  local t a res=()
  for t in /proc/"$1"/task/*; do
    [[ $(cat "$t/comm" 2>/dev/null) == "$2" ]] || continue
    read -r a _ <"$t/schedstat"
    res+=("$a")
  done
  echo "${res[*]}"
}
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
load1() { cut -d' ' -f1 /proc/loadavg; }

wait_ready() {  # port pid
  for _ in $(seq 1200); do
    kill -0 "$2" 2>/dev/null || { echo "dnsbl bench: server exited" >&2; return 1; }
    if dig +tries=1 +time=1 -p "$1" @127.0.0.1 bl.bench SOA 2>/dev/null | grep -q 'status: NOERROR'; then return 0; fi
    sleep 0.5
  done
  echo "dnsbl bench: server not ready after 600 s" >&2
  return 1
}

# start SERVER FILE -> sets SPID, SPORT; logs in $TMP/SERVER.log
start() {
  local server=$1 file=$2
  SPORT=$(free_port)
  case $server in
    rbldnsd)
      local user=()
      [[ $(id -u) -eq 0 ]] && user=(-u nobody)
      rbldnsd -n "${user[@]}" -b "127.0.0.1/$SPORT" "bl.bench:ip4set:$file" >"$TMP/$server.log" 2>&1 &
      ;;
    rampart-1) "$RAMPART" dnsbl serve --listen "127.0.0.1:$SPORT" --threads 1 --check 0 "bl.bench:ip4set:$file" \
      >"$TMP/$server.log" 2>&1 & ;;
    rampart-1-asio) "$RAMPART" dnsbl serve --listen "127.0.0.1:$SPORT" --threads 1 --udp asio --check 0 \
      "bl.bench:ip4set:$file" >"$TMP/$server.log" 2>&1 & ;;
    rampart-1-nogso) "$RAMPART" dnsbl serve --listen "127.0.0.1:$SPORT" --threads 1 --udp-gso off --check 0 \
      "bl.bench:ip4set:$file" >"$TMP/$server.log" 2>&1 & ;;
    rampart-2) "$RAMPART" dnsbl serve --listen "127.0.0.1:$SPORT" --threads 2 --check 0 "bl.bench:ip4set:$file" \
      >"$TMP/$server.log" 2>&1 & ;;
    rampart-2-id) "$RAMPART" dnsbl serve --listen "127.0.0.1:$SPORT" --threads 2 --udp-spread id --check 0 \
      "bl.bench:ip4set:$file" >"$TMP/$server.log" 2>&1 & ;;
    rampart-2-hash) "$RAMPART" dnsbl serve --listen "127.0.0.1:$SPORT" --threads 2 --udp-spread hash --check 0 \
      "bl.bench:ip4set:$file" >"$TMP/$server.log" 2>&1 & ;;
    main-1 | main-2) "$MAINBIN" dnsbl serve --listen "127.0.0.1:$SPORT" --threads "${server#main-}" --check 0 \
      "bl.bench:ip4set:$file" >"$TMP/$server.log" 2>&1 & ;;
  esac
  SPID=$!
  PIDS+=("$SPID")
  wait_ready "$SPORT" "$SPID"
}

stop() {
  kill "$1" 2>/dev/null || true
  for _ in $(seq 100); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done
  kill -9 "$1" 2>/dev/null || true
}

median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{v[NR]=$1} END {if (NR) print (NR % 2 ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2); else print "nan"}'; }

# rounds "DNSPERF ARGS" SERVER... -- DNSBL_BENCH_ROUNDS rounds of dnsperf
# against each server in turn; prints a row per server (entries, name, the
# medians) and the per-round figures. Uses n, PID, PORT, RSS, BASE, LOAD.
rounds() {
  local args=$1 s p c0 c1 t0 t1 out done_q qps cpu q c v
  shift
  local -a servers=("$@") ratios=()
  local -A QPS=() CPU=() SPLIT=() LASTLOAD=() ROUND_CPU=()
  for _ in $(seq "$ROUNDS"); do
    for s in "${servers[@]}"; do
      p=${PID[$s]}
      c0=$(cpu_ns "$p")
      t0=$(thread_cpu_ns "$p" dnsbl-udp)
      # shellcheck disable=SC2086 # args are words
      out=$(dnsperf -s 127.0.0.1 -p "${PORT[$s]}" -d "$TMP/queries.txt" -l "$SECONDS_RUN" $args -t 2 2>&1 || true)
      c1=$(cpu_ns "$p")
      t1=$(thread_cpu_ns "$p" dnsbl-udp)
      done_q=$(awk '/Queries completed:/ {print $3}' <<<"$out")
      qps=$(awk '/Queries per second:/ {print $4}' <<<"$out")
      cpu=$(awk -v a="$c0" -v b="$c1" -v q="${done_q:-0}" 'BEGIN {if (q > 0) printf "%.3f", (b - a) / 1000 / q; else print "nan"}')
      QPS[$s]+=" $qps" CPU[$s]+=" $cpu" ROUND_CPU[$s]=$cpu LASTLOAD[$s]=$(load1)
      if [[ $s == *-2* ]]; then
        SPLIT[$s]+=" $(awk -v a="$t0" -v b="$t1" 'BEGIN {n = split(a, x, " "); split(b, y, " "); t = 0
          for (i = 1; i <= n; i++) { d[i] = y[i] - x[i]; t += d[i] }
          s = ""; for (i = 1; i <= n; i++) s = s (i > 1 ? "/" : "") (t ? int(100 * d[i] / t + 0.5) : 0); print s}')"
      fi
    done
    for s in "${servers[@]}"; do
      ratios+=("$s:$(awk -v a="${ROUND_CPU[$s]}" -v b="${ROUND_CPU[rbldnsd]}" 'BEGIN {printf "%.3f", a / b}')")
    done
  done
  for s in "${servers[@]}"; do
    q=$(median <<<"${QPS[$s]}")
    c=$(median <<<"${CPU[$s]}")
    v=$(printf '%s\n' "${ratios[@]}" | awk -F: -v s="$s" '$1 == s {print $2}' | median)
    awk -v n="$n" -v s="$s" -v q="$q" -v c="$c" -v v="$v" -v rss="${RSS[$s]}" -v base="${BASE[$s]}" \
      -v l="${LOAD[$s]}" -v ld="${LASTLOAD[$s]}" 'BEGIN {
      printf "%-9s %-15s %8.0f %9.2f %9.0f %7.2f %7.1f %8.1f %11s %6s\n", n, s, q, c, 1e6 / c, v, rss / 1024,
        (rss - base) * 1024 / n, l, ld }'
  done
  echo "  per round cpu_us/q:$(for s in "${servers[@]}"; do printf ' %s [%s ]' "$s" "${CPU[$s]}"; done)"
  for s in "${servers[@]}"; do
    [[ -n ${SPLIT[$s]:-} ]] && echo "  $s CPU split between its UDP threads, per round (%):${SPLIT[$s]}"
  done
  return 0
}

# capped N: the thread-scaling rounds described at the top.
capped() {
  local n=$1 s p t g i
  if [[ ! -w $CGROOT/tasks || ! -f $CGROOT/cpu.cfs_quota_us ]]; then
    echo "  scaling (capped threads): skipped, no writable cgroup v1 cpu controller at $CGROOT"
    return 0
  fi
  local -A CQ=() RQ=() USE=() RATIO=()
  for _ in $(seq "$ROUNDS"); do
    for s in "${CAPPED[@]}"; do
      p=${PID[$s]}
      local tids=()
      if [[ $s == rbldnsd ]]; then
        tids=("$p")
      else
        for t in /proc/"$p"/task/*; do [[ $(cat "$t/comm") == dnsbl-udp ]] && tids+=("${t##*/}"); done
      fi
      i=0
      for t in "${tids[@]}"; do
        g=$CGROOT/rampart-dnsbl-bench-$$-$i
        mkdir -p "$g"
        CGROUPS+=("$g")
        echo $((100000 / CAP)) >"$g/cpu.cfs_period_us"
        echo 1000 >"$g/cpu.cfs_quota_us"
        echo "$t" >"$g/tasks"
        i=$((i + 1))
      done
      local u0 u1 w0 w1
      u0=$(thread_cpu_ns "$p" dnsbl-udp)
      w0=$(date +%s%N)
      out=$(dnsperf -s 127.0.0.1 -p "${PORT[$s]}" -d "$TMP/queries.txt" -l "$SECONDS_RUN" -c 32 -q 2000 -t 2 2>&1 || true)
      u1=$(thread_cpu_ns "$p" dnsbl-udp)
      w1=$(date +%s%N)
      uncap_all
      # Each UDP thread's CPU over the run, in % of a core (the cap: saturated).
      USE[$s]+=" $(awk -v a="$u0" -v b="$u1" -v w="$((w1 - w0))" 'BEGIN {n = split(a, x, " "); split(b, y, " ")
        s = ""; for (i = 1; i <= n; i++) s = s (i > 1 ? "/" : "") sprintf("%.1f", 100 * (y[i] - x[i]) / w); print s}')"
      RQ[$s]=$(awk '/Queries per second:/ {printf "%.0f", $4}' <<<"$out")
      CQ[$s]+=" ${RQ[$s]}"
    done
    for s in "${CAPPED[@]}"; do
      [[ $s == *-1 ]] && continue
      local one=rampart-1
      [[ $s == main-* ]] && one=main-1
      RATIO[$s]+=" $(awk -v a="${RQ[$s]}" -v b="${RQ[$one]}" 'BEGIN {printf "%.2f", a / b}')"
    done
  done
  printf '  scaling (each UDP thread capped at %s%% of a core, dnsperf -c 32 -q 2000, load %s): qps' "$CAP" "$(load1)"
  for s in "${CAPPED[@]}"; do printf ' %s %.0f' "$s" "$(median <<<"${CQ[$s]}")"; done
  echo
  for s in "${CAPPED[@]}"; do
    [[ $s == *-1 ]] && continue
    local one=rampart-1
    [[ $s == main-* ]] && one=main-1
    printf '    %s/%s %s (rounds:%s)\n' "$s" "$one" "$(median <<<"${RATIO[$s]}")" "${RATIO[$s]}"
  done
  printf '    UDP threads'"'"' CPU, %% of a core, per round:'
  for s in "${CAPPED[@]}"; do printf ' %s%s;' "$s" "${USE[$s]}"; done
  echo
}

SERVERS=(rbldnsd rampart-1 rampart-1-asio rampart-1-nogso rampart-2 rampart-2-id rampart-2-hash)
CAPPED=(rampart-1 rampart-2 rampart-2-id rampart-2-hash)
RESOLVER=(rbldnsd rampart-1 rampart-2)
if [[ -n $MAINBIN ]]; then
  SERVERS+=(main-1 main-2)
  CAPPED+=(main-1 main-2)
  RESOLVER+=(main-1)
fi
printf '$SOA 1h ns1.bl.bench hostmaster.bl.bench 1 1h 10m 1w 5m\n127.0.0.2\n' >"$TMP/empty.txt"
printf '%-9s %-15s %8s %9s %9s %7s %7s %8s %11s %6s\n' entries server qps cpu_us/q q/cpu_s vs_rbl rss_MB B/entry load_s load
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
  declare -A PID PORT RSS BASE LOAD
  for s in "${SERVERS[@]}"; do
    start "$s" "$TMP/empty.txt"
    BASE[$s]=$(rss_kb "$SPID")
    stop "$SPID"
    start "$s" "$TMP/bl.txt"
    PID[$s]=$SPID PORT[$s]=$SPORT RSS[$s]=$(rss_kb "$SPID")
    if [[ $s == rbldnsd ]]; then
      l=$(grep -oP 'zones reloaded, time \K[0-9.]+e/[0-9.]+u' "$TMP/$s.log" | head -1)
      l="${l%%e/*}/${l##*e/}"
      LOAD[$s]=${l%u}
    elif [[ $s == rampart-1 ]]; then
      LOAD[$s]=$( { TIMEFORMAT='%R/%U/%S'; time "$RAMPART" dnsbl check "bl.bench:ip4set:$TMP/bl.txt" >/dev/null; } 2>&1 |
        tail -1 | awk -F/ '{printf "%s/%.2f", $1, $2 + $3}')
    else
      LOAD[$s]=-
    fi
  done
  rounds "-c 4 -q 200" "${SERVERS[@]}"
  echo "  resolver-like traffic (dnsperf -c 256 -q 256: about one query per client socket, no GSO grouping):"
  rounds "-c 256 -q 256" "${RESOLVER[@]}"
  if [[ $n == "${SIZES[0]}" ]]; then capped "$n"; fi
  if [[ $n == "${SIZES[-1]}" ]]; then
    # Reload under load: SIGHUP to rampart-1 while dnsperf runs.
    s=rampart-1
    lines0=$(grep -c reloaded "$TMP/$s.log" || true)
    dnsperf -s 127.0.0.1 -p "${PORT[$s]}" -d "$TMP/queries.txt" -l 30 -c 4 -q 200 -t 2 >"$TMP/reload.dnsperf" 2>&1 &
    DP=$!
    sleep 2
    t0=$(date +%s.%N)
    kill -HUP "${PID[$s]}"
    wall=nan
    for _ in $(seq 1200); do
      if (($(grep -c reloaded "$TMP/$s.log" || true) > lines0)); then
        wall=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN {printf "%.2f", b - a}')
        break
      fi
      sleep 0.05
    done
    wait "$DP" || true
    said=$(grep -oP 'reloaded [0-9]+ entries in \K[0-9.]+' "$TMP/$s.log" | tail -1)
    lost=$(awk '/Queries lost:/ {print $3}' "$TMP/reload.dnsperf")
    codes=$(grep -oP 'Response codes:\s+\K.*' "$TMP/reload.dnsperf" || true)
    echo "  reload of $n entries under dnsperf (rampart-1, SIGHUP): ${wall} s to swapped (load ${said} s by its log);" \
      "dnsperf over 30 s: lost ${lost:-?}, ${codes:-no responses}; load $(load1)"
  fi
  for s in "${SERVERS[@]}"; do stop "${PID[$s]}"; done
  unset PID PORT RSS BASE LOAD
done
