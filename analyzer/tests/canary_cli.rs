//! `moatctl canary` as a pipeline runs it: the real binary on access logs in a temp dir, checked by exit code
//! and output.

mod common;

use common::{moatctl, text};

use std::path::{Path, PathBuf};

/// 2026-11-25T22:00:00Z.
const START_S: u64 = 1_795_644_000;

/// One side's lines in Moat's default JSON access-log format; `marker` is the `isCanaryRequest` value (or
/// another field's, see `extra`), `server_errors` the share of 503s.
fn lines(seed: u64, marker: &str, requests: u64, server_errors: f64) -> Vec<String> {
    let mut rng = fastrand::Rng::with_seed(seed);
    (0..requests)
        .map(|i| {
            let epoch_ms = (START_S + i * 600 / requests) * 1000 + rng.u64(0..1000);
            let status = if rng.f64() < server_errors { 503 } else { 200 };
            let latency = if rng.f64() < 0.05 {
                rng.u32(200..400)
            } else {
                rng.u32(20..60)
            };
            format!(
                "{{ \"requestId\":\"{seed}-{i}\", \"requestTimeEpoch\":\"{epoch_ms}\", \"httpMethod\":\"GET\", \
                 \"status\":\"{status}\", \"responseLatency\":\"{latency}\", \"isCanaryRequest\":\"{marker}\" }}"
            )
        })
        .collect()
}

fn write_log(dir: &Path, name: &str, requests: u64, canary_server_errors: f64) -> PathBuf {
    let mut all = lines(11, "false", requests, 0.01);
    all.extend(lines(12, "true", requests, canary_server_errors));
    fastrand::Rng::with_seed(13).shuffle(&mut all);
    let path = dir.join(name);
    std::fs::write(&path, all.join("\n") + "\n").expect("write log");
    path
}

#[test]
fn exit_codes_pass_fail_and_not_enough_data() {
    let dir = tempfile::tempdir().expect("temp dir");
    let good = write_log(dir.path(), "good.log", 4000, 0.01);
    let bad = write_log(dir.path(), "bad.log", 4000, 0.03);
    let small = write_log(dir.path(), "small.log", 20, 0.01);

    let out = moatctl(&["canary", good.to_str().expect("utf-8")], None);
    assert_eq!(out.status.code(), Some(0), "{}{}", text(&out.stdout), text(&out.stderr));
    assert!(text(&out.stdout).contains("PASS"), "{}", text(&out.stdout));

    let out = moatctl(&["canary", bad.to_str().expect("utf-8")], None);
    assert_eq!(out.status.code(), Some(1), "{}{}", text(&out.stdout), text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("FAIL") && stdout.contains("server_error_rate"),
        "{stdout}"
    );

    let out = moatctl(&["canary", small.to_str().expect("utf-8")], None);
    assert_eq!(out.status.code(), Some(2), "{}{}", text(&out.stdout), text(&out.stderr));
    assert!(text(&out.stdout).contains("NOT ENOUGH DATA"), "{}", text(&out.stdout));
}

#[test]
fn json_report_for_pipelines_from_stdin() {
    let mut all = lines(21, "false", 4000, 0.01);
    all.extend(lines(22, "true", 4000, 0.03));
    let out = moatctl(&["canary", "-", "--json"], Some(&all.join("\n")));
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
    assert_eq!(report["verdict"], "fail");
    assert_eq!(report["settings"]["confidence"], 0.98);
    assert_eq!(report["settings"]["bucket_requests"], 100);
    assert_eq!(report["score"], 0.0);
    let canary = report["requests"]["canary"].as_u64().expect("count");
    assert!(
        (3990..=4000).contains(&canary),
        "the common window keeps almost all: {canary}"
    );
    let metrics = report["metrics"].as_array().expect("metrics");
    let server = metrics
        .iter()
        .find(|m| m["name"] == "server_error_rate")
        .expect("server_error_rate");
    assert_eq!(server["classification"], "high");
    assert_eq!(server["critical_failure"], true);
    assert!(server["p_value"].as_f64().expect("p") < 0.02);
    assert_eq!(report["omitted"][0]["name"], "waf_block_rate");
}

