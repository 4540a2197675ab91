"""Benign requests whose difficulty is structure: forms, uploads, headers, GraphQL, HTML-ish text, REST paths,
authentication, non-ASCII text, structured JSON data and third-party webhooks.

PUT, PATCH, DELETE, HEAD and OPTIONS appear only in the rest-path category.
"""

import base64
import struct
import zlib

from .common import (
    alnum,
    app_headers,
    b64url,
    browser_headers,
    client_headers,
    cookie_header,
    form_body,
    ga_cookies,
    hexstr,
    json_body,
    jwt,
    multipart,
    page_headers,
    path_seg,
    qs,
    record,
    replace_header,
    rng_for,
    sdk_headers,
    session_cookie,
    sha256_hex,
    uuid4,
    with_body,
)
from .benign_text import get, post_form, post_json


def png(rng, w, h):
    """A real, tiny PNG (random pixels) so base64 thumbnails decode to what they claim."""
    raw = b"".join(b"\x00" + bytes(rng.randrange(256) for _ in range(w * 3)) for _ in range(h))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


# ---------------------------------------------------------------------------------------------------- form

NAMES = [("Anne-Marie", "O'Connor"), ("Jos\u00e9", "Garc\u00eda-L\u00f3pez"), ("Rocco", "D'Angelo"), ("Zo\u00eb", "van der Berg"), ("Li", "Wei"),
         ("Mary Ellen", "St. John"), ("Sean", "O'Neill-Murphy"), ("Fatima", "Al-Sayed"), ("Bob", "Smith Jr."), ("Ng\u1ecdc", "Tr\u1ea7n")]
STREETS = ["742 Evergreen Terrace", "Apt #4B, 1200 Union St", "Flat 3, 14-16 High St.", "c/o Acme Ltd, Unit 7 - Riverside Park", "PO Box 1234",
           "Rue de l'\u00c9glise 5", "1600 Amphitheatre Pkwy, Bldg 40", "22 O'Connell St; 3rd floor", "Hauptstra\u00dfe 12a", "#05-12, 8 Marina View"]
PHONES = ["+1 (555) 010-2345", "+44 20 7946 0958", "555-0199 ext. 42", "+49 30 901820", "(02) 9876 5432", "+33 1 23 45 67 89", "07700 900123"]
NOTES = ["Leave at #12 - side door", "Call on arrival; buzzer's broken", "Gift -- no prices please!", "Fragile: glass (handle w/ care)",
         "Deliver after 5pm; weekdays only", "N/A", "Back entrance, 2nd gate on the left; dog's friendly", ""]


def form():
    rng = rng_for("form")
    out = []
    for i in range(12):
        first, last = NAMES[i % len(NAMES)]
        out.append(post_form(rng, "/checkout/shipping", [
            ("first_name", first), ("last_name", last), ("address1", STREETS[i % len(STREETS)]), ("address2", rng.choice(["", "Apt 2", "Suite 300", "Floor 3"])),
            ("city", rng.choice(["Springfield", "Dublin", "M\u00fcnchen", "Z\u00fcrich", "Portland", "Singapore"])), ("postcode", rng.choice(["97201", "D02 X285", "80331", "8001", "018961"])),
            ("phone", PHONES[i % len(PHONES)]), ("delivery_notes", NOTES[i % len(NOTES)]), ("save_address", "on")], note="checkout shipping form"))
    for i in range(6):
        first, last = NAMES[(i + 3) % len(NAMES)]
        out.append(post_form(rng, "/contact", [("name", f"{first} {last}"), ("email", f"{first.lower().replace(' ', '.')}@example.com"), ("topic", rng.choice(["billing", "delivery", "other"])),
                                              ("message", rng.choice(["Hi -- my invoice shows VAT @ 20% but I'm VAT-registered (GB123456789); can you re-issue it?",
                                                                      "Where's my order? Tracking says 'label created' since Monday...",
                                                                      "Do you ship to the Channel Islands (JE/GG)? The postcode field won't accept mine.",
                                                                      "Loved the event! Could you share the slides? Thanks :)",
                                                                      "I'd like to return 2 of the 3 items (order #58812); the third's fine.",
                                                                      "Your form wouldn't accept my apostrophe (O'Connor) -- now it does, thanks!"]))],
                             note="contact form with free text"))
    for i in range(5):
        out.append(post_form(rng, "/login", [("username", rng.choice(["anne.oconnor", "jgarcia", "rocco_d", "zoe.vdb@example.com", "liwei88"])),
                                            ("password", rng.choice(["Tr0ub4dor&3", "p@$$w0rd!#2024", "Xy7'z;Q--9kL", "S3cure*Pa55(word)", "my dog's name is Rex!"])),
                                            ("remember_me", "1"), ("csrf_token", alnum(rng, 40))], note="login form with a punctuation-heavy password"))
    for i in range(5):
        out.append(post_form(rng, "/bookings", [("date", f"2024-12-{rng.randrange(1, 29):02d}"), ("time", rng.choice(["10:30", "18:45", "19:00", "12:15"])),
                                               ("guests", str(rng.randrange(1, 13))), ("name", " ".join(NAMES[i])), ("phone", PHONES[i]),
                                               ("requests", rng.choice(["High chair x1; window seat if poss.", "It's our anniversary :)", "Gluten-free & nut allergy (severe)", "Wheelchair access please -- thanks!", ""]))],
                             note="table booking form"))
    for i in range(4):
        out.append(post_form(rng, "/pizza/order", [("size", rng.choice(["12in", "14in"])), ("toppings[]", "olives"), ("toppings[]", "onion"), ("toppings[]", "jalape\u00f1os"),
                                                  ("crust", "thin & crispy"), ("notes", "Half & half please: left = veggie; right = pepperoni"), ("tip", "15%")],
                             note="order form with repeated array fields"))
    for i in range(4):
        out.append(post_form(rng, "/account/profile", [("user[name]", " ".join(NAMES[i + 5])), ("user[address][line1]", STREETS[i + 3]), ("user[address][city]", "Dublin"),
                                                      ("user[birthdate]", f"19{rng.randrange(50, 99)}-0{rng.randrange(1, 9)}-1{rng.randrange(0, 9)}"), ("user[bio]", "Runner, reader & amateur baker; 3 kids (and a cat)."), ("_method", "patch")],
                             note="Rails-style nested form fields"))
    for i in range(4):
        out.append(post_form(rng, "/survey/responses", [("q1", str(rng.randrange(1, 6))), ("q2", "Somewhat agree"), ("q3", rng.choice(["Faster shipping; cheaper returns.", "N/A", "More sizes (XS & XXL please)", "Nothing -- it's great!"])),
                                                       ("q4[]", "email"), ("q4[]", "sms"), ("nps", str(rng.randrange(0, 11)))], note="survey form"))
    for i in range(5):
        first, last = NAMES[(i + 6) % len(NAMES)]
        out.append(post_form(rng, "/careers/apply", [("full_name", f"{first} {last}"), ("email", f"{last.lower().replace(' ', '').replace(chr(39), '')}@example.org"), ("phone", PHONES[(i + 2) % len(PHONES)]),
                                                    ("linkedin", "https://www.linkedin.com/in/" + alnum(rng, 10).lower()), ("salary", rng.choice(["$85,000 - $95,000", "\u20ac60k+", "negotiable"])),
                                                    ("cover_letter", "I've spent 6 years building APIs (Go & Python) -- most recently at a 40-person fintech where I led the move to event-driven billing.")],
                             note="job application form"))
    return out


# ---------------------------------------------------------------------------------------------------- upload-meta

