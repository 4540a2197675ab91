//! Where events come from. A source is written on the command line as:
//!
//! - `-`: standard input;
//! - a file path: plain text or gzip (recognised by its magic bytes, whatever its name);
//! - a glob (`logs/*.log`, `logs/access.log*`): every matching file, oldest modification time first;
//! - `cloudwatch:GROUP`: a CloudWatch Logs log group, read with `FilterLogEvents` (or `GetLogEvents` for one
//!   named stream), see [`ReadOptions::log_stream_names`].
//!
//! [`Source::for_each_event`] reads everything once; [`Source::for_each_event_with`] and [`read_sources`] take
//! [`ReadOptions`]: a time range, a filter pattern, stream selection, the record format that gives local events
//! their time, and follow mode (`tail -F` for files and globs, polling for log groups).
//!
//! Every event passes through the same checks whatever its source: outside `since..=until` (when it has a time)
//! or not matching the filter pattern, it is dropped. Local events get their time from the record
//! ([`crate::record::event_time`]); events without one are never dropped for their time.

pub(crate) mod chunks;
mod cloudwatch;
mod follow;
mod local;
mod time_arg;

#[cfg(test)]
mod tests;

pub(crate) use local::is_gzip;
pub use time_arg::{parse_time_arg, TimeArgError};

use std::borrow::Cow;
use std::io::{self, IsTerminal};
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::event::time::now_ms;
use crate::event::LogEvent;
use crate::filter_pattern::{FilterPattern, FilterPatternError};
use crate::record::{event_time, LogFormat};
use cloudwatch::{CloudWatch, GroupReader};
use follow::{FileFollower, GlobFollower};

/// The prefix of a CloudWatch Logs source: `cloudwatch:GROUP`.
pub const CLOUDWATCH_PREFIX: &str = "cloudwatch:";

/// Local files to read that total at least this many bytes get a progress bar (when asked for and stderr is a
/// terminal).
pub const PROGRESS_MIN_BYTES: u64 = 32 << 20;

/// A source of log events, as parsed from a command-line argument.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// Standard input (`-`).
    Stdin,
    /// One local file, plain or gzip.
    File(PathBuf),
    /// The local files matching a glob pattern.
    Glob(String),
    /// A CloudWatch Logs log group (`cloudwatch:GROUP`).
    CloudWatch {
        /// The log group name.
        group: String,
    },
}

/// Errors reading a source.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// A file could not be opened or read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The I/O error.
        source: io::Error,
    },
    /// A glob pattern matched no file (when not following).
    #[error("{pattern}: no file matches")]
    NoMatch {
        /// The pattern.
        pattern: String,
    },
    /// A glob pattern is malformed.
    #[error("{pattern}: invalid glob pattern: {message}")]
    BadGlob {
        /// The pattern.
        pattern: String,
        /// What is wrong, with its position.
        message: String,
    },
    /// `cloudwatch:` without a group name.
    #[error("`cloudwatch:` needs a log group name, as in cloudwatch:API-Gateway-Execution-Logs_abc123/prod")]
    EmptyGroup,
    /// Both stream names and a stream-name prefix were given (CloudWatch accepts one or the other).
    #[error("log stream names and a log stream name prefix cannot be used together")]
    StreamSelection,
    /// Stream names or a prefix were given without any CloudWatch source.
    #[error("log stream names and prefixes apply only to cloudwatch:GROUP sources")]
    StreamsWithoutCloudWatch,
    /// The filter pattern could not be parsed.
    #[error("filter pattern `{pattern}`: {source}")]
    FilterPattern {
        /// The pattern as given.
        pattern: String,
        /// Why it was rejected.
        source: FilterPatternError,
    },
    /// A CloudWatch Logs call failed.
    #[error("cloudwatch:{group}: {message}")]
    CloudWatch {
        /// The log group.
        group: String,
        /// The SDK's error with its causes.
        message: String,
    },
    /// The runtime for the AWS SDK could not start.
    #[error("cannot start the AWS SDK runtime: {0}")]
    Runtime(io::Error),
}

