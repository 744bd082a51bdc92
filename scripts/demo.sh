#!/usr/bin/env bash
# demo.sh BUILD — a short tour of rampart on its embedded defaults.
set -euo pipefail
build=${1:-build}
bin="$build/apps/rampart/rampart"
echo "== rampart $("$bin" version)"
"$bin" help
