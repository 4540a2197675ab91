use serde_json::{json, Value};

use super::*;

fn parse(doc: &[u8]) -> Value {
    serde_json::from_slice(doc).expect("valid JSON")
}

fn one(doc: &Document<'_>) -> Vec<u8> {
    let mut docs = render(doc, MAX_DOCUMENT_BYTES).expect("renders");
    assert_eq!(docs.len(), 1);
    docs.remove(0)
}

/// The example of "Specification: Embedded metric format", section "Embedded metric format example and
/// JSON schema" (docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/
/// CloudWatch_Embedded_Metric_Format_Specification.html), rendered byte for byte (compacted, the
/// Unit spelled `Milliseconds` as there).
#[test]
fn golden_documented_example() {
    let doc = Document {
        namespace: "lambda-function-metrics",
        timestamp_ms: 1_574_109_732_004,
        dimension_sets: &[&["functionVersion"]],
        dimensions: &[("functionVersion", "$LATEST")],
        properties: &[("requestId", "989ffbf8-9ace-4817-a57c-e4dd734019ee")],
        metrics: &[MetricDatum {
            name: "time",
            unit: Unit::Milliseconds,
            storage_resolution: None,
            value: MetricValue::Number(100.0),
        }],
    };
    let documented = r#"{
  "_aws": {
    "Timestamp": 1574109732004,
    "CloudWatchMetrics": [
      {
        "Namespace": "lambda-function-metrics",
        "Dimensions": [["functionVersion"]],
        "Metrics": [
          {
            "Name": "time",
            "Unit": "Milliseconds"
          }
        ]
      }
    ]
  },
  "functionVersion": "$LATEST",
  "time": 100,
  "requestId": "989ffbf8-9ace-4817-a57c-e4dd734019ee"
}"#;
    let compact: String = documented.split_whitespace().collect();
    let out = one(&doc);
    assert_eq!(std::str::from_utf8(&out).unwrap(), compact);
    assert_eq!(parse(&out), serde_json::from_str::<Value>(documented).unwrap());
}

#[test]
fn storage_resolution_values_and_distribution_forms() {
    let doc = Document {
        namespace: "Moat/ApiGateway",
        timestamp_ms: 60_000,
        dimension_sets: &[&[], &["ApiName", "Stage"]],
        dimensions: &[("ApiName", "shop \"api\""), ("Stage", "prod")],
        properties: &[],
        metrics: &[
            MetricDatum {
                name: "Samples",
                unit: Unit::Count,
                storage_resolution: Some(StorageResolution::High),
                value: MetricValue::Values(&[1.0, 2.5, -3.0]),
            },
            MetricDatum {
                name: "Latency",
                unit: Unit::Milliseconds,
                storage_resolution: Some(StorageResolution::Standard),
                value: MetricValue::Distribution {
                    values: &[0.5, 12.0, 99.0],
                    counts: &[3, 0, 7],
                },
            },
            MetricDatum {
                name: "Rate",
                unit: Unit::BytesPerSecond,
                storage_resolution: None,
                value: MetricValue::Number(0.1),
            },
        ],
    };
    let out = one(&doc);
    assert_eq!(
        parse(&out),
        json!({
            "_aws": {"Timestamp": 60000, "CloudWatchMetrics": [{
                "Namespace": "Moat/ApiGateway",
                "Dimensions": [[], ["ApiName", "Stage"]],
                "Metrics": [
                    {"Name": "Samples", "Unit": "Count", "StorageResolution": 1},
                    {"Name": "Latency", "Unit": "Milliseconds", "StorageResolution": 60},
                    {"Name": "Rate", "Unit": "Bytes/Second"}
                ]
            }]},
            "ApiName": "shop \"api\"",
            "Stage": "prod",
            "Samples": [1, 2.5, -3],
            "Latency": {"Values": [0.5, 99], "Counts": [3, 7]},
            "Rate": 0.1
        })
    );
}

fn counted_metrics(names: &[String]) -> Vec<MetricDatum<'_>> {
    names
        .iter()
        .enumerate()
        .map(|(i, name)| MetricDatum {
            name,
            unit: Unit::Count,
            storage_resolution: None,
            value: MetricValue::Number(i as f64),
        })
        .collect()
}

