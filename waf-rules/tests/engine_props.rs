//! Property tests: random requests against a fixed rich ACL give the same decision in the compiled engine and in
//! the reference evaluator; evaluation is deterministic and reusing a scratch changes nothing.

mod support;

use moat_waf::eval::reference::Reference;
use moat_waf::model::parse_web_acl;
use moat_waf::{Resources, WebAcl};
use proptest::prelude::*;
use support::{Owned, Req};

const ACL: &str = r#"
Name: rich
DefaultAction: {Allow: {}}
CustomResponseBodies:
  b: {ContentType: TEXT_PLAIN, Content: blocked}
Rules:
  - Name: allow-ip
    Priority: 0
    Action: {Allow: {}}
    Statement: {IPSetReferenceStatement: {ARN: good}}
  - Name: tag-admin
    Priority: 1
    Action: {Count: {}}
    RuleLabels: [{Name: "path:admin"}]
    Statement:
      ByteMatchStatement: {SearchString: YWRtaW4=, FieldToMatch: {UriPath: {}}, TextTransformations: [{Priority: 0, Type: URL_DECODE}, {Priority: 1, Type: LOWERCASE}], PositionalConstraint: CONTAINS}
  - Name: tag-word
    Priority: 2
    Action: {Count: {}}
    RuleLabels: [{Name: "q:word"}]
    Statement:
      ByteMatchStatement: {SearchString: YWRtaW4=, FieldToMatch: {QueryString: {}}, TextTransformations: [{Priority: 0, Type: URL_DECODE}], PositionalConstraint: CONTAINS_WORD}
  - Name: regex-path
    Priority: 3
    Action: {Count: {}}
    RuleLabels: [{Name: "path:dots"}]
    Statement:
      RegexMatchStatement: {RegexString: '\.\.|%2e', FieldToMatch: {UriPath: {}}, TextTransformations: [{Priority: 0, Type: NONE}]}
  - Name: set-path
    Priority: 4
    Action: {Count: {}}
    RuleLabels: [{Name: "path:set"}]
    Statement:
      RegexPatternSetReferenceStatement: {ARN: pats, FieldToMatch: {UriPath: {}}, TextTransformations: [{Priority: 0, Type: URL_DECODE}, {Priority: 1, Type: LOWERCASE}]}
  - Name: block-admin-and-dots
    Priority: 5
    Action: {Block: {CustomResponse: {ResponseCode: 403, CustomResponseBodyKey: b}}}
    Statement:
      AndStatement:
        Statements:
          - LabelMatchStatement: {Scope: LABEL, Key: "path:admin"}
          - LabelMatchStatement: {Scope: NAMESPACE, Key: "path:"}
          - NotStatement: {Statement: {LabelMatchStatement: {Scope: LABEL, Key: "q:word"}}}
          - LabelMatchStatement: {Scope: LABEL, Key: "dots"}
  - Name: sqli
    Priority: 6
    Action: {Block: {}}
    Statement:
      OrStatement:
        Statements:
          - SqliMatchStatement: {FieldToMatch: {AllQueryArguments: {}}, TextTransformations: [{Priority: 0, Type: URL_DECODE}]}
          - SqliMatchStatement: {FieldToMatch: {JsonBody: {MatchPattern: {All: {}}, MatchScope: VALUE}}, TextTransformations: [{Priority: 0, Type: NONE}], SensitivityLevel: HIGH}
  - Name: xss
    Priority: 7
    Action: {Captcha: {}}
    Statement:
      XssMatchStatement: {FieldToMatch: {SingleQueryArgument: {Name: Q}}, TextTransformations: [{Priority: 0, Type: URL_DECODE}]}
  - Name: json-keys
    Priority: 8
    Action: {Count: {}}
    Statement:
      ByteMatchStatement: {SearchString: ZXZpbA==, FieldToMatch: {JsonBody: {MatchPattern: {IncludedPaths: ["/a", "/b/0"]}, MatchScope: ALL, InvalidFallbackBehavior: EVALUATE_AS_STRING}}, TextTransformations: [{Priority: 0, Type: NONE}], PositionalConstraint: CONTAINS}
  - Name: json-invalid
    Priority: 9
    Action: {Count: {}}
    Statement:
      ByteMatchStatement: {SearchString: eA==, FieldToMatch: {JsonBody: {MatchPattern: {All: {}}, MatchScope: KEY, InvalidFallbackBehavior: MATCH}}, TextTransformations: [{Priority: 0, Type: NONE}], PositionalConstraint: EXACTLY}
  - Name: body-size
    Priority: 10
    Action: {Count: {}}
    Statement:
      SizeConstraintStatement: {FieldToMatch: {Body: {OversizeHandling: MATCH}}, ComparisonOperator: GT, Size: 30, TextTransformations: [{Priority: 0, Type: COMPRESS_WHITE_SPACE}]}
  - Name: headers
    Priority: 11
    Action: {Count: {}}
    RuleLabels: [{Name: "h:evil"}]
    Statement:
      ByteMatchStatement: {SearchString: ZXZpbA==, FieldToMatch: {Headers: {MatchPattern: {ExcludedHeaders: [cookie]}, MatchScope: ALL, OversizeHandling: CONTINUE}}, TextTransformations: [{Priority: 0, Type: LOWERCASE}], PositionalConstraint: STARTS_WITH}
  - Name: cookies
    Priority: 12
    Action: {Count: {}}
    Statement:
      ByteMatchStatement: {SearchString: ZXZpbA==, FieldToMatch: {Cookies: {MatchPattern: {IncludedCookies: [s]}, MatchScope: VALUE, OversizeHandling: NO_MATCH}}, TextTransformations: [{Priority: 0, Type: NONE}], PositionalConstraint: ENDS_WITH}
  - Name: fwd
    Priority: 13
    Action: {Challenge: {}}
    Statement:
      AndStatement:
        Statements:
          - IPSetReferenceStatement: {ARN: bad, IPSetForwardedIPConfig: {HeaderName: X-Forwarded-For, FallbackBehavior: NO_MATCH, Position: ANY}}
          - LabelMatchStatement: {Scope: LABEL, Key: "h:evil"}
  - Name: group
    Priority: 14
    OverrideAction: {None: {}}
    Statement:
      ManagedRuleGroupStatement:
        VendorName: Moat
        Name: G
        ExcludedRules: [{Name: g-admin}]
        RuleActionOverrides: [{Name: g-exact, ActionToUse: {Count: {}}}]
        ScopeDownStatement: {NotStatement: {Statement: {ByteMatchStatement: {SearchString: UE9TVA==, FieldToMatch: {Method: {}}, TextTransformations: [{Priority: 0, Type: NONE}], PositionalConstraint: EXACTLY}}}}
  - Name: exact-method
    Priority: 15
    Action: {Block: {}}
    Statement:
      ByteMatchStatement: {SearchString: REVMRVRF, FieldToMatch: {Method: {}}, TextTransformations: [{Priority: 0, Type: NONE}], PositionalConstraint: EXACTLY}