impl SourceError {
    fn io(path: &Path, source: io::Error) -> SourceError {
        SourceError::Io {
            path: path.display().to_string(),
            source,
        }
    }
}

/// How sources are read.
#[derive(Debug, Clone)]
pub struct ReadOptions {
    /// Keep reading as events are added (files as `tail -F`, log groups by polling) until `until` has passed or
    /// the callback breaks.
    pub follow: bool,
    /// Drop events before this time (epoch ms); sent to CloudWatch as `startTime`.
    pub since: Option<i64>,
    /// Drop events after this time (epoch ms, inclusive); sent to CloudWatch as `endTime`.
    pub until: Option<i64>,
    /// A CloudWatch filter pattern: sent to CloudWatch as `filterPattern` and applied to every event locally.
    pub filter_pattern: Option<String>,
    /// Log streams to read (CloudWatch sources); exactly one selects `GetLogEvents`.
    pub log_stream_names: Vec<String>,
    /// Only log streams whose names start with this (CloudWatch sources).
    pub log_stream_name_prefix: Option<String>,
    /// The record format that gives local events their time.
    pub log_format: LogFormat,
    /// How often followed files are checked.
    pub file_poll: Duration,
    /// How often followed log groups are polled (`aws logs tail --follow` polls every 5 s).
    pub cloudwatch_poll: Duration,
    /// Draw a progress bar on stderr while reading local files that total at least [`PROGRESS_MIN_BYTES`], when
    /// stderr is a terminal (never while following).
    pub progress: bool,
}

impl Default for ReadOptions {
    fn default() -> ReadOptions {
        ReadOptions {
            follow: false,
            since: None,
            until: None,
            filter_pattern: None,
            log_stream_names: Vec::new(),
            log_stream_name_prefix: None,
            log_format: LogFormat::Auto,
            file_poll: Duration::from_millis(250),
            cloudwatch_poll: Duration::from_secs(5),
            progress: false,
        }
    }
}

impl Source {
    /// Parses a command-line source argument: `-`, `cloudwatch:GROUP`, a glob (has `*`, `?` or `[` and is not
    /// an existing file) or a file path. Problems (a missing file, an empty group) show when it is read.
    pub fn parse(spec: &str) -> Source {
        if spec == "-" {
            Source::Stdin
        } else if let Some(group) = spec.strip_prefix(CLOUDWATCH_PREFIX) {
            Source::CloudWatch {
                group: group.to_owned(),
            }
        } else if local::is_glob(spec) && !Path::new(spec).is_file() {
            Source::Glob(spec.to_owned())
        } else {
            Source::File(PathBuf::from(spec))
        }
    }

    /// The source as written on the command line; local events carry it as their `log_group`.
    pub fn name(&self) -> String {
        match self {
            Source::Stdin => "-".to_owned(),
            Source::File(path) => path.display().to_string(),
            Source::Glob(pattern) => pattern.clone(),
            Source::CloudWatch { group } => format!("{CLOUDWATCH_PREFIX}{group}"),
        }
    }

    /// Whether this is a CloudWatch Logs log group.
    pub fn is_cloudwatch(&self) -> bool {
        matches!(self, Source::CloudWatch { .. })
    }

    /// Calls `each` with every event, in order, until it returns `Break`.
    ///
    /// # Errors
    /// A file that cannot be read, a glob matching nothing, a failed CloudWatch call.
    pub fn for_each_event(&self, each: impl FnMut(LogEvent) -> ControlFlow<()>) -> Result<(), SourceError> {
        self.for_each_event_with(&ReadOptions::default(), each)
    }

    /// Calls `each` with every event that passes `options`, in order, until it returns `Break` (or, when
    /// following, until `options.until` has passed).
    ///
    /// # Errors
    /// As [`Source::for_each_event`], and bad options (filter pattern, stream selection).
    pub fn for_each_event_with(
        &self,
        options: &ReadOptions,
        each: impl FnMut(LogEvent) -> ControlFlow<()>,
    ) -> Result<(), SourceError> {
        read_sources(std::slice::from_ref(self), options, each)
    }
}

