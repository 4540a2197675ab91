//! How `moatctl tail` prints an event, in the layouts of AWS CLI v2's `aws logs tail` (`awscli/customizations/
//! logs/tail.py`):
//!
//! - `detailed` (default): `2026-11-25T22:30:56.123000+00:00 STREAM MESSAGE`;
//! - `short`: `2026-11-25T22:30:56 MESSAGE`;
//! - `json`: `2026-11-25T22:30:56.123000+00:00 STREAM` then, when the whole message is JSON, a newline and the
//!   message indented by four spaces (keys in their order, text as written); other messages stay on the line.
//!
//! As there, trailing whitespace of the line is dropped and the timestamp is green and the stream cyan in colour.
//! Moat adds colour to the message: by HTTP status (2xx green, 3xx cyan, 4xx yellow, 5xx red) for access-log
//! records, by level for execution-log lines (errors red). An event without a time (a local line that carries
//! none) is printed without the timestamp.

use serde::de::IgnoredAny;
use serde_json::Value;

use crate::event::time::{format_detailed, format_json_header, format_short};
use crate::event::LogEvent;
use crate::record::LogFormat;

/// The output layout (`--format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Layout {
    /// Timestamp with microseconds and zone, stream name, message.
    Detailed,
    /// Timestamp to the second, message.
    Short,
    /// Timestamp, stream name, and JSON messages pretty-printed on the following lines.
    Json,
}

const RESET: &str = "\x1b[0m";
const GREEN: &str = "\x1b[32m";
const CYAN: &str = "\x1b[36m";
const YELLOW: &str = "\x1b[33m";
const RED: &str = "\x1b[31m";

/// Formats events for printing.
#[derive(Debug, Clone)]
pub struct Printer {
    layout: Layout,
    color: bool,
    format: LogFormat,
}

impl Printer {
    /// A printer for `layout`, with ANSI colours when `color`; `format` reads the status of access-log records.
    pub fn new(layout: Layout, color: bool, format: LogFormat) -> Printer {
        Printer { layout, color, format }
    }

    fn paint(&self, out: &mut String, text: &str, color: &str) {
        if self.color && !color.is_empty() {
            out.push_str(color);
            out.push_str(text);
            out.push_str(RESET);
        } else {
            out.push_str(text);
        }
    }

    /// Appends the printed form of `event`, ending in one newline, to `out`.
    pub fn write(&self, event: &LogEvent, out: &mut String) {
        let stream = event.log_stream.as_deref().unwrap_or("-");
        let message = event.message.trim_end();
        let start = out.len();
        match self.layout {
            Layout::Detailed => {
                if let Some(ms) = event.timestamp {
                    self.paint(out, &format_detailed(ms), GREEN);
                    out.push(' ');
                }
                self.paint(out, stream, CYAN);
                out.push(' ');
                self.paint(out, message, self.message_color(message));
            }
            Layout::Short => {
                if let Some(ms) = event.timestamp {
                    self.paint(out, &format_short(ms), GREEN);
                    out.push(' ');
                }
                self.paint(out, message, self.message_color(message));
            }
            Layout::Json => {
                if let Some(ms) = event.timestamp {
                    self.paint(out, &format_json_header(ms), GREEN);
                    out.push(' ');
                }
                self.paint(out, stream, CYAN);
                out.push(' ');
                match pretty_json(message) {
                    Some(pretty) => {
                        out.push('\n');
                        self.paint(out, &pretty, self.message_color(message));
                    }
                    None => self.paint(out, message, self.message_color(message)),
                }
            }
        }
        let kept = out[start..].trim_end().len();
        out.truncate(start + kept);
        out.push('\n');
    }

    /// The colour of a message: by HTTP status for access-log records, by level for execution-log lines.
    fn message_color(&self, message: &str) -> &'static str {
        if !self.color {
            return "";
        }
        if let Some(status) = self
            .format
            .parse(message)
            .and_then(|r| r.get("status").and_then(status_of))
        {
            return status_color(status);
        }
        execution_log_color(message)
    }
}

fn status_of(value: &Value) -> Option<u16> {
    match value {
        Value::Number(n) => n.as_u64().and_then(|n| u16::try_from(n).ok()),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

fn status_color(status: u16) -> &'static str {
    match status {
        200..=299 => GREEN,
        300..=399 => CYAN,
        400..=499 => YELLOW,
        500..=599 => RED,
        _ => "",
    }
}

/// Execution-log lines: the ERROR-class texts of API Gateway (`Execution failed due to ...`, `Gateway response
/// type: ...`) are red; `Method completed with status: N` is coloured by N; other lines that say ERROR or WARN
/// are red or yellow.
fn execution_log_color(message: &str) -> &'static str {
    let text = message
        .strip_prefix('(')
        .and_then(|m| m.split_once(") "))
        .map_or(message, |(_, text)| text);
    if text.starts_with("Execution failed due to") || text.starts_with("Gateway response type:") {
        return RED;
    }
    if let Some(status) = text.strip_prefix("Method completed with status: ") {
        return status.trim().parse().map_or("", status_color);
    }
    let has_word = |word: &str| {
        text.match_indices(word).any(|(at, _)| {
            let before = text[..at].chars().next_back().is_none_or(|c| !c.is_alphanumeric());
            let after = text[at + word.len()..]
                .chars()
                .next()
                .is_none_or(|c| !c.is_alphanumeric());
            before && after
        })
    };
    if has_word("ERROR") || has_word("FATAL") {
        RED
    } else if has_word("WARN") || has_word("WARNING") {
        YELLOW
    } else {
        ""
    }
}

