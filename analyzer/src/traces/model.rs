//! X-Ray segment documents read back into traces ("AWS X-Ray segment documents"): each document is grouped
//! by its `trace_id`, and a trace is summarised as X-Ray's `TraceSummary` describes one — its root segment's
//! HTTP request and response, response time and fault/error/throttle flags, the whole trace's duration, and
//! the annotations of every segment and subsegment.
//!
//! Lines may be bare documents (what `moatctl` and Moat's file exporters write), the X-Ray daemon's header
//! `{"format": "json", "version": 1}` alone or followed by a document on the same line, or the output of
//! `aws xray batch-get-traces` (`{"Traces": [{"Segments": [{"Document": "..."}]}]}`).

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Map, Value};

/// Why a line yielded no document.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DocumentError {
    /// The line is not JSON.
    #[error("line {line}: not JSON ({reason})")]
    NotJson {
        /// The line number, from 1.
        line: usize,
        /// serde_json's message.
        reason: String,
    },
    /// The JSON is not a segment document.
    #[error("line {line}: not an X-Ray segment document: {reason}")]
    NotASegment {
        /// The line number, from 1.
        line: usize,
        /// What is missing or wrong.
        reason: String,
    },
}

/// One segment (or separately sent subsegment) document, with the fields traces are summarised from.
#[derive(Debug, Clone, PartialEq)]
pub struct Segment {
    /// `id`.
    pub id: String,
    /// `trace_id`.
    pub trace_id: String,
    /// `parent_id`, when the segment continues a trace started upstream (or is a subsegment).
    pub parent_id: Option<String>,
    /// `name`.
    pub name: String,
    /// `start_time`, epoch seconds.
    pub start_time: f64,
    /// `end_time`, epoch seconds; `None` while `in_progress`.
    pub end_time: Option<f64>,
    /// `fault`, `error`, `throttle` as written.
    pub flags: Flags,
    /// `http.request.method`.
    pub method: Option<String>,
    /// `http.request.url`.
    pub url: Option<String>,
    /// `http.request.user_agent`.
    pub user_agent: Option<String>,
    /// `http.request.client_ip`.
    pub client_ip: Option<String>,
    /// `http.response.status`.
    pub status: Option<u16>,
    /// `user`.
    pub user: Option<String>,
    /// `annotations` of the segment and of its nested subsegments.
    pub annotations: Map<String, Value>,
    /// The latest `end_time` among nested subsegments (they may end after the segment when sent late).
    pub nested_end: Option<f64>,
}

/// The three trace-level flags.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Flags {
    /// 5xx.
    pub fault: bool,
    /// 4xx.
    pub error: bool,
    /// 429.
    pub throttle: bool,
}

impl Segment {
    /// Reads the fields of a segment document; `Err` names what is missing.
    pub fn from_value(document: &Value) -> Result<Segment, String> {
        let object = document.as_object().ok_or("the document is not a JSON object")?;
        let text = |key: &str| object.get(key).and_then(Value::as_str).map(str::to_owned);
        let id = text("id").ok_or("no \"id\"")?;
        let trace_id = text("trace_id").ok_or("no \"trace_id\"")?;
        let start_time = object
            .get("start_time")
            .and_then(Value::as_f64)
            .ok_or("no numeric \"start_time\"")?;
        let end_time = object.get("end_time").and_then(Value::as_f64);
        let in_progress = object.get("in_progress").and_then(Value::as_bool).unwrap_or(false);
        if end_time.is_none() && !in_progress {
            return Err("neither \"end_time\" nor \"in_progress\": true".to_owned());
        }
        let request = document.pointer("/http/request");
        let field = |key: &str| {
            request
                .and_then(|r| r.get(key))
                .and_then(Value::as_str)
                .map(str::to_owned)
        };
        let status = document
            .pointer("/http/response/status")
            .and_then(Value::as_u64)
            .and_then(|s| u16::try_from(s).ok());
        let flag = |key: &str| object.get(key).and_then(Value::as_bool).unwrap_or(false);
        let mut annotations = Map::new();
        let mut nested_end = None;
        collect_nested(document, &mut annotations, &mut nested_end);
        Ok(Segment {
            id,
            trace_id,
            parent_id: text("parent_id"),
            name: text("name").unwrap_or_default(),
            start_time,
            end_time,
            flags: Flags {
                fault: flag("fault"),
                error: flag("error"),
                throttle: flag("throttle"),
            },
            method: field("method"),
            url: field("url"),
            user_agent: field("user_agent"),
            client_ip: field("client_ip"),
            status,
            user: text("user"),
            annotations,
            nested_end,
        })
    }
}

