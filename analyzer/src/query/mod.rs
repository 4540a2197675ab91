//! `moatctl query`: a CloudWatch Logs Insights engine over local files, stdin and CloudWatch Logs.
//!
//! A query is parsed ([`parser`]), compiled into a [`plan::Plan`] (names to row slots, functions looked up,
//! regexes built), then executed ([`executor`]): local files in parallel chunks with per-worker aggregation, other
//! sources line by line; `cloudwatch:GROUP` sources run the query in CloudWatch Logs itself ([`cloudwatch`]).
//! Results go to an [`output::Writer`] as a table, JSON Lines or CSV.
//!
//! Other modules can run a query over events they hold with [`query_events`].

pub mod aggregate;
pub mod ast;
pub mod cloudwatch;
pub mod error;
pub mod executor;
pub mod expr;
pub mod functions;
pub mod lexer;
pub mod output;
pub mod parser;
pub mod plan;
pub mod scan;
pub mod stages;
pub mod tail;
pub mod value;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_execution;

use std::io::{self, Write};
use std::path::PathBuf;

pub use error::QueryError;
pub use executor::{Data, RunOptions, Summary};
pub use output::{Format, RowWriter, Writer};
pub use plan::Plan;
pub use value::Val;

use crate::event::LogEvent;
use crate::source::Source;

/// The prefix of a CloudWatch Logs source: `cloudwatch:GROUP`.
pub const CLOUDWATCH_PREFIX: &str = "cloudwatch:";

/// Arguments of `moatctl query`.
#[derive(Debug, Clone, clap::Args)]
pub struct Args {
    /// Where to read: a file, `-` for stdin, or `cloudwatch:LOG_GROUP` to run the query in CloudWatch Logs.
    pub source: String,
    /// The Logs Insights query, e.g. 'stats count(*) by status'.
    pub query: String,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Same as `--format json` (the flag every moatctl command takes).
    #[arg(long, conflicts_with = "format")]
    pub json: bool,
    /// Only events at or after this time: `15m`, `2h ago`, `1d`, `now`, an ISO 8601 time, or epoch
    /// milliseconds. CloudWatch sources default to the last hour.
    #[arg(long)]
    pub since: Option<String>,
    /// Only events at or before this time (same forms as --since).
    #[arg(long)]
    pub until: Option<String>,
    /// Worker threads for local files (default: the available cores).
    #[arg(long)]
    pub threads: Option<usize>,
}

/// Parses and compiles a query.
pub fn compile(query: &str, want_timestamp: bool) -> Result<Plan, QueryError> {
    let parsed = parser::parse_query(query)?;
    plan::compile(&parsed, query, want_timestamp)
}

/// The `(name, slot)` pairs of a plan's result columns.
pub fn columns(plan: &Plan) -> Vec<(String, usize)> {
    plan.columns
        .iter()
        .map(|slot| (plan.names[*slot].clone(), *slot))
        .collect()
}

/// A query's result held in memory.
#[derive(Debug, Clone, PartialEq)]
pub struct QueryResult {
    /// Column names.
    pub columns: Vec<String>,
    /// Rows, values in column order.
    pub rows: Vec<Vec<Val<'static>>>,
}

struct Collect {
    slots: Vec<usize>,
    rows: Vec<Vec<Val<'static>>>,
}

