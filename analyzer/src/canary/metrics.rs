//! From access-log lines to the samples each metric compares.
//!
//! A [`Collector`] takes events one by one: it parses the JSON record, puts it on the baseline or canary side
//! by the selectors, takes its time and reads one observation per metric (a 0/1 indicator for rates, a number
//! for latencies). [`Collector::finish`] keeps only the time range both sides cover, orders each side by time
//! (ties by a hash of the line, so the input order never matters) and forms the samples:
//!
//! - `distribution`: every request's value;
//! - `status_rate`, `match_rate`, `percentile`: the side's observations cut into consecutive buckets of
//!   `bucket_requests` (the trailing partial bucket is dropped), one value per bucket: the bucket's rate or
//!   percentile. Both sides use the same bucket size, so a per-bucket p99 has the same sampling distribution on
//!   both sides however the traffic is split; Mann-Whitney then compares the two sets of bucket values, as
//!   Kayenta compares two time series of a metric.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};

use super::config::{JudgeConfig, MetricConfig, MetricKind};
use super::selection::{field_text, request_time_ms, Selector};
use super::statistics::{mean, percentile_sorted, sorted};
use super::CanaryError;
use crate::event::LogEvent;
use crate::record::Record;

/// Which side a request is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// The current version.
    Baseline,
    /// The new version.
    Canary,
}

/// One side's selected requests, column by column: time, tie-breaker, and a row of one observation per
/// metric (NaN where there is none; observations themselves are always finite). No allocation per request.
#[derive(Debug, Default)]
struct SideBuffer {
    times: Vec<i64>,
    keys: Vec<u64>,
    values: Vec<f64>,
}

impl SideBuffer {
    fn len(&self) -> usize {
        self.times.len()
    }

    fn range(&self) -> Option<(i64, i64)> {
        Some((*self.times.iter().min()?, *self.times.iter().max()?))
    }

    /// The indices of the requests in `window` (all when `None`), ordered by time, then by the hash of the line.
    fn order(&self, window: Option<(i64, i64)>) -> Vec<usize> {
        let mut order: Vec<usize> = (0..self.len())
            .filter(|&i| window.is_none_or(|(start, end)| (start..=end).contains(&self.times[i])))
            .collect();
        order.sort_unstable_by_key(|&i| (self.times[i], self.keys[i]));
        order
    }

    /// Metric `index`'s observations of the requests in `order`.
    fn column(&self, order: &[usize], width: usize, index: usize) -> Vec<f64> {
        order
            .iter()
            .map(|&i| self.values[i * width + index])
            .filter(|v| !v.is_nan())
            .collect()
    }
}

/// What was read, for the report's notes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InputCounts {
    /// Lines read.
    pub lines: u64,
    /// Lines that are not JSON objects (skipped; blank lines are not counted).
    pub not_json: u64,
    /// JSON records neither selector matched.
    pub unselected: u64,
    /// Selected records without a usable time (skipped).
    pub no_time: u64,
    /// The first of those: line number and why.
    pub first_bad_time: Option<(u64, String)>,
}

/// Reads events into per-side observations.
#[derive(Debug)]
pub struct Collector<'a> {
    config: &'a JudgeConfig,
    baseline: Selector,
    canary: Selector,
    sides: [SideBuffer; 2],
    counts: InputCounts,
    /// Per metric: values that are present but unusable (not a number, not a status), and the first line.
    bad_values: Vec<(u64, Option<u64>)>,
}