"#;

const GROUP: &str = r#"
Name: G
Rules:
  - Name: g-admin
    Priority: 0
    Action: {Block: {}}
    RuleLabels: [{Name: g1}]
    Statement: {LabelMatchStatement: {Scope: LABEL, Key: "awswaf:111122223333:webacl:rich:path:admin"}}
  - Name: g-exact
    Priority: 1
    Action: {Block: {}}
    RuleLabels: [{Name: g2}]
    Statement:
      ByteMatchStatement: {SearchString: YWRtaW4=, FieldToMatch: {SingleQueryArgument: {Name: q}}, TextTransformations: [{Priority: 0, Type: NONE}], PositionalConstraint: EXACTLY}
  - Name: g-cookie
    Priority: 2
    Action: {Block: {}}
    Statement:
      ByteMatchStatement: {SearchString: eA==, FieldToMatch: {Cookies: {MatchPattern: {All: {}}, MatchScope: KEY, OversizeHandling: CONTINUE}}, TextTransformations: [{Priority: 0, Type: NONE}], PositionalConstraint: EXACTLY}
"#;

fn resources() -> Resources {
    let mut res = Resources::new("111122223333", "us-east-1");
    res.add_ip_set(r#"{"Name":"good","IPAddressVersion":"IPV4","Addresses":["198.51.100.0/24"]}"#)
        .expect("resource");
    res.add_ip_set(r#"{"Name":"bad","IPAddressVersion":"IPV4","Addresses":["203.0.113.0/24"]}"#)
        .expect("resource");
    res.add_regex_pattern_set(
        r#"{"Name":"pats","RegularExpressionList":[{"RegexString":"^/api/"},{"RegexString":"admin$"},{"RegexString":"a+b"}]}"#,
    )
    .expect("resource");
    res.add_managed_rule_group("Moat", GROUP).expect("resource");
    res
}

fn pick(options: &'static [&'static str]) -> impl Strategy<Value = String> {
    prop::sample::select(options).prop_map(str::to_owned)
}

fn concat(options: &'static [&'static str], max: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(options), 0..max).prop_map(|v| v.concat())
}

