//! The OTLP exporter against a real OTLP receiver (`moat_testkit::otlp::OtlpReceiver`, the official
//! proto definitions served over gRPC and HTTP/protobuf) started by each test on a free port.
#![allow(clippy::unwrap_used, missing_docs)]

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr};
use std::time::{Duration, Instant};

use moat_telemetry::otlp::{spans::integration_span_id, OtlpConfig, OtlpExporter, Protocol, Signal, SignalConfig};
use moat_telemetry::request::{FinishedRequest, IntegrationCall, TraceContext};
use moat_testkit::otlp::{OtlpReceiver, OtlpTransport, Received};
use opentelemetry_proto::tonic::common::v1::{any_value::Value, KeyValue};
use opentelemetry_proto::tonic::metrics::v1::{metric, number_data_point, Metric};
use opentelemetry_proto::tonic::trace::v1::span::SpanKind;

fn request(n: u64, status: u16, sampled: bool) -> FinishedRequest {
    let start = 1_764_000_000_000_000 + n * 1_000;
    FinishedRequest {
        request_id: format!("req-{n}"),
        extended_request_id: format!("ext-{n}"),
        api_id: "a1b2c3d4e5".to_owned(),
        api_name: "pets".to_owned(),
        api_type: "http",
        stage: "prod".to_owned(),
        is_canary: false,
        resource: Some("POST /pets".to_owned()),
        method: "POST".to_owned(),
        url: "http://127.0.0.1:8080/prod/pets".to_owned(),
        host: Some("127.0.0.1:8080".to_owned()),
        client_ip: IpAddr::V4(Ipv4Addr::LOCALHOST),
        user_agent: Some("test".to_owned()),
        protocol: "HTTP/1.1",
        status,
        response_length: 10,
        start_us: start,
        end_us: start + 20_000,
        error_type: None,
        integration: Some(IntegrationCall {
            kind: "http_proxy",
            url: Some("http://127.0.0.1:9000/pets".to_owned()),
            method: "POST".to_owned(),
            start_us: start + 1_000,
            end_us: start + 16_000,
            status: Some(status),
            error: None,
            timed_out: false,
        }),
        waf: None,
        trace: TraceContext {
            trace_id: 0x6920_5e80_0000_0000_0000_0000_0000_0000 | u128::from(n),
            segment_id: 0x1000 + n,
            parent_id: n.is_multiple_of(2).then_some(0xabcd),
            sampled,
        },
    }
}

fn config(receiver: &OtlpReceiver, protocol: Protocol) -> OtlpConfig {
    let signal = |s| SignalConfig::new(protocol, &receiver.endpoint(), s);
    OtlpConfig {
        traces: Some(signal(Signal::Traces)),
        metrics: Some(signal(Signal::Metrics)),
        schedule_delay: Duration::from_millis(50),
        metric_interval: Duration::from_secs(3600),
        ..OtlpConfig::default()
    }
}

fn attrs(kvs: &[KeyValue]) -> HashMap<String, Value> {
    kvs.iter()
        .map(|kv| (kv.key.clone(), kv.value.clone().unwrap().value.unwrap()))
        .collect()
}

fn sum_value(metrics: &[Metric], name: &str) -> i64 {
    let m = metrics.iter().find(|m| m.name == name).unwrap();
    let Some(metric::Data::Sum(sum)) = &m.data else {
        panic!("{name} is not a sum")
    };
    assert_eq!(sum.data_points.len(), 1);
    let p = &sum.data_points[0];
    assert_eq!(attrs(&p.attributes).len(), 5);
    let Some(number_data_point::Value::AsInt(v)) = p.value else {
        panic!()
    };
    v
}

