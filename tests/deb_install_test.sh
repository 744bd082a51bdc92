#!/usr/bin/env bash
# tests/deb_install_test.sh BUILD_DIR — the Debian package, end to end.
#
# Builds rampart_VERSION_ARCH.deb from BUILD_DIR (scripts/build-deb.sh),
# requires lintian to find neither errors nor warnings, then, in a throwaway
# root (an overlay of / in a private mount and network namespace, so the host
# is never touched and the fixed default ports cannot collide with anything):
# installs it with dpkg, checks the system user and the data directory, starts
# rampartd the way its systemd unit says (ExecStart as User=), scans a message
# through the HTTP API, stops it with SIGTERM, removes the package (the edited
# conffile stays), purges it (configuration, data and user go), and finally
# checks that nothing of the package is left in the root.
set -euo pipefail
BUILD=$(cd "${1:?usage: deb_install_test.sh BUILD_DIR}" && pwd)
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

if [[ ${RAMPART_DEB_INNER:-} != 1 ]]; then
  [[ $(id -u) == 0 ]] || { echo "FAIL: deb_install_test needs root (dpkg, mount and network namespaces)"; exit 1; }
  work=$(mktemp -d /tmp/rampart-deb-test.XXXXXX)
  trap 'umount -R "$work/root" 2>/dev/null || true; rm -rf "$work"' EXIT
  deb=$(bash "$ROOT/scripts/build-deb.sh" "$BUILD" "$work/out")
  echo "deb: built $deb"
  lintian --no-cfg --fail-on error,warning "$deb" 2>&1 | grep -v 'root privileges' || true
  lintian --no-cfg --fail-on error,warning "$deb" >/dev/null 2>&1 || { echo "FAIL: lintian reports errors or warnings"; exit 1; }
  echo "deb: lintian clean (no errors, no warnings)"
  mkdir -p "$work/upper" "$work/wd" "$work/root"
  RAMPART_DEB_INNER=1 WORK=$work DEB=$deb unshare -m -n --propagation private bash "$0" "$BUILD"
  # Everything the package put in the root, and its dpkg records, is gone.
  left=$(cd "$work/upper" && find . \( -path './var/lib/dpkg/info/rampart*' -o -path './etc/rampart*' \
           -o -path './var/lib/rampart*' -o -path './usr/sbin/rampartd' -o -path './usr/bin/rampart' \
           -o -path './lib/systemd/system/rampartd.service' -o -path './usr/share/doc/rampart*' \
           -o -path './usr/share/man/*/rampart*' \) -print)
  if [[ -n $left ]]; then echo "FAIL: left after purge:"; echo "$left"; exit 1; fi
  echo "PASS: deb_install_test"
  exit 0
fi

# ---- inside the private namespaces ----
fail() { echo "FAIL: $*"; exit 1; }
R=$WORK/root
mount -t overlay overlay -o "lowerdir=/,upperdir=$WORK/upper,workdir=$WORK/wd" "$R"
mount --bind /proc "$R/proc"
mount --bind /dev "$R/dev"
mount -t tmpfs tmpfs "$R/run"   # no /run/systemd/system: the scripts act as without systemd
mount -t tmpfs tmpfs "$R/tmp"
mkdir -p "$R/mnt/deb" && mount --bind "$(dirname "$DEB")" "$R/mnt/deb"
ip link set lo up
in_root() { chroot "$R" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin "$@"; }
pkg=/mnt/deb/$(basename "$DEB")

in_root getent passwd rampart >/dev/null && fail "a rampart user exists before the install"
in_root dpkg -i "$pkg" >/dev/null || fail "dpkg -i"
echo "deb: installed"
[[ $(in_root dpkg-query -W -f='${Status}' rampart) == "install ok installed" ]] || fail "not installed"
[[ $(in_root getent passwd rampart) == *:/var/lib/rampart:* ]] || fail "no rampart system user"
[[ $(in_root stat -c %U:%a /var/lib/rampart) == rampart:750 ]] || fail "/var/lib/rampart: $(in_root stat -c %U:%a /var/lib/rampart)"
unit=/lib/systemd/system/rampartd.service
in_root systemd-analyze verify "$unit" >/dev/null 2>"$WORK/verify.err" || { cat "$WORK/verify.err"; fail "systemd-analyze verify $unit"; }
grep -q . "$WORK/verify.err" && { cat "$WORK/verify.err"; fail "systemd-analyze verify warns"; }
in_root man -w rampartd rampart rampart.toml >/dev/null || fail "man pages"
echo "deb: user, data directory, unit and man pages in place"

