#!/usr/bin/env bash
# fetch-spf-suites.sh DIR — puts the openspf conformance suites shipped in
# Debian's python3-spf (rfc7208-tests.yml, rfc4408-tests.yml; openspf.org test
# suite, see the package's copyright file) into DIR. Uses `apt-get download`
# so no installed package is needed; falls back to an installed copy in
# /usr/share/doc/python3-spf when the archive cannot be reached.
set -euo pipefail
dir=${1:?usage: fetch-spf-suites.sh DIR}
mkdir -p "$dir"
if [[ -s "$dir/rfc7208-tests.yml" && -s "$dir/rfc4408-tests.yml" ]]; then exit 0; fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
src=""
if (cd "$work" && apt-get download python3-spf >/dev/null 2>&1); then
  dpkg -x "$work"/python3-spf_*.deb "$work/x"
  src="$work/x/usr/share/doc/python3-spf"
elif [[ -f /usr/share/doc/python3-spf/rfc7208-tests.yml.gz ]]; then
  src=/usr/share/doc/python3-spf
else
  echo "fetch-spf-suites: cannot download python3-spf and it is not installed" >&2
  exit 1
fi
for s in rfc7208 rfc4408; do
  gzip -dc "$src/$s-tests.yml.gz" > "$dir/$s-tests.yml.tmp"
  mv "$dir/$s-tests.yml.tmp" "$dir/$s-tests.yml"
done
cp "$src/copyright" "$dir/COPYRIGHT.python3-spf" 2>/dev/null || true
echo "fetch-spf-suites: suites in $dir"
