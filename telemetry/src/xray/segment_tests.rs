use std::net::{IpAddr, Ipv4Addr};

use serde_json::{json, Value};

use super::*;
use crate::request::{TraceContext, WafOutcome};

/// The request behind the API Gateway stage segment in "Understanding AWS X-Ray traces for Amazon API
/// Gateway APIs" (<https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-understanding-xray-traces.html>):
/// API `testxray` (`a1b2c3d4e5`), stage `dev`, trace `1-a1b2c3d4-a1b2c3d4a1b2c3d4a1b2c3d4`, segment
/// `a1b2c3d4a1b2c3d4`, 1533928226.229 to 1533928226.614, `GET` of
/// `https://example.com/dev?username=demo&message=hellofromdemo/` from 192.0.2.0 (via
/// X-Forwarded-For), 200 with an empty body, sampled by the `Default` rule.
fn documented_request() -> FinishedRequest {
    FinishedRequest {
        request_id: "a1b2c3d4-a1b2-a1b2-a1b2-a1b2c3d4e5f6".to_owned(),
        extended_request_id: "abcde12345abcde=".to_owned(),
        api_id: "a1b2c3d4e5".to_owned(),
        api_name: "testxray".to_owned(),
        api_type: "rest",
        stage: "dev".to_owned(),
        is_canary: false,
        resource: Some("/".to_owned()),
        method: "GET".to_owned(),
        url: "https://example.com/dev?username=demo&message=hellofromdemo/".to_owned(),
        host: Some("example.com".to_owned()),
        client_ip: IpAddr::V4(Ipv4Addr::new(192, 0, 2, 0)),
        user_agent: None,
        protocol: "HTTP/1.1",
        status: 200,
        response_length: 0,
        start_us: 1_533_928_226_229_000,
        end_us: 1_533_928_226_614_000,
        error_type: None,
        integration: None,
        waf: None,
        trace: TraceContext {
            trace_id: 0xa1b2_c3d4_a1b2_c3d4_a1b2_c3d4_a1b2_c3d4,
            segment_id: 0xa1b2_c3d4_a1b2_c3d4,
            parent_id: None,
            sampled: true,
        },
    }
}

fn settings() -> SegmentSettings {
    SegmentSettings {
        region: "us-east-1".to_owned(),
        account_id: Some("123412341234".to_owned()),
    }
}

fn document(request: &FinishedRequest, extras: &SegmentExtras<'_>) -> Value {
    serde_json::from_str(&segment_document(request, &settings(), extras).unwrap()).unwrap()
}

