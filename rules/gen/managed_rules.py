#!/usr/bin/env python3
"""Writes rules/aws/<GroupName>.json: Moat's own rule groups under the names and labels of AWS's managed rule groups.

The JSON files are the artifact the engine loads and reviewers read; this script is how they are written, so that
transformation chains, fields and base64 search strings stay consistent across ~80 rules. Edit the rules here, run

    python3 rules/gen/managed_rules.py            # rewrite every rules/aws/*.json
    python3 rules/gen/managed_rules.py --check    # exit 1 if a committed file differs from what this writes

and commit both. Standard library only; output is byte-identical across runs.

AWS publishes the rule names, what each rule inspects, its action and its label; the patterns below are ours.
See docs/waf-managed-rules.md for what each rule detects and its expected false positives.
"""

import base64
import json
import sys
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "rules" / "aws"

# ---------------------------------------------------------------------------------------------------------------
# Text transformation chains. Each distinct (field, chain) pair is one transformation pass in the engine, so the
# rules share a handful of chains.
# ---------------------------------------------------------------------------------------------------------------


def chain(*types):
    return [{"Priority": i, "Type": t} for i, t in enumerate(types)]


NONE = chain("NONE")
LOWER = chain("LOWERCASE")
# Percent/%u decoding, HTML entities, lower-case: the general chain for every non-body field.
DEC = chain("URL_DECODE_UNI", "HTML_ENTITY_DECODE", "LOWERCASE")
# Query arguments, cookies and the path are decoded twice: a value that is still percent-encoded after one pass
# (%2527, %253C) is an evasion attempt aimed at an application or proxy that decodes again.
DEC2 = chain("URL_DECODE_UNI", "URL_DECODE_UNI", "HTML_ENTITY_DECODE", "LOWERCASE")
# Bodies are often JSON, where any character can be written as \uXXXX (a known evasion): BODYJS undoes JSON/JS
# escapes first, then form encoding and entities (JS_DECODE first so that a decoded %5C is not read as an escape).
BODYJS = chain("JS_DECODE", "URL_DECODE_UNI", "HTML_ENTITY_DECODE", "LOWERCASE")
# JS_DECODE deletes the single backslashes of Windows paths in form bodies (..\..\win.ini -> .....win.ini), so the
# path-traversal rules read the body through DEC instead: one more pass over the body, for GenericLFI_BODY only.
# Shell normalisation (quotes and backslashes removed, whitespace collapsed, lower-cased).
UNIXCMD = chain("URL_DECODE_UNI", "CMD_LINE_UNIX")
WINCMD = chain("URL_DECODE_UNI", "CMD_LINE_WIN")

# ---------------------------------------------------------------------------------------------------------------
# Fields.
# ---------------------------------------------------------------------------------------------------------------

QARGS = {"AllQueryArguments": {}}
QS = {"QueryString": {}}
PATH = {"UriPath": {}}
BODY = {"Body": {"OversizeHandling": "CONTINUE"}}
COOKIES = {"Cookies": {"MatchPattern": {"All": {}}, "MatchScope": "ALL", "OversizeHandling": "CONTINUE"}}
HEADERS = {"Headers": {"MatchPattern": {"All": {}}, "MatchScope": "ALL", "OversizeHandling": "CONTINUE"}}
METHOD = {"Method": {}}


def dec(field):
    """The decoding chain for a field: twice for query arguments, cookies and the path, JSON escapes first for the
    body, once otherwise."""
    if field == BODY:
        return BODYJS
    return DEC2 if field in (QARGS, COOKIES, PATH) else DEC


def header(name):
    return {"SingleHeader": {"Name": name}}


# Headers whose value is an address, a URL or a client string, i.e. where an application is likely to log or store
# the value in SQL; Authorization, Cookie and content negotiation headers are left out (SQL tokenizers misread
# them).
CLIENT_HEADERS = [
    "user-agent", "referer", "x-forwarded-for", "x-forwarded-host", "x-real-ip", "x-client-ip", "client-ip",
    "true-client-ip", "x-cluster-client-ip", "x-originating-ip", "x-remote-ip", "x-remote-addr", "forwarded", "via",
]
CLIENT_HEADER_FIELD = {
    "Headers": {
        "MatchPattern": {"IncludedHeaders": CLIENT_HEADERS},
        "MatchScope": "VALUE",
        "OversizeHandling": "CONTINUE",
    }
}

# ---------------------------------------------------------------------------------------------------------------
# Statements.
# ---------------------------------------------------------------------------------------------------------------

B = r"(?-u:\b)"  # ASCII word boundary (cheaper than Unicode's in the DFA engines)


def b64(s):
    return base64.b64encode(s.encode()).decode()


def rx(regex, field, tt):
    assert len(regex) <= 512, (len(regex), regex)
    return {"RegexMatchStatement": {"RegexString": regex, "FieldToMatch": field, "TextTransformations": tt}}


def bm(literal, field, tt, pos="CONTAINS"):
    return {
        "ByteMatchStatement": {
            "SearchString": b64(literal),
            "FieldToMatch": field,
            "TextTransformations": tt,
            "PositionalConstraint": pos,
        }
    }


def bms(literals, field, tt, pos="CONTAINS"):
    return [bm(x, field, tt, pos) for x in dict.fromkeys(literals)]


def sqli(field, tt, level="LOW"):
    return {"SqliMatchStatement": {"FieldToMatch": field, "TextTransformations": tt, "SensitivityLevel": level}}


def xss(field, tt):
    return {"XssMatchStatement": {"FieldToMatch": field, "TextTransformations": tt}}


def xss_rule(field):
    """The XSS detector plus the patterns it does not cover, on the same (field, chain) pass."""
    tt = dec(field)
    return any_of(xss(field, tt), rx(XSS_SCRIPT_URL, field, tt), rx(XSS_JS_BREAKOUT, field, tt),
                  rx(XSS_TEMPLATE, field, tt))


def size_gt(field, size):
    return {
        "SizeConstraintStatement": {
            "FieldToMatch": field,
            "ComparisonOperator": "GT",
            "Size": size,
            "TextTransformations": NONE,
        }
    }


def any_of(*stmts):
    flat = []
    for s in stmts:
        flat.extend(s if isinstance(s, list) else [s])
    return flat[0] if len(flat) == 1 else {"OrStatement": {"Statements": flat}}


def not_(stmt):
    return {"NotStatement": {"Statement": stmt}}


def ipset(arn):
    return {"IPSetReferenceStatement": {"ARN": arn}}


def alt(*words):
    return "(?:" + "|".join(words) + ")"


# ---------------------------------------------------------------------------------------------------------------
# Shared pattern fragments (after the chain has lower-cased the value).
# ---------------------------------------------------------------------------------------------------------------

# A dot and a slash as they appear after one decoding pass, including double-encoded and %u forms.
DOT = r"(?:\.|%2e|%u002e)"
SLASH = r"(?:/|\\|%2f|%5c|%u2215|%u2216|%u002f|%u005c)"
TRAVERSAL = DOT + DOT + SLASH
SEP = r"[/\\]+(?:\.[/\\]+)*"  # one or more slashes, tolerating /./ and mixed separators

# ------------------------------------------- local file inclusion ----------------------------------------------
LFI_TRAVERSAL_TWICE = r"(?:\.{2,}[/\\]+){2}|(?:" + TRAVERSAL + r"){2}"
LFI_TRAVERSAL_TO_TARGET = (
    TRAVERSAL
    + r"+(?:"
    + alt(
        r"etc", r"proc", r"sys", r"var", r"usr", r"root", r"home", r"boot", r"dev", r"tmp", r"opt", r"bin",
        r"windows", r"winnt", r"inetpub", r"system32", r"program files", r"web-inf", r"meta-inf", r"\.env",
        r"\.git", r"\.ssh", r"\.aws", r"\.htaccess", r"\.htpasswd", r"[a-z]:", r"boot\.ini", r"win\.ini",
        r"wp-config", r"config", r"application\.(?:properties|ya?ml)",
    )
    + r")"
)
LFI_WRAPPERS = r"(?:^|[^a-z])(?:file:/{2,}|php://(?:filter|input|fd|stdin)|zip://|phar://|compress\.zlib://|glob://)"
# Absolute references to files that are only ever read by an attacker (no traversal needed when the application
# accepts absolute paths).
LFI_ABSOLUTE = (
    r"(?:^|[^a-z0-9_.-])(?:etc[/\\]+(?:passwd|shadow|master\.passwd)|proc[/\\]+(?:self|thread-self|\d+)[/\\]+"
    r"(?:environ|cmdline|fd|maps|mem|root|cwd)|var[/\\]+run[/\\]+secrets[/\\]|windows[/\\]+(?:win|system)\.ini"
    r"|boot\.ini|inetpub[/\\]+wwwroot[/\\]+web\.config)"
)
# Overlong UTF-8 encodings of '.', '/' and '\\' as written in the raw request (no legitimate client sends them).
OVERLONG = ["%c0%ae", "%c0%af", "%c1%9c", "%c1%1c", "%c0%2f", "%c0%5c", "%e0%80%ae", "%e0%80%af", "%f0%80%80%af",
            "%c1%8s", "%c1%pc", "%u2215", "%u2216"]