FILENAMES = [
    ("Q3 report (final) v2.pdf", "application/pdf"), ("Mom's 60th birthday - 01.jpg", "image/jpeg"), ("r\u00e9sum\u00e9_2024.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ("invoice#4411.pdf", "application/pdf"), ("IMG_20241103_184512.HEIC", "image/heic"), ("Screenshot 2024-11-03 at 10.15.22.png", "image/png"),
    ("budget_2025;draft.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), ("notes & todo.txt", "text/plain"),
    ("floor-plan [rev B].dwg", "application/acad"), ("Vacation_Video_4K.mov", "video/quicktime"), ("contract - signed.pdf", "application/pdf"),
    ("export_orders_2024-11-01_2024-11-30.csv", "text/csv"),
]


def upload_meta():
    rng = rng_for("upload-meta")
    out = []
    for name, ctype in FILENAMES:
        body = {"filename": name, "contentType": ctype, "size": rng.randrange(20_000, 40_000_000), "checksumSha256": sha256_hex(name)}
        if rng.random() < 0.5:
            body["folderId"] = "fld_" + alnum(rng, 12)
        out.append(post_json(rng, "/api/v1/uploads/presign", body, note="presigned-upload request with a human file name"))
    for i in range(8):
        w, h = rng.choice([(8, 8), (12, 9), (16, 16), (10, 6)])
        thumb = base64.b64encode(png(rng, w, h)).decode()
        obj = {"name": rng.choice(["avatar", "cover", "thumbnail", "preview"]), "mime": "image/png", "width": w, "height": h, "dataUrl": f"data:image/png;base64,{thumb}"}
        if i % 2:
            obj = {"thumbnail": thumb, "encoding": "base64", "productId": rng.randrange(1000, 9999)}
        out.append(post_json(rng, rng.choice(["/api/v1/profile/avatar", "/api/v1/products/images", "/api/v1/drafts/thumbnail"]), obj,
                             note="base64 PNG thumbnail in JSON"))
    csv_files = [
        ("contacts.csv", "name,email,phone\n\"O'Brien, Siobhan\",o'brien@example.ie,+353 1 555 0100\n\"Smith, James\",j.smith@example.museum,\"(555) 010-2345\"\n"),
        ("inventory.csv", "sku,description,qty,price\nAB-1234/XL,\"Drop leaf table, oak\",4,399.00\nCD-77,\"Union Jack cushion (45cm x 45cm)\",12,24.50\n"),
        ("notes.md", "# Meeting notes\n\n- Ship v2 by **Friday**\n- Ask Dana re: budget (> $5k?)\n- `make release` fails on CI -- check the cache\n"),
        ("event.ics", "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Acme//Calendar//EN\r\nBEGIN:VEVENT\r\nUID:8f2c1@example.com\r\nDTSTART:20241112T120000Z\r\nDTEND:20241112T133000Z\r\nSUMMARY:Team lunch\r\nLOCATION:Caf\u00e9 Union\\, 1 Main St\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"),
        ("kim.vcf", "BEGIN:VCARD\nVERSION:3.0\nFN:Kim Lee\nORG:Hooli;Seoul office\nEMAIL;TYPE=work:kim.lee@example.kr\nTEL;TYPE=cell:+82 10-1234-5678\nEND:VCARD\n"),
        ("settings.json", "{\n  \"theme\": \"dark\",\n  \"shortcuts\": {\"save\": \"Ctrl+S\", \"search\": \"Ctrl+Shift+F\"},\n  \"recent\": [\"/projects/acme\", \"/projects/web\"]\n}\n"),
        ("readme.txt", "Thanks for downloading! Unzip, then double-click 'Start Here.html'.\nQuestions? support@example.com\n"),
        ("translations.po", "msgid \"Don't have an account?\"\nmsgstr \"Vous n'avez pas de compte ?\"\n"),
    ]
    type_of = {"csv": "text/csv", "md": "text/markdown", "ics": "text/calendar", "vcf": "text/vcard", "json": "application/json", "txt": "text/plain", "po": "text/x-gettext-translation"}
    for filename, content in csv_files:
        ctype, body = multipart(rng, [("folder", rng.choice(["inbox", "imports", "docs"])), ("file", filename, type_of[filename.rsplit(".", 1)[1]], content)],
                                browser=rng.random() < 0.6)
        out.append(record("POST", "/api/v1/files", "", with_body(browser_headers(rng, with_origin=True), ctype), body, where="body-multipart",
                          note=f"multipart upload of a small text file ({filename})"))
    exif = [
        {"camera": "Canon EOS 5D Mark IV", "lens": "EF24-70mm f/2.8L II USM", "exposure": "1/250", "fNumber": 8, "iso": 100, "takenAt": "2024:07:14 18:42:03",
         "gps": {"lat": 46.5197, "lng": 6.6323}, "title": "Lake Geneva -- sunset", "keywords": ["lake", "sunset", "l\u00e9man"]},
        {"camera": "iPhone 15 Pro", "lens": "iPhone 15 Pro back triple camera 6.765mm f/1.78", "exposure": "1/60", "iso": 640, "takenAt": "2024:11:02 21:10:55",
         "title": "Mom & Dad's anniversary dinner", "people": ["Mom", "Dad", "Auntie Jo"]},
        {"camera": "Pixel 8", "software": "HDR+ 1.0.620336720z", "orientation": "Rotate 90 CW", "takenAt": "2024:10:19 09:03:12", "caption": "First snow! (finally)"},
    ]
    for meta in exif:
        out.append(post_json(rng, f"/api/v1/photos/{uuid4(rng)}/metadata", meta, headers=app_headers(rng), note="photo EXIF metadata"))
    attach = [
        {"ticketId": 48213, "attachments": [{"name": "app.log", "size": 18231, "type": "text/plain"}, {"name": "screenshot (2).png", "size": 204811, "type": "image/png"}]},
        {"files": [{"path": "Photos/2024/Summer in Cork.jpg", "bytes": 3481223}, {"path": "Photos/2024/Summer in Cork (1).jpg", "bytes": 3391022}], "conflict": "rename"},
        {"upload": {"name": "Annual Report 2024 -- DRAFT.pptx", "parts": 4, "partSize": 5242880, "uploadId": alnum(rng, 40)}},
        {"name": "backup-2024-11-03.tar.gz", "kind": "user-export", "expiresInDays": 7},
    ]
    for obj in attach:
        out.append(post_json(rng, rng.choice(["/api/v1/attachments", "/api/v1/sync/batch", "/api/v1/uploads/multipart"]), obj, note="file metadata with human file names"))
    return out


# ---------------------------------------------------------------------------------------------------- headers

CRAWLERS = [
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm) Chrome/116.0.1938.76 Safari/537.36",
    "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
    "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
    "Twitterbot/1.0",
    "LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/13.1.1 Safari/605.1.15 (Applebot/0.1; +http://www.apple.com/go/applebot)",
    "Mozilla/5.0 (compatible; DuckDuckBot-Https/1.1; https://duckduckgo.com/duckduckbot)",
]
MONITORS = [
    "kube-probe/1.30", "ELB-HealthChecker/2.0", "Mozilla/5.0 (compatible; UptimeRobot/2.0; http://www.uptimerobot.com/)",
    "Pingdom.com_bot_version_1.4_(http://www.pingdom.com/)", "Datadog Agent/7.58.0", "Prometheus/2.54.1", "Amazon-Route53-Health-Check-Service (ref 8a1c2e3f-0b4d-4e5f-9a8b-7c6d5e4f3a2b; report http://amzn.to/1vsZADi)",
    "Blackbox Exporter/0.25.0", "GoogleHC/1.0",
]
SDK_EXTRA = [
    ("Stripe/1.0 (+https://stripe.com/docs/webhooks)", [("Stripe-Signature", "t=1730712000,v1=" + "5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd")]),
    ("GitHub-Hookshot/6a3f2c1", [("X-GitHub-Event", "push"), ("X-GitHub-Delivery", "72d3162e-cc78-11e3-81ab-4c9367dc0958"), ("X-Hub-Signature-256", "sha256=" + "d57c68ca6f92289e6987922ff26938930f6e66a2d161ef06abdf1859230aa23c")]),
    ("Shopify-Captain-Hook", [("X-Shopify-Topic", "orders/create"), ("X-Shopify-Hmac-Sha256", "XWmrwMey6OsLMeiZKwP4FppHH3cmAiiJJAweH5Jo4bM="), ("X-Shopify-Shop-Domain", "acme-store.myshopify.com")]),
    ("TwilioProxy/1.1", [("X-Twilio-Signature", "0/KCTR6DLpKmkAf8muzZqo1nDgQ=")]),
]


def headers():
    rng = rng_for("headers")
    out = []
    paths = ["/", "/api/v1/products?page=2&per_page=24", "/api/v1/me", "/api/v2/orders?status=open", "/products/42", "/api/v1/cart", "/account/orders",
             "/api/v1/notifications?since=2024-11-01T00:00:00Z", "/v1/orders/123/items", "/api/v1/feature-flags"]

    def emit(h, note, where="headers"):
        target = paths[len(out) % len(paths)]
        path, _, query_string = target.partition("?")
        out.append(record("GET", path, query_string, h, where=where, note=note))

    chrome_ch = [
        ("sec-ch-ua", '"Google Chrome";v="131", "Chromium";v="131", "Not_A Brand";v="24"'),
        ("sec-ch-ua-mobile", "?0"),
        ("sec-ch-ua-platform", '"Windows"'),
    ]
    for i in range(8):
        h = browser_headers(rng, accept="text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7")
        h[0] = ("User-Agent", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36")
        h += chrome_ch + [("Sec-Fetch-Site", rng.choice(["none", "same-origin", "cross-site"])), ("Sec-Fetch-Mode", "navigate"), ("Sec-Fetch-User", "?1"),
                          ("Sec-Fetch-Dest", "document"), ("Upgrade-Insecure-Requests", "1")]
        jar = ga_cookies(rng) + [session_cookie(rng)]
        extra = [
            ("OptanonConsent", "isGpcEnabled=0&datestamp=Mon+Nov+04+2024+10%3A15%3A02+GMT%2B0100+(Central+European+Standard+Time)&version=202409.1.0&browserGpcFlag=0&isIABGlobal=false&hosts=&consentId=" + uuid4(rng) + "&interactionCount=1&landingPath=NotLandingPage&groups=C0001%3A1%2CC0002%3A0%2CC0003%3A1%2CC0004%3A0"),
            ("cart", "%7B%22items%22%3A3%2C%22currency%22%3A%22EUR%22%7D"),
            ("_fbp", f"fb.1.{1730000000000 + rng.randrange(10**9)}.{rng.randrange(10**9, 10**10)}"),
            ("ajs_anonymous_id", "%22" + uuid4(rng) + "%22"),
            ("recently_viewed", "42%2C17%2C108%2C2231"),
            ("tz", "Europe%2FZurich"),
            ("__cf_bm", alnum(rng, 43) + "-" + str(1730712000 + rng.randrange(1000)) + "-1.0.1.1-" + alnum(rng, 60)),
            ("csrftoken", alnum(rng, 32)),
            ("session", "eyJ1c2VyX2lkIjo0Mn0.ZyiVqA." + alnum(rng, 27)),
            ("AWSALB", alnum(rng, 96) + "/" + alnum(rng, 40)),
            ("locale", "en-US"), ("theme", "dark"), ("hubspotutk", hexstr(rng, 32)),
            ("intercom-session-" + alnum(rng, 8).lower(), alnum(rng, 60) + "--" + hexstr(rng, 40)),
            ("amplitude_id_fef1e872c952688acd962d30aa545b9eexample.com", "eyJkZXZpY2VJZCI6ImE5YjE2YWE0LTkxZTYtNDI1Ny1hN2JhLWRlMDM2NjMxM2Q1NVIiLCJ1c2VySWQiOm51bGwsIm9wdE91dCI6ZmFsc2V9"),
        ]
        jar += rng.sample(extra, rng.randrange(3, 7))
        rng.shuffle(jar)
        h = replace_header(h, "Cookie", cookie_header(jar))
        emit(h, "Chrome navigation with client hints and a cookie jar full of analytics/consent cookies")
    for ua in CRAWLERS:
        emit([("User-Agent", ua), ("Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"), ("Accept-Encoding", "gzip, deflate, br"), ("From", "googlebot(at)googlebot.com")]
             if "Googlebot" in ua else [("User-Agent", ua), ("Accept", "*/*"), ("Accept-Encoding", "gzip")], f"search-engine or link-preview crawler: {ua[:50]}")
    for ua in MONITORS:
        h = [("User-Agent", ua), ("Accept", "*/*")]
        if "ELB" in ua or "kube" in ua:
            h.append(("Connection", "close"))
        emit(h, f"health check or monitoring agent: {ua[:40]}")
    for ua, extra in SDK_EXTRA:
        emit([("User-Agent", ua), ("Accept", "*/*")] + extra, f"webhook sender's signature headers on a GET probe: {ua.split('/')[0]}")
    for i in range(6):
        h = app_headers(rng)
        h += [("X-Forwarded-For", f"203.0.113.{rng.randrange(1, 255)}, 10.0.{rng.randrange(0, 8)}.{rng.randrange(1, 255)}"),
              ("X-Forwarded-Proto", "https"), ("X-Forwarded-Host", "api.example.com"),
              ("Forwarded", f"for=198.51.100.{rng.randrange(1, 255)};proto=https;by=203.0.113.43"),
              ("traceparent", f"00-{hexstr(rng, 32)}-{hexstr(rng, 16)}-01"), ("tracestate", f"rojo={hexstr(rng, 16)},congo=t61rcWkgMzE"),
              ("X-Amzn-Trace-Id", f"Root=1-{hexstr(rng, 8)}-{hexstr(rng, 24)};Parent={hexstr(rng, 16)};Sampled=1"),
              ("If-None-Match", f'W/"{hexstr(rng, 2)}-{alnum(rng, 27)}"'), ("Cache-Control", "no-cache")]
        emit(h, "mobile app behind proxies: forwarding, tracing and conditional headers")
    for i in range(6):
        h = sdk_headers(rng)
        h = [x for x in h if x[0] != "Authorization"]
        h += rng.choice([
            [("Authorization", "Basic " + base64.b64encode(b"api:" + alnum(rng, 24).encode()).decode())],
            [("X-Api-Key", "ak_live_" + alnum(rng, 32))],
            [("Authorization", f"AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20241104/eu-west-1/execute-api/aws4_request, SignedHeaders=host;x-amz-date, Signature={hexstr(rng, 64)}"),
             ("X-Amz-Date", "20241104T101200Z"), ("X-Amz-Security-Token", alnum(rng, 300))],
            [("Authorization", "Bearer " + jwt(rng, {"https://example.com/roles": ["admin", "billing"], "email": "o'brien@example.ie"}))],
            [("Authorization", 'Digest username="api", realm="acme", nonce="' + hexstr(rng, 32) + '", uri="/api/v1/me", response="' + hexstr(rng, 32) + '", qop=auth, nc=00000001, cnonce="' + hexstr(rng, 16) + '"')],
            [("Authorization", "token ghp_" + alnum(rng, 36))],
        ])
        emit(h, "server-to-server client with API credentials")
    for i in range(5):
        h = replace_header(browser_headers(rng, with_origin=True), "Referer", "https://www.google.com/search?q=best+running+shoes+2024&oq=best+running&sourceid=chrome&ie=UTF-8")
        h += [("X-Requested-With", "XMLHttpRequest"), ("X-CSRF-Token", alnum(rng, 43) + "=="), ("DNT", "1"), ("Sec-GPC", "1"),
              ("If-Modified-Since", "Mon, 04 Nov 2024 10:12:00 GMT"), ("Priority", "u=1, i")]
        emit(h, "browser XHR with CSRF token, privacy signals and a search-engine referer")
    for ua in ["Mozilla/5.0 (Linux; Android 14; SM-S921B Build/UP1A.231005.007; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/130.0.6723.86 Mobile Safari/537.36 Instagram 355.0.0.34.90 Android (34/14; 480dpi; 1080x2340; samsung; SM-S921B; e1s; s5e9945; en_US; 656339162)",
               "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Twitter for iPhone/10.66",
               "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/118.0.5993.159 Electron/27.1.3 Safari/537.36 Slack/4.35.131",
               "Mozilla/5.0 (SMART-TV; Linux; Tizen 7.0) AppleWebKit/537.36 (KHTML, like Gecko) 94.0.4606.31/7.0 TV Safari/537.36",
               "Mozilla/5.0 (PlayStation; PlayStation 5/9.00) AppleWebKit/605.1.15 (KHTML, like Gecko)"]:
        emit([("User-Agent", ua), ("Accept", "text/html,*/*;q=0.8"), ("Accept-Language", "en-US,en;q=0.9")], f"in-app browser, desktop app or device browser: ...{ua[-40:]}")
    return out


# ---------------------------------------------------------------------------------------------------- graphql

GQL = [
    ("GetProduct", "query GetProduct($id: ID!) {\n  product(id: $id) {\n    id\n    name\n    price { amount currency }\n    images(first: 4) { url alt }\n  }\n}", {"id": "gid://shop/Product/42"}),
    ("SearchProducts", "query SearchProducts($q: String!, $after: String) {\n  search(query: $q, first: 24, after: $after) {\n    edges { node { ... on Product { id name } ... on Collection { id title } } }\n    pageInfo { hasNextPage endCursor }\n  }\n}", {"q": "drop leaf table", "after": "YXJyYXljb25uZWN0aW9uOjIz"}),
    ("AddReview", "mutation AddReview($input: ReviewInput!) {\n  addReview(input: $input) { review { id rating } errors { field message } }\n}", {"input": {"productId": "42", "rating": 4, "body": "It's great -- but the 'large' is small; order one size up!"}}),
    ("Me", "query Me { me { id email displayName avatarUrl(size: 64) __typename } }", {}),
    ("Orders", "query Orders($first: Int = 10, $status: [OrderStatus!]) {\n  orders(first: $first, status: $status, orderBy: {field: CREATED_AT, direction: DESC}) {\n    nodes { id number total { amount } createdAt }\n  }\n}", {"status": ["SHIPPED", "DELIVERED"]}),
    ("UpdateAddress", "mutation UpdateAddress($id: ID!, $address: AddressInput!) {\n  updateAddress(id: $id, address: $address) { id line1 city }\n}", {"id": "addr_9", "address": {"line1": "Apt #4B, 1200 Union St", "city": "Seattle", "postcode": "98101"}}),
    ("Feed", "query Feed($withComments: Boolean!) {\n  feed(first: 20) {\n    id\n    text\n    author { ...UserBits }\n    comments(first: 3) @include(if: $withComments) { id text }\n  }\n}\nfragment UserBits on User { id name handle }", {"withComments": True}),
    ("CreateIssue", "mutation CreateIssue($title: String!, $body: String) {\n  createIssue(input: {repositoryId: \"R_kgDOH\", title: $title, body: $body}) { issue { number url } }\n}", {"title": "Select dropdown doesn't close on Escape", "body": "Steps: open the 'Sort by' select, press Esc -- nothing happens."}),
    ("Cart", "# fetch the cart for the header badge\nquery Cart { cart { id lines(first: 50) { quantity merchandise { ... on ProductVariant { id title } } } cost { totalAmount { amount currencyCode } } } }", {}),
    ("Inventory", "query Inventory($ids: [ID!]!) { nodes(ids: $ids) { ... on InventoryItem { id sku tracked inventoryLevels(first: 5) { edges { node { available location { name } } } } } } }", {"ids": ["gid://shop/InventoryItem/1", "gid://shop/InventoryItem/2"]}),
    ("SendMessage", "mutation SendMessage($to: ID!, $text: String!) { sendMessage(to: $to, text: $text) { id sentAt } }", {"to": "u_81", "text": "See you at 7 -- table's booked under \"Nair\" :)"}),
    ("Aliases", "query Aliases { small: image(size: SMALL) { url } large: image(size: LARGE) { url } }", {}),
    ("Events", "query Events($from: DateTime!, $to: DateTime!, $tz: String) { events(from: $from, to: $to, timezone: $tz) { id title startsAt endsAt location } }", {"from": "2024-11-01T00:00:00Z", "to": "2024-11-30T23:59:59Z", "tz": "Europe/Zurich"}),
    ("Repo", "query Repo($owner: String!, $name: String!) { repository(owner: $owner, name: $name) { stargazerCount issues(states: OPEN) { totalCount } defaultBranchRef { name } } }", {"owner": "acme", "name": "web"}),
    ("DeleteDraft", "mutation DeleteDraft($id: ID!) { deleteDraft(id: $id) { deletedId } }", {"id": "dr_" + "4f9a"}),
]


def graphql():
    rng = rng_for("graphql")
    out = []
    for i, (op, q, variables) in enumerate(GQL):
        body = {"operationName": op, "query": q, "variables": variables}
        path = ["/graphql", "/api/graphql", "/graphql", "/v1/graphql"][i % 4]
        kind = "mutation" if "mutation " in q else "query"
        out.append(post_json(rng, path, body, headers=client_headers(rng) + ([("apollographql-client-name", "web"), ("apollographql-client-version", "3.11.8")] if i % 3 == 0 else []),
                             note=f"GraphQL {kind} {op}"))
    for i, (op, q, variables) in enumerate(GQL[:8]):
        sha = sha256_hex(q)
        out.append(record("GET", "/graphql", qs([("operationName", op), ("variables", json_body(variables)), ("extensions", json_body({"persistedQuery": {"version": 1, "sha256Hash": sha}}))], "component"),
                          client_headers(rng), where="query", note=f"GraphQL automatic persisted query {op} over GET"))
    for i in range(4):
        batch = [{"operationName": op, "query": q, "variables": v} for op, q, v in rng.sample(GQL, 3)]
        out.append(post_json(rng, "/graphql", batch, note="batched GraphQL operations"))
    for op, q, variables in GQL[8:14]:
        out.append(record("GET", "/graphql", qs([("query", q), ("variables", json_body(variables))], "component"), client_headers(rng), where="query",
                          note=f"GraphQL query {op} in the query string"))
    return out


# ---------------------------------------------------------------------------------------------------- html-text

LT_GT_TEXTS = [
    "x < y and y > z, so x < z. QED", "I <3 this shop", "<3 <3 <3", "if a<b && b>c then ... well, it depends",
    "Temperature should stay <5\u00b0C during transport", "Press <Ctrl>+<C> to copy", "Dear <insert name here>, thanks for your order!",
    ">_< the app froze again", "Step 1 --> Step 2 --> profit", "price => 10% off for members", "Use a value between 0 and 1 (0 < alpha <= 1).",
    "Ages 3+ (<36 months: choking hazard)", "5 > 3 > 1, obviously", "Reply '<< back' to return to the menu", "Results: 12 >> 4 = 0; 12 << 2 = 48",
    "Size chart: XS <60cm, S 60-70cm, M 70-80cm, L >80cm", "Loading... <please wait>", "-> see attached", "a <= b is true iff not a > b",
    "Mood: >:( then :) after coffee",
]

RICH_HTML = [
    "<p>Thanks for the <strong>quick</strong> reply!</p>",
    "<ul><li>Milk</li><li>Eggs (free-range)</li><li>Bread &amp; butter</li></ul>",
    "<p>See the <a href=\"https://docs.example.com/returns\" target=\"_blank\" rel=\"noopener\">returns policy</a> for details.</p>",
    "<p><img src=\"https://cdn.example.net/u/42/dog.jpg\" alt=\"My dog, Rex\" width=\"320\"></p><p>He approves.</p>",
    "<h2>Release notes</h2><p>Fixed: the <code>Select</code> menu didn't close on <kbd>Esc</kbd>.</p>",
    "<blockquote><p>Simplicity is prerequisite for reliability.</p><footer>-- Edsger W. Dijkstra</footer></blockquote>",
    "<p style=\"text-align: center;\"><em>Happy holidays from all of us!</em></p>",
    "<table><thead><tr><th>Plan</th><th>Price</th></tr></thead><tbody><tr><td>Pro</td><td>$12/mo</td></tr></tbody></table>",
    "<p>Line one<br>Line two<br/>Line three</p>",
    "<ol start=\"3\"><li>Unplug it</li><li>Wait 10 s</li><li>Plug it back in</li></ol>",
    "<p>Use <code>&lt;br&gt;</code> for line breaks in the signature field.</p>",
    "<div class=\"note\"><p><b>Note:</b> prices include VAT @ 20%.</p></div>",
]

EMAIL_HTML = (
    "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>Your order</title></head>"
    "<body style=\"margin:0;padding:0;background:#f4f4f4;font-family:Arial,sans-serif;\">"
    "<table role=\"presentation\" width=\"100%\" cellpadding=\"0\" cellspacing=\"0\"><tr><td align=\"center\">"
    "<h1 style=\"color:#333;\">Thanks, {name}!</h1><p>Your order <strong>#{order}</strong> is on its way.</p>"
    "<p><a href=\"https://track.example.com/{order}\" style=\"background:#0a7;color:#fff;padding:10px 16px;border-radius:4px;text-decoration:none;\">Track package</a></p>"
    "<p style=\"font-size:12px;color:#999;\">You're receiving this because you ordered from Acme. <a href=\"https://acme.example/unsubscribe?u={user}\">Unsubscribe</a></p>"
    "</td></tr></table></body></html>"
)


def html_text():
    rng = rng_for("html-text")
    out = []
    for text in LT_GT_TEXTS:
        if rng.random() < 0.6:
            out.append(post_json(rng, rng.choice(["/api/v1/comments", "/api/v1/messages", "/api/v1/notes"]), {"body": text}, note=f"plain text with < and >: {text}"))
        else:
            out.append(get(rng, "/api/v1/search", [("q", text)], note=f"plain text with < and > in a query: {text}"))
    for html in RICH_HTML:
        out.append(post_json(rng, rng.choice(["/api/v1/posts", "/api/v1/kb/articles", "/api/v1/comments"]), {"title": "Update", "content_html": html, "format": "html"},
                             headers=browser_headers(rng, with_origin=True), note=f"safe rich text from a WYSIWYG editor (no scripts or handlers): {html[:50]}"))
    for i in range(4):
        out.append(post_json(rng, "/api/v1/campaigns/templates", {"name": f"shipping-confirmation-v{i + 1}", "subject": "Your order is on its way",
                                                                  "html": EMAIL_HTML.format(name=rng.choice(["Ana", "Sean", "Kim", "Priya"]), order=rng.randrange(10000, 99999), user=alnum(rng, 12))},
                             headers=sdk_headers(rng), note="HTML email template with inline styles and links"))
    for md in ["> quoted reply\n\nAgreed -- let's ship it.", "See <https://example.com/docs> for more.", "**Bold**, _italic_, `code` and a [link](https://example.com/a?b=c&d=e)."]:
        out.append(post_json(rng, "/api/v1/comments", {"body_md": md}, note="markdown with quote, autolink and inline code"))
    return out


# ---------------------------------------------------------------------------------------------------- rest-path

def rest_path():
    rng = rng_for("rest-path")
    out = []
    gets = [
        ("/v1/orders/123/items", ""), ("/api/v1/users/me", ""), ("/api/v2/stores/st-0042/inventory", "updated_since=2024-01-01T00:00:00Z"),
        ("/v1/customers/cus_NffrFeUfNV2Hib/charges", "limit=3&starting_after=ch_3MmlLrLkdIwHu7ix0snN0B15"), ("/files/reports/2024/Q3-summary.pdf", ""),
        ("/avatars/u_8842.png", "s=64"), ("/v1/products/sku-10293-blk-xl", ""), ("/api/v1/search/suggest", "prefix=app"), ("/.well-known/openid-configuration", ""),
        ("/.well-known/security.txt", ""), ("/robots.txt", ""), ("/favicon.ico", ""), ("/sitemap.xml", ""), ("/health", ""), ("/v1/geo/reverse", "lat=40.7128&lng=-74.0060"),
        ("/v1/places/ChIJN1t_tDeuEmsRUsoyG83frY4", "fields=name,rating,formatted_phone_number"), ("/v1/accounts/acct_1OvKz2/transfers", "created%5Bgte%5D=1700000000&created%5Blt%5D=1730000000"),
        ("/api/events", "start=2024-11-01&end=2024-11-30&tz=Europe%2FZurich"), ("/v1/assets/logo@2x.png", ""), ("/blog/2024/11/how-we-cut-latency-by-40-percent", ""),
        ("/users/~alice", ""), ("/api/v1/items/550e8400-e29b-41d4-a716-446655440000", ""), ("/docs/User%20Guide%20(v2).pdf", ""), ("/wiki/C%2B%2B", ""),
        ("/wiki/Rock_%26_roll", ""), ("/tags/node.js", ""), ("/v1/dns/zones/example.com/records", "type=TXT"), ("/api/v1/metrics", "from=now-1h&to=now&step=30s&q=sum(rate(http_requests_total%5B5m%5D))"),
        ("/v2/chart", "ids=1,2,3&range=1y&interval=1d"), ("/static/js/main.4f9a1c2e.js", ""), ("/static/css/app.min.css", "v=20241104"), ("/static/js/main.4f9a1c2e.js.map", ""),
        ("/manifest.webmanifest", ""), ("/calendar/team.ics", "token=" + alnum(rng, 20)), ("/exports/orders-2024-11.csv", ""), ("/feeds/blog.xml", ""),
        ("/api/v1/orders", "cursor=" + b64url(b'{"id":18231,"ts":"2024-11-04T10:12:00Z"}') + "&limit=50"), ("/api/v1/products", "expand%5B%5D=variants&expand%5B%5D=images&include=brand"),
        ("/api/v1/products", "ids%5B%5D=12&ids%5B%5D=15&ids%5B%5D=99"), ("/api/v1/reports/sales", "group=week&from=2024-10-01&to=2024-10-31&currency=EUR"),
        ("/v1/orders/ord_5f8a1b/shipments/1/label.pdf", ""), ("/api/v3/repos/acme/web/contents/src/index.ts", "ref=main"),
    ]
    for path, query_string in gets:
        out.append(record("GET", path, query_string, client_headers(rng), where="path", note=f"ordinary GET {path}{'?' + query_string[:50] if query_string else ''}"))
    mutations = [
        ("PUT", "/api/v1/users/42/settings", {"theme": "dark", "language": "en-GB", "notifications": {"email": True, "push": False}}, "application/json"),
        ("PUT", "/v1/carts/c_81723/items/9", {"qty": 3}, "application/json"),
        ("PATCH", "/api/v1/orders/58812", {"deliveryInstructions": "Leave with the neighbour at #14 if we're out."}, "application/json"),
        ("PATCH", "/api/v1/users/me", {"displayName": "Anne-Marie O'Connor"}, "application/merge-patch+json"),
        ("PATCH", "/api/articles/1", {"data": {"type": "articles", "id": "1", "attributes": {"title": "Drop-leaf tables: a buyer's guide"}}}, "application/vnd.api+json"),
        ("PUT", "/api/v1/profiles/me/avatar-crop", {"x": 12, "y": 40, "size": 256}, "application/json"),
        ("POST", "/api/v1/orders/58812/cancel", {"reason": "ordered the wrong size"}, "application/json"),
    ]
    for method, path, obj, ctype in mutations:
        out.append(record(method, path, "", with_body(client_headers(rng), ctype), json_body(obj, rng), where="body-json",
                          note=f"REST {method} {path} with an {ctype} body"))
    for path in ["/v1/carts/c_81723/items/9", "/api/v1/sessions/current", "/api/v1/webhooks/wh_7f3a9c", "/api/v1/users/me/devices/d_2291"]:
        out.append(record("DELETE", path, "", client_headers(rng), where="path", note=f"REST DELETE {path}"))
    for path in ["/api/v1/orders", "/graphql"]:
        h = browser_headers(rng, accept="*/*", with_origin=True) + [("Access-Control-Request-Method", "POST"), ("Access-Control-Request-Headers", "authorization,content-type")]
        out.append(record("OPTIONS", path, "", h, where="path", note=f"CORS preflight for {path}"))
    for path in ["/files/reports/2024/Q3-summary.pdf", "/health"]:
        out.append(record("HEAD", path, "", client_headers(rng, accept="*/*"), where="path", note=f"HEAD {path}"))
    return out


# ---------------------------------------------------------------------------------------------------- auth

def auth():
    rng = rng_for("auth")
    out = []

    def token_req(pairs, note):
        h = with_body(sdk_headers(rng), "application/x-www-form-urlencoded")
        out.append(record("POST", "/oauth/token", "", h, form_body(pairs), where="body-form", note=note))

    token_req([("grant_type", "client_credentials"), ("client_id", "svc-" + alnum(rng, 10)), ("client_secret", alnum(rng, 40)), ("scope", "read:orders write:orders")],
              "OAuth client-credentials grant")
    token_req([("grant_type", "authorization_code"), ("code", alnum(rng, 32)), ("redirect_uri", "https://app.example.com/auth/callback"), ("client_id", "web-app"),
               ("code_verifier", alnum(rng, 64))], "OAuth authorization-code grant with PKCE")
    token_req([("grant_type", "refresh_token"), ("refresh_token", "v1." + alnum(rng, 80)), ("client_id", "ios-app")], "OAuth refresh-token grant")
    token_req([("grant_type", "urn:ietf:params:oauth:grant-type:device_code"), ("device_code", alnum(rng, 40)), ("client_id", "tv-app")], "OAuth device-code grant")
    token_req([("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"), ("assertion", jwt(rng, {"iss": "svc@acme.iam.example.com"}))], "OAuth JWT-bearer grant")
    token_req([("grant_type", "password"), ("username", "o'brien@example.ie"), ("password", "Xy7'z;Q--9kL"), ("client_id", "legacy-cli")],
              "OAuth password grant (legacy client) with a punctuation-heavy password")
    for i in range(6):
        out.append(post_json(rng, "/api/v1/auth/login", {"email": rng.choice(["o'brien@example.ie", "kim.lee@example.kr", "priya.nair@example.in", "zoe.vdb@example.nl"]),
                                                          "password": rng.choice(["correct horse battery staple", "S3cure*Pa55(word)", "my dog's name is Rex!", "<Kq8>v{2}Rm|z", "1234-Abcd-!@#$", "\"quoted\"Pass1"]),
                                                          "rememberMe": i % 2 == 0, "deviceName": rng.choice(["Anne's iPhone", "Work laptop (Chrome)", "Pixel 8"])},
                             headers=browser_headers(rng, with_origin=True), note="JSON login"))
    for i in range(3):
        out.append(post_json(rng, "/api/v1/auth/mfa/verify", {"challengeId": uuid4(rng), "code": f"{rng.randrange(10**6):06d}", "method": rng.choice(["totp", "sms"])},
                             headers=app_headers(rng), note="MFA verification"))
    for i in range(3):
        out.append(record("GET", "/account/reset-password", qs([("token", alnum(rng, 48)), ("email", "o'brien@example.ie")], "component"), page_headers(rng), where="query",
                          note="password-reset link"))
    for i in range(2):
        out.append(record("GET", "/auth/magic", qs([("t", jwt(rng, {"purpose": "login"}, alg="HS256"))], "component"), page_headers(rng), where="query", note="magic-link login token"))
    for i in range(4):
        h = client_headers(rng)
        h = [x for x in h if x[0] != "Authorization"] + [("Authorization", "Bearer " + jwt(rng, {"email": "anne-marie.oconnor@example.com", "name": "Anne-Marie O'Connor", "roles": ["user"]}))]
        out.append(record("GET", rng.choice(["/api/v1/me", "/api/v1/orders", "/api/v1/cart"]), "", h, where="header:Authorization", note="JWT bearer token with apostrophes in claims"))
    saml_xml = ('<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_' + hexstr(rng, 32) + '" Version="2.0" '
                'IssueInstant="2024-11-04T10:12:00Z" Destination="https://app.example.com/saml/acs"><saml:Issuer>https://idp.example.org/metadata</saml:Issuer>'
                '<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status><saml:Assertion ID="_' + hexstr(rng, 32) + '">'
                '<saml:Subject><saml:NameID Format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress">anne@example.com</saml:NameID></saml:Subject></saml:Assertion></samlp:Response>')
    for relay in ["/dashboard", "https://app.example.com/reports?range=30d"]:
        h = with_body(browser_headers(rng, accept="text/html,application/xhtml+xml,*/*;q=0.8", with_origin=True), "application/x-www-form-urlencoded")
        out.append(record("POST", "/saml/acs", "", h, form_body([("SAMLResponse", base64.b64encode(saml_xml.encode()).decode()), ("RelayState", relay)]), where="body-form",
                          note="SAML POST binding (base64 XML assertion)"))
    for i in range(2):
        cred = {"id": b64url(bytes(rng.randrange(256) for _ in range(32))), "type": "public-key",
                "response": {"clientDataJSON": b64url(json_body({"type": "webauthn.get", "challenge": b64url(bytes(rng.randrange(256) for _ in range(32))), "origin": "https://app.example.com"}).encode()),
                             "authenticatorData": b64url(bytes(rng.randrange(256) for _ in range(37))), "signature": b64url(bytes(rng.randrange(256) for _ in range(70))), "userHandle": b64url(b"user_42")}}
        out.append(post_json(rng, "/api/v1/auth/webauthn/verify", cred, headers=browser_headers(rng, with_origin=True), note="WebAuthn assertion"))
    out.append(get(rng, "/oauth/authorize", [("response_type", "code"), ("client_id", "web-app"), ("redirect_uri", "https://app.example.com/auth/callback"),
                                            ("scope", "openid profile email offline_access"), ("state", alnum(rng, 22)), ("nonce", alnum(rng, 22)), ("prompt", "consent")],
                   style="component", headers=page_headers(rng), note="OIDC authorize request"))
    out.append(get(rng, "/auth/callback", [("code", alnum(rng, 40)), ("state", alnum(rng, 22)), ("session_state", uuid4(rng) + "." + alnum(rng, 10))], headers=page_headers(rng),
                   note="OIDC callback"))
    out.append(post_form(rng, "/logout", [("csrf_token", alnum(rng, 40)), ("return_to", "/")], note="logout form"))
    out.append(post_json(rng, "/api/v1/auth/signup", {"email": "priya.nair@example.in", "password": "P@ssw0rd with spaces & symbols!", "name": "Priya Nair", "company": "Nair & Sons (Pvt) Ltd"},
                         note="sign-up"))
    out.append(post_json(rng, "/api/v1/api-keys", {"name": "CI deploy key -- don't delete", "scopes": ["deploy:write", "logs:read"], "expiresAt": "2025-06-30T00:00:00Z"}, note="API key creation"))
    for i in range(3):
        h = [("User-Agent", rng.choice(["curl/8.5.0", "python-requests/2.32.3", "Go-http-client/1.1"])), ("Accept", "application/json"),
             ("Authorization", "Basic " + base64.b64encode(rng.choice([b"admin:Tr0ub4dor&3", b"o'brien:p@ss:word", b"deploy:" + alnum(rng, 20).encode()])).decode())]
        out.append(record("GET", rng.choice(["/api/v1/status", "/metrics", "/api/v1/export"]), "", h, where="header:Authorization", note="HTTP Basic credentials"))
    out.append(post_json(rng, "/api/v1/auth/password", {"currentPassword": "Winter2024!", "newPassword": "Th1s-1s_My' new;pass--word"}, headers=browser_headers(rng, with_origin=True),
                         note="password change; the new password has quote, semicolon and double dash"))
    out.append(record("GET", "/api/v1/session", "", replace_header(browser_headers(rng), "Cookie", cookie_header(ga_cookies(rng) + [session_cookie(rng), ("XSRF-TOKEN", alnum(rng, 40) + "%3D")]))
                      + [("X-XSRF-TOKEN", alnum(rng, 40) + "=")], where="cookie", note="session cookie with double-submit CSRF token"))
    return out


# ---------------------------------------------------------------------------------------------------- i18n

I18N_TEXTS = [
    ("fr", "Je n'ai pas re\u00e7u ma commande ; pouvez-vous v\u00e9rifier ? Merci d'avance !"),
    ("fr", "C'est tr\u00e8s bien ! L'emballage \u00e9tait parfait, je recommande \u00e0 100 %."),
    ("it", "L'ordine \u00e8 arrivato in anticipo: perfetto, grazie!"),
    ("ca", "L'hotel era a prop de la pla\u00e7a; l'esmorzar, excel\u00b7lent."),
    ("de", "Gr\u00f6\u00dfe passt, Qualit\u00e4t super -- w\u00fcrde ich wieder kaufen (5/5)."),
    ("es", "\u00bfEs posible cambiar la direcci\u00f3n de env\u00edo? Me mud\u00e9 el 1 de noviembre."),
    ("pt", "Produto \u00f3timo, mas a entrega atrasou 3 dias; a embalagem chegou amassada."),
    ("ja", "\u5546\u54c1\u306f\u3068\u3066\u3082\u826f\u304b\u3063\u305f\u3067\u3059\u3002\u307e\u305f\u8cb7\u3044\u305f\u3044\u3068\u601d\u3044\u307e\u3059\uff01"),
    ("zh", "\u8fd9\u4e2a\u684c\u5b50\u5f88\u7a33\uff0c\u5b89\u88c5\u4e5f\u7b80\u5355\uff08\u5927\u6982\u0032\u0030\u5206\u949f\uff09\u3002"),
    ("ko", "\ubc30\uc1a1\uc774 \ube60\ub974\uace0 \ud3ec\uc7a5\ub3c4 \uaf3c\uaf3c\ud588\uc5b4\uc694. \ucd94\ucc9c\ud569\ub2c8\ub2e4!"),
    ("ar", "\u0627\u0644\u0645\u0646\u062a\u062c \u0645\u0645\u062a\u0627\u0632 \u0648\u0627\u0644\u062a\u0648\u0635\u064a\u0644 \u0633\u0631\u064a\u0639\u060c \u0634\u0643\u0631\u0627\u064b \u0644\u0643\u0645!"),
    ("he", "\u05d4\u05de\u05d5\u05e6\u05e8 \u05d4\u05d2\u05d9\u05e2 \u05d1\u05d6\u05de\u05df, \u05ea\u05d5\u05d3\u05d4 \u05e8\u05d1\u05d4!"),
    ("ru", "\u0417\u0430\u043a\u0430\u0437 \u043f\u0440\u0438\u0448\u0451\u043b \u0431\u044b\u0441\u0442\u0440\u043e; \u0440\u0430\u0437\u043c\u0435\u0440 \u00ab\u041c\u00bb \u043f\u043e\u0434\u043e\u0448\u0451\u043b \u0438\u0434\u0435\u0430\u043b\u044c\u043d\u043e."),
    ("el", "\u0395\u03be\u03b1\u03b9\u03c1\u03b5\u03c4\u03b9\u03ba\u03cc \u03c0\u03c1\u03bf\u03ca\u03cc\u03bd! \u0398\u03b1 \u03be\u03b1\u03bd\u03b1\u03b1\u03b3\u03bf\u03c1\u03ac\u03c3\u03c9."),
    ("hi", "\u0921\u093f\u0932\u0940\u0935\u0930\u0940 \u0938\u092e\u092f \u092a\u0930 \u0939\u0941\u0908, \u0927\u0928\u094d\u092f\u0935\u093e\u0926!"),
    ("th", "\u0e2a\u0e34\u0e19\u0e04\u0e49\u0e32\u0e14\u0e35\u0e21\u0e32\u0e01 \u0e2a\u0e48\u0e07\u0e40\u0e23\u0e47\u0e27 \u0e02\u0e2d\u0e1a\u0e04\u0e38\u0e13\u0e04\u0e23\u0e31\u0e1a"),
    ("tr", "\u0130stanbul'a g\u00f6nderim yap\u0131yor musunuz? I\u011fd\u0131r'daki adresim de\u011fi\u015fti."),
    ("pl", "Zam\u00f3wienie dotar\u0142o szybko, ale brakowa\u0142o jednej \u015brubki (M6 \u00d7 20)."),
    ("vi", "S\u1ea3n ph\u1ea9m r\u1ea5t t\u1ed1t, giao h\u00e0ng nhanh. C\u1ea3m \u01a1n shop!"),
    ("emoji", "Love it \U0001F60D\U0001F525 -- 10/10 would buy again \U0001F44D\U0001F3FD"),
    ("ga", "Go raibh maith agat, Se\u00e1n! T\u00e1 an t-ord\u00fa ag teacht D\u00e9 hAoine."),
    ("nl", "Het was 's avonds al donker toen 't pakket kwam; geen probleem hoor!"),
]

I18N_NAMES = [
    {"firstName": "Se\u00e1n", "lastName": "\u00d3 Briain", "street": "Sr\u00e1id Ph\u00e1draig 12", "city": "Corcaigh"},
    {"firstName": "Bj\u00f6rk", "lastName": "Gu\u00f0mundsd\u00f3ttir", "street": "Laugavegur 12", "city": "Reykjav\u00edk"},
    {"firstName": "\u674e", "lastName": "\u4f1f", "street": "\u671d\u9633\u533a\u5efa\u56fd\u8def88\u53f7", "city": "\u5317\u4eac"},
    {"firstName": "Fran\u00e7ois", "lastName": "L'\u00c9cuyer", "street": "Rue de l'\u00c9glise 5", "city": "Qu\u00e9bec"},
    {"firstName": "J\u00fcrgen", "lastName": "M\u00fcller-L\u00fcdenscheidt", "street": "M\u00fcllerstra\u00dfe 12", "city": "K\u00f6ln"},
    {"firstName": "Jo\u00e3o", "lastName": "Concei\u00e7\u00e3o", "street": "Rua S\u00e3o Jo\u00e3o, 45 \u2013 2\u00ba Esq.", "city": "Lisboa"},
    {"firstName": "\u0410\u043b\u0435\u043a\u0441\u0430\u043d\u0434\u0440", "lastName": "\u041f\u0443\u0448\u043a\u0438\u043d", "street": "\u0443\u043b. \u0422\u0432\u0435\u0440\u0441\u043a\u0430\u044f, \u0434. 7", "city": "\u041c\u043e\u0441\u043a\u0432\u0430"},
    {"firstName": "\u5c71\u7530", "lastName": "\u592a\u90ce", "street": "\u6e0b\u8c37\u533a\u9053\u7384\u57421-2-3", "city": "\u6771\u4eac\u90fd"},
]


def i18n():
    rng = rng_for("i18n")
    out = []
    for i, (lang, text) in enumerate(I18N_TEXTS):
        h = client_headers(rng)
        h = [x for x in h if x[0] != "Accept-Language"] + [("Accept-Language", {"emoji": "en-US"}.get(lang, lang) + ";q=0.9, en;q=0.5")]
        if i % 3 == 2:
            out.append(get(rng, "/api/v1/search", [("q", text[:30]), ("lang", lang)], headers=h, note=f"non-ASCII search text ({lang}), percent-encoded UTF-8"))
        else:
            out.append(post_json(rng, rng.choice(["/api/v1/reviews", "/api/v1/messages", "/api/v2/tickets"]), {"text": text, "locale": lang}, headers=h,
                                 note=f"prose in {lang} with its own punctuation"))
    for person in I18N_NAMES:
        out.append(post_json(rng, "/api/v1/customers", dict(person, email="customer@example.com"), note="name and address in non-Latin or accented script"))
        out.append(post_form(rng, "/checkout/billing", [("first_name", person["firstName"]), ("last_name", person["lastName"]), ("address", person["street"]), ("city", person["city"])],
                             note="billing form with non-ASCII name and address"))
    for path in ["/products/caf\u00e9-cr\u00e8me", "/wiki/\u6771\u4eac", "/tags/\u00fcber-uns", "/users/\u00e9lodie"]:
        head, _, last = path.rpartition("/")
        out.append(record("GET", f"{head}/{path_seg(last)}", "", client_headers(rng), where="path", note="percent-encoded UTF-8 path segment"))
    return out


# ---------------------------------------------------------------------------------------------------- json-data

def json_data():
    rng = rng_for("json-data")
    out = []
    docs = [
        ("/api/v1/orders", {"currency": "EUR", "items": [{"sku": "AB-1234/XL", "qty": 2, "unitPrice": "49.90"}, {"sku": "CD-77", "qty": 1, "unitPrice": "1299.00"}],
                            "discount": {"code": "WINTER-15", "percent": 15}, "shipping": {"method": "express", "price": 9.95}, "total": 1443.06}, "order with prices and SKUs"),
        ("/api/v1/payments/sepa", {"iban": "DE89 3704 0044 0532 0130 00", "bic": "COBADEFFXXX", "holder": "J\u00fcrgen M\u00fcller", "mandateRef": "MD-2024-0042", "amount": "1.299,00 \u20ac"}, "SEPA mandate"),
        ("/api/v1/invoices", {"vatId": "GB123456789", "lines": [{"desc": "Consulting (Nov '24)", "hours": 12.5, "rate": 120}], "terms": "Net 30; 2% 10", "dueDate": "2024-12-04"}, "invoice"),
        ("/api/v1/contacts", {"phones": ["+1 (555) 010-2345", "+44 20 7946 0958", "555-0199 ext. 42"], "fax": None, "preferred": 0}, "phone numbers in several formats"),
        ("/api/v1/schedules", {"cron": "*/15 9-17 * * 1-5", "timezone": "America/New_York", "startAt": "2024-11-04T09:00:00-05:00", "window": "PT2H30M"}, "cron schedule and ISO durations"),
        ("/api/v1/devices/readings", {"deviceId": "th-0042", "readings": [[1730712000, 21.4, 0.43], [1730712060, 21.5, 0.44], [1730712120, -0.0, 1e-3], [1730712180, 1.5e+2, None]]}, "sensor time series"),
        ("/api/v1/geo/fences", {"name": "Warehouse #3 (north yard)", "polygon": [[-73.9857, 40.7484], [-73.9851, 40.7489], [-73.9846, 40.7482], [-73.9857, 40.7484]]}, "geofence coordinates"),
        ("/api/v1/themes", {"primary": "#ff8800", "secondary": "#1a1a2e", "font": "'Inter', -apple-system, sans-serif", "radius": "4px", "shadow": "0 1px 2px rgba(0,0,0,.2)"}, "theme with CSS values"),
        ("/api/v1/flags", {"key": "new-checkout", "enabled": True, "rollout": {"percent": 25, "segments": ["beta", "staff"]}, "rules": [{"attr": "country", "op": "in", "values": ["DE", "AT", "CH"]}]}, "feature flag"),
        ("/api/v1/packages/resolve", {"dependencies": {"react": "^18.3.1", "lodash": "~4.17.21", "typescript": ">=5.4 <5.7", "left-pad": "1.3.0 || 1.1.3"}}, "semver ranges"),
        ("/api/v1/products", {"name": "Plywood sheet 3/4\"", "dimensions": "8' x 4'", "weightLb": 61.5, "grade": "A/B", "tags": ["sheet-goods", "3/4-inch"]}, "feet and inch marks"),
        ("/api/v1/measurements", {"height": "5'11\"", "inseam": "32\"", "shoe": "10.5 US / 44 EU", "notes": "between sizes -- prefer the larger"}, "body measurements with quote marks"),
        ("/api/v1/ledger/entries", {"account": "4000-Sales", "debit": 0, "credit": 1249.0, "memo": "Inv #4411 -- paid (partial: 50%)", "ref": "TX-2024-11-04-0007"}, "ledger entry"),
        ("/api/v1/trips", {"legs": [{"from": "ZRH", "to": "LHR", "dep": "2024-12-20T07:05+01:00", "flight": "LX316"}, {"from": "LHR", "to": "JFK", "dep": "2024-12-20T11:40Z"}], "pax": 2}, "flight itinerary"),
        ("/api/v1/nutrition", {"food": "Mac & cheese", "servingG": 250, "kcal": 410, "macros": {"fat": 17.5, "carbs": 48, "protein": 16}, "allergens": ["milk", "wheat"]}, "nutrition facts"),
        ("/api/v1/experiments/results", {"variant": "B", "ctr": 0.0342, "lift": "+12.5%", "pValue": 0.031, "ci95": [0.0021, 0.0065]}, "A/B test statistics"),
        ("/api/v1/settings", {"quietHours": {"from": "22:00", "to": "07:00"}, "weekStart": "monday", "dateFormat": "dd/MM/yyyy", "numberFormat": "1.234,56"}, "locale settings"),
        ("/api/v1/configs/validate", {"version": 3, "services": {"web": {"image": "acme/web:1.9.3", "ports": ["8080:80"], "env": {"LOG_LEVEL": "info"}}}}, "deployment config as JSON"),
        ("/api/v1/tax/calc", {"country": "CA", "province": "QC", "amount": 100, "rates": {"GST": 0.05, "QST": 0.09975}}, "tax calculation"),
        ("/api/v1/bank/transfers", {"from": "acct_1OvKz2", "to": "acct_9XyQ1", "amount": 250000, "currency": "JPY", "reference": "Rent Nov/Dec -- Apt 4B"}, "bank transfer"),
        ("/api/v1/recipes", {"title": "Grandma's apple pie", "ingredients": ["6 apples (Granny Smith)", "3/4 cup sugar", "1 tbsp lemon juice", "pinch of salt"], "ovenC": 190, "minutes": 50}, "recipe"),
        ("/api/v1/tickets/bulk", {"ids": list(range(1001, 1041)), "set": {"status": "closed", "resolution": "won't fix"}}, "bulk update with a long id list"),
        ("/api/v1/analytics/track", {"event": "Product Viewed", "properties": {"product_id": "42", "price": 24.5, "currency": "USD", "path": "/products/42?ref=home", "referrer": "https://www.google.com/"}, "anonymousId": "a1b2c3"}, "analytics event"),
        ("/api/v1/forms/answers", {"answers": {"q1": True, "q2": 4, "q3": None, "q4": ["a", "c"], "q5": "N/A"}, "durationMs": 81234}, "form answers of mixed types"),
        ("/api/v1/calendar/events", {"title": "1:1 -- Priya / Sam", "start": "2024-11-12T14:00:00+01:00", "end": "2024-11-12T14:30:00+01:00", "rrule": "FREQ=WEEKLY;BYDAY=TU;COUNT=10"}, "calendar event with RRULE"),
        ("/api/v1/shipping/rates", {"from": {"postcode": "D02 X285", "country": "IE"}, "to": {"postcode": "SW1A 1AA", "country": "GB"}, "parcels": [{"kg": 2.4, "cm": [30, 20, 15]}]}, "shipping rate request"),
        ("/api/v1/scores", {"game": "chess", "pgn": "1. e4 e5 2. Nf3 Nc6 3. Bb5 a6 4. Ba4 Nf6 5. O-O Be7 1-0", "elo": {"white": 1850, "black": 1790}}, "chess game notation"),
        ("/api/v1/math/evaluate", {"expression": "(3 + 4) * 2 / (1 - 5) ^ 2", "precision": 6}, "arithmetic expression for a calculator API"),
        ("/api/v1/inventory/adjust", {"sku": "CD-77", "delta": -3, "reason": "damaged -- water", "location": "Aisle 4 / Bay 12 / Shelf C"}, "inventory adjustment"),
        ("/api/v1/coupons", {"code": "SAVE20-NOV", "type": "percent", "value": 20, "minSpend": 50, "excludes": ["gift-cards", "sale"], "expires": "2024-11-30T23:59:59Z"}, "coupon definition"),
    ]
    for path, obj, note in docs:
        out.append(post_json(rng, path, obj, note=note))
    for i in range(10):
        pairs = rng.choice([
            [("from", "2024-11-01"), ("to", "2024-11-30"), ("tz", "America/Los_Angeles")],
            [("min_price", "9.99"), ("max_price", "149.99"), ("currency", "USD")],
            [("lat", "47.3769"), ("lng", "8.5417"), ("radius", "2.5km")],
            [("amount", "-12.50"), ("type", "refund")],
            [("phone", "+1 (555) 010-2345")],
            [("color", "#ff8800"), ("size", "XL")],
            [("date", "04/11/2024"), ("time", "10:30 AM")],
            [("ratio", "16:9"), ("fps", "29.97")],
            [("percent", "15%"), ("round", "half-up")],
            [("isbn", "978-0-596-52068-7"), ("edition", "2nd")],
        ])
        out.append(get(rng, rng.choice(["/api/v1/reports", "/api/v1/products", "/api/v1/stores/nearby", "/api/v1/convert"]), pairs, note="typed values in query arguments"))
    return out


# ---------------------------------------------------------------------------------------------------- webhook

def webhook():
    rng = rng_for("webhook")
    out = []

    def hook(path, ua, extra, obj, note, ctype="application/json"):
        body = obj if isinstance(obj, str) else json_body(obj, rng)
        where = "body-json" if ctype.startswith("application/json") else "body-form" if ctype.startswith("application/x-www-form-urlencoded") else "body-raw"
        h = [("User-Agent", ua), ("Accept", "*/*")] + extra + [("Content-Type", ctype)]
        out.append(record("POST", path, "", h, body, where=where, note=note))

    hook("/webhooks/stripe", "Stripe/1.0 (+https://stripe.com/docs/webhooks)", [("Stripe-Signature", f"t=1730712000,v1={hexstr(rng, 64)}")],
         {"id": "evt_1QHvAj2eZvKYlo2C", "object": "event", "type": "charge.succeeded", "data": {"object": {"id": "ch_3QHvAi", "amount": 4999, "currency": "usd",
          "billing_details": {"name": "Anne-Marie O'Connor", "address": {"line1": "Apt #4B, 1200 Union St", "city": "Seattle"}}, "description": "Order #58812 -- 2x 'Drop Leaf Table'",
          "receipt_url": "https://pay.stripe.com/receipts/payment/CAcaFwoVYWNjdF8xMDMyRDgyZVp2S1lsbzJDKNvO"}}}, "Stripe charge.succeeded event")
    hook("/webhooks/github", "GitHub-Hookshot/6a3f2c1", [("X-GitHub-Event", "push"), ("X-GitHub-Delivery", uuid4(rng)), ("X-Hub-Signature-256", "sha256=" + hexstr(rng, 64))],
         {"ref": "refs/heads/main", "before": hexstr(rng, 40), "after": hexstr(rng, 40), "repository": {"full_name": "acme/web", "html_url": "https://github.com/acme/web"},
          "commits": [{"id": hexstr(rng, 40), "message": "Fix SQL injection in search endpoint (#482)\n\nUse bound parameters instead of string concatenation.", "author": {"name": "Sam Lee", "email": "sam@example.com"}},
                      {"id": hexstr(rng, 40), "message": "Escape HTML in review titles; add CSP header", "author": {"name": "Priya Nair", "email": "priya@example.com"}},
                      {"id": hexstr(rng, 40), "message": "Bump lodash from 4.17.20 to 4.17.21", "author": {"name": "dependabot[bot]", "email": "49699333+dependabot[bot]@users.noreply.github.com"}}]},
         "GitHub push event whose commit messages mention security fixes")
    hook("/webhooks/slack", "Slackbot 1.0 (+https://api.slack.com/robots)", [("X-Slack-Signature", "v0=" + hexstr(rng, 64)), ("X-Slack-Request-Timestamp", "1730712000")],
         {"type": "event_callback", "team_id": "T0001", "event": {"type": "message", "channel": "C024BE91L", "user": "U2147483697", "text": "Can someone restart the staging db? `kubectl rollout restart deploy/db -n staging` isn't working :(", "ts": "1730712000.000200"}},
         "Slack message event quoting a command")
    hook("/webhooks/shopify/orders-create", "Shopify-Captain-Hook", [("X-Shopify-Topic", "orders/create"), ("X-Shopify-Hmac-Sha256", base64.b64encode(bytes(rng.randrange(256) for _ in range(32))).decode())],
         {"id": 820982911946154500, "email": "o'brien@example.ie", "total_price": "254.98", "note": "Please gift wrap; it's for my sister's 30th!", "line_items": [{"title": "Union Jack Throw Pillow", "quantity": 2, "price": "24.99"}],
          "shipping_address": {"address1": "22 O'Connell St; 3rd floor", "city": "Dublin", "zip": "D01 F5P2"}}, "Shopify orders/create event")
    hook("/webhooks/twilio/sms", "TwilioProxy/1.1", [("X-Twilio-Signature", base64.b64encode(bytes(rng.randrange(256) for _ in range(20))).decode())],
         form_body([("MessageSid", "SM" + hexstr(rng, 32)), ("From", "+15550102345"), ("To", "+15550109876"), ("Body", "Yes -- confirm my 10:30 appt. Thx! :)"), ("NumMedia", "0")]),
         "Twilio inbound SMS (form-encoded)", ctype="application/x-www-form-urlencoded")
    hook("/webhooks/sentry", "sentry", [("Sentry-Hook-Resource", "error"), ("Sentry-Hook-Signature", hexstr(rng, 64))],
         {"action": "created", "data": {"error": {"title": "TypeError: Cannot read properties of undefined (reading 'map')", "culprit": "ProductList(src/components/ProductList.jsx)",
          "exception": {"values": [{"type": "TypeError", "value": "Cannot read properties of undefined (reading 'map')", "stacktrace": {"frames": [{"filename": "src/components/ProductList.jsx", "lineno": 42, "function": "ProductList"}]}}]},
          "request": {"url": "https://shop.example.com/search?q=o%27reilly", "headers": [["User-Agent", "Mozilla/5.0"]]}}}}, "Sentry error event with a stack trace")
    hook("/webhooks/pagerduty", "PagerDuty-Webhook/V3.0", [("X-PagerDuty-Signature", "v1=" + hexstr(rng, 64))],
         {"event": {"event_type": "incident.triggered", "data": {"title": "CPU > 90% on api-3 (prod) for 5m", "urgency": "high", "html_url": "https://acme.pagerduty.com/incidents/Q1W2E3"}}},
         "PagerDuty incident event")
    hook("/webhooks/mailgun", "mailgun/treq-22.2.0", [],
         {"signature": {"timestamp": "1730712000", "token": alnum(rng, 50), "signature": hexstr(rng, 64)}, "event-data": {"event": "failed", "recipient": "kim.lee@example.kr", "severity": "permanent",
          "delivery-status": {"message": "550 5.1.1 The email account that you tried to reach does not exist.", "code": 550}}}, "Mailgun bounce event")
    hook("/webhooks/jira", "Atlassian Webhook HTTP Client", [],
         {"webhookEvent": "jira:issue_updated", "issue": {"key": "WEB-1287", "fields": {"summary": "Select dropdown: 'Order by' resets on back navigation", "priority": {"name": "Medium"}}},
          "comment": {"body": "Repro: /products?sort=price&order=desc -> click item -> back. Sort shows 'Relevance' again."}}, "Jira issue-updated event")
    hook("/webhooks/calendly", "Calendly-Webhooks", [("Calendly-Webhook-Signature", f"t=1730712000,v1={hexstr(rng, 64)}")],
         {"event": "invitee.created", "payload": {"name": "Rocco D'Angelo", "email": "d'angelo.r@example.it", "questions_and_answers": [{"question": "Anything we should know?", "answer": "I'll be 5 min late -- coming from the airport."}]}},
         "Calendly invitee event")
    hook("/webhooks/zendesk", "Zendesk Webhook", [("X-Zendesk-Webhook-Signature", base64.b64encode(bytes(rng.randrange(256) for _ in range(32))).decode())],
         {"ticket": {"id": 48213, "subject": "Can't log in -- 'invalid credentials' but password is right", "description": "I've reset it twice; still says invalid. Using Chrome 131 on Windows 11.",
                     "requester": {"name": "Elodie Martin", "email": "elodie@example.fr"}}}, "Zendesk ticket event")
    hook("/webhooks/linear", "Linear-Webhook", [("Linear-Signature", hexstr(rng, 64))],
         {"action": "create", "type": "Comment", "data": {"body": "Looks like `DROP INDEX` in migration 0042 was never re-created; adding it back in #1290.", "issueId": uuid4(rng)}},
         "Linear comment event mentioning a migration")
    hook("/webhooks/intercom", "Intercom-Webhooks", [("X-Hub-Signature", "sha1=" + hexstr(rng, 40))],
         {"topic": "conversation.user.replied", "data": {"item": {"conversation_parts": {"conversation_parts": [{"body": "<p>Thanks! That fixed it &lt;3</p>", "author": {"type": "user"}}]}}}},
         "Intercom conversation reply (HTML body)")
    hook("/webhooks/typeform", "Typeform Webhooks", [("Typeform-Signature", "sha256=" + base64.b64encode(bytes(rng.randrange(256) for _ in range(32))).decode())],
         {"event_type": "form_response", "form_response": {"answers": [{"type": "text", "text": "Faster checkout; fewer pop-ups (please!)"}, {"type": "number", "number": 9}, {"type": "email", "email": "o'brien@example.ie"}]}},
         "Typeform response event")
    hook("/webhooks/aws-sns", "Amazon Simple Notification Service Agent", [("x-amz-sns-message-type", "Notification"), ("x-amz-sns-topic-arn", "arn:aws:sns:eu-west-1:123456789012:orders")],
         {"Type": "Notification", "MessageId": uuid4(rng), "TopicArn": "arn:aws:sns:eu-west-1:123456789012:orders", "Message": "{\"orderId\":\"58812\",\"status\":\"SHIPPED\"}",
          "Timestamp": "2024-11-04T10:12:00.000Z", "SignatureVersion": "1", "Signature": base64.b64encode(bytes(rng.randrange(256) for _ in range(128))).decode(),
          "SigningCertURL": "https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-" + hexstr(rng, 32) + ".pem"}, "AWS SNS notification", ctype="text/plain; charset=UTF-8")
    return out


CATEGORIES = [
    ("form", form),
    ("upload-meta", upload_meta),
    ("headers", headers),
    ("graphql", graphql),
    ("html-text", html_text),
    ("rest-path", rest_path),
    ("auth", auth),
    ("i18n", i18n),
    ("json-data", json_data),
    ("webhook", webhook),
]
