//! Golden tests: every preset, REST and HTTP, rendered from fixed records and compared with the exact
//! line. Templates: "Access logging for REST APIs" (Access log formats),
//! <https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-access-logging.html>, and
//! "Configure logging for HTTP APIs in API Gateway" (Example log formats),
//! <https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-logging.html>.

use super::*;
use crate::record::{ErrorRecord, IntegrationRecord};

/// A proxied `GET /prod/pets/42` on a REST API, answered 200.
pub(super) fn rest_record() -> RequestRecord<'static> {
    RequestRecord {
        api_type: Some(ApiType::Rest),
        account_id: "123456789012",
        api_id: "a1b2c3d4e5",
        stage: "prod",
        request_id: "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
        extended_request_id: "J3tzkF4pIAMFqXg=",
        domain_name: "api.example.com",
        domain_prefix: "api",
        source_ip: "198.51.100.7",
        user_agent: Some("curl/8.5.0"),
        http_method: "GET",
        path: "/prod/pets/42",
        resource_path: Some("/pets/{id}"),
        route_key: None,
        resource_id: Some("x1y2z3"),
        protocol: "HTTP/1.1",
        status: 200,
        response_length: 27,
        request_length: 0,
        // 27/Oct/2023:13:40:57 UTC, the time of an AWS access-log sample quoted in text.rs.
        request_time_epoch_ms: 1_698_414_057_744,
        response_latency_ms: 15,
        integration: Some(IntegrationRecord {
            status: Some(200),
            latency_ms: 12,
            error: None,
            request_id: None,
        }),
        error: None,
        waf: None,
        xray_trace_id: "1-6537bde9-0123456789abcdef01234567",
        is_canary: false,
        base_path_matched: None,
    }
}

/// A proxied `GET /pets/42` on an HTTP API's `$default` stage, answered 200.
pub(super) fn http_record() -> RequestRecord<'static> {
    RequestRecord {
        api_type: Some(ApiType::Http),
        stage: "$default",
        request_id: "JqBWCgC-IAMEVjw=",
        extended_request_id: "JqBWCgC-IAMEVjw=",
        path: "/pets/42",
        resource_path: None,
        route_key: Some("GET /pets/{id}"),
        resource_id: None,
        ..rest_record()
    }
}

fn render(template: &str, api: ApiType, rec: &RequestRecord<'_>) -> String {
    let format = match AccessLogFormat::compile(template, api) {
        Ok(f) => f,
        Err(e) => panic!("{template}: {e}"),
    };
    let mut out = Vec::new();
    format.render(rec, &mut out);
    String::from_utf8(out).expect("access-log lines are UTF-8")
}

fn golden(preset: Preset, api: ApiType, want: &str) {
    let rec = if api == ApiType::Rest {
        rest_record()
    } else {
        http_record()
    };
    let got = render(preset.template(api), api, &rec);
    assert_eq!(got, format!("{want}\n"), "{} {}", api.as_str(), preset.name());
}

// ---- REST: set-up-access-logging.html, "Access log formats" ----

#[test]
fn rest_clf_set_up_access_logging() {
    golden(
        Preset::Clf,
        ApiType::Rest,
        "198.51.100.7 - - [27/Oct/2023:13:40:57 +0000] \"GET /pets/{id} HTTP/1.1\" 200 27 \
         c6af9ac6-7b61-11e6-9a41-93e8deadbeef J3tzkF4pIAMFqXg=",
    );
}

#[test]
fn rest_json_set_up_access_logging() {
    golden(
        Preset::Json,
        ApiType::Rest,
        r#"{ "requestId":"c6af9ac6-7b61-11e6-9a41-93e8deadbeef", "extendedRequestId":"J3tzkF4pIAMFqXg=","ip": "198.51.100.7", "caller":"-", "user":"-", "requestTime":"27/Oct/2023:13:40:57 +0000", "httpMethod":"GET", "resourcePath":"/pets/{id}", "status":"200", "protocol":"HTTP/1.1", "responseLength":"27" }"#,
    );
}

