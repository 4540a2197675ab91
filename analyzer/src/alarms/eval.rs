//! Alarm evaluation with CloudWatch's semantics ("Using Amazon CloudWatch alarms": "Evaluating an alarm",
//! "Configuring how CloudWatch alarms treat missing data", "Percentile-based alarms and low data samples").
//!
//! An [`Evaluator`] is incremental: [`Evaluator::observe`] feeds samples (in any order), and
//! [`Evaluator::advance_to`] moves its clock, evaluating once at the end of every period (periods are
//! aligned to the Unix epoch). Batch mode and `--watch` drive the same evaluator.
//!
//! At each evaluation the alarm looks at the *evaluation range*: the `N + max(2, N/3)` most recent periods
//! (`N` = `EvaluationPeriods`; AWS publishes no formula, only that it is more than `N`, and its tables use
//! 5 for `N = 3`). Then, as the missing-data section describes:
//! - with at least `N` datapoints in the range, the `N` most recent are evaluated;
//! - with fewer, every datapoint in the range is evaluated and the rest of the `N` are missing ones,
//!   filled per `TreatMissingData` (`breaching`, `notBreaching`); with `missing` and `ignore` they count
//!   for neither side, and the state is ALARM when `M` (`DatapointsToAlarm`) are breaching, OK when any
//!   evaluated datapoint is not breaching, and otherwise (only breaching datapoints, fewer than `M`) ALARM
//!   if the oldest of them is at least `M` periods old ("avoiding premature transitions"), else
//!   INSUFFICIENT_DATA; `ignore` keeps the current state in those two last cases;
//! - with none: INSUFFICIENT_DATA (`missing`), no change (`ignore`), ALARM (`breaching`), OK (`notBreaching`).
//!
//! For a percentile statistic with `EvaluateLowSampleCountPercentile: ignore`, an evaluation whose newest
//! datapoint has fewer samples than the page's minimum (`10/(1-p)` for `0.5 <= p < 1`, `10/p` for
//! `0 < p < 0.5`: 1000 samples for p99) changes nothing.

use std::collections::BTreeMap;

use serde::Serialize;

use super::config::{Alarm, TreatMissingData};
use super::metrics::Sample;
use super::statistic::{Bucket, Statistic};
use super::time::{cloudwatch_iso, java_double, reason_date, MAX_MS};

/// An alarm state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum StateValue {
    /// `OK`.
    #[serde(rename = "OK")]
    Ok,
    /// `ALARM`.
    #[serde(rename = "ALARM")]
    Alarm,
    /// `INSUFFICIENT_DATA`.
    #[serde(rename = "INSUFFICIENT_DATA")]
    InsufficientData,
}

impl StateValue {
    /// The state's name, as CloudWatch writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            StateValue::Ok => "OK",
            StateValue::Alarm => "ALARM",
            StateValue::InsufficientData => "INSUFFICIENT_DATA",
        }
    }
}

/// One evaluated datapoint in a state's reason data.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EvaluatedDatapoint {
    /// The start of its period (`2026-11-25T10:05:00.000+0000`).
    pub timestamp: String,
    /// How many samples it aggregates; absent for a missing datapoint.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sample_count: Option<f64>,
    /// Its value; absent for a missing datapoint.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<f64>,
}

/// CloudWatch's `StateReasonData` (version 1.0), fields in CloudWatch's order.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReasonData {
    /// Always `1.0`.
    pub version: String,
    /// When the evaluation ran (the end of the newest period in batch mode).
    pub query_date: String,
    /// The start of the oldest real datapoint evaluated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_date: Option<String>,
    /// The alarm's `Unit`, when it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    /// The alarm's `Statistic`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub statistic: Option<String>,
    /// The alarm's `ExtendedStatistic`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub extended_statistic: Option<String>,
    /// The alarm's `Period`.
    pub period: u32,
    /// The values of the real datapoints evaluated, oldest first.
    pub recent_datapoints: Vec<f64>,
    /// The alarm's `Threshold`.
    pub threshold: f64,
    /// The datapoints evaluated, newest first (missing ones with only a timestamp).
    pub evaluated_datapoints: Vec<EvaluatedDatapoint>,
}

/// An alarm's state with its reason.
#[derive(Debug, Clone, PartialEq)]
pub struct State {
    /// OK, ALARM or INSUFFICIENT_DATA.
    pub value: StateValue,
    /// The human-readable reason, worded as CloudWatch words it.
    pub reason: String,
    /// The machine-readable reason.
    pub reason_data: Option<ReasonData>,
}

/// A state change of one alarm.
#[derive(Debug, Clone, PartialEq)]
pub struct Transition {
    /// `AlarmName`.
    pub alarm: String,
    /// When it happened (the evaluation time), epoch milliseconds.
    pub timestamp_ms: i64,
    /// The state before.
    pub old: State,
    /// The state after.
    pub new: State,
}

