"""Benign requests whose difficulty is free text: prose, SQL-ish words, code in tickets, emails, URLs, searches.

Every text here is written to look like what real users type into real products. Benign requests use GET and
POST only (REST verbs live in the rest-path category), so a false positive here is about content, not method.
"""

from .common import (
    Wire,
    alnum,
    app_headers,
    browser_headers,
    client_headers,
    form_body,
    hexstr,
    json_body,
    page_headers,
    qs,
    record,
    rng_for,
    sdk_headers,
    uuid4,
    with_body,
)


def post_json(rng, path, obj, headers=None, note="", query_string=""):
    h = with_body(headers if headers is not None else client_headers(rng), rng.choice(["application/json", "application/json", "application/json; charset=utf-8"]))
    return record("POST", path, query_string, h, json_body(obj, rng), where="body-json", note=note)


def get(rng, path, pairs, style=None, headers=None, note=""):
    style = style or rng.choice(["form", "component", "browser"])
    return record("GET", path, qs(pairs, style), headers if headers is not None else client_headers(rng), where="query", note=note)


def post_form(rng, path, pairs, headers=None, note=""):
    h = with_body(headers if headers is not None else browser_headers(rng, accept="text/html,application/xhtml+xml,*/*;q=0.8", with_origin=True),
                  "application/x-www-form-urlencoded")
    return record("POST", path, "", h, form_body(pairs), where="body-form", note=note)


# ---------------------------------------------------------------------------------------------------- json-prose

PROSE = [
    "I've ordered three times now and it's always been great. Shipping's fast; packaging's solid.",
    "Don't buy the 'large' size -- it's more like a medium. Otherwise 5 stars!",
    "My son's new favourite toy :) He calls it \"the robot\" and won't put it down.",
    "Works as described; battery lasts ~2 days (with Wi-Fi on). Would've liked a USB-C cable in the box.",
    "Quick question: is the 12\" version compatible with last year's model? Thanks in advance!",
    "Hey team -- we're moving the stand-up to 10:30 tomorrow; bring laptops & chargers.",
    "It's 5 o'clock somewhere ;-)",
    "Not bad... but the app crashes when I tap 'Save' twice in a row.",
    "Re: your email of 3/14 -- yes, we'll take 40 units @ $12.50 each (net 30).",
    "Please leave the parcel behind the side gate; if it's locked, ring #2 and ask for Sam.",
    "Best pizza in town!!! Thin & crispy crust, the sauce isn't too sweet; 10/10 would order again.",
    "The instructions say \"tighten until snug\" -- what does 'snug' mean exactly??",
    "Cancelled my order by mistake :( can you restore it? It was placed at 9:41 pm.",
    "We're celebrating Mom & Dad's 40th -- table for 12, outdoor if possible; one guest uses a wheelchair.",
    "Great for hikes: fits a 1L bottle, snacks and a rain jacket. Straps dig in after ~3 hrs though.",
    "Honestly? It's fine. Not life-changing. 3/5.",
    "Update (two weeks later): still works; the hinge squeaks a little but a drop of oil fixed it.",
    "Loved it -- ordering a second one for my sister's birthday. She'll be 30 on the 5th!",
    "Ship to my work address instead -- same city, 2nd floor, ask at reception (they'll sign).",
    "Whisk 2 eggs; fold in 1/2 cup flour (sifted!) and bake at 180\u00b0C for 25-30 min.",
    "Product designer @ Acme. Previously: O'Neil & Partners. Opinions are my own; reposts != endorsements.",
    "Is there any way to change the delivery date? I'm away from the 12th-19th (back on the 20th).",
    "Thanks so much!! You guys are the best :D",
    "Arrived damaged -- corner of the box was crushed & the glass had a hairline crack. Photos attached.",
    "\"Fits true to size\" they said. Reader, it did not.",
    "Could you add a 'dark mode'? My eyes at 2am would thank you.",
    "FYI: the link in yesterday's newsletter (the one for 20% off) goes to a 404 page.",
    "Size M, colour 'stone'. I'm 5'9\" / 160 lbs and it fits perfectly.",
    "Can I pay half now & half on delivery? Happy to sign whatever's needed.",
    "She's allergic to nuts -- please make sure nothing in the hamper contains them; it's really important.",
    "Lost my card; please freeze it asap. Last 4 digits: 4417.",
    "What's the difference between the 'Pro' and 'Pro+' plans? The pricing page isn't clear (to me at least).",
    "Tried it for a week. Pros: light, quiet. Cons: the app needs an account; why?",
    "We'd like to book the venue for Sat 14 June, 6pm-11pm, ~80 guests; is the terrace included?",
    "Hi! I think I was charged twice (two identical charges of \u20ac49.99 on the 3rd). Can you check?",
    "5 stars. Would buy again. My cat agrees (she's sleeping on the box right now).",
    "I'm not sure whether to go with the oak or the walnut finish -- thoughts?",
    "Driver couldn't find us: we're the blue house at the end of the lane, past the 'No Through Road' sign.",
    "Meh. The \"leather\" is plastic, and the stitching came loose after a month; returning it.",
    "Love the new update!!! One thing though -- notifications now arrive twice; is that expected?",
    "Note to self: call the plumber Monday; get quotes from at least 2 others (ask Dave's guy?).",
    "Count me in for Friday's 5k -- I'll bring water & oranges for everyone :)",
    "It's a 50/50 whether the lid stays on; otherwise a solid lunchbox.",
    "Is it dishwasher-safe? The label says 'hand wash only' but the website says otherwise...",
    "This is my 3rd one -- the first two lasted 5+ years each. Can't say fairer than that.",
    "Just moved in; could you switch the bills to my name (Priya Nair) from the 1st of next month?",
    "The croissants were amazing; the coffee, less so. We'll be back anyway!",
    "You've got a typo on the About page: \"recieve\" should be \"receive\".",
    "Be careful: the charger gets hot (like, really hot) if you leave it plugged in overnight.",
    "Ordered Tuesday, arrived Wednesday -- how?! Impressive.",
]