#[test]
fn rest_xml_set_up_access_logging() {
    golden(
        Preset::Xml,
        ApiType::Rest,
        r#"<request id="c6af9ac6-7b61-11e6-9a41-93e8deadbeef"> <extendedRequestId>J3tzkF4pIAMFqXg=</extendedRequestId> <ip>198.51.100.7</ip> <caller>-</caller> <user>-</user> <requestTime>27/Oct/2023:13:40:57 +0000</requestTime> <httpMethod>GET</httpMethod> <resourcePath>/pets/{id}</resourcePath> <status>200</status> <protocol>HTTP/1.1</protocol> <responseLength>27</responseLength> </request>"#,
    );
}

#[test]
fn rest_csv_set_up_access_logging() {
    golden(
        Preset::Csv,
        ApiType::Rest,
        "198.51.100.7,-,-,27/Oct/2023:13:40:57 +0000,GET,/pets/{id},HTTP/1.1,200,27,\
         c6af9ac6-7b61-11e6-9a41-93e8deadbeef,J3tzkF4pIAMFqXg=",
    );
}

#[test]
fn rest_default_is_aws_json_plus_latency_and_canary() {
    golden(
        Preset::Default,
        ApiType::Rest,
        r#"{ "requestId":"c6af9ac6-7b61-11e6-9a41-93e8deadbeef", "extendedRequestId":"J3tzkF4pIAMFqXg=","ip": "198.51.100.7", "caller":"-", "user":"-", "requestTime":"27/Oct/2023:13:40:57 +0000", "httpMethod":"GET", "resourcePath":"/pets/{id}", "status":"200", "protocol":"HTTP/1.1", "responseLength":"27", "responseLatency":"15", "isCanaryRequest":"false" }"#,
    );
}

// ---- HTTP: http-api-logging.html, "Example log formats" ----

#[test]
fn http_clf_http_api_logging() {
    golden(
        Preset::Clf,
        ApiType::Http,
        "198.51.100.7 - - [27/Oct/2023:13:40:57 +0000] \"GET GET /pets/{id} HTTP/1.1\" 200 27 JqBWCgC-IAMEVjw=",
    );
}

#[test]
fn http_json_http_api_logging() {
    golden(
        Preset::Json,
        ApiType::Http,
        r#"{ "requestId":"JqBWCgC-IAMEVjw=", "ip": "198.51.100.7", "requestTime":"27/Oct/2023:13:40:57 +0000", "httpMethod":"GET","routeKey":"GET /pets/{id}", "status":"200","protocol":"HTTP/1.1", "responseLength":"27" }"#,
    );
}

#[test]
fn http_xml_http_api_logging() {
    golden(
        Preset::Xml,
        ApiType::Http,
        r#"<request id="JqBWCgC-IAMEVjw="> <ip>198.51.100.7</ip> <requestTime>27/Oct/2023:13:40:57 +0000</requestTime> <httpMethod>GET</httpMethod> <routeKey>GET /pets/{id}</routeKey> <status>200</status> <protocol>HTTP/1.1</protocol> <responseLength>27</responseLength> </request>"#,
    );
}

#[test]
fn http_csv_http_api_logging() {
    golden(
        Preset::Csv,
        ApiType::Http,
        "198.51.100.7,27/Oct/2023:13:40:57 +0000,GET,GET /pets/{id},HTTP/1.1,200,27,JqBWCgC-IAMEVjw=",
    );
}

#[test]
fn http_default_is_aws_json_plus_latency_and_canary() {
    let rec = RequestRecord {
        is_canary: true,
        ..http_record()
    };
    let got = render(HTTP_DEFAULT, ApiType::Http, &rec);
    assert_eq!(
        got,
        "{ \"requestId\":\"JqBWCgC-IAMEVjw=\", \"ip\": \"198.51.100.7\", \"requestTime\":\"27/Oct/2023:13:40:57 +0000\", \
         \"httpMethod\":\"GET\",\"routeKey\":\"GET /pets/{id}\", \"status\":\"200\",\"protocol\":\"HTTP/1.1\", \
         \"responseLength\":\"27\", \"responseLatency\":\"15\", \"isCanaryRequest\":\"true\" }\n"
    );
}

