#!/usr/bin/env bash
# moatctl next to DuckDB, angle-grinder, lnav and grep on 1M API Gateway access-log lines: one run, one table.
#
# The data: benches/analyzer/gen_access_logs.py (seeded) writes the same records as JSON lines in Moat's default
# HTTP access-log format and in Apache CLF (for lnav), into DATA_DIR, once per (seed, lines).
# The queries, each run by every tool that can answer it, RUNS times, interleaved (tool after tool in each round):
#   bins    stats count(*), pct(responseLatency, 99) by status, bin(1m)
#           moatctl query; DuckDB SQL (quantile_disc, date_trunc('minute', strptime(requestTime, ...)));
#           agrind `* | json | ... timeslice(...) 1m | count, p99(responseLatency) by status, _timeslice`.
#           lnav is left out: CLF has no per-request latency.
#   status  stats count(*) by status: moatctl query, DuckDB, agrind, lnav SQL over its access_log table.
#   filter  the filter pattern { $.status = 5* }: `moatctl tail FILE --filter-pattern ...` (lines counted),
#           grep -c '"status":"5', DuckDB WHERE status LIKE '5%', agrind `where substring(status, 0, 1) == "5"`,
#           lnav :filter-in on the CLF status field.
# DuckDB runs twice: `duckdb` with its default threads (one per core) and `duckdb-1t` with one thread, as moatctl
# and the other tools use. DuckDB's figures include starting Python and importing duckdb (~0.1 s, ~37 MiB).
# It prints: tool, query, median wall seconds, peak RSS (GNU time %M, the largest over the runs), the tool's
# median over moatctl's; then a cross-check against DuckDB's answer (see benches/analyzer/report.py): per-status
# counts and 5xx counts of every tool, per-(status, minute) counts, and moatctl's p99s against the exact
# nearest-rank p99 (rank ceil(99 n / 100); DuckDB's quantile_disc follows the same rule, which the check verifies).
# Raw outputs (last run of each), stderr, per-run timings and the commands stay in the output directory.
#
# The peers are installed on first use, idempotently, outside the repository, into TOOLS_DIR
# (default ~/.cache/moat-bench-tools): DuckDB (PyPI duckdb==$DUCKDB_VERSION) in a venv there, angle-grinder
# (crate ag $AG_VERSION, `cargo install --locked`, a few minutes of compiling, niced) in its bin/, lnav and GNU
# time from Debian's packages (apt-get, as root).
#
# Usage: benches/analyzer.sh [--tools moatctl,duckdb,duckdb-1t,agrind,lnav,grep] [--queries bins,status,filter]
#                            [--runs N] [--lines N] [--seed N] [--out DIR] [--install-only]
# Environment: RUNS (3), LINES (1000000), SEED (20261125), DATA_DIR (~/.cache/moat-bench-data), TOOLS_DIR,
# OUT (default: a new /tmp/moat-analyzer-bench.XXXXXX), CARGO_TARGET_DIR (where moatctl is built; default
# $HOME/.cache/moat-target, as scripts/test.sh), MOATCTL (a moatctl binary to use instead of building one), MOATCTL_QUERY_FLAGS
# (default --json: moatctl's machine-readable output, which the cross-check reads), FILTER_PATTERN,
# CMD_TIMEOUT (seconds per command, default 600).
# Exit codes: 0 all ran and the cross-check passed; 1 the cross-check failed; 2 bad usage or a missing tool;
# 3 moatctl lacks a subcommand the run needs.
set -euo pipefail
# EPOCHREALTIME's decimal point follows LC_NUMERIC.
export LC_NUMERIC=C

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/moat-target}
bench=$here/analyzer

