//! Spec 3: canary split by percent, canary deployment and variable overrides, `isCanaryRequest` in the log.

use std::collections::HashMap;
use std::time::Duration;

use crate::fill;
use crate::harness::{field, json_lines, req, wait_lines, Moat, Upstream, H1, TEST_LOG_FORMAT};

const CANARY: &str = r#"
listen: 127.0.0.1:0
apis:
  - name: shop
    type: rest
    routes:
      "GET /who": {integration: {type: http_proxy, uri: "http://${stageVariables.backend}/who"}}
      "GET /version": {integration: {type: mock, body: '{"version":1}'}}
    deployments:
      v2:
        routes:
          "GET /who": {integration: {type: http_proxy, uri: "http://${stageVariables.backend}/who"}}
          "GET /version": {integration: {type: mock, body: '{"version":2}'}}
    stages:
      c10:
        variables: {backend: "@BASE@"}
        canary: {percent: 10, deployment: v2, variables: {backend: "@CANARY@"}}
        access_log: {destination: "{dir}/c10.log", format: @FORMAT@}
      c0:
        variables: {backend: "@BASE@"}
        canary: {percent: 0, deployment: v2, variables: {backend: "@CANARY@"}}
      c100:
        variables: {backend: "@BASE@"}
        canary: {percent: 100, deployment: v2, variables: {backend: "@CANARY@"}}
"#;

fn start(base: &Upstream, canary: &Upstream) -> Moat {
    Moat::start(&fill(
        CANARY,
        &[
            ("BASE", base.hostport()),
            ("CANARY", canary.hostport()),
            ("FORMAT", TEST_LOG_FORMAT.to_string()),
        ],
    ))
}

#[tokio::test]
async fn canary_ten_percent_share_within_four_sigma_and_logged_per_request() {
    let base = Upstream::start("base");
    let canary = Upstream::start("canary");
    let moat = start(&base, &canary);
    let host = moat.addr().to_string();
    let n: u32 = 2000;
    let mut c = H1::connect(moat.addr()).await;
    let mut served_by_canary = HashMap::new();
    for _ in 0..n {
        let r = c.send(req("GET", &host, "/c10/who")).await;
        assert_eq!(r.code(), 200, "body {}", r.text());
        let is_canary = match r.json()["upstream"].as_str() {
            Some("canary") => true,
            Some("base") => false,
            other => panic!("unexpected upstream {other:?}"),
        };
        served_by_canary.insert(r.request_id(), is_canary);
    }
    let hits = served_by_canary.values().filter(|c| **c).count() as f64;
    let (nf, p) = (f64::from(n), 0.10);
    let sigma = (nf * p * (1.0 - p)).sqrt();
    let (lo, hi) = (nf * p - 4.0 * sigma, nf * p + 4.0 * sigma);
    assert!(
        (lo..=hi).contains(&hits),
        "canary share: {hits} of {n} requests went to the canary backend; expected {lo:.0}..={hi:.0} (10% +- 4 sigma)"
    );
    assert_eq!(canary.requests().len() as f64, hits, "canary upstream request count");

    let lines = wait_lines(&moat.dir().join("c10.log"), n as usize, Duration::from_secs(5));
    assert_eq!(lines.len(), n as usize, "access-log lines for {n} requests");
    let mut mismatched = Vec::new();
    for rec in json_lines(&lines) {
        let id = field(&rec, "requestId");
        let Some(&was_canary) = served_by_canary.get(&id) else {
            panic!("access-log requestId {id:?} matches no response: {rec}");
        };
        let logged = field(&rec, "isCanaryRequest");
        if logged != was_canary.to_string() {
            mismatched.push(format!(
                "{id}: served by canary={was_canary}, logged isCanaryRequest={logged:?}"
            ));
        }
    }
    assert!(
        mismatched.is_empty(),
        "{} mismatches, e.g.:\n{}",
        mismatched.len(),
        mismatched[..mismatched.len().min(5)].join("\n")
    );
}

#[tokio::test]
async fn canary_zero_percent_never_and_hundred_percent_always() {
    let base = Upstream::start("base");
    let canary = Upstream::start("canary");
    let moat = start(&base, &canary);
    let host = moat.addr().to_string();
    let mut c = H1::connect(moat.addr()).await;
    let tally = |label: &str, counts: &mut HashMap<String, u32>| *counts.entry(label.to_string()).or_insert(0) += 1;
    let mut counts = HashMap::new();
    for _ in 0..300 {
        for stage in ["c0", "c100"] {
            let r = c.send(req("GET", &host, &format!("/{stage}/who"))).await;
            assert_eq!(r.code(), 200);
            let up = r.json()["upstream"].as_str().unwrap_or("?").to_string();
            tally(&format!("{stage} who {up}"), &mut counts);
            let r = c.send(req("GET", &host, &format!("/{stage}/version"))).await;
            assert_eq!(r.code(), 200);
            let v = r.json()["version"].to_string();
            tally(&format!("{stage} version {v}"), &mut counts);
        }
    }
    let mut want = HashMap::new();
    for k in ["c0 who base", "c100 who canary", "c0 version 1", "c100 version 2"] {
        want.insert(k.to_string(), 300);
    }
    assert_eq!(
        counts, want,
        "percent 0 must never and percent 100 must always serve the canary (backend and deployment)"
    );
}
