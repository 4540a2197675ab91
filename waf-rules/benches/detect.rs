//! Throughput of the SQLi and XSS detectors on benign JSON bodies (1.5 KB and 16 KB), on the string and number
//! values of the 1.5 KB body fed one by one (what the `JsonBody` match scope does), on a short query-string value
//! and on a short attack. `cargo bench -p moat-waf --bench detect`.

// `criterion_group!` generates an undocumented public function.
#![allow(missing_docs)]

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use moat_waf::detect::sqli::{is_sqli, Sensitivity};
use moat_waf::detect::xss::is_xss;

/// A realistic order-creation body with `items` line items: names with apostrophes, prose, URLs, numbers; padded
/// with spaces to at least `min_len` bytes.
fn json_body(items: usize, min_len: usize) -> Vec<u8> {
    let mut body = String::from(
        r#"{"order":{"id":"ORD-2024-000123","customer":{"name":"Patrick O'Brien","email":"patrick.obrien@example.com","phone":"+1 (555) 123-4567","address":{"line1":"12 Union Street","line2":"Apt. 4B","city":"Springfield","zip":"90210","country":"US"}},"items":["#,
    );
    for i in 0..items {
        body.push_str(&format!(
            r#"{{"sku":"SKU-{i:05}-XL","title":"Select Comfort mattress, size {i}","qty":{q},"price":{p}.99,"note":"don't drop it -- fragile"}},"#,
            q = i + 1,
            p = 10 * i + 9
        ));
    }
    body.pop();
    body.push_str(
        r#"],"notes":"Please deliver after 5pm; ring twice. It's a gift for my mother's 70th birthday, so no invoice in the box please.","coupon":null,"gift":true,"tracking_url":"https://tracking.example.com/track?id=1Z999AA10123456784&lang=en"}}"#,
    );
    while body.len() < min_len {
        body.insert(body.len() - 2, ' ');
    }
    body.into_bytes()
}

/// The string and number leaves of a JSON document, as the bytes a `JsonBody` match would inspect.
fn json_values(body: &[u8]) -> Vec<Vec<u8>> {
    fn walk(v: &serde_json::Value, out: &mut Vec<Vec<u8>>) {
        match v {
            serde_json::Value::String(s) => out.push(s.as_bytes().to_vec()),
            serde_json::Value::Number(n) => out.push(n.to_string().into_bytes()),
            serde_json::Value::Array(a) => a.iter().for_each(|x| walk(x, out)),
            serde_json::Value::Object(o) => o.values().for_each(|x| walk(x, out)),
            _ => {}
        }
    }
    let doc: serde_json::Value = serde_json::from_slice(body).expect("the bench body is JSON");
    let mut out = Vec::new();
    walk(&doc, &mut out);
    out
}

fn bench(c: &mut Criterion) {
    let json = json_body(6, 1536);
    let json16 = json_body(127, 16 * 1024);
    assert_eq!(json.len(), 1536);
    assert_eq!(json16.len(), 16 * 1024);
    let query = b"summer dresses under $50".to_vec();
    let attack = b"1' UNION SELECT username, password FROM users--".to_vec();
    let inputs: [(&str, &[u8]); 4] = [
        ("json_1536B", &json),
        ("json_16KB", &json16),
        ("query_value", &query),
        ("sqli_attack", &attack),
    ];
    let mut g = c.benchmark_group("detect");
    for (name, input) in inputs {
        g.throughput(Throughput::Bytes(input.len() as u64));
        g.bench_function(format!("sqli_low/{name}"), |b| {
            b.iter(|| is_sqli(black_box(input), Sensitivity::Low))
        });
        g.bench_function(format!("sqli_high/{name}"), |b| {
            b.iter(|| is_sqli(black_box(input), Sensitivity::High))
        });
        g.bench_function(format!("xss/{name}"), |b| b.iter(|| is_xss(black_box(input))));
    }
    // Every leaf of the 1.5 KB body, one call per value.
    let values = json_values(&json);
    g.throughput(Throughput::Bytes(values.iter().map(|v| v.len() as u64).sum()));
    g.bench_function("sqli_low/json_values", |b| {
        b.iter(|| {
            values
                .iter()
                .filter(|v| is_sqli(black_box(v), Sensitivity::Low).is_some())
                .count()
        })
    });
    g.bench_function("sqli_high/json_values", |b| {
        b.iter(|| {
            values
                .iter()
                .filter(|v| is_sqli(black_box(v), Sensitivity::High).is_some())
                .count()
        })
    });
    g.bench_function("xss/json_values", |b| {
        b.iter(|| values.iter().filter(|v| is_xss(black_box(v)).is_some()).count())
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30).warm_up_time(std::time::Duration::from_millis(500))
        .measurement_time(std::time::Duration::from_secs(2));
    targets = bench
}
criterion_main!(benches);