def json_prose():
    rng = rng_for("json-prose")
    out = []
    for i, text in enumerate(PROSE):
        shape = i % 7
        gist = text if len(text) <= 60 else text[:57] + "..."
        if shape == 0:
            out.append(post_json(rng, f"/api/v1/products/{rng.randrange(100, 99999)}/reviews",
                                 {"rating": rng.choice([2, 3, 4, 5]), "title": text.split(".")[0][:40], "body": text, "recommend": rng.random() < 0.8},
                                 note=f"product review with apostrophes, quotes and punctuation: {gist}"))
        elif shape == 1:
            out.append(post_json(rng, f"/api/v1/conversations/{uuid4(rng)}/messages",
                                 {"text": text, "clientMessageId": uuid4(rng), "sentAt": f"2024-11-{rng.randrange(1, 28):02d}T{rng.randrange(24):02d}:{rng.randrange(60):02d}:00Z"},
                                 headers=app_headers(rng), note=f"chat message: {gist}"))
        elif shape == 2:
            out.append(post_json(rng, "/api/v2/tickets",
                                 {"subject": text[:50], "description": text, "priority": rng.choice(["low", "normal", "high"]), "channel": "web"},
                                 note=f"support ticket: {gist}"))
        elif shape == 3:
            out.append(post_json(rng, f"/api/v1/orders/{rng.randrange(100000, 999999)}/notes", {"note": text, "visibleToCustomer": False},
                                 note=f"order note: {gist}"))
        elif shape == 4:
            out.append(post_json(rng, "/api/v1/posts", {"title": text[:60], "content": text, "tags": rng.sample(["life", "food", "reviews", "travel", "home", "family"], 2), "draft": False},
                                 note=f"blog post: {gist}"))
        elif shape == 5:
            out.append(post_json(rng, "/api/v1/feedback", {"message": text, "page": rng.choice(["/checkout", "/account", "/search", "/"]), "nps": rng.randrange(0, 11)},
                                 note=f"in-app feedback: {gist}"))
        else:
            out.append(post_json(rng, "/api/v1/comments", {"threadId": f"t_{alnum(rng, 10)}", "parentId": None, "body": text},
                                 note=f"comment reply: {gist}"))
    return out


# ---------------------------------------------------------------------------------------------------- sql-words

SQL_PRODUCT_NAMES = [
    "Union Jack Throw Pillow", "Drop Leaf Dining Table", "Select Comfort Mattress Topper", "Table Tennis Set (4 Paddles)",
    "Update Kit for 2023 Models", "Delete Key Keycap - Red", "Where's Waldo? Deluxe Edition", "From Dusk Till Dawn (Blu-ray)",
    "Create & Craft Sketchbook A4", "Exec Office Chair, Mesh", "Group Therapy Board Game", "Insert Tray for Cutlery Drawer",
    "Order of the Phoenix Hardcover", "Join Us T-Shirt (Navy)", "Truncated Cone Planter", "Alter Ego Perfume 50ml",
]

SQL_SEARCHES = [
    "union station chicago", "drop shipping suppliers", "select committee report", "insert molding", "delete facebook account",
    "table and chairs set", "order by phone", "update iphone", "where to buy union jack flag", "from scratch pancakes",
    "create account", "join waitlist", "group by color", "null and void meaning", "case study template", "having a baby checklist",
    "exec assistant jobs", "declare variable", "like new iphone 13", "between the lines book", "all in one printer", "left join vs inner join",
]

SQL_SENTENCES = [
    "Please select the items from your cart and drop the ones you don't need.",
    "I'd like to update my order: drop the blue one and add two from the red set, where possible.",
    "Select your size from the chart below, or order by phone if you're unsure.",
    "Union members get 10% off; select 'Member' at checkout.",
    "Can I delete my account and create a new one where my old email is used?",
    "We order by the pallet, not by the case -- can you update the quote?",
    "Sort by price (low to high) or by rating, whichever you prefer.",
    "Choose 'Standard' or 'Express' shipping at the last step.",
    "Is it 'gray' or 'grey' in the product title? Both appear on the page.",
    "Drop-off at Union Station, gate B, between 4 and 5 pm.",
    "The table was delivered with one leg missing; please send a replacement or a refund.",
    "Where do I insert the batteries? The manual shows a 'select' button but mine doesn't have one.",
    "Our group wants to join the 6am class; is there a waiting list or is it first come, first served?",
    "Having read the reviews, I'm going with the drop-leaf version.",
    "If you select 'gift', can the receipt be left out of the box?",
    "Pick any 3 from the 'Summer' collection and the cheapest one is free.",
]

