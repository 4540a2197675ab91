//! Whole-ACL evaluation: a GET with browser headers, a 1.5 KB JSON POST and a 64 KB JSON POST, each against
//! that ten-rule managed group alone (`engine_10_rules`), a 30-rule WebACL (ten of its rules in that group;
//! `engine_30_rules`) and against every
//! AWS-named managed rule group Moat ships (`examples/waf/all-managed.json`, `engine_all_managed`: the WebACL
//! `benches/load.sh` runs). `cargo bench -p moat-waf --bench engine`.

// `criterion_group!` generates an undocumented public function.
#![allow(missing_docs)]

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use moat_waf::{Action, Header, HttpRequest, Resources, WebAcl};

fn bm(name: &str, b64: &str, field: &str, tt: &str, pc: &str, action: &str, prio: usize) -> String {
    format!(
        r#"{{"Name":"{name}","Priority":{prio},"Action":{{"{action}":{{}}}},"RuleLabels":[{{"Name":"l:{name}"}}],
        "Statement":{{"ByteMatchStatement":{{"SearchString":"{b64}","FieldToMatch":{field},
        "TextTransformations":[{tt}],"PositionalConstraint":"{pc}"}}}}}}"#
    )
}

const LOWER: &str = r#"{"Priority":0,"Type":"URL_DECODE"},{"Priority":1,"Type":"LOWERCASE"}"#;
const NONE: &str = r#"{"Priority":0,"Type":"NONE"}"#;
const UA: &str = r#"{"SingleHeader":{"Name":"user-agent"}}"#;
const JSON_ALL: &str = r#"{"JsonBody":{"MatchPattern":{"All":{}},"MatchScope":"VALUE","OversizeHandling":"CONTINUE"}}"#;

