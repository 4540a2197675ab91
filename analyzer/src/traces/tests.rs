//! Traces read from segment documents Moat itself writes (`moat_telemetry::xray::segment::segment_document`),
//! summarised, and filtered with X-Ray filter expressions. "Doc" is the AWS X-Ray developer guide page
//! "Use filter expressions" (xray-console-filters.html).

use std::net::{IpAddr, Ipv4Addr};

use moat_telemetry::request::{FinishedRequest, IntegrationCall, TraceContext};
use moat_telemetry::xray::segment::{segment_document, xray_trace_id, SegmentExtras, SegmentSettings};
use serde_json::json;

use super::filter::{TraceFilter, TraceFilterError};
use super::model::{DocumentError, TraceSet, TraceSummary};
use super::summary::{Bucket, Summary};
use super::*;

const START_US: u64 = 1_764_111_600_000_000;

struct Call {
    n: u128,
    method: &'static str,
    path: &'static str,
    status: u16,
    latency_ms: u64,
    canary: bool,
}

fn request(call: &Call) -> FinishedRequest {
    let start_us = START_US + (call.n as u64) * 1_000_000;
    FinishedRequest {
        request_id: format!("req-{}", call.n),
        extended_request_id: format!("ext-{}=", call.n),
        api_id: "a1b2c3d4e5".to_owned(),
        api_name: "petstore".to_owned(),
        api_type: "rest",
        stage: "prod".to_owned(),
        is_canary: call.canary,
        resource: Some(call.path.to_owned()),
        method: call.method.to_owned(),
        url: format!("https://api.example.com/prod{}", call.path),
        host: Some("api.example.com".to_owned()),
        client_ip: IpAddr::V4(Ipv4Addr::new(192, 0, 2, 10)),
        user_agent: Some("curl/8.5.0".to_owned()),
        protocol: "HTTP/1.1",
        status: call.status,
        response_length: 42,
        start_us,
        end_us: start_us + call.latency_ms * 1_000,
        error_type: None,
        integration: None,
        waf: None,
        trace: TraceContext {
            trace_id: (0x5f00_0000_u128 << 96) | call.n,
            segment_id: 0x1000 + call.n as u64,
            parent_id: None,
            sampled: true,
        },
    }
}

fn document(request: &FinishedRequest) -> String {
    let settings = SegmentSettings {
        region: "us-east-1".to_owned(),
        account_id: None,
    };
    let extras = SegmentExtras {
        sampling_rule: Some("Default"),
        client_ip_from_forwarded_for: false,
    };
    match segment_document(request, &settings, &extras) {
        Ok(document) => document,
        Err(e) => panic!("segment document: {e}"),
    }
}

fn trace_id(n: u128) -> String {
    xray_trace_id((0x5f00_0000_u128 << 96) | n)
}

/// Six requests, in the line forms `moatctl traces` reads: bare documents, the daemon header on its own
/// line and before a document on the same line, a blank line, a line that is not a document, and a
/// downstream segment of trace 1 sent separately that ends after the gateway's.
fn fixture() -> String {
    let calls = [
        Call {
            n: 1,
            method: "GET",
            path: "/pets",
            status: 200,
            latency_ms: 20,
            canary: false,
        },
        Call {
            n: 2,
            method: "GET",
            path: "/pets/1",
            status: 404,
            latency_ms: 8,
            canary: false,
        },
        Call {
            n: 3,
            method: "POST",
            path: "/orders",
            status: 504,
            latency_ms: 1_200,
            canary: false,
        },
        Call {
            n: 4,
            method: "GET",
            path: "/pets",
            status: 429,
            latency_ms: 5,
            canary: false,
        },
        Call {
            n: 5,
            method: "GET",
            path: "/pets",
            status: 200,
            latency_ms: 300,
            canary: true,
        },
    ];
    let mut requests: Vec<FinishedRequest> = calls.iter().map(request).collect();
    if let Some(timed_out) = requests.get_mut(2) {
        timed_out.integration = Some(IntegrationCall {
            kind: "http_proxy",
            url: Some("http://orders.internal/orders".to_owned()),
            method: "POST".to_owned(),
            start_us: timed_out.start_us + 1_000,
            end_us: timed_out.start_us + 1_150_000,
            status: None,
            error: Some("timed out".to_owned()),
            timed_out: true,
        });
    }
    let docs: Vec<String> = requests.iter().map(document).collect();
    let downstream = json!({
        "name": "backend", "id": "9999aaaabbbbcccc", "trace_id": trace_id(1), "parent_id": "0000000000001001",
        "start_time": (START_US + 1_000_000) as f64 / 1e6 + 0.002,
        "end_time": (START_US + 1_000_000) as f64 / 1e6 + 0.045,
        "annotations": {"tier": "backend"}
    });
    let header = r#"{"format": "json", "version": 1}"#;
    [
        docs[0].clone(),
        header.to_owned(),
        docs[1].clone(),
        String::new(),
        format!("{header} {}", docs[2]),
        "this is not a segment document".to_owned(),
        docs[3].clone(),
        docs[4].clone(),
        downstream.to_string(),
    ]
    .join("\n")
}

