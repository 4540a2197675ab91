//! What a Decision carries for the gateway and the AWS WAF log record: terminating rule and type, custom
//! responses, inserted headers, labels, non-terminating matches, rule group lists and SQLi/XSS match details.
//! https://docs.aws.amazon.com/waf/latest/developerguide/logging-fields.html

mod support;

use moat_waf::eval::RuleType;
use moat_waf::model::ResponseContentType;
use moat_waf::{Action, Resources, WebAcl};
use support::{Owned, Req};

fn req(method: &str, path: &str, query: &str, headers: &[(&str, &str)], body: &str) -> Owned {
    Owned::from_req(&Req {
        ip: "192.0.2.1".into(),
        method: method.into(),
        path: path.into(),
        query: query.into(),
        headers: headers.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect(),
        body: body.into(),
        ..Req::default()
    })
}

const GROUP: &str = r#"{"RuleGroup": {"Name": "grp", "Id": "g1", "ARN": "arn:aws:wafv2:us-east-1:111122223333:regional/rulegroup/grp/g1",
  "CustomResponseBodies": {"gb": {"ContentType": "TEXT_HTML", "Content": "<p>no</p>"}},
  "Rules": [
    {"Name": "g-count", "Priority": 0, "Action": {"Block": {}},
     "Statement": {"ByteMatchStatement": {"SearchString": "eA==", "FieldToMatch": {"QueryString": {}},
       "TextTransformations": [{"Priority": 0, "Type": "NONE"}], "PositionalConstraint": "CONTAINS"}}},
    {"Name": "g-override", "Priority": 1, "Action": {"Block": {}},
     "Statement": {"ByteMatchStatement": {"SearchString": "eA==", "FieldToMatch": {"QueryString": {}},
       "TextTransformations": [{"Priority": 0, "Type": "NONE"}], "PositionalConstraint": "CONTAINS"}}},
    {"Name": "g-block", "Priority": 2, "Action": {"Block": {"CustomResponse": {"ResponseCode": 451, "CustomResponseBodyKey": "gb"}}},
     "Statement": {"SqliMatchStatement": {"FieldToMatch": {"SingleQueryArgument": {"Name": "id"}},
       "TextTransformations": [{"Priority": 0, "Type": "URL_DECODE"}], "SensitivityLevel": "HIGH"}}}
  ]}}"#;

const ACL: &str = r#"{"WebACL": {"Name": "d", "Id": "x1", "DefaultAction": {"Allow": {"CustomRequestHandling": {"InsertHeaders": [{"Name": "default", "Value": "1"}]}}},
  "CustomResponseBodies": {"body": {"ContentType": "APPLICATION_JSON", "Content": "{\"blocked\":true}"}},
  "Rules": [
    {"Name": "count-ua", "Priority": 0, "Action": {"Count": {"CustomRequestHandling": {"InsertHeaders": [{"Name": "ua", "Value": "seen"}]}}},
     "RuleLabels": [{"Name": "ua:any"}],
     "Statement": {"SizeConstraintStatement": {"FieldToMatch": {"SingleHeader": {"Name": "user-agent"}}, "ComparisonOperator": "GE", "Size": 0,
       "TextTransformations": [{"Priority": 0, "Type": "NONE"}]}}},
    {"Name": "xss", "Priority": 1, "Action": {"Block": {"CustomResponse": {"ResponseCode": 403, "CustomResponseBodyKey": "body",
       "ResponseHeaders": [{"Name": "X-Reason", "Value": "xss"}]}}},
     "Statement": {"XssMatchStatement": {"FieldToMatch": {"Body": {}}, "TextTransformations": [{"Priority": 0, "Type": "NONE"}]}}},
    {"Name": "group", "Priority": 2, "OverrideAction": {"None": {}},
     "Statement": {"RuleGroupReferenceStatement": {"ARN": "arn:aws:wafv2:us-east-1:111122223333:regional/rulegroup/grp/g1",
       "ExcludedRules": [{"Name": "g-count"}],
       "RuleActionOverrides": [{"Name": "g-override", "ActionToUse": {"Count": {"CustomRequestHandling": {"InsertHeaders": [{"Name": "ovr", "Value": "2"}]}}}}]}}},
    {"Name": "allow-api", "Priority": 3, "Action": {"Allow": {"CustomRequestHandling": {"InsertHeaders": [{"Name": "api", "Value": "yes"}]}}},
     "Statement": {"ByteMatchStatement": {"SearchString": "L2FwaQ==", "FieldToMatch": {"UriPath": {}},
       "TextTransformations": [{"Priority": 0, "Type": "NONE"}], "PositionalConstraint": "STARTS_WITH"}}}
  ]}, "LockToken": "abc"}"#;