/// The templates, as printed on AWS's pages (copied from the stored copies of the pages).
#[test]
fn presets_are_the_aws_examples_verbatim() {
    // set-up-access-logging.md prints CLF without the space after `]`; Moat keeps CLF's space (see
    // presets.rs).
    let aws_rest_clf = r#"$context.identity.sourceIp $context.identity.caller $context.identity.user [$context.requestTime]"$context.httpMethod $context.resourcePath $context.protocol" $context.status $context.responseLength $context.requestId $context.extendedRequestId"#;
    assert_eq!(REST_CLF.replace("] \"", "]\""), aws_rest_clf);
    assert_eq!(
        REST_JSON,
        r#"{ "requestId":"$context.requestId", "extendedRequestId":"$context.extendedRequestId","ip": "$context.identity.sourceIp", "caller":"$context.identity.caller", "user":"$context.identity.user", "requestTime":"$context.requestTime", "httpMethod":"$context.httpMethod", "resourcePath":"$context.resourcePath", "status":"$context.status", "protocol":"$context.protocol", "responseLength":"$context.responseLength" }"#
    );
    assert_eq!(
        REST_XML,
        r#"<request id="$context.requestId"> <extendedRequestId>$context.extendedRequestId</extendedRequestId> <ip>$context.identity.sourceIp</ip> <caller>$context.identity.caller</caller> <user>$context.identity.user</user> <requestTime>$context.requestTime</requestTime> <httpMethod>$context.httpMethod</httpMethod> <resourcePath>$context.resourcePath</resourcePath> <status>$context.status</status> <protocol>$context.protocol</protocol> <responseLength>$context.responseLength</responseLength> </request>"#
    );
    assert_eq!(
        REST_CSV,
        "$context.identity.sourceIp,$context.identity.caller,$context.identity.user,$context.requestTime,$context.httpMethod,$context.resourcePath,$context.protocol,$context.status,$context.responseLength,$context.requestId,$context.extendedRequestId"
    );
    assert_eq!(
        HTTP_CLF,
        r#"$context.identity.sourceIp - - [$context.requestTime] "$context.httpMethod $context.routeKey $context.protocol" $context.status $context.responseLength $context.requestId"#
    );
    assert_eq!(
        HTTP_JSON,
        r#"{ "requestId":"$context.requestId", "ip": "$context.identity.sourceIp", "requestTime":"$context.requestTime", "httpMethod":"$context.httpMethod","routeKey":"$context.routeKey", "status":"$context.status","protocol":"$context.protocol", "responseLength":"$context.responseLength" }"#
    );
    assert_eq!(
        HTTP_XML,
        r#"<request id="$context.requestId"> <ip>$context.identity.sourceIp</ip> <requestTime>$context.requestTime</requestTime> <httpMethod>$context.httpMethod</httpMethod> <routeKey>$context.routeKey</routeKey> <status>$context.status</status> <protocol>$context.protocol</protocol> <responseLength>$context.responseLength</responseLength> </request>"#
    );
    assert_eq!(
        HTTP_CSV,
        "$context.identity.sourceIp,$context.requestTime,$context.httpMethod,$context.routeKey,$context.protocol,$context.status,$context.responseLength,$context.requestId"
    );
    // The default is the JSON example with two fields appended before the closing brace.
    for (json, default) in [(REST_JSON, REST_DEFAULT), (HTTP_JSON, HTTP_DEFAULT)] {
        let extra = r#", "responseLatency":"$context.responseLatency", "isCanaryRequest":"$context.isCanaryRequest" }"#;
        assert_eq!(default, format!("{}{extra}", json.trim_end_matches(" }")));
    }
}

fn parse_json(line: &str) -> serde_json::Map<String, serde_json::Value> {
    match serde_json::from_str::<serde_json::Value>(line) {
        Ok(serde_json::Value::Object(map)) => map,
        other => panic!("not a JSON object: {other:?}\n{line}"),
    }
}

#[test]
fn json_presets_render_valid_json_objects_of_strings() {
    for api in [ApiType::Rest, ApiType::Http] {
        let rec = if api == ApiType::Rest {
            rest_record()
        } else {
            http_record()
        };
        for preset in [Preset::Json, Preset::Default] {
            let line = render(preset.template(api), api, &rec);
            let map = parse_json(&line);
            assert!(map.values().all(serde_json::Value::is_string), "{line}");
            assert_eq!(map["status"], "200");
        }
    }
}