fn acl_text() -> String {
    let mut rules = vec![
        r#"{"Name":"ip-block","Priority":0,"Action":{"Block":{}},"Statement":{"IPSetReferenceStatement":{"ARN":"bad-ips"}}}"#.to_owned(),
        bm("wp-admin", "d3AtYWRtaW4=", r#"{"UriPath":{}}"#, LOWER, "CONTAINS", "Block", 1),
        bm("php", "LnBocA==", r#"{"UriPath":{}}"#, LOWER, "ENDS_WITH", "Block", 2),
        bm("git", "Ly5naXQ=", r#"{"UriPath":{}}"#, LOWER, "CONTAINS", "Block", 3),
        bm("env", "Ly5lbnY=", r#"{"UriPath":{}}"#, LOWER, "CONTAINS", "Block", 4),
        bm("curl", "Y3VybA==", UA, LOWER, "CONTAINS_WORD", "Count", 5),
        bm("sqlmap", "c3FsbWFw", UA, LOWER, "CONTAINS", "Block", 6),
        bm("nikto", "bmlrdG8=", UA, LOWER, "CONTAINS", "Block", 7),
        bm("admin-q", "YWRtaW4=", r#"{"QueryString":{}}"#, LOWER, "CONTAINS_WORD", "Count", 8),
        bm("passwd", "L2V0Yy9wYXNzd2Q=", r#"{"Body":{"OversizeHandling":"CONTINUE"}}"#, LOWER, "CONTAINS", "Block", 9),
        bm("shell", "L2Jpbi9zaA==", JSON_ALL, NONE, "CONTAINS", "Block", 10),
    ];
    rules.push(r#"{"Name":"scanners","Priority":11,"Action":{"Block":{}},"Statement":{"RegexPatternSetReferenceStatement":{"ARN":"scanners",
        "FieldToMatch":{"SingleHeader":{"Name":"user-agent"}},"TextTransformations":[{"Priority":0,"Type":"LOWERCASE"}]}}}"#.to_owned());
    rules.push(r#"{"Name":"traversal","Priority":12,"Action":{"Block":{}},"Statement":{"RegexMatchStatement":{"RegexString":"(?:\\.\\./|\\.\\.\\\\)",
        "FieldToMatch":{"UriPath":{}},"TextTransformations":[{"Priority":0,"Type":"URL_DECODE"}]}}}"#.to_owned());
    rules.push(r#"{"Name":"sqli-args","Priority":13,"Action":{"Block":{}},"Statement":{"SqliMatchStatement":{"FieldToMatch":{"AllQueryArguments":{}},
        "TextTransformations":[{"Priority":0,"Type":"URL_DECODE"},{"Priority":1,"Type":"HTML_ENTITY_DECODE"}]}}}"#.to_owned());
    rules.push(
        r#"{"Name":"sqli-json","Priority":14,"Action":{"Block":{}},"Statement":{"SqliMatchStatement":{"FieldToMatch":"#
            .to_owned()
            + JSON_ALL
            + r#","TextTransformations":[{"Priority":0,"Type":"NONE"}]}}}"#,
    );
    rules.push(r#"{"Name":"xss-args","Priority":15,"Action":{"Block":{}},"Statement":{"XssMatchStatement":{"FieldToMatch":{"AllQueryArguments":{}},
        "TextTransformations":[{"Priority":0,"Type":"URL_DECODE"},{"Priority":1,"Type":"HTML_ENTITY_DECODE"}]}}}"#.to_owned());
    rules.push(
        r#"{"Name":"xss-json","Priority":16,"Action":{"Block":{}},"Statement":{"XssMatchStatement":{"FieldToMatch":"#
            .to_owned()
            + JSON_ALL
            + r#","TextTransformations":[{"Priority":0,"Type":"NONE"}]}}}"#,
    );
    rules.push(r#"{"Name":"big-query","Priority":17,"Action":{"Block":{}},"Statement":{"SizeConstraintStatement":{"FieldToMatch":{"QueryString":{}},
        "ComparisonOperator":"GT","Size":2048,"TextTransformations":[{"Priority":0,"Type":"NONE"}]}}}"#.to_owned());
    rules.push(r#"{"Name":"cookie-size","Priority":18,"Action":{"Block":{}},"Statement":{"SizeConstraintStatement":{"FieldToMatch":{"Cookies":{"MatchPattern":{"All":{}},"MatchScope":"VALUE","OversizeHandling":"MATCH"}},
        "ComparisonOperator":"GT","Size":4096,"TextTransformations":[{"Priority":0,"Type":"NONE"}]}}}"#.to_owned());
    rules.push(r#"{"Name":"labelled","Priority":19,"Action":{"Block":{}},"Statement":{"AndStatement":{"Statements":[
        {"LabelMatchStatement":{"Scope":"LABEL","Key":"l:curl"}},{"LabelMatchStatement":{"Scope":"LABEL","Key":"l:admin-q"}}]}}}"#.to_owned());
    rules.push(r#"{"Name":"managed","Priority":20,"OverrideAction":{"None":{}},"Statement":{"ManagedRuleGroupStatement":{"VendorName":"Moat","Name":"Core",
        "ExcludedRules":[{"Name":"c-size-body"}]}}}"#.to_owned());
    format!(
        r#"{{"Name":"bench","DefaultAction":{{"Allow":{{}}}},"Rules":[{}],
        "AssociationConfig":{{"RequestBody":{{"API_GATEWAY":{{"DefaultSizeInspectionLimit":"KB_64"}}}}}}}}"#,
        rules.join(",")
    )
}

/// The ten rules of the managed group alone (`engine_10_rules`), with the 30-rule WebACL's body limit.
fn acl_10_text() -> String {
    r#"{"Name":"bench-10","DefaultAction":{"Allow":{}},"Rules":[
        {"Name":"managed","Priority":0,"OverrideAction":{"None":{}},"Statement":{"ManagedRuleGroupStatement":{"VendorName":"Moat","Name":"Core",
        "ExcludedRules":[{"Name":"c-size-body"}]}}}],
        "AssociationConfig":{"RequestBody":{"API_GATEWAY":{"DefaultSizeInspectionLimit":"KB_64"}}}}"#
        .to_owned()
}

