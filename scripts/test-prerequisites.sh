#!/usr/bin/env bash
# Run before the tests (npm's pretest): the Debian packages the tests need. As root it installs
# what is missing; otherwise it stops and names the one command to run.
#   mosquitto: MQTT interop; socat: Modbus RTU over a pty pair; chromium: the UI end-to-end tests;
#   ffmpeg + GStreamer's RTSP server (python3-gi, gir1.2-gst-rtsp-server-1.0, plugins): live view.
#   debootstrap, systemd-container, dpkg-dev, fakeroot, binutils, lintian: the .deb and the booted-systemd test.
set -euo pipefail
packages=(systemd iproute2 mosquitto socat chromium ffmpeg python3-gi gir1.2-gst-rtsp-server-1.0 gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-ugly debootstrap systemd-container dpkg-dev fakeroot binutils lintian)
need=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || need+=("$p")
done
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ]; then
  echo "installing Debian packages the tests need: ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq --no-install-recommends "${need[@]}"
else
  echo "The tests need Debian packages: ${need[*]}. Run:  sudo apt-get install -y ${need[*]}" >&2
  exit 1
fi