#[test]
fn selectors_and_config_from_the_command_line() {
    let dir = tempfile::tempdir().expect("temp dir");
    // Sides marked by another field: stage=prod / stage=canary.
    let mut all: Vec<String> = lines(31, "-", 4000, 0.01)
        .into_iter()
        .map(|l| l.replace("\"isCanaryRequest\":\"-\"", "\"stage\":\"prod\""))
        .collect();
    all.extend(
        lines(32, "-", 4000, 0.01)
            .into_iter()
            .map(|l| l.replace("\"isCanaryRequest\":\"-\"", "\"stage\":\"canary\"")),
    );
    let log = dir.path().join("stages.log");
    std::fs::write(&log, all.join("\n")).expect("write");
    let log = log.to_str().expect("utf-8");

    let out = moatctl(
        &["canary", log, "--baseline", "stage=prod", "--canary", "stage=canary"],
        None,
    );
    assert_eq!(out.status.code(), Some(0), "{}{}", text(&out.stdout), text(&out.stderr));

    // The defaults match nothing here: not enough data, and the report says why.
    let out = moatctl(&["canary", log], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stdout).contains("no request matched the baseline selector"),
        "{}",
        text(&out.stdout)
    );

    // The same selectors from a config file, with a stricter pass threshold.
    let config = dir.path().join("judge.yaml");
    std::fs::write(
        &config,
        "baseline: stage=prod\ncanary: stage=canary\nthresholds:\n  pass: 100\n",
    )
    .expect("write");
    let out = moatctl(&["canary", log, "--config", config.to_str().expect("utf-8")], None);
    assert_eq!(out.status.code(), Some(0), "{}{}", text(&out.stdout), text(&out.stderr));
}

#[test]
fn errors_exit_3_with_the_place_named() {
    let dir = tempfile::tempdir().expect("temp dir");
    let log = write_log(dir.path(), "a.log", 10, 0.0);
    let log = log.to_str().expect("utf-8");

    let config = dir.path().join("judge.yaml");
    std::fs::write(&config, "confidence: 0.9\nmetrics:\n  - name: x\n    kind: median\n").expect("write");
    let out = moatctl(&["canary", log, "--config", config.to_str().expect("utf-8")], None);
    assert_eq!(out.status.code(), Some(3));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("judge.yaml:4:") && stderr.contains("unknown variant `median`"),
        "{stderr}"
    );

    std::fs::write(&config, "# stricter\nthresholds: {pass: 50, marginal: 80}\n").expect("write");
    let out = moatctl(&["canary", log, "--config", config.to_str().expect("utf-8")], None);
    assert_eq!(out.status.code(), Some(3));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("line 2: thresholds: need 0 <= marginal (80) <= pass (50) <= 100"),
        "{stderr}"
    );

    let out = moatctl(&["canary", log, "--canary", "isCanaryRequest"], None);
    assert_eq!(out.status.code(), Some(3));
    assert!(
        text(&out.stderr).contains("--canary: term 1 `isCanaryRequest` has no `=` or `!=`"),
        "{}",
        text(&out.stderr)
    );

    let out = moatctl(
        &["canary", dir.path().join("missing.log").to_str().expect("utf-8")],
        None,
    );
    assert_eq!(out.status.code(), Some(3));
    assert!(text(&out.stderr).contains("missing.log"), "{}", text(&out.stderr));

    let out = moatctl(&["canary", log, "--baseline", "httpMethod=GET"], None);
    assert_eq!(out.status.code(), Some(3));
    assert!(text(&out.stderr).contains("matches both"), "{}", text(&out.stderr));
}
