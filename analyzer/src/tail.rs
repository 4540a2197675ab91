//! `moatctl tail SOURCE...`: print the events of files, globs, stdin and CloudWatch Logs groups, as
//! `aws logs tail` prints a log group (see [`output`] for the layouts), with CloudWatch filter patterns, a time
//! range and `--follow`.
//!
//! Exit codes: 0 when every source was read (also when stdout is closed early, as by `| head`), 1 for a bad
//! argument or a source that cannot be read (the message on stderr names it).

pub mod output;

use std::io::{self, IsTerminal, Write};
use std::ops::ControlFlow;
use std::process::ExitCode;

use moat_formats::record::ApiType;

use crate::event::time::now_ms;
use crate::record::{LogFormat, LogFormatError};
use crate::source::{parse_time_arg, read_sources, ReadOptions, Source, SourceError, TimeArgError};
use output::{Layout, Printer};

/// `--since` when a log group is among the sources and none is given, as for `aws logs tail`.
pub const DEFAULT_CLOUDWATCH_SINCE: &str = "10m";

/// The arguments of `moatctl tail`.
#[derive(Debug, Clone, clap::Args)]
pub struct TailArgs {
    /// Sources: `-` (stdin), files (plain or gzip), globs (`'logs/*.log'`, oldest first) and CloudWatch Logs
    /// groups (`cloudwatch:GROUP`).
    #[arg(required = true, value_name = "SOURCE")]
    pub sources: Vec<String>,
    /// Keep printing events as they are added: files as `tail -F` (rotation and truncation followed, globs
    /// re-checked), log groups polled every 5 s. Without --since, files start at their end.
    #[arg(short = 'f', long)]
    pub follow: bool,
    /// Only events at or after this time: 10m, 2h, 2h ago, 1d, 1w, an ISO 8601 time, or epoch milliseconds.
    /// Default: 10m when a log group is among the sources, otherwise everything.
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,
    /// Only events at or before this time (same forms as --since).
    #[arg(long, value_name = "TIME")]
    pub until: Option<String>,
    /// A CloudWatch Logs filter pattern: sent to CloudWatch and applied to every event.
    #[arg(long, value_name = "PATTERN")]
    pub filter_pattern: Option<String>,
    /// Output layout, as `aws logs tail --format`.
    #[arg(long, value_enum, default_value = "detailed")]
    pub format: Layout,
    /// Record format of local lines (for their time and status): auto, json, common, combined, a preset of API
    /// Gateway's console (clf, json, xml, csv, default) or a `$context` template.
    #[arg(long, value_name = "FORMAT")]
    pub log_format: Option<String>,
    /// API type for --log-format presets and templates (default: rest; templates are also tried as http).
    #[arg(long, value_enum)]
    pub api_type: Option<ApiTypeArg>,
    /// Log streams to read in each log group (put them after the sources); one stream is read with
    /// GetLogEvents.
    #[arg(long, num_args = 1.., value_name = "STREAM")]
    pub log_stream_names: Vec<String>,
    /// Only log streams whose names start with this.
    #[arg(long, value_name = "PREFIX", conflicts_with = "log_stream_names")]
    pub log_stream_name_prefix: Option<String>,
    /// Colour: auto (when stdout is a terminal and NO_COLOR is unset or empty), on or off.
    #[arg(long, value_enum, default_value = "auto")]
    pub color: ColorChoice,
}

/// `--api-type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ApiTypeArg {
    /// REST API.
    Rest,
    /// HTTP API.
    Http,
}

/// `--color`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorChoice {
    /// Colour when stdout is a terminal and `NO_COLOR` is not set to a non-empty value.
    Auto,
    /// Always.
    On,
    /// Never.
    Off,
}