/// Gathers the annotations and the latest end time of `document` and its nested subsegments.
fn collect_nested(document: &Value, annotations: &mut Map<String, Value>, latest_end: &mut Option<f64>) {
    if let Some(own) = document.get("annotations").and_then(Value::as_object) {
        for (key, value) in own {
            annotations.entry(key.clone()).or_insert_with(|| value.clone());
        }
    }
    for sub in document
        .get("subsegments")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if let Some(end) = sub.get("end_time").and_then(Value::as_f64) {
            *latest_end = Some(latest_end.map_or(end, |e: f64| e.max(end)));
        }
        collect_nested(sub, annotations, latest_end);
    }
}

/// Every JSON value on a line that is a segment document: the daemon header is skipped, a
/// `batch-get-traces` answer is opened.
pub fn documents_on_line(line: &str, number: usize) -> Result<Vec<Value>, DocumentError> {
    let mut documents = Vec::new();
    for value in serde_json::Deserializer::from_str(line).into_iter::<Value>() {
        let value = value.map_err(|e| DocumentError::NotJson {
            line: number,
            reason: e.to_string(),
        })?;
        if is_daemon_header(&value) {
            continue;
        }
        if let Some(traces) = value.get("Traces").and_then(Value::as_array) {
            for segment in traces
                .iter()
                .filter_map(|t| t.get("Segments"))
                .filter_map(Value::as_array)
                .flatten()
            {
                let text =
                    segment
                        .get("Document")
                        .and_then(Value::as_str)
                        .ok_or_else(|| DocumentError::NotASegment {
                            line: number,
                            reason: "a Segments entry has no Document".into(),
                        })?;
                let document = serde_json::from_str(text).map_err(|e| DocumentError::NotJson {
                    line: number,
                    reason: format!("Document: {e}"),
                })?;
                documents.push(document);
            }
            continue;
        }
        documents.push(value);
    }
    Ok(documents)
}

/// `{"format": "json", "version": 1}`, the header the X-Ray daemon's datagrams start with.
fn is_daemon_header(value: &Value) -> bool {
    value
        .as_object()
        .is_some_and(|o| o.contains_key("format") && o.contains_key("version") && !o.contains_key("id"))
}

/// Segments grouped by trace, in the order traces were first seen.
#[derive(Debug, Default)]
pub struct TraceSet {
    order: Vec<String>,
    by_trace: BTreeMap<String, Vec<Segment>>,
}

impl TraceSet {
    /// Adds one segment to its trace.
    pub fn add(&mut self, segment: Segment) {
        let segments = self.by_trace.entry(segment.trace_id.clone()).or_default();
        if segments.is_empty() {
            self.order.push(segment.trace_id.clone());
        }
        segments.push(segment);
    }

    /// Reads one line's documents into the set; returns how many segments it added.
    pub fn add_line(&mut self, line: &str, number: usize) -> Result<usize, DocumentError> {
        let documents = documents_on_line(line, number)?;
        let mut added = 0;
        for document in &documents {
            let segment =
                Segment::from_value(document).map_err(|reason| DocumentError::NotASegment { line: number, reason })?;
            self.add(segment);
            added += 1;
        }
        Ok(added)
    }