DUCKDB_VERSION=2.0.1
AG_VERSION=0.19.5
ALL_TOOLS=(moatctl duckdb duckdb-1t agrind lnav grep)
ALL_QUERIES=(bins status filter)
RUNS=${RUNS:-3}
LINES=${LINES:-1000000}
SEED=${SEED:-20261125}
TOOLS_DIR=${TOOLS_DIR:-$HOME/.cache/moat-bench-tools}
DATA_DIR=${DATA_DIR:-$HOME/.cache/moat-bench-data}
MOATCTL_QUERY_FLAGS=${MOATCTL_QUERY_FLAGS:---json}
FILTER_PATTERN=${FILTER_PATTERN:-'{ $.status = 5* }'}
CMD_TIMEOUT=${CMD_TIMEOUT:-600}
OUT=${OUT:-}
tools_arg=$(IFS=,; echo "${ALL_TOOLS[*]}")
queries_arg=$(IFS=,; echo "${ALL_QUERIES[*]}")
install_only=0

die() { echo "analyzer.sh: $1" >&2; exit "${2:-2}"; }
usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; }

while (($#)); do
  case $1 in
    --tools) tools_arg=${2:?--tools needs a list}; shift 2 ;;
    --tools=*) tools_arg=${1#*=}; shift ;;
    --queries) queries_arg=${2:?--queries needs a list}; shift 2 ;;
    --queries=*) queries_arg=${1#*=}; shift ;;
    --runs) RUNS=${2:?--runs needs a number}; shift 2 ;;
    --lines) LINES=${2:?--lines needs a number}; shift 2 ;;
    --seed) SEED=${2:?--seed needs a number}; shift 2 ;;
    --out) OUT=${2:?--out needs a directory}; shift 2 ;;
    --install-only) install_only=1; shift ;;
    -h | --help) usage; exit 0 ;;
    *) die "unknown argument: $1 (see --help)" ;;
  esac
done
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || die "--runs must be a positive number, not '$RUNS'"
[[ $LINES =~ ^[1-9][0-9]*$ ]] || die "--lines must be a positive number, not '$LINES'"
[[ $SEED =~ ^[0-9]+$ ]] || die "--seed must be a number, not '$SEED'"

IFS=, read -r -a tools <<<"$tools_arg"
IFS=, read -r -a queries <<<"$queries_arg"
for t in "${tools[@]}"; do
  [[ " ${ALL_TOOLS[*]} " == *" $t "* ]] || die "unknown tool '$t' (known: ${ALL_TOOLS[*]})"
done
for q in "${queries[@]}"; do
  [[ " ${ALL_QUERIES[*]} " == *" $q "* ]] || die "unknown query '$q' (known: ${ALL_QUERIES[*]})"
done
selected() { [[ " ${tools[*]} " == *" $1 "* ]]; }

# ---- the peers, installed once into TOOLS_DIR ----------------------------------------------------------------
mkdir -p "$TOOLS_DIR"
py=$TOOLS_DIR/venv/bin/python
agrind=$TOOLS_DIR/bin/agrind
apt_install() {
  if [[ $(id -u) != 0 ]] || ! command -v apt-get >/dev/null; then
    die "$1 is missing: install Debian's '$1' package"
  fi
  echo "installing $1 (apt-get)..." >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$1" >&2 \
    || { apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$1" >&2; } \
    || die "apt-get install $1 failed"
}
# DuckDB is always needed: it computes the reference answer of the cross-check.
if ! "$py" -c "import duckdb, sys; sys.exit(duckdb.__version__ != '$DUCKDB_VERSION')" 2>/dev/null; then
  echo "installing duckdb==$DUCKDB_VERSION into $TOOLS_DIR/venv..." >&2
  [[ -x $py ]] || python3 -m venv "$TOOLS_DIR/venv"
  "$py" -m pip install -q "duckdb==$DUCKDB_VERSION" >&2
fi
if selected agrind && [[ $("$agrind" --version 2>/dev/null) != "ag $AG_VERSION" ]]; then
  echo "installing angle-grinder (cargo install ag --version $AG_VERSION; compiles for a few minutes)..." >&2
  env -u CARGO_TARGET_DIR nice -n 10 cargo install ag --locked --version "$AG_VERSION" --root "$TOOLS_DIR" >&2
