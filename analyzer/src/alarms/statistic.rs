//! Statistics ("CloudWatch statistics definitions") and the per-period bucket they are computed from.
//!
//! `Statistic` is one of `SampleCount`, `Average`, `Sum`, `Minimum`, `Maximum`; `ExtendedStatistic` is one of
//! `pNN` (`p0` to `p100`, up to 10 decimals: `p99`, `p99.9`), `tmNN`, `wmNN`, `tcNN`, `tsNN` (upper bound
//! only), `TM(a:b)`, `WM(a:b)`, `TC(a:b)`, `TS(a:b)` with bounds as percentages (`10%`) or absolute values,
//! either side optional, `IQM` (= `TM(25%:75%)`), and `PR(a:b)` (absolute bounds).
//!
//! Percentiles are exact over the period's samples with the nearest-rank rule: `pP` of `n` samples is the
//! sample of rank `ceil(P/100 * n)` in ascending order (rank 1 for `p0`). A percentage bound of a trimmed
//! statistic is the nearest-rank percentile at that percentage; as CloudWatch defines them, lower bounds
//! are exclusive and upper bounds inclusive (`TM(150:1000)` keeps `150 < v <= 1000`), and `PR(a:b)` is the
//! percentage of samples with `a < v <= b`.

use std::fmt;

/// A statistic an alarm evaluates.
#[derive(Debug, Clone, PartialEq)]
pub enum Statistic {
    /// `SampleCount`: how many samples the period has.
    SampleCount,
    /// `Average`: `Sum / SampleCount`.
    Average,
    /// `Sum` of the samples.
    Sum,
    /// `Minimum` sample.
    Minimum,
    /// `Maximum` sample.
    Maximum,
    /// An `ExtendedStatistic`, with the text it was written as.
    Extended(Extended, String),
}

/// The extended statistics.
#[derive(Debug, Clone, PartialEq)]
pub enum Extended {
    /// `pNN`: a percentile, 0 to 100.
    Percentile(f64),
    /// `TM`, `WM`, `TC`, `TS` (and `tmNN`, `IQM`, ...): a statistic of the samples between two bounds.
    Trimmed {
        /// Which one.
        kind: TrimKind,
        /// Lower bound (exclusive), if any.
        lower: Option<Bound>,
        /// Upper bound (inclusive), if any.
        upper: Option<Bound>,
    },
    /// `PR(a:b)`: the percentage of samples with `a < v <= b`.
    PercentileRank {
        /// Lower value (exclusive), if any.
        lower: Option<f64>,
        /// Upper value (inclusive), if any.
        upper: Option<f64>,
    },
}

/// What a trimmed statistic computes over the samples inside its bounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrimKind {
    /// `TM`: their mean.
    Mean,
    /// `WM`: the mean of all samples, those outside clamped to the bounds.
    Winsorized,
    /// `TC`: their count.
    Count,
    /// `TS`: their sum.
    Sum,
}

/// A bound of a trimmed statistic.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Bound {
    /// A percentage of the samples (`10%`).
    Percent(f64),
    /// A value.
    Value(f64),
}

impl Statistic {
    /// Parses a `Statistic` field value.
    ///
    /// # Errors
    /// A message listing the valid values.
    pub fn parse_standard(text: &str) -> Result<Statistic, String> {
        Ok(match text {
            "SampleCount" => Statistic::SampleCount,
            "Average" => Statistic::Average,
            "Sum" => Statistic::Sum,
            "Minimum" => Statistic::Minimum,
            "Maximum" => Statistic::Maximum,
            other => {
                return Err(format!(
                    "{other:?} is not a statistic; use SampleCount, Average, Sum, Minimum or Maximum \
                     (percentiles go in ExtendedStatistic)"
                ))
            }
        })
    }

    /// Parses an `ExtendedStatistic` field value.
    ///
    /// # Errors
    /// A message saying what is wrong and which forms are accepted.
    pub fn parse_extended(text: &str) -> Result<Statistic, String> {
        let extended = parse_extended(text).map_err(|why| {
            format!(
                "{text:?} is not an extended statistic moatctl evaluates ({why}); use pNN (p0 to p100, e.g. \
                 p99, p99.9), tmNN, wmNN, tcNN, tsNN, TM(a:b), WM(a:b), TC(a:b), TS(a:b), IQM or PR(a:b)"
            )
        })?;
        Ok(Statistic::Extended(extended, text.to_owned()))
    }

