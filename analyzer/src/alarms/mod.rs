//! `moatctl alarms`: CloudWatch metric alarms evaluated locally over Moat's (or API Gateway's) logs.
//!
//! Where to start: [`config`] reads the alarms file (PutMetricAlarm's field names, strict, every problem
//! reported at once); [`metrics`] turns log events into metric samples (EMF documents, and the
//! `AWS/ApiGateway` metrics an access-log record stands for); [`eval`] is the incremental evaluator with
//! CloudWatch's semantics (periods aligned to the epoch, M out of N, missing data, percentiles and the
//! low-sample-count rule); [`history`] renders state changes as `DescribeAlarmHistory` items and SNS-shaped
//! notifications; [`actions`] runs webhooks and `exec:` commands; [`cli`] is the command (batch and
//! `--watch`). [`Engine`] ties extraction and evaluation together for any driver.

pub mod actions;
pub mod cli;
pub mod config;
pub mod eval;
pub mod history;
pub mod metrics;
pub mod statistic;
pub mod time;
mod watch;

#[cfg(test)]
mod tests;

pub use cli::{run, AlarmsArgs};

use self::config::Alarm;
use self::eval::{Evaluator, StateValue, Transition};
use self::metrics::{AccessLogDefaults, ExtractStats, Extractor, Sample};
use crate::event::LogEvent;

/// Every alarm's evaluator, fed from log events.
#[derive(Debug, Clone)]
pub struct Engine {
    evaluators: Vec<Evaluator>,
    extractor: Extractor,
    scratch: Vec<Sample>,
    first_ms: Option<i64>,
    last_ms: Option<i64>,
}

impl Engine {
    /// An engine for `alarms`; access-log records without API or stage names take them from `defaults`.
    pub fn new(alarms: Vec<Alarm>, defaults: AccessLogDefaults) -> Engine {
        Engine {
            evaluators: alarms.into_iter().map(Evaluator::new).collect(),
            extractor: Extractor::new(defaults),
            scratch: Vec::new(),
            first_ms: None,
            last_ms: None,
        }
    }

    /// Extracts an event's samples and feeds them to every alarm they match.
    pub fn feed(&mut self, event: &LogEvent) {
        self.scratch.clear();
        self.extractor.extract(event, &mut self.scratch);
        for sample in &self.scratch {
            self.first_ms = Some(
                self.first_ms
                    .map_or(sample.timestamp_ms, |f| f.min(sample.timestamp_ms)),
            );
            self.last_ms = Some(self.last_ms.map_or(sample.timestamp_ms, |l| l.max(sample.timestamp_ms)));
            for evaluator in &mut self.evaluators {
                evaluator.observe(sample);
            }
        }
    }

    /// Runs every evaluation due at or before `now_ms`; alarms whose clock has not started start at the
    /// earliest sample seen (or at `now_ms`). Changes come in time order.
    pub fn advance_to(&mut self, now_ms: i64) -> Vec<Transition> {
        let start = self.first_ms.unwrap_or(now_ms);
        let mut changes = Vec::new();
        for evaluator in &mut self.evaluators {
            evaluator.start_at(start);
            changes.extend(evaluator.advance_to(now_ms));
        }
        changes.sort_by_key(|t| t.timestamp_ms);
        changes
    }

    /// Batch mode's end: every alarm evaluates up to the end of the period holding the latest sample.
    pub fn finish(&mut self) -> Vec<Transition> {
        let Some(last) = self.last_ms else { return Vec::new() };
        let start = self.first_ms.unwrap_or(last);
        let mut changes = Vec::new();
        for evaluator in &mut self.evaluators {
            let period = evaluator.period_ms();
            evaluator.start_at(start);
            changes.extend(evaluator.advance_to(last.div_euclid(period) * period + period));
        }
        changes.sort_by_key(|t| t.timestamp_ms);
        changes
    }

    /// The evaluators, in the config's order.
    pub fn evaluators(&self) -> &[Evaluator] {
        &self.evaluators
    }

    /// What extraction saw.
    pub fn stats(&self) -> ExtractStats {
        self.extractor.stats
    }

    /// The exit code for the alarms' current states: 2 when any is in ALARM, else 3 when any has
    /// insufficient data, else 0.
    pub fn exit_code(&self) -> u8 {
        let states = || self.evaluators.iter().map(|e| e.state().value);
        if states().any(|s| s == StateValue::Alarm) {
            2
        } else if states().any(|s| s == StateValue::InsufficientData) {
            3
        } else {
            0
        }
    }
}
