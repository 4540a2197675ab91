#!/usr/bin/env python3
"""The table and the cross-check of benches/analyzer.sh, from the files it leaves in its output directory.

    report.py OUT_DIR

Reads ``OUT_DIR/results.tsv`` (one line per timed run: tool, query, run, start, end, peak RSS KiB, exit code),
the last run's stdout of each (tool, query) in ``OUT_DIR/raw/TOOL.QUERY.out`` and DuckDB's reference
(``OUT_DIR/reference.csv``, from ``duckdb_query.py reference``, not timed). Prints

* one table: tool, query, median wall seconds, peak RSS (largest over the runs), the tool's median over
  moatctl's (how many times moatctl's time the tool took; over the first tool's when moatctl did not run);
* the cross-check, and exits 1 if any strict check fails.

Strict checks: every tool's per-status counts equal the reference's; per (status, minute) counts of moatctl,
DuckDB and angle-grinder equal the reference's; moatctl's p99 per (status, minute) equals the exact nearest-rank
p99 (the value at 1-based rank ceil(99 n / 100) in ascending order, computed with integers) and DuckDB's
``quantile_disc(x, 0.99)`` does too; every filter scan finds the reference's number of 5xx records.
Reported, not strict: how many of angle-grinder's p99s equal the exact one (it estimates percentiles with a
CKMS sketch, error 0.001), and whether moatctl's p99s equal ``quantile_disc``'s where that differs from
nearest rank (it never does on the generated data, but the script says so if it ever does).
"""

from __future__ import annotations

import csv
import json
import os
import statistics
import sys
from datetime import datetime, timezone

QUERY_TEXT = {
    "bins": "stats count(*), pct(responseLatency, 99) by status, bin(1m)",
    "status": "stats count(*) by status",
    "filter": "filter pattern { $.status = 5* }",
}
QUERIES = ("bins", "status", "filter")


class CheckError(Exception):
    """An output that cannot be read as the query's answer."""


def read_text(path: str) -> str:
    with open(path, encoding="utf-8", errors="replace") as f:
        return f.read()


def minute_of(value) -> int:
    """A bin value (epoch s or ms, or a date-time text in UTC) as epoch seconds of its minute."""
    if isinstance(value, (int, float)):
        seconds = value / 1000 if value > 1e11 else value
        return int(seconds) // 60 * 60
    text = str(value).strip()
    if text.replace(".", "", 1).isdigit():
        return minute_of(float(text))
    if text.endswith(" UTC"):
        text = text[:-4]
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as e:
        raise CheckError("bin value %r is not a date-time" % value) from e
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return int(moment.timestamp()) // 60 * 60


def number(value) -> float:
    try:
        return float(value)
    except (TypeError, ValueError) as e:
        raise CheckError("%r is not a number" % (value,)) from e


def json_rows(text: str) -> list[dict]:
    """moatctl's --json output as a list of {field: value}: a JSON array of objects, JSON lines, an object
    holding such an array under results/rows/records, or GetQueryResults' [[{field, value}, ...], ...]."""
    text = text.strip()
    if not text:
        return []
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        try:
            data = [json.loads(line) for line in text.splitlines() if line.strip()]
        except json.JSONDecodeError as e:
            raise CheckError("output is neither JSON nor JSON lines: %s" % e) from e
    if isinstance(data, dict):
        for key in ("results", "rows", "records"):
            if isinstance(data.get(key), list):
                data = data[key]
                break
        else:
            raise CheckError("JSON object without results/rows/records: keys %s" % sorted(data))
    rows = []
    for row in data:
        if isinstance(row, list):
            row = {cell.get("field"): cell.get("value") for cell in row if isinstance(cell, dict)}
        if not isinstance(row, dict):
            raise CheckError("JSON row is not an object: %r" % (row,))
        rows.append({str(k).replace(" ", "").lower(): v for k, v in row.items()})
    return rows


def field(row: dict, *names: str):
    for name in names:
        if name in row:
            return row[name]
    raise CheckError("row has none of %s: %s" % (", ".join(names), sorted(row)))


