//! Spec 10: TLS with SNI per custom domain, base path mappings behind it, TLS 1.2/1.3 only, unknown SNI refused.

use std::time::Duration;

use tokio::io::AsyncReadExt;

use crate::fill;
use crate::harness::{
    client_hello, req, tcp, tempdir, tls_connect, write_quiet, Certs, Moat, TlsOpts, Upstream, ALL_VERSIONS, H1,
};

pub const TLS_CONFIG: &str = r#"
listeners:
  - {address: 127.0.0.1:0, tls: true}
  - {address: 127.0.0.1:0}
domains:
  - name: a.example.test
    certificate: "{dir}/a.pem"
    key: "{dir}/a.key"
    mappings:
      - {base_path: "", api: shop, stage: prod}
      - {base_path: v2, api: orders, stage: "$default"}
  - name: b.example.test
    certificate: "{dir}/b.pem"
    key: "{dir}/b.key"
    mappings:
      - {base_path: "", api: orders, stage: "$default"}
apis:
  - name: shop
    type: rest
    routes:
      "GET /products/{id}": {integration: {type: http_proxy, uri: "http://@UP@/p/{id}"}}
      "GET /health": {integration: {type: mock, body: shop}}
    stages:
      prod:
        access_log: {destination: "{dir}/access.log", format: @FORMAT@}
  - name: orders
    type: http
    routes:
      "GET /products/{id}": {integration: {type: mock, body: '{"api":"orders"}'}}
    stages:
      "$default": {}
"#;

/// Certificates plus moat on [`TLS_CONFIG`].
pub fn start_tls(up: &Upstream) -> (Moat, Certs) {
    let dir = tempdir();
    let certs = Certs::write(dir.path());
    let yaml = fill(
        TLS_CONFIG,
        &[
            ("UP", up.hostport()),
            ("FORMAT", crate::harness::TEST_LOG_FORMAT.to_string()),
        ],
    );
    (Moat::start_in(dir, &yaml), certs)
}

#[tokio::test]
async fn sni_selects_certificate_and_custom_domain_mapping() {
    let up = Upstream::start("up");
    let (moat, certs) = start_tls(&up);
    let addr = moat.https_addr();

    let opts = TlsOpts {
        sni: "a.example.test",
        ca: Some(&certs.ca_der),
        alpn: &[b"http/1.1"],
        versions: ALL_VERSIONS,
    };
    let (tls, info) = tls_connect(addr, &opts).await.expect("TLS to a.example.test");
    assert!(
        info.peer_cert == certs.a_der,
        "SNI a.example.test was not served certificate A"
    );
    let mut c = H1::handshake(tls).await;
    let r = c.send(req("GET", "a.example.test", "/products/42?x=1")).await;
    assert_eq!(
        r.code(),
        200,
        "a.example.test/products/42 -> shop/prod: body {}",
        r.text()
    );
    assert_eq!(up.last().path, "/p/42?x=1");
    let r = c.send(req("GET", "a.example.test", "/v2/products/42")).await;
    assert_eq!(
        (r.code(), r.text().as_str()),
        (200, r#"{"api":"orders"}"#),
        "a.example.test/v2 -> orders"
    );
    r.assert_http_api_ids();

    let opts = TlsOpts {
        sni: "b.example.test",
        ca: Some(&certs.ca_der),
        alpn: &[b"http/1.1"],
        versions: ALL_VERSIONS,
    };
    let (tls, info) = tls_connect(addr, &opts).await.expect("TLS to b.example.test");
    assert!(
        info.peer_cert == certs.b_der,
        "SNI b.example.test was not served certificate B"
    );
    let mut c = H1::handshake(tls).await;
    let r = c.send(req("GET", "b.example.test", "/products/42")).await;
    assert_eq!(
        (r.code(), r.text().as_str()),
        (200, r#"{"api":"orders"}"#),
        "b.example.test -> orders"
    );
    assert_eq!(up.requests().len(), 1, "only the shop request reached the upstream");
}

#[tokio::test]
async fn tls_versions_are_1_2_and_1_3_only() {
    let up = Upstream::start("up");
    let (moat, certs) = start_tls(&up);
    let addr = moat.https_addr();

    let opts = TlsOpts {
        sni: "a.example.test",
        ca: Some(&certs.ca_der),
        alpn: &[],
        versions: ALL_VERSIONS,
    };
    let (_, info) = tls_connect(addr, &opts).await.expect("TLS 1.3 client");
    assert_eq!(info.version, Some(rustls::ProtocolVersion::TLSv1_3));
    let tls12 = [&rustls::version::TLS12];
    let opts = TlsOpts {
        sni: "a.example.test",
        ca: Some(&certs.ca_der),
        alpn: &[],
        versions: &tls12,
    };
    let (tls, info) = tls_connect(addr, &opts).await.expect("TLS 1.2-only client");
    assert_eq!(info.version, Some(rustls::ProtocolVersion::TLSv1_2));
    let mut c = H1::handshake(tls).await;
    assert_eq!(
        c.send(req("GET", "a.example.test", "/health")).await.code(),
        200,
        "request over TLS 1.2"
    );

    // rustls cannot offer TLS 1.1, so send hand-made ClientHellos: the TLS 1.2 one proves the bytes are
    // well-formed (a ServerHello comes back), the TLS 1.1 one must not get a ServerHello.
    let first_byte = |version: u16| async move {
        let mut s = tcp(addr).await;
        write_quiet(&mut s, &client_hello(version, "a.example.test")).await;
        let mut b = [0u8; 1];
        match tokio::time::timeout(Duration::from_secs(5), s.read(&mut b)).await {
            Ok(Ok(1)) => Some(b[0]),
            _ => None,
        }
    };
    assert_eq!(
        first_byte(0x0303).await,
        Some(0x16),
        "hand-made TLS 1.2 ClientHello should get a handshake record"
    );
    let got = first_byte(0x0302).await;
    assert!(
        got != Some(0x16),
        "a TLS 1.1 ClientHello got a handshake record (ServerHello) back"
    );
    let got = first_byte(0x0301).await;
    assert!(
        got != Some(0x16),
        "a TLS 1.0 ClientHello got a handshake record (ServerHello) back"
    );
}

#[tokio::test]
async fn unknown_sni_fails_handshake() {
    let up = Upstream::start("up");
    let (moat, certs) = start_tls(&up);
    // Accept any certificate so that a failure can only be the server's refusal.
    let opts = TlsOpts {
        sni: "c.example.test",
        ca: None,
        alpn: &[],
        versions: ALL_VERSIONS,
    };
    let res = tls_connect(moat.https_addr(), &opts).await;
    assert!(
        res.is_err(),
        "handshake with SNI c.example.test succeeded (cert A served? {})",
        { res.as_ref().map(|(_, i)| i.peer_cert == certs.a_der).unwrap_or(false) }
    );
    // The listener still serves known names afterwards.
    let opts = TlsOpts {
        sni: "a.example.test",
        ca: Some(&certs.ca_der),
        alpn: &[],
        versions: ALL_VERSIONS,
    };
    assert!(tls_connect(moat.https_addr(), &opts).await.is_ok());
}
