//! Running a plan. Local files are read in large chunks by `workers` threads: chunk `k` (a byte range, owning the
//! lines that start inside it) goes to worker `k % workers`, which extracts fields, runs the per-line commands and
//! either aggregates into its own [`GroupTable`] (merged at the end) or sends the chunk's rows to the collector,
//! which takes chunks back in order — so results keep file order and memory stays at a few chunks per worker.
//! Other sources (stdin, tests' events) go through the same per-line code on one thread.

use std::fs::File;

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;

use crate::event::LogEvent;
use crate::record::Record;
use crate::source::chunks::{load_chunk, read_range};

use super::aggregate::{GroupTable, StatsSpec};
use super::error::QueryError;
use super::output::RowWriter;
use super::plan::{Plan, Stage};
use super::scan::{clf_time_in_line, parse_clf_time};
use super::stages::{run_stages, RowSink};
use super::tail::{Row, Tail};
use super::value::Val;

/// Bytes per chunk when aggregating.
pub const STATS_CHUNK: usize = 4 << 20;
/// Bytes per chunk when rows are sent on (smaller, to bound the rows in flight).
pub const ROWS_CHUNK: usize = 1 << 20;

/// Where a local run reads from.
#[derive(Debug, Clone)]
pub enum Data<'d> {
    /// A file, read by every worker through its own handle.
    File(PathBuf),
    /// Bytes in memory (benchmarks, tests).
    Memory(&'d [u8]),
}

/// Settings of one run.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Worker threads (at least 1).
    pub workers: usize,
    /// Chunk size override (tests use small chunks to cross many boundaries).
    pub chunk_size: Option<usize>,
    /// Keep events with `@timestamp >= since` (ms).
    pub since: Option<i64>,
    /// Keep events with `@timestamp <= until` (ms).
    pub until: Option<i64>,
    /// `@logStream` of every line (the file path).
    pub log_stream: Option<String>,
    /// `@log` of every line (the source as written).
    pub log: Option<String>,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            workers: 1,
            chunk_size: None,
            since: None,
            until: None,
            log_stream: None,
            log: None,
        }
    }
}

/// What a run produced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Summary {
    /// Rows written.
    pub rows: usize,
    /// Whether the default 10,000-row cap cut the result.
    pub truncated: bool,
}

/// Metadata of one event besides its message.
#[derive(Debug, Clone, Copy, Default)]
pub struct EventMeta<'m> {
    /// `@timestamp` when the source knows it.
    pub timestamp: Option<i64>,
    /// `@ingestionTime`.
    pub ingestion_time: Option<i64>,
    /// `@logStream`.
    pub log_stream: Option<&'m str>,
    /// `@log`.
    pub log: Option<&'m str>,
}

/// Turns lines into rows and runs the per-line commands; one per worker.
pub struct LineWorker<'p> {
    plan: &'p Plan,
    path: String,
    since: Option<i64>,
    until: Option<i64>,
}