fi
if selected lnav && ! command -v lnav >/dev/null; then apt_install lnav; fi
gnu_time=0
if /usr/bin/time --version 2>&1 | grep -q GNU; then
  gnu_time=1
elif [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
  apt_install time
  gnu_time=1
fi
((install_only)) && { echo "peers installed in $TOOLS_DIR" >&2; exit 0; }

# ---- moatctl --------------------------------------------------------------------------------------------------
if selected moatctl; then
  if [[ -n ${MOATCTL:-} ]]; then
    moatctl=$MOATCTL
  else
    echo "building moatctl (release)..." >&2
    (cd "$root" && cargo build --release -q -p moat-analyzer)
    moatctl=$CARGO_TARGET_DIR/release/moatctl
  fi
  [[ -x $moatctl ]] || die "no moatctl binary at $moatctl after the build"
  needs=()
  [[ " ${queries[*]} " == *" bins "* || " ${queries[*]} " == *" status "* ]] && needs+=(query)
  [[ " ${queries[*]} " == *" filter "* ]] && needs+=(tail)
  peers=()
  for t in "${tools[@]}"; do [[ $t == moatctl ]] || peers+=("$t"); done
  for sub in "${needs[@]}"; do
    "$moatctl" "$sub" --help >/dev/null 2>&1 \
      || die "moatctl has no '$sub' subcommand in this build ($moatctl); to run the peers alone:
  benches/analyzer.sh --tools $(IFS=,; echo "${peers[*]:-duckdb}")" 3
  done
  if [[ " ${needs[*]} " == *" tail "* ]] && ! "$moatctl" tail --help 2>/dev/null | grep -q -- --filter-pattern; then
    die "moatctl tail has no --filter-pattern option in this build" 3
  fi
fi

# ---- data -----------------------------------------------------------------------------------------------------
mkdir -p "$DATA_DIR"
json=$DATA_DIR/access-$SEED-$LINES.jsonl
clf=$DATA_DIR/access-$SEED-$LINES.clf
if [[ ! -s $json || ! -s $clf ]]; then
  echo "generating $LINES lines (seed $SEED) into $DATA_DIR..." >&2
  python3 "$bench/gen_access_logs.py" --lines "$LINES" --seed "$SEED" --json "$json.tmp" --clf "$clf.tmp"
  mv "$json.tmp" "$json"
  mv "$clf.tmp" "$clf"
fi
# Read both once so that every tool starts with them in the page cache.
cat "$json" "$clf" >/dev/null

# ---- runs -----------------------------------------------------------------------------------------------------
if [[ -z $OUT ]]; then OUT=$(mktemp -d /tmp/moat-analyzer-bench.XXXXXX); fi
mkdir -p "$OUT/raw" "$OUT/lnav-home"
: >"$OUT/results.tsv"
: >"$OUT/commands.txt"
rss_file=$OUT/.rss
trap 'rm -f "$rss_file"' EXIT

# The command line of TOOL for QUERY into the array `cmd`; returns 1 when the tool has no such query.
command_for() {
  local tool=$1 query=$2 flags
  local ag_minute='parseDate(concat(substring(requestTime, 0, 11), " ", substring(requestTime, 12))) as t'
  local lnav_sql=';SELECT sc_status, count(*) AS n FROM access_log GROUP BY sc_status ORDER BY sc_status'
  read -r -a flags <<<"$MOATCTL_QUERY_FLAGS"
  cmd=()
  case $tool:$query in
    moatctl:bins) cmd=("$moatctl" query "$json" 'stats count(*), pct(responseLatency, 99) by status, bin(1m)'
      "${flags[@]}") ;;
    moatctl:status) cmd=("$moatctl" query "$json" 'stats count(*) by status' "${flags[@]}") ;;
    moatctl:filter) cmd=("$moatctl" tail "$json" --filter-pattern "$FILTER_PATTERN") ;;
    duckdb:*) cmd=("$py" "$bench/duckdb_query.py" "$query" "$json") ;;
    duckdb-1t:*) cmd=("$py" "$bench/duckdb_query.py" "$query" "$json" --threads 1) ;;
    agrind:bins) cmd=("$agrind" -o json -f "$json"
      "* | json | $ag_minute | timeslice(t) 1m | count, p99(responseLatency) by status, _timeslice") ;;
    agrind:status) cmd=("$agrind" -o json -f "$json" '* | json | count by status') ;;
    agrind:filter) cmd=("$agrind" -f "$json" '* | json | where substring(status, 0, 1) == "5"') ;;
    lnav:status) cmd=(env "HOME=$OUT/lnav-home" lnav -n -c "$lnav_sql" -c ':write-csv-to -' "$clf") ;;
    lnav:filter) cmd=(env "HOME=$OUT/lnav-home" lnav -n -c ':filter-in " 5[0-9][0-9] ' "$clf") ;;
    grep:filter) cmd=(grep -c '"status":"5' "$json") ;;
    *) return 1 ;;
  esac
}

