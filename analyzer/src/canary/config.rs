//! The judge configuration (`--config judge.yaml`): what to compare and how strictly. Every field has a
//! default, so an empty file (or no file) is [`JudgeConfig::default`]; `examples/moatctl/judge.yaml` spells the
//! defaults out. Unknown keys are rejected; a bad value is reported with its key path and line, and all
//! semantic problems are reported together.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use super::locate::Lines;

/// The whole judge configuration.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct JudgeConfig {
    /// The baseline selector when `--baseline` is not given (default `isCanaryRequest=false`).
    pub baseline: String,
    /// The canary selector when `--canary` is not given (default `isCanaryRequest=true`).
    pub canary: String,
    /// Confidence level of the Mann-Whitney interval, in (0, 1); Kayenta's judge uses 0.98.
    pub confidence: f64,
    /// Kayenta's `tolerance`: the interval must clear `tolerance * |shift estimate|`, not just zero (0.25).
    pub tolerance: f64,
    /// Requests per bucket for rate and percentile metrics (100).
    pub bucket_requests: usize,
    /// Samples each side needs for a metric to be judged; fewer is `nodata` (30).
    pub min_samples: usize,
    /// Score thresholds.
    pub thresholds: Thresholds,
    /// Group weights (percent). Groups without a weight share what is left of 100.
    pub groups: BTreeMap<String, f64>,
    /// The metrics; when given, the list replaces the default list entirely.
    pub metrics: Vec<MetricConfig>,
}

/// Score thresholds, Kayenta's `pass` and `marginal`.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Thresholds {
    /// A score at or above this passes (95).
    pub pass: f64,
    /// A score at or above this (and below `pass`) is marginal, below it fails (75).
    pub marginal: f64,
}

impl Default for Thresholds {
    fn default() -> Thresholds {
        Thresholds {
            pass: 95.0,
            marginal: 75.0,
        }
    }
}

/// What a metric measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MetricKind {
    /// Share of requests whose status is in `statuses`, per bucket.
    StatusRate,
    /// Share of requests whose `field` equals `equals`, per bucket.
    MatchRate,
    /// The `percentile` of a numeric `field`, per bucket.
    Percentile,
    /// Every request's numeric `field` value (the distribution itself).
    Distribution,
}

/// Which change is a failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Only an increase fails (latency, error rates).
    Increase,
    /// Only a decrease fails (throughput, success rates).
    Decrease,
    /// Either fails.
    Either,
}

/// One metric to compare.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct MetricConfig {
    /// Shown in the report; unique.
    pub name: String,
    /// What it measures.
    pub kind: MetricKind,
    /// The record field read (default `status` for `status_rate`, `responseLatency` for `percentile` and
    /// `distribution`; required for `match_rate`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// `status_rate`: status classes (`4xx`, `5xx`) or codes (`503`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub statuses: Vec<String>,
    /// `match_rate`: the value that counts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub equals: Option<String>,
    /// `percentile`: which one, in (0, 100].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub percentile: Option<f64>,
    /// Which change fails (default `either`, as in Kayenta).
    #[serde(default = "default_direction")]
    pub direction: Direction,
    /// The group the metric scores in (default `default`).
    #[serde(default = "default_group")]
    pub group: String,
    /// A critical metric that fails fails the whole run (score 0).
    #[serde(default)]
    pub critical: bool,
    /// Outlier handling before the test.
    #[serde(default)]
    pub outliers: Outliers,
    /// Effect-size tolerances.
    #[serde(default)]
    pub effect_size: EffectSize,
}

fn default_direction() -> Direction {
    Direction::Either
}

fn default_group() -> String {
    "default".to_owned()
}

/// Outlier handling, Kayenta's `outliers`.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Outliers {
    /// `keep` (default) or `remove`.
    pub strategy: OutlierStrategy,
    /// Tukey's factor `k` of the IQR fences (3.0, Kayenta's default).
    pub factor: f64,
}

impl Default for Outliers {
    fn default() -> Outliers {
        Outliers {
            strategy: OutlierStrategy::Keep,
            factor: 3.0,
        }
    }
}

