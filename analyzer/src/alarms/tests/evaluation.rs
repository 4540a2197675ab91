//! M out of N, comparison operators, statistics and the low-sample-count rule.

use super::{after, alarm, fed, state_after, t0};
use crate::alarms::eval::{Evaluator, StateValue};
use crate::alarms::statistic::{Bucket, Statistic};

fn some(values: &[f64]) -> Vec<Option<f64>> {
    values.iter().copied().map(Some).collect()
}

#[test]
fn aws_evaluating_an_alarm_figure_threshold_3_three_of_three() {
    // "Using Amazon CloudWatch alarms" → "Evaluating an alarm": threshold 3, Evaluation Periods and
    // Datapoints to Alarm both 3. Periods 3-5 above the threshold → ALARM at the fifth; the sixth dips →
    // OK; the ninth breaches once → stays OK.
    let values = some(&[1.0, 2.0, 4.0, 5.0, 4.5, 2.0, 1.0, 2.0, 4.0, 1.0]);
    let a = alarm(&[
        ("Threshold", "3"),
        ("ComparisonOperator", "GreaterThanThreshold"),
        ("DatapointsToAlarm", "3"),
    ]);
    let mut evaluator = fed(a, &values);
    let mut states = Vec::new();
    for k in 1..=values.len() {
        evaluator.evaluate_at(after(&evaluator, k));
        states.push(evaluator.state().value);
    }
    use StateValue::{Alarm, Ok};
    assert_eq!(states, [Ok, Ok, Ok, Ok, Alarm, Ok, Ok, Ok, Ok, Ok]);
}

#[test]
fn m_of_n_breaching_points_need_not_be_consecutive() {
    // Same page: "The breaching data points do not have to be consecutive, they just must all be within
    // the last number of data points equal to Evaluation Period." 4 out of 5 ("M out of N" example).
    let a = || alarm(&[("EvaluationPeriods", "5"), ("DatapointsToAlarm", "4")]);
    assert_eq!(
        state_after(a(), &some(&[5.0, 0.0, 5.0, 5.0, 5.0]), StateValue::Ok),
        StateValue::Alarm
    );
    assert_eq!(
        state_after(a(), &some(&[5.0, 0.0, 5.0, 0.0, 5.0]), StateValue::Ok),
        StateValue::Ok
    );
    // Only the last 5 count: the breach in the first of 6 periods is out of the window.
    assert_eq!(
        state_after(a(), &some(&[5.0, 0.0, 0.0, 5.0, 5.0, 5.0]), StateValue::Ok),
        StateValue::Ok
    );
}

#[test]
fn every_comparison_operator_at_below_and_above_the_threshold() {
    let cases = [
        ("GreaterThanOrEqualToThreshold", [false, true, true]),
        ("GreaterThanThreshold", [false, false, true]),
        ("LessThanThreshold", [true, false, false]),
        ("LessThanOrEqualToThreshold", [true, true, false]),
    ];
    for (operator, expected) in cases {
        for (value, breach) in [9.0, 10.0, 11.0].into_iter().zip(expected) {
            let a = alarm(&[
                ("ComparisonOperator", operator),
                ("Threshold", "10"),
                ("EvaluationPeriods", "1"),
            ]);
            let want = if breach { StateValue::Alarm } else { StateValue::Ok };
            assert_eq!(
                state_after(a, &[Some(value)], StateValue::InsufficientData),
                want,
                "{operator} {value}"
            );
        }
    }
}

fn bucket(values: &[f64]) -> Bucket {
    let mut bucket = Bucket::default();
    for v in values {
        bucket.add(*v, 1, true);
    }
    bucket
}

fn compute(statistic: &str, values: &[f64]) -> Option<f64> {
    let parsed = Statistic::parse_standard(statistic)
        .or_else(|_| Statistic::parse_extended(statistic))
        .expect("valid statistic");
    parsed.compute(&bucket(values))
}