fn load_fixture() -> Loaded {
    let mut loaded = Loaded::default();
    for (index, line) in fixture().lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        if let Err(e) = loaded.traces.add_line(line, index + 1) {
            loaded.skipped.push(e);
        }
    }
    loaded
}

fn summaries() -> Vec<TraceSummary> {
    load_fixture().traces.summaries()
}

/// The trace numbers (1..=5) that `expression` keeps.
fn kept(expression: &str) -> Vec<u128> {
    let filter = match TraceFilter::parse(expression) {
        Ok(filter) => filter,
        Err(e) => panic!("{expression}: {e}"),
    };
    summaries()
        .iter()
        .filter(|t| filter.matches(t))
        .filter_map(|t| (1..=5).find(|n| trace_id(*n) == t.id))
        .collect()
}

fn parse_error(expression: &str) -> TraceFilterError {
    match TraceFilter::parse(expression) {
        Ok(filter) => panic!("{expression} should not parse: {filter:?}"),
        Err(e) => e,
    }
}

#[test]
fn every_line_form_is_read_and_a_bad_line_is_named() {
    let loaded = load_fixture();
    assert_eq!(loaded.skipped.len(), 1);
    assert!(
        matches!(loaded.skipped[0], DocumentError::NotJson { line: 6, .. }),
        "{:?}",
        loaded.skipped
    );
    let ids: Vec<String> = loaded.traces.summaries().into_iter().map(|t| t.id).collect();
    assert_eq!(ids, (1..=5).map(trace_id).collect::<Vec<_>>());
}

#[test]
fn a_trace_is_summarised_from_its_root_and_all_its_segments() {
    let all = summaries();
    let first = &all[0];
    assert_eq!(first.name, "petstore/prod");
    assert_eq!(first.method.as_deref(), Some("GET"));
    assert_eq!(first.url.as_deref(), Some("https://api.example.com/prod/pets"));
    assert_eq!(first.status, Some(200));
    assert_eq!(first.segments, 2);
    assert!((first.response_time - 0.020).abs() < 1e-6, "{}", first.response_time);
    // The downstream segment ends 45 ms after the start: the trace's duration, not the gateway's 20 ms.
    assert!((first.duration - 0.045).abs() < 1e-6, "{}", first.duration);
    assert_eq!(first.annotations.get("tier"), Some(&json!("backend")));
    assert_eq!(first.annotations.get("aws:api_stage"), Some(&json!("prod")));
    let timed_out = &all[2];
    assert!(timed_out.flags.fault && !timed_out.flags.error);
    let throttled = &all[3];
    assert!(throttled.flags.throttle && throttled.flags.error);
}