/// What an event must pass: the filter pattern and the time range.
struct EventFilter<'a> {
    since: Option<i64>,
    until: Option<i64>,
    pattern: Option<FilterPattern>,
    format: &'a LogFormat,
}

impl EventFilter<'_> {
    /// Whether a message passes, filling `timestamp` from the record when the source had none. The pattern is
    /// tried first: it is cheaper than reading a time out of the message, and most scans reject most lines.
    fn passes(&self, message: &str, timestamp: &mut Option<i64>) -> bool {
        if self.pattern.as_ref().is_some_and(|p| !p.matches(message)) {
            return false;
        }
        if timestamp.is_none() {
            *timestamp = event_time(message, self.format);
        }
        match *timestamp {
            Some(time) => {
                !(self.since.is_some_and(|since| time < since) || self.until.is_some_and(|until| time > until))
            }
            None => true,
        }
    }
}

/// Applies the [`EventFilter`], then calls the caller's function.
struct Emitter<'a, F> {
    filter: EventFilter<'a>,
    each: F,
}

impl<F: FnMut(LogEvent) -> ControlFlow<()>> Emitter<'_, F> {
    fn emit(&mut self, mut event: LogEvent) -> ControlFlow<()> {
        if !self.filter.passes(&event.message, &mut event.timestamp) {
            return ControlFlow::Continue(());
        }
        (self.each)(event)
    }
}

/// Reads every source in turn (or, when following, all of them together) and calls `each` with every event that
/// passes `options`, until it returns `Break`.
///
/// # Errors
/// The first source that cannot be read, or bad options.
pub fn read_sources(
    sources: &[Source],
    options: &ReadOptions,
    each: impl FnMut(LogEvent) -> ControlFlow<()>,
) -> Result<(), SourceError> {
    if !options.log_stream_names.is_empty() && options.log_stream_name_prefix.is_some() {
        return Err(SourceError::StreamSelection);
    }
    let selects_streams = !options.log_stream_names.is_empty() || options.log_stream_name_prefix.is_some();
    if selects_streams && !sources.iter().any(Source::is_cloudwatch) {
        return Err(SourceError::StreamsWithoutCloudWatch);
    }
    if sources
        .iter()
        .any(|s| matches!(s, Source::CloudWatch { group } if group.is_empty()))
    {
        return Err(SourceError::EmptyGroup);
    }
    let pattern = match options.filter_pattern.as_deref() {
        Some(text) => Some(FilterPattern::parse(text).map_err(|source| SourceError::FilterPattern {
            pattern: text.to_owned(),
            source,
        })?),
        None => None,
    };
    let mut emitter = Emitter {
        filter: EventFilter {
            since: options.since,
            until: options.until,
            pattern,
            format: &options.log_format,
        },
        each,
    };
    let cloudwatch = if sources.iter().any(Source::is_cloudwatch) {
        Some(CloudWatch::connect()?)
    } else {
        None
    };
    if options.follow {
        return follow(sources, options, cloudwatch.as_ref(), &mut emitter);
    }
    let progress = progress_bar(sources, options)?;
    for source in sources {
        let flow = match source {
            Source::Stdin => read_stdin(&mut emitter)?,
            Source::File(path) => read_file(path, &source.name(), progress.as_ref(), &mut emitter)?,
            Source::Glob(pattern) => {
                let files = local::expand_glob(pattern)?;
                if files.is_empty() {
                    return Err(SourceError::NoMatch {
                        pattern: pattern.clone(),
                    });
                }
                let mut flow = ControlFlow::Continue(());
                for path in files {
                    flow = read_file(&path, pattern, progress.as_ref(), &mut emitter)?;
                    if flow.is_break() {
                        break;
                    }
                }
                flow
            }
            Source::CloudWatch { group } => match cloudwatch.as_ref() {
                Some(cloudwatch) => GroupReader::new(group, options).poll(cloudwatch, &mut |e| emitter.emit(e))?,
                None => ControlFlow::Continue(()),
            },
        };
        if flow.is_break() {
            break;
        }
    }
    if let Some(bar) = progress {
        bar.finish_and_clear();
    }
    Ok(())
}

