//! Metric samples from log events, two ways:
//!
//! - **EMF** ("Specification: Embedded metric format"): every `_aws.CloudWatchMetrics` directive yields, for
//!   each of its DimensionSets and each MetricDefinition, one sample set under `Namespace`, the set's
//!   dimensions (values from the root members they name, which must be strings) and the metric's `Unit`
//!   (`None` when absent), at `_aws.Timestamp`. A metric value is a number, an array of numbers (each one
//!   sample) or `{"Values": [...], "Counts": [...]}` (what Moat's gateway and AWS's EMF libraries emit for
//!   distributions). Invalid directives are skipped and counted.
//! - **API Gateway access logs** (any JSON record with `status` and `httpMethod`, Moat's default format
//!   included): the metrics API Gateway publishes under `AWS/ApiGateway` ("Amazon API Gateway dimensions and
//!   metrics"): `Count` (1), `4XXError`/`5XXError` (0 or 1; `4xx`/`5xx` for HTTP APIs), `Latency`
//!   (`responseLatency`), `IntegrationLatency` (`integrationLatency` or `integration.latency`), each under
//!   the dimension sets `[ApiName]`, `[ApiName, Stage]` and `[ApiName, Method, Resource, Stage]` (`ApiId`
//!   instead of `ApiName` for HTTP APIs, recognised by their `routeKey`). The API and stage come from the
//!   record's `apiName`/`apiId`/`stage` fields, else from `--api-name`/`--api-id`/`--stage`; a canary
//!   request's stage is `STAGE/Canary`, as Moat's gateway publishes it.

use serde_json::{Map, Value};

use super::time::{parse_clf, MAX_MS};
use crate::event::LogEvent;
use crate::record::Record;

/// Samples of one metric (namespace, name, exact dimension set, unit) at one instant.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    /// The namespace.
    pub namespace: String,
    /// The metric name.
    pub name: String,
    /// The dimensions as (name, value), sorted by name.
    pub dimensions: Vec<(String, String)>,
    /// The unit (`None` when the data gave none).
    pub unit: String,
    /// Epoch milliseconds.
    pub timestamp_ms: i64,
    /// The values as `(value, how many times)`.
    pub values: Vec<(f64, u64)>,
}

/// API and stage names for access-log records that do not carry them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccessLogDefaults {
    /// `ApiName` for REST APIs.
    pub api_name: Option<String>,
    /// `ApiId` for HTTP APIs (and `ApiName` of a REST API when no name is known).
    pub api_id: Option<String>,
    /// `Stage`.
    pub stage: Option<String>,
}

/// Counts of what extraction saw, for a summary on stderr.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ExtractStats {
    /// EMF documents read.
    pub emf_documents: u64,
    /// EMF directives or metrics skipped as invalid.
    pub emf_invalid: u64,
    /// Access-log records turned into metrics.
    pub access_records: u64,
    /// Access-log records with no time (`requestTimeEpoch`, `requestTime`) or event timestamp.
    pub access_no_time: u64,
    /// Access-log records with no API name or id.
    pub access_no_api: u64,
}

/// Turns log events into metric samples.
#[derive(Debug, Clone, Default)]
pub struct Extractor {
    defaults: AccessLogDefaults,
    /// What was seen so far.
    pub stats: ExtractStats,
}

impl Extractor {
    /// An extractor filling missing API and stage names from `defaults`.
    pub fn new(defaults: AccessLogDefaults) -> Extractor {
        Extractor {
            defaults,
            stats: ExtractStats::default(),
        }
    }

    /// Appends the samples of one event to `out`.
    pub fn extract(&mut self, event: &LogEvent, out: &mut Vec<Sample>) {
        let message = event.message.trim();
        if !message.starts_with('{') {
            return;
        }
        if message.contains("\"_aws\"") {
            if let Ok(Value::Object(root)) = serde_json::from_str::<Value>(message) {
                if root.get("_aws").and_then(|a| a.get("CloudWatchMetrics")).is_some() {
                    self.stats.emf_documents += 1;
                    self.stats.emf_invalid += extract_emf(&root, event.timestamp, out);
                    return;
                }
            }
        }
        if let Some(record) = Record::parse_json(message) {
            self.access_log(&record, event.timestamp, out);
        }
    }