def parse_status(tool: str, text: str) -> dict[str, int]:
    if tool == "moatctl":
        return {str(field(r, "status")): int(number(field(r, "count(*)", "count"))) for r in json_rows(text)}
    if tool == "agrind":
        return {str(r["status"]): int(r["_count"]) for r in json.loads(text)}
    rows = list(csv.DictReader(text.splitlines()))
    if tool == "lnav":
        return {str(r["sc_status"]): int(r["n"]) for r in rows}
    return {r["status"]: int(r["count"]) for r in rows}


def parse_bins(tool: str, text: str) -> dict[tuple[str, int], tuple[int, float]]:
    out = {}
    if tool == "moatctl":
        for r in json_rows(text):
            key = (str(field(r, "status")), minute_of(field(r, "bin(1m)", "bin")))
            out[key] = (int(number(field(r, "count(*)", "count"))),
                        number(field(r, "pct(responselatency,99)", "p99")))
    elif tool == "agrind":
        for r in json.loads(text):
            out[(str(r["status"]), minute_of(r["_timeslice"]))] = (int(r["_count"]), number(r["p99"]))
    else:
        for r in csv.DictReader(text.splitlines()):
            out[(r["status"], minute_of(r["bin"]))] = (int(r["count"]), number(r["p99"]))
    return out


def parse_filter(tool: str, text: str) -> int:
    if tool == "grep":
        return int(text.strip())
    if tool.startswith("duckdb"):
        return int(list(csv.DictReader(text.splitlines()))[0]["count"])
    return sum(1 for line in text.splitlines() if line.strip())


def count_of(groups: dict, key):
    """The count of group ``key``, None when the group is absent."""
    value = groups.get(key)
    return None if value is None else value[0]


def load_results(out_dir: str) -> dict[tuple[str, str], list[tuple[float, int, int]]]:
    runs: dict[tuple[str, str], list[tuple[float, int, int]]] = {}
    with open(os.path.join(out_dir, "results.tsv"), encoding="utf-8") as f:
        for line in f:
            tool, query, _run, start, end, rss, rc = line.rstrip("\n").split("\t")
            rss_kib = int(rss) if rss.isdigit() else -1
            runs.setdefault((tool, query), []).append((float(end) - float(start), rss_kib, int(rc)))
    return runs


def table(runs) -> list[str]:
    tools = []
    for tool, _ in runs:
        if tool not in tools:
            tools.append(tool)
    base = "moatctl" if "moatctl" in tools else tools[0]
    lines = ["%-10s %-7s %10s %12s %12s   %s" % ("tool", "query", "median s", "peak RSS MiB", "x " + base,
                                                   "query text")]
    for query in QUERIES:
        base_runs = runs.get((base, query))
        base_ok = base_runs and all(rc == 0 for _, _, rc in base_runs)
        base_median = statistics.median(t for t, _, _ in base_runs) if base_ok else None
        for tool in tools:
            measured = runs.get((tool, query))
            if not measured:
                continue
            failed = [rc for _, _, rc in measured if rc != 0]
            median = statistics.median(t for t, _, _ in measured)
            peak = max(r for _, r, _ in measured)
            ratio = "%.2fx" % (median / base_median) if base_median and not failed else "-"
            shown = "FAILED rc=%d" % failed[0] if failed else "%.3f" % median
            peak_text = "%.1f" % (peak / 1024) if peak >= 0 else "?"
            lines.append("%-10s %-7s %10s %12s %12s   %s" % (tool, query, shown, peak_text, ratio, QUERY_TEXT[query]))
    return lines


