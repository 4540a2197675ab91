//! `moatctl traces`: X-Ray traces summarised — how many, how many faulted, errored or were throttled, how
//! response times spread, which were slowest, and which statuses and URLs they had — from segment
//! documents in files or on stdin (see [`model`] for the line forms read), or from the X-Ray API
//! (`xray:`, `GetTraceSummaries` then `BatchGetTraces`, see [`api`]). `--filter` takes an X-Ray filter
//! expression ([`filter`]).

pub mod api;
pub mod filter;
pub mod model;
pub mod summary;

use std::io::{self, Write};
use std::ops::ControlFlow;

use anyhow::Context;

use self::filter::TraceFilter;
use self::model::{DocumentError, TraceSet, TraceSummary};
use self::summary::Summary;
use crate::source::{Source, SourceError};

/// Arguments of `moatctl traces`.
#[derive(Debug, Clone, clap::Args)]
pub struct TracesArgs {
    /// Segment documents: a file, `-` for stdin, or `xray:` to read traces from the X-Ray API.
    pub source: String,
    /// Keep only traces matching this X-Ray filter expression (`fault`, `responsetime > 1`,
    /// `http.url CONTAINS "/pets" AND NOT http.status = 404`, `annotation.moat_canary = true`).
    #[arg(long, value_name = "EXPR")]
    pub filter: Option<String>,
    /// Print the report as one JSON object instead of tables.
    #[arg(long)]
    pub json: bool,
    /// How many slowest traces and URLs to list.
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub top: usize,
    /// `xray:` only: start of the time range (`30m`, `2h`, `1d` ago, epoch seconds, or
    /// `2026-11-25T22:00:00Z`).
    #[arg(long, value_name = "TIME", default_value = "1h")]
    pub since: String,
    /// `xray:` only: end of the time range (default: now), in the same forms as `--since`.
    #[arg(long, value_name = "TIME")]
    pub until: Option<String>,
    /// `xray:` only: the AWS region (default: the standard chain, `AWS_REGION`).
    #[arg(long)]
    pub region: Option<String>,
    /// `xray:` only: the X-Ray endpoint, such as a `moto_server` (default: `AWS_ENDPOINT_URL`).
    #[arg(long, value_name = "URL")]
    pub endpoint_url: Option<String>,
}

/// Segment documents read from a local source, and the lines that were not documents.
#[derive(Debug, Default)]
pub struct Loaded {
    /// The traces.
    pub traces: TraceSet,
    /// Lines that held no segment document, with why.
    pub skipped: Vec<DocumentError>,
}

/// Reads every segment document of a file or stdin; blank lines are ignored, other lines that are not
/// documents are listed in [`Loaded::skipped`].
pub fn load(source: &Source) -> Result<Loaded, SourceError> {
    let mut loaded = Loaded::default();
    let mut number = 0;
    source.for_each_event(|event| {
        number += 1;
        if !event.message.trim().is_empty() {
            if let Err(e) = loaded.traces.add_line(&event.message, number) {
                loaded.skipped.push(e);
            }
        }
        ControlFlow::Continue(())
    })?;
    Ok(loaded)
}

/// The summaries of the traces `filter` keeps, in the order traces were first seen.
pub fn select(traces: &TraceSet, filter: Option<&TraceFilter>) -> Vec<TraceSummary> {
    traces
        .summaries()
        .into_iter()
        .filter(|t| filter.is_none_or(|f| f.matches(t)))
        .collect()
}

/// Runs `moatctl traces`: the report on stdout, skipped lines on stderr.
pub fn run(args: &TracesArgs) -> anyhow::Result<()> {
    let filter = args
        .filter
        .as_deref()
        .map(TraceFilter::parse)
        .transpose()
        .context("--filter")?;
    let traces = if let Some(rest) = args.source.strip_prefix("xray:") {
        if !rest.is_empty() {
            anyhow::bail!(
                "source {:?}: write `xray:` alone; choose the region with --region",
                args.source
            );
        }
        api::load(args)?
    } else {
        let loaded = load(&Source::parse(&args.source))?;
        if let Some(first) = loaded.skipped.first() {
            eprintln!(
                "moatctl traces: skipped {} line(s) that are not segment documents; first: {first}",
                loaded.skipped.len()
            );
        }
        loaded.traces
    };
    let selected = select(&traces, filter.as_ref());
    let summary = Summary::of(&selected, args.top);
    let mut stdout = io::stdout().lock();
    if args.json {
        serde_json::to_writer(&mut stdout, &summary)?;
        writeln!(stdout)?;
    } else {
        stdout.write_all(summary.to_table().as_bytes())?;
    }
    stdout.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests;
