//! `moatctl tail` on local files, run as the real binary in a temporary directory: layouts, colour switches, exit
//! codes, a reader that closes the pipe early (`moatctl tail f | head`), and `--follow` across a rotation.
// Test helpers: a failed setup step is a failed test, and unwrap's panic says which.
#![allow(clippy::unwrap_used)]

use std::fs::{self, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::thread;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// 2026-11-25T22:30:56Z.
const T: i64 = 1_795_645_856_000;

fn moatctl(dir: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_moatctl"));
    command.current_dir(dir).arg("tail").env_remove("NO_COLOR");
    command
}

fn run(dir: &Path, args: &[&str]) -> Output {
    moatctl(dir).args(args).stdin(Stdio::null()).output().unwrap()
}

fn stdout(output: &Output) -> String {
    assert!(
        output.status.success(),
        "{}: {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout.clone()).unwrap()
}

fn access_line(i: i64, status: u16) -> String {
    format!(
        r#"{{"requestId":"r{i}","requestTimeEpoch":"{}","status":"{status}"}}"#,
        T + i
    )
}

#[test]
fn layouts_and_record_formats() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("access.log"),
        format!("{}\n{}\n", access_line(0, 200), access_line(1, 503)),
    )
    .unwrap();
    let detailed = stdout(&run(dir.path(), &["access.log"]));
    assert_eq!(
        detailed,
        format!(
            "2026-11-25T22:30:56.000000+00:00 access.log {}\n2026-11-25T22:30:56.001000+00:00 access.log {}\n",
            access_line(0, 200),
            access_line(1, 503)
        )
    );
    let short = stdout(&run(
        dir.path(),
        &["access.log", "--format", "short", "--since", "2026-11-25T22:30:56.001Z"],
    ));
    assert_eq!(short, format!("2026-11-25T22:30:56 {}\n", access_line(1, 503)));

    // API Gateway's REST CLF example format, read by its template for the time.
    let clf = "203.0.113.7 - - [25/Nov/2026:22:30:56 +0000] \"GET /pets HTTP/1.1\" 200 27 rid-1 xid-1\n";
    fs::write(dir.path().join("clf.log"), clf).unwrap();
    let out = stdout(&run(
        dir.path(),
        &["clf.log", "--log-format", "clf", "--format", "short"],
    ));
    assert_eq!(out, format!("2026-11-25T22:30:56 {clf}"));
}

#[test]
fn color_follows_the_flag_and_no_color() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("a.log"), format!("{}\n", access_line(0, 404))).unwrap();
    let on = stdout(
        &moatctl(dir.path())
            .args(["a.log", "--color", "on"])
            .env("NO_COLOR", "1")
            .output()
            .unwrap(),
    );
    assert!(
        on.starts_with("\x1b[32m2026-11-25T22:30:56.000000+00:00\x1b[0m \x1b[36ma.log\x1b[0m \x1b[33m{"),
        "{on:?}"
    );
    // stdout is a pipe here: auto means no colour.
    let auto = stdout(&run(dir.path(), &["a.log"]));
    assert!(!auto.contains('\x1b'), "{auto:?}");
}

#[test]
fn bad_arguments_and_unreadable_sources_exit_1() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("a.log"), "x\n").unwrap();
    for (args, message) in [
        (
            vec!["a.log", "--since", "5y"],
            "moatctl tail: --since: invalid time `5y`",
        ),
        (
            vec!["a.log", "--since", "1h", "--until", "2h"],
            "moatctl tail: --until is before --since",
        ),
        (vec!["missing.log"], "moatctl tail: missing.log: "),
        (vec!["*.gz"], "moatctl tail: *.gz: no file matches"),
        (
            vec!["a.log", "--log-format", "$context.status"],
            "moatctl tail: --log-format: invalid access-log template",
        ),
        (
            vec!["cloudwatch:"],
            "moatctl tail: `cloudwatch:` needs a log group name",
        ),
    ] {
        let output = run(dir.path(), &args);
        assert_eq!(output.status.code(), Some(1), "{args:?}");
        let stderr = String::from_utf8(output.stderr).unwrap();
        assert!(stderr.starts_with(message), "{args:?}: {stderr}");
        assert!(output.stdout.is_empty());
    }
}

#[test]
fn a_reader_that_goes_away_ends_tail_quietly() {
    let dir = tempfile::tempdir().unwrap();
    let text: String = (0..200_000)
        .map(|i| format!("line {i} of a file longer than any pipe buffer\n"))
        .collect();
    fs::write(dir.path().join("big.log"), text).unwrap();
    let mut child = moatctl(dir.path())
        .args(["big.log", "--format", "short"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert_eq!(first, "line 0 of a file longer than any pipe buffer\n");
    // The reader (like `head -1`) is gone now.
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "{}", output.status);
    assert_eq!(String::from_utf8_lossy(&output.stderr), "");
}

#[test]
fn follow_prints_appended_lines_across_a_rotation_and_stops_after_until() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("access.log");
    fs::write(&log, "before the start\n").unwrap();
    let now = i64::try_from(SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_millis()).unwrap();
    let until = (now + 2_500).to_string();
    let child = moatctl(dir.path())
        .args(["access.log", "--follow", "--until", &until, "--format", "short"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    thread::sleep(Duration::from_millis(700));
    let mut writer = OpenOptions::new().append(true).open(&log).unwrap();
    writer.write_all(b"first\n").unwrap();
    thread::sleep(Duration::from_millis(400));
    fs::rename(&log, dir.path().join("access.log.1")).unwrap();
    writer.write_all(b"last line of the old file\n").unwrap();
    fs::write(&log, "in the new file\n").unwrap();
    let output = child.wait_with_output().unwrap();
    assert_eq!(stdout(&output), "first\nlast line of the old file\nin the new file\n");
}

#[test]
fn stdin_is_a_source() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = moatctl(dir.path())
        .args(["-", "--format", "detailed"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin
        .write_all(format!("{}\nno time here\n", access_line(5, 200)).as_bytes())
        .unwrap();
    drop(stdin);
    let out = stdout(&child.wait_with_output().unwrap());
    assert_eq!(
        out,
        format!(
            "2026-11-25T22:30:56.005000+00:00 - {}\n- no time here\n",
            access_line(5, 200)
        )
    );
}