    fn access_log(&mut self, record: &Record, event_ms: Option<i64>, out: &mut Vec<Sample>) {
        let (Some(status), Some(method)) = (number(record.get("status")), text(record.get("httpMethod"))) else {
            return;
        };
        let time = number(record.get("requestTimeEpoch"))
            .map(|ms| ms as i64)
            .or_else(|| text(record.get("requestTime")).and_then(|t| parse_clf(&t)))
            .or(event_ms)
            .filter(|ms| (0..=MAX_MS).contains(ms));
        let Some(timestamp_ms) = time else {
            self.stats.access_no_time += 1;
            return;
        };
        let route_key = text(record.get("routeKey"));
        let http_api = route_key.is_some();
        let (api_key, api) = if http_api {
            (
                "ApiId",
                text(record.get("apiId")).or_else(|| self.defaults.api_id.clone()),
            )
        } else {
            let name = text(record.get("apiName")).or_else(|| self.defaults.api_name.clone());
            (
                "ApiName",
                name.or_else(|| text(record.get("apiId")))
                    .or_else(|| self.defaults.api_id.clone()),
            )
        };
        let Some(api) = api else {
            self.stats.access_no_api += 1;
            return;
        };
        self.stats.access_records += 1;
        let stage = text(record.get("stage")).or_else(|| self.defaults.stage.clone());
        let canary = text(record.get("isCanaryRequest")).is_some_and(|c| c == "true");
        let stage = stage.map(|s| if canary { format!("{s}/Canary") } else { s });
        let (method, resource) = match &route_key {
            Some(key) => match key.split_once(' ') {
                Some((m, path)) if path.starts_with('/') => (m.to_owned(), path.to_owned()),
                _ => (method, key.clone()),
            },
            None => (
                method,
                text(record.get("resourcePath")).unwrap_or_else(|| "-".to_owned()),
            ),
        };
        let mut sets: Vec<Vec<(String, String)>> = vec![vec![(api_key.to_owned(), api.clone())]];
        if let Some(stage) = &stage {
            sets.push(vec![
                (api_key.to_owned(), api.clone()),
                ("Stage".to_owned(), stage.clone()),
            ]);
            let mut detailed = vec![
                (api_key.to_owned(), api),
                ("Method".to_owned(), method),
                ("Resource".to_owned(), resource),
                ("Stage".to_owned(), stage.clone()),
            ];
            detailed.sort();
            sets.push(detailed);
        }
        let (name_4xx, name_5xx) = if http_api {
            ("4xx", "5xx")
        } else {
            ("4XXError", "5XXError")
        };
        let flag = |hit: bool| if hit { 1.0 } else { 0.0 };
        let mut metrics = vec![
            ("Count", "Count", 1.0),
            (name_4xx, "Count", flag((400.0..500.0).contains(&status))),
            (name_5xx, "Count", flag((500.0..600.0).contains(&status))),
        ];
        if let Some(latency) = number(record.get("responseLatency")) {
            metrics.push(("Latency", "Milliseconds", latency));
        }
        let integration =
            number(record.get("integrationLatency")).or_else(|| number(record.get("integration.latency")));
        if let Some(latency) = integration {
            metrics.push(("IntegrationLatency", "Milliseconds", latency));
        }
        for dimensions in sets {
            for (name, unit, value) in &metrics {
                out.push(Sample {
                    namespace: "AWS/ApiGateway".to_owned(),
                    name: (*name).to_owned(),
                    dimensions: dimensions.clone(),
                    unit: (*unit).to_owned(),
                    timestamp_ms,
                    values: vec![(*value, 1)],
                });
            }
        }
    }
}