impl<'a> Collector<'a> {
    /// A collector for `config`'s metrics with the given selectors.
    #[must_use]
    pub fn new(config: &'a JudgeConfig, baseline: Selector, canary: Selector) -> Collector<'a> {
        Collector {
            config,
            baseline,
            canary,
            sides: [SideBuffer::default(), SideBuffer::default()],
            counts: InputCounts::default(),
            bad_values: vec![(0, None); config.metrics.len()],
        }
    }

    /// Takes one event; `line` (1-based) names it in errors and notes.
    ///
    /// # Errors
    /// [`CanaryError::BothSides`] when a record matches both selectors.
    pub fn push(&mut self, line: u64, event: &LogEvent) -> Result<(), CanaryError> {
        self.counts.lines += 1;
        if event.message.trim().is_empty() {
            return Ok(());
        }
        let Some(record) = Record::parse_json(&event.message) else {
            self.counts.not_json += 1;
            return Ok(());
        };
        let side = match (self.baseline.matches(&record), self.canary.matches(&record)) {
            (true, true) => {
                return Err(CanaryError::BothSides {
                    line,
                    baseline: self.baseline.to_string(),
                    canary: self.canary.to_string(),
                })
            }
            (true, false) => Side::Baseline,
            (false, true) => Side::Canary,
            (false, false) => {
                self.counts.unselected += 1;
                return Ok(());
            }
        };
        let time = match request_time_ms(&record, event) {
            Ok(Some(time)) => time,
            Ok(None) => {
                self.skip_time(line, "no requestTimeEpoch, requestTime or event timestamp".to_owned());
                return Ok(());
            }
            Err(why) => {
                self.skip_time(line, why);
                return Ok(());
            }
        };
        let buffer = &mut self.sides[side as usize];
        for (metric, bad) in self.config.metrics.iter().zip(&mut self.bad_values) {
            let value = observe(metric, &record);
            if value.is_err() {
                bad.0 += 1;
                bad.1.get_or_insert(line);
            }
            buffer.values.push(value.ok().flatten().unwrap_or(f64::NAN));
        }
        let mut hasher = DefaultHasher::new();
        event.message.hash(&mut hasher);
        buffer.times.push(time);
        buffer.keys.push(hasher.finish());
        Ok(())
    }

    fn skip_time(&mut self, line: u64, why: String) {
        self.counts.no_time += 1;
        self.counts.first_bad_time.get_or_insert((line, why));
    }

    /// Applies the common window, orders each side and forms every metric's samples.
    #[must_use]
    pub fn finish(self) -> Samples {
        let Collector {
            config,
            baseline,
            canary,
            sides: [base, cand],
            counts,
            bad_values,
        } = self;
        let mut notes = Vec::new();
        let window = common_window(&base, &cand);
        let (base_order, cand_order) = match window {
            Some(_) => {
                let (b, c) = (base.order(window), cand.order(window));
                let dropped = (base.len() - b.len(), cand.len() - c.len());
                if dropped != (0, 0) {
                    notes.push(format!(
                        "outside the common window: {} baseline and {} canary requests left out",
                        dropped.0, dropped.1
                    ));
                }
                (b, c)
            }
            None if base.len() > 0 && cand.len() > 0 => {
                notes.push("the baseline and canary time ranges do not overlap: nothing to compare".to_owned());
                (Vec::new(), Vec::new())
            }
            None => (base.order(None), cand.order(None)),
        };
        for (side, selector, name) in [(&base, &baseline, "baseline"), (&cand, &canary, "canary")] {
            if side.len() == 0 {
                notes.push(format!("no request matched the {name} selector `{selector}`"));
            }
        }
        let width = config.metrics.len();
        let metrics = config
            .metrics
            .iter()
            .enumerate()
            .map(|(index, metric)| {
                let (bad, first) = bad_values[index];
                if let Some(line) = first {
                    notes.push(format!(
                        "{}: {bad} value(s) of `{}` are not usable (first on line {line})",
                        metric.name,
                        metric.field()
                    ));
                }
                let b = base.column(&base_order, width, index);
                let c = cand.column(&cand_order, width, index);
                let any = !base_order.is_empty() || !cand_order.is_empty();
                metric_samples(config, index, metric, b, c, any)
            })
            .collect();
        Samples {
            window,
            requests: (base_order.len(), cand_order.len()),
            metrics,
            notes,
            counts,
            baseline: baseline.to_string(),
            canary: canary.to_string(),
        }
    }
}

/// The overlap of both sides' time ranges; `None` when a side is empty or they do not overlap.
fn common_window(base: &SideBuffer, cand: &SideBuffer) -> Option<(i64, i64)> {
    let (b, c) = (base.range()?, cand.range()?);
    let (start, end) = (b.0.max(c.0), b.1.min(c.1));
    (start <= end).then_some((start, end))
}

/// One metric's observation of a record: `Ok(None)` when the field is absent (or `-`), `Err` when it is
/// present but unusable.
fn observe(metric: &MetricConfig, record: &Record) -> Result<Option<f64>, ()> {
    let Some(text) = field_text(record, metric.field()) else {
        return Ok(None);
    };
    match metric.kind {
        MetricKind::StatusRate => {
            let status: u16 = text.parse().map_err(|_| ())?;
            if !(100..=599).contains(&status) {
                return Err(());
            }
            Ok(Some(if metric.counts_status(status) { 1.0 } else { 0.0 }))
        }
        MetricKind::MatchRate => Ok(Some(if metric.equals.as_deref() == Some(&*text) {
            1.0
        } else {
            0.0
        })),
        MetricKind::Percentile | MetricKind::Distribution => {
            let value: f64 = text.parse().map_err(|_| ())?;
            if value.is_finite() {
                Ok(Some(value))
            } else {
                Err(())
            }
        }
    }
}

/// Everything the judge needs: per metric, both sides' samples.
#[derive(Debug, Clone)]
pub struct Samples {
    /// The common window (ms since the epoch, inclusive), when both sides have requests in it.
    pub window: Option<(i64, i64)>,
    /// Requests per side in the window (baseline, canary).
    pub requests: (usize, usize),
    /// One entry per configured metric, in order.
    pub metrics: Vec<MetricSamples>,
    /// Things the reader should know (skipped lines, omitted metrics, ...).
    pub notes: Vec<String>,
    /// What was read.
    pub counts: InputCounts,
    /// The baseline selector as applied.
    pub baseline: String,
    /// The canary selector as applied.
    pub canary: String,
}

/// One metric's samples on both sides.
#[derive(Debug, Clone)]
pub struct MetricSamples {
    /// Index into the configuration's `metrics`.
    pub index: usize,
    /// Why the metric is left out (no record carries its field), if it is.
    pub omitted: Option<String>,
    /// The baseline side.
    pub baseline: SideSamples,
    /// The canary side.
    pub canary: SideSamples,
}

/// One side of one metric.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SideSamples {
    /// Requests with a usable value.
    pub observations: usize,
    /// The side's overall value: the rate over all its requests, the percentile of all its values, or the
    /// median for a distribution.
    pub overall: Option<f64>,
    /// The samples compared: per-bucket values, or every value for a distribution.
    pub samples: Vec<f64>,
}

