//! X-Ray traces from the real `moat` binary: segments of sampled requests to a UDP listener in the
//! daemon's framing, and through PutTraceSegments to a real `moto_server`, with the ids and parents the
//! headers carried (X-Amzn-Trace-Id and W3C traceparent).

use std::net::UdpSocket;
use std::time::{Duration, Instant};

use aws_sdk_xray::Client;
use moat_telemetry::aws::{sdk_config, AwsSettings, StaticCredentials};
use moat_testkit::otlp::OtlpReceiver;
use moat_testkit::{MotoServer, MOTO_ACCESS_KEY_ID, MOTO_REGION, MOTO_SECRET_ACCESS_KEY};
use opentelemetry_proto::tonic::metrics::v1::{metric, number_data_point, Metric};
use opentelemetry_proto::tonic::trace::v1::span::SpanKind;
use opentelemetry_proto::tonic::trace::v1::Span;

use crate::fill;
use crate::harness::{req, tempdir, Moat, Upstream, H1};

const TRACED: &str = r#"
listen: 127.0.0.1:0
telemetry:
  flush_interval: 200ms
  traces:
    xray: @XRAY@
    sampling_rules: [{RuleName: all, Priority: 1, ReservoirSize: 0, FixedRate: 1.0}]
apis:
  - name: shop
    type: rest
    id: shop123456
    routes:
      "GET /products/{id}": {integration: {type: http_proxy, uri: "http://@UP@/p/{id}"}}
    stages:
      prod: {tracing: true}
      dark: {}
"#;

const DAEMON_HEADER: &str = "{\"format\": \"json\", \"version\": 1}\n";

/// `Root=1-...;Parent=...;Sampled=1` -> (`1-...`, Some(parent)).
fn root_and_parent(header: &str) -> (String, Option<String>) {
    let mut root = String::new();
    let mut parent = None;
    for part in header.split(';') {
        if let Some(r) = part.strip_prefix("Root=") {
            root = r.to_owned();
        } else if let Some(p) = part.strip_prefix("Parent=") {
            parent = Some(p.to_owned());
        }
    }
    (root, parent)
}

#[tokio::test]
async fn sampled_requests_send_one_daemon_framed_segment_each_with_the_header_ids() {
    let daemon = UdpSocket::bind("127.0.0.1:0").expect("bind a UDP port");
    daemon.set_read_timeout(Some(Duration::from_secs(5))).expect("timeout");
    let xray = format!(
        "{{transport: udp, daemon_address: \"{}\"}}",
        daemon.local_addr().expect("addr")
    );
    let up = Upstream::start("up");
    let moat = Moat::start(&fill(TRACED, &[("UP", up.hostport()), ("XRAY", xray)]));
    let host = moat.addr().to_string();
    let mut c = H1::connect(moat.addr()).await;
    // One request continuing a caller's trace, one starting a new trace, one on a stage without tracing.
    let caller = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1";
    let continued = c
        .send(req("GET", &host, "/prod/products/1").header("x-amzn-trace-id", caller))
        .await;
    let forwarded = up.last().headers.get("x-amzn-trace-id").cloned().unwrap_or_default();
    let traceparent = up.last().headers.get("traceparent").cloned().unwrap_or_default();
    let started = c.send(req("GET", &host, "/prod/products/2")).await;
    let dark = c.send(req("GET", &host, "/dark/products/3")).await;
    assert_eq!((continued.code(), started.code(), dark.code()), (200, 200, 200));

    let mut documents = Vec::new();
    let mut buf = vec![0u8; 65_536];
    while documents.len() < 2 {
        let n = daemon
            .recv(&mut buf)
            .unwrap_or_else(|e| panic!("no segment ({e}); moat:\n{}", moat.output()));
        let datagram = std::str::from_utf8(&buf[..n]).expect("UTF-8 datagram");
        let document = datagram
            .strip_prefix(DAEMON_HEADER)
            .expect("the daemon's header line first");
        documents.push(serde_json::from_str::<serde_json::Value>(document).expect("a JSON segment"));
    }
    daemon
        .set_read_timeout(Some(Duration::from_millis(500)))
        .expect("timeout");
    assert!(
        daemon.recv(&mut buf).is_err(),
        "the stage without tracing sent a segment"
    );

    let (root, caller_parent) = root_and_parent(caller);
    let first = documents
        .iter()
        .find(|d| d["trace_id"] == root.as_str())
        .expect("the caller's trace");
    assert_eq!(first["parent_id"], caller_parent.expect("parent").as_str());
    assert_eq!(first["name"], "shop/prod");
    assert_eq!(first["origin"], "AWS::ApiGateway::Stage");
    assert_eq!(first["http"]["response"]["status"], 200);
    // The integration call is a `remote` subsegment with the URL the gateway called.
    let call = &first["subsegments"][0];
    assert_eq!(call["namespace"], "remote", "{first}");
    let called = call["http"]["request"]["url"].as_str().unwrap_or("");
    assert_eq!(called, format!("http://{}/p/1", up.hostport()), "{first}");
    assert_eq!(call["http"]["response"]["status"], 200);
    // The integration saw the gateway's segment as Parent, in both headers, with the same trace.
    let (fwd_root, fwd_parent) = root_and_parent(&forwarded);
    assert_eq!(fwd_root, root);
    assert_eq!(fwd_parent.as_deref(), first["id"].as_str());
    assert!(forwarded.ends_with(";Sampled=1"), "{forwarded}");
    let hex_trace: String = root.trim_start_matches("1-").replace('-', "");
    assert_eq!(
        traceparent,
        format!("00-{hex_trace}-{}-01", first["id"].as_str().unwrap_or(""))
    );

    let (new_root, _) = root_and_parent(started.header("x-amzn-trace-id").unwrap_or(""));
    let second = documents
        .iter()
        .find(|d| d["trace_id"] == new_root.as_str())
        .expect("the new trace");
    assert!(
        second.get("parent_id").is_none(),
        "a trace started at the gateway has no parent"
    );
}

