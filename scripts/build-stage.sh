#!/usr/bin/env bash
# Build the installable program into a folder: compiled JavaScript (tsconfig.build.json), the
# files it reads at run time, and the production dependencies with their native modules built
# here, for this machine's architecture. Used by scripts/package-deb.sh and scripts/install.sh.
#
#   scripts/build-stage.sh DIR
set -euo pipefail
stage="${1:?usage: build-stage.sh DIR}"
src="$(cd "$(dirname "$0")/.." && pwd)"
mkdir -p "$stage"
(cd "$src" && rm -rf dist && npx tsc -p tsconfig.build.json)
cp -r "$src/dist" "$src/package.json" "$src/package-lock.json" "$src/README.md" "$stage/"
# Source maps only help where the TypeScript sources are: not shipped.
find "$stage/dist" -name '*.map' -delete
mkdir -p "$stage/config"
cp -r "$src/config/profiles" "$src/config/examples" "$src/config/demo.yaml" "$src/config/onvif" "$stage/config/"
# drivers/onvif/events/event-registry.ts reads ../../../config/onvif from its own folder (dist/).
mkdir -p "$stage/dist/config" && cp -r "$src/config/onvif" "$stage/dist/config/"
cp -r "$src/ui" "$stage/"
# Production dependencies without their install scripts; the native modules are then built for
# the Node that runs this script (the package's Depends pins that Node major: same module ABI).
# better-sqlite3 compiles from source (its prebuilt download is not reachable, ~1-5 min); when
# the development install beside this script holds a build of the same version for the same Node,
# that binary is reused instead. serialport ships prebuilt binaries per platform.
(cd "$stage" && npm ci --omit=dev --ignore-scripts --no-audit --no-fund --silent)
nm="$stage/node_modules"
bs_version="$(node -p "require('$nm/better-sqlite3/package.json').version")"
dev_bs="$src/node_modules/better-sqlite3"
if [ -f "$dev_bs/build/Release/better_sqlite3.node" ] && [ "$(node -p "require('$dev_bs/package.json').version")" = "$bs_version" ] \
  && (cd "$src" && node -e "new (require('better-sqlite3'))(':memory:').close()") 2>/dev/null; then
  mkdir -p "$nm/better-sqlite3/build/Release"
  cp "$dev_bs/build/Release/better_sqlite3.node" "$nm/better-sqlite3/build/Release/"
else
  (cd "$stage" && npm rebuild better-sqlite3 --no-audit --no-fund --silent)
fi
(cd "$stage" && node -e "new (require('better-sqlite3'))(':memory:').close()") || { echo "build-stage.sh: better-sqlite3 does not load" >&2; exit 1; }

# Keep what runs: native build leftovers, prebuilt binaries of other systems, tests, examples
# and editor/VCS dotfiles of dependencies are dropped (lintian flags them; nothing loads them).
rm -rf "$nm"/better-sqlite3/build/Release/obj* "$nm"/better-sqlite3/build/Release/.deps "$nm"/better-sqlite3/build/Release/test_extension.node \
  "$nm"/better-sqlite3/build/Release/sqlite3.a "$nm"/better-sqlite3/build/deps "$nm"/better-sqlite3/deps "$nm"/better-sqlite3/src
case "$(node -p process.arch)" in x64) keep=linux-x64 ;; arm64) keep=linux-arm64 ;; arm) keep=linux-arm ;; *) keep=none ;; esac
for d in "$nm"/@serialport/bindings-cpp/prebuilds/*; do
  [ -d "$d" ] && [ "$(basename "$d")" != "$keep" ] && rm -rf "$d"
done
# musl builds of the kept platform cannot run on Debian (glibc).
find "$nm"/@serialport/bindings-cpp/prebuilds -name '*musl*' -delete
find "$nm" -mindepth 2 -maxdepth 3 -type d \( -name test -o -name tests -o -name __tests__ -o -name benchmarks -o -name bench \
  -o -name integration -o -name example -o -name examples -o -name .github -o -name docs \) -prune -exec rm -rf {} +
find "$nm" -type f \( -name '.*' -o -name '*.html' -o -name '*.md' -a ! -iname 'license*' \) -delete
rm -rf "$nm/.bin" "$nm"/@serialport/bindings-cpp/src
find "$nm" -name '*.node' -exec strip --strip-unneeded {} +
# Nothing under node_modules is run directly (node loads it): no execute bits, shared objects 0644.
find "$stage" -type d -exec chmod 0755 {} +
find "$stage" -type f -exec chmod 0644 {} +
chmod 0755 "$stage/dist/gateway/cli/main.js"