#[test]
fn each_statistic_over_one_period() {
    // "CloudWatch statistics definitions".
    let values = [3.0, 1.0, 4.0, 1.0, 5.0];
    assert_eq!(compute("SampleCount", &values), Some(5.0));
    assert_eq!(compute("Sum", &values), Some(14.0));
    assert_eq!(compute("Average", &values), Some(2.8));
    assert_eq!(compute("Minimum", &values), Some(1.0));
    assert_eq!(compute("Maximum", &values), Some(5.0));
    assert_eq!(compute("Sum", &[]), None);
}

#[test]
fn each_statistic_drives_an_alarm_from_samples_in_one_period() {
    let period = 300_000;
    for (statistic, threshold, breach) in [
        ("SampleCount", "4", true),
        ("Sum", "14", true),
        ("Average", "3", false),
        ("Minimum", "1", true),
        ("Maximum", "6", false),
    ] {
        let a = alarm(&[
            ("Statistic", statistic),
            ("Threshold", threshold),
            ("EvaluationPeriods", "1"),
        ]);
        let mut evaluator = Evaluator::new(a);
        for (i, v) in [3.0, 1.0, 4.0, 1.0, 5.0].into_iter().enumerate() {
            evaluator.add(t0() + i as i64 * 1000, &[(v, 1)]);
        }
        evaluator.evaluate_at(t0() + period);
        let want = if breach { StateValue::Alarm } else { StateValue::Ok };
        assert_eq!(evaluator.state().value, want, "{statistic} >= {threshold}");
    }
}

#[test]
fn percentiles_are_exact_with_the_nearest_rank_rule() {
    let hundred: Vec<f64> = (1..=100).map(f64::from).collect();
    assert_eq!(compute("p50", &hundred), Some(50.0));
    assert_eq!(compute("p99", &hundred), Some(99.0));
    assert_eq!(compute("p100", &hundred), Some(100.0));
    assert_eq!(compute("p0", &hundred), Some(1.0));
    assert_eq!(compute("p99.5", &hundred), Some(100.0));
    let thousand: Vec<f64> = (1..=1000).map(f64::from).collect();
    assert_eq!(compute("p99.9", &thousand), Some(999.0));
    assert_eq!(compute("p90", &[7.0]), Some(7.0));
    // Values given with counts (EMF's Values/Counts form) are the same samples.
    let mut weighted = Bucket::default();
    weighted.add(10.0, 98, true);
    weighted.add(500.0, 2, true);
    let p99 = Statistic::parse_extended("p99").expect("p99");
    assert_eq!(p99.compute(&weighted), Some(500.0));
    assert_eq!(
        Statistic::parse_extended("p98").expect("p98").compute(&weighted),
        Some(10.0)
    );
}

#[test]
fn trimmed_winsorized_and_rank_statistics() {
    // "CloudWatch statistics definitions": tm90 drops the top 10 %, IQM = TM(25%:75%), wm98 clamps the top
    // 2 % to p98, TM(150:1000) keeps 150 < v <= 1000, PR(:300) is the percentage of values <= 300.
    let hundred: Vec<f64> = (1..=100).map(f64::from).collect();
    assert_eq!(compute("tm90", &hundred), Some(45.5));
    assert_eq!(compute("IQM", &hundred), Some(50.5));
    assert_eq!(compute("TM(25%:75%)", &hundred), Some(50.5));
    assert_eq!(compute("wm98", &hundred), Some(50.47));
    assert_eq!(compute("tc90", &hundred), Some(90.0));
    assert_eq!(compute("ts90", &hundred), Some(4095.0));
    assert_eq!(
        compute("TM(150:1000)", &[100.0, 150.0, 200.0, 1000.0, 2000.0]),
        Some(600.0)
    );
    assert_eq!(compute("PR(:300)", &[100.0, 200.0, 300.0, 400.0]), Some(75.0));
    assert_eq!(compute("PR(100:300)", &[100.0, 200.0, 300.0, 400.0]), Some(50.0));
    assert_eq!(compute("TM(:10)", &[20.0, 30.0]), None);
}

