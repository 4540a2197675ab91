#!/usr/bin/env python3
"""Seeded generator of API Gateway HTTP API access-log lines for the moatctl benchmark.

Writes the same records twice:

* ``--json``: one JSON object a line in Moat's default HTTP access-log format, byte for byte as the gateway
  renders it (``formats/src/access_log/presets.rs``, ``HTTP_DEFAULT``, with its irregular spacing), e.g.
  ``{ "requestId":"fe26c7ff-...", "ip": "127.0.0.1", "requestTime":"25/Nov/2026:22:30:56 +0000", ... }``;
* ``--clf``: Apache Common Log Format, ``ip - - [time] "METHOD PATH PROTOCOL" status bytes``, which lnav's
  built-in ``access_log`` format reads. PATH is the path half of the route key (``/pets/{id}``): the record
  holds no other path. (Moat's own ``clf`` preset for HTTP APIs puts the whole route key, method included,
  in the request line and appends the request id; lnav's format does not read that, so Apache's form is used.)

The traffic: a handful of routes with their own methods, statuses (mostly 2xx, some 4xx, a few 5xx) and
log-normal latencies with a heavy tail (a slow dependency now and then, 504s near the 29 s integration
timeout), client IPs drawn from a skewed pool, request times that only move forward over two hours at a
varying rate (so ``bin(1m)`` has 120 bins), and a canary that takes 10 % of the traffic from 40 minutes in,
with a worse 5xx rate. The same ``--seed`` and ``--lines`` always give the same bytes.

    gen_access_logs.py --lines 1000000 --json access.jsonl --clf access.clf
"""

from __future__ import annotations

import argparse
import bisect
import math
import random
import sys
import time

DEFAULT_SEED = 20261125
DEFAULT_LINES = 1_000_000
# 2026-11-25 20:00:00 UTC.
START_EPOCH = 1795636800
SPAN_SECONDS = 2 * 60 * 60
CANARY_FROM = 40 * 60
CANARY_SHARE = 0.10
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

# Exactly HTTP_DEFAULT in formats/src/access_log/presets.rs, with the variables as %s.
JSON_LINE = (
    '{ "requestId":"%s", "ip": "%s", "requestTime":"%s", "httpMethod":"%s",'
    '"routeKey":"%s", "status":"%s","protocol":"%s", "responseLength":"%s", "responseLatency":"%s", '
    '"isCanaryRequest":"%s" }\n'
)
CLF_LINE = '%s - - [%s] "%s %s %s" %s %s\n'

# (weight, methods, route key, success status, (median latency ms, sigma), (min bytes, max bytes))
ROUTES = (
    (30, ("GET",), "GET /pets", "200", (18.0, 0.45), (800, 4000)),
    (25, ("GET",), "GET /pets/{id}", "200", (9.0, 0.40), (150, 600)),
    (8, ("POST",), "POST /pets", "201", (35.0, 0.50), (90, 200)),
    (4, ("PUT",), "PUT /pets/{id}", "200", (30.0, 0.50), (90, 200)),
    (2, ("DELETE",), "DELETE /pets/{id}", "204", (20.0, 0.50), (0, 0)),
    (12, ("GET",), "GET /orders/{orderId}", "200", (25.0, 0.60), (300, 1500)),
    (6, ("POST",), "POST /orders", "201", (120.0, 0.70), (120, 400)),
    (13, ("GET", "GET", "GET", "POST", "PUT"), "ANY /{proxy+}", "200", (5.0, 0.80), (10, 5000)),
)
# Error statuses with their weights within 4xx and within 5xx, and the body size their responses have.
CLIENT_ERRORS = (("400", 20), ("401", 15), ("403", 10), ("404", 45), ("429", 10))
SERVER_ERRORS = (("500", 45), ("502", 25), ("503", 20), ("504", 10))
ERROR_BYTES = {"400": 62, "401": 26, "403": 23, "404": 23, "429": 33, "500": 35, "502": 35, "503": 47, "504": 38}
CLIENT_ERROR_RATE = 0.06
SERVER_ERROR_RATE = 0.012
CANARY_SERVER_ERROR_RATE = 0.03
SLOW_RATE = 0.008  # a slow dependency: latency x 8..60
HTTP2_RATE = 0.25
IP_POOL = 2000


def cumulative(weights):
    out, total = [], 0.0
    for w in weights:
        total += w
        out.append(total)
    return out


def ip_pool(rng: random.Random) -> list[str]:
    pool = ["127.0.0.1"]
    while len(pool) < IP_POOL:
        a = rng.choice((10, 34, 52, 54, 81, 93, 100, 172, 185, 198, 203))
        pool.append("%d.%d.%d.%d" % (a, rng.randrange(256), rng.randrange(256), rng.randrange(1, 255)))
    return pool


def clf_time(epoch: int) -> str:
    t = time.gmtime(epoch)
    return "%02d/%s/%04d:%02d:%02d:%02d +0000" % (
        t.tm_mday, MONTHS[t.tm_mon - 1], t.tm_year, t.tm_hour, t.tm_min, t.tm_sec)


