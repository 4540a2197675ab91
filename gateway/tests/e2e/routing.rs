//! Spec 1-2: API Gateway routing (stage prefixes, `$default`, precedence), parameter and stage-variable
//! substitution, and what is forwarded (method, path, query, body).

use crate::fill;
use crate::harness::{fnv_hex, get, req, Moat, Upstream, H1};

const REST: &str = r#"
listen: 127.0.0.1:0
apis:
  - name: shop
    type: rest
    routes:
      "GET /products/{id}": {integration: {type: http_proxy, uri: "http://@UP@/p/{id}"}}
      "ANY /orders/{proxy+}": {integration: {type: http_proxy, uri: "http://@UP@/o/{proxy}"}}
      "GET /stream": {integration: {type: http_proxy, uri: "http://@UP@/stream"}}
    stages:
      prod: {}
"#;

#[tokio::test]
async fn rest_api_served_under_stage_prefix_with_path_parameter_and_query() {
    let up = Upstream::start("up");
    let moat = Moat::start(&fill(REST, &[("UP", up.hostport())]));
    let r = get(moat.addr(), "/prod/products/42?color=red&size=m%20l&a=1&a=2").await;
    assert_eq!(r.code(), 200, "GET /prod/products/42 body: {}", r.text());
    let seen = up.last();
    assert_eq!(seen.method, "GET");
    assert_eq!(
        seen.path, "/p/42?color=red&size=m%20l&a=1&a=2",
        "path parameter substituted, query unchanged"
    );
    assert_eq!(r.json()["upstream"], "up", "response body is the upstream's");
    r.assert_aws_ids();
}

#[tokio::test]
async fn rest_api_without_stage_prefix_is_not_routed() {
    let up = Upstream::start("up");
    let moat = Moat::start(&fill(REST, &[("UP", up.hostport())]));
    let r = get(moat.addr(), "/products/42").await;
    assert_eq!(r.code(), 403, "REST API path without stage: body {}", r.text());
    assert!(up.requests().is_empty(), "nothing forwarded");
}

#[tokio::test]
async fn greedy_proxy_keeps_slashes_and_forwards_method_query_and_body() {
    let up = Upstream::start("up");
    let moat = Moat::start(&fill(REST, &[("UP", up.hostport())]));
    let mut c = H1::connect(moat.addr()).await;
    let host = moat.addr().to_string();
    let body: Vec<u8> = (0..5000u32).map(|i| (i % 251) as u8).collect();
    let r = c
        .send(
            req("POST", &host, "/prod/orders/a/b/c.json?q=1&q=2&empty=")
                .header("content-type", "application/octet-stream")
                .body(body.clone()),
        )
        .await;
    assert_eq!(r.code(), 200, "body: {}", r.text());
    let seen = up.last();
    assert_eq!(seen.method, "POST");
    assert_eq!(seen.path, "/o/a/b/c.json?q=1&q=2&empty=");
    assert_eq!(seen.body_len, body.len(), "body length forwarded");
    assert_eq!(seen.body_hash, fnv_hex(&body), "body bytes forwarded unchanged");
    for method in ["PUT", "DELETE", "PATCH"] {
        let r = c.send(req(method, &host, "/prod/orders/x/y")).await;
        assert_eq!(r.code(), 200, "{method} on ANY route");
        let seen = up.last();
        assert_eq!((seen.method.as_str(), seen.path.as_str()), (method, "/o/x/y"));
    }
}

#[tokio::test]
async fn upstream_response_is_streamed() {
    let up = Upstream::start("up");
    let moat = Moat::start(&fill(REST, &[("UP", up.hostport())]));
    // The upstream sends five chunks 100 ms apart; a streaming proxy delivers the head well before the end.
    let start = std::time::Instant::now();
    let mut s = crate::harness::tcp(moat.addr()).await;
    let head = format!("GET /prod/stream HTTP/1.1\r\nHost: {}\r\n\r\n", moat.addr());
    crate::harness::write_quiet(&mut s, head.as_bytes()).await;
    let first = crate::harness::read_some(&mut s, std::time::Duration::from_secs(5)).await;
    let first_at = start.elapsed();
    assert_eq!(first.status(), Some(200), "got {}", first.text());
    assert!(
        first_at < std::time::Duration::from_millis(350),
        "first bytes of a 500 ms streamed body arrived after {first_at:?} (buffered?)"
    );
    let r = get(moat.addr(), "/prod/stream").await;
    assert_eq!(r.text(), "chunk 0\nchunk 1\nchunk 2\nchunk 3\nchunk 4\n");
}