#[test]
fn more_than_100_metrics_become_several_directives_of_one_document() {
    let names: Vec<String> = (0..250).map(|i| format!("M{i}")).collect();
    let metrics = counted_metrics(&names);
    let doc = Document {
        namespace: "N",
        timestamp_ms: 1,
        dimension_sets: &[&[]],
        dimensions: &[],
        properties: &[],
        metrics: &metrics,
    };
    let value = parse(&one(&doc));
    let directives = value["_aws"]["CloudWatchMetrics"].as_array().unwrap();
    let sizes: Vec<usize> = directives
        .iter()
        .map(|d| d["Metrics"].as_array().unwrap().len())
        .collect();
    assert_eq!(sizes, [100, 100, 50]);
    assert_eq!(value["M249"], json!(249));
}

#[test]
fn more_than_100_values_continue_in_further_documents() {
    let values: Vec<f64> = (0..250).map(f64::from).collect();
    let counts: Vec<u64> = vec![2; 250];
    let doc = Document {
        namespace: "N",
        timestamp_ms: 5,
        dimension_sets: &[&["Stage"]],
        dimensions: &[("Stage", "prod")],
        properties: &[],
        metrics: &[
            MetricDatum {
                name: "Latency",
                unit: Unit::Milliseconds,
                storage_resolution: None,
                value: MetricValue::Distribution {
                    values: &values,
                    counts: &counts,
                },
            },
            MetricDatum {
                name: "Count",
                unit: Unit::Count,
                storage_resolution: None,
                value: MetricValue::Number(500.0),
            },
        ],
    };
    let docs = render(&doc, MAX_DOCUMENT_BYTES).unwrap();
    assert_eq!(docs.len(), 3);
    let parsed: Vec<Value> = docs.iter().map(|d| parse(d)).collect();
    let mut seen = Vec::new();
    for (i, p) in parsed.iter().enumerate() {
        assert_eq!(p["_aws"]["Timestamp"], json!(5));
        assert_eq!(p["Stage"], json!("prod"));
        let latency = &p["Latency"];
        let v = latency["Values"].as_array().unwrap();
        assert!(v.len() <= MAX_VALUES_PER_METRIC);
        assert_eq!(v.len(), latency["Counts"].as_array().unwrap().len());
        seen.extend(v.iter().map(|x| x.as_f64().unwrap()));
        // Count goes out once, with the first piece, so CloudWatch does not count it three times.
        assert_eq!(p.get("Count").is_some(), i == 0);
        let names: Vec<&str> = p["_aws"]["CloudWatchMetrics"][0]["Metrics"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["Name"].as_str().unwrap())
            .collect();
        assert_eq!(names.contains(&"Count"), i == 0);
    }
    assert_eq!(seen, values);
}

#[test]
fn documents_over_the_byte_limit_are_split_and_each_fits() {
    let names: Vec<String> = (0..300).map(|i| format!("Metric{i:04}")).collect();
    let metrics = counted_metrics(&names);
    let doc = Document {
        namespace: "N",
        timestamp_ms: 9,
        dimension_sets: &[&["ApiName"]],
        dimensions: &[("ApiName", "a")],
        properties: &[("note", "x")],
        metrics: &metrics,
    };
    let limit = 4096;
    let docs = render(&doc, limit).unwrap();
    assert!(docs.len() > 1);
    let mut total = 0;
    for d in &docs {
        assert!(d.len() <= limit, "{} > {limit}", d.len());
        let p = parse(d);
        assert_eq!(p["ApiName"], json!("a"));
        assert_eq!(p["note"], json!("x"));
        for directive in p["_aws"]["CloudWatchMetrics"].as_array().unwrap() {
            for m in directive["Metrics"].as_array().unwrap() {
                let name = m["Name"].as_str().unwrap();
                assert!(p.get(name).is_some(), "{name} has no member");
                total += 1;
            }
        }
    }
    assert_eq!(total, 300);
    assert!(matches!(render(&doc, 100), Err(EmfError::TooLarge { limit: 100, .. })));
}

