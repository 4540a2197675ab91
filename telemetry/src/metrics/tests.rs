use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use serde_json::{json, Value};

use super::*;
use crate::request::{IntegrationCall, TraceContext};

const T0: u64 = 1_700_000_000_000_000;

fn req(api_type: &'static str, resource: Option<&str>, status: u16, latency_us: u64) -> FinishedRequest {
    FinishedRequest {
        request_id: "r".to_owned(),
        extended_request_id: "e".to_owned(),
        api_id: "a1b2c3d4e5".to_owned(),
        api_name: "shop".to_owned(),
        api_type,
        stage: "prod".to_owned(),
        is_canary: false,
        resource: resource.map(str::to_owned),
        method: "GET".to_owned(),
        url: "https://api.example.com/prod/pets/1".to_owned(),
        host: None,
        client_ip: IpAddr::V4(Ipv4Addr::LOCALHOST),
        user_agent: None,
        protocol: "HTTP/1.1",
        status,
        response_length: 10,
        start_us: T0,
        end_us: T0 + latency_us,
        error_type: None,
        integration: None,
        waf: None,
        trace: TraceContext {
            trace_id: 1,
            segment_id: 2,
            parent_id: None,
            sampled: false,
        },
    }
}

fn with_integration(mut r: FinishedRequest, us: u64) -> FinishedRequest {
    r.integration = Some(IntegrationCall {
        kind: "http_proxy",
        url: None,
        method: "GET".to_owned(),
        start_us: T0 + 10,
        end_us: T0 + 10 + us,
        status: Some(r.status),
        error: None,
        timed_out: false,
    });
    r
}

fn aggregator(config: &MetricsConfig, shards: usize) -> Arc<Aggregator> {
    Aggregator::new(config, shards).unwrap()
}

fn docs(config: &MetricsConfig, snapshot: &Snapshot) -> Vec<Value> {
    let (records, failed) = EmfExporter::new(config).unwrap().render(snapshot);
    assert_eq!(failed, 0);
    records
        .iter()
        .map(|r| {
            assert_eq!(r.timestamp_ms, snapshot.start_ms as i64);
            serde_json::from_slice(&r.payload).unwrap()
        })
        .collect()
}

