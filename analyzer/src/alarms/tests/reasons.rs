//! State reasons, reason data and history items worded as CloudWatch words them (checked against state
//! reasons CloudWatch wrote into SNS notifications and DescribeAlarms / DescribeAlarmHistory output).

use serde_json::{json, Value};

use super::{after, alarm, fed, t0};
use crate::alarms::eval::StateValue;
use crate::alarms::history::{notification, HistoryItem};

#[test]
fn m_of_n_alarm_reason_lists_the_breaching_datapoints_newest_first() {
    let a = alarm(&[("Period", "60"), ("EvaluationPeriods", "1"), ("DatapointsToAlarm", "1")]);
    let mut evaluator = fed(a, &[Some(1.0)]);
    let change = evaluator.evaluate_at(after(&evaluator, 1)).expect("a state change");
    assert_eq!(
        change.new.reason,
        "Threshold Crossed: 1 out of the last 1 datapoints [1.0 (25/11/26 10:00:00)] was greater than or equal to \
         the threshold (1.0) (minimum 1 datapoint for OK -> ALARM transition)."
    );
    let a = alarm(&[("Period", "60"), ("EvaluationPeriods", "3"), ("DatapointsToAlarm", "2")]);
    let mut evaluator = fed(a, &[Some(0.5), Some(2.0), Some(3.25)]);
    let change = evaluator.evaluate_at(after(&evaluator, 3)).expect("a state change");
    assert_eq!(
        change.new.reason,
        "Threshold Crossed: 2 out of the last 3 datapoints [3.25 (25/11/26 10:02:00), 2.0 (25/11/26 10:01:00)] were \
         greater than or equal to the threshold (1.0) (minimum 2 datapoints for OK -> ALARM transition)."
    );
}

#[test]
fn ok_reason_counts_the_clear_datapoints_and_the_minimum_for_ok() {
    let a = alarm(&[("Period", "60"), ("EvaluationPeriods", "2"), ("DatapointsToAlarm", "2")]);
    let mut evaluator = fed(a, &[Some(2.0), Some(0.0)]);
    evaluator.set_state(StateValue::Alarm, "test");
    let change = evaluator.evaluate_at(after(&evaluator, 2)).expect("a state change");
    assert_eq!(
        change.new.reason,
        "Threshold Crossed: 1 out of the last 2 datapoints [0.0 (25/11/26 10:01:00)] was not greater than or equal \
         to the threshold (1.0) (minimum 1 datapoint for ALARM -> OK transition)."
    );
}

#[test]
fn without_datapoints_to_alarm_the_short_wording_is_used() {
    let a = alarm(&[("Period", "60"), ("EvaluationPeriods", "1"), ("Statistic", "Minimum")]);
    let mut evaluator = fed(a, &[Some(0.0)]);
    let change = evaluator.evaluate_at(after(&evaluator, 1)).expect("a state change");
    assert_eq!(
        change.new.reason,
        "Threshold Crossed: 1 datapoint [0.0 (25/11/26 10:00:00)] was not greater than or equal to the threshold (1.0)."
    );
}

#[test]
fn missing_data_reasons() {
    let states = |treat: &str, n: &str| {
        let a = alarm(&[("TreatMissingData", treat), ("EvaluationPeriods", n)]);
        let mut evaluator = fed(a, &[]);
        evaluator.set_state(StateValue::Ok, "test");
        evaluator.evaluate_at(t0());
        evaluator.state().reason.clone()
    };
    assert_eq!(states("missing", "5"), "Insufficient Data: 5 datapoints were unknown.");
    assert_eq!(states("missing", "1"), "Insufficient Data: 1 datapoint was unknown.");
    assert_eq!(
        states("breaching", "3"),
        "Threshold Crossed: no datapoints were received for 3 periods and 3 missing datapoints were treated as \
         [Breaching]."
    );
    assert_eq!(
        states("notBreaching", "1"),
        "Threshold Crossed: no datapoints were received for 1 period and 1 missing datapoint was treated as \
         [NonBreaching]."
    );
}

