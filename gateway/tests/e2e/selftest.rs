//! Checks of the test tooling itself, without moat: the echoing upstream, the HTTP/1.1 and h2c clients, the
//! generated certificates, the TLS client and the hand-made ClientHellos. When these fail, the other tests'
//! failures say nothing about the gateway.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::io::AsyncReadExt;
use tokio::net::TcpListener;

use crate::harness::{
    client_hello, get, req, tcp, tempdir, tls_connect, write_quiet, Certs, TlsOpts, Upstream, ALL_VERSIONS, H2,
};

#[tokio::test]
async fn selftest_upstream_echoes_and_records() {
    let up = Upstream::start("u1");
    let r = crate::harness::send(up.addr, req("POST", &up.hostport(), "/a/b?c=d").body("hello")).await;
    assert_eq!(r.code(), 200);
    let j = r.json();
    assert_eq!(
        (j["upstream"].as_str(), j["method"].as_str(), j["path"].as_str()),
        (Some("u1"), Some("POST"), Some("/a/b?c=d"))
    );
    assert_eq!(j["body_len"], 5);
    assert_eq!(up.last().body_hash, crate::harness::fnv_hex(b"hello"));
    let start = Instant::now();
    let r = get(up.addr, "/slow?ms=300").await;
    assert_eq!(r.code(), 200);
    assert!(start.elapsed() >= Duration::from_millis(300));
    let r = get(up.addr, "/stream").await;
    assert_eq!(r.text(), "chunk 0\nchunk 1\nchunk 2\nchunk 3\nchunk 4\n");
    let mut h2 = H2::connect_h2c(up.addr).await;
    let r = h2
        .send(req("GET", &up.hostport(), "/h2"))
        .await
        .expect("h2c to upstream");
    assert_eq!(r.version, hyper::Version::HTTP_2);
    assert_eq!(up.requests().len(), 4);
}

#[tokio::test]
async fn selftest_tls_client_certs_and_client_hellos() {
    let dir = tempdir();
    let certs = Certs::write(dir.path());
    let pem = std::fs::read(dir.path().join("a.pem")).expect("a.pem");
    let key = std::fs::read(dir.path().join("a.key")).expect("a.key");
    let chain: Vec<_> = rustls_pemfile::certs(&mut &pem[..])
        .collect::<Result<_, _>>()
        .expect("certs");
    let key = rustls_pemfile::private_key(&mut &key[..]).expect("key").expect("a key");
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_protocol_versions(ALL_VERSIONS)
        .expect("versions")
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .expect("server config");
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        loop {
            let Ok((s, _)) = listener.accept().await else { return };
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                if let Ok(mut tls) = acceptor.accept(s).await {
                    let mut b = [0u8; 1];
                    let _ = tls.read(&mut b).await;
                }
            });
        }
    });
    let opts = TlsOpts {
        sni: "a.example.test",
        ca: Some(&certs.ca_der),
        alpn: &[],
        versions: ALL_VERSIONS,
    };
    let (_, info) = tls_connect(addr, &opts).await.expect("TLS to the in-process server");
    assert!(info.peer_cert == certs.a_der);
    assert_eq!(info.version, Some(rustls::ProtocolVersion::TLSv1_3));
    let opts = TlsOpts {
        sni: "b.example.test",
        ca: Some(&certs.ca_der),
        alpn: &[],
        versions: ALL_VERSIONS,
    };
    assert!(
        tls_connect(addr, &opts).await.is_err(),
        "cert A must not verify for b.example.test"
    );

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
        "TLS 1.2 ClientHello -> ServerHello"
    );
    let got = first_byte(0x0302).await;
    assert!(
        got != Some(0x16),
        "TLS 1.1 ClientHello answered with a handshake record by a 1.2+ server"
    );
}
