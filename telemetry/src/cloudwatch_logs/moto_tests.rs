//! The sink against `moto_server` (moto 5.2.1, as `scripts/test.sh` installs) through the real SDK:
//! wire format, group and stream creation, read-back, timeouts. Moto checks wire formats, not
//! AWS's semantics (it does not enforce the byte limits, and its `rejectedLogEventsInfo` indices
//! differ from AWS's, see `moto_rejects_too_old_and_too_new_events`); the semantics are unit-tested
//! in `tests.rs` against the API reference.

use std::io::Read;
use std::net::{Ipv4Addr, TcpListener};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use moat_testkit::{MotoServer, MOTO_ACCESS_KEY_ID, MOTO_REGION, MOTO_SECRET_ACCESS_KEY};

use super::*;
use crate::aws::{sdk_config, AwsSettings, StaticCredentials};

async fn config_for(endpoint: String) -> SdkConfig {
    sdk_config(&AwsSettings {
        region: Some(MOTO_REGION.to_owned()),
        endpoint_url: Some(endpoint),
        static_credentials: Some(StaticCredentials {
            access_key_id: MOTO_ACCESS_KEY_ID.to_owned(),
            secret_access_key: MOTO_SECRET_ACCESS_KEY.to_owned(),
        }),
    })
    .await
}

fn now_ms() -> i64 {
    i64::try_from(SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_millis()).unwrap()
}

/// Every event of a stream, oldest first, as (timestamp, message).
async fn read_stream(client: &Client, group: &str, stream: &str) -> Vec<(i64, String)> {
    let mut events = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = client
            .get_log_events()
            .log_group_name(group)
            .log_stream_name(stream)
            .start_from_head(true)
            .set_next_token(token.clone())
            .send()
            .await
            .unwrap();
        let got = page.events();
        events.extend(
            got.iter()
                .map(|e| (e.timestamp().unwrap(), e.message().unwrap().to_owned())),
        );
        let next = page.next_forward_token().map(str::to_owned);
        if got.is_empty() || next == token {
            return events;
        }
        token = next;
    }
}

async fn stream_names(client: &Client, group: &str) -> Vec<String> {
    let out = client
        .describe_log_streams()
        .log_group_name(group)
        .send()
        .await
        .unwrap();
    let mut names: Vec<String> = out
        .log_streams()
        .iter()
        .map(|s| s.log_stream_name().unwrap().to_owned())
        .collect();
    names.sort();
    names
}

