#!/usr/bin/env python3
"""Send the labelled WAF corpus to HTTP endpoints and report detection and false-positive rates.

    benches/waf-corpus.py modsec=http://127.0.0.1:18082 nginx=http://127.0.0.1:18081
    benches/waf-corpus.py moat=http://127.0.0.1:18091/prod --misses moat --json /tmp/moat-waf.json

Each target is NAME=URL; a path in the URL (`/prod`) is put in front of every corpus path. Every request of
tests/waf-corpus/*.jsonl is sent to every target (targets one after another, requests of one target on a small
thread pool, one TCP connection per request). A response with a blocking status (403 unless --blocked-status
says otherwise) counts as blocked, any other status as passed; a request that gets no HTTP response at all is a
connection error, listed separately and never counted as blocked or passed. Rates are over answered requests.

Requests go out byte for byte as the corpus writes them: method, the raw path and query (nothing re-encoded),
the corpus headers in order, Content-Length for every body (and for empty POST/PUT/PATCH), the body as UTF-8.
Host is --host (default api.example.com, a name: CRS scores a numeric Host header as an anomaly, which real
traffic through a domain would not carry). Standard library only.
"""

import argparse
import http.client
import json
import os
import ssl
import sys
import threading
import time
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlsplit

DEFAULT_CORPUS = Path(__file__).resolve().parent.parent / "tests" / "waf-corpus"
BODY_METHODS = ("POST", "PUT", "PATCH")


class Target:
    def __init__(self, spec):
        name, sep, url = spec.partition("=")
        if not sep or not name or not url:
            raise ValueError(f"target {spec!r}: expected NAME=http://HOST:PORT[/prefix]")
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"target {spec!r}: URL must be http:// or https:// with a host")
        if parts.query or parts.fragment:
            raise ValueError(f"target {spec!r}: URL may carry a path prefix but no query or fragment")
        self.name = name
        self.url = url
        self.https = parts.scheme == "https"
        self.host = parts.hostname
        self.port = parts.port or (443 if self.https else 80)
        self.prefix = parts.path.rstrip("/")


def load_corpus(paths, only):
    files = []
    for p in paths:
        p = Path(p)
        files += sorted(p.glob("*.jsonl")) if p.is_dir() else [p]
    if not files:
        sys.exit(f"waf-corpus: no .jsonl files in {', '.join(map(str, paths))}")
    records = []
    for f in files:
        with f.open(encoding="utf-8") as fh:
            for n, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    rec = json.loads(line)
                except ValueError as e:
                    sys.exit(f"waf-corpus: {f}:{n}: {e}")
                if rec.get("label") not in ("attack", "benign"):
                    sys.exit(f"waf-corpus: {f}:{n}: label must be attack or benign")
                if not only or rec["category"] in only:
                    records.append(rec)
    return files, records


def send(target, rec, host_header, timeout, insecure):
    """One request on a fresh connection: (status, None) or (None, error text)."""
    if target.https:
        ctx = ssl._create_unverified_context() if insecure else ssl.create_default_context()
        conn = http.client.HTTPSConnection(target.host, target.port, timeout=timeout, context=ctx)
    else:
        conn = http.client.HTTPConnection(target.host, target.port, timeout=timeout)
    url = target.prefix + rec["path"] + ("?" + rec["query"] if rec["query"] else "")
    body = rec["body"].encode("utf-8")
    try:
        conn.putrequest(rec["method"], url, skip_host=True, skip_accept_encoding=True)
        conn.putheader("Host", host_header)
        for name, value in rec["headers"]:
            conn.putheader(name, value)
        if body or rec["method"] in BODY_METHODS:
            conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body if body else None)
        resp = conn.getresponse()
        resp.read()
        return resp.status, None
    except (OSError, http.client.HTTPException, ValueError) as e:
        return None, f"{type(e).__name__}: {e}"
    finally:
        conn.close()


def run_target(target, records, args, blocked_statuses, progress):
    results = [None] * len(records)
    host_header = args.host or f"{target.host}:{target.port}"

    def one(i):
        rec = records[i]
        t0 = time.perf_counter()
        status, error = send(target, rec, host_header, args.timeout, args.insecure)
        ms = (time.perf_counter() - t0) * 1000
        results[i] = {
            "target": target.name,
            "id": rec["id"],
            "label": rec["label"],
            "category": rec["category"],
            "where": rec.get("where", ""),
            "status": status,
            "blocked": None if status is None else status in blocked_statuses,
            "error": error,
            "ms": round(ms, 2),
        }
        progress()

    with ThreadPoolExecutor(max_workers=args.concurrency) as pool:
        list(pool.map(one, range(len(records))))
    return results