#[test]
fn summary_counts_histogram_slowest_statuses_and_urls() {
    let summary = Summary::of(&summaries(), 3);
    assert_eq!(
        (summary.traces, summary.faults, summary.errors, summary.throttles),
        (5, 1, 2, 1)
    );
    let counts: Vec<(Option<u64>, usize)> = summary.histogram.iter().map(|b| (b.le_ms, b.count)).collect();
    assert_eq!(
        counts,
        [
            (Some(10), 2),
            (Some(25), 1),
            (Some(50), 0),
            (Some(100), 0),
            (Some(250), 0),
            (Some(500), 1),
            (Some(1_000), 0),
            (Some(2_500), 1),
            (Some(5_000), 0),
            (Some(10_000), 0),
            (None, 0),
        ]
    );
    let slowest: Vec<&str> = summary.slowest.iter().map(|t| t.id.as_str()).collect();
    assert_eq!(slowest, [trace_id(3), trace_id(5), trace_id(1)]);
    assert_eq!(summary.slowest[0].method.as_deref(), Some("POST"));
    let statuses: Vec<(&str, usize)> = summary.by_status.iter().map(|(s, n)| (s.as_str(), *n)).collect();
    assert_eq!(statuses, [("200", 2), ("404", 1), ("429", 1), ("504", 1)]);
    assert_eq!(
        summary.by_url,
        [
            ("https://api.example.com/prod/pets".to_owned(), 3),
            ("https://api.example.com/prod/orders".to_owned(), 1),
            ("https://api.example.com/prod/pets/1".to_owned(), 1),
        ]
    );
    assert_eq!(summary.response_time_p50, Some(0.020));
    let table = summary.to_table();
    assert!(table.contains("traces     5\n"), "{table}");
    assert!(table.contains("faults     1 (20.0%)"), "{table}");
    assert!(table.contains(&format!("{}  1200.0 ms  POST", trace_id(3))), "{table}");
}

#[test]
fn an_empty_set_summarises_to_zeroes() {
    let summary = Summary::of(&[], 10);
    assert_eq!(summary.traces, 0);
    assert_eq!(summary.response_time_p99, None);
    assert!(summary.histogram.iter().all(|b: &Bucket| b.count == 0));
    assert!(summary.to_table().contains("faults     0 (0.0%)"));
}

// ---- Filter expressions, operator by operator ----

#[test]
fn doc_boolean_keywords_alone_negated_and_compared() {
    // Doc, "Boolean keywords": ok 2XX, error 4XX, throttle 429, fault 5XX, partial; operators: none (true),
    // `!` (false), `=` and `!=` with true or false.
    assert_eq!(kept("fault"), [3]);
    assert_eq!(kept("!fault"), [1, 2, 4, 5]);
    assert_eq!(kept("fault = true"), [3]);
    assert_eq!(kept("fault = false"), [1, 2, 4, 5]);
    assert_eq!(kept("fault != true"), [1, 2, 4, 5]);
    assert_eq!(kept("error"), [2, 4]);
    assert_eq!(kept("throttle"), [4]);
    assert_eq!(kept("ok"), [1, 5]);
    assert_eq!(kept("partial"), Vec::<u128>::new());
}

#[test]
fn doc_number_keywords_and_operators() {
    // Doc, "Number keywords" (responsetime, duration, http.status) with = != < <= > >=; doc example
    // `responsetime > 5` (seconds).
    assert_eq!(kept("responsetime > 5"), Vec::<u128>::new());
    assert_eq!(kept("responsetime > 1"), [3]);
    assert_eq!(kept("responsetime >= 0.3"), [3, 5]);
    assert_eq!(kept("responsetime < 0.01"), [2, 4]);
    assert_eq!(kept("responsetime <= 0.008"), [2, 4]);
    assert_eq!(kept("http.status = 404"), [2]);
    assert_eq!(kept("http.status != 200"), [2, 3, 4]);
    assert_eq!(kept("duration > 0.04 AND duration < 0.05"), [1]);
    // Doc example "Request where the total duration was 5 to 8 seconds".
    assert_eq!(kept("duration >= 5 AND duration <= 8"), Vec::<u128>::new());
}

