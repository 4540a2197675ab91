//! Throughput of the SQLi and XSS detectors on a benign 1.5 KB JSON body, a short query-string value and a short
//! attack. `cargo bench -p moat-waf --bench detect`.

// `criterion_group!` generates an undocumented public function.
#![allow(missing_docs)]

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use moat_waf::detect::sqli::{is_sqli, Sensitivity};
use moat_waf::detect::xss::is_xss;

/// A realistic order-creation body: names with apostrophes, prose, URLs, numbers; about 1.5 KB.
fn json_body() -> Vec<u8> {
    let mut body = String::from(
        r#"{"order":{"id":"ORD-2024-000123","customer":{"name":"Patrick O'Brien","email":"patrick.obrien@example.com","phone":"+1 (555) 123-4567","address":{"line1":"12 Union Street","line2":"Apt. 4B","city":"Springfield","zip":"90210","country":"US"}},"items":["#,
    );
    for i in 0..6 {
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
    while body.len() < 1536 {
        body.insert(body.len() - 2, ' ');
    }
    body.into_bytes()
}

fn bench(c: &mut Criterion) {
    let json = json_body();
    let query = b"summer dresses under $50".to_vec();
    let attack = b"1' UNION SELECT username, password FROM users--".to_vec();
    let inputs: [(&str, &[u8]); 3] = [("json_1536B", &json), ("query_value", &query), ("sqli_attack", &attack)];
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
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30).warm_up_time(std::time::Duration::from_millis(500))
        .measurement_time(std::time::Duration::from_secs(2));
    targets = bench
}
criterion_main!(benches);