/// A field as text (strings as they are, numbers printed); `-` and empty count as absent.
fn text(value: Option<&Value>) -> Option<String> {
    let t = match value? {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        _ => return None,
    };
    (!t.is_empty() && t != "-").then_some(t)
}

/// A field as a number (access logs quote every value: `"status":"200"`).
fn number(value: Option<&Value>) -> Option<f64> {
    match value? {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse::<f64>().ok().filter(|v| v.is_finite()),
        _ => None,
    }
}

/// Extracts every directive of an EMF document; returns how many directives or metrics were invalid.
fn extract_emf(root: &Map<String, Value>, event_ms: Option<i64>, out: &mut Vec<Sample>) -> u64 {
    let Some(aws) = root.get("_aws").and_then(Value::as_object) else {
        return 1;
    };
    let timestamp = aws
        .get("Timestamp")
        .and_then(Value::as_f64)
        .map(|t| t as i64)
        .or(event_ms)
        .filter(|ms| (0..=MAX_MS).contains(ms));
    let (Some(timestamp_ms), Some(directives)) = (timestamp, aws.get("CloudWatchMetrics").and_then(Value::as_array))
    else {
        return 1;
    };
    let mut invalid = 0;
    for directive in directives {
        let namespace = directive
            .get("Namespace")
            .and_then(Value::as_str)
            .filter(|n| !n.is_empty());
        let sets = directive.get("Dimensions").and_then(Value::as_array);
        let metrics = directive.get("Metrics").and_then(Value::as_array);
        let (Some(namespace), Some(sets), Some(metrics)) = (namespace, sets, metrics) else {
            invalid += 1;
            continue;
        };
        let mut dimension_sets = Vec::with_capacity(sets.len());
        for set in sets {
            match dimension_set(root, set) {
                Some(dims) => dimension_sets.push(dims),
                None => invalid += 1,
            }
        }
        for metric in metrics {
            let name = metric.get("Name").and_then(Value::as_str);
            let values = name.and_then(|n| root.get(n)).and_then(metric_values);
            let (Some(name), Some(values)) = (name, values) else {
                invalid += 1;
                continue;
            };
            let unit = metric.get("Unit").and_then(Value::as_str).unwrap_or("None");
            for dimensions in &dimension_sets {
                out.push(Sample {
                    namespace: namespace.to_owned(),
                    name: name.to_owned(),
                    dimensions: dimensions.clone(),
                    unit: unit.to_owned(),
                    timestamp_ms,
                    values: values.clone(),
                });
            }
        }
    }
    invalid
}

/// A DimensionSet's (key, value) pairs, sorted; `None` when a key has no string target member.
fn dimension_set(root: &Map<String, Value>, set: &Value) -> Option<Vec<(String, String)>> {
    let mut dims = Vec::new();
    for key in set.as_array()? {
        let key = key.as_str()?;
        let value = root.get(key)?.as_str()?;
        dims.push((key.to_owned(), value.to_owned()));
    }
    dims.sort();
    dims.dedup();
    Some(dims)
}

/// A metric target: a number, an array of numbers, or `{"Values": [...], "Counts": [...]}`.
fn metric_values(value: &Value) -> Option<Vec<(f64, u64)>> {
    match value {
        Value::Number(n) => Some(vec![(n.as_f64()?, 1)]),
        Value::Array(items) if !items.is_empty() => items.iter().map(|v| Some((v.as_f64()?, 1))).collect(),
        Value::Object(map) => {
            let values = map.get("Values")?.as_array()?;
            let counts = map.get("Counts")?.as_array()?;
            if values.len() != counts.len() || values.is_empty() {
                return None;
            }
            values
                .iter()
                .zip(counts)
                .map(|(v, c)| Some((v.as_f64()?, c.as_f64().filter(|c| *c >= 0.0)? as u64)))
                .collect()
        }
        _ => None,
    }
}
