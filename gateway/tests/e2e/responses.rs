//! Spec 4-7: mock integrations, integration timeout, unreachable upstream, gateway responses and the ids every
//! response carries.

use std::time::{Duration, Instant};

use crate::fill;
use crate::harness::{dead_addr, get, req, send, Moat, Upstream};

#[tokio::test]
async fn mock_integration_returns_configured_status_headers_and_body() {
    let moat = Moat::start(
        r#"
listen: 127.0.0.1:0
apis:
  - name: shop
    type: rest
    routes:
      "GET /health": {integration: {type: mock, status: 201, headers: {content-type: application/json, x-mock: "yes"}, body: '{"ok":true}'}}
    stages:
      prod: {}
"#,
    );
    let r = get(moat.addr(), "/prod/health").await;
    assert_eq!(r.code(), 201);
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(r.header("x-mock"), Some("yes"));
    assert_eq!(r.text(), r#"{"ok":true}"#);
    r.assert_aws_ids();
}

const TIMEOUTS: &str = r#"
listen: 127.0.0.1:0
apis:
  - name: shop
    type: rest
    routes:
      "GET /slow": {integration: {type: http_proxy, uri: "http://@UP@/slow", timeout: 500ms}}
      "GET /down": {integration: {type: http_proxy, uri: "http://@DEAD@/down"}}
    stages:
      prod: {}
"#;

#[tokio::test]
async fn integration_timeout_answers_504_endpoint_request_timed_out() {
    let up = Upstream::start("up");
    let moat = Moat::start(&fill(
        TIMEOUTS,
        &[("UP", up.hostport()), ("DEAD", dead_addr().to_string())],
    ));
    let start = Instant::now();
    let r = get(moat.addr(), "/prod/slow?ms=3000").await;
    let took = start.elapsed();
    assert_eq!(r.code(), 504, "body {}", r.text());
    assert_eq!(r.json(), serde_json::json!({"message": "Endpoint request timed out"}));
    assert!(
        took < Duration::from_millis(1500),
        "504 after {took:?}; the route's timeout is 500ms"
    );
    assert!(
        took >= Duration::from_millis(450),
        "504 after only {took:?}; the route's timeout is 500ms"
    );
    assert_eq!(up.last().path, "/slow?ms=3000", "query forwarded to the integration");
    r.assert_aws_ids();
}

#[tokio::test]
async fn upstream_down_answers_502_with_json_message() {
    let up = Upstream::start("up");
    let moat = Moat::start(&fill(
        TIMEOUTS,
        &[("UP", up.hostport()), ("DEAD", dead_addr().to_string())],
    ));
    let r = get(moat.addr(), "/prod/down").await;
    assert_eq!(r.code(), 502, "body {}", r.text());
    let body = r.json();
    assert!(
        body.get("message").and_then(serde_json::Value::as_str).is_some(),
        "no \"message\" string in {body}"
    );
    assert_eq!(
        body.as_object().map(serde_json::Map::len),
        Some(1),
        "gateway response body is {{\"message\":...}}: {body}"
    );
    r.assert_aws_ids();
}

const REST_AND_DOMAIN: &str = r#"
listen: 127.0.0.1:0
domains:
  - name: a.example.test
    mappings: [{base_path: "", api: shop, stage: prod}]
apis:
  - name: shop
    type: rest
    routes:
      "GET /health": {integration: {type: mock, body: ok}}
    stages:
      prod: {}
"#;

#[tokio::test]
async fn rest_no_route_is_403_missing_authentication_token() {
    let moat = Moat::start(REST_AND_DOMAIN);
    let host = moat.addr().to_string();
    for (method, path) in [("GET", "/prod/nothing"), ("POST", "/prod/health"), ("GET", "/prod")] {
        let r = send(moat.addr(), req(method, &host, path)).await;
        assert_eq!(r.code(), 403, "{method} {path}: body {}", r.text());
        assert_eq!(
            r.json(),
            serde_json::json!({"message": "Missing Authentication Token"}),
            "{method} {path}"
        );
        r.assert_aws_ids();
    }
}

#[tokio::test]
async fn rest_unknown_stage_or_host_is_403_missing_authentication_token() {
    let moat = Moat::start(REST_AND_DOMAIN);
    let r = get(moat.addr(), "/staging/health").await;
    assert_eq!(r.code(), 403, "unknown stage: body {}", r.text());
    assert_eq!(
        r.json(),
        serde_json::json!({"message": "Missing Authentication Token"}),
        "unknown stage"
    );
    r.assert_aws_ids();
    let r = send(moat.addr(), req("GET", "unknown.example.test", "/health")).await;
    assert_eq!(r.code(), 403, "unknown host: body {}", r.text());
    assert_eq!(
        r.json(),
        serde_json::json!({"message": "Missing Authentication Token"}),
        "unknown host"
    );
    r.assert_aws_ids();
}

#[tokio::test]
async fn custom_domain_mapping_serves_by_host_header() {
    let moat = Moat::start(REST_AND_DOMAIN);
    let r = send(moat.addr(), req("GET", "a.example.test", "/health")).await;
    assert_eq!(
        (r.code(), r.text().as_str()),
        (200, "ok"),
        "Host a.example.test, base path '' -> shop/prod"
    );
}

#[tokio::test]
async fn http_api_no_route_is_404_not_found() {
    let moat = Moat::start(
        r#"
listen: 127.0.0.1:0
apis:
  - name: orders
    type: http
    routes:
      "GET /a": {integration: {type: mock, body: a}}
    stages:
      "$default": {}
"#,
    );
    let r = get(moat.addr(), "/a").await;
    assert_eq!((r.code(), r.text().as_str()), (200, "a"));
    for path in ["/b", "/a/b"] {
        let r = get(moat.addr(), path).await;
        assert_eq!(r.code(), 404, "{path}: body {}", r.text());
        assert_eq!(r.json(), serde_json::json!({"message": "Not Found"}), "{path}");
        r.assert_http_api_ids();
    }
}

#[tokio::test]
async fn customised_gateway_response_changes_status_headers_and_body() {
    let moat = Moat::start(
        r#"
listen: 127.0.0.1:0
apis:
  - name: shop
    type: rest
    routes:
      "GET /health": {integration: {type: mock, body: ok}}
    stages:
      prod: {}
    gateway_responses:
      MISSING_AUTHENTICATION_TOKEN:
        status: 404
        headers: {x-custom: "yes"}
        body: '{"error":$context.error.messageString,"type":"$context.error.responseType","id":"$context.requestId"}'
"#,
    );
    let r = get(moat.addr(), "/prod/nothing").await;
    assert_eq!(r.code(), 404, "body {}", r.text());
    assert_eq!(r.header("x-custom"), Some("yes"));
    let id = r.request_id();
    assert_eq!(
        r.json(),
        serde_json::json!({"error": "Missing Authentication Token", "type": "MISSING_AUTHENTICATION_TOKEN", "id": id})
    );
    r.assert_aws_ids();
}

#[tokio::test]
async fn request_ids_are_unique_per_request() {
    let moat = Moat::start(REST_AND_DOMAIN);
    let mut ids = std::collections::HashSet::new();
    for path in ["/prod/health", "/prod/nothing", "/prod/health", "/other"] {
        let r = get(moat.addr(), path).await;
        r.assert_aws_ids();
        assert!(ids.insert(r.request_id()), "x-amzn-RequestId repeated");
    }
}

/// Writes `request` on a new connection and reads until moat closes it (at most 5 s).
async fn exchange_until_close(addr: std::net::SocketAddr, request: &[u8]) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    stream.write_all(request).await.expect("write");
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut answer))
        .await
        .expect("moat closes the connection")
        .expect("read");
    String::from_utf8_lossy(&answer).into_owned()
}

#[tokio::test]
async fn http11_request_without_host_is_400_and_connection_closed() {
    let moat = Moat::start(
        r#"
listen: 127.0.0.1:0
apis:
  - name: hello
    type: http
    routes:
      $default: {integration: {type: mock, body: 'served'}}
    stages:
      $default: {}
"#,
    );
    let answer = exchange_until_close(moat.addr(), b"GET / HTTP/1.1\r\n\r\n")
        .await
        .to_ascii_lowercase();
    assert!(answer.starts_with("http/1.1 400"), "{answer}");
    assert!(answer.contains("connection: close"), "{answer}");
    assert!(answer.ends_with(r#"{"message":"bad request"}"#), "{answer}");
    // HTTP/1.0 has no Host requirement: the default endpoint serves it, and closes after one response.
    let answer = exchange_until_close(moat.addr(), b"GET / HTTP/1.0\r\n\r\n").await;
    assert!(answer.ends_with("served"), "{answer}");
}