/// Whether outliers are removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OutlierStrategy {
    /// Use every sample.
    Keep,
    /// Drop samples outside the IQR fences (widened to the 1st/99th percentiles, as Kayenta's judge does).
    Remove,
}

/// Effect-size tolerances on the mean ratio canary / baseline, Kayenta's `effectSize`.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct EffectSize {
    /// A significant increase is `high` only when the ratio is at least this (1.0).
    pub allowed_increase: f64,
    /// A significant decrease is `low` only when the ratio is at most this (1.0).
    pub allowed_decrease: f64,
    /// A critical metric's `high` fails the run only when the ratio is at least this (1.0).
    pub critical_increase: f64,
    /// A critical metric's `low` fails the run only when the ratio is at most this (1.0).
    pub critical_decrease: f64,
}

impl Default for EffectSize {
    fn default() -> EffectSize {
        EffectSize {
            allowed_increase: 1.0,
            allowed_decrease: 1.0,
            critical_increase: 1.0,
            critical_decrease: 1.0,
        }
    }
}

impl MetricConfig {
    /// The field this metric reads, with the per-kind default.
    #[must_use]
    pub fn field(&self) -> &str {
        match (&self.field, self.kind) {
            (Some(field), _) => field,
            (None, MetricKind::StatusRate) => "status",
            (None, MetricKind::Percentile | MetricKind::Distribution) => "responseLatency",
            (None, MetricKind::MatchRate) => "",
        }
    }

    /// Whether a status code counts for a `status_rate` metric.
    #[must_use]
    pub fn counts_status(&self, status: u16) -> bool {
        self.statuses
            .iter()
            .any(|s| StatusPattern::parse(s).is_some_and(|p| p.matches(status)))
    }

    fn latency(name: &str, kind: MetricKind, percentile: Option<f64>, critical: bool) -> MetricConfig {
        MetricConfig {
            name: name.to_owned(),
            kind,
            field: Some("responseLatency".to_owned()),
            statuses: Vec::new(),
            equals: None,
            percentile,
            direction: Direction::Increase,
            group: "latency".to_owned(),
            critical,
            outliers: Outliers::default(),
            effect_size: EffectSize {
                allowed_increase: 1.05,
                critical_increase: if critical { 1.2 } else { 1.0 },
                ..EffectSize::default()
            },
        }
    }

    fn errors(name: &str, statuses: &[&str], critical: bool) -> MetricConfig {
        MetricConfig {
            name: name.to_owned(),
            kind: MetricKind::StatusRate,
            field: Some("status".to_owned()),
            statuses: statuses.iter().map(|s| (*s).to_owned()).collect(),
            equals: None,
            percentile: None,
            direction: Direction::Increase,
            group: "errors".to_owned(),
            critical,
            outliers: Outliers::default(),
            effect_size: EffectSize::default(),
        }
    }
}

/// A `status_rate` entry: a class (`5xx`) or one code (`503`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StatusPattern {
    Class(u16),
    Code(u16),
}

impl StatusPattern {
    fn parse(text: &str) -> Option<StatusPattern> {
        let bytes = text.as_bytes();
        match bytes {
            [c @ b'1'..=b'5', b'x' | b'X', b'x' | b'X'] => Some(StatusPattern::Class(u16::from(c - b'0'))),
            [b'1'..=b'5', b'0'..=b'9', b'0'..=b'9'] => text.parse().ok().map(StatusPattern::Code),
            _ => None,
        }
    }

    fn matches(self, status: u16) -> bool {
        match self {
            StatusPattern::Class(class) => status / 100 == class,
            StatusPattern::Code(code) => status == code,
        }
    }
}