def pct(num, den):
    return f"{100 * num / den:5.1f}%" if den else "    -"


def cell(stats):
    answered = stats["n"] - stats["err"]
    text = f"{pct(stats['blocked'], answered)} {stats['blocked']:>3}/{answered:<3}"
    if stats["err"]:
        text += f" +{stats['err']} err"
    return text


def group_of(rec, group):
    """The row a request counts in: its category, or where it carries its payload (header:X -> header)."""
    return rec["category"] if group == "category" else rec.get("where", "").split(":")[0] or "-"


def table(records, targets, results_by_target, group):
    """Rows: groups (attacks first), then totals. Cells: blocked share of answered requests."""
    order = []
    for rec in records:
        key = (rec["label"], group_of(rec, group))
        if key not in order:
            order.append(key)
    order.sort(key=lambda k: k[0] != "attack")
    stats = {t.name: defaultdict(lambda: {"n": 0, "blocked": 0, "err": 0}) for t in targets}
    for t in targets:
        for r in results_by_target[t.name]:
            for key in ((r["label"], group_of(r, group)), (r["label"], "TOTAL")):
                s = stats[t.name][key]
                s["n"] += 1
                if r["error"]:
                    s["err"] += 1
                elif r["blocked"]:
                    s["blocked"] += 1
    counts = Counter((r["label"], group_of(r, group)) for r in records)
    width = max(26, *(len(t.name) for t in targets))
    head = f"| {group:<16} | {'label':<6} | {'n':>4} | " + " | ".join(f"{t.name:<{width}}" for t in targets) + " |"
    rule = "|" + "-" * 18 + "|" + "-" * 8 + "|" + "-" * 6 + "|" + "|".join("-" * (width + 2) for _ in targets) + "|"
    lines = [head, rule]
    for label in ("attack", "benign"):
        for key in [k for k in order if k[0] == label]:
            lines.append(f"| {key[1]:<16} | {label:<6} | {counts[key]:>4} | " + " | ".join(f"{cell(stats[t.name][key]):<{width}}" for t in targets) + " |")
        total = sum(n for k, n in counts.items() if k[0] == label)
        if total:
            name = "ATTACKS detected" if label == "attack" else "BENIGN blocked"
            lines.append(f"| {name:<16} | {label:<6} | {total:>4} | " + " | ".join(f"{cell(stats[t.name][(label, 'TOTAL')]):<{width}}" for t in targets) + " |")
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], epilog=__doc__.split("\n\n", 1)[1], formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("targets", nargs="+", metavar="NAME=URL", help="endpoint to test, e.g. modsec=http://127.0.0.1:18082 or moat=http://127.0.0.1:18091/prod")
    ap.add_argument("--corpus", action="append", metavar="PATH", help=f"corpus directory or .jsonl file (repeatable; default {DEFAULT_CORPUS})")
    ap.add_argument("--only", action="append", metavar="CATEGORY", help="send only this category (repeatable)")
    ap.add_argument("--concurrency", type=int, default=8, help="requests in flight per target (default 8)")
    ap.add_argument("--timeout", type=float, default=10.0, help="seconds per request (default 10)")
    ap.add_argument("--host", default="api.example.com", help="Host header value (default api.example.com; '' = the target's host:port)")
    ap.add_argument("--blocked-status", default="403", help="comma-separated statuses that mean blocked (default 403)")
    ap.add_argument("--insecure", action="store_true", help="do not verify TLS certificates of https:// targets")
    ap.add_argument("--group", choices=("category", "where"), default="category", help="table rows: corpus category (default) or where the payload is")
    ap.add_argument("--json", metavar="FILE", help="write per-request results as JSON")
    ap.add_argument("--misses", action="append", metavar="NAME", default=[], help="list the attacks NAME let through and the benign requests it blocked (repeatable)")
    args = ap.parse_args()

    try:
        targets = [Target(s) for s in args.targets]
    except ValueError as e:
        ap.error(str(e))
    names = [t.name for t in targets]
    if len(set(names)) != len(names):
        ap.error("target names must be unique")
    for m in args.misses:
        if m not in names:
            ap.error(f"--misses {m}: no such target (have {', '.join(names)})")
    if args.concurrency < 1 or args.timeout <= 0:
        ap.error("--concurrency must be at least 1 and --timeout positive")
    try:
        blocked_statuses = {int(s) for s in args.blocked_status.split(",") if s.strip()}
    except ValueError:
        ap.error(f"--blocked-status {args.blocked_status!r}: expected comma-separated status codes")
    if not blocked_statuses:
        ap.error("--blocked-status: at least one status")
    files, records = load_corpus(args.corpus or [DEFAULT_CORPUS], set(args.only or []))
    if not records:
        sys.exit("waf-corpus: no requests selected")

    started = datetime.now(timezone.utc)
    labels = Counter(r["label"] for r in records)
    print(f"# waf-corpus {started:%Y-%m-%dT%H:%M:%SZ}: {labels['attack']} attacks + {labels['benign']} benign from "
          f"{', '.join(os.path.relpath(f) for f in files)}; blocked = status {','.join(map(str, sorted(blocked_statuses)))}; "
          f"concurrency {args.concurrency}; Host: {args.host or '(target host:port)'}", flush=True)

    results_by_target = {}
    for t in targets:
        done = [0]
        lock = threading.Lock()
        t0 = time.perf_counter()

        def progress():
            with lock:
                done[0] += 1
                if sys.stderr.isatty() and (done[0] % 50 == 0 or done[0] == len(records)):
                    print(f"\r{t.name}: {done[0]}/{len(records)}", end="", file=sys.stderr, flush=True)

        results_by_target[t.name] = run_target(t, records, args, blocked_statuses, progress)
        if sys.stderr.isatty():
            print(file=sys.stderr)
        statuses = Counter(r["status"] for r in results_by_target[t.name] if r["status"] is not None)
        errors = sum(1 for r in results_by_target[t.name] if r["error"])
        print(f"# {t.name} = {t.url}: {time.perf_counter() - t0:.1f}s; statuses "
              + (", ".join(f"{s}x{n}" for s, n in sorted(statuses.items())) or "none")
              + (f"; CONNECTION ERRORS {errors}" if errors else "; no connection errors"))

    print()
    print("Attack rows: share of attacks blocked (detection). Benign rows: share of benign requests blocked (false positives).")
    print("Each cell: rate, blocked/answered; '+N err' = requests that got no HTTP response (excluded from the rate).")
    print()
    print(table(records, targets, results_by_target, args.group))

    by_id = {r["id"]: r for r in records}
    for name in args.misses:
        res = results_by_target[name]
        missed = [r for r in res if r["label"] == "attack" and r["blocked"] is False]
        false_pos = [r for r in res if r["label"] == "benign" and r["blocked"]]
        for title, rows in ((f"{name}: attacks passed", missed), (f"{name}: benign requests blocked", false_pos)):
            print(f"\n## {title} ({len(rows)})")
            for r in rows:
                rec = by_id[r["id"]]
                print(f"{r['id']:<22} {r['status']}  {rec['method']} {rec['path'][:60]}{'?' + rec['query'][:60] if rec['query'] else ''}  [{rec.get('where', '')}] {rec['note']}")
        errs = [r for r in res if r["error"]]
        if errs:
            print(f"\n## {name}: connection errors ({len(errs)})")
            for r in errs:
                print(f"{r['id']:<22} {r['error']}")

    all_errors = sum(1 for res in results_by_target.values() for r in res if r["error"])
    if args.json:
        doc = {
            "started": started.isoformat(),
            "corpus": [str(f) for f in files],
            "blocked_statuses": sorted(blocked_statuses),
            "host": args.host,
            "targets": {t.name: t.url for t in targets},
            "results": [r for t in targets for r in results_by_target[t.name]],
        }
        Path(args.json).write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
    if all_errors:
        print(f"\nwaf-corpus: {all_errors} requests got no HTTP response (see the '+N err' cells)", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    try:
        main()
    except BrokenPipeError:  # output piped into head & co.
        sys.stderr.close()
        sys.exit(1)
