use super::*;

fn acl_with_rules(rules: &str) -> String {
    format!(
        r#"{{"Name":"acl","DefaultAction":{{"Allow":{{}}}},"Rules":[{rules}],
            "CustomResponseBodies":{{"denied":{{"ContentType":"TEXT_PLAIN","Content":"no"}}}}}}"#
    )
}

const BYTE_RULE: &str = r#"{"Name":"r","Priority":1,"Action":{"Block":{}},
  "Statement":{"ByteMatchStatement":{"SearchString":"YmFkQm90","FieldToMatch":{"SingleHeader":{"Name":"User-Agent"}},
  "TextTransformations":[{"Priority":0,"Type":"NONE"}],"PositionalConstraint":"CONTAINS"}},
  "VisibilityConfig":{"SampledRequestsEnabled":true,"CloudWatchMetricsEnabled":true,"MetricName":"r"}}"#;

#[test]
fn bare_and_wrapped_json_and_yaml_load_alike() {
    let bare = acl_with_rules(BYTE_RULE);
    let wrapped = format!(r#"{{"WebACL":{bare},"LockToken":"abc","ApplicationIntegrationURL":"https://x"}}"#);
    let a = parse_web_acl(&bare).unwrap();
    let b = parse_web_acl(&wrapped).unwrap();
    assert_eq!(a, b);
    let Statement::ByteMatchStatement(s) = &a.rules[0].statement else {
        panic!()
    };
    assert_eq!(s.search_bytes(), b"badBot");
    let yaml = r#"
WebACL:
  Name: acl
  DefaultAction: {Allow: {}}
  CustomResponseBodies:
    denied: {ContentType: TEXT_PLAIN, Content: "no"}
  Rules:
    - Name: r
      Priority: 1
      Action: {Block: {}}
      VisibilityConfig: {SampledRequestsEnabled: true, CloudWatchMetricsEnabled: true, MetricName: r}
      Statement:
        ByteMatchStatement:
          SearchString: YmFkQm90
          FieldToMatch: {SingleHeader: {Name: User-Agent}}
          TextTransformations: [{Priority: 0, Type: NONE}]
          PositionalConstraint: CONTAINS
LockToken: abc
"#;
    assert_eq!(parse_web_acl(yaml).unwrap(), a);
}

#[test]
fn bad_enum_value_reports_the_json_path() {
    let text = acl_with_rules(&BYTE_RULE.replace("\"CONTAINS\"", "\"CONTAIN\""));
    let err = parse_web_acl(&text).unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.starts_with("Rules[0].Statement.ByteMatchStatement.PositionalConstraint: unknown variant `CONTAIN`"),
        "{msg}"
    );
    assert!(msg.contains("STARTS_WITH"), "{msg}");
}

