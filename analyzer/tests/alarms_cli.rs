//! `moatctl alarms` as a user runs it: the real binary on files in a temp dir.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

const ALARMS: &str = r"
- AlarmName: shop-5xx
  Namespace: AWS/ApiGateway
  MetricName: 5XXError
  Dimensions: [{Name: ApiName, Value: shop}, {Name: Stage, Value: prod}]
  Statistic: Sum
  Period: 60
  EvaluationPeriods: 1
  DatapointsToAlarm: 1
  Threshold: 1
  ComparisonOperator: GreaterThanOrEqualToThreshold
- AlarmName: fn-time
  Namespace: lambda-function-metrics
  MetricName: time
  Dimensions: [{Name: functionVersion, Value: $LATEST}]
  Statistic: Maximum
  Period: 60
  EvaluationPeriods: 2
  Threshold: 500
  ComparisonOperator: GreaterThanThreshold
  TreatMissingData: notBreaching
";

fn access(minute: u32, status: u16) -> String {
    format!(
        r#"{{ "requestId":"r{minute}", "ip": "198.51.100.7", "caller":"-", "user":"-", "requestTime":"25/Nov/2026:10:{minute:02}:30 +0000", "httpMethod":"GET", "resourcePath":"/pets", "status":"{status}", "protocol":"HTTP/1.1", "responseLength":"2", "responseLatency":"15", "isCanaryRequest":"false" }}"#
    )
}

fn emf(ms: i64, time: f64) -> String {
    format!(
        r#"{{"_aws":{{"Timestamp":{ms},"CloudWatchMetrics":[{{"Namespace":"lambda-function-metrics","Dimensions":[["functionVersion"]],"Metrics":[{{"Name":"time","Unit":"Milliseconds"}}]}}]}},"functionVersion":"$LATEST","time":{time}}}"#
    )
}

fn moatctl() -> Command {
    Command::new(env!("CARGO_BIN_EXE_moatctl"))
}

/// 2026-11-25 10:00:00 UTC.
const T0: i64 = 1_795_600_800_000;

fn files(log: &[String]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("alarms.yaml"), ALARMS).expect("alarms");
    std::fs::write(dir.path().join("access.log"), log.join("\n") + "\n").expect("log");
    dir
}

#[test]
fn batch_run_prints_transitions_final_states_and_exits_2_on_alarm() {
    let log = vec![
        access(0, 200),
        emf(T0 + 10_000, 120.0),
        access(1, 502),
        emf(T0 + 70_000, 900.0),
        access(2, 200),
        emf(T0 + 130_000, 950.0),
    ];
    let dir = files(&log);
    let output = moatctl()
        .current_dir(dir.path())
        .args([
            "alarms",
            "--config",
            "alarms.yaml",
            "access.log",
            "--api-name",
            "shop",
            "--stage",
            "prod",
        ])
        .output()
        .expect("runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(2),
        "stdout:\n{stdout}\nstderr:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        lines[..5],
        [
            "2026-11-25T10:01:00.000Z  shop-5xx  INSUFFICIENT_DATA -> OK  Threshold Crossed: 1 out of the last 1 \
             datapoints [0.0 (25/11/26 10:00:00)] was not greater than or equal to the threshold (1.0) (minimum 1 \
             datapoint for ALARM -> OK transition).",
            "2026-11-25T10:01:00.000Z  fn-time  INSUFFICIENT_DATA -> OK  Threshold Crossed: 2 datapoints [120.0 \
             (25/11/26 10:00:00)] were not greater than the threshold (500.0); 1 missing datapoint was treated as \
             [NonBreaching].",
            "2026-11-25T10:02:00.000Z  shop-5xx  OK -> ALARM  Threshold Crossed: 1 out of the last 1 datapoints [1.0 \
             (25/11/26 10:01:00)] was greater than or equal to the threshold (1.0) (minimum 1 datapoint for OK -> \
             ALARM transition).",
            "2026-11-25T10:03:00.000Z  shop-5xx  ALARM -> OK  Threshold Crossed: 1 out of the last 1 datapoints [0.0 \
             (25/11/26 10:02:00)] was not greater than or equal to the threshold (1.0) (minimum 1 datapoint for ALARM \
             -> OK transition).",
            "2026-11-25T10:03:00.000Z  fn-time  OK -> ALARM  Threshold Crossed: 2 datapoints [950.0 (25/11/26 \
             10:02:00), 900.0 (25/11/26 10:01:00)] were greater than the threshold (500.0).",
        ]
    );
    assert!(stdout.contains("\nALARM     STATE              REASON\n"), "{stdout}");
    assert!(stdout.contains("\nshop-5xx  OK                 "), "{stdout}");
    assert!(stdout.contains("\nfn-time   ALARM              "), "{stdout}");
}

#[test]
fn json_output_is_one_history_item_per_line() {
    let dir = files(&[access(0, 503)]);
    let output = moatctl()
        .current_dir(dir.path())
        .args([
            "alarms",
            "--json",
            "--config",
            "alarms.yaml",
            "access.log",
            "--api-name",
            "shop",
            "--stage",
            "prod",
        ])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(2));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let items: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .collect();
    // fn-time has no data and treats missing data as notBreaching: OK at 10:01; shop-5xx goes to ALARM.
    assert_eq!(items.len(), 2, "{stdout}");
    let alarm = items.iter().find(|i| i["AlarmName"] == "shop-5xx").expect("shop-5xx");
    assert_eq!(alarm["HistorySummary"], "Alarm updated from INSUFFICIENT_DATA to ALARM");
    assert_eq!(alarm["HistoryItemType"], "StateUpdate");
    let data: serde_json::Value = serde_json::from_str(alarm["HistoryData"].as_str().expect("string")).expect("json");
    assert_eq!(
        data["newState"]["stateReasonData"]["recentDatapoints"],
        serde_json::json!([1.0])
    );
}

