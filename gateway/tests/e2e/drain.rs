//! Spec 12: SIGTERM drains in-flight requests, refuses new connections and exits 0 within the grace period.

use std::time::{Duration, Instant};

use tokio::net::TcpStream;

use crate::fill;
use crate::harness::{get, read_some, write_quiet, Moat, ReadOutcome, Upstream};

const DRAIN: &str = r#"
listen: 127.0.0.1:0
server: {grace_period: 5s}
apis:
  - name: shop
    type: rest
    routes:
      "GET /slow": {integration: {type: http_proxy, uri: "http://@UP@/slow"}}
    stages:
      prod: {}
"#;

#[tokio::test]
async fn sigterm_drains_in_flight_request_refuses_new_connections_and_exits_zero() {
    let up = Upstream::start("up");
    let mut moat = Moat::start(&fill(DRAIN, &[("UP", up.hostport())]));
    let addr = moat.addr();
    let in_flight = tokio::spawn(async move { get(addr, "/prod/slow?ms=1500").await });
    tokio::time::sleep(Duration::from_millis(200)).await;
    let signalled = Instant::now();
    moat.signal("TERM");
    tokio::time::sleep(Duration::from_millis(300)).await;

    // New connections after the signal: refused, or closed without an answer.
    match TcpStream::connect(addr).await {
        Err(_) => {}
        Ok(mut s) => {
            write_quiet(
                &mut s,
                format!("GET /prod/slow?ms=1 HTTP/1.1\r\nHost: {addr}\r\n\r\n").as_bytes(),
            )
            .await;
            let out = read_some(&mut s, Duration::from_secs(1)).await;
            assert!(
                matches!(out, ReadOutcome::Eof | ReadOutcome::Error(_)),
                "a connection made 300 ms after SIGTERM was accepted: {}",
                out.text()
            );
        }
    }

    let r = tokio::time::timeout(Duration::from_secs(5), in_flight)
        .await
        .expect("in-flight request did not finish")
        .expect("in-flight request task panicked (connection cut?)");
    assert_eq!(r.code(), 200, "in-flight request during drain: body {}", r.text());

    let status = moat.wait_exit(Duration::from_secs(6));
    let status = status.unwrap_or_else(|| {
        panic!(
            "moat still running {:?} after SIGTERM (grace_period 5s)",
            signalled.elapsed()
        )
    });
    assert!(status.success(), "moat exited with {status} after draining");
    assert!(
        signalled.elapsed() < Duration::from_secs(5),
        "exit took {:?}, longer than grace_period",
        signalled.elapsed()
    );
}