impl<'p> LineWorker<'p> {
    /// A worker for `plan` keeping events in `[since, until]`.
    pub fn new(plan: &'p Plan, since: Option<i64>, until: Option<i64>) -> LineWorker<'p> {
        LineWorker {
            plan,
            path: String::new(),
            since,
            until,
        }
    }

    /// Processes one line (`row` is scratch space of the plan's width); `false` when the sink wants no more.
    pub fn line<'a, S: RowSink>(
        &mut self,
        line: &'a str,
        meta: &EventMeta<'a>,
        row: &mut Vec<Val<'a>>,
        sink: &mut S,
    ) -> bool {
        let plan = self.plan;
        let sys = &plan.system;
        row.clear();
        row.resize(plan.names.len(), Val::Null);
        if !plan.scanner.is_empty() && plan.scanner.scan(line, row, &mut self.path).is_err() {
            row.clear();
            row.resize(plan.names.len(), Val::Null);
            if line.trim_start().starts_with('{') {
                if let Some(record) = Record::parse_json(line) {
                    plan.scanner.fill_from_record(&record, row);
                }
            }
        }
        if let Some(slot) = sys.message {
            row[slot] = Val::str(line);
        }
        if let Some(slot) = sys.log_stream {
            row[slot] = meta.log_stream.map_or(Val::Null, Val::str);
        }
        if let Some(slot) = sys.log {
            row[slot] = meta.log.map_or(Val::Null, Val::str);
        }
        if let Some(slot) = sys.ingestion_time {
            row[slot] = meta.ingestion_time.map_or(Val::Null, Val::Time);
        }
        if let Some(slot) = sys.timestamp {
            let ts = meta.timestamp.or_else(|| {
                let (epoch, clf) = sys.request_time?;
                row[epoch]
                    .as_millis()
                    .or_else(|| match &row[clf] {
                        Val::Str(s) => parse_clf_time(s),
                        _ => None,
                    })
                    .or_else(|| clf_time_in_line(line))
            });
            if self.since.is_some_and(|s| ts.is_none_or(|t| t < s))
                || self.until.is_some_and(|u| ts.is_none_or(|t| t > u))
            {
                return true;
            }
            row[slot] = ts.map_or(Val::Null, Val::Time);
        }
        run_stages(&plan.stages[..plan.split], row, sink)
    }
}

struct StatsSink<'s> {
    spec: &'s StatsSpec,
    table: GroupTable,
}

impl RowSink for StatsSink<'_> {
    fn accept<'a>(&mut self, row: &mut Vec<Val<'a>>) -> bool {
        self.table.update(self.spec, row);
        true
    }
}

struct OwnedRows(Vec<Row>);

impl RowSink for OwnedRows {
    fn accept<'a>(&mut self, row: &mut Vec<Val<'a>>) -> bool {
        self.0.push(row.iter().cloned().map(Val::into_owned).collect());
        true
    }
}

struct TailSink<'t, 'p>(&'t mut Tail<'p>);

impl RowSink for TailSink<'_, '_> {
    fn accept<'a>(&mut self, row: &mut Vec<Val<'a>>) -> bool {
        self.0.push(row.iter().cloned().map(Val::into_owned).collect())
    }
}

fn stats_at_split(plan: &Plan) -> Option<&StatsSpec> {
    match plan.stages.get(plan.split) {
        Some(Stage::Stats(spec)) => Some(spec),
        _ => None,
    }
}

/// Runs `plan` over events one at a time (stdin, CloudWatch events fetched elsewhere, tests). Empty messages are
/// skipped, as empty lines of a file are (CloudWatch Logs has no empty events).
pub fn run_events(
    plan: &Plan,
    options: &RunOptions,
    writer: &mut dyn RowWriter,
    mut for_each: impl FnMut(&mut dyn FnMut(LogEvent) -> bool) -> Result<(), QueryError>,
) -> Result<Summary, QueryError> {
    let mut worker = LineWorker::new(plan, options.since, options.until);
    if let Some(spec) = stats_at_split(plan) {
        let mut sink = StatsSink {
            spec,
            table: GroupTable::default(),
        };
        for_each(&mut |event: LogEvent| {
            if !event.message.is_empty() {
                let mut row = Vec::new();
                worker.line(&event.message, &meta_of(&event), &mut row, &mut sink);
            }
            true
        })?;
        let rows = sink.table.finish(spec, plan.names.len());
        return finish_tail(plan, plan.split + 1, writer, rows);
    }
    let mut tail = Tail::new(plan, plan.split, writer);
    for_each(&mut |event: LogEvent| {
        if event.message.is_empty() {
            return true;
        }
        let mut row = Vec::new();
        worker.line(&event.message, &meta_of(&event), &mut row, &mut TailSink(&mut tail))
    })?;
    let truncated = tail.truncated;
    let rows = tail.finish().map_err(QueryError::Output)?;
    Ok(Summary { rows, truncated })
}