fn acl() -> WebAcl {
    let mut res = Resources::new("111122223333", "eu-west-1");
    res.add_rule_group(GROUP).expect("group");
    WebAcl::load(ACL, &res).expect("acl")
}

#[test]
fn identity_and_limits() {
    let acl = acl();
    assert_eq!(acl.name(), "d");
    assert_eq!(acl.arn(), "arn:aws:wafv2:eu-west-1:111122223333:regional/webacl/d/x1");
    assert_eq!(acl.body_inspection_limit(), 16 * 1024);
}

#[test]
fn default_action_headers_and_count_headers() {
    let acl = acl();
    let mut s = acl.scratch();
    req("GET", "/", "", &[("User-Agent", "ua")], "").with(|q| {
        let d = acl.evaluate(q, &mut s);
        assert_eq!(d.action(), Action::Allow);
        assert!(d.is_default_action());
        assert_eq!(d.terminating_rule_id(), "Default_Action");
        let h: Vec<_> = d.insert_headers().collect();
        assert_eq!(h, [("x-amzn-waf-ua", "seen"), ("x-amzn-waf-default", "1")]);
        assert_eq!(d.labels().collect::<Vec<_>>(), ["awswaf:111122223333:webacl:d:ua:any"]);
        let nt: Vec<_> = d
            .non_terminating_matching_rules()
            .map(|m| (m.rule_id, m.action))
            .collect();
        assert_eq!(nt, [("count-ua", Action::Count)]);
        assert!(d.custom_response().is_none());
    });
}

#[test]
fn terminating_allow_inserts_its_headers() {
    let acl = acl();
    let mut s = acl.scratch();
    req("GET", "/api/x", "", &[], "").with(|q| {
        let d = acl.evaluate(q, &mut s);
        let t = d.terminating_rule().unwrap();
        assert_eq!(
            (t.rule_id, t.rule_type, t.group_rule_id),
            ("allow-api", RuleType::Regular, None)
        );
        assert_eq!(d.insert_headers().collect::<Vec<_>>(), [("x-amzn-waf-api", "yes")]);
    });
}

#[test]
fn custom_response_and_xss_details() {
    let acl = acl();
    let mut s = acl.scratch();
    req("POST", "/", "", &[], "a=<img src=x onerror=alert(1)>").with(|q| {
        let d = acl.evaluate(q, &mut s);
        assert_eq!(d.action(), Action::Block);
        let r = d.custom_response().unwrap();
        assert_eq!(r.status, 403);
        assert_eq!(r.body, Some("{\"blocked\":true}"));
        assert_eq!(r.content_type, Some(ResponseContentType::ApplicationJson));
        assert_eq!(r.headers, [("X-Reason".to_owned(), "xss".to_owned())]);
        let t = d.terminating_rule().unwrap();
        let details: Vec<_> = t.match_details().collect();
        assert_eq!(details.len(), 1);
        assert_eq!(details[0].condition_type, "XSS");
        assert_eq!(details[0].location, "BODY");
        assert_eq!(details[0].sensitivity_level, None);
        let data: Vec<_> = details[0].matched_data().collect();
        assert!(data.concat().windows(7).any(|w| w == b"onerror"), "{data:?}");
    });
}

#[test]
fn rule_group_list_with_exclusions_overrides_and_sqli_details() {
    let acl = acl();
    let mut s = acl.scratch();
    req("GET", "/", "x=1&id=1%27%20or%201%3D1--", &[], "").with(|q| {
        let d = acl.evaluate(q, &mut s);
        assert_eq!(d.action(), Action::Block);
        let t = d.terminating_rule().unwrap();
        assert_eq!(
            (t.rule_id, t.rule_type, t.group_rule_id),
            ("group", RuleType::Group, Some("g-block"))
        );
        assert_eq!(RuleType::Group.as_str(), "GROUP");
        let r = d.custom_response().unwrap();
        assert_eq!((r.status, r.body), (451, Some("<p>no</p>")));
        assert_eq!(r.content_type, Some(ResponseContentType::TextHtml));
        let details: Vec<_> = t.match_details().collect();
        assert_eq!(details.len(), 1);
        assert_eq!(
            (details[0].condition_type, details[0].location),
            ("SQL_INJECTION", "SINGLE_QUERY_ARG")
        );
        assert_eq!(details[0].sensitivity_level, Some("HIGH"));
        assert!(details[0].matched_data().count() >= 2);

        let groups: Vec<_> = d.rule_group_list().collect();
        assert_eq!(groups.len(), 1);
        let g = &groups[0];
        assert_eq!(
            g.rule_group_id,
            "arn:aws:wafv2:us-east-1:111122223333:regional/rulegroup/grp/g1"
        );
        let term = g.terminating_rule().unwrap();
        assert_eq!(
            (term.rule_id, term.action, term.overridden_action),
            ("g-block", Action::Block, None)
        );
        let nt: Vec<_> = g
            .non_terminating_matching_rules()
            .map(|m| (m.rule_id, m.action, m.overridden_action, m.excluded))
            .collect();
        assert_eq!(
            nt,
            [
                ("g-count", Action::Count, Some(Action::Block), true),
                ("g-override", Action::Count, Some(Action::Block), false)
            ]
        );
        let ex: Vec<_> = g.excluded_rules().map(|m| m.rule_id).collect();
        assert_eq!(ex, ["g-count"]);
        // Count headers of the overridden rule are collected (they apply if the request is forwarded).
        assert!(d.insert_headers().any(|h| h == ("x-amzn-waf-ovr", "2")));
    });
}

