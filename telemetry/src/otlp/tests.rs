#![allow(clippy::unwrap_used)]

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr};

use opentelemetry_proto::tonic::common::v1::{any_value::Value, KeyValue};
use opentelemetry_proto::tonic::metrics::v1::{metric, number_data_point, Metric};
use opentelemetry_proto::tonic::trace::v1::{span::SpanKind, status::StatusCode, Span};

use super::metrics::Aggregator;
use super::spans::{integration_span_id, push_spans, resource};
use super::*;
use crate::request::{IntegrationCall, TraceContext, WafOutcome};

/// The X-Ray trace id `1-5759e988-bd862e3fe1be46a994272793` of AWS's X-Ray documentation examples.
const TRACE_ID: u128 = 0x5759_e988_bd86_2e3f_e1be_46a9_9427_2793;

fn request() -> FinishedRequest {
    FinishedRequest {
        request_id: "c6af9ac6-7b61-11e6-9a41-93e8deadbeef".to_owned(),
        extended_request_id: "LQrxsF1boAMFwkQ=".to_owned(),
        api_id: "a1b2c3d4e5".to_owned(),
        api_name: "pets".to_owned(),
        api_type: "http",
        stage: "prod".to_owned(),
        is_canary: false,
        resource: Some("GET /pets/{id}".to_owned()),
        method: "GET".to_owned(),
        url: "https://api.example.com/prod/pets/7?verbose=1".to_owned(),
        host: Some("api.example.com".to_owned()),
        client_ip: IpAddr::V4(Ipv4Addr::new(203, 0, 113, 9)),
        user_agent: Some("curl/8.5.0".to_owned()),
        protocol: "HTTP/1.1",
        status: 200,
        response_length: 42,
        start_us: 1_700_000_000_000_000,
        end_us: 1_700_000_000_012_500,
        error_type: None,
        integration: Some(IntegrationCall {
            kind: "http_proxy",
            url: Some("http://10.0.0.5:8080/pets/7".to_owned()),
            method: "GET".to_owned(),
            start_us: 1_700_000_000_001_000,
            end_us: 1_700_000_000_011_000,
            status: Some(200),
            error: None,
            timed_out: false,
        }),
        waf: Some(WafOutcome {
            action: "ALLOW".to_owned(),
            terminating_rule_id: "Default_Action".to_owned(),
            web_acl: "arn:aws:wafv2:us-east-1:123456789012:regional/webacl/moat/1".to_owned(),
        }),
        trace: TraceContext {
            trace_id: TRACE_ID,
            segment_id: 0x53995c3f42cd8ad8,
            parent_id: Some(0x0123_4567_89ab_cdef),
            sampled: true,
        },
    }
}

fn attrs(kvs: &[KeyValue]) -> HashMap<String, Value> {
    kvs.iter()
        .map(|kv| (kv.key.clone(), kv.value.clone().unwrap().value.unwrap()))
        .collect()
}

fn s(v: &str) -> Value {
    Value::StringValue(v.to_owned())
}

fn spans_of(r: &FinishedRequest) -> Vec<Span> {
    let mut out = Vec::new();
    push_spans(r, &mut out);
    out
}

#[test]
fn server_span_carries_the_xray_ids_times_and_semconv_attributes() {
    let spans = spans_of(&request());
    assert_eq!(spans.len(), 2);
    let server = &spans[0];
    // The 128-bit OTLP trace id is the X-Ray id's hex digits, epoch part first.
    assert_eq!(hex(&server.trace_id), "5759e988bd862e3fe1be46a994272793");
    assert_eq!(hex(&server.span_id), "53995c3f42cd8ad8");
    assert_eq!(hex(&server.parent_span_id), "0123456789abcdef");
    assert_eq!(server.flags, 0x301, "sampled, parent is remote");
    assert_eq!(server.kind, SpanKind::Server as i32);
    assert_eq!(server.name, "GET /pets/{id}");
    assert_eq!(server.start_time_unix_nano, 1_700_000_000_000_000_000);
    assert_eq!(server.end_time_unix_nano, 1_700_000_000_012_500_000);
    assert!(server.status.is_none(), "2xx leaves the status unset");
    let a = attrs(&server.attributes);
    let expected = [
        ("http.request.method", s("GET")),
        ("url.scheme", s("https")),
        ("url.path", s("/prod/pets/7")),
        ("url.query", s("verbose=1")),
        ("http.route", s("/pets/{id}")),
        ("http.response.status_code", Value::IntValue(200)),
        ("http.response.body.size", Value::IntValue(42)),
        ("client.address", s("203.0.113.9")),
        ("user_agent.original", s("curl/8.5.0")),
        ("server.address", s("api.example.com")),
        ("server.port", Value::IntValue(443)),
        ("network.protocol.name", s("http")),
        ("network.protocol.version", s("1.1")),
        ("aws.api_gateway.request_id", s("c6af9ac6-7b61-11e6-9a41-93e8deadbeef")),
        ("aws.api_gateway.extended_request_id", s("LQrxsF1boAMFwkQ=")),
        ("aws.api_gateway.api_id", s("a1b2c3d4e5")),
        ("aws.api_gateway.api_name", s("pets")),
        ("aws.api_gateway.api_type", s("http")),
        ("aws.api_gateway.stage", s("prod")),
        ("aws.api_gateway.canary", Value::BoolValue(false)),
        ("aws.api_gateway.resource", s("GET /pets/{id}")),
        ("aws.waf.action", s("ALLOW")),
        ("aws.waf.terminating_rule_id", s("Default_Action")),
        (
            "aws.waf.web_acl",
            s("arn:aws:wafv2:us-east-1:123456789012:regional/webacl/moat/1"),
        ),
    ];
    for (key, value) in &expected {
        assert_eq!(a.get(*key), Some(value), "{key}");
    }
    assert_eq!(a.len(), expected.len(), "no other attributes: {a:?}");
}

