#!/usr/bin/env bash
# npm run bench:peers — gridgate beside Node-RED 4.1 + node-red-contrib-modbus on the Node-RED
# harness (../shared/peers/nodered, its setup.sh installs Node-RED into $PEER_PREFIX), in ONE run:
# the storage limits first (raw fsync, bare better-sqlite3), then per load Node-RED and gridgate
# back to back, each line with the load average before it. The machine is shared: compare the
# ratios within a run, not absolute figures between runs.
#   LOADS="interval_ms:devices ..." (default "1000:50 100:50 50:50 50:100 50:250"), SECS=30, WARMUP=20
#   NODERED_HARNESS (default ../shared/peers/nodered), PEER_PREFIX (where the harness' setup.sh installed
#   Node-RED; run.sh's default is $TMPDIR/peer-nodered), OUT (JSON lines; default bench-peers-<time>.jsonl)
# A run without Node-RED installed gives "run":null lines: run the harness' setup.sh first (docs/performance.md).
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
H=$(cd "${NODERED_HARNESS:-$ROOT/../shared/peers/nodered}" && pwd)
# Fail early instead of writing "run":null lines: Node-RED must be installed where run.sh looks, and
# run.sh must know COUNTER_JS (gridgate/run.sh.patch, already applied in the shared copy).
PREFIX=${PEER_PREFIX:-${TMPDIR:-/tmp}/peer-nodered}
[ -f "$PREFIX/node_modules/node-red/red.js" ] || { echo "bench:peers: Node-RED not installed in $PREFIX: run PEER_PREFIX=$PREFIX $H/setup.sh (a writable PEER_PREFIX)" >&2; exit 1; }
grep -q COUNTER_JS "$H/run.sh" || { echo "bench:peers: $H/run.sh lacks COUNTER_JS: apply $H/gridgate/run.sh.patch to a writable copy of the harness" >&2; exit 1; }
LOADS=${LOADS:-"1000:50 100:50 50:50 50:100 50:250"}
export SECS=${SECS:-30} WARMUP=${WARMUP:-20}
OUT=${OUT:-$ROOT/bench-peers-$(date -u +%Y%m%dT%H%M%SZ).jsonl}
load() { cut -d' ' -f1-3 /proc/loadavg | tr ' ' ','; }
# The adapter (peer.sh) starts node with --max-semi-space-size=2; the unit's own node flags go after
# it (the last of a V8 flag wins), so gridgate runs with exactly the flags of systemd/gridgate.service.
UNIT_FLAGS=$(sed -n 's|^ExecStart=/usr/bin/node \(.*\) /opt/gridgate/dist/gateway/cli/main.js run.*|\1|p' "$ROOT/systemd/gridgate.service")
export GRIDGATE_NODE_FLAGS="$UNIT_FLAGS ${GRIDGATE_NODE_FLAGS:-}"
[ -n "$UNIT_FLAGS" ] || { echo "bench:peers: no node flags found in systemd/gridgate.service ExecStart" >&2; exit 1; }
# The unit's malloc settings too (gridgate only; the adapter sets MALLOC_ARENA_MAX=2 itself).
UNIT_MALLOC=$(sed -n 's|^Environment=\(MALLOC_[A-Z_]*=[0-9]*\)$|\1|p' "$ROOT/systemd/gridgate.service" | tr '\n' ' ')
(cd "$ROOT" && npx tsc -p tsconfig.build.json --outDir dist) || exit 1
echo "{\"storage\":$(cd "$ROOT" && npx tsx bench/storage-limits.ts "${TMPDIR:-/tmp}"),\"load_before\":[$(load)]}" | tee -a "$OUT"
for spec in $LOADS; do
  iv=${spec%%:*}; dev=${spec##*:}
  for peer in nodered gridgate; do
    before=$(load)
    if [ "$peer" = gridgate ]; then
      # shellcheck disable=SC2086
      line=$(cd "$ROOT" && env $UNIT_MALLOC DEVICES=$dev COUNTER_JS="$H/gridgate/counter-gridgate.js" PEER_NAME=gridgate PEER_CMD="$H/gridgate/peer.sh" GRIDGATE_DIR="$ROOT" "$H/run.sh" "$iv" "$SECS" 2>/dev/null | grep '^DETAIL' | cut -d' ' -f2-)
    else
      line=$(DEVICES=$dev "$H/run.sh" "$iv" "$SECS" 2>/dev/null | grep '^DETAIL' | cut -d' ' -f2-)
    fi
    echo "{\"peer\":\"$peer\",\"interval_ms\":$iv,\"devices\":$dev,\"load_before\":[$before],\"load_after\":[$(load)],\"run\":${line:-null}}" | tee -a "$OUT"
  done
done
echo "results: $OUT"
