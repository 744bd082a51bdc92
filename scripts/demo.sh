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
daemon="$build/apps/rampartd/rampartd"
if [[ -x $daemon ]] && command -v curl >/dev/null; then
  printf '\n\033[1m== rampartd: the inline filter, on its embedded defaults (DNS from the demo zone)\033[0m\n'
  out=$(mktemp)
  msg=$(mktemp)
  conf=$(mktemp)
  # The HTTP API's writes need a token: one with the rights this tour uses.
  printf '\n$ rampart token new demo --rights scan,read,events\n'
  tok=$("$bin" token new demo --rights scan,read,events)
  printf '%s\n' "$tok"
  token=$(head -n 1 <<<"$tok")
  tail -n +2 <<<"$tok" >"$conf"
  auth="Authorization: Bearer $token"
  # The web console (src/console), when its bundle is built: a one-time admin in a scratch data directory.
  data=$(mktemp -d)
  console_pw=""
  if [[ -f $build/web/index.html ]]; then
    console_pw=$(head -c 12 /dev/urandom | base64 | tr -d '/+=')
    printf '
$ rampart user add admin --role admin --data-dir DATA   (password from stdin)
'
    printf '%s\n' "$console_pw" | "$bin" user add admin --role admin --data-dir "$data"
    printf '[console]\nenabled = true\nlisten = "127.0.0.1:0"\nassets = "%s"\nsample_s = 2\n' "$(cd "$build" && pwd)/web" >>"$conf"
  fi
  "$daemon" --config "$conf" --zone "$zone" --milter 127.0.0.1:0 --http 127.0.0.1:0 --data-dir "$data" >"$out" 2>/dev/null &
  pid=$!
  trap 'kill $pid 2>/dev/null || true; rm -rf "$out" "$msg" "$conf" "$data"' EXIT
  for _ in $(seq 100); do grep -q ready "$out" && break; sleep 0.05; done
  cat "$out"
  http=$(grep -oP 'http \K[0-9.]+:[0-9]+' "$out")
  console=$(grep -oP 'console \K[0-9.]+:[0-9]+' "$out" || true)
  if [[ -n $console ]]; then
    printf '\n\033[1m== the web console: http://%s/  (user admin, one-time password %s)\033[0m\n' "$console" "$console_pw"
    echo "   Open it now: the scans below show on Live as they happen."
  fi
  printf 'From: Alice <alice@example.com>\r\nTo: bob@receiver.example\r\nSubject: lunch\r\nDate: Fri, 27 Nov 2026 10:00:00 +0000\r\nMessage-ID: <demo-2@example.com>\r\n\r\nNoon?\r\n' >"$msg"
  scan() {  # scan CLIENT-IP HELO — POST /v1/scan, as an MTA's milter or an HTTP client would
    printf '\n$ curl -X POST --data-binary @message -H "X-Client-IP: %s" -H "X-Helo: %s" -H "X-Mail-From: alice@example.com" http://%s/v1/scan\n' "$1" "$2" "$http"
    curl -s -X POST -H "$auth" --data-binary @"$msg" -H "X-Client-IP: $1" -H "X-Helo: $2" \
      -H "X-Mail-From: alice@example.com" -H "X-Rcpt-To: bob@receiver.example" "http://$http/v1/scan" |
      /usr/bin/python3 -m json.tool
  }
  echo "-- the domain's own server: SPF and DMARC pass, accepted"
  scan 192.0.2.25 mx1.example.com
  echo "-- a stranger using the same From: SPF fail, DMARC p=reject -> 550 5.7.1"
  scan 198.51.100.66 spammer.example
  echo
  echo "-- reputation: feedback about that stranger's address (a mailing seen, three spam-trap hits),"
  echo "   as JSON lines; the class it earns, with the reasons; its next message carries REP_SPAMMER"
  now=$(date +%s)
  events="{\"time\": $now, \"type\": \"message\", \"ip\": \"198.51.100.66\", \"recipients\": 100}"
  for _ in 1 2 3; do events+=$'\n'"{\"time\": $now, \"type\": \"trap\", \"ip\": \"198.51.100.66\"}"; done
  printf '\n$ curl -X POST -H "Authorization: Bearer $TOKEN" --data-binary @events.jsonl http://%s/v1/events\n' "$http"
  printf '%s\n' "$events" | curl -s -X POST -H "$auth" --data-binary @- "http://$http/v1/events"
  printf '\n$ curl http://%s/v1/reputation/ip:198.51.100.66\n' "$http"
  curl -s -H "$auth" "http://$http/v1/reputation/ip:198.51.100.66" | /usr/bin/python3 -m json.tool
  printf '\n$ curl -X POST --data-binary @message -H "X-Client-IP: 198.51.100.66" ... http://%s/v1/scan   (REP_ symbols)\n' "$http"
  curl -s -X POST -H "$auth" --data-binary @"$msg" -H "X-Client-IP: 198.51.100.66" -H "X-Helo: spammer.example" \
    -H "X-Mail-From: alice@example.com" -H "X-Rcpt-To: bob@receiver.example" "http://$http/v1/scan" |
    /usr/bin/python3 -c '
import json, sys
v = json.load(sys.stdin)
print("action:", v["action"], " score:", v["score"])
for s in v["symbols"]:
    if s["name"].startswith("REP_"):
        print(" ", s["name"], s["score"], "-", s["reason"])'
  if [[ -n $console ]]; then
    printf '\n\033[1m== where to look: http://%s/  (user admin, one-time password %s)\033[0m\n' "$console" "$console_pw"
    echo "   Live: the scans above (messages by action, pass rates); Senders: look up 198.51.100.66 (spammer,"
    echo "   with its reasons) or example.com (its plot); Scan: paste a message (look only); Users: the log level."
    if [[ -t 0 ]]; then
      read -r -p "   rampartd keeps running for the console; press Enter to stop it. " _
    fi
  fi
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  echo "rampartd stopped (SIGTERM drains). For Postfix: deploy/rampartd/ (smtpd_milters = inet:127.0.0.1:PORT)."
fi
printf '\nMore: %s help; rampartd --help; each command documents itself at the top of apps/rampart/*_cmd.cc.\n' "$bin"
