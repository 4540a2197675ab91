//! Logs shipped to CloudWatch Logs: the real `moat` binary, pointed at a real `moto_server` through the
//! standard AWS environment (`AWS_ENDPOINT_URL`, `AWS_REGION`, keys), ships its access log to a named
//! group and its execution log to API Gateway's default groups; GetLogEvents reads every line back, in
//! order, exactly as written to the local file.

use std::time::{Duration, Instant};

use aws_sdk_cloudwatchlogs::Client;
use moat_testkit::MotoServer;

use crate::fill;
use crate::harness::{moto_sdk_config, req, tempdir, Moat, Upstream, H1};

const SHIPPED: &str = r#"
listen: 127.0.0.1:0
telemetry:
  log_stream: e2e
  flush_interval: 200ms
apis:
  - name: shop
    type: rest
    id: shop123456
    routes:
      "GET /products/{id}": {integration: {type: http_proxy, uri: "http://@UP@/p/{id}"}}
    stages:
      prod:
        access_log: {destination: "{dir}/access.log", cloudwatch: {log_group: moat-access}}
        execution_log: {level: INFO, destination: "{dir}/exec.log", cloudwatch: {}}
"#;

async fn moto_client(moto: &MotoServer) -> Client {
    Client::new(&moto_sdk_config(moto).await)
}

/// `n` GETs of `/prod/products/{i}` through `moat` on one connection, each answered 200.
async fn get_products(moat: &Moat, n: usize) {
    let host = moat.addr().to_string();
    let mut c = H1::connect(moat.addr()).await;
    for i in 0..n {
        let r = c.send(req("GET", &host, &format!("/prod/products/{i}"))).await;
        assert_eq!(r.code(), 200);
    }
}

/// Thaws `moto`, starts the next Moat on `dir` and `config`, and checks that the access group holds the
/// `n` lines of its file, once each, in order.
async fn assert_next_moat_delivers(moto: &mut MotoServer, dir: tempfile::TempDir, config: &str, n: usize) {
    moto.resume();
    let second = Moat::start_with_env(dir, config, &moto.env());
    let client = moto_client(moto).await;
    let access = wait_for(&client, "moat-access", "e2e", n).await;
    let file = std::fs::read_to_string(second.dir().join("access.log")).unwrap_or_default();
    assert_eq!(access, lines(&file), "every spooled line, once, in order");
}

/// Every message of one stream, oldest first, following GetLogEvents' forward tokens.
async fn read_stream(client: &Client, group: &str, stream: &str) -> Vec<String> {
    let mut messages = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = client
            .get_log_events()
            .log_group_name(group)
            .log_stream_name(stream)
            .start_from_head(true)
            .set_next_token(token.clone())
            .send()
            .await;
        let Ok(page) = page else { return messages };
        let events = page.events();
        messages.extend(events.iter().filter_map(|e| e.message().map(str::to_owned)));
        let next = page.next_forward_token().map(str::to_owned);
        if events.is_empty() || next == token {
            return messages;
        }
        token = next;
    }
}

