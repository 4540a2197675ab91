//! The alarms file: a YAML (or JSON) list of alarms, each written with CloudWatch `PutMetricAlarm`'s
//! field names. Strict: an unknown field is an error, and every problem of every alarm is reported at once,
//! each naming the alarm and the field (`alarm "HighLatency": Period: 45 is not a period CloudWatch
//! accepts ...`).

use std::fmt;
use std::path::Path;

use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_yaml::Value;

use super::statistic::Statistic;

/// How an alarm treats periods with no datapoint (`TreatMissingData`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TreatMissingData {
    /// `missing` (the default): missing datapoints are not considered.
    Missing,
    /// `ignore`: the current state is kept when the data cannot decide.
    Ignore,
    /// `breaching`: missing datapoints count as breaching.
    Breaching,
    /// `notBreaching`: missing datapoints count as within the threshold.
    NotBreaching,
}

impl TreatMissingData {
    /// The field value, as written in the config and in notifications.
    pub fn as_str(self) -> &'static str {
        match self {
            TreatMissingData::Missing => "missing",
            TreatMissingData::Ignore => "ignore",
            TreatMissingData::Breaching => "breaching",
            TreatMissingData::NotBreaching => "notBreaching",
        }
    }
}

/// The four static-threshold comparison operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comparison {
    /// `GreaterThanOrEqualToThreshold`.
    GreaterThanOrEqual,
    /// `GreaterThanThreshold`.
    GreaterThan,
    /// `LessThanThreshold`.
    LessThan,
    /// `LessThanOrEqualToThreshold`.
    LessThanOrEqual,
}

impl Comparison {
    /// Whether `value` breaches `threshold`.
    pub fn breaches(self, value: f64, threshold: f64) -> bool {
        match self {
            Comparison::GreaterThanOrEqual => value >= threshold,
            Comparison::GreaterThan => value > threshold,
            Comparison::LessThan => value < threshold,
            Comparison::LessThanOrEqual => value <= threshold,
        }
    }

    /// The operator's name in PutMetricAlarm.
    pub fn as_str(self) -> &'static str {
        match self {
            Comparison::GreaterThanOrEqual => "GreaterThanOrEqualToThreshold",
            Comparison::GreaterThan => "GreaterThanThreshold",
            Comparison::LessThan => "LessThanThreshold",
            Comparison::LessThanOrEqual => "LessThanOrEqualToThreshold",
        }
    }

    /// How a state reason words a breaching datapoint (`greater than or equal to`).
    pub fn phrase(self) -> &'static str {
        match self {
            Comparison::GreaterThanOrEqual => "greater than or equal to",
            Comparison::GreaterThan => "greater than",
            Comparison::LessThan => "less than",
            Comparison::LessThanOrEqual => "less than or equal to",
        }
    }
}

/// Where an alarm's notification goes when it enters a state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// `http://...` or `https://...`: POST the notification JSON.
    Webhook(String),
    /// `exec:COMMAND`: run `sh -c COMMAND` with the notification JSON on stdin.
    Exec(String),
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Action::Webhook(url) => f.write_str(url),
            Action::Exec(command) => write!(f, "exec:{command}"),
        }
    }
}

/// One validated alarm.
#[derive(Debug, Clone, PartialEq)]
pub struct Alarm {
    /// `AlarmName`.
    pub name: String,
    /// `AlarmDescription`.
    pub description: Option<String>,
    /// `Namespace`.
    pub namespace: String,
    /// `MetricName`.
    pub metric_name: String,
    /// `Dimensions` as (name, value), sorted by name.
    pub dimensions: Vec<(String, String)>,
    /// `Statistic` or `ExtendedStatistic`.
    pub statistic: Statistic,
    /// `Period`, seconds.
    pub period: u32,
    /// `EvaluationPeriods` (N).
    pub evaluation_periods: u32,
    /// `DatapointsToAlarm` (M); `EvaluationPeriods` when absent.
    pub datapoints_to_alarm: u32,
    /// Whether `DatapointsToAlarm` was given (state reasons then use the "M out of N" wording).
    pub datapoints_to_alarm_given: bool,
    /// `Threshold`.
    pub threshold: f64,
    /// `ComparisonOperator`.
    pub comparison: Comparison,
    /// `TreatMissingData`.
    pub treat_missing_data: TreatMissingData,
    /// `EvaluateLowSampleCountPercentile` is `ignore`.
    pub ignore_low_sample_count: bool,
    /// `EvaluateLowSampleCountPercentile` as written (empty when absent, as in notifications).
    pub low_sample_count_text: String,
    /// `Unit`: only data with this unit counts.
    pub unit: Option<String>,
    /// `ActionsEnabled` (default true).
    pub actions_enabled: bool,
    /// `AlarmActions`.
    pub alarm_actions: Vec<Action>,
    /// `OKActions`.
    pub ok_actions: Vec<Action>,
    /// `InsufficientDataActions`.
    pub insufficient_data_actions: Vec<Action>,
}

