#!/usr/bin/env bash
# Build the Debian package gridgate_<version>_<arch>.deb (npm run package:deb). See
# docs/operations.md ("Debian package") for what it installs and what its maintainer scripts do.
#
#   scripts/package-deb.sh [--out DIR] [--version V] [--stage DIR]
#     --out      where the .deb goes (default: dist-deb/)
#     --version  package version (default: package.json's version)
#     --stage    reuse a folder built by scripts/build-stage.sh (default: build one)
#     --fast     gzip instead of xz (a larger file, built in seconds: for tests)
set -euo pipefail
src="$(cd "$(dirname "$0")/.." && pwd)"
out="$src/dist-deb"
version=""
stage=""
compress=(-Zxz)
while [ $# -gt 0 ]; do
  case "$1" in
    --out) out="$2"; shift 2 ;;
    --version) version="$2"; shift 2 ;;
    --stage) stage="$2"; shift 2 ;;
    --fast) compress=(-Zgzip -z6); shift ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) echo "package-deb.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
for tool in dpkg-deb fakeroot node npm gzip strip; do
  command -v "$tool" >/dev/null || { echo "package-deb.sh: $tool is needed (Debian: dpkg-dev fakeroot binutils; Node.js 20)" >&2; exit 1; }
done
[ -n "$version" ] || version="$(node -p "require('$src/package.json').version")"
arch="$(dpkg --print-architecture)"
node_major="$(node -p 'process.versions.node.split(".")[0]')"
[ "$node_major" = 20 ] || { echo "package-deb.sh: build with Node.js 20 (native modules are built for the Node that builds; found $node_major)" >&2; exit 1; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
root="$work/root"
lib="$root/usr/lib/gridgate"
mkdir -p "$lib"
if [ -n "$stage" ]; then cp -a "$stage/." "$lib/"; else "$src/scripts/build-stage.sh" "$lib"; fi
rm -f "$lib/README.md"

pkg="$src/scripts/debian"
# The command, the unit (program under /usr/lib/gridgate instead of install.sh's /opt/gridgate).
install -D -m 0755 "$pkg/gridgate.sh" "$root/usr/bin/gridgate"
install -d "$root/lib/systemd/system"
sed -e 's#/opt/gridgate/dist/#/usr/lib/gridgate/dist/#g' \
    -e 's#^Documentation=.*#Documentation=man:gridgate(1) file:///usr/share/doc/gridgate/operations.md.gz#' \
    -e 's#Installed by scripts/install.sh (see docs/operations.md)#Installed by the gridgate Debian package (see /usr/share/doc/gridgate)#' \
    "$src/systemd/gridgate.service" > "$root/lib/systemd/system/gridgate.service"
chmod 0644 "$root/lib/systemd/system/gridgate.service"
grep -q /opt/ "$root/lib/systemd/system/gridgate.service" && { echo "package-deb.sh: the unit still names /opt" >&2; exit 1; }
# The default configuration: a conffile (dpkg keeps local changes on upgrade and asks).
install -D -m 0640 "$src/config/examples/minimal.yaml" "$root/etc/gridgate/gridgate.yaml"
# Documentation and the manual page.
doc="$root/usr/share/doc/gridgate"
install -d "$doc" "$root/usr/share/man/man1" "$root/usr/share/lintian/overrides"
install -m 0644 "$pkg/copyright" "$doc/copyright"
for f in README.md docs/operations.md docs/errors.md docs/ui.md docs/architecture.md; do
  install -m 0644 "$src/$f" "$doc/$(basename "$f")"
  gzip -9n "$doc/$(basename "$f")"
done
printf 'gridgate (%s) unstable; urgency=medium\n\n  * Release %s; see the project history for changes.\n\n -- gridgate maintainers <gridgate@example.com>  %s\n' \
  "$version" "$version" "$(date -R -d @"${SOURCE_DATE_EPOCH:-$(git -C "$src" log -1 --format=%ct 2>/dev/null || date +%s)}")" > "$doc/changelog"
gzip -9n "$doc/changelog"
gzip -9n -c "$pkg/gridgate.1" > "$root/usr/share/man/man1/gridgate.1.gz"
install -m 0644 "$pkg/lintian-overrides" "$root/usr/share/lintian/overrides/gridgate"

# Control files.
install -d -m 0755 "$root/DEBIAN"
size="$(du -sk --exclude=DEBIAN "$root" | cut -f1)"
sed -e "s/@VERSION@/$version/" -e "s/@ARCH@/$arch/" -e "s/@SIZE@/$size/" "$pkg/control" > "$root/DEBIAN/control"
install -m 0644 "$pkg/conffiles" "$root/DEBIAN/conffiles"
for s in postinst prerm postrm; do install -m 0755 "$pkg/$s" "$root/DEBIAN/$s"; done
(cd "$root" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | sort -z | xargs -0 md5sum) > "$root/DEBIAN/md5sums"
chmod 0644 "$root/DEBIAN/md5sums"

mkdir -p "$out"
deb="$out/gridgate_${version}_${arch}.deb"
fakeroot dpkg-deb --root-owner-group "${compress[@]}" --build "$root" "$deb" >/dev/null
echo "$deb"
