//! The CloudWatch Logs sink: one log stream, written with `PutLogEvents` through the AWS SDK for Rust.
//!
//! [`CloudWatchLogsSink`] is what the shipper calls: [`Sink::limits`] gives today's `PutLogEvents`
//! limits ([`LIMITS`]), [`Sink::send`] creates the group and the stream when they are missing, puts one
//! batch and says how many events CloudWatch Logs stored and how many it refused for good
//! (`rejectedLogEventsInfo`). Errors come back classified: [`SendError::Retryable`] for what may work
//! later (throttling, 5xx, timeouts, broken connections), [`SendError::Rejected`] for what never will.
//! The SDK makes one attempt per call ([`CloudWatchLogsOptions::sdk_max_attempts`]): the shipper owns
//! retries, backoff and jitter, so the two never multiply. [`names`] has the default group and stream
//! names and CloudWatch Logs' naming rules.
//!
//! Limits, from the PutLogEvents API reference
//! (<https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutLogEvents.html>, and
//! the same text in `aws-sdk-cloudwatchlogs` 1.162 `PutLogEventsFluentBuilder`):
//! - "The maximum batch size is 1,048,576 bytes. This size is calculated as the sum of all event
//!   messages in UTF-8, plus 26 bytes for each log event."
//! - "Each log event can be no larger than 1 MB." (256 KB until April 2025.) One event also has to fit
//!   a batch with its 26 bytes, so the largest message is 1,048,550 bytes.
//! - "The maximum number of log events in a batch is 10,000."
//! - "For valid events (within 14 days in the past to 2 hours in future), the time span in a single
//!   batch cannot exceed 24 hours." (Before 2025 the whole batch failed when any two events were more
//!   than 24 hours apart; now events outside the window are rejected one by one and the span counts
//!   only the valid ones. The shipper still keeps the whole batch within 24 hours.)
//! - "Events more than 2 hours in the future are rejected while processing remaining valid events."
//!   "Events older than 14 days or preceding the log group's retention period are rejected while
//!   processing remaining valid events." These come back in `rejectedLogEventsInfo`.
//! - "The log events in the batch must be in chronological order by their timestamp."
//! - The sequence token "is now ignored"; parallel `PutLogEvents` calls on one stream are allowed.

pub mod names;

/// How long after the endpoint answers again the sink looks for what an unanswered put stored.
const SETTLE: std::time::Duration = std::time::Duration::from_secs(1);

/// Idle body capacity a sink keeps: about two full PutLogEvents bodies.
const BODY_BUFFERS_IDLE_BYTES: usize = 3 << 20;

use std::sync::Arc;
use std::time::Duration;

use aws_config::SdkConfig;
use aws_sdk_cloudwatchlogs::config::retry::RetryConfig;
use aws_sdk_cloudwatchlogs::config::timeout::TimeoutConfig;
use aws_sdk_cloudwatchlogs::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_cloudwatchlogs::operation::put_log_events::PutLogEventsOutput;
use aws_sdk_cloudwatchlogs::types::{OutputLogEvent, RejectedLogEventsInfo};
use aws_sdk_cloudwatchlogs::Client;
use bytes::Bytes;

use crate::buffers::BufferPool;
use crate::{json_body, BatchLimits, Delivered, Record, SendError, Sink};

pub use names::NameError;

/// Most bytes in one `PutLogEvents` request: message bytes plus [`EVENT_OVERHEAD_BYTES`] per event.
pub const MAX_BATCH_BYTES: usize = 1_048_576;
/// Bytes `PutLogEvents` counts for each event on top of its message.
pub const EVENT_OVERHEAD_BYTES: usize = 26;
/// Most events in one `PutLogEvents` request.
pub const MAX_BATCH_EVENTS: usize = 10_000;
/// Largest message of one event: "1 MB", and one event with its overhead must fit a batch.
pub const MAX_EVENT_BYTES: usize = MAX_BATCH_BYTES - EVENT_OVERHEAD_BYTES;
/// Longest span between the oldest and the newest event of one request: 24 hours.
pub const MAX_BATCH_SPAN_MS: i64 = 24 * 60 * 60 * 1000;

/// Today's `PutLogEvents` limits as [`BatchLimits`] (see the module documentation for the sources).
pub const LIMITS: BatchLimits = BatchLimits {
    max_records: MAX_BATCH_EVENTS,
    max_bytes: MAX_BATCH_BYTES,
    overhead_per_record: EVENT_OVERHEAD_BYTES,
    max_record_bytes: MAX_EVENT_BYTES,
    max_span_ms: Some(MAX_BATCH_SPAN_MS),
};