#[test]
fn client_span_is_the_integration_call_under_the_server_span() {
    let spans = spans_of(&request());
    let client = &spans[1];
    assert_eq!(client.trace_id, spans[0].trace_id);
    assert_eq!(client.parent_span_id, spans[0].span_id);
    assert_eq!(client.span_id, integration_span_id(0x53995c3f42cd8ad8).to_be_bytes());
    assert_ne!(client.span_id, spans[0].span_id);
    assert_eq!(client.kind, SpanKind::Client as i32);
    assert_eq!(client.flags, 0x101, "sampled, parent is local");
    assert_eq!(client.name, "GET");
    assert_eq!(client.start_time_unix_nano, 1_700_000_000_001_000_000);
    assert_eq!(client.end_time_unix_nano, 1_700_000_000_011_000_000);
    assert!(client.status.is_none());
    let a = attrs(&client.attributes);
    assert_eq!(a["url.full"], s("http://10.0.0.5:8080/pets/7"));
    assert_eq!(a["server.address"], s("10.0.0.5"));
    assert_eq!(a["server.port"], Value::IntValue(8080));
    assert_eq!(a["http.response.status_code"], Value::IntValue(200));
    assert_eq!(a["aws.api_gateway.integration.type"], s("http_proxy"));
    assert!(!a.contains_key("error.type"));
}

#[test]
fn errors_follow_semconv_per_span_kind() {
    // A 404 from the integration: the CLIENT span is an error, the SERVER span's 4xx is not.
    let mut r = request();
    r.status = 404;
    r.integration.as_mut().unwrap().status = Some(404);
    let spans = spans_of(&r);
    assert!(spans[0].status.is_none());
    assert!(!attrs(&spans[0].attributes).contains_key("error.type"));
    assert_eq!(spans[1].status.as_ref().unwrap().code, StatusCode::Error as i32);
    assert_eq!(attrs(&spans[1].attributes)["error.type"], s("404"));

    // A timed-out integration: 504 from the gateway, both spans errors.
    let mut r = request();
    r.status = 504;
    r.error_type = Some("INTEGRATION_TIMEOUT".to_owned());
    let call = r.integration.as_mut().unwrap();
    call.status = None;
    call.timed_out = true;
    call.error = Some("timed out after 29000 ms".to_owned());
    let spans = spans_of(&r);
    let server = spans[0].status.as_ref().unwrap();
    assert_eq!(server.code, StatusCode::Error as i32);
    assert_eq!(server.message, "INTEGRATION_TIMEOUT");
    let a = attrs(&spans[0].attributes);
    assert_eq!(a["error.type"], s("504"));
    assert_eq!(a["aws.api_gateway.response_type"], s("INTEGRATION_TIMEOUT"));
    assert_eq!(attrs(&spans[1].attributes)["error.type"], s("timeout"));
    assert_eq!(spans[1].status.as_ref().unwrap().message, "timed out after 29000 ms");
}