fn group_text() -> String {
    let rules = [
        r#"{"Name":"c-no-ua","Priority":0,"Action":{"Block":{}},"Statement":{"NotStatement":{"Statement":{"SizeConstraintStatement":{"FieldToMatch":{"SingleHeader":{"Name":"user-agent"}},"ComparisonOperator":"GE","Size":0,"TextTransformations":[{"Priority":0,"Type":"NONE"}]}}}}}"#,
        r#"{"Name":"c-size-body","Priority":1,"Action":{"Block":{}},"Statement":{"SizeConstraintStatement":{"FieldToMatch":{"Body":{"OversizeHandling":"MATCH"}},"ComparisonOperator":"GT","Size":8192,"TextTransformations":[{"Priority":0,"Type":"NONE"}]}}}"#,
        r#"{"Name":"c-lfi","Priority":2,"Action":{"Block":{}},"Statement":{"ByteMatchStatement":{"SearchString":"Li4v","FieldToMatch":{"QueryString":{}},"TextTransformations":[{"Priority":0,"Type":"URL_DECODE_UNI"}],"PositionalConstraint":"CONTAINS"}}}"#,
        r#"{"Name":"c-rfi","Priority":3,"Action":{"Block":{}},"Statement":{"RegexMatchStatement":{"RegexString":"=(?:https?|ftp)://","FieldToMatch":{"QueryString":{}},"TextTransformations":[{"Priority":0,"Type":"URL_DECODE_UNI"}]}}}"#,
        r#"{"Name":"c-xss-body","Priority":4,"Action":{"Block":{}},"Statement":{"XssMatchStatement":{"FieldToMatch":{"Body":{"OversizeHandling":"CONTINUE"}},"TextTransformations":[{"Priority":0,"Type":"HTML_ENTITY_DECODE"}]}}}"#,
        r#"{"Name":"c-xss-cookie","Priority":5,"Action":{"Block":{}},"Statement":{"XssMatchStatement":{"FieldToMatch":{"Cookies":{"MatchPattern":{"All":{}},"MatchScope":"ALL","OversizeHandling":"CONTINUE"}},"TextTransformations":[{"Priority":0,"Type":"URL_DECODE"}]}}}"#,
        r#"{"Name":"c-sqli-body","Priority":6,"Action":{"Block":{}},"Statement":{"SqliMatchStatement":{"FieldToMatch":{"Body":{"OversizeHandling":"CONTINUE"}},"TextTransformations":[{"Priority":0,"Type":"URL_DECODE"}]}}}"#,
        r#"{"Name":"c-sqli-cookie","Priority":7,"Action":{"Block":{}},"Statement":{"SqliMatchStatement":{"FieldToMatch":{"Cookies":{"MatchPattern":{"All":{}},"MatchScope":"VALUE","OversizeHandling":"CONTINUE"}},"TextTransformations":[{"Priority":0,"Type":"URL_DECODE"}]}}}"#,
        r#"{"Name":"c-restricted-ext","Priority":8,"Action":{"Block":{}},"Statement":{"RegexMatchStatement":{"RegexString":"\\.(?:bak|config|sql|ini|log|old)$","FieldToMatch":{"UriPath":{}},"TextTransformations":[{"Priority":0,"Type":"LOWERCASE"}]}}}"#,
        r#"{"Name":"c-ec2-meta","Priority":9,"Action":{"Block":{}},"Statement":{"ByteMatchStatement":{"SearchString":"MTY5LjI1NC4xNjkuMjU0","FieldToMatch":{"AllQueryArguments":{}},"TextTransformations":[{"Priority":0,"Type":"URL_DECODE"}],"PositionalConstraint":"CONTAINS"}}}"#,
    ];
    format!(
        r#"{{"Name":"Core","LabelNamespace":"awswaf:managed:moat:core:","Rules":[{}]}}"#,
        rules.join(",")
    )
}

