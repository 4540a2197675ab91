//! Golden sequences of execution-log lines. Line texts and order: AWS's test-invoke transcript in
//! <https://docs.aws.amazon.com/apigateway/latest/developerguide/getting-started-lambda-non-proxy-integration.html>,
//! <https://repost.aws/knowledge-center/api-gateway-logs> (usage-plan and authorizer lines), and real
//! REST execution logs for a timeout (`Execution failed due to a timeout error` / `Method completed with
//! status: 504`) and a gateway response (`Gateway response type: AUTHORIZER_CONFIGURATION_ERROR with
//! status code: 500`).

use super::*;

const RID: &str = "c6af9ac6-7b61-11e6-9a41-93e8deadbeef";
const INFO_TRACE: ExecutionLogSettings = ExecutionLogSettings {
    level: ExecutionLogLevel::Info,
    data_trace: true,
};
const INFO: ExecutionLogSettings = ExecutionLogSettings {
    level: ExecutionLogLevel::Info,
    data_trace: false,
};
const ERROR: ExecutionLogSettings = ExecutionLogSettings {
    level: ExecutionLogLevel::Error,
    data_trace: false,
};

fn lines(settings: ExecutionLogSettings, steps: impl FnOnce(&mut ExecutionLog<'_>)) -> String {
    let mut out = Vec::new();
    steps(&mut ExecutionLog::new(settings, RID, &mut out));
    String::from_utf8(out).expect("UTF-8")
}

fn expected(lines: &[&str]) -> String {
    lines.iter().map(|l| format!("({RID}) {l}\n")).collect()
}

const NO_PARAMS: [(&str, &str); 0] = [];

/// The steps before the integration, shared by every routed request.
fn method_request(log: &mut ExecutionLog<'_>) {
    log.extended_request_id("J3tzkF4pIAMFqXg=");
    log.usage_plan_without_api_key("GET", "/pets/{id}", "a1b2c3d4e5", "prod");
    log.starting_execution();
    log.http_method("GET", "/pets/42");
    log.method_request_path([("id", "42")]);
    log.method_request_query_string([("color", "red")]);
    log.method_request_headers([("Accept", "*/*"), ("User-Agent", "curl/8.5.0")]);
    log.method_request_body(b"");
}

/// `GET /prod/pets/42?color=red` through an HTTP proxy integration, answered 200.
fn proxied_200(log: &mut ExecutionLog<'_>) {
    method_request(log);
    log.endpoint_request_uri("http://backend.internal:8080/pets/42?color=red");
    log.endpoint_request_headers([
        ("Accept", "*/*"),
        ("User-Agent", "curl/8.5.0"),
        ("X-Amzn-Trace-Id", "Root=1-6537bde9-0123456789abcdef01234567"),
    ]);
    log.endpoint_request_body(b"");
    log.sending_request("http://backend.internal:8080/pets/42?color=red");
    log.received_response(200, 12);
    log.endpoint_response_headers([("Content-Type", "application/json"), ("Content-Length", "27")]);
    log.endpoint_response_body(br#"{"id":42,"name":"Rex","a":1}"#);
    log.method_response_body(br#"{"id":42,"name":"Rex","a":1}"#);
    log.method_response_headers([
        ("Content-Type", "application/json"),
        ("X-Amzn-Trace-Id", "Root=1-6537bde9-0123456789abcdef01234567"),
    ]);
    log.successfully_completed();
    log.method_completed(200);
}

const PROXIED_200_FULL: [&str; 21] = [
    "Extended Request Id: J3tzkF4pIAMFqXg=",
    "Verifying Usage Plan for request: c6af9ac6-7b61-11e6-9a41-93e8deadbeef. API Key:  API Stage: a1b2c3d4e5/prod",
    "API Key  authorized because method 'GET /pets/{id}' does not require API Key. Request will not contribute to throttle or quota limits",
    "Usage Plan check succeeded for API Key  and API Stage a1b2c3d4e5/prod",
    "Starting execution for request: c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
    "HTTP Method: GET, Resource Path: /pets/42",
    "Method request path: {id=42}",
    "Method request query string: {color=red}",
    "Method request headers: {Accept=*/*, User-Agent=curl/8.5.0}",
    "Method request body before transformations: ",
    "Endpoint request URI: http://backend.internal:8080/pets/42?color=red",
    "Endpoint request headers: {Accept=*/*, User-Agent=curl/8.5.0, X-Amzn-Trace-Id=Root=1-6537bde9-0123456789abcdef01234567}",
    "Endpoint request body after transformations: ",
    "Sending request to http://backend.internal:8080/pets/42?color=red",
    "Received response. Status: 200, Integration latency: 12 ms",
    "Endpoint response headers: {Content-Type=application/json, Content-Length=27}",
    r#"Endpoint response body before transformations: {"id":42,"name":"Rex","a":1}"#,
    r#"Method response body after transformations: {"id":42,"name":"Rex","a":1}"#,
    "Method response headers: {Content-Type=application/json, X-Amzn-Trace-Id=Root=1-6537bde9-0123456789abcdef01234567}",
    "Successfully completed execution",
    "Method completed with status: 200",
];

#[test]
fn proxied_200_info_with_data_trace() {
    assert_eq!(lines(INFO_TRACE, proxied_200), expected(&PROXIED_200_FULL));
}

#[test]
fn proxied_200_info_without_data_trace() {
    assert_eq!(
        lines(INFO, proxied_200),
        expected(&[
            "Extended Request Id: J3tzkF4pIAMFqXg=",
            "Verifying Usage Plan for request: c6af9ac6-7b61-11e6-9a41-93e8deadbeef. API Key:  API Stage: a1b2c3d4e5/prod",
            "API Key  authorized because method 'GET /pets/{id}' does not require API Key. Request will not contribute to throttle or quota limits",
            "Usage Plan check succeeded for API Key  and API Stage a1b2c3d4e5/prod",
            "Starting execution for request: c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
            "HTTP Method: GET, Resource Path: /pets/42",
            "Endpoint request URI: http://backend.internal:8080/pets/42?color=red",
            "Sending request to http://backend.internal:8080/pets/42?color=red",
            "Received response. Status: 200, Integration latency: 12 ms",
            "Successfully completed execution",
            "Method completed with status: 200",
        ])
    );
}

#[test]
fn successful_requests_write_nothing_at_error_or_off() {
    assert_eq!(lines(ERROR, proxied_200), "");
    assert_eq!(lines(ExecutionLogSettings::OFF, proxied_200), "");
    let off_with_trace = ExecutionLogSettings {
        level: ExecutionLogLevel::Off,
        data_trace: true,
    };
    assert_eq!(lines(off_with_trace, proxied_200), "");
}

/// A MOCK integration: no endpoint request, so no `Endpoint …`, `Sending` or `Received` lines.
#[test]
fn mock_200_info_with_data_trace() {
    let got = lines(INFO_TRACE, |log| {
        method_request(log);
        log.method_response_body(br#"{"statusCode": 200}"#);
        log.method_response_headers([("Content-Type", "application/json")]);
        log.successfully_completed();
        log.method_completed(200);
    });
    assert_eq!(
        got,
        expected(&[
            "Extended Request Id: J3tzkF4pIAMFqXg=",
            "Verifying Usage Plan for request: c6af9ac6-7b61-11e6-9a41-93e8deadbeef. API Key:  API Stage: a1b2c3d4e5/prod",
            "API Key  authorized because method 'GET /pets/{id}' does not require API Key. Request will not contribute to throttle or quota limits",
            "Usage Plan check succeeded for API Key  and API Stage a1b2c3d4e5/prod",
            "Starting execution for request: c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
            "HTTP Method: GET, Resource Path: /pets/42",
            "Method request path: {id=42}",
            "Method request query string: {color=red}",
            "Method request headers: {Accept=*/*, User-Agent=curl/8.5.0}",
            "Method request body before transformations: ",
            r#"Method response body after transformations: {"statusCode": 200}"#,
            "Method response headers: {Content-Type=application/json}",
            "Successfully completed execution",
            "Method completed with status: 200",
        ])
    );
}

/// The integration does not answer within the timeout: 504, `{"message": "Endpoint request timed out"}`.
fn timeout_504(log: &mut ExecutionLog<'_>) {
    method_request(log);
    log.endpoint_request_uri("http://backend.internal:8080/pets/42?color=red");
    log.sending_request("http://backend.internal:8080/pets/42?color=red");
    log.timeout();
    log.method_completed(504);
}

#[test]
fn timeout_504_info() {
    assert_eq!(
        lines(INFO, timeout_504),
        expected(&[
            "Extended Request Id: J3tzkF4pIAMFqXg=",
            "Verifying Usage Plan for request: c6af9ac6-7b61-11e6-9a41-93e8deadbeef. API Key:  API Stage: a1b2c3d4e5/prod",
            "API Key  authorized because method 'GET /pets/{id}' does not require API Key. Request will not contribute to throttle or quota limits",
            "Usage Plan check succeeded for API Key  and API Stage a1b2c3d4e5/prod",
            "Starting execution for request: c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
            "HTTP Method: GET, Resource Path: /pets/42",
            "Endpoint request URI: http://backend.internal:8080/pets/42?color=red",
            "Sending request to http://backend.internal:8080/pets/42?color=red",
            "Execution failed due to a timeout error",
            "Method completed with status: 504",
        ])
    );
}

/// At ERROR, exactly the two lines of the real ERROR-level log of a timed-out request.
#[test]
fn timeout_504_error_level() {
    let mut out = Vec::new();
    let mut log = ExecutionLog::new(ERROR, "fbcaf9e5-d535-40a1-891c-7b70118cf7e8", &mut out);
    timeout_504(&mut log);
    assert!(log.has_failed());
    assert_eq!(
        String::from_utf8(out).expect("UTF-8"),
        "(fbcaf9e5-d535-40a1-891c-7b70118cf7e8) Execution failed due to a timeout error\n\
         (fbcaf9e5-d535-40a1-891c-7b70118cf7e8) Method completed with status: 504\n"
    );
}

/// A request that matches no resource of a REST API: the `MISSING_AUTHENTICATION_TOKEN` gateway
/// response, 403 `{"message":"Missing Authentication Token"}`. AWS itself may write no execution-log
/// line for such requests (they fail before a method is chosen); Moat writes the gateway-response lines
/// so the stage's log explains every 4xx it served.
fn no_route_403(log: &mut ExecutionLog<'_>) {
    log.extended_request_id("J3tzkF4pIAMFqXg=");
    log.gateway_response("MISSING_AUTHENTICATION_TOKEN", 403);
    log.gateway_response_body(br#"{"message":"Missing Authentication Token"}"#);
    log.gateway_response_headers([
        ("Content-Type", "application/json"),
        ("x-amzn-ErrorType", "MissingAuthenticationTokenException"),
    ]);
    log.method_completed(403);
}

#[test]
fn no_route_403_info_with_data_trace() {
    assert_eq!(
        lines(INFO_TRACE, no_route_403),
        expected(&[
            "Extended Request Id: J3tzkF4pIAMFqXg=",
            "Gateway response type: MISSING_AUTHENTICATION_TOKEN with status code: 403",
            r#"Gateway response body: {"message":"Missing Authentication Token"}"#,
            "Gateway response headers: {Content-Type=application/json, x-amzn-ErrorType=MissingAuthenticationTokenException}",
            "Method completed with status: 403",
        ])
    );
}

#[test]
fn no_route_403_error_level() {
    assert_eq!(
        lines(ERROR, no_route_403),
        expected(&[
            "Gateway response type: MISSING_AUTHENTICATION_TOKEN with status code: 403",
            "Method completed with status: 403",
        ])
    );
}

/// The ERROR lines of a Lambda authorizer misconfiguration, as in a real log.
#[test]
fn configuration_error_and_gateway_response() {
    let got = lines(ERROR, |log| {
        log.configuration_error("Invalid permissions on Lambda function");
        log.configuration_error("Authorizer error");
        log.gateway_response("AUTHORIZER_CONFIGURATION_ERROR", 500);
    });
    assert_eq!(
        got,
        expected(&[
            "Execution failed due to configuration error: Invalid permissions on Lambda function",
            "Execution failed due to configuration error: Authorizer error",
            "Gateway response type: AUTHORIZER_CONFIGURATION_ERROR with status code: 500",
        ])
    );
}

#[test]
fn long_events_are_truncated_at_1024_bytes() {
    let body = "é".repeat(2000); // 2 bytes each: the cut must fall on a character boundary
    let got = lines(INFO_TRACE, |log| log.method_request_body(body.as_bytes()));
    let line = got.strip_suffix('\n').expect("newline");
    let event = line.strip_suffix(TRUNCATED_MARK).expect("truncation mark");
    assert!(
        event.len() <= MAX_EVENT_BYTES && event.len() >= MAX_EVENT_BYTES - 1,
        "{}",
        event.len()
    );
    assert!(event.starts_with(&format!("({RID}) Method request body before transformations: éé")));
    // Exactly at the limit: no mark.
    let prefix = format!("({RID}) Method request body before transformations: ").len();
    let fits = "x".repeat(MAX_EVENT_BYTES - prefix);
    let got = lines(INFO_TRACE, |log| log.method_request_body(fits.as_bytes()));
    assert_eq!(got.len(), MAX_EVENT_BYTES + 1);
    assert!(!got.contains("[TRUNCATED]"));
}

#[test]
fn every_line_stays_one_line() {
    let got = lines(INFO_TRACE, |log| {
        log.method_request_body(b"{\n  \"a\": 1\r\n}\t\x00\xff");
        log.method_request_headers([("X-Evil", "a\nb")]);
        log.http_method("GET", "/a\nb");
    });
    assert_eq!(
        got,
        expected(&[
            "Method request body before transformations: {\\n  \"a\": 1\\r\\n}\\t\\u0000\u{fffd}",
            "Method request headers: {X-Evil=a\\nb}",
            "HTTP Method: GET, Resource Path: /a\\nb",
        ])
    );
}

#[test]
fn secrets_are_redacted_from_header_maps() {
    let got = lines(INFO_TRACE, |log| {
        log.method_request_headers([
            ("authorization", "Bearer abc.def"),
            ("X-API-Key", "0123456789abcdefghijklmnopqrstuvwxReKPrb"),
            ("X-Amz-Security-Token", "tok"),
            ("Cookie", "a=b"),
        ]);
    });
    assert_eq!(
        got,
        expected(&["Method request headers: {authorization=**************, \
                    X-API-Key=**********************************ReKPrb, X-Amz-Security-Token=***, Cookie=a=b}"])
    );
    let empty = lines(INFO_TRACE, |log| log.method_request_path(NO_PARAMS));
    assert_eq!(empty, expected(&["Method request path: {}"]));
}

#[test]
fn levels_and_classes() {
    assert_eq!(ExecutionLogLevel::from_name("info"), Some(ExecutionLogLevel::Info));
    assert_eq!(ExecutionLogLevel::from_name("ERROR"), Some(ExecutionLogLevel::Error));
    assert_eq!(ExecutionLogLevel::from_name("Off"), Some(ExecutionLogLevel::Off));
    assert_eq!(ExecutionLogLevel::from_name("DEBUG"), None);
    assert_eq!(ExecutionLogLevel::default(), ExecutionLogLevel::Off);
    let table = [
        (ExecutionLogSettings::OFF, [false, false, false]),
        (ERROR, [true, false, false]),
        (
            ExecutionLogSettings {
                level: ExecutionLogLevel::Error,
                data_trace: true,
            },
            [true, false, false],
        ),
        (INFO, [true, true, false]),
        (INFO_TRACE, [true, true, true]),
    ];
    for (settings, want) in table {
        let got = [LineClass::Error, LineClass::Info, LineClass::DataTrace].map(|c| settings.writes(c));
        assert_eq!(got, want, "{settings:?}");
    }
    let mut out = Vec::new();
    let log = ExecutionLog::new(INFO, RID, &mut out);
    assert!(log.enabled(LineClass::Info) && !log.enabled(LineClass::DataTrace));
}

/// canary-release.html: canary requests are logged to the stage group and to a `/Canary` group.
#[test]
fn log_groups_for_stage_and_canary() {
    let groups = ExecutionLogGroups::for_stage("a1b2c3d4e5", "prod");
    assert_eq!(groups.stage, "API-Gateway-Execution-Logs_a1b2c3d4e5/prod");
    assert_eq!(groups.canary, "API-Gateway-Execution-Logs_a1b2c3d4e5/prod/Canary");
    assert_eq!(
        groups.for_request(false).collect::<Vec<_>>(),
        ["API-Gateway-Execution-Logs_a1b2c3d4e5/prod"]
    );
    assert_eq!(
        groups.for_request(true).collect::<Vec<_>>(),
        [
            "API-Gateway-Execution-Logs_a1b2c3d4e5/prod",
            "API-Gateway-Execution-Logs_a1b2c3d4e5/prod/Canary"
        ]
    );
    assert_eq!(canary_access_log_group("shop-access"), "shop-access/Canary");
}
