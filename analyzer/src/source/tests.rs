//! Local sources: parsing, plain and gzip files, globs, the time range and filter, and following (appends,
//! rotation, truncation, new files of a glob). CloudWatch sources are tested against moto in
//! `tests/cloudwatch_source.rs`.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::thread;
use std::time::{Duration, SystemTime};

use flate2::write::GzEncoder;
use flate2::Compression;

use super::*;

fn read_all(sources: &[Source], options: &ReadOptions) -> Result<Vec<LogEvent>, SourceError> {
    let mut events = Vec::new();
    read_sources(sources, options, |event| {
        events.push(event);
        ControlFlow::Continue(())
    })?;
    Ok(events)
}

fn messages(events: &[LogEvent]) -> Vec<&str> {
    events.iter().map(|e| e.message.as_str()).collect()
}

fn append(path: &Path, text: &str) {
    let mut file = OpenOptions::new().create(true).append(true).open(path).unwrap();
    file.write_all(text.as_bytes()).unwrap();
}

fn set_mtime(path: &Path, seconds_ago: u64) {
    let file = File::options().write(true).open(path).unwrap();
    file.set_modified(SystemTime::now() - Duration::from_secs(seconds_ago))
        .unwrap();
}

#[test]
fn source_arguments() {
    assert_eq!(Source::parse("-"), Source::Stdin);
    assert_eq!(
        Source::parse("cloudwatch:API-Gateway-Execution-Logs_abc/prod"),
        Source::CloudWatch {
            group: "API-Gateway-Execution-Logs_abc/prod".to_owned()
        }
    );
    assert_eq!(Source::parse("logs/*.log"), Source::Glob("logs/*.log".to_owned()));
    assert_eq!(
        Source::parse("logs/access.log"),
        Source::File(PathBuf::from("logs/access.log"))
    );
    assert_eq!(Source::parse("cloudwatch:g").name(), "cloudwatch:g");
    // A file whose name has glob characters is that file.
    let dir = tempfile::tempdir().unwrap();
    let odd = dir.path().join("a[1].log");
    fs::write(&odd, "x\n").unwrap();
    assert_eq!(Source::parse(odd.to_str().unwrap()), Source::File(odd));
}

#[test]
fn plain_file_lines_crlf_last_line_and_invalid_utf8() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("access.log");
    fs::write(&path, b"first\r\nsecond\n\nbad \xff byte\nlast without newline").unwrap();
    let events = read_all(&[Source::File(path.clone())], &ReadOptions::default()).unwrap();
    assert_eq!(
        messages(&events),
        ["first", "second", "", "bad \u{fffd} byte", "last without newline"]
    );
    let shown = path.display().to_string();
    assert_eq!(events[0].log_stream.as_deref(), Some(shown.as_str()));
    assert_eq!(events[0].log_group.as_deref(), Some(shown.as_str()));
}

#[test]
fn gzip_is_recognised_by_magic_bytes_not_name() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("access.log.1");
    let mut bytes = Vec::new();
    // Two gzip members, as `cat a.gz b.gz` makes.
    for text in ["one\ntwo\n", "three\n"] {
        let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
        encoder.write_all(text.as_bytes()).unwrap();
        bytes.extend(encoder.finish().unwrap());
    }
    fs::write(&path, bytes).unwrap();
    let events = read_all(&[Source::File(path)], &ReadOptions::default()).unwrap();
    assert_eq!(messages(&events), ["one", "two", "three"]);
}