/// Every field of AWS's example document, with the same values; Moat adds `moat_canary`,
/// `metadata.moat` and leaves out the Lambda subsegment (this request made no integration call).
#[test]
fn golden_documented_api_gateway_segment() {
    let extras = SegmentExtras {
        sampling_rule: Some("Default"),
        client_ip_from_forwarded_for: true,
    };
    let expected = json!({
        "id": "a1b2c3d4a1b2c3d4",
        "name": "testxray/dev",
        "start_time": 1533928226.229,
        "end_time": 1533928226.614,
        "metadata": {
            "default": {
                "extended_request_id": "abcde12345abcde=",
                "request_id": "a1b2c3d4-a1b2-a1b2-a1b2-a1b2c3d4e5f6"
            },
            "moat": { "api_type": "rest", "protocol": "HTTP/1.1", "resource": "/" }
        },
        "http": {
            "request": {
                "url": "https://example.com/dev?username=demo&message=hellofromdemo/",
                "method": "GET",
                "client_ip": "192.0.2.0",
                "x_forwarded_for": true
            },
            "response": { "status": 200, "content_length": 0 }
        },
        "aws": {
            "xray": { "sampling_rule_name": "Default" },
            "api_gateway": {
                "account_id": "123412341234",
                "rest_api_id": "a1b2c3d4e5",
                "stage": "dev",
                "request_id": "a1b2c3d4-a1b2-a1b2-a1b2-a1b2c3d4e5f6"
            }
        },
        "annotations": { "aws:api_id": "a1b2c3d4e5", "aws:api_stage": "dev", "moat_canary": false },
        "trace_id": "1-a1b2c3d4-a1b2c3d4a1b2c3d4a1b2c3d4",
        "origin": "AWS::ApiGateway::Stage",
        "resource_arn": "arn:aws:apigateway:us-east-1::/restapis/a1b2c3d4e5/stages/dev"
    });
    let request = documented_request();
    assert_eq!(document(&request, &extras), expected);
    let text = segment_document(&request, &settings(), &extras).unwrap();
    assert!(
        text.contains(r#""start_time":1533928226.229,"end_time":1533928226.614"#),
        "times are written with their exact decimals: {text}"
    );
    let record = segment_record(&request, &settings(), &extras).unwrap();
    assert_eq!(record.timestamp_ms, 1_533_928_226_614);
}

/// A canary request through the WAF, a caller's parent, an HTTP integration: the subsegment in the
/// shape of the reference's "Example Segment with Embedded Subsegment".
#[test]
fn golden_integration_subsegment_canary_and_waf() {
    let mut request = documented_request();
    request.is_canary = true;
    request.method = "POST".to_owned();
    request.url = "https://example.com/dev/pets".to_owned();
    request.user_agent = Some("curl/8.5.0".to_owned());
    request.status = 201;
    request.response_length = 86;
    request.trace.parent_id = Some(0x5399_5c3f_42cd_8ad8);
    request.waf = Some(WafOutcome {
        action: "ALLOW".to_owned(),
        terminating_rule_id: "Default_Action".to_owned(),
        web_acl: "arn:aws:wafv2:us-east-1:123412341234:regional/webacl/moat/1".to_owned(),
    });
    request.integration = Some(IntegrationCall {
        kind: "http_proxy",
        url: Some("https://user@api.example.com:8443/pets?x=1".to_owned()),
        method: "POST".to_owned(),
        start_us: 1_533_928_226_233_000,
        end_us: 1_533_928_226_613_000,
        status: Some(201),
        error: None,
        timed_out: false,
    });
    let doc = document(&request, &SegmentExtras::default());
    assert_eq!(doc["parent_id"], "53995c3f42cd8ad8");
    assert_eq!(
        doc["http"]["request"],
        json!({"method": "POST", "url": "https://example.com/dev/pets", "client_ip": "192.0.2.0", "user_agent": "curl/8.5.0"})
    );
    assert_eq!(doc["http"]["response"], json!({"status": 201, "content_length": 86}));
    assert_eq!(
        doc["annotations"],
        json!({"aws:api_id": "a1b2c3d4e5", "aws:api_stage": "dev", "moat_canary": true, "moat_waf_action": "ALLOW"})
    );
    assert_eq!(
        doc["metadata"]["moat"]["waf"],
        json!({"action": "ALLOW", "terminating_rule_id": "Default_Action",
               "web_acl": "arn:aws:wafv2:us-east-1:123412341234:regional/webacl/moat/1"})
    );
    assert!(doc["aws"].get("xray").is_none(), "no rule named, no aws.xray");
    assert_eq!(
        doc["subsegments"],
        json!([{
            "id": format!("{:016x}", subsegment_id(0xa1b2_c3d4_a1b2_c3d4)),
            "name": "api.example.com",
            "start_time": 1533928226.233,
            "end_time": 1533928226.613,
            "namespace": "remote",
            "http": {
                "request": { "method": "POST", "url": "https://user@api.example.com:8443/pets?x=1" },
                "response": { "status": 201 }
            }
        }])
    );
    for flag in ["error", "fault", "throttle"] {
        assert!(doc.get(flag).is_none(), "{flag} is written only when true");
    }
}

#[test]
fn golden_timed_out_integration_is_a_fault_with_a_cause() {
    let mut request = documented_request();
    request.status = 504;
    request.error_type = Some("INTEGRATION_TIMEOUT".to_owned());
    request.integration = Some(IntegrationCall {
        kind: "http_proxy",
        url: Some("http://[2001:db8::1]:8080/slow".to_owned()),
        method: "GET".to_owned(),
        start_us: 1_533_928_226_230_000,
        end_us: 1_533_928_255_230_000,
        status: None,
        error: Some("no response within 29000 ms".to_owned()),
        timed_out: true,
    });
    let doc = document(&request, &SegmentExtras::default());
    assert_eq!(doc["fault"], true);
    assert!(doc.get("error").is_none());
    assert_eq!(doc["metadata"]["moat"]["error_type"], "INTEGRATION_TIMEOUT");
    let sub_id = subsegment_id(0xa1b2_c3d4_a1b2_c3d4);
    assert_eq!(
        doc["subsegments"][0],
        json!({
            "id": format!("{sub_id:016x}"),
            "name": "2001:db8::1",
            "start_time": 1533928226.23,
            "end_time": 1533928255.23,
            "namespace": "remote",
            "http": { "request": { "method": "GET", "url": "http://[2001:db8::1]:8080/slow" } },
            "fault": true,
            "cause": { "exceptions": [{
                "id": format!("{:016x}", subsegment_id(sub_id)),
                "message": "no response within 29000 ms",
                "type": "IntegrationTimeout",
                "remote": true
            }] }
        })
    );
}

#[test]
fn status_flags_follow_the_reference() {
    for (status, error, throttle, fault) in [
        (200, false, false, false),
        (404, true, false, false),
        (429, true, true, false),
        (500, false, false, true),
        (503, false, false, true),
    ] {
        let mut request = documented_request();
        request.status = status;
        let doc = document(&request, &SegmentExtras::default());
        let flag = |name: &str| doc.get(name) == Some(&Value::Bool(true));
        assert_eq!(
            (flag("error"), flag("throttle"), flag("fault")),
            (error, throttle, fault),
            "{status}"
        );
    }
}

#[test]
fn http_api_segment_names_api_id_and_apis_arn() {
    let mut request = documented_request();
    request.api_type = "http";
    request.stage = "$default".to_owned();
    request.api_name = "my api (v2)".to_owned();
    let settings = SegmentSettings {
        region: "cn-north-1".to_owned(),
        account_id: None,
    };
    let doc: Value =
        serde_json::from_str(&segment_document(&request, &settings, &SegmentExtras::default()).unwrap()).unwrap();
    assert_eq!(doc["name"], "my api _v2_/_default", "X-Ray's name character set");
    assert_eq!(
        doc["resource_arn"],
        "arn:aws-cn:apigateway:cn-north-1::/apis/a1b2c3d4e5/stages/$default"
    );
    assert_eq!(
        doc["aws"]["api_gateway"],
        json!({"api_id": "a1b2c3d4e5", "stage": "$default", "request_id": "a1b2c3d4-a1b2-a1b2-a1b2-a1b2c3d4e5f6"})
    );
}

#[test]
fn long_strings_are_cut_to_xray_limits() {
    let mut request = documented_request();
    request.url = format!("https://example.com/{}", "é".repeat(400));
    request.api_name = "n".repeat(300);
    let doc = document(&request, &SegmentExtras::default());
    assert_eq!(doc["http"]["request"]["url"].as_str().unwrap().chars().count(), 250);
    assert_eq!(doc["name"].as_str().unwrap().chars().count(), 200);
}

#[test]
fn oversized_document_loses_its_metadata_then_is_refused() {
    let request = documented_request();
    let huge = "x".repeat(MAX_DOCUMENT_BYTES);
    let settings = settings();
    let mut segment = build(&request, &settings, &SegmentExtras::default());
    if let Some(metadata) = segment.metadata.as_mut() {
        metadata.moat.resource = Some(&huge);
    }
    let text = finish(segment).unwrap();
    let doc: Value = serde_json::from_str(&text).unwrap();
    assert!(doc.get("metadata").is_none());
    assert_eq!(doc["id"], "a1b2c3d4a1b2c3d4");

    let mut segment = build(&request, &settings, &SegmentExtras::default());
    segment.http.request.url = &huge;
    match finish(segment) {
        Err(SegmentError::TooLarge { bytes }) => assert!(bytes > MAX_DOCUMENT_BYTES),
        other => panic!("{other:?}"),
    }
}

#[test]
fn ids_and_hosts() {
    assert_eq!(
        xray_trace_id(0x5759_e988_bd86_2e3f_e1be_46a9_9427_2793),
        "1-5759e988-bd862e3fe1be46a994272793"
    );
    assert_ne!(subsegment_id(1), 1);
    assert_ne!(subsegment_id(1), subsegment_id(2));
    for (url, host) in [
        ("https://api.example.com/x", "api.example.com"),
        ("http://h:80", "h"),
        ("http://u:p@h.example?x", "h.example"),
        ("http://[::1]:8080/", "::1"),
        ("h.example/x", "h.example"),
    ] {
        assert_eq!(url_host(url), host);
    }
}
