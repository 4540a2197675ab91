//! Unit tests: limits, the mapping of `rejectedLogEventsInfo` to counts (with the SDK's own output
//! structs, as its deserializer fills them), and the classification of SDK errors.

use aws_sdk_cloudwatchlogs::config::http::HttpResponse;
use aws_sdk_cloudwatchlogs::error::{ConnectorError, ErrorMetadata};
use aws_sdk_cloudwatchlogs::operation::create_log_group::CreateLogGroupError;
use aws_sdk_cloudwatchlogs::operation::put_log_events::PutLogEventsError;
use aws_sdk_cloudwatchlogs::types::error::{
    InvalidParameterException, ResourceAlreadyExistsException, ResourceNotFoundException, ServiceUnavailableException,
    UnrecognizedClientException,
};
use aws_smithy_runtime_api::http::StatusCode;
use aws_smithy_types::body::SdkBody;

use super::*;

#[test]
fn limits_are_todays_put_log_events_limits() {
    // API_PutLogEvents.html: 1,048,576 bytes counting 26 per event; 10,000 events; events up to
    // 1 MB; the span of valid events within 24 hours.
    assert_eq!(
        LIMITS,
        BatchLimits {
            max_records: 10_000,
            max_bytes: 1_048_576,
            overhead_per_record: 26,
            max_record_bytes: 1_048_550,
            max_span_ms: Some(86_400_000),
        }
    );
    // One event of the largest size fills a batch exactly.
    assert_eq!(LIMITS.max_record_bytes + LIMITS.overhead_per_record, LIMITS.max_bytes);
}

fn info(old: Option<i32>, new: Option<i32>, expired: Option<i32>) -> RejectedLogEventsInfo {
    RejectedLogEventsInfo::builder()
        .set_too_old_log_event_end_index(old)
        .set_too_new_log_event_start_index(new)
        .set_expired_log_event_end_index(expired)
        .build()
}

fn d(accepted: usize, rejected: usize) -> Delivered {
    Delivered { accepted, rejected }
}

#[test]
fn no_rejected_info_means_all_accepted() {
    let output = PutLogEventsOutput::builder().build();
    assert_eq!(delivered(7, output.rejected_log_events_info()), d(7, 0));
    // An empty RejectedLogEventsInfo (no index set) rejects nothing either.
    assert_eq!(delivered(7, Some(&info(None, None, None))), d(7, 0));
}

#[test]
fn too_old_end_index_is_exclusive() {
    // "The index of the last log event that is too old. This field is exclusive." Events 0..3 of 10.
    let output = PutLogEventsOutput::builder()
        .rejected_log_events_info(info(Some(3), None, None))
        .build();
    assert_eq!(delivered(10, output.rejected_log_events_info()), d(7, 3));
}

#[test]
fn too_new_start_index_is_inclusive() {
    // "The index of the first log event that is too new. This field is inclusive." Events 8 and 9.
    assert_eq!(delivered(10, Some(&info(None, Some(8), None))), d(8, 2));
    assert_eq!(delivered(10, Some(&info(None, Some(0), None))), d(0, 10));
}

#[test]
fn expired_end_index_counts_like_too_old() {
    // Events older than the group's retention: a prefix of the (chronological) batch, end exclusive.
    assert_eq!(delivered(10, Some(&info(None, None, Some(4)))), d(6, 4));
    // Expired events are also too old: the prefixes overlap and are counted once.
    assert_eq!(delivered(10, Some(&info(Some(2), None, Some(4)))), d(6, 4));
    assert_eq!(delivered(10, Some(&info(Some(5), None, Some(4)))), d(5, 5));
}

#[test]
fn old_and_new_together() {
    assert_eq!(delivered(10, Some(&info(Some(2), Some(7), None))), d(5, 5));
    assert_eq!(delivered(10, Some(&info(Some(2), Some(7), Some(3)))), d(4, 6));
    // Everything refused, from both ends.
    assert_eq!(delivered(4, Some(&info(Some(2), Some(2), None))), d(0, 4));
}

#[test]
fn malformed_indices_are_clamped() {
    // Never more rejected than sent, never a negative count, whatever the indices say.
    assert_eq!(delivered(5, Some(&info(Some(99), None, None))), d(0, 5));
    assert_eq!(delivered(5, Some(&info(Some(-1), Some(99), Some(-7)))), d(5, 0));
    assert_eq!(delivered(5, Some(&info(Some(4), Some(1), None))), d(0, 5));
    assert_eq!(delivered(5, Some(&info(None, Some(-3), None))), d(0, 5));
    for old in -2..8 {
        for new in -2..8 {
            let got = delivered(5, Some(&info(Some(old), Some(new), None)));
            assert_eq!(got.accepted + got.rejected, 5, "old {old} new {new}");
        }
    }
}