#[test]
fn unsampled_requests_make_no_spans_and_odd_inputs_are_normalised() {
    let mut r = request();
    r.trace.sampled = false;
    assert!(spans_of(&r).is_empty());

    let mut r = request();
    r.method = "PURGE".to_owned();
    r.resource = Some("$default".to_owned());
    r.protocol = "HTTP/2.0";
    r.trace.parent_id = None;
    r.integration = None;
    r.host = Some("api.example.com:8443".to_owned());
    let spans = spans_of(&r);
    assert_eq!(spans.len(), 1, "no integration call, no CLIENT span");
    let server = &spans[0];
    assert!(server.parent_span_id.is_empty());
    assert_eq!(server.flags, 0x101);
    assert_eq!(server.name, "_OTHER", "no route template for $default");
    let a = attrs(&server.attributes);
    assert_eq!(a["http.request.method"], s("_OTHER"));
    assert_eq!(a["http.request.method_original"], s("PURGE"));
    assert_eq!(a["network.protocol.version"], s("2"));
    assert_eq!(a["server.port"], Value::IntValue(8443));
    assert!(!a.contains_key("http.route"));

    // A REST API resource path is the route as it is.
    let mut r = request();
    r.api_type = "rest";
    r.resource = Some("/pets/{petId}".to_owned());
    assert_eq!(spans_of(&r)[0].name, "GET /pets/{petId}");
}

#[test]
fn resource_has_service_name_and_extra_attributes() {
    let extra = vec![
        ("cloud.provider".to_owned(), "aws".to_owned()),
        ("service.name".to_owned(), "ignored".to_owned()),
        ("deployment.environment.name".to_owned(), "prod".to_owned()),
    ];
    let a = attrs(&resource("edge-gw", &extra).attributes);
    assert_eq!(a["service.name"], s("edge-gw"));
    assert_eq!(a["cloud.provider"], s("aws"));
    assert_eq!(a["deployment.environment.name"], s("prod"));
    assert_eq!(a["telemetry.sdk.language"], s("rust"));
}

#[test]
fn integration_span_ids_are_distinct_and_non_zero() {
    let mut seen = std::collections::HashSet::new();
    for id in (0..10_000u64).chain([u64::MAX, 0x9E37_79B9_7F4A_7C15u64.wrapping_neg()]) {
        let derived = integration_span_id(id);
        assert_ne!(derived, 0);
        assert_ne!(derived, id);
        assert!(seen.insert(derived), "collision for {id}");
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn metric<'a>(metrics: &'a [Metric], name: &str) -> &'a Metric {
    metrics.iter().find(|m| m.name == name).unwrap()
}

fn int_points(m: &Metric) -> Vec<(HashMap<String, Value>, i64)> {
    let Some(metric::Data::Sum(sum)) = &m.data else {
        panic!("{} is not a sum", m.name)
    };
    assert!(sum.is_monotonic);
    sum.data_points
        .iter()
        .map(|p| {
            let Some(number_data_point::Value::AsInt(v)) = p.value else {
                panic!("not an int")
            };
            (attrs(&p.attributes), v)
        })
        .collect()
}

