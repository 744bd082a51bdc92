#!/usr/bin/env bash
# scripts/build-deb.sh BUILD_DIR OUT_DIR — make rampart_VERSION_ARCH.deb from a
# build tree (`make deb` calls it with the default build). It installs the
# build with the project's own install rules (cmake/Install.cmake) under prefix
# /usr into a staging tree, strips the programs, compresses the man pages, and
# adds the maintainer scripts, copyright and changelog of packaging/debian/.
# The programs must be built (`make deb` builds them first). Runtime
# dependencies come from dpkg-shlibdeps. Prints the .deb's path.
set -euo pipefail
BUILD=$(cd "${1:?usage: build-deb.sh BUILD_DIR OUT_DIR}" && pwd)
OUT=${2:?usage: build-deb.sh BUILD_DIR OUT_DIR}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PKG=$ROOT/packaging/debian
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)

version=$(sed -n 's/^project(rampart VERSION \([0-9.]*\).*/\1/p' "$ROOT/CMakeLists.txt")
arch=$(dpkg --print-architecture)
[[ -n $version ]] || { echo "build-deb: no version in CMakeLists.txt" >&2; exit 2; }

stage=$(mktemp -d "$OUT/.stage.XXXXXX")
trap 'rm -rf "$stage"' EXIT
DESTDIR=$stage cmake --install "$BUILD" --prefix /usr --strip >/dev/null
chmod -R u=rwX,go=rX "$stage"
find "$stage/usr/share/man" -type f -exec gzip -9n {} +

doc=$stage/usr/share/doc/rampart
install -d "$doc"
install -m 0644 "$PKG/copyright" "$doc/copyright"
date_rfc=$(date -R -u -d "@$(git -C "$ROOT" log -1 --format=%ct 2>/dev/null || date +%s)")
sed -e "s/@VERSION@/$version/" -e "s/@DATE@/$date_rfc/" "$PKG/changelog" | gzip -9n > "$doc/changelog.gz"
chmod 0644 "$doc/changelog.gz"

# Runtime libraries of the two programs, as Debian package names and versions.
shl=$(mktemp -d)
mkdir -p "$shl/debian"
printf 'Source: rampart\n\nPackage: rampart\nArchitecture: any\n' > "$shl/debian/control"
depends=$(cd "$shl" && dpkg-shlibdeps -O "$stage/usr/sbin/rampartd" "$stage/usr/bin/rampart" 2>/dev/null |
  sed -n 's/^shlibs:Depends=//p')
rm -rf "$shl"
[[ -n $depends ]] || { echo "build-deb: dpkg-shlibdeps found no dependencies" >&2; exit 1; }

install -d -m 0755 "$stage/DEBIAN"
size=$(du -sk --exclude=DEBIAN "$stage" | cut -f1)
sed -e "s/@VERSION@/$version/" -e "s/@ARCH@/$arch/" -e "s/@SIZE@/$size/" -e "s/@DEPENDS@/$depends/" \
  "$PKG/control.in" > "$stage/DEBIAN/control"
for s in postinst prerm postrm; do install -m 0755 "$PKG/$s" "$stage/DEBIAN/$s"; done
(cd "$stage" && find etc -type f | sed 's|^|/|' | sort) > "$stage/DEBIAN/conffiles"
(cd "$stage" && find usr lib -type f -print0 | sort -z | xargs -0 md5sum) > "$stage/DEBIAN/md5sums"
chmod 0644 "$stage/DEBIAN/control" "$stage/DEBIAN/conffiles" "$stage/DEBIAN/md5sums"

deb=$OUT/rampart_${version}_${arch}.deb
dpkg-deb --root-owner-group -Zxz --build "$stage" "$deb" >/dev/null
echo "$deb"