/// One problem in the alarms file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// `alarm "Name"` or `alarms[3]` when the alarm has no usable name.
    pub alarm: String,
    /// The field (`Period`, `Dimensions[1].Value`), or empty for the alarm as a whole.
    pub field: String,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.field.is_empty() {
            write!(f, "{}: {}", self.alarm, self.message)
        } else {
            write!(f, "{}: {}: {}", self.alarm, self.field, self.message)
        }
    }
}

/// Why an alarms file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("{path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not YAML or JSON (the message has the line and column).
    #[error("{path}: {message}")]
    Syntax {
        /// The file.
        path: String,
        /// The parser's message.
        message: String,
    },
    /// The file is not a list of alarms.
    #[error("{path}: expected a list of alarms (PutMetricAlarm fields), found {found}")]
    NotAList {
        /// The file.
        path: String,
        /// What was found instead.
        found: &'static str,
    },
    /// One or more alarms are invalid; every problem is listed.
    #[error("{path}: {} problem{}:\n  {}", problems.len(), if problems.len() == 1 { "" } else { "s" },
        problems.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n  "))]
    Invalid {
        /// The file.
        path: String,
        /// Every problem found.
        problems: Vec<Problem>,
    },
}

/// Reads and validates an alarms file.
///
/// # Errors
/// [`ConfigError`] naming every problem.
pub fn load(path: &Path) -> Result<Vec<Alarm>, ConfigError> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: shown.clone(),
        source,
    })?;
    parse(&text, &shown)
}

/// Parses and validates alarms from YAML or JSON text; `origin` names it in errors.
///
/// # Errors
/// [`ConfigError`] naming every problem.
pub fn parse(text: &str, origin: &str) -> Result<Vec<Alarm>, ConfigError> {
    let value: Value = serde_yaml::from_str(text).map_err(|e| ConfigError::Syntax {
        path: origin.to_owned(),
        message: e.to_string(),
    })?;
    let items = match value {
        Value::Sequence(items) => items,
        other => {
            return Err(ConfigError::NotAList {
                path: origin.to_owned(),
                found: kind(&other),
            })
        }
    };
    let mut problems = Vec::new();
    let mut alarms = Vec::new();
    for (index, item) in items.into_iter().enumerate() {
        if let Some(alarm) = parse_alarm(index, item, &mut problems) {
            if alarms.iter().any(|a: &Alarm| a.name == alarm.name) {
                problems.push(Problem {
                    alarm: format!("alarm {:?}", alarm.name),
                    field: "AlarmName".into(),
                    message: "another alarm has the same name".into(),
                });
            }
            alarms.push(alarm);
        }
    }
    if problems.is_empty() {
        Ok(alarms)
    } else {
        Err(ConfigError::Invalid {
            path: origin.to_owned(),
            problems,
        })
    }
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "nothing",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Sequence(_) => "a list",
        Value::Mapping(_) => "a mapping",
        Value::Tagged(_) => "a tagged value",
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Dimension {
    #[serde(rename = "Name")]
    name: String,
    #[serde(rename = "Value")]
    value: String,
}

const FIELDS: [&str; 20] = [
    "AlarmName",
    "AlarmDescription",
    "MetricName",
    "Namespace",
    "Dimensions",
    "Statistic",
    "ExtendedStatistic",
    "Period",
    "EvaluationPeriods",
    "DatapointsToAlarm",
    "Threshold",
    "ComparisonOperator",
    "TreatMissingData",
    "EvaluateLowSampleCountPercentile",
    "Unit",
    "ActionsEnabled",
    "AlarmActions",
    "OKActions",
    "InsufficientDataActions",
    "Tags",
];

const UNITS: [&str; 27] = [
    "Seconds",
    "Microseconds",
    "Milliseconds",
    "Bytes",
    "Kilobytes",
    "Megabytes",
    "Gigabytes",
    "Terabytes",
    "Bits",
    "Kilobits",
    "Megabits",
    "Gigabits",
    "Terabits",
    "Percent",
    "Count",
    "Bytes/Second",
    "Kilobytes/Second",
    "Megabytes/Second",
    "Gigabytes/Second",
    "Terabytes/Second",
    "Bits/Second",
    "Kilobits/Second",
    "Megabits/Second",
    "Gigabits/Second",
    "Terabits/Second",
    "Count/Second",
    "None",
];

/// Collects one alarm's fields and problems.
struct Fields<'a> {
    alarm: String,
    problems: &'a mut Vec<Problem>,
    values: Vec<(String, Value)>,
}

