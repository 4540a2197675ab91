//! Spec 8: `X-Amzn-Trace-Id` propagation and generation; `X-Forwarded-For` appending and the source IP that
//! the access log reports, with and without trusted proxies.

use std::time::Duration;

use crate::fill;
use crate::harness::{field, json_lines, req, send, trace_root, wait_lines, Moat, Upstream, TEST_LOG_FORMAT};

const PROXY: &str = r#"
listen: 127.0.0.1:0
server: {trusted_proxies: [@TRUSTED@]}
apis:
  - name: shop
    type: rest
    routes:
      "ANY /{proxy+}": {integration: {type: http_proxy, uri: "http://@UP@/{proxy}"}}
    stages:
      prod:
        access_log: {destination: "{dir}/access.log", format: @FORMAT@}
"#;

fn start(up: &Upstream, trusted: &str) -> Moat {
    Moat::start(&fill(
        PROXY,
        &[
            ("UP", up.hostport()),
            ("TRUSTED", trusted.to_string()),
            ("FORMAT", TEST_LOG_FORMAT.to_string()),
        ],
    ))
}

#[tokio::test]
async fn well_formed_trace_header_passed_upstream_with_same_root() {
    let up = Upstream::start("up");
    let moat = start(&up, "");
    let sent = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1";
    let r = send(
        moat.addr(),
        req("GET", &moat.addr().to_string(), "/prod/t").header("X-Amzn-Trace-Id", sent),
    )
    .await;
    assert_eq!(r.code(), 200);
    let seen = up.last().headers.get("x-amzn-trace-id").cloned().unwrap_or_default();
    assert_eq!(
        trace_root(&seen).as_deref(),
        Some("1-5759e988-bd862e3fe1be46a994272793"),
        "upstream saw X-Amzn-Trace-Id {seen:?}"
    );
    // The stage has no tracing, so it names no segment of its own: the caller's context passes as it
    // came, and the traceparent names the caller's span.
    assert_eq!(seen, sent, "an untraced stage forwards the caller's header unchanged");
    assert_eq!(
        up.last().headers.get("traceparent").map(String::as_str),
        Some("00-5759e988bd862e3fe1be46a994272793-53995c3f42cd8ad8-01")
    );
}

#[tokio::test]
async fn malformed_trace_header_replaced_by_generated_one() {
    let up = Upstream::start("up");
    let moat = start(&up, "");
    for bad in [
        "Root=garbage",
        "Root=1-5759e988-XYZ;Sampled=1",
        "hello",
        "Root=1-5759e98-bd862e3fe1be46a994272793",
    ] {
        let r = send(
            moat.addr(),
            req("GET", &moat.addr().to_string(), "/prod/t").header("X-Amzn-Trace-Id", bad),
        )
        .await;
        assert_eq!(r.code(), 200);
        let seen = up.last().headers.get("x-amzn-trace-id").cloned().unwrap_or_default();
        assert!(
            trace_root(&seen).is_some(),
            "sent {bad:?}; upstream saw {seen:?}, want Root=1-<8 hex>-<24 hex>"
        );
        assert!(!seen.contains(bad), "sent {bad:?}; upstream saw it unchanged: {seen:?}");
    }
}

#[tokio::test]
async fn missing_trace_header_is_generated() {
    let up = Upstream::start("up");
    let moat = start(&up, "");
    let mut roots = std::collections::HashSet::new();
    for _ in 0..3 {
        let r = send(moat.addr(), req("GET", &moat.addr().to_string(), "/prod/t")).await;
        assert_eq!(r.code(), 200);
        let seen = up.last().headers.get("x-amzn-trace-id").cloned().unwrap_or_default();
        let root = trace_root(&seen).unwrap_or_else(|| panic!("upstream saw X-Amzn-Trace-Id {seen:?}"));
        // As API Gateway forwards a new trace with tracing off: the root alone, and no traceparent.
        assert_eq!(seen, format!("Root={root}"));
        assert_eq!(
            up.last().headers.get("traceparent"),
            None,
            "traceparent without a parent span"
        );
        assert!(roots.insert(root), "generated trace roots repeat");
    }
}

