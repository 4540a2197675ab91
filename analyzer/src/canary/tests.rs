//! The contract of `moatctl canary` on synthetic, seeded access logs in Moat's default JSON format, plus the
//! scoring rules and the configuration.

use proptest::prelude::*;

use super::config::{Direction, JudgeConfig, MetricConfig, MetricKind, OutlierStrategy};
use super::judge::{classify, judge, Classification, Verdict};
use super::metrics::{MetricSamples, SideSamples};
use super::report::Report;
use super::selection::{format_time, Selector};
use super::{analyze_events, CanaryError};
use crate::event::LogEvent;

/// 2026-11-25T22:00:00Z.
const START_S: i64 = 1_795_644_000;

/// How one side's synthetic traffic behaves.
#[derive(Clone, Copy)]
struct Traffic {
    requests: usize,
    /// Share of 5xx responses.
    server_errors: f64,
    /// Share of 4xx responses.
    client_errors: f64,
    /// Share of slow requests, and their latency range in ms; the rest take 20..60 ms.
    tail_share: f64,
    tail_ms: (f64, f64),
    /// Share of WAF blocks, when the format carries `wafResponseCode`.
    waf_blocks: Option<f64>,
    /// Seconds covered, from `START_S + offset_s`.
    span_s: i64,
    offset_s: i64,
}

const NORMAL: Traffic = Traffic {
    requests: 4000,
    server_errors: 0.01,
    client_errors: 0.02,
    tail_share: 0.05,
    tail_ms: (200.0, 400.0),
    waf_blocks: None,
    span_s: 600,
    offset_s: 0,
};

fn clf(seconds: i64) -> String {
    // format_time gives 2026-11-25T22:00:00Z; rebuild it as CLF.
    let iso = format_time(seconds * 1000);
    let months = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let month: usize = iso[5..7].parse().expect("month");
    format!(
        "{}/{}/{}:{} +0000",
        &iso[8..10],
        months[month - 1],
        &iso[0..4],
        &iso[11..19]
    )
}

/// Access-log lines of one side, in Moat's default REST format (`isCanaryRequest` last).
fn side_lines(seed: u64, canary: bool, traffic: Traffic) -> Vec<String> {
    let mut rng = fastrand::Rng::with_seed(seed);
    (0..traffic.requests)
        .map(|i| {
            let offset = traffic.offset_s + (i as i64 * traffic.span_s) / traffic.requests as i64;
            let roll = rng.f64();
            let status = if roll < traffic.server_errors {
                503
            } else if roll < traffic.server_errors + traffic.client_errors {
                404
            } else {
                200
            };
            let latency = if rng.f64() < traffic.tail_share {
                traffic.tail_ms.0 + rng.f64() * (traffic.tail_ms.1 - traffic.tail_ms.0)
            } else {
                20.0 + rng.f64() * 40.0
            };
            let waf = traffic.waf_blocks.map_or(String::new(), |share| {
                let code = if rng.f64() < share { "WAF_BLOCK" } else { "WAF_ALLOW" };
                format!(", \"wafResponseCode\":\"{code}\"")
            });
            format!(
                "{{ \"requestId\":\"{seed}-{i}\", \"ip\": \"192.0.2.7\", \"requestTime\":\"{}\", \
                 \"httpMethod\":\"GET\", \"resourcePath\":\"/pets\", \"status\":\"{status}\", \
                 \"protocol\":\"HTTP/1.1\", \"responseLength\":\"42\", \"responseLatency\":\"{}\"{waf}, \
                 \"isCanaryRequest\":\"{canary}\" }}",
                clf(START_S + offset),
                latency.round(),
            )
        })
        .collect()
}

fn log(baseline: Traffic, canary: Traffic) -> Vec<String> {
    let mut lines = side_lines(1, false, baseline);
    lines.extend(side_lines(2, true, canary));
    lines
}

fn run_with(config: &JudgeConfig, lines: &[String]) -> Result<Report, CanaryError> {
    let selector = |text: &str| Selector::parse(text).expect("selector");
    analyze_events(
        lines.iter().map(LogEvent::from_message),
        config,
        selector(&config.baseline),
        selector(&config.canary),
    )
}

fn run(lines: &[String]) -> Report {
    run_with(&JudgeConfig::default(), lines).expect("judged")
}

fn classification(report: &Report, name: &str) -> Classification {
    report
        .metrics
        .iter()
        .find(|m| m.name == name)
        .map(|m| m.classification)
        .expect(name)
}

