//! The X-Ray API transport: segment documents sent with `PutTraceSegments`
//! (<https://docs.aws.amazon.com/xray/latest/api/API_PutTraceSegments.html>) through `aws-sdk-xray`, in
//! batches of at most 50 documents (the X-Ray daemon's batch, `aws-xray-daemon` `pkg/cfg/cfg.go`
//! `Processor.BatchSize: 50`; the API reference sets no count) of at most 64 KB each (the segment
//! document limit). Documents X-Ray lists in `UnprocessedTraceSegments` are counted as rejected;
//! throttling (`ThrottledException`, 429), 5xx, timeouts and connection failures are retryable. The
//! SDK's own retries are off: the shipper retries with its backoff and spool.

use aws_config::SdkConfig;
use aws_sdk_xray::config::http::HttpResponse;
use aws_sdk_xray::config::retry::RetryConfig;
use aws_sdk_xray::error::{DisplayErrorContext, SdkError};
use aws_sdk_xray::operation::put_trace_segments::PutTraceSegmentsError;

use super::MAX_DOCUMENT_BYTES;
use crate::{json_body, BatchLimits, Delivered, Record, SendError, Sink};

/// Most documents in one `PutTraceSegments` call.
pub const MAX_DOCUMENTS_PER_CALL: usize = 50;

/// A [`Sink`] that uploads segment documents with `PutTraceSegments`.
#[derive(Clone, Debug)]
pub struct XRayApiSink {
    client: aws_sdk_xray::Client,
    name: String,
}

impl XRayApiSink {
    /// A sink using `config` (from [`crate::aws::sdk_config`]), with the SDK's retries turned off.
    #[must_use]
    pub fn new(config: &SdkConfig) -> XRayApiSink {
        let xray_config = aws_sdk_xray::config::Builder::from(config)
            .retry_config(RetryConfig::disabled())
            .build();
        let region = config.region().map_or("default", |r| r.as_ref());
        XRayApiSink {
            client: aws_sdk_xray::Client::from_conf(xray_config),
            name: format!("xray:PutTraceSegments/{region}"),
        }
    }

    /// The X-Ray client (for reading traces back in tests and tools).
    #[must_use]
    pub fn client(&self) -> &aws_sdk_xray::Client {
        &self.client
    }
}

impl Sink for XRayApiSink {
    fn name(&self) -> &str {
        &self.name
    }

    fn limits(&self) -> BatchLimits {
        BatchLimits {
            max_records: MAX_DOCUMENTS_PER_CALL,
            max_bytes: MAX_DOCUMENTS_PER_CALL * MAX_DOCUMENT_BYTES,
            overhead_per_record: 0,
            max_record_bytes: MAX_DOCUMENT_BYTES,
            max_span_ms: None,
        }
    }

    async fn send(&mut self, batch: &[Record]) -> Result<Delivered, SendError> {
        let mut delivered = Delivered::default();
        let mut documents = Vec::with_capacity(batch.len());
        for record in batch {
            match std::str::from_utf8(&record.payload) {
                Ok(text) => documents.push(text),
                Err(_) => delivered.rejected += 1,
            }
        }
        if documents.is_empty() {
            return Ok(delivered);
        }
        let sent = documents.len();
        let body = json_body::put_trace_segments(&documents);
        let output = self
            .client
            .put_trace_segments()
            .set_trace_segment_documents(Some(Vec::new()))
            .customize()
            .mutate_request(json_body::replace_body(body))
            .send()
            .await
            .map_err(|e| classify(&self.name, &e))?;
        let unprocessed = output.unprocessed_trace_segments().len().min(sent);
        delivered.accepted += sent - unprocessed;
        delivered.rejected += unprocessed;
        Ok(delivered)
    }
}

/// Throttling, 5xx and transport failures may succeed later; the rest will not.
fn classify(endpoint: &str, error: &SdkError<PutTraceSegmentsError, HttpResponse>) -> SendError {
    let message = DisplayErrorContext(error).to_string();
    let retryable = match error {
        SdkError::ServiceError(service) => {
            let status = service.raw().status().as_u16();
            service.err().is_throttled_exception() || status == 429 || status >= 500
        }
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => true,
        _ => false,
    };
    let endpoint = endpoint.to_owned();
    if retryable {
        SendError::Retryable { endpoint, message }
    } else {
        SendError::Rejected { endpoint, message }
    }
}

#[cfg(test)]
#[path = "api_tests.rs"]
mod tests;
