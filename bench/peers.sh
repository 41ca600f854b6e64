#!/usr/bin/env bash
# npm run bench:peers — gridgate beside Node-RED 4.1 + node-red-contrib-modbus on the Node-RED
# harness (../shared/peers/nodered, its setup.sh installs Node-RED into $PEER_PREFIX), in ONE run:
# the storage limits first (raw fsync, bare better-sqlite3), then per load Node-RED and gridgate
# back to back, each line with the load average before it. The machine is shared: compare the
# ratios within a run, not absolute figures between runs.
#   LOADS="interval_ms:devices ..." (default "1000:50 100:50 50:50 50:100 50:250"), SECS=30, WARMUP=20
#   NODERED_HARNESS (default ../shared/peers/nodered), OUT (JSON lines; default bench-peers-<time>.jsonl)
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
H=$(cd "${NODERED_HARNESS:-$ROOT/../shared/peers/nodered}" && pwd)
LOADS=${LOADS:-"1000:50 100:50 50:50 50:100 50:250"}
export SECS=${SECS:-30} WARMUP=${WARMUP:-20}
OUT=${OUT:-$ROOT/bench-peers-$(date -u +%Y%m%dT%H%M%SZ).jsonl}
load() { cut -d' ' -f1-3 /proc/loadavg | tr ' ' ','; }
(cd "$ROOT" && npx tsc -p tsconfig.build.json --outDir dist) || exit 1
echo "{\"storage\":$(cd "$ROOT" && npx tsx bench/storage-limits.ts "${TMPDIR:-/tmp}"),\"load_before\":[$(load)]}" | tee -a "$OUT"
for spec in $LOADS; do
  iv=${spec%%:*}; dev=${spec##*:}
  for peer in nodered gridgate; do
    before=$(load)
    if [ "$peer" = gridgate ]; then
      line=$(cd "$ROOT" && DEVICES=$dev COUNTER_JS="$H/gridgate/counter-gridgate.js" PEER_NAME=gridgate PEER_CMD="$H/gridgate/peer.sh" GRIDGATE_DIR="$ROOT" "$H/run.sh" "$iv" "$SECS" 2>/dev/null | grep '^DETAIL' | cut -d' ' -f2-)
    else
      line=$(DEVICES=$dev "$H/run.sh" "$iv" "$SECS" 2>/dev/null | grep '^DETAIL' | cut -d' ' -f2-)
    fi
    echo "{\"peer\":\"$peer\",\"interval_ms\":$iv,\"devices\":$dev,\"load_before\":[$before],\"load_after\":[$(load)],\"run\":${line:-null}}" | tee -a "$OUT"
  done
done
echo "results: $OUT"
