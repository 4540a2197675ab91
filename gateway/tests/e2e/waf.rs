//! The WAF phase end to end: a stage's WebACL (AWS WAF v2 JSON) blocks with API Gateway's `WAF_FILTERED`
//! response or a rule's custom response, lets everything else through with its body intact, marks the
//! access log (`$context.wafResponseCode`, `$context.webaclArn`), writes AWS WAF log records, and `moat
//! check` names the JSON path of a bad rule.

use std::time::Duration;

use serde_json::Value;

use crate::fill;
use crate::harness::{field, fnv_hex, json_lines, moat_check, req, send, tempdir, wait_lines, Moat, Upstream};

/// Base64 of `badbot`.
const BADBOT_B64: &str = "YmFkYm90";

const ACL: &str = r#"{
  "WebACL": {
    "Name": "shop-acl",
    "Id": "0b9d9d42-65a5-4f8f-9d55-8f4b3b6c4c0e",
    "DefaultAction": {"Allow": {}},
    "VisibilityConfig": {"SampledRequestsEnabled": true, "CloudWatchMetricsEnabled": true, "MetricName": "shop-acl"},
    "CustomResponseBodies": {"slow-down": {"ContentType": "APPLICATION_JSON", "Content": "{\"error\":\"slow down\"}"}},
    "Rules": [
      {"Name": "bad-bots", "Priority": 0, "Action": {"Block": {}},
       "Statement": {"ByteMatchStatement": {"SearchString": "@BADBOT@", "FieldToMatch": {"SingleHeader": {"Name": "user-agent"}},
         "TextTransformations": [{"Priority": 0, "Type": "LOWERCASE"}], "PositionalConstraint": "CONTAINS"}},
       "VisibilityConfig": {"SampledRequestsEnabled": true, "CloudWatchMetricsEnabled": true, "MetricName": "bad-bots"}},
      {"Name": "sqli-body", "Priority": 1, "Action": {"Block": {}},
       "Statement": {"SqliMatchStatement": {"FieldToMatch": {"JsonBody": {"MatchPattern": {"All": {}}, "MatchScope": "VALUE", "InvalidFallbackBehavior": "EVALUATE_AS_STRING"}},
         "TextTransformations": [{"Priority": 0, "Type": "URL_DECODE"}], "SensitivityLevel": "LOW"}},
       "VisibilityConfig": {"SampledRequestsEnabled": true, "CloudWatchMetricsEnabled": true, "MetricName": "sqli-body"}},
      {"Name": "teapot", "Priority": 2,
       "Action": {"Block": {"CustomResponse": {"ResponseCode": 429, "CustomResponseBodyKey": "slow-down",
         "ResponseHeaders": [{"Name": "Retry-After", "Value": "30"}]}}},
       "Statement": {"RegexMatchStatement": {"RegexString": "^/prod/admin(/|$)", "FieldToMatch": {"UriPath": {}},
         "TextTransformations": [{"Priority": 0, "Type": "NONE"}]}},
       "VisibilityConfig": {"SampledRequestsEnabled": true, "CloudWatchMetricsEnabled": true, "MetricName": "teapot"}},
      {"Name": "count-debug", "Priority": 3, "Action": {"Count": {}},
       "RuleLabels": [{"Name": "debug:seen"}],
       "Statement": {"ByteMatchStatement": {"SearchString": "ZGVidWc=", "FieldToMatch": {"QueryString": {}},
         "TextTransformations": [{"Priority": 0, "Type": "NONE"}], "PositionalConstraint": "CONTAINS"}},
       "VisibilityConfig": {"SampledRequestsEnabled": true, "CloudWatchMetricsEnabled": true, "MetricName": "count-debug"}}
    ]
  }
}"#;

const CONFIG: &str = r#"
listen: 127.0.0.1:0
server: {account_id: "123456789012", region: eu-west-1}
apis:
  - name: shop
    type: rest
    id: shop123456
    routes:
      "ANY /{proxy+}": {integration: {type: http_proxy, uri: "http://@UP@/{proxy}"}}
    stages:
      prod:
        waf:
          web_acl: acl.json
          log: {destination: "{dir}/waf.log", redacted_fields: {headers: [authorization]}}
        access_log:
          destination: "{dir}/access.log"
          format: '{"requestId":"$context.requestId","status":"$context.status","waf":"$context.wafResponseCode","acl":"$context.webaclArn","error":"$context.error.responseType","wafStatus":"$context.waf.status"}'
"#;

