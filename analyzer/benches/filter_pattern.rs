//! Filter-pattern matching over 4,000 API Gateway access-log lines in Moat's default JSON format (the
//! console's REST JSON example plus `responseLatency` and `isCanaryRequest`): a term pattern, a JSON pattern
//! and a space-delimited pattern over the JSON lines, and a space-delimited pattern over the same requests in
//! the console's CLF format, which is what space-delimited patterns are written for. Throughput is the
//! bytes of the lines scanned.

// `criterion_group!` generates an undocumented public function.
#![allow(missing_docs)]

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use moat_analyzer::filter_pattern::FilterPattern;

const LINES: usize = 4_000;

/// A request, as the two formats render it. Values cycle deterministically so every run sees the same
/// mix (about 4 % 5xx, 10 % POST).
fn request(i: usize) -> (String, String) {
    let status = match i % 50 {
        0 | 1 => 503,
        2..=4 => 404,
        5 => 429,
        _ => 200,
    };
    let method = if i.is_multiple_of(10) { "POST" } else { "GET" };
    let path = ["/pets", "/pets/{petId}", "/orders", "/health"][i % 4];
    let latency = 5 + (i * 37) % 400;
    let length = 100 + (i * 13) % 5_000;
    let ip = format!("10.0.{}.{}", (i / 250) % 250, i % 250);
    let request_id = format!("{:08x}-1c2d-4e5f-8a9b-{:012x}", i * 7919, i * 104_729);
    let time = format!("25/Nov/2026:23:{:02}:{:02} +0000", (i / 60) % 60, i % 60);
    let json = format!(
        "{{ \"requestId\":\"{request_id}\", \"extendedRequestId\":\"Xy{i:06}=\",\"ip\": \"{ip}\", \"caller\":\"-\", \
         \"user\":\"-\", \"requestTime\":\"{time}\", \"httpMethod\":\"{method}\", \"resourcePath\":\"{path}\", \
         \"status\":\"{status}\", \"protocol\":\"HTTP/1.1\", \"responseLength\":\"{length}\", \
         \"responseLatency\":\"{latency}\", \"isCanaryRequest\":\"false\" }}"
    );
    let clf = format!("{ip} - - [{time}] \"{method} {path} HTTP/1.1\" {status} {length} {request_id} Xy{i:06}=");
    (json, clf)
}

fn bench(c: &mut Criterion) {
    let (json, clf): (Vec<String>, Vec<String>) = (0..LINES).map(request).unzip();
    let cases = [
        ("terms", "\"\\\"httpMethod\\\":\\\"POST\\\"\" -\"/health\"", &json),
        ("json", "{ $.status = 5* && $.responseLatency > 100 }", &json),
        (
            "space_delimited_on_json",
            "[..., latency_key, latency = %[0-9]{3}%, canary_key, canary, close]",
            &json,
        ),
        (
            "space_delimited_on_clf",
            "[ip, identity, user, time, request = *pets*, status = 5*, size > 1000, ...]",
            &clf,
        ),
    ];
    let mut group = c.benchmark_group("filter_pattern");
    for (name, text, lines) in cases {
        let pattern = match FilterPattern::parse(text) {
            Ok(pattern) => pattern,
            Err(e) => panic!("{name}: {e}"),
        };
        let bytes: usize = lines.iter().map(String::len).sum();
        let matched = lines.iter().filter(|line| pattern.matches(line)).count();
        assert!(
            matched > 0 && matched < LINES,
            "{name}: {matched} of {LINES} lines match; the case tests nothing"
        );
        group.throughput(Throughput::Bytes(bytes as u64));
        group.bench_function(name, |b| {
            b.iter(|| lines.iter().filter(|line| pattern.matches(black_box(line))).count());
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