    /// The percentile, for the low-sample-count rule ("Percentile-based alarms and low data samples").
    pub fn percentile(&self) -> Option<f64> {
        match self {
            Statistic::Extended(Extended::Percentile(p), _) => Some(*p),
            _ => None,
        }
    }

    /// Whether computing it needs every sample (not only count, sum, minimum and maximum).
    pub fn needs_samples(&self) -> bool {
        matches!(self, Statistic::Extended(..))
    }

    /// The value of the statistic over a period's bucket; `None` when it has no value (no samples, or no
    /// sample inside a trimmed statistic's bounds).
    pub fn compute(&self, bucket: &Bucket) -> Option<f64> {
        if bucket.count == 0 {
            return None;
        }
        let count = bucket.count as f64;
        match self {
            Statistic::SampleCount => Some(count),
            Statistic::Average => Some(bucket.sum / count),
            Statistic::Sum => Some(bucket.sum),
            Statistic::Minimum => Some(bucket.min),
            Statistic::Maximum => Some(bucket.max),
            Statistic::Extended(extended, _) => {
                let mut samples = bucket.samples.clone();
                samples.sort_by(|a, b| a.0.total_cmp(&b.0));
                extended.compute(&samples, bucket.count)
            }
        }
    }
}

impl fmt::Display for Statistic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Statistic::SampleCount => "SampleCount",
            Statistic::Average => "Average",
            Statistic::Sum => "Sum",
            Statistic::Minimum => "Minimum",
            Statistic::Maximum => "Maximum",
            Statistic::Extended(_, text) => text,
        })
    }
}

impl Extended {
    /// Computes over `(value, count)` pairs sorted by value, `total` samples in all.
    fn compute(&self, sorted: &[(f64, u64)], total: u64) -> Option<f64> {
        match *self {
            Extended::Percentile(p) => Some(percentile(sorted, total, p)),
            Extended::PercentileRank { lower, upper } => {
                let inside: u64 = sorted
                    .iter()
                    .filter(|(v, _)| inside(*v, lower, upper))
                    .fold(0_u64, |n, (_, c)| n.saturating_add(*c));
                Some(100.0 * inside as f64 / total as f64)
            }
            Extended::Trimmed { kind, lower, upper } => {
                let resolve = |bound: Option<Bound>| {
                    bound.map(|b| match b {
                        Bound::Value(v) => v,
                        Bound::Percent(p) => percentile(sorted, total, p),
                    })
                };
                // A 0% lower bound keeps the minimum (nothing is trimmed below it).
                let lo = match lower {
                    Some(Bound::Percent(p)) if p <= 0.0 => None,
                    other => resolve(other),
                };
                let hi = resolve(upper);
                if kind == TrimKind::Winsorized {
                    let mut sum = 0.0;
                    for &(v, c) in sorted {
                        let clamped = lo.map_or(v, |lo| v.max(lo));
                        let clamped = hi.map_or(clamped, |hi| clamped.min(hi));
                        sum += clamped * c as f64;
                    }
                    return Some(sum / total as f64);
                }
                let (mut n, mut sum) = (0_u64, 0.0);
                for &(v, c) in sorted.iter().filter(|(v, _)| inside(*v, lo, hi)) {
                    n = n.saturating_add(c);
                    sum += v * c as f64;
                }
                match kind {
                    TrimKind::Count => Some(n as f64),
                    TrimKind::Sum => Some(sum),
                    _ if n == 0 => None,
                    _ => Some(sum / n as f64),
                }
            }
        }
    }
}

fn inside(v: f64, lower: Option<f64>, upper: Option<f64>) -> bool {
    lower.is_none_or(|lo| v > lo) && upper.is_none_or(|hi| v <= hi)
}

/// Nearest-rank percentile of `(value, count)` pairs sorted by value.
fn percentile(sorted: &[(f64, u64)], total: u64, p: f64) -> f64 {
    // p99.9 of 1000 samples is rank 999, though 0.999 * 1000 is 999.0000000000001 in binary floating point.
    let exact = (p / 100.0) * total as f64;
    let rank = (exact - exact * 1e-12).ceil().max(1.0) as u64;
    let mut seen = 0_u64;
    for &(v, c) in sorted {
        seen = seen.saturating_add(c);
        if seen >= rank {
            return v;
        }
    }
    sorted.last().map_or(f64::NAN, |(v, _)| *v)
}

