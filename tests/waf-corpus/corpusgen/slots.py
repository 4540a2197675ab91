"""Where an attack payload arrives: one factory per request part, each returning a `slot`.

A slot is a callable (rng, payload) -> record with two attributes: `kind` (the corpus `where` value) and
`desc` (the request part in words, appended to the note). Slots that percent-decode what they carry
(query, path, form, cookie) accept `Wire` payloads (already encoded on purpose); JSON and header slots do not,
because nothing URL-decodes a JSON string or a header value on its way to the application.
"""

import copy
import json

from .common import (
    STYLES,
    Wire,
    client_headers,
    cookie_header,
    enc,
    form_body,
    ga_cookies,
    json_body,
    multipart,
    path_seg,
    qs,
    record,
    replace_header,
    session_cookie,
    with_body,
)


class JsonEsc(str):
    """A payload whose JSON string is written with every non-alphanumeric character as a \\u escape."""


def json_escape_all(s):
    return '"' + "".join(c if c.isalnum() or c == " " else f"\\u{ord(c):04x}" for c in s) + '"'


def _slot(kind, desc, make, wire_ok, json_ok=False):
    make.kind = kind
    make.desc = desc
    make.wire_ok = wire_ok
    make.json_ok = json_ok
    return make


def query(path, param, extra=(), styles=STYLES, headers=client_headers):
    """Payload in query argument `param` of GET `path`, among the `extra` arguments."""
    def make(rng, p):
        pairs = list(extra)
        pairs.insert(rng.randrange(len(pairs) + 1), (param, p))
        return record("GET", path, qs(pairs, rng.choice(styles)), headers(rng), where="query")
    return _slot("query", f"query argument {param} of GET {path}", make, wire_ok=True)


def json_field(path, template, field, method="POST"):
    """Payload in the JSON string at key path `field` of `template`, POSTed to `path`."""
    keys = field if isinstance(field, tuple) else (field,)
    def make(rng, p):
        obj = copy.deepcopy(template)
        target = obj
        for k in keys[:-1]:
            target = target[k]
        if isinstance(p, JsonEsc):
            target[keys[-1]] = "\x00SLOT\x00"
            body = json.dumps(obj, separators=(",", ":")).replace('"\\u0000SLOT\\u0000"', json_escape_all(p))
        else:
            target[keys[-1]] = str(p)
            body = json_body(obj, rng)
        h = with_body(client_headers(rng), "application/json" if rng.random() < 0.7 else "application/json; charset=utf-8")
        return record(method, path, "", h, body, where="body-json")
    return _slot("body-json", f"JSON field {'.'.join(map(str, keys))} of {method} {path}", make, wire_ok=False, json_ok=True)


def form_field(path, fields, field, method="POST"):
    """Payload in urlencoded form field `field` (the others keep their values from `fields`)."""
    def make(rng, p):
        pairs = [(k, p if k == field else v) for k, v in fields]
        h = with_body(client_headers(rng, accept="text/html,application/xhtml+xml,*/*;q=0.8"), "application/x-www-form-urlencoded")
        return record(method, path, "", h, form_body(pairs, rng.choice(("form", "form", "raw"))), where="body-form")
    return _slot("body-form", f"form field {field} of {method} {path}", make, wire_ok=True)


def multipart_field(path, fields, field):
    """Payload in a multipart/form-data text field."""
    def make(rng, p):
        parts = [(k, str(p) if k == field else v) for k, v in fields]
        ctype, body = multipart(rng, parts)
        return record("POST", path, "", with_body(client_headers(rng), ctype), body, where="body-multipart")
    return _slot("body-multipart", f"multipart field {field} of POST {path}", make, wire_ok=False)


def cookie(path, name):
    """Payload as the value of cookie `name`, beside analytics and session cookies."""
    def make(rng, p):
        if isinstance(p, Wire):
            value = str(p)
        elif any(c in p for c in ';,"\\') or not p.isascii() or rng.random() < 0.5:
            value = enc(p, "component")
        else:
            value = p
        jar = ga_cookies(rng) + [session_cookie(rng)]
        jar.insert(rng.randrange(len(jar) + 1), (name, value))
        h = replace_header(client_headers(rng), "Cookie", cookie_header(jar))
        return record("GET", path, "", h, where="cookie")
    return _slot("cookie", f"cookie {name} on GET {path}", make, wire_ok=True)


def header(path, name, prefix="", query_string=""):
    """Payload as (the end of) request header `name` on GET `path`."""
    def make(rng, p):
        # HTTP parsers drop surrounding whitespace from header values, so the corpus does not carry any.
        h = replace_header(client_headers(rng), name, (prefix + p).strip())
        return record("GET", path, query_string, h, where=f"header:{name}")
    return _slot(f"header:{name}", f"header {name} on GET {path}", make, wire_ok=False)


def path_param(prefix, suffix=""):
    """Payload as one percent-encoded path segment after `prefix`."""
    def make(rng, p):
        return record("GET", f"{prefix}/{path_seg(p)}{suffix}", "", client_headers(rng), where="path")
    return _slot("path", f"path segment of GET {prefix}/{{}}{suffix}", make, wire_ok=True)


def fits(slot, payload):
    if isinstance(payload, JsonEsc):
        return slot.json_ok
    if isinstance(payload, Wire):
        return slot.wire_ok
    return True


def place(rng, payloads, slots, total):
    """Put each payload into a slot that fits it; cycle until `total` requests, never repeating a pair.

    payloads: list of (payload, note). Returns records with the slot's place appended to the note.
    """
    options = []
    for payload, _ in payloads:
        ok = [s for s in slots if fits(s, payload)]
        rng.shuffle(ok)
        options.append(ok)
    out, round_no = [], 0
    while len(out) < total:
        placed = False
        for (payload, note), ok in zip(payloads, options):
            if len(out) >= total:
                break
            if round_no < len(ok):
                slot = ok[round_no]
                rec = slot(rng, payload)
                rec["note"] = f"{note}; {slot.desc}"
                out.append(rec)
                placed = True
        if not placed:
            raise ValueError(f"only {len(out)} placements possible, {total} asked")
        round_no += 1
    return out
