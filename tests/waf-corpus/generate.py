#!/usr/bin/env python3
"""Write the WAF corpus: attacks.jsonl and benign.jsonl next to this script.

    python3 tests/waf-corpus/generate.py            # rewrite both files
    python3 tests/waf-corpus/generate.py --check    # exit 1 if the committed files differ from what the code generates

Deterministic: every random choice comes from a generator seeded with a fixed string per category
(corpusgen/common.py), so the same code always writes the same bytes. Each record is checked before it is
written: the request line and headers must be sendable byte for byte (printable ASCII, no spaces in the
target, no Host/Content-Length, which the runner sets), JSON bodies must parse, and no request may repeat.
"""

import argparse
import json
import re
import sys
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.dont_write_bytecode = True  # keep __pycache__ out of the source tree
sys.path.insert(0, str(HERE))

from corpusgen import attacks_inject, attacks_platform, benign_api, benign_text  # noqa: E402

FIELDS = ("id", "label", "category", "method", "path", "query", "headers", "body", "where", "note")
TOKEN = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
TARGET_BAD = re.compile(r"[\x00-\x20\x7f-\uffff#]")
MANAGED_HEADERS = {"host", "content-length", "transfer-encoding", "connection"}


class CorpusError(Exception):
    pass


def build(label, categories):
    records = []
    for category, make in categories:
        for n, rec in enumerate(make(), 1):
            rec = dict(rec, id=f"{category}-{n:04d}", label=label, category=category)
            records.append({k: rec[k] for k in FIELDS})
    return records


def check(rec):
    where = rec["id"]
    if rec["method"] not in ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"):
        raise CorpusError(f"{where}: method {rec['method']}")
    if not rec["path"].startswith("/") or TARGET_BAD.search(rec["path"]) or "?" in rec["path"]:
        raise CorpusError(f"{where}: path not sendable as-is: {rec['path']!r}")
    if TARGET_BAD.search(rec["query"]):
        raise CorpusError(f"{where}: query not sendable as-is: {rec['query']!r}")
    names = set()
    for name, value in rec["headers"]:
        if not TOKEN.match(name):
            raise CorpusError(f"{where}: header name {name!r}")
        if name.lower() in MANAGED_HEADERS and not (name.lower() == "connection" and value == "close"):
            raise CorpusError(f"{where}: header {name} is set by the runner")
        if any(c in value for c in "\r\n\x00") or not value.isascii() or value != value.strip():
            raise CorpusError(f"{where}: header {name} value not sendable: {value!r}")
        if name.lower() in names:
            raise CorpusError(f"{where}: header {name} appears twice")
        names.add(name.lower())
    ctype = next((v for k, v in rec["headers"] if k.lower() == "content-type"), "")
    if rec["body"]:
        if rec["method"] in ("GET", "HEAD", "DELETE", "OPTIONS"):
            raise CorpusError(f"{where}: body on {rec['method']}")
        if not ctype:
            raise CorpusError(f"{where}: body without Content-Type")
        if re.match(r"application/([\w.-]+\+)?json\b", ctype):
            try:
                json.loads(rec["body"])
            except ValueError as e:
                raise CorpusError(f"{where}: JSON body does not parse: {e}") from e
        if ctype.startswith("multipart/form-data"):
            boundary = ctype.split("boundary=", 1)[1]
            if not rec["body"].startswith(f"--{boundary}\r\n") or not rec["body"].endswith(f"--{boundary}--\r\n"):
                raise CorpusError(f"{where}: multipart body does not match its boundary")
    if not rec["note"] or not rec["where"]:
        raise CorpusError(f"{where}: missing note or where")


def validate(attack_recs, benign_recs):
    seen_ids, seen_requests = set(), {}
    for rec in attack_recs + benign_recs:
        check(rec)
        if rec["id"] in seen_ids:
            raise CorpusError(f"duplicate id {rec['id']}")
        seen_ids.add(rec["id"])
        key = json.dumps([rec["method"], rec["path"], rec["query"], rec["headers"], rec["body"]])
        if key in seen_requests:
            raise CorpusError(f"{rec['id']} repeats the request of {seen_requests[key]}")
        seen_requests[key] = rec["id"]
    for name, recs in (("attacks", attack_recs), ("benign", benign_recs)):
        if len(recs) < 600:
            raise CorpusError(f"only {len(recs)} {name} requests (at least 600 wanted)")


def render(records):
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="compare with the files on disk instead of writing them")
    args = ap.parse_args()
    attack_recs = build("attack", attacks_inject.CATEGORIES + attacks_platform.CATEGORIES)
    benign_recs = build("benign", benign_text.CATEGORIES + benign_api.CATEGORIES)
    try:
        validate(attack_recs, benign_recs)
    except CorpusError as e:
        sys.exit(f"generate.py: {e}")
    outputs = {HERE / "attacks.jsonl": render(attack_recs), HERE / "benign.jsonl": render(benign_recs)}
    if args.check:
        stale = [p.name for p, text in outputs.items() if not p.exists() or p.read_text(encoding="utf-8") != text]
        if stale:
            sys.exit(f"generate.py --check: {', '.join(stale)} out of date; run python3 tests/waf-corpus/generate.py")
        print("corpus files match the generator")
        return
    for path, text in outputs.items():
        path.write_text(text, encoding="utf-8", newline="\n")
    for name, recs in (("attacks", attack_recs), ("benign", benign_recs)):
        counts = Counter(r["category"] for r in recs)
        print(f"{name}: {len(recs)} ({', '.join(f'{c} {n}' for c, n in counts.items())})")


if __name__ == "__main__":
    main()