#[test]
fn a_scratch_from_another_acl_is_reset() {
    let a = acl();
    let b = WebAcl::load(
        r#"{"Name": "b", "DefaultAction": {"Block": {}}}"#,
        &Resources::default(),
    )
    .unwrap();
    let mut s = b.scratch();
    req("GET", "/api", "", &[], "").with(|q| {
        assert_eq!(a.evaluate(q, &mut s).action(), Action::Allow);
        assert_eq!(b.evaluate(q, &mut s).action(), Action::Block);
    });
}

#[test]
fn web_acl_is_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<WebAcl>();
    check::<moat_waf::Scratch>();
}

#[test]
fn captcha_and_challenge_terminate() {
    let text = r#"{"Name": "c", "DefaultAction": {"Allow": {}}, "Rules": [
      {"Name": "cap", "Priority": 0, "Action": {"Captcha": {}}, "Statement": {"ByteMatchStatement": {"SearchString": "L2M=",
        "FieldToMatch": {"UriPath": {}}, "TextTransformations": [{"Priority": 0, "Type": "NONE"}], "PositionalConstraint": "EXACTLY"}}},
      {"Name": "chal", "Priority": 1, "Action": {"Challenge": {}}, "Statement": {"ByteMatchStatement": {"SearchString": "L2M=",
        "FieldToMatch": {"UriPath": {}}, "TextTransformations": [{"Priority": 0, "Type": "NONE"}], "PositionalConstraint": "STARTS_WITH"}}}]}"#;
    let acl = WebAcl::load(text, &Resources::default()).unwrap();
    let mut s = acl.scratch();
    req("GET", "/c", "", &[], "").with(|q| {
        let d = acl.evaluate(q, &mut s);
        assert_eq!((d.action(), d.response_status()), (Action::Captcha, Some(405)));
        assert_eq!(d.action().waf_action_header(), Some("captcha"));
    });
    req("GET", "/cc", "", &[], "").with(|q| {
        let d = acl.evaluate(q, &mut s);
        assert_eq!((d.action(), d.response_status()), (Action::Challenge, Some(202)));
        assert_eq!(d.action().waf_action_header(), Some("challenge"));
    });
    req("GET", "/", "", &[], "").with(|q| assert_eq!(acl.evaluate(q, &mut s).response_status(), None));
    assert_eq!(Action::Captcha.as_str(), "CAPTCHA");
}

#[test]
fn default_block_with_custom_response() {
    let text = r#"{"Name": "b", "DefaultAction": {"Block": {"CustomResponse": {"ResponseCode": 429,
      "CustomResponseBodyKey": "slow", "ResponseHeaders": [{"Name": "Retry-After", "Value": "10"}]}}},
      "CustomResponseBodies": {"slow": {"ContentType": "TEXT_PLAIN", "Content": "slow down"}}}"#;
    let acl = WebAcl::load(text, &Resources::default()).unwrap();
    let mut s = acl.scratch();
    req("GET", "/", "", &[], "").with(|q| {
        let d = acl.evaluate(q, &mut s);
        assert_eq!(d.action(), Action::Block);
        assert!(d.is_default_action());
        let r = d.custom_response().unwrap();
        assert_eq!(
            (r.status, r.body, r.content_type),
            (429, Some("slow down"), Some(ResponseContentType::TextPlain))
        );
        assert_eq!(d.response_status(), Some(429));
        assert_eq!(d.insert_headers().count(), 0);
    });
}
