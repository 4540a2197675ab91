//! What a state change looks like outside: a CloudWatch `DescribeAlarmHistory` item (`AlarmHistoryItems`
//! entry, `HistoryItemType` `StateUpdate`, `HistoryData` the JSON string CloudWatch stores; `Action` items
//! for the actions run) and the
//! notification CloudWatch publishes to SNS for an alarm, which webhooks and `exec:` actions receive.

use serde::Serialize;

use super::config::Alarm;
use super::eval::{ReasonData, State, Transition};
use super::statistic::Statistic;
use super::time::{cloudwatch_iso, rfc3339};

/// One `AlarmHistoryItems` entry.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct HistoryItem {
    /// The alarm's name.
    pub alarm_name: String,
    /// Always `MetricAlarm`.
    pub alarm_type: String,
    /// When the state changed (RFC 3339).
    pub timestamp: String,
    /// `StateUpdate`, or `Action` for an action run.
    pub history_item_type: String,
    /// `Alarm updated from OK to ALARM`.
    pub history_summary: String,
    /// The JSON document CloudWatch stores: `{"version":"1.0","oldState":{...},"newState":{...}}`.
    pub history_data: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct StateJson<'a> {
    state_value: &'a str,
    state_reason: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    state_reason_data: Option<&'a ReasonData>,
}

impl<'a> StateJson<'a> {
    fn of(state: &'a State) -> StateJson<'a> {
        StateJson {
            state_value: state.value.as_str(),
            state_reason: &state.reason,
            state_reason_data: state.reason_data.as_ref(),
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct HistoryData<'a> {
    version: &'a str,
    old_state: StateJson<'a>,
    new_state: StateJson<'a>,
}

impl HistoryItem {
    /// The history item of a state change.
    pub fn of(transition: &Transition) -> HistoryItem {
        let data = HistoryData {
            version: "1.0",
            old_state: StateJson::of(&transition.old),
            new_state: StateJson::of(&transition.new),
        };
        HistoryItem {
            alarm_name: transition.alarm.clone(),
            alarm_type: "MetricAlarm".to_owned(),
            timestamp: rfc3339(transition.timestamp_ms),
            history_item_type: "StateUpdate".to_owned(),
            history_summary: format!(
                "Alarm updated from {} to {}",
                transition.old.value.as_str(),
                transition.new.value.as_str()
            ),
            history_data: serde_json::to_string(&data).unwrap_or_default(),
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ActionData<'a> {
    action_state: &'a str,
    state_update_timestamp: i64,
    notification_resource: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

impl HistoryItem {
    /// The `Action` history item of an action run for a state change: `Successfully executed action URL`
    /// or `Failed to execute action URL`, with `actionState`, `stateUpdateTimestamp` (epoch ms) and
    /// `notificationResource` (the action string) in its data, as CloudWatch records its own actions.
    pub fn action(transition: &Transition, action: &str, error: Option<&impl std::fmt::Display>) -> HistoryItem {
        let data = ActionData {
            action_state: if error.is_none() { "Succeeded" } else { "Failed" },
            state_update_timestamp: transition.timestamp_ms,
            notification_resource: action,
            error: error.map(ToString::to_string),
        };
        HistoryItem {
            alarm_name: transition.alarm.clone(),
            alarm_type: "MetricAlarm".to_owned(),
            timestamp: rfc3339(transition.timestamp_ms),
            history_item_type: "Action".to_owned(),
            history_summary: match error {
                None => format!("Successfully executed action {action}"),
                Some(_) => format!("Failed to execute action {action}"),
            },
            history_data: serde_json::to_string(&data).unwrap_or_default(),
        }
    }
}

#[derive(Serialize)]
struct DimensionJson<'a> {
    value: &'a str,
    name: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Trigger<'a> {
    metric_name: &'a str,
    namespace: &'a str,
    statistic_type: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    statistic: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    extended_statistic: Option<&'a str>,
    unit: Option<&'a str>,
    dimensions: Vec<DimensionJson<'a>>,
    period: u32,
    evaluation_periods: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    datapoints_to_alarm: Option<u32>,
    comparison_operator: &'a str,
    threshold: f64,
    treat_missing_data: &'a str,
    evaluate_low_sample_count_percentile: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Notification<'a> {
    alarm_name: &'a str,
    alarm_description: Option<&'a str>,
    new_state_value: &'a str,
    new_state_reason: &'a str,
    state_change_time: String,
    old_state_value: &'a str,
    #[serde(rename = "OKActions")]
    ok_actions: Vec<String>,
    alarm_actions: Vec<String>,
    insufficient_data_actions: Vec<String>,
    trigger: Trigger<'a>,
}

/// The notification CloudWatch publishes to SNS for a state change (the `Message` of the SNS
/// notification), without the AWS-only `AWSAccountId`, `AlarmArn` and `Region`.
pub fn notification(alarm: &Alarm, transition: &Transition) -> String {
    let (statistic_type, statistic, extended) = match &alarm.statistic {
        Statistic::Extended(_, text) => ("ExtendedStatistic", None, Some(text.as_str())),
        Statistic::SampleCount => ("Statistic", Some("SAMPLE_COUNT"), None),
        Statistic::Average => ("Statistic", Some("AVERAGE"), None),
        Statistic::Sum => ("Statistic", Some("SUM"), None),
        Statistic::Minimum => ("Statistic", Some("MINIMUM"), None),
        Statistic::Maximum => ("Statistic", Some("MAXIMUM"), None),
    };
    let strings = |actions: &[super::config::Action]| actions.iter().map(ToString::to_string).collect();
    let message = Notification {
        alarm_name: &alarm.name,
        alarm_description: alarm.description.as_deref(),
        new_state_value: transition.new.value.as_str(),
        new_state_reason: &transition.new.reason,
        state_change_time: cloudwatch_iso(transition.timestamp_ms),
        old_state_value: transition.old.value.as_str(),
        ok_actions: strings(&alarm.ok_actions),
        alarm_actions: strings(&alarm.alarm_actions),
        insufficient_data_actions: strings(&alarm.insufficient_data_actions),
        trigger: Trigger {
            metric_name: &alarm.metric_name,
            namespace: &alarm.namespace,
            statistic_type,
            statistic,
            extended_statistic: extended,
            unit: alarm.unit.as_deref(),
            dimensions: alarm
                .dimensions
                .iter()
                .map(|(name, value)| DimensionJson { value, name })
                .collect(),
            period: alarm.period,
            evaluation_periods: alarm.evaluation_periods,
            datapoints_to_alarm: alarm.datapoints_to_alarm_given.then_some(alarm.datapoints_to_alarm),
            comparison_operator: alarm.comparison.as_str(),
            threshold: alarm.threshold,
            treat_missing_data: alarm.treat_missing_data.as_str(),
            evaluate_low_sample_count_percentile: &alarm.low_sample_count_text,
        },
    };
    serde_json::to_string(&message).unwrap_or_default()
}