#[test]
fn metrics_aggregate_per_series_with_api_gateway_dimensions() {
    let aggregator = Aggregator::new(100, Temporality::Cumulative, 1);
    let ok = request();
    let mut client_error = request();
    client_error.status = 403;
    client_error.start_us = 0;
    client_error.end_us = 3_000; // 3 ms: the (0, 5] bucket
    client_error.integration = None;
    let mut server_error = request();
    server_error.status = 502;
    let mut canary = request();
    canary.is_canary = true;
    let mut unmatched = request();
    unmatched.resource = None;
    for r in [&ok, &client_error, &server_error, &canary, &unmatched] {
        aggregator.record(&r.metrics());
    }
    assert_eq!(
        aggregator.series_count(),
        3,
        "prod, prod/Canary, and prod without a route"
    );
    let out = aggregator.collect(&resource("moat", &[]), 99).unwrap();
    let metrics = &out.scope_metrics[0].metrics;
    let names: Vec<&str> = metrics.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(
        names,
        ["Count", "4XXError", "5XXError", "Latency", "IntegrationLatency"]
    );

    let prod = |a: &HashMap<String, Value>| {
        a.get("Stage") == Some(&s("prod")) && a.get("Resource") == Some(&s("GET /pets/{id}"))
    };
    let value = |name: &str, pick: &dyn Fn(&HashMap<String, Value>) -> bool| {
        int_points(metric(metrics, name))
            .into_iter()
            .find(|(a, _)| pick(a))
            .unwrap()
            .1
    };
    assert_eq!(value("Count", &prod), 3);
    assert_eq!(value("4XXError", &prod), 1);
    assert_eq!(value("5XXError", &prod), 1);
    let is_canary = |a: &HashMap<String, Value>| a.get("Stage") == Some(&s("prod/Canary"));
    assert_eq!(value("Count", &is_canary), 1);
    let no_route = |a: &HashMap<String, Value>| !a.contains_key("Resource");
    assert_eq!(value("Count", &no_route), 1);
    let (attributes, _) = int_points(metric(metrics, "Count"))
        .into_iter()
        .find(|(a, _)| prod(a))
        .unwrap();
    assert_eq!(attributes["ApiName"], s("pets"));
    assert_eq!(attributes["Method"], s("GET"));
    assert_eq!(attributes["ApiId"], s("a1b2c3d4e5"));
    assert_eq!(attributes.len(), 5);

    let Some(metric::Data::Histogram(latency)) = &metric(metrics, "Latency").data else {
        panic!()
    };
    let point = latency
        .data_points
        .iter()
        .find(|p| prod(&attrs(&p.attributes)))
        .unwrap();
    assert_eq!(point.count, 3);
    assert_eq!(point.explicit_bounds, LATENCY_BOUNDS_MS);
    assert_eq!(point.bucket_counts.len(), LATENCY_BOUNDS_MS.len() + 1);
    assert_eq!(point.bucket_counts[1], 1, "3 ms");
    assert_eq!(point.bucket_counts[3], 2, "12.5 ms in (10, 25]");
    assert_eq!(point.sum, Some(28.0));
    assert_eq!((point.min, point.max), (Some(3.0), Some(12.5)));
    assert_eq!((point.start_time_unix_nano, point.time_unix_nano), (1, 99));
    assert_eq!(metric(metrics, "Latency").unit, "ms");

    let Some(metric::Data::Histogram(integration)) = &metric(metrics, "IntegrationLatency").data else {
        panic!()
    };
    let point = integration
        .data_points
        .iter()
        .find(|p| prod(&attrs(&p.attributes)))
        .unwrap();
    assert_eq!(point.count, 2, "the 403 made no integration call");
    assert_eq!(point.sum, Some(20.0));

    // Cumulative: a second read still carries the totals.
    let again = aggregator.collect(&resource("moat", &[]), 100).unwrap();
    assert_eq!(
        int_points(metric(&again.scope_metrics[0].metrics, "Count"))
            .into_iter()
            .find(|(a, _)| prod(a))
            .unwrap()
            .1,
        3
    );
}

#[test]
fn delta_temporality_resets_and_overflow_is_one_series() {
    let aggregator = Aggregator::new(1, Temporality::Delta, 10);
    let mut other = request();
    other.resource = Some("GET /owners".to_owned());
    aggregator.record(&request().metrics());
    aggregator.record(&other.metrics());
    aggregator.record(&other.metrics());
    assert_eq!(aggregator.series_count(), 1);
    assert_eq!(aggregator.overflowed(), 2);
    let out = aggregator.collect(&resource("moat", &[]), 20).unwrap();
    let counts = int_points(metric(&out.scope_metrics[0].metrics, "Count"));
    assert_eq!(counts.len(), 2);
    let overflow = counts
        .iter()
        .find(|(a, _)| a.contains_key("otel.metric.overflow"))
        .unwrap();
    assert_eq!(overflow.1, 2);
    assert_eq!(overflow.0.len(), 1);
    // Delta: nothing happened since, so nothing to send; then only the new request.
    assert!(aggregator.collect(&resource("moat", &[]), 30).is_none());
    aggregator.record(&request().metrics());
    let out = aggregator.collect(&resource("moat", &[]), 40).unwrap();
    let Some(metric::Data::Sum(sum)) = &metric(&out.scope_metrics[0].metrics, "Count").data else {
        panic!()
    };
    assert_eq!(sum.data_points.len(), 1);
    assert_eq!(sum.data_points[0].start_time_unix_nano, 30);
    assert_eq!(sum.data_points[0].value, Some(number_data_point::Value::AsInt(1)));
}

fn lookup(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let map: HashMap<String, String> = vars.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
    move |name| map.get(name).cloned()
}

