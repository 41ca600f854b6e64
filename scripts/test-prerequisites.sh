#!/usr/bin/env bash
# Run before the tests (npm's pretest): the Debian packages the tests need. As root it installs
# what is missing; otherwise it names the one command to run.
set -euo pipefail
need=()
command -v mosquitto >/dev/null 2>&1 || [ -x /usr/sbin/mosquitto ] || need+=(mosquitto)
command -v socat >/dev/null 2>&1 || need+=(socat)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ]; then
  echo "installing Debian packages the tests need: ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq --no-install-recommends "${need[@]}"
else
  echo "The tests need Debian packages: ${need[*]}. Run:  sudo apt-get install -y ${need[*]}" >&2
  exit 1
fi