LFI_WINDOWS_FILES = (
    r"[a-z]:" + SEP + alt(r"windows" + SEP + alt(r"win\.ini", r"system\.ini", r"system32", r"repair", r"panther"),
                          r"boot\.ini", r"inetpub", r"winnt")
)

# --------------------------------------------- EC2 metadata SSRF -----------------------------------------------
# 169.254.169.254 in every notation a URL parser accepts, the IPv6 IMDS endpoint, the ECS credentials endpoint,
# other clouds' metadata hosts, and IMDS paths. Matched anywhere in the value (an SSRF payload is a URL or a bare
# host).
IP_OCT = r"(?:0+251|0+376)"
META_IP = alt(
    r"169\.254\.169\.254",
    r"169-254-169-254",  # wildcard DNS names such as 169-254-169-254.nip.io
    r"2852039166",  # decimal integer
    r"0x0*a9fea9fe",  # hex integer
    r"(?:0x0*a9|0+251|169)\.(?:0x0*fe|0+376|254)\.(?:0x0*a9|0+251|169)\.(?:0x0*fe|0+376|254)",  # per-byte hex/octal
    r"169\.254\.43518",  # a.b.c form
    r"169\.16689662",  # a.bcd form
    r"::ffff:a9fe:a9fe",
    r"::ffff:169\.254\.169\.254",
    r"fd00:ec2::254",
    r"169\.254\.170\.2(?:[^0-9]|$)",  # ECS task credentials
    r"100\.100\.100\.200",  # Alibaba Cloud
    r"metadata\.google\.internal",
    r"metadata\.goog(?:[^a-z]|$)",
    r"instance-data(?:\.ec2\.internal)?(?:[:/]|$)",
)
META_PATHS = alt(
    r"/latest/(?:meta-data|user-data|dynamic/instance-identity|api/token)",
    r"/computemetadata/v1",
    r"/metadata/(?:instance|identity)\?api-version",
    r"/openstack/latest/",
    r"/v2/credentials/",
)
# Hosts written with enclosed alphanumerics or full-width digits (NFKC-normalised to ASCII by URL parsers).
# Matched as UTF-8 bytes (the engine's regexes are byte-oriented, like PCRE without UTF mode): circled
# digits U+2460-U+24FF are E2 91 A0 .. E2 93 BF, fullwidth digits U+FF10-U+FF19 are EF BC 90 .. EF BC 99,
# the ideographic full stop U+3002 is E3 80 82 and the fullwidth full stop U+FF0E is EF BC 8E.
_ODD_DIGIT = r"(?:\xE2[\x91-\x93][\x80-\xBF]|\xEF\xBC[\x90-\x99])"
_ODD_DOT = r"(?:\.|\xE3\x80\x82|\xEF\xBC\x8E)"
ODD_DIGIT_HOST = _ODD_DIGIT + "{1,3}(?:" + _ODD_DOT + _ODD_DIGIT + "{1,3}){3}"

# ------------------------------------------------ remote file inclusion ----------------------------------------
SCHEME = r"(?:https?|ftps?|file|gopher|dict|ldaps?|tftp|jar:https?|netdoc|smb|sftp|rmi|nfs)"
USERINFO = r"(?:[^/@\s]*@)?"
IPV4 = r"\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}"
IP_HOST = alt(
    IPV4,
    r"0x[0-9a-f]{1,8}(?:[:/?#]|$)",  # hex integer host
    r"\d{8,10}(?:[:/?#]|$)",  # decimal integer host
    r"0[0-7]{1,3}\.[0-7.]+",  # octal dotted host
    r"\[[0-9a-f:.]*:[0-9a-f:.]*\]",  # IPv6 literal
    r"\d{1,3}\.\d{1,8}(?:[:/?#]|$)",  # shortened forms such as 127.1
)
RFI_IP_URL = SCHEME + r":/{2,}" + USERINFO + IP_HOST
RFI_ATTACK_SCHEME = r"(?:^|[^a-z])(?:gopher|dict|tftp|netdoc|jar:https?|expect)://"
RFI_INCLUDE_SUFFIX = r"^\s*(?:https?|ftps?)://[^\s]+(?:\?+|\x00)$"
RFI_INCLUDE_SUFFIX_BODY = r"(?:^|[=\"'\s])(?:https?|ftps?)://[^\s\"'&?]+(?:\?+|\x00)(?:[\"'&]|\s*$)"
# A UNC path (\\\\host\\share\\...) as a value: inclusion over SMB/WebDAV. JSON doubles the backslashes.
RFI_UNC_VALUE = r"^\s*\\\\[a-z0-9_.-]+(?:@\d+)?\\[^\\\s]+"
RFI_UNC_BODY = r"(?:^|[=\"'\s])(?:\\{2}|\\{4})[a-z0-9_.-]+(?:@\d+)?\\{1,2}[a-z0-9$_.-]+\\{1,2}"

# ------------------------------------------------- restricted extensions ----------------------------------------
RESTRICTED_EXT = alt(
    r"log", r"ini", r"conf", r"cnf", r"cfg", r"config", r"bak", r"backup", r"old", r"orig", r"save", r"swp",
    r"swo", r"sql", r"sqlite3?", r"db", r"mdb", r"accdb", r"dbf", r"pem", r"key", r"p12", r"pfx", r"jks",
    r"keystore", r"ppk", r"kdbx", r"ovpn", r"asa", r"asax", r"dll", r"exe", r"bat", r"cmd", r"ps1", r"psm1",
    r"vbs", r"vbe", r"wsf", r"sh", r"bash", r"inc", r"htaccess", r"htpasswd", r"htdigest", r"history",
    r"ds_store", r"npmrc", r"pypirc", r"netrc", r"dockercfg", r"git", r"svn", r"hg", r"sln", r"csproj",
    r"vbproj", r"suo", r"tfstate", r"env",
)
EXT_END_PATH = r"\." + RESTRICTED_EXT + r"(?:$|[;,\x00~#]|::\$data)"
# Editor backups (index.php~, .index.php.swp is above) and whole-site backup archives under conventional names.
BACKUP_PATH = (
    r"[^/]~$|/(?:backup|backups|site|www|html|public_html|htdocs|wwwroot|web|website|db|database|dump|sql|data"
    r"|src|source|code|app|old|new|test|archive|\d{4}-?\d{2}-?\d{2})\.(?:zip|tar|tgz|tar\.gz|tar\.bz2|rar|7z|gz|bz2)$"
)
EXT_END_VALUE = r"\." + RESTRICTED_EXT + r"(?:$|[\x00~]|::\$data)"

# ------------------------------------------------------- log4j -------------------------------------------------
LOG4J_LOOKUPS = alt(
    "jndi", "lower", "upper", "env", "sys", "date", "base64", "k8s", "sd", "main", "ctx", "java", "marker",
    "bundle", "docker", "spring", "log4j", "web", "map", "event", "jvmrunargs", "sd",
)
LOG4J = (
    r"\$\{\s*(?:\$\{|" + LOG4J_LOOKUPS + r"\s*:|:+-|[^{}:\s]{0,30}:[^{}:\s]{0,30}:-)"
    r"|\$\{[^{}]{0,60}\$\{[^{}]{0,60}\}[^{}]{0,30}(?:ndi|dap|rmi|dns|iiop|://)"
)