#[test]
fn rest_series_has_api_gateway_metrics_dimensions_and_statistics() {
    let config = MetricsConfig::default();
    let agg = aggregator(&config, 1);
    let rec = agg.recorder();
    rec.record(&with_integration(req("rest", Some("/pets/{id}"), 200, 12_000), 9_000));
    rec.record(&with_integration(req("rest", Some("/pets/{id}"), 200, 12_000), 9_000));
    rec.record(&req("rest", Some("/pets/{id}"), 404, 1_000));
    rec.record(&with_integration(req("rest", Some("/pets/{id}"), 502, 30), 20));
    let snapshot = agg.snapshot(1_700_000_040_000);
    assert_eq!(snapshot.series.len(), 1);
    let s = &snapshot.series[0];
    assert_eq!((s.count, s.errors_4xx, s.errors_5xx), (4, 1, 1));
    assert_eq!(s.latency.samples(), 4);
    assert_eq!(s.integration_latency.samples(), 3);
    // 30 µs is below 32 µs: exact. 12 ms keeps 6 significant bits.
    assert_eq!(s.latency.values_ms[0], 0.03);
    assert_eq!(s.latency.counts, [1, 1, 2]);
    // Byte for byte the example of docs/telemetry.md ("The documents").
    let (records, _) = EmfExporter::new(&config).unwrap().render(&snapshot);
    let documented = concat!(
        r#"{"_aws":{"Timestamp":1700000040000,"CloudWatchMetrics":[{"Namespace":"Moat/ApiGateway","#,
        r#""Dimensions":[["ApiName"],["ApiName","Stage"],["ApiName","Method","Resource","Stage"]],"#,
        r#""Metrics":[{"Name":"Count","Unit":"Count"},{"Name":"4XXError","Unit":"Count"},"#,
        r#"{"Name":"5XXError","Unit":"Count"},{"Name":"Latency","Unit":"Milliseconds"},"#,
        r#"{"Name":"IntegrationLatency","Unit":"Milliseconds"}]}]},"#,
        r#""ApiName":"shop","Stage":"prod","Method":"GET","Resource":"/pets/{id}","#,
        r#""Count":{"Values":[1],"Counts":[4]},"#,
        r#""4XXError":{"Values":[0,1],"Counts":[3,1]},"#,
        r#""5XXError":{"Values":[0,1],"Counts":[3,1]},"#,
        r#""Latency":{"Values":[0.03,0.999,11.903],"Counts":[1,1,2]},"#,
        r#""IntegrationLatency":{"Values":[0.02,9.087],"Counts":[1,2]}}"#,
    );
    assert_eq!(std::str::from_utf8(&records[0].payload).unwrap(), documented);
    let docs = docs(&config, &snapshot);
    assert_eq!(docs.len(), 1);
    let d = &docs[0];
    assert_eq!(
        d["_aws"]["CloudWatchMetrics"],
        json!([{
            "Namespace": "Moat/ApiGateway",
            "Dimensions": [["ApiName"], ["ApiName", "Stage"], ["ApiName", "Method", "Resource", "Stage"]],
            "Metrics": [
                {"Name": "Count", "Unit": "Count"},
                {"Name": "4XXError", "Unit": "Count"},
                {"Name": "5XXError", "Unit": "Count"},
                {"Name": "Latency", "Unit": "Milliseconds"},
                {"Name": "IntegrationLatency", "Unit": "Milliseconds"}
            ]
        }])
    );
    assert_eq!(d["_aws"]["Timestamp"], json!(1_700_000_040_000u64));
    assert_eq!(d["ApiName"], json!("shop"));
    assert_eq!(d["Stage"], json!("prod"));
    assert_eq!(d["Method"], json!("GET"));
    assert_eq!(d["Resource"], json!("/pets/{id}"));
    // Sum = 4 requests, SampleCount = 4.
    assert_eq!(d["Count"], json!({"Values": [1], "Counts": [4]}));
    // Sum = 1 error, Average = 1/4, the error rate.
    assert_eq!(d["4XXError"], json!({"Values": [0, 1], "Counts": [3, 1]}));
    assert_eq!(d["5XXError"], json!({"Values": [0, 1], "Counts": [3, 1]}));
    let latency = &d["Latency"];
    assert_eq!(latency["Counts"], json!([1, 1, 2]));
    let values: Vec<f64> = latency["Values"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    for (got, want) in values.iter().zip([0.03, 1.0, 12.0]) {
        assert!((got - want).abs() <= want / 64.0, "{got} vs {want}");
    }
    assert_eq!(d["IntegrationLatency"]["Counts"], json!([1, 2]));
}

#[test]
fn canary_http_and_non_ascii_names() {
    let config = MetricsConfig::default();
    let agg = aggregator(&config, 1);
    let rec = agg.recorder();
    let mut canary = req("rest", Some("/"), 200, 5_000);
    canary.is_canary = true;
    canary.api_name = "café ☕".to_owned();
    rec.record(&canary);
    let mut unnamed = req("rest", None, 403, 5_000);
    unnamed.api_name = "☕".to_owned();
    rec.record(&unnamed);
    rec.record(&req("http", Some("GET /pets/{id}"), 429, 5_000));
    rec.record(&req("http", Some("$default"), 200, 5_000));
    let snapshot = agg.snapshot(0);
    let docs = docs(&config, &snapshot);
    assert_eq!(docs.len(), 4);
    let rest_canary = docs.iter().find(|d| d["Stage"] == json!("prod/Canary")).unwrap();
    assert_eq!(rest_canary["ApiName"], json!("caf "));
    // No route matched: published under ApiName and ApiName+Stage only; no ASCII left: the API id.
    let unmatched = docs.iter().find(|d| d["ApiName"] == json!("a1b2c3d4e5")).unwrap();
    assert_eq!(
        unmatched["_aws"]["CloudWatchMetrics"][0]["Dimensions"],
        json!([["ApiName"], ["ApiName", "Stage"]])
    );
    assert!(unmatched.get("Resource").is_none());
    let http: Vec<&Value> = docs.iter().filter(|d| d.get("ApiId").is_some()).collect();
    assert_eq!(http.len(), 2);
    for d in &http {
        assert_eq!(
            d["_aws"]["CloudWatchMetrics"][0]["Dimensions"],
            json!([["ApiId"], ["ApiId", "Stage"], ["ApiId", "Method", "Resource", "Stage"]])
        );
        let names: Vec<&str> = d["_aws"]["CloudWatchMetrics"][0]["Metrics"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["Name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["Count", "4xx", "5xx", "Latency"]);
        assert!(d.get("ApiName").is_none());
    }
    let resources: Vec<&Value> = http.iter().map(|d| &d["Resource"]).collect();
    assert!(resources.contains(&&json!("/pets/{id}")));
    assert!(resources.contains(&&json!("$default")));
    let pets = http.iter().find(|d| d["Resource"] == json!("/pets/{id}")).unwrap();
    // The one request was a 429: a zero count is left out.
    assert_eq!(pets["4xx"], json!({"Values": [1], "Counts": [1]}));
    assert_eq!(pets["5xx"], json!({"Values": [0], "Counts": [1]}));
}

#[test]
fn without_detailed_metrics_routes_merge_per_stage() {
    let config = MetricsConfig {
        detailed: false,
        ..MetricsConfig::default()
    };
    let agg = aggregator(&config, 1);
    let rec = agg.recorder();
    for resource in ["/a", "/b", "/c"] {
        rec.record(&req("rest", Some(resource), 200, 1_000));
    }
    let snapshot = agg.snapshot(0);
    assert_eq!(snapshot.series.len(), 1);
    assert_eq!(snapshot.series[0].count, 3);
    let d = &docs(&config, &snapshot)[0];
    assert_eq!(
        d["_aws"]["CloudWatchMetrics"][0]["Dimensions"],
        json!([["ApiName"], ["ApiName", "Stage"]])
    );
}

#[test]
fn shards_merge_and_intervals_reset() {
    let config = MetricsConfig::default();
    let agg = aggregator(&config, 2);
    let threads: Vec<_> = (0..2)
        .map(|_| {
            let rec = agg.recorder();
            std::thread::spawn(move || {
                for i in 0..5000u64 {
                    rec.record(&req("rest", Some("/x"), if i % 10 == 0 { 500 } else { 200 }, 100 + i));
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let snapshot = agg.snapshot(60_000);
    assert_eq!(snapshot.series.len(), 1);
    let s = &snapshot.series[0];
    assert_eq!((s.count, s.errors_5xx), (10_000, 1000));
    assert_eq!(s.latency.samples(), 10_000);
    // The next interval starts empty, and the idle series is forgotten.
    let next = agg.snapshot(120_000);
    assert!(next.series.is_empty());
    assert_eq!(agg.series.load(Ordering::Relaxed), 0);
}

#[test]
fn series_past_max_series_are_dropped_and_counted() {
    let config = MetricsConfig {
        max_series: 2,
        ..MetricsConfig::default()
    };
    let agg = aggregator(&config, 1);
    let rec = agg.recorder();
    for resource in ["/a", "/b", "/c", "/c", "/a"] {
        rec.record(&req("rest", Some(resource), 200, 1_000));
    }
    let snapshot = agg.snapshot(0);
    assert_eq!(snapshot.series.len(), 2);
    assert_eq!(snapshot.dropped_requests, 2);
    assert_eq!(snapshot.series.iter().map(|s| s.count).sum::<u64>(), 3);
}

#[test]
fn many_distinct_latencies_split_into_documents_that_add_up() {
    let config = MetricsConfig::default();
    let agg = aggregator(&config, 1);
    let rec = agg.recorder();
    for i in 0..3000u64 {
        rec.record(&req("rest", Some("/slow"), 200, 1 + i * 97));
    }
    let snapshot = agg.snapshot(0);
    let distinct = snapshot.series[0].latency.values_ms.len();
    assert!(distinct > 200, "{distinct}");
    let docs = docs(&config, &snapshot);
    assert_eq!(docs.len(), distinct.div_ceil(100));
    let mut samples = 0;
    let mut counts_of_count = 0;
    for d in &docs {
        let values = d["Latency"]["Values"].as_array().unwrap();
        assert!(values.len() <= 100);
        samples += d["Latency"]["Counts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_u64().unwrap())
            .sum::<u64>();
        if let Some(count) = d.get("Count") {
            counts_of_count += count["Counts"][0].as_u64().unwrap();
        }
    }
    assert_eq!(samples, 3000);
    assert_eq!(counts_of_count, 3000);
}

#[test]
fn histogram_buckets_keep_six_significant_bits() {
    let mut last = 0;
    for us in (0..200_000u64).chain([1 << 30, (1 << 37) - 1, 1 << 37, u64::MAX]) {
        let index = Histogram::index(us);
        assert!(index < BUCKETS);
        assert!(index >= last || us > 200_000, "index not monotonic at {us}");
        last = index;
        if us < 1 << 37 {
            let rep = Histogram::representative_us(index);
            let err = rep.abs_diff(us) as f64;
            assert!(err <= us as f64 / 64.0, "{us} -> {rep}");
            assert_eq!(Histogram::index(rep), index);
        } else {
            assert_eq!(index, BUCKETS - 1);
        }
    }
}

#[test]
fn config_limits() {
    let ok = MetricsConfig::default();
    assert!(ok.validate().is_ok());
    for interval in [Duration::ZERO, Duration::from_millis(1500), Duration::from_secs(3601)] {
        let c = MetricsConfig { interval, ..ok.clone() };
        assert!(matches!(c.validate(), Err(MetricsError::Interval(_))));
    }
    for interval in [Duration::from_secs(1), Duration::from_secs(3600)] {
        assert!(MetricsConfig { interval, ..ok.clone() }.validate().is_ok());
    }
    for namespace in ["", "AWS/ApiGateway", "a\nb"] {
        let c = MetricsConfig {
            namespace: namespace.to_owned(),
            ..ok.clone()
        };
        assert!(
            matches!(c.validate(), Err(MetricsError::Namespace { .. })),
            "{namespace:?}"
        );
    }
    let c = MetricsConfig { max_series: 0, ..ok };
    assert!(matches!(c.validate(), Err(MetricsError::MaxSeries)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
async fn flusher_emits_on_the_boundary_and_on_shutdown() {
    let config = MetricsConfig {
        interval: Duration::from_secs(1),
        ..MetricsConfig::default()
    };
    let agg = aggregator(&config, 1);
    let rec = agg.recorder();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let (stop, shutdown) = oneshot::channel();
    let task = spawn_flusher(
        &Handle::current(),
        Arc::clone(&agg),
        EmfExporter::new(&config).unwrap(),
        shutdown,
        move |snapshot: &Snapshot, records: Vec<Record>, failed| {
            let _ = tx.send((snapshot.start_ms, snapshot.series.len(), records, failed));
        },
    );
    rec.record(&req("rest", Some("/a"), 200, 1_000));
    // The boundary comes within a second; skip an interval that closed before the record landed.
    let (start, records) = loop {
        let (start, series, records, failed) = tokio::time::timeout(Duration::from_secs(3), rx.recv())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(failed, 0);
        if series == 1 {
            break (start, records);
        }
    };
    assert_eq!(start % 1000, 0);
    assert_eq!(records.len(), 1);
    let doc: Value = serde_json::from_slice(&records[0].payload).unwrap();
    assert_eq!(doc["_aws"]["Timestamp"], json!(start));
    // A request after the boundary goes out on shutdown, in the partial interval.
    rec.record(&req("rest", Some("/b"), 200, 1_000));
    stop.send(()).unwrap();
    task.await.unwrap();
    let mut resources = Vec::new();
    while let Ok((_, _, records, _)) = rx.try_recv() {
        for r in records {
            let doc: Value = serde_json::from_slice(&r.payload).unwrap();
            resources.push(doc["Resource"].clone());
        }
    }
    assert!(resources.contains(&json!("/b")), "{resources:?}");
}

#[test]
fn long_dimension_values_are_cut_to_emf_limits() {
    let config = MetricsConfig::default();
    let agg = aggregator(&config, 1);
    let mut long = req("rest", None, 200, 1_000);
    let resource = "é".repeat(1500);
    long.resource = Some(resource.clone());
    long.stage = "s".repeat(2000);
    long.is_canary = true;
    agg.recorder().record(&long);
    let snapshot = agg.snapshot(0);
    let d = &docs(&config, &snapshot)[0];
    assert_eq!(d["Resource"].as_str().unwrap().chars().count(), 1024);
    assert!(resource.starts_with(d["Resource"].as_str().unwrap()));
    let stage = d["Stage"].as_str().unwrap();
    assert_eq!(stage.chars().count(), 1024);
    assert!(stage.ends_with("/Canary"));
}
