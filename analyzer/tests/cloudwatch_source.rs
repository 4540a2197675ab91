//! `moatctl tail cloudwatch:GROUP` against `moto_server` through the real AWS SDK: the binary is run with the
//! standard AWS environment pointing at moto, and every event put with PutLogEvents must come back once, in
//! order, across pages (moto's pages hold 10,000 events, as AWS's at most), with `GetLogEvents` for one named
//! stream, the stream-name prefix, the filter pattern, and `--follow`.
// Test helpers: a failed setup step is a failed test, and unwrap's panic says which.
#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader};
use std::process::{Command, Output, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use aws_sdk_cloudwatchlogs::types::InputLogEvent;
use aws_sdk_cloudwatchlogs::Client;
use moat_telemetry::aws::{sdk_config, AwsSettings, StaticCredentials};
use moat_testkit::{MotoServer, MOTO_ACCESS_KEY_ID, MOTO_REGION, MOTO_SECRET_ACCESS_KEY};
use tokio::runtime::Runtime;

/// One page of FilterLogEvents / GetLogEvents in moto (and at most in AWS).
const PAGE: usize = 10_000;

fn now_ms() -> i64 {
    i64::try_from(SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_millis()).unwrap()
}

struct Moto {
    server: MotoServer,
    runtime: Runtime,
    client: Client,
}

impl Moto {
    fn start() -> Moto {
        let server = MotoServer::start();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let config = runtime.block_on(sdk_config(&AwsSettings {
            region: Some(MOTO_REGION.to_owned()),
            endpoint_url: Some(server.endpoint()),
            static_credentials: Some(StaticCredentials {
                access_key_id: MOTO_ACCESS_KEY_ID.to_owned(),
                secret_access_key: MOTO_SECRET_ACCESS_KEY.to_owned(),
            }),
        }));
        let client = Client::new(&config);
        Moto {
            server,
            runtime,
            client,
        }
    }

    fn create(&self, group: &str, streams: &[&str]) {
        self.runtime
            .block_on(self.client.create_log_group().log_group_name(group).send())
            .unwrap();
        for stream in streams {
            self.runtime
                .block_on(
                    self.client
                        .create_log_stream()
                        .log_group_name(group)
                        .log_stream_name(*stream)
                        .send(),
                )
                .unwrap();
        }
    }

    /// Puts `(timestamp, message)` events (in time order) into a stream, 10,000 per call.
    fn put(&self, group: &str, stream: &str, events: &[(i64, String)]) {
        for batch in events.chunks(PAGE) {
            let input: Vec<InputLogEvent> = batch
                .iter()
                .map(|(t, m)| InputLogEvent::builder().timestamp(*t).message(m).build().unwrap())
                .collect();
            self.runtime
                .block_on(
                    self.client
                        .put_log_events()
                        .log_group_name(group)
                        .log_stream_name(stream)
                        .set_log_events(Some(input))
                        .send(),
                )
                .unwrap();
        }
    }

    fn moatctl(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_moatctl"));
        command
            .arg("tail")
            .args(args)
            .envs(self.server.env())
            .env_remove("NO_COLOR");
        command
    }

    fn tail(&self, args: &[&str]) -> Output {
        self.moatctl(args).output().unwrap()
    }
}

/// The lines of a successful run, each split into (timestamp text, stream, message) of the detailed layout.
fn detailed_lines(output: &Output) -> Vec<(String, String, String)> {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "moatctl failed: {}\n{stderr}", output.status);
    assert!(stderr.is_empty(), "stderr: {stderr}");
    String::from_utf8(output.stdout.clone())
        .unwrap()
        .lines()
        .map(|line| {
            let mut parts = line.splitn(3, ' ');
            let mut next = || parts.next().unwrap_or_default().to_owned();
            (next(), next(), next())
        })
        .collect()
}