def generate(lines: int, seed: int, json_out, clf_out) -> dict[str, int]:
    """Writes ``lines`` records; returns the count per status (a check for the caller)."""
    rng = random.Random(seed)
    ips = ip_pool(rng)
    # Zipf-like: a few clients send most requests.
    ip_cum = cumulative(1.0 / (i + 1) ** 0.9 for i in range(len(ips)))
    route_cum = cumulative(r[0] for r in ROUTES)
    client_cum = cumulative(w for _, w in CLIENT_ERRORS)
    server_cum = cumulative(w for _, w in SERVER_ERRORS)
    route_mu = [(math.log(r[4][0]), r[4][1]) for r in ROUTES]

    random_ = rng.random
    lognorm = rng.lognormvariate
    randint = rng.randint
    getrandbits = rng.getrandbits
    counts: dict[str, int] = {}
    json_buf: list[str] = []
    clf_buf: list[str] = []
    last_second = -1
    time_text = ""
    chunk = 50_000
    # The rate varies (three bumps over the two hours) but time never goes backwards:
    # offset(u) = SPAN * (u + a sin(2 pi k u) / (2 pi k)) is increasing for a < 1.
    k = 3
    a = 0.35
    two_pi_k = 2 * math.pi * k
    for start in range(0, lines, chunk):
        n = min(chunk, lines - start)
        ip_pick = rng.choices(ips, cum_weights=ip_cum, k=n)
        route_pick = rng.choices(range(len(ROUTES)), cum_weights=route_cum, k=n)
        for j in range(n):
            i = start + j
            u = i / lines
            offset = SPAN_SECONDS * (u + a * math.sin(two_pi_k * u) / two_pi_k)
            second = START_EPOCH + int(offset)
            if second != last_second:
                last_second = second
                time_text = clf_time(second)
            index = route_pick[j]
            _, methods, route_key, ok_status, _, (lo, hi) = ROUTES[index]
            method = methods[0] if len(methods) == 1 else methods[int(random_() * len(methods))]
            canary = offset >= CANARY_FROM and random_() < CANARY_SHARE
            mu, sigma = route_mu[index]
            latency = lognorm(mu, sigma)
            r = random_()
            server_rate = CANARY_SERVER_ERROR_RATE if canary else SERVER_ERROR_RATE
            if r < server_rate:
                status = SERVER_ERRORS[bisect.bisect_right(server_cum, random_() * server_cum[-1])][0]
                if status == "504":
                    latency = 29000 + random_() * 80
                elif status == "502":
                    latency = latency * 0.5
                length = ERROR_BYTES[status]
            elif r < server_rate + CLIENT_ERROR_RATE:
                status = CLIENT_ERRORS[bisect.bisect_right(client_cum, random_() * client_cum[-1])][0]
                latency = latency * 0.3
                length = ERROR_BYTES[status]
            else:
                status = ok_status
                length = randint(lo, hi) if hi else 0
                if random_() < SLOW_RATE:
                    latency *= 8 + random_() * 52
            latency_ms = int(latency) + 1
            bits = "%032x" % getrandbits(128)
            request_id = "%s-%s-4%s-%x%s-%s" % (
                bits[:8], bits[8:12], bits[13:16], 8 + (int(bits[16], 16) & 3), bits[17:20], bits[20:])
            protocol = "HTTP/2.0" if random_() < HTTP2_RATE else "HTTP/1.1"
            ip = ip_pick[j]
            canary_text = "true" if canary else "false"
            counts[status] = counts.get(status, 0) + 1
            if json_out is not None:
                json_buf.append(JSON_LINE % (request_id, ip, time_text, method, route_key, status, protocol,
                                             length, latency_ms, canary_text))
            if clf_out is not None:
                clf_buf.append(CLF_LINE % (ip, time_text, method, route_key.split(" ", 1)[1], protocol, status,
                                           length if length else "-"))
        if json_out is not None:
            json_out.write("".join(json_buf))
            json_buf.clear()
        if clf_out is not None:
            clf_out.write("".join(clf_buf))
            clf_buf.clear()
    return counts


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=DEFAULT_LINES, help="records to write (default 1000000)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="random seed (default %d)" % DEFAULT_SEED)
    parser.add_argument("--json", metavar="PATH", help="write the JSON lines here ('-' for stdout)")
    parser.add_argument("--clf", metavar="PATH", help="write the same records in Apache CLF here")
    parser.add_argument("--quiet", action="store_true", help="do not print the per-status counts to stderr")
    args = parser.parse_args(argv)
    if args.lines < 1:
        parser.error("--lines must be at least 1")
    if not args.json and not args.clf:
        parser.error("give --json PATH and/or --clf PATH")

    def open_out(path):
        if path is None:
            return None
        if path == "-":
            return sys.stdout
        return open(path, "w", encoding="ascii", newline="\n", buffering=1 << 20)

    json_out = open_out(args.json)
    clf_out = open_out(args.clf)
    try:
        counts = generate(args.lines, args.seed, json_out, clf_out)
    finally:
        for out in (json_out, clf_out):
            if out is not None and out is not sys.stdout:
                out.close()
    if not args.quiet:
        summary = " ".join("%s=%d" % kv for kv in sorted(counts.items()))
        print("gen_access_logs: %d lines, seed %d: %s" % (args.lines, args.seed, summary), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