#[test]
fn config_errors_exit_1_and_name_alarm_and_field() {
    let dir = files(&[]);
    std::fs::write(
        dir.path().join("bad.yaml"),
        "- {AlarmName: a, Namespace: N, MetricName: M, Statistic: Sum, Period: 45, EvaluationPeriods: 1, Threshold: 1, \
         ComparisonOperator: GreaterThanUpperThreshold}\n",
    )
    .expect("write");
    let output = moatctl()
        .current_dir(dir.path())
        .args(["alarms", "--config", "bad.yaml", "access.log"])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("bad.yaml: 2 problems:"), "{stderr}");
    assert!(
        stderr.contains("alarm \"a\": Period: 45 is not a period CloudWatch accepts"),
        "{stderr}"
    );
    assert!(
        stderr.contains("alarm \"a\": ComparisonOperator: GreaterThanUpperThreshold compares with an anomaly"),
        "{stderr}"
    );
    let output = moatctl()
        .current_dir(dir.path())
        .args(["alarms", "--config", "alarms.yaml", "nope.log"])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("nope.log"));
}

#[test]
fn watch_follows_appended_lines_and_evaluates_on_the_wall_clock() {
    let dir = tempfile::tempdir().expect("tempdir");
    let alarms = "- {AlarmName: hot, Namespace: lambda-function-metrics, MetricName: time, \
                  Dimensions: [{Name: functionVersion, Value: $LATEST}], Statistic: Maximum, Period: 10, \
                  EvaluationPeriods: 1, Threshold: 500, ComparisonOperator: GreaterThanThreshold}\n";
    std::fs::write(dir.path().join("alarms.yaml"), alarms).expect("alarms");
    let log_path = dir.path().join("metrics.log");
    std::fs::write(&log_path, "not a metric\n").expect("log");
    let mut child = moatctl()
        .current_dir(dir.path())
        .args(["alarms", "--watch", "--config", "alarms.yaml", "metrics.log"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("starts");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    std::thread::sleep(Duration::from_millis(500));
    let now = i64::try_from(SystemTime::now().duration_since(UNIX_EPOCH).expect("clock").as_millis()).expect("ms");
    let mut log = std::fs::OpenOptions::new()
        .append(true)
        .open(&log_path)
        .expect("append");
    writeln!(log, "{}", emf(now, 900.0)).expect("append a breaching datapoint");
    drop(log);
    // The period holding `now` ends within 10 s and is evaluated 2 s later.
    let line = rx.recv_timeout(Duration::from_secs(20));
    let _ = child.kill();
    let _ = child.wait();
    let line = line.expect("a state change within 20 s");
    assert!(
        line.contains("  hot  INSUFFICIENT_DATA -> ALARM  Threshold Crossed: 1 datapoint [900.0 ("),
        "{line}"
    );
}

#[test]
fn actions_run_on_transitions_and_are_recorded_as_action_history_items() {
    let dir = files(&[access(0, 503), access(1, 200)]);
    let alarms = "- {AlarmName: shop-5xx, Namespace: AWS/ApiGateway, MetricName: 5XXError, \
                  Dimensions: [{Name: ApiName, Value: shop}], Statistic: Sum, Period: 60, EvaluationPeriods: 1, \
                  Threshold: 1, ComparisonOperator: GreaterThanOrEqualToThreshold, \
                  AlarmActions: ['exec:cat > alarm.json', 'exec:exit 4'], OKActions: ['exec:echo $MOAT_ALARM_STATE > ok.txt']}\n";
    std::fs::write(dir.path().join("actions.yaml"), alarms).expect("alarms");
    let output = moatctl()
        .current_dir(dir.path())
        .args([
            "alarms",
            "--json",
            "--config",
            "actions.yaml",
            "access.log",
            "--api-name",
            "shop",
        ])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(0), "ends OK");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let items: Vec<serde_json::Value> = stdout.lines().map(|l| serde_json::from_str(l).expect("json")).collect();
    let kinds: Vec<(&str, &str)> = items
        .iter()
        .map(|i| {
            (
                i["HistoryItemType"].as_str().expect("type"),
                i["HistorySummary"].as_str().expect("summary"),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        [
            ("StateUpdate", "Alarm updated from INSUFFICIENT_DATA to ALARM"),
            ("Action", "Successfully executed action exec:cat > alarm.json"),
            ("Action", "Failed to execute action exec:exit 4"),
            ("StateUpdate", "Alarm updated from ALARM to OK"),
            (
                "Action",
                "Successfully executed action exec:echo $MOAT_ALARM_STATE > ok.txt"
            ),
        ]
    );
    let notification: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("alarm.json")).expect("exec wrote it"))
            .expect("json");
    assert_eq!(notification["NewStateValue"], "ALARM");
    assert_eq!(notification["Trigger"]["MetricName"], "5XXError");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("ok.txt")).expect("ok action ran"),
        "OK\n"
    );
    assert!(String::from_utf8_lossy(&output.stderr).contains("action failed: exec:exit 4: exited with exit status: 4"));
    // --no-actions: the changes, no actions.
    std::fs::remove_file(dir.path().join("ok.txt")).expect("rm");
    let output = moatctl()
        .current_dir(dir.path())
        .args([
            "alarms",
            "--no-actions",
            "--config",
            "actions.yaml",
            "access.log",
            "--api-name",
            "shop",
        ])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(0));
    assert!(!dir.path().join("ok.txt").exists());
}