fn meta_of(event: &LogEvent) -> EventMeta<'_> {
    EventMeta {
        timestamp: event.timestamp,
        ingestion_time: event.ingestion_time,
        log_stream: event.log_stream.as_deref(),
        log: event.log_group.as_deref(),
    }
}

fn finish_tail(plan: &Plan, from: usize, writer: &mut dyn RowWriter, rows: Vec<Row>) -> Result<Summary, QueryError> {
    let mut tail = Tail::new(plan, from, writer);
    for row in rows {
        if !tail.push(row) {
            break;
        }
    }
    let truncated = tail.truncated;
    let rows = tail.finish().map_err(QueryError::Output)?;
    Ok(Summary { rows, truncated })
}

enum Reader<'d> {
    File(File, String),
    Memory(&'d [u8]),
}

impl Reader<'_> {
    fn open<'d>(data: &Data<'d>) -> Result<Reader<'d>, QueryError> {
        match data {
            Data::File(path) => {
                let shown = path.display().to_string();
                let file = File::open(path).map_err(|source| QueryError::Io {
                    path: shown.clone(),
                    source,
                })?;
                Ok(Reader::File(file, shown))
            }
            Data::Memory(bytes) => Ok(Reader::Memory(bytes)),
        }
    }

    fn len(&self) -> Result<u64, QueryError> {
        match self {
            Reader::File(file, path) => file.metadata().map(|m| m.len()).map_err(|source| QueryError::Io {
                path: path.clone(),
                source,
            }),
            Reader::Memory(bytes) => Ok(bytes.len() as u64),
        }
    }

    /// Loads the lines that start in chunk `k` into `buf`; returns the offset in `buf` where they begin.
    fn chunk(&mut self, k: u64, size: u64, len: u64, buf: &mut Vec<u8>) -> Result<usize, QueryError> {
        match self {
            Reader::File(file, path) => {
                load_chunk(&mut |from, to, buf| read_range(file, from, to, buf), k, size, len, buf).map_err(|source| {
                    QueryError::Io {
                        path: path.clone(),
                        source,
                    }
                })
            }
            Reader::Memory(bytes) => {
                let mut read = |from: u64, to: u64, buf: &mut Vec<u8>| {
                    let to = usize::try_from(to).unwrap_or(usize::MAX).min(bytes.len());
                    let from = usize::try_from(from).unwrap_or(usize::MAX);
                    if from < to {
                        buf.extend_from_slice(&bytes[from..to]);
                    }
                    Ok(())
                };
                load_chunk(&mut read, k, size, len, buf).map_err(|source| QueryError::Io {
                    path: "(memory)".to_owned(),
                    source,
                })
            }
        }
    }
}

fn for_lines(bytes: &[u8], mut each: impl FnMut(&str) -> bool) {
    let trim = |line: &str| line.strip_suffix('\r').unwrap_or(line).len();
    if let Ok(text) = std::str::from_utf8(bytes) {
        for line in text.split('\n') {
            let line = &line[..trim(line)];
            if !line.is_empty() && !each(line) {
                return;
            }
        }
        return;
    }
    for raw in bytes.split(|b| *b == b'\n') {
        let line = String::from_utf8_lossy(raw);
        let line = &line[..trim(&line)];
        if !line.is_empty() && !each(line) {
            return;
        }
    }
}

/// An emptied row vector, reusable for rows of another lifetime.
fn recycle<'x>(mut row: Vec<Val<'_>>) -> Vec<Val<'x>> {
    row.clear();
    row.into_iter().map(|_| Val::Null).collect()
}