impl Default for JudgeConfig {
    fn default() -> JudgeConfig {
        let mut waf = MetricConfig::errors("waf_block_rate", &[], false);
        waf.kind = MetricKind::MatchRate;
        waf.field = Some("wafResponseCode".to_owned());
        waf.equals = Some("WAF_BLOCK".to_owned());
        JudgeConfig {
            baseline: "isCanaryRequest=false".to_owned(),
            canary: "isCanaryRequest=true".to_owned(),
            confidence: 0.98,
            tolerance: 0.25,
            bucket_requests: 100,
            min_samples: 30,
            thresholds: Thresholds::default(),
            groups: [("errors".to_owned(), 50.0), ("latency".to_owned(), 50.0)]
                .into_iter()
                .collect(),
            metrics: vec![
                MetricConfig::errors("error_rate", &["4xx", "5xx"], false),
                MetricConfig::errors("server_error_rate", &["5xx"], true),
                MetricConfig::errors("client_error_rate", &["4xx"], false),
                waf,
                MetricConfig::latency("latency", MetricKind::Distribution, None, false),
                MetricConfig::latency("latency_p50", MetricKind::Percentile, Some(50.0), false),
                MetricConfig::latency("latency_p90", MetricKind::Percentile, Some(90.0), false),
                MetricConfig::latency("latency_p99", MetricKind::Percentile, Some(99.0), true),
            ],
        }
    }
}

/// A judge configuration that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file is not valid YAML for this schema.
    #[error("{file}:{}: {message}", line.map_or_else(|| "?".to_owned(), |l| l.to_string()))]
    Syntax {
        /// The file name as given.
        file: String,
        /// The line of the problem, when known.
        line: Option<usize>,
        /// What is wrong, with the key path.
        message: String,
    },
    /// Values that parse but make no sense, all of them.
    #[error("{file}: {} problem(s):\n{}", problems.len(), Problems(problems))]
    Invalid {
        /// The file name as given.
        file: String,
        /// Every problem, each naming its key and line.
        problems: Vec<Problem>,
    },
}

struct Problems<'a>(&'a [Problem]);

impl fmt::Display for Problems<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, problem) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "  - {problem}")?;
        }
        Ok(())
    }
}

impl JudgeConfig {
    /// Parses and validates a YAML (or JSON) judge configuration; `file` names it in errors.
    ///
    /// # Errors
    /// [`ConfigError::Syntax`] with the key path and line of the first bad key or value,
    /// [`ConfigError::Invalid`] with every semantic problem.
    pub fn from_yaml(text: &str, file: &str) -> Result<JudgeConfig, ConfigError> {
        let config = if text.trim().is_empty() {
            JudgeConfig::default()
        } else {
            serde_yaml::from_str::<JudgeConfig>(text).map_err(|e| {
                // serde_yaml names the key path itself ("thresholds: unknown field `pas`, ..."); the position
                // suffix is dropped because the line is reported separately.
                let mut message = e.to_string();
                if let Some(at) = message.find(" at line ") {
                    message.truncate(at);
                }
                ConfigError::Syntax {
                    file: file.to_owned(),
                    line: e.location().map(|l| l.line()),
                    message,
                }
            })?
        };
        let mut problems = config.problems();
        if !problems.is_empty() {
            let lines = Lines::index(text);
            for problem in &mut problems {
                problem.line = lines.of(&problem.path);
            }
            problems.sort_by_key(|p| p.line.unwrap_or(usize::MAX));
        }
        if problems.is_empty() {
            Ok(config)
        } else {
            Err(ConfigError::Invalid {
                file: file.to_owned(),
                problems,
            })
        }
    }

    /// Every semantic problem of this configuration, each naming its key (empty when it is usable); lines are
    /// filled in by [`JudgeConfig::from_yaml`].
    #[must_use]
    pub fn problems(&self) -> Vec<Problem> {
        let mut out = Vec::new();
        let mut push = |path: &str, message: String| out.push(Problem::new(path.to_owned(), path, &message));
        if !(self.confidence > 0.0 && self.confidence < 1.0) {
            push(
                "confidence",
                format!("{} is not between 0 and 1 (exclusive)", self.confidence),
            );
        }
        if !(self.tolerance >= 0.0 && self.tolerance.is_finite()) {
            push("tolerance", format!("{} is not a finite number >= 0", self.tolerance));
        }
        if self.bucket_requests == 0 {
            push("bucket_requests", "must be at least 1".to_owned());
        }
        if self.min_samples < 2 {
            push("min_samples", format!("{} is below 2", self.min_samples));
        }
        let Thresholds { pass, marginal } = self.thresholds;
        if !((0.0..=100.0).contains(&marginal) && (0.0..=100.0).contains(&pass) && marginal <= pass) {
            push(
                "thresholds",
                format!("need 0 <= marginal ({marginal}) <= pass ({pass}) <= 100"),
            );
        }
        for (group, weight) in &self.groups {
            if !(*weight >= 0.0 && weight.is_finite()) {
                push(
                    &format!("groups.{group}"),
                    format!("weight {weight} is not a finite number >= 0"),
                );
            }
        }
        let total: f64 = self.groups.values().sum();
        if total > 100.0 + 1e-9 {
            push("groups", format!("weights add up to {total}, more than 100"));
        }
        for (selector, key) in [(&self.baseline, "baseline"), (&self.canary, "canary")] {
            if let Err(e) = super::selection::Selector::parse(selector) {
                push(key, e.to_string());
            }
        }
        if self.metrics.is_empty() {
            push("metrics", "the list is empty; leave it out for the defaults".to_owned());
        }
        for (i, metric) in self.metrics.iter().enumerate() {
            metric_problems(i, metric, &self.metrics[..i], &mut out);
        }
        out
    }
}