# Start rampartd as its unit does: ExecStart= as User=.
exec_start=$(sed -n 's/^ExecStart=//p' "$R$unit")
user=$(sed -n 's/^User=//p' "$R$unit")
[[ $user == rampart ]] || fail "unit runs as '$user'"
chroot "$R" /usr/bin/setpriv --reuid=rampart --regid=rampart --init-groups --no-new-privs \
  /usr/bin/env -i PATH=/usr/sbin:/usr/bin $exec_start >"$WORK/out.log" 2>"$WORK/err.log" &
pid=$!
for _ in $(seq 1 300); do
  grep -q '^rampartd: ready' "$WORK/out.log" && break
  kill -0 $pid 2>/dev/null || { cat "$WORK/err.log"; fail "rampartd exited before ready"; }
  sleep 0.1
done
grep -q '^rampartd: ready' "$WORK/out.log" || { cat "$WORK/err.log"; fail "rampartd not ready in 30 s"; }
[[ $(awk '/^Uid:/{print $2}' /proc/$pid/status) == $(in_root id -u rampart) ]] || fail "rampartd is not running as rampart"
http=$(sed -n 's/^rampartd: http //p' "$WORK/out.log")
printf 'From: alice@example.org\r\nTo: bob@example.net\r\nSubject: deb test\r\nMessage-ID: <deb-test@example.org>\r\nDate: Mon, 07 Dec 2026 01:00:00 +0000\r\n\r\nHello from the package test.\r\n' > "$R/tmp/msg.eml"
verdict=$(in_root curl -s --max-time 30 --data-binary @/tmp/msg.eml -H 'X-Client-IP: 192.0.2.1' -H 'X-Helo: mx.example.org' \
  -H 'X-Mail-From: alice@example.org' -H 'X-Rcpt-To: bob@example.net' "http://$http/v1/scan") || fail "scan request"
echo "deb: scan -> $verdict" | cut -c1-300
grep -q '"action"' <<<"$verdict" || fail "no verdict in the scan answer"
grep -q 'Authentication-Results\|authentication_results' <<<"$verdict" || fail "no Authentication-Results in the scan answer"
# Read whole, then search: with pipefail, `curl | grep -q` fails whenever grep
# stops reading before curl has written everything (SIGPIPE).
metrics=$(in_root curl -s --max-time 10 "http://$http/metrics") || fail "GET /metrics"
grep -q '^rampart_' <<<"$metrics" || fail "no metrics"
[[ -n $(in_root find /var/lib/rampart -mindepth 1 -print -quit) ]] || fail "nothing written to /var/lib/rampart"
kill -TERM $pid
rc=0; wait $pid || rc=$?
[[ $rc == 0 ]] || { cat "$WORK/err.log"; fail "rampartd exit status $rc after SIGTERM"; }
echo "deb: rampartd started as its unit says, scanned, drained on SIGTERM"

# remove: programs go, the edited conffile stays; purge: everything goes.
echo '# edited by the operator' >> "$R/etc/rampart/rampart.toml"
in_root dpkg -r rampart >/dev/null || fail "dpkg -r"
in_root test -e /usr/sbin/rampartd && fail "rampartd still there after remove"
in_root grep -q 'edited by the operator' /etc/rampart/rampart.toml || fail "conffile not kept on remove"
[[ $(in_root dpkg-query -W -f='${Status}' rampart) == "deinstall ok config-files" ]] || fail "state after remove"
in_root dpkg -P rampart >/dev/null || fail "dpkg -P"
in_root test -e /etc/rampart && fail "/etc/rampart still there after purge"
in_root test -e /var/lib/rampart && fail "/var/lib/rampart still there after purge"
in_root getent passwd rampart >/dev/null && fail "user rampart still there after purge"
in_root getent group rampart >/dev/null && fail "group rampart still there after purge"
echo "deb: removed (conffile kept) and purged (config, data, user gone)"