#[test]
fn doc_string_keywords_and_operators() {
    // Doc, "String keywords" with = != CONTAINS BEGINSWITH ENDSWITH.
    assert_eq!(kept(r#"http.url CONTAINS "/pets""#), [1, 2, 4, 5]);
    assert_eq!(kept(r#"http.url ENDSWITH "/pets""#), [1, 4, 5]);
    assert_eq!(kept(r#"http.url BEGINSWITH "https://api.example.com/prod/o""#), [3]);
    assert_eq!(kept(r#"http.url = "https://api.example.com/prod/pets/1""#), [2]);
    assert_eq!(kept(r#"http.method != "GET""#), [3]);
    assert_eq!(kept(r#"http.useragent BEGINSWITH "curl/""#), [1, 2, 3, 4, 5]);
    assert_eq!(kept(r#"http.clientip = "192.0.2.10""#), [1, 2, 3, 4, 5]);
    assert_eq!(kept(r#"user = "alice""#), Vec::<u128>::new());
    // Doc example (without its service() part): URL begins with a prefix and contains "/v2/".
    assert_eq!(
        kept(r#"http.url BEGINSWITH "http://api.example.com/" AND http.url CONTAINS "/v2/""#),
        Vec::<u128>::new()
    );
}

#[test]
fn doc_annotations_by_key_in_both_spellings() {
    // Doc: `annotation.account = "12345"`; `annotation[key]` for keys with other characters.
    assert_eq!(kept("annotation.moat_canary = true"), [5]);
    assert_eq!(kept("annotation.moat_canary"), [5]);
    assert_eq!(kept("annotation.moat_canary != true"), [1, 2, 3, 4]);
    assert_eq!(kept(r#"annotation[aws:api_stage] = "prod""#), [1, 2, 3, 4, 5]);
    assert_eq!(kept("annotation.tier"), [1]);
    let mut set = TraceSet::default();
    set.add_line(
        r#"{"name":"svc","id":"1111222233334444","trace_id":"1-5f000000-000000000000000000000009","start_time":1,"end_time":2,"annotations":{"account":"12345","retries":3}}"#,
        1,
    )
    .expect("a document");
    let trace = &set.summaries()[0];
    for (expression, expected) in [
        (r#"annotation.account = "12345""#, true),
        (r#"annotation.account CONTAINS "234""#, true),
        ("annotation.retries >= 3", true),
        ("annotation.retries < 3", false),
        ("annotation.missing", false),
    ] {
        let filter = TraceFilter::parse(expression).expect("parses");
        assert_eq!(filter.matches(trace), expected, "{expression}");
    }
}

#[test]
fn doc_compound_expressions_and_juxtaposition() {
    // Doc: "ok !partial duration <3" (juxtaposed expressions are all required), AND/OR, and the doc's
    // `fault = true OR responsetime > 2.5` from inside its service() example.
    assert_eq!(kept("ok !partial duration <3"), [1, 5]);
    assert_eq!(kept("fault = true OR responsetime > 2.5"), [3]);
    assert_eq!(kept("error OR fault AND responsetime > 1"), [2, 3, 4]);
    assert_eq!(kept("(error OR fault) AND responsetime > 0.006"), [2, 3]);
    assert_eq!(kept(r#"NOT http.url CONTAINS "/pets""#), [3]);
    assert_eq!(kept("NOT (ok OR fault)"), [2, 4]);
}

#[test]
fn filter_errors_name_the_column_and_what_was_expected() {
    let cases = [
        ("", 1, "a filter expression"),
        (r#"service("api.example.com") { fault = true }"#, 1, "service graph"),
        ("http.url CONTAINS pets", 19, "quoted string"),
        (r#"responsetime CONTAINS "x""#, 14, "number operator"),
        ("http.status = \"200\"", 15, "a number"),
        ("(fault", 7, "')'"),
        ("fault = maybe", 9, "true or false"),
        ("latency > 5", 1, "a keyword"),
        ("fault )", 7, "AND, OR or the end"),
        ("http.url = \"x", 12, "closing '\"'"),
    ];
    for (expression, column, expected) in cases {
        let error = parse_error(expression);
        assert_eq!(error.column, column, "{expression}: {error}");
        assert!(error.expected.contains(expected), "{expression}: {error}");
    }
}

#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    let deep = format!("{}fault{}", "(".repeat(100_000), ")".repeat(100_000));
    assert_eq!(parse_error(&deep).column, 65);
    let negations = "NOT ".repeat(100_000) + "fault";
    assert_eq!(parse_error(&negations).column, 257);
    assert_eq!(kept(&("!".repeat(64) + "fault")), [3]);
}

#[test]
fn select_applies_the_filter_to_a_loaded_set() {
    let loaded = load_fixture();
    let filter = TraceFilter::parse("fault OR throttle").expect("parses");
    let selected = select(&loaded.traces, Some(&filter));
    assert_eq!(
        selected.iter().map(|t| t.id.clone()).collect::<Vec<_>>(),
        [trace_id(3), trace_id(4)]
    );
    assert_eq!(select(&loaded.traces, None).len(), 5);
}

#[test]
fn documents_missing_required_fields_are_refused_with_the_reason() {
    let mut set = TraceSet::default();
    let cases = [
        (r#"{"id":"a","start_time":1,"end_time":2}"#, "trace_id"),
        (
            r#"{"id":"a","trace_id":"1-5f000000-000000000000000000000001","end_time":2}"#,
            "start_time",
        ),
        (
            r#"{"id":"a","trace_id":"1-5f000000-000000000000000000000001","start_time":1}"#,
            "in_progress",
        ),
        ("[1, 2]", "not a JSON object"),
        (r#"{"Traces":[{"Segments":[{"Id":"a"}]}]}"#, "no Document"),
    ];
    for (line, reason) in cases {
        match set.add_line(line, 7) {
            Err(DocumentError::NotASegment { line: 7, reason: got }) => assert!(got.contains(reason), "{got}"),
            other => panic!("{line}: {other:?}"),
        }
    }
    let in_progress =
        r#"{"id":"b","trace_id":"1-5f000000-000000000000000000000002","start_time":1,"in_progress":true}"#;
    assert_eq!(set.add_line(in_progress, 8), Ok(1));
    assert!(set.summaries()[0].partial);
}

#[test]
fn batch_get_traces_output_is_read_too() {
    // `aws xray batch-get-traces` prints {"Traces": [{"Id", "Segments": [{"Id", "Document"}]}]}.
    let doc = document(&request(&Call {
        n: 7,
        method: "GET",
        path: "/x",
        status: 500,
        latency_ms: 3,
        canary: false,
    }));
    let output = json!({"Traces": [{"Id": trace_id(7), "Segments": [{"Id": "0000000000001007", "Document": doc}]}]});
    let mut set = TraceSet::default();
    assert_eq!(set.add_line(&output.to_string(), 1), Ok(1));
    let summary = &set.summaries()[0];
    assert_eq!(
        (summary.id.as_str(), summary.status, summary.flags.fault),
        (trace_id(7).as_str(), Some(500), true)
    );
}

proptest::proptest! {
    #[test]
    fn filter_parse_never_panics(text in proptest::prelude::any::<String>()) {
        let _ = TraceFilter::parse(&text);
    }

    #[test]
    fn filter_parse_and_match_never_panic_on_expression_like_text(
        text in r#"[ ()!=<>"a-z.\[\]:0-9]{0,40}|(fault|ok|AND|OR|NOT|http\.status|responsetime|[<>=]|[0-9.]{1,3}| ){0,8}"#,
    ) {
        if let Ok(filter) = TraceFilter::parse(&text) {
            for trace in summaries() {
                let _ = filter.matches(&trace);
            }
        }
    }

    #[test]
    fn line_reading_never_panics(line in proptest::prelude::any::<String>()) {
        let mut set = TraceSet::default();
        let _ = set.add_line(&line, 1);
        let _ = set.summaries();
    }
}