fn response(status: u16) -> HttpResponse {
    HttpResponse::new(StatusCode::try_from(status).unwrap(), SdkBody::empty())
}

fn meta(code: &str) -> ErrorMetadata {
    ErrorMetadata::builder().code(code).message("from the test").build()
}

fn put_error(status: u16, err: PutLogEventsError) -> SdkError<PutLogEventsError> {
    SdkError::service_error(err, response(status))
}

fn generic(status: u16, code: &str) -> SdkError<PutLogEventsError> {
    put_error(status, PutLogEventsError::generic(meta(code)))
}

fn is_retryable(o: &Outcome) -> bool {
    matches!(o, Outcome::Retryable(_))
}

fn is_rejected(o: &Outcome) -> bool {
    matches!(o, Outcome::Rejected(_))
}

#[test]
fn throttling_and_5xx_are_retryable() {
    for code in [
        "ThrottlingException",
        "ServiceUnavailableException",
        "OperationAbortedException",
    ] {
        let o = classify("PutLogEvents", &generic(400, code));
        assert!(is_retryable(&o), "{code}: {o:?}");
    }
    let unavailable = PutLogEventsError::ServiceUnavailableException(
        ServiceUnavailableException::builder()
            .message("The service cannot complete the request.")
            .meta(meta("ServiceUnavailableException"))
            .build(),
    );
    let o = classify("PutLogEvents", &put_error(503, unavailable));
    assert!(is_retryable(&o), "{o:?}");
    // An unknown code: the status decides.
    assert!(is_retryable(&classify(
        "PutLogEvents",
        &generic(500, "InternalFailure")
    )));
    assert!(is_retryable(&classify("PutLogEvents", &generic(502, "SomethingNew"))));
    assert!(is_retryable(&classify("PutLogEvents", &generic(429, "SomethingNew"))));
    assert!(is_rejected(&classify("PutLogEvents", &generic(400, "SomethingNew"))));
}

#[test]
fn timeouts_and_connection_failures_are_retryable() {
    let timeout: SdkError<PutLogEventsError> = SdkError::timeout_error("operation timeout (all attempts) elapsed");
    assert!(is_retryable(&classify("PutLogEvents", &timeout)));
    let refused = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "connection refused");
    let dispatch: SdkError<PutLogEventsError> = SdkError::dispatch_failure(ConnectorError::io(Box::new(refused)));
    let o = classify("PutLogEvents", &dispatch);
    assert!(is_retryable(&o), "{o:?}");
    let garbled: SdkError<PutLogEventsError> = SdkError::response_error("not JSON", response(502));
    assert!(is_retryable(&classify("PutLogEvents", &garbled)));
    let garbled: SdkError<PutLogEventsError> = SdkError::response_error("not JSON", response(413));
    assert!(is_rejected(&classify("PutLogEvents", &garbled)));
}

#[test]
fn client_errors_are_rejected() {
    let invalid = PutLogEventsError::InvalidParameterException(
        InvalidParameterException::builder()
            .message("Log event too large")
            .meta(meta("InvalidParameterException"))
            .build(),
    );
    let o = classify("PutLogEvents", &put_error(400, invalid));
    assert!(is_rejected(&o), "{o:?}");
    let Outcome::Rejected(message) = o else { unreachable!() };
    assert!(
        message.starts_with("PutLogEvents: InvalidParameterException (HTTP 400)")
            && message.contains("Log event too large"),
        "{message}"
    );
    let unrecognized = PutLogEventsError::UnrecognizedClientException(
        UnrecognizedClientException::builder()
            .meta(meta("UnrecognizedClientException"))
            .build(),
    );
    assert!(is_rejected(&classify("PutLogEvents", &put_error(400, unrecognized))));
    for code in [
        "AccessDeniedException",
        "DataAlreadyAcceptedException",
        "InvalidSequenceTokenException",
    ] {
        assert!(is_rejected(&classify("PutLogEvents", &generic(400, code))), "{code}");
    }
    let construction: SdkError<PutLogEventsError> = SdkError::construction_failure("cannot serialize");
    assert!(is_rejected(&classify("PutLogEvents", &construction)));
}