async fn xray_client(moto: &MotoServer) -> Client {
    let config = sdk_config(&AwsSettings {
        region: Some(MOTO_REGION.to_owned()),
        endpoint_url: Some(moto.endpoint()),
        static_credentials: Some(StaticCredentials {
            access_key_id: MOTO_ACCESS_KEY_ID.to_owned(),
            secret_access_key: MOTO_SECRET_ACCESS_KEY.to_owned(),
        }),
    })
    .await;
    Client::new(&config)
}

#[tokio::test]
async fn segments_put_through_the_api_come_back_from_batch_get_traces() {
    let moto = MotoServer::start();
    let up = Upstream::start("up");
    let config = fill(
        TRACED,
        &[("UP", up.hostport()), ("XRAY", "{transport: api}".to_owned())],
    );
    let moat = Moat::start_with_env(tempdir(), &config, &moto.env());
    let host = moat.addr().to_string();
    let mut c = H1::connect(moat.addr()).await;
    let mut roots = Vec::new();
    for i in 0..5 {
        let r = c.send(req("GET", &host, &format!("/prod/products/{i}"))).await;
        roots.push(root_and_parent(r.header("x-amzn-trace-id").unwrap_or("")).0);
    }
    let client = xray_client(&moto).await;
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let traces = client
            .batch_get_traces()
            .set_trace_ids(Some(roots.clone()))
            .send()
            .await
            .map(|out| out.traces().to_vec())
            .unwrap_or_default();
        if traces.len() == roots.len() {
            for trace in &traces {
                let id = trace.id().unwrap_or("");
                assert!(roots.iter().any(|r| r == id), "unexpected trace {id}");
                let document = trace.segments().first().and_then(|s| s.document()).unwrap_or("");
                let segment: serde_json::Value = serde_json::from_str(document).expect("segment JSON");
                assert_eq!(segment["trace_id"], id);
                assert_eq!(segment["name"], "shop/prod");
                assert!(segment.get("parent_id").is_none());
            }
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{} of {} traces after 20 s; moat:\n{}",
            traces.len(),
            roots.len(),
            moat.output()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

const OTLP: &str = r#"
listen: 127.0.0.1:0
telemetry:
  otlp: {endpoint: "@OTLP@", protocol: grpc}
  traces:
    xray: {transport: none}
    sampling_rules: [{RuleName: all, Priority: 1, ReservoirSize: 0, FixedRate: 1.0}]
apis:
  - name: shop
    type: rest
    id: shop123456
    routes:
      "GET /products/{id}": {integration: {type: http_proxy, uri: "http://@UP@/p/{id}"}}
    stages:
      prod: {tracing: true}
      dark: {}
"#;

/// The metric's data points summed (a counter: one point per series).
fn counter_total(metrics: &[Metric], name: &str) -> i64 {
    metrics
        .iter()
        .filter(|m| m.name == name)
        .filter_map(|m| match &m.data {
            Some(metric::Data::Sum(sum)) => Some(sum),
            _ => None,
        })
        .flat_map(|sum| sum.data_points.iter())
        .map(|p| match p.value {
            Some(number_data_point::Value::AsInt(v)) => v,
            _ => 0,
        })
        .sum()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[tokio::test]
async fn otlp_receives_a_server_and_a_client_span_per_sampled_request_and_the_metrics() {
    let receiver = OtlpReceiver::start();
    let up = Upstream::start("up");
    let moat = Moat::start(&fill(OTLP, &[("UP", up.hostport()), ("OTLP", receiver.endpoint())]));
    let host = moat.addr().to_string();
    let mut c = H1::connect(moat.addr()).await;
    let caller = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1";
    let continued = c
        .send(req("GET", &host, "/prod/products/1").header("x-amzn-trace-id", caller))
        .await;
    let started = c.send(req("GET", &host, "/prod/products/2")).await;
    for i in 0..3 {
        c.send(req("GET", &host, &format!("/dark/products/{i}"))).await;
    }
    drop(c);
    let dir = moat.stop_keeping_dir();
    drop(dir);
    let spans = receiver.wait_for_spans(4, Duration::from_secs(10)).await;
    assert_eq!(
        spans.len(),
        4,
        "two spans for each of the two traced requests, none for the dark stage"
    );
    for response in [&continued, &started] {
        let (root, _) = root_and_parent(response.header("x-amzn-trace-id").unwrap_or(""));
        let trace_hex = root.trim_start_matches("1-").replace('-', "");
        let of_trace: Vec<&Span> = spans.iter().filter(|s| hex(&s.trace_id) == trace_hex).collect();
        let server = of_trace
            .iter()
            .find(|s| s.kind == SpanKind::Server as i32)
            .expect("a SERVER span");
        let client = of_trace
            .iter()
            .find(|s| s.kind == SpanKind::Client as i32)
            .expect("a CLIENT span");
        assert_eq!(
            client.parent_span_id, server.span_id,
            "the integration call is the server span's child"
        );
        if std::ptr::eq(response, &continued) {
            assert_eq!(hex(&server.parent_span_id), "53995c3f42cd8ad8", "the caller's Parent");
        } else {
            assert!(
                server.parent_span_id.is_empty(),
                "a trace started at the gateway has no parent"
            );
        }
    }
    // The exporter's last metrics export at shutdown counts every request, traced or not.
    let metrics = receiver.wait_for_metrics(Duration::from_secs(10)).await;
    assert_eq!(counter_total(&metrics, "Count"), 5);
}