const HTTP_PRECEDENCE: &str = r#"
listen: 127.0.0.1:0
apis:
  - name: prec
    type: http
    routes:
      "GET /items/special": {integration: {type: mock, body: exact}}
      "GET /items/{id}": {integration: {type: mock, body: param}}
      "ANY /items/{proxy+}": {integration: {type: mock, body: greedy}}
      "GET /things": {integration: {type: mock, body: get-things}}
      "ANY /things": {integration: {type: mock, body: any-things}}
      "$default": {integration: {type: mock, body: default}}
    stages:
      "$default": {}
"#;

#[tokio::test]
async fn route_precedence_exact_then_param_then_greedy_then_any_then_default() {
    let moat = Moat::start(HTTP_PRECEDENCE);
    let mut c = H1::connect(moat.addr()).await;
    let host = moat.addr().to_string();
    let cases = [
        ("GET", "/items/special", "exact"),
        ("GET", "/items/7", "param"),
        ("GET", "/items/7/parts", "greedy"),
        ("POST", "/items/7", "greedy"),
        ("GET", "/things", "get-things"),
        ("DELETE", "/things", "any-things"),
        ("GET", "/nothing/here", "default"),
        ("POST", "/", "default"),
    ];
    let mut wrong = Vec::new();
    for (method, path, want) in cases {
        let r = c.send(req(method, &host, path)).await;
        if r.code() != 200 || r.text() != want {
            wrong.push(format!(
                "{method} {path}: want 200 {want:?}, got {} {:?}",
                r.code(),
                r.text()
            ));
        }
    }
    assert!(wrong.is_empty(), "route precedence:\n{}", wrong.join("\n"));
}

const HTTP_STAGES: &str = r#"
listen: 127.0.0.1:0
apis:
  - name: orders
    type: http
    routes:
      "ANY /{proxy+}": {integration: {type: http_proxy, uri: "http://@UP@/${stageVariables.tag}/{proxy}"}}
    stages:
      "$default": {variables: {tag: dflt}}
      beta: {variables: {tag: beta}}
"#;

#[tokio::test]
async fn http_api_default_stage_is_served_without_prefix() {
    let up = Upstream::start("up");
    let moat = Moat::start(&fill(HTTP_STAGES, &[("UP", up.hostport())]));
    let r = get(moat.addr(), "/x/y?z=1").await;
    assert_eq!(r.code(), 200, "body {}", r.text());
    assert_eq!(up.last().path, "/dflt/x/y?z=1");
    r.assert_http_api_ids();
}

#[tokio::test]
async fn http_api_named_stage_is_served_under_its_prefix() {
    let up = Upstream::start("up");
    let moat = Moat::start(&fill(HTTP_STAGES, &[("UP", up.hostport())]));
    let r = get(moat.addr(), "/beta/x/y").await;
    assert_eq!(r.code(), 200, "body {}", r.text());
    assert_eq!(
        up.last().path,
        "/beta/x/y",
        "stage beta (variable tag=beta) served the request, path after the stage"
    );
}

const STAGE_VARS: &str = r#"
listen: 127.0.0.1:0
apis:
  - name: shop
    type: rest
    routes:
      "GET /sv/{proxy+}": {integration: {type: http_proxy, uri: "http://${stageVariables.backend}/${stageVariables.prefix}/{proxy}"}}
    stages:
      prod: {variables: {backend: "@UPA@", prefix: pp}}
      beta: {variables: {backend: "@UPB@", prefix: bb}}
"#;

#[tokio::test]
async fn stage_variables_substituted_in_uri() {
    let a = Upstream::start("a");
    let b = Upstream::start("b");
    let moat = Moat::start(&fill(STAGE_VARS, &[("UPA", a.hostport()), ("UPB", b.hostport())]));
    let r = get(moat.addr(), "/prod/sv/x/1").await;
    assert_eq!(
        (r.code(), r.json()["upstream"].as_str()),
        (200, Some("a")),
        "prod -> backend a"
    );
    assert_eq!(a.last().path, "/pp/x/1");
    let r = get(moat.addr(), "/beta/sv/x/2").await;
    assert_eq!(
        (r.code(), r.json()["upstream"].as_str()),
        (200, Some("b")),
        "beta -> backend b"
    );
    assert_eq!(b.last().path, "/bb/x/2");
    assert_eq!(a.requests().len(), 1);
}
