//! One sampling decision, as the gateway makes it per request: the built-in `Default` rule alone, and
//! five user rules of which only the last, `Default`, matches (the slowest common case).
#![allow(missing_docs, clippy::unwrap_used)]

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use moat_telemetry::xray::sampling::{Sampler, SamplingRequest};

const RULES: &str = r#"[
  {"RuleName": "health", "Priority": 1, "ReservoirSize": 0, "FixedRate": 0, "URLPath": "/health*"},
  {"RuleName": "admin-posts", "Priority": 10, "ReservoirSize": 5, "FixedRate": 0.5, "HTTPMethod": "POST", "URLPath": "/admin/*"},
  {"RuleName": "other-api", "Priority": 20, "ReservoirSize": 2, "FixedRate": 0.1, "ServiceName": "billing/*"},
  {"RuleName": "internal-host", "Priority": 30, "ReservoirSize": 1, "FixedRate": 0.2, "Host": "*.internal"},
  {"RuleName": "one-pet", "Priority": 40, "ReservoirSize": 1, "FixedRate": 1, "URLPath": "/pets/????"}
]"#;

fn request() -> SamplingRequest<'static> {
    SamplingRequest {
        host: "api.example.com",
        method: "GET",
        url_path: "/prod/pets/12345/photos",
        service_name: "petstore/prod",
        service_type: "AWS::ApiGateway::Stage",
        resource_arn: "arn:aws:apigateway:us-east-1::/restapis/a1b2c3d4e5/stages/prod",
    }
}

fn bench(c: &mut Criterion) {
    let default = Sampler::default();
    let rules = Sampler::from_json(RULES).unwrap();
    let req = request();
    let mut second = 1_700_000_000u64;
    c.bench_function("decide/default_rule", |b| {
        b.iter(|| black_box(default.decide(black_box(&req), black_box(second))))
    });
    c.bench_function("decide/five_rules_then_default", |b| {
        b.iter(|| black_box(rules.decide(black_box(&req), black_box(second))))
    });
    c.bench_function("decide/default_rule_new_second_each_time", |b| {
        b.iter(|| {
            second += 1;
            black_box(default.decide(black_box(&req), second))
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