SQL_ADDRESSES = [
    ("1 Union Square West, Apt 4B", "New York", "NY", "10003"),
    ("200 Union St; Suite 300", "Seattle", "WA", "98101"),
    ("12 Select Ave", "Toronto", "ON", "M5V 2T6"),
    ("45 Drop Lane", "Leeds", "", "LS1 4AP"),
    ("9 Table Mountain Rd", "Cape Town", "", "8001"),
    ("Union Wharf, Unit 7", "London", "", "N1 8AH"),
]


def sql_words():
    rng = rng_for("sql-words")
    out = []
    for name in SQL_PRODUCT_NAMES:
        out.append(get(rng, "/api/v1/products", [("q", name), ("limit", "24")], note=f"product search for a name with SQL keywords: {name}"))
    for i, name in enumerate(SQL_PRODUCT_NAMES[:8]):
        out.append(post_json(rng, "/api/v1/cart/items", {"sku": f"SKU-{rng.randrange(10000, 99999)}", "name": name, "qty": 1 + i % 3},
                             note=f"cart item whose product name has SQL keywords: {name}"))
    for q in SQL_SEARCHES:
        out.append(get(rng, rng.choice(["/search", "/api/v2/search", "/help/search"]), [("q", q)], note=f"search phrase with SQL keywords: {q}"))
    for text in SQL_SENTENCES:
        out.append(post_json(rng, rng.choice(["/api/v2/tickets", "/api/v1/feedback", "/api/v1/messages"]),
                             {"message": text, "source": rng.choice(["web", "ios", "android"])}, note=f"prose with SQL keywords and quotes: {text[:60]}"))
    for street, city, region, postcode in SQL_ADDRESSES:
        out.append(post_json(rng, "/api/v1/checkout/address", {"line1": street, "city": city, "region": region, "postcode": postcode, "country": "US" if region else "GB"},
                             note=f"street address with SQL keywords: {street}"))
    # Query languages that APIs expose on purpose.
    out.append(get(rng, "/odata/Products", [(Wire("$filter"), "Price lt 20 and Category eq 'Books'"), (Wire("$orderby"), "Name desc"), (Wire("$select"), "Name,Price"), (Wire("$top"), "10")],
                   style="component", headers=sdk_headers(rng), note="OData query options"))
    out.append(get(rng, "/odata/Orders", [(Wire("$filter"), "contains(ShipCity,'York') or ShipCountry eq 'UK'"), (Wire("$expand"), "Customer"), (Wire("$count"), "true")],
                   style="component", headers=sdk_headers(rng), note="OData filter with contains() and or"))
    out.append(record("GET", "/rest/v1/todos", "select=id,title,done&order=inserted_at.desc&done=eq.false&limit=20", client_headers(rng), where="query",
                      note="PostgREST select/order/filter syntax"))
    out.append(record("GET", "/rest/v1/profiles", "select=username,avatar_url,teams(name)&username=ilike.*ann*&or=(age.gte.18,verified.is.true)",
                      client_headers(rng), where="query", note="PostgREST embedded resource and or() filter"))
    out.append(get(rng, "/api/v1/issues", [("jql", 'project = WEB AND status in ("In Progress", "To Do") ORDER BY priority DESC')], style="component",
                   headers=sdk_headers(rng), note="Jira JQL search"))
    out.append(post_json(rng, "/api/v1/reports/query", {"select": ["id", "name", "total"], "where": {"status": "paid", "total": {"gte": 100}}, "orderBy": [{"field": "created_at", "direction": "desc"}], "limit": 50},
                         note="report builder JSON with select/where/orderBy keys"))
    out.append(post_json(rng, "/api/v1/search", {"query": {"bool": {"must": [{"match": {"title": "drop leaf table"}}], "filter": [{"range": {"price": {"lte": 300}}}]}}, "sort": [{"price": "asc"}], "from": 0, "size": 20},
                         note="Elasticsearch-style query DSL"))
    out.append(get(rng, "/api/v1/orders", [("sort", "-created_at"), ("filter[status]", "shipped"), ("fields[orders]", "id,total,status")],
                   note="JSON:API sparse fieldsets and filter"))
    out.append(get(rng, "/api/v1/events", [("where", "type:click AND page:/pricing"), ("group_by", "country"), ("order_by", "count"), ("order", "desc")],
                   note="analytics query with where/group_by/order_by"))
    out.append(get(rng, "/api/v1/logs", [("query", 'service:checkout status:error -env:staging "payment declined"')],
                   note="log search query syntax"))
    return out


# ---------------------------------------------------------------------------------------------------- code-snippet

