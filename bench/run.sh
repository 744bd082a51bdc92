#!/usr/bin/env bash
# bench/run.sh BUILD_DIR -- `make bench`: rampart's benchmarks beside the peer tools.
#
# SPF: starts its own nsd (Debian package, never the system service) on a
# loopback address with bench/spf/test.zone, then runs bench/spf/compare.py in a
# private mount namespace whose /etc/resolv.conf points at that nsd (libspf2's
# spfquery only reads the system resolver, port 53). rampart (bench/spf_bench.cc),
# libspf2 and pyspf evaluate bench/spf/queries.txt; see bench/README.md.
# Every loop is bounded; nsd is killed on exit. Needs root (unshare, mount,
# port 53). Traffic stays on 127.0.0.0/8.
#
# Reputation stores: bench/reputation_bench.sh (REP_BENCH_IDENTITIES, REP_BENCH_UPDATES,
# REP_BENCH_REDIS_IDENTITIES).
#
# Environment: SPF_BENCH_NS (default 127.0.53.53), SPF_BENCH_ROUNDS (3),
# SPF_BENCH_REPS_RAMPART (300), SPF_BENCH_REPS_LIBSPF2 (150), SPF_BENCH_REPS_PYSPF (10).
set -euo pipefail

BUILD=${1:?usage: bench/run.sh BUILD_DIR}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=$(cd "$ROOT" && mkdir -p "$BUILD" && cd "$BUILD" && pwd)
NS=${SPF_BENCH_NS:-127.0.53.53}
[[ $NS == 127.* ]] || { echo "bench: SPF_BENCH_NS must be in 127.0.0.0/8" >&2; exit 2; }
for tool in nsd nsd-control spfquery unshare /usr/bin/python3; do
  command -v "$tool" >/dev/null || { echo "bench: $tool missing (scripts/install-deps.sh)" >&2; exit 2; }
done
/usr/bin/python3 -c 'import spf, dns.resolver' 2>/dev/null ||
  { echo "bench: python3-spf / python3-dnspython missing" >&2; exit 2; }
if [[ $(id -u) -ne 0 ]]; then echo "bench: needs root (unshare -m, bind mount, port 53)" >&2; exit 2; fi

# ---- rampart's side, if the SPF and DNS modules exist yet ----
RAMPART_ARGS=()
if [[ ! -f $BUILD/build.ninja ]]; then
  # A fresh benchmark build: optimised; warnings stay warnings (-O3 can raise
  # optimiser-dependent ones that must not stop a measurement).
  cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DRAMPART_WERROR=OFF \
    >"$BUILD/.bench-cmake.log" 2>&1 ||
    echo "bench: cmake failed (see $BUILD/.bench-cmake.log); peers only" >&2
fi
if [[ -f $BUILD/build.ninja ]] && ninja -C "$BUILD" -t targets all 2>/dev/null | grep -q '^spf_bench:'; then
  if ninja -C "$BUILD" spf_bench >"$BUILD/.bench-build.log" 2>&1; then
    RAMPART_ARGS=(--rampart "$BUILD/bench/spf_bench")
    if grep -qE 'CMAKE_BUILD_TYPE:STRING=(Debug|)$|RAMPART_SANITIZE:BOOL=ON' "$BUILD/CMakeCache.txt"; then
      echo "bench: note: $BUILD is a Debug or sanitizer build; rampart's figures are pessimistic" >&2
    fi
    echo "rampart: $(grep -oP 'CMAKE_BUILD_TYPE:STRING=\K.*' "$BUILD/CMakeCache.txt") build in $BUILD"
  else
    echo "bench: building spf_bench failed (see $BUILD/.bench-build.log); peers only" >&2
  fi
fi