fn parse_number(text: &str, what: &str) -> Result<f64, String> {
    let digits_ok = !text.is_empty()
        && text.chars().all(|c| c.is_ascii_digit() || c == '.' || c == '-')
        && text.split('.').nth(1).is_none_or(|frac| frac.len() <= 10);
    match text.parse::<f64>() {
        Ok(v) if digits_ok && v.is_finite() => Ok(v),
        _ => Err(format!("{what} {text:?} is not a number with at most 10 decimals")),
    }
}

fn parse_percent(text: &str) -> Result<f64, String> {
    let p = parse_number(text, "percentage")?;
    if (0.0..=100.0).contains(&p) {
        Ok(p)
    } else {
        Err(format!("{p} is outside 0 to 100"))
    }
}

fn parse_bound(text: &str) -> Result<Option<Bound>, String> {
    let text = text.trim();
    if text.is_empty() {
        Ok(None)
    } else if let Some(p) = text.strip_suffix('%') {
        Ok(Some(Bound::Percent(parse_percent(p)?)))
    } else {
        Ok(Some(Bound::Value(parse_number(text, "bound")?)))
    }
}

fn parse_extended(text: &str) -> Result<Extended, String> {
    if text == "IQM" {
        return Ok(Extended::Trimmed {
            kind: TrimKind::Mean,
            lower: Some(Bound::Percent(25.0)),
            upper: Some(Bound::Percent(75.0)),
        });
    }
    if let Some(p) = text.strip_prefix('p') {
        return Ok(Extended::Percentile(parse_percent(p)?));
    }
    let short = [
        ("tm", TrimKind::Mean),
        ("wm", TrimKind::Winsorized),
        ("tc", TrimKind::Count),
        ("ts", TrimKind::Sum),
    ];
    for (prefix, kind) in short {
        if let Some(p) = text.strip_prefix(prefix) {
            let upper = Some(Bound::Percent(parse_percent(p)?));
            return Ok(Extended::Trimmed {
                kind,
                lower: None,
                upper,
            });
        }
    }
    let (name, args) = text
        .strip_suffix(')')
        .and_then(|t| t.split_once('('))
        .ok_or_else(|| "unknown form".to_owned())?;
    let (a, b) = args
        .split_once(':')
        .ok_or_else(|| "bounds must be written a:b".to_owned())?;
    let (lower, upper) = (parse_bound(a)?, parse_bound(b)?);
    if lower.is_none() && upper.is_none() {
        return Err("at least one bound is needed".into());
    }
    let kind = match name {
        "TM" => TrimKind::Mean,
        "WM" => TrimKind::Winsorized,
        "TC" => TrimKind::Count,
        "TS" => TrimKind::Sum,
        "PR" => {
            let value = |b: Option<Bound>| match b {
                Some(Bound::Percent(_)) => Err("PR bounds are values, not percentages".to_owned()),
                Some(Bound::Value(v)) => Ok(Some(v)),
                None => Ok(None),
            };
            return Ok(Extended::PercentileRank {
                lower: value(lower)?,
                upper: value(upper)?,
            });
        }
        other => return Err(format!("unknown statistic {other}")),
    };
    if let (Some(Bound::Percent(lo)), Some(Bound::Percent(hi))) = (lower, upper) {
        if lo >= hi {
            return Err("the lower bound must be below the upper bound".into());
        }
    }
    Ok(Extended::Trimmed { kind, lower, upper })
}

/// The samples of one period of one metric: exact count, sum, minimum and maximum, and the samples
/// themselves as `(value, count)` pairs when the statistic needs them.
#[derive(Debug, Clone, PartialEq)]
pub struct Bucket {
    /// How many samples.
    pub count: u64,
    /// Their sum.
    pub sum: f64,
    /// The smallest.
    pub min: f64,
    /// The largest.
    pub max: f64,
    /// Every sample as `(value, how many times)`, kept only when the statistic needs them.
    pub samples: Vec<(f64, u64)>,
}

impl Default for Bucket {
    fn default() -> Self {
        Bucket {
            count: 0,
            sum: 0.0,
            min: f64::INFINITY,
            max: f64::NEG_INFINITY,
            samples: Vec::new(),
        }
    }
}

impl Bucket {
    /// Adds `count` samples of `value`.
    pub fn add(&mut self, value: f64, count: u64, keep_samples: bool) {
        if count == 0 || !value.is_finite() {
            return;
        }
        self.count = self.count.saturating_add(count);
        self.sum += value * count as f64;
        self.min = self.min.min(value);
        self.max = self.max.max(value);
        if keep_samples {
            self.samples.push((value, count));
        }
    }
}
