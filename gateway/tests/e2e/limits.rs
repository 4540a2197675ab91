//! Spec 9: header and body size limits, header/body read timeouts (slowloris), idle keep-alive timeout,
//! max_connections and HTTP/2 max concurrent streams.

use std::time::{Duration, Instant};

use tokio::io::AsyncWriteExt;

use crate::fill;
use crate::harness::{read_some, tcp, wait_closed, write_quiet, Moat, ReadOutcome, Upstream, H1, H2};

const LIMITED: &str = r#"
listen: 127.0.0.1:0
limits: {@LIMITS@}
apis:
  - name: shop
    type: rest
    routes:
      "ANY /{proxy+}": {integration: {type: http_proxy, uri: "http://@UP@/{proxy}"}}
      "GET /health": {integration: {type: mock, body: ok}}
    stages:
      prod: {}
"#;

fn start(up: &Upstream, limits: &str) -> Moat {
    Moat::start(&fill(LIMITED, &[("UP", up.hostport()), ("LIMITS", limits.to_string())]))
}

/// A raw response in API Gateway's shape: a JSON body `{"message": ...}` and an `x-amzn-RequestId`.
fn assert_gateway_json(out: &ReadOutcome) {
    let text = out.text();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let json: Option<serde_json::Value> = serde_json::from_str(body).ok();
    assert!(
        json.as_ref()
            .and_then(|j| j.get("message"))
            .and_then(serde_json::Value::as_str)
            .is_some(),
        "want an API Gateway JSON body {{\"message\":...}}, got {body:?}"
    );
    assert!(
        head.to_ascii_lowercase().contains("\r\nx-amzn-requestid: "),
        "no x-amzn-RequestId in {head}"
    );
}

fn head(moat: &Moat, method: &str, path: &str, extra: &str) -> String {
    format!("{method} {path} HTTP/1.1\r\nHost: {}\r\n{extra}\r\n", moat.addr())
}

#[tokio::test]
async fn oversized_headers_rejected_with_4xx_and_gateway_keeps_serving() {
    let up = Upstream::start("up");
    let moat = start(&up, "max_header_bytes: 10240");
    let mut s = tcp(moat.addr()).await;
    let big = "x".repeat(12_000);
    write_quiet(
        &mut s,
        head(&moat, "GET", "/prod/x", &format!("X-Big: {big}\r\n")).as_bytes(),
    )
    .await;
    let out = read_some(&mut s, Duration::from_secs(5)).await;
    let status = out.status();
    assert!(
        matches!(status, Some(400..=499)),
        "12 KB of headers with max_header_bytes 10240: want a 4xx (431), got {}",
        out.text()
    );
    assert_gateway_json(&out);
    assert!(up.requests().is_empty(), "oversized request was forwarded");
    // Under the limit still works, and the gateway is still up.
    let r = crate::harness::send(
        moat.addr(),
        crate::harness::req("GET", &moat.addr().to_string(), "/prod/ok").header("x-small", &"y".repeat(8000)),
    )
    .await;
    assert_eq!(r.code(), 200, "an 8 KB header under the 10 KB limit");
}

#[tokio::test]
async fn oversized_headers_rejected_under_a_small_configured_limit() {
    let up = Upstream::start("up");
    let moat = start(&up, "max_header_bytes: 2048");
    let mut s = tcp(moat.addr()).await;
    write_quiet(
        &mut s,
        head(&moat, "GET", "/prod/x", &format!("X-Big: {}\r\n", "x".repeat(4000))).as_bytes(),
    )
    .await;
    let out = read_some(&mut s, Duration::from_secs(5)).await;
    assert!(
        matches!(out.status(), Some(400..=499)),
        "4 KB of headers with max_header_bytes 2048: want a 4xx (431), got {}",
        out.text()
    );
    assert_gateway_json(&out);
    assert!(
        up.requests().is_empty(),
        "a request over the configured 2048-byte header limit was forwarded"
    );
}

