//! Classification of each metric and the score, following Kayenta's `NetflixACAJudge`
//! (`MannWhitneyClassifier.scala`, `WeightedSumScorer.scala`, `ThresholdScoreClassifier.scala`).
//!
//! Per metric: optional IQR outlier removal; `nodata` when a side has fewer than `min_samples` samples;
//! `pass` when both sides hold the same values or every value is equal; otherwise the Hodges-Lehmann shift
//! `canary - baseline` and its `confidence` interval decide: `high` when the direction allows it, the
//! interval's lower end is above `tolerance * |estimate|` and the effect size (mean ratio canary / baseline)
//! is at least `allowed_increase` (an effect size that cannot be computed, a zero mean, is not compared);
//! `low` the mirror image. A critical metric's `high` (`low`) with an effect size of at least
//! `critical_increase` (at most `critical_decrease`) is a critical failure.
//!
//! Score: per group, `pass / (pass + high + low) * 100` (`nodata` metrics do not count; a group with only
//! `nodata` scores 100); the summary is the weighted sum, rounded to two decimals. Groups without a weight
//! share what the configured weights leave of 100; when the groups present carry weights that do not add up
//! to 100 (a weighted group may have only omitted metrics) the weights are rescaled to 100, where Kayenta
//! would cap the score. A critical failure makes the score 0 and the verdict `fail`; a critical metric with
//! `nodata`, half or more of the metrics `nodata`, or no metric at all make the verdict `nodata` (Kayenta
//! fails these; here they mean "not enough data yet", exit code 2). Otherwise the score is compared with the
//! thresholds: `pass`, `marginal` or `fail`.

use std::collections::BTreeMap;

use serde::Serialize;

use super::config::{Direction, JudgeConfig, MetricConfig, MetricKind, OutlierStrategy};
use super::metrics::{MetricSamples, SideSamples};
use super::statistics::{hodges_lehmann, mann_whitney, mean, mean_ratio, remove_outliers, sorted, Shift};

/// A metric's classification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Classification {
    /// No significant change in a failing direction.
    Pass,
    /// The canary is significantly higher.
    High,
    /// The canary is significantly lower.
    Low,
    /// Too few samples on a side.
    Nodata,
}

/// The run's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Score at or above the pass threshold.
    Pass,
    /// Score between the marginal and pass thresholds.
    Marginal,
    /// Score below the marginal threshold, or a critical failure.
    Fail,
    /// Not enough data to judge.
    Nodata,
}

/// One side of a metric as the report shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SideSummary {
    /// Requests with a usable value.
    pub requests: usize,
    /// The overall value (rate, percentile or median of all requests).
    pub value: Option<f64>,
    /// Samples compared, after outlier removal.
    pub samples: usize,
    /// Samples removed as outliers.
    pub outliers: usize,
    /// Mean of the compared samples.
    pub mean: Option<f64>,
}

/// The Hodges-Lehmann shift as reported.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ShiftReport {
    /// The estimate of `canary - baseline`.
    pub estimate: f64,
    /// Lower end of the confidence interval.
    pub lower: f64,
    /// Upper end of the confidence interval.
    pub upper: f64,
}

/// One metric's result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MetricResult {
    /// The metric's name.
    pub name: String,
    /// What it measures.
    pub kind: MetricKind,
    /// The field read.
    pub field: String,
    /// Its group.
    pub group: String,
    /// Which change fails.
    pub direction: Direction,
    /// Whether it is configured critical.
    pub critical: bool,
    /// The baseline side.
    pub baseline: SideSummary,
    /// The canary side.
    pub canary: SideSummary,
    /// Mann-Whitney U of the canary samples.
    pub u: Option<f64>,
    /// Two-sided p-value of the Mann-Whitney test.
    pub p_value: Option<f64>,
    /// Hodges-Lehmann shift with its interval.
    pub shift: Option<ShiftReport>,
    /// Mean ratio canary / baseline of the samples; `None` when a mean is zero.
    pub effect_size: Option<f64>,
    /// The classification.
    pub classification: Classification,
    /// Whether this result fails the whole run.
    pub critical_failure: bool,
    /// Why, in words.
    pub reason: String,
}

/// A metric left out of the judgement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OmittedMetric {
    /// The metric's name.
    pub name: String,
    /// Why.
    pub reason: String,
}

/// One group's score.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupScore {
    /// The group.
    pub name: String,
    /// `pass / (pass + high + low) * 100`, 100 when only `nodata`.
    pub score: f64,
    /// The weight used, percent.
    pub weight: f64,
    /// Metrics that passed.
    pub pass: usize,
    /// Metrics classified high or low.
    pub failed: usize,
    /// Metrics without enough data.
    pub nodata: usize,
}