/// Runs `plan` over local data with `options.workers` threads.
pub fn run_local(
    plan: &Plan,
    data: &Data<'_>,
    options: &RunOptions,
    writer: &mut dyn RowWriter,
) -> Result<Summary, QueryError> {
    let len = Reader::open(data)?.len()?;
    let stats = stats_at_split(plan);
    let size = options
        .chunk_size
        .unwrap_or(if stats.is_some() { STATS_CHUNK } else { ROWS_CHUNK })
        .max(1) as u64;
    let chunks = len.div_ceil(size).max(1);
    let workers = options.workers.clamp(1, chunks.min(256) as usize);
    let meta = EventMeta {
        log_stream: options.log_stream.as_deref(),
        log: options.log.as_deref(),
        ..EventMeta::default()
    };
    if let Some(spec) = stats {
        let tables = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..workers)
                .map(|w| {
                    scope.spawn(move || -> Result<GroupTable, QueryError> {
                        let mut reader = Reader::open(data)?;
                        let mut worker = LineWorker::new(plan, options.since, options.until);
                        let mut sink = StatsSink {
                            spec,
                            table: GroupTable::default(),
                        };
                        let mut buf = Vec::with_capacity(size as usize + 64 * 1024);
                        for k in (w as u64..chunks).step_by(workers) {
                            let first = reader.chunk(k, size, len, &mut buf)?;
                            let mut spare: Vec<Val<'static>> = Vec::new();
                            for_lines(&buf[first..], |line| {
                                let mut row = recycle(std::mem::take(&mut spare));
                                worker.line(line, &meta, &mut row, &mut sink);
                                spare = recycle(row);
                                true
                            });
                        }
                        Ok(sink.table)
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| {
                    h.join()
                        .unwrap_or_else(|_| Err(QueryError::Worker("a worker thread panicked".into())))
                })
                .collect::<Vec<_>>()
        });
        let mut merged = GroupTable::default();
        for table in tables {
            merged.merge(spec, table?);
        }
        let rows = merged.finish(spec, plan.names.len());
        return finish_tail(plan, plan.split + 1, writer, rows);
    }
    let stop = AtomicBool::new(false);
    let mut tail = Tail::new(plan, plan.split, writer);
    let result = std::thread::scope(|scope| -> Result<(), QueryError> {
        let mut receivers = Vec::new();
        let mut handles = Vec::new();
        for w in 0..workers {
            let (tx, rx) = mpsc::sync_channel::<Result<Vec<Row>, QueryError>>(2);
            receivers.push(rx);
            let stop = &stop;
            handles.push(scope.spawn(move || {
                let mut reader = match Reader::open(data) {
                    Ok(r) => r,
                    Err(e) => {
                        let _ = tx.send(Err(e));
                        return;
                    }
                };
                let mut worker = LineWorker::new(plan, options.since, options.until);
                let mut buf = Vec::with_capacity(size as usize + 64 * 1024);
                for k in (w as u64..chunks).step_by(workers) {
                    if stop.load(Ordering::Relaxed) {
                        return;
                    }
                    let rows = reader.chunk(k, size, len, &mut buf).map(|first| {
                        let mut sink = OwnedRows(Vec::new());
                        for_lines(&buf[first..], |line| {
                            let mut row = Vec::new();
                            worker.line(line, &meta, &mut row, &mut sink)
                        });
                        sink.0
                    });
                    if tx.send(rows).is_err() {
                        return;
                    }
                }
            }));
        }
        for k in 0..chunks as usize {
            // A worker only hangs up early after `stop`, which is not set yet here: this one died.
            let Ok(rows) = receivers[k % workers].recv() else {
                stop.store(true, Ordering::Relaxed);
                return Err(QueryError::Worker(format!(
                    "worker {} stopped before chunk {k}",
                    k % workers
                )));
            };
            let mut more = true;
            for row in rows? {
                if !tail.push(row) {
                    more = false;
                    break;
                }
            }
            if !more {
                break;
            }
        }
        stop.store(true, Ordering::Relaxed);
        drop(receivers);
        Ok(())
    });
    result?;
    let truncated = tail.truncated;
    let rows = tail.finish().map_err(QueryError::Output)?;
    Ok(Summary { rows, truncated })
}
