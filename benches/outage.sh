#!/usr/bin/env bash
# CloudWatch Logs outage under load: Moat keeps serving while its endpoint is gone, and afterwards every
# access-log line it wrote is in CloudWatch Logs, in order, none twice.
#
# Starts ../shared/bench/peers.sh (the upstream on 18080), a moto_server on a free port, and
# `moat serve --config examples/bench-outage.yaml --threads 1` (port 18094, access log shipped to the group
# moat-access). Then, with wrk at a fixed rate below saturation (RATE req/s over 16 connections, default
# 5000; a closed-loop wrk at saturation would measure queueing, not the outage):
#   1. BASELINE seconds (default 30) with the endpoint up: p50 / p99;
#   2. the same load for OUTAGE + 20 seconds (default 30 + 20), the endpoint frozen (SIGSTOP: connections
#      hang, the worst kind of outage) from 10 s in for OUTAGE seconds, then thawed: p50 / p99;
# waits until the shipper has delivered everything, reads the stream back (GetLogEvents through boto3) and
# compares it with the access-log file line by line. Prints the p99 ratio (target <= 1.2) and the check.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
PEERS=${PEERS:-$here/../../shared/bench/peers.sh}
RATE=${RATE:-5000}
BASELINE=${BASELINE:-30}
OUTAGE=${OUTAGE:-30}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/moat-target}
(cd "$root" && cargo build --release -q -p moat-gateway)
work=$(mktemp -d /tmp/moat-outage.XXXXXX)
mkdir -p /tmp/moat-bench
rm -rf /tmp/moat-bench/outage-spool /tmp/moat-bench/access-outage.log*
moto_pid="" moat_pid=""
cleanup() {
  [[ -n $moto_pid ]] && { kill -CONT "$moto_pid" 2>/dev/null; kill "$moto_pid" 2>/dev/null; } || true
  [[ -n $moat_pid ]] && kill "$moat_pid" 2>/dev/null || true
  wait 2>/dev/null || true
  [[ ${KEEP_PEERS:-0} == 1 ]] || bash "$PEERS" stop >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
bash "$PEERS" start >&2
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
python3 -m moto.server -H 127.0.0.1 -p "$port" >"$work/moto.log" 2>&1 &
moto_pid=$!
for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$port/moto-api/" && break; sleep 0.1; done
export AWS_ENDPOINT_URL=http://127.0.0.1:$port AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1 \
  AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_EC2_METADATA_DISABLED=true
"$CARGO_TARGET_DIR/release/moat" serve --config "$root/examples/bench-outage.yaml" --threads 1 \
  >"$work/moat.out" 2>"$work/moat.err" &
moat_pid=$!
url="http://127.0.0.1:18094/products/42?color=red"
for _ in $(seq 100); do curl -fs -o /dev/null "$url" && break; sleep 0.1; done
printf 'function delay() return %s end\n' "$(awk -v r="$RATE" 'BEGIN { printf "%.3f", 16 * 1000 / r }')" >"$work/paced.lua"
run() { wrk -t1 -c16 -d"$1s" --latency -s "$work/paced.lua" "$url"; }
echo "baseline: ${BASELINE}s at ~$RATE req/s, endpoint up..." >&2
base=$(run "$BASELINE")
echo "outage: $((OUTAGE + 20))s at ~$RATE req/s, endpoint frozen from 10s for ${OUTAGE}s..." >&2
( sleep 10; kill -STOP "$moto_pid"; sleep "$OUTAGE"; kill -CONT "$moto_pid" ) &
pauser=$!
outage=$(run "$((OUTAGE + 20))")
wait "$pauser"
lines=$(wc -l </tmp/moat-bench/access-outage.log)
echo "waiting for the shipper to deliver $lines lines..." >&2
check=0
python3 - "$lines" <<'PY' || check=1
import sys, time, boto3
want = int(sys.argv[1])
logs = boto3.client("logs")
path = "/tmp/moat-bench/access-outage.log"
def stream():
    out, token = [], None
    while True:
        kw = dict(logGroupName="moat-access", logStreamName="outage", startFromHead=True)
        if token: kw["nextToken"] = token
        page = logs.get_log_events(**kw)
        out += [e["message"] for e in page["events"]]
        if not page["events"] or page["nextForwardToken"] == token: return out
        token = page["nextForwardToken"]
deadline = time.time() + 120
while True:
    got = stream()
    if len(got) >= want or time.time() > deadline: break
    time.sleep(2)
written = open(path).read().splitlines()
dups = len(got) - len(set(got))
print(f"CloudWatch Logs holds {len(got)} events; Moat wrote {len(written)} lines; duplicates {dups}; "
      f"identical and in order: {got == written}")
sys.exit(0 if got == written else 1)
PY
ms() { awk '{ v = $0; if (v ~ /us$/) { sub(/us$/, "", v); print v / 1000 } else if (v ~ /ms$/) { sub(/ms$/, "", v); print v + 0 } else if (v ~ /s$/) { sub(/s$/, "", v); print v * 1000 } }'; }
b99=$(awk '$1 == "99%" {print $2}' <<<"$base" | ms); o99=$(awk '$1 == "99%" {print $2}' <<<"$outage" | ms)
b50=$(awk '$1 == "50%" {print $2}' <<<"$base" | ms); o50=$(awk '$1 == "50%" {print $2}' <<<"$outage" | ms)
echo "# benches/outage.sh $(date -u +%Y-%m-%dT%H:%M:%SZ): ~$RATE req/s, endpoint frozen ${OUTAGE}s"
printf '%-10s %10s %10s %10s\n' run req/s "p50 ms" "p99 ms"
printf '%-10s %10s %10.3f %10.3f\n' baseline "$(awk '/Requests\/sec/ {print $2}' <<<"$base")" "$b50" "$b99"
printf '%-10s %10s %10.3f %10.3f\n' outage "$(awk '/Requests\/sec/ {print $2}' <<<"$outage")" "$o50" "$o99"
awk -v a="$o99" -v b="$b99" 'BEGIN { printf "p99 during the outage / baseline: %.2fx (target <= 1.2x)\n", a / b }'
kill "$moat_pid"; wait "$moat_pid" 2>/dev/null || true; moat_pid=""
grep telemetry "$work/moat.err" | sed 's/^/  /' || true
exit "$check"