#[tokio::test]
async fn body_over_limit_with_content_length_is_413_without_reading_it() {
    let up = Upstream::start("up");
    let moat = start(&up, "max_body_bytes: 1024");
    let mut s = tcp(moat.addr()).await;
    // Announce 5000 bytes and send none: the answer must come from the Content-Length alone.
    write_quiet(
        &mut s,
        head(
            &moat,
            "POST",
            "/prod/upload",
            "Content-Type: application/json\r\nContent-Length: 5000\r\n",
        )
        .as_bytes(),
    )
    .await;
    let out = read_some(&mut s, Duration::from_secs(3)).await;
    assert_eq!(out.status(), Some(413), "got {}", out.text());
    let text = out.text();
    let body = text.split("\r\n\r\n").nth(1).unwrap_or("");
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(body).ok(),
        Some(serde_json::json!({"message": "Request Too Long"})),
        "413 body: {body:?}"
    );
    assert!(up.requests().is_empty(), "the request was forwarded");
    // At the limit is accepted.
    let r = crate::harness::send(
        moat.addr(),
        crate::harness::req("POST", &moat.addr().to_string(), "/prod/upload").body(vec![b'a'; 1024]),
    )
    .await;
    assert_eq!(r.code(), 200, "a 1024-byte body with max_body_bytes 1024");
}