fn start(up: &Upstream) -> Moat {
    let dir = tempdir();
    std::fs::write(dir.path().join("acl.json"), ACL.replace("@BADBOT@", BADBOT_B64)).expect("write acl");
    Moat::start_in(dir, &fill(CONFIG, &[("UP", up.hostport())]))
}

#[tokio::test]
async fn blocks_matching_requests_and_forwards_the_rest_with_bodies_intact() {
    let up = Upstream::start("up");
    let moat = start(&up);
    let host = moat.addr().to_string();

    let blocked = send(
        moat.addr(),
        req("GET", &host, "/prod/items").header("User-Agent", "Mozilla BadBot/1.0"),
    )
    .await;
    assert_eq!(blocked.code(), 403);
    assert_eq!(blocked.json(), serde_json::json!({"message": "Forbidden"}));
    blocked.assert_aws_ids();

    // A route that does not exist is inspected too (the WebACL runs before routing).
    let sqli = br#"{"name":"x' OR '1'='1' --","qty":1}"#.to_vec();
    let blocked = send(moat.addr(), req("POST", &host, "/prod/orders").body(sqli)).await;
    assert_eq!(blocked.code(), 403, "{}", blocked.text());

    // A benign body larger than the 16 KB inspection limit reaches the endpoint whole.
    let mut benign = br#"{"note":""#.to_vec();
    benign.extend(std::iter::repeat_n(b'a', 40_000));
    benign.extend_from_slice(br#"","qty":2}"#);
    let passed = send(
        moat.addr(),
        req("POST", &host, "/prod/orders?debug=1")
            .header("content-type", "application/json")
            .header("Authorization", "Bearer secret")
            .body(benign.clone()),
    )
    .await;
    assert_eq!(passed.code(), 200, "{}", passed.text());
    let seen = up.last();
    assert_eq!(seen.body_len, benign.len());
    assert_eq!(seen.body_hash, fnv_hex(&benign));

    let custom = send(moat.addr(), req("GET", &host, "/prod/admin/users")).await;
    assert_eq!(custom.code(), 429);
    assert_eq!(custom.header("retry-after"), Some("30"));
    assert_eq!(custom.header("content-type"), Some("application/json"));
    assert_eq!(custom.json(), serde_json::json!({"error": "slow down"}));
    assert_eq!(up.requests().len(), 1, "only the benign request reached the endpoint");

    let access = json_lines(&wait_lines(&moat.dir().join("access.log"), 4, Duration::from_secs(3)));
    let codes: Vec<(String, String, String)> = access
        .iter()
        .map(|r| (field(r, "status"), field(r, "waf"), field(r, "error")))
        .collect();
    assert_eq!(
        codes,
        [
            ("403".into(), "WAF_BLOCK".into(), "WAF_FILTERED".into()),
            ("403".into(), "WAF_BLOCK".into(), "WAF_FILTERED".into()),
            ("200".into(), "WAF_ALLOW".into(), "-".into()),
            ("429".into(), "WAF_BLOCK".into(), "-".into()),
        ]
    );
    let waf_status: Vec<String> = access.iter().map(|r| field(r, "wafStatus")).collect();
    assert_eq!(waf_status, ["403", "403", "200", "429"]);
    let arn = field(&access[0], "acl");
    assert!(
        arn.starts_with("arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/shop-acl/"),
        "{arn}"
    );

    let records = json_lines(&wait_lines(&moat.dir().join("waf.log"), 4, Duration::from_secs(3)));
    let summary: Vec<(String, String)> = records
        .iter()
        .map(|r| (field(r, "terminatingRuleId"), field(r, "action")))
        .collect();
    assert_eq!(
        summary,
        [
            ("bad-bots".into(), "BLOCK".into()),
            ("sqli-body".into(), "BLOCK".into()),
            ("Default_Action".into(), "ALLOW".into()),
            ("teapot".into(), "BLOCK".into()),
        ]
    );
    let allowed: &Value = &records[2];
    assert_eq!(allowed["httpSourceName"], "APIGW");
    assert_eq!(allowed["httpSourceId"], "123456789012:shop123456:prod");
    assert_eq!(allowed["webaclId"].as_str(), Some(arn.as_str()));
    assert_eq!(allowed["nonTerminatingMatchingRules"][0]["ruleId"], "count-debug");
    assert_eq!(allowed["httpRequest"]["args"], "debug=1");
    assert_eq!(allowed["httpRequest"]["uri"], "/prod/orders");
    assert_eq!(allowed["httpRequest"]["requestId"], passed.request_id());
    let auth = allowed["httpRequest"]["headers"]
        .as_array()
        .and_then(|h| h.iter().find(|h| h["name"] == "authorization"))
        .expect("authorization header logged");
    assert_eq!(auth["value"], "REDACTED");
    assert!(
        allowed["labels"].as_array().is_some_and(|l| l
            .iter()
            .any(|l| l["name"].as_str().is_some_and(|n| n.ends_with(":debug:seen")))),
        "{allowed}"
    );
    assert_eq!(records[3]["responseCodeSent"], 429);
    assert_eq!(
        records[1]["terminatingRuleMatchDetails"][0]["conditionType"],
        "SQL_INJECTION"
    );
}

#[test]
fn check_names_the_file_and_json_path_of_a_bad_rule() {
    let dir = tempdir();
    let bad = ACL
        .replace("@BADBOT@", BADBOT_B64)
        .replace("\"PositionalConstraint\": \"CONTAINS\"}},\n       \"VisibilityConfig\": {\"SampledRequestsEnabled\": true, \"CloudWatchMetricsEnabled\": true, \"MetricName\": \"bad-bots\"}",
                 "\"PositionalConstraint\": \"CONTAIN\"}},\n       \"VisibilityConfig\": {\"SampledRequestsEnabled\": true, \"CloudWatchMetricsEnabled\": true, \"MetricName\": \"bad-bots\"}");
    assert!(bad.contains("CONTAIN\""), "the test must break the first rule");
    std::fs::write(dir.path().join("acl.json"), bad).expect("write acl");
    let config = dir.path().join("moat.yaml");
    std::fs::write(
        &config,
        fill(CONFIG, &[("UP", "127.0.0.1:9".to_string())]).replace("{dir}", &dir.path().display().to_string()),
    )
    .expect("write config");
    let (code, output) = moat_check(&config);
    assert_ne!(code, 0, "{output}");
    assert!(output.contains("apis[0].stages.prod.waf.web_acl"), "{output}");
    assert!(output.contains("acl.json"), "{output}");
    assert!(
        output.contains("Rules[0].Statement.ByteMatchStatement.PositionalConstraint"),
        "{output}"
    );
}

fn moat_waf(args: &[&str], stdin: Option<&[u8]>) -> (i32, String) {
    use std::io::Write;
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut child = std::process::Command::new(crate::harness::moat_bin())
        .arg("waf")
        .args(args)
        .current_dir(&root)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run moat waf");
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(input)
            .expect("write stdin");
    }
    drop(child.stdin.take());
    let out = child.wait_with_output().expect("moat waf output");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), text)
}