#[test]
fn glob_reads_oldest_first_and_needs_a_match() {
    let dir = tempfile::tempdir().unwrap();
    for (name, age) in [("access.log", 0), ("access.log.1", 100), ("access.log.2", 200)] {
        let path = dir.path().join(name);
        fs::write(&path, format!("{name}\n")).unwrap();
        set_mtime(&path, age);
    }
    fs::create_dir(dir.path().join("access.log.d")).unwrap();
    let pattern = format!("{}/access.log*", dir.path().display());
    let events = read_all(&[Source::parse(&pattern)], &ReadOptions::default()).unwrap();
    assert_eq!(messages(&events), ["access.log.2", "access.log.1", "access.log"]);
    assert_eq!(events[0].log_group.as_deref(), Some(pattern.as_str()));

    let none = format!("{}/*.gz", dir.path().display());
    let err = read_all(&[Source::parse(&none)], &ReadOptions::default()).unwrap_err();
    assert_eq!(err.to_string(), format!("{none}: no file matches"));
    let bad = format!("{}/[.log", dir.path().display());
    assert!(matches!(
        read_all(&[Source::parse(&bad)], &ReadOptions::default()),
        Err(SourceError::BadGlob { .. })
    ));
}

#[test]
fn missing_file_error_names_it() {
    let err = read_all(
        &[Source::parse("/nonexistent/moat/access.log")],
        &ReadOptions::default(),
    )
    .unwrap_err();
    assert!(err.to_string().starts_with("/nonexistent/moat/access.log: "), "{err}");
}

#[test]
fn time_range_uses_the_record_time_and_keeps_untimed_lines() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("access.log");
    let t = 1_795_645_856_000i64;
    let lines = [
        format!(r#"{{"requestTimeEpoch":"{}","status":"200"}}"#, t - 60_000),
        format!(r#"{{"requestTimeEpoch":"{t}","status":"500"}}"#),
        "(c6af9ac6) Method completed with status: 200".to_owned(),
        "10.0.0.1 - - [25/Nov/2026:22:31:56 +0000] \"GET / HTTP/1.1\" 200 2".to_owned(),
        "10.0.0.1 - - [25/Nov/2026:22:32:56 +0000] \"GET / HTTP/1.1\" 200 2".to_owned(),
    ];
    fs::write(&path, lines.join("\n")).unwrap();
    let options = ReadOptions {
        since: Some(t),
        until: Some(t + 60_000),
        ..ReadOptions::default()
    };
    let events = read_all(&[Source::File(path)], &options).unwrap();
    assert_eq!(
        messages(&events),
        [lines[1].as_str(), lines[2].as_str(), lines[3].as_str()]
    );
    assert_eq!(events[0].timestamp, Some(t));
    assert_eq!(events[1].timestamp, None);
    assert_eq!(events[2].timestamp, Some(t + 60_000));
}

#[test]
fn filter_pattern_applies_to_local_events() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("execution.log");
    fs::write(
        &path,
        "(a) Starting execution\n(a) ERROR timeout\n(b) Method completed\n",
    )
    .unwrap();
    let options = ReadOptions {
        filter_pattern: Some("ERROR".to_owned()),
        ..ReadOptions::default()
    };
    let events = read_all(&[Source::File(path)], &options).unwrap();
    assert_eq!(messages(&events), ["(a) ERROR timeout"]);
}

#[test]
fn break_stops_reading_and_bad_options_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.log");
    fs::write(&path, "1\n2\n3\n").unwrap();
    let mut seen = Vec::new();
    Source::File(path.clone())
        .for_each_event(|event| {
            seen.push(event.message);
            if seen.len() == 2 {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        })
        .unwrap();
    assert_eq!(seen, ["1", "2"]);

    let both = ReadOptions {
        log_stream_names: vec!["s".to_owned()],
        log_stream_name_prefix: Some("p".to_owned()),
        ..ReadOptions::default()
    };
    assert!(matches!(
        read_all(&[Source::parse("cloudwatch:g")], &both),
        Err(SourceError::StreamSelection)
    ));
    let streams = ReadOptions {
        log_stream_names: vec!["s".to_owned()],
        ..ReadOptions::default()
    };
    assert!(matches!(
        read_all(&[Source::File(path)], &streams),
        Err(SourceError::StreamsWithoutCloudWatch)
    ));
    assert!(matches!(
        read_all(&[Source::parse("cloudwatch:")], &ReadOptions::default()),
        Err(SourceError::EmptyGroup)
    ));
}