CODE_TEXTS = [
    ("Crash on startup after upgrading to 2.4", "Steps:\n1. `pip install -U acme-cli`\n2. run `acme sync`\n\n```\nTraceback (most recent call last):\n  File \"/usr/lib/python3.11/site-packages/acme/cli.py\", line 88, in main\n    cfg = load_config(args.config)\n  File \"/usr/lib/python3.11/site-packages/acme/config.py\", line 31, in load_config\n    return yaml.safe_load(open(path))\nFileNotFoundError: [Errno 2] No such file or directory: '/home/dev/.acme/config.yml'\n```"),
    ("NPE when saving a draft", "Happens every time the title is empty:\n\n```\njava.lang.NullPointerException: Cannot invoke \"String.trim()\" because \"title\" is null\n\tat com.example.drafts.DraftService.save(DraftService.java:57)\n\tat com.example.drafts.DraftController.create(DraftController.java:33)\n\tat java.base/jdk.internal.reflect.DirectMethodHandleAccessor.invoke(DirectMethodHandleAccessor.java:103)\n```"),
    ("Product list blank on Safari", "Console shows:\n\n    TypeError: Cannot read properties of undefined (reading 'map')\n        at ProductList (ProductList.jsx:42:18)\n        at renderWithHooks (react-dom.development.js:16305:18)\n\nThe API returns `{\"items\": null}` when the category is empty."),
    ("Permissions after deploy", "Here's what I see on the server:\n\n```\n$ ls -la /var/www/app/storage\ndrwxr-xr-x 5 root     root     4096 Nov  3 10:12 .\n-rw-r--r-- 1 root     root      812 Nov  3 10:12 app.log\n```\nShould the owner be www-data instead of root?"),
    ("How do I run the image locally?", "I tried `docker run -p 8080:80 -e API_URL=http://localhost:3000 acme/web:1.9` but the page is blank. Do I also need `--network host`?"),
    ("Example request for the docs", "This works for me:\n\n```\ncurl -X POST https://api.example.com/v1/orders \\\n  -H \"Authorization: Bearer $TOKEN\" \\\n  -H 'Content-Type: application/json' \\\n  -d '{\"sku\": \"A-1\", \"qty\": 2}'\n```"),
    ("npm install fails", "```\nnpm ERR! code ERESOLVE\nnpm ERR! ERESOLVE unable to resolve dependency tree\nnpm ERR! Found: react@18.3.1\nnpm ERR! Could not resolve dependency:\nnpm ERR! peer react@\"^17.0.0\" from react-beautiful-dnd@13.1.1\n```\nAny workaround besides `--legacy-peer-deps`?"),
    ("Slow orders page", "This query takes 4s on prod:\n\n```sql\nSELECT o.id, o.total FROM orders o JOIN customers c ON c.id = o.customer_id WHERE c.email = 'x@example.com' ORDER BY o.created_at DESC LIMIT 50;\n```\nEXPLAIN shows a seq scan on customers. Is there an index on email?"),
    ("Helm values question", "Our values file:\n\n```yaml\nreplicaCount: 2\nimage:\n  repository: acme/api\n  tag: \"1.9.3\"\nresources:\n  limits: { cpu: 500m, memory: 512Mi }\n```\nDo I need to set `podAnnotations` for the metrics scrape?"),
    ("Reverse proxy config", "We put it behind nginx like this:\n\n```\nlocation /api/ {\n    proxy_pass http://127.0.0.1:3000/;\n    proxy_set_header Host $host;\n}\n```\nBut websocket upgrades fail. What headers am I missing?"),
    ("Worker panics", "```\npanic: runtime error: index out of range [3] with length 3\n\ngoroutine 17 [running]:\nmain.(*Batcher).flush(0xc000124000)\n\t/app/batcher.go:88 +0x1d4\n```\nHappens under load only."),
    ("Build error after bump", "```\nerror[E0502]: cannot borrow `self.items` as mutable because it is also borrowed as immutable\n  --> src/cart.rs:41:9\n   |\n40 |         let first = self.items.first();\n   |                     ---------- immutable borrow occurs here\n```"),
    ("Rotating logs", "I use this in a cron job:\n\n```bash\nfor f in /var/log/acme/*.log; do gzip \"$f\"; done\n```\nIs there a built-in option instead?"),
    ("Contributing guide", "To get started:\n\n```\ngit clone https://github.com/acme/web.git\ncd web && git checkout -b fix/typo\nmake test\n```"),
    ("Email validation", "We use `^[a-z0-9._%+-]+@[a-z0-9.-]+\\.[a-z]{2,}$` but it rejects addresses with uppercase letters. Should we add the `i` flag?"),
    ("Button doesn't open the modal", "Component:\n\n```jsx\n<Button variant=\"primary\" onClick={() => setOpen(true)}>Open</Button>\n<Modal show={open} onHide={() => setOpen(false)} />\n```\nNothing happens on click in 3.2."),
    ("Card markup for the theme", "Use this structure:\n\n```html\n<div class=\"card\">\n  <h3 class=\"card-title\">Title</h3>\n  <p class=\"card-body\">Text</p>\n</div>\n```"),
    ("Cleanup script for old logs", "On the Windows agents we run:\n\n```powershell\nGet-ChildItem -Path C:\\ProgramData\\Acme\\logs -Filter *.log | Where-Object { $_.LastWriteTime -lt (Get-Date).AddDays(-30) } | Remove-Item\n```"),
    ("Backup job", "Crontab entry:\n\n    0 3 * * * /usr/local/bin/backup.sh >> /var/log/backup.log 2>&1\n\nIt runs but the archive is empty."),
    ("Dockerfile review", "```dockerfile\nFROM python:3.12-slim\nRUN apt-get update && apt-get install -y --no-install-recommends curl && rm -rf /var/lib/apt/lists/*\nCOPY . /app\nCMD [\"gunicorn\", \"app:app\", \"-b\", \"0.0.0.0:8000\"]\n```"),
    ("Terraform plan diff", "```hcl\nresource \"aws_s3_bucket\" \"assets\" {\n  bucket = \"acme-assets-prod\"\n  tags = { team = \"web\" }\n}\n```\nPlan wants to recreate the bucket. Why?"),
    ("Webhook payload example", "The payload we get is `{\"event\":\"order.paid\",\"data\":{\"id\":\"ord_123\",\"amount\":4999}}` -- is `amount` in cents?"),
    ("Migration order", "```sql\nALTER TABLE users ADD COLUMN last_login timestamptz;\nCREATE INDEX CONCURRENTLY idx_users_last_login ON users (last_login);\n```\nCan these run in one migration?"),
    ("Rails error in production", "```\nActiveRecord::RecordInvalid (Validation failed: Email has already been taken):\n  app/models/user.rb:42:in `save!'\n  app/controllers/users_controller.rb:18:in `create'\n```"),
    ("Installer log", "The installer fails, last lines of C:\\Users\\maria\\AppData\\Local\\Temp\\acme-setup.log:\n\n    [10:41:02] Extracting files...\n    [10:41:05] ERROR: Access to the path 'C:\\Program Files\\Acme\\bin' is denied."),
    ("Odd traffic in logs", "We see lots of lines like:\n\n    203.0.113.7 - - [04/Nov/2024:10:12:01 +0000] \"GET /api/v1/products?page=2 HTTP/1.1\" 200 5120 \"-\" \"okhttp/4.12.0\"\n\nIs that your Android app polling?"),
    ("Vim tip for the wiki", "To rename across a file: `:%s/oldName/newName/gc` (the `c` asks before each change)."),
    ("Pinned dependency", "Pin it with `pip install \"requests>=2.31,<3\"` until the SDK supports 3.x."),
    ("Swift crash log", "```\nFatal error: Unexpectedly found nil while unwrapping an Optional value: file Shopwise/CartViewModel.swift, line 64\n```\niOS 18.1, app 5.14.2."),
    ("Sample env file", "For local dev copy `.env.example` to `.env` and set:\n\n```\nDATABASE_URL=postgres://app:app@localhost:5432/app_dev\nREDIS_URL=redis://localhost:6379/0\n```"),
    ("Template default value", "In the email template, `{{ user.first_name | default('there') }}` still renders empty. Is `default` applied before `title`?"),
    ("Thread pool sizing", "We size it with `Runtime.getRuntime().availableProcessors() * 2` -- is that too many for blocking I/O?"),
    ("Spreadsheet export", "The CSV opens fine but the formula column shows `=IF(A2>100,\"High\",\"Low\")` as text. Can the export mark it as a formula?"),
    ("Restart needed?", "After changing the config do I need `sudo systemctl restart nginx` or is `nginx -s reload` enough?"),
    ("Can't reach the bastion", "`ssh -i ~/.ssh/id_ed25519 deploy@bastion.example.com` times out since this morning; VPN is on."),
    ("OS version for the ticket", "Output of `cat /etc/os-release`:\n\n    PRETTY_NAME=\"Ubuntu 22.04.5 LTS\"\n    VERSION_ID=\"22.04\""),
    ("WordPress template tag", "In my theme's single.php I have `<?php the_title(); ?>` inside the h1 but the title shows twice. Any idea?"),
    ("Makefile target", "```make\ntest:\n\tgo test ./... -race -count=1\nlint:\n\tgolangci-lint run\n```"),
    ("Markdown table broken", "| Plan | Price | Seats |\n|------|------:|------:|\n| Pro  | $12   | 5     |\n| Team | $49   | 25    |\n\nThe right alignment is lost in the preview."),
    ("Regex for SKUs", "Our SKUs look like `AB-1234/XL`; I'm matching with `/^[A-Z]{2}-\\d{4}\\/(XS|S|M|L|XL)$/` in the form validation."),
]