#[test]
fn identical_distributions_pass() {
    let report = run(&log(NORMAL, NORMAL));
    assert_eq!(report.verdict, Verdict::Pass, "{}", report.to_text());
    assert_eq!(report.verdict.exit_code(), 0);
    assert_eq!(report.score, 100.0);
    assert!(
        report.metrics.iter().all(|m| m.classification == Classification::Pass),
        "{}",
        report.to_text()
    );
    assert_eq!((report.requests.baseline, report.requests.canary), (4000, 4000));
}

#[test]
fn canary_with_twice_the_p99_latency_fails() {
    let slow = Traffic {
        tail_ms: (400.0, 800.0),
        ..NORMAL
    };
    let report = run(&log(NORMAL, slow));
    let p99 = report.metrics.iter().find(|m| m.name == "latency_p99").expect("p99");
    let (base, canary) = (p99.baseline.value.expect("value"), p99.canary.value.expect("value"));
    assert!(
        canary / base > 1.8,
        "the canary's p99 is about twice the baseline's: {base} vs {canary}"
    );
    assert_eq!(p99.classification, Classification::High);
    assert!(p99.critical_failure);
    assert_eq!(
        classification(&report, "latency_p50"),
        Classification::Pass,
        "the body is unchanged"
    );
    assert_eq!(report.verdict, Verdict::Fail, "{}", report.to_text());
    assert_eq!(report.score, 0.0);
    assert_eq!(report.verdict.exit_code(), 1);
}

#[test]
fn canary_with_two_more_points_of_5xx_fails() {
    let failing = Traffic {
        server_errors: 0.03,
        ..NORMAL
    };
    let report = run(&log(NORMAL, failing));
    assert_eq!(
        classification(&report, "server_error_rate"),
        Classification::High,
        "{}",
        report.to_text()
    );
    assert_eq!(classification(&report, "error_rate"), Classification::High);
    assert_eq!(classification(&report, "client_error_rate"), Classification::Pass);
    let shift = report
        .metrics
        .iter()
        .find(|m| m.name == "server_error_rate")
        .and_then(|m| m.shift)
        .expect("shift");
    assert!((shift.estimate - 0.02).abs() < 0.005, "about +2 points: {shift:?}");
    assert_eq!(report.verdict, Verdict::Fail);
    assert_eq!(report.verdict.exit_code(), 1);
}

#[test]
fn twenty_requests_per_side_are_not_enough_data() {
    let few = Traffic { requests: 20, ..NORMAL };
    let report = run(&log(few, few));
    assert!(
        report
            .metrics
            .iter()
            .all(|m| m.classification == Classification::Nodata),
        "{}",
        report.to_text()
    );
    assert_eq!(report.verdict, Verdict::Nodata);
    assert_eq!(report.verdict.exit_code(), 2);
    let latency = report.metrics.iter().find(|m| m.name == "latency").expect("latency");
    assert_eq!((latency.baseline.samples, latency.canary.samples), (20, 20));
    assert!(latency.reason.contains("30 per side"), "{}", latency.reason);
}