/// A progress bar over the bytes of the local files to read, when asked for, on a terminal, and worth it.
fn progress_bar(sources: &[Source], options: &ReadOptions) -> Result<Option<ProgressBar>, SourceError> {
    if !options.progress || !io::stderr().is_terminal() {
        return Ok(None);
    }
    let mut total = 0u64;
    for source in sources {
        let paths = match source {
            Source::File(path) => vec![path.clone()],
            Source::Glob(pattern) => local::expand_glob(pattern)?,
            Source::Stdin | Source::CloudWatch { .. } => Vec::new(),
        };
        total += paths
            .iter()
            .filter_map(|p| std::fs::metadata(p).ok())
            .map(|m| m.len())
            .sum::<u64>();
    }
    if total < PROGRESS_MIN_BYTES {
        return Ok(None);
    }
    let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
    if let Ok(style) =
        ProgressStyle::with_template("{bar:40} {binary_bytes}/{binary_total_bytes} {binary_bytes_per_sec} eta {eta}")
    {
        bar.set_style(style);
    }
    Ok(Some(bar))
}

fn read_stdin<F: FnMut(LogEvent) -> ControlFlow<()>>(
    emitter: &mut Emitter<'_, F>,
) -> Result<ControlFlow<()>, SourceError> {
    let name: Arc<str> = Arc::from("-");
    let mut stdin = io::stdin().lock();
    local::read_lines(&mut stdin, "-", |line| {
        let mut event = LogEvent::from_message(line);
        event.log_stream = Some(name.clone());
        event.log_group = Some(name.clone());
        emitter.emit(event)
    })
}

fn read_file<F: FnMut(LogEvent) -> ControlFlow<()>>(
    path: &Path,
    group: &str,
    progress: Option<&ProgressBar>,
    emitter: &mut Emitter<'_, F>,
) -> Result<ControlFlow<()>, SourceError> {
    let shown = path.display().to_string();
    let stream: Arc<str> = Arc::from(shown.as_str());
    let group: Arc<str> = Arc::from(group);
    let workers = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    let size = std::fs::metadata(path).map_err(|e| SourceError::io(path, e))?.len();
    if workers > 1 && size >= PARALLEL_FROM && !local::is_gzip(path)? {
        return read_file_in_parallel(path, workers, (&stream, &group), progress, emitter);
    }
    let mut reader = local::open(path, progress)?;
    local::read_lines(&mut reader, &shown, |line| {
        let mut event = LogEvent::from_message(line);
        event.log_stream = Some(stream.clone());
        event.log_group = Some(group.clone());
        emitter.emit(event)
    })
}

/// Plain files from this size on are filtered on every core.
const PARALLEL_FROM: u64 = 16 << 20;
/// The share of a file one worker filters at a time.
const PARALLEL_CHUNK: u64 = 4 << 20;