#[tokio::test]
async fn forwarded_for_appends_client_ip_and_log_ip_is_socket_peer() {
    let up = Upstream::start("up");
    let moat = start(&up, "");
    let host = moat.addr().to_string();
    let r = send(
        moat.addr(),
        req("GET", &host, "/prod/xff").header("X-Forwarded-For", "203.0.113.7"),
    )
    .await;
    assert_eq!(r.code(), 200);
    let xff = up.last().headers.get("x-forwarded-for").cloned().unwrap_or_default();
    let hops: Vec<&str> = xff.split(',').map(str::trim).collect();
    assert_eq!(hops, ["203.0.113.7", "127.0.0.1"], "upstream X-Forwarded-For {xff:?}");
    let r2 = send(moat.addr(), req("GET", &host, "/prod/noxff")).await;
    assert_eq!(r2.code(), 200);
    let xff = up.last().headers.get("x-forwarded-for").cloned().unwrap_or_default();
    assert_eq!(
        xff.trim(),
        "127.0.0.1",
        "upstream X-Forwarded-For without a client value"
    );

    let lines = json_lines(&wait_lines(&moat.dir().join("access.log"), 2, Duration::from_secs(2)));
    assert_eq!(lines.len(), 2, "access-log lines");
    for rec in &lines {
        assert_eq!(
            field(rec, "ip"),
            "127.0.0.1",
            "untrusted peer: ip is the socket peer even with XFF: {rec}"
        );
    }
    assert_eq!(field(&lines[0], "requestId"), r.request_id());
}

#[tokio::test]
async fn forwarded_for_from_trusted_proxy_uses_rightmost_untrusted_address() {
    let up = Upstream::start("up");
    let moat = start(&up, r#""127.0.0.1/32", "10.0.0.0/8""#);
    let host = moat.addr().to_string();
    let r = send(
        moat.addr(),
        req("GET", &host, "/prod/xff").header("X-Forwarded-For", "198.51.100.1, 203.0.113.7, 10.1.2.3"),
    )
    .await;
    assert_eq!(r.code(), 200);
    let lines = json_lines(&wait_lines(&moat.dir().join("access.log"), 1, Duration::from_secs(2)));
    assert_eq!(lines.len(), 1, "access-log lines");
    assert_eq!(
        field(&lines[0], "ip"),
        "203.0.113.7",
        "peer 127.0.0.1 and 10.1.2.3 are trusted: {}",
        lines[0]
    );
    let xff = up.last().headers.get("x-forwarded-for").cloned().unwrap_or_default();
    let hops: Vec<&str> = xff.split(',').map(str::trim).collect();
    assert_eq!(
        hops,
        ["198.51.100.1", "203.0.113.7", "10.1.2.3", "127.0.0.1"],
        "upstream X-Forwarded-For {xff:?}"
    );
}

#[tokio::test]
async fn hop_by_hop_and_gateway_owned_fields_are_replaced_on_the_way_to_the_endpoint() {
    let up = Upstream::start("up");
    let moat = start(&up, "");
    let host = moat.addr().to_string();
    let r = send(
        moat.addr(),
        req("GET", &host, "/prod/hop")
            .header("Connection", "keep-alive, X-Secret")
            .header("X-Secret", "not for the endpoint")
            .header("Keep-Alive", "timeout=5")
            .header("Proxy-Authorization", "Basic Zm9vOmJhcg==")
            .header("X-Forwarded-Proto", "gopher")
            .header("X-Forwarded-Port", "1")
            .header("X-Kept", "yes"),
    )
    .await;
    assert_eq!(r.code(), 200);
    let seen = up.last().headers;
    for gone in ["connection", "x-secret", "keep-alive", "proxy-authorization"] {
        assert!(!seen.contains_key(gone), "{gone} must not reach the endpoint: {seen:?}");
    }
    assert_eq!(seen.get("x-kept").map(String::as_str), Some("yes"));
    assert_eq!(
        seen.get("host"),
        Some(&up.hostport()),
        "Host is the integration's authority"
    );
    assert_eq!(seen.get("x-forwarded-proto").map(String::as_str), Some("http"));
    assert_eq!(seen.get("x-forwarded-port"), Some(&moat.addr().port().to_string()));
    // Each field once: the client's copies were replaced, not added to.
    assert!(
        !seen.values().any(|v| v.contains(", http") || v.contains("gopher")),
        "{seen:?}"
    );
}
