#!/usr/bin/env bash
# demo.sh BUILD — a short tour of rampart on its embedded defaults (`make run`).
# Everything runs locally: DNS answers come from deploy/demo/example.zone.
set -euo pipefail
build=${1:-build}
root=$(cd "$(dirname "$0")/.." && pwd)
bin="$build/apps/rampart/rampart"
zone="$root/deploy/demo/example.zone"
step() { printf '\n\033[1m== %s\033[0m\n$ %s\n' "$1" "${*:2}"; "${@:2}"; }

echo "rampart demo — $("$bin" version)"
echo "DNS for this demo comes from $zone (no network)."

step "SPF: a server of the domain itself (RFC 7208)" \
  "$bin" spf --ip 192.0.2.25 --helo mx1.example.com --mail-from alice@example.com --zone "$zone"
step "SPF: the domain's email provider, through include:" \
  "$bin" spf --ip 203.0.113.9 --helo mta.mailer.example.net --mail-from alice@example.com --zone "$zone"
step "SPF: a stranger — fail, with the domain's own explanation (exp=)" \
  "$bin" spf --ip 198.51.100.66 --helo spammer.example --mail-from ceo@example.com --zone "$zone"
step "SPF: a macro lookup (exists:%{i}._spf...), as JSON" \
  "$bin" spf --ip 203.0.113.77 --helo news.example.com --mail-from news@news.example.com --zone "$zone" --json
step "Sender ID: the Purported Responsible Address (RFC 4407) checked against spf2.0/pra (RFC 4406)" \
  "$bin" senderid --ip 198.51.100.20 --message "$root/deploy/demo/newsletter.eml" --zone "$zone"
if [[ -f "$root/tests/data/flows/ctu13-1-capture20110810.binetflow" ]] && "$bin" help | grep -q '^  flows'; then
  step "Zombies: a CTU-13 botnet capture (Neris, scenario 1), one JSON line per infected host" \
    "$bin" flows detect --input "$root/tests/data/flows/ctu13-1-capture20110810.binetflow" --format binetflow \
    --subscribers 147.32.0.0/16 --json
fi
printf '\nMore: %s help; each command documents itself at the top of apps/rampart/*_cmd.cc.\n' "$bin"