#[test]
fn reason_data_and_history_item_have_cloudwatchs_shape() {
    let a = alarm(&[
        ("Period", "60"),
        ("EvaluationPeriods", "2"),
        ("DatapointsToAlarm", "1"),
        ("Unit", "Count"),
    ]);
    let mut evaluator = fed(a, &[None, Some(4.0)]);
    let change = evaluator.evaluate_at(after(&evaluator, 2)).expect("a state change");
    let item = HistoryItem::of(&change);
    let item_json = serde_json::to_value(&item).expect("json");
    assert_eq!(item_json["AlarmName"], "TestAlarm");
    assert_eq!(item_json["AlarmType"], "MetricAlarm");
    assert_eq!(item_json["Timestamp"], "2026-11-25T10:02:00.000Z");
    assert_eq!(item_json["HistoryItemType"], "StateUpdate");
    assert_eq!(
        item_json["HistorySummary"],
        "Alarm updated from INSUFFICIENT_DATA to ALARM"
    );
    let data: Value = serde_json::from_str(&item.history_data).expect("HistoryData is a JSON string");
    assert_eq!(
        data,
        json!({
            "version": "1.0",
            "oldState": {"stateValue": "INSUFFICIENT_DATA", "stateReason": "Unchecked: Initial alarm creation"},
            "newState": {
                "stateValue": "ALARM",
                "stateReason": "Threshold Crossed: 1 out of the last 2 datapoints [4.0 (25/11/26 10:01:00)] was greater \
                                than or equal to the threshold (1.0) (minimum 1 datapoint for OK -> ALARM transition).",
                "stateReasonData": {
                    "version": "1.0",
                    "queryDate": "2026-11-25T10:02:00.000+0000",
                    "startDate": "2026-11-25T10:01:00.000+0000",
                    "unit": "Count",
                    "statistic": "Maximum",
                    "period": 60,
                    "recentDatapoints": [4.0],
                    "threshold": 1.0,
                    "evaluatedDatapoints": [
                        {"timestamp": "2026-11-25T10:01:00.000+0000", "sampleCount": 1.0, "value": 4.0},
                        {"timestamp": "2026-11-25T10:00:00.000+0000"}
                    ]
                }
            }
        })
    );
    // CloudWatch's key order inside HistoryData.
    assert!(item
        .history_data
        .starts_with(r#"{"version":"1.0","oldState":{"stateValue":"INSUFFICIENT_DATA""#));
    assert!(item
        .history_data
        .contains(r#""stateReasonData":{"version":"1.0","queryDate":"#));
}

#[test]
fn notification_has_the_sns_alarm_message_fields() {
    let a = alarm(&[
        ("Period", "60"),
        ("EvaluationPeriods", "1"),
        ("Dimensions", "[{Name: ApiName, Value: shop}]"),
        ("AlarmDescription", "'Too slow'"),
        ("AlarmActions", "['exec:true']"),
    ]);
    let mut evaluator = fed(a, &[Some(7.0)]);
    let change = evaluator.evaluate_at(after(&evaluator, 1)).expect("a state change");
    let message: Value = serde_json::from_str(&notification(evaluator.alarm(), &change)).expect("json");
    assert_eq!(message["AlarmName"], "TestAlarm");
    assert_eq!(message["AlarmDescription"], "Too slow");
    assert_eq!(message["NewStateValue"], "ALARM");
    assert_eq!(message["OldStateValue"], "INSUFFICIENT_DATA");
    assert_eq!(message["StateChangeTime"], "2026-11-25T10:01:00.000+0000");
    assert_eq!(message["AlarmActions"], json!(["exec:true"]));
    assert_eq!(
        message["Trigger"],
        json!({
            "MetricName": "Latency", "Namespace": "Moat/Test", "StatisticType": "Statistic", "Statistic": "MAXIMUM",
            "Unit": null, "Dimensions": [{"value": "shop", "name": "ApiName"}], "Period": 60, "EvaluationPeriods": 1,
            "ComparisonOperator": "GreaterThanOrEqualToThreshold", "Threshold": 1.0, "TreatMissingData": "missing",
            "EvaluateLowSampleCountPercentile": ""
        })
    );
}