impl Fields<'_> {
    fn problem(&mut self, field: &str, message: impl Into<String>) {
        self.problems.push(Problem {
            alarm: self.alarm.clone(),
            field: field.to_owned(),
            message: message.into(),
        });
    }

    /// The field deserialized as `T`; `None` (and a problem recorded) when it is present but wrong.
    fn get<T: DeserializeOwned>(&mut self, field: &str) -> Option<T> {
        let value = self.values.iter().find(|(k, _)| k == field).map(|(_, v)| v.clone())?;
        match serde_path_to_error::deserialize::<_, T>(value) {
            Ok(parsed) => Some(parsed),
            Err(e) => {
                let path = e.path().to_string();
                let at = if path == "." {
                    field.to_owned()
                } else {
                    format!("{field}{}", bracket(&path))
                };
                self.problem(&at, e.into_inner().to_string());
                None
            }
        }
    }

    fn present(&self, field: &str) -> bool {
        self.values.iter().any(|(k, _)| k == field)
    }

    fn required<T: DeserializeOwned>(&mut self, field: &str) -> Option<T> {
        if !self.present(field) {
            self.problem(field, "is required");
            return None;
        }
        self.get(field)
    }
}

/// serde_path_to_error writes list items as `[1]` and fields as `.Value`; `[1].Value` reads well.
fn bracket(path: &str) -> String {
    if path.starts_with('[') {
        path.to_owned()
    } else {
        format!(".{path}")
    }
}

fn parse_alarm(index: usize, item: Value, problems: &mut Vec<Problem>) -> Option<Alarm> {
    let Value::Mapping(map) = item else {
        problems.push(Problem {
            alarm: format!("alarms[{index}]"),
            field: String::new(),
            message: format!("expected a mapping of PutMetricAlarm fields, found {}", kind(&item)),
        });
        return None;
    };
    let name_hint = map.get("AlarmName").and_then(Value::as_str).map(str::to_owned);
    let mut fields = Fields {
        alarm: name_hint
            .as_ref()
            .map_or_else(|| format!("alarms[{index}]"), |n| format!("alarm {n:?}")),
        problems,
        values: Vec::new(),
    };
    for (key, value) in map {
        let Some(key) = key.as_str().map(str::to_owned) else {
            fields.problem("", format!("field names must be strings, found {}", kind(&key)));
            continue;
        };
        match key.as_str() {
            "Metrics" => fields.problem(
                &key,
                "metric math alarms are not supported; give MetricName and Namespace",
            ),
            "ThresholdMetricId" => fields.problem(
                &key,
                "anomaly detection alarms are not supported; give a static Threshold",
            ),
            known if FIELDS.contains(&known) => fields.values.push((key, value)),
            unknown => {
                let hint = FIELDS
                    .iter()
                    .find(|f| f.eq_ignore_ascii_case(unknown))
                    .map_or_else(String::new, |f| format!(" (did you mean {f}?)"));
                fields.problem(
                    unknown,
                    format!("unknown field{hint}; alarms take PutMetricAlarm's field names"),
                );
            }
        }
    }
    build(&mut fields)
}