# ---------------------------------------------------------- XSS extras ----------------------------------------
# What the HTML tokenizer cannot see: a script URL inside a larger value (a JSON or form body), breaking out of a
# JavaScript string, and AngularJS-style template expressions that reach the Function constructor.
XSS_SCRIPT_URL = (
    r"(?:^|[\s\"'=(,:\x00`])j[\t\n\r]*a[\t\n\r]*v[\t\n\r]*a[\t\n\r]*s[\t\n\r]*c[\t\n\r]*r[\t\n\r]*i[\t\n\r]*p[\t\n\r]*t"
    r"[\t\n\r]*:[\t\n\r ]*(?:alert|prompt|confirm|eval|fetch|document|window|location|top|parent|self|this|import"
    r"|atob|string\.fromcharcode|setTimeout|\(|/|\[|['\"`]|%|\\u)|(?:^|[\s\"'=(])vbscript\s*:\s*\w"
)
XSS_JS_BREAKOUT = (
    r"['\"`]\s*\)?\s*(?:;|\+|-|\*|\|\||&&|,)\s*(?:alert|prompt|confirm|eval|fetch|import)\s*[(`]"
    r"|['\"`]\s*\)?\s*(?:;|\+|\|\||&&|,)\s*(?:document\.(?:cookie|location|domain|write)|window\.location|location\s*=)"
    r"|</script\s*>"
)
XSS_TEMPLATE = (
    r"\{\{[^}]{0,200}(?:constructor\s*\.\s*constructor|\$on\s*\.\s*constructor|\[\s*['\"]constructor['\"]\s*\]"
    r"|\$eval\s*\(|tostring\(\)\.constructor)"
)

# ------------------------------------------------ Java deserialization -----------------------------------------
JAVA_SERIAL = (
    r"(?:^|[^a-z0-9+/])ro0ab[a-z0-9+/]"  # base64 of the AC ED 00 05 stream header
    r"|(?:^|[^0-9a-f])aced0005[0-9a-f]{2}"  # hex
    r"|\xac\xed\x00\x05"  # raw (as URL_DECODE_UNI leaves %ac%ed%00%05)
)
JAVA_GADGETS = [
    "java.lang.runtime", "java.lang.processbuilder", "javax.naming.initialcontext", "com.sun.rowset.jdbcrowsetimpl",
    "org.apache.commons.collections.functors", "org.apache.commons.collections4.functors",
    "com.sun.org.apache.xalan.internal.xsltc.trax.templatesimpl", "org.apache.xbean.propertyeditor.jndiconverter",
    "org.apache.commons.configuration.jndiconfiguration", "org.apache.commons.configuration2.jndiconfiguration",
    "java.beans.xmldecoder", "java.beans.eventhandler", "javax.script.scriptenginemanager", "groovy.lang.groovyshell",
    "org.springframework.context.support.classpathxmlapplicationcontext", "ch.qos.logback.core.db.jndiconnectionsource",
    "bsh.interpreter", "org.mozilla.javascript", "java.net.urlclassloader", "sun.misc.base64decoder",
    "org.codehaus.groovy.runtime", "com.mchange.v2.c3p0", "oracle.jdbc.rowset.oraclejdbcrowset",
    "_memberaccess", "ognlcontext", "class.module.classloader", "class.classloader", "class[module][classloader]",
    "spring.cloud.function.routing-expression", "@ognl.",
]
JAVA_EXPR = (
    r"getruntime\s*\(\s*\)\s*\.\s*exec\s*\("
    r"|[%$#]\{\s*\(?\s*#[a-z_]"  # OGNL %{(#...  ${#...
    r"|\bt\s*\(\s*java\.|new\s+java\.(?:lang|io|net)\."  # SpEL T(java....) / new java.lang.X
    r"|getclass\s*\(\s*\)\s*\.\s*(?:forname|getclassloader)|class\.forname\s*\(\s*['\"]java"
    r"|['\"]\s*\.\s*execute\s*\(\s*\)"  # Groovy "cmd".execute()
    r"|\$\{\s*(?:script|dns|url|file)\s*:"  # Apache Commons Text lookups (CVE-2022-42889)
    r"|(?:redirect|redirectaction|action)\s*:\s*\$\{"  # Struts 2 prefixes (S2-016)
    r"|@java\.lang\.(?:runtime|processbuilder|system)@"
)
JAVA_TYPED_JSON = (
    r"[\"'](?:@type|@class)[\"']\s*:\s*[\"'](?:com\.sun\.|org\.apache\.|java\.|javax\.|org\.springframework\.|ch\.qos\."
    r"|com\.mchange\.|oracle\.|br\.com\.anteros|org\.hibernate\.|com\.zaxxer\.|net\.sf\.ehcache|org\.codehaus\.)"
    r"|\[\s*[\"'](?:com\.sun\.rowset|org\.apache\.xbean|com\.mchange|ch\.qos\.logback|org\.apache\.commons\.configuration)"
)

# ------------------------------------------------- SQL (extended patterns) --------------------------------------
SQL_W = r"[\s/*+()]*"  # whitespace, comments and parentheses between SQL words
SQLX_TIME = (
    r"(?:select|and|or|xor|not|\|\||&&|[,(=;+-])" + SQL_W + r"(?:sleep|pg_sleep)" + r"[\s/*]*\(\s*[\d.(]"
    r"|benchmark[\s/*]*\(\s*\d{4,}\s*,|waitfor[\s/*]+(?:delay|time)[\s/*]+['\"]"
    r"|dbms_(?:lock\.sleep|pipe\.receive_message)|randomblob\s*\(\s*\d{6,}"
    r"|pg_sleep_for\s*\(|generate_series\s*\(\s*1\s*,\s*\d{6,}"
)
SQLX_FUNCS = (
    B + alt(
        r"extractvalue", r"updatexml", r"gtid_subset", r"json_keys", r"geometrycollection", r"multipoint",
        r"polygon", r"linestring", r"exp", r"floor\s*\(\s*rand", r"name_const", r"utl_inaddr\.get_host_\w+",
        r"utl_http\.request", r"dbms_xmlgen\.\w+", r"ctxsys\.drithsx\.sn", r"xmltype", r"load_file",
        r"pg_read_file", r"pg_ls_dir", r"lo_import", r"lo_export", r"sys_eval", r"sys_exec",
        r"convert\s*\(\s*int", r"cast\s*\(\s*\(?\s*select",
    ) + r"\s*\(\s*(?:[\w'\"]{0,20}\s*,\s*)?(?:\(?\s*select|0x|concat|char|chr|user|version|database|@@|~|['\"])"
)
SQLX_CATALOG = (
    B + alt(
        r"information_schema\s*\.\s*(?:tables|columns|schemata|routines|processlist)", r"sysobjects",
        r"syscolumns", r"sys\.(?:objects|tables|columns|databases|sql_logins)", r"master\.\.sys", r"pg_catalog\.\w+",
        r"pg_shadow", r"pg_user", r"sqlite_(?:master|schema|temp_master)", r"mysql\.(?:user|db)", r"all_tab_columns",
        r"all_tables", r"user_tables", r"dba_users", r"msysobjects",
    ) + B
)
SQLX_PROCS = (
    B + alt(r"xp_cmdshell", r"xp_dirtree", r"xp_regread", r"xp_fileexist", r"sp_oacreate", r"sp_executesql",
            r"sp_makewebtask", r"sp_configure", r"sp_addsrvrolemember", r"openrowset", r"opendatasource") + B
    + r"|@@(?:version|datadir|hostname|basedir|servername|tmpdir)" + B
    + r"|into\s+(?:out|dump)file\s*['\"]"
)
SQLX_SYNTAX = (
    r"/\*!\d{0,5}\s*(?:select|union|and|or|insert|update|delete|\d)"  # MySQL executable comments
    r"|" + B + r"(?:char|chr|nchar)\s*\(\s*\d+\s*\)\s*(?:\+|\|\||,|&)\s*(?:char|chr|nchar)\s*\("  # chained char()
    r"|" + B + r"union" + SQL_W + r"(?:all|distinct)?" + SQL_W + r"select" + SQL_W
    + r"(?:null|\d+|0x[0-9a-f]+|@@|user\s*\(|version\s*\(|database\s*\(|concat|group_concat|char\s*\()" + r"\s*(?:,|from|--|#|/\*|$)"
)
SQLX_BLIND = (
    r"(?:and|or|xor|&&|\|\||having|where|when)\s+(?:ascii|ord|unicode|length|len|char_length|hex|bin)\s*\(\s*"
    r"(?:substr|substring|mid|left|right|\(\s*select)"
    r"|\(\s*case\s+when\s|" + B + r"order\s+by\s+\d+\s*(?:--|#|/\*)"
    r"|\(\s*select\s+(?:distinct\s+|top\s+\d+\s+)?(?:[a-z_][\w.]*\s*\(|\*\s+from|@@|\d+\s*(?:from|,|\))|case\s|null\s*[,)])"
)
SQLX_STACKED = (
    r";\s*(?:drop|truncate|alter)\s+(?:table|database|schema|user|login|procedure|function|view)\s"
    r"|;\s*(?:delete\s+from|insert\s+into|update\s+[\w.`\"\[\]]+\s+set|exec(?:ute)?\s+(?:xp_|sp_|master\.|@|\()"
    r"|shutdown\s*(?:--|#|;|with|$)|declare\s+@|create\s+(?:user|login|table))"
)
# A whole query-argument value that is a numeric boolean probe (1 AND 1=2) or column-count probe (1 ORDER BY 10).
SQLX_NUMERIC_PROBE = (
    r"^\s*-?\d+['\")]*\s+(?:order|group)\s+by\s+\d+\s*$|^\s*-?\d+['\")]*\s+(?:and|or|xor|&&|\|\|)\s+['\"(]*-?\d+['\"]*\s*(?:=|<>|!=|<=?|>=?)\s*['\"]*-?\d+['\")]*\s*$"
)
# The quoted-string break-out followed by a comment, as it appears inside a form or JSON body (the detector reads
# the whole body and sees the rest of it as the comment's text).
SQLX_BODY_TRUNCATION = r"[=:]\s*\\?[\"']?[a-z0-9_.@-]{0,64}['\"`]\s*\)*\s*(?:--|#|/\*)[\s-]*(?:\\?[\"&,}]|$)"
SQLX_BOOLEAN = (
    r"(?:^|['\"`)])\s*(?:or|and|xor|\|\||&&)\s+-?\d+\s*(?:(?:=|<>|!=|<=?|>=?|like)\s*-?\d+\s*)?(?:--|#|/\*|;\s*$)"
    r"|['\"`]\s*(?:or|and|xor)\s*['\"`]?\s*\d*['\"`]?\s*(?:=|<>|like)\s*['\"`]?\s*\d*['\"`]?\s*(?:--|#|/\*)"
    r"|" + B + r"(?:group\s+by|order\s+by)\s+[\w,\s]+\s+having\s+\d+\s*=\s*\d+"
)