#[derive(Debug, Clone, Copy, PartialEq)]
struct Datapoint {
    start_ms: i64,
    value: f64,
    samples: u64,
}

/// One alarm's incremental evaluator.
#[derive(Debug, Clone)]
pub struct Evaluator {
    alarm: Alarm,
    buckets: BTreeMap<i64, Bucket>,
    state: State,
    next_evaluation: Option<i64>,
    matched: u64,
    /// The last evaluation saw no datapoint (so the next ones decide the same until data enters the range).
    idle: bool,
}

impl Evaluator {
    /// A new evaluator in INSUFFICIENT_DATA, as a new CloudWatch alarm starts.
    pub fn new(alarm: Alarm) -> Evaluator {
        let state = State {
            value: StateValue::InsufficientData,
            reason: "Unchecked: Initial alarm creation".to_owned(),
            reason_data: None,
        };
        Evaluator {
            alarm,
            buckets: BTreeMap::new(),
            state,
            next_evaluation: None,
            matched: 0,
            idle: false,
        }
    }

    /// The alarm.
    pub fn alarm(&self) -> &Alarm {
        &self.alarm
    }

    /// The current state.
    pub fn state(&self) -> &State {
        &self.state
    }

    /// Sets the state, as CloudWatch's `SetAlarmState` does; the next evaluation decides again.
    pub fn set_state(&mut self, value: StateValue, reason: &str) {
        self.state = State {
            value,
            reason: reason.to_owned(),
            reason_data: None,
        };
    }

    /// How many samples matched the alarm's metric so far.
    pub fn matched(&self) -> u64 {
        self.matched
    }

    /// The period in milliseconds.
    pub fn period_ms(&self) -> i64 {
        i64::from(self.alarm.period) * 1000
    }

    /// Whether a sample is of the alarm's metric: same namespace, name and exact dimension set (as
    /// CloudWatch matches), and the alarm's unit when it names one.
    pub fn matches(&self, sample: &Sample) -> bool {
        sample.name == self.alarm.metric_name
            && sample.namespace == self.alarm.namespace
            && sample.dimensions == self.alarm.dimensions
            && self.alarm.unit.as_ref().is_none_or(|u| *u == sample.unit)
    }

    /// Feeds a sample; returns whether it matched.
    pub fn observe(&mut self, sample: &Sample) -> bool {
        if !self.matches(sample) {
            return false;
        }
        self.add(sample.timestamp_ms, &sample.values);
        true
    }

    /// Adds values observed at `timestamp_ms` to the alarm's metric (ignored outside years 1970 to 9999).
    pub fn add(&mut self, timestamp_ms: i64, values: &[(f64, u64)]) {
        if !(0..=MAX_MS).contains(&timestamp_ms) {
            return;
        }
        let period = self.period_ms();
        let start = timestamp_ms.div_euclid(period) * period;
        let keep = self.alarm.statistic.needs_samples();
        let bucket = self.buckets.entry(start).or_default();
        for &(value, count) in values {
            bucket.add(value, count, keep);
        }
        self.matched += 1;
    }

    /// Starts the clock: the first evaluation is at the end of the period containing `ms`. No effect once
    /// started.
    pub fn start_at(&mut self, ms: i64) {
        if self.next_evaluation.is_none() {
            let period = self.period_ms();
            self.next_evaluation = Some(ms.div_euclid(period) * period + period);
        }
    }

    /// When the next evaluation is due, once started.
    pub fn next_evaluation(&self) -> Option<i64> {
        self.next_evaluation
    }

    /// Runs every evaluation due at or before `now_ms` (starting the clock at `now_ms` if needed) and
    /// returns the state changes.
    pub fn advance_to(&mut self, now_ms: i64) -> Vec<Transition> {
        self.start_at(now_ms);
        let mut changes = Vec::new();
        let period = self.period_ms();
        while let Some(mut at) = self.next_evaluation.filter(|at| *at <= now_ms) {
            if self.idle {
                // The last evaluation saw no datapoint, and every evaluation decides the same until the next
                // bucket enters the range: jump to the first one that can differ, or to the last one due.
                let latest = at + (now_ms - at) / period * period;
                let next_data = self.buckets.keys().next().map(|&start| start + period);
                at = next_data.map_or(latest, |t| t.max(at)).min(latest);
            }
            changes.extend(self.evaluate_at(at));
            self.next_evaluation = Some(at + period);
        }
        changes
    }

    /// The number of periods in the evaluation range.
    fn range(&self) -> i64 {
        let n = i64::from(self.alarm.evaluation_periods);
        n + (n / 3).max(2)
    }