#[test]
fn config_defaults_and_standard_environment_variables() {
    let config = OtlpConfig::from_lookup(lookup(&[])).unwrap();
    assert_eq!(config, OtlpConfig::default());
    assert_eq!(config.traces.as_ref().unwrap().endpoint, "http://localhost:4317");
    assert_eq!(config.traces.as_ref().unwrap().timeout, Duration::from_secs(10));

    let config = OtlpConfig::from_lookup(lookup(&[
        ("OTEL_SERVICE_NAME", "edge"),
        ("OTEL_RESOURCE_ATTRIBUTES", "cloud.provider=aws, team=a%20b"),
        ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"),
        ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318/"),
        ("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", "http://metrics:9090/otlp"),
        ("OTEL_EXPORTER_OTLP_HEADERS", "api-key=secret%3D1,x-tenant=a"),
        ("OTEL_EXPORTER_OTLP_TRACES_HEADERS", "X-Tenant=b"),
        ("OTEL_EXPORTER_OTLP_TIMEOUT", "2500"),
        ("OTEL_EXPORTER_OTLP_METRICS_TIMEOUT", "700"),
        ("OTEL_BSP_MAX_QUEUE_SIZE", "100"),
        ("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "10"),
        ("OTEL_BSP_SCHEDULE_DELAY", "250"),
        ("OTEL_METRIC_EXPORT_INTERVAL", "15000"),
        ("OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE", "Delta"),
        ("OTEL_EXPORTER_OTLP_CERTIFICATE", "/etc/ssl/collector-ca.pem"),
    ]))
    .unwrap();
    assert_eq!(config.service_name, "edge");
    assert_eq!(
        config.resource_attributes,
        [
            ("cloud.provider".to_owned(), "aws".to_owned()),
            ("team".to_owned(), "a b".to_owned())
        ]
    );
    let traces = config.traces.unwrap();
    assert_eq!(traces.protocol, Protocol::HttpProtobuf);
    assert_eq!(traces.endpoint, "http://collector:4318/v1/traces");
    assert_eq!(
        traces.headers,
        [
            ("api-key".to_owned(), "secret=1".to_owned()),
            ("X-Tenant".to_owned(), "b".to_owned())
        ]
    );
    assert_eq!(traces.timeout, Duration::from_millis(2500));
    assert_eq!(
        traces.certificate.as_deref(),
        Some(std::path::Path::new("/etc/ssl/collector-ca.pem"))
    );
    let metrics = config.metrics.unwrap();
    assert_eq!(
        metrics.endpoint, "http://metrics:9090/otlp",
        "a signal's own endpoint is used as it is"
    );
    assert_eq!(metrics.timeout, Duration::from_millis(700));
    assert_eq!((config.max_queue_size, config.max_export_batch_size), (100, 10));
    assert_eq!(config.schedule_delay, Duration::from_millis(250));
    assert_eq!(config.metric_interval, Duration::from_secs(15));
    assert_eq!(config.temporality, Temporality::Delta);

    let config = OtlpConfig::from_lookup(lookup(&[("OTEL_TRACES_EXPORTER", "none")])).unwrap();
    assert!(config.traces.is_none());
    assert!(config.metrics.is_some());
}

#[test]
fn config_errors_name_the_setting() {
    let err = |vars: &[(&str, &str)]| OtlpConfig::from_lookup(lookup(vars)).unwrap_err().to_string();
    assert!(err(&[("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json")]).contains("http/json"));
    assert!(err(&[("OTEL_BSP_SCHEDULE_DELAY", "soon")]).contains("OTEL_BSP_SCHEDULE_DELAY"));
    assert!(err(&[("OTEL_BSP_MAX_QUEUE_SIZE", "0")]).contains("max_queue_size"));
    assert!(err(&[("OTEL_EXPORTER_OTLP_HEADERS", "novalue")]).contains("OTEL_EXPORTER_OTLP_HEADERS"));
    let mut config = OtlpConfig::default();
    config.max_export_batch_size = config.max_queue_size + 1;
    assert!(config.validate().is_err());
}

#[test]
fn start_needs_a_runtime_and_a_valid_endpoint() {
    assert!(matches!(
        OtlpExporter::start(OtlpConfig::default()),
        Err(OtlpError::NoRuntime)
    ));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut config = OtlpConfig::default();
    config.traces.as_mut().unwrap().endpoint = "ftp://collector:4317".to_owned();
    let e = OtlpExporter::start_on(config, runtime.handle()).unwrap_err();
    assert!(e.to_string().contains("https://"), "{e}");
    let mut config = OtlpConfig::default();
    config.traces.as_mut().unwrap().endpoint = "https://collector:4317".to_owned();
    config.traces.as_mut().unwrap().certificate = Some("/nonexistent/ca.pem".into());
    let e = OtlpExporter::start_on(config, runtime.handle()).unwrap_err();
    assert!(e.to_string().contains("/nonexistent/ca.pem"), "{e}");
    let mut config = OtlpConfig::default();
    config.metrics.as_mut().unwrap().headers = vec![("bad header".to_owned(), "x".to_owned())];
    assert!(matches!(
        OtlpExporter::start_on(config, runtime.handle()),
        Err(OtlpError::InvalidConfig(_))
    ));
}