# ------------------------------------------------------ Unix shell ---------------------------------------------
UNIX_STRONG = alt(
    r"whoami", r"uname", r"wget", r"curl", r"nc", r"ncat", r"netcat", r"socat", r"bash", r"sh", r"zsh", r"ksh",
    r"dash", r"csh", r"tcsh", r"python[23]?", r"perl", r"ruby", r"php", r"lua", r"node", r"nslookup", r"ifconfig",
    r"busybox", r"chmod", r"chown", r"crontab", r"useradd", r"usermod", r"nohup", r"xxd", r"telnet",
    r"tftp", r"mkfifo", r"printenv", r"hostname", r"sudo", r"id", r"pwd", r"ls", r"netstat", r"ss", r"lsof",
    r"passwd", r"getent", r"awk", r"gawk", r"openssl", r"scp", r"ssh", r"rm", r"dd", r"ncat",
)
UNIX_WEAK = alt(
    r"cat", r"more", r"less", r"find", r"head", r"tail", r"touch", r"kill", r"killall", r"sleep", r"ping",
    r"echo", r"printf", r"sort", r"file", r"time", r"date", r"which", r"who", r"w", r"last", r"dig", r"host",
    r"ip", r"ps", r"env", r"cp", r"mv", r"mkdir", r"grep", r"tac", r"nl", r"od", r"strings", r"uniq", r"cd",
)
UNIX_SEPARATOR = r"(?:;|\|\|?|&&|\$\(|`|\n)"
# A strong command after a separator, followed by an argument, a separator or the end of the value.
UNIX_SEP_STRONG = UNIX_SEPARATOR + r"\s*(?:/usr)?(?:/s?bin/)?" + UNIX_STRONG + r"(?:\s|$|[;|&<>`)},\]])"
# A command whose name is also an English word only counts with a shell-looking argument.
UNIX_SEP_WEAK = (
    UNIX_SEPARATOR + r"\s*(?:/usr)?(?:/s?bin/)?" + UNIX_WEAK
    + r"(?:\s+(?:-{1,2}[a-z0-9]|/|~|\$|\d|\.{1,2}/|[a-z0-9._-]+\.(?:txt|log|conf|sh|php|py|ini))|\s*$|\s*[;|&<>`)},\]])"
)
UNIX_VARS = (
    r"\$\{?ifs\b|\$\{?ifs\}|\$\{ifs%%|"
    r"(?:echo|printf|cat|ls|cd|expr)\s+\$\{?(?:home|path|shell|pwd|user|uid|euid|hostname|ifs|env|random|ppid|bash\w*|ld_\w+|term|lang|0)" + B
    + r"|\$\{(?:home|path|shell|ld_preload|bash_env|pwd)(?::[-=?+][^}]*)?\}"
)
UNIX_SHELLS = (
    r"/bin/(?:ba|z|k|da|c|tc)?sh" + B + r"|/usr/bin/(?:env|perl|python[23]?|php|ruby|nc|ncat|wget|curl|id|whoami)" + B
    + r"|/dev/(?:tcp|udp)/|" + B + r"(?:ba)?sh\s+-[ci]" + B + r"|" + B + r"nc(?:at)?\s+(?:-[a-z]*\s+)*-[a-z]*e\s"
    + r"|" + B + r"(?:python[23]?|perl|ruby|php)\s+-[cer]\s|" + B + r"(?:wget|curl)\s+(?:-[^\s]+\s+)*(?:https?|ftp)://[^\s]+\s*(?:\||;|&&|-o|-O)"
    + r"|\|\s*(?:ba|z|k|da)?sh" + B + r"\s*$|<\s*\(\s*(?:curl|wget)|/etc/(?:passwd|shadow|sudoers|group)" + B
    + r"|" + B + r"base64\s+(?:-d|--decode)" + B
)
# Paths spelled with glob characters in two segments (/???/c?t /e??/p?ss?d): only a shell expands them.
UNIX_GLOB = r"(?:^|[\s;|&=(`])/[a-z\[\]]{0,8}[?*][a-z?*\[\]]*/[a-z?*\[\]]*[?*]"
# A command at the start of a line. Only for query strings and headers: a raw line break there is always injected.
UNIX_NEWLINE = r"[\r\n]\s*(?:/usr)?(?:/s?bin/)?" + UNIX_STRONG + r"(?:\s|$|[;|&<>`])"

# --------------------------------------------------------- Windows ---------------------------------------------
WIN_STRONG = alt(
    r"cmd(?:\.exe)?", r"powershell(?:\.exe)?", r"pwsh", r"nslookup", r"whoami", r"ipconfig", r"systeminfo",
    r"tasklist", r"taskkill", r"certutil(?:\.exe)?", r"bitsadmin", r"wmic", r"rundll32", r"regsvr32", r"mshta",
    r"cscript", r"wscript", r"schtasks", r"netstat", r"msiexec", r"net\s+(?:user|localgroup|view|share|use|group)",
    r"reg(?:\.exe)?\s+(?:query|add|delete|save)", r"sc\s+(?:query|create|config|start)", r"vssadmin", r"bcdedit",
    r"wevtutil", r"icacls", r"takeown", r"nltest", r"dsquery", r"quser", r"qwinsta", r"hostname", r"ver",
)
WIN_WEAK = alt(r"dir", r"type", r"copy", r"del", r"ping", r"echo", r"set", r"start", r"timeout", r"find", r"findstr",
               r"more", r"move", r"ren", r"rd", r"md")