def code_snippet():
    rng = rng_for("code-snippet")
    out = []
    for i, (title, body) in enumerate(CODE_TEXTS):
        shape = i % 5
        if shape == 0:
            org, repo = rng.choice([("acme", "web"), ("acme", "cli"), ("shopwise", "ios"), ("acme", "infra")])
            out.append(post_json(rng, f"/api/v1/repos/{org}/{repo}/issues", {"title": title, "body": body, "labels": rng.sample(["bug", "question", "docs", "needs-triage"], 2)},
                                 headers=browser_headers(rng, with_origin=True), note=f"issue tracker: {title.lower()}"))
        elif shape == 1:
            out.append(post_json(rng, "/api/v2/tickets", {"subject": title, "description": body, "product": "acme-cloud", "severity": rng.choice(["s3", "s4"])},
                                 note=f"support ticket quoting code or commands: {title.lower()}"))
        elif shape == 2:
            out.append(post_json(rng, f"/api/v1/threads/{rng.randrange(1000, 99999)}/replies", {"markdown": f"**{title}**\n\n{body}"},
                                 note=f"developer forum reply in markdown: {title.lower()}"))
        elif shape == 3:
            out.append(post_json(rng, "/api/chat.postMessage", {"channel": "C0" + alnum(rng, 8).upper(), "text": f"{title}\n{body}", "unfurl_links": False},
                                 headers=sdk_headers(rng), note=f"team chat message with code: {title.lower()}"))
        else:
            out.append(post_json(rng, "/api/v1/kb/articles", {"title": title, "body_md": body, "section": "troubleshooting", "published": False},
                                 note=f"knowledge-base draft with code: {title.lower()}"))
    return out