/// The whole judgement.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Judgement {
    /// Per metric, in configuration order.
    pub metrics: Vec<MetricResult>,
    /// Metrics left out.
    pub omitted: Vec<OmittedMetric>,
    /// Per group, by name.
    pub groups: Vec<GroupScore>,
    /// 0 to 100.
    pub score: f64,
    /// The verdict.
    pub verdict: Verdict,
    /// Why, in words.
    pub reason: String,
}

/// Classifies every metric and scores the run.
#[must_use]
pub fn judge(config: &JudgeConfig, samples: &[MetricSamples]) -> Judgement {
    let mut metrics = Vec::new();
    let mut omitted = Vec::new();
    for metric_samples in samples {
        let Some(metric) = config.metrics.get(metric_samples.index) else {
            continue;
        };
        match &metric_samples.omitted {
            Some(reason) => omitted.push(OmittedMetric {
                name: metric.name.clone(),
                reason: reason.clone(),
            }),
            None => metrics.push(classify(
                config,
                metric,
                &metric_samples.baseline,
                &metric_samples.canary,
            )),
        }
    }
    let groups = group_scores(config, &metrics);
    let (score, verdict, reason) = summarize(config, &metrics, &groups);
    Judgement {
        metrics,
        omitted,
        groups,
        score,
        verdict,
        reason,
    }
}

fn prepare(metric: &MetricConfig, side: &SideSamples) -> (Vec<f64>, SideSummary) {
    let values = match metric.outliers.strategy {
        OutlierStrategy::Keep => side.samples.clone(),
        OutlierStrategy::Remove => remove_outliers(&side.samples, metric.outliers.factor, true),
    };
    let summary = SideSummary {
        requests: side.observations,
        value: side.overall,
        samples: values.len(),
        outliers: side.samples.len() - values.len(),
        mean: mean(&values),
    };
    (values, summary)
}

/// Classifies one metric (Kayenta's `MannWhitneyClassifier.classify`).
#[must_use]
pub fn classify(config: &JudgeConfig, metric: &MetricConfig, base: &SideSamples, cand: &SideSamples) -> MetricResult {
    let (b, baseline) = prepare(metric, base);
    let (c, canary) = prepare(metric, cand);
    let mut result = MetricResult {
        name: metric.name.clone(),
        kind: metric.kind,
        field: metric.field().to_owned(),
        group: metric.group.clone(),
        direction: metric.direction,
        critical: metric.critical,
        baseline,
        canary,
        u: None,
        p_value: None,
        shift: None,
        effect_size: None,
        classification: Classification::Nodata,
        critical_failure: false,
        reason: String::new(),
    };
    // At least one sample per side, whatever a hand-built configuration says.
    let needed = config.min_samples.max(1);
    if b.len() < needed || c.len() < needed {
        result.reason = format!(
            "{} baseline and {} canary samples; {} per side needed{}",
            b.len(),
            c.len(),
            needed,
            match metric.kind {
                MetricKind::Distribution => String::new(),
                _ => format!(" (one sample per {} requests)", config.bucket_requests),
            }
        );
        return result;
    }
    let test = mann_whitney(&b, &c);
    result.u = test.map(|t| t.u);
    result.p_value = test.map(|t| t.p_value);
    let shift = hodges_lehmann(&b, &c, config.confidence);
    result.shift = shift.map(|Shift { estimate, lower, upper }| ShiftReport { estimate, lower, upper });
    result.effect_size = mean_ratio(&b, &c);
    result.classification = Classification::Pass;
    if sorted(&b) == sorted(&c) {
        result.reason = "the baseline and canary samples are identical".to_owned();
        return result;
    }
    let first = b.first().copied();
    if b.iter().chain(&c).all(|v| Some(*v) == first) {
        result.reason = "every sample has the same value".to_owned();
        return result;
    }
    let Some(shift) = shift else { return result };
    let bound = config.tolerance * shift.estimate.abs();
    let effect = result.effect_size;
    let e = metric.effect_size;
    let up = matches!(metric.direction, Direction::Increase | Direction::Either);
    let down = matches!(metric.direction, Direction::Decrease | Direction::Either);
    let percent = config.confidence * 100.0;
    if up && shift.lower > bound && effect.is_none_or(|r| r >= e.allowed_increase) {
        result.classification = Classification::High;
        result.critical_failure = metric.critical && effect.is_none_or(|r| r >= e.critical_increase);
        result.reason = format!(
            "higher: the {percent}% interval of the shift starts at {} (above {}){}",
            number(shift.lower),
            number(bound),
            effect.map_or(String::new(), |r| format!(
                ", effect size {r:.3} >= {}",
                e.allowed_increase
            )),
        );
    } else if down && shift.upper < -bound && effect.is_none_or(|r| r <= e.allowed_decrease) {
        result.classification = Classification::Low;
        result.critical_failure = metric.critical && effect.is_none_or(|r| r <= e.critical_decrease);
        result.reason = format!(
            "lower: the {percent}% interval of the shift ends at {} (below {}){}",
            number(shift.upper),
            number(-bound),
            effect.map_or(String::new(), |r| format!(
                ", effect size {r:.3} <= {}",
                e.allowed_decrease
            )),
        );
    } else {
        result.reason = "no significant change in a failing direction".to_owned();
    }
    if result.critical_failure {
        result.reason.push_str(" (critical)");
    }
    result
}

