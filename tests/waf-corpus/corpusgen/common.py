"""Shared pieces of the corpus generator: request records, wire encodings, realistic client headers.

Everything random comes from `rng_for(name)`, a `random.Random` seeded with a fixed string, so one
category's output depends only on its own code and data: editing the SQLi list does not reshuffle XSS.
"""

import base64
import hashlib
import json
import random
import string
from urllib.parse import quote, quote_plus

SEED = "moat-waf-corpus-1"


def rng_for(name):
    return random.Random(f"{SEED}:{name}")


class Wire(str):
    """A value already in its on-the-wire form (a deliberate obfuscation such as `%252e`): never re-encoded."""


# How a client puts a value into a query string or form body:
#   form       URLSearchParams / HTML forms: space as '+', keeps *-._
#   component  encodeURIComponent: keeps A-Za-z0-9 -_.!~*'()
#   browser    what a browser sends for a typed URL: also keeps $,/:;?@
#   raw        a hand-written curl command or attack tool: only what would break the request line is encoded
STYLES = ("form", "component", "browser", "raw")


def enc(value, style="component"):
    if isinstance(value, Wire):
        return str(value)
    if style == "form":
        return quote_plus(value, safe="*")
    if style == "component":
        return quote(value, safe="-_.!~*'()")
    if style == "browser":
        return quote(value, safe="-_.!~*'()$,/:;?@")
    if style == "raw":
        return quote(value, safe="-_.!~*'()$,/:;?@<>\"{}|\\^`[]")
    raise ValueError(style)


def qs(pairs, style="component"):
    """A query string (no leading '?') from (name, value) pairs; names keep their brackets only if Wire."""
    out = []
    for name, value in pairs:
        n = str(name) if isinstance(name, Wire) else quote(name, safe="-_.~")
        out.append(f"{n}={enc(value, style)}")
    return "&".join(out)


def path_seg(value):
    """One path segment as a client library would encode it."""
    if isinstance(value, Wire):
        return str(value)
    return quote(value, safe="-_.~!$'()*,;=:@")


def record(method, path, query="", headers=(), body="", where="", note=""):
    return {
        "method": method,
        "path": path,
        "query": query,
        "headers": [[k, v] for k, v in headers],
        "body": body,
        "where": where,
        "note": note,
    }


def json_body(obj, rng=None):
    """JSON as clients send it: mostly compact (JSON.stringify, Jackson), sometimes Python's default spacing."""
    if rng is not None and rng.random() < 0.3:
        return json.dumps(obj, ensure_ascii=rng.random() < 0.5)
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def form_body(pairs, style="form"):
    return qs(pairs, style)


def multipart(rng, parts, browser=True):
    """(content_type, body) of a multipart/form-data body.

    parts: (name, value) for a field, (name, filename, content_type, content) for a file.
    """
    if browser:
        boundary = "----WebKitFormBoundary" + "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(16))
    else:
        boundary = "".join(rng.choice("0123456789abcdef") for _ in range(32))
    lines = []
    for part in parts:
        lines.append(f"--{boundary}")
        if len(part) == 2:
            lines.append(f'Content-Disposition: form-data; name="{part[0]}"')
            lines.append("")
            lines.append(part[1])
        else:
            name, filename, ctype, content = part
            lines.append(f'Content-Disposition: form-data; name="{name}"; filename="{filename}"')
            lines.append(f"Content-Type: {ctype}")
            lines.append("")
            lines.append(content)
    lines.append(f"--{boundary}--")
    lines.append("")
    return f"multipart/form-data; boundary={boundary}", "\r\n".join(lines)


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def hexstr(rng, n):
    return "".join(rng.choice("0123456789abcdef") for _ in range(n))


def alnum(rng, n):
    return "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(n))


def uuid4(rng):
    h = hexstr(rng, 32)
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{rng.choice('89ab')}{h[17:20]}-{h[20:32]}"


def jwt(rng, claims=None, alg="RS256"):
    """A JWT of realistic shape (header.payload.signature); the signature is random bytes."""
    now = 1732520000 + rng.randrange(0, 86400 * 30)
    payload = {
        "iss": rng.choice(["https://auth.example.com/", "https://login.example.org", "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Ab12Cd34E"]),
        "sub": rng.choice(["auth0|", "user_", ""]) + alnum(rng, 16),
        "aud": rng.choice(["https://api.example.com", "orders-api", "3n4b5c6d7e8f9g0h1i2j3k4l5m"]),
        "iat": now,
        "exp": now + rng.choice([300, 900, 3600, 86400]),
        "scope": rng.choice(["openid profile email", "read:orders write:orders", "orders:read", "openid offline_access"]),
    }
    if claims:
        payload.update(claims)
    header = {"alg": alg, "typ": "JWT", "kid": alnum(rng, 20)}
    sig_len = 256 if alg.startswith("RS") else 32
    return ".".join([
        b64url(json.dumps(header, separators=(",", ":")).encode()),
        b64url(json.dumps(payload, separators=(",", ":")).encode()),
        b64url(bytes(rng.randrange(256) for _ in range(sig_len))),
    ])


BROWSER_UAS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
    "Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.6723.107 Mobile Safari/537.36",
    "Mozilla/5.0 (Linux; Android 14; SM-S921B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/26.0 Chrome/122.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (iPad; CPU OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/130.0.6723.90 Mobile/15E148 Safari/604.1",
]

