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
  libunbound-dev libevent-dev libssl-dev libboost-dev libboost-system-dev
  libyaml-cpp-dev libgtest-dev libgmock-dev libbenchmark-dev
  # test and benchmark peers / data
  python3 python3-spf python3-dnspython python3-yaml spfquery nsd
  dnsutils iproute2 util-linux
)

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
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
# nsd is only a benchmark peer's server: never leave it running as a system service.
if command -v systemctl >/dev/null 2>&1; then $SUDO systemctl disable --now nsd >/dev/null 2>&1 || true; fi
pkill -x nsd 2>/dev/null || true
echo "install-deps: done"
