//! Tests of `moatctl alarms`, built from AWS's documented tables and examples (each names its page).

mod actions;
mod config;
mod evaluation;
mod metrics;
mod missing_data;
mod reasons;

use super::config::{parse, Alarm};
use super::eval::{Evaluator, StateValue};
use super::time::utc_ms;

/// Period starts used by the tests: 2026-11-25 10:00:00 UTC plus `k` periods.
fn t0() -> i64 {
    utc_ms(2026, 11, 25, 10, 0, 0)
}

/// An alarm from PutMetricAlarm fields: a 5-minute `Maximum` on `Moat/Test Latency` with threshold 1,
/// `GreaterThanOrEqualToThreshold`, 3 of 3, overridden by `over` (a value of `~` drops the field).
fn alarm(over: &[(&str, &str)]) -> Alarm {
    let defaults = [
        ("AlarmName", "TestAlarm"),
        ("Namespace", "Moat/Test"),
        ("MetricName", "Latency"),
        ("Statistic", "Maximum"),
        ("Period", "300"),
        ("EvaluationPeriods", "3"),
        ("Threshold", "1"),
        ("ComparisonOperator", "GreaterThanOrEqualToThreshold"),
    ];
    let mut fields: Vec<(String, String)> = defaults
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    for (key, value) in over {
        fields.retain(|(k, _)| k != key);
        if *value != "~" {
            fields.push(((*key).to_owned(), (*value).to_owned()));
        }
    }
    let yaml: String = fields.iter().map(|(k, v)| format!("  {k}: {v}\n")).collect();
    let mut alarms = parse(&format!("-\n{yaml}"), "test").expect("valid alarm");
    alarms.remove(0)
}

/// An evaluator fed one value per period: `Some(v)` at the start of period `k` (0-based from [`t0`]).
fn fed(alarm: Alarm, values: &[Option<f64>]) -> Evaluator {
    let period = i64::from(alarm.period) * 1000;
    let mut evaluator = Evaluator::new(alarm);
    for (k, value) in values.iter().enumerate() {
        if let Some(v) = value {
            evaluator.add(t0() + k as i64 * period, &[(*v, 1)]);
        }
    }
    evaluator
}

/// The evaluation time right after the last of `periods` periods.
fn after(evaluator: &Evaluator, periods: usize) -> i64 {
    t0() + periods as i64 * evaluator.period_ms()
}

fn state_after(alarm: Alarm, values: &[Option<f64>], initial: StateValue) -> StateValue {
    let mut evaluator = fed(alarm, values);
    evaluator.set_state(initial, "set by the test");
    let at = after(&evaluator, values.len());
    evaluator.evaluate_at(at);
    evaluator.state().value
}
