//! The alarms file: PutMetricAlarm's fields, strict, every problem named by alarm and field, all at once.

use crate::alarms::config::{parse, Action, ConfigError, Problem, TreatMissingData};
use crate::alarms::statistic::{Extended, Statistic};

fn problems(yaml: &str) -> Vec<Problem> {
    match parse(yaml, "alarms.yaml") {
        Err(ConfigError::Invalid { problems, .. }) => problems,
        other => panic!("expected problems, got {other:?}"),
    }
}

fn has(problems: &[Problem], alarm: &str, field: &str, words: &str) -> bool {
    problems
        .iter()
        .any(|p| p.alarm == alarm && p.field == field && p.message.contains(words))
}

#[test]
fn a_full_alarm_parses_with_every_field() {
    let yaml = r"
- AlarmName: ApiErrors
  AlarmDescription: 5xx from the shop API
  Namespace: AWS/ApiGateway
  MetricName: 5XXError
  Dimensions:
    - {Name: Stage, Value: prod}
    - {Name: ApiName, Value: shop}
  Statistic: Sum
  Period: 60
  EvaluationPeriods: 5
  DatapointsToAlarm: 3
  Threshold: 2.5
  ComparisonOperator: GreaterThanThreshold
  TreatMissingData: notBreaching
  EvaluateLowSampleCountPercentile: evaluate
  Unit: Count
  ActionsEnabled: false
  AlarmActions: ['http://127.0.0.1:9/hook', 'exec:logger alarm', 'https://hooks.example/moat']
  OKActions: []
  InsufficientDataActions: ['exec:true']
  Tags: [{Key: team, Value: api}]
";
    let alarms = parse(yaml, "alarms.yaml").expect("valid");
    let a = &alarms[0];
    assert_eq!(a.name, "ApiErrors");
    assert_eq!(
        a.dimensions,
        [("ApiName".into(), "shop".into()), ("Stage".into(), "prod".into())]
    );
    assert_eq!(a.statistic, Statistic::Sum);
    assert_eq!((a.period, a.evaluation_periods, a.datapoints_to_alarm), (60, 5, 3));
    assert_eq!(a.threshold, 2.5);
    assert_eq!(a.treat_missing_data, TreatMissingData::NotBreaching);
    assert!(!a.actions_enabled);
    assert_eq!(
        a.alarm_actions,
        [
            Action::Webhook("http://127.0.0.1:9/hook".into()),
            Action::Exec("logger alarm".into()),
            Action::Webhook("https://hooks.example/moat".into())
        ]
    );
    assert_eq!(a.insufficient_data_actions, [Action::Exec("true".into())]);
}

#[test]
fn json_is_accepted_too() {
    let json = r#"[{"AlarmName": "A", "Namespace": "N", "MetricName": "M", "ExtendedStatistic": "p99.9",
        "Period": 10, "EvaluationPeriods": 1, "Threshold": 1, "ComparisonOperator": "LessThanThreshold"}]"#;
    let alarms = parse(json, "alarms.json").expect("valid");
    assert_eq!(
        alarms[0].statistic,
        Statistic::Extended(Extended::Percentile(99.9), "p99.9".into())
    );
    assert_eq!(alarms[0].datapoints_to_alarm, 1);
}

#[test]
fn every_problem_is_reported_at_once_naming_alarm_and_field() {
    let yaml = r"
- AlarmName: Slow
  Namespace: Moat/ApiGateway
  MetricName: Latency
  Dimensions: [{Name: ApiName, Value: shop}, {Name: Stage}]
  Statistic: Median
  Period: 45
  EvaluationPeriods: 2
  DatapointsToAlarm: 3
  Threshold: high
  ComparisonOperator: GreaterThanThreshold
  TreatMissingData: Breaching
  Unit: ms
  Threshhold: 3
- Namespace: X
  MetricName: Y
  Statistic: Sum
  Period: 60
  EvaluationPeriods: 1
  Threshold: 1
  ComparisonOperator: LessThanLowerOrGreaterThanUpperThreshold
- just a string
";
    let p = problems(yaml);
    let slow = "alarm \"Slow\"";
    assert!(has(&p, slow, "Dimensions[1]", "missing field `Value`"), "{p:#?}");
    assert!(has(&p, slow, "Statistic", "\"Median\" is not a statistic"), "{p:#?}");
    assert!(
        has(&p, slow, "Period", "45 is not a period CloudWatch accepts"),
        "{p:#?}"
    );
    assert!(
        has(&p, slow, "DatapointsToAlarm", "between 1 and EvaluationPeriods (2)"),
        "{p:#?}"
    );
    assert!(has(&p, slow, "Threshold", "invalid type"), "{p:#?}");
    assert!(
        has(&p, slow, "TreatMissingData", "\"Breaching\" is not one of"),
        "{p:#?}"
    );
    assert!(has(&p, slow, "Unit", "\"ms\" is not a CloudWatch unit"), "{p:#?}");
    assert!(has(&p, slow, "Threshhold", "unknown field"), "{p:#?}");
    assert!(has(&p, "alarms[1]", "AlarmName", "is required"), "{p:#?}");
    assert!(
        has(&p, "alarms[1]", "ComparisonOperator", "anomaly detection band"),
        "{p:#?}"
    );
    assert!(has(&p, "alarms[2]", "", "expected a mapping"), "{p:#?}");
    assert_eq!(p.len(), 11, "{p:#?}");
    let text = ConfigError::Invalid {
        path: "alarms.yaml".into(),
        problems: p,
    }
    .to_string();
    assert!(
        text.starts_with("alarms.yaml: 11 problems:\n  alarm \"Slow\": "),
        "{text}"
    );
}

