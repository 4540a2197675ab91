//! The canary report: a table per metric with the score and verdict for people, the same as one JSON object
//! (`--json`) for pipelines.

use std::fmt::Write as _;

use serde::Serialize;

use super::config::{JudgeConfig, MetricKind, Thresholds};
use super::judge::{label, Judgement, MetricResult, Verdict};
use super::metrics::Samples;
use super::selection::format_time;

/// Everything `moatctl canary` found.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// The verdict: `pass`, `marginal`, `fail` or `nodata`.
    pub verdict: Verdict,
    /// The score, 0 to 100.
    pub score: f64,
    /// Why this verdict.
    pub reason: String,
    /// The thresholds applied.
    pub thresholds: Thresholds,
    /// The judge settings applied (for reproducing the verdict).
    pub settings: Settings,
    /// The baseline selector.
    pub baseline: String,
    /// The canary selector.
    pub canary: String,
    /// The common time window compared, RFC 3339.
    pub window: Option<Window>,
    /// Requests per side in the window.
    pub requests: Requests,
    /// What was read.
    pub input: Input,
    /// Per metric.
    pub metrics: Vec<MetricResult>,
    /// Metrics left out, with the reason.
    pub omitted: Vec<super::judge::OmittedMetric>,
    /// Per group.
    pub groups: Vec<super::judge::GroupScore>,
    /// Things worth knowing about the input.
    pub notes: Vec<String>,
}

/// The judge settings a report was made with.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Settings {
    /// Confidence level of the shift interval.
    pub confidence: f64,
    /// Kayenta's tolerance on the interval.
    pub tolerance: f64,
    /// Requests per bucket.
    pub bucket_requests: usize,
    /// Samples per side below which a metric has no data.
    pub min_samples: usize,
}

/// A time window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Window {
    /// First request time, RFC 3339.
    pub start: String,
    /// Last request time, RFC 3339.
    pub end: String,
}

/// Requests per side.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Requests {
    /// Baseline requests in the window.
    pub baseline: usize,
    /// Canary requests in the window.
    pub canary: usize,
}

/// Line counts of the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Input {
    /// Lines read.
    pub lines: u64,
    /// Lines that are not JSON objects.
    pub not_json: u64,
    /// Records neither selector matched.
    pub unselected: u64,
    /// Selected records without a usable time.
    pub no_time: u64,
}

impl Report {
    /// Assembles the report of a judgement over `samples`.
    #[must_use]
    pub fn new(config: &JudgeConfig, samples: Samples, judgement: Judgement) -> Report {
        let mut notes = samples.notes;
        let counts = samples.counts;
        if counts.not_json > 0 {
            notes.push(format!(
                "{} line(s) are not JSON objects and were skipped",
                counts.not_json
            ));
        }
        if let Some((line, why)) = &counts.first_bad_time {
            notes.push(format!(
                "{} selected record(s) have no usable time (first: line {line}: {why})",
                counts.no_time
            ));
        }
        for omitted in &judgement.omitted {
            notes.push(format!("{} omitted: {}", omitted.name, omitted.reason));
        }
        Report {
            verdict: judgement.verdict,
            score: judgement.score,
            reason: judgement.reason,
            thresholds: config.thresholds,
            settings: Settings {
                confidence: config.confidence,
                tolerance: config.tolerance,
                bucket_requests: config.bucket_requests,
                min_samples: config.min_samples,
            },
            baseline: samples.baseline,
            canary: samples.canary,
            window: samples.window.map(|(start, end)| Window {
                start: format_time(start),
                end: format_time(end),
            }),
            requests: Requests {
                baseline: samples.requests.0,
                canary: samples.requests.1,
            },
            input: Input {
                lines: counts.lines,
                not_json: counts.not_json,
                unselected: counts.unselected,
                no_time: counts.no_time,
            },
            metrics: judgement.metrics,
            omitted: judgement.omitted,
            groups: judgement.groups,
            notes,
        }
    }

    /// The report as one JSON object.
    ///
    /// # Errors
    /// Never in practice (every field serializes); serde's error otherwise.
    pub fn to_json(&self) -> Result<String, serde_json::Error> {
        serde_json::to_string_pretty(self)
    }

