//! The cost of `OtlpExporter::record` per request on the caller's thread: metrics only (an
//! unsampled request), sampled with room on the queue (a copy, or an `Arc`, queued for the span
//! task), and sampled with the queue full (the drop path); then the span task's own work per
//! sampled request. The export tasks run on a separate runtime, and the collector is a real OTLP
//! receiver on loopback.
#![allow(missing_docs, clippy::unwrap_used)]

use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion};
use moat_telemetry::otlp::spans::push_spans;
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

/// The span queue of the live exporter, and the most requests timed between two drains.
const QUEUE: usize = 8192;
const CHUNK: u64 = 4096;

/// Waits until the span task has taken every queued request.
fn wait_drained(exporter: &OtlpExporter) {
    loop {
        let s = exporter.stats();
        if s.spans_exported + s.spans_failed >= 2 * s.requests_queued {
            return;
        }
        std::thread::sleep(Duration::from_micros(200));
    }
}

fn exporter(receiver: &OtlpReceiver, queue: usize, runtime: &tokio::runtime::Runtime) -> OtlpExporter {
    let signal = |s| SignalConfig::new(Protocol::Grpc, &receiver.endpoint(), s);
    let config = OtlpConfig {
        traces: Some(signal(Signal::Traces)),
        metrics: Some(signal(Signal::Metrics)),
        max_queue_size: queue,
        max_export_batch_size: 512.min(queue),
        schedule_delay: Duration::from_millis(20),
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

    let live = exporter(&receiver, QUEUE, &runtime);
    let unsampled = request(false);
    group.bench_function("unsampled_metrics_only", |b| {
        b.iter(|| live.record(black_box(&unsampled)))
    });
    let sampled = request(true);
    // Timed in chunks that fit the queue, each after the span task has drained it, so every timed
    // call takes the queueing path (a clone and a channel send) and none the drop path.
    group.sample_size(20).measurement_time(Duration::from_secs(2));
    let shared = Arc::new(request(true));
    for (name, by_ref) in [("sampled_queued", true), ("sampled_queued_shared_arc", false)] {
        group.bench_function(name, |b| {
            b.iter_custom(|iters| {
                let mut timed = Duration::ZERO;
                let mut left = iters;
                while left > 0 {
                    let chunk = left.min(CHUNK);
                    wait_drained(&live);
                    let started = Instant::now();
                    for _ in 0..chunk {
                        if by_ref {
                            live.record(black_box(&sampled));
                        } else {
                            live.record_shared(black_box(&shared));
                        }
                    }
                    timed += started.elapsed();
                    left -= chunk;
                }
                timed
            });
        });
    }
    let stats = live.stats();
    assert_eq!(stats.queue_dropped, 0, "{stats:?}");
    eprintln!(
        "sampled_queued: {} requests queued, {} spans exported, {} failed, none dropped",
        stats.requests_queued, stats.spans_exported, stats.spans_failed
    );

    group.sample_size(100).measurement_time(Duration::from_secs(3));
    let mut dead_receiver = OtlpReceiver::start();
    dead_receiver.stop();
    let full = exporter(&dead_receiver, 1, &runtime);
    full.record(&sampled);
    group.bench_function("sampled_queue_full", |b| b.iter(|| full.record(black_box(&sampled))));

    // The span task's work per sampled request, off the caller's thread: build the SERVER and
    // CLIENT spans and encode them as protobuf (a batch's share of the wire format).
    group.bench_function("span_task_build_and_encode", |b| {
        let mut spans = Vec::with_capacity(2);
        b.iter(|| {
            spans.clear();
            push_spans(black_box(&sampled), &mut spans);
            let encoded: usize = spans.iter().map(prost::Message::encoded_len).sum();
            let mut buf = Vec::with_capacity(encoded + 16);
            for span in &spans {
                prost::Message::encode(span, &mut buf).unwrap();
            }
            black_box(buf)
        });
    });
    group.finish();

    drop(live);
    drop(full);
    runtime.shutdown_timeout(Duration::from_secs(2));
}

criterion_group!(benches, bench);
criterion_main!(benches);
