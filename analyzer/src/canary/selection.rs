//! Which records belong to the baseline and which to the canary (selectors), and when a request happened
//! (for the common time window).
//!
//! A selector is `FIELD=VALUE` or `FIELD!=VALUE`, several joined by commas meaning "and":
//! `isCanaryRequest=true,httpMethod!=OPTIONS`. A value is compared with the field's text (JSON strings as
//! they are, numbers and booleans as JSON writes them); `!=` also matches records without the field.
//! Values cannot contain commas.

use std::fmt;

use serde_json::Value;

use crate::event::{time, LogEvent};
use crate::record::Record;

/// A parsed selector: a conjunction of field tests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selector {
    terms: Vec<Term>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Term {
    field: String,
    negated: bool,
    value: String,
}

/// A selector that does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SelectorError {
    /// The selector is empty.
    #[error("empty selector; write FIELD=VALUE or FIELD!=VALUE")]
    Empty,
    /// A term has no `=` or `!=`.
    #[error("term {position} `{term}` has no `=` or `!=`")]
    NoOperator {
        /// 1-based position of the term.
        position: usize,
        /// The term as written.
        term: String,
    },
    /// A term has nothing before its operator.
    #[error("term {position} `{term}` names no field before the operator")]
    NoField {
        /// 1-based position of the term.
        position: usize,
        /// The term as written.
        term: String,
    },
}

impl Selector {
    /// Parses `FIELD=VALUE[,FIELD!=VALUE...]`; spaces around fields and values are trimmed.
    ///
    /// # Errors
    /// [`SelectorError`] naming the bad term.
    pub fn parse(text: &str) -> Result<Selector, SelectorError> {
        if text.trim().is_empty() {
            return Err(SelectorError::Empty);
        }
        let mut terms = Vec::new();
        for (index, raw) in text.split(',').enumerate() {
            let position = index + 1;
            let (field, negated, value) = if let Some((field, value)) = raw.split_once("!=") {
                (field, true, value)
            } else if let Some((field, value)) = raw.split_once('=') {
                (field, false, value)
            } else {
                return Err(SelectorError::NoOperator {
                    position,
                    term: raw.to_owned(),
                });
            };
            let field = field.trim();
            if field.is_empty() {
                return Err(SelectorError::NoField {
                    position,
                    term: raw.to_owned(),
                });
            }
            terms.push(Term {
                field: field.to_owned(),
                negated,
                value: value.trim().to_owned(),
            });
        }
        Ok(Selector { terms })
    }

    /// Whether every term holds for `record`.
    #[must_use]
    pub fn matches(&self, record: &Record) -> bool {
        self.terms.iter().all(|term| {
            let equal = record.get(&term.field).is_some_and(|v| text_equals(v, &term.value));
            equal != term.negated
        })
    }
}

impl fmt::Display for Selector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, term) in self.terms.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            let op = if term.negated { "!=" } else { "=" };
            write!(f, "{}{op}{}", term.field, term.value)?;
        }
        Ok(())
    }
}

fn text_equals(value: &Value, text: &str) -> bool {
    match value {
        Value::String(s) => s == text,
        Value::Number(n) => n.to_string() == text,
        Value::Bool(b) => (if *b { "true" } else { "false" }) == text,
        Value::Null => text == "null",
        Value::Array(_) | Value::Object(_) => false,
    }
}

/// The text of a field, or `None` when it is missing or API Gateway's empty value `-`.
#[must_use]
pub fn field_text<'a>(record: &'a Record, field: &str) -> Option<std::borrow::Cow<'a, str>> {
    let text = match record.get(field)? {
        Value::String(s) => std::borrow::Cow::Borrowed(s.as_str()),
        Value::Number(n) => std::borrow::Cow::Owned(n.to_string()),
        Value::Bool(b) => std::borrow::Cow::Borrowed(if *b { "true" } else { "false" }),
        Value::Null | Value::Array(_) | Value::Object(_) => return None,
    };
    (text != "-" && !text.is_empty()).then_some(text)
}

/// When the request happened, in ms since the epoch: `requestTimeEpoch` (ms; values below 10^11 are taken
/// as seconds), else `requestTime` in CLF (`25/Nov/2026:22:30:56 +0000`), else the event's own timestamp
/// (CloudWatch Logs). `Ok(None)` when none is present; `Err` says why a present one is unusable.
///
/// # Errors
/// A message naming the field and its bad value.
pub fn request_time_ms(record: &Record, event: &LogEvent) -> Result<Option<i64>, String> {
    if let Some(text) = field_text(record, "requestTimeEpoch") {
        let value: f64 = text
            .parse()
            .map_err(|_| format!("requestTimeEpoch `{text}` is not a number"))?;
        if !value.is_finite() || value < 0.0 {
            return Err(format!("requestTimeEpoch `{text}` is not a time"));
        }
        let ms = if value < 1e11 { value * 1000.0 } else { value };
        // Any finite value below 2^63 converts; bigger ones saturate, which is just as wrong as the input.
        return Ok(Some(ms.round() as i64));
    }
    if let Some(text) = field_text(record, "requestTime") {
        return parse_clf_time(&text)
            .map(Some)
            .ok_or_else(|| format!("requestTime `{text}` is not dd/Mon/yyyy:HH:MM:SS +hhmm"));
    }
    Ok(event.timestamp)
}

