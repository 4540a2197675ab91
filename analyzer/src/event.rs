//! One log event as every source delivers it: CloudWatch Logs' `(timestamp, message)` pair plus where it came
//! from. Local sources fill `timestamp` from the record itself when they can (see [`crate::record`]).

use std::sync::Arc;

/// A log event: one line of a file, or one CloudWatch Logs event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogEvent {
    /// Milliseconds since the Unix epoch (CloudWatch's `timestamp`), when known.
    pub timestamp: Option<i64>,
    /// CloudWatch's `ingestionTime`, when the event came from CloudWatch Logs.
    pub ingestion_time: Option<i64>,
    /// The message, without its line terminator.
    pub message: String,
    /// The log stream (CloudWatch) or the file path (local files); `@logStream` in queries.
    pub log_stream: Option<Arc<str>>,
    /// The log group (CloudWatch) or the source as the user wrote it; `@log` in queries.
    pub log_group: Option<Arc<str>>,
}

impl LogEvent {
    /// An event with only a message, as read from stdin.
    pub fn from_message(message: impl Into<String>) -> LogEvent {
        LogEvent {
            timestamp: None,
            ingestion_time: None,
            message: message.into(),
            log_stream: None,
            log_group: None,
        }
    }
}