# ---- nsd on loopback, our own config, killed on exit ----
TMP=$(mktemp -d /tmp/rampart-spf-bench.XXXXXX)
NSD_PID=""
cleanup() {
  if [[ -n $NSD_PID ]]; then
    kill "$NSD_PID" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$NSD_PID" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$NSD_PID" 2>/dev/null || true
  fi
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

cp "$ROOT/bench/spf/test.zone" "$TMP/test.zone"
cat >"$TMP/nsd.conf" <<CONF
server:
  ip-address: $NS
  port: 53
  do-ip6: no
  server-count: 1
  username: ""
  chroot: ""
  zonesdir: "$TMP"
  pidfile: "$TMP/nsd.pid"
  database: ""
  zonelistfile: "$TMP/zone.list"
  xfrdfile: "$TMP/xfrd.state"
  xfrdir: "$TMP"
  logfile: "$TMP/nsd.log"
  hide-version: yes
  verbosity: 1
  # no response rate limiting: the benchmark is one client sending bursts
  rrl-ratelimit: 0
  rrl-whitelist-ratelimit: 0
remote-control:
  control-enable: yes
  control-interface: "$TMP/nsd.ctl"
zone:
  name: "test."
  zonefile: "test.zone"
CONF
nsd-checkconf "$TMP/nsd.conf"
nsd -d -c "$TMP/nsd.conf" >"$TMP/nsd.out" 2>&1 &
NSD_PID=$!
ready=""
for _ in $(seq 50); do
  if dig +short +time=1 +tries=1 -p 53 "@$NS" TXT gmail.test 2>/dev/null | grep -q spf1; then ready=1; break; fi
  kill -0 "$NSD_PID" 2>/dev/null || break
  sleep 0.1
done
if [[ -z $ready ]]; then
  echo "bench: nsd did not come up on $NS:53:" >&2
  cat "$TMP/nsd.out" "$TMP/nsd.log" >&2 2>/dev/null || true
  exit 1
fi

echo "nameserver $NS" >"$TMP/resolv.conf"
echo "options attempts:1 timeout:2" >>"$TMP/resolv.conf"
echo "== SPF =="
unshare -m --propagation private bash -c '
  mount --bind "$1" /etc/resolv.conf && shift && exec "$@"' _ "$TMP/resolv.conf" \
  /usr/bin/python3 "$ROOT/bench/spf/compare.py" --queries "$ROOT/bench/spf/queries.txt" \
  --ns "$NS" --nsd-conf "$TMP/nsd.conf" --tmp "$TMP" "${RAMPART_ARGS[@]}" \
  --rounds "${SPF_BENCH_ROUNDS:-3}" --reps-rampart "${SPF_BENCH_REPS_RAMPART:-300}" \
  --reps-libspf2 "${SPF_BENCH_REPS_LIBSPF2:-150}" --reps-pyspf "${SPF_BENCH_REPS_PYSPF:-10}"

# ---- the other benchmarks: each prints its own figures and peer ratios ----
bench_target() {  # bench_target TARGET ARGS... — build TARGET in $BUILD and run it
  local target=$1
  shift
  if ! ninja -C "$BUILD" -t targets all 2>/dev/null | grep -q "^$target:"; then
    echo "bench: $target is not part of this build" >&2
    return 0
  fi
  if ninja -C "$BUILD" "$target" >"$BUILD/.bench-build-$target.log" 2>&1; then
    "$BUILD/bench/$target" "$@"
  else
    echo "bench: building $target failed (see $BUILD/.bench-build-$target.log)" >&2
  fi
}

echo
echo "== DKIM verify (rampart vs the OpenSSL floor vs dkimpy) =="
bench_target dkim_bench --messages "${DKIM_BENCH_MESSAGES:-1000}" --reps "${DKIM_BENCH_REPS:-5}"

echo
echo "== STIR/SHAKEN verify: rampart with a warm certificate cache beside OpenSSL's ES256 verify alone =="
bench_target stir_bench --seconds "${STIR_BENCH_SECONDS:-3}"
echo

echo "== SMS/IM verdicts per second on one core (JSON parse + verdict) =="
bench_target messages_bench --messages "${MESSAGES_BENCH_MESSAGES:-500000}"
echo

echo "== calls: the latency Kamailio sees per INVITE with rampartd screening, beside Kamailio alone =="
if ninja -C "$BUILD" rampartd >"$BUILD/.bench-build-rampartd.log" 2>&1; then
  /usr/bin/python3 "$ROOT/bench/calls_latency.py" "$BUILD/apps/rampartd/rampartd" ||
    echo "bench: calls_latency failed" >&2
  echo "rampartd alone (POST /v1/calls round trips, no Kamailio):"
  /usr/bin/python3 "$ROOT/bench/calls_http_latency.py" "$BUILD/apps/rampartd/rampartd" ||
    echo "bench: calls_http_latency failed" >&2
else
  echo "bench: building rampartd failed (see $BUILD/.bench-build-rampartd.log)" >&2
fi
echo

echo "== Members' exchange: items/s published and applied per core (goal 100k) =="
bench_target exchange_bench --items "${EXCHANGE_BENCH_ITEMS:-200000}"
echo "== Members' exchange: A's publish to C's zone answering, three rampartd on loopback (goal 2 s) =="
if ninja -C "$BUILD" rampartd rampart >"$BUILD/.bench-build-exchange.log" 2>&1; then
  /usr/bin/python3 "$ROOT/bench/exchange_latency.py" "$BUILD/apps/rampartd/rampartd" "$BUILD/apps/rampart/rampart" \
    "${EXCHANGE_LATENCY_ITEMS:-50}" || echo "bench: exchange_latency failed" >&2
else
  echo "bench: building rampartd failed (see $BUILD/.bench-build-exchange.log)" >&2
fi
echo

echo "== MIME parsing =="
bench_target mime_bench --benchmark_min_time=1

echo
echo "== flow records (NetFlow v9 / IPFIX decode + detector vs nfdump) =="
bench_target flows_bench "${FLOWS_BENCH_RECORDS:-2000000}" "${FLOWS_BENCH_ROUNDS:-5}"

echo
echo "== content classification, TREC immediate feedback (rampart vs bogofilter, spamprobe, crm114, SpamAssassin Bayes) =="
# The peers take minutes per corpus (a process per message); CLASSIFY_BENCH_LIMIT=N cuts each corpus.
if [[ -n ${CLASSIFY_BENCH_LIMIT:-} ]]; then
  bash "$ROOT/bench/classify/run.sh" "$BUILD" --limit "$CLASSIFY_BENCH_LIMIT" || echo "bench: classify run failed" >&2
else
  bash "$ROOT/bench/classify/run.sh" "$BUILD" || echo "bench: classify run failed" >&2
fi

echo
echo "== rampartd: milter and HTTP, beside rspamd (milter proxy, /checkv2) and OpenDKIM (DKIM only) =="
# bench/milter_bench.cc starts rampartd, then rspamd and opendkim (each from a
# temp dir, in the foreground, resolving only through the bench's loopback DNS
# server; bench/rspamd/, bench/milter_opendkim.conf) and kills each when done,
# also on SIGINT/SIGTERM. First one client with every cache warm
# (MILTER_BENCH_MESSAGES, 5000), then realistic traffic through both milters
# side by side: MILTER_BENCH_ROUNDS (3) rounds of new, repeat and mixed
# clients, MILTER_BENCH_SESSIONS (500) SMTP sessions of
# MILTER_BENCH_PER_SESSION (4) messages each; the ratio per round, the load.
MILTER_PEERS=()
if command -v rspamd >/dev/null; then MILTER_PEERS+=(--rspamd "$(command -v rspamd)"); else
  echo "bench: rspamd missing (scripts/install-deps.sh); rampartd alone" >&2
fi
if [[ -x /usr/sbin/opendkim ]]; then MILTER_PEERS+=(--opendkim /usr/sbin/opendkim); fi
if ninja -C "$BUILD" rampartd >"$BUILD/.bench-build-rampartd.log" 2>&1; then
  bench_target milter_bench --rampartd "$BUILD/apps/rampartd/rampartd" "${MILTER_PEERS[@]}" \
    --messages "${MILTER_BENCH_MESSAGES:-5000}" --sessions "${MILTER_BENCH_SESSIONS:-500}" \
    --per-session "${MILTER_BENCH_PER_SESSION:-4}" --rounds "${MILTER_BENCH_ROUNDS:-3}" ||
    echo "bench: milter_bench reported failures" >&2
else
  echo "bench: building rampartd failed (see $BUILD/.bench-build-rampartd.log)" >&2
fi

echo
echo "== rampartd event loops: scans per second with 1 and 2 loops (POST /v1/scan and milter) =="
# The same bench/milter_bench.cc traffic on LOOPS_BENCH_CLIENTS (4)
# connections at once, all driven by one thread of the bench, through
# rampartd --loops 1, then --loops 2, LOOPS_BENCH_ROUNDS (3) times
# alternated (issue 11: 2 loops >= 1.8x one loop on 2 cores). Per round and
# loop count it prints scans/s, rampartd's CPU per scan (its loop threads +
# its other threads, from /proc/PID/task/*/schedstat), the client's CPU per
# scan (getrusage of the bench), each loop's share of the scans
# (rampart_loop_messages_total{loop}), the load, and the ratio the measured
# CPU allows on this machine's cores; then the median ratio. POST /v1/scan
# keeps LOOPS_BENCH_PIPELINE (64; 16 before loops4) in flight per connection,
# topped up 32 at a time (client ~5 % of rampartd's CPU; with 16 in flight
# each loop's queue ran dry while the client waited for a core, see
# bench/README.md "loops4"); the milter line is one message at a time per connection,
# as an MTA (client ~30 %: two loopback round trips per message).
# LOOPS_BENCH_MESSAGES (20000) per run.
if ninja -C "$BUILD" rampartd >"$BUILD/.bench-build-rampartd.log" 2>&1; then
  bench_target milter_bench --rampartd "$BUILD/apps/rampartd/rampartd" --loops 1,2 --sessions 0 \
    --loop-rounds "${LOOPS_BENCH_ROUNDS:-3}" --clients "${LOOPS_BENCH_CLIENTS:-4}" \
    --pipeline "${LOOPS_BENCH_PIPELINE:-64}" --messages "${LOOPS_BENCH_MESSAGES:-20000}" ||
    echo "bench: milter_bench (loops) reported failures" >&2
else
  echo "bench: building rampartd failed (see $BUILD/.bench-build-rampartd.log)" >&2
fi

echo
echo "== reputation stores: in-memory, RocksDB, Redis Cluster (REP_BENCH_IDENTITIES, default 10 M) =="
# bench/reputation_bench.sh starts its own Redis Cluster (3 masters + 3
# replicas, redis-server from a temp dir on free loopback ports, killed on
# exit) and a RocksDB in a temp dir; about 4 minutes on 2 cores.
if ninja -C "$BUILD" -t targets all 2>/dev/null | grep -q '^reputation_bench:'; then
  if ninja -C "$BUILD" reputation_bench >"$BUILD/.bench-build-reputation_bench.log" 2>&1; then
    bash "$ROOT/bench/reputation_bench.sh" "$BUILD" || echo "bench: reputation_bench reported failures" >&2
  else
    echo "bench: building reputation_bench failed (see $BUILD/.bench-build-reputation_bench.log)" >&2
  fi
else
  echo "bench: reputation_bench is not part of this build" >&2
fi

echo
echo "== reputation classes: the sender-population simulator (4 simulated weeks, seed 1) =="
# bench/reputation_sim.cc: newsletters, transactional and personal senders,
# snowshoe spammers, hijacked domains, bots; precision and recall per class
# and hours until each bad sender is classed. About 15 s.
if ninja -C "$BUILD" reputation_sim >"$BUILD/.bench-build-reputation_sim.log" 2>&1; then
  "$BUILD/bench/reputation_sim" --weeks 4 --seed 1 || echo "bench: reputation_sim failed" >&2
else
  echo "bench: building reputation_sim failed (see $BUILD/.bench-build-reputation_sim.log)" >&2
fi

echo
echo "== DNSBL server: rampart dnsbl serve beside rbldnsd on the same 1 M and 10 M entry ip4set (dnsperf) =="
# bench/dnsbl_bench.sh: qps, CPU per query, RSS per entry, load time, thread
# scaling (capped threads), a 10 M reload under load
# (DNSBL_BENCH_SIZES, DNSBL_BENCH_SECONDS, DNSBL_BENCH_ROUNDS, DNSBL_BENCH_CAP).
if ninja -C "$BUILD" rampart >"$BUILD/.bench-build-rampart.log" 2>&1; then
  # shellcheck disable=SC2086
  bash "$ROOT/bench/dnsbl_bench.sh" "$BUILD" ${DNSBL_BENCH_SIZES:-1000000 10000000} ||
    echo "bench: dnsbl bench failed" >&2
else
  echo "bench: building rampart failed (see $BUILD/.bench-build-rampart.log)" >&2
fi

echo
echo "== blind evaluation: sender classes and bot detection on populations they were not tuned on =="
# bench/blind/evaluate.sh: the independent generators (bench/blind/README.md)
# with the held-out seeds, scored by bench/blind/score_*.py. BLIND_SCALE
# (default 1: ~5 M events and ~4 M flows, a few minutes) shrinks them.
if ninja -C "$BUILD" rampart >"$BUILD/.bench-build-rampart.log" 2>&1; then
  bash "$ROOT/bench/blind/evaluate.sh" "$BUILD" "${BLIND_SCALE:-1}" || echo "bench: blind evaluation failed" >&2
else
  echo "bench: building rampart failed (see $BUILD/.bench-build-rampart.log)" >&2
fi

echo
echo "== rampartd under hostile clients: the good client's latency while each attack runs =="
# tests/rampartd_hostile_test (label e2e): a real rampartd, a well-behaved
# client scanning from 127.0.1.1 and each attack of issue 11 from its own
# loopback address, alone and all at once. It prints one row per phase (scans
# sent and answered, median / p99 / max latency in ms, the daemon's peak RSS)
# and fails if a scan goes unanswered, the median passes 100 ms or p99 1 s.
if ninja -C "$BUILD" rampartd_hostile_test rampartd >"$BUILD/.bench-build-hostile.log" 2>&1; then
  RAMPARTD_BIN="$BUILD/apps/rampartd/rampartd" "$BUILD/tests/rampartd_hostile_test" --gtest_brief=1 || echo "bench: the hostile-client suite failed" >&2
else
  echo "bench: building rampartd_hostile_test failed (see $BUILD/.bench-build-hostile.log)" >&2
fi