#[test]
fn unknown_fields_are_errors() {
    let text = acl_with_rules(&BYTE_RULE.replace("\"Priority\":1,", "\"Priority\":1,\"Prioirty\":2,"));
    let msg = parse_web_acl(&text).unwrap_err().to_string();
    assert!(msg.starts_with("Rules[0].Prioirty: unknown field `Prioirty`"), "{msg}");
    let msg = parse_web_acl(&format!(r#"{{"WebACL":{},"Extra":1}}"#, acl_with_rules("")))
        .unwrap_err()
        .to_string();
    assert!(msg.starts_with("Extra: unknown field"), "{msg}");
    let msg = parse_web_acl(&acl_with_rules(&BYTE_RULE.replace("SingleHeader", "SingleHeaders"))).unwrap_err();
    assert!(
        msg.to_string()
            .contains("FieldToMatch: unknown variant `SingleHeaders`"),
        "{msg}"
    );
}

#[test]
fn two_statement_types_in_one_statement_are_rejected() {
    let rule = BYTE_RULE.replace(
        r#""Statement":{"#,
        r#""Statement":{"LabelMatchStatement":{"Scope":"LABEL","Key":"a"},"#,
    );
    assert!(parse_web_acl(&acl_with_rules(&rule)).is_err());
}

#[test]
fn search_string_is_base64_and_cloudformation_base64_is_accepted() {
    let plain = acl_with_rules(&BYTE_RULE.replace("YmFkQm90", "bad bot!"));
    let msg = parse_web_acl(&plain).unwrap_err().to_string();
    assert!(
        msg.starts_with("Rules[0].Statement.ByteMatchStatement.SearchString: not valid base64"),
        "{msg}"
    );
    let cfn = acl_with_rules(&BYTE_RULE.replace("\"SearchString\"", "\"SearchStringBase64\""));
    let acl = parse_web_acl(&cfn).unwrap();
    let Statement::ByteMatchStatement(s) = &acl.rules[0].statement else {
        panic!()
    };
    assert_eq!(s.search_bytes(), b"badBot");
    let both = acl_with_rules(&BYTE_RULE.replace(
        "\"SearchString\":\"YmFkQm90\"",
        "\"SearchString\":\"YmFkQm90\",\"SearchStringBase64\":\"YmFkQm90\"",
    ));
    assert!(parse_web_acl(&both)
        .unwrap_err()
        .to_string()
        .contains("exactly one of SearchString"));
}

#[test]
fn semantic_problems_are_collected_together() {
    let r2 = BYTE_RULE.replace(
        "\"Block\":{}",
        "\"Block\":{\"CustomResponse\":{\"ResponseCode\":403,\"CustomResponseBodyKey\":\"nope\"}}",
    );
    let r3 = r#"{"Name":"r","Priority":1,"Action":{"Count":{}},"RuleLabels":[{"Name":"bad label"}],
      "Statement":{"SizeConstraintStatement":{"FieldToMatch":{"Body":{}},"ComparisonOperator":"GT","Size":-1,
      "TextTransformations":[{"Priority":0,"Type":"NONE"}]}}}"#;
    let r4 = r#"{"Name":"g","Priority":4,"OverrideAction":{"None":{}},
      "Statement":{"NotStatement":{"Statement":{"ManagedRuleGroupStatement":{"VendorName":"AWS","Name":"X"}}}}}"#;
    let r5 = r#"{"Name":"rate","Priority":5,"Action":{"Block":{}},
      "Statement":{"RateBasedStatement":{"Limit":5,"AggregateKeyType":"IP","EvaluationWindowSec":30}}}"#;
    let err = parse_web_acl(&acl_with_rules(&[BYTE_RULE, &r2, r3, r4, r5].join(","))).unwrap_err();
    let problems = err.problems();
    let text = err.to_string();
    for needle in [
        "Rules[1].Name (rule \"r\"): duplicate rule name",
        "Rules[2].Priority (rule \"r\"): duplicate priority 1",
        "CustomResponseBodyKey (rule \"r\"): unknown CustomResponseBodyKey \"nope\"",
        "Rules[2].RuleLabels[0].Name",
        "Rules[2].Statement.SizeConstraintStatement.Size",
        "Rules[3].Statement.NotStatement.Statement.ManagedRuleGroupStatement (rule \"g\"): rule group statements",
        "Rules[4].Statement.RateBasedStatement.Limit",
        "EvaluationWindowSec",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in {text}");
    }
    assert!(problems.len() >= 8);
}

#[test]
fn rule_groups_ip_sets_and_pattern_sets() {
    let group = r#"{"RuleGroup":{"Name":"g","Id":"1","Capacity":10,"ARN":"arn:aws:wafv2:us-east-1:1:regional/rulegroup/g/1",
      "LabelNamespace":"awswaf:1:rulegroup:g:","Rules":[],"AvailableLabels":[{"Name":"a"}],"ConsumedLabels":[],
      "VisibilityConfig":{"SampledRequestsEnabled":false,"CloudWatchMetricsEnabled":false,"MetricName":"g"}},"LockToken":"t"}"#;
    assert_eq!(parse_rule_group(group).unwrap().name, "g");
    let ips = r#"{"IPSet":{"Name":"s","Id":"1","ARN":"arn","IPAddressVersion":"IPV4","Addresses":["192.0.2.0/24","10.0.0.1/32"]}}"#;
    assert_eq!(parse_ip_set(ips).unwrap().addresses.len(), 2);
    let bad = r#"{"Name":"s","IPAddressVersion":"IPV4","Addresses":["2001:db8::/32","10.0.0.1","1.2.3.4/0"]}"#;
    let err = parse_ip_set(bad).unwrap_err();
    assert_eq!(err.problems().len(), 3, "{err}");
    let rps = "RegexPatternSet:\n  Name: p\n  RegularExpressionList:\n    - RegexString: '^a+$'\n";
    assert_eq!(parse_regex_pattern_set(rps).unwrap().regular_expression_list.len(), 1);
}

#[test]
fn syntax_errors_are_reported() {
    assert!(matches!(parse_web_acl("{\"Name\": "), Err(LoadError::Syntax(_))));
    assert!(matches!(parse_web_acl("a: [b"), Err(LoadError::Syntax(_))));
}

#[test]
fn json_pointers() {
    assert!(validate::is_json_pointer(""));
    assert!(validate::is_json_pointer("/a/~0b/~1c/0"));
    assert!(!validate::is_json_pointer("a/b"));
    assert!(!validate::is_json_pointer("/a~2"));
}