WIN_SEPARATOR = r"(?:&&?|\|\|?|;|%0a|\n)"
WIN_SEP_STRONG = WIN_SEPARATOR + r"\s*" + WIN_STRONG + r"(?:\s|$|[&|<>,;/])"
WIN_SEP_WEAK = (
    WIN_SEPARATOR + r"\s*" + WIN_WEAK
    + r"(?:\s+(?:/[a-z]|-[a-z]|[a-z]:\\|\\\\|%[a-z]+%|\d|\.\.?\\)|\s*$|\s*[&|<>])"
)
WIN_MARKERS = (
    r"" + B + r"cmd(?:\.exe)?\s*/[ck]\s|%(?:comspec|systemroot|windir|programfiles|userprofile|appdata|temp)%"
    r"|[a-z]:\\+windows\\+system32\\+\S*\.exe|\\\\[a-z0-9.-]+\\[a-z0-9$]+\\\S+\.(?:exe|dll|bat|ps1)"
    r"|" + B + r"(?:certutil(?:\.exe)?\s+(?:-|/)(?:urlcache|decode)|bitsadmin\s+/transfer|regsvr32\s+/s\s+/n\s+/u)"
)

# ------------------------------------------------------- PowerShell --------------------------------------------
POWERSHELL_LITERALS = [
    "invoke-expression", "invoke-webrequest", "invoke-restmethod", "invoke-command", "invoke-item", "invoke-wmimethod",
    "invoke-shellcode", "invoke-mimikatz", "new-object net.webclient", "new-object system.net.webclient",
    "net.webclient).download", ".downloadstring(", ".downloadfile(", ".downloaddata(", "start-bitstransfer",
    "[system.convert]::frombase64string", "[convert]::frombase64string", "[reflection.assembly]::load",
    "[system.reflection.assembly]::load", "set-mppreference", "add-mppreference", "-executionpolicy bypass",
    "-ep bypass", "-exec bypass", "-windowstyle hidden", "-encodedcommand", "start-process", "get-wmiobject win32_",
    "system.management.automation", "iex(", "iex (", "iwr ", "[text.encoding]::", "new-object -comobject",
]
POWERSHELL_REGEX = r"(?:^|[^a-z])(?:powershell|pwsh)(?:\.exe)?\s+(?:-[a-z]+\s+)*-(?:e|ec|enc|en|nop|noni|w|c|command|windowstyle|executionpolicy)" + B

# ------------------------------------------------------------ PHP -----------------------------------------------
PHP_SUPERGLOBALS = r"\$_(?:get|post|request|cookie|server|files|env|session)\s*\[|\$globals\s*\[|\$http_raw_post_data" + B
PHP_STRONG_FUNCS = (
    B + alt(
        r"fsockopen", r"pfsockopen", r"shell_exec", r"passthru", r"proc_open", r"pcntl_exec", r"popen",
        r"create_function", r"call_user_func(?:_array)?", r"gzinflate", r"gzuncompress", r"gzdecode", r"str_rot13",
        r"file_put_contents", r"move_uploaded_file", r"phpinfo", r"highlight_file", r"show_source", r"php_uname",
        r"posix_(?:getpwuid|getuid|setuid|kill|mkfifo)", r"ini_set", r"set_time_limit", r"stream_socket_client",
        r"assert", r"array_map", r"usort", r"register_shutdown_function", r"preg_replace_callback",
    ) + r"\s*\(\s*(?:\$|['\"]|base64_decode|str_rot13|gzinflate|\)|_(?:get|post|request))"
)
PHP_GENERIC_FUNCS = (
    B + alt(r"system", r"exec", r"eval", r"include(?:_once)?", r"require(?:_once)?", r"readfile", r"fopen",
            r"file_get_contents", r"unserialize", r"preg_replace", r"base64_decode", r"file")
    + r"\s*\(\s*(?:\$_|\$[a-z_]\w*\s*\[|base64_decode|gzinflate|str_rot13|['\"](?:id|whoami|uname|ls|cat|php://|/etc/|data:|https?://|ftp://)|\$\{)"
)
PHP_WRAPPERS = r"(?:php://(?:input|filter|fd|stdin|memory|temp)|phar://|expect://|zlib://|data://text/plain;base64|glob://)"
PHP_MISC = (
    r"(?:^|[=;{}\s'\"])o:\d+:\"[a-z_\\][\w\\]*\":\d+:\{"  # serialized PHP object
    r"|" + B + r"(?:allow_url_include|allow_url_fopen|auto_prepend_file|auto_append_file|disable_functions|open_basedir|safe_mode)\s*=\s*(?:on|1|off|0|[\"'/])"
    r"|<\?(?:php|=)\s*@?(?:\$|echo\s+\$|system|eval|passthru|exec|shell_exec|assert|include|require|file_put_contents|fwrite|`)"
    r"|(?:addtype|sethandler|addhandler)\s+application/x-httpd-php|php_(?:value|flag)\s+(?:auto_prepend_file|auto_append_file|engine)"
)
PHP_OPEN_TAG = r"<\?(?:php|=)"
# A parameter whose whole value names a PHP code-execution callback (ThinkPHP-style routing and callback injection).
PHP_CALLBACK_VALUE = (
    r"(?:^|[&?])[^=&]*=(?:call_user_func(?:_array)?|shell_exec|passthru|proc_open|popen|pcntl_exec|create_function"
    r"|phpinfo|assert|invokefunction)(?:&|$)|\\think\\(?:app|container|request)|/invokefunction(?:&|$)"
)

# ------------------------------------------------------- exploitable paths -------------------------------------
EXPLOITABLE_PATHS = [
    "/web-inf/", "/meta-inf/", "/web-inf\\", "/meta-inf\\", "/actuator/env", "/actuator/heapdump", "/actuator/jolokia",
    "/actuator/gateway/", "/actuator/threaddump", "/actuator/logfile", "/actuator/configprops", "/actuator/shutdown",
    "/actuator/restart", "/actuator/httptrace", "/actuator/mappings", "/jolokia/", "/invoker/jmxinvokerservlet",
    "/invoker/ejbinvokerservlet", "/jmx-console/", "/web-console/", "/wls-wsat/", "/_async/asyncresponseservice",
    "/uddiexplorer/", "/bea_wls_internal/", "/console/css/%2e", "/console/images/%2e", "/_ignition/execute-solution",
    "/vendor/phpunit/phpunit/src/util/php/eval-stdin.php", "/cgi-bin/.%2e/", "/cgi-bin/%2e%2e/", "/icons/.%2e/",
    "/struts2-showcase/", "/hnap1/", "/boaform/", "/setup.cgi", "/.aws/credentials", "/.docker/config.json",
    "/.kube/config", "/server-status", "/server-info", "/elmah.axd", "/trace.axd", "/telescope/requests",
    "/_profiler/phpinfo", "/debug/pprof/", "/debug/vars", "/nacos/v1/auth/users", "/druid/index.html",
    "/autodiscover/autodiscover.json", "/mgmt/tm/util/bash", "/remote/fgt_lang", "/dana-na/../",
    "/owa/auth/x.js", "/solr/admin/cores", "/api/jsonws/invoke", "/wp-content/debug.log", "/containers/json",
    "/v1/agent/service/register", "/cf_scripts/scripts/ajax/ckeditor/", "/.git/config", "/.git/head", "/.svn/entries",
    "/.svn/wc.db", "/.hg/hgrc", "/.env", "/.ds_store", "/docker-compose.yml", "/docker-compose.yaml", "/.htpasswd",
    "/phpinfo.php", "/info.php", "/.bash_history", "/id_rsa", "/.ssh/", "/.git/", "/.svn/", "/.hg/", "/.bzr/",
    "/.idea/", "/.vscode/", "/cvs/entries", "/sftp-config.json", "/config/database.yml", "/config/secrets.yml",
    "/config/master.key", "/config/credentials.yml.enc", "/app/etc/env.php", "/wp-config.php",
]

