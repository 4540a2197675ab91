//! `moatctl query` as a user runs it: the real binary over temporary files and stdin.

mod common;

use common::moatctl;

use std::process::Output;

fn stdout(out: &Output) -> String {
    assert!(
        out.status.success(),
        "moatctl failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).expect("utf-8")
}

/// Moat's default JSON access-log line (numbers as JSON strings, as API Gateway writes them).
fn access_line(id: u32, time: &str, status: &str, latency: u32) -> String {
    format!(
        r#"{{ "requestId":"r{id}", "ip": "10.0.0.{id}", "requestTime":"{time}", "httpMethod":"GET","routeKey":"ANY /{{proxy+}}", "status":"{status}","protocol":"HTTP/1.1", "responseLength":"11", "responseLatency":"{latency}", "isCanaryRequest":"false" }}"#
    )
}

fn access_log() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().expect("tempdir");
    let lines = [
        access_line(1, "25/Nov/2026:22:30:56 +0000", "200", 5),
        access_line(2, "25/Nov/2026:22:30:59 +0000", "200", 9),
        access_line(3, "25/Nov/2026:22:31:05 +0000", "502", 30),
        access_line(4, "25/Nov/2026:22:31:30 +0000", "200", 7),
    ];
    let path = dir.path().join("access.log");
    std::fs::write(&path, lines.join("\n") + "\n").expect("write log");
    let shown = path.display().to_string();
    (dir, shown)
}

#[test]
fn stats_by_status_and_minute_as_a_table() {
    let (_dir, path) = access_log();
    let out = moatctl(
        &[
            "query",
            &path,
            "stats count(*), pct(responseLatency, 99) by status, bin(1m)",
        ],
        None,
    );
    assert_eq!(
        stdout(&out),
        "status  bin(1m)                  count(*)  pct(responseLatency, 99)\n\
         ------  -----------------------  --------  ------------------------\n\
         200     2026-11-25 22:30:00.000  2         9\n\
         200     2026-11-25 22:31:00.000  1         7\n\
         502     2026-11-25 22:31:00.000  1         30\n"
    );
}

#[test]
fn json_and_csv_formats() {
    let (_dir, path) = access_log();
    let q = "filter status != 200 | fields requestId, responseLatency + 1 as next";
    assert_eq!(
        stdout(&moatctl(&["query", &path, q, "--format", "json"], None)),
        "{\"requestId\":\"r3\",\"next\":31}\n"
    );
    assert_eq!(
        stdout(&moatctl(&["query", &path, q, "--format", "csv"], None)),
        "requestId,next\nr3,31\n"
    );
}

#[test]
fn stdin_is_a_source() {
    let (_dir, path) = access_log();
    let text = std::fs::read_to_string(path).expect("read");
    let out = moatctl(
        &[
            "query",
            "-",
            "stats count(*) as n by status | sort n desc",
            "--format",
            "csv",
        ],
        Some(&text),
    );
    assert_eq!(stdout(&out), "status,n\n200,3\n502,1\n");
}

#[test]
fn since_and_until_select_a_time_range() {
    let (_dir, path) = access_log();
    let args = [
        "query",
        &path,
        "fields requestId",
        "--since",
        "2026-11-25T22:30:58Z",
        "--until",
        "2026-11-25T22:31:10Z",
    ];
    assert_eq!(stdout(&moatctl(&args, None)), "requestId\n---------\nr2\nr3\n");
}

#[test]
fn query_errors_give_the_position_and_exit_2() {
    let (_dir, path) = access_log();
    let out = moatctl(&["query", &path, "stats count(*) by status\n| sortt status"], None);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("line 2, column 3") && err.contains("unknown command `sortt`"),
        "{err}"
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn a_missing_file_is_named() {
    let out = moatctl(&["query", "/nonexistent/access.log", "stats count(*)"], None);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("/nonexistent/access.log"), "{err}");
}

#[test]
fn the_default_limit_is_announced_on_stderr() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("many.log");
    let text: String = (0..10_020).map(|i| format!("line {i}\n")).collect();
    std::fs::write(&path, text).expect("write");
    let out = moatctl(
        &[
            "query",
            &path.display().to_string(),
            "display @message",
            "--format",
            "csv",
        ],
        None,
    );
    assert_eq!(stdout(&out).lines().count(), 10_001, "header and 10,000 rows");
    assert!(String::from_utf8_lossy(&out.stderr).contains("first 10000 rows"));
}

#[test]
fn files_larger_than_a_chunk_give_the_same_answer_on_one_and_two_threads() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("big.log");
    // ~6 MB: more than one 4 MiB stats chunk and several 1 MiB row chunks.
    let mut text = String::new();
    for i in 0..21_000u32 {
        let status = ["200", "200", "404", "500"][(i % 4) as usize];
        let line = access_line(
            i,
            &format!("25/Nov/2026:22:{:02}:{:02} +0000", i / 600 % 60, i / 10 % 60),
            status,
            i % 97,
        );
        text.push_str(&line);
        text.push('\n');
    }
    std::fs::write(&path, &text).expect("write");
    let path = path.display().to_string();
    for q in [
        "stats count(*), pct(responseLatency, 99), avg(responseLatency) by status, bin(5m)",
        "filter status = 500 | fields requestId | limit 10000",
    ] {
        let one = stdout(&moatctl(
            &["query", &path, q, "--threads", "1", "--format", "csv"],
            None,
        ));
        let two = stdout(&moatctl(
            &["query", &path, q, "--threads", "2", "--format", "csv"],
            None,
        ));
        assert_eq!(one, two, "{q}");
        assert!(one.lines().count() > 5, "{one}");
    }
    let ids = stdout(&moatctl(
        &[
            "query",
            &path,
            "fields requestId | limit 10000",
            "--threads",
            "2",
            "--format",
            "csv",
        ],
        None,
    ));
    let expected: Vec<String> = (0..10_000).map(|i| format!("r{i}")).collect();
    assert_eq!(
        ids.lines().skip(1).collect::<Vec<_>>(),
        expected,
        "file order across chunks"
    );
}

#[test]
fn log_stream_and_log_name_the_source() {
    let (_dir, path) = access_log();
    let out = moatctl(
        &["query", &path, "display @logStream, @log | limit 1", "--format", "csv"],
        None,
    );
    assert_eq!(stdout(&out), format!("@logStream,@log\n{path},{path}\n"));
    let out = moatctl(
        &["query", "-", "display @logStream, @log, @message", "--format", "csv"],
        Some("hello\n"),
    );
    assert_eq!(stdout(&out), "@logStream,@log,@message\n-,-,hello\n");
}