/// Follows `sources` while `actions` runs on another thread, until an event's message is `end` (or 20 s pass).
fn follow_until_end(sources: &[Source], since: Option<i64>, actions: impl FnOnce() + Send + 'static) -> Vec<String> {
    let options = ReadOptions {
        follow: true,
        since,
        until: Some(now_ms() + 20_000),
        file_poll: Duration::from_millis(20),
        ..ReadOptions::default()
    };
    let writer = thread::spawn(move || {
        thread::sleep(Duration::from_millis(100));
        actions();
    });
    let mut seen = Vec::new();
    read_sources(sources, &options, |event| {
        if event.message == "end" {
            return ControlFlow::Break(());
        }
        seen.push(event.message);
        ControlFlow::Continue(())
    })
    .unwrap();
    writer.join().unwrap();
    seen
}

/// Lets the follower poll (its interval is 20 ms) between two steps of a test.
fn pause() {
    thread::sleep(Duration::from_millis(120));
}

#[test]
fn follow_reads_appends_and_survives_rotation() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("access.log");
    fs::write(&path, "already there\n").unwrap();
    let (p, rotated) = (path.clone(), dir.path().join("access.log.1"));
    let seen = follow_until_end(&[Source::File(path)], None, move || {
        let mut writer = OpenOptions::new().append(true).open(&p).unwrap();
        writer.write_all(b"one\n").unwrap();
        pause();
        writer.write_all(b"two, half").unwrap();
        pause();
        // Rotation: renamed away, the writer finishes its line in the old file, then a new file appears.
        fs::rename(&p, &rotated).unwrap();
        pause();
        writer.write_all(b" and the rest\n").unwrap();
        fs::write(&p, "three\n").unwrap();
        pause();
        append(&p, "end\n");
    });
    assert_eq!(seen, ["one", "two, half and the rest", "three"]);
}

#[test]
fn follow_rereads_a_truncated_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("access.log");
    fs::write(&path, "a long first line\nanother long line\n").unwrap();
    let p = path.clone();
    let seen = follow_until_end(&[Source::File(path)], Some(0), move || {
        pause();
        let file = OpenOptions::new().write(true).open(&p).unwrap();
        file.set_len(0).unwrap();
        pause();
        append(&p, "after\nend\n");
    });
    assert_eq!(seen, ["a long first line", "another long line", "after"]);
}

#[test]
fn follow_glob_picks_up_new_files_and_skips_rotated_ones() {
    let dir = tempfile::tempdir().unwrap();
    let x = dir.path().join("x.log");
    fs::write(&x, "x1\n").unwrap();
    let pattern = format!("{}/*.log*", dir.path().display());
    let root = dir.path().to_owned();
    let mut seen = follow_until_end(&[Source::parse(&pattern)], Some(0), move || {
        append(&root.join("x.log"), "x2\n");
        pause();
        fs::write(root.join("y.log"), "y1\n").unwrap();
        pause();
        fs::rename(root.join("x.log"), root.join("x.log.1")).unwrap();
        fs::write(root.join("x.log"), "x3\n").unwrap();
        pause();
        pause();
        append(&root.join("y.log"), "end\n");
    });
    seen.sort();
    assert_eq!(
        seen,
        ["x1", "x2", "x3", "y1"],
        "each line once: x.log.1 is x.log renamed"
    );
}

#[test]
fn follow_without_since_starts_at_the_end_and_stops_after_until() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.log");
    fs::write(&path, "old\n").unwrap();
    let options = ReadOptions {
        follow: true,
        until: Some(now_ms() + 300),
        file_poll: Duration::from_millis(20),
        ..ReadOptions::default()
    };
    let started = std::time::Instant::now();
    let events = read_all(&[Source::File(path)], &options).unwrap();
    assert!(events.is_empty(), "{events:?}");
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[test]
fn follow_with_until_already_past_reads_once_and_returns() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.log");
    fs::write(&path, "one\ntwo\n").unwrap();
    let options = ReadOptions {
        follow: true,
        since: Some(0),
        until: Some(now_ms() - 1_000),
        ..ReadOptions::default()
    };
    let events = read_all(&[Source::File(path)], &options).unwrap();
    assert_eq!(messages(&events), ["one", "two"]);
}
