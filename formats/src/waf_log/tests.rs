//! Golden tests against the records in the AWS WAF Developer Guide, "Log examples for protection pack
//! (web ACL) traffic" (https://docs.aws.amazon.com/waf/latest/developerguide/logging-examples.html) and the
//! field list in "Log fields for protection pack (web ACL) traffic" (logging-fields.html). Where the guide
//! elides a value (`...`), the test fills one in.

use super::*;

fn request<'a>(headers: &'a [(&'a str, &'a str)]) -> HttpRequestLog<'a> {
    HttpRequestLog {
        client_ip: "52.46.82.45",
        country: "FR",
        headers,
        uri: "/CanaryTest",
        args: "",
        http_version: "HTTP/1.1",
        http_method: "GET",
        request_id: "Ed0AiHF_CGYF-DA=",
    }
}

fn render(record: &WafLogRecord<'_>, redaction: &Redaction<'_>) -> String {
    let mut out = Vec::new();
    record.render(redaction, &mut out);
    String::from_utf8(out).expect("utf-8")
}

const ACL: &str = "arn:aws:wafv2:us-east-1:123456789012:regional/webacl/test/0b9d9d42-65a5-4f8f-9d55-8f4b3b6c4c0e";

#[test]
fn rate_based_block_matches_the_guides_example_field_for_field_and_in_order() {
    let headers = [("Host", "rjvegx5guh.execute-api.eu-west-3.amazonaws.com")];
    let rate = [RateBasedEntry {
        rate_based_rule_id: "arn:aws:wafv2:eu-west-3:EXAMPLE11:regional/ipset/RateBasedRule",
        rate_based_rule_name: "RateBasedRule",
        limit_key: "CUSTOMKEYS",
        max_rate_allowed: 100,
        evaluation_window_sec: 120,
        limit_value: None,
        custom_values: &[("HEADER", "dogname", "ella")],
    }];
    let record = WafLogRecord {
        timestamp_ms: 1_683_355_579_981,
        webacl_id: ACL,
        terminating_rule_id: "RateBasedRule",
        terminating_rule_type: "RATE_BASED",
        action: "BLOCK",
        terminating_rule_match_details: &[],
        http_source_id: "EXAMPLE11:rjvegx5guh:CanaryTest",
        rule_group_list: &[],
        rate_based_rule_list: &rate,
        non_terminating_matching_rules: &[],
        request_headers_inserted: &[],
        response_code_sent: None,
        http_request: request(&headers),
        labels: &[],
    };
    let expected = format!(
        concat!(
            r#"{{"timestamp":1683355579981,"formatVersion":1,"webaclId":"{acl}","terminatingRuleId":"RateBasedRule","#,
            r#""terminatingRuleType":"RATE_BASED","action":"BLOCK","terminatingRuleMatchDetails":[],"#,
            r#""httpSourceName":"APIGW","httpSourceId":"EXAMPLE11:rjvegx5guh:CanaryTest","ruleGroupList":[],"#,
            r#""rateBasedRuleList":[{{"rateBasedRuleId":"arn:aws:wafv2:eu-west-3:EXAMPLE11:regional/ipset/RateBasedRule","#,
            r#""rateBasedRuleName":"RateBasedRule","limitKey":"CUSTOMKEYS","maxRateAllowed":100,"evaluationWindowSec":"120","#,
            r#""customValues":[{{"key":"HEADER","name":"dogname","value":"ella"}}]}}],"nonTerminatingMatchingRules":[],"#,
            r#""requestHeadersInserted":null,"responseCodeSent":null,"httpRequest":{{"clientIp":"52.46.82.45","country":"FR","#,
            r#""headers":[{{"name":"Host","value":"rjvegx5guh.execute-api.eu-west-3.amazonaws.com"}}],"uri":"/CanaryTest","#,
            r#""args":"","httpVersion":"HTTP/1.1","httpMethod":"GET","requestId":"Ed0AiHF_CGYF-DA="}}}}"#,
            "\n"
        ),
        acl = ACL
    );
    assert_eq!(render(&record, &Redaction::default()), expected);
}

