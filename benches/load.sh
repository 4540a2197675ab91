#!/usr/bin/env bash
# Moat next to nginx and HAProxy on this machine: one run, one table.
#
# Builds moat (release), starts the reference peers (../shared/bench/peers.sh: upstream on 18080, nginx on 18081,
# HAProxy on 18083), starts `moat serve --config examples/bench.yaml --threads 1` (port 18090) and
# `moat serve --config examples/bench-waf.yaml --threads 1` (port 18091: the same proxy behind every AWS-named
# managed rule group Moat ships, in Block mode), warms up, then runs wrk against each one after another with
# the same settings, for a GET and for a JSON POST, and prints:
#   case  name  req/s  p50  p99  req/s vs nginx  p99 vs nginx
# plus, at a fixed load below saturation (PACED_RATE req/s, default 2000, over PACED_C connections, default 8),
# each proxy's p50/p99 and the latency the WAF adds to Moat; plus Moat's resident memory (peak VmHWM, and the
# highest VmRSS sampled during the load); and at the end, the records each access log wrote and dropped,
# as Moat and Moat-WAF report them when stopped.
# Only ratios within one run mean anything: the machine is shared and noisy.
#
# With TELEMETRY=1 (the default) a last phase compares Moat with Moat-tel (examples/bench-telemetry.yaml,
# port 18093): the same proxy with every exporter on, the access log and EMF metrics shipped to CloudWatch
# Logs and sampled requests' segments to X-Ray, all on a moto_server started here, and spans and metrics over
# OTLP to the test OTLP receiver (moat-testkit's otlp-receiver) started here. Each round runs Moat, then
# Moat-tel with the endpoints live, then Moat-tel with the endpoints paused for the measured seconds (its
# backlog delivered afterwards), each proxy's worker thread alone on CPU 0 and everything else on CPU 1,
# waiting for moto to finish ingesting before every run: moto shares this machine's two cores, and
# spends about half as much CPU per shipped event as Moat spends proxying the request (CloudWatch would
# not run on the gateway's cores). It prints each run's ratio, each thread's CPU per request, and checks
# that every access line Moat-tel wrote was delivered.
#
# Environment: ROUNDS (default 5; the table shows each proxy's median req/s, p50 and p99 over the rounds, and the
# median over the rounds of its ratios to nginx in the same round), TEL_ROUNDS (rounds of the telemetry phase,
# default 3), CARGO_TARGET_DIR (default
# $HOME/.cache/moat-target), PEERS (path of peers.sh), KEEP_PEERS=1 (leave
# the peers running), WRK_C / WRK_D (wrk connections and seconds, as peers.sh reads them), WARMUP (seconds, default 2),
# BODY (POST body file, default order.json next to peers.sh).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
PEERS=${PEERS:-$here/../../shared/bench/peers.sh}
BODY=${BODY:-$(dirname "$PEERS")/order.json}
WARMUP=${WARMUP:-2}
ROUNDS=${ROUNDS:-5}
TEL_ROUNDS=${TEL_ROUNDS:-3}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/moat-target}
moat_port=18090
waf_port=18091
# Every request carries this Host, as traffic through a custom domain does (a loopback address in Host is
# itself something the managed rules flag: Host_localhost_HEADER), and a browser's User-Agent and Accept
# (wrk sends no User-Agent, which NoUserAgent_HEADER blocks).
bench_host=api.example.com
bench_agent='Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36'
get_path='/products/42?color=red'
post_path='/orders'

[[ -x $PEERS || -f $PEERS ]] || { echo "load.sh: peers script not found: $PEERS" >&2; exit 2; }
[[ -f $BODY ]] || { echo "load.sh: POST body not found: $BODY" >&2; exit 2; }

TELEMETRY=${TELEMETRY:-1}
started=$(date -u +%Y-%m-%dT%H:%M:%SZ)
echo "building moat (release)..." >&2
(cd "$root" && cargo build --release -q -p moat-gateway)
moat_bin=$CARGO_TARGET_DIR/release/moat
tel_port=18093
if [[ $TELEMETRY == 1 ]]; then
  (cd "$root" && cargo build --release -q -p moat-testkit --bin otlp-receiver)
  python3 -c 'import moto.server' 2>/dev/null || { echo "load.sh: moto not installed (pip install 'moto[server]')" >&2; exit 2; }