    /// The report as a table with the score and verdict below it.
    #[must_use]
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let window = self.window.as_ref().map_or("no common time window".to_owned(), |w| {
            format!("{} .. {}", w.start, w.end)
        });
        let _ = writeln!(
            out,
            "baseline `{}`: {} requests, canary `{}`: {} requests, {window}",
            self.baseline, self.requests.baseline, self.canary, self.requests.canary
        );
        let _ = writeln!(out);
        let header = [
            "METRIC",
            "BASELINE",
            "CANARY",
            "SAMPLES",
            "P-VALUE",
            "SHIFT [INTERVAL]",
            "EFFECT",
            "RESULT",
        ];
        let mut rows: Vec<[String; 8]> = vec![header.map(str::to_owned)];
        for metric in &self.metrics {
            rows.push(row(metric));
        }
        let mut widths = [0; 8];
        for row in &rows {
            for (width, cell) in widths.iter_mut().zip(row) {
                *width = (*width).max(cell.chars().count());
            }
        }
        for row in &rows {
            let mut line = String::new();
            for (i, (cell, width)) in row.iter().zip(widths).enumerate() {
                if i + 1 == row.len() {
                    line.push_str(cell);
                } else {
                    let _ = write!(line, "{cell:<width$}  ");
                }
            }
            let _ = writeln!(out, "{}", line.trim_end());
        }
        let _ = writeln!(out);
        for group in &self.groups {
            let _ = writeln!(
                out,
                "group {}: {:.2} (weight {:.2}; {} pass, {} high/low, {} nodata)",
                group.name, group.score, group.weight, group.pass, group.failed, group.nodata
            );
        }
        for note in &self.notes {
            let _ = writeln!(out, "note: {note}");
        }
        let verdict = match self.verdict {
            Verdict::Pass => "PASS",
            Verdict::Marginal => "MARGINAL",
            Verdict::Fail => "FAIL",
            Verdict::Nodata => "NOT ENOUGH DATA",
        };
        let _ = writeln!(
            out,
            "score {:.2} / 100 (pass >= {}, marginal >= {}): {verdict}: {}",
            self.score, self.thresholds.pass, self.thresholds.marginal, self.reason
        );
        out
    }
}

fn row(metric: &MetricResult) -> [String; 8] {
    let unit = Unit::of(metric);
    let side = |value: Option<f64>| value.map_or("-".to_owned(), |v| unit.value(v));
    let result = if metric.critical_failure {
        format!("{} (critical)", label(metric.classification).to_uppercase())
    } else {
        label(metric.classification).to_uppercase()
    };
    [
        metric.name.clone(),
        side(metric.baseline.value),
        side(metric.canary.value),
        format!("{}/{}", metric.baseline.samples, metric.canary.samples),
        metric.p_value.map_or("-".to_owned(), |p| {
            if p < 1e-4 {
                format!("{p:.1e}")
            } else {
                format!("{p:.4}")
            }
        }),
        metric.shift.map_or("-".to_owned(), |s| {
            format!(
                "{} [{}, {}]",
                unit.shift(s.estimate),
                unit.shift(s.lower),
                unit.shift(s.upper)
            )
        }),
        metric.effect_size.map_or("-".to_owned(), |e| format!("{e:.2}x")),
        result,
    ]
}

#[derive(Clone, Copy)]
enum Unit {
    Rate,
    Millis,
    Plain,
}

impl Unit {
    fn of(metric: &MetricResult) -> Unit {
        match metric.kind {
            MetricKind::StatusRate | MetricKind::MatchRate => Unit::Rate,
            _ if metric.field.to_ascii_lowercase().ends_with("latency") => Unit::Millis,
            _ => Unit::Plain,
        }
    }

    fn value(self, v: f64) -> String {
        match self {
            Unit::Rate => format!("{:.2}%", v * 100.0),
            Unit::Millis => format!("{v:.1} ms"),
            Unit::Plain => format!("{v:.3}"),
        }
    }

    fn shift(self, v: f64) -> String {
        let v = if v == 0.0 { 0.0 } else { v };
        match self {
            Unit::Rate => format!("{:+.2}pp", v * 100.0),
            Unit::Millis => format!("{v:+.1}ms"),
            Unit::Plain => format!("{v:+.3}"),
        }
    }
}