/// Parses CLF's `dd/Mon/yyyy:HH:MM:SS +hhmm` (what `$context.requestTime` renders) into ms since the epoch.
#[must_use]
pub fn parse_clf_time(text: &str) -> Option<i64> {
    time::parse_clf_time(text)
}

/// Formats ms since the epoch as RFC 3339 UTC with seconds (`2026-11-25T22:30:56Z`).
#[must_use]
pub fn format_time(ms: i64) -> String {
    let (year, month, day, hour, minute, second, _) = time::fields(ms);
    format!("{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}Z")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(json: &str) -> Record {
        Record::parse_json(json).expect("json")
    }

    #[test]
    fn selectors_match_conjunctions_and_negations() {
        let canary = record(r#"{"isCanaryRequest":"true","httpMethod":"GET","status":"200","n":3}"#);
        let base = record(r#"{"isCanaryRequest":"false","httpMethod":"OPTIONS","status":"200"}"#);
        let selector = Selector::parse("isCanaryRequest=true, httpMethod!=OPTIONS").expect("parses");
        assert!(selector.matches(&canary));
        assert!(!selector.matches(&base));
        assert!(
            Selector::parse("n=3").expect("parses").matches(&canary),
            "numbers compare as JSON text"
        );
        assert!(
            Selector::parse("missing!=x").expect("parses").matches(&canary),
            "!= matches a missing field"
        );
        assert!(!Selector::parse("missing=x").expect("parses").matches(&canary));
        assert_eq!(selector.to_string(), "isCanaryRequest=true,httpMethod!=OPTIONS");
    }

    #[test]
    fn bad_selectors_name_the_term() {
        assert_eq!(Selector::parse(" "), Err(SelectorError::Empty));
        assert_eq!(
            Selector::parse("a=1,oops"),
            Err(SelectorError::NoOperator {
                position: 2,
                term: "oops".to_owned()
            })
        );
        let err = Selector::parse("=1").expect_err("no field");
        assert_eq!(err.to_string(), "term 1 `=1` names no field before the operator");
    }

    /// `$context.requestTime` is CLF (`dd/MMM/yyyy:HH:mm:ss +-hhmm`); 1764109856 is 2025-11-25T22:30:56Z.
    #[test]
    fn clf_request_times() {
        assert_eq!(parse_clf_time("25/Nov/2025:22:30:56 +0000"), Some(1_764_109_856_000));
        assert_eq!(parse_clf_time("25/Nov/2025:23:30:56 +0100"), Some(1_764_109_856_000));
        assert_eq!(parse_clf_time("25/Nov/2025:17:00:56 -0530"), Some(1_764_109_856_000));
        assert_eq!(parse_clf_time("29/Feb/2024:00:00:00 +0000"), Some(1_709_164_800_000));
        assert_eq!(parse_clf_time("01/Jan/1970:00:00:00 +0000"), Some(0));
        for bad in [
            "29/Feb/2025:00:00:00 +0000",
            "25/Nov/2025:22:30:56",
            "25/Foo/2025:22:30:56 +0000",
            "x",
        ] {
            assert_eq!(parse_clf_time(bad), None, "{bad}");
        }
        assert_eq!(format_time(1_764_109_856_000), "2025-11-25T22:30:56Z");
        assert_eq!(format_time(1_709_164_800_999), "2024-02-29T00:00:00Z");
    }

    #[test]
    fn request_time_prefers_epoch_then_clf_then_the_event() {
        let mut event = LogEvent::from_message("");
        event.timestamp = Some(42);
        let both = record(r#"{"requestTimeEpoch":"1764109856123","requestTime":"01/Jan/1970:00:00:00 +0000"}"#);
        assert_eq!(request_time_ms(&both, &event), Ok(Some(1_764_109_856_123)));
        let seconds = record(r#"{"requestTimeEpoch":1764109856}"#);
        assert_eq!(request_time_ms(&seconds, &event), Ok(Some(1_764_109_856_000)));
        let clf = record(r#"{"requestTime":"25/Nov/2025:22:30:56 +0000"}"#);
        assert_eq!(request_time_ms(&clf, &event), Ok(Some(1_764_109_856_000)));
        assert_eq!(request_time_ms(&record(r#"{"requestTime":"-"}"#), &event), Ok(Some(42)));
        let bad = request_time_ms(&record(r#"{"requestTime":"yesterday"}"#), &event).expect_err("bad");
        assert!(bad.contains("requestTime `yesterday`"), "{bad}");
    }
}
