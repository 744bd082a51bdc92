#!/usr/bin/env bash
# install-deps.sh — install every Debian package rampart's build, tests and
# benchmarks need. Idempotent: packages already present are skipped, and
# apt-get is not called at all when nothing is missing.
set -euo pipefail

PKGS=(
  # toolchain
  build-essential cmake ninja-build ccache pkg-config clang clang-format
  libclang-rt-14-dev libfuzzer-14-dev
  # libraries (see ARCHITECTURE.md)
  libexpected-dev libtomlplusplus-dev libspdlog-dev libfmt-dev
  libunbound-dev libevent-dev libssl-dev openssl libxxhash-dev libboost-dev libboost-system-dev
  libyaml-cpp-dev libgtest-dev libgmock-dev libbenchmark-dev
  # DMARC: organisational domains; report schema checks
  libpsl-dev publicsuffix libxml2-utils
  # DMARC aggregate reports as providers send them: XML, gzip, zip; Mail::DMARC
  # (Perl) reads the reports rampart writes in the interop test
  libxml2-dev zlib1g-dev libzip-dev libmail-dmarc-perl
  # mime: IDNA (UTS #46) for addresses and URLs; charsets glibc iconv lacks
  libidn2-dev libicu-dev
  # test and benchmark peers / data (ANCHORS.md)
  python3 python3-spf python3-dnspython python3-yaml spfquery nsd
  python3-dkim opendkim opendkim-tools rspamd
  # DNSBL server (issue 14): rbldnsd is the reference the differential test
  # and the benchmark compare with, dnsperf drives the load, knot is the
  # secondary that mirrors zones by AXFR/IXFR
  rbldnsd dnsperf knot
  nftables softflowd nfdump exabgp gobgpd
  # rampartd end to end: a real Postfix, swaks; reputation stores
  postfix swaks redis-server redis-tools librocksdb-dev libhiredis-dev
  # content classification peers (bench/classify)
  bogofilter spamprobe crm114 spamassassin
  dnsutils iproute2 util-linux curl
  # STIR/SHAKEN (src/channels): JSON of PASSporTs; PyJWT and cryptography make
  # the independent PASSporTs and certificates of the interop test
  nlohmann-json3-dev python3-jwt python3-cryptography
  # Kamailio asking rampartd per INVITE (deploy/kamailio, kamailio_calls_test):
  # http_client is in kamailio-utils-modules (mqueue, rtimer, dialog in kamailio;
  # no JSON module: the config speaks forms); SIPp (sip-tester) places and
  # answers the test calls
  kamailio kamailio-utils-modules sip-tester
  # the Debian package (make deb) and its test: dpkg-shlibdeps, lintian,
  # systemd-analyze for the unit, man for the pages, adduser for the user
  dpkg-dev lintian systemd man-db adduser init-system-helpers
  # promtool (Prometheus's own linter) checks the /metrics exposition in tests
  prometheus
  # web console (issue 15): Argon2id password hashes (libsodium), the bundle's
  # npm tooling (node 18 in Debian 12: esbuild, uPlot), Chromium for the
  # browser test (driven by npm playwright-core). Debian's npm package is
  # added below only when no npm command exists: a nodejs package that
  # already carries npm (NodeSource's) conflicts with it.
  libsodium-dev nodejs chromium
)

if ! command -v npm >/dev/null 2>&1; then PKGS+=(npm); fi

missing=()
for p in "${PKGS[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]} == 0)); then
  echo "install-deps: all ${#PKGS[@]} packages present"
  exit 0
fi

SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# Peers (nsd, opendkim, nfcapd, exabgp, gobgpd, ...) are started by the tests
# and benchmarks themselves on loopback: keep their packages from starting
# system services while installing (policy-rc.d, Debian's mechanism for it).
policy=/usr/sbin/policy-rc.d
own_policy=""
if [[ ! -e $policy ]]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy" >/dev/null
  $SUDO chmod +x "$policy"
  own_policy=1
fi
cleanup() { if [[ -n $own_policy ]]; then $SUDO rm -f "$policy"; fi; }
trap cleanup EXIT
# Postfix asks how to configure itself: the tests run private instances only.
echo "postfix postfix/main_mailer_type select No configuration" | $SUDO debconf-set-selections 2>/dev/null || true
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
for svc in nsd rbldnsd knot opendkim nfdump softflowd exabgp gobgpd postfix redis-server spamassassin rspamd prometheus prometheus-node-exporter kamailio; do
  if command -v systemctl >/dev/null 2>&1; then $SUDO systemctl disable --now "$svc" >/dev/null 2>&1 || true; fi
done
for proc in nsd rbldnsd knotd opendkim nfcapd softflowd exabgp gobgpd redis-server rspamd prometheus prometheus-node-exporter kamailio; do pkill -x "$proc" 2>/dev/null || true; done
echo "install-deps: done"