fn build(f: &mut Fields<'_>) -> Option<Alarm> {
    let name: Option<String> = f.required("AlarmName");
    if let Some(n) = &name {
        if n.is_empty() || n.chars().count() > 255 || !n.is_ascii() {
            f.problem("AlarmName", "must be 1 to 255 ASCII characters");
        }
    }
    let description: Option<String> = f.get("AlarmDescription");
    if description.as_ref().is_some_and(|d| d.chars().count() > 1024) {
        f.problem("AlarmDescription", "must be at most 1024 characters");
    }
    let metric_name = name_field(f, "MetricName");
    let namespace = name_field(f, "Namespace");
    if namespace.as_ref().is_some_and(|n| n.starts_with(':')) {
        f.problem("Namespace", "must not start with ':'");
    }
    let dimensions = dimensions(f);
    let statistic = statistic(f);
    let period: Option<u32> = f.required("Period");
    if let Some(p) = period {
        if !(p == 10 || p == 20 || p == 30 || (p >= 60 && p % 60 == 0)) {
            f.problem(
                "Period",
                format!("{p} is not a period CloudWatch accepts; use 10, 20, 30 or a multiple of 60"),
            );
        }
    }
    let evaluation_periods: Option<u32> = f.required("EvaluationPeriods");
    if evaluation_periods == Some(0) {
        f.problem("EvaluationPeriods", "must be at least 1");
    }
    if let (Some(p), Some(n)) = (period, evaluation_periods) {
        let limit = if p < 3600 { 86_400 } else { 604_800 };
        if u64::from(p) * u64::from(n) > limit {
            f.problem(
                "EvaluationPeriods",
                format!(
                    "Period × EvaluationPeriods = {} s; CloudWatch allows at most {limit} s",
                    u64::from(p) * u64::from(n)
                ),
            );
        }
    }
    let datapoints: Option<u32> = f.get("DatapointsToAlarm");
    if let (Some(m), Some(n)) = (datapoints, evaluation_periods) {
        if m == 0 || m > n {
            f.problem(
                "DatapointsToAlarm",
                format!("{m} must be between 1 and EvaluationPeriods ({n})"),
            );
        }
    }
    let threshold: Option<f64> = f.required("Threshold");
    if threshold.is_some_and(|t| !t.is_finite()) {
        f.problem("Threshold", "must be a finite number");
    }
    let comparison = comparison(f);
    let treat = match f.get::<String>("TreatMissingData").as_deref() {
        None | Some("missing") => Some(TreatMissingData::Missing),
        Some("ignore") => Some(TreatMissingData::Ignore),
        Some("breaching") => Some(TreatMissingData::Breaching),
        Some("notBreaching") => Some(TreatMissingData::NotBreaching),
        Some(other) => {
            f.problem(
                "TreatMissingData",
                format!("{other:?} is not one of missing, ignore, breaching, notBreaching"),
            );
            None
        }
    };
    let low_sample: Option<String> = f.get("EvaluateLowSampleCountPercentile");
    if let Some(l) = &low_sample {
        if l != "evaluate" && l != "ignore" {
            f.problem(
                "EvaluateLowSampleCountPercentile",
                format!("{l:?} is not evaluate or ignore"),
            );
        }
    }
    let unit: Option<String> = f.get("Unit");
    if let Some(u) = &unit {
        if !UNITS.contains(&u.as_str()) {
            f.problem(
                "Unit",
                format!("{u:?} is not a CloudWatch unit (Seconds, Milliseconds, Count, Percent, ...)"),
            );
        }
    }
    let actions_enabled: Option<bool> = f.get("ActionsEnabled");
    let alarm_actions = actions(f, "AlarmActions");
    let ok_actions = actions(f, "OKActions");
    let insufficient_data_actions = actions(f, "InsufficientDataActions");
    let _tags: Option<Vec<Tag>> = f.get("Tags");
    Some(Alarm {
        name: name?,
        description,
        namespace: namespace?,
        metric_name: metric_name?,
        dimensions: dimensions?,
        statistic: statistic?,
        period: period?,
        evaluation_periods: evaluation_periods?,
        datapoints_to_alarm: datapoints.or(evaluation_periods)?,
        datapoints_to_alarm_given: datapoints.is_some(),
        threshold: threshold?,
        comparison: comparison?,
        treat_missing_data: treat?,
        ignore_low_sample_count: low_sample.as_deref() == Some("ignore"),
        low_sample_count_text: low_sample.unwrap_or_default(),
        unit,
        actions_enabled: actions_enabled.unwrap_or(true),
        alarm_actions: alarm_actions?,
        ok_actions: ok_actions?,
        insufficient_data_actions: insufficient_data_actions?,
    })
}

/// `Tags` are accepted (PutMetricAlarm takes them) and not used.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Tag {
    #[serde(rename = "Key")]
    key: String,
    #[serde(rename = "Value")]
    value: String,
}

fn name_field(f: &mut Fields<'_>, field: &str) -> Option<String> {
    let value: String = f.required(field)?;
    if value.is_empty() || value.chars().count() > 255 {
        f.problem(field, "must be 1 to 255 characters");
    }
    Some(value)
}

