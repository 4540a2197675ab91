//! Metric samples from EMF documents and API Gateway access logs.

use crate::alarms::metrics::{AccessLogDefaults, Extractor, Sample};
use crate::alarms::time::utc_ms;
use crate::event::LogEvent;

fn extract(defaults: AccessLogDefaults, line: &str) -> (Vec<Sample>, Extractor) {
    let mut extractor = Extractor::new(defaults);
    let mut out = Vec::new();
    extractor.extract(&LogEvent::from_message(line), &mut out);
    (out, extractor)
}

fn dims(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
}

#[test]
fn aws_emf_specification_example_record() {
    // "Specification: Embedded metric format" → "Embedded metric format example and JSON schema".
    let line = r#"{"_aws":{"Timestamp":1574109732004,"CloudWatchMetrics":[{"Namespace":"lambda-function-metrics","Dimensions":[["functionVersion"]],"Metrics":[{"Name":"time","Unit":"Milliseconds"}]}]},"functionVersion":"$LATEST","time":100,"requestId":"989ffbf8-9ace-4817-a57c-e4dd734019ee"}"#;
    let (samples, extractor) = extract(AccessLogDefaults::default(), line);
    assert_eq!(
        samples,
        [Sample {
            namespace: "lambda-function-metrics".into(),
            name: "time".into(),
            dimensions: dims(&[("functionVersion", "$LATEST")]),
            unit: "Milliseconds".into(),
            timestamp_ms: 1_574_109_732_004,
            values: vec![(100.0, 1)],
        }]
    );
    assert_eq!(extractor.stats.emf_documents, 1);
    assert_eq!(extractor.stats.emf_invalid, 0);
}

#[test]
fn emf_arrays_counts_several_sets_and_directives() {
    let line = r#"{"_aws":{"Timestamp":1000,"CloudWatchMetrics":[
        {"Namespace":"A","Dimensions":[["Svc"],["Svc","Op"],[]],"Metrics":[{"Name":"Lat"},{"Name":"Missing"}]},
        {"Namespace":"B","Dimensions":[["Nope"]],"Metrics":[{"Name":"Dist","Unit":"Count"}]}]},
        "Svc":"shop","Op":"get","Lat":[1,2,3],"Dist":{"Values":[1.5,9],"Counts":[3,1]}}"#
        .replace('\n', "");
    let (samples, extractor) = extract(AccessLogDefaults::default(), &line);
    let lat: Vec<_> = samples.iter().filter(|s| s.name == "Lat").collect();
    assert_eq!(lat.len(), 3);
    assert_eq!(lat[0].dimensions, dims(&[("Svc", "shop")]));
    assert_eq!(lat[1].dimensions, dims(&[("Op", "get"), ("Svc", "shop")]));
    assert!(lat[2].dimensions.is_empty());
    assert_eq!(lat[0].values, [(1.0, 1), (2.0, 1), (3.0, 1)]);
    assert_eq!(lat[0].unit, "None");
    // Directive B's only set names a member that is absent: nothing from it; "Missing" has no value.
    assert!(samples.iter().all(|s| s.namespace == "A"));
    assert_eq!(extractor.stats.emf_invalid, 2);
    // The values-and-counts form Moat's gateway writes.
    let line = r#"{"_aws":{"Timestamp":5,"CloudWatchMetrics":[{"Namespace":"B","Dimensions":[[]],"Metrics":[{"Name":"Dist","Unit":"Count"}]}]},"Dist":{"Values":[1.5,9],"Counts":[3,1]}}"#;
    let (samples, _) = extract(AccessLogDefaults::default(), line);
    assert_eq!(samples[0].values, [(1.5, 3), (9.0, 1)]);
}

fn named(samples: &[Sample], name: &str, set: &[(&str, &str)]) -> Vec<(f64, u64)> {
    let want = dims(set);
    samples
        .iter()
        .filter(|s| s.name == name && s.dimensions == want)
        .flat_map(|s| s.values.clone())
        .collect()
}