/// One semantic problem of a judge configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The key path, as `metrics[1].percentile`.
    pub path: String,
    /// The key's line in the file, when known.
    pub line: Option<usize>,
    /// What is wrong, starting with the key (and, for a metric, its name).
    pub message: String,
}

impl Problem {
    fn new(path: String, label: &str, message: &str) -> Problem {
        Problem {
            path,
            line: None,
            message: format!("{label}: {message}"),
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "line {line}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

fn metric_problems(i: usize, metric: &MetricConfig, before: &[MetricConfig], out: &mut Vec<Problem>) {
    let mut push = |key: &str, message: String| {
        let label = format!("metrics[{i}] ({}).{key}", metric.name);
        out.push(Problem::new(format!("metrics[{i}].{key}"), &label, &message));
    };
    if metric.name.trim().is_empty() {
        push("name", "empty".to_owned());
    }
    if before.iter().any(|m| m.name == metric.name) {
        push("name", "another metric has this name".to_owned());
    }
    if metric.field.as_deref().is_some_and(|f| f.trim().is_empty()) {
        push("field", "empty".to_owned());
    }
    match metric.kind {
        MetricKind::StatusRate => {
            if metric.statuses.is_empty() {
                push(
                    "statuses",
                    "a status_rate needs at least one class (5xx) or code (503)".to_owned(),
                );
            }
            for status in &metric.statuses {
                if StatusPattern::parse(status).is_none() {
                    push(
                        "statuses",
                        format!("`{status}` is neither a class like 5xx nor a code like 503"),
                    );
                }
            }
        }
        MetricKind::MatchRate => {
            if metric.field.is_none() {
                push("field", "a match_rate needs the field to compare".to_owned());
            }
            if metric.equals.is_none() {
                push("equals", "a match_rate needs the value that counts".to_owned());
            }
        }
        MetricKind::Percentile => match metric.percentile {
            Some(p) if p > 0.0 && p <= 100.0 => {}
            Some(p) => push("percentile", format!("{p} is not in (0, 100]")),
            None => push("percentile", "a percentile metric needs it (for example 99)".to_owned()),
        },
        MetricKind::Distribution => {}
    }
    let kind = metric.kind;
    if kind != MetricKind::StatusRate && !metric.statuses.is_empty() {
        push("statuses", "only for status_rate".to_owned());
    }
    if kind != MetricKind::MatchRate && metric.equals.is_some() {
        push("equals", "only for match_rate".to_owned());
    }
    if kind != MetricKind::Percentile && metric.percentile.is_some() {
        push("percentile", "only for percentile".to_owned());
    }
    if !(metric.outliers.factor > 0.0 && metric.outliers.factor.is_finite()) {
        push(
            "outliers.factor",
            format!("{} is not a finite number > 0", metric.outliers.factor),
        );
    }
    let e = metric.effect_size;
    for (value, key) in [
        (e.allowed_increase, "allowed_increase"),
        (e.allowed_decrease, "allowed_decrease"),
        (e.critical_increase, "critical_increase"),
        (e.critical_decrease, "critical_decrease"),
    ] {
        if !(value > 0.0 && value.is_finite()) {
            push(
                &format!("effect_size.{key}"),
                format!("{value} is not a finite ratio > 0"),
            );
        }
    }
}