# -------------------------------------------------------- admin paths -----------------------------------------
ADMIN_ROOT = (
    r"^/+"
    + alt(r"admin(?:istrator|istration)?", r"_admin", r"backoffice", r"admincp", r"adminpanel", r"admin-panel",
          r"admin_area", r"controlpanel", r"siteadmin", r"cpanel", r"whm", r"webmin", r"plesk", r"console",
          r"admin-console", r"system/console", r"moderator", r"acp")
    + r"(?:$|[/?;.#])"
)
ADMIN_TOOLS = (
    r"(?:^|/)"
    + alt(r"phpmyadmin[\w.-]*", r"pma", r"myadmin", r"mysqladmin", r"sqlmanager", r"sqladmin", r"dbadmin",
          r"adminer(?:-[\d.]+)?(?:\.php)?", r"pgadmin\d*", r"phppgadmin", r"phpliteadmin(?:\.php)?",
          r"manager/html", r"manager/text", r"host-manager", r"jmx-console", r"web-console", r"axis2-admin",
          r"jenkins/script", r"script(?:text)?$", r"solr/admin", r"wp-admin", r"wp-login\.php", r"django-admin",
          r"_debugbar", r"telescope", r"admin\.php", r"administrator\.php", r"admin/config\.php",
          r"server-manager", r"hudson/script", r"druid/(?:index|login)\.html")
    + r"(?:$|[/?;.#])"
)

# ------------------------------------------------------------ bad bots -----------------------------------------
BAD_BOTS = [
    "nessus", "nmap", "nikto", "sqlmap", "masscan", "zgrab", "acunetix", "netsparker", "invicti", "w3af", "wpscan",
    "dirbuster", "gobuster", "feroxbuster", "ffuf", "wfuzz", "nuclei", "openvas", "arachni", "havij", "jaeles",
    "zmeu", "morfeus", "fimap", "jorgee", "commix", "xsstrike", "skipfish", "paros", "webinspect", "appscan",
    "burpcollaborator", "sqlninja", "pangolin", "brutus", "hydra", "medusa/", "dirb/", "dirb ", "whatweb",
    "wapiti", "vega/", "grabber", "bbqsql", "nuclei", "censysinspect", "leakix", "l9explore", "detectify",
    "internet-measurement", "fuzz faster u fool", "dirsearch", "hakrawler", "katana/", "xray/", "expanse", "zgrab", "netcraftsurvey", "owasp zap", "zaproxy", "x-scan", "jbrofuzz",
    "webshag", "uniscan", "black widow", "httrack", "interactsh", "crowdstrike", "qualys", "python-httpx/0",
]

# ---------------------------------------------------------- React RSC ------------------------------------------
# React Server Components/Flight references ("$1:x:y") that walk into the prototype chain (CVE-2025-55182).
REACT_RSC = (
    r"[\"']\$[@a-z]?[0-9a-f]*(?::[\w$]+)*:(?:__proto__|constructor|prototype)(?::|[\"'])"
    r"|[\"']_(?:response|prefix|formdata|chunks)[\"']\s*:\s*\{?\s*[\"']?[^\"']{0,20}(?:process\.mainmodule|child_process|require\s*\()"
)

# ---------------------------------------------------------------------------------------------------------------
# Groups.
# ---------------------------------------------------------------------------------------------------------------


def rule(name, label, statement, action="Block"):
    return {
        "Name": name,
        "Statement": statement,
        "Action": {action: {}},
        "RuleLabels": [{"Name": label}],
        "VisibilityConfig": {"SampledRequestsEnabled": True, "CloudWatchMetricsEnabled": True, "MetricName": name},
    }


def common_rule_set():
    lfi_q = [rx(LFI_TRAVERSAL_TWICE, QARGS, DEC2), rx(LFI_TRAVERSAL_TO_TARGET, QARGS, DEC2),
             rx(r"^\s*" + TRAVERSAL, QARGS, DEC2), rx(LFI_WRAPPERS, QARGS, DEC2), rx(LFI_WINDOWS_FILES, QARGS, DEC2),
             rx(LFI_ABSOLUTE, QARGS, DEC2)] + bms(OVERLONG, QARGS, LOWER)
    lfi_p = [rx(LFI_TRAVERSAL_TWICE, PATH, DEC2), rx(LFI_TRAVERSAL_TO_TARGET, PATH, DEC2),
             rx(r"(?:^|/)" + TRAVERSAL, PATH, DEC2), rx(LFI_WRAPPERS, PATH, DEC2),
             rx(LFI_ABSOLUTE, PATH, DEC2)] + bms(OVERLONG, PATH, LOWER)
    lfi_b = [rx(LFI_TRAVERSAL_TWICE, BODY, DEC), rx(LFI_TRAVERSAL_TO_TARGET, BODY, DEC),
             rx(LFI_WRAPPERS, BODY, DEC), rx(LFI_WINDOWS_FILES, BODY, DEC), rx(LFI_ABSOLUTE, BODY, DEC)]

    def ssrf(field, tt):
        return [rx(META_IP, field, tt), rx(META_PATHS, field, tt), rx(ODD_DIGIT_HOST, field, tt)]

    def rfi(field, tt, value_anchored):
        out = [rx(RFI_IP_URL, field, tt), rx(RFI_ATTACK_SCHEME, field, tt)]
        if value_anchored:
            out += [rx(RFI_INCLUDE_SUFFIX, field, tt), rx(RFI_UNC_VALUE, field, tt)]
        elif field == BODY:
            out += [rx(RFI_INCLUDE_SUFFIX_BODY, field, tt), rx(RFI_UNC_BODY, field, tt)]
        return out

    return [
        rule("NoUserAgent_HEADER", "NoUserAgent_Header", not_(size_gt(header("user-agent"), 0))),
        rule("UserAgent_BadBots_HEADER", "BadBots_Header", any_of(bms(BAD_BOTS, header("user-agent"), LOWER))),
        rule("SizeRestrictions_QUERYSTRING", "SizeRestrictions_QueryString", size_gt(QS, 2048)),
        rule("SizeRestrictions_Cookie_HEADER", "SizeRestrictions_Cookie_Header", size_gt(header("cookie"), 10240)),
        rule("SizeRestrictions_BODY", "SizeRestrictions_Body", size_gt({"Body": {"OversizeHandling": "MATCH"}}, 8192)),
        rule("SizeRestrictions_URIPATH", "SizeRestrictions_URIPath", size_gt(PATH, 1024)),
        rule("EC2MetaDataSSRF_BODY", "EC2MetaDataSSRF_Body", any_of(ssrf(BODY, BODYJS))),
        rule("EC2MetaDataSSRF_COOKIE", "EC2MetaDataSSRF_Cookie", any_of(ssrf(COOKIES, DEC2))),
        rule("EC2MetaDataSSRF_URIPATH", "EC2MetaDataSSRF_URIPath", any_of(ssrf(PATH, DEC2))),
        rule("EC2MetaDataSSRF_QUERYARGUMENTS", "EC2MetaDataSSRF_QueryArguments", any_of(ssrf(QARGS, DEC2))),
        rule("GenericLFI_QUERYARGUMENTS", "GenericLFI_QueryArguments", any_of(lfi_q)),
        rule("GenericLFI_URIPATH", "GenericLFI_URIPath", any_of(lfi_p)),
        rule("GenericLFI_BODY", "GenericLFI_Body", any_of(lfi_b)),
        rule("RestrictedExtensions_URIPATH", "RestrictedExtensions_URIPath",
             any_of(rx(EXT_END_PATH, PATH, DEC2), rx(BACKUP_PATH, PATH, DEC2))),
        rule("RestrictedExtensions_QUERYARGUMENTS", "RestrictedExtensions_QueryArguments",
             rx(EXT_END_VALUE, QARGS, DEC2)),
        rule("GenericRFI_QUERYARGUMENTS", "GenericRFI_QueryArguments", any_of(rfi(QARGS, DEC2, True))),
        rule("GenericRFI_BODY", "GenericRFI_Body", any_of(rfi(BODY, BODYJS, False))),
        rule("GenericRFI_URIPATH", "GenericRFI_URIPath", any_of(rfi(PATH, DEC2, False))),
        rule("CrossSiteScripting_COOKIE", "CrossSiteScripting_Cookie", xss_rule(COOKIES)),
        rule("CrossSiteScripting_QUERYARGUMENTS", "CrossSiteScripting_QueryArguments", xss_rule(QARGS)),
        rule("CrossSiteScripting_BODY", "CrossSiteScripting_Body", xss_rule(BODY)),
        rule("CrossSiteScripting_URIPATH", "CrossSiteScripting_URIPath", xss_rule(PATH)),
    ]