#[test]
fn moat_default_rest_access_log_record_gives_api_gateway_metrics() {
    // Moat's REST default format (formats/src/access_log/presets.rs); "Amazon API Gateway dimensions and
    // metrics" for names, units and dimension sets.
    let line = r#"{ "requestId":"c6af9ac6", "extendedRequestId":"J3tz=","ip": "198.51.100.7", "caller":"-", "user":"-", "requestTime":"25/Nov/2026:22:30:56 +0000", "httpMethod":"GET", "resourcePath":"/pets/{id}", "status":"503", "protocol":"HTTP/1.1", "responseLength":"27", "responseLatency":"15", "isCanaryRequest":"false" }"#;
    let defaults = AccessLogDefaults {
        api_name: Some("shop".into()),
        api_id: None,
        stage: Some("prod".into()),
    };
    let (samples, extractor) = extract(defaults, line);
    assert_eq!(extractor.stats.access_records, 1);
    assert!(samples.iter().all(|s| s.namespace == "AWS/ApiGateway"));
    assert!(samples
        .iter()
        .all(|s| s.timestamp_ms == utc_ms(2026, 11, 25, 22, 30, 56)));
    let per_api = [("ApiName", "shop")];
    let per_stage = [("ApiName", "shop"), ("Stage", "prod")];
    let per_method = [
        ("ApiName", "shop"),
        ("Method", "GET"),
        ("Resource", "/pets/{id}"),
        ("Stage", "prod"),
    ];
    for set in [&per_api[..], &per_stage[..], &per_method[..]] {
        assert_eq!(named(&samples, "Count", set), [(1.0, 1)], "{set:?}");
        assert_eq!(named(&samples, "4XXError", set), [(0.0, 1)], "{set:?}");
        assert_eq!(named(&samples, "5XXError", set), [(1.0, 1)], "{set:?}");
        assert_eq!(named(&samples, "Latency", set), [(15.0, 1)], "{set:?}");
    }
    assert!(named(&samples, "IntegrationLatency", &per_api).is_empty());
    let latency = samples.iter().find(|s| s.name == "Latency").expect("latency");
    assert_eq!(latency.unit, "Milliseconds");
    assert_eq!(
        samples.iter().find(|s| s.name == "Count").map(|s| s.unit.as_str()),
        Some("Count")
    );
}

#[test]
fn http_api_records_use_api_id_and_route_key_and_record_fields_win() {
    let line = r#"{"requestTimeEpoch":"1764109856000","httpMethod":"POST","routeKey":"POST /orders","status":"404","apiId":"a1b2c3","stage":"live","integrationLatency":"7","isCanaryRequest":"true"}"#;
    let defaults = AccessLogDefaults {
        api_name: None,
        api_id: Some("ignored".into()),
        stage: Some("other".into()),
    };
    let (samples, _) = extract(defaults, line);
    let detailed = [
        ("ApiId", "a1b2c3"),
        ("Method", "POST"),
        ("Resource", "/orders"),
        ("Stage", "live/Canary"),
    ];
    assert_eq!(named(&samples, "4xx", &detailed), [(1.0, 1)]);
    assert_eq!(named(&samples, "5xx", &[("ApiId", "a1b2c3")]), [(0.0, 1)]);
    assert_eq!(
        named(
            &samples,
            "IntegrationLatency",
            &[("ApiId", "a1b2c3"), ("Stage", "live/Canary")]
        ),
        [(7.0, 1)]
    );
    assert!(samples.iter().all(|s| s.timestamp_ms == 1_764_109_856_000));
}

#[test]
fn access_logs_without_api_or_time_are_counted_not_guessed() {
    let line = r#"{"requestTime":"25/Nov/2026:22:30:56 +0000","httpMethod":"GET","resourcePath":"/","status":"200"}"#;
    let (samples, extractor) = extract(AccessLogDefaults::default(), line);
    assert!(samples.is_empty());
    assert_eq!(extractor.stats.access_no_api, 1);
    let line = r#"{"httpMethod":"GET","resourcePath":"/","status":"200"}"#;
    let (samples, extractor) = extract(
        AccessLogDefaults {
            api_name: Some("a".into()),
            ..Default::default()
        },
        line,
    );
    assert!(samples.is_empty());
    assert_eq!(extractor.stats.access_no_time, 1);
    // Without a stage only the [ApiName] set exists.
    let line = r#"{"requestTime":"25/Nov/2026:22:30:56 +0000","httpMethod":"GET","resourcePath":"/","status":"200"}"#;
    let (samples, _) = extract(
        AccessLogDefaults {
            api_name: Some("a".into()),
            ..Default::default()
        },
        line,
    );
    assert!(samples.iter().all(|s| s.dimensions == dims(&[("ApiName", "a")])));
    assert_eq!(samples.len(), 3);
}
