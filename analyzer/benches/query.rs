//! `moatctl query` throughput over generated API Gateway access-log lines (Moat's default JSON format, ~300 bytes,
//! numbers as JSON strings), held in memory and run through the parallel chunked executor.

// criterion_group! generates an undocumented public function.
#![allow(missing_docs)]

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use moat_analyzer::query::{query_bytes, RunOptions};

const LINES: usize = 200_000;

fn access_log() -> Vec<u8> {
    let statuses = ["200", "200", "200", "200", "200", "200", "200", "200", "404", "500"];
    let mut out = Vec::with_capacity(LINES * 300);
    for i in 0..LINES {
        let second = i * 3600 / LINES;
        let line = format!(
            "{{ \"requestId\":\"{:08x}-269e-0d37-f2a7-{:012x}\", \"ip\": \"10.{}.{}.{}\", \"requestTime\":\"25/Nov/2026:{:02}:{:02}:{:02} +0000\", \"httpMethod\":\"GET\",\"routeKey\":\"ANY /{{proxy+}}\", \"status\":\"{}\",\"protocol\":\"HTTP/1.1\", \"responseLength\":\"{}\", \"responseLatency\":\"{}\", \"isCanaryRequest\":\"false\" }}\n",
            i * 2_654_435_761 % 0xffff_ffff,
            i,
            i % 256,
            i / 256 % 256,
            i % 7,
            22 + second / 3600,
            second / 60 % 60,
            second % 60,
            statuses[i * 7 % statuses.len()],
            100 + i % 5000,
            1 + (i * 31) % 997,
        );
        out.extend_from_slice(line.as_bytes());
    }
    out
}

fn bench(c: &mut Criterion) {
    let data = access_log();
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut group = c.benchmark_group("query");
    group.throughput(Throughput::Bytes(data.len() as u64));
    group.sample_size(10);
    for (name, query) in [
        ("count_by_status", "stats count(*) by status"),
        (
            "count_p99_by_status_minute",
            "stats count(*), pct(responseLatency, 99) by status, bin(1m)",
        ),
        (
            "filter_fields_limit",
            "filter status = 500 and responseLatency > 900 | fields requestId, ip | limit 100",
        ),
    ] {
        let options = RunOptions {
            workers,
            ..RunOptions::default()
        };
        group.bench_function(name, |b| {
            b.iter(|| query_bytes(query, &data, &options).expect("query runs"))
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