def sqli_rule_set():
    def ext(field, tt):
        out = [rx(SQLX_TIME, field, tt), rx(SQLX_FUNCS, field, tt), rx(SQLX_CATALOG, field, tt),
               rx(SQLX_PROCS, field, tt), rx(SQLX_SYNTAX, field, tt), rx(SQLX_BOOLEAN, field, tt),
               rx(SQLX_BLIND, field, tt), rx(SQLX_STACKED, field, tt)]
        if field == QARGS:
            out.append(rx(SQLX_NUMERIC_PROBE, field, tt))
        if field == BODY:
            out.append(rx(SQLX_BODY_TRUNCATION, field, tt))
        return out

    return [
        rule("SQLi_QUERYARGUMENTS", "SQLi_QueryArguments", sqli(QARGS, DEC2)),
        rule("SQLiExtendedPatterns_QUERYARGUMENTS", "SQLiExtendedPatterns_QueryArguments", any_of(ext(QARGS, DEC2))),
        rule("SQLi_BODY", "SQLi_Body", sqli(BODY, BODYJS)),
        rule("SQLiExtendedPatterns_BODY", "SQLiExtendedPatterns_Body", any_of(ext(BODY, BODYJS))),
        rule("SQLiExtendedPatterns_HEADER", "SQLiExtendedPatterns_Header",
             any_of(sqli(CLIENT_HEADER_FIELD, DEC), ext(CLIENT_HEADER_FIELD, DEC))),
        rule("SQLiExtendedPatterns_URIPATH", "SQLiExtendedPatterns_UriPath", any_of(ext(PATH, DEC2))),
        rule("SQLi_COOKIE", "SQLi_Cookie", sqli(COOKIES, DEC2)),
        rule("SQLi_URIPATH", "SQLi_URIPath", sqli(PATH, DEC2)),
    ]


def known_bad_inputs():
    def java(field, tt):
        return [rx(JAVA_SERIAL, field, tt), rx(JAVA_EXPR, field, tt), rx(JAVA_TYPED_JSON, field, tt)] + bms(
            JAVA_GADGETS, field, tt)

    return [
        rule("JavaDeserializationRCE_HEADER", "JavaDeserializationRCE_Header", any_of(java(HEADERS, DEC))),
        rule("JavaDeserializationRCE_BODY", "JavaDeserializationRCE_Body", any_of(java(BODY, BODYJS))),
        rule("JavaDeserializationRCE_URIPATH", "JavaDeserializationRCE_URIPath", any_of(java(PATH, DEC2))),
        rule("JavaDeserializationRCE_QUERYSTRING", "JavaDeserializationRCE_QueryString", any_of(java(QS, DEC))),
        rule("Host_localhost_HEADER", "Host_Localhost_Header",
             rx(r"^\s*(?:localhost(?:\.localdomain)?|127(?:\.\d{1,3}){3}|127\.1|0\.0\.0\.0|0|\[(?:0*:)*:?0*1\]"
                r"|\[::ffff:127(?:\.\d{1,3}){3}\]|2130706433|0x7f0{0,5}1)\.?\s*(?::\d*)?\s*$", header("host"), LOWER)),
        rule("PROPFIND_METHOD", "Propfind_Method", bm("PROPFIND", METHOD, chain("UPPERCASE"), "EXACTLY")),
        rule("ExploitablePaths_URIPATH", "ExploitablePaths_URIPath", any_of(bms(EXPLOITABLE_PATHS, PATH, DEC2))),
        rule("Log4JRCE_HEADER", "Log4JRCE_Header", rx(LOG4J, HEADERS, DEC)),
        rule("Log4JRCE_QUERYSTRING", "Log4JRCE_QueryString", rx(LOG4J, QS, DEC)),
        rule("Log4JRCE_BODY", "Log4JRCE_Body", rx(LOG4J, BODY, BODYJS)),
        rule("Log4JRCE_URIPATH", "Log4JRCE_URIPath", rx(LOG4J, PATH, DEC2)),
        rule("ReactJSRCE_BODY", "ReactJSRCE_Body", rx(REACT_RSC, BODY, BODYJS)),
    ]


def linux():
    s2 = r"[/\\]+"  # inner separators (the first one after etc/proc/... tolerates /./)
    files = (
        r"(?:^|[^a-z0-9_.-])(?:etc" + SEP + alt(
            r"passwd", r"shadow", r"gshadow", r"group", r"sudoers", r"hosts", r"hostname", r"issue", r"os-release",
            r"lsb-release", r"crontab", r"cron\.d", r"fstab", r"motd", r"resolv\.conf", r"ssh" + s2 + r"ssh_host",
            r"mysql" + s2 + r"my\.cnf", r"nginx" + s2 + r"nginx\.conf", r"apache2" + s2 + r"apache2\.conf",
            r"httpd" + s2 + r"conf", r"environment", r"machine-id", r"profile", r"bash\.bashrc", r"security" + s2,
            r"network" + s2 + r"interfaces", r"netplan", r"redhat-release", r"debian_version", r"alpine-release",
            r"ld\.so\.preload", r"inittab", r"exports", r"aliases",
        ) + r")"
    )
    procs = (
        r"(?:^|[^a-z0-9_.-])(?:proc" + SEP + alt(
            r"(?:self|thread-self|\d+)" + SEP + alt(r"environ", r"cmdline", r"maps", r"fd", r"status", r"mem",
                                                   r"cwd", r"exe", r"root", r"mountinfo", r"mounts", r"stat",
                                                   r"auxv", r"limits", r"net"),
            r"version", r"cpuinfo", r"meminfo", r"mounts", r"net" + SEP + alt(r"tcp6?", r"udp", r"arp", r"route",
                                                                              r"fib_trie"),
            r"sched_debug", r"kallsyms", r"config\.gz", r"partitions", r"modules", r"filesystems",
        ) + r")"
    )
    others = (
        r"(?:^|[^a-z0-9_.-])var" + SEP + alt(r"log" + s2 + alt(r"auth\.log", r"syslog", r"messages", r"secure",
                                                              r"apache2", r"nginx", r"httpd", r"mail\.log",
                                                              r"lastlog", r"wtmp", r"btmp"),
                                           r"run" + s2 + r"secrets" + s2 + r"kubernetes\.io",
                                           r"lib" + s2 + r"mysql", r"spool" + s2 + r"cron", r"mail" + s2)
        + r"|(?:^|[^a-z0-9_.-])(?:sys" + SEP + r"(?:class|kernel|firmware)" + s2
        + r"|boot" + SEP + r"(?:grub|vmlinuz|config-)|dev" + SEP + r"(?:shm|mem|kmem|port)" + r"(?:$|[/\\])"
        + r"|usr" + SEP + r"local" + s2 + r"etc" + s2 + r")"
    )
    keys = (
        r"(?:^|[^a-z0-9_.-])(?:root|home" + SEP + r"[^/\\]+)" + SEP + r"\.(?:ssh|bash_history|aws|docker|kube|gnupg)"
        + r"|[/\\]\.ssh" + s2 + r"(?:id_(?:rsa|dsa|ecdsa|ed25519)|authorized_keys|known_hosts)"
    )

    def lfi(field):
        tt = dec(field)
        return any_of([rx(files, field, tt), rx(procs, field, tt), rx(others, field, tt), rx(keys, field, tt)])

    return [
        rule("LFI_URIPATH", "LFI_URIPath", lfi(PATH)),
        rule("LFI_QUERYSTRING", "LFI_QueryString", lfi(QS)),
        rule("LFI_HEADER", "LFI_Header", lfi(HEADERS)),
    ]


def unix():
    def cmds(field):
        out = [rx(UNIX_SEP_STRONG, field, UNIXCMD), rx(UNIX_SEP_WEAK, field, UNIXCMD),
               rx(UNIX_VARS, field, UNIXCMD), rx(UNIX_SHELLS, field, UNIXCMD), rx(UNIX_GLOB, field, UNIXCMD)]
        if field != BODY:
            out.append(rx(UNIX_NEWLINE, field, DEC))
        return any_of(out)

    return [
        rule("UNIXShellCommandsVariables_QUERYSTRING", "UNIXShellCommandsVariables_QueryString", cmds(QS)),
        rule("UNIXShellCommandsVariables_BODY", "UNIXShellCommandsVariables_Body", cmds(BODY)),
        rule("UNIXShellCommandsVariables_HEADER", "UNIXShellCommandsVariables_Header", cmds(HEADERS)),
    ]