async fn exports_spans_and_metrics(protocol: Protocol, transport: OtlpTransport) {
    let receiver = OtlpReceiver::start();
    let mut config = config(&receiver, protocol);
    for signal in [config.traces.as_mut().unwrap(), config.metrics.as_mut().unwrap()] {
        signal.headers = vec![("X-Api-Key".to_owned(), "s3cret".to_owned())];
    }
    let exporter = OtlpExporter::start(config).unwrap();
    exporter.record(&request(2, 200, true));
    exporter.record(&request(3, 503, false)); // metrics only
    exporter.record_shared(&std::sync::Arc::new(request(4, 404, true)));

    let spans = receiver.wait_for_spans(4, Duration::from_secs(10)).await;
    assert_eq!(spans.len(), 4, "SERVER + CLIENT for each sampled request");
    let by_id: HashMap<Vec<u8>, _> = spans.iter().map(|s| (s.span_id.clone(), s)).collect();
    for n in [2u64, 4] {
        let r = request(n, 200, true);
        let server = by_id[&r.trace.segment_id.to_be_bytes().to_vec()];
        assert_eq!(server.trace_id, r.trace.trace_id.to_be_bytes());
        assert_eq!(server.parent_span_id, 0xabcd_u64.to_be_bytes());
        assert_eq!(server.kind, SpanKind::Server as i32);
        assert_eq!(server.start_time_unix_nano, r.start_us * 1000);
        assert_eq!(server.end_time_unix_nano, r.end_us * 1000);
        assert_eq!(server.name, "POST /pets");
        let a = attrs(&server.attributes);
        assert_eq!(a["aws.api_gateway.request_id"], Value::StringValue(format!("req-{n}")));
        assert_eq!(a["http.route"], Value::StringValue("/pets".to_owned()));
        assert_eq!(a["server.port"], Value::IntValue(8080));
        let client = by_id[&integration_span_id(r.trace.segment_id).to_be_bytes().to_vec()];
        assert_eq!(client.parent_span_id, server.span_id);
        assert_eq!(client.trace_id, server.trace_id);
        assert_eq!(client.kind, SpanKind::Client as i32);
        assert_eq!(client.start_time_unix_nano, (r.start_us + 1_000) * 1000);
        assert_eq!(client.end_time_unix_nano, (r.start_us + 16_000) * 1000);
    }
    let (resource, _) = &receiver.spans_with_resource()[0];
    assert_eq!(
        attrs(&resource.attributes)["service.name"],
        Value::StringValue("moat".to_owned())
    );

    // Shutdown sends the metrics one last time.
    let stats = exporter.shutdown(Duration::from_secs(10)).await.unwrap();
    assert_eq!(stats.requests_recorded, 3);
    assert_eq!(stats.requests_queued, 2);
    assert_eq!(stats.spans_exported, 4);
    assert_eq!((stats.queue_dropped, stats.spans_failed), (0, 0));
    assert_eq!(stats.metric_exports, 1);
    let metrics = receiver.metrics();
    assert_eq!(sum_value(&metrics, "Count"), 3);
    assert_eq!(sum_value(&metrics, "4XXError"), 1);
    assert_eq!(sum_value(&metrics, "5XXError"), 1);
    let latency = metrics.iter().find(|m| m.name == "Latency").unwrap();
    let Some(metric::Data::Histogram(h)) = &latency.data else {
        panic!()
    };
    assert_eq!(h.data_points[0].count, 3);
    assert_eq!(h.data_points[0].sum, Some(60.0));
    let a = attrs(&h.data_points[0].attributes);
    assert_eq!(a["ApiName"], Value::StringValue("pets".to_owned()));
    assert_eq!(a["Stage"], Value::StringValue("prod".to_owned()));
    assert_eq!(a["Method"], Value::StringValue("POST".to_owned()));
    assert_eq!(a["Resource"], Value::StringValue("POST /pets".to_owned()));
    let integration = metrics.iter().find(|m| m.name == "IntegrationLatency").unwrap();
    let Some(metric::Data::Histogram(h)) = &integration.data else {
        panic!()
    };
    assert_eq!((h.data_points[0].count, h.data_points[0].sum), (3, Some(45.0)));

    let headers = receiver.request_headers();
    assert_eq!(headers.len(), 2, "one trace export, one metric export");
    for h in &headers {
        assert_eq!(h.get("x-api-key").unwrap(), "s3cret");
    }
    for item in receiver.received() {
        let used = match item {
            Received::Traces(t, _) | Received::Metrics(t, _) => t,
        };
        assert_eq!(used, transport);
    }
}