#[test]
fn unknown_fields_get_a_hint_for_a_case_slip() {
    let yaml = "- {AlarmName: A, Namespace: N, MetricName: M, Statistic: Sum, Period: 60, EvaluationPeriods: 1, \
                Threshold: 1, comparisonOperator: GreaterThanThreshold}";
    let p = problems(yaml);
    assert!(
        has(
            &p,
            "alarm \"A\"",
            "comparisonOperator",
            "did you mean ComparisonOperator?"
        ),
        "{p:#?}"
    );
    assert!(has(&p, "alarm \"A\"", "ComparisonOperator", "is required"), "{p:#?}");
}

#[test]
fn statistic_choices_are_checked() {
    let base = "AlarmName: A, Namespace: N, MetricName: M, Period: 60, EvaluationPeriods: 1, Threshold: 1, \
                ComparisonOperator: GreaterThanThreshold";
    let p = problems(&format!("- {{{base}, Statistic: Sum, ExtendedStatistic: p99}}"));
    assert!(has(&p, "alarm \"A\"", "ExtendedStatistic", "not both"), "{p:#?}");
    let p = problems(&format!("- {{{base}}}"));
    assert!(has(&p, "alarm \"A\"", "Statistic", "is required"), "{p:#?}");
    for bad in [
        "p101",
        "p99.12345678901",
        "P99",
        "tm",
        "TM(90%:10%)",
        "PR(10%:20%)",
        "TM()",
        "xx(1:2)",
    ] {
        let p = problems(&format!("- {{{base}, ExtendedStatistic: '{bad}'}}"));
        assert!(
            has(&p, "alarm \"A\"", "ExtendedStatistic", "is not an extended statistic"),
            "{bad}: {p:#?}"
        );
    }
    for good in [
        "p0",
        "p100",
        "p99.99",
        "tm99",
        "wm90",
        "tc90",
        "ts90",
        "IQM",
        "TM(10%:90%)",
        "TS(:500)",
        "PR(100:)",
    ] {
        parse(&format!("- {{{base}, ExtendedStatistic: '{good}'}}"), "t").unwrap_or_else(|e| panic!("{good}: {e}"));
    }
}

#[test]
fn limits_of_put_metric_alarm_are_enforced() {
    let base = "AlarmName: A, Namespace: N, MetricName: M, Statistic: Sum, Threshold: 1, \
                ComparisonOperator: GreaterThanThreshold";
    // Periods under an hour: at most one day in total; an hour and more: at most seven days.
    let p = problems(&format!("- {{{base}, Period: 60, EvaluationPeriods: 1441}}"));
    assert!(has(&p, "alarm \"A\"", "EvaluationPeriods", "at most 86400 s"), "{p:#?}");
    parse(&format!("- {{{base}, Period: 3600, EvaluationPeriods: 168}}"), "t").expect("7 days of hours");
    let p =
        problems(&format!("- {{{base}, Period: 60, EvaluationPeriods: 1}}").replace("Threshold: 1", "Threshold: .nan"));
    assert!(has(&p, "alarm \"A\"", "Threshold", "finite"), "{p:#?}");
    let p = problems(&format!("- {{{base}, Period: 0, EvaluationPeriods: 0}}"));
    assert!(has(&p, "alarm \"A\"", "Period", "not a period"), "{p:#?}");
    assert!(has(&p, "alarm \"A\"", "EvaluationPeriods", "at least 1"), "{p:#?}");
    let p = problems(&format!(
        "- {{{base}, Period: 60, EvaluationPeriods: 1}}\n- {{{base}, Period: 60, EvaluationPeriods: 1}}"
    ));
    assert!(has(&p, "alarm \"A\"", "AlarmName", "same name"), "{p:#?}");
}

#[test]
fn actions_must_be_webhooks_or_commands() {
    let base = "AlarmName: A, Namespace: N, MetricName: M, Statistic: Sum, Period: 60, EvaluationPeriods: 1, \
                Threshold: 1, ComparisonOperator: GreaterThanThreshold";
    let p = problems(&format!(
        "- {{{base}, AlarmActions: ['arn:aws:sns:us-east-1:123456789012:ops', 'https://', 'exec:', \
         'ftp://x', 'http://host:99999/']}}"
    ));
    assert!(has(&p, "alarm \"A\"", "AlarmActions[0]", "is an AWS action"), "{p:#?}");
    assert!(has(&p, "alarm \"A\"", "AlarmActions[1]", "has no host"), "{p:#?}");
    assert!(has(&p, "alarm \"A\"", "AlarmActions[2]", "needs a command"), "{p:#?}");
    assert!(has(&p, "alarm \"A\"", "AlarmActions[3]", "is not an action"), "{p:#?}");
    assert!(has(&p, "alarm \"A\"", "AlarmActions[4]", "port"), "{p:#?}");
}

#[test]
fn not_a_list_and_bad_syntax_are_errors() {
    assert!(matches!(
        parse("AlarmName: A", "f"),
        Err(ConfigError::NotAList { found: "a mapping", .. })
    ));
    let err = parse("- [unclosed", "f").expect_err("syntax");
    assert!(matches!(err, ConfigError::Syntax { .. }), "{err}");
    assert!(err.to_string().contains("line"), "{err}");
}

#[test]
fn examples_alarms_yaml_loads() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/moatctl/alarms.yaml");
    let alarms = crate::alarms::config::load(&path).unwrap_or_else(|e| panic!("{e}"));
    assert!(alarms.len() >= 3);
}