#[test]
fn sqli_detail_group_rules_labels_and_redaction() {
    let headers = [
        ("Host", "api.example.com"),
        ("x-stm-test", "10 AND 1=1"),
        ("Authorization", "secret"),
    ];
    let matched = ["10", "AND", "1"].map(String::from);
    let details = [MatchDetail {
        condition_type: "SQL_INJECTION",
        sensitivity_level: Some("HIGH"),
        location: "HEADER",
        matched_data: &matched,
    }];
    let group = [RuleGroupEntry {
        rule_group_id: "AWS#AWSManagedRulesSQLiRuleSet",
        terminating_rule: Some(GroupRule {
            rule_id: "SQLi_QUERYARGUMENTS",
            action: "BLOCK",
            overridden_action: None,
            match_details: &details,
        }),
        non_terminating_matching_rules: &[],
        excluded_rules: &["SQLi_BODY"],
    }];
    let labels = ["awswaf:managed:aws:sql-database:SQLi_QueryArguments"];
    let record = WafLogRecord {
        timestamp_ms: 1_576_280_412_771,
        webacl_id: ACL,
        terminating_rule_id: "AWS-AWSManagedRulesSQLiRuleSet",
        terminating_rule_type: "MANAGED_RULE_GROUP",
        action: "BLOCK",
        terminating_rule_match_details: &details,
        http_source_id: "123456789012:abc123:prod",
        rule_group_list: &group,
        rate_based_rule_list: &[],
        non_terminating_matching_rules: &[],
        request_headers_inserted: &[],
        response_code_sent: Some(403),
        http_request: request(&headers),
        labels: &labels,
    };
    let redaction = Redaction {
        headers: &["authorization"],
        query_string: true,
        uri_path: false,
        method: false,
    };
    let line = render(&record, &redaction);
    assert!(line.ends_with("}\n") && line.matches('\n').count() == 1);
    let json: serde_json::Value = serde_json::from_str(&line).expect("valid JSON");
    assert_eq!(
        json["terminatingRuleMatchDetails"][0],
        serde_json::json!({"conditionType": "SQL_INJECTION", "sensitivityLevel": "HIGH", "location": "HEADER",
                           "matchedData": ["10", "AND", "1"]})
    );
    assert_eq!(
        json["ruleGroupList"][0]["ruleGroupId"],
        "AWS#AWSManagedRulesSQLiRuleSet"
    );
    assert_eq!(
        json["ruleGroupList"][0]["terminatingRule"]["ruleId"],
        "SQLi_QUERYARGUMENTS"
    );
    assert_eq!(
        json["ruleGroupList"][0]["terminatingRule"]["overriddenAction"],
        serde_json::Value::Null
    );
    assert_eq!(
        json["ruleGroupList"][0]["excludedRules"],
        serde_json::json!([{"exclusionType": "EXCLUDED_AS_COUNT", "ruleId": "SQLi_BODY"}])
    );
    assert_eq!(json["responseCodeSent"], 403);
    assert_eq!(json["labels"], serde_json::json!([{"name": labels[0]}]));
    assert_eq!(
        json["httpRequest"]["headers"][2],
        serde_json::json!({"name": "Authorization", "value": "REDACTED"})
    );
    assert_eq!(json["httpRequest"]["headers"][1]["value"], "10 AND 1=1");
    assert_eq!(json["httpRequest"]["args"], "REDACTED");
    assert_eq!(json["httpRequest"]["uri"], "/CanaryTest");
}

#[test]
fn hostile_values_stay_inside_their_strings() {
    let headers = [("X-Evil", "a\"b\\c\nd\u{1}")];
    let record = WafLogRecord {
        timestamp_ms: 0,
        webacl_id: ACL,
        terminating_rule_id: "Default_Action",
        terminating_rule_type: "REGULAR",
        action: "ALLOW",
        terminating_rule_match_details: &[],
        http_source_id: "a:b:c",
        rule_group_list: &[],
        rate_based_rule_list: &[],
        non_terminating_matching_rules: &[],
        request_headers_inserted: &[("x-amzn-waf-checked", "yes")],
        response_code_sent: None,
        http_request: HttpRequestLog {
            uri: "/p\"ath",
            ..request(&headers)
        },
        labels: &[],
    };
    let line = render(&record, &Redaction::default());
    let json: serde_json::Value = serde_json::from_str(&line).expect("valid JSON");
    assert_eq!(json["httpRequest"]["headers"][0]["value"], "a\"b\\c\nd\u{1}");
    assert_eq!(json["httpRequest"]["uri"], "/p\"ath");
    assert_eq!(
        json["requestHeadersInserted"],
        serde_json::json!([{"name": "x-amzn-waf-checked", "value": "yes"}])
    );
    assert!(json.get("labels").is_none(), "no labels: the field is left out");
}
