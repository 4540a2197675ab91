#!/usr/bin/env bash
# CPU time per request of one or more processes under the same wrk load: a steadier comparison than req/s on
# a shared machine, because it does not depend on how the scheduler splits the cores between wrk, the
# upstream and the proxy.
# Usage: benches/cpu-per-request.sh NAME URL PID [PID...]
#   e.g. benches/cpu-per-request.sh moat "http://127.0.0.1:18090/products/42?color=red" "$(pgrep -f 'moat serve')"
# Environment: WRK_C (connections, 64), WRK_D (seconds, 6).
set -euo pipefail
name=$1 url=$2
shift 2
ticks() {
  local sum=0 task
  for pid in "$@"; do
    for task in /proc/"$pid"/task/*/stat; do
      sum=$((sum + $(awk '{print $14 + $15}' "$task")))
    done
  done
  echo "$sum"
}
before=$(ticks "$@")
out=$(wrk -t1 -c"${WRK_C:-64}" -d"${WRK_D:-6}s" "$url" 2>&1)
after=$(ticks "$@")
requests=$(awk '/requests in/ {print $1}' <<<"$out")
rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
hz=$(getconf CLK_TCK)
awk -v n="$name" -v r="$rps" -v t=$((after - before)) -v q="$requests" -v hz="$hz" \
  'BEGIN { printf "%-10s req/s %10s  cpu %6.2f s  %6.2f us/request\n", n, r, t / hz, (q > 0 ? t / hz * 1e6 / q : 0) }'