/// How a [`CloudWatchLogsSink`] talks to CloudWatch Logs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CloudWatchLogsOptions {
    /// Longest one API call may take, every SDK attempt included (the SDK's operation timeout, and
    /// its attempt timeout too). Default 10 s.
    pub operation_timeout: Duration,
    /// Longest the TCP and TLS handshake may take. Default 3 s.
    pub connect_timeout: Duration,
    /// Longest one [`Sink::send`] may take: up to five calls (PutLogEvents, CreateLogStream,
    /// CreateLogGroup, CreateLogStream, PutLogEvents) when the stream has to be created. Default 30 s.
    pub send_timeout: Duration,
    /// Attempts the SDK makes per call before returning an error. Default 1: the shipper retries
    /// whole batches with backoff and jitter, and SDK retries under it would multiply the attempts
    /// (and the time a batch can take) by this number.
    pub sdk_max_attempts: u32,
    /// Whether the sink creates the group and the stream when they are missing (needs
    /// `logs:CreateLogGroup` and `logs:CreateLogStream`). Default true. When false, a missing group
    /// or stream is a retryable error: the batch waits (spooled) until someone creates them.
    pub create_missing: bool,
}

impl Default for CloudWatchLogsOptions {
    fn default() -> Self {
        CloudWatchLogsOptions {
            operation_timeout: Duration::from_secs(10),
            connect_timeout: Duration::from_secs(3),
            send_timeout: Duration::from_secs(30),
            sdk_max_attempts: 1,
            create_missing: true,
        }
    }
}

/// Ships batches of records to one CloudWatch Logs log stream.
#[derive(Debug)]
pub struct CloudWatchLogsSink {
    client: Client,
    group: String,
    stream: String,
    name: String,
    options: CloudWatchLogsOptions,
    /// Whether the group and stream are known to exist (created or already there).
    ready: bool,
    /// Whether the last PutLogEvents failed after it may have reached CloudWatch Logs (a timeout, a
    /// broken connection, a 5xx): its events may be stored. The next send first asks the stream.
    unsure: bool,
    /// Request bodies (up to ~1.3 MiB each, JSON escaping included), reused from one batch to the next.
    bodies: Arc<BufferPool>,
}

impl CloudWatchLogsSink {
    /// A sink writing to `group`/`stream` through `client`, whose timeouts and retry settings are
    /// replaced by `options`' (region, endpoint, credentials and HTTP client are kept).
    ///
    /// # Errors
    /// When `group` or `stream` breaks CloudWatch Logs' naming rules ([`names::validate_log_group`],
    /// [`names::validate_log_stream`]); the error names the fields `log_group` / `log_stream`.
    pub fn new(
        client: Client,
        group: impl Into<String>,
        stream: impl Into<String>,
        options: CloudWatchLogsOptions,
    ) -> Result<CloudWatchLogsSink, NameError> {
        let group = group.into();
        let stream = stream.into();
        names::validate_log_group("log_group", &group)?;
        names::validate_log_stream("log_stream", &stream)?;
        let config = client
            .config()
            .to_builder()
            .timeout_config(timeout_config(&options))
            .retry_config(RetryConfig::standard().with_max_attempts(options.sdk_max_attempts.max(1)))
            .build();
        Ok(CloudWatchLogsSink {
            client: Client::from_conf(config),
            name: format!("cloudwatch-logs:{group}/{stream}"),
            group,
            stream,
            options,
            ready: false,
            unsure: false,
            bodies: BufferPool::new(BODY_BUFFERS_IDLE_BYTES),
        })
    }

    /// A sink built from the shared AWS configuration ([`crate::aws::sdk_config`]).
    ///
    /// # Errors
    /// As [`CloudWatchLogsSink::new`].
    pub fn from_config(
        sdk: &SdkConfig,
        group: impl Into<String>,
        stream: impl Into<String>,
        options: CloudWatchLogsOptions,
    ) -> Result<CloudWatchLogsSink, NameError> {
        CloudWatchLogsSink::new(Client::new(sdk), group, stream, options)
    }

    /// The log group this sink writes to.
    #[must_use]
    pub fn group(&self) -> &str {
        &self.group
    }