fn json_body(target: usize) -> Vec<u8> {
    let mut body = String::from(
        r#"{"order":{"id":"ORD-2024-000123","customer":{"name":"Patrick O'Brien","email":"patrick.obrien@example.com","address":{"line1":"12 Union Street","city":"Springfield","zip":"90210"}},"items":["#,
    );
    let mut i = 0;
    while body.len() + 200 < target {
        body.push_str(&format!(
            r#"{{"sku":"SKU-{i:05}-XL","title":"Select Comfort mattress, size {i}","qty":{},"price":{}.99,"note":"don't drop it -- fragile"}},"#,
            i % 7 + 1,
            10 * i + 9
        ));
        i += 1;
    }
    body.pop();
    body.push_str(r#"],"notes":"Please deliver after 5pm; ring twice.","gift":true}}"#);
    while body.len() < target {
        body.insert(body.len() - 2, ' ');
    }
    body.into_bytes()
}

/// A JSON order shaped like `benches/load.sh`'s POST body (`../shared/bench/order.json`: these 1,506 bytes and a newline, with
/// 20 items), with `items` items.
fn order_body(items: usize) -> Vec<u8> {
    let list: Vec<String> = (0..items)
        .map(|i| {
            format!(
                r#"{{"sku": "SKU-{i:04}", "qty": {}, "note": "gift wrap please, thanks!"}}"#,
                i % 5 + 1
            )
        })
        .collect();
    format!(
        r#"{{"order": {{"id": 12345, "customer": "jane.doe@example.com", "items": [{}], "address": {{"street": "1 Main St", "city": "Springfield", "zip": "12345"}}}}}}"#,
        list.join(", ")
    )
    .into_bytes()
}

/// `examples/waf/all-managed.json`; with `kb_64`, inspecting 64 KB of body and with the Common rule set's
/// `SizeRestrictions_BODY` (bodies over 8 KB) excluded, so that a 64 KB body runs through every rule.
fn all_managed(kb_64: bool) -> WebAcl {
    let mut res = Resources::new("111122223333", "us-east-1");
    moat_waf::managed::register_builtin(&mut res).expect("managed groups");
    let text = include_str!("../../examples/waf/all-managed.json");
    if !kb_64 {
        return WebAcl::load(text, &res).expect("all-managed");
    }
    let mut doc: serde_json::Value = serde_json::from_str(text).expect("json");
    let acl = &mut doc["WebACL"];
    acl["AssociationConfig"] =
        serde_json::json!({"RequestBody": {"API_GATEWAY": {"DefaultSizeInspectionLimit": "KB_64"}}});
    if let Some(rules) = acl["Rules"].as_array_mut() {
        for rule in rules {
            let group = &mut rule["Statement"]["ManagedRuleGroupStatement"];
            if group["Name"] == "AWSManagedRulesCommonRuleSet" {
                group["ExcludedRules"] = serde_json::json!([{"Name": "SizeRestrictions_BODY"}]);
            }
        }
    }
    WebAcl::load(&doc.to_string(), &res).expect("all-managed, 64 KB")
}

fn bench_all_managed(c: &mut Criterion) {
    let acl = all_managed(false);
    let acl_64 = all_managed(true);
    let agent: &[u8] =
        b"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36";
    // What benches/load.sh sends (wrk adds Host; curl-like clients the rest).
    let get_headers = [
        Header {
            name: "host",
            value: b"api.example.com",
        },
        Header {
            name: "user-agent",
            value: agent,
        },
        Header {
            name: "accept",
            value: b"application/json",
        },
    ];
    let mut post_headers = get_headers.to_vec();
    post_headers.push(Header {
        name: "content-type",
        value: b"application/json",
    });
    let get = HttpRequest {
        client_ip: "192.0.2.44".parse().expect("ip"),
        method: "GET",
        uri_path: "/products/42",
        query_string: "color=red",
        http_version: "HTTP/1.1",
        headers: &get_headers,
        body: b"",
        body_size: 0,
        now_ms: 0,
    };
    let small: &'static [u8] = Box::leak(order_body(20).into_boxed_slice());
    let large: &'static [u8] = Box::leak(order_body(940).into_boxed_slice());
    let post = |body: &'static [u8]| HttpRequest {
        method: "POST",
        uri_path: "/orders",
        query_string: "",
        body,
        body_size: body.len() as u64,
        headers: &post_headers,
        ..get
    };
    let cases = [
        ("get", &acl, get, 0usize),
        ("post_json_1506B", &acl, post(small), small.len()),
        ("post_json_64KB", &acl_64, post(large), large.len()),
    ];
    bench_group(c, "engine_all_managed", &cases);
}

