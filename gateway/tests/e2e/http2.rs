//! Spec 11: HTTP/2 over TLS (ALPN h2) and h2c with prior knowledge on a plain listener.

use std::time::Duration;

use hyper::Version;

use crate::harness::{
    field, json_lines, req, send, tls_connect, wait_lines, Moat, TlsOpts, Upstream, ALL_VERSIONS, H2,
};
use crate::tls::start_tls;

#[tokio::test]
async fn http2_over_tls_negotiated_with_alpn_and_logged_as_http_2_0() {
    let up = Upstream::start("up");
    let (moat, certs) = start_tls(&up);
    let opts = TlsOpts {
        sni: "a.example.test",
        ca: Some(&certs.ca_der),
        alpn: &[b"h2", b"http/1.1"],
        versions: ALL_VERSIONS,
    };
    let (tls, info) = tls_connect(moat.https_addr(), &opts).await.expect("TLS");
    assert_eq!(info.alpn.as_deref(), Some(&b"h2"[..]), "ALPN: server did not pick h2");
    let mut h2 = H2::handshake(tls, "https").await;
    let r = h2
        .send(req("GET", "a.example.test", "/products/42"))
        .await
        .expect("h2 request");
    assert_eq!(r.code(), 200, "body {}", r.text());
    assert_eq!(r.version, Version::HTTP_2);
    assert_eq!(up.last().path, "/p/42");
    r.assert_aws_ids();
    let lines = json_lines(&wait_lines(&moat.dir().join("access.log"), 1, Duration::from_secs(2)));
    assert_eq!(lines.len(), 1, "access-log lines");
    assert_eq!(
        field(&lines[0], "protocol"),
        "HTTP/2.0",
        "$context.protocol: {}",
        lines[0]
    );
    assert_eq!(field(&lines[0], "requestId"), r.request_id());
}

#[tokio::test]
async fn http1_over_tls_logged_as_http_1_1() {
    let up = Upstream::start("up");
    let (moat, certs) = start_tls(&up);
    let opts = TlsOpts {
        sni: "a.example.test",
        ca: Some(&certs.ca_der),
        alpn: &[b"http/1.1"],
        versions: ALL_VERSIONS,
    };
    let (tls, _) = tls_connect(moat.https_addr(), &opts).await.expect("TLS");
    let mut c = crate::harness::H1::handshake(tls).await;
    let r = c.send(req("GET", "a.example.test", "/health")).await;
    assert_eq!(r.code(), 200);
    let lines = json_lines(&wait_lines(&moat.dir().join("access.log"), 1, Duration::from_secs(2)));
    assert_eq!(
        field(&lines[0], "protocol"),
        "HTTP/1.1",
        "$context.protocol: {}",
        lines[0]
    );
}

#[tokio::test]
async fn h2c_prior_knowledge_on_plain_listener() {
    let up = Upstream::start("up");
    let (moat, _certs) = start_tls(&up);
    let mut h2 = H2::connect_h2c(moat.http_addr()).await;
    let r = h2
        .send(req("GET", "a.example.test", "/products/7"))
        .await
        .expect("h2c request");
    assert_eq!(r.code(), 200, "body {}", r.text());
    assert_eq!(r.version, Version::HTTP_2);
    assert_eq!(up.last().path, "/p/7");
}

#[tokio::test]
async fn an_integrations_own_id_fields_never_reach_the_client_over_either_protocol() {
    let moat = Moat::start(
        r#"
listen: 127.0.0.1:0
apis:
  - name: orders
    type: http
    routes:
      "GET /ids": {integration: {type: mock, headers: {x-amzn-requestid: own, x-amz-apigw-id: own, x-amzn-trace-id: own, apigw-requestid: own, x-kept: own}, body: ok}}
    stages:
      "$default": {}
"#,
    );
    let host = moat.addr().to_string();
    let h1 = send(moat.addr(), req("GET", &host, "/ids")).await;
    let mut h2 = H2::connect_h2c(moat.addr()).await;
    let h2 = h2.send(req("GET", &host, "/ids")).await.expect("h2c request");
    assert_eq!(h2.version, Version::HTTP_2);
    for r in [&h1, &h2] {
        assert_eq!((r.code(), r.text().as_str()), (200, "ok"));
        // Moat's HTTP API fields only: none of the integration's, and none of the REST-only ones.
        r.assert_http_api_ids();
        assert_eq!(r.header("x-kept"), Some("own"), "other fields pass: {:?}", r.headers);
    }
}
