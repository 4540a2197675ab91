//! `--watch`: follow the source and evaluate on the wall clock.
//!
//! A reader thread sends events over a channel: stdin through [`Source::for_each_event`] (which blocks for
//! more input), a plain file through [`follow_file`], which reads the existing content, says when it has
//! caught up, then polls for appended lines (starting over when the file shrinks). The main thread feeds
//! events to the [`Engine`] and evaluates every alarm at each period end plus [`LAG`], so records written a
//! moment after their period closed still count. A file's existing content is replayed first: its state
//! changes are printed but run no action; changes after the replay run actions.
//!
//! The source module is growing a follow mode (`ReadOptions { follow: true, .. }` for `for_each_event`);
//! once it lands, [`spawn_reader`] calls it for every source and [`follow_file`] goes away.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Seek, SeekFrom};
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, SyncSender};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::anyhow;

use super::cli::Output;
use super::Engine;
use crate::event::LogEvent;
use crate::source::{ReadOptions, Source};

/// How long after a period ends it is evaluated.
pub(super) const LAG: Duration = Duration::from_secs(2);
/// How often a followed file is checked for new lines.
const POLL: Duration = Duration::from_millis(250);

enum Message {
    Event(LogEvent),
    CaughtUp,
    Ended(Result<(), String>),
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// Runs until the source ends (stdin) or the process is interrupted.
pub(super) fn run(source: &Source, engine: &mut Engine, out: &mut Output) -> anyhow::Result<()> {
    let (live_from_start, rx) = spawn_reader(source);
    let mut live = live_from_start;
    let lag = i64::try_from(LAG.as_millis()).unwrap_or(0);
    loop {
        let due = engine.evaluators().iter().filter_map(|e| e.next_evaluation()).min();
        let wait = due.map_or(1000, |d| (d + lag - now_ms()).clamp(0, 1000));
        let message = rx.recv_timeout(Duration::from_millis(u64::try_from(wait).unwrap_or(0)));
        match message {
            Ok(Message::Event(event)) => engine.feed(&event),
            Ok(Message::CaughtUp) => {
                let changes = engine.advance_to(now_ms() - lag);
                out.report(engine, &changes, false)?;
                live = true;
            }
            Ok(Message::Ended(result)) => {
                let changes = engine.advance_to(now_ms() - lag);
                out.report(engine, &changes, live)?;
                return result.map_err(|e| anyhow!(e));
            }
            Err(RecvTimeoutError::Disconnected) => return Ok(()),
            Err(RecvTimeoutError::Timeout) => {}
        }
        if live {
            let changes = engine.advance_to(now_ms() - lag);
            out.report(engine, &changes, true)?;
        }
    }
}

/// Starts the reader thread; the flag says whether events are live from the start (no replay phase).
fn spawn_reader(source: &Source) -> (bool, Receiver<Message>) {
    let (tx, rx) = mpsc::sync_channel(4096);
    let live = matches!(source, Source::Stdin);
    let source = source.clone();
    thread::spawn(move || {
        let result = match &source {
            Source::Stdin => source
                .for_each_event(|event| match tx.send(Message::Event(event)) {
                    Ok(()) => ControlFlow::Continue(()),
                    Err(_) => ControlFlow::Break(()),
                })
                .map_err(|e| e.to_string()),
            Source::File(path) => follow_file(path, &tx).map_err(|e| format!("{}: {e}", path.display())),
            Source::Glob(_) | Source::CloudWatch { .. } => replay_then_follow(&source, &tx),
        };
        let _ = tx.send(Message::Ended(result));
    });
    (live, rx)
}

/// Globs and log groups: sends what they hold now, then [`Message::CaughtUp`], then what arrives after
/// the newest event already sent (the source's follow mode: `tail -F` per file, polling for a group).
fn replay_then_follow(source: &Source, tx: &SyncSender<Message>) -> Result<(), String> {
    let mut newest: Option<i64> = None;
    let send = |event: LogEvent, newest: &mut Option<i64>| {
        *newest = (*newest).max(event.timestamp);
        match tx.send(Message::Event(event)) {
            Ok(()) => ControlFlow::Continue(()),
            Err(_) => ControlFlow::Break(()),
        }
    };
    source
        .for_each_event_with(&ReadOptions::default(), |event| send(event, &mut newest))
        .map_err(|e| e.to_string())?;
    if tx.send(Message::CaughtUp).is_err() {
        return Ok(());
    }
    let options = ReadOptions {
        follow: true,
        since: newest.map(|t| t + 1).or_else(|| Some(now_ms())),
        ..ReadOptions::default()
    };
    let mut ignored = None;
    source
        .for_each_event_with(&options, |event| send(event, &mut ignored))
        .map_err(|e| e.to_string())
}

/// Sends every line of `path`, then [`Message::CaughtUp`], then lines as they are appended.
fn follow_file(path: &Path, tx: &SyncSender<Message>) -> io::Result<()> {
    let stream: Arc<str> = Arc::from(path.display().to_string().as_str());
    let mut reader = BufReader::with_capacity(1 << 16, File::open(path)?);
    let mut position = 0_u64;
    let mut line = Vec::new();
    let mut caught_up = false;
    loop {
        let read = reader.read_until(b'\n', &mut line)?;
        if read == 0 {
            if !caught_up {
                caught_up = true;
                if tx.send(Message::CaughtUp).is_err() {
                    return Ok(());
                }
            }
            thread::sleep(POLL);
            if std::fs::metadata(path)?.len() < position {
                // Truncated or replaced by a shorter file: start over.
                reader = BufReader::with_capacity(1 << 16, File::open(PathBuf::from(path))?);
                reader.seek(SeekFrom::Start(0))?;
                position = 0;
                line.clear();
            }
            continue;
        }
        position += read as u64;
        if line.last() != Some(&b'\n') {
            continue; // A partial line: wait for the rest.
        }
        line.pop();
        if line.last() == Some(&b'\r') {
            line.pop();
        }
        let mut event = LogEvent::from_message(String::from_utf8_lossy(&line).into_owned());
        event.log_stream = Some(stream.clone());
        line.clear();
        if tx.send(Message::Event(event)).is_err() {
            return Ok(());
        }
    }
}
