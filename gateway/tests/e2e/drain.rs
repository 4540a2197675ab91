//! Spec 12: SIGTERM drains in-flight requests, refuses new connections and exits 0 within the grace period,
//! with every access-log record written and the sink's totals reported.

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
      prod:
        access_log: {destination: "{dir}/access.log"}
"#;

#[tokio::test]
async fn sigterm_drains_in_flight_request_refuses_new_connections_and_exits_zero() {
    let up = Upstream::start("up");
    let mut moat = Moat::start(&fill(DRAIN, &[("UP", up.hostport())]));
    let addr = moat.addr();
    for _ in 0..3 {
        assert_eq!(get(addr, "/prod/slow?ms=1").await.code(), 200);
    }
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

    // The log was flushed before exit, and its totals printed: the three quick requests and the drained one.
    let log = moat.dir().join("access.log");
    let lines = std::fs::read_to_string(&log).expect("read access.log").lines().count();
    assert_eq!(lines, 4, "access.log after the drain");
    let totals = format!("moat: log sink {}: 4 written (", log.display());
    let output = moat.output();
    let line = output.lines().find(|l| l.contains(&totals));
    assert!(
        line.is_some_and(|l| l.ends_with("), 0 dropped")),
        "no `{totals}... 0 dropped` line in moat's output:\n{output}"
    );
}
