//! "Using Amazon CloudWatch alarms" → "Configuring how CloudWatch alarms treat missing data" → "How alarm
//! state is evaluated when data is missing": both tables, every row, every treatment. Five 5-minute
//! periods are retrieved (oldest first in the row); `0` is a non-breaching datapoint, `X` a breaching one,
//! `-` a missing one. "Retain current state" is checked from each of the three states.

use super::{alarm, state_after};
use crate::alarms::eval::StateValue;

#[derive(Clone, Copy, Debug, PartialEq)]
enum Expect {
    Ok,
    Alarm,
    Insufficient,
    Retain,
}

const TREATMENTS: [&str; 4] = ["missing", "ignore", "breaching", "notBreaching"];

fn datapoints(row: &str) -> Vec<Option<f64>> {
    row.split_whitespace()
        .map(|c| match c {
            "0" => Some(0.0),
            "X" => Some(5.0),
            "-" => None,
            other => panic!("bad cell {other}"),
        })
        .collect()
}

fn check(datapoints_to_alarm: &str, row: &str, expected: [Expect; 4]) {
    for (treatment, expect) in TREATMENTS.iter().zip(expected) {
        for initial in [StateValue::Ok, StateValue::Alarm, StateValue::InsufficientData] {
            let a = alarm(&[
                ("DatapointsToAlarm", datapoints_to_alarm),
                ("TreatMissingData", treatment),
            ]);
            let got = state_after(a, &datapoints(row), initial);
            let want = match expect {
                Expect::Ok => StateValue::Ok,
                Expect::Alarm => StateValue::Alarm,
                Expect::Insufficient => StateValue::InsufficientData,
                Expect::Retain => initial,
            };
            assert_eq!(
                got, want,
                "{datapoints_to_alarm} of 3, row [{row}], TreatMissingData {treatment}, from {initial:?}"
            );
        }
    }
}

use Expect::{Alarm, Insufficient, Ok, Retain};

#[test]
fn aws_missing_data_table_3_of_3_row_1() {
    check("3", "0 - X - X", [Ok, Ok, Ok, Ok]);
}

#[test]
fn aws_missing_data_table_3_of_3_row_2() {
    // "the alarm stays OK even if missing data is treated as breaching, because the one existing data
    // point is not breaching, and this is evaluated along with two missing data points".
    check("3", "0 - - - -", [Ok, Ok, Ok, Ok]);
}

#[test]
fn aws_missing_data_table_3_of_3_row_3() {
    check("3", "- - - - -", [Insufficient, Retain, Alarm, Ok]);
}

#[test]
fn aws_missing_data_table_3_of_3_row_4() {
    // "there are enough real data points so that the setting for how to treat missing data does not need
    // to be considered".
    check("3", "0 X X - X", [Alarm, Alarm, Alarm, Alarm]);
}

#[test]
fn aws_missing_data_table_3_of_3_row_5() {
    check("3", "- - - - X", [Insufficient, Retain, Alarm, Ok]);
}

#[test]
fn aws_missing_data_table_3_of_3_row_6() {
    // "the alarm goes to ALARM state even if missing data is treated as missing, because the oldest
    // evaluated data point is breaching and there aren't any non-breaching data points".
    check("3", "X - - - -", [Alarm, Retain, Alarm, Ok]);
}

#[test]
fn aws_missing_data_table_2_of_3_row_1() {
    check("2", "0 - X - X", [Alarm, Alarm, Alarm, Alarm]);
}

#[test]
fn aws_missing_data_table_2_of_3_row_2() {
    check("2", "0 0 X 0 X", [Alarm, Alarm, Alarm, Alarm]);
}

#[test]
fn aws_missing_data_table_2_of_3_row_3() {
    check("2", "0 - X - -", [Ok, Ok, Alarm, Ok]);
}

#[test]
fn aws_missing_data_table_2_of_3_row_4() {
    check("2", "- - - - 0", [Ok, Ok, Alarm, Ok]);
}

#[test]
fn aws_missing_data_table_2_of_3_row_5() {
    check("2", "- - - - X", [Insufficient, Retain, Alarm, Ok]);
}

#[test]
fn aws_missing_data_row_2_goes_to_alarm_once_the_good_point_leaves_the_range() {
    // Same page, after the first table: "The next time this alarm is evaluated, if the data is still missing
    // it will go to ALARM, as that non-breaching data point will no longer be among the 5 most recent data
    // points retrieved."
    let a = alarm(&[("DatapointsToAlarm", "3"), ("TreatMissingData", "breaching")]);
    let mut evaluator = super::fed(a, &datapoints("0 - - - -"));
    let at = super::after(&evaluator, 5);
    evaluator.evaluate_at(at);
    assert_eq!(evaluator.state().value, StateValue::Ok);
    evaluator.evaluate_at(at + evaluator.period_ms());
    assert_eq!(evaluator.state().value, StateValue::Alarm);
}