#[tokio::test]
async fn exports_over_grpc() {
    exports_spans_and_metrics(Protocol::Grpc, OtlpTransport::Grpc).await;
}

#[tokio::test]
async fn exports_over_http_protobuf() {
    exports_spans_and_metrics(Protocol::HttpProtobuf, OtlpTransport::HttpProtobuf).await;
}

#[tokio::test]
async fn metrics_are_sent_every_interval() {
    let receiver = OtlpReceiver::start();
    let mut config = config(&receiver, Protocol::Grpc);
    config.metric_interval = Duration::from_millis(200);
    config.traces = None;
    let exporter = OtlpExporter::start(config).unwrap();
    exporter.record(&request(1, 200, true));
    let metrics = receiver.wait_for_metrics(Duration::from_secs(10)).await;
    assert_eq!(sum_value(&metrics, "Count"), 1);
    assert!(receiver.spans().is_empty(), "traces are off");
    assert_eq!(exporter.stats().requests_queued, 0);
}

/// A collector that is down: `record` stays fast, the queue overflows and the drops are counted,
/// failed exports are counted, and export resumes when the collector is back.
async fn dead_collector(protocol: Protocol) {
    let mut receiver = OtlpReceiver::start();
    receiver.stop();
    let mut config = config(&receiver, protocol);
    config.max_queue_size = 64;
    config.max_export_batch_size = 64;
    for signal in [config.traces.as_mut().unwrap(), config.metrics.as_mut().unwrap()] {
        signal.timeout = Duration::from_millis(500);
    }
    let exporter = OtlpExporter::start(config).unwrap();
    let requests: Vec<_> = (0..10_000).map(|n| request(n, 200, true)).collect();
    let started = Instant::now();
    for r in &requests {
        exporter.record(r);
    }
    let elapsed = started.elapsed();
    // 10,000 records in well under a second even unoptimised: nothing waits for the network.
    assert!(
        elapsed < Duration::from_secs(1),
        "record took {elapsed:?} for 10,000 requests"
    );
    let stats = exporter.stats();
    assert_eq!(stats.requests_queued + stats.queue_dropped, 10_000);
    assert!(stats.queue_dropped >= 10_000 - 64 - 64, "{stats:?}");

    // The exports fail and are counted.
    let deadline = Instant::now() + Duration::from_secs(10);
    while exporter.stats().spans_failed == 0 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let stats = exporter.stats();
    assert!(stats.spans_failed > 0 && stats.trace_exports_failed > 0, "{stats:?}");
    assert!(stats.last_error.is_some());

    // The collector comes back: new spans get through.
    receiver.restart();
    let mut delivered = false;
    for n in 0..100u64 {
        exporter.record(&request(100_000 + n, 200, true));
        if !receiver.wait_for_spans(1, Duration::from_millis(200)).await.is_empty() {
            delivered = true;
            break;
        }
    }
    assert!(
        delivered,
        "no span after the collector came back: {:?}",
        exporter.stats()
    );
    let stats = exporter.shutdown(Duration::from_secs(10)).await.unwrap();
    assert!(stats.spans_exported > 0);
}

#[tokio::test]
async fn dead_grpc_collector_never_blocks_record() {
    dead_collector(Protocol::Grpc).await;
}

#[tokio::test]
async fn dead_http_collector_never_blocks_record() {
    dead_collector(Protocol::HttpProtobuf).await;
}