fn request() -> impl Strategy<Value = Req> {
    let path = concat(
        &[
            "/", "admin", "ADMIN", "api", "..", "%2e", "%61dmin", "x", "aab", "/api/",
        ],
        6,
    );
    let query = concat(
        &[
            "q=admin",
            "&",
            "Q=%3Cscript%3E",
            "id=1%27%20or%20%271%27=%271",
            "q=x",
            "a=admin_",
            "=",
            "admin",
            "%20",
        ],
        5,
    );
    let body = concat(
        &[
            "{",
            "}",
            "[",
            "]",
            "\"a\"",
            ":",
            ",",
            "\"evil\"",
            "\"x\"",
            "1",
            " ",
            "\"b\"",
            "null",
            "' or 1=1 --",
        ],
        12,
    );
    let headers = prop::collection::vec(
        (
            pick(&["User-Agent", "X-Forwarded-For", "Cookie", "Evil-Header", "Accept"]),
            pick(&[
                "evil",
                "Evil bot",
                "203.0.113.5",
                "1.2.3.4, 203.0.113.9",
                "s=xevil",
                "x=1; s=a",
                "text/html",
            ]),
        ),
        0..5,
    );
    (
        pick(&["192.0.2.1", "198.51.100.3", "203.0.113.7", "2001:db8::1"]),
        pick(&["GET", "POST", "DELETE"]),
        path,
        query,
        headers,
        body,
        prop::option::of(0u64..40),
    )
        .prop_map(|(ip, method, path, query, headers, body, extra)| Req {
            ip,
            method,
            path,
            query,
            headers,
            body_size: extra.map(|e| body.len() as u64 + e * 1000),
            body,
            ..Req::default()
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn engine_agrees_with_reference(reqs in prop::collection::vec(request(), 1..4)) {
        let res = resources();
        let acl = WebAcl::load(ACL, &res).unwrap();
        let model = parse_web_acl(ACL).unwrap();
        let mut reference = Reference::new(&model, &res);
        let mut scratch = acl.scratch();
        for r in &reqs {
            let owned = Owned::from_req(r);
            owned.with(|req| {
                let d = acl.evaluate(req, &mut scratch);
                let got = (
                    d.action(),
                    d.terminating_rule().map(|t| t.rule_id.to_owned()),
                    d.terminating_rule().and_then(|t| t.group_rule_id.map(str::to_owned)),
                    d.labels().map(str::to_owned).collect::<Vec<_>>(),
                    d.non_terminating_matching_rules().map(|m| m.rule_id.to_owned()).collect::<Vec<_>>(),
                );
                let rd = reference.evaluate(req);
                let want = (rd.action, rd.terminating_rule, rd.group_rule, rd.labels, rd.non_terminating);
                prop_assert_eq!(got, want, "request {:?}", r);
                Ok(())
            })?;
        }
    }

    #[test]
    fn fresh_and_reused_scratch_agree(reqs in prop::collection::vec(request(), 2..5)) {
        let res = resources();
        let acl = WebAcl::load(ACL, &res).unwrap();
        let mut reused = acl.scratch();
        for r in &reqs {
            let owned = Owned::from_req(r);
            owned.with(|req| {
                let mut fresh = acl.scratch();
                let a = acl.evaluate(req, &mut fresh);
                let a = (a.action(), a.terminating_rule_id().to_owned(), a.labels().map(str::to_owned).collect::<Vec<_>>());
                let b = acl.evaluate(req, &mut reused);
                let b = (b.action(), b.terminating_rule_id().to_owned(), b.labels().map(str::to_owned).collect::<Vec<_>>());
                prop_assert_eq!(a, b);
                Ok(())
            })?;
        }
    }
}

#[test]
fn rich_acl_dedupes_slots() {
    let acl = WebAcl::load(ACL, &resources()).unwrap();
    // UriPath appears with three chains (URL_DECODE+LOWERCASE shared by two rules, NONE).
    assert!(acl.slot_count() < 20, "{}", acl.slot_count());
}

/// Headers, body, path and query of an arbitrary request.
type RawParts = (Vec<(String, Vec<u8>)>, Vec<u8>, String, String);

fn arbitrary_request() -> impl Strategy<Value = RawParts> {
    (
        prop::collection::vec(("[A-Za-z-]{1,12}", prop::collection::vec(any::<u8>(), 0..40)), 0..8),
        prop::collection::vec(any::<u8>(), 0..300),
        "[ -~]{0,40}",
        "[ -~]{0,40}",
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Arbitrary bytes in headers and body (invalid UTF-8, broken JSON, stray escapes) never panic.
    #[test]
    fn arbitrary_bytes_never_panic((headers, body, path, query) in arbitrary_request()) {
        let res = resources();
        let acl = WebAcl::load(ACL, &res).unwrap();
        let mut scratch = acl.scratch();
        let owned = Owned {
            ip: "192.0.2.1".parse().unwrap(),
            method: "POST".into(),
            path,
            query,
            headers,
            body_size: body.len() as u64,
            body,
            now_ms: 0,
        };
        owned.with(|req| {
            let d = acl.evaluate(req, &mut scratch);
            let _ = (d.action(), d.labels().count(), d.rule_group_list().count());
            if let Some(t) = d.terminating_rule() {
                for m in t.match_details() {
                    let _ = m.matched_data().count();
                }
            }
        });
    }

    /// Damaged ACL text is rejected with an error, never a panic.
    #[test]
    fn damaged_acl_text_never_panics(cut in 0usize..4000, len in 0usize..20, junk in "[\\[\\]{}:,\"a-zA-Z0-9 ]{0,5}") {
        let res = resources();
        let json = serde_json::to_string(&serde_yaml::from_str::<serde_json::Value>(ACL).unwrap()).unwrap();
        let cut = cut.min(json.len());
        let end = (cut + len).min(json.len());
        if json.is_char_boundary(cut) && json.is_char_boundary(end) {
            let damaged = format!("{}{junk}{}", &json[..cut], &json[end..]);
            let _ = WebAcl::load(&damaged, &res);
        }
    }
}
