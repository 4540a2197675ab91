//! Record formats and event times. Sample lines follow the console example formats of "Access logging for REST
//! APIs" / "Configure logging for HTTP APIs" (moat-formats' presets), rendered by hand.

use moat_formats::record::ApiType;
use serde_json::Value;

use super::*;

/// 2026-11-25T22:30:56Z.
const T: i64 = 1_795_645_856_000;
const RID: &str = "c6af9ac6-7b61-11e6-9a41-93e8deadbeef";

fn field(record: &Record, name: &str) -> String {
    match record.get(name) {
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
        None => panic!("no field {name} in {:?}", record.fields().collect::<Vec<_>>()),
    }
}

fn names(record: &Record) -> Vec<&str> {
    record.fields().map(|(name, _)| name).collect()
}

#[test]
fn rest_clf_preset_fields_are_variable_names() {
    let format = LogFormat::from_arg("clf", Some(ApiType::Rest)).unwrap();
    let line = format!(
        "203.0.113.7 - - [25/Nov/2026:22:30:56 +0000] \"GET /pets/{{id}} HTTP/1.1\" 200 27 {RID} J3tzkF4pIAMFqXg="
    );
    let record = format.parse(&line).expect("matches");
    assert_eq!(
        names(&record),
        [
            "identity.sourceIp",
            "identity.caller",
            "identity.user",
            "requestTime",
            "httpMethod",
            "resourcePath",
            "protocol",
            "status",
            "responseLength",
            "requestId",
            "extendedRequestId"
        ]
    );
    assert_eq!(field(&record, "identity.sourceIp"), "203.0.113.7");
    assert_eq!(field(&record, "identity.caller"), "-");
    assert_eq!(field(&record, "requestTime"), "25/Nov/2026:22:30:56 +0000");
    assert_eq!(field(&record, "resourcePath"), "/pets/{id}");
    assert_eq!(field(&record, "status"), "200");
    assert_eq!(field(&record, "extendedRequestId"), "J3tzkF4pIAMFqXg=");
    assert_eq!(record.event_time(), Some(T));
    assert_eq!(event_time(&line, &format), Some(T));
    assert!(format.parse("not an access log line").is_none());
}

#[test]
fn http_csv_preset() {
    let format = LogFormat::from_arg("CSV", Some(ApiType::Http)).unwrap();
    let line = format!("198.51.100.2,25/Nov/2026:22:30:56 +0000,POST,POST /orders,HTTP/1.1,201,15,{RID}");
    let record = format.parse(&line).expect("matches");
    assert_eq!(field(&record, "routeKey"), "POST /orders");
    assert_eq!(field(&record, "status"), "201");
    assert_eq!(field(&record, "requestId"), RID);
}

#[test]
fn xml_preset_values_are_unescaped() {
    let format = LogFormat::from_arg("xml", None).unwrap();
    let line = format!(
        "<request id=\"{RID}\"> <extendedRequestId>J3tzkF4pIAMFqXg=</extendedRequestId> <ip>203.0.113.7</ip> \
         <caller>-</caller> <user>-</user> <requestTime>25/Nov/2026:22:30:56 +0000</requestTime> \
         <httpMethod>GET</httpMethod> <resourcePath>/a&amp;b&lt;c&gt;</resourcePath> <status>404</status> \
         <protocol>HTTP/1.1</protocol> <responseLength>0</responseLength> </request>"
    );
    let record = format.parse(&line).expect("matches");
    assert_eq!(field(&record, "requestId"), RID);
    assert_eq!(field(&record, "resourcePath"), "/a&b<c>");
    assert_eq!(field(&record, "status"), "404");
}

#[test]
fn json_templates_are_read_by_their_keys() {
    for arg in [
        "json",
        "default",
        r#"{"id":"$context.requestId","s":"$context.status","lat":$context.responseLatency}"#,
    ] {
        assert_eq!(LogFormat::from_arg(arg, None).unwrap(), LogFormat::Json, "{arg}");
    }
    let line = format!(r#"{{"id":"{RID}","s":"502","lat":31}}"#);
    let record = LogFormat::Json.parse(&line).unwrap();
    assert_eq!(field(&record, "s"), "502");
    assert_eq!(record.get("lat"), Some(&Value::from(31)));
}

#[test]
fn custom_template_keeps_quotes_inside_the_last_quoted_value() {
    let format = LogFormat::from_arg(
        "$context.requestId $context.status \"$context.identity.userAgent\"",
        None,
    )
    .unwrap();
    let record = format.parse(&format!("{RID} 200 \"curl \"quoted\" 8.5\"")).unwrap();
    assert_eq!(field(&record, "identity.userAgent"), "curl \"quoted\" 8.5");
    // An HTTP-only variable is accepted without --api-type (REST is tried first, then HTTP).
    let http = LogFormat::from_arg("$context.requestId $context.routeKey!", None).unwrap();
    let record = http.parse(&format!("{RID} GET /a b!")).unwrap();
    assert_eq!(field(&record, "routeKey"), "GET /a b");
}

#[test]
fn header_override_names_keep_their_dashes() {
    let LogFormat::Template(template) =
        LogFormat::from_arg("$context.requestId $context.requestOverride.header.X-Trace-Id.", None).unwrap()
    else {
        panic!("a text template")
    };
    assert_eq!(
        template.variables().collect::<Vec<_>>(),
        ["requestId", "requestOverride.header.X-Trace-Id"]
    );
    let record = template.parse("r1 abc.").unwrap();
    assert_eq!(field(&record, "requestOverride.header.X-Trace-Id"), "abc");
}

#[test]
fn bad_format_arguments_name_the_problem() {
    let err = LogFormat::from_arg("apache", None).unwrap_err().to_string();
    assert!(err.contains("unknown log format `apache`"), "{err}");
    let err = LogFormat::from_arg("$context.requestId$context.status", None)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("`$context.requestId` and `$context.status` (column 19)"),
        "{err}"
    );
    let err = LogFormat::from_arg("$context.status $context.requestIdd", None)
        .unwrap_err()
        .to_string();
    assert!(err.contains("requestIdd"), "{err}");
    let err = LogFormat::from_arg("$context.routeKey $context.requestId", Some(ApiType::Rest)).unwrap_err();
    assert!(err.to_string().contains("only for http"), "{err}");
}