# ---------------------------------------------------------------------------------------------------- email

EMAILS = [
    "o'brien@example.ie", "first.last+newsletter@example.co.uk", "jane.doe@mail.example.com", "user_name-99@example-mail.de",
    "j.smith@example.museum", "anne-marie.dupont@example.fr", "d'angelo.r@example.it", "info@xn--mller-kva.example",
    "support+ticket-4411@helpdesk.example.com", "noreply@notifications.example.io", "kim.lee@example.kr", "a@b.co",
    "ceo@startup.example", "x_y-z.123@sub.domain.example.org", "\u00e9lodie@example.fr", "billing@acme-corp.example",
]

PASSWORDS = ["Tr0ub4dor&3", "correct horse battery staple", "p@$$w0rd!#2024", "Xy7'z;Q--9kL", "S3cure*Pa55(word)", "hunter2hunter2", "N0t-S0-S1mple!", "<Kq8>v{2}Rm|z"]


def email():
    rng = rng_for("email")
    out = []
    names = ["Siobhan O'Brien", "James Smith", "Anne-Marie Dupont", "Rocco D'Angelo", "Kim Lee", "Elodie Martin", "Priya Nair", "Zo\u00eb Van der Berg"]
    for i, addr in enumerate(EMAILS):
        kind = i % 4
        if kind == 0:
            out.append(post_json(rng, "/api/v1/auth/signup", {"email": addr, "password": PASSWORDS[i % len(PASSWORDS)], "name": names[i % len(names)], "marketingOptIn": i % 2 == 0},
                                 headers=browser_headers(rng, with_origin=True), note="sign-up with an unusual but valid email and a password-manager password"))
        elif kind == 1:
            out.append(get(rng, "/api/v1/users", [("email", addr)], headers=sdk_headers(rng), note="user lookup by email"))
        elif kind == 2:
            out.append(post_form(rng, "/newsletter/subscribe", [("email", addr), ("list", "weekly"), ("consent", "yes")], note="newsletter form"))
        else:
            out.append(post_json(rng, "/api/v1/invites", {"emails": [addr, rng.choice(EMAILS)], "role": rng.choice(["member", "admin", "viewer"]), "message": "Join us on the new board -- it's where we'll track Q1 work!"},
                                 note="team invitation"))
    messages = [
        ("Re: Invoice #4411 (overdue?)", "Hi Tom,\n\nI've attached the remittance advice; payment went out on 11/02. Let me know if it hasn't landed.\n\nThanks,\nRosa"),
        ("Fwd: Your order has shipped!", "---------- Forwarded message ---------\nFrom: Shopwise <orders@shopwise.example>\nDate: Mon, Nov 4, 2024 at 9:12 AM\nSubject: Your order has shipped!\nTo: <kim.lee@example.kr>\n\nTrack it here: https://track.example.com/1Z999AA10123456784"),
        ("Meeting -- Tue 10:30; room 4B", "Agenda: (1) Q4 numbers; (2) hiring; (3) AOB. Dial-in: +1 (555) 010-2345, PIN 4471#"),
        ("Out of office", "I'm out until Monday 18th with limited access to email. For urgent matters contact ops@example.com or call +44 20 7946 0958."),
        ("Quote request", "Could you quote 250 x 'Classic Tee' (white, S-XL) with 1-colour print front & back? Deadline is Dec 1st."),
        ("Password reset didn't arrive", "I requested a reset at 14:05 and 14:20; nothing in inbox or spam. My address is o'brien@example.ie (note the apostrophe!)."),
        ("Welcome aboard!", "Hi Priya,\n\nWelcome to the team :) Your laptop's on its way; IT will email you setup steps. First-day lunch is on us.\n\n-- Dana"),
        ("Your receipt from Acme", "Amount paid: $1,249.00\nDate paid: Nov 3, 2024\nPayment method: Visa - 4242\n\nQuestions? Reply to this email or visit https://acme.example/support."),
    ]
    for subject, text in messages:
        out.append(post_json(rng, "/api/v1/emails/send",
                             {"from": "Acme Support <support@acme.example>", "to": [rng.choice(EMAILS)], "cc": [], "replyTo": rng.choice(EMAILS), "subject": subject, "text": text},
                             headers=sdk_headers(rng), note="transactional email sent through an email API"))
    csv = "email,first_name,last_name,company\no'brien@example.ie,Siobhan,O'Brien,\"Acme, Inc.\"\njane.doe@mail.example.com,Jane,Doe,Initech\n\"kim.lee@example.kr\",Kim,Lee,\"Hooli; Seoul office\"\n"
    out.append(post_json(rng, "/api/v1/contacts/import", {"format": "csv", "data": csv, "dedupe": True}, note="contact import as CSV text in JSON"))
    for to in ["o'brien@example.ie", "jane.doe@mail.example.com", "x_y-z.123@sub.domain.example.org", "Rocco D'Angelo <d'angelo.r@example.it>"]:
        out.append(post_form(rng, "/contact", [("name", names[len(out) % len(names)]), ("email", to.split("<")[-1].rstrip(">")), ("subject", "Question about my order"),
                                              ("message", f"Hello, please reply to {to} -- my order #58812 hasn't arrived yet. Thanks!")], note="contact form mentioning an email address"))
    for local in ["\"john doe\"@example.com", "sales@[192.0.2.10]", "user%legacy@example.org", "admin@localhost"]:
        out.append(post_json(rng, "/api/v1/validate/email", {"email": local}, headers=app_headers(rng), note=f"email-validation call with a rare but valid address form: {local}"))
    return out