#[tokio::test]
async fn creates_the_group_and_stream_and_events_read_back_in_order() {
    let moto = MotoServer::start();
    let sdk = config_for(moto.endpoint()).await;
    let mut sink =
        CloudWatchLogsSink::from_config(&sdk, "moat/access/prod", "host-a/1", CloudWatchLogsOptions::default())
            .unwrap();
    let client = Client::new(&sdk);
    let groups = client.describe_log_groups().send().await.unwrap();
    assert!(groups.log_groups().is_empty(), "moto starts empty");

    let t = now_ms() - 60_000;
    // Equal timestamps keep the batch's order; non-ASCII and JSON messages go through unchanged.
    let batch = vec![
        Record::new(t, "first"),
        Record::new(t, "second, same millisecond"),
        Record::new(t + 1, r#"{"requestId":"abc","status":200,"path":"/pets/é"}"#),
        Record::new(
            t + 5_000,
            "10.0.0.1 - - [25/Nov/2026:20:47:15 +0000] \"GET / HTTP/1.1\" 200 12",
        ),
    ];
    assert_eq!(
        sink.send(&batch).await.unwrap(),
        Delivered {
            accepted: 4,
            rejected: 0
        }
    );

    let groups = client.describe_log_groups().send().await.unwrap();
    let group_names: Vec<&str> = groups.log_groups().iter().filter_map(|g| g.log_group_name()).collect();
    assert_eq!(group_names, ["moat/access/prod"]);
    assert_eq!(stream_names(&client, "moat/access/prod").await, ["host-a/1"]);
    let expected: Vec<(i64, String)> = batch
        .iter()
        .map(|r| (r.timestamp_ms, String::from_utf8(r.payload.to_vec()).unwrap()))
        .collect();
    assert_eq!(read_stream(&client, "moat/access/prod", "host-a/1").await, expected);

    // A second batch appends to the same stream (no sequence token needed).
    let more = vec![Record::new(t + 6_000, "fifth")];
    assert_eq!(
        sink.send(&more).await.unwrap(),
        Delivered {
            accepted: 1,
            rejected: 0
        }
    );
    let all = read_stream(&client, "moat/access/prod", "host-a/1").await;
    assert_eq!(all.len(), 5);
    assert_eq!(all[4], (t + 6_000, "fifth".to_owned()));
}

#[tokio::test]
async fn sinks_share_a_group_that_already_exists() {
    let moto = MotoServer::start();
    let sdk = config_for(moto.endpoint()).await;
    let client = Client::new(&sdk);
    // The group exists before either sink starts (created by IaC or another replica).
    client
        .create_log_group()
        .log_group_name("aws-waf-logs-acl")
        .send()
        .await
        .unwrap();
    let options = CloudWatchLogsOptions::default();
    let mut a = CloudWatchLogsSink::new(client.clone(), "aws-waf-logs-acl", "host-a/1", options.clone()).unwrap();
    let mut b = CloudWatchLogsSink::new(client.clone(), "aws-waf-logs-acl", "host-b/1", options.clone()).unwrap();
    // And a third on a stream that already exists too (a restart that kept its stream name).
    let mut a2 = CloudWatchLogsSink::new(client.clone(), "aws-waf-logs-acl", "host-a/1", options).unwrap();
    let t = now_ms();
    assert_eq!(a.send(&[Record::new(t, "from a")]).await.unwrap().accepted, 1);
    assert_eq!(b.send(&[Record::new(t, "from b")]).await.unwrap().accepted, 1);
    assert_eq!(
        a2.send(&[Record::new(t + 1, "from a again")]).await.unwrap().accepted,
        1
    );
    assert_eq!(
        stream_names(&client, "aws-waf-logs-acl").await,
        ["host-a/1", "host-b/1"]
    );
    assert_eq!(
        read_stream(&client, "aws-waf-logs-acl", "host-a/1").await,
        [(t, "from a".to_owned()), (t + 1, "from a again".to_owned())]
    );
    assert_eq!(
        read_stream(&client, "aws-waf-logs-acl", "host-b/1").await,
        [(t, "from b".to_owned())]
    );
}

#[tokio::test]
async fn a_deleted_stream_or_group_is_created_again() {
    let moto = MotoServer::start();
    let sdk = config_for(moto.endpoint()).await;
    let client = Client::new(&sdk);
    let group = "API-Gateway-Execution-Logs_a1b2c3/prod";
    let mut sink = CloudWatchLogsSink::from_config(&sdk, group, "s", CloudWatchLogsOptions::default()).unwrap();
    let t = now_ms();
    sink.send(&[Record::new(t, "one")]).await.unwrap();
    client
        .delete_log_stream()
        .log_group_name(group)
        .log_stream_name("s")
        .send()
        .await
        .unwrap();
    assert_eq!(sink.send(&[Record::new(t + 1, "two")]).await.unwrap().accepted, 1);
    assert_eq!(read_stream(&client, group, "s").await, [(t + 1, "two".to_owned())]);
    client.delete_log_group().log_group_name(group).send().await.unwrap();
    assert_eq!(sink.send(&[Record::new(t + 2, "three")]).await.unwrap().accepted, 1);
    assert_eq!(read_stream(&client, group, "s").await, [(t + 2, "three".to_owned())]);
}

#[tokio::test]
async fn without_create_missing_a_missing_stream_is_retryable() {
    let moto = MotoServer::start();
    let sdk = config_for(moto.endpoint()).await;
    let client = Client::new(&sdk);
    let options = CloudWatchLogsOptions {
        create_missing: false,
        ..CloudWatchLogsOptions::default()
    };
    let mut sink = CloudWatchLogsSink::new(client.clone(), "g", "s", options).unwrap();
    let batch = [Record::new(now_ms(), "waits")];
    let err = sink.send(&batch).await.unwrap_err();
    assert!(err.is_retryable(), "{err}");
    assert!(err.to_string().contains("ResourceNotFoundException"), "{err}");
    assert!(
        client
            .describe_log_groups()
            .send()
            .await
            .unwrap()
            .log_groups()
            .is_empty(),
        "created nothing"
    );
    // Once someone creates them, the same batch goes through.
    client.create_log_group().log_group_name("g").send().await.unwrap();
    client
        .create_log_stream()
        .log_group_name("g")
        .log_stream_name("s")
        .send()
        .await
        .unwrap();
    assert_eq!(sink.send(&batch).await.unwrap().accepted, 1);
}

/// A batch at every limit at once: 10,000 events whose messages plus 26 bytes each come to exactly
/// 1,048,576 bytes; then one event of the largest size.
#[tokio::test]
async fn a_batch_at_the_limits_is_accepted() {
    let moto = MotoServer::start();
    let sdk = config_for(moto.endpoint()).await;
    let client = Client::new(&sdk);
    let mut sink = CloudWatchLogsSink::from_config(&sdk, "limits", "s", CloudWatchLogsOptions::default()).unwrap();
    let limits = sink.limits();
    let per_event = (limits.max_bytes / limits.max_records) - limits.overhead_per_record; // 78
    let longer = limits.max_bytes % limits.max_records; // 8,576 events get one byte more
    let t = now_ms() - 3_600_000;
    let batch: Vec<Record> = (0..limits.max_records)
        .map(|i| {
            let len = per_event + usize::from(i < longer);
            let head = format!("{i:05} ");
            let message = format!("{head}{}", "x".repeat(len - head.len()));
            Record::new(t + i64::try_from(i).unwrap(), message)
        })
        .collect();
    let bytes: usize = batch.iter().map(|r| r.payload.len() + limits.overhead_per_record).sum();
    assert_eq!((batch.len(), bytes), (10_000, 1_048_576));
    let started = Instant::now();
    assert_eq!(
        sink.send(&batch).await.unwrap(),
        Delivered {
            accepted: 10_000,
            rejected: 0
        }
    );
    eprintln!("10,000 events / 1 MiB put in {:?}", started.elapsed());
    let stored = read_stream(&client, "limits", "s").await;
    assert_eq!(stored.len(), 10_000);
    for (i, (record, (ts, message))) in batch.iter().zip(&stored).enumerate() {
        assert_eq!(
            (record.timestamp_ms, record.payload.as_ref()),
            (*ts, message.as_bytes()),
            "event {i}"
        );
    }

    let big = Record::new(t + 20_000, "y".repeat(limits.max_record_bytes));
    assert_eq!(sink.send(&[big]).await.unwrap().accepted, 1);
}

#[tokio::test]
async fn moto_rejects_too_old_and_too_new_events() {
    let moto = MotoServer::start();
    let sdk = config_for(moto.endpoint()).await;
    let client = Client::new(&sdk);
    let mut sink = CloudWatchLogsSink::from_config(&sdk, "window", "s", CloudWatchLogsOptions::default()).unwrap();
    let now = now_ms();
    let day = 86_400_000;
    let batch = [
        Record::new(now - 15 * day, "too old"),
        Record::new(now - 1_000, "ok 1"),
        Record::new(now, "ok 2"),
        Record::new(now + 3 * 3_600_000, "too new"),
    ];
    let got = sink.send(&batch).await.unwrap();
    // Only the valid events are stored, as AWS does.
    assert_eq!(
        read_stream(&client, "window", "s").await,
        [(now - 1_000, "ok 1".to_owned()), (now, "ok 2".to_owned())]
    );
    assert_eq!(got.accepted + got.rejected, 4);
    // Moto 5.2.1 answers tooOldLogEventEndIndex = the index OF the last too-old event (0), where AWS
    // documents an exclusive end (it would answer 1); tooNewLogEventStartIndex = 3 agrees. So the
    // sink, which follows AWS, counts 1 rejected here where AWS would make it 2. Pinned so a moto
    // change shows up; the AWS semantics are unit-tested in tests.rs.
    assert_eq!(
        got,
        Delivered {
            accepted: 3,
            rejected: 1
        }
    );
    let raw = client
        .put_log_events()
        .log_group_name("window")
        .log_stream_name("s")
        .set_log_events(Some(
            batch
                .iter()
                .map(|r| {
                    aws_sdk_cloudwatchlogs::types::InputLogEvent::builder()
                        .timestamp(r.timestamp_ms)
                        .message(String::from_utf8_lossy(&r.payload))
                        .build()
                        .unwrap()
                })
                .collect(),
        ))
        .send()
        .await
        .unwrap();
    let info = raw.rejected_log_events_info().unwrap();
    assert_eq!(
        (
            info.too_old_log_event_end_index(),
            info.too_new_log_event_start_index(),
            info.expired_log_event_end_index()
        ),
        (Some(0), Some(3), None)
    );
}

#[tokio::test]
async fn a_hanging_endpoint_gives_retryable_within_the_timeout() {
    let mut moto = MotoServer::start();
    let sdk = config_for(moto.endpoint()).await;
    let options = CloudWatchLogsOptions {
        operation_timeout: Duration::from_millis(1_500),
        ..CloudWatchLogsOptions::default()
    };
    let mut sink = CloudWatchLogsSink::from_config(&sdk, "g", "s", options).unwrap();
    let t = now_ms();
    sink.send(&[Record::new(t, "before")]).await.unwrap();

    moto.pause();
    let batch = [Record::new(t + 1, "while paused")];
    let started = Instant::now();
    let err = sink.send(&batch).await.unwrap_err();
    let took = started.elapsed();
    assert!(err.is_retryable(), "{err}");
    assert!(err.to_string().contains("timed out"), "{err}");
    // One attempt bounded by the operation timeout: not hanging, and not several attempts.
    assert!(
        took >= Duration::from_millis(1_400) && took < Duration::from_millis(3_000),
        "{took:?}"
    );

    moto.resume();
    assert_eq!(sink.send(&batch).await.unwrap().accepted, 1);
    let client = Client::new(&sdk);
    let messages: Vec<String> = read_stream(&client, "g", "s")
        .await
        .into_iter()
        .map(|(_, m)| m)
        .collect();
    // The timed-out put may or may not have reached moto before the freeze; delivery is at least once.
    assert!(messages.first().map(String::as_str) == Some("before"), "{messages:?}");
    assert!(
        messages.iter().filter(|m| *m == "while paused").count() >= 1,
        "{messages:?}"
    );
}

/// An endpoint that accepts connections and closes them at once, counting them: a dispatch failure
/// the SDK's standard retry would retry.
fn closing_endpoint() -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let addr = listener.local_addr().unwrap();
    let count = Arc::new(AtomicUsize::new(0));
    let seen = Arc::clone(&count);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            seen.fetch_add(1, Ordering::SeqCst);
            // Read the request head so the close is seen as a reset after the request was sent.
            let mut buf = [0u8; 1024];
            let _ = stream.set_read_timeout(Some(Duration::from_millis(200)));
            let _ = stream.read(&mut buf);
            drop(stream);
        }
    });
    (format!("http://{addr}"), count)
}

