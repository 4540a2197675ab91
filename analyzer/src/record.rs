//! Fields of a log event. A JSON message becomes its flattened keys (`a.b` for nested objects, `a.0` for array
//! items, as Logs Insights discovers JSON fields); a text access-log line is split back into fields by its
//! `$context` template or as CLF / combined ([`LogFormat`]); other messages have no fields.
//!
//! [`event_time`] reads an event's own time (for local files, which carry no CloudWatch timestamp).

mod format;
mod time;

#[cfg(test)]
mod format_tests;

pub use format::{parse_clf, LogFormat, LogFormatError, Template};
pub use time::event_time;

use serde_json::Value;

/// The named fields of one message, in the order they appear.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Record {
    fields: Vec<(String, Value)>,
}

impl Record {
    /// The flattened fields of a JSON object message; `None` when the message is not a JSON object.
    pub fn parse_json(message: &str) -> Option<Record> {
        let value: Value = serde_json::from_str(message.trim()).ok()?;
        let Value::Object(map) = value else { return None };
        let mut record = Record::default();
        for (key, value) in map {
            record.flatten_into(key, value);
        }
        Some(record)
    }

    fn flatten_into(&mut self, name: String, value: Value) {
        match value {
            Value::Object(map) => {
                for (key, inner) in map {
                    self.flatten_into(format!("{name}.{key}"), inner);
                }
            }
            Value::Array(items) => {
                for (index, inner) in items.into_iter().enumerate() {
                    self.flatten_into(format!("{name}.{index}"), inner);
                }
            }
            leaf => self.fields.push((name, leaf)),
        }
    }

    /// Adds a field (parsers of text formats use this).
    pub fn push(&mut self, name: impl Into<String>, value: Value) {
        self.fields.push((name.into(), value));
    }

    /// The value of a field by its flattened name.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.fields.iter().find(|(key, _)| key == name).map(|(_, value)| value)
    }

    /// Every field, in order.
    pub fn fields(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.fields.iter().map(|(key, value)| (key.as_str(), value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_json_is_flattened_with_dots() {
        let record = Record::parse_json(r#"{"a":{"b":1},"c":[true,"x"],"status":"200"}"#).expect("json");
        assert_eq!(record.get("a.b"), Some(&Value::from(1)));
        assert_eq!(record.get("c.1"), Some(&Value::from("x")));
        assert_eq!(record.get("status"), Some(&Value::from("200")));
        assert!(Record::parse_json("not json").is_none());
    }
}
