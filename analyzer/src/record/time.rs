//! The time of an event, read from the event itself (for local files, which have no CloudWatch timestamp).
//!
//! Fields tried, first found wins: `requestTimeEpoch` (epoch ms, API Gateway's `$context.requestTimeEpoch`),
//! `requestTime` (CLF date `25/Nov/2026:22:30:56 +0000`, `$context.requestTime`; ISO 8601 also accepted),
//! `timestamp`, `@timestamp` and `time` (ISO 8601 / RFC 3339, or epoch ms; a number below 10^11 is epoch seconds),
//! and EMF's `_aws.Timestamp` (epoch ms). A line without fields may be an execution-log line of API Gateway's
//! test-invoke form, `Wed Feb 12 23:56:44 UTC 2025 : text`, whose prefix is read; the `(requestId) text` lines
//! of stage execution logs carry no time.

use serde::Deserialize;
use serde_json::Value;

use super::format::LogFormat;
use super::Record;
use crate::event::time::{parse_clf_time, parse_iso8601, parse_test_invoke_time};

/// Below this a numeric time is taken as seconds (10^11 ms is March 1973; 10^11 s is year 5138).
const SECONDS_BELOW: f64 = 1e11;

/// The time fields of a JSON message, deserialized without building the other fields.
#[derive(Deserialize)]
struct TimeFields {
    #[serde(rename = "requestTimeEpoch")]
    request_time_epoch: Option<Value>,
    #[serde(rename = "requestTime")]
    request_time: Option<Value>,
    timestamp: Option<Value>,
    #[serde(rename = "@timestamp")]
    at_timestamp: Option<Value>,
    time: Option<Value>,
    #[serde(rename = "_aws")]
    aws: Option<AwsMetadata>,
}

#[derive(Deserialize)]
struct AwsMetadata {
    #[serde(rename = "Timestamp")]
    timestamp: Option<Value>,
}

/// Epoch milliseconds from a number or a numeric string; `seconds_when_small` reads values below 10^11 as
/// seconds.
fn epoch_ms(value: &Value, seconds_when_small: bool) -> Option<i64> {
    let number = match value {
        Value::Number(n) => n.as_f64()?,
        Value::String(s) => s.trim().parse::<f64>().ok()?,
        _ => return None,
    };
    if !number.is_finite() {
        return None;
    }
    let ms = if seconds_when_small && number.abs() < SECONDS_BELOW {
        number * 1000.0
    } else {
        number
    };
    // In range of i64 milliseconds with plenty of room (±292 million years).
    (ms.abs() < 9.0e15).then_some(ms as i64)
}

/// A time written as ISO 8601 / RFC 3339 text or as an epoch number.
fn iso_or_epoch(value: &Value) -> Option<i64> {
    match value {
        Value::String(s) => parse_iso8601(s).or_else(|| epoch_ms(value, true).filter(|_| !s.trim().is_empty())),
        Value::Number(_) => epoch_ms(value, true),
        _ => None,
    }
}

fn request_time(value: &Value) -> Option<i64> {
    let text = value.as_str()?;
    parse_clf_time(text).or_else(|| parse_iso8601(text))
}

impl Record {
    /// The event time of this record in epoch milliseconds, from the fields listed in the module docs.
    pub fn event_time(&self) -> Option<i64> {
        if let Some(ms) = self.get("requestTimeEpoch").and_then(|v| epoch_ms(v, false)) {
            return Some(ms);
        }
        if let Some(ms) = self.get("requestTime").and_then(request_time) {
            return Some(ms);
        }
        for name in ["timestamp", "@timestamp", "time"] {
            if let Some(ms) = self.get(name).and_then(iso_or_epoch) {
                return Some(ms);
            }
        }
        self.get("_aws.Timestamp").and_then(|v| epoch_ms(v, false))
    }
}

/// The event time of `message` read as `format` (see the module docs), in epoch milliseconds. JSON messages are
/// read for their time fields only, without building a [`Record`].
pub fn event_time(message: &str, format: &LogFormat) -> Option<i64> {
    let trimmed = message.trim_start();
    if matches!(format, LogFormat::Auto | LogFormat::Json) && trimmed.starts_with('{') {
        if let Ok(fields) = serde_json::from_str::<TimeFields>(trimmed) {
            return json_time(&fields);
        }
    }
    match format.parse(message) {
        Some(record) => record.event_time(),
        None => test_invoke_time(message),
    }
}

fn json_time(fields: &TimeFields) -> Option<i64> {
    fields
        .request_time_epoch
        .as_ref()
        .and_then(|v| epoch_ms(v, false))
        .or_else(|| fields.request_time.as_ref().and_then(request_time))
        .or_else(|| fields.timestamp.as_ref().and_then(iso_or_epoch))
        .or_else(|| fields.at_timestamp.as_ref().and_then(iso_or_epoch))
        .or_else(|| fields.time.as_ref().and_then(iso_or_epoch))
        .or_else(|| fields.aws.as_ref()?.timestamp.as_ref().and_then(|v| epoch_ms(v, false)))
}

/// The date before ` : ` of a test-invoke execution-log line.
fn test_invoke_time(message: &str) -> Option<i64> {
    let (prefix, _) = message.split_once(" : ")?;
    parse_test_invoke_time(prefix)
}