#[tokio::test]
async fn chunked_body_growing_past_limit_is_not_accepted() {
    let up = Upstream::start("up");
    let moat = start(&up, "max_body_bytes: 1024");
    let mut s = tcp(moat.addr()).await;
    write_quiet(
        &mut s,
        head(&moat, "POST", "/prod/upload", "Transfer-Encoding: chunked\r\n").as_bytes(),
    )
    .await;
    let chunk = format!("200\r\n{}\r\n", "b".repeat(512));
    for _ in 0..4 {
        if !write_quiet(&mut s, chunk.as_bytes()).await {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    write_quiet(&mut s, b"0\r\n\r\n").await;
    let out = read_some(&mut s, Duration::from_secs(5)).await;
    match (&out, out.status()) {
        (_, Some(413)) | (ReadOutcome::Eof | ReadOutcome::Error(_), _) => {}
        _ => panic!(
            "2048 chunked bytes with max_body_bytes 1024: want 413 or a closed connection, got {}",
            out.text()
        ),
    }
    if let Some(rec) = up.requests().last() {
        assert!(
            rec.body_len <= 1024,
            "the upstream received {} body bytes",
            rec.body_len
        );
    }
}

#[tokio::test]
async fn slow_headers_closed_after_header_read_timeout() {
    let up = Upstream::start("up");
    let moat = start(&up, "header_read_timeout: 1s");
    let s = tcp(moat.addr()).await;
    let (mut rd, mut wr) = s.into_split();
    let start = Instant::now();
    let dribble = tokio::spawn(async move {
        if wr.write_all(b"GET /prod/x HTTP/1.1\r\nHost: x\r\n").await.is_err() {
            return;
        }
        for b in b"X-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" {
            tokio::time::sleep(Duration::from_millis(250)).await;
            if wr.write_all(&[*b]).await.is_err() {
                return;
            }
        }
    });
    let out = read_some(&mut rd, Duration::from_secs(6)).await;
    let took = start.elapsed();
    dribble.abort();
    match (&out, out.status()) {
        (_, Some(408)) | (ReadOutcome::Eof | ReadOutcome::Error(_), _) => {}
        _ => panic!(
            "headers dribbled for {took:?} with header_read_timeout 1s: want 408 or close, got {}",
            out.text()
        ),
    }
    assert!(
        took < Duration::from_secs(3),
        "closed after {took:?}; header_read_timeout is 1s"
    );
    assert!(
        took >= Duration::from_millis(800),
        "closed after only {took:?}; header_read_timeout is 1s"
    );
    assert!(up.requests().is_empty());
}

#[tokio::test]
async fn slow_body_answered_408_or_closed_after_body_read_timeout() {
    let up = Upstream::start("up");
    let moat = start(&up, "body_read_timeout: 1s");
    let s = tcp(moat.addr()).await;
    let (mut rd, mut wr) = s.into_split();
    let request = head(&moat, "POST", "/prod/upload", "Content-Length: 100\r\n");
    let start = Instant::now();
    let dribble = tokio::spawn(async move {
        if wr.write_all(request.as_bytes()).await.is_err() {
            return;
        }
        for _ in 0..100 {
            tokio::time::sleep(Duration::from_millis(250)).await;
            if wr.write_all(b"z").await.is_err() {
                return;
            }
        }
    });
    let out = read_some(&mut rd, Duration::from_secs(8)).await;
    let took = start.elapsed();
    dribble.abort();
    match (&out, out.status()) {
        (_, Some(408)) | (ReadOutcome::Eof | ReadOutcome::Error(_), _) => {}
        _ => panic!(
            "body dribbled for {took:?} with body_read_timeout 1s: want 408 or close, got {}",
            out.text()
        ),
    }
    assert!(
        took < Duration::from_secs(3),
        "answered/closed after {took:?}; body_read_timeout is 1s"
    );
    assert!(
        up.requests().iter().all(|r| r.body_len < 100),
        "the upstream received a complete 100-byte body that took 25 s to send"
    );
}

#[tokio::test]
async fn idle_keepalive_connection_closed_after_idle_timeout() {
    let up = Upstream::start("up");
    let moat = start(&up, "idle_timeout: 1s");
    let mut s = tcp(moat.addr()).await;
    write_quiet(&mut s, head(&moat, "GET", "/prod/health", "").as_bytes()).await;
    let out = read_some(&mut s, Duration::from_secs(5)).await;
    assert_eq!(out.status(), Some(200), "got {}", out.text());
    let idle = wait_closed(&mut s, Duration::from_secs(5)).await;
    match idle {
        Some(d) => assert!(
            d >= Duration::from_millis(700) && d < Duration::from_secs(3),
            "idle connection closed after {d:?}; idle_timeout is 1s"
        ),
        None => panic!("idle keep-alive connection still open after 5 s; idle_timeout is 1s"),
    }
    // A connection in use is not cut at the idle timeout.
    let mut c = H1::connect(moat.addr()).await;
    let mut last = Instant::now();
    for i in 0..4 {
        let r = c
            .try_send(crate::harness::req("GET", &moat.addr().to_string(), "/prod/health"))
            .await;
        let gap = last.elapsed();
        // On a loaded machine this task can oversleep; only a gap well under the timeout proves anything.
        if gap < Duration::from_millis(800) {
            assert_eq!(
                r.map(|r| r.code()),
                Ok(200),
                "request {i} on a keep-alive connection idle for only {gap:?} (idle_timeout 1s)"
            );
        } else if r.is_err() {
            eprintln!("request {i} failed after an idle gap of {gap:?}; inconclusive");
            break;
        }
        last = Instant::now();
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

#[tokio::test]
async fn max_connections_holds_extra_connection_until_one_closes() {
    let up = Upstream::start("up");
    let moat = start(&up, "max_connections: 2");
    let req_bytes = head(&moat, "GET", "/prod/health", "");
    let mut held = Vec::new();
    for i in 0..2 {
        let mut s = tcp(moat.addr()).await;
        write_quiet(&mut s, req_bytes.as_bytes()).await;
        let out = read_some(&mut s, Duration::from_secs(5)).await;
        assert_eq!(out.status(), Some(200), "connection {i}: {}", out.text());
        held.push(s);
    }
    let mut third = tcp(moat.addr()).await;
    write_quiet(&mut third, req_bytes.as_bytes()).await;
    let out = read_some(&mut third, Duration::from_secs(1)).await;
    assert!(
        matches!(out, ReadOutcome::Timeout),
        "third connection with max_connections 2 was served (or closed) while two were open: {}",
        out.text()
    );
    drop(held.remove(0));
    let out = read_some(&mut third, Duration::from_secs(5)).await;
    assert_eq!(
        out.status(),
        Some(200),
        "third connection after one closed: {}",
        out.text()
    );
}

#[tokio::test]
async fn http2_max_concurrent_streams_limits_parallel_streams() {
    let up = Upstream::start("up");
    let moat = start(&up, "http2_max_concurrent_streams: 2");
    let h2 = H2::connect_h2c(moat.addr()).await;
    let host = moat.addr().to_string();
    // One request first, so the server's SETTINGS have certainly arrived.
    let warm = h2
        .clone_handle()
        .send(crate::harness::req("GET", &host, "/prod/health"))
        .await;
    assert_eq!(warm.map(|r| r.code()), Ok(200), "h2c warm-up request");
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..3 {
        let mut h = h2.clone_handle();
        let host = host.clone();
        tasks.push(tokio::spawn(async move {
            let r = h.send(crate::harness::req("GET", &host, "/prod/slow?ms=1000")).await;
            (r.map(|r| r.code()), start.elapsed())
        }));
    }
    let mut results = Vec::new();
    for t in tasks {
        results.push(t.await.expect("task"));
    }
    let fast_ok = results
        .iter()
        .filter(|(r, d)| *r == Ok(200) && *d < Duration::from_millis(1700))
        .count();
    assert!(
        fast_ok <= 2,
        "3 slow streams ran in parallel with http2_max_concurrent_streams 2: {results:?}"
    );
    assert!(
        results.iter().filter(|(r, _)| *r == Ok(200)).count() >= 2,
        "two streams within the limit must succeed: {results:?}"
    );
}