#[test]
fn combined_log_format_example_of_the_apache_docs() {
    // Apache HTTP Server documentation, "Log Files", Combined Log Format example.
    let line = r#"127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326 "http://www.example.com/start.html" "Mozilla/4.08 [en] (Win98; I ;Nav)""#;
    for format in [
        LogFormat::Auto,
        LogFormat::Clf,
        LogFormat::from_arg("combined", None).unwrap(),
    ] {
        let record = format.parse(line).expect("combined");
        assert_eq!(
            names(&record),
            [
                "ip",
                "ident",
                "user",
                "requestTime",
                "request",
                "httpMethod",
                "path",
                "protocol",
                "status",
                "responseLength",
                "referer",
                "userAgent"
            ]
        );
        assert_eq!(field(&record, "user"), "frank");
        assert_eq!(field(&record, "path"), "/apache_pb.gif");
        assert_eq!(field(&record, "userAgent"), "Mozilla/4.08 [en] (Win98; I ;Nav)");
        assert_eq!(record.event_time(), Some(971_211_336_000));
    }
    // Common Log Format: the same line without referer and agent.
    let common = r#"127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326"#;
    assert_eq!(field(&parse_clf(common).unwrap(), "responseLength"), "2326");
}

#[test]
fn clf_auto_detection_reads_api_gateway_clf_examples() {
    let rest =
        format!("203.0.113.7 - - [25/Nov/2026:22:30:56 +0000] \"GET /pets HTTP/1.1\" 200 27 {RID} J3tzkF4pIAMFqXg=");
    let record = LogFormat::Auto.parse(&rest).unwrap();
    assert_eq!(field(&record, "requestId"), RID);
    assert_eq!(field(&record, "extendedRequestId"), "J3tzkF4pIAMFqXg=");
    let http = format!("203.0.113.7 - - [25/Nov/2026:22:30:56 +0000] \"GET GET /pets HTTP/1.1\" 200 27 {RID}");
    let record = LogFormat::Auto.parse(&http).unwrap();
    assert_eq!(field(&record, "path"), "GET /pets", "HTTP APIs log the route key");
    assert_eq!(field(&record, "requestId"), RID);
    assert_eq!(event_time(&http, &LogFormat::Auto), Some(T));
}

#[test]
fn lines_that_are_not_clf_have_no_fields() {
    for line in [
        "",
        "plain text",
        "1.2.3.4 - - [25/Nov/2026:22:30:56 +0000] \"GET / HTTP/1.1\" 2000 5",
        "1.2.3.4 - - [yesterday] \"GET / HTTP/1.1\" 200 5",
        "1.2.3.4 - - [25/Nov/2026:22:30:56 +0000] \"GET / HTTP/1.1\" 200 5 \"ref\"",
        "1.2.3.4 - - [25/Nov/2026:22:30:56 +0000] \"GET / HTTP/1.1 200 5",
        "1.2.3.4 - - [25/Nov/2026:22:30:56 +0000] \"GET / HTTP/1.1\" 200 5 a b c",
    ] {
        assert!(LogFormat::Auto.parse(line).is_none(), "{line}");
    }
}