# Runs `cmd` once for TOOL and QUERY, appending a line to results.tsv.
measure() {
  local tool=$1 query=$2 run=$3 start end rc=0 rss
  local out=$OUT/raw/$tool.$query.out err=$OUT/raw/$tool.$query.err
  local rss_tool=(python3 "$bench/rss.py" "$rss_file")
  ((gnu_time)) && rss_tool=(/usr/bin/time -f %M -o "$rss_file")
  rm -f "$rss_file"
  start=$EPOCHREALTIME
  "${rss_tool[@]}" timeout --foreground "$CMD_TIMEOUT" "${cmd[@]}" </dev/null >"$out" 2>"$err" || rc=$?
  end=$EPOCHREALTIME
  rss=$(tail -n 1 "$rss_file" 2>/dev/null || echo '?')
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$tool" "$query" "$run" "$start" "$end" "$rss" "$rc" >>"$OUT/results.tsv"
  if ((rc != 0)); then
    echo "  $tool $query run $run: exit $rc (stderr in $err)" >&2
  fi
}

echo "output directory: $OUT" >&2
for query in "${queries[@]}"; do
  for tool in "${tools[@]}"; do
    if command_for "$tool" "$query"; then
      {
        printf '%s %s:' "$tool" "$query"
        printf ' %s' "${cmd[@]@Q}"
        echo
      } >>"$OUT/commands.txt"
    fi
  done
  for ((run = 1; run <= RUNS; run++)); do
    echo "$query: round $run of $RUNS" >&2
    for tool in "${tools[@]}"; do
      if command_for "$tool" "$query"; then measure "$tool" "$query" "$run"; fi
    done
  done
done

echo "reference answer (DuckDB, untimed)..." >&2
"$py" "$bench/duckdb_query.py" reference "$json" >"$OUT/reference.csv"

status=0
{
  echo "moatctl analyzer bench, $(date -u '+%Y-%m-%d %H:%M UTC'), $LINES lines (seed $SEED), $RUNS runs of each (median)"
  echo "data: $json ($(du -m "$json" | cut -f1) MB), $clf ($(du -m "$clf" | cut -f1) MB)"
  lnav_version=$(lnav -V 2>/dev/null || echo "lnav missing")
  echo "peers: duckdb $DUCKDB_VERSION (PyPI), ag $AG_VERSION (crates.io), $lnav_version, $(grep -V | head -n 1)"
  echo
  rc=0
  python3 "$bench/report.py" "$OUT" || rc=$?
  echo
  echo "raw outputs, stderr, per-run timings (results.tsv) and the commands (commands.txt): $OUT"
  exit "$rc"
} | tee "$OUT/report.txt" || status=$?
exit "$status"
