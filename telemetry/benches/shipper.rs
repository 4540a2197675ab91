//! What one `ShipperHandle::push` costs the caller while the sink keeps up: a few atomics and a
//! lock-free channel send, measured per record.
#![allow(missing_docs, clippy::unwrap_used)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use bytes::Bytes;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use moat_telemetry::shipper::{Shipper, ShipperConfig};
use moat_telemetry::{BatchLimits, Delivered, Record, SendError, Sink};

/// A sink that takes every batch at once.
struct Accept;

impl Sink for Accept {
    fn name(&self) -> &str {
        "bench"
    }

    fn limits(&self) -> BatchLimits {
        BatchLimits {
            max_records: 10_000,
            max_bytes: 1_048_576,
            overhead_per_record: 26,
            max_record_bytes: 262_118,
            max_span_ms: Some(86_400_000),
        }
    }

    async fn send(&mut self, batch: &[Record]) -> Result<Delivered, SendError> {
        Ok(Delivered {
            accepted: batch.len(),
            rejected: 0,
        })
    }
}

fn push(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let handle = Shipper::spawn(Accept, ShipperConfig::default(), rt.handle()).unwrap();
    let payload = Bytes::from(vec![b'x'; 200]);
    let mut group = c.benchmark_group("shipper");
    group.throughput(Throughput::Elements(1));
    // Timed: the pushes. Untimed: waiting, every 1 000 records, for the shipper to catch up, so that
    // every measured push is accepted (the queue never fills) as when the sink keeps up.
    group.bench_function("push_200B_sink_keeping_up", |b| {
        let mut ts = 0i64;
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            let mut left = iters;
            while left > 0 {
                let n = left.min(1000);
                let start = Instant::now();
                for _ in 0..n {
                    ts += 1;
                    black_box(handle.push(Record {
                        timestamp_ms: ts,
                        payload: payload.clone(),
                    }));
                }
                total += start.elapsed();
                left -= n;
                rt.block_on(handle.flush(Duration::from_secs(30))).unwrap();
            }
            total
        });
    });
    group.finish();
    let stats = handle.stats();
    rt.block_on(handle.flush(Duration::from_secs(30))).unwrap();
    eprintln!(
        "accepted {} delivered {} dropped {}",
        stats.accepted,
        handle.stats().delivered,
        stats.dropped.total()
    );
    assert_eq!(stats.dropped.total(), 0, "a measured push was dropped");
}

criterion_group!(benches, push);
criterion_main!(benches);