    /// One summary per trace, in the order traces were first seen.
    pub fn summaries(&self) -> Vec<TraceSummary> {
        self.order
            .iter()
            .filter_map(|id| self.by_trace.get(id))
            .filter_map(|segments| TraceSummary::of(segments))
            .collect()
    }
}

/// One trace, as X-Ray's `TraceSummary` describes it (times in seconds, as filter expressions use them).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TraceSummary {
    /// The trace id.
    pub id: String,
    /// The root segment's name (for Moat, `{api-name}/{stage}`).
    pub name: String,
    /// Earliest start among the trace's segments, epoch seconds.
    pub start_time: f64,
    /// From the earliest start to the latest end of every segment ("total request duration, including all
    /// downstream calls").
    pub duration: f64,
    /// The root segment's end minus its start ("time that the server took to send a response").
    pub response_time: f64,
    /// The root segment's request method.
    pub method: Option<String>,
    /// The root segment's request URL.
    pub url: Option<String>,
    /// The root segment's response status.
    pub status: Option<u16>,
    /// The root segment's user agent.
    pub user_agent: Option<String>,
    /// The root segment's client IP.
    pub client_ip: Option<String>,
    /// The first `user` of any segment.
    pub user: Option<String>,
    /// The root's flags (written, or implied by its status: 5xx fault, 4xx error, 429 throttle).
    #[serde(flatten)]
    pub flags: Flags,
    /// Some segment is still `in_progress`.
    pub partial: bool,
    /// Annotations of every segment and subsegment (the first value of a key wins).
    pub annotations: Map<String, Value>,
    /// How many segment documents the trace has.
    pub segments: usize,
}

impl TraceSummary {
    fn of(segments: &[Segment]) -> Option<TraceSummary> {
        let ids: Vec<&str> = segments.iter().map(|s| s.id.as_str()).collect();
        // The root: a segment whose parent is not in this trace (Moat's gateway segment may carry the
        // client's parent id), the earliest if several.
        let root = segments
            .iter()
            .filter(|s| s.parent_id.as_deref().is_none_or(|parent| !ids.contains(&parent)))
            .min_by(|a, b| a.start_time.total_cmp(&b.start_time))
            .or_else(|| segments.first())?;
        let start = segments.iter().map(|s| s.start_time).fold(f64::INFINITY, f64::min);
        let end = segments
            .iter()
            .flat_map(|s| [s.end_time, s.nested_end])
            .flatten()
            .fold(f64::NEG_INFINITY, f64::max);
        let status = root.status;
        let flags = Flags {
            fault: root.flags.fault || status.is_some_and(|s| s >= 500),
            error: root.flags.error || status.is_some_and(|s| (400..500).contains(&s)),
            throttle: root.flags.throttle || status == Some(429),
        };
        let mut annotations = Map::new();
        for segment in segments {
            for (key, value) in &segment.annotations {
                annotations.entry(key.clone()).or_insert_with(|| value.clone());
            }
        }
        Some(TraceSummary {
            id: root.trace_id.clone(),
            name: root.name.clone(),
            start_time: start,
            duration: if end.is_finite() { micros(end - start) } else { 0.0 },
            response_time: root.end_time.map_or(0.0, |e| micros(e - root.start_time)),
            method: root.method.clone(),
            url: root.url.clone(),
            status,
            user_agent: root.user_agent.clone(),
            client_ip: root.client_ip.clone(),
            user: segments.iter().find_map(|s| s.user.clone()),
            flags,
            partial: segments.iter().any(|s| s.end_time.is_none()),
            annotations,
            segments: segments.len(),
        })
    }

    /// The root's status is 2xx (X-Ray's `ok`).
    pub fn ok(&self) -> bool {
        self.status.is_some_and(|s| (200..300).contains(&s))
    }
}

/// A difference of two epoch-second floats, rounded to the microsecond: the subtraction of values near
/// 1.7e9 leaves noise in the last bits (a 300 ms request would otherwise compare below `0.3`).
fn micros(seconds: f64) -> f64 {
    (seconds.max(0.0) * 1e6).round() / 1e6
}