impl RowWriter for Collect {
    fn write(&mut self, row: &[Val<'static>]) -> io::Result<()> {
        self.rows.push(
            self.slots
                .iter()
                .map(|s| row.get(*s).cloned().unwrap_or(Val::Null))
                .collect(),
        );
        Ok(())
    }

    fn finish(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Runs a query over events in memory and returns the result rows.
pub fn query_events(query: &str, events: impl IntoIterator<Item = LogEvent>) -> Result<QueryResult, QueryError> {
    let plan = compile(query, false)?;
    let cols = columns(&plan);
    let mut collect = Collect {
        slots: cols.iter().map(|(_, s)| *s).collect(),
        rows: Vec::new(),
    };
    let mut events = events.into_iter();
    executor::run_events(&plan, &RunOptions::default(), &mut collect, |each| {
        for event in events.by_ref() {
            if !each(event) {
                break;
            }
        }
        Ok(())
    })?;
    Ok(QueryResult {
        columns: cols.into_iter().map(|(n, _)| n).collect(),
        rows: collect.rows,
    })
}

/// Runs a query over local bytes with the parallel chunked executor (benchmarks and tests).
pub fn query_bytes(query: &str, bytes: &[u8], options: &RunOptions) -> Result<QueryResult, QueryError> {
    let plan = compile(query, options.since.is_some() || options.until.is_some())?;
    let cols = columns(&plan);
    let mut collect = Collect {
        slots: cols.iter().map(|(_, s)| *s).collect(),
        rows: Vec::new(),
    };
    executor::run_local(&plan, &Data::Memory(bytes), options, &mut collect)?;
    Ok(QueryResult {
        columns: cols.into_iter().map(|(n, _)| n).collect(),
        rows: collect.rows,
    })
}

/// Runs `moatctl query`: results to stdout, notes to stderr.
pub fn run(args: &Args) -> Result<Summary, QueryError> {
    let now = now_millis();
    let since = args.since.as_deref().map(|s| parse_when(s, now)).transpose()?;
    let until = args.until.as_deref().map(|s| parse_when(s, now)).transpose()?;
    let stdout = io::stdout();
    let format = if args.json { Format::Json } else { args.format };
    if let Some(group) = args.source.strip_prefix(CLOUDWATCH_PREFIX) {
        // Checked locally first, so a typo is reported with its position before any request is made.
        compile(&args.query, false)?;
        let start = since.unwrap_or(now - 3_600_000);
        let end = until.unwrap_or(now);
        return cloudwatch::run(group, &args.query, start, end, format, stdout.lock());
    }
    let plan = compile(&args.query, since.is_some() || until.is_some())?;
    let mut writer = Writer::new(
        format,
        columns(&plan),
        io::BufWriter::with_capacity(1 << 16, stdout.lock()),
    );
    let workers = args
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .max(1);
    let mut options = RunOptions {
        workers,
        since,
        until,
        log: Some(args.source.clone()),
        ..RunOptions::default()
    };
    let source = Source::parse(&args.source);
    let summary = match &source {
        // Plain files take the parallel chunked path; gzip, globs and stdin stream through the source.
        Source::File(path) if is_regular_file(path) && !crate::source::is_gzip(path).unwrap_or(true) => {
            options.log_stream = Some(path.display().to_string());
            executor::run_local(&plan, &Data::File(path.clone()), &options, &mut writer)?
        }
        _ => executor::run_events(&plan, &options, &mut writer, |each| {
            let label: std::sync::Arc<str> = args.source.as_str().into();
            source.for_each_event(|mut event| {
                event.log_group.get_or_insert_with(|| label.clone());
                if each(event) {
                    std::ops::ControlFlow::Continue(())
                } else {
                    std::ops::ControlFlow::Break(())
                }
            })?;
            Ok(())
        })?,
    };
    writer.into_inner().flush().map_err(QueryError::Output)?;
    if summary.truncated {
        eprintln!(
            "moatctl query: showing the first {} rows (Logs Insights' default limit); add `| limit N` for another cap",
            plan::DEFAULT_LIMIT
        );
    }
    Ok(summary)
}

fn is_regular_file(path: &PathBuf) -> bool {
    std::fs::metadata(path).is_ok_and(|m| m.is_file())
}

fn now_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// A `--since` / `--until` argument (the grammar every moatctl command takes) as epoch milliseconds.
pub fn parse_when(text: &str, now_ms: i64) -> Result<i64, QueryError> {
    crate::source::parse_time_arg(text, now_ms).map_err(|e| QueryError::Usage(e.to_string()))
}