/// A collector that accepts connections but never answers: exports time out, `record` stays
/// fast, and shutdown gives up at its own timeout.
#[tokio::test]
async fn hanging_collector_times_out_and_shutdown_is_bounded() {
    let receiver = OtlpReceiver::start();
    receiver.stall(true);
    let mut config = config(&receiver, Protocol::HttpProtobuf);
    config.max_queue_size = 16;
    config.max_export_batch_size = 4;
    for signal in [config.traces.as_mut().unwrap(), config.metrics.as_mut().unwrap()] {
        signal.timeout = Duration::from_millis(300);
    }
    let exporter = OtlpExporter::start(config).unwrap();
    let started = Instant::now();
    for n in 0..1_000 {
        exporter.record(&request(n, 200, true));
    }
    assert!(started.elapsed() < Duration::from_millis(500));
    let deadline = Instant::now() + Duration::from_secs(10);
    while exporter.stats().trace_exports_failed == 0 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let stats = exporter.stats();
    assert!(stats.trace_exports_failed > 0, "{stats:?}");
    assert!(
        stats.last_error.as_deref().unwrap_or("").contains("no answer"),
        "{stats:?}"
    );
    assert!(stats.queue_dropped > 0);
    // Up to 16 queued requests in batches of 4 spans, 300 ms each: more than 200 ms.
    let started = Instant::now();
    let result = exporter.shutdown(Duration::from_millis(200)).await;
    assert!(result.is_err(), "{result:?}");
    assert!(started.elapsed() < Duration::from_secs(2));
    assert!(receiver.spans().is_empty());
}

/// `https://` endpoints: the collector's certificate is verified against the CA file
/// (`OTEL_EXPORTER_OTLP_CERTIFICATE`), over gRPC (ALPN h2) and HTTP/protobuf; without the CA the
/// handshake fails and the failure is counted.
async fn exports_over_tls(protocol: Protocol) {
    let receiver = OtlpReceiver::start_tls();
    assert!(receiver.endpoint().starts_with("https://"));
    let mut trusted = config(&receiver, protocol);
    for signal in [trusted.traces.as_mut().unwrap(), trusted.metrics.as_mut().unwrap()] {
        signal.certificate = Some(receiver.ca_file().unwrap().to_owned());
    }
    let exporter = OtlpExporter::start(trusted).unwrap();
    exporter.record(&request(2, 200, true));
    let spans = receiver.wait_for_spans(2, Duration::from_secs(10)).await;
    assert_eq!(spans.len(), 2, "{:?}", exporter.stats());
    let stats = exporter.shutdown(Duration::from_secs(10)).await.unwrap();
    assert_eq!((stats.spans_exported, stats.metric_exports), (2, 1), "{stats:?}");

    let mut untrusted = config(&receiver, protocol);
    untrusted.metrics = None;
    let exporter = OtlpExporter::start(untrusted).unwrap();
    exporter.record(&request(4, 200, true));
    let stats = exporter.shutdown(Duration::from_secs(10)).await.unwrap();
    assert_eq!((stats.spans_exported, stats.spans_failed), (0, 2), "{stats:?}");
    let error = stats.last_error.unwrap_or_default();
    assert!(error.contains("UnknownIssuer"), "{error}");
    assert_eq!(receiver.spans().len(), 2, "nothing more arrived");
}

#[tokio::test]
async fn exports_over_grpc_with_tls() {
    exports_over_tls(Protocol::Grpc).await;
}

#[tokio::test]
async fn exports_over_http_protobuf_with_tls() {
    exports_over_tls(Protocol::HttpProtobuf).await;
}

/// A collector that answers with a partial success: the rejected spans and data points are
/// counted apart from the exported ones, over both transports.
async fn partial_success_is_counted(protocol: Protocol) {
    let receiver = OtlpReceiver::start();
    receiver.reject(1, 2);
    let exporter = OtlpExporter::start(config(&receiver, protocol)).unwrap();
    exporter.record(&request(2, 200, true));
    let stats = exporter.shutdown(Duration::from_secs(10)).await.unwrap();
    assert_eq!(
        (stats.spans_exported, stats.spans_rejected, stats.spans_failed),
        (1, 1, 0),
        "{stats:?}"
    );
    assert_eq!(
        (stats.metric_exports, stats.metric_points_rejected),
        (1, 2),
        "{stats:?}"
    );
    assert!(stats.last_error.unwrap().contains("rejected by the test receiver"));
}

#[tokio::test]
async fn partial_success_is_counted_over_grpc() {
    partial_success_is_counted(Protocol::Grpc).await;
}

#[tokio::test]
async fn partial_success_is_counted_over_http_protobuf() {
    partial_success_is_counted(Protocol::HttpProtobuf).await;
}