#[test]
fn a_canary_that_got_no_traffic_is_not_enough_data() {
    let report = run(&side_lines(1, false, NORMAL));
    assert_eq!(report.verdict, Verdict::Nodata);
    assert!(
        report
            .notes
            .iter()
            .any(|n| n.contains("canary selector `isCanaryRequest=true`")),
        "{:?}",
        report.notes
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    /// The order of the lines never changes the report: buckets follow request time, ties broken by a hash of
    /// the line.
    #[test]
    fn the_report_is_stable_under_reordering(seed in any::<u64>()) {
        let canary = Traffic { requests: 3500, server_errors: 0.02, tail_ms: (220.0, 480.0), ..NORMAL };
        let lines = log(Traffic { requests: 4200, ..NORMAL }, canary);
        let expected = run(&lines);
        let mut shuffled = lines.clone();
        fastrand::Rng::with_seed(seed).shuffle(&mut shuffled);
        let actual = run(&shuffled);
        prop_assert_eq!(actual.score, expected.score);
        prop_assert_eq!(actual, expected);
    }
}

#[test]
fn only_the_common_window_is_compared() {
    // The baseline runs 20 minutes, the canary only the last 10.
    let baseline = Traffic {
        requests: 8000,
        span_s: 1200,
        ..NORMAL
    };
    let canary = Traffic {
        offset_s: 600,
        ..NORMAL
    };
    let report = run(&log(baseline, canary));
    let window = report.window.as_ref().expect("window");
    assert_eq!(window.start, "2026-11-25T22:10:00Z");
    assert!(
        report.requests.baseline.abs_diff(4000) <= 10,
        "{}",
        report.requests.baseline
    );
    assert_eq!(report.requests.canary, 4000);
    assert!(
        report.notes.iter().any(|n| n.contains("outside the common window")),
        "{:?}",
        report.notes
    );
}

#[test]
fn waf_blocks_are_compared_when_the_format_carries_them() {
    let base = Traffic {
        waf_blocks: Some(0.01),
        ..NORMAL
    };
    let canary = Traffic {
        waf_blocks: Some(0.05),
        ..NORMAL
    };
    let report = run(&log(base, canary));
    assert_eq!(
        classification(&report, "waf_block_rate"),
        Classification::High,
        "{}",
        report.to_text()
    );
    assert!(report.omitted.is_empty());

    let without = run(&log(NORMAL, NORMAL));
    assert_eq!(without.omitted.len(), 1);
    assert_eq!(without.omitted[0].name, "waf_block_rate");
    assert!(
        without.notes.iter().any(|n| n.contains("$context.wafResponseCode")),
        "{:?}",
        without.notes
    );
}

#[test]
fn a_record_on_both_sides_is_an_error_naming_its_line() {
    let config = JudgeConfig {
        baseline: "httpMethod=GET".to_owned(),
        ..JudgeConfig::default()
    };
    let lines = log(Traffic { requests: 3, ..NORMAL }, Traffic { requests: 3, ..NORMAL });
    let err = run_with(&config, &lines).expect_err("overlap");
    assert_eq!(
        err.to_string(),
        "line 4 matches both the baseline selector `httpMethod=GET` and the canary selector `isCanaryRequest=true`"
    );
}

#[test]
fn other_lines_and_timeless_records_are_skipped_and_counted() {
    let mut lines = log(Traffic { requests: 40, ..NORMAL }, Traffic { requests: 40, ..NORMAL });
    lines.push("not json at all".to_owned());
    lines.push(r#"{"isCanaryRequest":"true","status":"200","requestTime":"soon"}"#.to_owned());
    lines.push(r#"{"status":"200"}"#.to_owned());
    let report = run(&lines);
    assert_eq!(
        (report.input.not_json, report.input.no_time, report.input.unselected),
        (1, 1, 1)
    );
    assert!(
        report.notes.iter().any(|n| n.contains("line 82: requestTime `soon`")),
        "{:?}",
        report.notes
    );
}

fn samples(index: usize, baseline: Vec<f64>, canary: Vec<f64>) -> MetricSamples {
    let side = |samples: Vec<f64>| SideSamples {
        observations: samples.len(),
        overall: None,
        samples,
    };
    MetricSamples {
        index,
        omitted: None,
        baseline: side(baseline),
        canary: side(canary),
    }
}

fn metric(name: &str, group: &str, direction: Direction) -> MetricConfig {
    MetricConfig {
        name: name.to_owned(),
        kind: MetricKind::Distribution,
        field: None,
        statuses: Vec::new(),
        equals: None,
        percentile: None,
        direction,
        group: group.to_owned(),
        critical: false,
        outliers: super::config::Outliers::default(),
        effect_size: super::config::EffectSize::default(),
    }
}

fn ramp(offset: f64) -> Vec<f64> {
    (0..60).map(|i| f64::from(i % 20) + offset).collect()
}

#[test]
fn direction_decides_which_change_fails() {
    let config = JudgeConfig::default();
    let lower = SideSamples {
        observations: 60,
        overall: None,
        samples: ramp(0.0),
    };
    let higher = SideSamples {
        observations: 60,
        overall: None,
        samples: ramp(8.0),
    };
    let judged = |direction, base: &SideSamples, cand: &SideSamples| {
        classify(&config, &metric("m", "g", direction), base, cand).classification
    };
    assert_eq!(judged(Direction::Increase, &lower, &higher), Classification::High);
    assert_eq!(judged(Direction::Decrease, &lower, &higher), Classification::Pass);
    assert_eq!(judged(Direction::Either, &lower, &higher), Classification::High);
    assert_eq!(judged(Direction::Increase, &higher, &lower), Classification::Pass);
    assert_eq!(judged(Direction::Decrease, &higher, &lower), Classification::Low);
    assert_eq!(judged(Direction::Either, &higher, &lower), Classification::Low);
}

#[test]
fn effect_size_tolerance_lets_a_small_significant_increase_pass() {
    let config = JudgeConfig::default();
    let base = SideSamples {
        observations: 200,
        overall: None,
        samples: (0..200).map(|i| 100.0 + f64::from(i % 10)).collect(),
    };
    let cand = SideSamples {
        samples: base.samples.iter().map(|v| v + 3.0).collect(),
        ..base.clone()
    };
    let mut m = metric("m", "g", Direction::Increase);
    let strict = classify(&config, &m, &base, &cand);
    assert_eq!(strict.classification, Classification::High, "{}", strict.reason);
    m.effect_size.allowed_increase = 1.05; // the increase is about 3%
    let tolerant = classify(&config, &m, &base, &cand);
    assert_eq!(tolerant.classification, Classification::Pass, "{}", tolerant.reason);
}

#[test]
fn outlier_removal_drops_values_outside_the_fences() {
    let config = JudgeConfig::default();
    let mut values = ramp(0.0);
    values.push(10_000.0);
    let base = SideSamples {
        observations: 61,
        overall: None,
        samples: values.clone(),
    };
    let mut m = metric("m", "g", Direction::Increase);
    m.outliers.strategy = OutlierStrategy::Remove;
    let result = classify(&config, &m, &base, &base);
    assert_eq!(result.baseline.outliers, 1);
    assert_eq!(result.baseline.samples, 60);
    assert_eq!(result.classification, Classification::Pass);
}

#[test]
fn groups_score_by_share_passed_and_unweighted_groups_share_the_rest() {
    let mut config = JudgeConfig {
        groups: [("a".to_owned(), 60.0)].into_iter().collect(),
        metrics: vec![
            metric("a1", "a", Direction::Increase),
            metric("a2", "a", Direction::Increase),
            metric("b1", "b", Direction::Increase),
            metric("c1", "c", Direction::Increase),
        ],
        ..JudgeConfig::default()
    };
    let judged = judge(
        &config,
        &[
            samples(0, ramp(0.0), ramp(0.0)),
            samples(1, ramp(0.0), ramp(8.0)),
            samples(2, ramp(0.0), ramp(0.0)),
            samples(3, ramp(0.0), ramp(0.5)),
        ],
    );
    let weights: Vec<(String, f64, f64)> = judged
        .groups
        .iter()
        .map(|g| (g.name.clone(), g.weight, g.score))
        .collect();
    assert_eq!(
        weights,
        vec![
            ("a".into(), 60.0, 50.0),
            ("b".into(), 20.0, 100.0),
            ("c".into(), 20.0, 100.0)
        ]
    );
    assert_eq!(judged.score, 70.0);
    assert_eq!(judged.verdict, Verdict::Fail);

    // Thresholds move the verdict.
    config.thresholds.marginal = 70.0;
    assert_eq!(
        judge(
            &config,
            &[
                samples(0, ramp(0.0), ramp(0.0)),
                samples(1, ramp(0.0), ramp(8.0)),
                samples(2, ramp(0.0), ramp(0.0)),
                samples(3, ramp(0.0), ramp(0.0))
            ]
        )
        .verdict,
        Verdict::Marginal
    );
}

#[test]
fn weights_are_rescaled_when_a_weighted_group_has_no_metric() {
    let config = JudgeConfig {
        metrics: vec![
            metric("l1", "latency", Direction::Increase),
            metric("l2", "latency", Direction::Increase),
        ],
        ..JudgeConfig::default()
    };
    let judged = judge(
        &config,
        &[samples(0, ramp(0.0), ramp(0.0)), samples(1, ramp(0.0), ramp(0.0))],
    );
    assert_eq!(judged.groups.len(), 1);
    assert_eq!(judged.groups[0].weight, 100.0, "errors' 50 is not lost");
    assert_eq!((judged.score, judged.verdict), (100.0, Verdict::Pass));
}

#[test]
fn nodata_rules() {
    let mut config = JudgeConfig {
        metrics: vec![
            metric("a", "g", Direction::Increase),
            metric("b", "g", Direction::Increase),
            metric("c", "g", Direction::Increase),
        ],
        ..JudgeConfig::default()
    };
    let few = || samples(0, vec![1.0; 5], vec![1.0; 5]);
    let enough = |index| samples(index, ramp(0.0), ramp(0.0));
    // One of three without data: judged on the other two.
    let one = judge(&config, &[MetricSamples { index: 0, ..few() }, enough(1), enough(2)]);
    assert_eq!((one.verdict, one.score), (Verdict::Pass, 100.0));
    // Half or more without data: not enough data.
    let two = judge(
        &config,
        &[
            MetricSamples { index: 0, ..few() },
            MetricSamples { index: 1, ..few() },
            enough(2),
        ],
    );
    assert_eq!(two.verdict, Verdict::Nodata);
    // A critical metric without data: not enough data.
    config.metrics[0].critical = true;
    let critical = judge(&config, &[MetricSamples { index: 0, ..few() }, enough(1), enough(2)]);
    assert_eq!(critical.verdict, Verdict::Nodata, "{}", critical.reason);
}

#[test]
fn examples_judge_yaml_spells_out_the_defaults() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/moatctl/judge.yaml");
    let text = std::fs::read_to_string(path).expect("examples/moatctl/judge.yaml");
    let config = JudgeConfig::from_yaml(&text, "examples/moatctl/judge.yaml").expect("valid");
    assert_eq!(config, JudgeConfig::default());
    assert_eq!(
        JudgeConfig::from_yaml("", "empty.yaml").expect("valid"),
        JudgeConfig::default()
    );
}

#[test]
fn config_errors_name_the_key_and_line() {
    let err = JudgeConfig::from_yaml("confidence: 0.9\nthresholds:\n  pas: 90\n", "j.yaml").expect_err("unknown key");
    let text = err.to_string();
    assert!(text.starts_with("j.yaml:3: thresholds: unknown field `pas`"), "{text}");

    let yaml = "confidence: 1.5\nmetrics:\n  - name: p\n    kind: percentile\n  - name: p\n    kind: status_rate\n    statuses: [6xx]\n";
    let text = JudgeConfig::from_yaml(yaml, "j.yaml").expect_err("invalid").to_string();
    for expected in [
        "  - line 1: confidence: 1.5 is not between 0 and 1",
        "  - line 3: metrics[0] (p).percentile: a percentile metric needs it",
        "  - line 5: metrics[1] (p).name: another metric has this name",
        "  - line 7: metrics[1] (p).statuses: `6xx` is neither a class like 5xx nor a code like 503",
    ] {
        assert!(text.contains(expected), "missing `{expected}` in:\n{text}");
    }
}

#[test]
fn buckets_are_consecutive_requests_in_time_order_and_the_partial_one_is_dropped() {
    let config = JudgeConfig {
        bucket_requests: 10,
        ..JudgeConfig::default()
    };
    // 35 canary requests, one per second, written newest first; every 10th (by time) is a 503.
    let mut lines: Vec<String> = (0..35)
        .rev()
        .map(|i| {
            let status = if i % 10 == 9 { 503 } else { 200 };
            format!(
                r#"{{"requestTimeEpoch":"{}","status":"{status}","responseLatency":"{i}","isCanaryRequest":"true"}}"#,
                (START_S + i) * 1000
            )
        })
        .collect();
    lines.push(format!(
        r#"{{"requestTimeEpoch":"{}","status":"200","isCanaryRequest":"false"}}"#,
        START_S * 1000
    ));
    lines.push(format!(
        r#"{{"requestTimeEpoch":"{}","status":"200","isCanaryRequest":"false"}}"#,
        (START_S + 34) * 1000
    ));
    let selector = |text: &str| Selector::parse(text).expect("selector");
    let mut collector = super::metrics::Collector::new(
        &config,
        selector("isCanaryRequest=false"),
        selector("isCanaryRequest=true"),
    );
    for (line, text) in (1..).zip(&lines) {
        collector
            .push(line, &LogEvent::from_message(text.as_str()))
            .expect("pushed");
    }
    let samples = collector.finish();
    let by_name = |name: &str| {
        let index = config.metrics.iter().position(|m| m.name == name).expect(name);
        samples.metrics[index].canary.clone()
    };
    let server = by_name("server_error_rate");
    assert_eq!(server.observations, 35);
    assert_eq!(
        server.samples,
        vec![0.1, 0.1, 0.1],
        "three full buckets of ten, each with one 503"
    );
    assert_eq!(
        server.overall,
        Some(3.0 / 35.0),
        "the overall rate counts every request"
    );
    let p50 = by_name("latency_p50");
    assert_eq!(
        p50.samples,
        vec![4.5, 14.5, 24.5],
        "per-bucket medians of 0..=9, 10..=19, 20..=29"
    );
    assert_eq!(
        by_name("latency").samples.len(),
        35,
        "a distribution keeps every request"
    );
    // The baseline has no latency field at all, the canary has: not omitted, just no baseline samples.
    let latency = &samples.metrics[config
        .metrics
        .iter()
        .position(|m| m.name == "latency")
        .expect("latency")];
    assert!(latency.omitted.is_none());
    assert_eq!(latency.baseline.observations, 0);
}