#[test]
fn missing_and_existing_resources_are_told_apart() {
    let missing = PutLogEventsError::ResourceNotFoundException(
        ResourceNotFoundException::builder()
            .message("The specified log stream does not exist.")
            .meta(meta("ResourceNotFoundException"))
            .build(),
    );
    assert!(matches!(
        classify("PutLogEvents", &put_error(400, missing)),
        Outcome::NotFound(_)
    ));
    let exists = CreateLogGroupError::ResourceAlreadyExistsException(
        ResourceAlreadyExistsException::builder()
            .meta(meta("ResourceAlreadyExistsException"))
            .build(),
    );
    let err: SdkError<CreateLogGroupError> = SdkError::service_error(exists, response(400));
    assert!(matches!(classify("CreateLogGroup", &err), Outcome::AlreadyExists(_)));
    let quota: SdkError<CreateLogGroupError> = SdkError::service_error(
        CreateLogGroupError::generic(meta("LimitExceededException")),
        response(400),
    );
    assert!(is_rejected(&classify("CreateLogGroup", &quota)));
}

fn offline_sink() -> CloudWatchLogsSink {
    // Never called: the tests below fail before any request.
    let config = aws_sdk_cloudwatchlogs::Config::builder()
        .behavior_version(aws_sdk_cloudwatchlogs::config::BehaviorVersion::latest())
        .region(aws_sdk_cloudwatchlogs::config::Region::new("us-east-1"))
        .endpoint_url("http://127.0.0.1:9")
        .build();
    CloudWatchLogsSink::new(
        Client::from_conf(config),
        "moat/access",
        "host/1",
        CloudWatchLogsOptions::default(),
    )
    .unwrap()
}

#[tokio::test]
async fn unordered_batches_are_refused_without_a_call() {
    let mut sink = offline_sink();
    assert_eq!(sink.name(), "cloudwatch-logs:moat/access/host/1");
    let batch = [Record::new(10, "a"), Record::new(10, "b"), Record::new(9, "c")];
    let err = sink.send(&batch).await.unwrap_err();
    assert!(!err.is_retryable(), "{err}");
    assert!(
        err.to_string().contains("record 2 (9 ms) after record 1 (10 ms)"),
        "{err}"
    );
    // An empty batch is delivered without a call.
    assert_eq!(sink.send(&[]).await.unwrap(), Delivered::default());
}

#[test]
fn the_sink_checks_names_and_applies_its_options() {
    let sink = offline_sink();
    let config = sink.client().config();
    let timeouts = config.timeout_config().unwrap();
    assert_eq!(timeouts.operation_timeout(), Some(Duration::from_secs(10)));
    assert_eq!(timeouts.operation_attempt_timeout(), Some(Duration::from_secs(10)));
    assert_eq!(timeouts.connect_timeout(), Some(Duration::from_secs(3)));
    assert_eq!(config.retry_config().unwrap().max_attempts(), 1);
    let client = sink.client().clone();
    let err = CloudWatchLogsSink::new(client.clone(), "aws/x", "s", CloudWatchLogsOptions::default()).unwrap_err();
    assert!(err.to_string().starts_with("log_group: "), "{err}");
    let err = CloudWatchLogsSink::new(client, "g", "a:b", CloudWatchLogsOptions::default()).unwrap_err();
    assert!(err.to_string().starts_with("log_stream: "), "{err}");
}

/// The body Moat renders is, as JSON, the body the SDK's own serializer produces for the same events.
#[tokio::test]
async fn rendered_put_log_events_body_matches_the_sdks_serializer() {
    let batch = [
        Record::new(1_700_000_000_000, r#"{ "requestId":"r1", "status":"200" }"#),
        Record::new(1_700_000_000_001, "tab\tquote\" backslash\\ \u{1} é"),
    ];
    let sdk_body = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = sdk_body.clone();
    let events = batch
        .iter()
        .map(|r| {
            aws_sdk_cloudwatchlogs::types::InputLogEvent::builder()
                .timestamp(r.timestamp_ms)
                .message(String::from_utf8_lossy(&r.payload))
                .build()
                .unwrap()
        })
        .collect();
    // Nothing listens on the endpoint: the call fails after serializing and signing.
    let config = aws_sdk_cloudwatchlogs::Config::builder()
        .behavior_version(aws_sdk_cloudwatchlogs::config::BehaviorVersion::latest())
        .region(aws_sdk_cloudwatchlogs::config::Region::new("us-east-1"))
        .credentials_provider(aws_credential_types::Credentials::new("a", "b", None, None, "test"))
        .endpoint_url("http://127.0.0.1:9")
        .build();
    let _ = Client::from_conf(config)
        .put_log_events()
        .log_group_name("g")
        .log_stream_name("s")
        .set_log_events(Some(events))
        .customize()
        .mutate_request(move |req| {
            *seen.lock().unwrap() = req.body().bytes().unwrap().to_vec();
        })
        .send()
        .await;
    let sdk: serde_json::Value = serde_json::from_slice(&sdk_body.lock().unwrap()).unwrap();
    let mut body = Vec::new();
    json_body::put_log_events(&mut body, "g", "s", &batch);
    let ours: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(ours, sdk);
}
