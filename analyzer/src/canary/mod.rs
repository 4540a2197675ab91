//! `moatctl canary`: is the canary as good as the baseline? A judge in the manner of Kayenta's
//! `NetflixACAJudge`, over access-log lines (Moat's default format marks canary traffic with
//! `"isCanaryRequest":"true"`).
//!
//! The pipeline, one module per step:
//! 1. [`selection`]: which side a record is on ([`selection::Selector`]) and when it happened;
//! 2. [`metrics`]: the common time window, then each metric's samples per side ([`metrics::Collector`]);
//! 3. [`statistics`]: Mann-Whitney U, Hodges-Lehmann, IQR outlier fences;
//! 4. [`judge`]: per-metric classification and the weighted score ([`judge::judge`]);
//! 5. [`report`]: the table and the JSON ([`report::Report`]).
//!
//! [`config::JudgeConfig`] holds every knob; its `Default` is what runs without `--config`.
//! Exit codes of the command: 0 pass, 1 fail or marginal, 2 not enough data, 3 an error.

pub mod config;
pub mod judge;
pub mod locate;
pub mod metrics;
pub mod report;
pub mod selection;
pub mod statistics;

#[cfg(test)]
mod tests;

use std::io::{self, Write as _};
use std::ops::ControlFlow;
use std::path::PathBuf;
use std::process::ExitCode;

use config::{ConfigError, JudgeConfig};
use judge::Verdict;
use metrics::Collector;
use report::Report;
use selection::{Selector, SelectorError};

use crate::event::LogEvent;
use crate::source::{Source, SourceError};

/// Arguments of `moatctl canary`.
#[derive(Debug, Clone, clap::Args)]
pub struct CanaryArgs {
    /// The access log: a file, or `-` for stdin. JSON lines (Moat's default format, API Gateway's JSON).
    pub source: String,
    /// Records of the baseline: FIELD=VALUE or FIELD!=VALUE, comma-separated for "and"
    /// [default: isCanaryRequest=false, or the config's `baseline`].
    #[arg(long, value_name = "SELECTOR")]
    pub baseline: Option<String>,
    /// Records of the canary, same syntax [default: isCanaryRequest=true, or the config's `canary`].
    #[arg(long, value_name = "SELECTOR")]
    pub canary: Option<String>,
    /// Judge configuration (YAML): metrics, directions, groups, thresholds. See examples/moatctl/judge.yaml.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Print the report as one JSON object instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// Why `moatctl canary` could not judge.
#[derive(Debug, thiserror::Error)]
pub enum CanaryError {
    /// The judge configuration file could not be read.
    #[error("{path}: {source}")]
    ReadConfig {
        /// The file.
        path: String,
        /// The I/O error.
        source: io::Error,
    },
    /// The judge configuration is invalid.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// A selector on the command line does not parse.
    #[error("--{flag}: {source}")]
    Selector {
        /// `baseline` or `canary`.
        flag: &'static str,
        /// What is wrong.
        source: SelectorError,
    },
    /// The access log could not be read.
    #[error(transparent)]
    Source(#[from] SourceError),
    /// A record matched both selectors.
    #[error("line {line} matches both the baseline selector `{baseline}` and the canary selector `{canary}`")]
    BothSides {
        /// 1-based line number.
        line: u64,
        /// The baseline selector.
        baseline: String,
        /// The canary selector.
        canary: String,
    },
    /// The report could not be written.
    #[error("writing the report: {0}")]
    Output(#[from] io::Error),
    /// The report could not be rendered as JSON.
    #[error("rendering the report: {0}")]
    Json(#[from] serde_json::Error),
}

impl Verdict {
    /// The command's exit code for this verdict: 0 pass, 1 fail or marginal, 2 not enough data.
    #[must_use]
    pub fn exit_code(self) -> u8 {
        match self {
            Verdict::Pass => 0,
            Verdict::Marginal | Verdict::Fail => 1,
            Verdict::Nodata => 2,
        }
    }
}

/// The exit code for errors (bad config, unreadable file, overlapping selectors).
pub const ERROR_EXIT_CODE: u8 = 3;

/// Runs `moatctl canary`: judges, prints the report to stdout, returns the verdict's exit code.
///
/// # Errors
/// [`CanaryError`] for a bad configuration or selector, an unreadable source, a record on both sides.
pub fn run(args: &CanaryArgs) -> Result<ExitCode, CanaryError> {
    let config = match &args.config {
        Some(path) => {
            let shown = path.display().to_string();
            let text = std::fs::read_to_string(path).map_err(|source| CanaryError::ReadConfig {
                path: shown.clone(),
                source,
            })?;
            JudgeConfig::from_yaml(&text, &shown)?
        }
        None => JudgeConfig::default(),
    };
    let baseline = selector(args.baseline.as_deref(), &config.baseline, "baseline")?;
    let canary = selector(args.canary.as_deref(), &config.canary, "canary")?;
    let report = analyze(&Source::parse(&args.source), &config, baseline, canary)?;
    let text = if args.json {
        report.to_json()? + "\n"
    } else {
        report.to_text()
    };
    let mut stdout = io::stdout().lock();
    stdout.write_all(text.as_bytes())?;
    stdout.flush()?;
    Ok(ExitCode::from(report.verdict.exit_code()))
}

fn selector(flag: Option<&str>, configured: &str, name: &'static str) -> Result<Selector, CanaryError> {
    Selector::parse(flag.unwrap_or(configured)).map_err(|source| CanaryError::Selector { flag: name, source })
}

/// Reads `source` and judges it.
///
/// # Errors
/// [`CanaryError::Source`] when it cannot be read, [`CanaryError::BothSides`] for a record on both sides.
pub fn analyze(
    source: &Source,
    config: &JudgeConfig,
    baseline: Selector,
    canary: Selector,
) -> Result<Report, CanaryError> {
    let mut collector = Collector::new(config, baseline, canary);
    let mut line = 0;
    let mut failed = None;
    source.for_each_event(|event| {
        line += 1;
        match collector.push(line, &event) {
            Ok(()) => ControlFlow::Continue(()),
            Err(e) => {
                failed = Some(e);
                ControlFlow::Break(())
            }
        }
    })?;
    if let Some(e) = failed {
        return Err(e);
    }
    Ok(finish(config, collector))
}

/// Judges events already in memory (tests, other commands).
///
/// # Errors
/// [`CanaryError::BothSides`] for a record on both sides.
pub fn analyze_events(
    events: impl IntoIterator<Item = LogEvent>,
    config: &JudgeConfig,
    baseline: Selector,
    canary: Selector,
) -> Result<Report, CanaryError> {
    let mut collector = Collector::new(config, baseline, canary);
    for (line, event) in (1..).zip(events) {
        collector.push(line, &event)?;
    }
    Ok(finish(config, collector))
}

fn finish(config: &JudgeConfig, collector: Collector<'_>) -> Report {
    let samples = collector.finish();
    let judgement = judge::judge(config, &samples.metrics);
    Report::new(config, samples, judgement)
}
