//! Throughput of the transformation chain a typical XSS/SQLi rule uses (URL_DECODE_UNI, HTML_ENTITY_DECODE,
//! LOWERCASE) over a 1.5 KB JSON body and a query string, plus single transformations on the same body.
//!
//! Run with `cargo bench -p moat-waf --bench transform`.
#![allow(missing_docs)] // criterion_group! generates an undocumented pub fn

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use moat_waf::transform::{Chain, Scratch, TransformationType as T};

/// A ~1.5 KB JSON order body with some percent-escapes, entities and mixed case, like form-encoded-in-JSON data.
fn json_body() -> Vec<u8> {
    let mut body = String::from("{\"order\":{\"id\":\"ORD-2024-000123\",\"customer\":{\"name\":\"Jane Q. Public\",");
    body.push_str("\"email\":\"jane.public%40example.com\",\"note\":\"Leave at the Back Door &amp; ring twice\"},");
    body.push_str("\"items\":[");
    let mut i = 0;
    while body.len() < 1400 {
        if i > 0 {
            body.push(',');
        }
        body.push_str(&format!(
            "{{\"sku\":\"SKU-{i:05}\",\"title\":\"Widget %2B Gadget No. {i} &lt;Deluxe&gt;\",\"qty\":{},\"price\":{}.99}}",
            i % 7 + 1,
            i * 3 + 10
        ));
        i += 1;
    }
    body.push_str("],\"currency\":\"EUR\",\"comment\":\"Thanks%21\"}}");
    body.into_bytes()
}

fn query_string() -> Vec<u8> {
    b"q=Running+Shoes%20Size+42&category=Sports%2FOutdoor&sort=price_asc&page=2&ref=HomePage&utm_source=Newsletter\
      &filter%5Bcolor%5D=Blue&filter%5Bbrand%5D=Acme%26Co"
        .to_vec()
}

fn bench_chain(c: &mut Criterion) {
    let chain = Chain::new([T::UrlDecodeUni, T::HtmlEntityDecode, T::Lowercase]);
    let mut group = c.benchmark_group("urldecodeuni_htmlentity_lowercase");
    group
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    for (name, input) in [("json_body_1_5k", json_body()), ("query_string", query_string())] {
        let mut scratch = Scratch::with_capacity(input.len());
        group.throughput(Throughput::Bytes(input.len() as u64));
        group.bench_function(name, |b| {
            b.iter(|| black_box(chain.apply(black_box(&input), &mut scratch).len()))
        });
    }
    group.finish();

    let body = json_body();
    let mut group = c.benchmark_group("single_on_json_body_1_5k");
    group
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1));
    group.throughput(Throughput::Bytes(body.len() as u64));
    let mut out = Vec::with_capacity(body.len() * 8);
    for t in [
        T::UrlDecodeUni,
        T::HtmlEntityDecode,
        T::Lowercase,
        T::CompressWhiteSpace,
        T::CmdLine,
        T::JsDecode,
    ] {
        group.bench_function(t.aws_name(), |b| {
            b.iter(|| {
                out.clear();
                t.apply(black_box(&body), &mut out);
                black_box(out.len())
            })
        });
    }
    group.finish();

    let query = query_string();
    let mut group = c.benchmark_group("single_on_query_string");
    group
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1));
    group.throughput(Throughput::Bytes(query.len() as u64));
    for t in [T::UrlDecodeUni, T::HtmlEntityDecode, T::Lowercase] {
        group.bench_function(t.aws_name(), |b| {
            b.iter(|| {
                out.clear();
                t.apply(black_box(&query), &mut out);
                black_box(out.len())
            })
        });
    }
    group.finish();

    let mut group = c.benchmark_group("skip");
    group
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1));
    // The skip path: a chain whose steps find nothing to do returns the input without copying.
    let clean = b"plain ascii body without any escapes at all, repeated ".repeat(28);
    let mut scratch = Scratch::new();
    group.throughput(Throughput::Bytes(clean.len() as u64));
    group.bench_function("chain_on_clean_input_skips", |b| {
        let chain = Chain::new([T::UrlDecodeUni, T::HtmlEntityDecode, T::Lowercase]);
        b.iter(|| black_box(chain.apply(black_box(&clean), &mut scratch).len()))
    });
    group.finish();
}

criterion_group!(benches, bench_chain);
criterion_main!(benches);