APP_UAS = [
    "Shopwise/5.14.2 (iPhone; iOS 18.1; Scale/3.00)",
    "Shopwise/5.14.1 (com.example.shopwise; build:20241102; Android 14) okhttp/4.12.0",
    "okhttp/4.12.0",
    "Dalvik/2.1.0 (Linux; U; Android 13; SM-A536B Build/TP1A.220624.014)",
    "TaskFlow/3.2 CFNetwork/1568.200.51 Darwin/24.1.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_6_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 [FBAN/FBIOS;FBAV/486.0.0.55.70;FBBV/661384530;FBDV/iPhone15,2;FBMD/iPhone;FBSN/iOS;FBSV/17.6.1;FBSS/3;FBID/phone;FBLC/en_US;FBOP/5]",
    "Dart/3.5 (dart:io)",
]

SDK_UAS = [
    "python-requests/2.32.3",
    "axios/1.7.7",
    "curl/8.5.0",
    "Go-http-client/1.1",
    "aws-sdk-js/3.685.0 ua/2.1 os/linux#6.8.0-1017-aws lang/js md/nodejs#20.18.0 api/s3#3.685.0",
    "PostmanRuntime/7.42.0",
    "node-fetch/1.0 (+https://github.com/bitinn/node-fetch)",
    "Apache-HttpClient/4.5.14 (Java/17.0.12)",
    "Stripe/v1 RubyBindings/13.0.0",
    "Faraday v2.12.0",
    "ruby",
    "Java-http-client/21.0.5",
]

LANGS = [
    "en-US,en;q=0.9",
    "en-GB,en;q=0.9,en-US;q=0.8",
    "de-DE,de;q=0.9,en-US;q=0.8,en;q=0.7",
    "fr-CH, fr;q=0.9, en;q=0.8, de;q=0.7, *;q=0.5",
    "es-ES,es;q=0.9",
    "ja,en-US;q=0.9,en;q=0.8",
    "pt-BR,pt;q=0.9,en-US;q=0.8,en;q=0.7",
]

SITES = ["https://shop.example.com", "https://app.example.com", "https://www.example.com", "https://dashboard.example.io"]


def browser_headers(rng, accept="application/json, text/plain, */*", ua=None, with_origin=False):
    site = rng.choice(SITES)
    h = [
        ("User-Agent", ua or rng.choice(BROWSER_UAS)),
        ("Accept", accept),
        ("Accept-Language", rng.choice(LANGS)),
        ("Accept-Encoding", "gzip, deflate, br, zstd" if rng.random() < 0.6 else "gzip, deflate, br"),
    ]
    if with_origin:
        h.append(("Origin", site))
    if rng.random() < 0.7:
        h.append(("Referer", site + rng.choice(["/", "/cart", "/account/orders", "/products/42", "/search?q=lamp", "/checkout/shipping"])))
    if rng.random() < 0.5:
        jar = ga_cookies(rng) + [session_cookie(rng)]
        if rng.random() < 0.5:
            jar.append(rng.choice([("cookie_consent", "necessary%2Canalytics"), ("locale", "en-GB"), ("theme", "dark"), ("cart_id", uuid4(rng))]))
        h.append(("Cookie", cookie_header(jar)))
    return h


def app_headers(rng):
    h = [("User-Agent", rng.choice(APP_UAS)), ("Accept", "application/json")]
    if rng.random() < 0.5:
        h.append(("Accept-Language", rng.choice(["en-US", "de-DE", "fr-FR", "en-GB", "ja-JP"])))
    h.append(("Accept-Encoding", "gzip"))
    if rng.random() < 0.6:
        h.append(("Authorization", "Bearer " + jwt(rng)))
    if rng.random() < 0.4:
        h.append(("X-Request-Id", uuid4(rng)))
    return h


def sdk_headers(rng):
    h = [("User-Agent", rng.choice(SDK_UAS)), ("Accept", rng.choice(["application/json", "*/*"]))]
    if rng.random() < 0.7:
        h.append(("Authorization", "Bearer " + jwt(rng) if rng.random() < 0.6 else "Bearer sk_live_" + alnum(rng, 24)))
    return h


def client_headers(rng, accept="application/json, text/plain, */*"):
    """Headers of an ordinary client: a browser XHR, a mobile app or a server-side SDK."""
    r = rng.random()
    if r < 0.5:
        return browser_headers(rng, accept=accept)
    if r < 0.8:
        return app_headers(rng)
    return sdk_headers(rng)


def page_headers(rng):
    """A browser navigating to a page (no XHR Accept)."""
    return browser_headers(rng, accept="text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8")


def with_body(headers, content_type):
    return list(headers) + [("Content-Type", content_type)]


def replace_header(headers, name, value):
    """Set header `name` (case-insensitive) to value, keeping its position if present."""
    out, done = [], False
    for k, v in headers:
        if k.lower() == name.lower():
            if not done:
                out.append((k, value))
                done = True
        else:
            out.append((k, v))
    if not done:
        out.append((name, value))
    return out


def ga_cookies(rng):
    t = 1730000000 + rng.randrange(0, 2000000)
    return [
        ("_ga", f"GA1.1.{rng.randrange(10**9, 10**10)}.{t}"),
        ("_ga_" + alnum(rng, 10).upper(), f"GS1.1.{t + 3600}.4.1.{t + 3900}.0.0.0"),
    ]


def cookie_header(pairs):
    return "; ".join(f"{k}={v}" for k, v in pairs)


def session_cookie(rng):
    return rng.choice([
        ("session", alnum(rng, 32)),
        ("sid", "s%3A" + alnum(rng, 32) + "." + alnum(rng, 43)),
        ("PHPSESSID", hexstr(rng, 26)),
        ("JSESSIONID", hexstr(rng, 32).upper()),
        ("connect.sid", "s%3A" + alnum(rng, 32) + "." + alnum(rng, 27) + "%2F" + alnum(rng, 15)),
    ])


def sha256_hex(text):
    return hashlib.sha256(text.encode()).hexdigest()