#[test]
fn waf_test_runs_the_example_suite_and_fails_on_a_wrong_expectation() {
    let (code, out) = moat_waf(
        &[
            "test",
            "--acl",
            "examples/waf/all-managed.json",
            "examples/waf/cases.yaml",
        ],
        None,
    );
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("5 case(s): 5 passed, 0 failed"), "{out}");

    let dir = tempdir();
    let cases = dir.path().join("cases.yaml");
    std::fs::write(
        &cases,
        "cases:\n  - name: wrongly expected to pass\n    query: id=1%27%20OR%20%271%27%3D%271\n    \
         headers: [[User-Agent, x], [Host, api.example.com]]\n    expect: {action: ALLOW, not_matched: [SQLi_QUERYARGUMENTS]}\n",
    )
    .expect("write cases");
    let (code, out) = moat_waf(
        &[
            "test",
            "--acl",
            "examples/waf/all-managed.json",
            &cases.display().to_string(),
        ],
        None,
    );
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("FAIL  wrongly expected to pass"), "{out}");
    assert!(out.contains("action BLOCK (expected ALLOW)"), "{out}");
    assert!(out.contains("rule SQLi_QUERYARGUMENTS matched"), "{out}");
}

#[test]
fn waf_eval_explains_a_raw_request_from_stdin() {
    let raw = b"GET /download?f=..%2f..%2fetc%2fpasswd HTTP/1.1\nHost: api.example.com\nUser-Agent: curl/8.5\n\n";
    let (code, out) = moat_waf(&["eval", "--acl", "examples/waf/all-managed.json"], Some(raw));
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("action: BLOCK (HTTP 403)"), "{out}");
    assert!(out.contains("GenericLFI_QUERYARGUMENTS"), "{out}");
    assert!(out.contains("awswaf:managed:aws:core-rule-set:"), "{out}");
    let (code, out) = moat_waf(&["eval", "--acl", "examples/waf/all-managed.json"], Some(b"garbage"));
    assert_eq!(code, 2, "{out}");
}
