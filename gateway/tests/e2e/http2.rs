//! Spec 11: HTTP/2 over TLS (ALPN h2) and h2c with prior knowledge on a plain listener.

use std::time::Duration;

use hyper::Version;

use crate::harness::{field, json_lines, req, tls_connect, wait_lines, TlsOpts, Upstream, ALL_VERSIONS, H2};
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