#[tokio::test]
async fn sdk_retries_do_not_multiply_the_shippers() {
    let (endpoint, connections) = closing_endpoint();
    let sdk = config_for(endpoint).await;
    let mut sink = CloudWatchLogsSink::from_config(&sdk, "g", "s", CloudWatchLogsOptions::default()).unwrap();
    let err = sink.send(&[Record::new(now_ms(), "x")]).await.unwrap_err();
    assert!(err.is_retryable(), "{err}");
    assert_eq!(connections.load(Ordering::SeqCst), 1, "one call, one attempt: {err}");

    // The counter does count SDK retries: with three attempts the SDK connects three times.
    let (endpoint, connections) = closing_endpoint();
    let sdk = config_for(endpoint).await;
    let options = CloudWatchLogsOptions {
        sdk_max_attempts: 3,
        ..CloudWatchLogsOptions::default()
    };
    let mut sink = CloudWatchLogsSink::from_config(&sdk, "g", "s", options).unwrap();
    let err = sink.send(&[Record::new(now_ms(), "x")]).await.unwrap_err();
    assert!(err.is_retryable(), "{err}");
    assert_eq!(connections.load(Ordering::SeqCst), 3, "{err}");
}

#[tokio::test]
async fn a_refused_connection_is_retryable() {
    let port = moat_testkit::free_port();
    let sdk = config_for(format!("http://127.0.0.1:{port}")).await;
    let mut sink = CloudWatchLogsSink::from_config(&sdk, "g", "s", CloudWatchLogsOptions::default()).unwrap();
    let started = Instant::now();
    let err = sink.send(&[Record::new(now_ms(), "x")]).await.unwrap_err();
    assert!(err.is_retryable(), "{err}");
    assert!(started.elapsed() < Duration::from_secs(3), "{:?}", started.elapsed());
    assert!(
        err.to_string().starts_with("cloudwatch-logs:g/s: CreateLogStream: "),
        "{err}"
    );
}

