//! Moat's shipped managed rule groups through the engine: every request of `rules/tests/<Group>.yaml` is
//! evaluated against a WebACL holding just that group with every rule overridden to Count, and the set of
//! rules that matched must be exactly the file's `match` list ([] for benign requests).

use std::collections::BTreeSet;
use std::net::IpAddr;
use std::path::Path;

use moat_waf::{managed, Header, HttpRequest, Resources, WebAcl};
use serde::Deserialize;

#[derive(Deserialize)]
struct Expectations {
    group: String,
    defaults: Defaults,
    requests: Vec<Case>,
}

#[derive(Deserialize)]
struct Defaults {
    headers: Vec<(String, String)>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    method: String,
    path: String,
    #[serde(default)]
    query: String,
    #[serde(default)]
    headers: Vec<(String, String)>,
    #[serde(default)]
    omit_default_headers: Vec<String>,
    #[serde(default)]
    body: String,
    client_ip: Option<IpAddr>,
    #[serde(rename = "match")]
    expected: Vec<String>,
}

/// A WebACL with only `group`, every one of its rules overridden to Count.
fn acl_for(group: &str) -> WebAcl {
    let shipped = managed::GROUPS
        .iter()
        .find(|g| g.name == group)
        .expect("group is shipped");
    let doc: serde_json::Value = serde_json::from_str(shipped.document).expect("group JSON");
    let rules = doc["RuleGroup"]["Rules"].as_array().expect("rules");
    let overrides: Vec<serde_json::Value> = rules
        .iter()
        .map(|r| serde_json::json!({"Name": r["Name"], "ActionToUse": {"Count": {}}}))
        .collect();
    let acl = serde_json::json!({
        "Name": "managed-test",
        "DefaultAction": {"Allow": {}},
        "VisibilityConfig": {"SampledRequestsEnabled": false, "CloudWatchMetricsEnabled": false, "MetricName": "m"},
        "Rules": [{
            "Name": "group", "Priority": 0,
            "Statement": {"ManagedRuleGroupStatement": {"VendorName": "AWS", "Name": group, "RuleActionOverrides": overrides}},
            "OverrideAction": {"None": {}},
            "VisibilityConfig": {"SampledRequestsEnabled": false, "CloudWatchMetricsEnabled": false, "MetricName": "g"}
        }]
    });
    let mut resources = Resources::new("123456789012", "us-east-1");
    managed::register_builtin(&mut resources).expect("shipped groups load");
    WebAcl::load(&acl.to_string(), &resources).unwrap_or_else(|e| panic!("{group}: {e}"))
}

#[test]
fn every_shipped_group_loads_and_matches_its_expectations() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../rules/tests");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("rules/tests")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    files.sort();
    assert!(files.len() >= 7, "expectation files: {files:?}");
    let mut failures = Vec::new();
    let mut checked = 0;
    for file in &files {
        let text = std::fs::read_to_string(file).expect("read");
        let expectations: Expectations =
            serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        let acl = acl_for(&expectations.group);
        let mut scratch = acl.scratch();
        for case in &expectations.requests {
            let mut headers: Vec<(String, String)> = expectations
                .defaults
                .headers
                .iter()
                .filter(|(n, _)| {
                    !case.omit_default_headers.iter().any(|o| o.eq_ignore_ascii_case(n))
                        && !case.headers.iter().any(|(m, _)| m.eq_ignore_ascii_case(n))
                })
                .cloned()
                .collect();
            headers.extend(case.headers.iter().cloned());
            let view: Vec<Header<'_>> = headers
                .iter()
                .map(|(n, v)| Header {
                    name: n,
                    value: v.as_bytes(),
                })
                .collect();
            let limit = acl.body_inspection_limit().min(case.body.len());
            let request = HttpRequest {
                client_ip: case.client_ip.unwrap_or(IpAddr::from([192, 0, 2, 10])),
                method: &case.method,
                uri_path: &case.path,
                query_string: &case.query,
                http_version: "HTTP/1.1",
                headers: &view,
                body: &case.body.as_bytes()[..limit],
                body_size: case.body.len() as u64,
                now_ms: 1_764_000_000_000,
            };
            let decision = acl.evaluate(&request, &mut scratch);
            let matched: BTreeSet<String> = decision
                .rule_group_list()
                .flat_map(|g| g.non_terminating_matching_rules().chain(g.terminating_rule()))
                .map(|m| m.rule_id.to_owned())
                .collect();
            let expected: BTreeSet<String> = case.expected.iter().cloned().collect();
            checked += 1;
            if matched != expected {
                failures.push(format!(
                    "{} / {}: expected {expected:?}, matched {matched:?}",
                    expectations.group, case.name
                ));
            }
        }
    }
    assert!(checked >= 150, "only {checked} requests checked");
    assert!(
        failures.is_empty(),
        "{} of {checked} cases differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
