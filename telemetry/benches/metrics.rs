//! Per-request cost of metric aggregation: one `Recorder::record` of a finished request on a series
//! that exists (the steady state: hash of the key's borrowed strings, an uncontended lock, a few
//! increments, no allocation), across 16 routes; plus the per-interval snapshot + EMF rendering.
//! Run: `cargo bench -p moat-telemetry --bench metrics`.
#![allow(missing_docs)]

use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use moat_telemetry::metrics::{Aggregator, EmfExporter, MetricsConfig};
use moat_telemetry::request::{FinishedRequest, IntegrationCall, TraceContext};

fn request(route: usize, status: u16, latency_us: u64) -> FinishedRequest {
    FinishedRequest {
        request_id: "c6af9ac6-7b61-11e6-9a41-93e8deadbeef".to_owned(),
        extended_request_id: "AbCdEfGhIjKlMnO=".to_owned(),
        api_id: "a1b2c3d4e5".to_owned(),
        api_name: "shop".to_owned(),
        api_type: "rest",
        stage: "prod".to_owned(),
        is_canary: route.is_multiple_of(8),
        resource: Some(format!("/products/{{id}}/r{route}")),
        method: "GET".to_owned(),
        url: "https://api.example.com/prod/products/1".to_owned(),
        host: Some("api.example.com".to_owned()),
        client_ip: IpAddr::V4(Ipv4Addr::LOCALHOST),
        user_agent: Some("curl/8".to_owned()),
        protocol: "HTTP/1.1",
        status,
        response_length: 512,
        start_us: 1_700_000_000_000_000,
        end_us: 1_700_000_000_000_000 + latency_us,
        error_type: None,
        integration: Some(IntegrationCall {
            kind: "http_proxy",
            url: Some("http://127.0.0.1:8080/products/1".to_owned()),
            method: "GET".to_owned(),
            start_us: 1_700_000_000_000_100,
            end_us: 1_700_000_000_000_100 + latency_us / 2,
            status: Some(status),
            error: None,
            timed_out: false,
        }),
        waf: None,
        trace: TraceContext {
            trace_id: 1,
            segment_id: 2,
            parent_id: None,
            sampled: true,
        },
    }
}

fn bench(c: &mut Criterion) {
    let config = MetricsConfig::default();
    let aggregator = Aggregator::new(&config, 1).expect("default config is valid");
    let recorder = aggregator.recorder();
    let requests: Vec<FinishedRequest> = (0..1024)
        .map(|i| {
            request(
                i % 16,
                [200, 200, 201, 404, 500][i % 5],
                300 + (i as u64 * 7919) % 90_000,
            )
        })
        .collect();
    for r in &requests {
        recorder.record(r);
    }
    let mut group = c.benchmark_group("metrics");
    group.throughput(Throughput::Elements(1));
    let mut i = 0;
    group.bench_function("record", |b| {
        b.iter(|| {
            recorder.record(black_box(&requests[i & 1023]));
            i += 1;
        });
    });
    group.finish();

    let exporter = EmfExporter::new(&config).expect("default config is valid");
    c.bench_function("metrics/snapshot_and_emf_16_series", |b| {
        b.iter(|| {
            for r in &requests {
                recorder.record(r);
            }
            let snapshot = aggregator.snapshot(1_700_000_000_000);
            black_box(exporter.render(&snapshot))
        });
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