#[test]
fn tail_reads_every_event_of_a_group_in_order_across_pages() {
    let moto = Moto::start();
    let group = "API-Gateway-Execution-Logs_abc123/prod";
    moto.create(group, &["stream-a", "stream-b", "other"]);
    let base = now_ms() - 3_600_000;
    // 12,000 events in two streams, interleaved in time: more than one page.
    let a: Vec<(i64, String)> = (0..6_000).map(|i| (base + 2 * i, format!("a {i}"))).collect();
    let b: Vec<(i64, String)> = (0..6_000).map(|i| (base + 2 * i + 1, format!("b {i}"))).collect();
    // Older than --since: never printed.
    let old: Vec<(i64, String)> = (0..3).map(|i| (base - 60_000 + i, format!("old {i}"))).collect();
    moto.put(group, "stream-a", &a);
    moto.put(group, "stream-b", &b);
    moto.put(group, "other", &old);

    let since = base.to_string();
    let source = format!("cloudwatch:{group}");
    let lines = detailed_lines(&moto.tail(&[&source, "--since", &since]));
    let mut expected: Vec<(i64, &str, &str)> = a.iter().map(|(t, m)| (*t, "stream-a", m.as_str())).collect();
    expected.extend(b.iter().map(|(t, m)| (*t, "stream-b", m.as_str())));
    expected.sort_by_key(|(t, _, _)| *t);
    assert_eq!(lines.len(), expected.len(), "every event once");
    for (line, (_, stream, message)) in lines.iter().zip(&expected) {
        assert_eq!((line.1.as_str(), line.2.as_str()), (*stream, *message));
    }
    // The detailed layout's timestamp, for the first event.
    let first = &lines[0].0;
    assert!(
        first.ends_with("000+00:00") && first.len() == "2026-11-25T22:30:56.123000+00:00".len(),
        "{first}"
    );

    // --until cuts the range (inclusive); --log-stream-name-prefix keeps one stream's events.
    let until = (base + 9).to_string();
    let lines = detailed_lines(&moto.tail(&[&source, "--since", &since, "--until", &until]));
    let messages: Vec<&str> = lines.iter().map(|l| l.2.as_str()).collect();
    assert_eq!(
        messages,
        ["a 0", "b 0", "a 1", "b 1", "a 2", "b 2", "a 3", "b 3", "a 4", "b 4"]
    );
    let lines = detailed_lines(&moto.tail(&[
        &source,
        "--since",
        &since,
        "--until",
        &until,
        "--log-stream-name-prefix",
        "stream-b",
    ]));
    let messages: Vec<&str> = lines.iter().map(|l| l.2.as_str()).collect();
    assert_eq!(messages, ["b 0", "b 1", "b 2", "b 3", "b 4"]);

    // Without --since only the last 10 minutes are read (as aws logs tail): these events are an hour old.
    assert!(detailed_lines(&moto.tail(&[&source])).is_empty());
}