fn metric_samples(
    config: &JudgeConfig,
    index: usize,
    metric: &MetricConfig,
    b: Vec<f64>,
    c: Vec<f64>,
    any_request: bool,
) -> MetricSamples {
    let omitted = (b.is_empty() && c.is_empty() && any_request).then(|| {
        let mut why = format!("no request carries `{}`", metric.field());
        if metric.field() == "wafResponseCode" {
            why.push_str(
                " (Moat's default access-log format has no WAF field: add \
                 \"wafResponseCode\":\"$context.wafResponseCode\" to compare WAF blocks)",
            );
        }
        why
    });
    MetricSamples {
        index,
        omitted,
        baseline: side_samples(config, metric, b),
        canary: side_samples(config, metric, c),
    }
}

fn side_samples(config: &JudgeConfig, metric: &MetricConfig, values: Vec<f64>) -> SideSamples {
    let observations = values.len();
    let size = config.bucket_requests.max(1);
    match metric.kind {
        MetricKind::StatusRate | MetricKind::MatchRate => SideSamples {
            observations,
            overall: mean(&values),
            samples: values.chunks_exact(size).filter_map(mean).collect(),
        },
        MetricKind::Percentile => {
            let p = metric.percentile.unwrap_or(50.0);
            SideSamples {
                observations,
                overall: percentile_sorted(&sorted(&values), p),
                samples: values
                    .chunks_exact(size)
                    .filter_map(|bucket| percentile_sorted(&sorted(bucket), p))
                    .collect(),
            }
        }
        MetricKind::Distribution => SideSamples {
            observations,
            overall: percentile_sorted(&sorted(&values), 50.0),
            samples: values,
        },
    }
}