/// Why `moatctl tail` failed.
#[derive(Debug, thiserror::Error)]
pub enum TailError {
    /// A bad `--since` / `--until`.
    #[error("--{flag}: {source}")]
    Time {
        /// `since` or `until`.
        flag: &'static str,
        /// What is wrong.
        source: TimeArgError,
    },
    /// `--until` before `--since`.
    #[error("--until is before --since")]
    EmptyRange,
    /// A bad `--log-format`.
    #[error("--log-format: {0}")]
    LogFormat(#[from] LogFormatError),
    /// A source could not be read.
    #[error(transparent)]
    Source(#[from] SourceError),
    /// Writing to stdout failed (other than the reader going away).
    #[error("writing to stdout: {0}")]
    Output(io::Error),
}

/// Settings resolved from the arguments once.
struct Settings {
    sources: Vec<Source>,
    options: ReadOptions,
    printer: Printer,
    flush_each: bool,
}

impl TailArgs {
    /// Validates the arguments into sources, read options and a printer (`color` already decided).
    fn settings(&self, color: bool, now: i64) -> Result<Settings, TailError> {
        let sources: Vec<Source> = self.sources.iter().map(|s| Source::parse(s)).collect();
        let time = |flag, text: &str| parse_time_arg(text, now).map_err(|source| TailError::Time { flag, source });
        let since = match self.since.as_deref() {
            Some(text) => Some(time("since", text)?),
            None if sources.iter().any(Source::is_cloudwatch) => Some(time("since", DEFAULT_CLOUDWATCH_SINCE)?),
            None => None,
        };
        let until = self.until.as_deref().map(|text| time("until", text)).transpose()?;
        if let (Some(since), Some(until)) = (since, until) {
            if until < since {
                return Err(TailError::EmptyRange);
            }
        }
        let api = self.api_type.map(|a| match a {
            ApiTypeArg::Rest => ApiType::Rest,
            ApiTypeArg::Http => ApiType::Http,
        });
        let log_format = match self.log_format.as_deref() {
            Some(arg) => LogFormat::from_arg(arg, api)?,
            None => LogFormat::Auto,
        };
        let stdout_terminal = io::stdout().is_terminal();
        let options = ReadOptions {
            follow: self.follow,
            since,
            until,
            filter_pattern: self.filter_pattern.clone(),
            log_stream_names: self.log_stream_names.clone(),
            log_stream_name_prefix: self.log_stream_name_prefix.clone(),
            log_format: log_format.clone(),
            progress: !self.follow && !stdout_terminal,
            ..ReadOptions::default()
        };
        Ok(Settings {
            sources,
            options,
            printer: Printer::new(self.format, color, log_format),
            flush_each: self.follow || stdout_terminal,
        })
    }
}

/// Whether to colour: `--color`, else a terminal on stdout and no non-empty `NO_COLOR` (no-color.org).
fn use_color(choice: ColorChoice) -> bool {
    match choice {
        ColorChoice::On => true,
        ColorChoice::Off => false,
        ColorChoice::Auto => {
            io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|value| value.is_empty())
        }
    }
}

/// Runs `moatctl tail`: events to stdout, errors to stderr; the exit code as documented in the module.
pub fn run(args: &TailArgs) -> ExitCode {
    let stdout = io::stdout();
    let mut out = io::BufWriter::with_capacity(1 << 16, stdout.lock());
    match tail(args, use_color(args.color), &mut out) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("moatctl tail: {error}");
            ExitCode::from(1)
        }
    }
}

/// Prints the events of `args` to `out`. A reader that goes away (broken pipe) ends the command quietly.
///
/// # Errors
/// A bad argument, a source that cannot be read, or output that cannot be written.
pub fn tail(args: &TailArgs, color: bool, out: &mut dyn Write) -> Result<(), TailError> {
    let settings = args.settings(color, now_ms())?;
    let mut line = String::new();
    let mut write_error: Option<io::Error> = None;
    let result = read_sources(&settings.sources, &settings.options, |event| {
        line.clear();
        settings.printer.write(&event, &mut line);
        let written = out
            .write_all(line.as_bytes())
            .and_then(|()| if settings.flush_each { out.flush() } else { Ok(()) });
        match written {
            Ok(()) => ControlFlow::Continue(()),
            Err(error) => {
                write_error = Some(error);
                ControlFlow::Break(())
            }
        }
    });
    let flushed = match write_error {
        Some(error) => Err(error),
        None => out.flush(),
    };
    match flushed {
        Err(error) if error.kind() == io::ErrorKind::BrokenPipe => return Ok(()),
        Err(error) => return Err(TailError::Output(error)),
        Ok(()) => {}
    }
    result.map_err(TailError::from)
}
