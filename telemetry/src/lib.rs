//! Moat's telemetry out: records shipped off the request path to CloudWatch Logs, X-Ray and OTLP.
//!
//! Start at [`Record`] (one log event or segment document on its way out) and [`Sink`] (one endpoint's
//! API: its batch limits and how a batch is sent). The gateway renders records on its log-writer threads,
//! never on the request path, and hands them to a shipper that batches them within the sink's
//! [`BatchLimits`], retries what may be retried, and spools to disk what an endpoint cannot take yet.
//! [`request::FinishedRequest`] is what trace and metric exporters build from. [`aws`] builds the AWS SDK configuration every AWS sink uses from the standard credential chain.
//! [`metrics`] aggregates finished requests into API Gateway's CloudWatch metrics per interval and
//! renders them as Embedded Metric Format records; [`prometheus`] serves Moat's own metrics (queues,
//! spools, drops, export errors) in the Prometheus text format on a loopback listener.
//! [`xray`] samples requests, writes their X-Ray segment documents and sends them to the daemon or the API.
#![deny(missing_docs)]

pub mod aws;
pub mod buffers;
pub mod cloudwatch_logs;
mod json_body;
pub mod metrics;
pub mod otlp;
pub mod prometheus;
pub mod request;
pub mod shipper;
pub mod spool;
pub mod xray;

use std::future::Future;

use bytes::Bytes;

/// One record on its way to an endpoint: a log event (CloudWatch Logs) or a segment document (X-Ray).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    /// When the record happened, in milliseconds since the Unix epoch (a log event's `timestamp`).
    pub timestamp_ms: i64,
    /// The record itself: one log line without its newline, or one JSON document.
    pub payload: Bytes,
}

impl Record {
    /// A record of `payload` at `timestamp_ms`.
    #[must_use]
    pub fn new(timestamp_ms: i64, payload: impl Into<Bytes>) -> Record {
        Record {
            timestamp_ms,
            payload: payload.into(),
        }
    }
}

/// The limits one request of an endpoint's API puts on a batch. A shipper never sends a batch that
/// breaks one; a record that alone breaks one is dropped and counted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BatchLimits {
    /// Most records in one request.
    pub max_records: usize,
    /// Most bytes in one request, counting each record's payload plus `overhead_per_record`.
    pub max_bytes: usize,
    /// Bytes the API counts for each record on top of its payload (CloudWatch Logs: 26).
    pub overhead_per_record: usize,
    /// Largest payload of one record.
    pub max_record_bytes: usize,
    /// Longest span between the oldest and the newest record of one request, in milliseconds
    /// (CloudWatch Logs: 24 hours); `None` when the API sets none.
    pub max_span_ms: Option<i64>,
}

/// What an endpoint did with a batch it answered.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Delivered {
    /// Records the endpoint stored.
    pub accepted: usize,
    /// Records the endpoint refused for good (too old, too new, expired): counted, never retried.
    pub rejected: usize,
}

/// Why a batch was not delivered.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// Throttling, a 5xx, a timeout or a broken connection: the same batch may succeed later, so it
    /// is retried with backoff (and spooled while the endpoint stays down).
    #[error("{endpoint}: {message} (will retry)")]
    Retryable {
        /// The endpoint or API call, for messages and metrics.
        endpoint: String,
        /// What went wrong.
        message: String,
    },
    /// The endpoint refused the batch in a way a retry cannot fix (validation, access denied): the
    /// batch is dropped and its records counted.
    #[error("{endpoint}: {message} (batch dropped)")]
    Rejected {
        /// The endpoint or API call, for messages and metrics.
        endpoint: String,
        /// What went wrong.
        message: String,
    },
}

impl SendError {
    /// Whether sending the same batch again may succeed.
    #[must_use]
    pub fn is_retryable(&self) -> bool {
        matches!(self, SendError::Retryable { .. })
    }
}

/// One endpoint a shipper sends batches to (a CloudWatch Logs stream, X-Ray, an OTLP collector).
pub trait Sink: Send + 'static {
    /// A short name for messages and metrics, such as `cloudwatch-logs:moat-access/stream`.
    fn name(&self) -> &str;

    /// The limits of one request.
    fn limits(&self) -> BatchLimits;

    /// Sends one batch, which the caller built within [`Sink::limits`] and in timestamp order.
    fn send(&mut self, batch: &[Record]) -> impl Future<Output = Result<Delivered, SendError>> + Send;
}