    /// The log stream this sink writes to.
    #[must_use]
    pub fn stream(&self) -> &str {
        &self.stream
    }

    /// The client, with the sink's timeouts and retry settings.
    #[must_use]
    pub fn client(&self) -> &Client {
        &self.client
    }

    fn retryable(&self, message: impl Into<String>) -> SendError {
        SendError::Retryable {
            endpoint: self.name.clone(),
            message: message.into(),
        }
    }

    fn rejected(&self, message: impl Into<String>) -> SendError {
        SendError::Rejected {
            endpoint: self.name.clone(),
            message: message.into(),
        }
    }

    fn send_error(&self, outcome: Outcome) -> SendError {
        match outcome {
            Outcome::Retryable(message) => self.retryable(message),
            Outcome::Rejected(message) => self.rejected(message),
            Outcome::NotFound(message) => {
                // Only reached when the sink may not create resources, or when what it just created
                // is gone again: someone may create it, so the batch waits.
                self.retryable(format!("{message} (the log group or stream does not exist)"))
            }
            Outcome::AlreadyExists(message) => self.retryable(message),
        }
    }

    /// Creates the stream, and the group first when CreateLogStream says it is missing. Another
    /// replica creating either at the same moment (ResourceAlreadyExistsException) is success.
    async fn create_stream(&self) -> Result<(), Outcome> {
        match self.create_log_stream().await {
            Ok(()) | Err(Outcome::AlreadyExists(_)) => return Ok(()),
            Err(Outcome::NotFound(_)) => {}
            Err(other) => return Err(other),
        }
        match self.client.create_log_group().log_group_name(&self.group).send().await {
            Ok(_) => {}
            Err(e) => match classify("CreateLogGroup", &e) {
                Outcome::AlreadyExists(_) => {}
                other => return Err(other),
            },
        }
        match self.create_log_stream().await {
            Ok(()) | Err(Outcome::AlreadyExists(_)) => Ok(()),
            Err(other) => Err(other),
        }
    }

    async fn create_log_stream(&self) -> Result<(), Outcome> {
        self.client
            .create_log_stream()
            .log_group_name(&self.group)
            .log_stream_name(&self.stream)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| classify("CreateLogStream", &e))
    }

    async fn put(&self, body: Bytes) -> Result<PutLogEventsOutput, Outcome> {
        self.client
            .put_log_events()
            .log_group_name(&self.group)
            .log_stream_name(&self.stream)
            .set_log_events(Some(Vec::new()))
            .customize()
            .mutate_request(json_body::replace_body(body))
            .send()
            .await
            .map_err(|e| classify("PutLogEvents", &e))
    }

    /// How many leading records of `batch` the stream already holds, after a put whose outcome is
    /// unknown: the stream's newest event is looked up in the batch (timestamp and message). The
    /// shipper resends the same records in the same order, so a stored earlier attempt shows as a
    /// prefix. Exact when this sink is the stream's only writer (the default stream name carries the
    /// process id); with several writers a duplicate remains possible, never a loss.
    async fn already_stored(&self, batch: &[Record]) -> Result<usize, Outcome> {
        // The earlier put may still be queued at the endpoint (a frozen server answers its backlog
        // concurrently once it thaws): a first answer shows the endpoint is serving again, and the
        // lookup that counts comes SETTLE later, once that backlog has been applied.
        self.newest_event().await?;
        tokio::time::sleep(SETTLE).await;
        let newest = self.newest_event().await?;
        let Some(newest) = newest else { return Ok(0) };
        let (Some(at), Some(message)) = (newest.timestamp(), newest.message()) else {
            return Ok(0);
        };
        Ok(batch
            .iter()
            .rposition(|r| r.timestamp_ms == at && r.payload.as_ref() == message.as_bytes())
            .map_or(0, |i| i + 1))
    }

    /// The stream's newest event, `None` when the stream is empty or missing.
    async fn newest_event(&self) -> Result<Option<OutputLogEvent>, Outcome> {
        let newest = self
            .client
            .get_log_events()
            .log_group_name(&self.group)
            .log_stream_name(&self.stream)
            .start_from_head(false)
            .limit(1)
            .send()
            .await;
        match newest {
            Ok(out) => Ok(out.events().last().cloned()),
            Err(e) => match classify("GetLogEvents", &e) {
                Outcome::NotFound(_) => Ok(None),
                other => Err(other),
            },
        }
    }

    async fn send_unbounded(&mut self, batch: &[Record]) -> Result<Delivered, SendError> {
        if !self.ready && self.options.create_missing {
            self.create_stream().await.map_err(|o| self.send_error(o))?;
            self.ready = true;
        }
        let mut skipped = 0;
        if self.unsure {
            skipped = self.already_stored(batch).await.map_err(|o| self.send_error(o))?;
            self.unsure = false;
            if skipped == batch.len() {
                return Ok(Delivered {
                    accepted: skipped,
                    rejected: 0,
                });
            }
        }
        let delivered = self.put_batch(&batch[skipped..]).await?;
        Ok(Delivered {
            accepted: delivered.accepted + skipped,
            rejected: delivered.rejected,
        })
    }

    async fn put_batch(&mut self, batch: &[Record]) -> Result<Delivered, SendError> {
        let mut body = self.bodies.take();
        json_body::put_log_events(&mut body, &self.group, &self.stream, batch);
        let body = self.bodies.share(body);
        // Unsure until CloudWatch Logs answers: a caller that gives up on this future (the shipper's own
        // send timeout drops it mid-call) leaves the flag set, and the next send checks the stream.
        self.unsure = true;
        let result = self.put(body.clone()).await;
        self.unsure = matches!(result, Err(Outcome::Retryable(_)));
        match result {
            Ok(output) => Ok(delivered(batch.len(), output.rejected_log_events_info())),
            Err(Outcome::NotFound(_)) if self.options.create_missing => {
                // Deleted since we created it (or created by someone else and deleted): create again
                // and put once more; a second NotFound is retryable like any missing resource.
                self.ready = false;
                self.create_stream().await.map_err(|o| self.send_error(o))?;
                self.ready = true;
                self.unsure = true;
                let result = self.put(body).await;
                self.unsure = matches!(result, Err(Outcome::Retryable(_)));
                let output = result.map_err(|o| self.send_error(o))?;
                Ok(delivered(batch.len(), output.rejected_log_events_info()))
            }
            Err(other) => Err(self.send_error(other)),
        }
    }
}