fn dimensions(f: &mut Fields<'_>) -> Option<Vec<(String, String)>> {
    if !f.present("Dimensions") {
        return Some(Vec::new());
    }
    let list: Vec<Dimension> = f.get("Dimensions")?;
    if list.len() > 30 {
        f.problem(
            "Dimensions",
            format!("{} dimensions; CloudWatch allows at most 30", list.len()),
        );
    }
    let mut out: Vec<(String, String)> = Vec::with_capacity(list.len());
    for (i, d) in list.into_iter().enumerate() {
        if d.name.is_empty() || d.name.chars().count() > 255 {
            f.problem(&format!("Dimensions[{i}].Name"), "must be 1 to 255 characters");
        }
        if d.value.is_empty() || d.value.chars().count() > 1024 {
            f.problem(&format!("Dimensions[{i}].Value"), "must be 1 to 1024 characters");
        }
        if out.iter().any(|(n, _)| *n == d.name) {
            f.problem(
                &format!("Dimensions[{i}].Name"),
                format!("dimension {:?} is given twice", d.name),
            );
        }
        out.push((d.name, d.value));
    }
    out.sort();
    Some(out)
}

fn statistic(f: &mut Fields<'_>) -> Option<Statistic> {
    let standard: Option<String> = f.get("Statistic");
    let extended: Option<String> = f.get("ExtendedStatistic");
    match (standard, extended) {
        (Some(_), Some(_)) => {
            f.problem(
                "ExtendedStatistic",
                "give either Statistic or ExtendedStatistic, not both",
            );
            None
        }
        (Some(s), None) => Statistic::parse_standard(&s)
            .map_err(|e| f.problem("Statistic", e))
            .ok(),
        (None, Some(e)) => Statistic::parse_extended(&e)
            .map_err(|m| f.problem("ExtendedStatistic", m))
            .ok(),
        (None, None) => {
            if !f.present("Statistic") && !f.present("ExtendedStatistic") {
                f.problem("Statistic", "is required (or ExtendedStatistic)");
            }
            None
        }
    }
}

fn comparison(f: &mut Fields<'_>) -> Option<Comparison> {
    let text: String = f.required("ComparisonOperator")?;
    let op = match text.as_str() {
        "GreaterThanOrEqualToThreshold" => Comparison::GreaterThanOrEqual,
        "GreaterThanThreshold" => Comparison::GreaterThan,
        "LessThanThreshold" => Comparison::LessThan,
        "LessThanOrEqualToThreshold" => Comparison::LessThanOrEqual,
        "LessThanLowerOrGreaterThanUpperThreshold" | "LessThanLowerThreshold" | "GreaterThanUpperThreshold" => {
            f.problem(
                "ComparisonOperator",
                format!(
                    "{text} compares with an anomaly detection band, which moatctl does not compute; use \
                         GreaterThanOrEqualToThreshold, GreaterThanThreshold, LessThanThreshold or \
                         LessThanOrEqualToThreshold with a static Threshold"
                ),
            );
            return None;
        }
        other => {
            f.problem(
                "ComparisonOperator",
                format!(
                    "{other:?} is not one of GreaterThanOrEqualToThreshold, GreaterThanThreshold, \
                         LessThanThreshold, LessThanOrEqualToThreshold"
                ),
            );
            return None;
        }
    };
    Some(op)
}

fn actions(f: &mut Fields<'_>, field: &str) -> Option<Vec<Action>> {
    if !f.present(field) {
        return Some(Vec::new());
    }
    let list: Vec<String> = f.get(field)?;
    if list.len() > 5 {
        f.problem(field, format!("{} actions; CloudWatch allows at most 5", list.len()));
    }
    let mut out = Vec::with_capacity(list.len());
    for (i, text) in list.into_iter().enumerate() {
        match parse_action(&text) {
            Ok(action) => out.push(action),
            Err(message) => f.problem(&format!("{field}[{i}]"), message),
        }
    }
    Some(out)
}

/// Parses one action string: `http(s)://...` (a webhook) or `exec:COMMAND`.
///
/// # Errors
/// A message saying which forms moatctl runs.
pub fn parse_action(text: &str) -> Result<Action, String> {
    if let Some(command) = text.strip_prefix("exec:") {
        if command.trim().is_empty() {
            return Err("exec: needs a command after the colon".into());
        }
        return Ok(Action::Exec(command.to_owned()));
    }
    if text.starts_with("http://") || text.starts_with("https://") {
        return super::actions::parse_webhook_url(text).map(|_| Action::Webhook(text.to_owned()));
    }
    if text.starts_with("arn:") {
        return Err(format!(
            "{text:?} is an AWS action (SNS, EC2, Auto Scaling); moatctl runs webhooks (http(s)://...) and \
             commands (exec:COMMAND)"
        ));
    }
    Err(format!(
        "{text:?} is not an action; use http(s)://HOST[:PORT]/PATH or exec:COMMAND"
    ))
}
