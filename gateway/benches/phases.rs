//! Per-phase costs of the request path, without I/O: route selection, trace-header handling, id generation,
//! config-free gateway responses, access-log rendering and HTTP/1.1 request-head parsing (the work each
//! request adds on top of the sockets).
//! Run: `cargo bench -p moat-gateway --bench phases`.
#![allow(missing_docs)]

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use http::Method;
use moat_formats::access_log::AccessLogFormat;
use moat_formats::record::{ApiType, IntegrationRecord, RequestRecord};
use moat_gateway::gateway_response::{GatewayResponses, ResponseType};
use moat_gateway::ids::{ExtendedRequestId, RequestId, TraceHeader};
use moat_gateway::routing::{RouteKey, RouteTable};

fn route_table() -> RouteTable<()> {
    let mut table = RouteTable::new();
    for key in [
        "GET /products",
        "GET /products/{id}",
        "PUT /products/{id}",
        "GET /products/{id}/reviews",
        "GET /products/{id}/reviews/{review}",
        "ANY /orders/{proxy+}",
        "POST /orders",
        "GET /health",
        "ANY /{proxy+}",
        "$default",
    ] {
        let parsed = RouteKey::parse(key).expect("route key");
        table.insert(parsed, ());
    }
    table
}

fn routing(c: &mut Criterion) {
    let table = route_table();
    let mut group = c.benchmark_group("route");
    group.throughput(Throughput::Elements(1));
    group.bench_function("param_match_10_routes", |b| {
        b.iter(|| table.find(black_box(&Method::GET), black_box("/products/42/reviews/7")));
    });
    group.bench_function("greedy_fallback_10_routes", |b| {
        b.iter(|| table.find(black_box(&Method::DELETE), black_box("/customers/1/addresses/2")));
    });
    group.finish();
}

fn ids(c: &mut Criterion) {
    let mut group = c.benchmark_group("ids");
    group.bench_function("request_and_extended_id", |b| {
        b.iter(|| (RequestId::generate(), ExtendedRequestId::generate()));
    });
    let incoming = b"Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1";
    group.bench_function("trace_header_continue", |b| {
        b.iter(|| TraceHeader::continue_or_start(Some(black_box(&incoming[..])), 1_700_000_000));
    });
    group.bench_function("trace_header_start", |b| {
        b.iter(|| TraceHeader::continue_or_start(None, 1_700_000_000));
    });
    group.finish();
}

fn record<'a>(request_id: &'a str) -> RequestRecord<'a> {
    RequestRecord {
        api_type: Some(ApiType::Http),
        account_id: "000000000000",
        api_id: "a1b2c3d4e5",
        stage: "$default",
        request_id,
        extended_request_id: "Lx8IiGnSIAMEbXQ=",
        domain_name: "127.0.0.1",
        domain_prefix: "127",
        source_ip: "127.0.0.1",
        user_agent: Some("wrk/4.2 (compatible)"),
        http_method: "GET",
        path: "/products/42",
        resource_path: Some("/{proxy+}"),
        route_key: Some("ANY /{proxy+}"),
        resource_id: Some("abc123"),
        protocol: "HTTP/1.1",
        status: 200,
        response_length: 11,
        request_length: 0,
        request_time_epoch_ms: 1_764_072_000_000,
        response_latency_ms: 1,
        integration: Some(IntegrationRecord {
            status: Some(200),
            latency_ms: 1,
            error: None,
            request_id: None,
        }),
        error: None,
        waf: None,
        xray_trace_id: "Root=1-5759e988-bd862e3fe1be46a994272793",
        is_canary: false,
        base_path_matched: None,
    }
}

fn access_log(c: &mut Criterion) {
    let format = AccessLogFormat::default_for(ApiType::Http);
    let id = RequestId::generate();
    let rec = record(id.as_str());
    let mut out = Vec::with_capacity(1024);
    let mut group = c.benchmark_group("access_log");
    group.throughput(Throughput::Elements(1));
    group.bench_function("render_default_json", |b| {
        b.iter(|| {
            out.clear();
            format.render(black_box(&rec), &mut out);
        });
    });
    group.finish();
}

fn gateway_responses(c: &mut Criterion) {
    let responses = GatewayResponses::default();
    c.bench_function("gateway_response/render_missing_token", |b| {
        b.iter(|| {
            responses.render(
                ResponseType::MissingAuthenticationToken,
                "Missing Authentication Token",
                "id",
            )
        });
    });
}

fn request_head(c: &mut Criterion) {
    // The head wrk sends in benches/load.sh's GET: request line, Host, a browser User-Agent, Accept.
    let head: &[u8] = b"GET /products/42?color=red HTTP/1.1\r\nHost: api.example.com\r\n\
        User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36\r\n\
        Accept: application/json\r\n\r\n";
    let mut group = c.benchmark_group("http1");
    group.throughput(Throughput::Elements(1));
    group.bench_function("parse_request_head_4_fields", |b| {
        b.iter(|| {
            let mut buf = bytes::BytesMut::from(head);
            black_box(moat_gateway::h1_server::parse_request_head(&mut buf, 16 * 1024).ok())
        });
    });
    group.finish();
}

criterion_group!(benches, routing, ids, access_log, gateway_responses, request_head);
criterion_main!(benches);