#[test]
fn one_named_stream_is_read_with_get_log_events_across_pages() {
    let moto = Moto::start();
    let group = "moat/access/prod";
    moto.create(group, &["host-a/1", "host-b/1"]);
    let base = now_ms() - 1_800_000;
    let events: Vec<(i64, String)> = (0..PAGE as i64 + 500)
        .map(|i| (base + i, format!(r#"{{"requestId":"r{i}","status":"200"}}"#)))
        .collect();
    moto.put(group, "host-a/1", &events);
    moto.put(group, "host-b/1", &[(base, "not this stream".to_owned())]);
    let since = (base - 1).to_string();
    let output = moto.tail(&[
        &format!("cloudwatch:{group}"),
        "--since",
        &since,
        "--format",
        "short",
        "--log-stream-names",
        "host-a/1",
    ]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let text = String::from_utf8(output.stdout).unwrap();
    let messages: Vec<&str> = text.lines().map(|l| l.split_once(' ').unwrap().1).collect();
    let expected: Vec<&str> = events.iter().map(|(_, m)| m.as_str()).collect();
    assert_eq!(messages.len(), expected.len());
    assert!(messages == expected, "events differ or are out of order");
}

#[test]
fn filter_pattern_is_applied_and_unknown_groups_fail_with_exit_1() {
    let moto = Moto::start();
    let group = "moat/execution";
    moto.create(group, &["s"]);
    let base = now_ms() - 60_000;
    let lines = [
        "(r1) Starting execution for request: r1",
        "(r1) Execution failed due to a timeout error",
        "(r1) Method completed with status: 504",
    ];
    let events: Vec<(i64, String)> = lines
        .iter()
        .enumerate()
        .map(|(i, l)| (base + i as i64, (*l).to_owned()))
        .collect();
    moto.put(group, "s", &events);
    let source = format!("cloudwatch:{group}");
    let output = moto.tail(&[&source, "--filter-pattern", "failed", "--format", "short"]);
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(output.status.success());
    assert_eq!(
        text.lines().map(|l| l.split_once(' ').unwrap().1).collect::<Vec<_>>(),
        [lines[1]]
    );

    let output = moto.tail(&["cloudwatch:no-such-group"]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.starts_with("moatctl tail: cloudwatch:no-such-group: "),
        "{stderr}"
    );
    assert!(stderr.contains("ResourceNotFoundException"), "{stderr}");
}

/// Runs `moatctl tail --follow` on `args` until `--until` (now + 9 s); once the first `initial` lines are out,
/// calls `more` (which puts new events). Returns the messages of the short layout.
fn follow(moto: &Moto, args: &[&str], initial: usize, more: impl FnOnce()) -> Vec<String> {
    // The process stops by itself once --until has passed; it polls at the start and every 5 s.
    let until = (now_ms() + 9_000).to_string();
    let mut all = vec!["--follow", "--until", &until, "--format", "short"];
    all.extend_from_slice(args);
    let mut child = moto
        .moatctl(&all)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (lines_tx, lines) = mpsc::channel();
    let reader = thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            lines_tx.send(line.unwrap()).unwrap();
        }
    });
    let started = Instant::now();
    let mut seen: Vec<String> = Vec::new();
    while seen.len() < initial {
        let line = lines
            .recv_timeout(Duration::from_secs(30))
            .expect("the first poll prints the first events");
        seen.push(line.split_once(' ').unwrap().1.to_owned());
    }
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "the first poll is immediate"
    );
    more();
    let output = child.wait_with_output().unwrap();
    reader.join().unwrap();
    seen.extend(lines.try_iter().map(|l| l.split_once(' ').unwrap().1.to_owned()));
    assert!(
        output.status.success(),
        "{}: {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    seen
}

#[test]
fn follow_prints_new_events_once() {
    let moto = Moto::start();
    let group = "moat/follow";
    moto.create(group, &["a", "b"]);
    let t0 = now_ms() - 5_000;
    moto.put(
        group,
        "a",
        &[(t0, "before 1".to_owned()), (t0 + 1, "before 2".to_owned())],
    );
    let since = (t0 - 1).to_string();
    let seen = follow(&moto, &[&format!("cloudwatch:{group}"), "--since", &since], 2, || {
        // Same timestamp as the newest event already printed (the next poll starts there), and later ones.
        let t1 = now_ms();
        moto.put(
            group,
            "b",
            &[
                (t0 + 1, "same millisecond, other stream".to_owned()),
                (t1, "after".to_owned()),
            ],
        );
        moto.put(group, "a", &[(t1 + 1, "after, a".to_owned())]);
    });
    assert_eq!(
        seen,
        [
            "before 1",
            "before 2",
            "same millisecond, other stream",
            "after",
            "after, a"
        ]
    );
}

#[test]
fn follow_one_stream_continues_from_the_forward_token() {
    let moto = Moto::start();
    let group = "moat/follow-one";
    moto.create(group, &["a", "b"]);
    let t0 = now_ms() - 5_000;
    moto.put(group, "a", &[(t0, "a 1".to_owned()), (t0 + 1, "a 2".to_owned())]);
    let since = (t0 - 1).to_string();
    let args = [
        format!("cloudwatch:{group}"),
        "--since".to_owned(),
        since,
        "--log-stream-names".to_owned(),
        "a".to_owned(),
    ];
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let seen = follow(&moto, &args, 2, || {
        let t1 = now_ms();
        moto.put(group, "a", &[(t1, "a 3".to_owned())]);
        moto.put(group, "b", &[(t1, "b, not followed".to_owned())]);
    });
    assert_eq!(seen, ["a 1", "a 2", "a 3"]);
}
