//! The cost of `OtlpExporter::record` per request on the caller's thread: metrics only (an
//! unsampled request), sampled with room on the queue (a copy queued for the span task), and
//! sampled with the queue full (the drop path). The export tasks run on a separate runtime, and
//! the collector is a real OTLP receiver on loopback.
#![allow(missing_docs, clippy::unwrap_used)]

use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use moat_telemetry::otlp::{OtlpConfig, OtlpExporter, Protocol, Signal, SignalConfig};
use moat_telemetry::request::{FinishedRequest, IntegrationCall, TraceContext};
use moat_testkit::otlp::OtlpReceiver;

fn request(sampled: bool) -> FinishedRequest {
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
        url: "https://api.example.com/prod/pets/7".to_owned(),
        host: Some("api.example.com".to_owned()),
        client_ip: IpAddr::V4(Ipv4Addr::new(203, 0, 113, 9)),
        user_agent: Some("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36".to_owned()),
        protocol: "HTTP/1.1",
        status: 200,
        response_length: 512,
        start_us: 1_764_000_000_000_000,
        end_us: 1_764_000_000_004_000,
        error_type: None,
        integration: Some(IntegrationCall {
            kind: "http_proxy",
            url: Some("http://127.0.0.1:9000/pets/7".to_owned()),
            method: "GET".to_owned(),
            start_us: 1_764_000_000_000_500,
            end_us: 1_764_000_000_003_500,
            status: Some(200),
            error: None,
            timed_out: false,
        }),
        waf: None,
        trace: TraceContext {
            trace_id: 0x6920_5e80_bd86_2e3f_e1be_46a9_9427_2793,
            segment_id: 0x5399_5c3f_42cd_8ad8,
            parent_id: None,
            sampled,
        },
    }
}

fn exporter(receiver: &OtlpReceiver, queue: usize, runtime: &tokio::runtime::Runtime) -> OtlpExporter {
    let signal = |s| SignalConfig::new(Protocol::Grpc, &receiver.endpoint(), s);
    let config = OtlpConfig {
        traces: Some(signal(Signal::Traces)),
        metrics: Some(signal(Signal::Metrics)),
        max_queue_size: queue,
        max_export_batch_size: 512.min(queue),
        schedule_delay: Duration::from_millis(200),
        metric_interval: Duration::from_secs(5),
        ..OtlpConfig::default()
    };
    OtlpExporter::start_on(config, runtime.handle()).unwrap()
}

fn bench(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let receiver = OtlpReceiver::start();
    let mut group = c.benchmark_group("otlp_record");

    let live = exporter(&receiver, 8192, &runtime);
    let unsampled = request(false);
    group.bench_function("unsampled_metrics_only", |b| {
        b.iter(|| live.record(black_box(&unsampled)))
    });
    let sampled = request(true);
    group.bench_function("sampled_queued", |b| b.iter(|| live.record(black_box(&sampled))));
    let stats = live.stats();
    eprintln!(
        "sampled_queued: {} queued, {} dropped (queue full while the span task caught up), {} spans exported",
        stats.requests_queued, stats.queue_dropped, stats.spans_exported
    );

    let mut dead_receiver = OtlpReceiver::start();
    dead_receiver.stop();
    let full = exporter(&dead_receiver, 1, &runtime);
    full.record(&sampled);
    group.bench_function("sampled_queue_full", |b| b.iter(|| full.record(black_box(&sampled))));
    group.finish();

    drop(live);
    drop(full);
    runtime.shutdown_timeout(Duration::from_secs(2));
}

criterion_group!(benches, bench);
criterion_main!(benches);
