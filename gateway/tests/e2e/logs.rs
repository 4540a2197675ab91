//! Spec 15-16: the access-log file (one JSON line per request, ids and fields matching the responses) and the
//! REST execution log's line shapes and order.

use std::time::Duration;

use crate::fill;
use crate::harness::{field, json_lines, req, wait_lines, Moat, Upstream, H1, TEST_LOG_FORMAT};

const LOGGED: &str = r#"
listen: 127.0.0.1:0
apis:
  - name: shop
    type: rest
    routes:
      "GET /products/{id}": {integration: {type: http_proxy, uri: "http://@UP@/p/{id}"}}
      "GET /health": {integration: {type: mock, body: ok}}
    stages:
      prod:
        access_log: {destination: "{dir}/access.log", format: @FORMAT@}
        execution_log: {level: INFO, destination: "{dir}/exec.log"}
"#;

#[tokio::test]
async fn access_log_has_one_json_line_per_request_matching_the_response() {
    let up = Upstream::start("up");
    let moat = Moat::start(&fill(
        LOGGED,
        &[("UP", up.hostport()), ("FORMAT", TEST_LOG_FORMAT.to_string())],
    ));
    let host = moat.addr().to_string();
    let mut c = H1::connect(moat.addr()).await;
    let mut sent = Vec::new();
    for i in 0..30 {
        let (method, path) = match i % 3 {
            0 => ("GET", format!("/prod/products/{i}")),
            1 => ("GET", "/prod/health".to_string()),
            _ => ("POST", "/prod/nothing".to_string()),
        };
        let r = c.send(req(method, &host, &format!("{path}?i={i}"))).await;
        sent.push((r.request_id(), r.code(), method, path));
    }
    let lines = wait_lines(&moat.dir().join("access.log"), sent.len(), Duration::from_secs(2));
    assert_eq!(
        lines.len(),
        sent.len(),
        "access-log lines after {} requests (2 s poll)",
        sent.len()
    );
    let records = json_lines(&lines);
    let mut problems = Vec::new();
    for (id, status, method, path) in &sent {
        let Some(rec) = records.iter().find(|r| field(r, "requestId") == *id) else {
            problems.push(format!("no line with requestId {id}"));
            continue;
        };
        let got = (field(rec, "status"), field(rec, "httpMethod"), field(rec, "path"));
        let want = (status.to_string(), (*method).to_string(), path.clone());
        if got != want {
            problems.push(format!("{id}: want (status, httpMethod, path) {want:?}, got {got:?}"));
        }
        if field(rec, "ip") != "127.0.0.1" || field(rec, "protocol") != "HTTP/1.1" || field(rec, "stage") != "prod" {
            problems.push(format!("{id}: ip/protocol/stage wrong: {rec}"));
        }
    }
    assert!(problems.is_empty(), "access log:\n{}", problems.join("\n"));
}

#[tokio::test]
async fn default_json_access_log_has_aws_example_fields() {
    let up = Upstream::start("up");
    let moat = Moat::start(&fill(LOGGED, &[("UP", up.hostport()), ("FORMAT", "json".to_string())]));
    let r = crate::harness::get(moat.addr(), "/prod/health").await;
    let lines = json_lines(&wait_lines(&moat.dir().join("access.log"), 1, Duration::from_secs(2)));
    assert_eq!(lines.len(), 1);
    let rec = &lines[0];
    for key in [
        "requestId",
        "ip",
        "requestTime",
        "httpMethod",
        "status",
        "protocol",
        "responseLength",
    ] {
        assert!(rec.get(key).is_some(), "default JSON access log lacks {key:?}: {rec}");
    }
    assert_eq!(field(rec, "requestId"), r.request_id());
    assert_eq!(field(rec, "status"), "200");
    assert_eq!(field(rec, "httpMethod"), "GET");
}

#[tokio::test]
async fn execution_log_info_lines_start_and_complete_in_order() {
    let up = Upstream::start("up");
    let moat = Moat::start(&fill(
        LOGGED,
        &[("UP", up.hostport()), ("FORMAT", TEST_LOG_FORMAT.to_string())],
    ));
    let r = crate::harness::get(moat.addr(), "/prod/products/42").await;
    assert_eq!(r.code(), 200);
    let id = r.request_id();
    let start = format!("({id}) Starting execution for request: {id}");
    let done = format!("({id}) Method completed with status: 200");
    let path = moat.dir().join("exec.log");
    let deadline = std::time::Instant::now() + Duration::from_secs(2);
    let text = loop {
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        if text.contains(&done) || std::time::Instant::now() >= deadline {
            break text;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let s = text
        .find(&start)
        .unwrap_or_else(|| panic!("no line containing {start:?} in exec.log:\n{text}"));
    let d = text
        .find(&done)
        .unwrap_or_else(|| panic!("no line containing {done:?} in exec.log:\n{text}"));
    assert!(s < d, "execution-log lines out of order:\n{text}");
    for line in text.lines().filter(|l| l.contains(&id)) {
        assert!(
            line.contains(&format!("({id})")),
            "execution-log line without the (requestId) prefix: {line}"
        );
    }
}
