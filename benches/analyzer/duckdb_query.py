#!/usr/bin/env python3
"""DuckDB's side of the moatctl benchmark: the benchmark's queries in SQL over the JSON access-log lines.

    duckdb_query.py QUERY FILE [--threads N]

QUERY is one of

* ``bins``: ``stats count(*), pct(responseLatency, 99) by status, bin(1m)``;
* ``status``: ``stats count(*) by status``;
* ``filter``: the filter-pattern scan ``{ $.status = 5* }``, as ``WHERE status LIKE '5%'``, printing the count;
* ``reference``: what benches/analyzer/crosscheck.py compares against (not timed): per (status, minute) the
  count, ``quantile_disc(latency, 0.99)`` and the exact nearest-rank p99 computed with integer arithmetic.

The file is read with ``read_json(..., format='newline_delimited', columns={...})``, every column declared as
VARCHAR because the access log quotes every value; ``requestTime`` is parsed with
``strptime(requestTime, '%d/%b/%Y:%H:%M:%S %z')`` and truncated with ``date_trunc('minute', ...)`` in UTC.
Results go to stdout as CSV with a header; bins are printed as ``YYYY-MM-DD HH:MM:SS`` (UTC).

Percentiles: DuckDB's ``quantile_disc(x, q)`` returns an element of the group, the one at 1-based rank
ceil(q * n) in ascending order (nearest rank). ``reference`` also computes that rank exactly,
``list_sort(list(x))[(99 * n + 99) // 100]``, so that a floating-point edge in ``q * n`` cannot hide.
"""

from __future__ import annotations

import argparse
import csv
import sys

import duckdb

COLUMNS = (
    "requestId", "ip", "requestTime", "httpMethod", "routeKey", "status", "protocol", "responseLength",
    "responseLatency", "isCanaryRequest",
)


def source(path: str) -> str:
    columns = ", ".join("%s: 'VARCHAR'" % name for name in COLUMNS)
    quoted = path.replace("'", "''")
    return "read_json('%s', format='newline_delimited', columns={%s})" % (quoted, columns)


def minute(expr: str) -> str:
    return "strftime(date_trunc('minute', strptime(%s, '%%d/%%b/%%Y:%%H:%%M:%%S %%z')), '%%Y-%%m-%%d %%H:%%M:%%S')" % (
        expr)


def sql(query: str, path: str) -> str:
    src = source(path)
    if query == "bins":
        return (
            "SELECT status, %s AS bin, count(*) AS count, "
            "quantile_disc(CAST(responseLatency AS BIGINT), 0.99) AS p99 "
            "FROM %s GROUP BY ALL ORDER BY bin, status" % (minute("requestTime"), src))
    if query == "status":
        return "SELECT status, count(*) AS count FROM %s GROUP BY status ORDER BY status" % src
    if query == "filter":
        return "SELECT count(*) AS count FROM %s WHERE status LIKE '5%%'" % src
    if query == "reference":
        return (
            "WITH t AS (SELECT status, %s AS bin, CAST(responseLatency AS BIGINT) AS latency FROM %s) "
            "SELECT status, bin, count(*) AS count, quantile_disc(latency, 0.99) AS p99_quantile_disc, "
            "list_sort(list(latency))[(99 * count(*) + 99) // 100] AS p99_nearest_rank "
            "FROM t GROUP BY ALL ORDER BY bin, status" % (minute("requestTime"), src))
    raise ValueError("unknown query %r (bins, status, filter, reference)" % query)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("query", choices=("bins", "status", "filter", "reference"))
    parser.add_argument("file")
    parser.add_argument("--threads", type=int, default=0, help="DuckDB threads (default: DuckDB's, one per core)")
    args = parser.parse_args(argv)
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    if args.threads > 0:
        con.execute("SET threads = %d" % args.threads)
    cursor = con.execute(sql(args.query, args.file))
    out = csv.writer(sys.stdout, lineterminator="\n")
    out.writerow([d[0] for d in cursor.description])
    out.writerows(cursor.fetchall())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