impl Sink for CloudWatchLogsSink {
    fn name(&self) -> &str {
        &self.name
    }

    fn limits(&self) -> BatchLimits {
        LIMITS
    }

    async fn send(&mut self, batch: &[Record]) -> Result<Delivered, SendError> {
        if batch.is_empty() {
            return Ok(Delivered::default());
        }
        // The shipper sends in timestamp order; CloudWatch Logs fails the whole call otherwise
        // (InvalidParameterException). The sink sorts nothing: an unordered batch is a shipper bug,
        // refused here without a call rather than by a panic on the shipper's thread.
        if let Some(i) = batch.windows(2).position(|w| w[0].timestamp_ms > w[1].timestamp_ms) {
            return Err(self.rejected(format!(
                "batch not in timestamp order: record {} ({} ms) after record {} ({} ms)",
                i + 1,
                batch[i + 1].timestamp_ms,
                i,
                batch[i].timestamp_ms
            )));
        }
        let limit = self.options.send_timeout;
        match tokio::time::timeout(limit, self.send_unbounded(batch)).await {
            Ok(result) => result,
            Err(_) => {
                self.unsure = true;
                Err(self.retryable(format!("no answer within the send timeout ({limit:?})")))
            }
        }
    }
}

fn timeout_config(options: &CloudWatchLogsOptions) -> TimeoutConfig {
    TimeoutConfig::builder()
        .connect_timeout(options.connect_timeout)
        .operation_timeout(options.operation_timeout)
        .operation_attempt_timeout(options.operation_timeout)
        .build()
}

/// How many of `len` events CloudWatch Logs stored and refused, from `rejectedLogEventsInfo`:
/// events before `tooOldLogEventEndIndex` and `expiredLogEventEndIndex` (both exclusive) and from
/// `tooNewLogEventStartIndex` on (inclusive) were refused. Out-of-range or overlapping indices are
/// clamped, so `accepted + rejected == len` always.
#[must_use]
pub fn delivered(len: usize, info: Option<&RejectedLogEventsInfo>) -> Delivered {
    let Some(info) = info else {
        return Delivered {
            accepted: len,
            rejected: 0,
        };
    };
    let clamp = |i: i32| usize::try_from(i).unwrap_or(0).min(len);
    let old_end = info
        .too_old_log_event_end_index()
        .into_iter()
        .chain(info.expired_log_event_end_index())
        .map(clamp)
        .max()
        .unwrap_or(0);
    let new_start = info.too_new_log_event_start_index().map_or(len, clamp).max(old_end);
    let rejected = old_end + (len - new_start);
    Delivered {
        accepted: len - rejected,
        rejected,
    }
}