def cross_check(out_dir: str, runs) -> tuple[list[str], bool]:
    reference = {}
    for r in csv.DictReader(read_text(os.path.join(out_dir, "reference.csv")).splitlines()):
        reference[(r["status"], minute_of(r["bin"]))] = (
            int(r["count"]), int(r["p99_nearest_rank"]), int(r["p99_quantile_disc"]))
    ref_status: dict[str, int] = {}
    for (status, _), (count, _, _) in reference.items():
        ref_status[status] = ref_status.get(status, 0) + count
    ref_5xx = sum(n for s, n in ref_status.items() if s.startswith("5"))
    disc_differs = sum(1 for _, nr, qd in reference.values() if nr != qd)
    lines = [
        "reference (DuckDB, untimed): %d records, %d statuses, %d (status, minute) groups, %d 5xx"
        % (sum(ref_status.values()), len(ref_status), len(reference), ref_5xx),
        "percentile rule: nearest rank, the value at 1-based rank ceil(99 n / 100) in ascending order; DuckDB's "
        "quantile_disc(x, 0.99) %s" % ("agrees in every group" if not disc_differs
                                       else "DIFFERS from it in %d groups" % disc_differs),
    ]
    ok = True

    def verdict(name: str, good: bool, detail: str) -> None:
        nonlocal ok
        ok = ok and good
        lines.append("  %-4s %-30s %s" % ("ok" if good else "FAIL", name, detail))

    for (tool, query), measured in runs.items():
        if any(rc != 0 for _, _, rc in measured):
            verdict("%s %s" % (tool, query), False, "the command failed: see raw/%s.%s.err" % (tool, query))
            continue
        path = os.path.join(out_dir, "raw", "%s.%s.out" % (tool, query))
        try:
            text = read_text(path)
            if query == "status":
                got = parse_status(tool, text)
                diff = sorted(s for s in set(got) | set(ref_status) if got.get(s) != ref_status.get(s))
                verdict("%s count by status" % tool, not diff,
                        "%d statuses equal" % len(got) if not diff else "differs: " + ", ".join(
                            "%s %s (reference %s)" % (s, got.get(s), ref_status.get(s)) for s in diff[:5]))
            elif query == "filter":
                got = parse_filter(tool, text)
                verdict("%s filter 5xx" % tool, got == ref_5xx, "%d records (reference %d)" % (got, ref_5xx))
            else:
                got_bins = parse_bins(tool, text)
                keys = set(got_bins) | set(reference)
                bad_counts = [k for k in keys if count_of(got_bins, k) != count_of(reference, k)]
                bad_counts.sort()
                verdict("%s count by status, bin" % tool, not bad_counts,
                        "%d groups equal" % len(got_bins) if not bad_counts else "%d of %d groups differ, e.g. %s"
                        % (len(bad_counts), len(keys), bad_counts[0]))
                common = [k for k in reference if k in got_bins]
                same_nr = sum(1 for k in common if got_bins[k][1] == reference[k][1])
                same_qd = sum(1 for k in common if got_bins[k][1] == reference[k][2])
                if tool == "agrind":
                    lines.append("  info %-30s %d of %d p99s equal the exact one (CKMS estimate, not strict)"
                                 % ("agrind p99", same_nr, len(reference)))
                else:
                    detail = "%d of %d equal nearest rank" % (same_nr, len(reference))
                    if disc_differs:
                        detail += ", %d equal quantile_disc" % same_qd
                    wrong = [k for k in sorted(reference) if k not in got_bins or got_bins[k][1] != reference[k][1]]
                    if wrong:
                        status, minute = wrong[0]
                        got_p99 = got_bins[wrong[0]][1] if wrong[0] in got_bins else None
                        detail += "; e.g. status %s at %s: %s, nearest rank %d" % (
                            status, datetime.fromtimestamp(minute, timezone.utc).strftime("%Y-%m-%d %H:%M"),
                            "missing" if got_p99 is None else "%g" % got_p99, reference[wrong[0]][1])
                    verdict("%s p99 by status, bin" % tool, same_nr == len(reference), detail)
        except (CheckError, KeyError, ValueError, IndexError, json.JSONDecodeError) as e:
            verdict("%s %s" % (tool, query), False, "cannot read %s: %s" % (path, e))
    return lines, ok


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: report.py OUT_DIR", file=sys.stderr)
        return 2
    out_dir = argv[0]
    runs = load_results(out_dir)
    print("\n".join(table(runs)))
    print()
    lines, ok = cross_check(out_dir, runs)
    print("cross-check:")
    print("\n".join(lines))
    print("cross-check %s" % ("passed" if ok else "FAILED"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