/// A user agent that tries to close the JSON string, inject a field, add a line and smuggle a
/// backslash: the record stays one line of valid JSON and the value round-trips.
#[test]
fn hostile_user_agent_cannot_break_json_lines() {
    let hostile = "evil\", \"status\":\"500\"}\n{\"forged\":\"x\\\" \u{1b}[31m\r\t\u{0}";
    let rec = RequestRecord {
        user_agent: Some(hostile),
        ..rest_record()
    };
    let template =
        r#"{"requestId":"$context.requestId","ua":"$context.identity.userAgent","status":"$context.status"}"#;
    let line = render(template, ApiType::Rest, &rec);
    assert_eq!(line.matches('\n').count(), 1, "{line}");
    assert!(line.ends_with('\n'));
    let map = parse_json(&line);
    assert_eq!(map["ua"], hostile);
    assert_eq!(map["status"], "200");
    assert_eq!(map.len(), 3);
}

#[test]
fn hostile_user_agent_cannot_break_clf_or_xml_lines() {
    let hostile = "a\nb</ua><status>500</status>&\"";
    let rec = RequestRecord {
        user_agent: Some(hostile),
        ..rest_record()
    };
    let clf = render(
        "$context.requestId \"$context.identity.userAgent\"",
        ApiType::Rest,
        &rec,
    );
    assert_eq!(
        clf,
        "c6af9ac6-7b61-11e6-9a41-93e8deadbeef \"a\\nb</ua><status>500</status>&\"\"\n"
    );
    let xml = render(
        "<r id=\"$context.requestId\"><ua>$context.identity.userAgent</ua></r>",
        ApiType::Rest,
        &rec,
    );
    assert_eq!(
        xml,
        "<r id=\"c6af9ac6-7b61-11e6-9a41-93e8deadbeef\"><ua>a\\nb&lt;/ua&gt;&lt;status&gt;500&lt;/status&gt;&amp;&quot;</ua></r>\n"
    );
}

/// `$context.error.messageString` is the quoted message, used unquoted in AWS's default gateway-response
/// template `{"message":$context.error.messageString}` and in access logs.
#[test]
fn error_message_string_is_a_quoted_json_string() {
    let error = ErrorRecord {
        message: "Missing \"Authentication\" Token",
        response_type: "MISSING_AUTHENTICATION_TOKEN",
        validation_error: None,
    };
    let rec = RequestRecord {
        status: 403,
        error: Some(error),
        integration: None,
        ..rest_record()
    };
    let template = r#"{"requestId":"$context.requestId","error":$context.error.messageString,"type":"$context.error.responseType","message":"$context.error.message","lat":"$context.integrationLatency"}"#;
    let line = render(template, ApiType::Rest, &rec);
    let map = parse_json(&line);
    assert_eq!(map["error"], "Missing \"Authentication\" Token");
    assert_eq!(map["message"], "Missing \"Authentication\" Token");
    assert_eq!(map["type"], "MISSING_AUTHENTICATION_TOKEN");
    assert_eq!(map["lat"], "-");
    let no_error = render(template, ApiType::Rest, &rest_record());
    assert_eq!(parse_json(&no_error)["error"], "-");
}

/// Every variable each API type supports renders inside a JSON string without breaking the line.
#[test]
fn every_variable_renders_valid_json() {
    for api in [ApiType::Rest, ApiType::Http] {
        let rec = if api == ApiType::Rest {
            rest_record()
        } else {
            http_record()
        };
        let mut template = String::from("{");
        for (n, var) in CONTEXT_VARIABLES.iter().filter(|v| v.supports(api)).enumerate() {
            let name = var
                .name
                .replace("{property}", "email")
                .replace("{name}", "X-Custom-Header");
            let value = if name == "error.messageString" {
                format!("$context.{name}")
            } else {
                format!("\"$context.{name}\"")
            };
            template.push_str(&format!("\"v{n}\":{value},"));
        }
        template.push_str("\"id\":\"$context.requestId\"}");
        let line = render(&template, api, &rec);
        let map = parse_json(&line);
        assert_eq!(map["id"], rec.request_id);
    }
}

/// Rendering into a warmed-up buffer does not grow it: the request path allocates nothing.
#[test]
fn render_reuses_the_buffer() {
    let format = AccessLogFormat::default_for(ApiType::Rest);
    let rec = rest_record();
    let mut out = Vec::with_capacity(4096);
    format.render(&rec, &mut out);
    let (ptr, cap, len) = (out.as_ptr(), out.capacity(), out.len());
    for _ in 0..100 {
        out.clear();
        format.render(&rec, &mut out);
    }
    assert_eq!((out.as_ptr(), out.capacity(), out.len()), (ptr, cap, len));
}
