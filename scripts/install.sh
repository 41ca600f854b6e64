#!/usr/bin/env bash
# Install, upgrade or remove gridgate as a systemd service on Debian 12.
#
#   sudo scripts/install.sh [--config FILE]     install, or upgrade in place
#   sudo scripts/install.sh --uninstall [--purge]
#   options: --root DIR (install into another root, e.g. a test chroot: the unit is enabled there
#                       with `systemctl --root`, nothing is started)
#            --prefix DIR (default /opt/gridgate)
#            --stage DIR (install a program folder made by scripts/build-stage.sh instead of building)
#
# An upgrade replaces the program only: /etc/gridgate (configuration, UI users) and
# /var/lib/gridgate (outbox, state) are kept. The first install imports --config (or the example
# configuration) as /etc/gridgate/gridgate.yaml.
set -euo pipefail

root=""
prefix=/opt/gridgate
config=""
stage_in=""
action=install
purge=0
while [ $# -gt 0 ]; do
  case "$1" in
    --root) root="$2"; shift 2 ;;
    --prefix) prefix="$2"; shift 2 ;;
    --config) config="$2"; shift 2 ;;
    --stage) stage_in="$2"; shift 2 ;;
    --uninstall) action=uninstall; shift ;;
    --purge) purge=1; shift ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) echo "install.sh: unknown option $1" >&2; exit 2 ;;
  esac
done

src="$(cd "$(dirname "$0")/.." && pwd)"
say() { printf 'gridgate install: %s\n' "$*"; }
systemd_up() { [ -z "$root" ] && [ -d /run/systemd/system ]; }
[ "$(id -u)" = 0 ] || { echo "install.sh: run as root (sudo)" >&2; exit 1; }

if [ "$action" = uninstall ]; then
  if systemd_up; then systemctl disable --now gridgate.service || true;
  elif [ -n "$root" ]; then systemctl --root="$root" disable gridgate.service >/dev/null 2>&1 || true; fi
  rm -f "$root/etc/systemd/system/gridgate.service"
  rm -rf "$root$prefix"
  if [ "$purge" = 1 ]; then
    rm -rf "$root/etc/gridgate" "$root/var/lib/gridgate"
    userdel --root "${root:-/}" gridgate 2>/dev/null || true
    say "removed, with configuration, outbox and user"
  else
    say "removed the program; kept /etc/gridgate and /var/lib/gridgate (--purge removes them)"
  fi
  if systemd_up; then systemctl daemon-reload; fi
  exit 0
fi

node_bin="$root/usr/bin/node"
[ -x "$node_bin" ] || { echo "install.sh: Node.js 20 is needed at /usr/bin/node" >&2; exit 1; }
major=$(chroot "${root:-/}" /usr/bin/node -p 'process.versions.node.split(".")[0]')
[ "$major" -ge 20 ] || { echo "install.sh: Node.js $major found, 20 or newer is needed" >&2; exit 1; }

# 1. The program: compiled JavaScript and production dependencies, built in a staging folder.
stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
if [ -n "$stage_in" ]; then
  say "installing the program from $stage_in"
  cp -a "$stage_in/." "$stage/"
else
  say "building in $stage"
  "$src/scripts/build-stage.sh" "$stage"
fi
if [ -d "$root$prefix" ]; then say "upgrading $prefix (configuration and data are kept)"; fi
rm -rf "$root$prefix.new" && mkdir -p "$(dirname "$root$prefix")" && cp -a "$stage" "$root$prefix.new"
rm -rf "$root$prefix.old"
[ -d "$root$prefix" ] && mv "$root$prefix" "$root$prefix.old"
mv "$root$prefix.new" "$root$prefix"
rm -rf "$root$prefix.old"
chown -R root:root "$root$prefix"
# mktemp made the staging folder 0700: the service user must read the program.
chmod -R u=rwX,go=rX "$root$prefix"

# 2. The user: a system account without a shell or home, in dialout for serial lines.
if ! chroot "${root:-/}" getent passwd gridgate >/dev/null; then
  useradd --root "${root:-/}" --system --no-create-home --home-dir /var/lib/gridgate --shell /usr/sbin/nologin --user-group gridgate
  say "created system user gridgate"
fi
chroot "${root:-/}" getent group dialout >/dev/null && usermod --root "${root:-/}" -a -G dialout gridgate
# Numeric ids: with --root the names exist in that root's /etc, not in this one's.
uid=$(chroot "${root:-/}" getent passwd gridgate | cut -d: -f3)
gid=$(chroot "${root:-/}" getent group gridgate | cut -d: -f3)

# 3. Folders (systemd also makes them from StateDirectory/ConfigurationDirectory).
install -d -m 0750 -o 0 -g "$gid" "$root/etc/gridgate"
install -d -m 0750 -o "$uid" -g "$gid" "$root/var/lib/gridgate"

# The key that encrypts stored secrets: made once, readable by the service only, kept on upgrade.
if [ ! -f "$root/etc/gridgate/secret.key" ]; then
  head -c 32 /dev/urandom | base64 > "$root/etc/gridgate/secret.key"
  chown "0:$gid" "$root/etc/gridgate/secret.key"
  chmod 0640 "$root/etc/gridgate/secret.key"
  say "made /etc/gridgate/secret.key"
fi

# 4. Configuration: imported on the first install only.
if [ ! -f "$root/etc/gridgate/gridgate.yaml" ]; then
  install -m 0640 -o 0 -g "$gid" "${config:-$src/config/examples/minimal.yaml}" "$root/etc/gridgate/gridgate.yaml"
  say "configuration imported to /etc/gridgate/gridgate.yaml${config:+ from $config}"
else
  say "keeping /etc/gridgate/gridgate.yaml"
fi
if ! chroot --userspec="$uid:$gid" "${root:-/}" /usr/bin/node "$prefix/dist/gateway/cli/main.js" check-config /etc/gridgate/gridgate.yaml; then
  say "the configuration has problems (listed above): fix them, then: systemctl restart gridgate"
fi

# 5. The service.
install -D -m 0644 "$src/systemd/gridgate.service" "$root/etc/systemd/system/gridgate.service"
if systemd_up; then
  systemctl daemon-reload
  systemctl enable gridgate.service
  systemctl restart gridgate.service
  say "started: systemctl status gridgate; journalctl -u gridgate -f"
  say "the web UI's one-time setup code is in the journal: journalctl -u gridgate | grep -i 'setup code'"
else
  # Enabled in that root (its multi-user.target.wants link) so it starts when the root boots.
  if [ -n "$root" ] && command -v systemctl >/dev/null; then systemctl --root="$root" enable gridgate.service; fi
  say "installed into ${root:-/}; systemd is not running here, so the service was not started"
fi