/// A short number for reasons.
fn number(value: f64) -> String {
    let text = format!("{value:.6}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text == "-0" {
        "0".to_owned()
    } else {
        text.to_owned()
    }
}

fn group_scores(config: &JudgeConfig, metrics: &[MetricResult]) -> Vec<GroupScore> {
    let mut groups: BTreeMap<&str, GroupScore> = BTreeMap::new();
    for metric in metrics {
        let group = groups.entry(&metric.group).or_insert_with(|| GroupScore {
            name: metric.group.clone(),
            score: 0.0,
            weight: 0.0,
            pass: 0,
            failed: 0,
            nodata: 0,
        });
        match metric.classification {
            Classification::Pass => group.pass += 1,
            Classification::High | Classification::Low => group.failed += 1,
            Classification::Nodata => group.nodata += 1,
        }
    }
    let configured: f64 = config.groups.values().sum();
    let unweighted = groups.keys().filter(|name| !config.groups.contains_key(**name)).count();
    let share = if unweighted > 0 {
        ((100.0 - configured) / unweighted as f64).max(0.0)
    } else {
        0.0
    };
    let mut out: Vec<GroupScore> = groups
        .into_values()
        .map(|mut group| {
            let judged = group.pass + group.failed;
            group.score = if judged == 0 {
                100.0
            } else {
                group.pass as f64 / judged as f64 * 100.0
            };
            group.weight = config.groups.get(&group.name).copied().unwrap_or(share);
            group
        })
        .collect();
    let total: f64 = out.iter().map(|g| g.weight).sum();
    if total > 0.0 && (total - 100.0).abs() > 1e-9 {
        for group in &mut out {
            group.weight = group.weight / total * 100.0;
        }
    } else if total == 0.0 && !out.is_empty() {
        let even = 100.0 / out.len() as f64;
        for group in &mut out {
            group.weight = even;
        }
    }
    out
}

fn summarize(config: &JudgeConfig, metrics: &[MetricResult], groups: &[GroupScore]) -> (f64, Verdict, String) {
    if let Some(failure) = metrics.iter().find(|m| m.critical_failure) {
        let reason = format!(
            "critical metric {} is {}: {}",
            failure.name,
            label(failure.classification),
            failure.reason
        );
        return (0.0, Verdict::Fail, reason);
    }
    if metrics.is_empty() {
        return (0.0, Verdict::Nodata, "no metric could be compared".to_owned());
    }
    if let Some(missing) = metrics
        .iter()
        .find(|m| m.critical && m.classification == Classification::Nodata)
    {
        let reason = format!(
            "critical metric {} has not enough data: {}",
            missing.name, missing.reason
        );
        return (0.0, Verdict::Nodata, reason);
    }
    let nodata = metrics
        .iter()
        .filter(|m| m.classification == Classification::Nodata)
        .count();
    if nodata * 2 >= metrics.len() {
        let reason = format!("{nodata} of {} metrics have not enough data", metrics.len());
        return (0.0, Verdict::Nodata, reason);
    }
    let sum: f64 = groups.iter().map(|g| g.score * g.weight / 100.0).sum();
    let score = (sum * 100.0).round() / 100.0;
    let t = config.thresholds;
    let failed: Vec<&str> = metrics
        .iter()
        .filter(|m| matches!(m.classification, Classification::High | Classification::Low))
        .map(|m| m.name.as_str())
        .collect();
    let which = if failed.is_empty() {
        String::new()
    } else {
        format!("; not passing: {}", failed.join(", "))
    };
    if score >= t.pass {
        (
            score,
            Verdict::Pass,
            format!("score {score} >= pass threshold {}{which}", t.pass),
        )
    } else if score >= t.marginal {
        (
            score,
            Verdict::Marginal,
            format!("score {score} is below the pass threshold {}{which}", t.pass),
        )
    } else {
        (
            score,
            Verdict::Fail,
            format!("score {score} is below the marginal threshold {}{which}", t.marginal),
        )
    }
}

/// The classification as the report prints it.
#[must_use]
pub fn label(classification: Classification) -> &'static str {
    match classification {
        Classification::Pass => "pass",
        Classification::High => "high",
        Classification::Low => "low",
        Classification::Nodata => "nodata",
    }
}