# ---------------------------------------------------------------------------------------------------- url

LINKS = [
    "https://www.example.com/search?q=red+running+shoes&size=10&sort=price_asc",
    "https://shop.example.com/products/42?utm_source=newsletter&utm_medium=email&utm_campaign=black_friday_2024",
    "https://maps.example.com/maps/place/Union+Station/@41.8787,-87.6403,17z/data=!3m1!4b1",
    "https://acme-uploads.s3.eu-west-1.amazonaws.com/u/42/report.pdf?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20241104%2Feu-west-1%2Fs3%2Faws4_request&X-Amz-Date=20241104T101200Z&X-Amz-Expires=900&X-Amz-SignedHeaders=host&X-Amz-Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7",
    "https://l.facebook.com/l.php?u=https%3A%2F%2Fshop.example.com%2Fsale%3Fref%3Dfb&h=AT0k9sPq",
    "https://docs.example.com/guide/getting-started#install",
    "https://cdn.example.net/img/products/42/hero@2x.webp?v=1730712000",
    "https://www.youtube.com/watch?v=dQw4w9WgXcQ&t=42s",
    "https://github.com/acme/web/pull/1287/files#diff-4b1d",
    "https://calendar.example.com/event?action=TEMPLATE&text=Team+lunch&dates=20241112T120000Z/20241112T133000Z",
    "https://forms.example.com/r/abc123?prefill_email=kim.lee%40example.kr",
    "https://en.wikipedia.org/wiki/Drop-leaf_table",
    "https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX",
    "https://track.example.com/1Z999AA10123456784?lang=en-GB",
    "mailto:support@example.com?subject=Order%20%2358812&body=Hi%20there",
    "tel:+1-555-010-2345",
    "shopwise://orders/58812?from=push",
    "https://example.com/a/b/../c/./d?x=1&y=2",
    "https://www.example.org/path/with%20spaces/and%2Fslashes?q=%22quoted%22",
    "ftp://ftp.example.org/pub/datasets/2024/readme.txt",
]