#[test]
fn specification_violations_are_errors() {
    let metric = |name| MetricDatum {
        name,
        unit: Unit::Count,
        storage_resolution: None,
        value: MetricValue::Number(1.0),
    };
    let base = Document {
        namespace: "N",
        timestamp_ms: 0,
        dimension_sets: &[&["A"]],
        dimensions: &[("A", "a")],
        properties: &[],
        metrics: &[],
    };
    let keys: Vec<String> = (0..31).map(|i| format!("K{i}")).collect();
    let key_refs: Vec<&str> = keys.iter().map(String::as_str).collect();
    let dims: Vec<(&str, &str)> = key_refs.iter().map(|k| (*k, "v")).collect();
    let sets_31 = [&key_refs[..]];
    let sets_30 = [&key_refs[..30]];
    let ok30 = Document {
        dimension_sets: &sets_30,
        dimensions: &dims,
        ..base
    };
    assert!(render(&ok30, MAX_DOCUMENT_BYTES).is_ok());
    let too_many = Document {
        dimension_sets: &sets_31,
        dimensions: &dims,
        ..base
    };
    assert_eq!(
        render(&too_many, MAX_DOCUMENT_BYTES),
        Err(EmfError::TooManyDimensions { index: 0, count: 31 })
    );
    let missing = Document {
        dimension_sets: &[&["B"]],
        ..base
    };
    assert!(matches!(
        render(&missing, MAX_DOCUMENT_BYTES),
        Err(EmfError::MissingDimension { .. })
    ));
    let long = "x".repeat(1025);
    let long_value = Document {
        dimensions: &[("A", &long)],
        ..base
    };
    assert!(matches!(
        render(&long_value, MAX_DOCUMENT_BYTES),
        Err(EmfError::DimensionValueTooLong { chars: 1025, .. })
    ));
    let dup = [metric("A")];
    assert!(matches!(
        render(&Document { metrics: &dup, ..base }, MAX_DOCUMENT_BYTES),
        Err(EmfError::DuplicateMember { .. })
    ));
    let aws = [metric("_aws")];
    assert!(matches!(
        render(&Document { metrics: &aws, ..base }, MAX_DOCUMENT_BYTES),
        Err(EmfError::DuplicateMember { .. })
    ));
    assert!(matches!(
        render(&Document { namespace: "", ..base }, MAX_DOCUMENT_BYTES),
        Err(EmfError::BadName { .. })
    ));
    assert_eq!(
        render(
            &Document {
                dimension_sets: &[],
                ..base
            },
            MAX_DOCUMENT_BYTES
        ),
        Err(EmfError::NoDimensionSet)
    );
    let nan = [MetricDatum {
        value: MetricValue::Values(&[1.0, f64::NAN]),
        ..metric("M")
    }];
    assert!(matches!(
        render(&Document { metrics: &nan, ..base }, MAX_DOCUMENT_BYTES),
        Err(EmfError::NonFinite { .. })
    ));
    let zero = [MetricDatum {
        value: MetricValue::Distribution {
            values: &[1.0],
            counts: &[0],
        },
        ..metric("M")
    }];
    assert!(matches!(
        render(&Document { metrics: &zero, ..base }, MAX_DOCUMENT_BYTES),
        Err(EmfError::EmptyValues { .. })
    ));
    let mismatch = [MetricDatum {
        value: MetricValue::Distribution {
            values: &[1.0, 2.0],
            counts: &[1],
        },
        ..metric("M")
    }];
    assert!(matches!(
        render(
            &Document {
                metrics: &mismatch,
                ..base
            },
            MAX_DOCUMENT_BYTES
        ),
        Err(EmfError::CountsMismatch { .. })
    ));
}

#[test]
fn strings_are_escaped_and_numbers_are_json() {
    let doc = Document {
        namespace: "N",
        timestamp_ms: 0,
        dimension_sets: &[&["Resource"]],
        dimensions: &[("Resource", "/a\"b\\c\n\u{1}é")],
        properties: &[],
        metrics: &[MetricDatum {
            name: "V",
            unit: Unit::None,
            storage_resolution: None,
            value: MetricValue::Values(&[0.001, 1e20, -0.0, 123_456.789, 1e-7]),
        }],
    };
    let out = one(&doc);
    let p = parse(&out);
    assert_eq!(p["Resource"], json!("/a\"b\\c\n\u{1}é"));
    let v: Vec<f64> = p["V"].as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect();
    assert_eq!(v, [0.001, 1e20, 0.0, 123_456.789, 1e-7]);
    assert!(!out.contains(&b'\n'));
}