def windows():
    def cmds(field):
        return any_of([rx(WIN_SEP_STRONG, field, WINCMD), rx(WIN_SEP_WEAK, field, WINCMD),
                       rx(WIN_MARKERS, field, WINCMD)])

    def ps(field, tt):
        return any_of(bms(POWERSHELL_LITERALS, field, tt), rx(POWERSHELL_REGEX, field, tt))

    return [
        rule("WindowsShellCommands_HEADER", "WindowsShellCommands_Header", cmds(HEADERS)),
        rule("WindowsShellCommands_QUERYARGUMENTS", "WindowsShellCommands_QueryArguments", cmds(QARGS)),
        rule("WindowsShellCommands_QUERYSTRING", "WindowsShellCommands_QueryString", cmds(QS)),
        rule("WindowsShellCommands_URIPATH", "WindowsShellCommands_UriPath", cmds(PATH)),
        rule("WindowsShellCommands_BODY", "WindowsShellCommands_Body", cmds(BODY)),
        rule("PowerShellCommands_COOKIE", "PowerShellCommands_Cookie", ps(COOKIES, DEC2)),
        rule("PowerShellCommands_QUERYARGUMENTS", "PowerShellCommands_QueryArguments", ps(QARGS, DEC2)),
        rule("PowerShellCommands_BODY", "PowerShellCommands_Body", ps(BODY, BODYJS)),
    ]


def php():
    def stmts(field, tt, open_tag):
        out = [rx(PHP_SUPERGLOBALS, field, tt), rx(PHP_STRONG_FUNCS, field, tt), rx(PHP_GENERIC_FUNCS, field, tt),
               rx(PHP_WRAPPERS, field, tt), rx(PHP_MISC, field, tt)]
        if open_tag:
            out.append(rx(PHP_OPEN_TAG, field, tt))
        if field in (QS, BODY):
            out.append(rx(PHP_CALLBACK_VALUE, field, tt))
        return any_of(out)

    return [
        rule("PHPHighRiskMethodsVariables_HEADER", "PHPHighRiskMethodsVariables_Header", stmts(HEADERS, DEC, True)),
        rule("PHPHighRiskMethodsVariables_QUERYSTRING", "PHPHighRiskMethodsVariables_QueryString",
             stmts(QS, DEC, True)),
        rule("PHPHighRiskMethodsVariables_BODY", "PHPHighRiskMethodsVariables_Body", stmts(BODY, BODYJS, False)),
        rule("PHPHighRiskMethodsVariables_URIPATH", "PHPHighRiskMethodsVariables_URIPath", stmts(PATH, DEC2, True)),
    ]


def admin_protection():
    return [rule("AdminProtection_URIPATH", "AdminProtection_URIPath", any_of(rx(ADMIN_ROOT, PATH, DEC2),
                                                                              rx(ADMIN_TOOLS, PATH, DEC2)))]


# IP sets: one IPv4 and one IPv6 set per list, shipped empty (rules/aws/ipsets/), replaced by the operator.
IPSET_ACCOUNT = "arn:aws:wafv2:us-east-1:000000000000:regional/ipset"


def ipset_arn(name, version):
    return f"{IPSET_ACCOUNT}/{name}-{version}/{uid('ipset/' + name + version)}"


IP_LISTS = [
    ("AWSManagedIPReputationList", "Block",
     "Addresses identified as sources of malicious traffic (bots, scanners, exploitation)."),
    ("AWSManagedReconnaissanceList", "Block", "Addresses that perform reconnaissance against web applications."),
    ("AWSManagedIPDDoSList", "Count", "Addresses identified as actively taking part in DDoS attacks."),
]


def ip_reputation():
    return [
        rule(name, name, any_of(ipset(ipset_arn(name, "IPV4")), ipset(ipset_arn(name, "IPV6"))), action)
        for name, action, _ in IP_LISTS
    ]


def uid(name):
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "moat:waf:managed:" + name))


GROUPS = [
    ("AWSManagedRulesCommonRuleSet", "core-rule-set", 700,
     "Core rule set: generally applicable protections (bad bots, size limits, EC2 metadata SSRF, LFI, RFI, "
     "restricted extensions, XSS).", common_rule_set),
    ("AWSManagedRulesSQLiRuleSet", "sql-database", 200,
     "SQL database: SQL injection in query arguments, body, cookies, URI path and client headers.", sqli_rule_set),
    ("AWSManagedRulesKnownBadInputsRuleSet", "known-bad-inputs", 200,
     "Known bad inputs: Java deserialization and expression-language RCE, Log4j lookups, localhost Host, PROPFIND, "
     "exploitable paths, React Server Components RCE.", known_bad_inputs),
    ("AWSManagedRulesLinuxRuleSet", "linux-os", 200,
     "Linux operating system: Linux-specific local file inclusion (/etc, /proc, /var, key files).", linux),
    ("AWSManagedRulesUnixRuleSet", "posix-os", 100,
     "POSIX operating system: shell command injection and shell variables.", unix),
    ("AWSManagedRulesWindowsRuleSet", "windows-os", 200,
     "Windows operating system: cmd.exe and PowerShell command injection.", windows),
    ("AWSManagedRulesPHPRuleSet", "php-app", 100,
     "PHP application: PHP code injection (high-risk functions, superglobals, stream wrappers, object injection).",
     php),
    ("AWSManagedRulesAdminProtectionRuleSet", "admin-protection", 100,
     "Admin protection: URI paths reserved for administration of web servers and applications.", admin_protection),
    ("AWSManagedRulesAmazonIpReputationList", "amazon-ip-list", 25,
     "Amazon IP reputation list: source addresses from operator-supplied IP sets (shipped empty; see "
     "docs/waf-managed-rules.md).", ip_reputation),
]

NOTICE = (" Moat's own rules under AWS's rule names and labels; the patterns are Moat's, not AWS's "
          "(docs/waf-managed-rules.md).")


def group_json(name, namespace, capacity, description, build):
    rules = build()
    for i, r in enumerate(rules):
        r_ordered = {"Name": r["Name"], "Priority": i}
        r_ordered.update({k: v for k, v in r.items() if k != "Name"})
        rules[i] = r_ordered
    ns = f"awswaf:managed:aws:{namespace}:"
    gid = uid(name)
    doc = {
        "RuleGroup": {
            "Name": name,
            "Id": gid,
            "ARN": f"arn:aws:wafv2:us-east-1:000000000000:regional/rulegroup/{name}/{gid}",
            "Capacity": capacity,
            "Description": description + NOTICE,
            "Rules": rules,
            "VisibilityConfig": {"SampledRequestsEnabled": True, "CloudWatchMetricsEnabled": True, "MetricName": name},
            "LabelNamespace": ns,
            "AvailableLabels": [{"Name": ns + r["RuleLabels"][0]["Name"]} for r in rules],
        }
    }
    return json.dumps(doc, indent=2, ensure_ascii=True) + "\n"


def ipset_json(name, version, description):
    arn = ipset_arn(name, version)
    doc = {
        "IPSet": {
            "Name": f"{name}-{version}",
            "Id": arn.rsplit("/", 1)[1],
            "ARN": arn,
            "Description": description + " Shipped empty: replace Addresses with your list (CIDR strings).",
            "IPAddressVersion": version,
            "Addresses": [],
        }
    }
    return json.dumps(doc, indent=2) + "\n"


def outputs():
    files = {}
    for g in GROUPS:
        files[OUT / f"{g[0]}.json"] = group_json(*g)
    for name, _, desc in IP_LISTS:
        for version in ("IPV4", "IPV6"):
            files[OUT / "ipsets" / f"{name}-{version}.json"] = ipset_json(name, version, desc)
    return files


def main():
    check = "--check" in sys.argv[1:]
    only = [a for a in sys.argv[1:] if not a.startswith("--")]
    bad = 0
    for path, text in outputs().items():
        if only and not any(o in path.name for o in only):
            continue
        if check:
            if not path.exists() or path.read_text() != text:
                print(f"differs: {path.relative_to(ROOT)}")
                bad = 1
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
            print(f"wrote {path.relative_to(ROOT)}")
    sys.exit(bad)


if __name__ == "__main__":
    main()