/// The message re-indented with four spaces when it is entirely one JSON value, as `aws logs tail --format json`
/// prints it (`json.dumps(indent=4)`: `": "` after keys, one member per line, `{}` and `[]` when empty); keys
/// keep their order and strings and numbers their text.
pub fn pretty_json(message: &str) -> Option<String> {
    serde_json::from_str::<IgnoredAny>(message).ok()?;
    let mut out = String::with_capacity(message.len() * 2);
    let mut depth = 0usize;
    let mut chars = message.trim().chars().peekable();
    let newline = |out: &mut String, depth: usize| {
        out.push('\n');
        for _ in 0..depth {
            out.push_str("    ");
        }
    };
    while let Some(ch) = chars.next() {
        match ch {
            '"' => {
                out.push('"');
                let mut escaped = false;
                for inner in chars.by_ref() {
                    out.push(inner);
                    if escaped {
                        escaped = false;
                    } else if inner == '\\' {
                        escaped = true;
                    } else if inner == '"' {
                        break;
                    }
                }
            }
            '{' | '[' => {
                let close = if ch == '{' { '}' } else { ']' };
                while chars.next_if(|c| c.is_whitespace()).is_some() {}
                if chars.next_if_eq(&close).is_some() {
                    out.push(ch);
                    out.push(close);
                } else {
                    out.push(ch);
                    depth += 1;
                    newline(&mut out, depth);
                }
            }
            '}' | ']' => {
                depth = depth.saturating_sub(1);
                newline(&mut out, depth);
                out.push(ch);
            }
            ',' => {
                out.push(',');
                newline(&mut out, depth);
            }
            ':' => out.push_str(": "),
            c if c.is_whitespace() => {}
            c => out.push(c),
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    const T: i64 = 1_795_645_856_123;

    fn event(message: &str) -> LogEvent {
        LogEvent {
            timestamp: Some(T),
            ingestion_time: None,
            message: message.to_owned(),
            log_stream: Some(Arc::from("host-a/1")),
            log_group: Some(Arc::from("moat/access")),
        }
    }

    fn print(layout: Layout, color: bool, event: &LogEvent) -> String {
        let mut out = String::new();
        Printer::new(layout, color, LogFormat::Auto).write(event, &mut out);
        out
    }

    #[test]
    fn layouts_of_aws_logs_tail() {
        // awscli/customizations/logs/tail.py: Detailed/Short/PrettyJSON formatters.
        let e = event("hello world  ");
        assert_eq!(
            print(Layout::Detailed, false, &e),
            "2026-11-25T22:30:56.123000+00:00 host-a/1 hello world\n"
        );
        assert_eq!(print(Layout::Short, false, &e), "2026-11-25T22:30:56 hello world\n");
        assert_eq!(
            print(Layout::Json, false, &e),
            "2026-11-25T22:30:56.123000+00:00 host-a/1 hello world\n"
        );
        let json = event(r#"{"b":1,"a":{"c":[1,"x, y"],"d":{}},"e":[]}"#);
        assert_eq!(
            print(Layout::Json, false, &json),
            "2026-11-25T22:30:56.123000+00:00 host-a/1 \n{\n    \"b\": 1,\n    \"a\": {\n        \"c\": [\n            1,\n            \"x, y\"\n        ],\n        \"d\": {}\n    },\n    \"e\": []\n}\n"
        );
        let mut untimed = event("(rid) Starting execution");
        untimed.timestamp = None;
        assert_eq!(
            print(Layout::Detailed, false, &untimed),
            "host-a/1 (rid) Starting execution\n"
        );
        assert_eq!(print(Layout::Short, false, &untimed), "(rid) Starting execution\n");
    }

    #[test]
    fn pretty_json_keeps_text_and_order() {
        assert_eq!(
            pretty_json(r#"{"k\"{":"v:,[","n":-1.50e3}"#).unwrap(),
            "{\n    \"k\\\"{\": \"v:,[\",\n    \"n\": -1.50e3\n}"
        );
        assert_eq!(pretty_json("42").unwrap(), "42");
        assert!(pretty_json("{\"a\":").is_none());
        assert!(pretty_json("GET /").is_none());
    }

    #[test]
    fn colours_by_status_and_level() {
        let colored = print(Layout::Detailed, true, &event(r#"{"status":"503"}"#));
        assert_eq!(
            colored,
            format!("{GREEN}2026-11-25T22:30:56.123000+00:00{RESET} {CYAN}host-a/1{RESET} {RED}{{\"status\":\"503\"}}{RESET}\n")
        );
        let clf = r#"10.0.0.1 - - [25/Nov/2026:22:30:56 +0000] "GET / HTTP/1.1" 404 0"#;
        assert!(print(Layout::Short, true, &event(clf)).contains(&format!("{YELLOW}{clf}{RESET}")));
        assert!(print(Layout::Short, true, &event(r#"{"status":200}"#)).contains(&format!("{GREEN}{{")));
        assert!(print(Layout::Short, true, &event(r#"{"status":301}"#)).contains(&format!("{CYAN}{{")));
        for (line, color) in [
            ("(rid) Execution failed due to a timeout error", RED),
            (
                "(rid) Gateway response type: MISSING_AUTHENTICATION_TOKEN with status code: 403",
                RED,
            ),
            ("(rid) Method completed with status: 504", RED),
            ("(rid) Method completed with status: 200", GREEN),
            ("WARN disk almost full", YELLOW),
        ] {
            assert!(
                print(Layout::Short, true, &event(line)).contains(&format!("{color}{line}{RESET}")),
                "{line}"
            );
        }
        let plain = print(Layout::Short, true, &event("(rid) Starting execution for request: rid"));
        assert!(
            plain.ends_with(" (rid) Starting execution for request: rid\n"),
            "{plain:?}"
        );
        assert!(!print(Layout::Short, true, &event("TERRORS")).contains(RED));
    }
}
