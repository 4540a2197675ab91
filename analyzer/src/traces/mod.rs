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
use moat_telemetry::aws::AwsSettings;

use self::filter::TraceFilter;
use self::model::{DocumentError, TraceSet, TraceSummary};
use self::summary::Summary;
use crate::source::{Source, SourceError};

/// How far back `xray:` reads without `--since`: one hour.
const DEFAULT_XRAY_RANGE_SECS: i64 = 3_600;

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
    /// Only traces that start at or after this time: `30s`, `10m`, `2h`, `1d`, `1w` ago, epoch seconds, or
    /// `2026-11-25T22:00:00Z` (default: everything in a file; the last hour from `xray:`).
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,
    /// Only traces that start at or before this time, in the same forms as `--since` (default: now).
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
    // The time arguments every moatctl command takes, in epoch seconds as X-Ray counts.
    let now_ms = crate::event::time::now_ms();
    let time = |flag: &str, text: &Option<String>| {
        text.as_deref()
            .map(|t| crate::source::parse_time_arg(t, now_ms).map(|ms| ms.div_euclid(1000)))
            .transpose()
            .with_context(|| flag.to_owned())
    };
    let (since, until) = (time("--since", &args.since)?, time("--until", &args.until)?);
    if let (Some(since), Some(until)) = (since, until) {
        anyhow::ensure!(since < until, "--since ({since}) is not before --until ({until})");
    }
    let traces = if let Some(rest) = args.source.strip_prefix("xray:") {
        if !rest.is_empty() {
            anyhow::bail!(
                "source {:?}: write `xray:` alone; choose the region with --region",
                args.source
            );
        }
        let end = until.unwrap_or(now_ms.div_euclid(1000));
        let start = since.unwrap_or(end - DEFAULT_XRAY_RANGE_SECS);
        anyhow::ensure!(start < end, "--since ({start}) is not before --until ({end})");
        let settings = AwsSettings {
            region: args.region.clone(),
            endpoint_url: args.endpoint_url.clone(),
            ..Default::default()
        };
        api::load(start, end, &settings)?
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
    let in_range = |t: &TraceSummary| {
        since.is_none_or(|s| t.start_time >= s as f64) && until.is_none_or(|u| t.start_time <= u as f64)
    };
    let selected: Vec<TraceSummary> = select(&traces, filter.as_ref()).into_iter().filter(in_range).collect();
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