    /// Evaluates the periods ending at `at` (a period boundary); returns the change, if any.
    pub fn evaluate_at(&mut self, at: i64) -> Option<Transition> {
        let period = self.period_ms();
        let range = self.range();
        // Newest first: slot k (1-based) is the period [at - k*period, at - (k-1)*period).
        let slots: Vec<Option<Datapoint>> = (1..=range)
            .map(|k| {
                let start = at - k * period;
                let bucket = self.buckets.get(&start)?;
                let value = self.alarm.statistic.compute(bucket)?;
                Some(Datapoint {
                    start_ms: start,
                    value,
                    samples: bucket.count,
                })
            })
            .collect();
        // Data older than the range is never looked at again.
        let oldest = at - range * period;
        self.buckets = self.buckets.split_off(&oldest);
        self.idle = slots.iter().all(Option::is_none);
        if self.low_sample_count(slots.first().copied().flatten()) {
            return None;
        }
        let decided = self.decide(at, &slots)?;
        if decided.value == self.state.value {
            // CloudWatch records a history item only when the state value changes.
            self.state = decided;
            return None;
        }
        let old = std::mem::replace(&mut self.state, decided);
        Some(Transition {
            alarm: self.alarm.name.clone(),
            timestamp_ms: at,
            old,
            new: self.state.clone(),
        })
    }

    /// Whether `EvaluateLowSampleCountPercentile: ignore` holds this evaluation back.
    fn low_sample_count(&self, newest: Option<Datapoint>) -> bool {
        let (Some(p), Some(newest), true) = (
            self.alarm.statistic.percentile(),
            newest,
            self.alarm.ignore_low_sample_count,
        ) else {
            return false;
        };
        let fraction = p / 100.0;
        let minimum = if (0.5..1.0).contains(&fraction) {
            10.0 / (1.0 - fraction)
        } else if fraction > 0.0 && fraction < 0.5 {
            10.0 / fraction
        } else {
            0.0
        };
        // Rounded so that floating point noise (10 / (1 - 0.99) = 999.99...) does not move the boundary.
        (newest.samples as f64) < (minimum * 1e6).round() / 1e6
    }

    /// The state the datapoints call for; `None` to keep the current one (`ignore`).
    fn decide(&self, at: i64, slots: &[Option<Datapoint>]) -> Option<State> {
        let alarm = &self.alarm;
        let n = alarm.evaluation_periods as usize;
        let m = alarm.datapoints_to_alarm as usize;
        let real: Vec<(usize, Datapoint)> = slots
            .iter()
            .enumerate()
            .filter_map(|(i, d)| d.map(|d| (i + 1, d)))
            .collect();
        let breaches = |d: &Datapoint| alarm.comparison.breaches(d.value, alarm.threshold);
        let treat = alarm.treat_missing_data;
        if real.is_empty() {
            return self.no_datapoints(at);
        }
        let evaluated: Vec<Datapoint> = real.iter().take(n).map(|(_, d)| *d).collect();
        let fill = n.saturating_sub(evaluated.len());
        // The most recent empty slots stand for the missing datapoints.
        let missing_slots: Vec<i64> = slots
            .iter()
            .enumerate()
            .filter(|(_, d)| d.is_none())
            .take(fill)
            .map(|(i, _)| at - (i as i64 + 1) * self.period_ms())
            .collect();
        let data = self.reason_data(at, &evaluated, &missing_slots);
        let breaching: Vec<Datapoint> = evaluated.iter().copied().filter(|d| breaches(d)).collect();
        let clear: Vec<Datapoint> = evaluated.iter().copied().filter(|d| !breaches(d)).collect();
        let (filled_breaching, filled_clear) = match treat {
            TreatMissingData::Breaching => (fill, 0),
            TreatMissingData::NotBreaching => (0, fill),
            TreatMissingData::Missing | TreatMissingData::Ignore => (0, 0),
        };
        let breach_count = breaching.len() + filled_breaching;
        let clear_count = clear.len() + filled_clear;
        if breach_count >= m {
            return Some(self.crossed(StateValue::Alarm, breach_count, &breaching, filled_breaching, data));
        }
        if clear_count > 0 {
            return Some(self.crossed(StateValue::Ok, clear_count, &clear, filled_clear, data));
        }
        // Only breaching datapoints, fewer than M, the rest missing (treated as missing or ignored).
        let oldest_age = real.last().map_or(0, |(age, _)| *age);
        match treat {
            TreatMissingData::Ignore => None,
            _ if oldest_age >= m => Some(self.crossed(StateValue::Alarm, breach_count, &breaching, 0, data)),
            _ => Some(State {
                value: StateValue::InsufficientData,
                reason: format!(
                    "Insufficient Data: {fill} datapoint{} {} unknown.",
                    if fill == 1 { "" } else { "s" },
                    if fill == 1 { "was" } else { "were" }
                ),
                reason_data: Some(data),
            }),
        }
    }

