//! Rate-based rules: aggregation keys, windows, scope-down, limits, rateBasedRuleList.
//! https://docs.aws.amazon.com/waf/latest/developerguide/waf-rule-statement-type-rate-based.html

mod support;

use moat_waf::eval::RuleType;
use moat_waf::{Action, Resources, WebAcl};
use support::{Owned, Req};

fn req(ip: &str, path: &str, headers: &[(&str, &str)], now_ms: u64) -> Owned {
    Owned::from_req(&Req {
        ip: ip.into(),
        path: path.into(),
        headers: headers.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect(),
        now_ms,
        ..Req::default()
    })
}

fn acl(statement: &str) -> WebAcl {
    let text = format!(
        r#"{{"Name": "r", "DefaultAction": {{"Allow": {{}}}}, "Rules": [{{"Name": "limit", "Priority": 0,
        "Action": {{"Block": {{}}}}, "Statement": {{"RateBasedStatement": {statement}}}}}]}}"#
    );
    WebAcl::load(&text, &Resources::default()).expect("acl")
}

fn run(acl: &WebAcl, r: &Owned) -> Action {
    let mut s = acl.scratch();
    r.with(|q| acl.evaluate(q, &mut s).action())
}

#[test]
fn per_ip_limit_within_the_window() {
    let acl = acl(r#"{"Limit": 10, "AggregateKeyType": "IP", "EvaluationWindowSec": 60}"#);
    let t0 = 1_000_000_000;
    for i in 0..10 {
        assert_eq!(
            run(&acl, &req("192.0.2.1", "/", &[], t0 + i)),
            Action::Allow,
            "request {i}"
        );
    }
    let over = req("192.0.2.1", "/", &[], t0 + 10);
    let mut s = acl.scratch();
    over.with(|q| {
        let d = acl.evaluate(q, &mut s);
        assert_eq!(d.action(), Action::Block);
        let t = d.terminating_rule().unwrap();
        assert_eq!((t.rule_id, t.rule_type), ("limit", RuleType::RateBased));
        let list: Vec<_> = d.rate_based_rule_list().collect();
        assert_eq!(list.len(), 1);
        assert_eq!(
            (
                list[0].rate_based_rule_name,
                list[0].limit_key,
                list[0].max_rate_allowed,
                list[0].evaluation_window_sec
            ),
            ("limit", "IP", 10, 60)
        );
    });
    // Another client is counted apart.
    assert_eq!(run(&acl, &req("192.0.2.2", "/", &[], t0 + 11)), Action::Allow);
    // A window later the old requests no longer count.
    assert_eq!(run(&acl, &req("192.0.2.1", "/", &[], t0 + 61_000)), Action::Allow);
}

#[test]
fn scope_down_limits_what_is_counted() {
    let acl = acl(
        r#"{"Limit": 10, "AggregateKeyType": "CONSTANT", "ScopeDownStatement": {"ByteMatchStatement": {
        "SearchString": "L2xvZ2lu", "FieldToMatch": {"UriPath": {}}, "TextTransformations": [{"Priority": 0, "Type": "NONE"}],
        "PositionalConstraint": "EXACTLY"}}}"#,
    );
    for i in 0..20 {
        assert_eq!(run(&acl, &req("192.0.2.1", "/other", &[], i)), Action::Allow);
    }
    for i in 0..10 {
        assert_eq!(
            run(&acl, &req(&format!("192.0.2.{i}"), "/login", &[], 100 + i)),
            Action::Allow
        );
    }
    // CONSTANT: all clients share one counter.
    assert_eq!(run(&acl, &req("198.51.100.1", "/login", &[], 200)), Action::Block);
    assert_eq!(run(&acl, &req("198.51.100.1", "/other", &[], 201)), Action::Allow);
}

#[test]
fn custom_keys_skip_requests_missing_a_key() {
    let acl = acl(r#"{"Limit": 10, "AggregateKeyType": "CUSTOM_KEYS", "CustomKeys": [
          {"Header": {"Name": "x-api-key", "TextTransformations": [{"Priority": 0, "Type": "LOWERCASE"}]}},
          {"HTTPMethod": {}}]}"#);
    for i in 0..10 {
        assert_eq!(
            run(&acl, &req("192.0.2.1", "/", &[("X-Api-Key", "ABC")], i)),
            Action::Allow
        );
    }
    // Same key after LOWERCASE, other IP: still over.
    assert_eq!(
        run(&acl, &req("192.0.2.9", "/", &[("x-api-key", "abc")], 20)),
        Action::Block
    );
    assert_eq!(
        run(&acl, &req("192.0.2.9", "/", &[("x-api-key", "def")], 21)),
        Action::Allow
    );
    // No key header: not counted, never limited.
    for i in 0..30 {
        assert_eq!(run(&acl, &req("192.0.2.1", "/", &[], 30 + i)), Action::Allow);
    }
}

#[test]
fn forwarded_ip_key_and_fallback() {
    let acl = acl(r#"{"Limit": 10, "AggregateKeyType": "FORWARDED_IP",
           "ForwardedIPConfig": {"HeaderName": "X-Forwarded-For", "FallbackBehavior": "MATCH"}}"#);
    for i in 0..10 {
        assert_eq!(
            run(
                &acl,
                &req(
                    &format!("10.0.0.{i}"),
                    "/",
                    &[("X-Forwarded-For", "203.0.113.5, 10.0.0.1")],
                    i
                )
            ),
            Action::Allow
        );
    }
    assert_eq!(
        run(&acl, &req("10.0.0.99", "/", &[("X-Forwarded-For", "203.0.113.5")], 20)),
        Action::Block
    );
    // No header: FallbackBehavior MATCH applies the rule.
    assert_eq!(run(&acl, &req("10.0.0.1", "/", &[], 21)), Action::Block);
}

#[test]
fn count_action_rate_rule_continues() {
    let text = r#"{"Name": "r", "DefaultAction": {"Allow": {}}, "Rules": [
      {"Name": "limit", "Priority": 0, "Action": {"Count": {}}, "RuleLabels": [{"Name": "over"}],
       "Statement": {"RateBasedStatement": {"Limit": 10, "AggregateKeyType": "IP"}}},
      {"Name": "then", "Priority": 1, "Action": {"Block": {}}, "Statement": {"LabelMatchStatement": {"Scope": "LABEL", "Key": "over"}}}]}"#;
    let acl = WebAcl::load(text, &Resources::default()).unwrap();
    for i in 0..10 {
        assert_eq!(run(&acl, &req("192.0.2.1", "/", &[], i)), Action::Allow);
    }
    let mut s = acl.scratch();
    req("192.0.2.1", "/", &[], 11).with(|q| {
        let d = acl.evaluate(q, &mut s);
        assert_eq!(d.action(), Action::Block);
        assert_eq!(d.terminating_rule_id(), "then");
        assert_eq!(d.rate_based_rule_list().count(), 1);
    });
}