/// [`read_file`] on several cores: workers filter chunks of the file, the caller's function gets the events that
/// pass in file order.
fn read_file_in_parallel<F: FnMut(LogEvent) -> ControlFlow<()>>(
    path: &Path,
    workers: usize,
    (stream, group): (&Arc<str>, &Arc<str>),
    progress: Option<&ProgressBar>,
    emitter: &mut Emitter<'_, F>,
) -> Result<ControlFlow<()>, SourceError> {
    let filter = &emitter.filter;
    let keep = |chunk: &[u8]| {
        let mut kept = Vec::new();
        let _ = chunks::for_each_line(chunk, |line| {
            // std::str::from_utf8 checks ASCII a word at a time; the lossy decoder goes a character at a time.
            let message = std::str::from_utf8(line).map_or_else(|_| String::from_utf8_lossy(line), Cow::Borrowed);
            let mut timestamp = None;
            if filter.passes(&message, &mut timestamp) {
                kept.push(LogEvent {
                    timestamp,
                    ingestion_time: None,
                    message: message.into_owned(),
                    log_stream: Some(stream.clone()),
                    log_group: Some(group.clone()),
                });
            }
            ControlFlow::Continue(())
        });
        (kept, chunk.len() as u64)
    };
    let each = &mut emitter.each;
    chunks::map_in_order(path, workers, PARALLEL_CHUNK, &keep, &mut |(events, bytes)| {
        if let Some(bar) = progress {
            bar.inc(bytes);
        }
        for event in events {
            each(event)?;
        }
        ControlFlow::Continue(())
    })
    .map_err(|e| SourceError::io(path, e))
}

/// One followed source and when it is due.
enum Followed {
    File(FileFollower),
    Glob(GlobFollower),
    Group(GroupReader),
}

/// Reads everything there is, then keeps polling every followed source until `until` passes or `each` breaks.
fn follow<F: FnMut(LogEvent) -> ControlFlow<()>>(
    sources: &[Source],
    options: &ReadOptions,
    cloudwatch: Option<&CloudWatch>,
    emitter: &mut Emitter<'_, F>,
) -> Result<(), SourceError> {
    // Without --since a followed file starts at its end (new lines only); with it, at its start.
    let from_start = options.since.is_some();
    let mut followed: Vec<(Followed, Instant)> = Vec::new();
    let now = Instant::now();
    for source in sources {
        match source {
            Source::Stdin => {
                if read_stdin(emitter)?.is_break() {
                    return Ok(());
                }
            }
            Source::File(path) => {
                if !path.exists() {
                    return Err(SourceError::io(path, io::Error::from(io::ErrorKind::NotFound)));
                }
                if local::is_gzip(path)? {
                    // A compressed file is complete: read it once.
                    if read_file(path, &source.name(), None, emitter)?.is_break() {
                        return Ok(());
                    }
                    continue;
                }
                let group: Arc<str> = Arc::from(source.name().as_str());
                followed.push((Followed::File(FileFollower::new(path.clone(), group, from_start)?), now));
            }
            Source::Glob(pattern) => followed.push((Followed::Glob(GlobFollower::new(pattern, from_start)?), now)),
            Source::CloudWatch { group } => followed.push((Followed::Group(GroupReader::new(group, options)), now)),
        }
    }
    let mut emit = |event| emitter.emit(event);
    loop {
        // Once `until` has passed, everything is read one last time.
        let finishing = options.until.is_some_and(|until| now_ms() > until);
        let mut next_due: Option<Instant> = None;
        for (source, due) in &mut followed {
            let now = Instant::now();
            if finishing || *due <= now {
                let (flow, interval) = match source {
                    Followed::File(file) => (file.poll(&mut emit)?, options.file_poll),
                    Followed::Glob(glob) => (glob.poll(&mut emit)?, options.file_poll),
                    Followed::Group(group) => match cloudwatch {
                        Some(cloudwatch) => (group.poll(cloudwatch, &mut emit)?, options.cloudwatch_poll),
                        None => (ControlFlow::Continue(()), options.cloudwatch_poll),
                    },
                };
                if flow.is_break() {
                    return Ok(());
                }
                *due = Instant::now() + interval;
            }
            next_due = Some(next_due.map_or(*due, |n| n.min(*due)));
        }
        let Some(next_due) = next_due.filter(|_| !finishing) else {
            return Ok(());
        };
        let mut wait = next_due.saturating_duration_since(Instant::now());
        if let Some(until) = options.until {
            let left = u64::try_from(until.saturating_sub(now_ms()).max(0)).unwrap_or(0);
            wait = wait.min(Duration::from_millis(left + 1));
        }
        std::thread::sleep(wait);
    }
}