    /// The state when the whole evaluation range is empty.
    fn no_datapoints(&self, at: i64) -> Option<State> {
        let n = self.alarm.evaluation_periods as usize;
        let missing_slots: Vec<i64> = (1..=n as i64).map(|k| at - k * self.period_ms()).collect();
        let data = self.reason_data(at, &[], &missing_slots);
        let plural = |word: &str| {
            if n == 1 {
                format!("1 {word}")
            } else {
                format!("{n} {word}s")
            }
        };
        let verb = if n == 1 { "was" } else { "were" };
        let filled = |treated: &str| {
            format!(
                "Threshold Crossed: no datapoints were received for {} and {} {verb} treated as [{treated}].",
                plural("period"),
                plural("missing datapoint"),
            )
        };
        let (value, reason) = match self.alarm.treat_missing_data {
            TreatMissingData::Ignore => return None,
            TreatMissingData::Missing => (
                StateValue::InsufficientData,
                format!("Insufficient Data: {} {verb} unknown.", plural("datapoint")),
            ),
            TreatMissingData::Breaching => (StateValue::Alarm, filled("Breaching")),
            TreatMissingData::NotBreaching => (StateValue::Ok, filled("NonBreaching")),
        };
        Some(State {
            value,
            reason,
            reason_data: Some(data),
        })
    }

    /// A "Threshold Crossed" state: `count` datapoints on the `value` side, `listed` the real ones and
    /// `filled` missing ones counted there by `TreatMissingData`.
    fn crossed(&self, value: StateValue, count: usize, listed: &[Datapoint], filled: usize, data: ReasonData) -> State {
        let alarm = &self.alarm;
        let list = if listed.is_empty() {
            String::new()
        } else {
            let items: Vec<String> = listed
                .iter()
                .map(|d| format!("{} ({})", java_double(d.value), reason_date(d.start_ms)))
                .collect();
            format!(" [{}]", items.join(", "))
        };
        let filled = match filled {
            0 => String::new(),
            k => format!(
                "; {k} missing datapoint{} {} treated as [{}]",
                if k == 1 { "" } else { "s" },
                if k == 1 { "was" } else { "were" },
                if value == StateValue::Alarm {
                    "Breaching"
                } else {
                    "NonBreaching"
                }
            ),
        };
        let verb = if count == 1 { "was" } else { "were" };
        let not = if value == StateValue::Ok { "not " } else { "" };
        let threshold = java_double(alarm.threshold);
        let phrase = alarm.comparison.phrase();
        let reason = if alarm.datapoints_to_alarm_given {
            let n = alarm.evaluation_periods;
            let (minimum, transition) = if value == StateValue::Alarm {
                (alarm.datapoints_to_alarm, "OK -> ALARM")
            } else {
                (n - alarm.datapoints_to_alarm + 1, "ALARM -> OK")
            };
            let unit = if minimum == 1 { "datapoint" } else { "datapoints" };
            format!(
                "Threshold Crossed: {count} out of the last {n} datapoints{list} {verb} {not}{phrase} the \
                 threshold ({threshold}){filled} (minimum {minimum} {unit} for {transition} transition)."
            )
        } else {
            let unit = if count == 1 { "datapoint" } else { "datapoints" };
            format!("Threshold Crossed: {count} {unit}{list} {verb} {not}{phrase} the threshold ({threshold}){filled}.")
        };
        State {
            value,
            reason,
            reason_data: Some(data),
        }
    }

    fn reason_data(&self, at: i64, evaluated: &[Datapoint], missing_slots: &[i64]) -> ReasonData {
        let alarm = &self.alarm;
        let (statistic, extended_statistic) = match &alarm.statistic {
            Statistic::Extended(_, text) => (None, Some(text.clone())),
            other => (Some(other.to_string()), None),
        };
        let mut points: Vec<EvaluatedDatapoint> = evaluated
            .iter()
            .map(|d| EvaluatedDatapoint {
                timestamp: cloudwatch_iso(d.start_ms),
                sample_count: Some(d.samples as f64),
                value: Some(d.value),
            })
            .chain(missing_slots.iter().map(|&start| EvaluatedDatapoint {
                timestamp: cloudwatch_iso(start),
                sample_count: None,
                value: None,
            }))
            .collect();
        points.sort_by(|a, b| b.timestamp.cmp(&a.timestamp));
        ReasonData {
            version: "1.0".to_owned(),
            query_date: cloudwatch_iso(at),
            start_date: evaluated.iter().map(|d| d.start_ms).min().map(cloudwatch_iso),
            unit: alarm.unit.clone(),
            statistic,
            extended_statistic,
            period: alarm.period,
            recent_datapoints: evaluated.iter().rev().map(|d| d.value).collect(),
            threshold: alarm.threshold,
            evaluated_datapoints: points,
        }
    }
}