/// What one failed call means for the sink.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Outcome {
    /// ResourceNotFoundException: the group or the stream is missing.
    NotFound(String),
    /// ResourceAlreadyExistsException: success for a Create call.
    AlreadyExists(String),
    /// May succeed later.
    Retryable(String),
    /// Never will.
    Rejected(String),
}

/// Classifies an SDK error of call `op`.
fn classify<E>(op: &str, err: &SdkError<E>) -> Outcome
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let detail = aws_sdk_cloudwatchlogs::error::DisplayErrorContext(err);
    match err {
        // The request could not be built (serialization): the same input fails the same way.
        SdkError::ConstructionFailure(_) => Outcome::Rejected(format!("{op}: {detail}")),
        // The operation or attempt timeout fired: the endpoint hangs or is slow; later may work.
        SdkError::TimeoutError(_) => Outcome::Retryable(format!("{op}: timed out: {detail}")),
        // Connection refused or reset, DNS, TLS, and credential-chain failures (resolved before
        // transmit): all may clear up.
        SdkError::DispatchFailure(_) => Outcome::Retryable(format!("{op}: {detail}")),
        // A response the SDK could not parse: a 5xx or 429 from a proxy or load balancer passes,
        // anything else will answer the same.
        SdkError::ResponseError(e) => {
            let status = e.raw().status().as_u16();
            if status >= 500 || status == 429 {
                Outcome::Retryable(format!("{op}: HTTP {status}: {detail}"))
            } else {
                Outcome::Rejected(format!("{op}: HTTP {status}: {detail}"))
            }
        }
        SdkError::ServiceError(e) => {
            let status = e.raw().status().as_u16();
            let code = e.err().code().unwrap_or("");
            let message = format!("{op}: {code} (HTTP {status}): {detail}");
            match code {
                "ResourceNotFoundException" => Outcome::NotFound(message),
                "ResourceAlreadyExistsException" => Outcome::AlreadyExists(message),
                // Throttling: the account's or the stream's rate; backing off is the cure.
                "ThrottlingException" | "ThrottledException" | "RequestLimitExceeded" | "TooManyRequestsException"
                // "The service cannot complete the request": CloudWatch Logs' own 5xx.
                | "ServiceUnavailableException"
                // Concurrent updates of one resource conflicted (CreateLogGroup); the next try wins.
                | "OperationAbortedException"
                // Temporary credentials expired between resolution and arrival: the credential
                // chain refreshes them for the next attempt.
                | "ExpiredTokenException" | "RequestExpired" => Outcome::Retryable(message),
                // A parameter is wrong (bad name, event too large, unordered batch, span > 24 h):
                // the same batch fails the same way forever.
                "InvalidParameterException"
                // The credentials work but may not call this action on this resource: an IAM
                // change is needed, not a retry; spooling would only fill the disk.
                | "AccessDeniedException"
                // The access key id or secret is not valid: a configuration error.
                | "UnrecognizedClientException"
                // Obsolete since sequence tokens are ignored ("never return
                // DataAlreadyAcceptedException"); if it came, the data is already stored and
                // sending it again would duplicate it.
                | "DataAlreadyAcceptedException"
                // Also obsolete (sequence tokens are ignored); not fixable by resending.
                | "InvalidSequenceTokenException"
                // Too many log groups in the account (CreateLogGroup): a quota, not a blip.
                | "LimitExceededException" => Outcome::Rejected(message),
                // Unknown codes: the HTTP status says whether the server or the request is at fault.
                _ if status >= 500 || status == 429 => Outcome::Retryable(message),
                _ => Outcome::Rejected(message),
            }
        }
        // SdkError is non-exhaustive: an error kind added later is treated as transient, so no
        // batch is lost to a classification gap (the shipper bounds retries and spools).
        _ => Outcome::Retryable(format!("{op}: {detail}")),
    }
}

#[cfg(test)]
#[path = "tests.rs"]
mod tests;

#[cfg(test)]
#[path = "moto_tests.rs"]
mod moto_tests;