#[test]
fn aws_low_sample_count_rule_p99_needs_1000_samples_when_ignored() {
    // "Percentile-based alarms and low data samples": for p99 the setting applies with fewer than
    // 10/(1-0.99) = 1000 samples.
    for (setting, samples, expected) in [
        ("evaluate", 10, StateValue::Alarm),
        ("ignore", 10, StateValue::InsufficientData),
        ("ignore", 999, StateValue::InsufficientData),
        ("ignore", 1000, StateValue::Alarm),
    ] {
        let a = alarm(&[
            ("Statistic", "~"),
            ("ExtendedStatistic", "p99"),
            ("EvaluationPeriods", "1"),
            ("Threshold", "100"),
            ("EvaluateLowSampleCountPercentile", setting),
        ]);
        let mut evaluator = Evaluator::new(a);
        evaluator.add(t0(), &[(500.0, samples)]);
        evaluator.evaluate_at(t0() + 300_000);
        assert_eq!(evaluator.state().value, expected, "{setting} with {samples} samples");
    }
}

#[test]
fn aws_low_sample_count_rule_below_p50_uses_10_over_p() {
    // Same page: "For percentiles between 0 and 0.5 (exclusive), the setting is used when there are fewer
    // than 10/percentile data points": p10 → 100 samples.
    for (samples, expected) in [(99, StateValue::InsufficientData), (100, StateValue::Alarm)] {
        let a = alarm(&[
            ("Statistic", "~"),
            ("ExtendedStatistic", "p10"),
            ("EvaluationPeriods", "1"),
            ("EvaluateLowSampleCountPercentile", "ignore"),
        ]);
        let mut evaluator = Evaluator::new(a);
        evaluator.add(t0(), &[(5.0, samples)]);
        evaluator.evaluate_at(t0() + 300_000);
        assert_eq!(evaluator.state().value, expected, "p10 with {samples} samples");
    }
}

#[test]
fn the_clock_evaluates_at_every_period_end_aligned_to_the_epoch() {
    let a = alarm(&[("Period", "60"), ("EvaluationPeriods", "1")]);
    let mut evaluator = Evaluator::new(a);
    evaluator.add(t0() + 59_999, &[(5.0, 1)]);
    evaluator.add(t0() + 60_000, &[(0.0, 1)]);
    let changes = evaluator.advance_to(t0() + 30_000);
    assert!(changes.is_empty(), "nothing is due before the first period ends");
    let changes = evaluator.advance_to(t0() + 120_000);
    let seen: Vec<_> = changes.iter().map(|c| (c.timestamp_ms - t0(), c.new.value)).collect();
    assert_eq!(seen, [(60_000, StateValue::Alarm), (120_000, StateValue::Ok)]);
    // A long stretch without data is evaluated once, not period by period, and decides the same.
    let changes = evaluator.advance_to(t0() + 3_600_000_000);
    assert_eq!(changes.len(), 1);
    assert_eq!(changes[0].new.value, StateValue::InsufficientData);
    assert_eq!(evaluator.next_evaluation(), Some(t0() + 3_600_000_000 + 60_000));
}

#[test]
fn data_years_apart_is_evaluated_without_stepping_through_every_period_between() {
    // Two samples 7000 years apart on a 10-second alarm: the empty stretch is skipped, not walked.
    let a = alarm(&[("Period", "10"), ("EvaluationPeriods", "1")]);
    let mut evaluator = Evaluator::new(a);
    let far = crate::alarms::time::utc_ms(9000, 1, 1, 0, 0, 0);
    evaluator.add(0, &[(5.0, 1)]);
    evaluator.add(far, &[(0.0, 1)]);
    evaluator.add(i64::MAX, &[(5.0, 1)]);
    evaluator.add(-1, &[(5.0, 1)]);
    evaluator.start_at(0);
    let changes = evaluator.advance_to(far + 10_000);
    let seen: Vec<_> = changes.iter().map(|c| (c.timestamp_ms, c.new.value)).collect();
    assert_eq!(
        seen,
        [
            (10_000, StateValue::Alarm),
            (40_000, StateValue::InsufficientData),
            (far + 10_000, StateValue::Ok)
        ]
    );
}