/// One criterion group: each case (name, WebACL, request, body bytes) is evaluated against its WebACL,
/// which must allow it, with throughput in body bytes (or requests, for a body-less case).
fn bench_group(c: &mut Criterion, group: &str, cases: &[(&str, &WebAcl, HttpRequest<'_>, usize)]) {
    let mut g = c.benchmark_group(group);
    for &(name, acl, req, bytes) in cases {
        let mut scratch = acl.scratch();
        let d = acl.evaluate(&req, &mut scratch);
        assert_eq!(
            d.action(),
            Action::Allow,
            "{group}/{name}: {:?}",
            d.terminating_rule_id()
        );
        if bytes > 0 {
            g.throughput(Throughput::Bytes(bytes as u64));
        } else {
            g.throughput(Throughput::Elements(1));
        }
        g.bench_function(name, |b| {
            b.iter(|| black_box(acl.evaluate(black_box(&req), &mut scratch).action()))
        });
    }
    g.finish();
}

fn bench(c: &mut Criterion) {
    let mut res = Resources::new("111122223333", "us-east-1");
    res.add_ip_set(r#"{"Name":"bad-ips","IPAddressVersion":"IPV4","Addresses":["203.0.113.0/24","198.51.100.0/24"]}"#)
        .expect("ip set");
    res.add_regex_pattern_set(
        r#"{"Name":"scanners","RegularExpressionList":[{"RegexString":"masscan|zgrab|nuclei"},{"RegexString":"^python-urllib"},{"RegexString":"(?:acunetix|netsparker)"}]}"#,
    )
    .expect("pattern set");
    res.add_managed_rule_group("Moat", &group_text()).expect("group");
    let acl = WebAcl::load(&acl_text(), &res).expect("acl");

    let browser = [
        Header {
            name: "Host",
            value: b"api.example.com",
        },
        Header {
            name: "User-Agent",
            value: b"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36",
        },
        Header {
            name: "Accept",
            value: b"application/json, text/plain, */*",
        },
        Header {
            name: "Accept-Language",
            value: b"en-US,en;q=0.9",
        },
        Header {
            name: "Accept-Encoding",
            value: b"gzip, deflate, br",
        },
        Header {
            name: "Referer",
            value: b"https://www.example.com/products/summer?page=2",
        },
        Header {
            name: "Cookie",
            value: b"session=9f8e7d6c5b4a; theme=dark; consent=yes",
        },
        Header {
            name: "X-Request-Id",
            value: b"7f1c2a8e-5b3d-4e6f-9a0b-1c2d3e4f5a6b",
        },
    ];
    let get = HttpRequest {
        client_ip: "192.0.2.44".parse().expect("ip"),
        method: "GET",
        uri_path: "/v1/products/search",
        query_string: "q=summer%20dresses&size=m&page=2&sort=price_asc",
        http_version: "HTTP/1.1",
        headers: &browser,
        body: b"",
        body_size: 0,
        now_ms: 0,
    };
    let mut post_headers = browser.to_vec();
    post_headers.push(Header {
        name: "Content-Type",
        value: b"application/json",
    });
    let small = json_body(1536);
    let large = json_body(64 * 1024);
    let post = |body: &'static [u8]| HttpRequest {
        method: "POST",
        uri_path: "/v1/orders",
        query_string: "",
        body,
        body_size: body.len() as u64,
        headers: &post_headers,
        ..get
    };
    let small: &'static [u8] = Box::leak(small.into_boxed_slice());
    let large: &'static [u8] = Box::leak(large.into_boxed_slice());
    let acl_10 = WebAcl::load(&acl_10_text(), &res).expect("10-rule acl");
    let cases_for = |acl| {
        [
            ("get_headers", acl, get, 0usize),
            ("post_json_1536B", acl, post(small), small.len()),
            ("post_json_64KB", acl, post(large), large.len()),
        ]
    };
    bench_group(c, "engine_10_rules", &cases_for(&acl_10));
    bench_group(c, "engine_30_rules", &cases_for(&acl));
}

criterion_group!(benches, bench, bench_all_managed);
criterion_main!(benches);