#[tokio::test]
async fn a_batch_resent_after_an_unknown_outcome_is_not_stored_twice() {
    let moto = MotoServer::start();
    let sdk = config_for(moto.endpoint()).await;
    let client = Client::new(&sdk);
    let mut sink =
        CloudWatchLogsSink::from_config(&sdk, "moat-unsure", "host/1", CloudWatchLogsOptions::default()).unwrap();
    let t = now_ms() - 60_000;
    let first: Vec<Record> = (0..5).map(|i| Record::new(t + i, format!("line {i}"))).collect();
    sink.send(&first).await.unwrap();
    // As after a timeout whose PutLogEvents did reach CloudWatch Logs: the same records come again,
    // now with newer ones behind them (the shipper rebatched them from its spool).
    sink.unsure = true;
    let again: Vec<Record> = (0..8).map(|i| Record::new(t + i, format!("line {i}"))).collect();
    assert_eq!(
        sink.send(&again).await.unwrap(),
        Delivered {
            accepted: 8,
            rejected: 0
        }
    );
    // The whole batch stored already: nothing is put.
    sink.unsure = true;
    assert_eq!(sink.send(&again).await.unwrap().accepted, 8);
    let stored: Vec<String> = read_stream(&client, "moat-unsure", "host/1")
        .await
        .into_iter()
        .map(|(_, m)| m)
        .collect();
    let expected: Vec<String> = (0..8).map(|i| format!("line {i}")).collect();
    assert_eq!(stored, expected, "each line once, in order");
    // After an attempt that stored nothing, everything is put.
    sink.unsure = true;
    let fresh: Vec<Record> = (8..10).map(|i| Record::new(t + i, format!("line {i}"))).collect();
    sink.send(&fresh).await.unwrap();
    assert_eq!(read_stream(&client, "moat-unsure", "host/1").await.len(), 10);
}