#[test]
fn event_time_sources() {
    let cases = [
        (
            format!(
                r#"{{"requestId":"{RID}","requestTimeEpoch":"{}","requestTime":"x"}}"#,
                T + 5
            ),
            Some(T + 5),
        ),
        (
            r#"{"requestTime":"25/Nov/2026:22:30:56 +0000","status":"200"}"#.to_owned(),
            Some(T),
        ),
        (r#"{"timestamp":"2026-11-25T22:30:56.250Z"}"#.to_owned(), Some(T + 250)),
        (r#"{"@timestamp":"2026-11-25T23:30:56+01:00"}"#.to_owned(), Some(T)),
        (format!(r#"{{"time":{}}}"#, T / 1000), Some(T)),
        (format!(r#"{{"time":{T}}}"#), Some(T)),
        (
            format!(r#"{{"_aws":{{"Timestamp":{T},"CloudWatchMetrics":[]}},"Latency":3}}"#),
            Some(T),
        ),
        (r#"{"status":"200"}"#.to_owned(), None),
        (r#"{"time":"soon"}"#.to_owned(), None),
        (format!("({RID}) Method completed with status: 200"), None),
        (
            "Wed Nov 25 22:30:56 UTC 2026 : Starting execution for request: x".to_owned(),
            Some(T),
        ),
    ];
    for (message, expected) in cases {
        assert_eq!(event_time(&message, &LogFormat::Auto), expected, "{message}");
        if let Some(record) = Record::parse_json(&message) {
            assert_eq!(record.event_time(), expected, "record of {message}");
        }
    }
    // Duplicate keys make the fast path fail; the flattened record (last value wins) still has a time.
    let duplicate = format!(r#"{{"requestTimeEpoch":1,"requestTimeEpoch":{T}}}"#);
    assert_eq!(event_time(&duplicate, &LogFormat::Json), Some(T));
}

/// Renders `record` with the gateway's own renderer (moat-formats) for `format`.
fn render(
    format: &moat_formats::access_log::AccessLogFormat,
    record: &moat_formats::record::RequestRecord<'_>,
) -> String {
    let mut out = Vec::new();
    format.render(record, &mut out);
    let mut line = String::from_utf8(out).unwrap();
    assert_eq!(line.pop(), Some('\n'));
    line
}

fn request<'a>(api: ApiType, user_agent: &'a str, resource_path: &'a str) -> moat_formats::record::RequestRecord<'a> {
    moat_formats::record::RequestRecord {
        api_type: Some(api),
        account_id: "123456789012",
        api_id: "a1b2c3d4e5",
        stage: "prod",
        request_id: RID,
        extended_request_id: "J3tzkF4pIAMFqXg=",
        domain_name: "api.example.com",
        domain_prefix: "api",
        source_ip: "203.0.113.7",
        user_agent: Some(user_agent),
        http_method: "GET",
        path: "/prod/pets/42",
        resource_path: Some(resource_path),
        route_key: Some("GET /pets/{id}"),
        resource_id: Some("abc123"),
        protocol: "HTTP/1.1",
        status: 503,
        response_length: 27,
        request_length: 0,
        request_time_epoch_ms: u64::try_from(T).unwrap() + 456,
        response_latency_ms: 29_004,
        integration: None,
        error: None,
        waf: None,
        xray_trace_id: "Root=1-6537bde9-0123456789abcdef01234567",
        is_canary: true,
        base_path_matched: None,
    }
}

#[test]
fn every_preset_rendered_by_the_gateway_reads_back() {
    use moat_formats::access_log::{AccessLogFormat, Preset};
    for api in [ApiType::Rest, ApiType::Http] {
        for preset in Preset::ALL {
            let line = render(
                &AccessLogFormat::preset(preset, api),
                &request(api, "curl/8.5.0", "/pets/{id}&<x>"),
            );
            let format = LogFormat::from_arg(preset.name(), Some(api)).unwrap();
            let record = format
                .parse(&line)
                .unwrap_or_else(|| panic!("{} {}: {line}", api.as_str(), preset.name()));
            // JSON presets name fields by key, text presets by variable: both say requestId and status.
            assert_eq!(field(&record, "requestId"), RID, "{line}");
            assert_eq!(field(&record, "status"), "503", "{line}");
            assert_eq!(
                record.event_time(),
                Some(T),
                "requestTime is CLF, to the second: {line}"
            );
            assert_eq!(event_time(&line, &format), Some(T));
            if api == ApiType::Rest {
                assert_eq!(field(&record, "resourcePath"), "/pets/{id}&<x>", "{line}");
            }
        }
    }
}

proptest::proptest! {
    /// Any user agent and path the gateway writes into a custom text format reads back as written.
    #[test]
    fn custom_text_template_round_trips(agent in "[ -~]{0,40}", path in "/[!-~]{0,30}") {
        use moat_formats::access_log::AccessLogFormat;
        let template = "$context.requestId [$context.requestTime] \"$context.httpMethod $context.resourcePath \
                        $context.protocol\" $context.status $context.requestTimeEpoch \"$context.identity.userAgent\"";
        let rendered = render(&AccessLogFormat::compile(template, ApiType::Rest).unwrap(), &request(ApiType::Rest, &agent, &path));
        let record = LogFormat::from_arg(template, None).unwrap().parse(&rendered).unwrap();
        let shown = |text: &str| if text.is_empty() { "-".to_owned() } else { text.to_owned() };
        proptest::prop_assert_eq!(field(&record, "identity.userAgent"), shown(&agent));
        proptest::prop_assert_eq!(field(&record, "resourcePath"), path);
        proptest::prop_assert_eq!(field(&record, "status"), "503");
        proptest::prop_assert_eq!(record.event_time(), Some(T + 456));
    }
}
