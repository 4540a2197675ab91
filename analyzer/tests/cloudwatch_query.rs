//! `moatctl query cloudwatch:GROUP ...` against moto_server: the query runs in the (emulated) CloudWatch Logs
//! through StartQuery and GetQueryResults. moto 5.2.1 implements only `fields`, `sort` and `limit` of Insights, so
//! these tests stay within them.

use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

use aws_sdk_cloudwatchlogs::types::InputLogEvent;
use aws_sdk_cloudwatchlogs::Client;
use moat_telemetry::aws::{sdk_config, AwsSettings, StaticCredentials};
use moat_testkit::MotoServer;

async fn client(moto: &MotoServer) -> Client {
    let config = sdk_config(&AwsSettings {
        region: Some(moat_testkit::MOTO_REGION.to_owned()),
        endpoint_url: Some(moto.endpoint()),
        static_credentials: Some(StaticCredentials {
            access_key_id: moat_testkit::MOTO_ACCESS_KEY_ID.to_owned(),
            secret_access_key: moat_testkit::MOTO_SECRET_ACCESS_KEY.to_owned(),
        }),
    })
    .await;
    Client::new(&config)
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .expect("clock")
}

async fn put_events(moto: &MotoServer, group: &str, messages: &[&str]) -> i64 {
    let client = client(moto).await;
    client
        .create_log_group()
        .log_group_name(group)
        .send()
        .await
        .expect("create group");
    client
        .create_log_stream()
        .log_group_name(group)
        .log_stream_name("s1")
        .send()
        .await
        .expect("create stream");
    let base = (now_ms() - 60_000) / 1000 * 1000;
    let mut put = client.put_log_events().log_group_name(group).log_stream_name("s1");
    for (i, message) in messages.iter().enumerate() {
        put = put.log_events(
            InputLogEvent::builder()
                .timestamp(base + i as i64 * 5000)
                .message(*message)
                .build()
                .expect("event"),
        );
    }
    put.send().await.expect("put events");
    base
}

fn moatctl(moto: &MotoServer, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_moatctl"))
        .args(args)
        .envs(moto.env())
        .output()
        .expect("moatctl runs")
}

#[tokio::test(flavor = "multi_thread")]
async fn the_query_runs_in_cloudwatch_logs() {
    let moto = MotoServer::start();
    put_events(
        &moto,
        "/moat/access",
        &[r#"{"status":"200"}"#, r#"{"status":"500"}"#, r#"{"status":"404"}"#],
    )
    .await;
    let out = moatctl(
        &moto,
        &[
            "query",
            "cloudwatch:/moat/access",
            "fields @timestamp, @message | sort @timestamp desc | limit 2",
            "--format",
            "json",
        ],
    );
    assert!(
        out.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&out.stderr),
        moto.output()
    );
    let text = String::from_utf8(out.stdout).expect("utf-8");
    let rows: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("json row"))
        .collect();
    assert_eq!(rows.len(), 2, "{text}");
    assert_eq!(rows[0]["@message"], r#"{"status":"404"}"#);
    assert_eq!(rows[1]["@message"], r#"{"status":"500"}"#);
    assert!(rows[0].get("@ptr").is_none(), "the internal @ptr is not shown");
    let shown = rows[0]["@timestamp"].as_str().expect("timestamp");
    assert_eq!(shown.len(), "2026-11-25 22:30:56.000".len(), "{shown}");
}

#[tokio::test(flavor = "multi_thread")]
async fn since_and_until_become_the_query_time_range() {
    let moto = MotoServer::start();
    let base = put_events(&moto, "g", &["first", "second", "third"]).await;
    // Events are 5 s apart; the range holds only the second one (StartQuery takes whole seconds).
    let since = (base + 2000).to_string();
    let until = (base + 7000).to_string();
    let out = moatctl(
        &moto,
        &[
            "query",
            "cloudwatch:g",
            "fields @message | sort @timestamp asc",
            "--since",
            &since,
            "--until",
            &until,
            "--format",
            "csv",
        ],
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).expect("utf-8");
    assert_eq!(text, "@message\nsecond\n");
}

#[tokio::test(flavor = "multi_thread")]
async fn errors_are_reported_before_and_from_the_service() {
    let moto = MotoServer::start();
    let bad = moatctl(&moto, &["query", "cloudwatch:g", "fields @message | frob"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("unknown command `frob`"));
    assert!(!moto.output().contains("StartQuery"), "a bad query is not sent");
    let missing = moatctl(&moto, &["query", "cloudwatch:no-such-group", "fields @message"]);
    assert_eq!(missing.status.code(), Some(2));
    let err = String::from_utf8_lossy(&missing.stderr);
    assert!(
        err.contains("CloudWatch Logs") && err.contains("ResourceNotFound"),
        "{err}"
    );
}