def url():
    rng = rng_for("url")
    out = []
    for i, link in enumerate(LINKS):
        kind = i % 5
        if kind == 0:
            out.append(post_json(rng, "/api/v1/bookmarks", {"url": link, "title": "saved link", "tags": ["later"]}, note="bookmark with a full URL"))
        elif kind == 1:
            out.append(get(rng, "/api/v1/link-preview", [("url", link)], style="component", note="link-preview lookup with an encoded URL"))
        elif kind == 2:
            out.append(post_json(rng, "/api/v1/messages", {"text": f"Here you go: {link} (see the second section)", "channel": "general"}, headers=app_headers(rng),
                                 note="chat message containing a URL"))
        elif kind == 3:
            out.append(post_form(rng, "/settings/profile", [("display_name", "Kim"), ("website", link), ("bio", "Links below!")], note="profile form with a URL"))
        else:
            out.append(post_json(rng, "/api/v1/short-links", {"target": link, "slug": alnum(rng, 6).lower(), "expiresAt": "2025-01-31T23:59:59Z"},
                                 headers=sdk_headers(rng), note="URL shortener"))
    hooks = [
        "https://hooks.example.com/acme/orders", "https://api.partner.example/v2/webhooks/inbound?token=wh_7f3a9c",
        "https://n8n.example.io/webhook/3f9e2b7a-8d41-4c0e-9a55-2f6b1c7d8e90", "https://example.requestcatcher.com/test",
    ]
    for hook in hooks:
        out.append(post_json(rng, "/api/v1/webhooks", {"url": hook, "events": ["order.created", "order.refunded"], "secret": "whsec_" + alnum(rng, 24)},
                             headers=sdk_headers(rng), note="webhook registration to a public HTTPS endpoint"))
    for redirect in ["https://app.example.com/auth/callback", "https://app.example.com/auth/callback?tenant=eu", "http://localhost:3000/auth/callback", "com.example.shopwise:/oauth2redirect"]:
        out.append(get(rng, "/oauth/authorize",
                       [("response_type", "code"), ("client_id", "web-" + alnum(rng, 8)), ("redirect_uri", redirect), ("scope", "openid profile email"),
                        ("state", alnum(rng, 22)), ("code_challenge", alnum(rng, 43)), ("code_challenge_method", "S256")],
                       style="component", headers=page_headers(rng), note=f"OAuth authorize with redirect_uri {redirect}" + (" (a local development callback)" if "localhost" in redirect else "")))
    for nxt in ["/account/orders?page=2", "/checkout/payment?step=3&retry=1", "/", "/products/42#reviews"]:
        out.append(get(rng, "/login", [("next", nxt)], headers=page_headers(rng), note="login page with a relative return path"))
    for img in ["https://cdn.example.net/u/42/avatar.jpg", "https://images.example.com/photo-1519681393784?auto=format&fit=crop&w=800&q=80",
                "https://lh3.googleusercontent.com/a/ACg8ocK9x=s96-c", "https://secure.gravatar.com/avatar/205e460b479e2e5b48aec07710c08d50?s=80&d=identicon"]:
        out.append(post_json(rng, "/api/v1/profile/avatar", {"imageUrl": img, "source": "url"}, note="avatar import from a public image URL"))
    out.append(get(rng, "/r", [("u", "https://partner.example.com/landing?ref=acme&campaign=winter"), ("sig", hexstr(rng, 16))], style="component",
                   note="signed click-tracking redirect"))
    out.append(post_json(rng, "/api/v1/feeds", {"feedUrl": "https://blog.example.org/feed.xml", "refreshMinutes": 60}, note="RSS feed subscription"))
    out.append(get(rng, "/api/v1/embed", [("url", "https://www.youtube.com/watch?v=dQw4w9WgXcQ"), ("maxwidth", "640"), ("format", "json")], style="component",
                   note="oEmbed lookup"))
    return out


# ---------------------------------------------------------------------------------------------------- search

SEARCHES = [
    "c++ tutorial", "c# async await", "\"exact phrase\" -excluded", "at&t phone plans", "50% off shoes", "o'reilly books",
    "rock & roll hall of fame", "what is 2+2", "1/2 inch drill bit", "5'11\" in cm", "mac & cheese recipe", "site:example.com returns",
    "user:alice is:open label:bug", "price:<50 brand:\"acme\"", "tom's diner lyrics", "men's shoes size 10.5", "l'or\u00e9al shampoo",
    "z\u00fcrich hotels", "\u6771\u4eac \u30e9\u30fc\u30e1\u30f3", "r\u00e9sum\u00e9 template", "how to select all in excel", "sql injection course",
    "script writing class", "javascript tutorial for beginners", "alert dialog css", "java.lang.NullPointerException", "where is the hosts file on windows",
    "how to use cat command linux", "powershell get-childitem recursive", "what does ; mean in javascript", "node.js vs deno", "100% cotton t-shirt",
    "iphone 16 pro max case", "best budget laptop 2024", "#blackfriday deals", "@acme support", "kids' bikes 20\"", "3/4\" plywood",
    "wi-fi extender", "e-mail vs email", "ben & jerry's", "who's the best?", "-", "?", "!!!", "\u00bfd\u00f3nde est\u00e1 mi pedido?",
    "apple OR pear", "rome -italy", "NOT guilty verdict", "10:30 am to pm", "2024-11-04", "+1 555 010 2345", "#ff8800 color",
    "ml to oz", "x < y", "size>=10",
]


def search():
    rng = rng_for("search")
    out = []
    endpoints = [
        ("/search", "q", [], page_headers),
        ("/api/v1/products/search", "query", [("page", "1"), ("per_page", "24")], client_headers),
        ("/api/v2/search", "term", [("type", "all")], client_headers),
        ("/autocomplete", "prefix", [("limit", "8")], browser_headers),
        ("/api/v1/help/articles", "q", [("locale", "en")], client_headers),
        ("/api/v1/places", "text", [("near", "47.3769,8.5417")], app_headers),
    ]
    for i, q in enumerate(SEARCHES):
        path, param, extra, headers = endpoints[i % len(endpoints)]
        pairs = [(param, q)] + extra
        out.append(get(rng, path, pairs, headers=headers(rng), note=f"search box input: {q}"))
    return out


CATEGORIES = [
    ("json-prose", json_prose),
    ("sql-words", sql_words),
    ("code-snippet", code_snippet),
    ("email", email),
    ("url", url),
    ("search", search),
]