/// Polls until the stream holds `want` messages (or 20 s pass) and returns what it holds.
async fn wait_for(client: &Client, group: &str, stream: &str, want: usize) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let got = read_stream(client, group, stream).await;
        if got.len() >= want || Instant::now() > deadline {
            return got;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn lines(text: &str) -> Vec<String> {
    text.lines().map(str::to_owned).collect()
}

#[tokio::test]
async fn access_and_execution_logs_arrive_in_cloudwatch_logs_in_order() {
    let moto = MotoServer::start();
    let up = Upstream::start("up");
    let moat = Moat::start_with_env(tempdir(), &fill(SHIPPED, &[("UP", up.hostport())]), &moto.env());
    get_products(&moat, 200).await;
    let client = moto_client(&moto).await;
    let access = wait_for(&client, "moat-access", "e2e", 200).await;
    let file = std::fs::read_to_string(moat.dir().join("access.log")).unwrap_or_default();
    assert_eq!(access.len(), 200, "moat's output:\n{}", moat.output());
    assert_eq!(access, lines(&file), "CloudWatch holds the file's lines, in order");

    let exec_group = "API-Gateway-Execution-Logs_shop123456/prod";
    let exec_file = std::fs::read_to_string(moat.dir().join("exec.log")).unwrap_or_default();
    let exec = wait_for(&client, exec_group, "e2e", lines(&exec_file).len()).await;
    assert!(exec.len() >= 200 * 5, "{} execution-log lines", exec.len());
    assert_eq!(exec, lines(&exec_file), "execution-log lines in order");
    assert!(exec[0].contains("Extended Request Id"), "{}", exec[0]);
    assert!(exec.iter().any(|l| l.contains("Starting execution for request")));
}

#[tokio::test]
async fn lines_accepted_while_cloudwatch_is_down_arrive_after_a_restart_of_moat() {
    // The endpoint hangs (paused), Moat serves and is stopped; the next Moat, on the same spool, delivers
    // what the first one spooled.
    let mut moto = MotoServer::start();
    let up = Upstream::start("up");
    let dir = tempdir();
    let config = fill(SHIPPED, &[("UP", up.hostport())]);
    let config = config.replace("flush_interval: 200ms", "flush_interval: 200ms\n  shutdown_grace: 1s");
    moto.pause();
    let first = Moat::start_with_env(dir, &config, &moto.env());
    get_products(&first, 50).await;
    let dir = first.stop_keeping_dir();
    assert_next_moat_delivers(&mut moto, dir, &config, 50).await;
}

/// Bytes of spool segment files under `dir` (every file but the cursor).
fn spool_bytes(dir: &std::path::Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else { return 0 };
    entries
        .flatten()
        .map(|e| {
            let path = e.path();
            if path.is_dir() {
                spool_bytes(&path)
            } else if path.file_name().is_some_and(|n| n.to_string_lossy().contains("cursor")) {
                0
            } else {
                e.metadata().map_or(0, |m| m.len())
            }
        })
        .sum()
}

#[tokio::test]
async fn a_spool_left_by_a_killed_moat_is_delivered_by_the_next_one() {
    let mut moto = MotoServer::start();
    let up = Upstream::start("up");
    let config = fill(SHIPPED, &[("UP", up.hostport())]);
    moto.pause();
    let first = Moat::start_with_env(tempdir(), &config, &moto.env());
    get_products(&first, 50).await;
    // The send to the hung endpoint times out and the lines go to the spool: wait until it holds every
    // access line (each framed with a 16-byte header; execution lines come on top).
    let file = std::fs::read_to_string(first.dir().join("access.log")).unwrap_or_default();
    let access_spool = first.dir().join("moat-spool");
    let deadline = Instant::now() + Duration::from_secs(40);
    let want = file.lines().map(|l| l.len() as u64 + 16).sum::<u64>();
    while spool_bytes(&access_spool) < want && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(
        spool_bytes(&access_spool) >= want,
        "the spool never held the access lines; moat's output:\n{}",
        first.output()
    );
    let dir = first.kill_keeping_dir();
    assert_next_moat_delivers(&mut moto, dir, &config, 50).await;
}

const METRICS: &str = r#"
listen: 127.0.0.1:0
telemetry:
  log_stream: e2e
  flush_interval: 200ms
  metrics: {interval: 1s, destination: "{dir}/emf.log", cloudwatch: {}}
apis:
  - name: shop
    type: rest
    id: shop123456
    routes:
      "GET /products/{id}": {integration: {type: http_proxy, uri: "http://@UP@/p/{id}"}}
      "GET /missing": {integration: {type: mock, status: 404, body: nope}}
    stages:
      prod: {}
"#;

/// Sum of an EMF metric over documents: `{"Values":[v...],"Counts":[n...]}` or a plain number.
fn emf_sum(documents: &[serde_json::Value], metric: &str) -> f64 {
    documents
        .iter()
        .filter_map(|d| d.get(metric))
        .map(|v| match (v.get("Values"), v.get("Counts")) {
            (Some(values), Some(counts)) => values
                .as_array()
                .into_iter()
                .flatten()
                .zip(counts.as_array().into_iter().flatten())
                .map(|(v, n)| v.as_f64().unwrap_or(0.0) * n.as_f64().unwrap_or(0.0))
                .sum(),
            _ => v.as_f64().unwrap_or(0.0),
        })
        .sum()
}

#[tokio::test]
async fn emf_metrics_of_every_request_arrive_in_cloudwatch_logs() {
    let moto = MotoServer::start();
    let up = Upstream::start("up");
    let moat = Moat::start_with_env(tempdir(), &fill(METRICS, &[("UP", up.hostport())]), &moto.env());
    let host = moat.addr().to_string();
    let mut c = H1::connect(moat.addr()).await;
    for i in 0..120 {
        let path = if i % 4 == 0 {
            "/prod/missing".to_owned()
        } else {
            format!("/prod/products/{i}")
        };
        c.send(req("GET", &host, &path)).await;
    }
    drop(c);
    // SIGTERM closes the last, partial interval and ships it before exiting.
    let dir = moat.stop_keeping_dir();
    let file = std::fs::read_to_string(dir.path().join("emf.log")).unwrap_or_default();
    let client = moto_client(&moto).await;
    let shipped = wait_for(&client, "moat-metrics", "e2e", lines(&file).len()).await;
    assert!(!shipped.is_empty(), "no EMF records shipped");
    assert_eq!(shipped, lines(&file), "every EMF record, in order");
    let documents: Vec<serde_json::Value> = shipped.iter().filter_map(|l| serde_json::from_str(l).ok()).collect();
    assert_eq!(documents.len(), shipped.len(), "every record is JSON");
    assert!(documents
        .iter()
        .all(|d| d["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "Moat/ApiGateway"));
    // Count is published once per dimension set; the per-method set splits it by route.
    let per_method: Vec<serde_json::Value> = documents
        .iter()
        .filter(|d| d.get("Resource").is_some())
        .cloned()
        .collect();
    assert_eq!(emf_sum(&per_method, "Count"), 120.0);
    assert_eq!(emf_sum(&per_method, "4XXError"), 30.0);
    assert_eq!(emf_sum(&per_method, "5XXError"), 0.0);
}

#[tokio::test]
async fn self_metrics_show_each_shipper_on_the_prometheus_listener() {
    let moto = MotoServer::start();
    let up = Upstream::start("up");
    let config = fill(SHIPPED, &[("UP", up.hostport())]).replace(
        "flush_interval: 200ms",
        "flush_interval: 200ms\n  prometheus: {listen: 127.0.0.1:0}",
    );
    let moat = Moat::start_with_env(tempdir(), &config, &moto.env());
    get_products(&moat, 20).await;
    let client = moto_client(&moto).await;
    assert_eq!(wait_for(&client, "moat-access", "e2e", 20).await.len(), 20);
    let output = moat.output();
    let url = output
        .split_whitespace()
        .find(|w| w.starts_with("http://") && w.ends_with("/metrics"))
        .unwrap_or_else(|| panic!("no self-metrics address announced:\n{output}"));
    let addr = url
        .trim_start_matches("http://")
        .trim_end_matches("/metrics")
        .to_owned();
    let mut scrape = H1::connect(addr.parse().expect("address")).await;
    let response = scrape.send(req("GET", &addr, "/metrics")).await;
    assert_eq!(response.code(), 200);
    let text = response.text();
    let delivered = text
        .lines()
        .find(|l| l.starts_with("moat_telemetry_delivered_records_total{sink=\"cloudwatch-logs:moat-access/e2e\"}"))
        .unwrap_or_else(|| panic!("no delivered counter for the access group:\n{text}"));
    assert!(delivered.ends_with(" 20"), "{delivered}");
    assert!(text.contains("# TYPE moat_telemetry_spool_bytes gauge"), "{text}");
}
