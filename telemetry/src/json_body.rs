//! Request bodies of the AWS JSON-protocol calls that carry our records (`PutLogEvents`,
//! `PutTraceSegments`), rendered straight from the records' bytes into one buffer.
//!
//! The SDK's own path turns every record into an owned `String` inside an input struct, then escapes it
//! a byte at a time into a growing body: at tens of thousands of access-log lines a second that was the
//! largest cost on the telemetry thread. The SDK still does everything else (endpoint, credentials,
//! SigV4 over this body, retries' classification, the response): [`replace_body`] swaps the body in
//! just before signing. Tests check that the rendered JSON is the document the SDK would send.

use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_types::body::SdkBody;
use bytes::Bytes;

use crate::Record;

/// Bytes that a JSON string cannot hold as they are: control characters, `"` and `\`.
const NEEDS_ESCAPE: [bool; 256] = {
    let mut table = [false; 256];
    let mut i = 0;
    while i < 0x20 {
        table[i] = true;
        i += 1;
    }
    table[b'"' as usize] = true;
    table[b'\\' as usize] = true;
    table
};

/// Appends `text` as a JSON string (quotes included), escaped as serde_json escapes.
pub(crate) fn push_json_string(out: &mut Vec<u8>, text: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let bytes = text.as_bytes();
    out.push(b'"');
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if !NEEDS_ESCAPE[usize::from(b)] {
            continue;
        }
        out.extend_from_slice(&bytes[start..i]);
        match b {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            0x08 => out.extend_from_slice(b"\\b"),
            0x0c => out.extend_from_slice(b"\\f"),
            _ => out.extend_from_slice(&[
                b'\\',
                b'u',
                b'0',
                b'0',
                HEX[usize::from(b >> 4)],
                HEX[usize::from(b & 0xf)],
            ]),
        }
        start = i + 1;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

/// Appends a record's payload as a JSON string; a payload that is not UTF-8 is sent with U+FFFD in
/// place of each bad sequence (the APIs take strings).
fn push_payload(out: &mut Vec<u8>, payload: &[u8]) {
    match std::str::from_utf8(payload) {
        Ok(text) => push_json_string(out, text),
        Err(_) => push_json_string(out, &String::from_utf8_lossy(payload)),
    }
}

/// Room for a record's payload once escaped: JSON lines carry a quote every few bytes.
fn estimate(batch: &[Record], per_record: usize) -> usize {
    batch
        .iter()
        .map(|r| r.payload.len() + r.payload.len() / 4 + per_record)
        .sum()
}

/// Appends to `out` the `PutLogEvents` body for `batch` (<https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutLogEvents.html>).
pub(crate) fn put_log_events(out: &mut Vec<u8>, group: &str, stream: &str, batch: &[Record]) {
    out.reserve(64 + group.len() + stream.len() + estimate(batch, 40));
    out.extend_from_slice(b"{\"logEvents\":[");
    for (i, record) in batch.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(b"{\"message\":");
        push_payload(out, &record.payload);
        out.extend_from_slice(b",\"timestamp\":");
        out.extend_from_slice(itoa::Buffer::new().format(record.timestamp_ms).as_bytes());
        out.push(b'}');
    }
    out.extend_from_slice(b"],\"logGroupName\":");
    push_json_string(out, group);
    out.extend_from_slice(b",\"logStreamName\":");
    push_json_string(out, stream);
    out.push(b'}');
}

/// The `PutTraceSegments` body for `documents` (<https://docs.aws.amazon.com/xray/latest/api/API_PutTraceSegments.html>).
#[must_use]
pub(crate) fn put_trace_segments(documents: &[&str]) -> Bytes {
    let room: usize = documents.iter().map(|d| d.len() + d.len() / 4 + 4).sum();
    let mut out = Vec::with_capacity(32 + room);
    out.extend_from_slice(b"{\"TraceSegmentDocuments\":[");
    for (i, document) in documents.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        push_json_string(&mut out, document);
    }
    out.extend_from_slice(b"]}");
    Bytes::from(out)
}

/// A request mutation (for the SDK's `customize().mutate_request`) that sends `body` instead of what
/// the SDK serialized, with its `Content-Length`. It runs before signing, on every attempt.
pub(crate) fn replace_body(body: Bytes) -> impl Fn(&mut HttpRequest) + Send + Sync + 'static {
    move |request: &mut HttpRequest| {
        let len = body.len().to_string();
        request.headers_mut().insert("content-length", len);
        *request.body_mut() = SdkBody::from(body.clone());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    fn escaped(text: &str) -> String {
        let mut out = Vec::new();
        push_json_string(&mut out, text);
        String::from_utf8(out).expect("escaping keeps UTF-8")
    }

    #[test]
    fn strings_escape_as_serde_json_escapes_them() {
        let cases = [
            "",
            "plain",
            r#"{ "requestId":"a\b", "ip": "1.2.3.4" }"#,
            "tab\there\r\nand\u{8}\u{c}\u{1}\u{1f}\u{7f}",
            "unicode: é ✓ 🦀",
        ];
        for text in cases {
            assert_eq!(
                escaped(text),
                serde_json::to_string(text).expect("serde_json"),
                "{text:?}"
            );
        }
    }

    #[test]
    fn put_log_events_body_is_the_documented_request() {
        let batch = [
            Record::new(1_700_000_000_123, r#"{ "status":"200" }"#),
            Record::new(1_700_000_000_124, &b"bad \xff utf-8"[..]),
        ];
        let mut body = Vec::new();
        put_log_events(&mut body, "moat-access", "host/42", &batch);
        let parsed: Value = serde_json::from_slice(&body).expect("valid JSON");
        assert_eq!(
            parsed,
            json!({
                "logGroupName": "moat-access",
                "logStreamName": "host/42",
                "logEvents": [
                    {"timestamp": 1_700_000_000_123_i64, "message": "{ \"status\":\"200\" }"},
                    {"timestamp": 1_700_000_000_124_i64, "message": "bad \u{fffd} utf-8"},
                ],
            })
        );
    }

    #[test]
    fn put_trace_segments_body_lists_the_documents_as_strings() {
        let body = put_trace_segments(&[r#"{"id":"a"}"#, r#"{"id":"b"}"#]);
        let parsed: Value = serde_json::from_slice(&body).expect("valid JSON");
        assert_eq!(
            parsed,
            json!({"TraceSegmentDocuments": ["{\"id\":\"a\"}", "{\"id\":\"b\"}"]})
        );
    }
}