fi

work=$(mktemp -d /tmp/moat-load.XXXXXX)
mkdir -p /tmp/moat-bench
rm -f /tmp/moat-bench/access.log*
moat_pid=""
waf_pid=""
tel_pid=""
moto_pid=""
otlp_pid=""
sampler_pid=""

cleanup() {
  [[ -n $sampler_pid ]] && kill "$sampler_pid" 2>/dev/null || true
  for pid in $moat_pid $waf_pid $tel_pid $moto_pid; do
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  [[ -n $otlp_pid ]] && pkill -P "$otlp_pid" 2>/dev/null || true
  [[ ${KEEP_PEERS:-0} == 1 ]] || bash "$PEERS" stop >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

echo "starting peers..." >&2
bash "$PEERS" start >&2

"$moat_bin" serve --config "$root/examples/bench.yaml" --threads 1 2>"$work/moat.err" >"$work/moat.out" &
moat_pid=$!
"$moat_bin" serve --config "$root/examples/bench-waf.yaml" --threads 1 2>"$work/waf.err" >"$work/waf.out" &
waf_pid=$!
if [[ $TELEMETRY == 1 ]]; then
  rm -rf /tmp/moat-bench/spool /tmp/moat-bench/access-telemetry.log*
  moto_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  # The endpoints run only on CPU time nothing else wants (SCHED_IDLE): they stand in for CloudWatch, X-Ray
  # and a collector, whose CPU is not the gateway's in production. Starved during a saturated run, moto
  # falls behind and Moat's shippers queue and spool as they would for a slow endpoint (that cost is Moat's
  # and counted); moto_idle below lets it catch up between runs.
  chrt --idle 0 nice -n 19 python3 -m moto.server -H 127.0.0.1 -p "$moto_port" >"$work/moto.log" 2>&1 &
  moto_pid=$!
  # (The subshell's own stderr is dropped: it only reports "Terminated" when the sleep is stopped at the end.)
  (sleep 100000 | chrt --idle 0 nice -n 19 "$CARGO_TARGET_DIR/release/otlp-receiver" >"$work/otlp.endpoint" 2>"$work/otlp.err") 2>/dev/null &
  otlp_pid=$!
  for _ in $(seq 100); do
    [[ -s $work/otlp.endpoint ]] && curl -s -o /dev/null "http://127.0.0.1:$moto_port/moto-api/" && break
    sleep 0.1
  done
  AWS_ENDPOINT_URL=http://127.0.0.1:$moto_port AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID=testing \
    AWS_SECRET_ACCESS_KEY=testing AWS_EC2_METADATA_DISABLED=true AWS_CONFIG_FILE=/dev/null \
    AWS_SHARED_CREDENTIALS_FILE=/dev/null OTEL_EXPORTER_OTLP_ENDPOINT=$(head -1 "$work/otlp.endpoint") \
    "$moat_bin" serve --config "$root/examples/bench-telemetry.yaml" --threads 1 2>"$work/tel.err" >"$work/tel.out" &
  tel_pid=$!
  for _ in $(seq 100); do
    if curl -fs -o /dev/null "http://127.0.0.1:$tel_port$get_path"; then break; fi
    if ! kill -0 "$tel_pid" 2>/dev/null; then
      echo "load.sh: moat (telemetry) exited:" >&2; cat "$work/tel.err" >&2; exit 1
    fi
    sleep 0.1
  done
fi
for _ in $(seq 100); do
  if curl -fs -o /dev/null -H "Host: $bench_host" -A "$bench_agent" "http://127.0.0.1:$waf_port$get_path"; then break; fi
  if ! kill -0 "$waf_pid" 2>/dev/null; then
    echo "load.sh: moat (WAF) exited:" >&2; cat "$work/waf.err" >&2; exit 1
  fi
  sleep 0.1
done
for _ in $(seq 100); do
  if curl -fs -o /dev/null "http://127.0.0.1:$moat_port$get_path"; then break; fi
  if ! kill -0 "$moat_pid" 2>/dev/null; then
    echo "load.sh: moat exited:" >&2; cat "$work/moat.err" >&2; exit 1
  fi
  sleep 0.1
done
curl -fs -o /dev/null "http://127.0.0.1:$moat_port$get_path" || {
  echo "load.sh: moat does not answer on :$moat_port$get_path" >&2; cat "$work/moat.err" >&2; exit 1
}

# Resident memory while under load: the peak the kernel recorded (VmHWM) and the highest VmRSS we sampled.
(
  max=0
  while kill -0 "$moat_pid" 2>/dev/null; do
    rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$moat_pid/status" 2>/dev/null || echo 0)
    rss=${rss:-0}
    ((rss > max)) && max=$rss && echo "$max" >"$work/rss.max"
    sleep 0.25
  done
) &
sampler_pid=$!

# One wrk client configuration for every target: the same Host header, and for the POST the same body.
get_lua=$work/get.lua
post_lua=$work/post.lua
printf 'wrk.headers["Host"] = "%s"\nwrk.headers["User-Agent"] = "%s"\nwrk.headers["Accept"] = "application/json"\n' \
  "$bench_host" "$bench_agent" >"$get_lua"
cp "$get_lua" "$post_lua"
printf 'wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\nwrk.body = io.open("%s"):read("*a")\n' \
  "$BODY" >>"$post_lua"

# wrk with ../shared/bench/peers.sh's settings (-t1, WRK_C connections, WRK_D seconds, --latency), one target
# after another; prints `name req/s p50 p99` rows as `peers.sh bench` does.
bench() {
  local script=$1 pair name url out
  shift
  for pair in "$@"; do
    name=${pair%%=*} url=${pair#*=}
    out=$(${BENCH_WRK:-wrk} -t1 -c"${WRK_C:-64}" -d"${WRK_D:-8}s" --latency -s "$script" "$url" 2>&1)
    printf '%-12s %12s %10s %10s\n' "$name" \
      "$(awk '/Requests\/sec/ {print $2}' <<<"$out")" \
      "$(awk '$1 == "50%" {print $2}' <<<"$out")" \
      "$(awk '$1 == "99%" {print $2}' <<<"$out")"
    if grep -q "Non-2xx" <<<"$out"; then
      # A target answering errors measures its error path, not proxying: the run is void.
      echo "load.sh: $name answered non-2xx responses ($(grep Non-2xx <<<"$out" | xargs)); stopping" >&2
      exit 1
    fi
  done
}

echo "warming up (${WARMUP}s per target)..." >&2
for port in $moat_port $waf_port 18081 18083; do
  wrk -t1 -c"${WRK_C:-64}" -d"${WARMUP}s" -s "$get_lua" "http://127.0.0.1:$port$get_path" >/dev/null 2>&1
done

# Each round runs every target once. Moat and nginx always run back to back, so that the machine's slow
# swings in speed (it is shared) hit both alike, and the order changes from round to round so that over
# four rounds every target runs once in every position:
#   Moat nginx HAProxy Moat-WAF / HAProxy Moat-WAF nginx Moat / nginx Moat Moat-WAF HAProxy /
#   Moat-WAF HAProxy Moat nginx
# The table shows each target's median req/s, p50 and p99 over the rounds, and as its ratios to nginx the
# median over the rounds of the ratio within each round.
targets() {
  local path=$1 round=$2 name
  local -A url=(["Moat"]="http://127.0.0.1:$moat_port$path" ["Moat-WAF"]="http://127.0.0.1:$waf_port$path"
    ["nginx"]="http://127.0.0.1:18081$path" ["HAProxy"]="http://127.0.0.1:18083$path")
  local orders=("Moat nginx HAProxy Moat-WAF" "HAProxy Moat-WAF nginx Moat" "nginx Moat Moat-WAF HAProxy"
    "Moat-WAF HAProxy Moat nginx")
  for name in ${orders[$((round % 4))]}; do echo "$name=${url[$name]}"; done
}
: >"$work/get.txt"
: >"$work/post.txt"
for round in $(seq 0 $((ROUNDS - 1))); do
  echo "round $((round + 1))/$ROUNDS: GET $get_path ..." >&2
  # shellcheck disable=SC2046
  bench "$get_lua" $(targets "$get_path" "$round") | sed "s/^/GET /; s/\$/ round$((round + 1))/" >>"$work/get.txt"
  echo "round $((round + 1))/$ROUNDS: POST $post_path ($(wc -c <"$BODY") bytes of JSON) ..." >&2
  # shellcheck disable=SC2046
  bench "$post_lua" $(targets "$post_path" "$round") | sed "s/^/POST /; s/\$/ round$((round + 1))/" >>"$work/post.txt"
done

# Latency at a fixed load below saturation: what a request pays for passing through each proxy, not how
# long it queued. Each of PACED_C connections waits PACED_C/PACED_RATE seconds before its next request
# (wrk's delay() hook), so the offered load is about PACED_RATE req/s whatever the target's capacity.
paced_rate=${PACED_RATE:-2000}
paced_c=${PACED_C:-8}
paced_delay_ms=$(awk -v c="$paced_c" -v r="$paced_rate" 'BEGIN { printf "%.3f", c * 1000 / r }')
for kind in get post; do
  cp "$work/$kind.lua" "$work/$kind-paced.lua"
  printf 'function delay() return %s end\n' "$paced_delay_ms" >>"$work/$kind-paced.lua"
done
: >"$work/paced.txt"
echo "latency at ~$paced_rate req/s ($paced_c connections)..." >&2
for kind in GET POST; do
  lower=$(tr 'A-Z' 'a-z' <<<"$kind")
  path=$get_path
  [[ $kind == POST ]] && path=$post_path
  for pair in "Moat=http://127.0.0.1:$moat_port$path" "Moat-WAF=http://127.0.0.1:$waf_port$path" \
    "nginx=http://127.0.0.1:18081$path"; do
    name=${pair%%=*} url=${pair#*=}
    out=$(wrk -t1 -c"$paced_c" -d"${WRK_D:-8}s" --latency -s "$work/$lower-paced.lua" "$url" 2>&1)
    printf '%s %s %s %s %s\n' "$kind" "$name" "$(awk '/Requests\/sec/ {print $2}' <<<"$out")" \
      "$(awk '$1 == "50%" {print $2}' <<<"$out")" "$(awk '$1 == "99%" {print $2}' <<<"$out")" >>"$work/paced.txt"
  done
done

# Exporters on vs off. Last, because it pins processes to CPUs: on a 2-core machine the endpoints (moto,
# the OTLP receiver) and the load generator would otherwise share the gateway's core, and moto's CPU per
# shipped event (about half of what Moat spends proxying the request) is CloudWatch's, not the gateway's.
# Layout for this phase, the same for Moat and Moat-tel: each one's worker thread alone on CPU 0; its
# background threads (log writer, telemetry), wrk, the upstream, moto and the OTLP receiver on CPU 1.
# Each round runs, one after another: Moat (off); Moat-tel with the endpoints live (they ingest during the
# run, on CPU 1); Moat-tel with the endpoints paused (SIGSTOP for the measured seconds, SIGCONT after:
# Moat queues and spools as for a slow endpoint, then delivers the backlog, which is waited for and whose
# CPU is reported). Before each run, moto is waited for until idle.
moto_idle() {
  local i a b
  for i in $(seq 120); do
    a=$(awk '{print $14 + $15}' "/proc/$moto_pid/stat" 2>/dev/null || echo 0)
    sleep 1
    b=$(awk '{print $14 + $15}' "/proc/$moto_pid/stat" 2>/dev/null || echo 0)
    ((b - a < 5)) && return 0
  done
}
# CPU ticks per thread name of a process, signed (SIGN -1 after a run, 1 before), so that summing the
# lines gives each thread's CPU during the runs.
thread_ticks() {
  local pid=$1 name=$2 sign=${3:-1} t
  for t in /proc/"$pid"/task/*; do
    printf '%s %s %s\n' "$name" "$(tr ' ' _ <"$t/comm")" "$(awk -v s="$sign" '{print -s * ($14 + $15)}' "$t/stat")"
  done
}
pinned=0
pin_layout() {
  local t
  ((pinned)) || return 0
  for t in /proc/"$1"/task/*; do
    if [[ $(cat "$t/comm") == moat-worker-* ]]; then taskset -pc 0 "${t##*/}"; else taskset -pc 1 "${t##*/}"; fi
  done >/dev/null
}
: >"$work/tel.txt"
: >"$work/tel.cpu"
: >"$work/tel.backlog"
if [[ $TELEMETRY == 1 ]]; then
  if (($(nproc) >= 2)) && command -v taskset >/dev/null; then
    pinned=1
    pin_layout "$moat_pid"
    pin_layout "$tel_pid"
    for pid in $moto_pid $(pgrep -P "$otlp_pid") $(pgrep -P "$(cat "${PEERS_DIR:-/tmp/moat-peers}/upstream.pid")"); do
      taskset -apc 1 "$pid" >/dev/null
    done
  fi
  tel_wrk() { if ((pinned)); then taskset -c 1 wrk "$@"; else wrk "$@"; fi; }
  otlp_rx=$(pgrep -P "$otlp_pid" otlp-receiver || true)
  # One measured run of NAME (process PID on PORT) for $kind $path, after moto is idle, each thread's CPU
  # added to CPU_FILE; with PAUSE=1 the endpoints are stopped for the measured seconds, and the CPU Moat
  # spends delivering the backlog after they resume (until moto is idle) is counted too.
  tel_run() {
    local name=$1 pid=$2 port=$3 cpu_file=$4 pause=$5
    moto_idle
    thread_ticks "$pid" "$name" >>"$cpu_file"
    # shellcheck disable=SC2086
    ((pause)) && kill -STOP "$moto_pid" $otlp_rx
    BENCH_WRK=tel_wrk bench "$work/$lower.lua" "$name=http://127.0.0.1:$port$path" | sed "s/^/$kind /" >>"$work/tel.txt"
    if ((pause)); then
      # shellcheck disable=SC2086
      kill -CONT "$moto_pid" $otlp_rx
      moto_idle
    fi
    thread_ticks "$pid" "$name" -1 >>"$cpu_file"
  }
  tel_wrk -t1 -c"${WRK_C:-64}" -d"${WARMUP}s" -s "$get_lua" "http://127.0.0.1:$tel_port$get_path" >/dev/null 2>&1
  for round in $(seq 1 "$TEL_ROUNDS"); do
    for kind in GET POST; do
      lower=$(tr 'A-Z' 'a-z' <<<"$kind")
      path=$get_path
      [[ $kind == POST ]] && path=$post_path
      echo "exporters round $round/$TEL_ROUNDS: $kind (off, live, paused) ..." >&2
      tel_run Moat "$moat_pid" "$moat_port" "$work/tel.cpu" 0
      tel_run Moat-tel "$tel_pid" "$tel_port" "$work/tel.cpu" 0
      tel_run Moat-paused "$tel_pid" "$tel_port" "$work/tel.backlog" 1
    done
  done
  # The upstream is the peers' (KEEP_PEERS=1 leaves it running): give it every CPU back.
  if ((pinned)); then
    for pid in $(pgrep -P "$(cat "${PEERS_DIR:-/tmp/moat-peers}/upstream.pid")"); do
      taskset -apc "0-$(($(nproc) - 1))" "$pid" >/dev/null
    done
  fi
fi

hwm=$(awk '/^VmHWM:/ {print $2}' "/proc/$moat_pid/status" 2>/dev/null || echo 0)
rss_max=$(cat "$work/rss.max" 2>/dev/null || echo 0)

echo "# benches/load.sh started $started on $(nproc) cores, wrk -t1 -c${WRK_C:-64} -d${WRK_D:-8}s, moat --threads 1, median of $ROUNDS rounds"
echo "# (req/s, p50, p99: each target's medians over the rounds; x/nginx: the median of the rounds' ratios)"
echo "# raw rounds:"
sed 's/^/#   /' "$work/get.txt" "$work/post.txt" | grep -v ' name '
# wrk latencies (850.00us, 1.23ms, 1.02s, 1.5m) in milliseconds, for the awk tables below.
awk_ms='
  function ms(v) {
    if (v ~ /us$/) { sub(/us$/, "", v); return v / 1000 }
    if (v ~ /ms$/) { sub(/ms$/, "", v); return v + 0 }
    if (v ~ /m$/)  { sub(/m$/, "", v);  return v * 60000 }
    if (v ~ /s$/)  { sub(/s$/, "", v);  return v * 1000 }
    return v + 0
  }'
# Each proxy's median over the rounds, of req/s, p50 and p99 each (so that one round's hiccup moves none).
median_of() { sort -g | awk '{v[NR] = $0} END {print v[int((NR + 1) / 2)]}'; }
: >"$work/median.txt"
for k in GET POST; do
  for n in Moat Moat-WAF nginx HAProxy; do
    rows=$(grep -h "^$k $n " "$work/get.txt" "$work/post.txt" || true)
    [[ -n $rows ]] || continue
    # Latencies in milliseconds, whatever unit wrk chose (it prints 846.00us beside 1.25ms).
    pick() { awk "$awk_ms"' { printf "%.6f %.2fms\n", ms($'"$1"'), ms($'"$1"') }' <<<"$rows" | median_of | awk '{print $2}'; }
    echo "$k $n $(awk '{print $3}' <<<"$rows" | median_of) $(pick 4) $(pick 5)" >>"$work/median.txt"
  done
done
# Ratios to nginx: each round's, between runs made back to back (or nearly), then their median over the rounds.
awk "$awk_ms"'
  { rps[$1 " " $2 " " $6] = $3; p99[$1 " " $2 " " $6] = ms($5) }
  END {
    for (key in rps) {
      split(key, f, " "); base = f[1] " nginx " f[3]
      if (rps[base] > 0 && p99[base] > 0) printf "%s %s %.6f %.6f\n", f[1], f[2], rps[key] / rps[base], p99[key] / p99[base]
    }
  }' "$work/get.txt" "$work/post.txt" >"$work/ratios.txt"
ratio_median() {
  local r
  r=$(awk -v k="$1" -v n="$2" -v c="$3" '$1 == k && $2 == n {print $c}' "$work/ratios.txt" | sort -g |
    awk '{v[NR] = $1} END {if (NR) print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}')
  if [[ -n $r ]]; then printf '%.2f' "$r"; else echo -; fi
}
printf '%-5s %-8s %12s %10s %10s %14s %12s\n' case name req/s p50 p99 req/s/nginx p99/nginx
while read -r k n rps p50 p99; do
  printf '%-5s %-8s %12s %10s %10s %14s %12s\n' "$k" "$n" "$rps" "$p50" "$p99" "$(ratio_median "$k" "$n" 3)" \
    "$(ratio_median "$k" "$n" 4)"
done <"$work/median.txt"
awk -v rate="$paced_rate" -v c="$paced_c" "$awk_ms"'
  { kase[NR] = $1; name[NR] = $2; rps[NR] = $3; p50[NR] = ms($4); p99[NR] = ms($5)
    if ($2 == "Moat") { b50[$1] = ms($4); b99[$1] = ms($5) } }
  END {
    printf "\nLatency at a fixed ~%d req/s (%d connections, below every target'"'"'s capacity); added = minus Moat without WAF\n", rate, c
    printf "%-5s %-8s %10s %10s %10s %12s %12s\n", "case", "name", "req/s", "p50 ms", "p99 ms", "p50 added", "p99 added"
    for (i = 1; i <= NR; i++) {
      a50 = (name[i] == "Moat-WAF") ? sprintf("%+.3f", p50[i] - b50[kase[i]]) : "-"
      a99 = (name[i] == "Moat-WAF") ? sprintf("%+.3f", p99[i] - b99[kase[i]]) : "-"
      printf "%-5s %-8s %10s %10.3f %10.3f %12s %12s\n", kase[i], name[i], rps[i], p50[i], p99[i], a50, a99
    }
  }' "$work/paced.txt"
peak=$(( hwm > rss_max ? hwm : rss_max ))
printf 'Moat RSS: peak %.1f MB (max of VmHWM %.1f MB and VmRSS sampled every 250 ms during the load %.1f MB)\n' \
  "$(awk -v k="$peak" 'BEGIN {print k/1024}')" "$(awk -v k="$hwm" 'BEGIN {print k/1024}')" \
  "$(awk -v k="$rss_max" 'BEGIN {print k/1024}')"
if [[ $TELEMETRY == 1 ]]; then
  echo
  layout="unpinned (fewer than 2 CPUs or no taskset)"
  ((pinned)) && layout="worker thread on CPU 0; background threads, wrk, upstream and endpoints on CPU 1"
  echo "Every exporter on (Moat-tel) vs off (Moat), in rounds of (off, endpoints live, endpoints paused); $layout."
  echo "Each round's ratios to the off run just before it, then the medians:"
  printf '  %-4s %10s %10s %10s %8s %8s\n' case off live paused live paused
  awk '$2 == "Moat" { off = $3 } $2 == "Moat-tel" { live = $3 }
    $2 == "Moat-paused" { printf "  %-4s %10s %10s %10s %7.2fx %7.2fx\n", $1, off, live, $3, live / off, $3 / off }' \
    "$work/tel.txt" | tee "$work/tel.ratios"
  for kind in GET POST; do
    for col in 5 6; do
      median=$(awk -v k="$kind" -v c="$col" '$1 == k {print $c}' "$work/tel.ratios" | tr -d x | sort -g |
        awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}')
      if [[ $col == 5 ]]; then live=$median; else paused=$median; fi
    done
    echo "$kind: every exporter on / off, median round: ${live}x req/s with the endpoints live, ${paused}x paused"
  done
  # CPU per request of each thread (ticks are 10 ms; requests = req/s x run seconds, GET and POST).
  echo "CPU per 1,000 requests by thread during the measured runs (what the exporters cost Moat itself):"
  awk -v d="${WRK_D:-8}" -v tick="$(getconf CLK_TCK)" '
    FILENAME ~ /tel.txt$/ { reqs[$2] += $3 * d; next }
    { cpu[$1 " " $2] += $3 }
    END { for (k in cpu) { split(k, p, " "); if (cpu[k] > 0) printf "  %-11s %-16s %6.2f ms\n", p[1], p[2], cpu[k] * 1000 / tick * 1000 / reqs[p[1]] } }' \
    "$work/tel.txt" "$work/tel.cpu" "$work/tel.backlog" | sort
  echo "  (Moat-paused: its run plus delivering the backlog after the endpoints resumed, until moto was idle)"
  # Stop it now: its shutdown reports what each shipper delivered.
  kill "$tel_pid" 2>/dev/null; wait "$tel_pid" 2>/dev/null || true; tel_pid=""
  lines=$(wc -l </tmp/moat-bench/access-telemetry.log)
  echo "Moat-tel: $lines access lines written; at shutdown:"
  grep "telemetry.* delivered, " "$work/tel.err" | sed 's/^/  /'
  echo "  ($(grep -c "telemetry.*retrying" "$work/tel.err") retry warnings during the runs)"
  delivered=$(awk '/telemetry cloudwatch-logs:moat-access.* delivered, / {print $4}' "$work/tel.err")
  if [[ $delivered == "$lines" ]]; then
    echo "  every access line written was delivered to CloudWatch Logs (moat-access): $lines"
  else
    echo "  access lines written $lines, delivered to moat-access ${delivered:-?}: NOT EQUAL" >&2
  fi
  pkill -P "$otlp_pid" sleep 2>/dev/null || true
  sleep 0.5
  sed 's/^/  /' "$work/otlp.err"
fi
# Stop Moat and Moat-WAF: at shutdown each log sink prints the records it wrote and dropped (the files
# rotate at 100 MB, so /tmp/moat-bench/access.log holds only the latest of them).
for pid in $moat_pid $waf_pid; do
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
done
moat_pid=""
waf_pid=""
echo "Access logs of Moat and Moat-WAF, at shutdown:"
grep -h "log sink .* written" "$work/moat.err" "$work/waf.err" | sed 's/^/  /'
if [[ -s $work/moat.err ]] && grep -qiE 'error|panic' "$work/moat.err"; then
  echo "moat stderr:" >&2; grep -iE 'error|panic' "$work/moat.err" | head -20 >&2
fi
